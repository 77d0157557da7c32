// Enterprise applications in a real browser: an administrator follows the Convene seed
// document step by step in the portal (New application → Browse the gallery → Convene →
// Add; Basic SAML Configuration with the edit pencil, the pattern check reacting as
// they type; Unique User Identifier → user.mail; Certificate (Base64) download; assign
// B.Simon), a Webex-style "Upload metadata file", and "Test this application" on the
// demo Sesame Test App reaching /testapp with a validated sign-in.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startServer, launchBrowser, newContext, signIn, shot, repo } from "./lib.mjs";

let server, browser, ctx, page;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  ctx = await newContext(browser);
  page = await ctx.newPage();
  await page.goto(`${server.base}/admin/apps`);
  await signIn(page, { upn: server.adminUpn, password: server.adminPassword });
  assert.equal(new URL(page.url()).pathname, "/admin/apps");
});
after(async () => {
  await ctx?.close();
  await browser?.close();
  await server?.stop();
});

const blade = (name) => page.getByRole("navigation", { name: "Manage" }).getByRole("link", { name, exact: true });
const click = async (locator) => {
  await Promise.all([page.waitForLoadState("load"), locator.click()]);
};

test("the Convene seed flow, step by step in the portal", async () => {
  // Enterprise applications → All applications → New application.
  await page.getByRole("heading", { name: /Enterprise applications/ }).waitFor();
  await click(page.getByRole("link", { name: "+ New application" }));
  await page.getByRole("heading", { name: "Browse the gallery" }).waitFor();
  // Add from the gallery: type Convene in the search box (live filter, then the server's).
  const search = page.getByPlaceholder("Search application");
  await search.fill("Convene");
  assert.equal(await page.locator("#gallery .tile:visible").count(), 1);
  await shot(page, "apps-gallery");
  await click(page.getByRole("button", { name: "Search" }));
  assert.match(page.url(), /q=Convene/);
  await click(page.locator("#gallery .tile", { hasText: "Convene" }));
  await page.getByRole("heading", { name: "Add Convene" }).waitFor();
  await page.getByLabel("Name", { exact: true }).fill("Convene");
  await page.getByLabel("Identifier (Entity ID)").fill("https://portal.convene.me.uk");
  // The pattern check reacts as you type.
  const reply = page.getByLabel("Reply URL (Assertion Consumer Service URL)");
  await reply.fill("https://portal.convene.me.uk/wrong");
  await page.getByText("Does not match the expected pattern").waitFor();
  assert.equal(await reply.getAttribute("aria-invalid"), "true");
  await reply.fill("https://portal.convene.me.uk/saml/acs/4f2c9a");
  assert.equal(await reply.getAttribute("aria-invalid"), "false");
  await shot(page, "app-gallery-card");
  await click(page.getByRole("button", { name: "Add", exact: true }));
  await page.getByText("Application added").waitFor();
  // Add lands on the application's SAML page.
  await page.getByRole("heading", { name: "Set up single sign-on with SAML" }).waitFor();
  await shot(page, "app-overview");

  // Manage → Single sign-on → Select a single sign-on method: SAML.
  await click(blade("Single sign-on"));
  await page.getByRole("heading", { name: "Set up single sign-on with SAML" }).waitFor();
  // The edit pencil of Basic SAML Configuration.
  await click(page.getByRole("link", { name: "Edit Basic SAML Configuration" }));
  await page.getByRole("heading", { name: "Basic SAML Configuration" }).waitFor();
  const r0 = page.getByLabel("Reply URL 1", { exact: true });
  await r0.fill("https://evil.example/acs");
  await page.locator("#reply-0-check", { hasText: "Does not match" }).waitFor();
  await shot(page, "app-basic-saml-pattern");
  // Saved anyway: the server refuses it too, naming the pattern.
  await click(page.getByRole("button", { name: "Save" }));
  await page.getByText("Basic SAML Configuration not saved").waitFor();
  await page.getByText("https://portal.convene.me.uk/saml/acs/<UID>").first().waitFor();
  await page.getByLabel("Reply URL 1", { exact: true }).fill("https://portal.convene.me.uk/saml/acs/4f2c9a");
  await page.getByLabel("Sign on URL").fill("https://portal.convene.me.uk/login");
  await click(page.getByRole("button", { name: "Save" }));
  await page.getByText("Basic SAML Configuration saved.").waitFor();

  // Attributes & Claims: Unique User Identifier → user.mail.
  await click(page.getByRole("link", { name: "Edit Attributes & Claims" }));
  await click(page.getByRole("link", { name: "Edit Unique User Identifier" }));
  await page.getByLabel("Source attribute").selectOption("user.userprincipalname");
  await click(page.getByRole("button", { name: "Save" }));
  await click(page.getByRole("link", { name: "Edit Unique User Identifier" }));
  await page.getByLabel("Source attribute").selectOption("user.mail");
  await click(page.getByRole("button", { name: "Save" }));
  await page.getByText("Unique User Identifier saved.").waitFor();
  await page.getByText("user.mail [nameid-format").waitFor();
  await shot(page, "app-claims");
  await click(page.getByRole("link", { name: "← Back to Set up single sign-on with SAML" }));

  // SAML Signing Certificate: Certificate (Base64) → Download.
  await shot(page, "app-saml-setup");
  const row = page.locator("tr", { hasText: "Certificate (Base64)" });
  const [download] = await Promise.all([page.waitForEvent("download"), row.getByRole("link", { name: "Download" }).click()]);
  assert.match(download.suggestedFilename(), /^Convene\.cer$/);
  const pem = readFileSync(await download.path(), "utf8");
  const id = new URL(page.url()).pathname.split("/")[3];
  assert.equal(pem.trim(), server.cli(["app", "cert", id, "--pem"]).trim());
  // Set up Convene: the URLs to copy.
  assert.equal((await page.locator("#login-url").textContent()).trim(), `${server.base}/${server.tenant}/saml2`);
  assert.equal((await page.locator("#idp-id").textContent()).trim(), `${server.base}/${server.tenant}/`);

  // Users and groups → Add user/group → B.Simon → Assign.
  await click(blade("Users and groups"));
  await click(page.getByRole("link", { name: "+ Add user/group" }));
  await page.getByPlaceholder("Search users and groups").fill("Simon");
  await click(page.getByRole("button", { name: "Search" }));
  await page.getByLabel("B. Simon").or(page.getByLabel("B.Simon")).first().check();
  await click(page.getByRole("button", { name: "Assign" }));
  await page.getByText("Assignment added.").waitFor();
  await page.locator("#assignments", { hasText: "Default Access" }).waitFor();
  await shot(page, "app-users-groups");

  // Properties: a logo (an SVG with a script in it comes out clean).
  await click(blade("Properties"));
  await page.locator("#logo-file").setInputFiles({
    name: "convene.svg",
    mimeType: "image/svg+xml",
    buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" onload="alert(1)"><script>alert(2)</script><rect width="48" height="48" rx="10" fill="#0b7a75"/><circle cx="24" cy="24" r="12" fill="#ffffff"/></svg>'),
  });
  await page.waitForFunction(() => document.getElementById("logo").value.includes("<svg"));
  await click(page.getByRole("button", { name: "Upload logo" }));
  await page.getByText("Logo saved.").waitFor();
  const logo = await page.request.get(`${server.base}/admin/apps/${id}/logo`);
  assert.match(logo.headers()["content-security-policy"], /sandbox/);
  assert.doesNotMatch(await logo.text(), /script|onload/);
  await shot(page, "app-properties");

  // Test single sign-on: preview B.Simon's token, checked against the vendor's needs.
  await click(blade("Single sign-on"));
  await click(page.getByRole("link", { name: "Test", exact: true }));
  await page.getByLabel("User").selectOption(server.demoUpn);
  await click(page.getByRole("button", { name: "Preview token" }));
  await page.getByText("Every claim the vendor expects is present.").waitFor();
  assert.match(await page.locator("#assertion-xml").textContent(), /NameID[^>]*>B\.Simon@contoso\.com</);
  await shot(page, "app-token-preview");
});

