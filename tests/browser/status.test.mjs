// status.test.mjs: the public status page in three states (all
// operational, an incident with updates, maintenance in progress) at phone
// (390 px) and desktop widths. Saves screenshots under
// tests/browser/screenshots/status-*.png; checks what customers must see,
// the uptime tooltips, and that the CSP is never violated. Then subscribes
// from the page's Subscribe link to one component and confirms, at both
// widths (screenshots subscribe-{form,sent,confirm,done}-*.png).
import { execFileSync } from "node:child_process";
import { check, startServer, launchBrowser, finish, SHOTS, BIN } from "./lib.mjs";

const server = await startServer([["admin", "admin", "browser-admin-pw"]]);
const token = execFileSync(BIN, ["--db", server.db, "token", "add", "shots", "--scope", "write"]).toString().trim();
const browser = await launchBrowser();

async function api(method, path, body, headers = {}) {
  const res = await fetch(server.base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status >= 300) { throw new Error(`${method} ${path}: ${res.status} ${text}`); }
  return JSON.parse(text);
}

function sql(q) { server.sql(q); }

async function shoot(state) {
  for (const [label, width, height] of [["phone", 390, 844], ["desktop", 1280, 900]]) {
    const page = await browser.newPage({ viewport: { width, height } });
    const csp = [];
    page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });
    await page.goto(server.base + "/");
    await page.screenshot({ path: `${SHOTS}/status-${state}-${label}.png`, fullPage: true });
    check(`${state} ${label}: no CSP violations`, csp.length === 0, csp.join("; "));
    const visible = label === "phone" ? "svg.uptime-30" : "svg.uptime-90";
    check(`${state} ${label}: the uptime bars for this width are shown`,
      await page.locator(visible).first().isVisible());
    await page.close();
  }
}

