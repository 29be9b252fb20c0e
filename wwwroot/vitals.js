// Portal's Web Vitals snippet. Install with:
//   <script type="module" src="https://PORTAL/vitals.js" data-portal-key="pk_…" data-release="1.4.2"></script>
// Optional: data-route="/orders/:id" (the route template, else the path without query string or fragment),
// data-sample-rate="0.25" (share of page views reported).
import { onCLS, onFCP, onINP, onLCP, onTTFB } from "./lib/web-vitals/web-vitals.attribution.js";

const script = document.querySelector("script[data-portal-key]");
const settings = script?.dataset ?? {};
const endpoint = new URL("/api/v1/vitals", import.meta.url).href;
const sampled = Math.random() < Number(settings.sampleRate ?? "1");
// The latest value of each metric instance, by its id: INP and CLS are reported as they change, and only the value
// the page ends with is sent (their own end-of-page report does not always come in time when a page is left).
const pending = new Map();
// The value each instance was last sent with: web-vitals may report an instance again once the page is hidden (its own
// listener running after ours), with the value already sent; sending it twice counted one page view twice.
const sent = new Map();

const page = () =>
  settings.route || document.querySelector('meta[name="portal-route"]')?.content || location.pathname;

const device = () => (innerWidth < 768 ? "mobile" : innerWidth < 1024 ? "tablet" : "desktop");

// The element or interaction behind the value, as web-vitals' attribution build names it.
function attribution(metric) {
  const a = metric.attribution ?? {};
  switch (metric.name) {
    case "LCP": return { target: a.target, url: a.url };
    case "INP": return { target: a.interactionTarget, type: a.interactionType };
    case "CLS": return { target: a.largestShiftTarget };
    default: return undefined;
  }
}

function record(metric) {
  if (sent.get(metric.id) === metric.value) return;
  pending.set(metric.id, {
    name: metric.name,
    value: metric.value,
    delta: metric.delta,
    rating: metric.rating,
    id: metric.id,
    navigationType: metric.navigationType,
    page: page(),
    device: device(),
    connection: navigator.connection?.effectiveType,
    release: settings.release,
    attribution: attribution(metric),
  });
  // web-vitals reports some metrics from its own hidden-page listeners, which may run after ours: send those at once.
  if (document.visibilityState === "hidden") queueMicrotask(flush);
}

// Batches of at most 100, as the portal takes them. sendBeacon survives the page going away; fetch(keepalive) where it is refused.
function flush() {
  const events = [...pending.values()];
  pending.clear();
  for (const event of events) sent.set(event.id, event.value);
  for (let start = 0; start < events.length; start += 100) {
    const body = JSON.stringify({ key: settings.portalKey, events: events.slice(start, start + 100) });
    if (!navigator.sendBeacon?.(endpoint, body)) {
      fetch(endpoint, { method: "POST", body, keepalive: true, headers: { "Content-Type": "text/plain" } }).catch(() => {});
    }
  }
}

if (sampled && settings.portalKey) {
  for (const on of [onFCP, onLCP, onTTFB]) on(record);
  for (const on of [onCLS, onINP]) on(record, { reportAllChanges: true });
  addEventListener("visibilitychange", () => document.visibilityState === "hidden" && flush());
  addEventListener("pagehide", flush);
}
