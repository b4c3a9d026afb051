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
  }
  new MutationObserver(highlight).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-index"] });
  document.addEventListener("keydown", function (e) {
    if (e.code !== "Space" || e.target.closest("input, textarea, select, button, [contenteditable]")) return;
    var toggle = document.querySelector("[data-testid=player-toggle]");
    if (toggle) { e.preventDefault(); toggle.click(); }
  });
})();
