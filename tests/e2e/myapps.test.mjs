// My Apps in a real browser: B.Simon signs in, sees the tile of the built-in test
// application, searches, and launches it by IdP-initiated SSO (no Sign on URL: the tile
// posts a Response to /testapp) and by SP-initiated SSO (Sign on URL set to the test
// app's login URL: the tile goes through the test app, which sends an AuthnRequest).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newContext, signIn, shot } from "./lib.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  // A second tile, for the search, and one B.Simon is not assigned to.
  server.cli(["app", "add", "--gallery", "convene", "--name", "Convene", "--identifier", "https://portal.convene.me.uk/saml", "--reply-url", "https://portal.convene.me.uk/saml/acs/e2e42"]);
  server.cli(["app", "assign", "Convene", "--user", server.demoUpn]);
  server.cli(["app", "add", "--custom", "--name", "Payroll", "--identifier", "https://payroll.example.test/sp",
    "--reply-url", "https://payroll.example.test/acs"]);
  await new Promise((ok) => setTimeout(ok, 1300)); // the server polls the configuration
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("B.Simon launches the test application from My Apps, IdP- and SP-initiated", async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await page.goto(`${server.base}/myapps`);
  await signIn(page, { upn: server.demoUpn, password: server.demoPassword });
  assert.equal(new URL(page.url()).pathname, "/myapps");
  await page.getByRole("heading", { name: "My Apps" }).waitFor();
  const tile = page.getByRole("link", { name: "Sesame Test App" });
  await tile.waitFor();
  await page.getByRole("link", { name: "Convene" }).waitFor();
  assert.equal(await page.getByRole("link", { name: "Payroll" }).count(), 0, "not assigned: no tile");
  assert.equal(await page.getByRole("link", { name: "Admin portal" }).count(), 0);
  await shot(page, "myapps");
  // Search.
  await page.getByLabel("Search apps").fill("conv");
  assert.ok(await tile.isHidden());
  await page.getByLabel("Search apps").fill("");
  assert.ok(await tile.isVisible());
  const href = await tile.getAttribute("href");
  assert.match(href, new RegExp(`/${server.tenant}/apps/[0-9a-f-]{36}/launch$`));

  // IdP-initiated: no Sign on URL, so the tile posts a Response to the Reply URL.
  await tile.click();
  await page.getByRole("heading", { name: "Signed in to the test application" }).waitFor();
  assert.equal((await page.locator("#nameid").textContent()).trim(), server.demoUpn);
  await shot(page, "testapp-idp-initiated");

  // SP-initiated: with a Sign on URL the tile goes through the test application.
  server.cli(["app", "set", "Sesame Test App", "--sign-on-url", `${server.base}/testapp/login`]);
  await new Promise((ok) => setTimeout(ok, 1300));
  await page.goto(`${server.base}/myapps`);
  const requests = [];
  page.on("request", (r) => {
    if (r.url().includes("SAMLRequest=")) requests.push(r.url());
  });
  await page.getByRole("link", { name: "Sesame Test App" }).click();
  await page.getByRole("heading", { name: "Signed in to the test application" }).waitFor();
  assert.equal((await page.locator("#nameid").textContent()).trim(), server.demoUpn);
  assert.ok(requests.length >= 1, "the test application sent an AuthnRequest");
  await shot(page, "testapp-sp-initiated");

  // Sign out from My Apps.
  await page.goto(`${server.base}/myapps`);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "You signed out" }).waitFor();
  await page.goto(`${server.base}/myapps`);
  assert.match(page.url(), /\/login$/);
  await ctx.close();
});

test("a user with no application sees the empty state", async () => {
  server.cli(["user", "add", "--upn", "nobody@contoso.com", "--password", "Harbour-Lamp-42", "--display-name", "No Body"]);
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await page.goto(`${server.base}/myapps`);
  await signIn(page, { upn: "nobody@contoso.com", password: "Harbour-Lamp-42" });
  await page.getByText("Ask your administrator").waitFor();
  await shot(page, "myapps-empty");
  await ctx.close();
});
