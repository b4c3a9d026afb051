// Player page: Space toggles play/pause; the current track follows the shared player live.
(function () {
  "use strict";
  function highlight() {
    var bar = document.getElementById("player-bar");
    if (!bar) return;
    var current = bar.dataset.index;
    document.querySelectorAll("[data-track-index]").forEach(function (li) {
      li.classList.toggle("is-current", li.dataset.trackIndex === current);
    });
    // The player publishes the tracks' version, not the tracks: fetch the list again when it moved on.
    var list = document.getElementById("player-tracks");
    var version = bar.dataset.tracksVersion;
    if (list && version && list.dataset.tracksVersion !== version) {
      list.dataset.tracksVersion = version;
      list.dispatchEvent(new CustomEvent("player:tracks-changed"));
    }
  }
  new MutationObserver(highlight).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-index", "data-tracks-version"] });
  document.addEventListener("keydown", function (e) {
    if (e.code !== "Space" || e.target.closest("input, textarea, select, button, [contenteditable]")) return;
    var toggle = document.querySelector("[data-testid=player-toggle]");
    if (toggle) { e.preventDefault(); toggle.click(); }
  });
})();
