// The Run panel: one renderer for a live run (events over a websocket) and a recorded one
// (the same events from chapters/recordings/*.jsonl). The event format is documented in
// site/event.go; this file only reads it.
"use strict";

(function () {
  const panel = document.querySelector("section.run[data-chapter]");
  if (!panel || !panel.querySelector("[data-controls]")) return;

  const $ = (sel) => panel.querySelector(sel);
  const form = $("[data-controls]");
  const runButton = $("[data-run]");
  const stopButton = $("[data-stop]");
  const replayButton = $("[data-replay]");
  const badge = $("[data-badge]");
  const statusLine = $("[data-status]");
  const gaugesBox = $("[data-gauges]");
  const timelineBox = $("[data-timeline]");
  const legendBox = $("[data-legend]");
  const logList = $("[data-log]");
  const consoleForm = $("[data-console]");
  const consoleOut = $("[data-console-out]");
  const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");
  const SVG = "http://www.w3.org/2000/svg";

  // ── the session: what a run's events add up to ─────────────────────────────────────

  // A lane's state at any moment follows from four facts about its connection.
  function laneState(l) {
    if (l.closed || (!l.dialing && !l.connected)) return null;
    if (l.dialing) return "connecting";
    if (l.inFlight) return l.accepted ? "served" : "waiting";
    return l.accepted ? "idle" : "queued";
  }

  class Session {
    constructor() {
      this.header = null;
      this.lanes = [];
      this.samples = []; // {t, cpu, rss, threads, fds, conns}
      this.loops = []; // {t, calls, passed, ready}
      this.notes = []; // {t, text}
      this.servers = []; // {from, to, pid, addr, end}
      this.events = [];
      this.lastT = 0;
      this.over = false;
    }

    lane(i) {
      while (this.lanes.length <= i) {
        const n = this.lanes.length;
        const name = (this.header && this.header.lanes && this.header.lanes[n]) || String.fromCharCode(65 + n);
        this.lanes.push({ name, spans: [], marks: [], dialing: false, connected: false, accepted: false, inFlight: false, closed: false });
      }
      return this.lanes[i];
    }

    // Close the lane's open span and open one for its new state, if the state changed.
    transition(l, t, change) {
      const before = laneState(l);
      change(l);
      const after = laneState(l);
      if (before === after) return;
      const open = l.spans[l.spans.length - 1];
      if (open && open.to === null) open.to = t;
      if (after) l.spans.push({ state: after, from: t, to: null });
    }

    add(e) {
      this.events.push(e);
      this.lastT = Math.max(this.lastT, e.t || 0);
      switch (e.type) {
        case "run":
          this.header = e;
          break;
        case "status":
          if (e.status === "listening") this.servers.push({ from: e.t, to: null, pid: e.pid, addr: e.addr });
          if (e.status === "exited" || e.status === "killed") {
            const s = this.servers[this.servers.length - 1];
            if (s && s.to === null) { s.to = e.t; s.end = e.status; }
          }
          break;
        case "client":
          this.client(e);
          break;
        case "stats":
          this.samples.push(Object.assign({ t: e.t }, e.stats));
          break;
        case "loop": {
          const per = {};
          for (const c of e.loop.per || []) per[c.name] = c;
          this.loops.push({ t: e.t, unit: e.loop.unit, calls: e.loop.calls, per });
          break;
        }
        case "note":
          this.notes.push({ t: e.t, text: e.text });
          break;
        case "end":
          this.over = true;
          for (const l of this.lanes) this.transition(l, e.t, (x) => { x.closed = true; });
          break;
      }
    }

    client(e) {
      const l = this.lane(e.client || 0);
      const t = e.t;
      switch (e.op) {
        case "connect":
          this.transition(l, t, (x) => { x.dialing = true; x.connected = false; x.accepted = false; x.closed = false; });
          break;
        case "connected":
          this.transition(l, t, (x) => { x.dialing = false; x.connected = true; });
          break;
        case "accepted":
          this.transition(l, t, (x) => { x.accepted = true; });
          l.marks.push({ t, kind: "accepted", text: "accepted by the server" });
          break;
        case "send":
          this.transition(l, t, (x) => { x.inFlight = true; });
          l.marks.push({ t, kind: "send", text: e.text });
          break;
        case "response":
          // An answer means the server accepted the connection, even if the sampler had
          // not seen it yet (it looks every few milliseconds, not continuously).
          this.transition(l, t, (x) => { x.inFlight = false; x.accepted = true; });
          l.marks.push({ t, kind: "response", text: e.text + " (" + fmtMs(e.ms) + ")" });
          break;
        case "close":
          this.transition(l, t, (x) => { x.closed = true; x.connected = false; x.inFlight = false; });
          l.marks.push({ t, kind: "close", text: "hung up" });
          break;
        case "error":
          this.transition(l, t, (x) => { x.closed = true; x.dialing = false; x.connected = false; x.inFlight = false; });
          l.marks.push({ t, kind: "error", text: e.text });
          break;
      }
    }
  }

  // ── formatting ─────────────────────────────────────────────────────────────────────

  function fmtMs(ms) {
    if (ms === undefined || ms === null) return "";
    if (ms < 1) return ms.toFixed(2) + " ms";
    if (ms < 1000) return ms.toFixed(ms < 10 ? 1 : 0) + " ms";
    return (ms / 1000).toFixed(2) + " s";
  }
  const fmtT = (t) => (t / 1000).toFixed(2) + " s";
  const fmtBytes = (b) => (b / (1 << 20)).toFixed(1);

  // What a log row says, and who says it.
  function describe(e, session) {
    const laneName = (i) => (session.lanes[i] ? session.lanes[i].name : String.fromCharCode(65 + i));
    switch (e.type) {
      case "run": {
        const o = e.options || {};
        const bits = [];
        if (o.clients) bits.push(o.clients + " clients");
        if (o.slow) bits.push("one slow");
        if (o.conns) bits.push(o.conns + " connections");
        return ["site", "run bin/" + e.mode + " · scenario " + e.scenario + (bits.length ? " · " + bits.join(", ") : "")];
      }
      case "status":
        switch (e.status) {
          case "building": return ["site", "building: " + (e.text || "")];
          case "built": return ["site", "built: " + (e.text || "")];
          case "listening": return ["server", "listening on " + e.addr + " (pid " + e.pid + ")"];
          case "running": return ["scenario", "starts"];
          case "exited": return ["server", "exited: " + (e.text || "status " + e.code)];
          case "killed": return ["server", "killed: " + (e.text || "")];
          case "failed": return ["site", "failed: " + (e.text || "")];
        }
        return ["site", e.status];
      case "build": return ["go build", e.text];
      case "client": {
        const who = laneName(e.client || 0);
        switch (e.op) {
          case "connect": return [who, "connecting to " + e.text];
          case "connected": return [who, "connected in " + fmtMs(e.ms) + " (the kernel completed the handshake)"];
          case "accepted": return [who, "accepted: the server now holds this connection"];
          case "send": return [who, "→ " + e.text];
          case "waiting": return [who, "still waiting for an answer after " + fmtMs(e.ms)];
          case "response": return [who, "← " + e.text + "  (" + fmtMs(e.ms) + ")"];
          case "close": return [who, "hung up"];
          case "error": return [who, "error: " + e.text];
        }
        return [who, e.op];
      }
      case "stderr": return ["stderr", e.text];
      case "loop": return ["stderr", e.text];
      case "note": return ["scenario", e.text];
      case "console":
        return ["console", e.text + " ⇒ " + (e.error ? "error: " + e.error : e.respText)];
      case "end": return ["site", "run over: " + e.text];
      case "error": return ["site", e.text];
    }
    return ["", JSON.stringify(e)];
  }

  // ── drawing ────────────────────────────────────────────────────────────────────────

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const k in attrs) node.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(node);
    return node;
  }

  function titled(node, text) {
    const t = document.createElementNS(SVG, "title");
    t.textContent = text;
    node.appendChild(t);
    return node;
  }

  // The timeline starts when the first server is listening: building is in the log, and
  // the lanes get the width. Times stay the run's own, as in the log.
  function timeOrigin(session) {
    return session.servers.length ? session.servers[0].from : 0;
  }

  // A tick step that gives about six labels across the run.
  function tickStep(span) {
    for (const s of [250, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000]) if (span / s <= 7) return s;
    return 120000;
  }

  // Rows of server figures drawn under the lanes; scale names the header's fixed maximum.
  const METRIC_ROWS = [
    { key: "conns", label: "connections", scale: "fds", cls: "c-fds" },
    { key: "threads", label: "threads", scale: "threads", cls: "c-threads" },
    { key: "cpu", label: "CPU %", scale: "cpu", cls: "c-cpu" },
  ];

  const STATES = [
    ["connecting", "connecting"],
    ["queued", "connected, not accepted yet"],
    ["idle", "accepted, idle"],
    ["waiting", "request sent, not accepted yet"],
    ["served", "request being served"],
  ];

  function drawLegend() {
    legendBox.replaceChildren();
    for (const [state, label] of STATES) {
      const item = document.createElement("span");
      const sw = document.createElement("span");
      sw.className = "sw";
      sw.style.background = "var(--st-" + state + ")";
      item.append(sw, label);
      legendBox.append(item);
    }
    const marks = document.createElement("span");
    marks.textContent = "▾ request · ● response · ◇ accepted · | hang-up · ✕ error";
    legendBox.append(marks);
  }

  function drawTimeline(session, now, cursorT) {
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
      p.textContent = "No recording of this run yet. Press Run to watch it live.";
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
      label.textContent = narrow ? l.name.replace(" (slow)", " ·slow").replace(" at a time", "") : l.name;
      for (const s of l.spans) {
        const to = s.to === null ? now : s.to;
        const thick = s.state === "waiting" || s.state === "served";
        const h = thick ? 14 : s.state === "connecting" ? 4 : 6;
        const w = Math.max(thick ? 2 : 1, x(to) - x(s.from));
        titled(el("rect", { x: x(s.from), y: y + (laneH - h) / 2, width: w, height: h, rx: thick ? 2 : 1, class: "st-" + s.state }, svg),
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
    const scales = session.header.scales || {};
    metrics.forEach((m, i) => {
      const y = lanesBottom + i * (metricH + 4);
      const max = scales[m.scale] || 1;
      const label = el("text", { x: 8, y: y + 10, class: "lane-label metric-label" }, svg);
      label.textContent = m.label;
      const range = el("text", { x: 8, y: y + 21, class: "axis" }, svg);
      range.textContent = "0–" + max;
      el("line", { x1: left, x2: width - right, y1: y + metricH, y2: y + metricH, class: "gridline" }, svg);
      const py = (v) => y + metricH - (Math.min(v, max) / max) * (metricH - 2);
      let d = "";
      let prevY = null;
      for (const smp of session.samples) {
        const sx = x(smp.t).toFixed(1), sy = py(smp[m.key]).toFixed(1);
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

  // The sample in force at time t: the last one taken at or before it.
  function sampleAt(list, t) {
    let found = null;
    for (const s of list) {
      if (s.t > t) break;
      found = s;
    }
    return found;
  }

  // Gauges show the moment the reader marked in the log, or else the latest sample.
  function drawGauges(session, now, cursorT) {
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

  function fmtRate(v) {
    if (v >= 1e6) return (v / 1e6).toFixed(1) + "M";
    if (v >= 1e4) return Math.round(v / 1e3) + "k";
    return String(Math.round(v));
  }

  const fmtNum = (v) => (v >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1));

  // ── the log ────────────────────────────────────────────────────────────────────────

  let cursor = null;

  function logRow(e, session) {
    if (e.type === "stats") return;
    const [who, what] = describe(e, session);
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.className = "ev-" + (e.type === "status" ? e.status : e.op === "waiting" ? "waiting" : e.op === "error" ? "error" : e.type);
    b.dataset.t = e.t;
    b.setAttribute("aria-pressed", "false");
    const t = document.createElement("span");
    t.className = "t";
    t.textContent = (e.t / 1000).toFixed(3);
    const w = document.createElement("span");
    w.className = "who";
    w.textContent = who;
    const x = document.createElement("span");
    x.className = "what";
    x.textContent = what;
    b.append(t, w, x);
    li.append(b);
    const atBottom = logList.scrollTop + logList.clientHeight >= logList.scrollHeight - 4;
    logList.append(li);
    if (atBottom) logList.scrollTop = logList.scrollHeight;
  }

  logList.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-t]");
    if (!b) return;
    const pressed = b.getAttribute("aria-pressed") === "true";
    for (const other of logList.querySelectorAll("button[aria-pressed='true']")) other.setAttribute("aria-pressed", "false");
    cursor = pressed ? null : Number(b.dataset.t);
    b.setAttribute("aria-pressed", String(!pressed));
    draw();
  });

  // ── the console ────────────────────────────────────────────────────────────────────

  function hexLine(hex) {
    const frag = document.createDocumentFragment();
    const len = document.createElement("span");
    len.className = "len";
    len.title = "4-byte big-endian length";
    len.textContent = hex.slice(0, 11);
    frag.append(len, hex.slice(11));
    return frag;
  }

  function consoleRow(e) {
    const li = document.createElement("li");
    const cmd = document.createElement("div");
    cmd.className = "cmd";
    cmd.textContent = "> " + e.text;
    li.append(cmd);
    const frame = (dir, hex, dec) => {
      const box = document.createElement("div");
      box.className = "frame";
      const d = document.createElement("span");
      d.className = "dir";
      d.textContent = dir;
      const h = document.createElement("span");
      h.className = "hex";
      h.append(hexLine(hex));
      const t = document.createElement("span");
      t.className = "dec";
      t.textContent = dec;
      box.append(d, h, t);
      return box;
    };
    if (e.req) li.append(frame("request", e.req, e.reqText));
    if (e.resp) li.append(frame("response", e.resp, e.respText));
    if (e.error) {
      const err = document.createElement("div");
      err.className = "err";
      err.textContent = e.error;
      li.append(err);
    }
    consoleOut.prepend(li);
  }

  // ── putting it together ─────────────────────────────────────────────────────────────

  let session = new Session();
  let live = false; // events arrive from a run now
  let lastArrival = 0;
  let replayTimers = [];

  function now() {
    if (!live || session.over) return session.lastT;
    return session.lastT + (performance.now() - lastArrival);
  }

  let drawQueued = false;
  function draw() {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(() => {
      drawQueued = false;
      const t = now();
      drawTimeline(session, t, cursor);
      drawGauges(session, t, cursor);
    });
  }

  // While a run is live, open spans grow: redraw ten times a second (calm, and enough).
  setInterval(() => { if (live && !session.over && !document.hidden) draw(); }, 100);
  addEventListener("resize", draw);
  document.addEventListener("themechange", draw);

  function feed(e) {
    session.add(e);
    lastArrival = performance.now();
    logRow(e, session);
    if (e.type === "console") consoleRow(e);
    showStatus(e);
    draw();
  }

  function reset() {
    session = new Session();
    cursor = null;
    logList.replaceChildren();
    statusLine.textContent = "";
  }

  function showStatus(e) {
    let text = null, fail = false;
    if (e.type === "status") {
      const [, what] = describe(e, session);
      text = what;
      fail = e.status === "failed";
    } else if (e.type === "end") {
      text = "Run over: " + e.text + ".";
    } else if (e.type === "error") {
      text = e.text;
      fail = true;
    } else if (e.type === "build" && /\.md:\d+/.test(e.text)) {
      text = e.text;
      fail = true;
    }
    if (text === null) return;
    statusLine.replaceChildren();
    const span = document.createElement("span");
    if (fail) span.className = "fail";
    span.textContent = text;
    statusLine.append(span);
  }

  // ── recorded sessions ──────────────────────────────────────────────────────────────

  function selectedMode() {
    const checked = form.querySelector("input[name=mode]:checked") || form.querySelector("input[name=mode]");
    return checked;
  }

  function showLesson() {
    const mode = selectedMode().value;
    for (const p of panel.querySelectorAll("[data-lesson]")) p.hidden = p.dataset.lesson !== mode;
  }

  let recording = null; // the selected mode's recorded events

  async function loadRecording() {
    const url = selectedMode().dataset.recording;
    recording = null;
    if (!url) return;
    try {
      const text = await (await fetch(url)).text();
      recording = text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
    } catch (err) {
      recording = null;
    }
  }

  function showRecording() {
    stopReplay();
    reset();
    setBadge("recorded");
    if (!recording) { replayButton.disabled = true; draw(); return; }
    replayButton.disabled = false;
    for (const e of recording) feed(e);
    statusLine.textContent = "Recorded on the machine that built this book. Press Run to watch your own.";
  }

  function replay() {
    if (!recording || live) return;
    if (reducedMotion.matches) { showRecording(); return; }
    stopReplay();
    reset();
    setBadge("replaying recording");
    live = true;
    const start = performance.now();
    for (const e of recording) {
      replayTimers.push(setTimeout(() => {
        feed(e);
        if (e.type === "end") { live = false; setBadge("recorded"); }
      }, Math.max(0, e.t - (performance.now() - start))));
    }
  }

  function stopReplay() {
    replayTimers.forEach(clearTimeout);
    replayTimers = [];
    if (!socketRun) live = false;
  }

  function setBadge(text) {
    badge.textContent = text;
    if (text === "live") badge.dataset.live = ""; else delete badge.dataset.live;
  }

  // ── live runs over the websocket ───────────────────────────────────────────────────

  let socket = null;
  let socketRun = false; // a run started from this page is going
  let pending = []; // messages waiting for the socket to open

  function connect() {
    if (socket && socket.readyState <= 1) return socket;
    socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
    socket.addEventListener("open", () => { for (const m of pending) socket.send(m); pending = []; });
    socket.addEventListener("message", (m) => {
      let e;
      try { e = JSON.parse(m.data); } catch (err) { return; }
      if (e.type === "run") { stopReplay(); reset(); setBadge("live"); live = true; socketRun = true; setRunning(true); }
      if (e.type === "error" && !socketRun) setRunning(false);
      feed(e);
      if (e.type === "end") { live = false; socketRun = false; setRunning(false); }
    });
    socket.addEventListener("close", () => {
      if (socketRun) {
        feed({ t: session.lastT, type: "error", text: "the connection to the site was lost" });
        session.over = true;
        live = false;
        socketRun = false;
        setRunning(false);
      }
      socket = null;
    });
    return socket;
  }

  function send(message) {
    const data = JSON.stringify(message);
    const s = connect();
    if (s.readyState === 1) s.send(data); else pending.push(data);
  }

  function setRunning(running) {
    runButton.disabled = running;
    stopButton.disabled = !running;
    replayButton.disabled = running || !recording;
    for (const input of form.querySelectorAll("input")) input.disabled = running;
  }

  function options() {
    const num = (name) => { const i = form.elements[name]; return i ? Number(i.value) || 0 : 0; };
    const slow = form.elements.slow;
    return { clients: num("clients"), conns: num("conns"), slow: slow ? slow.checked : false };
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (socketRun) return;
    stopReplay();
    runButton.disabled = true;
    statusLine.textContent = "Starting…";
    send({ type: "run", chapter: panel.dataset.chapter, mode: selectedMode().value, options: options() });
  });
  stopButton.addEventListener("click", () => send({ type: "stop" }));
  replayButton.addEventListener("click", replay);
  form.addEventListener("change", async (e) => {
    if (e.target.name !== "mode") return;
    showLesson();
    await loadRecording();
    if (!socketRun) showRecording();
  });
  if (consoleForm) consoleForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const input = consoleForm.elements.line;
    const line = input.value.trim();
    if (!line) return;
    send({ type: "console", chapter: panel.dataset.chapter, mode: selectedMode().value, line });
    input.select();
  });

  drawLegend();
  showLesson();
  loadRecording().then(showRecording);
})();
