// Sortable lists (a playlist, the up-next queue): drag and drop with a mouse, or by the handle with a finger;
// the up/down buttons do the same from the keyboard. The new order is posted to the list's data-sortable URL.
(function () {
  "use strict";
  var dragged = null;

  function place(over, clientY) {
    if (!dragged || !over || over === dragged || over.parentNode !== dragged.parentNode) return false;
    var rect = over.getBoundingClientRect();
    var after = clientY > rect.top + rect.height / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
    return true;
  }

  function drop() {
    if (!dragged) return;
    var list = dragged.parentNode;
    dragged.classList.remove("is-dragging");
    dragged = null;
    var url = list.dataset.sortable;
    if (!url) return;
    var ids = Array.prototype.map.call(list.querySelectorAll(".playlist__item"), function (li) { return li.dataset.item; });
    var target = list.dataset.sortableTarget || "#playlist-items";
    htmx.ajax("POST", url, { target: target, swap: "outerHTML", values: { item: ids } });
  }

  document.addEventListener("dragstart", function (e) {
    var item = e.target.closest && e.target.closest(".playlist__item[draggable=true]");
    if (!item) return;
    dragged = item;
    item.classList.add("is-dragging");
    e.dataTransfer.effectAllowed = "move";
  });

  document.addEventListener("dragover", function (e) {
    var over = e.target.closest && e.target.closest(".playlist__item");
    if (place(over, e.clientY)) e.preventDefault();
  });

  document.addEventListener("dragend", drop);

  // Touch: HTML drag and drop needs a mouse, so a finger drags by the handle with pointer events.
  document.addEventListener("pointerdown", function (e) {
    if (e.pointerType === "mouse") return;
    var handle = e.target.closest && e.target.closest("[data-drag-handle]");
    var item = handle && handle.closest(".playlist__item");
    if (!item) return;
    e.preventDefault();
    dragged = item;
    item.classList.add("is-dragging");
    try { handle.setPointerCapture(e.pointerId); } catch (err) { /* the moves still reach the handle */ }
    function move(ev) {
      var under = document.elementFromPoint(ev.clientX, ev.clientY);
      place(under && under.closest(".playlist__item"), ev.clientY);
    }
    function end() {
      handle.removeEventListener("pointermove", move);
      handle.removeEventListener("pointerup", end);
      handle.removeEventListener("pointercancel", end);
      drop();
    }
    handle.addEventListener("pointermove", move);
    handle.addEventListener("pointerup", end);
    handle.addEventListener("pointercancel", end);
  });
})();