test("Upload metadata file fills Identifier and Reply URL (Webex)", async () => {
  const metadata = join(repo, "examples/sp-metadata-webex.xml");
  // Cisco Webex Meetings from the gallery: its metadata file goes with "Add".
  await page.goto(`${server.base}/admin/apps/new`);
  await page.getByPlaceholder("Search application").fill("Webex");
  await click(page.locator("#gallery .tile:visible", { hasText: "Cisco Webex Meetings" }));
  await page.getByText("Upload metadata file", { exact: true }).click();
  await page.locator("#metadata-file").setInputFiles(metadata);
  await page.waitForFunction(() => document.getElementById("metadata").value.includes("EntityDescriptor"));
  await click(page.getByRole("button", { name: "Add", exact: true }));
  await page.getByText("Application added").waitFor();
  await click(blade("Single sign-on"));
  await page.locator("code", { hasText: "https://acme.webex.com/dispatcher/SAML2AuthService?siteurl=acme" }).first().waitFor();
  // Identifiers are unique in the tenant: Properties → Delete before the next app takes it.
  await click(blade("Properties"));
  page.once("dialog", (d) => d.accept());
  await click(page.getByRole("button", { name: "Delete" }));
  await page.getByText("Application deleted.").waitFor();

  // A non-gallery app: Basic SAML Configuration → Upload metadata file, then Save.
  await page.goto(`${server.base}/admin/apps/new`);
  await click(page.getByRole("link", { name: "+ Create your own application" }));
  await page.getByLabel("What's the name of your app?").fill("Webex (acme)");
  await click(page.getByRole("button", { name: "Create" }));
  await click(blade("Single sign-on"));
  await page.getByRole("heading", { name: "Select a single sign-on method" }).waitFor();
  await click(page.getByRole("link", { name: /^SAML/ }));
  await click(page.getByRole("link", { name: "Edit Basic SAML Configuration" }));
  await page.getByText("Upload metadata file", { exact: true }).click();
  await page.locator("#metadata-file").setInputFiles(metadata);
  await page.waitForFunction(() => document.getElementById("metadata").value.includes("EntityDescriptor"));
  await click(page.getByRole("button", { name: "Upload", exact: true }));
  await page.getByText("Filled from the metadata file").waitFor();
  assert.equal(await page.getByLabel("Identifier (Entity ID) 1", { exact: true }).inputValue(), "https://acme.webex.com/dispatcher/SAML2AuthService");
  assert.equal(await page.getByLabel("Reply URL 1", { exact: true }).inputValue(), "https://acme.webex.com/dispatcher/SAML2AuthService?siteurl=acme");
  await shot(page, "app-metadata-upload");
  await click(page.getByRole("button", { name: "Save" }));
  await page.getByText("Basic SAML Configuration saved.").waitFor();
  await page.locator("code", { hasText: "https://acme.webex.com/dispatcher/SAML2AuthService?siteurl=acme" }).first().waitFor();
});

