// The Cisco Webex Meetings seed document (../shared/seeds/001_*.txt), followed as it
// reads, in a real browser: the administrator adds Cisco Webex Meetings from the gallery
// by its name alone (the app says "SAML not configured"), uploads the Service Provider
// metadata Webex exports — here one that says AuthnRequestsSigned="true" but carries no
// certificate, so Sesame must not start requiring signed requests — types the Sign on URL
// pattern, tries to add the claims the document lists (the gallery entry already has
// them), downloads the Federation Metadata XML, copies the Set up Cisco Webex Meetings
// URLs, creates and assigns B.Simon. Then Webex's side is played by the test: an
// AuthnRequest as Webex sends it (AuthContextClassRef unspecified) reaches the Login URL,
// B.Simon signs in, and the Response posted to Webex's Reply URL is caught and checked
// (signature with xmlsec1 against the downloaded metadata, Destination, InResponseTo,
// email and uid; firstname and lastname only once the user has them). A user who is not assigned meets the end user's error page; the
// administrator reads the fix in the sign-in log.
// Screenshots: tests/e2e/screenshots/webex-NN-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { randomBytes } from "node:crypto";
import { startServer, launchBrowser, newContext, signIn, shot, repo } from "./lib.mjs";

const UPN = "B.Simon@webex-guide.example";
const WEBEX_ID = "https://acme.webex.com/dispatcher/SAML2AuthService";
const WEBEX_ACS = "https://acme.webex.com/dispatcher/SAML2AuthService?siteurl=acme";
const SIGN_ON = "https://acme.my.webex.com";

let server, browser, admin, page, work;
let password;
let appUrl; // the app's portal path, /admin/apps/ID
let metadataXml; // the Federation Metadata XML downloaded from the portal
let loginUrl; // the Login URL copied from Set up Cisco Webex Meetings
let n = 0;
const snap = async (p, name) => shot(p, `webex-${String(++n).padStart(2, "0")}-${name}`);

