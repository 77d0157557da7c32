//! The browser and the test SP: cookie-jar clients, the login and auto-post forms of the
//! SSO pages, AuthnRequests of the test SP (Redirect binding, optionally signed, built
//! with `sesame_saml`), and verifying the Responses like a strict SP.

use super::server::Server;
use super::{fixture, SP_ACS, SP_ENTITY};
use base64::Engine as _;
use sesame_saml::bindings::redirect::{encode_query, redirect_url};
use sesame_saml::bindings::MessageKind;
use sesame_saml::crypto::{Certificate, SignatureAlgorithm, SigningKey};
use sesame_saml::dsig::{self, VerifyPolicy};
use sesame_saml::messages::{AuthnRequest, ParsedAssertion, ParsedResponse};
use sesame_saml::time::Timestamp;
use sesame_saml::xml::{self, Limits, NS_SAML};
use std::sync::Arc;

/// A browser: cookie jar, follows redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::limited(10))
        .build()
        .unwrap()
}

/// Two views of one browser (one cookie jar): following redirects, and not.
pub fn browser_pair() -> (reqwest::Client, reqwest::Client) {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let follow = reqwest::Client::builder()
        .cookie_provider(Arc::clone(&jar))
        .redirect(reqwest::redirect::Policy::limited(10))
        .build()
        .unwrap();
    let manual = reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (follow, manual)
}

/// A browser that does not follow redirects.
pub fn browser_no_redirect() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of `attr="…"` after `from` in `html`.
fn attr_after<'a>(html: &'a str, from: usize, attr: &str) -> Option<&'a str> {
    let pat = format!("{attr}=\"");
    let i = html[from..].find(&pat)? + from + pat.len();
    let j = html[i..].find('"')? + i;
    Some(&html[i..j])
}

/// The form of a page: its action and hidden fields.
pub fn form(html: &str) -> (String, Vec<(String, String)>) {
    let f = html.find("<form").expect("no form in the page");
    let action = unescape(attr_after(html, f, "action").unwrap());
    let mut fields = Vec::new();
    let mut pos = f;
    while let Some(i) = html[pos..].find("<input type=\"hidden\"") {
        let at = pos + i;
        let name = attr_after(html, at, "name").unwrap().to_owned();
        let value = unescape(attr_after(html, at, "value").unwrap());
        fields.push((name, value));
        pos = at + 10;
    }
    (action, fields)
}

pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Whether a page is the login form.
pub fn is_login_page(html: &str) -> bool {
    html.contains("name=\"password\"")
}

/// Whether a page is the auto-post form carrying a SAMLResponse.
pub fn is_auto_post(html: &str) -> bool {
    html.contains("name=\"SAMLResponse\"")
}

/// Submits the login form of `html` (the page at `page_url`).
pub async fn submit_login(
    b: &reqwest::Client,
    base: &str,
    html: &str,
    upn: &str,
    pw: &str,
) -> reqwest::Response {
    let (action, fields) = form(html);
    let mut data: Vec<(String, String)> = fields;
    data.push(("username".into(), upn.into()));
    data.push(("password".into(), pw.into()));
    let url = if action.starts_with('/') {
        format!("{base}{action}")
    } else {
        action
    };
    b.post(url).form(&data).send().await.unwrap()
}

/// The Response XML and RelayState carried by an auto-post page, and its action.
pub fn auto_post_response(html: &str) -> (String, String, Option<String>) {
    let (action, fields) = form(html);
    let v = field(&fields, "SAMLResponse").expect("no SAMLResponse");
    let xml =
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(v).unwrap()).unwrap();
    (action, xml, field(&fields, "RelayState").map(str::to_owned))
}

/// An AuthnRequest from the test SP.
pub fn authn_request(s: &Server, id: &str) -> AuthnRequest {
    let mut r = AuthnRequest::new(id, Timestamp::from(std::time::SystemTime::now()), SP_ENTITY);
    r.destination = Some(s.login_url());
    r.acs_url = Some(SP_ACS.into());
    r
}

/// The Redirect-binding URL of a request, optionally signed.
pub fn redirect_request(
    s: &Server,
    r: &AuthnRequest,
    relay: Option<&str>,
    key: Option<&SigningKey>,
) -> String {
    let q = encode_query(
        MessageKind::Request,
        &r.to_xml(),
        relay,
        key.map(|k| (k, SignatureAlgorithm::RsaSha256)),
    )
    .unwrap();
    redirect_url(&s.login_url(), &q)
}

pub fn sp_key() -> SigningKey {
    SigningKey::from_pem(&std::fs::read_to_string(fixture("test-rsa-key.pem")).unwrap()).unwrap()
}

pub fn other_key() -> SigningKey {
    SigningKey::from_pem(&std::fs::read_to_string(fixture("other-rsa-key.pem")).unwrap()).unwrap()
}

/// The IdP signing certificates of an app, from its App Federation Metadata URL.
pub async fn idp_certs(s: &Server, app_id: &str) -> Vec<Certificate> {
    let url = format!(
        "{}/{}/federationmetadata/2007-06/federationmetadata.xml?appid={app_id}",
        s.base, s.tenant
    );
    let xml = reqwest::get(url).await.unwrap().text().await.unwrap();
    sesame_saml::metadata::parse_entities(&xml)
        .unwrap()
        .into_iter()
        .filter_map(|e| e.idp)
        .flat_map(|i| i.signing_certificates)
        .collect()
}

/// Verifies a Response like a strict SP and returns it with its Assertion (read from the
/// verified node).
pub fn verify_response(
    xml_text: &str,
    certs: &[Certificate],
) -> (ParsedResponse, Option<ParsedAssertion>) {
    let doc = xml::parse(xml_text, &Limits::MESSAGE).unwrap();
    let verified = dsig::verify_message(&doc, certs, &VerifyPolicy::default()).unwrap();
    let root = doc.root_element();
    assert!(
        verified[0] == root,
        "the Response itself must be signed (sign both is the default)"
    );
    let resp = ParsedResponse::from_element(root).unwrap();
    let a = xml::child(root, NS_SAML, "Assertion").map(|n| {
        assert!(verified.contains(&n), "the Assertion must be signed too");
        ParsedAssertion::from_element(n).unwrap()
    });
    (resp, a)
}

/// GETs `url` and returns (status, final URL, body).
pub async fn get(b: &reqwest::Client, url: &str) -> (u16, String, String) {
    let r = b.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let u = r.url().to_string();
    (status, u, r.text().await.unwrap())
}

/// The error code an error page or login page shows (`x-sesame-error`).
pub async fn error_code(r: reqwest::Response) -> (u16, String, String) {
    let status = r.status().as_u16();
    let code = r
        .headers()
        .get("x-sesame-error")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, code, r.text().await.unwrap())
}
