// phone.test.mjs (issue 18, point 4 and the small things of point 8): every
// app page on the demo data at 390, 800 (a tablet: the phone layout), 1024
// and 1280 px: no sideways scrolling (scrollWidth <= clientWidth), a
// compact one-line top bar, Insights in the
// navigation, keyboard help (?) on every page, no CSP violations. Saves
// screenshots phone-*.png and desktop-*.png.
import { check, startServer, launchBrowser, finish, SHOTS, signIn } from "./lib.mjs";

const server = await startServer([["admin", "admin", "phone-admin-password"]], ["--demo-if-empty"]);
const browser = await launchBrowser();
const PAGES = [
  ["incidents", "/app/incidents"],
  ["incidents-resolved", "/app/incidents?status=closed"],
  ["incident-new", "/app/incidents/new"],
  ["incident", "/app/incidents/1"],
  ["postmortem", "/app/incidents/1/postmortem"],
  ["revisions", "/app/incidents/1/postmortem/revisions"],
  ["raw", "/app/incidents/1/raw?q=502"],
  ["history", "/app/events/1/history"],
  ["actions", "/app/actions"],
  ["components", "/app/components"],
  ["maintenances", "/app/maintenances"],
  ["users", "/app/users"],
  ["subscribers", "/app/subscribers"],
  ["audit", "/app/audit"],
  ["search", "/app/search?q=load+balancer"],
  ["insights", "/app/insights"],
];
try {
  for (const [label, width, height] of [["phone", 390, 844], ["tablet", 800, 1000], ["narrow", 1024, 768], ["desktop", 1280, 900]]) {
    const ctx = await browser.newContext({ viewport: { width, height } });
    const page = await ctx.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) { errors.push(m.text()); } });
    await signIn(page, server.base, "admin", "phone-admin-password");
    for (const [name, path] of PAGES) {
      await page.goto(server.base + path);
      await page.waitForLoadState("load");
      const m = await page.evaluate(() => {
        const d = document.documentElement;
        // The widest element, to name the culprit when it fails.
        let worst = "", w = 0;
        document.querySelectorAll("main *").forEach((el) => {
          const r = el.getBoundingClientRect();
          if (r.right > w) { w = r.right; worst = el.tagName.toLowerCase() + "." + el.className; }
        });
        return { sw: d.scrollWidth, cw: d.clientWidth, worst, w: Math.round(w) };
      });
      check(`${label} ${name}: no sideways scrolling`, m.sw <= m.cw, `scrollWidth ${m.sw} > ${m.cw}; widest ${m.worst} to ${m.w}`);
      const bar = await page.locator("header.topbar").boundingBox();
      check(`${label} ${name}: the top bar is compact (one line)`, bar && bar.height <= 64, bar && `${bar.height}px`);
      const help = page.locator("#keys-help");
      await page.evaluate(() => document.activeElement && document.activeElement.blur());
      await page.keyboard.press("?");
      check(`${label} ${name}: ? shows the keyboard help`, await help.isVisible());
      await page.keyboard.press("Escape");
      await page.screenshot({ path: `${SHOTS}/${label}-${name}.png`, fullPage: label === "phone" });
    }
    check(`${label}: Insights is in the navigation`, (await page.locator("header a[href='/app/insights']").count()) > 0);
    check(`${label}: no script errors or CSP violations`, errors.length === 0, errors.join("; "));
    await ctx.close();
  }
} catch (e) {
  check("phone tour completed", false, e.message);
  console.log(server.stderr().slice(-1500));
} finally {
  await browser.close();
  await server.stop();
  finish();
}
