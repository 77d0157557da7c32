// The Convene seed document (../shared/seeds/000_*.txt), followed as one story in one
// server, in a real browser: the administrator creates the test user B.Simon (Users →
// New user → Name, User name, Show password, copy it down, Create), adds Convene from
// the gallery by its name alone (it says "SAML not configured"), fills its Basic SAML
// Configuration with the edit pencil (the pattern check reacting as they type: the
// document's literal <UID> first, then the real value), changes the Unique User Identifier (nameidentifier) to
// user.mail, downloads the Certificate (Base64), copies the Set up Convene URLs and
// assigns B.Simon in Users and groups (to Convene and to the built-in Sesame Test App).
// Then B.Simon signs in to My Apps (the seed's Access Panel) and launches the Sesame
// Test App IdP-initiated, and — once the administrator sets its Sign on URL in Basic
// SAML Configuration — SP-initiated, through the test app's AuthnRequest.
// Screenshots: tests/e2e/screenshots/walkthrough-NN-*.png, numbered in the story's order.
// The details of each page are covered by apps, directory and myapps.test.mjs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startServer, launchBrowser, newContext, signIn, shot, repo } from "./lib.mjs";

// --demo already has B.Simon@contoso.com (the Sesame Test App's demo user): the seed's
// B.Simon is created under another domain and used for the whole story.
const UPN = "B.Simon@fabrikam.example";
const CONVENE_ID = "https://portal.convene.me.uk";
const CONVENE_REPLY = "https://portal.convene.me.uk/saml/acs/7b3e51";
const CONVENE_SIGN_ON = "https://portal.convene.me.uk/login";

let server, browser, admin, page;
let password; // B.Simon's password, as copied from the New user page
let n = 0;
const snap = async (p, name) => shot(p, `walkthrough-${String(++n).padStart(2, "0")}-${name}`);

before(async () => {
  server = await startServer({ demo: true });
  browser = await launchBrowser();
  admin = await newContext(browser);
  // The Copy buttons write to the clipboard; the test reads it back.
  await admin.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.base });
  page = await admin.newPage();
  await page.goto(`${server.base}/admin`);
  await signIn(page, { upn: server.adminUpn, password: server.adminPassword });
  assert.equal(new URL(page.url()).pathname, "/admin");
});
after(async () => {
  await admin?.close();
  await browser?.close();
  await server?.stop();
});

const portalNav = (name) => page.getByRole("navigation", { name: "Portal" }).getByRole("link", { name, exact: true });
const blade = (name) => page.getByRole("navigation", { name: "Manage" }).getByRole("link", { name, exact: true });
/** Clicks something that loads a new page, and waits for it. */
const click = async (locator) => {
  await Promise.all([page.waitForLoadState("load"), locator.click()]);
};
/** Clicks a Copy button and returns what it put on the clipboard. */
const copy = async (button) => {
  await button.click();
  await page.waitForFunction((b) => b.textContent === "Copied", await button.elementHandle());
  return await page.evaluate(() => navigator.clipboard.readText());
};
/** Enterprise applications → All applications → the app NAME. */
const openApp = async (name) => {
  await click(portalNav("Enterprise applications"));
  await page.getByRole("heading", { name: /Enterprise applications/ }).waitFor();
  await click(page.locator("#app-list").getByRole("link", { name, exact: true }));
  await page.getByRole("heading", { name, level: 1 }).waitFor();
};
/** Users and groups → Add user/group → Users and groups: B.Simon → Assign. */
const assignBSimon = async (app) => {
  await click(blade("Users and groups"));
  await page.getByRole("heading", { name: "Users and groups" }).waitFor();
  await click(page.getByRole("link", { name: "+ Add user/group" }));
  await page.getByRole("heading", { name: "Add Assignment" }).waitFor();
  await page.getByPlaceholder("Search users and groups").fill("fabrikam");
  await click(page.getByRole("button", { name: "Search" }));
  const row = page.locator("#candidates tr", { hasText: UPN });
  await row.getByLabel("B.Simon", { exact: true }).check();
  assert.equal(await page.locator("#candidates tbody tr").count(), 1, "the search finds only the new B.Simon");
  await snap(page, `${app}-add-assignment`);
  await click(page.getByRole("button", { name: "Assign" }));
  await page.getByText("Assignment added.").waitFor();
  await page.locator("#assignments tr", { hasText: UPN }).getByRole("cell", { name: "Default Access" }).waitFor();
  await snap(page, `${app}-users-and-groups`);
};
/** The test application's page after a sign-in: validated, with B.Simon's NameID. */
const signedInToTestApp = async (p, inResponseTo) => {
  await p.getByRole("heading", { name: "Signed in to the test application" }).waitFor();
  assert.equal(new URL(p.url()).pathname, "/testapp/acs");
  assert.equal((await p.locator("#nameid").textContent()).trim(), UPN);
  assert.equal(await p.locator(".steps li.err").count(), 0, "every validation step passed");
  assert.ok((await p.locator(".steps li.ok").count()) > 0);
  await p.locator(".steps li.ok", { hasText: inResponseTo }).waitFor();
};

