// timeline.test.mjs: the incident page as a timeline editor: add a note,
// edit a time, mark "detected" and see time to detect change, filter, a
// conflict between two browser contexts, and a live update between them.
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
  const ctxA = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const ctxB = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const a = await login(ctxA, "ic", "browser-editor-pw");
  const errors = [];
  a.on("pageerror", (e) => errors.push(e.message));

  // n opens the note form; add a note and a detected mark.
  await a.keyboard.press("n");
  check("n opens the note form", await a.locator("#add-note").evaluate((d) => d.open));
  await a.fill("#add-note input[name=title]", "Rolled back LB change");
  await a.fill("#add-note textarea[name=body]", "Traffic **spread** again");
  await a.click("#add-note button[type=submit]");
  await a.waitForFunction(() => (document.querySelector("#timeline")?.textContent || "").includes("Rolled back LB change"));
  check("the note appears on the timeline", (await a.textContent("#timeline")).includes("Rolled back LB change"));
  check("the note's Markdown is rendered", (await a.innerHTML("li.event .event-body")).includes("<strong>spread</strong>"));

  const started = await a.getAttribute("section.clock time", "datetime");
  const detectedAt = new Date(Date.parse(started) + 90 * 1000).toISOString();
  await a.click("#add-note summary");
  await a.fill("#add-note input[name=ts]", detectedAt);
  await a.fill("#add-note input[name=title]", "Alert paged the on-call");
  await a.selectOption("#add-note select[name=key]", "detected");
  await a.click("#add-note button[type=submit]");
  await a.waitForFunction(() => (document.querySelector(".metrics")?.textContent || "").includes("1m 30s")).catch(() => {});
  check("marking detected sets time to detect", (await a.textContent(".metrics")).includes("1m 30s"));
  await a.screenshot({ path: `${SHOTS}/timeline.png`, fullPage: true });

  // Edit the mark's time: the clock follows.
  const marked = a.locator("li.event.is-key").first();
  await marked.hover();
  await marked.locator(".edit-event summary").click();
  const later = new Date(Date.parse(started) + 150 * 1000).toISOString();
  await marked.locator(".edit-event input[name=ts]").fill(later);
  await marked.locator(".edit-event button[type=submit]").click();
  const moved = await a.waitForFunction(
    () => (document.querySelector(".metrics")?.textContent || "").includes("2m 30s"),
    null, { timeout: 15000 }).then(() => true, () => false);
  check("editing the marked event's time moves the clock", moved);

  // Filter by text.
  await a.keyboard.press("/");
  await a.keyboard.type("Rolled");
  await Promise.all([a.waitForNavigation(), a.keyboard.press("Enter")]);
  const shown = await a.locator("li.event").count();
  check("the text filter narrows the timeline", shown === 1, `${shown} shown`);
  await a.goto(server.base + "/app/incidents/" + id);

  // Live update: B adds a note, A sees it without reloading by hand.
  const b = await login(ctxB, "ic2", "browser-editor-pw2");
  await b.click("#add-note summary");
  await b.fill("#add-note input[name=title]", "Note from the second commander");
  await b.click("#add-note button[type=submit]");
  await a.waitForFunction(() => document.body.textContent.includes("Note from the second commander"), null, { timeout: 8000 });
  check("a change by one commander shows up for the other", true);

  // Conflict: both open the same event; B saves first, A's save gets 409.
  await a.goto(server.base + "/app/incidents/" + id);
  await b.goto(server.base + "/app/incidents/" + id);
  const evA = a.locator("li.event").first();
  const evB = b.locator("li.event").first();
  await evA.hover(); await evA.locator(".edit-event summary").click();
  await evB.hover(); await evB.locator(".edit-event summary").click();
  await evB.locator("input[name=title]").fill("Title by B");
  await evB.locator(".edit-event button[type=submit]").click();
  await b.waitForFunction(
    () => !document.querySelector(".edit-event[open]") &&
      (document.querySelector("#timeline")?.textContent || "").includes("Title by B"),
    null, { timeout: 15000 });
  // A is editing, so its page does not reload under it.
  await evA.locator("input[name=title]").fill("Title by A");
  await evA.locator(".edit-event button[type=submit]").click();
  await a.waitForSelector(".conflict");
  check("a stale edit shows the other version", (await a.textContent(".conflict")).includes("Title by B"));
  await a.screenshot({ path: `${SHOTS}/timeline-conflict.png`, fullPage: true });
  // The page sets the #fragment (a navigation of its own) and then
  // reloads: wait for the reloaded timeline, not for the first navigation.
  await a.click(".conflict button");
  // The page shows the re-applied title; a live update from B's save may
  // merge in while the conflict box is open, so the box is not waited on.
  const reapplied = await a.waitForFunction(
    () => (document.querySelector("#timeline")?.textContent || "").includes("Title by A"),
    null, { timeout: 20000 }).then(() => true, () => false);
  check("re-applying the edit wins on purpose", reapplied);
  check("no script errors on the page", errors.length === 0, errors.join("; "));
} catch (e) {
  check("timeline flow completed", false, e.message);
  console.log(server.stderr().slice(-1500));
} finally {
  await browser.close();
  await server.stop();
  finish();
}
