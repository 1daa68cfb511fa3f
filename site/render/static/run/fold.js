// The session fold: what a run's events add up to. Pure: no DOM, no clock, so the same fold
// serves a live run, a recording, and node --test (site/render/jstest). The event format is
// documented in site/run/event.go; this module only reads it.

import { fmtMs } from "./format.js";

// A lane's state at any moment follows from four facts about its connection.
export function laneState(l) {
  if (l.closed || (!l.dialing && !l.connected)) return null;
  if (l.dialing) return "connecting";
  if (l.inFlight) return l.accepted ? "served" : "waiting";
  return l.accepted ? "idle" : "queued";
}

export class Session {
  constructor() {
    this.header = null;
    this.lanes = [];
    this.samples = []; // {t, cpu, rss, threads, fds, conns}
    this.loops = []; // {t, unit, calls, per}
    this.eachLoop = {}; // a server with many loops: by loop name, [{t, conns, unit, calls, per}]
    this.threads = []; // {t, cpu: {name: % of a core}}, the named threads of such a server
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
      this.lanes.push({ name, owner: null, spans: [], marks: [], dialing: false, connected: false, accepted: false, inFlight: false, closed: false });
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
        const sample = { t: e.t, unit: e.loop.unit, calls: e.loop.calls, per, conns: e.loop.conns || 0 };
        if (e.loop.name) (this.eachLoop[e.loop.name] = this.eachLoop[e.loop.name] || []).push(sample);
        else this.loops.push(sample);
        break;
      }
      case "threads": {
        const cpu = {};
        for (const th of e.threads || []) cpu[th.name] = th.cpu;
        this.threads.push({ t: e.t, cpu });
        break;
      }
      case "note":
        this.notes.push({ t: e.t, text: e.text });
        break;
      case "lane": // a lane the run header did not name: the reader's console
        this.lane(e.client || 0).name = e.text;
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
      case "owner":
        l.owner = e.text;
        l.marks.push({ t, kind: "owner", text: "owned by " + e.text });
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

// The timeline starts when the first server is listening: building is in the log, and the
// lanes get the width. Times stay the run's own, as in the log.
export function timeOrigin(session) {
  return session.servers.length ? session.servers[0].from : 0;
}

// The sample in force at time t: the last one taken at or before it.
export function sampleAt(list, t) {
  let found = null;
  for (const s of list) {
    if (s.t > t) break;
    found = s;
  }
  return found;
}
