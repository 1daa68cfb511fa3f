// The timeline: one lane per client, the server's life above them and its figures below,
// all on the run's clock.

import { timeOrigin } from "./fold.js";
import { fmtMs, fmtT } from "./format.js";
import { el, titled } from "./svg.js";

// A tick step that gives about six labels across the run.
function tickStep(span) {
  for (const s of [250, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000]) if (span / s <= 7) return s;
  return 120000;
}

// Rows of server figures drawn under the lanes, on the gauges' scales (measures.js).
const METRIC_ROWS = [
  { v: (s) => s.conns, label: "connections", scale: "fds", cls: "c-fds" },
  { v: (s) => s.threads, label: "threads", scale: "threads", cls: "c-threads" },
  { v: (s) => s.cpu / 100, label: "CPU, cores", scale: "cpu", cls: "c-cpu" },
];

const STATES = [
  ["connecting", "connecting"],
  ["queued", "connected, not accepted yet"],
  ["idle", "accepted, idle"],
  ["waiting", "request sent, not accepted yet"],
  ["served", "request being served"],
];

// A state is told by more than its colour: thickness says whether a request is in flight,
// a dash that the server has not accepted the connection yet (style.css draws the dashes),
// dots that the handshake is under way.
const THICKNESS = { connecting: 4, queued: 6, idle: 6, waiting: 14, served: 14 };

function stateBar(parent, state, x1, x2, y) {
  const w = Math.max(x2 - x1, THICKNESS[state] > 6 ? 2 : 1);
  return el("line", { x1, x2: x1 + w, y1: y, y2: y, "stroke-width": THICKNESS[state], class: "st-" + state }, parent);
}

// The legend's swatches are the timeline's own bars, so they always match.
export function drawLegend(legendBox) {
  legendBox.replaceChildren();
  for (const [state, label] of STATES) {
    const item = document.createElement("span");
    const sw = el("svg", { class: "sw", width: 26, height: 14, viewBox: "0 0 26 14", "aria-hidden": "true" });
    stateBar(sw, state, 0, 26, 7);
    item.append(sw, label);
    legendBox.append(item);
  }
  const marks = document.createElement("span");
  marks.textContent = "▾ request · ● response · ◇ accepted · | hang-up · ✕ error";
  legendBox.append(marks);
}

