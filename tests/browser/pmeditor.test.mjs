// pmeditor.test.mjs (issue 18, point 5): the postmortem editor. Generated
// sections are read-only blocks, not markers in the text; the checklist and
// the preview follow the text live; Save (a browser form, CRLF) and autosave
// (LF) store the same line endings, so a one-line change diffs as one line;
// autosaves fold into one revision; a status change is a revision; revision
// numbers start at #1 for every postmortem.
import { check, startServer, launchBrowser, finish, SHOTS, BIN } from "./lib.mjs";
import { execFileSync } from "node:child_process";

const server = await startServer([["editor", "editor", "browser-editor-pw"]]);
const token = execFileSync(BIN, ["--db", server.db, "token", "add", "t", "--scope", "write"]).toString().trim();
const browser = await launchBrowser();

async function api(method, path, body, extra = {}) {
  const res = await fetch(server.base + path, {
    method, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...extra },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status >= 300) { throw new Error(`${method} ${path}: ${res.status} ${text}`); }
  return JSON.parse(text);
}

try {
  // Another postmortem first, so global revision ids are not 1, 2, ...
  const other = await api("POST", "/api/v1/incidents", { title: "Older incident" });
  await api("POST", `/api/v1/incidents/${other.id}/postmortem`, {});
  let pm = await api("GET", `/api/v1/incidents/${other.id}/postmortem`);
  await api("PATCH", `/api/v1/incidents/${other.id}/postmortem`, { body: pm.body + "\nmore\n" }, { "If-Match": `"${pm.version}"` });
  const inc = await api("POST", "/api/v1/incidents", { title: "Checkout returns 502" });
  await api("POST", `/api/v1/incidents/${inc.id}/postmortem`, {});

  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) errors.push(m.text()); });
  await page.goto(server.base + "/login?next=/app/incidents/" + inc.id + "/postmortem");
  await page.fill("input[name=username]", "editor");
  await page.fill("input[name=password]", "browser-editor-pw");
  await page.click("button[type=submit]");
  await page.waitForSelector("textarea.pm-part:not([hidden])");

  const visibleText = await page.evaluate(() => Array.from(document.querySelectorAll("textarea"))
    .filter((t) => t.offsetParent !== null).map((t) => t.value).join("\n"));
  check("no hs:generated markers in the text people edit", !visibleText.includes("hs:generated"));
  check("generated sections are shown as blocks", (await page.locator(".pm-generated").count()) >= 3);
  check("generated blocks are not editable", (await page.locator(".pm-generated textarea, .pm-generated [contenteditable]").count()) === 0);
  check("the checklist starts with root cause missing", (await page.textContent(".checklist")).includes("Root cause is not written"));

  // Type the root cause: the checklist and the preview follow, no reload.
  await page.evaluate(() => { window.__same = 1; });
  const idx = await page.evaluate(() => Array.from(document.querySelectorAll("textarea.pm-part"))
    .findIndex((t) => t.value.includes("## Root cause")));
  const part = page.locator("textarea.pm-part").nth(idx);
  const v = await part.inputValue();
  await part.fill(v.replace("## Root cause\n", "## Root cause\n\nA health check pointed at the wrong port.\n"));
  const live = await page.waitForFunction(() => !document.querySelector(".checklist").textContent.includes("Root cause is not written"),
    null, { timeout: 15000 }).then(() => true, () => false);
  check("the checklist follows the text without a reload", live && await page.evaluate(() => window.__same === 1));
  check("the preview follows the text", (await page.textContent("#pm-preview")).includes("wrong port"));

  // The preview scrolls to the section being typed (Lessons learned is far down).
  const li = await page.evaluate(() => Array.from(document.querySelectorAll("textarea.pm-part"))
    .findIndex((t) => t.value.includes("## Lessons learned")));
  const lessons = page.locator("textarea.pm-part").nth(li);
  await lessons.evaluate((t) => { const i = t.value.indexOf("## Lessons learned") + 20; t.focus(); t.setSelectionRange(i, i); });
  await page.keyboard.type("Check ports. ");
  const seen = await page.waitForFunction(() => {
    const p = document.querySelector("#pm-preview");
    const h = Array.from(p.querySelectorAll("h2")).find((x) => x.textContent.trim() === "Lessons learned");
    if (!h) { return false; }
    const a = p.getBoundingClientRect(), b = h.getBoundingClientRect();
    return b.top >= a.top && b.top < a.bottom;
  }, null, { timeout: 15000 }).then(() => true, () => false);
  check("the preview shows the section being typed", seen);

  // Autosaves: two in a row fold into one revision.
  await page.waitForFunction(() => /Saved · version/.test(document.querySelector("#pm-save-state").textContent), null, { timeout: 20000 });
  const v1 = await page.evaluate(() => document.querySelector("#pm-form").dataset.version);
  await page.keyboard.type("And alert on them. ");
  await page.waitForFunction((old) => document.querySelector("#pm-form").dataset.version !== old, v1, { timeout: 20000 });
  let revs = (await api("GET", `/api/v1/incidents/${inc.id}/postmortem/revisions`)).revisions;
  check("autosaves fold into one revision", revs.length === 2, `${revs.length} revisions`);

  // Save (a real form post: the browser sends CRLF) after a one-line change.
  const lv = await lessons.inputValue();
  await lessons.fill(lv + "One more line.\n");
  await Promise.all([page.waitForNavigation(), page.click("#pm-form button[type=submit].primary")]);
  revs = (await api("GET", `/api/v1/incidents/${inc.id}/postmortem/revisions`)).revisions;
  check("Save makes a revision", revs.length === 3, `${revs.length} revisions`);
  pm = await api("GET", `/api/v1/incidents/${inc.id}/postmortem`);
  check("the saved body has no CR", !pm.body.includes("\r"));

  // A status change is a revision too.
  await page.fill(".status-form input[name=override_reason]", "Review today");
  await Promise.all([page.waitForNavigation(), page.click(".status-form button[type=submit]")]);
  revs = (await api("GET", `/api/v1/incidents/${inc.id}/postmortem/revisions`)).revisions;
  check("a status change makes a revision", revs.length === 4, `${revs.length} revisions`);

  // Revisions page: numbered from #1 for this postmortem; the Save's diff
  // against the autosave is the one line.
  await page.goto(server.base + `/app/incidents/${inc.id}/postmortem/revisions`);
  const nums = await page.locator("table.revisions tbody tr td:nth-child(3)").allTextContents();
  check("revisions are numbered per postmortem", nums.map((t) => t.trim().split(" ")[0]).join(",") === "#4,#3,#2,#1", nums.join(","));
  await page.check("input[name=from] >> nth=2");
  await page.check("input[name=to] >> nth=1");
  await Promise.all([page.waitForNavigation(), page.click("button:has-text('Compare')")]);
  const counts = await page.textContent(".diff-count-add") + " " + await page.textContent(".diff-count-del");
  check("a one-line change diffs as one line", counts.replace(/\s+/g, " ").trim() === "+1 −1" || counts.trim().startsWith("+1 −0"), counts);
  check("the diff names per-postmortem numbers", (await page.textContent("section.card h2")).includes("#2 to #3"));
  await page.screenshot({ path: `${SHOTS}/postmortem-revisions.png`, fullPage: false });
  check("no script errors or CSP violations", errors.length === 0, errors.join("; "));
} catch (e) {
  check("postmortem editor flow completed", false, e.message);
  console.log(server.stderr().slice(-1500));
} finally {
  await browser.close();
  await server.stop();
  finish();
}
