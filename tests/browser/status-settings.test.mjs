// status-settings.test.mjs: issue 19 in a real browser. An admin sets the
// page name, zone and accent colour on /app/settings, reorders components
// with the up/down buttons; the public page then shows the new name, the
// zone in its footer, the order, a folded group that opens on a click (no
// script), the past 7 days, and /embed. Screenshots at 390 and 1280 px:
// settings-*.png, status-branded-*.png, embed.png. No CSP violation.
import { execFileSync } from "node:child_process";
import { check, startServer, launchBrowser, finish, SHOTS, BIN, signIn } from "./lib.mjs";

const server = await startServer([["admin", "admin", "browser-admin-pw"]]);
const token = execFileSync(BIN, ["--db", server.db, "token", "add", "shots", "--scope", "write"]).toString().trim();
const browser = await launchBrowser();

async function api(method, path, body) {
  const res = await fetch(server.base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status >= 300) { throw new Error(`${method} ${path}: ${res.status} ${text}`); }
  return JSON.parse(text);
}

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const csp = [];
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });
  await signIn(page, server.base, "admin", "browser-admin-pw");

  // Components: three loose, two in a group.
  await page.goto(server.base + "/app/components");
  for (const [name, group] of [["Website", ""], ["Checkout", ""], ["API", ""], ["Primary DB", "Databases"], ["Replica DB", "Databases"]]) {
    await page.fill("form.form-grid input[name=name]", name);
    await page.fill("form.form-grid input[name=group]", group);
    await page.click("form.form-grid button[type=submit]");
    await page.waitForURL("**/app/components");
    // The URL was /app/components already: wait for the new row itself, or
    // the next fill could race the page that answers this submit.
    await page.waitForFunction((n) => [...document.querySelectorAll("form.row-form input[name=name]")]
      .some((e) => e.value === n), name);
  }
  await page.click('button[aria-label="Move API up"]');
  await page.waitForURL("**/app/components");
  // The admin list is in the public page's order: groups first, then the
  // components in no group (these three).
  await page.waitForFunction(() => [...document.querySelectorAll("form.row-form")]
    .filter((f) => f.elements.group.value === "").map((f) => f.elements.name.value).join(",") === "Website,API,Checkout")
    .catch(() => {});
  const loose = await page.locator("form.row-form").evaluateAll((fs) => fs
    .filter((f) => f.elements.group.value === "").map((f) => f.elements.name.value).join(","));
  check("the admin list follows the move", loose === "Website,API,Checkout", loose);

  // Settings at both widths.
  for (const [label, width] of [["phone", 390], ["desktop", 1280]]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(server.base + "/app/settings");
    await page.screenshot({ path: `${SHOTS}/settings-${label}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  check("the menu links to Settings", await page.locator('nav[aria-label="Main"] a[href="/app/settings"]').count() === 1);
  await page.fill("input[name=page_name]", "Acme Shop status");
  await page.fill("input[name=time_zone]", "America/New_York");
  await page.fill("input[name=page_accent_color]", "#7b2cbf");
  await page.fill("input[name=page_support_url]", "mailto:help@acme.test");
  await page.fill("input[name=page_chart_components]", "Checkout");
  await page.click("button.primary[type=submit]");
  await page.waitForURL("**/app/settings?saved=1");
  check("saving says so", (await page.textContent("main")).includes("Saved."));
  check("the zone field keeps the value", (await page.inputValue("input[name=time_zone]")) === "America/New_York");

  // Something to show: a degraded database, an incident with an update.
  const inc = await api("POST", "/api/v1/incidents", { title: "Slow checkout", components: ["Checkout"] });
  await api("POST", `/api/v1/incidents/${inc.id}/updates`, {
    status: "identified", body: "A slow **replica**; failing over.", components: { "Replica DB": "degraded_performance" },
  });

  // An access log for the incident: an hour of traffic, errors in the middle.
  const lines = [];
  const t0 = Date.now() - 70 * 60000;
  const mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  for (let m = 0; m < 60; m++) {
    const d = new Date(t0 + m * 60000);
    const ts = `${String(d.getUTCDate()).padStart(2, "0")}/${mon[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
      `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}:00 +0000`;
    for (let i = 0; i < 20 + (m % 7); i++) {
      const st = m > 25 && m < 40 && i % 3 === 0 ? 502 : 200;
      lines.push(`10.0.0.${i} - - [${ts}] "GET /pay HTTP/1.1" ${st} 10 "-" "curl/8"`);
    }
  }
  const res = await fetch(server.base + `/api/v1/incidents/${inc.id}/ingest?format=nginx`, {
    method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "text/plain" }, body: lines.join("\n") + "\n",
  });
  check("access log ingested", res.status < 300, String(res.status));

  for (const [label, width] of [["phone", 390], ["desktop", 1280]]) {
    const p = await browser.newPage({ viewport: { width, height: 900 } });
    p.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });
    await p.goto(server.base + "/");
    await p.screenshot({ path: `${SHOTS}/status-branded-${label}.png`, fullPage: true });
    check(`${label}: the new page name`, (await p.textContent(".public-brand")).includes("Acme Shop status"));
    check(`${label}: the zone is named`, /Times in America\/New_York \((EST|EDT)\)/.test(await p.textContent("footer")));
    check(`${label}: update times are labelled EST/EDT`, /(EST|EDT)$/.test((await p.textContent(".update .when")).trim()));
    check(`${label}: seven days listed`, (await p.locator(".past-day").count()) === 7);
    check(`${label}: today lists the incident with a link`,
      (await p.locator('.past-day').first().locator(`a[href="/incidents/${inc.id}"]`).count()) === 1);
    const order = await p.locator(".component-name strong").evaluateAll((els) => els.map((e) => e.textContent));
    check(`${label}: components in the admin's order`, order.slice(0, 3).join(",") === "Website,API,Checkout", order.join(","));
    const accent = await p.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--accent").trim());
    check(`${label}: the accent colour applies`, accent === "#7b2cbf", accent);
    check(`${label}: Checkout shows its metrics`, await p.locator(".metrics-svg").first().isVisible());
    await p.close();
  }
  // All well in a group: it folds; a click opens it.
  await api("POST", `/api/v1/incidents/${inc.id}/updates`, {
    status: "resolved", body: "Failed over.", components: { "Replica DB": "operational" },
  });
  const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  p.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });
  await p.goto(server.base + "/");
  check("a healthy group is folded", !(await p.locator("details.group .component").first().isVisible()));
  await p.click("details.group > summary");
  check("a click opens it", await p.locator("details.group .component").first().isVisible());
  await p.goto(server.base + `/incidents/${inc.id}`);
  check("incident header and updates share a zone",
    /(EST|EDT)$/.test((await p.textContent(".public-head .small")).trim()) &&
    /(EST|EDT)$/.test((await p.textContent(".update .when")).trim()));
  await p.setViewportSize({ width: 480, height: 120 });
  await p.goto(server.base + "/embed");
  await p.screenshot({ path: `${SHOTS}/embed.png` });
  check("embed shows the status", (await p.textContent(".embed-status")).includes("All Systems Operational"));
  await p.close();
  check("no CSP violations", csp.length === 0, csp.join("; "));
  await page.close();
} catch (e) {
  check("status settings browser run", false, e.stack);
} finally {
  await browser.close();
  await server.stop();
  finish();
}
