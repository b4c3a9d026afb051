// Playlist page: drag and drop to reorder (the up/down buttons do the same from the keyboard).
(function () {
  "use strict";
  var dragged = null;

  document.addEventListener("dragstart", function (e) {
    var item = e.target.closest && e.target.closest(".playlist__item[draggable=true]");
    if (!item) return;
    dragged = item;
    item.classList.add("is-dragging");
    e.dataTransfer.effectAllowed = "move";
  });

  document.addEventListener("dragover", function (e) {
    var over = e.target.closest && e.target.closest(".playlist__item");
    if (!dragged || !over || over === dragged || over.parentNode !== dragged.parentNode) return;
    e.preventDefault();
    var rect = over.getBoundingClientRect();
    var after = e.clientY > rect.top + rect.height / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });

  document.addEventListener("dragend", function () {
    if (!dragged) return;
    var list = dragged.parentNode;
    dragged.classList.remove("is-dragging");
    dragged = null;
    var url = list.dataset.sortable;
    if (!url) return;
    var ids = Array.prototype.map.call(list.querySelectorAll(".playlist__item"), function (li) { return li.dataset.item; });
    htmx.ajax("POST", url, { target: "#playlist-items", swap: "outerHTML", values: { item: ids } });
  });
})();
