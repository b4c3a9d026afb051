// Starts ReDoc on /api/redoc from a file, not an inline script (the site's CSP allows none).
(function () {
  "use strict";
  var element = document.getElementById("redoc");
  Redoc.init(element.dataset.schemaUrl, { hideDownloadButton: false, expandResponses: "200,201,202,204" }, element);
})();
