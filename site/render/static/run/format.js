// Numbers and events in words, for the log, the gauges and the timeline's tooltips. Pure.

export function fmtMs(ms) {
  if (ms === undefined || ms === null) return "";
  if (ms < 1) return ms.toFixed(2) + " ms";
  if (ms < 1000) return ms.toFixed(ms < 10 ? 1 : 0) + " ms";
  return (ms / 1000).toFixed(2) + " s";
}

export const fmtT = (t) => (t / 1000).toFixed(2) + " s";

export const fmtBytes = (b) => (b / (1 << 20)).toFixed(1);

export function fmtRate(v) {
  if (v >= 1e6) return (v / 1e6).toFixed(1) + "M";
  if (v >= 1e4) return Math.round(v / 1e3) + "k";
  return String(Math.round(v));
}

export const fmtNum = (v) => (v >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1));

// What a log row says, and who says it.
export function describe(e, session) {
  const laneName = (i) => (session.lanes[i] ? session.lanes[i].name : String.fromCharCode(65 + i));
  switch (e.type) {
    case "run": {
      const o = e.options || {};
      const bits = [];
      if (o.clients) bits.push(o.clients + " clients");
      if (o.slow) bits.push("one slow");
      if (o.conns) bits.push(o.conns + " connections");
      if (o.slowdisk) bits.push("a disk of " + o.slowdisk + " ms per sync");
      return ["site", "run bin/" + e.mode + " · scenario " + e.scenario + (bits.length ? " · " + bits.join(", ") : "")];
    }
    case "status":
      switch (e.status) {
        case "building": return ["site", "building: " + (e.text || "")];
        case "built": return ["site", "built: " + (e.text || "")];
        case "starting": return ["site", "starting: " + (e.text || "")];
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
        case "owner": return [who, "owned by " + e.text + " (the loop whose epoll instance watches it, seen in /proc)"];
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
    case "threads": return ["site", "CPU by thread: " + (e.threads || []).map((th) => th.name + " " + th.cpu + "%").join(", ")];
    case "note": return ["scenario", e.text];
    case "lane": return [e.text, "a lane of its own: the reader's " + e.text + ", one more client of the server"];
    case "console":
      return ["console", e.text + " ⇒ " + (e.error ? "error: " + e.error : e.respText) + (e.ms ? "  (" + fmtMs(e.ms) + ")" : "")];
    case "end": return ["site", "run over: " + e.text];
    case "error": return ["site", e.text];
  }
  return ["", JSON.stringify(e)];
}

// What the panel's status line says while a run goes: each step, so a reader waiting on a
// cold build sees what it waits for. Null for events that change nothing there.
export function statusText(e, session) {
  const bin = "bin/" + ((session.header && session.header.mode) || "server");
  switch (e.type) {
    case "run": return "Checking whether " + bin + " is up to date…";
    case "build": return /\.md:\d+/.test(e.text) ? e.text : "Building " + bin + "… " + e.text;
    case "status":
      switch (e.status) {
        case "building": return "Building " + bin + "… (" + e.text + ")";
        case "built": return (e.text && e.text.endsWith("up to date") ? e.text : "Built " + bin) + "; starting it…";
        case "starting": return "Starting " + bin + "…";
        case "listening": return "Listening on " + e.addr + " (pid " + e.pid + "); the scenario starts…";
        case "running": return "Running: the scenario plays against " + bin + ".";
      }
      return describe(e, session)[1];
    case "end": return "Run over: " + e.text + ".";
    case "error": return e.text;
  }
  return null;
}
