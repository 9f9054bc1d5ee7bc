// incidents.test.mjs: log in, declare an incident, see it listed, open
// it, resolve it. Saves screenshots of each page under tests/browser/screenshots.
import { check, startServer, launchBrowser, finish, SHOTS } from "./lib.mjs";

const server = await startServer([["admin", "admin", "browser-admin-pw"]]);
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const cspErrors = [];
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });

  await page.goto(server.base + "/app/incidents");
  check("anonymous visit lands on the login page", page.url().includes("/login"));
  await page.screenshot({ path: `${SHOTS}/login.png` });
  await page.fill("input[name=username]", "admin");
  await page.fill("input[name=password]", "wrong-password-here");
  await page.click("button[type=submit]");
  check("a wrong password shows an error", (await page.textContent(".alert")).includes("Invalid username or password"));
  await page.fill("input[name=username]", "admin");
  await page.fill("input[name=password]", "browser-admin-pw");
  await page.click("button[type=submit]");
  await page.waitForURL("**/app/incidents");
  check("login goes back to the incidents page", page.url().endsWith("/app/incidents"));
  check("the empty list invites declaring one", (await page.textContent("main")).includes("No incidents yet"));

  // An admin adds a component first, so the incident can name it.
  await page.goto(server.base + "/app/components");
  await page.fill("form.form-grid input[name=name]", "Checkout");
  await page.fill("form.form-grid input[name=description]", "Cart and payment pages");
  await page.click("form.form-grid button[type=submit]");
  check("the component is listed", (await page.inputValue("form.row-form input[name=name]")) === "Checkout");

  await page.goto(server.base + "/app/incidents");
  await page.click("text=Declare incident");
  await page.fill("input[name=title]", "Checkout returns 502 for most customers");
  await page.selectOption("select[name=severity]", "SEV1");
  await page.selectOption("select[name=impact]", "major");
  await page.check("input[name=components][value=Checkout]");
  await page.fill("textarea[name=summary]", "Load balancer sends **all** traffic to web-1.");
  await page.screenshot({ path: `${SHOTS}/declare.png`, fullPage: true });
  await page.click("button:has-text('Declare incident')");
  await page.waitForURL(/\/app\/incidents\/\d+$/);
  check("declaring opens the incident page", /\/app\/incidents\/\d+$/.test(page.url()));
  check("the page shows the title", (await page.textContent("h1")).includes("Checkout returns 502"));
  check("Markdown summary is rendered", (await page.innerHTML(".markdown")).includes("<strong>all</strong>"));
  check("the affected component is shown", (await page.textContent(".badges")).includes("Checkout"));
  await page.screenshot({ path: `${SHOTS}/incident.png`, fullPage: true });

  await page.goto(server.base + "/app/incidents");
  const rows = await page.locator("table.incidents tbody tr").count();
  check("the incident is listed", rows === 1);
  check("the list shows severity and status",
    (await page.textContent("table.incidents")).includes("SEV1") &&
    (await page.textContent("table.incidents")).includes("investigating"));
  await page.screenshot({ path: `${SHOTS}/incidents.png`, fullPage: true });

  await page.click("table.incidents a");
  // Resolving goes through the resolve flow: a prefilled final update.
  await page.click("a:has-text('Resolve incident')");
  await page.click("form.update-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector(".badges")?.textContent.includes("resolved"));
  check("resolving changes the status", (await page.textContent(".badges")).includes("resolved"));
  check("the clock shows time to resolve", (await page.textContent(".metrics")).match(/\d+s|\d+m/) !== null);

  await page.goto(server.base + "/");
  check("the public status page answers", (await page.textContent(".public-brand")).includes("Service status"));
  await page.screenshot({ path: `${SHOTS}/status.png`, fullPage: true });
  check("no CSP violations on any page", cspErrors.length === 0, cspErrors.join("; "));
} catch (e) {
  check("browser flow completed", false, e.message);
  console.log(server.stderr().slice(-2000));
} finally {
  await browser.close();
  await server.stop();
  finish();
}
