// reorder.test.mjs: dragging components and groups on /app/components
// (reorder.js). At 1280 px with the mouse: a component within its group
// and a group with its members. At 390 px with touch (a hasTouch context;
// real touch input through the DevTools protocol, which Chromium turns into
// pointer events): a component within the loose list. Each time the rows
// on the page and /api/v2/components.json follow. Screenshots mid-drag
// (the drop line) and after: reorder-*.png. No CSP violation.
import { check, startServer, launchBrowser, finish, SHOTS, signIn } from "./lib.mjs";

const server = await startServer([["admin", "admin", "browser-admin-pw"]]);
const browser = await launchBrowser();

// The public order: groups and components by name, as components.json lists them.
async function publicOrder() {
  const res = await fetch(server.base + "/api/v2/components.json");
  return (await res.json()).components.map((c) => c.name).join(",");
}

// The admin rows' names in page order.
function rows(page) {
  return page.locator("tr.reorder-row input[name=name]").evaluateAll((els) => els.map((e) => e.value).join(","));
}

async function login(ctx) {
  const page = await ctx.newPage();
  page.csp = [];
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) page.csp.push(m.text()); });
  await signIn(page, server.base, "admin", "browser-admin-pw");
  await page.goto(server.base + "/app/components");
  return page;
}

// Waits until the page's rows read want (the save merges the page again).
async function settle(page, want) {
  await page.waitForFunction((w) => [...document.querySelectorAll("tr.reorder-row input[name=name]")]
    .map((e) => e.value).join(",") === w && /saved/i.test(document.querySelector(".reorder-status").textContent),
  want).catch(() => {});
}

function centre(box) { return { x: box.x + box.width / 2, y: box.y + box.height / 2 }; }

