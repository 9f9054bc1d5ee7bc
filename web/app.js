// Hindsight page helpers: local times with a UTC toggle, human durations,
// confirmations. No framework, no build step; the pages work without it.
"use strict";

(function () {
  const KEY = "hindsight.utc";

  function pad(n) { return String(n).padStart(2, "0"); }

  function formatTime(d, utc) {
    if (utc) {
      return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
    }
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
      " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }

  function renderTimes() {
    const utc = localStorage.getItem(KEY) === "1";
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      const d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) { return; }
      const full = formatTime(d, utc);
      // Timeline labels show only the part that changes within a day.
      if (el.hasAttribute("data-hm")) {
        el.textContent = full.slice(11, 16);
      } else if (el.hasAttribute("data-date")) {
        el.textContent = full.slice(0, 10);
      } else if (el.classList.contains("event-time")) {
        el.textContent = full.slice(11, 19);
      } else {
        el.textContent = full;
      }
      el.title = d.toISOString();
      el.dataset.local = "1";
    });
    const btn = document.querySelector("[data-tz-toggle]");
    if (btn) { btn.textContent = utc ? "Show local time" : "Show UTC"; }
  }

  function humanDuration(s) {
    if (s < 60) { return s + "s"; }
    const m = Math.floor(s / 60), h = Math.floor(m / 60), d = Math.floor(h / 24);
    if (d > 0) { return d + "d " + (h % 24) + "h"; }
    if (h > 0) { return h + "h " + (m % 60) + "m"; }
    return m + "m " + (s % 60) + "s";
  }

  document.addEventListener("DOMContentLoaded", function () {
    const head = document.querySelector(".page-head h1, .public-head h1");
    if (head && document.querySelector("time[datetime]")) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = "link tz-toggle";
      btn.dataset.tzToggle = "1";
      btn.addEventListener("click", function () {
        localStorage.setItem(KEY, localStorage.getItem(KEY) === "1" ? "0" : "1");
        renderTimes();
      });
      head.after(btn);
    }
    renderTimes();
    document.querySelectorAll("[data-seconds]").forEach(function (el) {
      const s = parseInt(el.dataset.seconds, 10);
      if (!isNaN(s)) { el.textContent = humanDuration(s); }
    });
    document.querySelectorAll("[data-confirm]").forEach(function (el) {
      el.addEventListener("click", function (ev) {
        if (!window.confirm(el.dataset.confirm)) { ev.preventDefault(); }
      });
    });
  });
})();
