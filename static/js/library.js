// The soundboard page: "/" to search, in-browser preview, upload progress, refresh after changes.
(function () {
  "use strict";
  var audio = document.getElementById("preview-audio");
  var library = document.querySelector("[data-library]");
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
      // A card's button names no address (bytes in every card): the board knows the prefix, the card its id.
      var card = btn.closest("[data-sound-id]");
      audio.src = btn.dataset.preview || (library.dataset.previewPrefix + card.dataset.soundId + "/preview");
      audio.play().then(function () { setPlaying(btn); }).catch(function () {
        window.soundboardToast && window.soundboardToast("Your browser could not play this preview.", "error");
      });
      return;
    }
  });
  if (audio) audio.addEventListener("ended", function () { setPlaying(null); });

  // --- The cards' one form ------------------------------------------------------------------------------
  // A card's play and star buttons submit the board's #card-actions form (it holds the CSRF token once) to their
  // own formaction: that is how they work without JavaScript. With it, each press is an htmx request of its own,
  // from its button: two quick presses on two cards run side by side, and the pressed button shows it is busy.
  document.addEventListener("submit", function (e) {
    var button = e.submitter;
    if (!window.htmx || e.target.id !== "card-actions" || !button) return;
    e.preventDefault();
    htmx.ajax("POST", button.getAttribute("formaction"), { source: button, swap: "none" });
  });

  // --- The board's one menu -----------------------------------------------------------------------------
  // Cards carry no menus: a card's ☰ or ⋯ is a link to the sound's menu page (without JavaScript). Here it opens
  // the board's single menu under that card instead, filled by the server with that sound's part of the page.
  var menu = null;
  var opener = null;

  function closeMenu(refocus) {
    if (!menu) return;
    var had = menu.contains(document.activeElement);
    menu.remove();
    if (opener) {
      opener.setAttribute("aria-expanded", "false");
      if ((refocus || had) && document.contains(opener)) opener.focus();
    }
    menu = null;
    opener = null;
  }

  function openMenu(link) {
    closeMenu(false);
    opener = link;
    menu = document.createElement("div");
    menu.className = "menu menu--card";
    menu.id = "card-menu";
    menu.dataset.testid = "card-menu";
    var panel = document.createElement("div");
    panel.className = "menu__panel";
    menu.appendChild(panel);
    link.after(menu);
    link.setAttribute("aria-expanded", "true");
    link.setAttribute("aria-controls", "card-menu");
    var url = link.getAttribute("href").split("#")[0] + "?part=" + encodeURIComponent(link.dataset.cardMenu);
    htmx.ajax("GET", url, { source: link, target: panel, swap: "innerHTML" }).then(function () {
      if (panel.isConnected && window.soundboardPlaceMenu) window.soundboardPlaceMenu(menu);
    });
  }

  document.addEventListener("click", function (e) {
    var link = e.target.closest("[data-card-menu]");
    if (link && window.htmx) {
      e.preventDefault();
      if (link === opener) closeMenu(false);
      else openMenu(link);
      return;
    }
    if (menu && !menu.contains(e.target)) closeMenu(false);
  });
  // An action taken in the menu closes it once the server took it (its toast says what happened); a refusal (a
  // key already bound: 400 and 409 count as answers here, see app.js) leaves it open to try again.
  document.body.addEventListener("htmx:afterRequest", function (e) {
    var status = e.detail.xhr ? e.detail.xhr.status : 0;
    if (menu && status >= 200 && status < 300 && menu.contains(e.detail.elt)) closeMenu(false);
  });
  // A list re-read from the server (a filter, a live change) takes the card, and so the menu, away.
  document.body.addEventListener("htmx:afterSwap", function () {
    if (menu && !menu.isConnected) { menu = null; opener = null; }
  });

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && menu) {
      // Closing the menu is all this Escape does (the stop-all key below stands back).
      e.preventDefault();
      closeMenu(true);
      return;
    }
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

  // A live change of the list (a sound added, renamed or removed, here or elsewhere: "library:refresh") re-reads
  // the list with its filters ("library:apply"). Not while the pointer or the focus is in the grid, or a card's
  // menu is open: cards would move under them. Then a pill says so, and the list follows when the pointer and the
  // focus leave the grid, or on the pill's press. The person's own rename or delete applies at once.
  var pill = document.querySelector("[data-library-pending]");
  var pending = false;
  var ownChange = 0;
  function inGrid() {
    var results = document.getElementById("results");
    if (!results) return false;
    return results.matches(":hover") || results.contains(document.activeElement) || !!results.querySelector("#card-menu");
  }
  function applyChange() {
    pending = false;
    if (pill) pill.hidden = true;
    htmx.trigger(document.body, "library:apply");
  }
  document.body.addEventListener("library:refresh", function () {
    if (!inGrid() || Date.now() - ownChange < 5000) { applyChange(); return; }
    pending = true;
    if (pill) pill.hidden = false;
  });
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    var path = (e.detail.requestConfig && e.detail.requestConfig.path) || "";
    if (/\/sounds\/\d+\/(rename|delete)\//.test(path)) ownChange = Date.now();
  });
  function maybeApply() { if (pending && !inGrid()) applyChange(); }
  document.addEventListener("pointerover", maybeApply);
  document.addEventListener("focusin", maybeApply);
  document.addEventListener("click", maybeApply); // after a click a card's menu may have closed
  if (pill) pill.addEventListener("click", applyChange);

  // Upload progress bar from the browser's own upload events.
  document.body.addEventListener("htmx:xhr:progress", function (e) {
    var form = e.target.closest && e.target.closest("[data-upload-form]");
    if (!form || !e.detail.lengthComputable) return;
    var bar = form.querySelector("[data-upload-progress]");
    if (bar) { bar.hidden = false; bar.value = Math.round((e.detail.loaded / e.detail.total) * 100); }
  });
})();
