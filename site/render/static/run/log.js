// The event log (the timeline as text, one row per event) and the console's exchanges.

import { describe, fmtMs } from "./format.js";

// The first line of what kills a Go program; the stack dump after it is folded away.
const crashLine = /^(panic: |fatal error: )/;

export function logRow(logList, e, session) {
  if (e.type === "stats") return;
  const atBottom = logList.scrollTop + logList.clientHeight >= logList.scrollHeight - 4;
  if (!(e.type === "stderr" && foldIntoDump(logList, e.text))) logList.append(row(e, session));
  if (atBottom) logList.scrollTop = logList.scrollHeight;
}

function row(e, session) {
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
  if (e.type === "stderr" && crashLine.test(e.text)) li.dataset.crash = "";
  return li;
}

// foldIntoDump puts a line of standard error that follows a crash's first line into one
// folded row, the stack dump, and says whether it did. The reason stays a row of its own
// (and is the run's status); the hundreds of lines after it open on demand.
function foldIntoDump(logList, text) {
  const last = logList.lastElementChild;
  if (!last || !("crash" in last.dataset || last.classList.contains("dump"))) return false;
  let dump = last;
  if (!last.classList.contains("dump")) {
    dump = document.createElement("li");
    dump.className = "dump";
    const d = document.createElement("details");
    d.append(document.createElement("summary"), document.createElement("pre"));
    dump.append(d);
    logList.append(dump);
  }
  const pre = dump.querySelector("pre");
  pre.append(text + "\n");
  const n = pre.childNodes.length;
  dump.querySelector("summary").textContent = "the rest of the crash: " + n + (n === 1 ? " line" : " lines") + " of standard error (the stack dump)";
  return true;
}

// consoleNote answers a command the console did not send, with what to do instead: a
// button that does it.
export function consoleNote(consoleOut, line, text, action, onAction) {
  const li = document.createElement("li");
  const cmd = document.createElement("div");
  cmd.className = "cmd";
  cmd.textContent = "> " + line;
  const note = document.createElement("p");
  note.className = "note";
  note.textContent = text + " ";
  const b = document.createElement("button");
  b.type = "button";
  b.className = "btn primary";
  b.textContent = action;
  b.addEventListener("click", onAction);
  note.append(b);
  li.append(cmd, note);
  consoleOut.prepend(li);
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
  if (e.ms) {
    const rtt = document.createElement("span");
    rtt.className = "rtt";
    rtt.textContent = (e.error ? "gave up after " : "round trip ") + fmtMs(e.ms);
    cmd.append(" ", rtt);
  }
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
