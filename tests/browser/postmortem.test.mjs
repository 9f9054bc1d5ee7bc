// postmortem.test.mjs: an editor drafts a postmortem from an incident,
// sees the live preview and blameless hints, autosaves, meets a conflict,
// adds an action item, and takes the document through review to published.
// Screenshots go to tests/browser/screenshots/postmortem-*.png.
import { check, startServer, launchBrowser, finish, SHOTS, signIn } from "./lib.mjs";

const server = await startServer([["editor", "editor", "browser-editor-pw"]]);

// The editor shows the body as text boxes between read-only generated
// blocks: this writes into the box holding the heading.
async function writeAfter(page, heading, addition) {
  const idx = await page.evaluate((h) => Array.from(document.querySelectorAll("textarea.pm-part"))
    .findIndex((t) => t.value.includes(h)), heading);
  const ta = page.locator("textarea.pm-part").nth(idx);
  const v = await ta.inputValue();
  await ta.fill(v.replace(heading + "\n", heading + "\n" + addition));
}
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const cspErrors = [];
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });

  await signIn(page, server.base, "editor", "browser-editor-pw");

  await page.click("text=Declare incident");
  await page.fill("input[name=title]", "Checkout returns 502 during the flash sale");
  await page.selectOption("select[name=severity]", "SEV2");
  await page.click("button:has-text('Declare incident')");
  await page.waitForURL(/\/app\/incidents\/\d+$/);
  const incidentUrl = page.url();

  await page.click("a.button:has-text('Postmortem')");
  await page.waitForURL(/\/postmortem$/);
  check("the postmortem page offers a draft", (await page.textContent("main")).includes("No postmortem yet"));
  await page.click("button:has-text('Draft postmortem')");
  await page.waitForSelector("textarea.pm-part:not([hidden])");
  const draft = await page.inputValue("#pm-body");
  check("the draft is generated from the incident", draft.includes("# Postmortem: Checkout returns 502 during the flash sale"));
  check("the preview is rendered server-side", (await page.innerHTML("#pm-preview")).includes("<h2>Root cause</h2>"));
  check("the checklist lists what is missing", (await page.textContent(".checklist")).includes("no detected moment"));
  await page.screenshot({ path: `${SHOTS}/postmortem-draft.png`, fullPage: false });

  // Write in the Root cause section; the preview and hints follow.
  await writeAfter(page, "## Root cause", "\nA **load balancer** change sent all traffic to web-1. It was human error.\n");
  await page.waitForFunction(() => document.querySelector("#pm-preview").innerHTML.includes("<strong>load balancer</strong>"));
  check("the live preview renders the new text", true);
  await page.waitForSelector("#pm-hints:not(.is-empty)");
  check("a blameless hint appears", (await page.textContent("#pm-hints")).includes("human error"));
  await page.waitForFunction(() => /Saved · version 2/.test(document.querySelector("#pm-save-state").textContent), null, { timeout: 15000 });
  check("autosave saves with If-Match", true);
  await page.screenshot({ path: `${SHOTS}/postmortem-editing.png`, fullPage: false });

  // Someone else saves; our next autosave gets 409 and says so.
  const other = await page.evaluate(async () => {
    const id = document.querySelector("#pm-form").dataset.incident;
    const csrf = document.querySelector("meta[name=csrf-token]").content;
    const v = document.querySelector("#pm-form").dataset.version;
    const res = await fetch(`/api/v1/incidents/${id}/postmortem`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "If-Match": `"${v}"` },
      body: JSON.stringify({ tags: ["from-another-tab"] }),
    });
    return res.status;
  });
  check("another tab saves first", other === 200);
  await writeAfter(page, "## Lessons learned", "\nOne more line.\n");
  await page.waitForSelector(".pm-save-state.is-conflict", { timeout: 15000 });
  check("a conflict is shown, not swallowed", (await page.textContent("#pm-save-state")).includes("Someone else saved"));
  await page.screenshot({ path: `${SHOTS}/postmortem-conflict.png`, fullPage: false });

  // Reload, and add an action item from the postmortem.
  await page.reload();
  check("the autosaved text survived", (await page.inputValue("#pm-body")).includes("A **load balancer** change"));
  await page.fill("#actions input[name=title]", "Health-check the LB pool before applying changes");
  await page.fill("#actions input[name=owner]", "sre-team");
  // A month from now, whatever day the test runs on.
  await page.fill("#actions input[name=due_date]", new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10));
  await page.click("#actions button:has-text('Add action item')");
  await page.waitForURL(/\/postmortem#actions$/);
  check("the action item is listed", (await page.textContent("#actions table")).includes("Health-check the LB pool"));

  // Through review to published, with a recorded reason (it is incomplete).
  await page.fill(".status-form input[name=override_reason]", "Review meeting is today; impact numbers follow");
  await page.click(".status-form button:has-text('Send for review')");
  await page.waitForURL(/\/postmortem$/);
  check("the status is in review", (await page.textContent(".steps .current")).includes("In review"));
  await page.fill(".status-form input[name=override_reason]", "Customers need the summary now");
  await page.click(".status-form button:has-text('Publish')");
  await page.waitForURL(/\/postmortem$/);
  check("the status is published", (await page.textContent(".steps .current")).includes("Published"));
  check("the override reason is shown", (await page.textContent(".workflow")).includes("Customers need the summary now"));
  await page.screenshot({ path: `${SHOTS}/postmortem-published.png`, fullPage: true });

  await page.click("text=Revisions");
  await page.check("input[name=from] >> nth=-1");
  await page.check("input[name=to] >> nth=0");
  await page.click("button:has-text('Compare')");
  await page.waitForSelector("table.diff");
  check("the diff shows the added root cause", (await page.textContent("table.diff")).includes("A **load balancer** change"));
  await page.screenshot({ path: `${SHOTS}/postmortem-diff.png`, fullPage: false });

  await page.goto(incidentUrl);
  check("the incident page shows the postmortem status", (await page.textContent(".head-actions")).includes("published"));
  await page.goto(server.base + "/app/actions");
  check("the dashboard lists the item", (await page.textContent("main")).includes("Health-check the LB pool"));
  await page.screenshot({ path: `${SHOTS}/actions.png`, fullPage: true });
  check("no CSP violations on any page", cspErrors.length === 0, cspErrors.join("; "));
} catch (e) {
  check("browser flow completed", false, e.message);
  console.log(server.stderr().slice(-2000));
} finally {
  await browser.close();
  await server.stop();
  finish();
}
