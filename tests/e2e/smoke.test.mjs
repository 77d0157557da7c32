// The portal shell: an unsigned browser is sent to the login page and back; a user
// without an administrator role gets 403 on the admin portal.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newContext, signIn, shot } from "./lib.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("an administrator signs in and reaches the admin portal", async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await page.goto(`${server.base}/admin`);
  assert.match(page.url(), /\/login$/);
  await signIn(page, { upn: server.adminUpn, password: server.adminPassword });
  assert.equal(new URL(page.url()).pathname, "/admin");
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  await shot(page, "admin-overview");
  await ctx.close();
});

test("a user without a role gets 403 on the admin portal", async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await page.goto(`${server.base}/${server.tenant}/login`);
  await signIn(page, { upn: server.demoUpn, password: server.demoPassword });
  const r = await page.goto(`${server.base}/admin`);
  assert.equal(r.status(), 403);
  await page.getByText("SESAME910002").waitFor();
  await ctx.close();
});
