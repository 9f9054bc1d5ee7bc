// live.js: pages that change under you without losing what you type.
// HS.merge(html) swaps the page's <main> for a freshly rendered one and puts
// back every field a person has changed, every open <details>, the focus and
// the caret. On a page holding a data-live element, POST forms are sent with fetch: a
// success merges the answer (that form starts clean, unless it was typed
// into while the answer was on its way: that typing stays), an error is shown on
// the form itself with the input kept, and a stale version (409) shows both
// versions. Other scripts listen for "hs:content" to redo their work.
"use strict";

window.HS = window.HS || {};

(function () {
  function forms(root) { return Array.from(root.querySelectorAll("form")); }

  // Hidden fields a form being edited keeps across merges (see snapshot).
  const KEPT_HIDDEN = ["version", "request_key"];

  // A form's key: its action and its position among forms with that action,
  // so a merge that adds events still finds "the edit form of event 7".
  function formKeys(root) {
    const seen = {}, keys = new Map();
    forms(root).forEach(function (f) {
      const a = (f.getAttribute("action") || "") + "|" + (f.id || "");
      seen[a] = (seen[a] || 0) + 1;
      keys.set(f, a + "#" + seen[a]);
    });
    return keys;
  }

  function fieldsOf(f) {
    return Array.from(f.elements).filter(function (el) {
      return el.name && el.type !== "hidden" && el.type !== "submit" && el.type !== "button" && el.type !== "file";
    });
  }

  function dirty(el) {
    if (el.type === "checkbox" || el.type === "radio") { return el.checked !== el.defaultChecked; }
    if (el.tagName === "SELECT" && !el.multiple) {
      // With no option marked selected, the first one is the default.
      const opts = Array.from(el.options);
      const def = Math.max(0, opts.findIndex(function (o) { return o.defaultSelected; }));
      return el.selectedIndex !== def;
    }
    if (el.tagName === "SELECT") {
      return Array.from(el.options).some(function (o) { return o.selected !== o.defaultSelected; });
    }
    return el.value !== el.defaultValue;
  }

  function fieldKey(f, el) {
    const same = fieldsOf(f).filter(function (x) { return x.name === el.name; });
    return el.name + "#" + same.indexOf(el) + (el.type === "checkbox" ? "=" + el.value : "");
  }

  // What a form's fields hold now, to tell whether it changed while sent.
  function valuesOf(f) {
    return JSON.stringify(fieldsOf(f).map(function (el) {
      return el.type === "checkbox" || el.type === "radio" ? el.checked : el.value;
    }));
  }

  // skip is a form whose input was just saved. If it was typed into while
  // the answer was on its way (typedSince), that newer input is kept, with
  // the fresh hidden fields: it is the next note, not the one just sent.
  function snapshot(main, skip, typedSince) {
    const keys = formKeys(main), saved = {};
    let focus = null;
    const alerts = {}, kept = {};
    let skipKey = null;
    keys.forEach(function (k, f) {
      if (f === skip && !typedSince) { skipKey = k; return; }
      const boxes = Array.from(f.querySelectorAll(".form-alert"));
      if (boxes.length) { alerts[k] = boxes; }
      // A form being edited keeps the version it was loaded with, so saving
      // it after a teammate's change is a conflict, not a silent overwrite,
      // and its request_key, so sending it again after an unclear answer
      // finds the first try's note instead of adding it twice.
      if (f !== skip && fieldsOf(f).some(dirty)) {
        kept[k] = {};
        KEPT_HIDDEN.forEach(function (n) { if (f.elements[n]) { kept[k][n] = f.elements[n].value; } });
      }
      fieldsOf(f).forEach(function (el) {
        const fk = k + "/" + fieldKey(f, el);
        if (dirty(el)) {
          saved[fk] = el.type === "checkbox" || el.type === "radio" ? el.checked : el.value;
        }
        if (el === document.activeElement) {
          focus = { key: fk, start: el.selectionStart, end: el.selectionEnd };
        }
      });
    });
    const open = Array.from(main.querySelectorAll("details")).map(function (d, i) {
      return d.open ? (d.id || detailsKey(d, i)) : null;
    }).filter(Boolean);
    const closed = Array.from(main.querySelectorAll("details")).map(function (d, i) {
      return d.open ? null : (d.id || detailsKey(d, i));
    }).filter(Boolean);
    const extra = Array.from(main.querySelectorAll("[data-keep]")).map(function (n) {
      return [n.closest("[id]") ? n.closest("[id]").id : "", n.getAttribute("data-keep"), n.innerHTML];
    });
    return { saved: saved, focus: focus, open: open, closed: closed, extra: extra, alerts: alerts, kept: kept, skipKey: skipKey };
  }

  function detailsKey(d) {
    const f = d.querySelector("form");
    const owner = d.closest("[id]");
    return (owner ? owner.id : "") + ":" + (f ? f.getAttribute("action") : d.className);
  }

  function restore(main, s) {
    const keys = formKeys(main);
    keys.forEach(function (k, f) {
      if (s.alerts[k]) { f.prepend.apply(f, s.alerts[k]); }
      if (s.kept[k]) {
        KEPT_HIDDEN.forEach(function (n) {
          if (f.elements[n] && n in s.kept[k]) { f.elements[n].value = s.kept[k][n]; }
        });
      }
      fieldsOf(f).forEach(function (el) {
        const fk = k + "/" + fieldKey(f, el);
        if (Object.prototype.hasOwnProperty.call(s.saved, fk)) {
          if (el.type === "checkbox" || el.type === "radio") { el.checked = s.saved[fk]; } else { el.value = s.saved[fk]; }
        }
        if (s.focus && s.focus.key === fk) {
          el.focus({ preventScroll: true });
          try { el.setSelectionRange(s.focus.start, s.focus.end); } catch (e) { /* not a text field */ }
        }
      });
    });
    main.querySelectorAll("details").forEach(function (d, i) {
      const k = d.id || detailsKey(d, i);
      if (s.open.indexOf(k) >= 0) { d.open = true; } else if (s.closed.indexOf(k) >= 0) { d.open = false; }
    });
    s.extra.forEach(function (x) {
      const owner = x[0] ? document.getElementById(x[0]) : main;
      const n = owner && owner.querySelector("[data-keep='" + x[1] + "']");
      if (n) { n.innerHTML = x[2]; }
    });
  }

  // Swaps <main> for the one in html; skip is a form whose input is done.
  HS.merge = function (html, skip, typedSince) {
    const main = document.querySelector("main");
    const next = new DOMParser().parseFromString(html, "text/html").querySelector("main");
    if (!main || !next) { return false; }
    const s = snapshot(main, skip, typedSince);
    const y = window.scrollY;
    main.replaceChildren.apply(main, Array.from(next.childNodes).map(function (n) { return document.importNode(n, true); }));
    restore(main, s);
    if (skip && s.skipKey) {
      // The form that was just sent is done: its box closes, as a reload would.
      formKeys(main).forEach(function (k, f) {
        const d = k === s.skipKey && f.closest("details");
        if (d) { d.open = false; }
      });
    }
    window.scrollTo(0, y);
    document.dispatchEvent(new CustomEvent("hs:content"));
    return true;
  };

  let fetching = null, again = false;
  // Fetches this page again and merges it; calls made meanwhile coalesce.
  HS.refresh = function () {
    if (fetching) { again = true; return fetching; }
    fetching = fetch(location.pathname + location.search, { cache: "no-store", credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (html) { if (html) { HS.merge(html); } })
      .catch(function () { /* the next change tries again */ })
      .finally(function () {
        fetching = null;
        if (again) { again = false; HS.refresh(); }
      });
    return fetching;
  };

  function errorText(res, text) {
    try {
      const j = JSON.parse(text);
      if (j.error && j.error.message) { return j.error.message; }
    } catch (e) { /* an HTML error page */ }
    const doc = new DOMParser().parseFromString(text, "text/html");
    const lead = doc.querySelector(".error-page .lead");
    return lead ? lead.textContent : "Error " + res.status;
  }

  function showAlert(form, cls, text) {
    form.querySelectorAll(".form-alert").forEach(function (n) { n.remove(); });
    const box = document.createElement("div");
    box.className = "form-alert " + cls;
    box.setAttribute("role", "alert");
    box.textContent = text;
    form.prepend(box);
    return box;
  }

  // A stale version: fetch the page as it is now and show, field by field,
  // their value beside the one typed here; "Keep mine" takes their version.
  async function showConflict(form, message) {
    const box = showAlert(form, "conflict", message + " ");
    const res = await fetch(location.pathname, { cache: "no-store", credentials: "same-origin" });
    if (!res.ok) { return; }
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    const mine = formKeys(document.querySelector("main")).get(form);
    let theirs = null;
    formKeys(doc.querySelector("main")).forEach(function (k, f) { if (k === mine) { theirs = f; } });
    if (!theirs) { return; }
    const list = document.createElement("dl");
    list.className = "conflict-diff";
    fieldsOf(form).forEach(function (el) {
      const other = theirs.elements[el.name];
      if (!other || other.length > 1 && !other.tagName) { return; }
      const a = el.type === "checkbox" ? String(el.checked) : el.value;
      const b = other.type === "checkbox" ? String(other.defaultChecked) : other.tagName === "TEXTAREA" ? other.defaultValue : other.value;
      if (a === b || el.hasAttribute("data-time") && Date.parse(a) === Date.parse(b)) { return; }
      const dt = document.createElement("dt");
      dt.textContent = el.name;
      const dd1 = document.createElement("dd");
      dd1.className = "theirs";
      dd1.textContent = "theirs: " + b;
      const dd2 = document.createElement("dd");
      dd2.className = "mine";
      dd2.textContent = "yours: " + a;
      list.append(dt, dd1, dd2);
    });
    box.append(list);
    const keep = document.createElement("button");
    keep.type = "button";
    keep.textContent = "Save mine over theirs";
    const theirVersion = theirs.elements.version ? theirs.elements.version.value : null;
    keep.addEventListener("click", function () {
      // The box may have moved into a merged copy of the form.
      const f = keep.closest("form");
      if (f.elements.version && theirVersion) { f.elements.version.value = theirVersion; }
      f.requestSubmit();
    });
    box.append(keep);
  }

  // A live merge while a form is being sent replaces it with a copy: the
  // answer belongs to the copy that now holds the form's place.
  function formNow(key, form) {
    let now = null;
    formKeys(document.querySelector("main")).forEach(function (k, f) { if (k === key) { now = f; } });
    return now || form;
  }

  // key: sentForm's formKeys() key, to find it again after a merge.
  async function send(sentForm, submitter, key) {
    const data = new FormData(sentForm, submitter);
    const sent = valuesOf(sentForm);
    const res = await fetch(sentForm.action, {
      method: "POST", body: new URLSearchParams(data), credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    const text = await res.text();
    const form = formNow(key, sentForm);
    if (res.ok) {
      const to = new URL(res.url);
      if (to.pathname === location.pathname) {
        form.querySelectorAll(".form-alert").forEach(function (n) { n.remove(); });
        HS.merge(text, form, valuesOf(form) !== sent);
        if (to.hash) { history.replaceState(null, "", to.hash); }
      } else {
        location.href = res.url;
      }
      return;
    }
    if (res.status === 409) { await showConflict(form, errorText(res, text)); return; }
    showAlert(form, "alert", errorText(res, text));
  }

  document.addEventListener("submit", function (ev) {
    const form = ev.target;
    const main = document.querySelector("main");
    if (!main || !main.querySelector("[data-live]") || !main.contains(form) || (form.method || "").toLowerCase() !== "post" ||
        form.hasAttribute("data-native") || form.hasAttribute("data-upload") || ev.defaultPrevented) { return; }
    ev.preventDefault();
    const btn = ev.submitter;
    if (btn) { btn.disabled = true; }
    // No answer: the server may have saved it before the connection went.
    // A form with a request_key can simply be sent again (never twice).
    function lost(e) {
      return "No answer from the server (" + e.message + "): it may or may not be saved. " +
        (form.elements.request_key ? "Sending it again is safe: it is never added twice."
          : "Reload to check before sending it again.");
    }
    const key = formKeys(main).get(form);
    send(form, btn, key).catch(function (e) { showAlert(formNow(key, form), "alert", lost(e)); })
      .finally(function () { if (btn && btn.isConnected) { btn.disabled = false; } });
  });
})();
