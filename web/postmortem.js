// postmortem.js: the postmortem editor. The body is edited as blocks: what
// people write in text boxes, the generated sections (between hs:generated
// markers) as read-only blocks; the hidden #pm-body holds the whole text and
// is what is saved. Live preview, checklist and blameless-wording hints
// (rendered by the server, debounced); the preview scrolls to the section
// being typed. Autosave of the body with If-Match every few seconds while it
// changes (the server folds autosaves into one revision).
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
    const blocks = document.getElementById("pm-blocks");
    const GEN = /<!-- hs:generated:([a-z_]+) -->\n([\s\S]*?)<!-- \/hs:generated -->/g;

    // Splits the body into text parts and generated blocks, and back.
    function buildBlocks() {
      if (!blocks) { return; }
      const text = body.value;
      const parts = [];
      let at = 0, m;
      GEN.lastIndex = 0;
      while ((m = GEN.exec(text)) !== null) {
        parts.push({ text: text.slice(at, m.index) });
        parts.push({ gen: m[1], content: m[2] });
        at = m.index + m[0].length;
      }
      parts.push({ text: text.slice(at) });
      blocks.replaceChildren();
      parts.forEach(function (p) {
        if (p.gen) {
          const div = document.createElement("div");
          div.className = "pm-generated";
          div.dataset.name = p.gen;
          div.dataset.content = p.content;
          const head = document.createElement("p");
          head.className = "pm-gen-head";
          head.textContent = "Generated: " + p.gen + " \u00b7 read-only, filled from the incident (Refresh generated sections)";
          const pre = document.createElement("pre");
          pre.textContent = p.content;
          div.append(head, pre);
          blocks.append(div);
        } else {
          const ta = document.createElement("textarea");
          ta.className = "pm-part";
          ta.spellcheck = true;
          ta.value = p.text;
          ta.setAttribute("aria-label", "Postmortem text");
          // Only line breaks between two generated blocks: nothing to edit.
          ta.hidden = !p.text.trim();
          fit(ta);
          blocks.append(ta);
        }
      });
      body.hidden = true;
      blocks.hidden = false;
    }
    function fit(ta) { ta.rows = Math.max(2, ta.value.split("\n").length + 1); }
    function joinBlocks() {
      return Array.from(blocks.children).map(function (el) {
        if (el.tagName === "TEXTAREA") { return el.value; }
        return "<!-- hs:generated:" + el.dataset.name + " -->\n" + el.dataset.content + "<!-- /hs:generated -->";
      }).join("");
    }
    // The heading of the section the caret is in, and the preview's match.
    function followSection(ta) {
      // The text before the caret, generated blocks included.
      let upto = "";
      for (const el of blocks.children) {
        if (el === ta) { break; }
        upto += el.tagName === "TEXTAREA" ? el.value : el.dataset.content;
      }
      upto += ta.value.slice(0, ta.selectionStart);
      const heads = upto.match(/^#{1,6}[ \t]+.*$/gm);
      if (!heads) { return; }
      const title = heads[heads.length - 1].replace(/^#+[ \t]+/, "").replace(/[*_`]/g, "").trim();
      const h = Array.from(preview.querySelectorAll("h1, h2, h3, h4, h5, h6")).find(function (x) {
        return x.textContent.trim() === title;
      });
      if (h) { preview.scrollTop = h.offsetTop - 8; }
    }
    function showChecklist(missing) {
      const box = document.querySelector(".checklist");
      if (!box || !missing) { return; }
      box.replaceChildren();
      if (missing.length) {
        const head = document.createElement("p");
        head.className = "check-head";
        head.textContent = "Still missing:";
        const ul = document.createElement("ul");
        ul.className = "missing";
        missing.forEach(function (m) {
          const li = document.createElement("li");
          li.textContent = m;
          ul.append(li);
        });
        box.append(head, ul);
      } else {
        const ok = document.createElement("p");
        ok.className = "check-ok";
        ok.textContent = "Complete: moments, impact, root cause, lessons and every action's owner and due date are in.";
        box.append(ok);
      }
    }
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
      post("/api/v1/markdown/preview", "POST", { markdown: text, incident_id: parseInt(form.dataset.incident, 10) }).then(function (res) {
        if (!res.ok) { return null; }
        return res.json();
      }).then(function (data) {
        if (!data || text !== body.value) { return; }
        // The server renders with cmark in safe mode: raw HTML and
        // javascript: links never come back.
        const y = preview.scrollTop;
        preview.innerHTML = data.html;
        preview.scrollTop = y;
        showHints(data.hints || []);
        showChecklist(data.missing);
        if (document.activeElement && document.activeElement.classList.contains("pm-part")) {
          followSection(document.activeElement);
        }
      }).catch(function () { /* the preview just stays as it was */ });
    }

    function autosave() {
      if (stopped || saving || body.value === saved) { return; }
      const text = body.value;
      saving = true;
      say("Saving\u2026");
      post(api + "?autosave=1", "PATCH", { body: text }, { "If-Match": "\"" + version + "\"" }).then(function (res) {
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
    if (blocks) {
      buildBlocks();
      blocks.addEventListener("input", function (ev) {
        if (ev.target.classList.contains("pm-part")) { fit(ev.target); }
        body.value = joinBlocks();
        body.dispatchEvent(new Event("input"));
      });
      ["keyup", "click"].forEach(function (t) {
        blocks.addEventListener(t, function (ev) {
          if (ev.target.classList.contains("pm-part")) { followSection(ev.target); }
        });
      });
    }
    setInterval(autosave, AUTOSAVE_EVERY_MS);
    form.addEventListener("submit", function () { stopped = true; });
    window.addEventListener("beforeunload", function (ev) {
      if (body.value !== saved && !stopped) { ev.preventDefault(); }
    });
  });
})();
