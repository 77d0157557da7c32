// Shared helpers of the end-to-end browser tests (node --test): start the real Sesame
// binary on a free loopback port with a fresh data dir, drive Debian's Chromium with
// playwright-core, sign in, take screenshots. Nothing is downloaded: the browser is
// /usr/bin/chromium (or $CHROMIUM), installed by scripts/test.sh.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, "../..");
export const bin = process.env.SESAME_BIN || join(repo, "target/debug/sesame");
export const screenshots = process.env.SESAME_SCREENSHOTS || join(here, "screenshots");
export const DEMO_PASSWORD = "Demo-Pass-e2e-2026";

export async function freePort() {
  return await new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/**
 * Starts `sesame serve` (with `--demo` unless demo=false) and resolves when it listens;
 * its public URL is http://HOST:PORT (host: 127.0.0.1 unless given).
 * Returns { base, tenant, dataDir, adminUpn, adminPassword, demoUpn, demoPassword,
 * cli(args, {input}), stop() }.
 */
export async function startServer({ demo = true, env = {}, host = "127.0.0.1" } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "sesame-e2e-"));
  const port = await freePort();
  // The public URL's host: `localhost` where a host name is needed (passkeys: browsers
  // refuse an IP address as the WebAuthn RP ID); the server listens on 127.0.0.1 either way.
  const base = `http://${host}:${port}`;
  const args = ["serve", "--data-dir", dataDir, "--listen", `127.0.0.1:${port}`, "--public-url", base];
  if (demo) args.push("--demo");
  const child = spawn(bin, args, {
    env: { ...process.env, SESAME_DEMO_PASSWORD: DEMO_PASSWORD, RUST_LOG: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const tenant = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`sesame did not start in 60 s:\n${out}\n${err}`)), 60_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/IdP Identifier \S+\/([0-9a-f-]{36})\//);
      if (m && out.includes("listening on")) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`sesame exited (${code}) before listening:\n${out}\n${err}`));
    });
  });
  const adminPassword = readFileSync(join(dataDir, "initial-admin-password"), "utf8").trim();
  const cli = (cliArgs, { input } = {}) => {
    const r = spawnSync(bin, [...cliArgs, "--data-dir", dataDir], { input, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`sesame ${cliArgs.join(" ")} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  };
  return {
    base,
    tenant,
    dataDir,
    adminUpn: "admin@sesame.local",
    adminPassword,
    demoUpn: "B.Simon@contoso.com",
    demoPassword: DEMO_PASSWORD,
    cli,
    logs: () => ({ out, err }),
    async stop() {
      child.kill("SIGTERM");
      await new Promise((ok) => (child.exitCode !== null ? ok() : child.once("exit", ok)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless, with the flags this closed network needs. */
export async function launchBrowser() {
  return await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

/** A new browser context (its own cookies) with a laptop-sized window and downloads on. */
export async function newContext(browser) {
  return await browser.newContext({ viewport: { width: 1366, height: 860 }, acceptDownloads: true });
}

/**
 * Signs in on Sesame's login page. `page` must be on the login page already (after
 * being redirected there) or `url` is opened first.
 */
export async function signIn(page, { upn, password, url } = {}) {
  if (url) await page.goto(url);
  await page.getByLabel("User principal name").fill(upn);
  await page.getByLabel("Password").fill(password);
  await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: "Sign in", exact: true }).click()]);
}

/** Writes a full-page screenshot to tests/e2e/screenshots/NAME.png (or $SESAME_SCREENSHOTS). */
export async function shot(page, name) {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}
