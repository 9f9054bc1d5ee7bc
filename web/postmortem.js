// postmortem.js: the postmortem editor. Live preview (rendered by the
// server's Markdown wrapper, debounced), blameless-wording hints, and
// autosave of the body with If-Match every few seconds while it changes.
// A 409 (someone else saved) stops autosave and says so; nothing is lost
// from the textarea. Without this script the form still saves.
"use strict";

(function () {
  const PREVIEW_DELAY_MS = 400;
  const AUTOSAVE_EVERY_MS = 5000;

  document.addEventListener("DOMContentLoaded", function () {
    const form = document.getElementById("pm-form");
    const body = document.getElementById("pm-body");
    const preview = document.getElementById("pm-preview");
    const state = document.getElementById("pm-save-state");
    const hints = document.getElementById("pm-hints");
    const hintList = document.getElementById("pm-hint-list");
    const meta = document.querySelector("meta[name=csrf-token]");
    if (!form || !body || !preview || !meta) { return; }
    const csrf = meta.getAttribute("content");
    const api = "/api/v1/incidents/" + form.dataset.incident + "/postmortem";
    let version = form.dataset.version;
    let saved = body.value;
    let previewTimer = null;
    let saving = false;
    let stopped = false;

    function say(text, cls) {
      state.textContent = text;
      state.className = "pm-save-state" + (cls ? " " + cls : "");
    }

    function setVersion(v) {
      version = String(v);
      form.dataset.version = version;
      document.querySelectorAll("input[name=version]").forEach(function (el) {
        // Only the postmortem's own forms; action rows carry their own.
        if (el.form && (el.form.id === "pm-form" || el.form.id === "pm-refresh" ||
            el.form.classList.contains("status-form") || el.form.action.endsWith("/postmortem/edit"))) {
          el.value = version;
        }
      });
    }

    function showHints(list) {
      hintList.replaceChildren();
      list.forEach(function (h) {
        const li = document.createElement("li");
        const line = document.createElement("span");
        line.className = "hint-line";
        line.textContent = "line " + h.line;
        li.append(line, " \u201c" + h.phrase + "\u201d: " + h.suggestion);
        hintList.append(li);
      });
      hints.classList.toggle("is-empty", list.length === 0);
    }

    function post(url, method, data, extra) {
      const headers = { "Content-Type": "application/json", "X-CSRF-Token": csrf };
      Object.assign(headers, extra || {});
      return fetch(url, { method: method, headers: headers, body: JSON.stringify(data),
        credentials: "same-origin" });
    }

    function refreshPreview() {
      const text = body.value;
      post("/api/v1/markdown/preview", "POST", { markdown: text }).then(function (res) {
        if (!res.ok) { return null; }
        return res.json();
      }).then(function (data) {
        if (!data || text !== body.value) { return; }
        // The server renders with cmark in safe mode: raw HTML and
        // javascript: links never come back.
        preview.innerHTML = data.html;
        showHints(data.hints || []);
      }).catch(function () { /* the preview just stays as it was */ });
    }

    function autosave() {
      if (stopped || saving || body.value === saved) { return; }
      const text = body.value;
      saving = true;
      say("Saving\u2026");
      post(api, "PATCH", { body: text }, { "If-Match": "\"" + version + "\"" }).then(function (res) {
        return res.json().then(function (data) { return { res: res, data: data }; });
      }).then(function (r) {
        saving = false;
        if (r.res.status === 409) {
          stopped = true;
          say("Someone else saved a newer version. Autosave is paused: copy your text, reload, and apply it again.", "is-conflict");
          return;
        }
        if (!r.res.ok) {
          say("Not saved: " + ((r.data.error && r.data.error.message) || r.res.status), "is-error");
          return;
        }
        saved = text;
        setVersion(r.data.version);
        say("Saved \u00b7 version " + version + " \u00b7 " + new Date().toLocaleTimeString());
      }).catch(function () {
        saving = false;
        say("Offline? Not saved yet; retrying.", "is-error");
      });
    }

    body.addEventListener("input", function () {
      if (!stopped) { say("Unsaved changes"); }
      clearTimeout(previewTimer);
      previewTimer = setTimeout(refreshPreview, PREVIEW_DELAY_MS);
    });
    setInterval(autosave, AUTOSAVE_EVERY_MS);
    form.addEventListener("submit", function () { stopped = true; });
    window.addEventListener("beforeunload", function (ev) {
      if (body.value !== saved && !stopped) { ev.preventDefault(); }
    });
  });
})();
