// xss.test.mjs: stored XSS, proved in a real browser (THREATS.md items
// 24-31). Script payloads go in through the API into every text and
// Markdown field; then Chromium visits every page that shows them, app and
// public, and checks that no injected script ran (window.__xss stays
// undefined, no dialog), that the DOM holds no injected element, event
// handler or javascript: link, that CSP reports nothing, and that the
// payload is shown as text where a page shows that field.
import { check, startServer, launchBrowser, finish, signIn } from "./lib.mjs";

const MARK = "zqxmark";
// One-line fields (titles, names, owners). Component names are capped at
// 100 characters, so they get the short form.
const LINE = `${MARK} <script>window.__xss=1</script> "><img src=x onerror="window.__xss=1"> <svg onload=window.__xss=1> {{7*7}} \${7*7}`;
const SHORT = `${MARK} "><svg onload=window.__xss=1> {{7*7}}`;
// Markdown fields: raw HTML blocks and inline, javascript: links in three
// spellings, and template syntax.
const MD = [
  `# ${MARK} heading`,
  "",
  "<script>window.__xss=1</script>",
  "",
  `"><img src=x onerror="window.__xss=1">`,
  "",
  "<svg onload=window.__xss=1>",
  "",
  `Inline <img src=x onerror="window.__xss=1"> and <svg onload=window.__xss=1> in a paragraph.`,
  "",
  "[click me](javascript:window.__xss=1) [again](JaVaScRiPt:window.__xss=1) <javascript:window.__xss=1>",
  "",
  "[entity](&#106;avascript:window.__xss=1) [data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
  "",
  "{{7*7}}",
  "",
  "${7*7}",
  "",
].join("\n");