try {
  // Desktop, mouse: Charlie above Alpha. Components made by the admin's
  // session (creating them takes the admin role).
  const desk = await login(await browser.newContext({ viewport: { width: 1280, height: 900 } }));
  const made = await desk.evaluate(async () => {
    const csrf = document.querySelector("meta[name=csrf-token]").content;
    const out = [];
    for (const [name, group] of [["Alpha", ""], ["Bravo", ""], ["Charlie", ""], ["Db1", "Databases"], ["Db2", "Databases"],
      ["Web1", "Frontends"], ["Web2", "Frontends"]]) {
      const res = await fetch("/api/v1/components", {
        method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(group ? { name, group } : { name }),
      });
      out.push(res.status);
    }
    return out.join(",");
  });
  check("seven components made", made === "201,201,201,201,201,201,201", made);
  check("the public order to begin with", await publicOrder() === "Databases,Db1,Db2,Frontends,Web1,Web2,Alpha,Bravo,Charlie");
  await desk.reload();
  check("the handles show with script", await desk.locator('[aria-label="Drag Charlie"]').isVisible());
  check("the Up/Down buttons stay", await desk.locator('button[aria-label="Move Charlie up"]').isVisible());
  // The mouse does not scroll: bring the rows on screen first.
  await desk.locator('[aria-label="Drag Charlie"]').scrollIntoViewIfNeeded();
  let from = centre(await desk.locator('[aria-label="Drag Charlie"]').boundingBox());
  let to = await desk.locator('tr.reorder-row:has(input[value="Alpha"])').boundingBox();
  await desk.mouse.move(from.x, from.y);
  await desk.mouse.down();
  await desk.mouse.move(from.x, to.y + 5, { steps: 12 });
  check("a drop line shows while dragging", await desk.locator('tr.reorder-row.drop-before:has(input[value="Alpha"])').count() === 1);
  check("the dragged row is marked", await desk.locator('tr.reorder-row.dragging:has(input[value="Charlie"])').count() === 1);
  await desk.screenshot({ path: `${SHOTS}/reorder-drag-desktop.png`, fullPage: true });
  await desk.mouse.up();
  await settle(desk, "Db1,Db2,Web1,Web2,Charlie,Alpha,Bravo");
  check("mouse: the rows show Charlie first", await rows(desk) === "Db1,Db2,Web1,Web2,Charlie,Alpha,Bravo", await rows(desk));
  check("mouse: components.json follows", await publicOrder() === "Databases,Db1,Db2,Frontends,Web1,Web2,Charlie,Alpha,Bravo", await publicOrder());

  // A group with its members: Frontends above Databases.
  await desk.evaluate(() => window.scrollTo(0, 0));
  from = centre(await desk.locator('[aria-label="Drag group Frontends"]').boundingBox());
  to = await desk.locator('tr.group-row:has([aria-label="Drag group Databases"])').boundingBox();
  await desk.mouse.move(from.x, from.y);
  await desk.mouse.down();
  await desk.mouse.move(from.x, to.y + 2, { steps: 12 });
  await desk.mouse.up();
  await settle(desk, "Web1,Web2,Db1,Db2,Charlie,Alpha,Bravo");
  check("mouse: a group moves with its members", await rows(desk) === "Web1,Web2,Db1,Db2,Charlie,Alpha,Bravo", await rows(desk));
  check("mouse: components.json has Frontends first", await publicOrder() === "Frontends,Web1,Web2,Databases,Db1,Db2,Charlie,Alpha,Bravo", await publicOrder());

  // A member stays in its group: dropping Db2 among the loose ones puts it
  // last in Databases.
  await desk.locator('tr.reorder-row:has(input[value="Db2"])').evaluate((e) => e.scrollIntoView({ block: "start" }));
  from = centre(await desk.locator('[aria-label="Drag Db2"]').boundingBox());
  to = await desk.locator('tr.reorder-row:has(input[value="Alpha"])').boundingBox();
  await desk.mouse.move(from.x, from.y);
  await desk.mouse.down();
  await desk.mouse.move(from.x, to.y + 5, { steps: 12 });
  check("no drop line outside the member's group", await desk.locator('tr.reorder-row:has(input[value="Alpha"])').evaluate((e) => !/drop-/.test(e.className)));
  await desk.locator(".reorder-status").evaluate((e) => { e.textContent = ""; });
  await desk.mouse.up();
  check("dropped past its group's end: nothing to save", await desk.locator(".reorder-status").textContent() === "");
  check("a member stays in its group", await publicOrder() === "Frontends,Web1,Web2,Databases,Db1,Db2,Charlie,Alpha,Bravo", await publicOrder());
  await desk.screenshot({ path: `${SHOTS}/reorder-desktop.png`, fullPage: true });
  check("no CSP violation (desktop)", desk.csp.length === 0, desk.csp.join(" | "));

  // Phone, touch: Bravo above Alpha.
  const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  const phone = await login(phoneCtx);
  const handle = phone.locator('[aria-label="Drag Bravo"]');
  // Alpha's card near the top, but clear of the edge where dragging scrolls.
  await phone.locator('tr.reorder-row:has(input[value="Alpha"])').evaluate((e) => { e.scrollIntoView({ block: "start" }); window.scrollBy(0, -120); });
  check("the handle shows on a phone", await handle.isVisible());
  const cdp = await phoneCtx.newCDPSession(phone);
  const touch = (type, p) => cdp.send("Input.dispatchTouchEvent", { type, touchPoints: p ? [{ x: p.x, y: p.y }] : [] });
  from = centre(await handle.boundingBox());
  to = await phone.locator('tr.reorder-row:has(input[value="Alpha"])').boundingBox();
  check("both cards are on screen, clear of the edges", to.y >= 60 && to.y < from.y && from.y < 844 - 60, JSON.stringify([to, from]));
  const scrollBefore = await phone.evaluate(() => window.scrollY);
  await touch("touchStart", from);
  for (let i = 1; i <= 12; i++) {
    await touch("touchMove", { x: from.x, y: from.y + (to.y + 8 - from.y) * i / 12 });
  }
  check("touch: a drop line shows", await phone.locator('tr.reorder-row.drop-before:has(input[value="Alpha"])').count() === 1);
  check("touch: the finger drags, the page does not scroll", await phone.evaluate(() => window.scrollY) === scrollBefore,
    `${scrollBefore} -> ${await phone.evaluate(() => window.scrollY)}`);
  await phone.screenshot({ path: `${SHOTS}/reorder-drag-phone.png` });
  await touch("touchEnd", null);
  await settle(phone, "Web1,Web2,Db1,Db2,Charlie,Bravo,Alpha");
  check("touch: the rows show Bravo before Alpha", await rows(phone) === "Web1,Web2,Db1,Db2,Charlie,Bravo,Alpha", await rows(phone));
  check("touch: components.json follows", await publicOrder() === "Frontends,Web1,Web2,Databases,Db1,Db2,Charlie,Bravo,Alpha", await publicOrder());
  await phone.screenshot({ path: `${SHOTS}/reorder-phone.png`, fullPage: true });
  check("no CSP violation (phone)", phone.csp.length === 0, phone.csp.join(" | "));

  // The public page shows the same order.
  await phone.goto(server.base + "/");
  const shown = await phone.locator("main strong").evaluateAll((els) => els.map((e) => e.textContent).filter((t) => /^(Alpha|Bravo|Charlie)$/.test(t)).join(","));
  check("the public page follows", shown === "Charlie,Bravo,Alpha", shown);
} catch (e) {
  check("reorder test ran", false, e.stack);
} finally {
  await browser.close();
  await server.stop();
  finish();
}
