// Time-series charts (uPlot) for the Blazor pages: axes with units, a legend per series, values on hover.
import uPlot from "../lib/uplot/uPlot.esm.js";

const charts = new WeakMap();
const palette = ["#3949ab", "#e53935", "#43a047", "#fb8c00", "#8e24aa", "#00acc1", "#6d4c41", "#546e7a", "#d81b60", "#7cb342"];

function format(value, unit) {
  if (value == null || Number.isNaN(value)) return "—";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "-Inf";
  const abs = Math.abs(value);
  const text = abs >= 1e6 || (abs > 0 && abs < 1e-3) ? value.toExponential(2) : Number(value.toPrecision(4)).toString();
  return unit ? `${text} ${unit}` : text;
}

// payload: { timestamps: [unix seconds], series: [{ label, values: [number|null], dash (a target line), spanGaps (join points across nulls) }],
//            unit, from, to (unix seconds), height, min and max (a fixed value axis, e.g. a 0–100 score), points (mark each value) }
export function render(element, payload) {
  charts.get(element)?.destroy();
  const text = getComputedStyle(document.body).color;
  const grid = "rgba(128,128,128,0.2)";
  const options = {
    width: Math.max(element.clientWidth, 300),
    height: payload.height ?? 360,
    series: [
      { value: (u, seconds) => (seconds == null ? "—" : new Date(seconds * 1000).toLocaleString()) },
      ...payload.series.map((series, index) => ({
        label: series.label,
        stroke: palette[index % palette.length],
        width: 1.5,
        dash: series.dash ? [6, 4] : undefined,
        value: (u, value) => format(value, payload.unit),
        spanGaps: series.spanGaps ?? false,
        // Sparse series (a run a day) need their points drawn: uPlot shows a lone point only as a marker.
        ...(payload.points ? { points: { show: true, size: 7 } } : {}),
      })),
    ],
    axes: [
      { stroke: text, grid: { stroke: grid } },
      { stroke: text, grid: { stroke: grid }, size: 80, values: (u, values) => values.map((value) => format(value, payload.unit)) },
    ],
    scales: {
      x: { time: true, range: () => [payload.from, payload.to] },
      ...(payload.min != null && payload.max != null ? { y: { range: () => [payload.min, payload.max] } } : {}),
    },
    legend: { show: true, live: true },
    cursor: { focus: { prox: 16 } },
  };
  const chart = new uPlot(options, [payload.timestamps, ...payload.series.map((series) => series.values)], element);
  charts.set(element, chart);
}

export function width(element) {
  return element.clientWidth;
}

export function dispose(element) {
  charts.get(element)?.destroy();
  charts.delete(element);
}

// Recent queries, per browser.
const historyKey = "portal-promql-history";

export function history() {
  try {
    return JSON.parse(localStorage.getItem(historyKey) ?? "[]");
  } catch {
    return [];
  }
}

export function remember(query) {
  const recent = [query, ...history().filter((previous) => previous !== query)].slice(0, 12);
  localStorage.setItem(historyKey, JSON.stringify(recent));
  return recent;
}