test("Test this application: the admin signs in to the Sesame Test App", async () => {
  await page.goto(`${server.base}/admin/apps`);
  await page.locator("#app-list", { hasText: "Convene" }).waitFor();
  await shot(page, "apps-list");
  await click(page.getByRole("link", { name: "Tile view" }));
  await page.locator("#app-list .tile", { hasText: "Convene" }).waitFor();
  await shot(page, "apps-tiles");
  await page.goto(`${server.base}/admin/apps`);
  await click(page.getByRole("link", { name: "Sesame Test App" }));
  // Assignment is required: assign yourself first.
  await click(blade("Users and groups"));
  await click(page.getByRole("link", { name: "+ Add user/group" }));
  await page.getByPlaceholder("Search users and groups").fill("admin@sesame.local");
  await click(page.getByRole("button", { name: "Search" }));
  await page.locator("#candidates tr", { hasText: "admin@sesame.local" }).locator("input[type=checkbox]").check();
  await click(page.getByRole("button", { name: "Assign" }));
  await click(blade("Single sign-on"));
  await click(page.getByRole("link", { name: "Test", exact: true }));
  await page.getByRole("heading", { name: /Test this application/ }).waitFor();
  await Promise.all([page.waitForURL(/\/testapp/), page.getByRole("link", { name: "Test sign in" }).click()]);
  await page.getByRole("heading", { name: "Signed in to the test application" }).waitFor({ timeout: 15_000 });
  await shot(page, "app-test-signin");
});
