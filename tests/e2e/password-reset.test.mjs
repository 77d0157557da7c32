// Forgot my password in a real browser: a user with an authenticator app (registered
// through Security info, its codes computed here by RFC 6238) opens the sign-in page,
// follows Forgot my password, reads the mail Sesame sent over SMTP to a real SMTP server
// (aiosmtpd, tests/mail/smtp_server.py, from the test venv), opens the link, gives the
// app's code and a new password, and signs in with it. The screenshot of
// docs/self-service.md is the new-password page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, launchBrowser, newContext, signIn, shot, repo, freePort } from "./lib.mjs";

const UPN = "r.moreno@contoso.com";
const FIRST = "Correct-Horse-42";
const NEXT = "river lamp orange violin";

let server, browser, smtp, inbox;

/** aiosmtpd on a free port, writing each message it accepts to `inbox` as NNNN.eml. */
async function startSmtp() {
  inbox = mkdtempSync(join(tmpdir(), "sesame-e2e-inbox-"));
  const port = await freePort();
  const python = process.env.SESAME_TEST_PYTHON || join(repo, ".venv/bin/python");
  const child = spawn(python, [join(repo, "tests/mail/smtp_server.py"), "--port", String(port), "--dir", inbox], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`aiosmtpd did not start:\n${err}`)), 30_000);
    child.stdout.on("data", (d) => {
      if (String(d).includes("ready")) {
        clearTimeout(timer);
        ok();
      }
    });
    child.once("error", (e) => fail(new Error(`${python}: ${e.message} (scripts/test.sh makes the venv)`)));
    child.once("exit", (code) => fail(new Error(`aiosmtpd exited (${code}):\n${err}`)));
  });
  return { port, child };
}

before(async () => {
  smtp = await startSmtp();
  server = await startServer({
    env: {
      SESAME_SMTP_URL: `smtp://127.0.0.1:${smtp.port}?starttls=off`,
      SESAME_MAIL_FROM: "sesame@contoso.com",
    },
  });
  browser = await launchBrowser();
  server.cli(["user", "add", "--upn", UPN, "--display-name", "R. Moreno", "--mail", UPN, "--password", FIRST]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  smtp?.child.kill("SIGTERM");
  if (inbox) rmSync(inbox, { recursive: true, force: true });
});

/** The bytes of a base32 (RFC 4648, no padding needed) string. */
function base32(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of s.replace(/=+$/, "").toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, "0");
  }
  const out = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}

/** RFC 6238: the 6-digit SHA-1 code of `secret` for the 30-second step `step`. */
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const h = createHmac("sha1", base32(secret)).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, "0");
}

/** The text/plain part of an .eml file, its transfer encoding undone. */
function mailText(eml) {
  for (const part of eml.split(/\r?\n--[^\r\n]+\r?\n/)) {
    if (!/Content-Type: text\/plain/i.test(part)) continue;
    const at = part.search(/\r?\n\r?\n/);
    const head = part.slice(0, at);
    let body = part.slice(at).trim();
    const enc = (head.match(/Content-Transfer-Encoding: *(\S+)/i) || [])[1]?.toLowerCase();
    if (enc === "base64") body = Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
    if (enc === "quoted-printable")
      body = body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
    return body;
  }
  throw new Error(`no text part in:\n${eml}`);
}

/** Waits for the n-th mail the SMTP server received and returns its text. */
async function nthMail(n) {
  const dir = inbox;
  for (let i = 0; i < 150; i++) {
    let files = [];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith(".eml")).sort();
    } catch {}
    if (files.length >= n) return mailText(readFileSync(join(dir, files[n - 1]), "utf8"));
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error(`no mail number ${n} in ${dir}`);
}

test("Forgot my password: the mail's link, the authenticator app's code, the new password", async () => {
  // The user registers an authenticator app in Security info.
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await page.goto(`${server.base}/myapps/security-info`);
  await signIn(page, { upn: UPN, password: FIRST });
  await page.getByRole("link", { name: "Add sign-in method" }).click();
  await page.getByRole("button", { name: "Authenticator app" }).click();
  const secret = (await page.locator("#totp-secret").textContent()).trim();
  const step = Math.floor(Date.now() / 1000 / 30);
  await page.getByLabel("Code from the app").fill(totp(secret, step));
  await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: "Confirm" }).click()]);
  await ctx.close();

  // Another browser: the sign-in page → Forgot my password.
  const rctx = await newContext(browser);
  const p = await rctx.newPage();
  await p.goto(`${server.base}/myapps`);
  await p.getByRole("heading", { name: "Sign in" }).waitFor();
  await Promise.all([p.waitForLoadState("load"), p.getByRole("link", { name: "Forgot my password" }).click()]);
  await p.getByRole("heading", { name: "Reset your password" }).waitFor();
  await p.getByLabel("User principal name").fill(UPN);
  await Promise.all([p.waitForLoadState("load"), p.getByRole("button", { name: "Send the link" }).click()]);
  await p.getByText("If an account with that user name exists and can reset its password").waitFor();

  // The mails, as the SMTP server received them: first the security mail of the app
  // added, then the reset's.
  assert.match(await nthMail(1), /Authenticator app was added to your account/);
  const text = await nthMail(2);
  assert.match(text, /expires in 15 minutes/);
  assert.match(text, /If you did not ask, ignore this mail; your password is unchanged\./);
  const link = text.match(/https?:\/\/\S+\/passwordreset\/confirm\?t=\S+/)[0];
  assert.ok(link.startsWith(server.base), link);

  // The link: the token leaves the address bar at once; the app's code first.
  await p.goto(link);
  assert.equal(new URL(p.url()).search, "", `the token stayed in the URL: ${p.url()}`);
  await p.getByRole("heading", { name: "Verify your identity" }).waitFor();
  await p.getByLabel("Code from the authenticator app").fill(totp(secret, step + 1));
  await Promise.all([p.waitForLoadState("load"), p.getByRole("button", { name: "Verify" }).click()]);

  // The new password: the policy says which rule first.
  await p.getByRole("heading", { name: "Choose a new password" }).waitFor();
  await p.getByLabel("New password", { exact: true }).fill("short-one");
  await p.getByLabel("Confirm the new password").fill("short-one");
  await Promise.all([p.waitForLoadState("load"), p.getByRole("button", { name: "Reset password" }).click()]);
  await p.getByText("too short (9 characters); use at least 12").waitFor();
  await p.getByLabel("New password", { exact: true }).fill(NEXT);
  await p.getByLabel("Confirm the new password").fill(NEXT);
  await shot(p, "password-reset");
  await Promise.all([p.waitForLoadState("load"), p.getByRole("button", { name: "Reset password" }).click()]);
  await p.getByText("Your password was reset. Sign in with the new one.").waitFor();

  // The notice, then a sign-in with the new password.
  assert.match(await nthMail(3), /was changed/);
  await Promise.all([p.waitForLoadState("load"), p.getByRole("link", { name: "Sign in to My Apps" }).click()]);
  await signIn(p, { upn: UPN, password: NEXT });
  // The second factor is asked only where Conditional Access requires it: My Apps opens.
  await p.waitForURL(/\/myapps$/);
  await rctx.close();
});
