// reorder.js: drag components (within their group) and groups (with their
// members) on /app/components to reorder the status page. Pointer Events, so
// mouse, pen and touch work alike; the handle has touch-action: none so a
// finger drags instead of scrolling. One request saves the whole order
// (POST /api/v1/components/order); the page is then merged again so the row
// forms carry the new versions. Keyboard and no-script users have the Up/Down
// buttons, so the handles stay out of the tab order.
"use strict";

(function () {
  document.documentElement.classList.add("can-drag");

  let drag = null; // {item, list, id} while dragging

  // What a handle drags, and among which siblings it may land.
  function target(handle) {
    const groupRow = handle.closest("tr.group-row");
    if (groupRow) {
      const item = groupRow.closest("tbody");
      return { item: item, list: Array.from(item.parentNode.querySelectorAll("tbody.reorder-section"))
        .filter(function (s) { return s.getAttribute("data-group-id") !== "0"; }) };
    }
    const item = handle.closest("tr.reorder-row");
    return item && { item: item, list: Array.from(item.parentNode.querySelectorAll("tr.reorder-row")) };
  }

  // The sibling the item would land before (null: after the last one).
  function dropBefore(d, y) {
    const others = d.list.filter(function (n) { return n !== d.item; });
    for (let i = 0; i < others.length; i++) {
      const r = others[i].getBoundingClientRect();
      if (y < r.top + r.height / 2) { return others[i]; }
    }
    return null;
  }

  function clearMarks() {
    document.querySelectorAll(".drop-before, .drop-after").forEach(function (n) {
      n.classList.remove("drop-before", "drop-after");
    });
  }

  // Shows where the item lands: a line above that sibling or below the last.
  function mark(d, before) {
    clearMarks();
    const others = d.list.filter(function (n) { return n !== d.item; });
    if (before) { before.classList.add("drop-before"); } else if (others.length) { others[others.length - 1].classList.add("drop-after"); }
  }

  function status(text, bad) {
    const el = document.querySelector(".reorder-status");
    if (el) { el.textContent = text; el.classList.toggle("bad", !!bad); }
  }

  async function save(table) {
    const ids = function (sel, attr) {
      return Array.from(table.querySelectorAll(sel)).map(function (n) { return Number(n.getAttribute(attr)); });
    };
    const body = {
      groups: ids("tbody.reorder-section:not([data-group-id='0'])", "data-group-id"),
      components: ids("tr.reorder-row", "data-id"),
    };
    const meta = document.querySelector("meta[name=csrf-token]");
    status("Saving the order…");
    let msg = "Order saved.", bad = false;
    try {
      const res = await fetch("/api/v1/components/order", {
        method: "POST", credentials: "same-origin", body: JSON.stringify(body),
        headers: { "Content-Type": "application/json", "X-CSRF-Token": meta ? meta.content : "" },
      });
      if (!res.ok) {
        msg = "Error " + res.status;
        try { msg = (await res.json()).error.message || msg; } catch (e) { /* not JSON */ }
        msg = "Not saved: " + msg;
        bad = true;
      }
    } catch (e) {
      msg = "Not saved: " + e.message;
      bad = true;
    }
    // Either way, show what the server has (new versions, or the old
    // order), then say how it went: the merge replaces the status line.
    if (window.HS && HS.refresh) { await HS.refresh(); } else { location.reload(); }
    status(msg, bad);
  }

  function end(ev, bDrop) {
    if (!drag || ev.pointerId !== drag.id) { return; }
    const d = drag;
    drag = null;
    clearMarks();
    d.item.classList.remove("dragging");
    document.body.classList.remove("reordering");
    if (!bDrop || !d.item.isConnected) { return; }
    const before = dropBefore(d, ev.clientY);
    const next = d.item.nextElementSibling;
    const after = d.list.filter(function (n) { return n !== d.item; });
    const to = before || (after.length ? after[after.length - 1].nextElementSibling : null);
    if (to === d.item || to === next) { return; } // dropped where it was
    d.item.parentNode.insertBefore(d.item, to);
    save(d.item.closest("table"));
  }

  document.addEventListener("pointerdown", function (ev) {
    const handle = ev.target.closest && ev.target.closest("[data-drag-handle]");
    if (!handle || drag || ev.button > 0) { return; }
    const t = target(handle);
    if (!t || t.list.length < 2) { return; }
    ev.preventDefault();
    drag = { item: t.item, list: t.list, id: ev.pointerId };
    handle.setPointerCapture(ev.pointerId);
    t.item.classList.add("dragging");
    document.body.classList.add("reordering");
    mark(drag, dropBefore(drag, ev.clientY));
  });

  document.addEventListener("pointermove", function (ev) {
    if (!drag || ev.pointerId !== drag.id) { return; }
    ev.preventDefault();
    // Near the top or bottom edge the page scrolls, so a long list (or a
    // phone's tall cards) can be crossed in one drag.
    const edge = 48;
    if (ev.clientY < edge) { window.scrollBy(0, -16); } else if (ev.clientY > window.innerHeight - edge) { window.scrollBy(0, 16); }
    mark(drag, dropBefore(drag, ev.clientY));
  });

  document.addEventListener("pointerup", function (ev) { end(ev, true); });
  document.addEventListener("pointercancel", function (ev) { end(ev, false); });

  // Escape drops nothing.
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && drag) { end({ pointerId: drag.id, clientY: 0 }, false); }
  });
})();
