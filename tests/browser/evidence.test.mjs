// evidence.test.mjs: evidence that came in before any incident, browsed on
// the Evidence page at 1280 and 390 px; its raw lines one click away; an
// incident declared from an alert (form prefilled) shows that alert; a
// ticket attached by hand lands on the incident's timeline.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { check, startServer, launchBrowser, finish, SHOTS, BIN, signIn } from "./lib.mjs";

const server = await startServer([["admin", "admin", "browser-admin-pw"]]);
const browser = await launchBrowser();
function ingest(format, name, text, extra = []) {
  const file = join(server.dir, name);
  writeFileSync(file, text);
  return execFileSync(BIN, ["--db", server.db, "ingest", "--format", format, ...extra, file]).toString();
}
try {
  // Before any incident: an alert, a burst of errors and a ticket.
  const am = {
    version: "4", groupKey: "g", status: "firing", receiver: "hs", groupLabels: {}, commonLabels: {},
    commonAnnotations: {}, externalURL: "http://am",
    alerts: [{ status: "firing", labels: { alertname: "CheckoutErrors", severity: "critical", service: "checkout" },
      annotations: { summary: "Checkout 5xx above 10%" }, startsAt: "2026-11-20T11:40:00Z",
      endsAt: "0001-01-01T00:00:00Z", fingerprint: "c1" }],
  };
  ingest("alertmanager", "am.json", JSON.stringify(am));
  let lines = "";
  for (let i = 0; i < 6; i++) {
    lines += JSON.stringify({ ts: `2026-11-20T11:3${i}:00Z`, level: "error", msg: `payment provider timed out after ${3000 + i} ms` }) + "\n";
  }
  ingest("jsonl", "app.jsonl", lines, ["--source", "checkout-api"]);
  ingest("tickets-csv", "t.csv", "id,created_at,subject,body,requester,priority,status,tags\r\n" +
    "42,2026-11-20T11:44:00Z,Customers cannot pay,Card page spins,ann,urgent,open,checkout\r\n");

  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await signIn(page, server.base, "admin", "browser-admin-pw");
  await page.goto(server.base + "/app/components");
  await page.fill("form.form-grid input[name=name]", "Checkout");
  await page.click("form.form-grid button[type=submit]");

  await page.click("nav.mainnav a:has-text('Evidence')");
  await page.waitForURL("**/app/evidence");
  const items = page.locator("ol.evidence-list > li");
  check("the Evidence page lists the alert, the signal and the ticket", (await items.count()) === 3);
  const text = await page.textContent("main");
  check("newest first: the ticket leads", (await items.first().textContent()).includes("Customers cannot pay"));
  check("the burst is one signal", text.includes("payment provider timed out") && text.includes("x6"));
  await page.screenshot({ path: `${SHOTS}/evidence.png`, fullPage: true });

  await page.selectOption("select[name=kind]", "alert");
  await page.click("form.filters button[type=submit]");
  await page.waitForLoadState("load");
  check("filter by kind", (await items.count()) === 1 && (await items.first().textContent()).includes("CheckoutErrors"));
  await page.goto(server.base + "/app/evidence?kind=signal");
  await page.click("ol.evidence-list a:has-text('Raw lines')");
  await page.waitForURL(/\/app\/evidence\/raw\?/);
  check("an item's raw lines are one click away", (await page.locator("ol.raw-list li").count()) === 6);
  await page.screenshot({ path: `${SHOTS}/evidence-raw.png`, fullPage: true });

  // Declare from the alert: the form comes prefilled.
  await page.goto(server.base + "/app/evidence?kind=alert");
  await page.click("ol.evidence-list a:has-text('Declare incident')");
  await page.waitForURL(/\/app\/incidents\/new\?/);
  check("the title is prefilled", (await page.inputValue("input[name=title]")).includes("CheckoutErrors"));
  check("the start is the alert's", (await page.inputValue("input[name=started_at]")).startsWith("2026-11-20T11:40:00"));
  check("the component is ticked", await page.isChecked("input[name=components][value=Checkout]"));
  await page.fill("input[name=started_at]", "2026-11-20T11:30:00Z");
  await page.click("button:has-text('Declare incident')");
  await page.waitForURL(/\/app\/incidents\/\d+$/);
  const incidentUrl = page.url();
  const timeline = await page.textContent("main");
  check("the new incident's timeline shows the alert that fired before it", timeline.includes("CheckoutErrors"));
  check("and the error burst", timeline.includes("payment provider timed out"));

  // A viewer-sized screen, then attach the ticket by hand.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(server.base + "/app/evidence");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check("no sideways scrolling at 390 px", overflow <= 0, `${overflow}px too wide`);
  await page.screenshot({ path: `${SHOTS}/evidence-390.png`, fullPage: true });
  const ticket = items.filter({ hasText: "Customers cannot pay" });
  await ticket.locator("button:has-text('Attach to incident')").click();
  await page.waitForURL(incidentUrl);
  check("attaching opens the incident", page.url() === incidentUrl);
  check("the ticket is on its timeline", (await page.textContent("main")).includes("Customers cannot pay"));
  await page.goto(server.base + "/app/evidence?kind=ticket");
  check("the Evidence page says which incident holds it", (await items.first().textContent()).includes("#1"));
} catch (e) {
  check("browser test ran to the end", false, e.message);
} finally {
  await browser.close();
  await server.stop();
  finish();
}
