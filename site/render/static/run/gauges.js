// The gauges: the server's figures from /proc (and its loop's own counters), each a value,
// a meter on a fixed scale, and a sparkline over the run.

import { sampleAt, timeOrigin } from "./fold.js";
import { fmtBytes, fmtNum, fmtRate, fmtT } from "./format.js";
import { el } from "./svg.js";

// Gauges: current value, a meter on the fixed scale, and a sparkline over the whole run.
const GAUGES = [
  { key: "cpu", name: "CPU", unit: "% of a core", cls: "c-cpu", scale: (s) => s.cpu, fmt: (v) => v.toFixed(0) },
  { key: "threads", name: "Threads", unit: "", cls: "c-threads", scale: (s) => s.threads, fmt: (v) => String(v) },
  { key: "rss", name: "Memory (RSS)", unit: "MiB", cls: "c-rss", scale: (s) => s.rss, fmt: fmtBytes },
  { key: "fds", name: "Descriptors", unit: "open", cls: "c-fds", scale: (s) => s.fds, fmt: (v) => String(v) },
  { key: "conns", name: "Connections", unit: "held", cls: "c-fds", scale: (s) => s.fds, fmt: (v) => String(v) },
];

function sparkline(points, span, max, cls, origin, cursorT) {
  const w = 200, h = 28;
  const svg = el("svg", { viewBox: `0 0 ${w} ${h}`, preserveAspectRatio: "none", "aria-hidden": "true" });
  if (points.length < 1) return svg;
  const px = (t) => (Math.max(0, Math.min(t - origin, span)) / span) * w;
  if (cursorT !== null && cursorT !== undefined) {
    el("line", { x1: px(cursorT), x2: px(cursorT), y1: 0, y2: h, class: "cursor", "vector-effect": "non-scaling-stroke" }, svg);
  }
  const py = (v) => h - 1 - (Math.min(v, max) / max) * (h - 2);
  let d = "";
  points.forEach((p, i) => { d += (i ? " L" : "M") + px(p.t).toFixed(1) + "," + py(p.v).toFixed(1); });
  const last = points[points.length - 1];
  el("path", { d: d + ` L${px(last.t).toFixed(1)},${h} L${px(points[0].t).toFixed(1)},${h} Z`, class: "spark-area " + cls }, svg);
  el("path", { d, class: "spark " + cls, "vector-effect": "non-scaling-stroke" }, svg);
  return svg;
}

function gauge(name, valueText, unit, fraction, cls, spark, scaleText, over) {
  const box = document.createElement("div");
  box.className = "gauge " + cls + (over ? " over" : "");
  const n = document.createElement("div");
  n.className = "g-name";
  n.textContent = name;
  const v = document.createElement("div");
  v.className = "g-value";
  v.textContent = valueText;
  const u = document.createElement("span");
  u.className = "g-unit";
  u.textContent = unit;
  v.append(u);
  const meter = document.createElement("div");
  meter.className = "g-meter";
  meter.setAttribute("role", "meter");
  meter.setAttribute("aria-label", name);
  meter.setAttribute("aria-valuemin", "0");
  meter.setAttribute("aria-valuemax", "100");
  meter.setAttribute("aria-valuenow", String(Math.round(Math.min(1, fraction) * 100)));
  meter.setAttribute("aria-valuetext", valueText + " " + unit + " (" + scaleText + ")");
  const fill = document.createElement("div");
  fill.className = "g-fill";
  fill.style.width = (Math.min(1, Math.max(0, fraction)) * 100).toFixed(1) + "%";
  meter.append(fill);
  const sc = document.createElement("div");
  sc.className = "g-scale";
  sc.textContent = scaleText;
  box.append(n, v, meter, spark, sc);
  return box;
}

// Gauges show the moment the reader marked in the log, or else the latest sample.
export function drawGauges(gaugesBox, session, now, cursorT) {
  const scales = (session.header && session.header.scales) || { cpu: 100, rss: 64 << 20, threads: 32, fds: 256 };
  const origin = timeOrigin(session);
  const span = Math.max(now - origin, 3000);
  const at = cursorT === null ? Infinity : cursorT;
  const current = sampleAt(session.samples, at);
  const proc = document.createElement("div");
  proc.className = "gauge-row";
  // Once a run is over and no moment is marked, the big number is the run's peak: the
  // last sample is taken after the clients left, which is not the story.
  const summary = session.over && cursorT === null;
  for (const g of GAUGES) {
    const max = g.scale(scales);
    const points = session.samples.map((s) => ({ t: s.t, v: s[g.key] }));
    const peak = points.reduce((m, p) => Math.max(m, p.v), 0);
    const v = summary ? (points.length ? peak : null) : current ? current[g.key] : null;
    const range = "0–" + (g.key === "rss" ? Math.round(max / (1 << 20)) + " MiB" : max);
    const scaleText = summary ? range + " · peak of the run" : range + (peak ? " · peak " + g.fmt(peak) : "");
    proc.append(gauge(g.name, v === null ? "–" : g.fmt(v), g.unit, v === null ? 0 : v / max, g.cls,
      sparkline(points, span, max, g.cls, origin, cursorT), scaleText, v !== null && v > max));
  }
  const parts = [proc];
  const loop = loopGauges(session, span, scales, origin, at, cursorT);
  if (loop.length) {
    const row = document.createElement("div");
    row.className = "gauge-row loop";
    const caption = document.createElement("p");
    caption.className = "gauge-caption";
    caption.textContent = "The server's own loop counters (it runs with -stats and prints them every second):";
    row.append(...loop);
    parts.push(caption, row);
  }
  const each = eachLoopGauges(session, span, origin, at, cursorT);
  if (each.length) {
    const row = document.createElement("div");
    row.className = "gauge-row loop";
    const caption = document.createElement("p");
    caption.className = "gauge-caption";
    caption.textContent = "Each loop: the connections it owns, its CPU (its own thread's, from /proc/PID/task) and events per wait:";
    row.append(...each);
    parts.push(caption, row);
  }
  const when = document.createElement("p");
  when.className = "gauge-when";
  when.textContent = cursorT === null ? "" : "Gauges at " + fmtT(cursorT) + ", the moment marked in the log.";
  if (cursorT !== null) parts.push(when);
  gaugesBox.replaceChildren(...parts);
}

