// The soundboard page: "/" to search, in-browser preview, upload progress, refresh after changes.
(function () {
  "use strict";
  var audio = document.getElementById("preview-audio");
  var playing = null;

  function setPlaying(button) {
    if (playing) playing.classList.remove("is-previewing");
    playing = button;
    if (button) button.classList.add("is-previewing");
  }

  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-preview]");
    if (btn && audio) {
      if (playing === btn && !audio.paused) {
        audio.pause();
        setPlaying(null);
        return;
      }
      audio.src = btn.dataset.preview;
      audio.play().then(function () { setPlaying(btn); }).catch(function () {
        window.soundboardToast && window.soundboardToast("Your browser could not play this preview.", "error");
      });
      return;
    }
  });
  if (audio) audio.addEventListener("ended", function () { setPlaying(null); });

  document.addEventListener("keydown", function (e) {
    var typing = e.target.closest("input, textarea, select, [contenteditable]");
    if (e.key === "Escape" && !typing && !e.defaultPrevented) {
      var stop = document.getElementById("stop-all-form");
      if (stop) htmx.trigger(stop, "submit");
      return;
    }
    if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey) {
      var search = document.getElementById("sound-search");
      if (search) { e.preventDefault(); search.focus(); search.select(); }
    }
  });

  // Cooldowns: a card whose sound was just played counts down until it can play again (the server refuses
  // earlier plays anyway; this only shows the wait). The end time comes from the server, on the card or live.
  function tickCooldowns() {
    var now = Date.now();
    document.querySelectorAll("[data-cooldown-until]").forEach(function (el) {
      var left = Math.ceil((Date.parse(el.dataset.cooldownUntil) - now) / 1000);
      var card = el.closest(".sound-card");
      if (!(left > 0)) {
        el.removeAttribute("data-cooldown-until");
        el.textContent = "";
        el.removeAttribute("title");
        if (card) card.classList.remove("is-cooling");
        return;
      }
      var text = left >= 60 ? Math.floor(left / 60) + " min " + (left % 60) + " s" : left + " s";
      el.textContent = "Wait " + text;
      el.title = "Can play again in " + text;
      if (card) card.classList.add("is-cooling");
    });
  }
  tickCooldowns();
  setInterval(tickCooldowns, 1000);
  document.body.addEventListener("htmx:oobAfterSwap", tickCooldowns);
  document.body.addEventListener("htmx:afterSwap", tickCooldowns);

  // Upload progress bar from the browser's own upload events.
  document.body.addEventListener("htmx:xhr:progress", function (e) {
    var form = e.target.closest && e.target.closest("[data-upload-form]");
    if (!form || !e.detail.lengthComputable) return;
    var bar = form.querySelector("[data-upload-progress]");
    if (bar) { bar.hidden = false; bar.value = Math.round((e.detail.loaded / e.detail.total) * 100); }
  });
})();