test("Create an Azure AD test user: Users → New user → B.Simon", async () => {
  // Select Users, and then All users; select New user at the top of the screen.
  await click(portalNav("Users"));
  await page.getByRole("heading", { name: "Users" }).waitFor();
  await click(page.getByRole("link", { name: "All users" }));
  await click(page.getByRole("link", { name: "New user" }));
  await page.getByRole("heading", { name: "New user" }).waitFor();
  // In the Name field, enter B.Simon; in the User name field, username@companydomain.extension.
  await page.getByLabel("Name", { exact: true }).fill("B.Simon");
  await page.getByLabel("User name", { exact: true }).fill(UPN);
  // Select the Show password check box, and write down the value in the Password box.
  const pw = page.getByLabel("Password", { exact: true });
  assert.equal(await pw.getAttribute("type"), "password");
  await page.getByLabel("Show password").check();
  assert.equal(await pw.getAttribute("type"), "text");
  password = await copy(page.locator("button[data-copy=password]"));
  assert.equal(password, await pw.inputValue());
  assert.ok(password.length >= 8);
  await snap(page, "new-user");
  // Click Create.
  await click(page.getByRole("button", { name: "Create" }));
  await page.getByText(`User ${UPN} created.`).waitFor();
  await page.getByRole("heading", { name: "B.Simon", level: 1 }).waitFor();
  assert.equal(await page.locator("#shown-password").inputValue(), password);
  await snap(page, "user-created");
});

test("Adding Convene from the gallery", async () => {
  // Enterprise Applications → All Applications → New application.
  await click(portalNav("Enterprise applications"));
  await page.getByRole("heading", { name: /Enterprise applications \| All applications/ }).waitFor();
  await click(page.getByRole("link", { name: "+ New application" }));
  await page.getByRole("heading", { name: "Browse the gallery" }).waitFor();
  // In the Add from the gallery section, type Convene in the search box.
  await page.getByPlaceholder("Search application").fill("Convene");
  await click(page.getByRole("button", { name: "Search" }));
  assert.match(page.url(), /q=Convene/);
  assert.equal(await page.locator("#gallery .tile:visible").count(), 1);
  await snap(page, "gallery");
  // Select Convene from the results panel and then add the app.
  await click(page.locator("#gallery .tile", { hasText: "Convene" }));
  await page.getByRole("heading", { name: "Add Convene" }).waitFor();
  assert.equal(await page.getByLabel("Name", { exact: true }).inputValue(), "Convene");
  // The values Convene support gives are optional on Add: the document fills them later,
  // in Basic SAML Configuration, so only the Name is kept.
  await page.getByText("Optional: the values Convene gives you").waitFor();
  assert.equal(await page.getByLabel("Identifier (Entity ID)").inputValue(), "");
  assert.equal(await page.getByLabel("Reply URL (Assertion Consumer Service URL)").inputValue(), "");
  await snap(page, "gallery-card");
  await click(page.getByRole("button", { name: "Add", exact: true }));
  await page.getByText("Application added. Next: the Basic SAML Configuration below.").waitFor();
  await page.getByRole("heading", { name: "Convene", level: 1 }).waitFor();
  // Add lands on the application's SAML page, not configured yet.
  await page.getByRole("heading", { name: "Set up single sign-on with SAML" }).waitFor();
  await page.locator("#saml-not-configured").getByText("SAML not configured.").waitFor();
  await snap(page, "convene-overview");
});