before(async () => {
  server = await startServer({ demo: true });
  browser = await launchBrowser();
  admin = await newContext(browser);
  await admin.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.base });
  page = await admin.newPage();
  work = mkdtempSync(join(tmpdir(), "sesame-webex-"));
  await signIn(page, { url: `${server.base}/admin`, upn: server.adminUpn, password: server.adminPassword });
  assert.equal(new URL(page.url()).pathname, "/admin");
});
after(async () => {
  await admin?.close();
  await browser?.close();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const portalNav = (name) => page.getByRole("navigation", { name: "Portal" }).getByRole("link", { name, exact: true });
const blade = (name) => page.getByRole("navigation", { name: "Manage" }).getByRole("link", { name, exact: true });
const click = async (locator) => {
  await Promise.all([page.waitForLoadState("load"), locator.click()]);
};
const copy = async (button) => {
  await button.click();
  await page.waitForFunction((b) => b.textContent === "Copied", await button.elementHandle());
  return await page.evaluate(() => navigator.clipboard.readText());
};
/** Redirect binding: DEFLATE, base64, URL-encode (SAML bindings §3.4.4.1). */
const authnRequestUrl = (loginUrl, id) => {
  const xml =
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"` +
    ` ID="${id}" Version="2.0" IssueInstant="${new Date().toISOString().replace(/\.\d+Z$/, "Z")}"` +
    ` Destination="${loginUrl}" AssertionConsumerServiceURL="${WEBEX_ACS.replace(/&/g, "&amp;")}"` +
    ` ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">` +
    `<saml:Issuer>${WEBEX_ID}</saml:Issuer>` +
    `<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/>` +
    `<samlp:RequestedAuthnContext Comparison="exact"><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>` +
    `</samlp:AuthnRequest>`;
  return `${loginUrl}?SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString("base64"))}`;
};
/** Catches what the browser posts to Webex (which this closed network cannot reach). */
const catchWebexPost = async (context) => {
  let posted;
  const got = new Promise((ok) => (posted = ok));
  await context.route("https://acme.webex.com/**", async (route) => {
    const req = route.request();
    posted({ url: req.url(), method: req.method(), form: new URLSearchParams(req.postData() || "") });
    await route.fulfill({ status: 200, contentType: "text/html", body: "<!doctype html><title>Webex</title><h1>Webex received the SAML response</h1>" });
  });
  return { got };
};

test("Adding Cisco Webex Meetings from the gallery by its name", async () => {
  // Enterprise applications → + New application → search → the tile → Add.
  await click(portalNav("Enterprise applications"));
  await page.getByRole("heading", { name: /Enterprise applications/ }).waitFor();
  await click(page.getByRole("link", { name: "+ New application" }));
  await page.getByRole("heading", { name: "Browse the gallery" }).waitFor();
  await page.getByPlaceholder("Search application").fill("Cisco Webex Meetings");
  await click(page.getByRole("button", { name: "Search" }));
  const tile = page.locator("#gallery .tile:visible", { hasText: "Cisco Webex Meetings" });
  assert.equal(await tile.count(), 1);
  await snap(page, "gallery");
  await click(tile);
  await page.getByRole("heading", { name: "Add Cisco Webex Meetings" }).waitFor();
  // Only the Name: the document uploads the metadata afterwards, in Basic SAML Configuration.
  assert.equal(await page.getByLabel("Name", { exact: true }).inputValue(), "Cisco Webex Meetings");
  await snap(page, "add");
  await click(page.getByRole("button", { name: "Add", exact: true }));
  await page.getByText("Application added. Next: the Basic SAML Configuration below.").waitFor();
  await page.getByRole("heading", { name: "Cisco Webex Meetings", level: 1 }).waitFor();
  await page.getByRole("heading", { name: "Set up single sign-on with SAML" }).waitFor();
  appUrl = new URL(page.url()).pathname.replace(/\/sso.*$/, "");
  const banner = page.locator("#saml-not-configured");
  await banner.getByText("SAML not configured.").waitFor();
  // The values to send to Webex are ready before anything is configured.
  assert.equal((await page.locator("#login-url").textContent()).trim(), `${server.base}/${server.tenant}/saml2`);
  assert.equal((await page.locator("#idp-id").textContent()).trim(), `${server.base}/${server.tenant}/`);
  assert.match((await page.locator("#fed-url").textContent()).trim(), /^http:\/\/127\.0\.0\.1:\d+\/.+/);
  await snap(page, "not-configured");
});

test("Basic SAML Configuration: Upload metadata file (AuthnRequestsSigned without a certificate), Sign on URL", async () => {
  await click(page.getByRole("link", { name: "Edit Basic SAML Configuration" }));
  await page.getByRole("heading", { name: "Basic SAML Configuration" }).waitFor();
  // The Service Provider metadata from Webex: it asks for signed requests but has no KeyDescriptor.
  const xml = readFileSync(join(repo, "examples/sp-metadata-webex.xml"), "utf8").replace(/\s*<md:KeyDescriptor[\s\S]*?<\/md:KeyDescriptor>/, "");
  assert.match(xml, /AuthnRequestsSigned="true"/);
  assert.doesNotMatch(xml, /KeyDescriptor/);
  const file = join(work, "webex-sp-metadata.xml");
  writeFileSync(file, xml);
  await page.getByText("Upload metadata file", { exact: true }).click();
  await page.locator("#metadata-file").setInputFiles(file);
  await page.waitForFunction(() => document.getElementById("metadata").value.includes("EntityDescriptor"));
  await click(page.getByRole("button", { name: "Upload", exact: true }));
  await page.locator(".flash", { hasText: "Require signed AuthnRequests is off" }).waitFor();
  await snap(page, "metadata-uploaded");
  assert.equal(await page.getByLabel("Identifier (Entity ID) 1", { exact: true }).inputValue(), WEBEX_ID);
  assert.equal(await page.getByLabel("Reply URL 1", { exact: true }).inputValue(), WEBEX_ACS);
  assert.equal(await page.locator("#require_signed_requests").isChecked(), false);
  // Sign on URL: the document's pattern, then the real site.
  const signOn = page.getByLabel("Sign on URL");
  await signOn.fill("");
  await signOn.pressSequentially("https://<customername>.my.webex.com");
  await page.locator("#sign_on_url-check", { hasText: "<customername>" }).waitFor();
  assert.match(await page.locator("#sign_on_url-check").textContent(), /[Rr]eplace <customername>/);
  assert.equal(await signOn.getAttribute("aria-invalid"), "true");
  await snap(page, "sign-on-pattern");
  await signOn.fill("");
  await signOn.pressSequentially(SIGN_ON);
  await page.waitForFunction(() => document.getElementById("sign_on_url").getAttribute("aria-invalid") === "false");
  assert.equal(await page.locator("#sign_on_url-check").textContent(), "");
  await click(page.getByRole("button", { name: "Save" }));
  await page.getByText("Basic SAML Configuration saved.").waitFor();
  const basic = page.locator("section", { has: page.getByRole("heading", { name: "Basic SAML Configuration" }) });
  await basic.locator("code", { hasText: WEBEX_ID }).first().waitFor();
  await basic.locator("code", { hasText: WEBEX_ACS }).waitFor();
  await basic.locator("code", { hasText: SIGN_ON }).waitFor();
  assert.match(await page.locator("#request-signing").textContent(), /not required/);
  assert.equal(await page.locator("#saml-not-configured").count(), 0, "configured now");
  await snap(page, "basic-saved");
});

test("Attributes & Claims: the claims the document lists are already sent", async () => {
  await click(page.getByRole("link", { name: "Edit Attributes & Claims" }));
  await page.getByRole("heading", { name: "Attributes & Claims" }).waitFor();
  const names = async () => (await page.locator("#claims code.uri").allTextContents()).map((t) => t.trim());
  for (const c of ["firstname", "lastname", "email", "uid"]) assert.ok((await names()).includes(c), `${c} is sent`);
  // Add new claim: Name firstname, Namespace blank, Source Attribute user.givenname.
  await click(page.getByRole("link", { name: "+ Add new claim" }));
  await page.getByRole("heading", { name: "Add new claim" }).waitFor();
  await page.getByLabel("Name", { exact: true }).fill("firstname");
  await page.getByLabel("Namespace").fill("");
  await page.getByLabel("Source attribute").selectOption("user.givenname");
  await click(page.getByRole("button", { name: "Save" }));
  const refused = page.getByText(/SESAME910006/).first();
  await refused.waitFor();
  await snap(page, "claim-refused");
  await page.goto(`${server.base}${appUrl}/sso/claims`);
  assert.equal((await names()).filter((c) => c === "firstname").length, 1, "one firstname claim");
  for (const c of ["firstname", "lastname", "email", "uid"]) assert.ok((await names()).includes(c), `${c} is sent`);
  await snap(page, "claims");
});

test("SAML Signing Certificate: Federation Metadata XML; Set up Cisco Webex Meetings: Login URL", async () => {
  await page.goto(`${server.base}${appUrl}/sso/saml`);
  await page.getByRole("heading", { name: "Set up single sign-on with SAML" }).waitFor();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.locator("tr", { hasText: "Federation Metadata XML" }).getByRole("link", { name: "Download" }).click(),
  ]);
  metadataXml = readFileSync(await download.path(), "utf8");
  assert.match(metadataXml, /^(<\?xml[^>]*\?>\s*)?<(md:)?EntityDescriptor/);
  assert.match(metadataXml, /<(ds:)?X509Certificate>[A-Za-z0-9+/=\s]+<\/(ds:)?X509Certificate>/);
  await page.getByRole("heading", { name: "Set up Cisco Webex Meetings" }).waitFor();
  loginUrl = await copy(page.locator("button[data-copy=login-url]"));
  assert.equal(loginUrl, `${server.base}/${server.tenant}/saml2`);
  await snap(page, "setup");
});

