// What the gauges measure, on what scale, and which value they show. Pure: no DOM, so that
// the panel, the compare view and node --test (site/render/jstest) share one rule.
//
// The value a gauge shows, live or finished, for every gauge and loop counter alike: the
// value at the cursor, that is at the moment marked in the log, or else the latest sample
// (at the end of a run, its last one). The run's peak is marked on the sparkline with a dot
// and stated under the gauge, so the story of a run that emptied out is still in view. A
// figure per call is undefined for a second without a call (not zero: select blocked for a
// whole second passed no descriptors because it was not called), so such a second has no
// point, and a per-call gauge keeps the last second that had calls.
//
// A gauge's scale is the same for every server of a chapter, so that two of them compare at
// a glance: the round number at or above the highest value any session on the page reaches
// (every mode's recording, and the reader's own runs), never below a floor that keeps an
// idle server from filling its gauge. CPU is counted in cores, on the scale of the cores the
// machine has: every server here may use more than one (the Go runtime's own threads do).

import { fmtRate } from "./format.js";

const MiB = 1 << 20;

// niceCeil is the smallest of 1, 2, 2.5, 5 times a power of ten at or above v (at least 1).
export function niceCeil(v) {
  if (!(v > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const s of [1, 2, 2.5, 5, 10]) if (s * p >= v * (1 - 1e-9)) return s * p;
  return 10 * p;
}

// pow2Ceil is the smallest power of two at or above v (at least 1): memory's scales.
export function pow2Ceil(v) {
  if (!(v > 1)) return 1;
  return 2 ** Math.ceil(Math.log2(v * (1 - 1e-9)));
}

const cores = (v) => v.toFixed(2);
const whole = (v) => String(Math.round(v));
const perCall = (v) => (v >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(v < 10 ? 2 : 1));
const percent = (v) => (v * 100).toFixed(v > 0.995 && v < 1 ? 2 : 0);

// The server's figures from /proc. scale names the scale a measure is drawn on: the
// connections share the descriptors' (each is one).
const PROC = [
  { id: "cpu", name: "CPU", title: "CPU", unit: "cores", cls: "c-cpu", scale: "cpu", v: (s) => s.cpu / 100, fmt: cores },
  { id: "threads", name: "Threads", title: "Threads", unit: "", cls: "c-threads", scale: "threads", v: (s) => s.threads, fmt: whole },
  { id: "rss", name: "Memory (RSS)", title: "Memory (RSS)", unit: "MiB", cls: "c-rss", scale: "rss", v: (s) => s.rss / MiB, fmt: (v) => v.toFixed(1) },
  { id: "fds", name: "Descriptors", title: "Descriptors open", unit: "open", cls: "c-fds", scale: "fds", v: (s) => s.fds, fmt: whole },
  { id: "conns", name: "Connections", title: "Connections held", unit: "held", cls: "c-fds", scale: "fds", v: (s) => s.conns, fmt: whole },
];

// How each scale is rounded, the least it may be, and how it is stated ("of 64 MiB").
const SCALES = {
  cpu: { round: (v) => Math.max(1, Math.ceil(v - 1e-9)), floor: 1, text: (m) => "of " + m + (m === 1 ? " core" : " cores") },
  threads: { round: niceCeil, floor: 10, text: (m) => "of " + m },
  rss: { round: pow2Ceil, floor: 8, text: (m) => "of " + m + " MiB" },
  fds: { round: niceCeil, floor: 20, text: (m) => "of " + m },
  calls: { round: niceCeil, floor: 10, text: (m) => "of " + fmtRate(m) + "/s" },
  perCall: { round: niceCeil, floor: 10, text: (m) => "of " + m + " descriptors" },
  thread: { round: () => 1, floor: 1, text: () => "of 1 core" },
  fraction: { round: () => 1, floor: 1, text: () => "of 100%" },
  count: { round: niceCeil, floor: 1, text: (m) => "of " + m },
};

// Calls that are passed no list of descriptors: the interest list lives in the kernel,
// changed one descriptor at a time by epoll_ctl, which the server counts beside.
const PASSES_NOTHING = new Set(["epoll_wait"]);

// A measure: id (the same for every server, so the compare view lines them up), group
// ("proc": from /proc; "loop": the server's -stats counters), name, title (its name for
// every server at once), unit, cls (its colour), scale (a key of SCALES), fmt, and points [{t, v, note}] over the
// run, note being a word said beside the value (epoll's epoll_ctl calls).
export function measures(session) {
  const list = [];
  if (session.samples.length) {
    for (const m of PROC) list.push(Object.assign({ group: "proc" }, m, { points: session.samples.map((s) => ({ t: s.t, v: m.v(s) })) }));
  }
  const loops = session.loops;
  if (!loops.length) return list;
  const unit = loops[0].unit;
  const loop = (m) => list.push(Object.assign({ group: "loop" }, m));
  const series = (f, from = loops) => from.map((l) => Object.assign({ t: l.t }, f(l)));
  const called = loops.filter((l) => l.calls > 0);
  const perCallSeries = (f) => series(f, called);
  const rate = (l, name) => (l.per[name] ? l.per[name].rate : 0);
  const per = (l, name) => (l.per[name] ? l.per[name].perCall : 0);
  loop({ id: "calls", name: unit + " calls", title: "Calls into the kernel", unit: "per s", cls: "c-calls", scale: "calls", fmt: fmtRate, points: series((l) => ({ v: l.calls })) });
  const has = (name) => loops.some((l) => l.per[name]);
  const readyName = has("ready") ? "ready" : has("events") ? "events" : null;
  if (readyName && (has("passed") || PASSES_NOTHING.has(unit))) {
    const ctl = has("epoll_ctl");
    loop({ id: "passed", name: "Passed per " + unit, title: "Descriptors passed to the kernel per call", unit: "descriptors", cls: "c-passed", scale: "perCall", fmt: perCall,
      points: perCallSeries((l) => ({ v: per(l, "passed"), note: ctl ? "the list is in the kernel · epoll_ctl " + fmtRate(rate(l, "epoll_ctl")) + "/s" : "" })) });
    loop({ id: "ready", name: "Ready per " + unit, title: "Descriptors found ready per call", unit: "descriptors", cls: "c-ready", scale: "perCall", fmt: perCall,
      points: perCallSeries((l) => ({ v: per(l, readyName) })) });
  }
  const shown = new Set(["passed", "epoll_ctl", readyName && list.some((m) => m.id === "ready") ? readyName : ""]);
  for (const name of Object.keys(loops[loops.length - 1].per)) {
    if (shown.has(name)) continue;
    const points = perCallSeries((l) => ({ v: per(l, name) }));
    if (name === "refused" && !points.some((p) => p.v > 0)) continue;
    if (name === "fruitless") {
      loop({ id: name, name: "Fruitless", title: "Calls that found nothing", unit: "% of " + unit + "s", cls: "c-cpu", scale: "fraction", fmt: percent, points });
      continue;
    }
    loop({ id: name, name: name + " per " + unit, title: name + " per call", unit: "", cls: "c-ready", scale: "count", fmt: perCall, points });
  }
  return list;
}

// The highest point (the first of equals), or null.
export function peakOf(points) {
  let peak = null;
  for (const p of points) if (!peak || p.v > peak.v) peak = p;
  return peak;
}

// scalesFor gives each scale named by the measures of sessions its maximum: the rounded
// highest value, at least the floor; the CPU's is the machine's cores where a run said
// how many it had.
export function scalesFor(sessions) {
  const high = {};
  let machine = 0;
  for (const s of sessions) {
    if (s.header && s.header.cores) machine = Math.max(machine, s.header.cores);
    for (const m of measures(s)) {
      const p = peakOf(m.points);
      high[m.scale] = Math.max(high[m.scale] || 0, p ? p.v : 0);
    }
  }
  const scales = {};
  for (const [name, rule] of Object.entries(SCALES)) {
    scales[name] = Math.max(rule.floor, rule.round(high[name] || 0), name === "cpu" ? machine : 0);
  }
  return scales;
}

// scaleText states a scale beside its gauge.
export function scaleText(scale, max) {
  return SCALES[scale].text(max);
}