test("Configure Azure AD SSO: Basic SAML Configuration, user.mail, Certificate (Base64)", async () => {
  // On the Convene application integration page, in the Manage section select single sign-on.
  await click(blade("Single sign-on"));
  // Select a single sign-on method: SAML (SAML is not set up yet).
  await page.getByRole("heading", { name: "Select a single sign-on method" }).waitFor();
  await click(page.locator("a.card.method", { hasText: "SAML" }));
  await page.getByRole("heading", { name: "Set up single sign-on with SAML" }).waitFor();
  // Click the edit/pen icon for Basic SAML Configuration.
  await click(page.getByRole("link", { name: "Edit Basic SAML Configuration" }));
  await page.getByRole("heading", { name: "Basic SAML Configuration" }).waitFor();
  // IDP initiated mode: in the Reply URL text box, type a URL using the pattern
  // https://portal.convene.me.uk/saml/acs/<UID> — checked as you type.
  const reply = page.getByLabel("Reply URL 1", { exact: true });
  assert.equal(await reply.getAttribute("placeholder"), "https://portal.convene.me.uk/saml/acs/<UID>");
  const replyCheck = page.locator("#reply-0-check");
  // The document's text pasted as it is: the placeholder <UID> is named.
  await reply.fill("https://portal.convene.me.uk/saml/acs/<UID>");
  await reply.dispatchEvent("input");
  await replyCheck.getByText("Replace <UID> with the value Convene gives you.").waitFor();
  assert.equal(await reply.getAttribute("aria-invalid"), "true");
  await snap(page, "basic-saml-uid");
  await reply.fill("");
  await reply.pressSequentially("https://portal.convene.me.uk/saml/acs/");
  await replyCheck.getByText("Does not match the expected pattern: https://portal.convene.me.uk/saml/acs/<UID>").waitFor();
  assert.equal(await reply.getAttribute("aria-invalid"), "true");
  await snap(page, "basic-saml-pattern");
  await reply.pressSequentially(CONVENE_REPLY.split("/").pop());
  await page.waitForFunction(() => document.getElementById("reply-0").getAttribute("aria-invalid") === "false");
  assert.equal(await replyCheck.textContent(), "");
  // The Identifier, which Convene support gives.
  const id = page.getByLabel("Identifier (Entity ID) 1", { exact: true });
  await id.fill("");
  await id.pressSequentially(CONVENE_ID);
  assert.notEqual(await id.getAttribute("aria-invalid"), "true");
  // SP initiated mode: in the Sign-on URL text box, type https://portal.convene.me.uk/login.
  const signOn = page.getByLabel("Sign on URL");
  await signOn.fill("");
  await signOn.pressSequentially(CONVENE_SIGN_ON);
  assert.equal(await signOn.getAttribute("aria-invalid"), "false");
  await click(page.getByRole("button", { name: "Save" }));
  await page.getByText("Basic SAML Configuration saved.").waitFor();
  const basic = page.locator("section", { has: page.getByRole("heading", { name: "Basic SAML Configuration" }) });
  await basic.locator("code", { hasText: CONVENE_REPLY }).waitFor();
  await basic.locator("code", { hasText: CONVENE_SIGN_ON }).waitFor();
  await basic.locator("code", { hasText: CONVENE_ID }).first().waitFor();
  assert.equal(await page.locator("#saml-not-configured").count(), 0, "configured now");

  // nameidentifier must be mapped with user.mail: the Edit icon of the attribute mapping.
  await click(page.getByRole("link", { name: "Edit Attributes & Claims" }));
  await page.getByRole("heading", { name: "Attributes & Claims" }).waitFor();
  await click(page.getByRole("link", { name: "Edit Unique User Identifier" }));
  await page.getByLabel("Source attribute").selectOption("user.mail");
  await click(page.getByRole("button", { name: "Save" }));
  await page.getByText("Unique User Identifier saved.").waitFor();
  await page.getByText("user.mail [nameid-format").waitFor();
  await snap(page, "claims");
  await click(page.getByRole("link", { name: "← Back to Set up single sign-on with SAML" }));
  await page.getByRole("heading", { name: "Set up single sign-on with SAML" }).waitFor();

  // SAML Signing Certificate: find Certificate (Base64) and select Download.
  const thumbprint = (await page.locator("tr", { hasText: "Thumbprint" }).locator("code").textContent()).trim();
  assert.match(thumbprint, /^[0-9A-F]{40}$/);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.locator("tr", { hasText: "Certificate (Base64)" }).getByRole("link", { name: "Download" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), "Convene.cer");
  const pem = readFileSync(await download.path(), "utf8");
  assert.match(pem, /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*$/);
  const cert = new X509Certificate(pem);
  assert.equal(cert.fingerprint.replaceAll(":", ""), thumbprint, "the downloaded certificate is the one whose thumbprint is shown");

  // On the Set up Convene section, copy the appropriate URL(s).
  await page.getByRole("heading", { name: "Set up Convene" }).waitFor();
  assert.equal(await copy(page.locator("button[data-copy=login-url]")), `${server.base}/${server.tenant}/saml2`);
  assert.equal(await copy(page.locator("button[data-copy=idp-id]")), `${server.base}/${server.tenant}/`);
  await snap(page, "saml-setup");
});