const server = await startServer([["admin", "admin", "browser-admin-pw-1"]]);
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const csp = [];
  const dialogs = [];
  const pageErrors = [];
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });
  page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on("pageerror", (e) => pageErrors.push(String(e)));

  await signIn(page, server.base, "admin", "browser-admin-pw-1");

  // api(METHOD, PATH, BODY, HEADERS): a same-origin fetch with the session
  // cookie and the CSRF token; returns {status, json}.
  const api = (method, path, body, headers = {}) => page.evaluate(async ([m, p, b, h]) => {
    const csrf = document.querySelector("meta[name=csrf-token]").content;
    const isText = typeof b === "string";
    const res = await fetch(p, {
      method: m,
      headers: { "Content-Type": isText ? "text/plain" : "application/json", "X-CSRF-Token": csrf, ...h },
      body: b === undefined ? undefined : isText ? b : JSON.stringify(b),
    });
    const t = await res.text();
    let j = null;
    try { j = JSON.parse(t); } catch { j = t; }
    return { status: res.status, json: j };
  }, [method, path, body, headers]);
  const created = (name, r, want = 201) => {
    check(`${name} with payloads is accepted`, r.status === want, `${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
    return r.json;
  };

  // Plant the payloads in every field.
  const comp = created("component name/description",
    await api("POST", "/api/v1/components", { name: SHORT, description: LINE }));
  const inc = created("incident title/summary/commander", await api("POST", "/api/v1/incidents", {
    title: LINE, summary: MD, commander: SHORT, public: true, severity: "SEV2", components: [SHORT],
  }));
  const id = inc.id;
  const note = created("timeline note title/body", await api("POST", `/api/v1/incidents/${id}/events`, {
    kind: "note", title: LINE, body: MD,
  }));
  created("status update body", await api("POST", `/api/v1/incidents/${id}/updates`, {
    status: "investigating", body: MD, components: { [SHORT]: "partial_outage" },
  }));
  const from = new Date(Date.now() + 86400e3).toISOString().replace(/\.\d+Z$/, "Z");
  const until = new Date(Date.now() + 2 * 86400e3).toISOString().replace(/\.\d+Z$/, "Z");
  const maint = created("maintenance title/body", await api("POST", "/api/v1/maintenances", {
    title: LINE, body: MD, scheduled_for: from, scheduled_until: until, components: [SHORT],
  }));
  created("postmortem draft", await api("POST", `/api/v1/incidents/${id}/postmortem`));
  const pmv = (await api("GET", `/api/v1/incidents/${id}/postmortem`)).json.version;
  created("postmortem body/public summary", await api("PATCH", `/api/v1/incidents/${id}/postmortem`,
    { body: MD, public_summary: MD }, { "If-Match": `"${pmv}"` }), 200);
  created("action title/description/owner", await api("POST", "/api/v1/actions", {
    incident_id: id, title: LINE, description: MD, owner: SHORT,
  }));
  const tickets = JSON.stringify({ tickets: [{ id: 4242, created_at: "2026-11-20T10:00:00Z", subject: LINE, tags: ["a"], priority: "high" }] });
  const ing = await api("POST", `/api/v1/incidents/${id}/ingest?format=zendesk`, tickets, { "Content-Type": "application/json" });
  check("ticket subject via ingest is accepted", ing.status === 200 && ing.json.accepted >= 1, `${ing.status} ${JSON.stringify(ing.json).slice(0, 200)}`);
  // Make sure the planted bytes really are stored as sent.
  const back = await api("GET", `/api/v1/incidents/${id}`);
  check("the payload is stored verbatim", back.json.title === LINE && back.json.summary === MD);

  // visit(PATH, TEXTS): loads PATH and checks it is clean; each of TEXTS
  // must appear in the page's visible text (escaped, shown literally).
  let nPages = 0;
  async function visit(path, texts = []) {
    const resp = await page.goto(server.base + path, { waitUntil: "load" });
    nPages++;
    const st = resp ? resp.status() : 0;
    check(`${path} answers 200`, st === 200, `status ${st}`);
    await inspect(path, texts);
  }

  // inspect(NAME, TEXTS): the checks of visit() on the page as it is.
  async function inspect(path, texts) {
    const r = await probe();
    check(`no injected script ran on ${path}`, r.xss === "undefined", `window.__xss is ${r.xss}`);
    check(`no injected element, handler or javascript: link on ${path}`, r.bad.length === 0, r.bad.join(", "));
    for (const t of texts) {
      check(`${path} shows ${JSON.stringify(t).slice(0, 50)} as text`, r.text.includes(t));
    }
  }

  // probe(): window.__xss, the injected markup found in the DOM, and the
  // page's text.
  async function probe() {
    // Let broken images fire their error events and timers run.
    await page.waitForTimeout(150);
    return page.evaluate(() => {
      const bad = [];
      for (const el of document.querySelectorAll("*")) {
        if (el.localName === "script" && /__xss/.test(el.textContent)) bad.push("script element");
        for (const a of el.attributes) {
          const v = a.value;
          if (/^on/i.test(a.name) && /__xss/.test(v)) bad.push(`${el.localName}[${a.name}]`);
          if (/^(href|src|action|formaction|xlink:href)$/i.test(a.name) && /^\s*(javascript|vbscript|data:text)/i.test(v)) {
            bad.push(`${el.localName}[${a.name}=${v.slice(0, 40)}]`);
          }
        }
      }
      // Visible text, plus what form fields hold (edit forms show values).
      const vals = [...document.querySelectorAll("input, textarea")].map((e) => e.value);
      const text = (document.body ? document.body.innerText : "") + "\n" + vals.join("\n");
      return { xss: typeof window.__xss, bad, text };
    });
  }

  // Negative control: the detector sees a payload that does run (a blank
  // page has no CSP).
  await page.goto("about:blank");
  await page.setContent(`<p>x</p><img src=x onerror="window.__xss=1"><a href="javascript:void 0">y</a>`);
  const ctl = await probe();
  check("the detector catches a payload that runs (control)", ctl.xss === "number" && ctl.bad.length === 2, JSON.stringify(ctl));

  const evId = note.id;
  await visit("/app");
  await visit("/app/incidents", [LINE]);
  await visit(`/app/incidents/${id}`, [LINE, SHORT, "{{7*7}}", "<svg onload=window.__xss=1>"]);
  await visit(`/app/incidents/${id}/raw`);
  await visit("/app/evidence", [LINE]);
  await visit("/app/evidence/raw?from=2026-11-20T09:50:00Z&to=2026-11-20T10:10:00Z");
  await visit(`/app/incidents/new?title=${encodeURIComponent(LINE)}&component=${encodeURIComponent(SHORT)}`, [LINE]);
  await visit(`/app/events/${evId}/history`);
  await visit(`/app/incidents/${id}/postmortem`, [`${MARK} heading`, "{{7*7}}"]);
  await visit(`/app/incidents/${id}/postmortem/revisions`);
  // export.html is a download meant to be opened from disk, where no CSP
  // header protects it: render it in a blank page without CSP.
  const exp = await page.evaluate(async (p) => {
    const res = await fetch(p);
    return { status: res.status, text: await res.text() };
  }, `/app/incidents/${id}/postmortem/export.html`);
  check("export.html answers 200", exp.status === 200, `status ${exp.status}`);
  await page.goto("about:blank");
  await page.setContent(exp.text, { waitUntil: "load" });
  await inspect("export.html opened without CSP", [`${MARK} heading`, "{{7*7}}"]);
  await visit("/app/actions", [LINE]);
  await visit("/app/components", [SHORT]);
  await visit("/app/maintenances", [LINE]);
  await visit(`/app/search?q=${MARK}`, [MARK]);
  await visit("/app/insights");
  await visit("/app/users");
  await visit("/", [LINE]);
  await visit("/history", [LINE]);
  await visit(`/incidents/${id}`, [LINE, "{{7*7}}"]);
  await visit(`/maintenance/${maint.id}`, [LINE]);

  // Feeds: Chromium renders them as XML, where an XHTML <script> would
  // run. Load each, then parse the raw text: no element from the XHTML or
  // SVG namespace and no on* attribute may appear.
  for (const path of ["/history.atom", "/history.rss", "/app/actions.atom"]) {
    await visit(path);
    const r = await page.evaluate(async (p) => {
      const t = await (await fetch(p)).text();
      const doc = new DOMParser().parseFromString(t, "application/xml");
      const bad = [];
      if (doc.querySelector("parsererror")) bad.push("not well-formed XML");
      for (const el of doc.getElementsByTagName("*")) {
        if (/xhtml|svg/.test(el.namespaceURI || "")) bad.push(el.localName);
        for (const a of el.attributes) {
          if (/^on/i.test(a.localName)) bad.push(`@${a.localName}`);
        }
      }
      return { bad, hasMark: t.includes("zqxmark") };
    }, path);
    check(`${path} holds the payload only as text`, r.bad.length === 0, r.bad.join(", "));
    if (path !== "/app/actions.atom") {
      check(`${path} carries the planted incident`, r.hasMark);
    }
  }
  // The JSON API under a browser: plain text, nothing runs.
  await visit("/api/v2/summary.json");

  console.log(`    (${nPages} pages visited; ${csp.length} CSP reports; ${dialogs.length} dialogs; ${pageErrors.length} page errors)`);
  check("no dialog opened on any page", dialogs.length === 0, dialogs.join(" | "));
  check("no CSP violation on any page (the payloads never reach the DOM as markup)", csp.length === 0, csp.slice(0, 3).join(" | "));
  check("no script errors on any page", pageErrors.length === 0, pageErrors.slice(0, 3).join(" | "));
  void comp;
} catch (e) {
  check("xss test ran to the end", false, e.stack || String(e));
} finally {
  await browser.close();
  await server.stop();
  finish();
}
