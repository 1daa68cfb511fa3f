// The compare view: the same scenario on each server of the chapter, side by side. Each
// column is one server: the session the panel shows for the selected one, and for the
// others the reader's latest run of it on this page, or else its recording (so the view
// works in the static export too). Each row is one measure, on one scale for all columns.

import { Session, timeOrigin } from "./fold.js";
import { GAUGE_RULE, gauge, sparkline } from "./gauges.js";
import { measures, scaleText, scalesFor } from "./measures.js";

// PanelSessions are every session a panel knows besides the one it shows: each mode's
// recording, folded once, and the reader's latest finished run of each mode.
export class PanelSessions {
  constructor(panel) {
    this.modes = [...panel.querySelectorAll("input[name=mode]")].map((i) => i.value);
    this.recorded = new Map();
    this.yours = new Map();
    for (const script of panel.querySelectorAll("script[data-recording]")) {
      let events;
      try { events = JSON.parse(script.textContent); } catch (err) { continue; }
      const s = new Session();
      for (const e of events) s.add(e);
      this.recorded.set(script.dataset.recording, s);
    }
  }

  keep(mode, session) { this.yours.set(mode, session); }

  // The scales of every session the page holds, current (the one on show) included.
  scales(current) {
    return scalesFor([...this.recorded.values(), ...this.yours.values(), current]);
  }
}

// compareView adds the Compare button and the view's box to panel; draw fills the box
// while it is open. The panel's own gauges make way for it: its column of the selected
// server holds the same figures.
export function compareView(panel, sessions) {
  const buttons = panel.querySelector(".buttons");
  const gaugesBox = panel.querySelector("[data-gauges]");
  if (sessions.modes.length < 2 || !buttons || !gaugesBox) return { open: () => false, onToggle() {}, draw() {} };
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn quiet";
  button.dataset.compare = "";
  button.textContent = "Compare servers";
  button.setAttribute("aria-pressed", "false");
  button.setAttribute("aria-controls", "compare-view");
  buttons.append(button);
  const box = document.createElement("div");
  box.className = "compare";
  box.id = "compare-view";
  box.hidden = true;
  gaugesBox.after(box);
  let onToggle = () => {};
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-pressed", String(open));
    box.hidden = !open;
    gaugesBox.hidden = open;
    onToggle();
  });
  return {
    open: () => !box.hidden,
    onToggle(fn) { onToggle = fn; },
    // current is the session on show, for mode shownMode, with its badge's words; cursorT
    // the moment marked in its log, which each column shows at the same time into its own run.
    draw(current, shownMode, badge, now, cursorT, scales) {
      if (box.hidden) return;
      const columns = [];
      for (const mode of sessions.modes) {
        if (mode === shownMode) columns.push({ mode, session: current, source: badge, end: now });
        else if (sessions.yours.has(mode)) columns.push({ mode, session: sessions.yours.get(mode), source: "your last run" });
        else if (sessions.recorded.has(mode)) columns.push({ mode, session: sessions.recorded.get(mode), source: "recorded" });
      }
      for (const c of columns) {
        c.origin = timeOrigin(c.session);
        c.end = c.end === undefined ? c.session.lastT : c.end;
        c.measures = new Map(measures(c.session).map((m) => [m.id, m]));
        c.at = cursorT === null ? Infinity : c.origin + (cursorT - timeOrigin(current));
        c.cursor = cursorT === null ? null : c.at;
      }
      const span = Math.max(3000, ...columns.map((c) => c.end - c.origin));
      const rows = [];
      for (const c of columns) for (const [id, m] of c.measures) if (!rows.some((r) => r.id === id)) rows.push({ id, title: m.title, scale: m.scale });
      const grid = document.createElement("div");
      grid.className = "compare-grid";
      grid.style.setProperty("--columns", String(columns.length));
      for (const c of columns) {
        const head = document.createElement("div");
        head.className = "compare-mode" + (c.mode === shownMode ? " shown" : "");
        head.dataset.mode = c.mode;
        const name = document.createElement("code");
        name.textContent = "bin/" + c.mode;
        const source = document.createElement("span");
        source.textContent = c.source;
        head.append(name, source);
        grid.append(head);
      }
      for (const r of rows) {
        const max = scales[r.scale];
        const title = document.createElement("div");
        title.className = "compare-row";
        title.textContent = r.title + " · " + scaleText(r.scale, max);
        grid.append(title);
        for (const c of columns) {
          const m = c.measures.get(r.id);
          if (!m) {
            const none = document.createElement("div");
            none.className = "gauge none";
            none.textContent = "not counted by bin/" + c.mode;
            grid.append(none);
            continue;
          }
          const cell = gauge(Object.assign({}, m, { name: c.mode + (m.group === "loop" ? " · " + m.name : "") }), max, c.at,
            sparkline(m.points, c.origin, span, max, m.cls, c.cursor));
          cell.dataset.mode = c.mode;
          grid.append(cell);
        }
      }
      const caption = document.createElement("p");
      caption.className = "gauge-caption";
      caption.textContent = "The same scenario on each server, side by side on one time axis: the selected server's session as the panel shows it, " +
        "each other its recording, or your last run of it on this page. " + GAUGE_RULE + " Select a row of the log to see every server at that " +
        "moment of its run; the timeline and the log below are bin/" + shownMode + "'s.";
      box.replaceChildren(caption, grid);
    },
  };
}
