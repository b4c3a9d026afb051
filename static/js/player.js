// Player page: Space toggles play/pause; the current track and the queue follow the shared player live.
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
    // Another room's bar (the person chose another room on another page): its lists, whatever their versions.
    var roomMoved = bar.dataset.room !== seenRoom;
    seenRoom = bar.dataset.room;
    if (list && (roomMoved || (version && list.dataset.tracksVersion !== version))) {
      list.dataset.tracksVersion = version;
      list.dispatchEvent(new CustomEvent("player:tracks-changed"));
    }
    // Likewise the up-next queue: the page asks for it again when its version moved on.
    var queue = document.getElementById("player-queue");
    var queueVersion = bar.dataset.queueVersion;
    if (queue && (roomMoved || (queueVersion && seenQueueVersion !== queueVersion))) {
      seenQueueVersion = queueVersion;
      htmx.trigger(document.body, "player:queue-changed");
    }
  }
  var startBar = document.getElementById("player-bar");
  var seenQueueVersion = startBar ? startBar.dataset.queueVersion : "";
  var seenRoom = startBar ? startBar.dataset.room : "";
  new MutationObserver(highlight).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-index", "data-tracks-version", "data-queue-version", "data-room"] });
  document.addEventListener("keydown", function (e) {
    if (e.code !== "Space" || e.target.closest("input, textarea, select, button, [contenteditable]")) return;
    var toggle = document.querySelector("[data-testid=player-toggle]");
    if (toggle) { e.preventDefault(); toggle.click(); }
  });
})();
