// Runs before the page paints: apply the reader's chosen theme (if any), so a dark reader
// never sees a white flash. With no choice stored, CSS follows the system.
(function () {
  try {
    var t = localStorage.getItem("theme");
    if (t === "light" || t === "dark") document.documentElement.dataset.theme = t;
  } catch (e) { /* storage may be off; the system theme still applies */ }
})();
