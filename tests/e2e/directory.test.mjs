// The directory pages in a real browser, as the Convene seed document walks them: an
// administrator creates B.Simon (Users → New user → Name, User name, Show password →
// copy it down → Create), makes a group with B.Simon in it, assigns the built-in test
// application to B.Simon (Users and groups); B.Simon signs in to My Apps with the password written down
// and sees the tile; the administrator reads a failed sign-in's details.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, newContext, signIn, shot } from "./lib.mjs";

const UPN = "B.Simon@fabrikam.com"; // --demo already has B.Simon@contoso.com
let server, browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("an administrator creates B.Simon as the seed says, and B.Simon signs in", async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await page.goto(`${server.base}/admin`);
  await signIn(page, { upn: server.adminUpn, password: server.adminPassword });

  // Users → All users → New user.
  await page.getByRole("navigation", { name: "Portal" }).getByRole("link", { name: "Users" }).click();
  await page.getByRole("heading", { name: "Users" }).waitFor();
  await page.getByRole("link", { name: "All users" }).click();
  await page.getByRole("link", { name: "New user" }).click();
  await page.getByRole("heading", { name: "New user" }).waitFor();
  await page.getByLabel("Name", { exact: true }).fill("B.Simon");
  await page.getByLabel("User name", { exact: true }).fill(UPN);
  await page.getByLabel("First name").fill("B");
  await page.getByLabel("Last name").fill("Simon");
  // Select the Show password check box and write down the value in the Password box.
  const pw = page.getByLabel("Password", { exact: true });
  assert.equal(await pw.getAttribute("type"), "password");
  await page.getByLabel("Show password").check();
  assert.equal(await pw.getAttribute("type"), "text");
  const password = await pw.inputValue();
  assert.equal(password.length, 20);
  await shot(page, "users-new");
  // "Let me create the password" empties the box; "Auto-generate" puts it back.
  await page.getByLabel("Let me create the password").check();
  assert.equal(await pw.inputValue(), "");
  await page.getByLabel("Auto-generate password").check();
  assert.equal(await pw.inputValue(), password);
  await page.getByRole("button", { name: "Create" }).click();

  // The user's page: created, and the password shown once more.
  await page.getByText(`User ${UPN} created.`).waitFor();
  assert.equal(await page.locator("#shown-password").inputValue(), password);
  await page.getByRole("heading", { name: "B.Simon", level: 1 }).waitFor();
  const userUrl = page.url();
  await shot(page, "user-page");

  // A group with B.Simon in it.
  await page.getByRole("navigation", { name: "Portal" }).getByRole("link", { name: "Groups" }).click();
  await page.getByRole("link", { name: "New group" }).click();
  await page.getByLabel("Group name").fill("Convene users");
  await page.getByLabel("Group description").fill("Who may sign in to Convene");
  await page.getByRole("button", { name: "Create" }).click();
  await page.getByText("Group Convene users created.").waitFor();
  await page.getByLabel("Search users and groups to add").fill("fabrikam");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("row", { name: new RegExp(UPN.replace(".", "\\.")) }).getByRole("button", { name: "Add" }).click();
  await page.getByText(`Added user ${UPN} to Convene users.`).waitFor();
  await shot(page, "group-page");

  // Assign the built-in test application: Enterprise applications → Sesame Test App →
  // Users and groups → Add user/group → B.Simon → Assign.
  await page.getByRole("navigation", { name: "Portal" }).getByRole("link", { name: "Enterprise applications" }).click();
  await page.getByRole("link", { name: "Sesame Test App" }).first().click();
  await page.getByRole("navigation", { name: "Manage" }).getByRole("link", { name: "Users and groups", exact: true }).click();
  await page.getByRole("link", { name: "+ Add user/group" }).click();
  await page.getByPlaceholder("Search users and groups").fill("fabrikam");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByLabel("B.Simon").first().check();
  await page.getByRole("button", { name: "Assign" }).click();
  await page.getByText("Assignment added.").waitFor();
  await page.goto(userUrl);
  await page.locator("#applications").getByRole("link", { name: "Sesame Test App" }).waitFor();
  await page.locator("#groups").getByRole("link", { name: "Convene users" }).waitFor();

  // B.Simon signs in to My Apps with the password written down, and sees the tile.
  const ctx2 = await newContext(browser);
  const me = await ctx2.newPage();
  await me.goto(`${server.base}/myapps`);
  await signIn(me, { upn: UPN, password });
  assert.equal(new URL(me.url()).pathname, "/myapps");
  await me.getByRole("link", { name: "Sesame Test App" }).waitFor();
  await me.getByRole("link", { name: "Sesame Test App" }).click();
  await me.getByRole("heading", { name: "Signed in to the test application" }).waitFor();
  assert.equal((await me.locator("#nameid").textContent()).trim(), UPN);
  await ctx2.close();

  // The audit log has each change.
  await page.goto(`${server.base}/admin/audit`);
  for (const a of ["user.create", "group.create", "group.member.add"]) {
    await page.getByRole("cell", { name: a }).first().waitFor();
  }
  await shot(page, "audit-log");
  // A row's details: before and after side by side, never the password.
  await page.getByRole("row", { name: /user\.create/ }).getByRole("link").click();
  await page.getByRole("heading", { name: "After" }).waitFor();
  const details = await page.content();
  assert.ok(details.includes(UPN) && !details.includes(password), "no password in the audit log");
  await shot(page, "audit-details");
  await ctx.close();
});

test("the administrator reads a failed sign-in's details: code, explanation, fix", async () => {
  // A sign-in that fails: an AuthnRequest that is not SAML.
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  const r = await page.goto(`${server.base}/${server.tenant}/saml2?SAMLRequest=bm90LXNhbWw`);
  assert.ok(r.status() >= 400);
  await page.goto(`${server.base}/admin/signins`);
  await signIn(page, { upn: server.adminUpn, password: server.adminPassword });
  await page.getByLabel("Status").selectOption("failure");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.locator("#signins tbody tr").first().waitFor();
  await shot(page, "signin-logs");
  await page.locator("#signins tbody tr a").first().click();
  await page.getByRole("heading", { name: "Sign-in details" }).waitFor();
  await page.getByRole("heading", { name: /Error code SESAME/ }).waitFor();
  await page.getByRole("heading", { name: "How to fix it" }).waitFor();
  await shot(page, "signin-log-details");
  await ctx.close();
});
