// The whole book's page shows each chapter's Run panel as a figure: its recorded session
// at its end, gauges and timeline, drawn by the panel's own modules; nothing to press.
// (The export joins this module and those it imports into one classic script.)

import { Session } from "./run/fold.js";
import { drawGauges } from "./run/gauges.js";
import { scalesFor } from "./run/measures.js";
import { drawLegend, drawTimeline } from "./run/timeline.js";

for (const figure of document.querySelectorAll("figure[data-recorded-run]")) {
  const session = new Session();
  for (const e of JSON.parse(figure.querySelector("script[data-recording]").textContent)) session.add(e);
  const scales = scalesFor([session]);
  const draw = () => {
    drawTimeline(figure.querySelector("[data-timeline]"), session, session.lastT, null, scales);
    drawGauges(figure.querySelector("[data-gauges]"), session, session.lastT, null, scales);
  };
  drawLegend(figure.querySelector("[data-legend]"));
  draw();
  addEventListener("resize", draw);
  document.addEventListener("themechange", draw);
}
