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

  // Upload progress bar from the browser's own upload events.
  document.body.addEventListener("htmx:xhr:progress", function (e) {
    var form = e.target.closest && e.target.closest("[data-upload-form]");
    if (!form || !e.detail.lengthComputable) return;
    var bar = form.querySelector("[data-upload-progress]");
    if (bar) { bar.hidden = false; bar.value = Math.round((e.detail.loaded / e.detail.total) * 100); }
  });
})();
