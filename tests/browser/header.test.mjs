// header.test.mjs (issue 18, points 2 and 6): the incident header holds
// status, severity, roles (users) and components, and every change to them
// is a timeline event with who; "Resolve incident" offers a prefilled final
// public update that also sets the affected components back to operational,
// in one post.
import { execFileSync } from "node:child_process";
import { check, startServer, launchBrowser, finish, SHOTS, BIN, signIn } from "./lib.mjs";

const server = await startServer([["ic", "editor", "browser-editor-pw"], ["casey", "editor", "browser-editor-pw2"]]);
const token = execFileSync(BIN, ["--db", server.db, "token", "add", "t", "--scope", "write"]).toString().trim();
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
  const now = Date.now();
  for (const [i, name] of ["Checkout", "Search"].entries()) {
    server.sql(`INSERT INTO components (name, description, position, created_at, updated_at) VALUES ('${name}', '', ${i}, ${now}, ${now})`);
  }
  const inc = await api("POST", "/api/v1/incidents", { title: "Checkout errors", severity: "SEV3", components: ["Checkout"] });
  await api("POST", `/api/v1/incidents/${inc.id}/updates`, { status: "identified", body: "Looking into it", components: { Checkout: "major_outage" } });

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await signIn(page, server.base, "ic", "browser-editor-pw", "/app/incidents/" + inc.id);

  // 6. The header: declared is on the timeline; roles are users.
  check("declaring put a 'declared' event on the timeline", (await page.textContent("#timeline")).includes("Declared SEV3 incident"));
  const roleUsers = await page.locator("#controls select[name=comms_lead] option").allTextContents();
  check("the communications lead is picked from users", roleUsers.includes("casey") && roleUsers.includes("ic"), roleUsers.join(","));
  for (const f of ["commander", "comms_lead", "ops_lead", "scribe"]) {
    check(`the header has the ${f} role`, (await page.locator(`#controls select[name=${f}]`).count()) === 1);
  }
  await page.selectOption("#controls select[name=severity]", "SEV1");
  await page.selectOption("#controls select[name=comms_lead]", "casey");
  await page.check("#controls input[name=components][value=Search]");
  await page.click("#controls button[type=submit]");
  await page.waitForFunction(() => (document.querySelector("#timeline")?.textContent || "").includes("Severity changed"), null, { timeout: 15000 });
  const tl = await page.textContent("#timeline");
  check("a severity change is a timeline event", tl.includes("Severity changed: SEV3 → SEV1"));
  check("a role assignment is a timeline event", tl.includes("Communications lead assigned: nobody → casey"));
  check("an added component is a timeline event", tl.includes("Component added: Search"));
  const who = await page.locator("li.event", { hasText: "Severity changed" }).textContent();
  check("the change event says who made it", who.includes("by ic"));
  check("the header shows the new severity", (await page.textContent(".badges")).includes("SEV1"));
  await page.screenshot({ path: `${SHOTS}/incident-header.png`, fullPage: false });

  // 2. Resolve flow.
  await page.click("a:has-text('Resolve incident')");
  const form = page.locator("form.update-form");
  check("resolving preselects the resolved status", await form.locator("select[name=status]").inputValue() === "resolved");
  check("resolving prefills a final public update", /resolved/i.test(await form.locator("textarea[name=body]").inputValue()));
  const checkoutSel = form.locator("select[data-name=Checkout]");
  check("resolving resets the affected component to operational", await checkoutSel.inputValue() === "operational");
  check("status names are readable", (await form.locator("select[name=status] option[value=resolved]").textContent()) === "Resolved");
  check("the update preview follows the text", (await page.textContent("[data-update-preview]")).includes("resolved"));
  const body = form.locator("textarea[name=body]");
  await body.fill((await body.inputValue()) + " **Sorry** for the trouble.");
  const md = await page.waitForFunction(() => (document.querySelector("[data-update-preview]")?.innerHTML || "").includes("<strong>Sorry</strong>"),
    null, { timeout: 10000 }).then(() => true, () => false);
  check("the update preview renders Markdown", md);
  await page.screenshot({ path: `${SHOTS}/incident-resolve.png`, fullPage: false });
  await form.locator("button[type=submit]").click();
  await page.waitForFunction(() => document.querySelector(".badges")?.textContent.includes("resolved"), null, { timeout: 15000 });
  const after = await api("GET", `/api/v1/incidents/${inc.id}`);
  check("the incident is resolved", after.status === "resolved" && after.resolved_at !== null);
  const pub = await (await fetch(server.base + "/api/v2/summary.json")).json();
  const checkout = pub.components.find((c) => c.name === "Checkout");
  check("the public page shows the component operational again", checkout && checkout.status === "operational", JSON.stringify(checkout));
  const pinc = await (await fetch(server.base + "/api/v2/incidents.json")).json();
  const last = pinc.incidents.find((x) => x.name === "Checkout errors");
  check("the public incident's last word is resolved", last && last.status === "resolved" &&
    last.incident_updates[0].status === "resolved", JSON.stringify(last && last.incident_updates[0]));

  // Mitigated: the same flow with monitoring.
  check("no script errors", errors.length === 0, errors.join("; "));
} catch (e) {
  check("header and resolve flow completed", false, e.message);
  console.log(server.stderr().slice(-1500));
} finally {
  await browser.close();
  await server.stop();
  finish();
}
