// Applied before first paint. "system" (the default) leaves the choice to prefers-color-scheme.
(function () {
  // Our own key: the Django admin keeps its theme under "theme", with other values ("auto").
  var THEME_KEY = "soundboard-theme";
  try {
    var theme = localStorage.getItem(THEME_KEY);
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  } catch (e) { /* storage may be blocked; the system theme still applies */ }
})();
