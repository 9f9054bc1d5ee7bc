// lib.mjs: shared helpers for browser tests. Starts a real hindsight on a
// free loopback port with a temporary database, and a real headless
// Chromium (Debian's, driven by playwright-core). Prints PASS/FAIL lines.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const BIN = process.env.HS_BIN || "./hindsight";
export const SHOTS = "tests/browser/screenshots";
let nFail = 0;

export function check(name, ok, detail) {
  if (ok) {
    console.log(`PASS ${name}`);
  } else {
    nFail++;
    console.log(`FAIL ${name}${detail ? ` (${detail})` : ""}`);
  }
}

// Under `make test DB=pg` (HS_PG set by tests/run.sh) the database is a
// fresh one on the run's PostgreSQL cluster, as in tests/http/lib.sh.
const PG = process.env.HS_PG || "";

export async function startServer(users, extraArgs = []) {
  const dir = mkdtempSync(join(tmpdir(), "hs-browser-"));
  const db = PG
    ? execFileSync("sh", ["tests/pg.sh", "createdb", PG]).toString().trim()
    : join(dir, "test.db");
  for (const [name, role, pw] of users) {
    execFileSync(BIN, ["--db", db, "user", "add", name, "--role", role], {
      input: pw + "\n",
      stdio: ["pipe", "ignore", "ignore"],
    });
  }
  const proc = spawn(BIN, ["--db", db, "serve", "--listen", "127.0.0.1:0", "--threads", "2", ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let errText = "";
  proc.stderr.on("data", (d) => { errText += d; });
  const base = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("server did not start: " + errText)), 10000);
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on("exit", (code) => reject(new Error(`server exited ${code}: ${errText}`)));
  });
  return {
    base, db, dir,
    stderr: () => errText,
    // The shell on the database: sqlite3, or psql printing as it does.
    sql(q) {
      return PG
        ? execFileSync("psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", db, "-c", q],
          { env: { ...process.env, PGOPTIONS: "-c search_path=public,sqlite_compat" } }).toString()
        : execFileSync("sqlite3", [db, q]).toString();
    },
    async stop() {
      const exited = new Promise((r) => proc.on("exit", (code) => r(code)));
      proc.kill("SIGTERM");
      const code = await exited;
      check("server exits cleanly after the browser test", code === 0, `exit ${code}`);
      check("no sanitizer report from the server", !/AddressSanitizer|LeakSanitizer|runtime error:/.test(errText));
      rmSync(dir, { recursive: true, force: true });
      if (PG) {
        execFileSync("sh", ["tests/pg.sh", "dropdb", db]);
        // The last good pages, kept in the working directory there.
        const name = (db.match(/dbname=([A-Za-z0-9_]+)/) || [])[1];
        if (name) { rmSync(`hindsight-pg-${name}.lastgood`, { recursive: true, force: true }); }
      }
    },
  };
}

// Logs page in through the login form, as a user would; waits for where
// the login goes (next, or the incident list).
export async function signIn(page, base, user, pw, next) {
  await page.goto(base + "/login" + (next ? "?next=" + next : ""));
  await page.fill("input[name=username]", user);
  await page.fill("input[name=password]", pw);
  await page.click("button[type=submit]");
  await page.waitForURL("**" + (next || "/app/incidents"));
}

export async function launchBrowser() {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export function finish() {
  process.exitCode = nFail ? 1 : 0;
}
