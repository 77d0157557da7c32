// Passkeys in a real browser, with Chromium's DevTools virtual authenticators: B.Simon
// registers a passkey in Security info, signs out, signs in with "Sign in with a passkey"
// without typing a name and lands in My Apps; removes it; then the passkey sign-in is
// refused, while the password still signs in. A roaming (USB) security key signs in to
// the test application by SP-initiated SSO, the pending request continuing after the
// passkey. Step-up: under an MFA policy for the test application, a password sign-in
// goes to "Verify your identity", where "Use a passkey or security key" answers it and
// the application's ACS receives the Response. The server's public URL uses the host
// name `localhost`: browsers accept no IP address as a WebAuthn RP ID.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newContext, signIn, shot } from "./lib.mjs";

let server, browser;
before(async () => {
  server = await startServer({ host: "localhost" });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A context whose page has a virtual authenticator of `transport` (internal, usb). */
async function withAuthenticator(transport) {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport,
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { ctx, page, cdp, authenticatorId };
}

/** Registers a passkey named `name` from Security info (signed in, recently). */
async function registerPasskey(page, name) {
  await page.goto(`${server.base}/myapps/security-info`);
  await page.getByRole("link", { name: "Add sign-in method" }).click();
  await page.getByRole("button", { name: "Passkey or security key" }).click();
  await page.getByRole("heading", { name: "Create a passkey" }).waitFor();
  await page.getByLabel("Name").fill(name);
  await Promise.all([
    page.waitForURL(/\/myapps\/security-info$/),
    page.getByRole("button", { name: "Create passkey" }).click(),
  ]);
  await page.getByText(`Passkey "${name}" added.`).waitFor();
}

async function signOut(page) {
  await page.goto(`${server.base}/${server.tenant}/signout`);
  await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: "Sign out" }).click()]);
}

test("a passkey from Security info signs in without a name; removed, it is refused", async () => {
  const { ctx, page, cdp, authenticatorId } = await withAuthenticator("internal");
  await page.goto(`${server.base}/myapps`);
  await signIn(page, { upn: server.demoUpn, password: server.demoPassword });
  await registerPasskey(page, "Work laptop");
  const row = page.locator("tr", { has: page.locator("input[value='Work laptop']") });
  await row.getByRole("cell", { name: "Passkey", exact: true }).waitFor();
  await shot(page, "security-info-passkey");
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.ok(credentials[0].isResidentCredential, "a discoverable credential");
  // The administrator sees it with its AAGUID.
  const listed = server.cli(["user", "methods", server.demoUpn]);
  assert.match(listed, /\tpasskey\tWork laptop\t.*\taaguid [0-9a-f-]{36}\n/);

  // Signed out, "Sign in with a passkey" signs in without a name or password.
  await signOut(page);
  await page.goto(`${server.base}/myapps`);
  await page.getByRole("button", { name: "Sign in with a passkey" }).waitFor();
  await shot(page, "login-passkey");
  await Promise.all([
    page.waitForURL(/\/myapps$/),
    page.getByRole("button", { name: "Sign in with a passkey" }).click(),
  ]);
  await page.getByRole("heading", { name: "My Apps" }).waitFor();
  assert.equal(await page.getByLabel("User principal name").count(), 0);

  // Just signed in with the passkey: removing it asks for no code.
  await page.goto(`${server.base}/myapps/security-info`);
  await row.getByRole("link", { name: "Remove" }).click();
  assert.equal(await page.getByLabel("Code from your authenticator app").count(), 0);
  await Promise.all([page.waitForURL(/\/myapps\/security-info$/), page.getByRole("button", { name: "Remove" }).click()]);
  await page.getByText('Passkey "Work laptop" removed.').waitFor();

  // Removed: the authenticator still offers it, Sesame refuses it.
  await signOut(page);
  await page.goto(`${server.base}/myapps`);
  await Promise.all([
    page.waitForLoadState("load"),
    page.getByRole("button", { name: "Sign in with a passkey" }).click(),
  ]);
  await page.getByText("SESAME900130").waitFor();
  assert.match(await page.locator(".err").first().textContent(), /Passkey not registered/);
  assert.match(new URL(page.url()).pathname, /\/login\/passkey$/);
  // The password still signs in.
  await page.goto(`${server.base}/myapps`);
  await signIn(page, { upn: server.demoUpn, password: server.demoPassword });
  await page.getByRole("heading", { name: "My Apps" }).waitFor();
  await ctx.close();
});

test("a USB security key signs in to the test application by SP-initiated SSO", async () => {
  const { ctx, page } = await withAuthenticator("usb");
  await page.goto(`${server.base}/myapps`);
  await signIn(page, { upn: server.demoUpn, password: server.demoPassword });
  await registerPasskey(page, "Blue key");
  await signOut(page);
  // The test application sends an AuthnRequest; Sesame keeps it while the user signs in.
  await page.goto(`${server.base}/testapp/login`);
  await page.getByRole("button", { name: "Sign in with a passkey" }).waitFor();
  assert.match(page.url(), /\/login\?p=/);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.getByRole("heading", { name: "Signed in to the test application" }).waitFor();
  assert.equal((await page.locator("#nameid").textContent()).trim(), server.demoUpn);
  await ctx.close();
});

test("step-up: under an MFA policy, the passkey answers the second step of a password sign-in", async () => {
  // The administrator deletes the passkeys of the tests before: B.Simon registers one
  // with no other method to prove.
  for (const m of JSON.parse(server.cli(["--json", "user", "methods", server.demoUpn]))) {
    server.cli(["user", "methods", server.demoUpn, "--delete", m.id]);
  }
  const { ctx, page } = await withAuthenticator("internal");
  await page.goto(`${server.base}/myapps`);
  await signIn(page, { upn: server.demoUpn, password: server.demoPassword });
  await registerPasskey(page, "Phone");
  await signOut(page);
  const policy = "MFA for the test application";
  server.cli([
    "policy", "add", "--name", policy, "--users", server.demoUpn,
    "--apps", `${server.base}/testapp`, "--grant", "mfa", "--state", "on",
  ]);
  try {
    // The server reads the CLI's change within a second (as the Rust tests' wait_config).
    await new Promise((r) => setTimeout(r, 1500));
    await page.goto(`${server.base}/testapp/login`);
    await signIn(page, { upn: server.demoUpn, password: server.demoPassword });
    await page.getByRole("heading", { name: "Verify your identity" }).waitFor();
    assert.match(page.url(), /\/login\/verify\?p=/);
    await shot(page, "second-step-passkey");
    await page.getByRole("button", { name: "Use a passkey or security key" }).click();
    await page.getByRole("heading", { name: "Signed in to the test application" }).waitFor();
    assert.equal((await page.locator("#nameid").textContent()).trim(), server.demoUpn);
    // The sign-in log: interrupted for the second factor, then the success with the passkey.
    const rows = JSON.parse(server.cli(["--json", "signins", "--user", server.demoUpn]));
    assert.ok(rows.some((r) => r.result === "interrupted" && r.details.startsWith("interrupted: second factor required")));
  } finally {
    server.cli(["policy", "delete", policy]);
  }
  await ctx.close();
});
