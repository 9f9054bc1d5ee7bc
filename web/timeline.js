// timeline.js: the incident page's keyboard shortcuts, live updates from
// the change stream, and inline edits that respect optimistic concurrency.
// The page works without it: every action is also a plain form.
"use strict";

(function () {
  const timeline = document.getElementById("timeline");
  if (!timeline) { return; }
  const incidentId = timeline.dataset.incident;
  const csrf = (document.querySelector("input[name=csrf_token]") || {}).value || "";
  let selected = null;
  let editing = false;

  function events() { return Array.from(timeline.querySelectorAll("li.event")); }

  function select(el) {
    if (selected) { selected.classList.remove("is-selected"); }
    selected = el;
    if (el) {
      el.classList.add("is-selected");
      el.focus({ preventScroll: true });
      el.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    const list = events();
    if (!list.length) { return; }
    const i = selected ? list.indexOf(selected) : -1;
    select(list[Math.max(0, Math.min(list.length - 1, i + step))]);
  }

  function typing(ev) {
    const t = ev.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    if (ev.key === "Escape") {
      document.getElementById("keys-help").hidden = true;
      return;
    }
    if (typing(ev)) { return; }
    if (ev.key === "j") { move(1); } else if (ev.key === "k") { move(-1); } else if (ev.key === "n") {
      const d = document.getElementById("add-note");
      if (d) { d.open = true; d.querySelector("[data-note-body]").focus(); }
    } else if (ev.key === "/") {
      document.querySelector("[data-filter-input]").focus();
    } else if (ev.key === "e" && selected) {
      const d = selected.querySelector(".edit-event");
      if (d) { d.open = true; d.querySelector("input[name=title]").focus(); }
    } else if (ev.key === "m" && selected) {
      const s = selected.querySelector(".mark-form select");
      if (s) { s.focus(); }
    } else if (ev.key === "?") {
      const h = document.getElementById("keys-help");
      h.hidden = !h.hidden;
    } else { return; }
    ev.preventDefault();
  });

  timeline.addEventListener("click", function (ev) {
    const li = ev.target.closest("li.event");
    if (li && !ev.target.closest("form, a, summary, button, select")) { select(li); }
  });
  timeline.addEventListener("focusin", function (ev) {
    if (ev.target.closest(".edit-event, .add-note")) { editing = true; }
  });

  // Edits go through the API with If-Match; a 409 shows the other version.
  timeline.querySelectorAll(".edit-event form").forEach(function (form) {
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      const li = form.closest("li.event");
      const body = {
        ts: form.ts.value, title: form.title.value, body: form.body.value,
      };
      const res = await fetch("/api/v1/events/" + li.dataset.id, {
        method: "PATCH",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "If-Match": '"' + li.dataset.version + '"' },
        body: JSON.stringify(body),
      });
      const out = await res.json();
      form.querySelectorAll(".conflict, .alert").forEach(function (n) { n.remove(); });
      if (res.ok) { location.hash = "e" + li.dataset.id; location.reload(); return; }
      const box = document.createElement("div");
      if (res.status === 409 && out.current) {
        box.className = "conflict";
        box.textContent = "Someone else changed this event (now: \u201c" + out.current.title + "\u201d at " +
          out.current.ts + "). ";
        const again = document.createElement("button");
        again.type = "button";
        again.textContent = "Apply my edit to their version";
        again.addEventListener("click", function () {
          li.dataset.version = out.current.version;
          form.requestSubmit();
        });
        box.appendChild(again);
      } else {
        box.className = "alert";
        box.textContent = (out.error && out.error.message) || ("Error " + res.status);
      }
      form.prepend(box);
    });
  });

  // Signals: load their raw lines on demand.
  timeline.querySelectorAll("details.raw-lines").forEach(function (d) {
    d.addEventListener("toggle", async function () {
      if (!d.open || d.dataset.loaded) { return; }
      d.dataset.loaded = "1";
      const res = await fetch(d.dataset.rawUrl);
      if (!res.ok) { return; }
      const out = await res.json();
      const pre = document.createElement("pre");
      pre.textContent = out.lines.map(function (l) { return l.line; }).join("\n") || "(no raw lines)";
      d.querySelector("p").replaceWith(pre);
    });
  });

  // Live updates: the stream answers with what changed since the last id
  // and the browser reconnects every second.
  if (window.EventSource) {
    const src = new EventSource("/api/v1/incidents/" + incidentId + "/stream");
    src.addEventListener("change", function () {
      if (editing) {
        document.getElementById("live-banner").hidden = false;
      } else {
        sessionStorage.setItem("hindsight.scroll", String(window.scrollY));
        location.reload();
      }
    });
    const y = sessionStorage.getItem("hindsight.scroll");
    if (y) { sessionStorage.removeItem("hindsight.scroll"); window.scrollTo(0, parseInt(y, 10)); }
  }
  const reload = document.querySelector("[data-reload]");
  if (reload) { reload.addEventListener("click", function (ev) { ev.preventDefault(); location.reload(); }); }

  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target && target.classList.contains("event")) { select(target); }
})();

// The upload box: sends the file as the raw body with progress, then shows
// the ingest report and refreshes the timeline.
(function () {
  const box = document.getElementById("upload");
  if (!box) { return; }
  const form = box.querySelector("[data-upload]");
  const bar = form.querySelector("progress");
  const out = box.querySelector("[data-upload-report]");
  const csrf = (document.querySelector("input[name=csrf_token]") || {}).value || "";
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const file = form.file.files[0];
    if (!file) { return; }
    const url = "/api/v1/incidents/" + box.dataset.incident + "/ingest?format=" +
      encodeURIComponent(form.format.value) +
      (form.source.value ? "&source=" + encodeURIComponent(form.source.value) : "");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    bar.hidden = false;
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { bar.value = Math.round(e.loaded * 100 / e.total); }
    };
    xhr.onload = function () {
      let res = {};
      try { res = JSON.parse(xhr.responseText); } catch (e) { res = {}; }
      if (xhr.status === 200) {
        out.textContent = "Accepted " + res.accepted + ", duplicates " + res.duplicates +
          ", rejected " + res.rejected +
          (res.errors && res.errors.length ? " (line " + res.errors[0].line + ": " + res.errors[0].reason + ")" : "") +
          ". Refreshing…";
        setTimeout(function () { location.reload(); }, 1200);
      } else {
        out.textContent = (res.error && res.error.message) || ("Upload failed: " + xhr.status);
      }
    };
    xhr.onerror = function () { out.textContent = "Upload failed: network error"; };
    xhr.send(file);
  });
})();
