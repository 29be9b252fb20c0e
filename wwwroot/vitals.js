// Portal's Web Vitals snippet. Install with:
//   <script type="module" src="https://PORTAL/vitals.js" data-portal-key="pk_…" data-release="1.4.2"></script>
// Optional: data-route="/orders/:id" (the route template, else the path without query string or fragment),
// data-sample-rate="0.25" (share of page views reported), data-soft-navigations (a single-page app's route changes are
// page views of their own: the app turns them on in its Portal settings too; each takes its route from
// <meta name="portal-route"> when the app keeps it up to date, else from its URL's path).
// What each event carries is listed in the README ("Web Vitals fields").
import { onCLS, onFCP, onINP, onLCP, onTTFB } from "./lib/web-vitals/web-vitals.attribution.js";

const script = document.querySelector("script[data-portal-key]");
const settings = script?.dataset ?? {};
const endpoint = new URL("/api/v1/vitals", import.meta.url).href;
const sampled = Math.random() < Number(settings.sampleRate ?? "1");
const softNavigations = "softNavigations" in settings && settings.softNavigations !== "false";
// The latest value of each metric instance, by its id: INP and CLS are reported as they change, and only the value
// the page ends with is sent (their own end-of-page report does not always come in time when a page is left).
const pending = new Map();
// Each instance's last send: web-vitals may report an instance again once the page is hidden (entries arriving after
// our flush), with the value already sent (not sent again) or a new one: sent as the instance's next `report` (2, 3, …),
// and the portal keeps the highest whatever order the beacons arrive in.
const sent = new Map();
// Batches stay well under the portal's 64 KB and the browser's beacon quota.
const batchEvents = 20;

const metaRoute = () => document.querySelector('meta[name="portal-route"]')?.content;
const pathOf = (url) => { try { return new URL(url, location.href).pathname; } catch { return undefined; } };
// URLs lose their query string and fragment: they may carry tokens or users' data.
const bare = (url) => (url ? String(url).split(/[?#]/)[0] : undefined);
const ms = (value) => (Number.isFinite(value) && value >= 0 ? Math.round(value * 10) / 10 : undefined);

// The route of each navigation, by web-vitals' navigationId: the page load's now, each soft navigation's when
// Chromium reports it (the app has changed its route by then).
const routes = new Map();
const hardNavigation = performance.getEntriesByType?.("navigation")?.[0];
routes.set(hardNavigation?.navigationId ?? 0, settings.route || metaRoute() || location.pathname);
if (softNavigations && PerformanceObserver.supportedEntryTypes?.includes("soft-navigation")) {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) routes.set(entry.navigationId, metaRoute() || pathOf(entry.name));
  }).observe({ type: "soft-navigation", buffered: true });
}

function page(metric) {
  if (metric.navigationType === "soft-navigation") {
    return routes.get(metric.navigationId) || pathOf(metric.navigationURL) || location.pathname;
  }
  return routes.get(metric.navigationId) ?? routes.get(hardNavigation?.navigationId ?? 0);
}

const device = () => (innerWidth < 768 ? "mobile" : innerWidth < 1024 ? "tablet" : "desktop");

// The scripts of the long animation frames behind an interaction, longest first (at most 3).
function scripts(a) {
  return (a.longAnimationFrameEntries ?? [])
    .flatMap((frame) => [...(frame.scripts ?? [])])
    .sort((x, y) => y.duration - x.duration)
    .slice(0, 3)
    .map((s) => ({ url: bare(s.sourceURL) || undefined, fn: s.sourceFunctionName || undefined, invoker: s.invoker || undefined, duration: ms(s.duration) }));
}

// The navigation's Server-Timing entries (name;dur;desc), at most 10.
function serverTiming(entry) {
  return (entry?.serverTiming ?? []).slice(0, 10).map((t) => ({ name: t.name, dur: ms(t.duration), desc: t.description || undefined }));
}

// What web-vitals' attribution build says is behind the value, as far as the portal shows it (README, "Web Vitals fields").
function attribution(metric) {
  const a = metric.attribution ?? {};
  switch (metric.name) {
    case "LCP": return {
      target: a.target, url: bare(a.url),
      timeToFirstByte: ms(a.timeToFirstByte), resourceLoadDelay: ms(a.resourceLoadDelay),
      resourceLoadDuration: ms(a.resourceLoadDuration), elementRenderDelay: ms(a.elementRenderDelay),
    };
    case "INP": return {
      target: a.interactionTarget, type: a.interactionType, loadState: a.loadState,
      inputDelay: ms(a.inputDelay), processingDuration: ms(a.processingDuration), presentationDelay: ms(a.presentationDelay),
      scripts: scripts(a),
    };
    case "CLS": return { target: a.largestShiftTarget, loadState: a.loadState };
    case "TTFB": return { serverTiming: serverTiming(a.navigationEntry) };
    default: return undefined;
  }
}

function record(metric) {
  const last = sent.get(metric.id);
  if (last?.value === metric.value) return;
  pending.set(metric.id, {
    name: metric.name,
    value: metric.value,
    delta: metric.delta,
    rating: metric.rating,
    id: metric.id,
    navigationType: metric.navigationType,
    page: page(metric),
    device: device(),
    connection: navigator.connection?.effectiveType,
    release: settings.release,
    attribution: attribution(metric),
    report: last ? last.report + 1 : undefined,
  });
  // web-vitals reports some metrics from its own hidden-page listeners, which may run after ours: send those at once.
  // A single-page app may live long: its soft navigations' events go out as they gather.
  if (document.visibilityState === "hidden" || pending.size >= batchEvents) queueMicrotask(flush);
}

// sendBeacon survives the page going away; fetch(keepalive) where it is refused.
function flush() {
  const events = [...pending.values()];
  pending.clear();
  for (const event of events) sent.set(event.id, { value: event.value, report: event.report ?? 1 });
  for (let start = 0; start < events.length; start += batchEvents) {
    const body = JSON.stringify({ key: settings.portalKey, events: events.slice(start, start + batchEvents) });
    if (!navigator.sendBeacon?.(endpoint, body)) {
      fetch(endpoint, { method: "POST", body, keepalive: true, headers: { "Content-Type": "text/plain" } }).catch(() => {});
    }
  }
}

if (sampled && settings.portalKey) {
  const options = { reportSoftNavs: softNavigations };
  for (const on of [onFCP, onLCP, onTTFB]) on(record, options);
  for (const on of [onCLS, onINP]) on(record, { ...options, reportAllChanges: true });
  addEventListener("visibilitychange", () => document.visibilityState === "hidden" && flush());
  addEventListener("pagehide", flush);
}
