// timeline.js: the incident page's keyboard shortcuts, live updates from
// the change stream, and inline edits that respect optimistic concurrency.
// The page works without it: every action is also a plain form.
"use strict";

(function () {
  if (!document.getElementById("timeline")) { return; }
  const incidentId = document.getElementById("timeline").dataset.incident;
  function csrf() { return (document.querySelector("input[name=csrf_token]") || {}).value || ""; }
  let selectedId = null;

  function timeline() { return document.getElementById("timeline"); }
  function events() { return Array.from(timeline().querySelectorAll("li.event")); }
  function selected() { return selectedId ? document.getElementById(selectedId) : null; }

  function select(el) {
    const old = selected();
    if (old) { old.classList.remove("is-selected"); }
    selectedId = el ? el.id : null;
    if (el) {
      el.classList.add("is-selected");
      el.focus({ preventScroll: true });
      el.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    const list = events();
    if (!list.length) { return; }
    const i = selected() ? list.indexOf(selected()) : -1;
    select(list[Math.max(0, Math.min(list.length - 1, i + step))]);
  }

  function typing(ev) {
    const t = ev.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev)) { return; }
    const sel = selected();
    if (ev.key === "j") { move(1); } else if (ev.key === "k") { move(-1); } else if (ev.key === "n") {
      const d = document.getElementById("add-note");
      if (d) { d.open = true; d.querySelector("[data-note-body]").focus(); }
    } else if (ev.key === "/") {
      document.querySelector("[data-filter-input]").focus();
    } else if (ev.key === "e" && sel) {
      const d = sel.querySelector(".edit-event");
      if (d) { d.open = true; d.querySelector("input[name=title]").focus(); }
    } else if (ev.key === "m" && sel) {
      const s = sel.querySelector(".mark-form select");
      if (s) { s.focus(); }
    } else { return; }
    ev.preventDefault();
  });

  document.addEventListener("click", function (ev) {
    const li = ev.target.closest("#timeline li.event");
    if (li && !ev.target.closest("form, a, summary, button, select")) { select(li); }
  });
  // After a merge the selection is re-applied to the new element.
  document.addEventListener("hs:content", function () {
    const el = selected();
    if (el) { el.classList.add("is-selected"); }
  });

  // Edits go through the API with If-Match; a 409 shows the other version.
  document.addEventListener("submit", async function (ev) {
    const form = ev.target.closest(".edit-event form");
    if (!form) { return; }
    ev.preventDefault();
    const li = form.closest("li.event");
    const body = {
      ts: form.ts.value, title: form.title.value, body: form.body.value,
    };
    const res = await fetch("/api/v1/events/" + li.dataset.id, {
      method: "PATCH",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf(), "If-Match": '"' + form.elements.version.value + '"' },
      body: JSON.stringify(body),
    });
    const out = await res.json();
    form.querySelectorAll(".form-alert").forEach(function (n) { n.remove(); });
    if (res.ok) {
      form.closest("details").open = false;
      form.reset();
      const page = await fetch(location.pathname + location.search, { cache: "no-store" });
      if (page.ok) { HS.merge(await page.text(), form); }
      return;
    }
    const box = document.createElement("div");
    box.setAttribute("role", "alert");
    if (res.status === 409 && out.current) {
      box.className = "form-alert conflict";
      box.textContent = "Someone else changed this event (theirs: \u201c" + out.current.title + "\u201d at " +
        out.current.ts + "; yours: \u201c" + body.title + "\u201d at " + body.ts + "). ";
      const again = document.createElement("button");
      again.type = "button";
      again.textContent = "Apply my edit to their version";
      again.addEventListener("click", function () {
        // The box may have moved into a merged copy of the form.
        const f = again.closest("form");
        f.elements.version.value = out.current.version;
        f.requestSubmit();
      });
      box.appendChild(again);
    } else {
      box.className = "form-alert alert";
      box.textContent = (out.error && out.error.message) || ("Error " + res.status);
    }
    form.prepend(box);
  }, true);

  // Signals: load their raw lines on demand (toggle does not bubble).
  document.addEventListener("toggle", async function (ev) {
    const d = ev.target;
    if (!d.matches || !d.matches("details.raw-lines") || !d.open || d.dataset.loaded) { return; }
    d.dataset.loaded = "1";
    const res = await fetch(d.dataset.rawUrl);
    if (!res.ok) { return; }
    const out = await res.json();
    const pre = document.createElement("pre");
    pre.textContent = out.lines.map(function (l) { return l.line; }).join("\n") || "(no raw lines)";
    const p = d.querySelector("p");
    if (p) { p.replaceWith(pre); }
  }, true);

  // Live updates: the stream answers with what changed since the last id
  // and the browser reconnects every second; each change merges the page
  // again, keeping whatever is being typed.
  if (window.EventSource) {
    const src = new EventSource("/api/v1/incidents/" + incidentId + "/stream");
    src.addEventListener("change", function () { HS.refresh(); });
  }

  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target && target.classList.contains("event")) { select(target); }
})();

// The upload box: sends the file as the raw body with progress, then shows
// the ingest report and refreshes the timeline.
(function () {
  document.addEventListener("submit", function (ev) {
    const form = ev.target.closest("#upload [data-upload]");
    if (!form) { return; }
    ev.preventDefault();
    const box = document.getElementById("upload");
    const bar = form.querySelector("progress");
    const out = box.querySelector("[data-upload-report]");
    const csrf = (document.querySelector("input[name=csrf_token]") || {}).value || "";
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
        const msg = "Accepted " + res.accepted + ", duplicates " + res.duplicates +
          ", rejected " + res.rejected +
          (res.errors && res.errors.length ? " (line " + res.errors[0].line + ": " + res.errors[0].reason + ")" : "") +
          ".";
        out.textContent = msg;
        // The merge renders the box anew: put the report back after it.
        HS.refresh().then(function () {
          const now = document.querySelector("#upload [data-upload-report]");
          if (now) { now.textContent = msg; }
        });
      } else {
        out.textContent = (res.error && res.error.message) || ("Upload failed: " + xhr.status);
      }
    };
    xhr.onerror = function () { out.textContent = "Upload failed: network error"; };
    xhr.send(file);
  });
})();
