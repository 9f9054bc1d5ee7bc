// live.test.mjs (issue 18, points 1 and 7): a teammate's change merges into
// the incident page without reloading it and without touching what is being
// typed; a stale version shows both versions; a refused form (an
// out-of-order key-moment mark) shows its error on that form, input kept; a
// note whose answer was lost is kept with its request key and, sent again,
// is on the timeline once.
import { check, startServer, launchBrowser, finish, SHOTS, signIn } from "./lib.mjs";
import { execFileSync } from "node:child_process";

const server = await startServer([["ic", "editor", "browser-editor-pw"], ["ic2", "editor", "browser-editor-pw2"]]);
const id = execFileSync(process.env.HS_BIN || "./hindsight",
  ["--db", server.db, "incident", "open", "Checkout is slow", "--severity", "SEV2"]).toString().trim();
const browser = await launchBrowser();

async function login(ctx, user, pw) {
  const page = await ctx.newPage();
  await signIn(page, server.base, user, pw, "/app/incidents/" + id);
  return page;
}

try {
  const a = await login(await browser.newContext({ viewport: { width: 1280, height: 900 } }), "ic", "browser-editor-pw");
  const b = await login(await browser.newContext({ viewport: { width: 1280, height: 900 } }), "ic2", "browser-editor-pw2");
  const errors = [];
  a.on("pageerror", (e) => errors.push(e.message));
  // The 409 and 400 answers are expected; anything else logged is not.
  a.on("console", (m) => { if (m.type() === "error" && !/status of (409|400)/.test(m.text())) { errors.push(m.text()); } });

  // A is half-way through a status update and an action item, not focused
  // on the note box (which is what survived before).
  await a.evaluate(() => { window.__sameDocument = 1; });
  await a.fill("form.update-form textarea[name=body]", "Half-written: we are looking at the");
  await a.evaluate(() => { document.querySelector(".add-action").open = true; });
  await a.fill(".add-action input[name=title]", "Unfinished action title");
  await a.locator("#timeline h2").click();

  // B adds a note; A sees it merged in.
  const keyB = await b.inputValue("#add-note input[name=request_key]");
  await b.click("#add-note summary");
  await b.fill("#add-note input[name=title]", "Note from the second commander");
  await b.click("#add-note button[type=submit]");
  const merged = await a.waitForFunction(
    () => (document.querySelector("#timeline")?.textContent || "").includes("Note from the second commander"),
    null, { timeout: 15000 }).then(() => true, () => false);
  check("a teammate's note shows up on the other page", merged);
  check("the page was merged, not reloaded", await a.evaluate(() => window.__sameDocument === 1));
  check("the half-written status update survives the live update",
    await a.inputValue("form.update-form textarea[name=body]") === "Half-written: we are looking at the");
  check("the half-written action item survives the live update",
    await a.inputValue(".add-action input[name=title]") === "Unfinished action title");

  // B's own note form was sent with fetch: its page was not reloaded either
  // and the form is clean for the next note, with a new request key.
  check("the sender's note form is cleared and closed after posting",
    await b.inputValue("#add-note input[name=title]") === "" && !(await b.locator("#add-note").evaluate((d) => d.open)));
  check("the sender's note form has a new request key",
    await b.inputValue("#add-note input[name=request_key]") !== keyB);

  // A focused text field keeps focus and caret through a merge.
  await a.click("form.update-form textarea[name=body]");
  await a.keyboard.press("End");
  await b.click("#add-note summary");
  await b.fill("#add-note input[name=title]", "Second note");
  await b.click("#add-note button[type=submit]");
  await a.waitForFunction(() => (document.querySelector("#timeline")?.textContent || "").includes("Second note"),
    null, { timeout: 15000 });
  await a.keyboard.type(" database");
  check("typing continues in the same field after a merge",
    await a.inputValue("form.update-form textarea[name=body]") === "Half-written: we are looking at the database");

  // A stale version of the edit form: both versions shown, input kept.
  await a.click("#edit summary");
  await a.fill("#edit input[name=title]", "Checkout is slow for EU customers");
  await b.goto(server.base + "/app/incidents/" + id);
  await b.click("#edit summary");
  await b.fill("#edit input[name=title]", "Checkout fails");
  await b.click("#edit button[type=submit]");
  await b.waitForFunction(() => document.querySelector("h1")?.textContent.includes("Checkout fails"), null, { timeout: 15000 });
  await a.click("#edit button[type=submit]");
  await a.waitForSelector("#edit .conflict-diff", { timeout: 15000 });
  const conflict = await a.textContent("#edit .conflict");
  check("a stale edit shows their version", conflict.includes("Checkout fails"), conflict);
  check("a stale edit shows my version", conflict.includes("Checkout is slow for EU customers"), conflict);
  check("the stale form keeps my input", await a.inputValue("#edit input[name=title]") === "Checkout is slow for EU customers");
  await a.screenshot({ path: `${SHOTS}/live-conflict.png`, fullPage: false });
  await a.click("#edit .conflict button");
  const won = await a.waitForFunction(() => document.querySelector("h1")?.textContent.includes("EU customers"),
    null, { timeout: 15000 }).then(() => true, () => false);
  check("saving mine over theirs wins on purpose", won);

  // An out-of-order key-moment mark: the error is on the form, input kept.
  const started = await a.getAttribute("section.clock time", "datetime");
  const before = new Date(Date.parse(started) - 3600 * 1000).toISOString();
  // The first mark's answer is held back while the next note is typed:
  // when it arrives, the newer typing stays in the form, with a new key.
  let release = null;
  const held = new Promise((r) => { release = r; });
  let holding = 0;
  await a.route("**/app/incidents/*/events", async (route) => {
    if (holding++ === 0) { await held; }
    await route.continue();
  });
  await a.click("#add-note summary");
  await a.fill("#add-note input[name=ts]", new Date(Date.parse(started) + 600 * 1000).toISOString());
  await a.fill("#add-note input[name=title]", "Mitigated by rollback");
  await a.selectOption("#add-note select[name=key]", "mitigated");
  const sentKey = await a.inputValue("#add-note input[name=request_key]");
  await a.click("#add-note button[type=submit]");
  await a.fill("#add-note input[name=ts]", before);
  await a.fill("#add-note input[name=title]", "Detected late");
  // A teammate's note merges into the page meanwhile, copying the form.
  await b.goto(server.base + "/app/incidents/" + id);
  await b.click("#add-note summary");
  await b.fill("#add-note input[name=title]", "Teammate note while held");
  await b.click("#add-note button[type=submit]");
  await a.waitForFunction(() => (document.querySelector("#timeline")?.textContent || "").includes("Teammate note while held"),
    null, { timeout: 15000 });
  release();
  // Only the answer's merge gives the form a new key (live merges keep a
  // form's key while it holds typing), so this waits for that answer.
  const answered = await a.waitForFunction((k) => document.querySelector("#add-note input[name=request_key]").value !== k,
    sentKey, { timeout: 15000 }).then(() => true, () => false);
  await a.unroute("**/app/incidents/*/events");
  check("the held mark is saved and the note form takes a new request key", answered &&
    (await a.textContent("#timeline")).includes("Mitigated by rollback"),
    `answered=${answered} key=${await a.inputValue("#add-note input[name=request_key]")} sent=${sentKey} ` +
    `title=${await a.inputValue("#add-note input[name=title]")} alert=${await a.locator("#add-note .form-alert").allTextContents()}`);
  check("what was typed while a note was being sent is kept",
    await a.inputValue("#add-note input[name=title]") === "Detected late" &&
    await a.evaluate(() => document.getElementById("add-note").open));
  await a.fill("#add-note input[name=title]", "Detected late");
  await a.fill("#add-note textarea[name=body]", "A long explanation I typed");
  await a.selectOption("#add-note select[name=key]", "detected");
  await a.click("#add-note button[type=submit]");
  await a.waitForSelector("#add-note .form-alert", { timeout: 15000 }).catch(() => {});
  const alert = (await a.locator("#add-note .form-alert").count()) ? await a.textContent("#add-note .form-alert") : "";
  check("the refused mark shows its error on the note form", /detected_at|before|after/.test(alert), alert || a.url());
  check("the page stays the incident page", a.url().endsWith("/app/incidents/" + id));
  check("the typed note is kept after the error", await a.inputValue("#add-note textarea[name=body]") === "A long explanation I typed");
  await a.screenshot({ path: `${SHOTS}/live-error.png`, fullPage: false });
  check("no script errors on the page", errors.length === 0, errors.join("; "));

  // The answer to a note is lost (the server saved it; the connection
  // dropped, as in a failover). The note stays in the form, keeps its key
  // through a teammate's merge, and sending it again adds it once.
  await a.goto(server.base + "/app/incidents/" + id);
  await a.click("#add-note summary");
  await a.fill("#add-note input[name=title]", "Failed over the database");
  const keyA = await a.inputValue("#add-note input[name=request_key]");
  let dropped = 0;
  await a.route("**/app/incidents/*/events", async (route) => {
    if (dropped++ === 0) { await route.fetch(); await route.abort("connectionreset"); } else { await route.continue(); }
  });
  await a.click("#add-note button[type=submit]");
  await a.waitForSelector("#add-note .form-alert", { timeout: 15000 }).catch(() => {});
  check("a lost answer is shown on the note form",
    (await a.locator("#add-note .form-alert").count()) > 0);
  check("the unsent note is kept", await a.inputValue("#add-note input[name=title]") === "Failed over the database");
  await b.click("#add-note summary");
  await b.fill("#add-note input[name=title]", "Third note");
  await b.click("#add-note button[type=submit]");
  await a.waitForFunction(() => (document.querySelector("#timeline")?.textContent || "").includes("Third note"),
    null, { timeout: 15000 });
  check("the kept note keeps its request key through a merge",
    await a.inputValue("#add-note input[name=request_key]") === keyA);
  await a.screenshot({ path: `${SHOTS}/live-resend.png`, fullPage: false });
  await a.click("#add-note button[type=submit]");
  await a.waitForFunction(() => !document.querySelector("#add-note[open]"), null, { timeout: 15000 }).catch(() => {});
  const times = await a.evaluate(() => Array.from(document.querySelectorAll("#timeline .event-title"))
    .filter((n) => n.textContent === "Failed over the database").length);
  check("sent again, the note is on the timeline once", times === 1, String(times));
  check("and the form is clean for the next note", await a.inputValue("#add-note input[name=title]") === "");
} catch (e) {
  check("live flow completed", false, e.message);
  console.log(server.stderr().slice(-1500));
} finally {
  await browser.close();
  await server.stop();
  finish();
}