test("Create B.Simon and assign B.Simon to Cisco Webex Meetings", async () => {
  await click(portalNav("Users"));
  await click(page.getByRole("link", { name: "All users" }));
  await click(page.getByRole("link", { name: "New user" }));
  await page.getByRole("heading", { name: "New user" }).waitFor();
  await page.getByLabel("Name", { exact: true }).fill("B.Simon");
  await page.getByLabel("User name", { exact: true }).fill(UPN);
  await page.getByLabel("Show password").check();
  password = await copy(page.locator("button[data-copy=password]"));
  assert.ok(password.length >= 8);
  await click(page.getByRole("button", { name: "Create" }));
  await page.getByText(`User ${UPN} created.`).waitFor();
  await snap(page, "user-created");
  await page.goto(`${server.base}${appUrl}`);
  await click(blade("Users and groups"));
  await click(page.getByRole("link", { name: "+ Add user/group" }));
  await page.getByRole("heading", { name: "Add Assignment" }).waitFor();
  await page.getByPlaceholder("Search users and groups").fill("webex-guide");
  await click(page.getByRole("button", { name: "Search" }));
  await page.locator("#candidates tr", { hasText: UPN }).getByLabel("B.Simon", { exact: true }).check();
  await click(page.getByRole("button", { name: "Assign" }));
  await page.getByText("Assignment added.").waitFor();
  await page.locator("#assignments tr", { hasText: UPN }).waitFor();
  await snap(page, "assigned");
});

