// The event log (the timeline as text, one row per event) and the console's exchanges.

import { describe } from "./format.js";

export function logRow(logList, e, session) {
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

function hexLine(hex) {
  const frag = document.createDocumentFragment();
  const len = document.createElement("span");
  len.className = "len";
  len.title = "4-byte big-endian length";
  len.textContent = hex.slice(0, 11);
  frag.append(len, hex.slice(11));
  return frag;
}

export function consoleRow(consoleOut, e) {
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
  if (!e.resp && e.respText) { // a word for the scenario, not a frame for the server
    const said = document.createElement("div");
    said.className = "dec";
    said.textContent = e.respText;
    li.append(said);
  }
  if (e.error) {
    const err = document.createElement("div");
    err.className = "err";
    err.textContent = e.error;
    li.append(err);
  }
  consoleOut.prepend(li);
}
