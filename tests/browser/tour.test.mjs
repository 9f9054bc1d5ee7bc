// tour.test.mjs: the newcomer's tour on the demo data, end to end: the
// public status page, login, the incident timeline, the postmortem, the
// action items. Saves the screenshots the README shows.
import { check, startServer, launchBrowser, finish, SHOTS, signIn } from "./lib.mjs";

const server = await startServer([["admin", "admin", "tour-admin-password"]], ["--demo-if-empty"]);
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) errors.push(m.text()); });

  await page.goto(server.base + "/");
  const text = await page.textContent("body");
  check("the status page shows the components", text.includes("Checkout") && text.includes("Load balancer"));
  await page.screenshot({ path: `${SHOTS}/tour-status.png`, fullPage: true });
  await page.goto(server.base + "/history");
  check("the history shows the flash-sale incident", (await page.textContent("body")).includes("Flash sale"));

  await signIn(page, server.base, "admin", "tour-admin-password");
  const rows = await page.locator("table.incidents tbody tr").count();
  check("the incident list shows the three demo incidents", rows === 3, `${rows} rows`);
  await page.screenshot({ path: `${SHOTS}/tour-incidents.png`, fullPage: true });

  await page.click("text=Flash sale: checkout errors and slow pages");
  await page.waitForSelector("#timeline");
  check("the timeline shows the condensed 5xx signal", (await page.textContent("#timeline")).includes("5xx rate rose"));
  check("the timeline shows tickets and alerts",
    (await page.locator("li.event.kind-ticket").count()) === 10 && (await page.locator("li.event.kind-alert").count()) === 2);
  check("the clock shows time to detect", (await page.textContent(".metrics")).includes("3m 30s"));
  check("the chart is drawn", (await page.locator("svg.chart-svg rect.bar-err").count()) > 10);
  await page.screenshot({ path: `${SHOTS}/tour-incident.png`, fullPage: false });
  await page.locator("#timeline").screenshot({ path: `${SHOTS}/tour-timeline.png` });

  const signal = page.locator("li.event.kind-signal").first();
  await signal.locator("details.raw-lines summary").click();
  await page.waitForFunction(() => document.querySelector("details.raw-lines pre"));
  check("a signal expands into its raw lines", (await signal.locator("details.raw-lines pre").textContent()).includes("502"));

  await page.goto(page.url().replace(/#.*$/, "") + "/postmortem");
  await page.waitForLoadState("load");
  const pm = await page.textContent("body");
  check("the postmortem is drafted with the root cause", pm.includes("load balancer"));
  await page.screenshot({ path: `${SHOTS}/tour-postmortem.png`, fullPage: false });

  await page.goto(server.base + "/app/actions");
  check("the action dashboard lists the demo actions", (await page.textContent("body")).includes("Change freeze during sales"));
  await page.screenshot({ path: `${SHOTS}/tour-actions.png`, fullPage: false });
  await page.fill("input[name=q]", "load balancer");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  const hits = await page.textContent("body");
  check("the knowledge base finds the load balancer incidents", hits.includes("Misconfigured load balancer health check"));
  check("matches are highlighted", (await page.locator("mark").count()) > 0);
  await page.screenshot({ path: `${SHOTS}/tour-search.png`, fullPage: false });
  check("no script errors or CSP violations on the tour", errors.length === 0, errors.join("; "));
} catch (e) {
  check("tour completed", false, e.message);
  console.log(server.stderr().slice(-1500));
} finally {
  await browser.close();
  await server.stop();
  finish();
}
