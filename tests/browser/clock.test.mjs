// clock.test.mjs (issue 18, point 3, and the incident list of point 8): one
// clock in the app. A browser in Berlin sees every time with its zone; the
// zone picker (browser, UTC or a named zone) applies everywhere in the app:
// the incident page, the list, the timeline's labels, signal titles and the
// form fields (which round-trip exactly); relative times stand beside
// absolute ones. The incident list is sorted by start with open/resolved
// filters. The postmortem page and its exports follow the picked zone.
import { check, startServer, launchBrowser, finish, SHOTS, signIn } from "./lib.mjs";

const server = await startServer([["admin", "admin", "clock-admin-password"]], ["--demo-if-empty"]);
const browser = await launchBrowser();
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: "Europe/Berlin" });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await signIn(page, server.base, "admin", "clock-admin-password");

  // The list: by start, newest first; open/resolved filters.
  const starts = await page.locator("table.incidents time").evaluateAll((ts) => ts.map((t) => t.getAttribute("datetime")));
  check("the incident list is sorted by start, newest first",
    starts.length === 3 && starts.every((s, i) => i === 0 || Date.parse(starts[i - 1]) >= Date.parse(s)), starts.join(" "));
  await page.click(".tabs a:has-text('Open')");
  check("the open filter shows no resolved incidents", (await page.locator("table.incidents tbody tr").count()) === 0);
  await page.click(".tabs a:has-text('Resolved')");
  check("the resolved filter shows the resolved ones", (await page.locator("table.incidents tbody tr").count()) === 3);

  // Browser zone (Berlin): labelled, converted, with relative time.
  const first = page.locator("table.incidents time").first();
  const iso = await first.getAttribute("datetime");
  const txt = await first.textContent();
  const berlin = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(iso));
  check("a list time is in the browser's zone", txt.includes(berlin), `${txt} vs ${berlin}`);
  check("a list time carries its zone", /GMT\+[12]|CES?T/.test(txt), txt);
  check("a relative time stands beside it", /\((\d+ \w+\.? ago|just now|yesterday|in .*)\)/.test(await page.locator("table.incidents .rel").first().textContent()));

  // Pick New York: applied everywhere, kept across pages.
  await page.selectOption("[data-tz-select]", "America/New_York");
  check("the picked zone applies at once", /EST|EDT|GMT-[45]/.test(await first.textContent()), await first.textContent());
  await page.goto(server.base + "/app/incidents");
  await page.click("table.incidents a >> nth=0");
  await page.waitForSelector("#timeline");
  const started = await page.textContent("section.clock time");
  check("the incident clock is in the picked zone", /EST|EDT|GMT-[45]/.test(started), started);
  check("the timeline names its zone", (await page.textContent("[data-zone-label]")).includes("America/New_York"));
  const sig = page.locator("li.event.kind-signal .event-title").first();
  if (await sig.count()) {
    const raw = await sig.getAttribute("data-utc-text") || "";
    const shown = await sig.textContent();
    check("signal titles show their clock times in the picked zone", /\d\d:\d\d (EST|EDT|GMT-[45])/.test(shown) && shown !== raw, shown);
  } else {
    check("the demo incident has a signal", false);
  }
  // Form fields show the zone's offset and round-trip exactly.
  const field = page.locator("#edit input[name=started_at]");
  const shownField = await field.inputValue();
  check("time fields are in the picked zone", /-0[45]:00$/.test(shownField), shownField);
  const before = await page.getAttribute("section.clock time", "datetime");
  await page.click("#edit summary");
  await page.click("#edit button[type=submit]");
  await page.waitForFunction(() => !document.querySelector("#edit .form-alert"), null, { timeout: 10000 });
  await page.reload();
  const after = await page.getAttribute("section.clock time", "datetime");
  check("saving the form keeps the times exactly", Date.parse(before) === Date.parse(after), `${before} -> ${after}`);
  await page.screenshot({ path: `${SHOTS}/clock-new-york.png`, fullPage: false });

  // The postmortem page and its exports follow the zone (the hs_tz cookie
  // and ?tz= on the export links): the server writes their times.
  const incUrl = page.url().replace(/[?#].*$/, "");
  await page.goto(incUrl + "/postmortem");
  const pmText = await page.textContent("[data-view-tz]");
  check("the postmortem is written in the picked zone", /Started:\s*\d{4}-\d\d-\d\d \d\d:\d\d (EST|EDT)/.test(pmText) && !/\d\d:\d\d UTC/.test(pmText),
    pmText.slice(0, 300));
  const mdHref = await page.getAttribute("a:has-text('Export Markdown')", "href");
  check("the export link carries the zone", mdHref.endsWith("?tz=America%2FNew_York"), mdHref);
  const md = await (await page.request.get(server.base + mdHref)).text();
  check("the Markdown export is in the picked zone", /Started:\*\* \d{4}-\d\d-\d\d \d\d:\d\d (EST|EDT)/.test(md), md.slice(0, 300));
  await page.selectOption("[data-tz-select]", "UTC");
  await page.waitForFunction(() => document.querySelector("[data-view-tz]")?.dataset.viewTz === "UTC", null, { timeout: 10000 });
  check("picking UTC writes the postmortem in UTC", /Started:\s*\d{4}-\d\d-\d\d \d\d:\d\d UTC/.test(await page.textContent("[data-view-tz]")));
  await page.goto(incUrl);
  await page.waitForSelector("#timeline");

  // UTC.
  await page.selectOption("[data-tz-select]", "UTC");
  check("UTC is labelled UTC", (await page.textContent("section.clock time")).endsWith("UTC"));
  check("no script errors", errors.length === 0, errors.join("; "));
} catch (e) {
  check("clock flow completed", false, e.message);
  console.log(server.stderr().slice(-1500));
} finally {
  await browser.close();
  await server.stop();
  finish();
}
