// The Soundboard's keys: a bound key (1-9, a-z) plays its sound like a click; "?" opens the shortcuts list.
// Never while typing in a field, and never with Ctrl, Alt or Cmd (those belong to the browser).
(function () {
  "use strict";
  var library = document.querySelector("[data-library]");
  var source = document.getElementById("hotkey-map");
  var dialog = document.getElementById("shortcuts-dialog");
  var keys = {};
  try { keys = JSON.parse(source ? source.textContent : "{}") || {}; } catch (e) { keys = {}; }

  document.body.addEventListener("hotkeysChanged", function (e) {
    if (e.detail && e.detail.map) keys = e.detail.map;
  });
  document.body.addEventListener("boardView", function (e) {
    if (!library || !e.detail || !e.detail.view) return;
    library.dataset.view = e.detail.view;
    document.querySelectorAll("[data-testid=view-toggle] button").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.value === e.detail.view));
    });
  });

  function openShortcuts() {
    if (dialog && !dialog.open) dialog.showModal();
  }

  document.addEventListener("click", function (e) {
    if (dialog && e.target.closest("[data-shortcuts]")) { e.preventDefault(); openShortcuts(); }
  });

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    if (e.target.closest("input, textarea, select, [contenteditable]")) return;
    if (e.key === "?") { e.preventDefault(); openShortcuts(); return; }
    if (dialog && dialog.open) return;
    var key = e.key.length === 1 ? e.key.toLowerCase() : "";
    var soundId = keys[key];
    if (!soundId || !library || !window.htmx) return;
    e.preventDefault();
    var card = document.getElementById("sound-" + soundId);
    if (card) card.classList.add("is-pressed");
    htmx.ajax("POST", library.dataset.playPrefix + soundId + "/", { source: document.body, swap: "none" }).finally(function () {
      if (card) card.classList.remove("is-pressed");
    });
  });
})();
