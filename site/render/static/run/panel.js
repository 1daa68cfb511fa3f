// The Run panel: one renderer for a live run (events over the websocket) and a recorded one
// (the same events, carried by the page). A panel without a Run button (the static export)
// only replays its recordings.

import { PanelSessions, compareView } from "./compare.js";
import { Session } from "./fold.js";
import { statusText } from "./format.js";
import { drawGauges } from "./gauges.js";
import { consoleNote, consoleRow, logRow } from "./log.js";
import { drawLegend, drawTimeline } from "./timeline.js";
import { openTransport } from "./transport.js";

const panel = document.querySelector("section.run[data-chapter]");
if (panel && panel.querySelector("[data-controls]")) start(panel);

function start(panel) {
  const $ = (sel) => panel.querySelector(sel);
  const form = $("[data-controls]");
  const runButton = $("[data-run]"); // null in the export: nothing runs there
  const stopButton = $("[data-stop]");
  const crashButton = $("[data-crash]"); // only where the scenario offers it
  const replayButton = $("[data-replay]");
  const badge = $("[data-badge]");
  const statusLine = $("[data-status]");
  const gaugesBox = $("[data-gauges]");
  const timelineBox = $("[data-timeline]");
  const logList = $("[data-log]");
  const consoleForm = $("[data-console]");
  const consoleOut = $("[data-console-out]");
  const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");

  let session = new Session();
  let live = false; // events arrive as they happen: a run, or a replay
  let lastArrival = 0;
  let cursor = null; // the moment marked in the log
  let replayTimers = [];
  let socketRun = false; // a run started from this page is going
  let recording = null; // the selected mode's recorded events
  const others = new PanelSessions(panel); // every mode's recording, and the reader's runs
  const compare = compareView(panel, others);
  compare.onToggle(() => draw());

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
      const scales = others.scales(session);
      drawTimeline(timelineBox, session, t, cursor, scales);
      drawGauges(gaugesBox, session, t, cursor, scales);
      compare.draw(session, selectedMode(), badge.textContent, t, cursor, scales);
    });
  }

  // While a run is live, open spans grow: redraw ten times a second (calm, and enough).
  setInterval(() => { if (live && !session.over && !document.hidden) draw(); }, 100);
  addEventListener("resize", draw);
  document.addEventListener("themechange", draw);

  function feed(e) {
    session.add(e);
    lastArrival = performance.now();
    logRow(logList, e, session);
    if (e.type === "console" && consoleOut) consoleRow(consoleOut, e);
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
    const text = statusText(e, session);
    if (text === null) return;
    const fail = (e.type === "status" || e.type === "end") && e.status === "failed" || e.type === "error" ||
      e.type === "build" && /\.md:\d+/.test(e.text);
    statusLine.replaceChildren();
    const span = document.createElement("span");
    if (fail) span.className = "fail";
    span.textContent = text;
    statusLine.append(span);
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

  // ── recorded sessions ──────────────────────────────────────────────────────────────

  function selectedMode() {
    return (form.querySelector("input[name=mode]:checked") || form.querySelector("input[name=mode]")).value;
  }

  function showLesson() {
    const mode = selectedMode();
    for (const p of panel.querySelectorAll("[data-lesson]")) p.hidden = p.dataset.lesson !== mode;
  }

  // The page carries each mode's recording as a JSON array.
  function loadRecording() {
    const mode = selectedMode();
    const data = [...panel.querySelectorAll("script[data-recording]")].find((s) => s.dataset.recording === mode);
    recording = null;
    if (!data) return;
    try { recording = JSON.parse(data.textContent); } catch (err) { recording = null; }
  }

  function showRecording() {
    stopReplay();
    reset();
    setBadge("recorded");
    if (!recording) { replayButton.disabled = true; draw(); return; }
    replayButton.disabled = false;
    for (const e of recording) feed(e);
    statusLine.textContent = "Recorded on the machine that built this book." + (runButton ? " Press Run to watch your own." : "");
  }

  function replay() {
    if (!recording || socketRun) return;
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

  // The badge names what the panel shows: recorded, replaying recording, live, or a run
  // that is over: finished, stopped, failed.
  function setBadge(text) {
    badge.textContent = text;
    badge.dataset.state = text;
    if (text === "live") badge.dataset.live = ""; else delete badge.dataset.live;
  }

  replayButton.addEventListener("click", replay);
  form.addEventListener("change", (e) => {
    if (e.target.name !== "mode") return;
    showLesson();
    loadRecording();
    if (!socketRun) showRecording();
  });

  // ── live runs over the websocket ───────────────────────────────────────────────────

  if (runButton) {
    const transport = openTransport((e) => {
      if (e.type === "run") { stopReplay(); reset(); setBadge("live"); live = true; socketRun = true; setRunning(true); }
      if (e.type === "error" && !socketRun) setRunning(false);
      feed(e);
      // The badge says what the panel now shows: this run, and how it ended.
      if (e.type === "end") {
        live = false; socketRun = false; setRunning(false); setBadge(e.status || "finished");
        others.keep(session.header ? session.header.mode : selectedMode(), session);
      }
    }, () => {
      if (!socketRun) return;
      feed({ t: session.lastT, type: "error", text: "the connection to the site was lost" });
      session.over = true;
      live = false;
      socketRun = false;
      setRunning(false);
      setBadge("failed");
    });

    // A button that disables itself would drop keyboard focus on the page's body: focus
    // moves to the one that takes over (Stop once Run is pressed, Run once the run is over).
    const setRunning = (running) => {
      const focused = document.activeElement;
      const handOver = running ? focused === runButton : focused === stopButton || (crashButton && focused === crashButton);
      runButton.disabled = false;
      stopButton.disabled = false;
      if (handOver) (running ? stopButton : runButton).focus();
      runButton.disabled = running;
      stopButton.disabled = !running;
      if (crashButton) crashButton.disabled = !running;
      replayButton.disabled = running || !recording;
      for (const input of form.querySelectorAll("input, [data-preset-conns]")) input.disabled = running;
      if (!running) holdHeight(false);
    };

    // Between Run and the new run's first figures the panel keeps its height: the boxes hold
    // theirs until the run is over, and their contents are replaced in place.
    const holdHeight = (hold) => {
      for (const box of [gaugesBox, timelineBox, logList]) box.style.minHeight = hold ? box.offsetHeight + "px" : "";
    };

    const options = () => {
      const num = (name) => { const i = form.elements[name]; return i ? Number(i.value) || 0 : 0; };
      const slow = form.elements.slow;
      return { clients: num("clients"), conns: num("conns"), slow: slow ? slow.checked : false, slowdisk: num("slowdisk") };
    };

    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (socketRun) return;
      stopReplay();
      holdHeight(true);
      // Stop works from now on: the site reads the page's messages in order, so a stop sent
      // after this run message finds the run.
      setRunning(true);
      statusLine.textContent = "Asking the site to run bin/" + selectedMode() + "…";
      transport.send({ type: "run", chapter: panel.dataset.chapter, mode: selectedMode(), options: options() });
    });
    for (const preset of form.querySelectorAll("[data-preset-conns]")) preset.addEventListener("click", () => {
      form.elements.conns.value = preset.dataset.presetConns;
      const mode = preset.dataset.presetMode && form.querySelector(`input[name=mode][value="${preset.dataset.presetMode}"]`);
      if (mode && !mode.checked) {
        mode.checked = true;
        mode.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    stopButton.addEventListener("click", () => transport.send({ type: "stop" }));
    if (crashButton) crashButton.addEventListener("click", () => transport.send({ type: "crash" }));
    if (consoleForm) consoleForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const input = consoleForm.elements.line;
      const line = input.value.trim();
      if (!line) return;
      // The console is one more client of a run's server; with no run there is no server,
      // and nothing is sent.
      if (!socketRun) {
        consoleNote(consoleOut, line, "No run is going: the console talks to the server of a run, as one more client on its timeline.", "Run", () => {
          form.requestSubmit();
          input.focus();
        });
        return;
      }
      transport.send({ type: "console", line });
      input.select();
    });
  } else {
    form.addEventListener("submit", (e) => e.preventDefault());
  }

  drawLegend($("[data-legend]"));
  showLesson();
  loadRecording();
  showRecording();
}