export function drawTimeline(timelineBox, session, now, cursorT, scales) {
  const width = Math.max(280, timelineBox.clientWidth || 600);
  const narrow = width < 560;
  const left = narrow ? 96 : 128;
  const right = 14;
  const laneH = 26;
  const laneGap = 6;
  const serverRowH = 20;
  const top = 8;
  const axisH = 24;
  const lanes = session.lanes.length ? session.lanes : (session.header && session.header.lanes || []).map((n) => ({ name: n, spans: [], marks: [] }));
  if (!session.header) {
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = "No recording of this run yet.";
    timelineBox.replaceChildren(p);
    return;
  }
  const rows = lanes.length;
  const metricH = 24;
  const metrics = session.samples.length ? METRIC_ROWS : [];
  const lanesBottom = top + serverRowH + laneGap + rows * (laneH + laneGap);
  const height = lanesBottom + metrics.length * (metricH + 4) + axisH;
  const origin = timeOrigin(session);
  const span = Math.max(now - origin, 3000);
  const x = (t) => left + (Math.max(0, Math.min(t - origin, span)) / span) * (width - left - right);
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    "aria-label": "Timeline: one lane per client, time left to right. The event log below has the same information as text." });

  // grid and axis
  const axisY = height - axisH + 4;
  const step = tickStep(span);
  for (let t = Math.ceil(origin / step) * step; t <= origin + span + 1; t += step) {
    el("line", { x1: x(t), x2: x(t), y1: top, y2: axisY - 4, class: "gridline" }, svg);
    const anchor = x(t) - left < 12 ? "start" : width - right - x(t) < 12 ? "end" : "middle";
    const label = el("text", { x: x(t), y: axisY + 12, "text-anchor": anchor, class: "axis" }, svg);
    label.textContent = (t / 1000).toString() + " s";
  }

  // the server's life
  const sy = top;
  const serverLabel = el("text", { x: 8, y: sy + 13, class: "lane-label" }, svg);
  serverLabel.textContent = "server";
  for (const s of session.servers) {
    const to = s.to === null ? now : s.to;
    titled(el("line", { x1: x(s.from), x2: x(to), y1: sy + 9, y2: sy + 9, class: "server-line" }, svg),
      "pid " + s.pid + " listening on " + s.addr + " from " + fmtT(s.from) + (s.to === null ? "" : " to " + fmtT(s.to) + " (" + s.end + ")"));
    el("circle", { cx: x(s.from), cy: sy + 9, r: 3.5, class: "server-dot" }, svg);
    if (s.to !== null) el("line", { x1: x(s.to), x2: x(s.to), y1: sy + 3, y2: sy + 15, class: "mk-close" }, svg);
  }

  // notes: the scenario narrating
  for (const n of session.notes) {
    const g = el("g", {}, svg);
    el("line", { x1: x(n.t), x2: x(n.t), y1: top, y2: axisY - 4, class: "note-line" }, g);
    el("circle", { cx: x(n.t), cy: top + 2, r: 2.5, class: "note-dot" }, g);
    titled(g, fmtT(n.t) + " — " + n.text);
  }

  // lanes
  lanes.forEach((l, i) => {
    const y = top + serverRowH + laneGap + i * (laneH + laneGap);
    el("rect", { x: left, y, width: width - left - right, height: laneH, rx: 3, class: "lane-bg" }, svg);
    const label = el("text", { x: 8, y: y + laneH / 2 + 4, class: "lane-label" }, svg);
    label.textContent = (narrow ? l.name.replace(" (slow)", " ·slow").replace(" at a time", "") : l.name) + (l.owner ? " · " + l.owner : "");
    if (l.owner) label.classList.add("owner-" + (Number(l.owner.replace(/\D/g, "")) % 4));
    for (const s of l.spans) {
      const to = s.to === null ? now : s.to;
      titled(stateBar(svg, s.state, x(s.from), x(to), y + laneH / 2),
        l.name + ": " + STATES.find((p) => p[0] === s.state)[1] + ", " + fmtT(s.from) + " – " + (s.to === null ? "now" : fmtT(s.to)) + " (" + fmtMs(to - s.from) + ")");
    }
    const dense = l.marks.length > (width - left - right) / 6; // many requests: keep the answers only
    for (const m of l.marks) {
      if (dense && m.kind === "send") continue;
      const mx = x(m.t);
      let node;
      switch (m.kind) {
        case "send": node = el("path", { d: `M${mx - 3.5},${y + 1} L${mx + 3.5},${y + 1} L${mx},${y + 6} Z`, class: "mk-send" }, svg); break;
        case "response": node = el("circle", { cx: mx, cy: y + laneH / 2, r: 3.5, class: "mk-response" }, svg); break;
        case "accepted": node = el("path", { d: `M${mx},${y + laneH - 8} l3.5,3.5 l-3.5,3.5 l-3.5,-3.5 Z`, class: "mk-accepted" }, svg); break;
        case "close": node = el("line", { x1: mx, x2: mx, y1: y + 4, y2: y + laneH - 4, class: "mk-close" }, svg); break;
        case "error": node = el("path", { d: `M${mx - 4},${y + 9} l8,8 M${mx + 4},${y + 9} l-8,8`, class: "mk-error" }, svg); break;
      }
      if (node) titled(node, l.name + " at " + fmtT(m.t) + ": " + m.kind + (m.text ? " — " + m.text : ""));
    }
  });

  // The server's figures under the lanes, on the same clock: threads climbing as clients
  // connect, CPU pinned while every lane is idle.
  metrics.forEach((m, i) => {
    const y = lanesBottom + i * (metricH + 4);
    const max = scales[m.scale];
    const label = el("text", { x: 8, y: y + 10, class: "lane-label metric-label" }, svg);
    label.textContent = m.label;
    const range = el("text", { x: 8, y: y + 21, class: "axis" }, svg);
    range.textContent = "0–" + max;
    el("line", { x1: left, x2: width - right, y1: y + metricH, y2: y + metricH, class: "gridline" }, svg);
    const py = (v) => y + metricH - (Math.min(v, max) / max) * (metricH - 2);
    let d = "";
    let prevY = null;
    for (const smp of session.samples) {
      const sx = x(smp.t).toFixed(1), sy = py(m.v(smp)).toFixed(1);
      d += d ? ` L${sx},${prevY} L${sx},${sy}` : `M${sx},${sy}`;
      prevY = sy;
    }
    const lastX = x(Math.min(now, session.samples[session.samples.length - 1].t)).toFixed(1);
    const firstX = x(session.samples[0].t).toFixed(1);
    const g = el("g", { class: m.cls }, svg);
    el("path", { d: `${d} L${lastX},${y + metricH} L${firstX},${y + metricH} Z`, class: "spark-area" }, g);
    el("path", { d, class: "spark" }, g);
    titled(g, m.label + " over the run (scale 0–" + max + ")");
  });

  if (!session.over && session.header) el("line", { x1: x(now), x2: x(now), y1: top, y2: axisY - 4, class: "now" }, svg);
  if (cursorT !== null) el("line", { x1: x(cursorT), x2: x(cursorT), y1: top, y2: axisY - 4, class: "cursor" }, svg);
  timelineBox.replaceChildren(svg);
}
