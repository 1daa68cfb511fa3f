// The gauges: the server's figures from /proc (and its loop's own counters), each a value,
// a meter on the chapter's scale (stated under it), and a sparkline over the run with its
// peak marked. Which value, and which scale: measures.js.

import { sampleAt, timeOrigin } from "./fold.js";
import { fmtNum, fmtT } from "./format.js";
import { measures, peakOf, scaleText } from "./measures.js";
import { el } from "./svg.js";

// The caption that says the rule of measures.js in the reader's words.
export const GAUGE_RULE = "Each gauge shows the moment marked in the log, or else the latest sample (once a run is over, its last); " +
  "the dot on its sparkline marks the run's peak. Every server of this chapter is drawn on the same scales.";

export function sparkline(points, origin, span, max, cls, cursorT) {
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
  const peak = peakOf(points);
  if (peak && peak.v > 0) {
    // A line of no length with a round cap and an unscaled stroke: a dot that the
    // sparkline's stretching leaves round.
    const x = px(peak.t).toFixed(1), y = py(peak.v).toFixed(1);
    el("line", { x1: x, x2: x, y1: y, y2: y, class: "peak " + cls, "vector-effect": "non-scaling-stroke" }, svg);
  }
  return svg;
}

// gauge draws measure m at time at (Infinity: its latest point) on a scale of max, with
// the note of that point, or else the one given.
export function gauge(m, max, at, spark, note) {
  const cur = sampleAt(m.points, at);
  const peak = peakOf(m.points);
  const v = cur ? cur.v : null;
  const valueText = v === null ? "–" : m.fmt(v);
  const box = document.createElement("div");
  box.className = "gauge " + m.cls;
  box.dataset.measure = m.id;
  if (v !== null) box.dataset.value = String(v);
  box.dataset.max = String(max);
  const n = document.createElement("div");
  n.className = "g-name";
  n.textContent = m.name;
  const val = document.createElement("div");
  val.className = "g-value";
  val.textContent = valueText;
  const u = document.createElement("span");
  u.className = "g-unit";
  u.textContent = m.unit;
  val.append(u);
  const meter = document.createElement("div");
  meter.className = "g-meter";
  meter.setAttribute("role", "meter");
  meter.setAttribute("aria-label", m.name);
  meter.setAttribute("aria-valuemin", "0");
  meter.setAttribute("aria-valuemax", String(max));
  meter.setAttribute("aria-valuenow", String(v === null ? 0 : Math.min(v, max)));
  meter.setAttribute("aria-valuetext", valueText + " " + m.unit + " " + scaleText(m.scale, max));
  const fill = document.createElement("div");
  fill.className = "g-fill";
  fill.style.width = (v === null ? 0 : Math.min(1, Math.max(0, v / max)) * 100).toFixed(1) + "%";
  meter.append(fill);
  const sc = document.createElement("div");
  sc.className = "g-scale";
  sc.textContent = scaleText(m.scale, max) + (peak && peak.v > 0 ? " · peak " + m.fmt(peak.v) : "");
  box.append(n, val, meter, spark, sc);
  const said = cur && cur.note ? cur.note : note;
  if (said) {
    const n = document.createElement("div");
    n.className = "g-note";
    n.textContent = said;
    box.append(n);
  }
  return box;
}

// Gauges show the moment the reader marked in the log, or else the latest sample.
export function drawGauges(gaugesBox, session, now, cursorT, scales) {
  const origin = timeOrigin(session);
  const span = Math.max(now - origin, 3000);
  const at = cursorT === null ? Infinity : cursorT;
  const all = measures(session);
  const row = (ms) => {
    const r = document.createElement("div");
    r.className = "gauge-row";
    r.append(...ms.map((m) => gauge(m, scales[m.scale], at, sparkline(m.points, origin, span, scales[m.scale], m.cls, cursorT))));
    return r;
  };
  const rule = document.createElement("p");
  rule.className = "gauge-caption";
  rule.textContent = GAUGE_RULE;
  const parts = [row(all.filter((m) => m.group === "proc")), rule];
  const loop = all.filter((m) => m.group === "loop");
  if (loop.length) {
    const caption = document.createElement("p");
    caption.className = "gauge-caption";
    caption.textContent = "The server's own loop counters (it runs with -stats and prints them every second):";
    const r = row(loop);
    r.classList.add("loop");
    parts.push(caption, r);
  }
  const each = eachLoopGauges(session, span, origin, at, cursorT);
  if (each.length) {
    const r = document.createElement("div");
    r.className = "gauge-row loop";
    const caption = document.createElement("p");
    caption.className = "gauge-caption";
    caption.textContent = "Each loop: the connections it owns, its CPU (its own thread's, from /proc/PID/task, of one core) and events per wait:";
    r.append(...each);
    parts.push(caption, r);
  }
  if (cursorT !== null) {
    const when = document.createElement("p");
    when.className = "gauge-when";
    when.textContent = "Gauges at " + fmtT(cursorT) + ", the moment marked in the log.";
    parts.push(when);
  }
  gaugesBox.replaceChildren(...parts);
}

// A server with many loops: one gauge per loop, its thread's CPU (of one core: a thread
// runs on one at a time) with the connections it owns beside, so that a busy loop and an
// idle one stand side by side. The rule of the gauges above holds.
function eachLoopGauges(session, span, origin, at, cursorT) {
  return Object.keys(session.eachLoop).sort().map((name) => {
    // Its own line, at the same moment: the connections it owns, and events per wait.
    const own = sampleAt(session.eachLoop[name], at);
    const perWait = own && own.per.events ? fmtNum(own.per.events.perCall) : "–";
    const note = (own ? own.conns : "–") + " connections · " + perWait + " events per wait";
    const points = session.threads.map((s) => ({ t: s.t, v: (s.cpu[name] || 0) / 100 }));
    const m = { id: "loop-" + name, name: name + " CPU", unit: "cores", cls: "c-cpu", scale: "thread", fmt: (v) => v.toFixed(2), points };
    return gauge(m, 1, at, sparkline(points, origin, span, 1, "c-cpu", cursorT), note);
  });
}