test("Assign the Azure AD test user: B.Simon to Convene and to the Sesame Test App", async () => {
  // Enterprise Applications → All applications → Convene → Users and groups.
  await openApp("Convene");
  await assignBSimon("convene");
  // Test single sign-on: the token B.Simon would receive has the mail as NameID.
  await click(blade("Single sign-on"));
  await click(page.getByRole("link", { name: "Test", exact: true }));
  await page.getByLabel("User").selectOption(UPN);
  await click(page.getByRole("button", { name: "Preview token" }));
  await page.getByText("Every claim the vendor expects is present.").waitFor();
  assert.match(await page.locator("#assertion-xml").textContent(), /NameID[^>]*>B\.Simon@fabrikam\.example</);
  await snap(page, "convene-token-preview");
  // The built-in test application, for B.Simon's sign-in below.
  await openApp("Sesame Test App");
  await assignBSimon("testapp");
});

test("Test SSO: B.Simon signs in to My Apps and launches the Sesame Test App", async () => {
  const me = await newContext(browser);
  try {
    const p = await me.newPage();
    await p.goto(`${server.base}/myapps`);
    await signIn(p, { upn: UPN, password });
    assert.equal(new URL(p.url()).pathname, "/myapps");
    await p.getByRole("heading", { name: "My Apps" }).waitFor();
    const tile = p.getByRole("link", { name: "Sesame Test App" });
    await tile.waitFor();
    await p.getByRole("link", { name: "Convene" }).waitFor();
    await snap(p, "myapps");

    // IdP-initiated: the Sesame Test App has no Sign on URL, so the tile posts a
    // Response to its Reply URL.
    const requests = [];
    p.on("request", (r) => {
      if (r.url().includes("SAMLRequest=")) requests.push(r.url());
    });
    await Promise.all([p.waitForURL(/\/testapp\/acs$/), tile.click()]);
    await signedInToTestApp(p, "unsolicited (IdP-initiated) Response");
    assert.equal(requests.length, 0, "no AuthnRequest: IdP-initiated");
    await snap(p, "testapp-idp-initiated");

    // The administrator sets the Sign on URL in the test app's Basic SAML Configuration.
    await openApp("Sesame Test App");
    await click(blade("Single sign-on"));
    await click(page.getByRole("link", { name: "Edit Basic SAML Configuration" }));
    await page.getByLabel("Sign on URL").fill(`${server.base}/testapp/login`);
    await snap(page, "testapp-sign-on-url");
    await click(page.getByRole("button", { name: "Save" }));
    await page.getByText("Basic SAML Configuration saved.").waitFor();
    await page.locator("code", { hasText: `${server.base}/testapp/login` }).waitFor();

    // SP-initiated: the tile now goes through the test app, which sends an AuthnRequest.
    await p.goto(`${server.base}/myapps`);
    await Promise.all([p.waitForURL(/\/testapp\/acs$/), p.getByRole("link", { name: "Sesame Test App" }).click()]);
    await signedInToTestApp(p, "InResponseTo is the request sent");
    assert.ok(requests.length >= 1, "the test application sent an AuthnRequest");
    await snap(p, "testapp-sp-initiated");
  } finally {
    await me.close();
  }
});

test("Sign-in logs: the administrator reads B.Simon's SP-initiated sign-in with its SAML messages", async () => {
  // The sign-in log is written in batches off the request path: reload until the row is there.
  let row;
  for (let i = 0; i < 50; i++) {
    await page.goto(`${server.base}/admin/signins?user=${encodeURIComponent(UPN)}&status=success`);
    row = page.locator("#signins a").first();
    if ((await row.count()) > 0 && (await page.locator("#signins").textContent()).includes("Sesame Test App")) break;
    await page.waitForTimeout(200);
  }
  await snap(page, "signin-logs");
  await click(row);
  await page.getByRole("heading", { name: "Sign-in details" }).waitFor();
  const request = await page.locator("#request-xml").textContent();
  assert.match(request, /AuthnRequest/, "the decoded AuthnRequest is shown");
  const response = await page.locator("#response-xml").textContent();
  assert.match(response, /Assertion/);
  assert.match(response, /AttributeStatement/, "attributes visible");
  assert.match(response, new RegExp(UPN.replace(/\./g, "\\.")), "NameID visible");
  assert.doesNotMatch(response, /SignatureValue/, "no signature value in the log");
  await snap(page, "signin-log-details");
});
