// Applied before first paint. "system" (the default) leaves the choice to prefers-color-scheme.
(function () {
  try {
    var theme = localStorage.getItem("theme");
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  } catch (e) { /* storage may be blocked; the system theme still applies */ }
})();