test("Test SSO: Webex's AuthnRequest, B.Simon signs in, the signed Response reaches the Reply URL", async () => {
  const ctx = await newContext(browser);
  try {
    const { got: posted } = await catchWebexPost(ctx);
    const p = await ctx.newPage();
    const id = "_webex" + randomBytes(16).toString("hex");
    await p.goto(authnRequestUrl(loginUrl, id));
    await signIn(p, { upn: UPN, password });
    const got = await Promise.race([posted, p.waitForTimeout(20_000).then(async () => {
      await snap(p, "stuck");
      throw new Error(`no Response posted to Webex; the page is ${p.url()}: ${(await p.locator("body").textContent()).slice(0, 800)}`);
    })]);
    await p.getByRole("heading", { name: "Webex received the SAML response" }).waitFor();
    await snap(p, "webex-received");
    assert.equal(got.url, WEBEX_ACS);
    assert.equal(got.method, "POST");
    const response = Buffer.from(got.form.get("SAMLResponse"), "base64").toString("utf8");
    assert.match(response, new RegExp(`Destination="${WEBEX_ACS.replace(/[.?]/g, "\\$&")}"`));
    assert.match(response, new RegExp(`InResponseTo="${id}"`));
    assert.match(response, /StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/);
    for (const a of ["email", "uid"]) assert.match(response, new RegExp(`Attribute Name="${a}"><AttributeValue>${UPN}<`));
    // B.Simon was created with a Name and a User name only: no given name or surname, and
    // an attribute without a value is left out, so firstname and lastname are not sent.
    for (const a of ["firstname", "lastname"]) assert.doesNotMatch(response, new RegExp(`Attribute Name="${a}"`));
    // The signature, checked with the certificate from the Federation Metadata XML.
    const b64 = metadataXml.match(/<(?:ds:)?X509Certificate>([^<]+)<\//)[1].replace(/\s+/g, "");
    const cert = join(work, "idp.pem");
    writeFileSync(cert, `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g).join("\n")}\n-----END CERTIFICATE-----\n`);
    const resp = join(work, "response.xml");
    writeFileSync(resp, response);
    const v = spawnSync("xmlsec1", [
      "--verify", "--pubkey-cert-pem", cert,
      "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
      "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
      resp,
    ], { encoding: "utf8" });
    assert.equal(v.status, 0, `xmlsec1: ${v.stderr}`);
    assert.match(v.stderr, /OK/);
  } finally {
    await ctx.close();
  }
});

test("A user who is not assigned: the end user's error page, and the fix in Sign-in logs", async () => {
  const ctx = await newContext(browser);
  let corr;
  try {
    await catchWebexPost(ctx);
    const p = await ctx.newPage();
    await p.goto(authnRequestUrl(loginUrl, "_webex" + randomBytes(16).toString("hex")));
    await signIn(p, { upn: server.demoUpn, password: server.demoPassword });
    const body = await p.locator("body").textContent();
    assert.match(body, /administrator/);
    assert.match(body, /SESAME50105/);
    corr = (await p.locator("tr", { hasText: "Correlation id" }).locator("td").textContent()).trim();
    assert.match(corr, /\S{8,}/);
    await p.getByRole("link", { name: "Back to My Apps" }).first().waitFor();
    const html = await p.content();
    assert.ok(!body.includes("`"), "no backtick");
    assert.doesNotMatch(html, /sesame app/);
    assert.doesNotMatch(html, /docs\/errors\.md/);
    await snap(p, "error-page");
  } finally {
    await ctx.close();
  }
  // The sign-in log is written in batches off the request path: reload until the row is there.
  let row;
  for (let i = 0; i < 50; i++) {
    await page.goto(`${server.base}/admin/signins?user=${encodeURIComponent(server.demoUpn)}&status=failure`);
    row = page.locator("#signins a").first();
    if ((await row.count()) > 0 && (await page.locator("#signins").textContent()).includes("Cisco Webex Meetings")) break;
    await page.waitForTimeout(200);
  }
  await snap(page, "signin-logs");
  await click(row);
  await page.getByRole("heading", { name: "Sign-in details" }).waitFor();
  assert.equal((await page.locator("#corr").textContent()).trim(), corr);
  const error = page.locator("#error");
  await error.getByText("SESAME50105").first().waitFor();
  const text = await error.textContent();
  const fix = text.indexOf("How to fix it");
  const cli = text.indexOf("From the command line");
  assert.ok(fix >= 0 && cli > fix, "portal steps first, the command line second");
  const steps = await page.locator("#portal-fix").textContent();
  assert.match(steps, /Enterprise applications → Cisco Webex Meetings → Users and groups/);
  const open = error.getByRole("link", { name: /^Open / });
  await open.waitFor();
  assert.ok(text.indexOf(await open.textContent()) < cli);
  await snap(page, "signin-details");
});
