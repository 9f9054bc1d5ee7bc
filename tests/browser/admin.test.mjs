// admin.test.mjs (issue 18, point 8): the small things. Admins change a
// user's role and reset a password in the UI; components are reordered and
// deleted; the audit log is readable (pretty JSON, formatted times, not
// cut); action owners are picked from users; search shows no raw scores and
// groups an incident with its postmortem; the dark theme follows
// prefers-color-scheme.
import { check, startServer, launchBrowser, finish, SHOTS, signIn } from "./lib.mjs";

const server = await startServer([["admin", "admin", "admin-browser-pw"], ["dana", "viewer", "dana-browser-pw1"]], ["--demo-if-empty"]);
const browser = await launchBrowser();

async function login(page, user, pw) {
  await signIn(page, server.base, user, pw);
}

try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) { errors.push(m.text()); } });
  await login(page, "admin", "admin-browser-pw");

  // The top bar is one line at 1280 px: status-page and admin pages fold
  // into two menus that open on a click and close on Escape or elsewhere.
  const tops = await page.locator("nav.mainnav > *").evaluateAll((xs) => xs.map((x) => Math.round(x.getBoundingClientRect().top)));
  check("the admin's top bar is one line at 1280 px", new Set(tops).size === 1, tops.join(","));
  check("the menus are closed at first", !(await page.isVisible("nav.mainnav a[href='/app/users']")));
  await page.click("nav.mainnav summary:has-text('Admin')");
  check("the Admin menu opens with Users, Audit log and Settings",
    (await page.isVisible("nav.mainnav a[href='/app/users']")) && (await page.isVisible("nav.mainnav a[href='/app/audit']")) &&
    (await page.isVisible("nav.mainnav a[href='/app/settings']")));
  await page.click("nav.mainnav summary:has-text('Status page')");
  check("opening another menu closes the first",
    !(await page.isVisible("nav.mainnav a[href='/app/users']")) && (await page.isVisible("nav.mainnav a[href='/app/components']")));
  await page.screenshot({ path: `${SHOTS}/nav-menus.png`, clip: { x: 0, y: 0, width: 1280, height: 260 } });
  await page.keyboard.press("Escape");
  check("Escape closes it", !(await page.isVisible("nav.mainnav a[href='/app/components']")));
  await page.click("nav.mainnav summary:has-text('Admin')");
  await page.click("nav.mainnav a[href='/app/users']");
  await page.waitForURL("**/app/users");
  check("a menu link goes to its page", true);

  // Users: role change and password reset.
  await page.goto(server.base + "/app/users");
  const row = page.locator("tr[data-user=dana]");
  await row.locator("select[name=role]").selectOption("editor");
  await page.evaluate(() => { window.__same = 1; });
  await row.locator(".role-form button").click();
  await page.waitForFunction(() => document.querySelector("tr[data-user=dana] select[name=role] option[value=editor]")?.defaultSelected, null, { timeout: 10000 });
  check("an admin changes a user's role, the page merged in place", await page.evaluate(() => window.__same === 1));
  await page.locator("tr[data-user=dana] .reset-pw summary").click();
  await page.fill("tr[data-user=dana] input[name=password]", "dana-new-password-2");
  await page.fill("tr[data-user=dana] input[name=password]", "x".repeat(1100));
  await page.click("tr[data-user=dana] .reset-pw button");
  await page.waitForSelector("tr[data-user=dana] .form-alert", { timeout: 10000 });
  check("a refused password shows its error on that form", (await page.textContent("tr[data-user=dana] .form-alert")).includes("1024"));
  await page.fill("tr[data-user=dana] input[name=password]", "dana-new-password-2");
  await page.click("tr[data-user=dana] .reset-pw button");
  await page.waitForFunction(() => document.querySelector("main").textContent.includes("Password set"), null, { timeout: 10000 });
  check("the reset is confirmed", true);
  const other = await (await browser.newContext()).newPage();
  await login(other, "dana", "dana-new-password-2");
  check("the user logs in with the new password, as an editor", (await other.textContent(".whoami")).includes("editor"));
  await page.screenshot({ path: `${SHOTS}/users.png`, fullPage: true });

  // Components: reorder and delete.
  await page.goto(server.base + "/app/components");
  const names = async () => page.locator("table.components input[name=name]").evaluateAll((xs) => xs.map((x) => x.value));
  const before = await names();
  await page.click(`button[aria-label="Move ${before[1]} up"]`);
  await page.waitForFunction((n) => document.querySelector("table.components input[name=name]")?.value === n, before[1], { timeout: 10000 });
  const after = await names();
  check("a component moves up", after[0] === before[1] && after[1] === before[0], after.join(","));
  const pub = await (await fetch(server.base + "/api/v2/components.json")).json();
  check("the status page follows the new order", pub.components[0].name === before[1], pub.components.map((c) => c.name).join(","));
  await page.goto(server.base + "/app/components");
  await page.fill("form[action='/app/components'] input[name=name]", "Legacy FTP");
  await page.click("button:has-text('Add component')");
  await page.waitForSelector("button[data-confirm^='Delete Legacy FTP']", { timeout: 10000 });
  page.once("dialog", (d) => d.accept());
  await page.click("button[data-confirm^='Delete Legacy FTP']");
  await page.waitForFunction(() => !document.querySelector("button[data-confirm^='Delete Legacy FTP']"), null, { timeout: 10000 });
  check("a component is deleted", !(await names()).includes("Legacy FTP"));
  check("the page says what deleting does to history", (await page.textContent("main")).includes("uptime history"));

  // Audit log: pretty, formatted, complete.
  await page.goto(server.base + "/app/audit");
  const code = await page.locator("table.audit code[data-json]").evaluateAll((xs) => xs.map((x) => x.textContent).join("\n"));
  check("audit JSON is pretty-printed", code.includes('\n  "'));
  check("audit times are formatted, not epoch milliseconds", !/"\w*_at": 1\d{12}/.test(code) && /"\w*_at": "\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \w+/.test(code));
  const clipped = await page.locator("table.audit code[data-json]").evaluateAll((xs) => xs.some((x) => x.scrollHeight > x.clientHeight + 2));
  check("audit entries are not cut", !clipped);

  // Action owners picked from users.
  await page.goto(server.base + "/app/actions");
  const list = await page.getAttribute("input[name=owner] >> nth=0", "list");
  const opts = await page.locator(`datalist#${list} option`).evaluateAll((xs) => xs.map((x) => x.value));
  check("action owners are picked from users", opts.includes("admin") && opts.includes("dana"), opts.join(","));

  // Search: no raw scores; an incident and its postmortem grouped.
  await page.goto(server.base + "/app/search?q=load+balancer");
  const text = await page.textContent("main");
  check("search shows no raw scores", !/score \d/.test(text));
  const ids = await page.locator("ol.search-hits > li").evaluateAll((xs) => xs.map((x) => x.dataset.incident));
  check("each incident is listed once", new Set(ids).size === ids.length, ids.join(","));
  check("an incident's postmortem is grouped under it", (await page.locator("ol.search-hits > li ul.hit-group .hit-type").count()) > 0);
  await page.screenshot({ path: `${SHOTS}/search-grouped.png`, fullPage: false });
  await page.goto(server.base + "/app/search?q=balancers");
  check("stemmed search: 'balancers' finds the load balancer incidents",
    (await page.locator("ol.search-hits > li").count()) > 0 && (await page.textContent("main")).includes("without their endings"));
  await page.goto(server.base + "/app/search?q=rolling+back");
  check("stemmed search: 'rolling back' finds 'rolled back'", (await page.locator("ol.search-hits > li").count()) > 0);

  // Dark theme.
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto(server.base + "/app/incidents");
  const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  const m = bg.match(/\d+/g).map(Number);
  check("the dark theme follows prefers-color-scheme", m[0] + m[1] + m[2] < 120, bg);
  await page.screenshot({ path: `${SHOTS}/dark-incidents.png`, fullPage: false });
  check("no script errors or CSP violations", errors.length === 0, errors.join("; "));
} catch (e) {
  check("admin flow completed", false, e.message);
  console.log(server.stderr().slice(-1500));
} finally {
  await browser.close();
  await server.stop();
  finish();
}
