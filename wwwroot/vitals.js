// Portal's Web Vitals snippet. Install with:
//   <script type="module" src="https://PORTAL/vitals.js" data-portal-key="pk_…" data-release="1.4.2"></script>
// Optional: data-route="/orders/:id" (the route template, else the path without query string or fragment),
// data-sample-rate="0.25" (share of page views reported).
import { onCLS, onFCP, onINP, onLCP, onTTFB } from "./lib/web-vitals/web-vitals.attribution.js";

const script = document.querySelector("script[data-portal-key]");
const settings = script?.dataset ?? {};
const endpoint = new URL("/api/v1/vitals", import.meta.url).href;
const sampled = Math.random() < Number(settings.sampleRate ?? "1");
const queue = [];

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
  queue.push({
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
}

// Batches of at most 100, as the portal takes them. sendBeacon survives the page going away; fetch(keepalive) where it is refused.
function flush() {
  while (queue.length > 0) {
    const body = JSON.stringify({ key: settings.portalKey, events: queue.splice(0, 100) });
    if (!navigator.sendBeacon?.(endpoint, body)) {
      fetch(endpoint, { method: "POST", body, keepalive: true, headers: { "Content-Type": "text/plain" } }).catch(() => {});
    }
  }
}

if (sampled && settings.portalKey) {
  for (const on of [onCLS, onFCP, onINP, onLCP, onTTFB]) on(record);
  addEventListener("visibilitychange", () => document.visibilityState === "hidden" && flush());
  addEventListener("pagehide", flush);
}