// The loop's own counters (servers run with -stats print them once a second): how often
// the loop calls into the kernel, and what each call brings back.
function loopGauges(session, span, scales, origin, at, cursorT) {
  const loops = session.loops;
  const cur = sampleAt(loops, at);
  if (!loops.length || !cur) return [];
  const unit = cur.unit;
  const boxes = [];
  const peakCalls = Math.max(1, ...loops.map((l) => l.calls));
  boxes.push(gauge(unit + " calls", fmtRate(cur.calls), "per s", cur.calls / peakCalls, "c-calls",
    sparkline(loops.map((l) => ({ t: l.t, v: l.calls })), span, peakCalls, "c-calls", origin, cursorT),
    "peak " + fmtRate(peakCalls) + "/s", false));
  if (cur.per.passed && cur.per.ready) {
    const max = Math.max(scales.fds, ...loops.map((l) => (l.per.passed ? l.per.passed.perCall : 0)));
    const spark = sparkline(loops.map((l) => ({ t: l.t, v: l.per.passed ? l.per.passed.perCall : 0 })), span, max, "c-passed", origin, cursorT);
    const ready = sparkline(loops.map((l) => ({ t: l.t, v: l.per.ready ? l.per.ready.perCall : 0 })), span, max, "c-ready", origin, null);
    for (const child of [...ready.childNodes]) spark.appendChild(child);
    const p = cur.per.passed.perCall, r = cur.per.ready.perCall;
    boxes.push(gauge("Ready of passed", cur.calls ? fmtNum(r) + " / " + fmtNum(p) : "–", "per " + unit, p ? r / p : 0, "c-ready",
      spark, "descriptors per call", false));
  }
  for (const name of Object.keys(cur.per)) {
    if (name === "passed" || name === "ready") continue;
    const series = loops.map((l) => ({ t: l.t, v: l.per[name] ? l.per[name].perCall : 0 }));
    if (name === "refused" && !series.some((p) => p.v > 0)) continue;
    const v = cur.per[name].perCall;
    if (name === "fruitless") {
      boxes.push(gauge("Fruitless", cur.calls ? (v * 100).toFixed(v > 0.995 && v < 1 ? 2 : 0) : "–", "% of " + unit + "s", v, "c-cpu",
        sparkline(series, span, 1, "c-cpu", origin, cursorT), "calls that found nothing", false));
      continue;
    }
    const max = Math.max(1, ...series.map((p) => p.v));
    boxes.push(gauge(name + " per " + unit, cur.calls ? fmtNum(v) : "–", "", v / max, "c-ready",
      sparkline(series, span, max, "c-ready", origin, cursorT), "peak " + fmtNum(max), false));
  }
  return boxes;
}

// A server with many loops: one gauge per loop, the connections it owns over its thread's
// CPU, so that a busy loop and an idle one stand side by side. Once the run is over and no
// moment is marked, each shows its peak, as the gauges above do.
function eachLoopGauges(session, span, origin, at, cursorT) {
  const summary = session.over && cursorT === null;
  const names = Object.keys(session.eachLoop).sort();
  const threads = sampleAt(session.threads, at);
  return names.map((name) => {
    const list = session.eachLoop[name];
    const series = session.threads.map((s) => ({ t: s.t, v: s.cpu[name] || 0 }));
    const cur = sampleAt(list, at);
    let conns = cur ? cur.conns : null;
    let cpu = threads && threads.cpu[name] !== undefined ? threads.cpu[name] : null;
    let perWait = cur && cur.per.events ? cur.per.events.perCall : null;
    if (summary && list.length) {
      conns = Math.max(...list.map((l) => l.conns));
      cpu = series.length ? Math.max(...series.map((p) => p.v)) : null;
      perWait = Math.max(...list.map((l) => (l.per.events ? l.per.events.perCall : 0)));
    }
    const peak = summary ? " · peaks of the run" : "";
    return gauge(name, conns === null ? "–" : String(conns), "connections", cpu === null ? 0 : cpu / 100, "c-cpu",
      sparkline(series, span, 100, "c-cpu", origin, cursorT),
      "CPU " + (cpu === null ? "–" : cpu.toFixed(0) + "%") + " · " + (perWait === null ? "–" : fmtNum(perWait)) + " events per wait" + peak, false);
  });
}
