// Hindsight page helpers: one clock (every time shown in the zone the user
// picked, labelled, with "12 min ago" beside it), human durations,
// readable status names, confirmations, the status-update templates and the
// keyboard help. No framework, no build step; the pages work without it.
"use strict";

(function () {
  const KEY = "hindsight.tz"; // "browser", "UTC" or an IANA zone name

  function browserZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { return "UTC"; }
  }
  function zoneSetting() { return localStorage.getItem(KEY) || "browser"; }
  function zone() {
    const z = zoneSetting();
    if (z === "browser") { return browserZone(); }
    try { new Intl.DateTimeFormat("en-US", { timeZone: z }); return z; } catch (e) { return "UTC"; }
  }

  // {date, time, abbr} of d in zone z.
  function parts(d, z) {
    const f = new Intl.DateTimeFormat("en-US", {
      timeZone: z, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short",
    });
    const p = {};
    f.formatToParts(d).forEach(function (x) { p[x.type] = x.value; });
    return {
      date: p.year + "-" + p.month + "-" + p.day,
      time: p.hour + ":" + p.minute + ":" + p.second,
      abbr: z === "UTC" ? "UTC" : p.timeZoneName,
    };
  }

  function relative(d) {
    const s = Math.round((d.getTime() - Date.now()) / 1000), a = Math.abs(s);
    const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto", style: "short" });
    if (a < 45) { return "just now"; }
    if (a < 3600) { return rtf.format(Math.round(s / 60), "minute"); }
    if (a < 86400 * 2) { return rtf.format(Math.round(s / 3600), "hour"); }
    return rtf.format(Math.round(s / 86400), "day");
  }

  // The public page keeps its own clock (its zone is the page's, issue 19):
  // browser-local times with a UTC toggle, as before.
  const PUBKEY = "hindsight.utc";
  function pad(n) { return String(n).padStart(2, "0"); }
  function publicTimes() {
    const utc = localStorage.getItem(PUBKEY) === "1";
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      const d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) { return; }
      el.textContent = utc ? d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC")
        : d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
          pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
      el.title = d.toISOString();
    });
    const btn = document.querySelector("[data-tz-toggle]");
    if (btn) { btn.textContent = utc ? "Show local time" : "Show UTC"; }
  }
  function publicToggle() {
    const head = document.querySelector(".public-head h1");
    if (!head || !document.querySelector("time[datetime]")) { return; }
    const btn = document.createElement("button");
    btn.type = "button";
    btn.className = "link tz-toggle";
    btn.dataset.tzToggle = "1";
    btn.addEventListener("click", function () {
      localStorage.setItem(PUBKEY, localStorage.getItem(PUBKEY) === "1" ? "0" : "1");
      publicTimes();
    });
    head.after(btn);
  }

  function renderTimes() {
    if (!document.body.classList.contains("app")) { publicTimes(); return; }
    const z = zone();
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      const d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) { return; }
      const p = parts(d, z);
      // Timeline labels show only the part that changes within a day; the
      // timeline's heading names the zone.
      if (el.hasAttribute("data-hm")) {
        el.textContent = p.time.slice(0, 5);
      } else if (el.hasAttribute("data-date")) {
        el.textContent = p.date;
      } else if (el.classList.contains("event-time")) {
        el.textContent = p.time;
      } else {
        el.textContent = p.date + " " + p.time + " " + p.abbr;
        if (!el.hasAttribute("data-norel")) {
          let rel = el.nextElementSibling;
          if (!rel || !rel.classList.contains("rel")) {
            rel = document.createElement("span");
            rel.className = "rel muted small";
            el.after(rel);
          }
          rel.textContent = " (" + relative(d) + ")";
        }
      }
      el.title = d.toISOString().replace(".000Z", "Z") + " (" + z + ")";
    });
    // Signal titles say "at 21:13" in UTC (written at ingest): show those
    // clock times in the chosen zone too, labelled.
    document.querySelectorAll("[data-utc-day]").forEach(function (el) {
      if (!el.dataset.utcText) { el.dataset.utcText = el.textContent; }
      const base = new Date(el.dataset.utcDay);
      if (isNaN(base)) { return; }
      el.textContent = el.dataset.utcText.replace(/\b([01]\d|2[0-3]):([0-5]\d)\b( UTC)?/g, function (all, h, m) {
        const d = new Date(Date.UTC(base.getUTCFullYear(), base.getUTCMonth(), base.getUTCDate(), +h, +m));
        // A time far before the event's own is on the next day.
        if (d.getTime() < base.getTime() - 12 * 3600000) { d.setTime(d.getTime() + 86400000); }
        const p = parts(d, z);
        return p.time.slice(0, 5) + " " + p.abbr;
      });
    });
    document.querySelectorAll("[data-zone-label]").forEach(function (el) {
      const abbr = parts(new Date(), z).abbr;
      el.textContent = "times in " + z + (abbr === z ? "" : " (" + abbr + ")");
    });
    // Time inputs hold UTC; show them in the chosen zone with its offset,
    // which the server reads back exactly.
    document.querySelectorAll("input[data-time]").forEach(function (el) {
      const d = new Date(el.defaultValue);
      if (!el.defaultValue || isNaN(d) || el.value !== el.defaultValue && el.dataset.shown !== el.value) { return; }
      const v = withOffset(d, z);
      el.defaultValue = v;
      el.value = v;
      el.dataset.shown = v;
    });
    document.querySelectorAll("[data-time-label]").forEach(function (el) {
      el.textContent = "(" + (z === "UTC" ? "UTC" : parts(new Date(), z).abbr) + ")";
    });
  }

  function withOffset(d, z) {
    const p = parts(d, z);
    const asUtc = Date.parse(p.date + "T" + p.time + "Z");
    const off = Math.round((asUtc - Math.floor(d.getTime() / 1000) * 1000) / 60000);
    if (off === 0) { return p.date + "T" + p.time + "Z"; }
    const a = Math.abs(off);
    return p.date + "T" + p.time + (off < 0 ? "-" : "+") +
      String(Math.floor(a / 60)).padStart(2, "0") + ":" + String(a % 60).padStart(2, "0");
  }

  function humanDuration(s) {
    if (s < 60) { return s + "s"; }
    const m = Math.floor(s / 60), h = Math.floor(m / 60), d = Math.floor(h / 24);
    if (d > 0) { return d + "d " + (h % 24) + "h"; }
    if (h > 0) { return h + "h " + (m % 60) + "m"; }
    return m + "m " + (s % 60) + "s";
  }

  // "partial_outage" reads "Partial outage".
  function pretty(v) { return v ? v.charAt(0).toUpperCase() + v.slice(1).replace(/_/g, " ") : v; }

  // Phones show tables as cards: each cell is labelled by its column.
  function labelCells() {
    document.querySelectorAll("table.list").forEach(function (t) {
      const heads = Array.from(t.querySelectorAll("thead th")).map(function (th) { return th.textContent.trim(); });
      t.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.from(tr.children).forEach(function (td, i) {
          if (heads[i] && !td.hasAttribute("data-label")) { td.setAttribute("data-label", heads[i]); }
        });
      });
    });
  }

  // The audit log's before/after: pretty JSON, epoch-millisecond times as
  // dates in the chosen zone, all of it shown (no cut).
  function prettyJson() {
    const z = zone();
    document.querySelectorAll("code[data-json]").forEach(function (el) {
      if (!el.dataset.raw) { el.dataset.raw = el.textContent; }
      let v;
      try { v = JSON.parse(el.dataset.raw); } catch (e) { return; }
      if (v === null) { el.textContent = "—"; return; }
      el.textContent = JSON.stringify(v, function (k, x) {
        if (typeof x === "number" && /(_at|^ts|_ts|^at)$/.test(k) && x > 1e11) {
          const p = parts(new Date(x), z);
          return p.date + " " + p.time + " " + p.abbr;
        }
        return x;
      }, 2);
    });
  }

  // Search: an incident's other hits (its postmortem, notes, actions)
  // are shown under its best-ranked hit instead of as unrelated results.
  function groupHits() {
    const list = document.querySelector("ol.search-hits");
    if (!list || list.dataset.grouped) { return; }
    list.dataset.grouped = "1";
    const first = {};
    Array.from(list.children).forEach(function (li) {
      const id = li.dataset.incident;
      if (!id) { return; }
      if (!first[id]) { first[id] = li; return; }
      let sub = first[id].querySelector("ul.hit-group");
      if (!sub) {
        sub = document.createElement("ul");
        sub.className = "hit-group";
        first[id].append(sub);
      }
      const item = document.createElement("li");
      const head = li.querySelector(".hit-head");
      const snip = li.querySelector(".hit-snippet");
      item.append(head, snip);
      sub.append(item);
      li.remove();
    });
  }

  function render() {
    groupHits();
    labelCells();
    prettyJson();
    renderTimes();
    document.querySelectorAll("[data-seconds]").forEach(function (el) {
      const s = parseInt(el.dataset.seconds, 10);
      if (!isNaN(s)) { el.textContent = humanDuration(s); }
    });
    document.querySelectorAll("select[data-pretty] option").forEach(function (o) {
      if (o.value && o.textContent === o.value) { o.textContent = pretty(o.value); }
    });
  }

  // The zone picker in the top bar.
  function zonePicker() {
    const sel = document.querySelector("[data-tz-select]");
    if (!sel) { return; }
    const names = ["UTC"];
    try { Intl.supportedValuesOf("timeZone").forEach(function (n) { if (n !== "UTC") { names.push(n); } }); } catch (e) { /* old browser */ }
    const first = document.createElement("option");
    first.value = "browser";
    first.textContent = "Browser (" + browserZone() + ")";
    sel.append(first);
    names.forEach(function (n) {
      const o = document.createElement("option");
      o.value = n;
      o.textContent = n;
      sel.append(o);
    });
    sel.value = zoneSetting();
    sel.addEventListener("change", function () {
      localStorage.setItem(KEY, sel.value);
      shareZone();
      document.querySelectorAll("input[data-time]").forEach(function (el) {
        // Back to the UTC the server sent, then re-rendered in the new zone.
        const d = new Date(el.value);
        if (!isNaN(d) && el.value === el.dataset.shown) {
          el.defaultValue = d.toISOString().replace(".000Z", "Z");
          el.value = el.defaultValue;
        }
      });
      render();
    });
  }

  // The server writes the postmortem page and its exports in the display
  // zone too (server/viewtz.c): the hs_tz cookie carries it to pages, ?tz=
  // to the export links (data-tz-link), so a downloaded file has it.
  function shareZone() {
    const z = zone();
    document.cookie = "hs_tz=" + z + "; Path=/app; SameSite=Lax; Max-Age=31536000";
    document.querySelectorAll("a[data-tz-link]").forEach(function (a) {
      const u = new URL(a.getAttribute("href"), location.href);
      u.searchParams.set("tz", z);
      a.setAttribute("href", u.pathname + u.search);
    });
    // Parts written in another zone (no cookie yet, or the zone changed)
    // are fetched again and swapped in: nothing typed on the page is lost.
    const stale = Array.from(document.querySelectorAll("[data-view-tz]")).filter(function (el) {
      return el.dataset.viewTz !== z && el.id;
    });
    if (!stale.length) { return; }
    fetch(location.pathname, { credentials: "same-origin" }).then(function (res) {
      return res.ok ? res.text() : null;
    }).then(function (html) {
      if (!html || zone() !== z) { return; }
      const doc = new DOMParser().parseFromString(html, "text/html");
      stale.forEach(function (el) {
        const fresh = doc.getElementById(el.id);
        if (fresh && fresh.dataset.viewTz === z) {
          el.innerHTML = fresh.innerHTML;
          el.dataset.viewTz = z;
        }
      });
    }).catch(function () { /* the page keeps its times */ });
  }

  // Status-update templates: fill the form unless something was typed.
  const TEMPLATES = {
    investigating: "We are investigating reports of problems with {c}. We will post an update as soon as we know more.",
    identified: "We have identified the cause of the problems with {c} and are working on a fix.",
    monitoring: "A fix has been applied for {c}. We are monitoring the results.",
    resolved: "This incident has been resolved: {c} is operating normally again. Thank you for your patience.",
  };
  function applyTemplate(status) {
    const form = document.querySelector("form.update-form");
    if (!form) { return; }
    const affected = Array.from(form.querySelectorAll("select[data-affected]"));
    const names = affected.map(function (s) { return s.dataset.name; });
    form.elements.status.value = status;
    const body = form.elements.body;
    const auto = !body.value.trim() || body.dataset.templated === body.value;
    if (auto) {
      body.value = TEMPLATES[status].replace("{c}", names.length ? names.join(", ") : "the service");
      body.dataset.templated = body.value;
    }
    if (status === "resolved" || status === "monitoring") {
      affected.forEach(function (s) { s.value = "operational"; });
    }
    const d = form.closest("details");
    if (d) { d.open = true; }
    form.scrollIntoView({ block: "start" });
    body.focus({ preventScroll: true });
    form.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (ev) {
    const c = ev.target.closest("[data-confirm]");
    if (c && !window.confirm(c.dataset.confirm)) { ev.preventDefault(); ev.stopImmediatePropagation(); return; }
    const t = ev.target.closest("[data-template]");
    if (t) { ev.preventDefault(); applyTemplate(t.dataset.template); }
  }, true);

  // The status update's live preview: the server's safe Markdown renderer
  // (cmark, raw HTML removed), debounced; plain text until it answers.
  let previewTimer = null;
  function updatePreview(form) {
    const out = form.querySelector("[data-update-preview]");
    if (!out) { return; }
    out.querySelector(".preview-status").textContent = pretty(form.elements.status.value);
    const text = form.elements.body.value;
    const target = out.querySelector(".preview-body");
    target.textContent = text || "…";
    const meta = document.querySelector("meta[name=csrf-token]");
    clearTimeout(previewTimer);
    if (!text || !meta) { return; }
    previewTimer = setTimeout(function () {
      fetch("/api/v1/markdown/preview", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": meta.getAttribute("content") },
        body: JSON.stringify({ markdown: text }),
      }).then(function (res) { return res.ok ? res.json() : null; }).then(function (data) {
        const now = document.querySelector("form.update-form [data-update-preview] .preview-body");
        if (data && now && document.querySelector("form.update-form").elements.body.value === text) {
          now.innerHTML = data.html;
        }
      }).catch(function () { /* the plain text stays */ });
    }, 300);
  }
  document.addEventListener("input", function (ev) {
    const form = ev.target.closest && ev.target.closest("form.update-form");
    if (form) { updatePreview(form); }
  });
  document.addEventListener("change", function (ev) {
    const form = ev.target.closest && ev.target.closest("form.update-form");
    if (form) { updatePreview(form); }
  });

  // The top bar's menus (details elements): one open at a time, closed by a
  // click elsewhere or Escape, as a menu is.
  function closeMenus(keep) {
    document.querySelectorAll(".topbar details[open]").forEach(function (d) {
      if (d !== keep) { d.open = false; }
    });
  }
  document.addEventListener("click", function (ev) {
    closeMenus(ev.target.closest && ev.target.closest(".topbar details"));
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") { closeMenus(null); }
  });

  // Keyboard help on every page: ? shows it, / searches (or filters a
  // timeline), Escape closes.
  document.addEventListener("keydown", function (ev) {
    const t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    const help = document.getElementById("keys-help");
    if (ev.key === "Escape" && help) { help.hidden = true; return; }
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) { return; }
    if (ev.key === "?" && help) {
      help.hidden = !help.hidden;
      ev.preventDefault();
    } else if (ev.key === "/" && !document.querySelector("[data-filter-input]")) {
      const s = document.querySelector(".topsearch input");
      if (s) { s.focus(); ev.preventDefault(); }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.body.classList.contains("app")) { publicToggle(); }
    zonePicker();
    shareZone();
    render();
    // Keep "12 min ago" honest on a page left open.
    setInterval(renderTimes, 60000);
  });
  document.addEventListener("hs:content", function () {
    render();
    // A merge renders the preview empty; the kept text fills it again.
    const f = document.querySelector("form.update-form");
    if (f && f.elements.body.value) { updatePreview(f); }
  });
})();
