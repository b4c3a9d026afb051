// Page behaviour shared by every screen: theme, navigation drawer, toasts, live-channel recovery.
(function () {
  "use strict";

  var THEMES = ["system", "light", "dark"];
  // Our own key: the Django admin keeps its theme under "theme", with other values ("auto").
  var THEME_KEY = "soundboard-theme";

  function currentTheme() {
    try { return localStorage.getItem(THEME_KEY) || "system"; } catch (e) { return "system"; }
  }

  function applyTheme(theme) {
    if (theme === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    try { localStorage.setItem(THEME_KEY, theme); } catch (e) { /* ignore */ }
    document.querySelectorAll("[data-theme-toggle]").forEach(function (btn) {
      btn.setAttribute("aria-label", "Theme: " + theme + " (click to change)");
      btn.title = "Theme: " + theme;
      var label = btn.querySelector("[data-theme-label]");
      if (label) label.textContent = "Theme: " + theme;
    });
  }

  // --- Toasts ------------------------------------------------------------------------------------------
  var TOAST_MS = 5000;

  function scheduleRemoval(toast) {
    if (toast.dataset.scheduled) return;
    toast.dataset.scheduled = "1";
    var remove = function () {
      toast.classList.add("is-leaving");
      setTimeout(function () { toast.remove(); }, 200);
    };
    var timer = setTimeout(remove, toast.classList.contains("toast--error") ? TOAST_MS * 2 : TOAST_MS);
    toast.addEventListener("click", function () { clearTimeout(timer); remove(); });
  }

  function showToast(message, level) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var toast = document.createElement("div");
    toast.className = "toast toast--" + (level || "info");
    toast.setAttribute("role", level === "error" ? "alert" : "status");
    toast.textContent = message; // never innerHTML: messages may contain user text
    box.appendChild(toast);
  }
  window.soundboardToast = showToast;

  function watchToasts() {
    var box = document.getElementById("toasts");
    if (!box) return;
    box.querySelectorAll(".toast").forEach(scheduleRemoval);
    new MutationObserver(function () {
      box.querySelectorAll(".toast").forEach(scheduleRemoval);
    }).observe(box, { childList: true, subtree: true });
  }

  // --- Navigation drawer (phones) -------------------------------------------------------------------------
  function setDrawer(open) {
    document.body.classList.toggle("drawer-open", open);
    document.querySelectorAll("[data-sidebar-toggle]").forEach(function (b) { b.setAttribute("aria-expanded", String(open)); });
    var backdrop = document.querySelector("[data-sidebar-close]");
    if (backdrop) backdrop.hidden = !open;
  }

  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-theme-toggle]");
    if (t) {
      applyTheme(THEMES[(THEMES.indexOf(currentTheme()) + 1) % THEMES.length]);
      return;
    }
    if (e.target.closest("[data-sidebar-toggle]")) {
      e.preventDefault(); // the link's #sidebar is for pages without JavaScript
      setDrawer(!document.body.classList.contains("drawer-open"));
      return;
    }
    if (e.target.closest(".sidebar__close")) { e.preventDefault(); setDrawer(false); return; }
    if (e.target.closest("[data-sidebar-close]")) { setDrawer(false); return; }
    var copy = e.target.closest("[data-copy]");
    if (copy) {
      var input = document.querySelector(copy.dataset.copy);
      if (input && navigator.clipboard) {
        navigator.clipboard.writeText(input.value).then(function () { showToast("Copied.", "success"); });
      } else if (input) { input.select(); }
      return;
    }
    // A click outside an open menu closes it.
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(e.target)) menu.removeAttribute("open");
    });
  });

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      var open = document.querySelectorAll("details.menu[open]");
      // Closing a menu or the drawer is all this Escape does; pages see defaultPrevented and stand back.
      if (open.length || document.body.classList.contains("drawer-open")) e.preventDefault();
      setDrawer(false);
      open.forEach(function (m) { m.removeAttribute("open"); });
    }
  });

  // --- Menus stay on screen ---------------------------------------------------------------------------------
  // A card's menu on the last row opened under the sticky player bar: it opens upwards when there is more room
  // above it (below the top bar) than below it (above the player bar), and when it fits neither way the page
  // scrolls just enough to show it. On a phone a panel wider than the space beside its button ran off the
  // screen's side: it slides back in.
  var EDGE = 8;
  function placeMenu(menu) {
    menu.classList.remove("menu--up");
    var panel = menu.querySelector(".menu__panel");
    if (!panel) return;
    panel.style.right = "";
    var bar = document.getElementById("player-bar");
    var top = menu.closest(".topbar") ? null : document.querySelector(".topbar"); // the top bar's own menus hang from it
    var floor = Math.min(bar ? bar.getBoundingClientRect().top : window.innerHeight, window.innerHeight);
    var ceiling = top ? top.getBoundingClientRect().bottom : 0;
    var rect = panel.getBoundingClientRect();
    if (rect.bottom > floor && menu.getBoundingClientRect().top - ceiling > floor - rect.top) {
      menu.classList.add("menu--up");
      rect = panel.getBoundingClientRect();
    }
    if (rect.top < ceiling) window.scrollBy(0, rect.top - ceiling - EDGE);
    else if (rect.bottom > floor) window.scrollBy(0, Math.min(rect.bottom - floor + EDGE, rect.top - ceiling - EDGE));
    var width = document.documentElement.clientWidth;
    if (rect.left < EDGE) panel.style.right = (rect.left - EDGE) + "px";
    else if (rect.right > width - EDGE) panel.style.right = (rect.right - width + EDGE) + "px";
  }
  window.soundboardPlaceMenu = placeMenu;

  document.addEventListener("toggle", function (e) {
    var menu = e.target;
    if (menu instanceof HTMLDetailsElement && menu.classList.contains("menu") && menu.open) placeMenu(menu);
  }, true);

  // --- Morphing swaps ------------------------------------------------------------------------------------------
  // hx-swap="morph" (and hx-swap-oob="morph") update the element in place instead of replacing it: the player
  // bar changes every second while music plays, and replacing it took the focus and the pointer's hover from
  // whatever control the user was on (ten arrow presses on the volume slider moved it by one).
  function sameKind(a, b) {
    return a.nodeType === b.nodeType && a.nodeName === b.nodeName &&
      (a.nodeType !== 1 || (a.id || "") === (b.id || ""));
  }

  function busy(el) {
    // The user is on it: typing into it, or holding the pointer on it.
    return el === document.activeElement || el.matches(":active");
  }

  function morphAttributes(from, to) {
    var keep = busy(from) && (from.tagName === "INPUT" || from.tagName === "SELECT");
    Array.prototype.slice.call(from.attributes).forEach(function (attr) {
      if (!to.hasAttribute(attr.name)) from.removeAttribute(attr.name);
    });
    Array.prototype.forEach.call(to.attributes, function (attr) {
      if (keep && attr.name === "value") return;
      if (from.getAttribute(attr.name) !== attr.value) from.setAttribute(attr.name, attr.value);
    });
    // An input's shown value is its property, not its attribute; a control the user is on keeps theirs.
    if (!keep && (from.tagName === "INPUT" || from.tagName === "SELECT") && from.value !== to.value) {
      if (from.tagName === "SELECT") {
        var chosen = to.querySelector("option[selected]");
        from.value = chosen ? chosen.value : to.value;
      } else {
        from.value = to.value;
      }
    }
  }

  function morph(from, to) {
    if (from.nodeType === 3 || from.nodeType === 8) {
      if (from.nodeValue !== to.nodeValue) from.nodeValue = to.nodeValue;
      return;
    }
    morphAttributes(from, to);
    var oldKids = Array.prototype.slice.call(from.childNodes);
    var newKids = Array.prototype.slice.call(to.childNodes);
    newKids.forEach(function (child, i) {
      var old = oldKids[i];
      if (!old) from.appendChild(child);
      else if (sameKind(old, child)) morph(old, child);
      else from.replaceChild(child, old);
    });
    oldKids.slice(newKids.length).forEach(function (child) { child.remove(); });
  }

  if (window.htmx) {
    htmx.defineExtension("morph", {
      isInlineSwap: function (style) { return style === "morph"; },
      handleSwap: function (style, target, fragment) {
        if (style !== "morph") return false;
        var next = fragment.firstElementChild;
        if (!next) return false;
        if (!sameKind(target, next)) { target.replaceWith(next); return [next]; }
        morph(target, next);
        return [target];
      },
    });
  }

  // --- htmx ----------------------------------------------------------------------------------------------
  document.addEventListener("htmx:configRequest", function () { /* CSRF travels via hx-headers on <body> */ });

  // A search box typed into before the scripts were ready (a slow phone), or filled in again by the browser on
  // Back, holds words no request was sent for: htmx counts them as already seen. Search for them once it is
  // ready (this listener runs after htmx's own, which was added first).
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.htmx) return;
    document.querySelectorAll("input[type=search][hx-trigger~=search]").forEach(function (box) {
      if (box.value !== box.defaultValue) htmx.trigger(box, "search");
    });
  });

  document.body.addEventListener("toasts", function (e) {
    var list = (e.detail && e.detail.value) || [];
    list.forEach(function (t) { showToast(t.message, t.level); });
  });

  document.body.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr;
    if (xhr.getResponseHeader("HX-Trigger")) return; // the server sent its own message
    var messages = { 403: "You are not allowed to do that.", 404: "That no longer exists.", 429: "Slow down a little and try again." };
    showToast(messages[xhr.status] || "Something went wrong (" + xhr.status + "). Try again.", "error");
  });
  document.body.addEventListener("htmx:sendError", function () {
    showToast("The server can't be reached. Check your connection.", "error");
  });

  // The live channel reconnects by itself (with backoff); after a reconnect the page may have missed events,
  // so it asks the server for every live part again.
  var opened = 0;
  document.body.addEventListener("htmx:wsOpen", function () {
    opened += 1;
    document.body.classList.remove("is-offline");
    if (opened > 1) htmx.trigger(document.body, "live:reconnected");
  });
  // A socket the server closed because the account was disabled (4403) or the session ended (4401) will not
  // come back: say so and go to the sign-in page instead of "reconnecting" forever. Any other close may be a
  // network drop, or a reconnect refused for the same reasons: ask the server whether we are still signed in.
  var signedOut = false;
  function showSignedOut(disabled) {
    if (signedOut) return;
    signedOut = true;
    document.body.classList.remove("is-offline");
    var note = document.createElement("div");
    note.className = "signed-out";
    note.setAttribute("role", "alert");
    note.dataset.testid = "signed-out";
    note.textContent = disabled
      ? "Your account has been disabled, so you have been signed out."
      : "You have been signed out.";
    var link = document.createElement("a");
    link.href = "/accounts/login/?next=" + encodeURIComponent(location.pathname);
    link.textContent = "Sign in";
    note.appendChild(document.createTextNode(" "));
    note.appendChild(link);
    document.body.appendChild(note);
    setTimeout(function () { location.assign(link.href); }, 3000);
  }
  function stillSignedIn() {
    fetch("/live/refresh/", { headers: { "HX-Request": "true" }, redirect: "manual", credentials: "same-origin" })
      .then(function (r) {
        if (r.type === "opaqueredirect" || r.headers.get("HX-Redirect") || r.status === 401 || r.status === 403) {
          showSignedOut(false);
        }
      })
      .catch(function () { /* the network is down: keep reconnecting */ });
  }
  document.body.addEventListener("htmx:wsClose", function (e) {
    var code = e.detail && e.detail.event ? e.detail.event.code : 0;
    if (code === 4403 || code === 4401) { showSignedOut(code === 4403); return; }
    document.body.classList.add("is-offline");
    stillSignedIn();
  });

  // A live event can ask the page to refresh some part: it appends <span data-trigger="name"> to
  // #live-triggers, and elements listening with hx-trigger="name from:body" re-fetch themselves.
  function watchLiveTriggers() {
    var box = document.getElementById("live-triggers");
    if (!box) return;
    new MutationObserver(function () {
      box.querySelectorAll("[data-trigger]").forEach(function (marker) {
        var name = marker.dataset.trigger;
        marker.remove();
        if (window.htmx && name) htmx.trigger(document.body, name, Object.assign({}, marker.dataset));
      });
    }).observe(box, { childList: true });
  }

  // --- Rooms ----------------------------------------------------------------------------------------------
  // The person chose another room, here or on another page: this page's bar and switcher follow it (the page
  // that chose reloads itself; it already shows the room).
  document.body.addEventListener("room:chosen", function (e) {
    var room = e.detail && e.detail.room;
    if (!room || room === document.body.dataset.room) return;
    document.body.dataset.room = room;
    htmx.trigger(document.body, "room:changed");
  });
  // The switcher's list says what each room plays: read it again as the menu opens (the page may be old).
  document.addEventListener("toggle", function (e) {
    var menu = e.target;
    if (menu instanceof HTMLDetailsElement && menu.open && menu.id === "room-switcher" && window.htmx) {
      var list = document.getElementById("room-list");
      if (list) htmx.trigger(list, "rooms:open");
    }
  }, true);

  function init() {
    if (window.htmx) {
      // Forms come back with their reasons on 400 (invalid), 409 (duplicate) and 413 (too large), so those
      // responses are swapped like successes.
      htmx.config.responseHandling = [
        { code: "204", swap: false },
        { code: "[23]..", swap: true },
        { code: "40[09]", swap: true, error: false },
        { code: "413", swap: true, error: false },
        { code: "[45]..", swap: false, error: true },
      ];
    }
    applyTheme(currentTheme());
    watchToasts();
    watchLiveTriggers();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
