// Conditional Access in a real browser: a Global Administrator opens Conditional Access →
// New policy, fills the form as in the docs (Require MFA for one application: Convene,
// every 4 hours, Report-only), takes the screenshot of docs/mfa.md, creates it and finds
// it in the list; What If then names it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newContext, signIn, shot } from "./lib.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  server.cli(["app", "add", "--gallery", "convene", "--name", "Convene", "--identifier", "https://portal.convene.me.uk/saml", "--reply-url", "https://portal.convene.me.uk/saml/acs/e2e42"]);
  server.cli(["group", "add", "Emergency access"]);
  server.cli(["location", "add", "Office", "--cidr", "203.0.113.0/24", "--trusted", "true"]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("New policy: Require MFA for Convene, created through the form", async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await page.goto(`${server.base}/admin/conditional-access`);
  await signIn(page, { upn: server.adminUpn, password: server.adminPassword });
  await page.getByRole("heading", { name: "Conditional Access" }).waitFor();
  await page.getByRole("link", { name: "New policy" }).click();
  await page.getByRole("heading", { name: "New policy" }).waitFor();

  await page.getByLabel("Name", { exact: true }).fill("MFA for Convene");
  await page.getByLabel("All users").check();
  await page.getByLabel("Emergency access", { exact: true }).nth(1).check(); // Exclude: groups
  await page.getByLabel("Select applications").check();
  await page.getByLabel("Convene", { exact: true }).check();
  await page.getByLabel("Any location").check();
  await page.getByLabel("Require multifactor authentication").check();
  await page.getByLabel("Hours", { exact: true }).check();
  await page.getByLabel("Number of hours or days").fill("4");
  assert.ok(await page.getByLabel("Report-only").isChecked(), "Report-only by default");
  await shot(page, "conditional-access-policy");

  await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: "Create" }).click()]);
  assert.equal(new URL(page.url()).pathname, "/admin/conditional-access");
  await page.getByText("Policy MFA for Convene created (Report-only).").waitFor();
  const row = page.locator("#policies tr", { hasText: "MFA for Convene" });
  await row.waitFor();
  assert.match(await row.textContent(), /Convene.*Require multifactor authentication.*4h/s);

  const shown = JSON.parse(server.cli(["--json", "policy", "show", "MFA for Convene"]));
  assert.deepEqual(shown.apps, ["Convene"]);
  assert.deepEqual(shown.exclude_groups, ["Emergency access"]);
  assert.equal(shown.sign_in_frequency, "4h");
  assert.equal(shown.state, "report-only");
  await ctx.close();
});