try {
  const names = [["Website", "Storefront and search"], ["Checkout", "Cart and payment"],
    ["API", "Public REST API"], ["Payments", "Card payments"]];
  // Components are an admin's job; here they are created 100 days ago
  // straight in the database (the history trigger records them), with a
  // major outage 12 days ago (3 h) on Checkout and a partial one on API.
  const day = 86400000, now = Date.now();
  names.forEach(([name, description], i) => {
    sql(`INSERT INTO components (name, description, position, created_at, updated_at) VALUES ('${name}', '${description}', ${i}, ${now - 100 * day}, ${now - 100 * day})`);
  });
  sql(`INSERT INTO component_history (component_id, status, from_ts) SELECT id, 'major_outage', ${now - 12 * day} FROM components WHERE name = 'Checkout'`);
  sql(`INSERT INTO component_history (component_id, status, from_ts) SELECT id, 'operational', ${now - 12 * day + 3 * 3600000} FROM components WHERE name = 'Checkout'`);
  sql(`INSERT INTO component_history (component_id, status, from_ts) SELECT id, 'partial_outage', ${now - 40 * day} FROM components WHERE name = 'API'`);
  sql(`INSERT INTO component_history (component_id, status, from_ts) SELECT id, 'operational', ${now - 40 * day + 8 * 3600000} FROM components WHERE name = 'API'`);
  // A write through the server, so its cache sees the new data version.
  await api("POST", "/api/v1/maintenances", { title: "Old work", scheduled_for: new Date(now - 50 * day).toISOString(),
    scheduled_until: new Date(now - 50 * day + 3600000).toISOString() });

  // 1. All operational.
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(server.base + "/");
  check("operational: the banner says so", (await page.textContent(".banner-title")).includes("All Systems Operational"));
  const bars = page.locator(".component", { hasText: "Checkout" }).locator("svg.uptime-90 rect");
  check("90 bars per component", (await bars.count()) === 90);
  const tips = await bars.locator("title").allTextContents();
  check("a day's bar has a tooltip with its uptime and outage",
    tips.some((t) => /\d+\.\d\d% uptime, major outage \d+h/.test(t)), tips.slice(75, 80).join(" | "));
  check("the outage day is drawn as a major outage", (await page.locator(".component", { hasText: "Checkout" }).locator("rect.day-critical").count()) >= 1);
  await page.close();
  await shoot("operational");

  // 2. An incident with two updates.
  const inc = await api("POST", "/api/v1/incidents", {
    title: "Checkout errors for some customers", impact: "major", severity: "SEV1",
    summary: "internal notes", components: ["Checkout"],
  });
  await api("POST", `/api/v1/incidents/${inc.id}/updates`, {
    status: "investigating", body: "We are investigating **elevated error rates** on checkout.",
    components: { Checkout: "major_outage" },
  });
  await api("POST", `/api/v1/incidents/${inc.id}/updates`, {
    status: "identified", body: "A load balancer change sent all traffic to one server. We are rolling it back.",
    components: { Checkout: "partial_outage", Website: "degraded_performance" },
  });
  const p2 = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await p2.goto(server.base + "/");
  check("incident: the banner shows a partial outage", (await p2.textContent(".banner-title")).includes("Partial System Outage"));
  check("incident: newest update first", (await p2.locator(".incident-notice .update-status").first().textContent()).includes("Identified"));
  check("incident: Markdown rendered", (await p2.innerHTML(".incident-notice")).includes("<strong>elevated error rates</strong>"));
  check("incident: internal summary not shown", !(await p2.content()).includes("internal notes"));
  await p2.close();
  await shoot("incident");

  // 3. Resolve it; a maintenance window in progress on Payments.
  await api("POST", `/api/v1/incidents/${inc.id}/updates`, {
    status: "resolved", body: "Fixed. All orders go through again.",
    components: { Checkout: "operational", Website: "operational" },
  });
  const start = new Date(now - 3600000).toISOString(), end = new Date(now + 3 * 3600000).toISOString();
  await api("POST", "/api/v1/maintenances", {
    title: "Payment provider upgrade", body: "Card payments may be **slow** for a few minutes.",
    scheduled_for: start, scheduled_until: end, components: ["Payments"],
  });
  await api("POST", "/api/v1/maintenances", {
    title: "Database failover test", scheduled_for: new Date(now + 3 * day).toISOString(),
    scheduled_until: new Date(now + 3 * day + 7200000).toISOString(), components: ["API"],
  });
  const p3 = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await p3.goto(server.base + "/");
  check("maintenance: the banner says so", (await p3.textContent(".banner-title")).includes("Under Maintenance"));
  check("maintenance: the component is under maintenance",
    (await p3.locator(".component", { hasText: "Payments" }).textContent()).includes("Under maintenance"));
  check("maintenance: the upcoming window is listed", (await p3.textContent("main")).includes("Database failover test"));
  await p3.goto(server.base + "/history");
  check("history lists the resolved incident", (await p3.textContent("main")).includes("Checkout errors for some customers"));
  await p3.screenshot({ path: `${SHOTS}/status-history-desktop.png`, fullPage: true });
  await p3.goto(server.base + `/incidents/${inc.id}`);
  check("the public incident page shows all updates", (await p3.locator("li.update").count()) === 3);
  await p3.screenshot({ path: `${SHOTS}/status-incident-page-desktop.png`, fullPage: true });
  await p3.close();
  await shoot("maintenance");

  // 4. Subscribing: from the status page's Subscribe link, tick a
  // component, submit; then follow the confirmation link (read from the
  // outbox, as no relay is set up here) and press Confirm.
  for (const [label, width, height] of [["phone", 390, 844], ["desktop", 1280, 900]]) {
    const address = `reader-${label}@example.com`;
    const p4 = await browser.newPage({ viewport: { width, height } });
    const csp = [];
    p4.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });
    await p4.goto(server.base + "/");
    await p4.click("header a[href='/subscribe']");
    await p4.waitForURL(/\/subscribe$/);
    check(`subscribe ${label}: the Subscribe link opens the form`,
      (await p4.textContent("h1")).includes("Subscribe to updates"));
    await p4.fill("input[name=address]", address);
    await p4.locator("label.check", { hasText: "Checkout" }).locator("input").check();
    await p4.screenshot({ path: `${SHOTS}/subscribe-form-${label}.png`, fullPage: true });
    const [resp] = await Promise.all([
      p4.waitForNavigation(),
      p4.click("button[type=submit]"),
    ]);
    check(`subscribe ${label}: accepted (202)`, resp.status() === 202, `status ${resp.status()}`);
    check(`subscribe ${label}: the page says to check the inbox`,
      (await p4.textContent("h1")).includes("Check your inbox") && (await p4.textContent("main")).includes(address));
    await p4.screenshot({ path: `${SHOTS}/subscribe-sent-${label}.png`, fullPage: true });
    const row = server.sql(
      `SELECT CASE WHEN s.confirmed_at IS NULL THEN 1 ELSE 0 END, group_concat(c.name), (SELECT body_text FROM outbox o WHERE o.subscriber_id = s.id AND o.topic = 'confirm')
       FROM subscribers s JOIN subscriber_components sc ON sc.subscriber_id = s.id JOIN components c ON c.id = sc.component_id
       WHERE s.address = '${address}' GROUP BY s.id, s.confirmed_at`);
    check(`subscribe ${label}: stored unconfirmed, for Checkout only`, row.startsWith("1|Checkout|"), row.slice(0, 40));
    const link = (row.match(/https?:\/\/\S*\/subscribe\/confirm\?token=[0-9a-f]{64}/) || [])[0];
    check(`subscribe ${label}: the confirmation carries a link`, !!link);
    await p4.goto(server.base + link.replace(/^https?:\/\/[^/]+/, ""));
    check(`subscribe ${label}: the link shows a Confirm button`, await p4.locator("button", { hasText: "Confirm" }).isVisible());
    await p4.screenshot({ path: `${SHOTS}/subscribe-confirm-${label}.png`, fullPage: true });
    await Promise.all([p4.waitForNavigation(), p4.click("button[type=submit]")]);
    check(`subscribe ${label}: confirmed`, (await p4.textContent("h1")).includes("You are subscribed"));
    await p4.screenshot({ path: `${SHOTS}/subscribe-done-${label}.png`, fullPage: true });
    check(`subscribe ${label}: no CSP violations`, csp.length === 0, csp.join("; "));
    await p4.close();
  }
} catch (e) {
  check("status page flow completed", false, e.message);
  console.log(server.stderr().slice(-2000));
} finally {
  await browser.close();
  await server.stop();
  finish();
}
