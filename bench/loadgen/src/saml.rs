//! The service provider's side, with sesame-saml: fresh AuthnRequests by HTTP-Redirect,
//! the browser's sign-in through whatever login form the IdP shows, and a strict check of
//! the Response (both Response and Assertion signed, by the IdP's certificate).

use crate::html;
use anyhow::{anyhow, bail, Context, Result};
use base64::Engine as _;
use sesame_saml::bindings::redirect::{encode_query, redirect_url};
use sesame_saml::bindings::{MessageKind, BINDING_HTTP_POST};
use sesame_saml::crypto::Certificate;
use sesame_saml::dsig::{self, VerifyPolicy};
use sesame_saml::messages::{AuthnRequest, NameIdPolicy, ParsedResponse, NAMEID_EMAIL};
use sesame_saml::time::Timestamp;
use sesame_saml::xml::{self, Limits, NS_SAML};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The IdP under test and the SP it answers.
#[derive(Debug, Clone)]
pub struct Target {
    /// The IdP's SSO endpoint (HTTP-Redirect).
    pub sso_url: String,
    /// The SP's entity id (AuthnRequest Issuer).
    pub sp_entity: String,
    /// The SP's Assertion Consumer Service URL.
    pub acs: String,
    /// The IdP's signing certificates.
    pub certs: Vec<Certificate>,
    /// The user and password of the browser session.
    pub user: String,
    pub password: String,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);
static NONCE: OnceLock<u64> = OnceLock::new();

/// A fresh, unique request ID (an NCName).
pub fn fresh_id() -> String {
    let nonce = *NONCE.get_or_init(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        t ^ (u64::from(std::process::id()) << 40)
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("_lg{nonce:016x}{n:012x}")
}

/// A fresh AuthnRequest by HTTP-Redirect: (request ID, URL).
pub fn request_url(t: &Target) -> Result<(String, String)> {
    let id = fresh_id();
    let mut r = AuthnRequest::new(
        id.clone(),
        Timestamp::from(std::time::SystemTime::now()),
        t.sp_entity.clone(),
    );
    r.destination = Some(t.sso_url.clone());
    r.acs_url = Some(t.acs.clone());
    r.protocol_binding = Some(BINDING_HTTP_POST.to_owned());
    r.name_id_policy = Some(NameIdPolicy {
        format: Some(NAMEID_EMAIL.to_owned()),
        allow_create: Some(true),
        sp_name_qualifier: None,
    });
    let q = encode_query(MessageKind::Request, &r.to_xml(), None, None)?;
    Ok((id, redirect_url(&t.sso_url, &q)))
}

/// Checks an auto-post page like a strict SP: posts to the ACS, the Response and its
/// Assertion both signed with the IdP's certificate, success, in response to `irt`.
pub fn verify_page(t: &Target, page: &str, irt: Option<&str>) -> Result<()> {
    let form =
        html::form_with(page, "SAMLResponse").ok_or_else(|| anyhow!("no SAMLResponse form"))?;
    if form.action != t.acs {
        bail!(
            "the form posts to {:?}, not the ACS {:?}",
            form.action,
            t.acs
        );
    }
    let b64: String = form
        .value("SAMLResponse")
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .context("SAMLResponse is not base64")?;
    let text = String::from_utf8(raw).context("SAMLResponse is not UTF-8")?;
    verify_response_xml(t, &text, irt)
}

/// The signature and content checks of [`verify_page`] on the Response XML.
pub fn verify_response_xml(t: &Target, text: &str, irt: Option<&str>) -> Result<()> {
    let doc = xml::parse(text, &Limits::MESSAGE)?;
    let verified = dsig::verify_message(&doc, &t.certs, &VerifyPolicy::default())
        .map_err(|e| anyhow!("signature: {e}"))?;
    let root = doc.root_element();
    if verified.first() != Some(&root) {
        bail!("the Response itself is not signed");
    }
    let assertion =
        xml::child(root, NS_SAML, "Assertion").ok_or_else(|| anyhow!("no Assertion"))?;
    if !verified.contains(&assertion) {
        bail!("the Assertion is not signed");
    }
    let resp = ParsedResponse::from_element(root)?;
    if !resp.status.is_success() {
        bail!("status {:?}", resp.status.code);
    }
    if resp.in_response_to.as_deref() != irt {
        bail!("InResponseTo {:?}, expected {:?}", resp.in_response_to, irt);
    }
    Ok(())
}

/// A browser: cookie jar, follows redirects.
pub fn browser() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::limited(10))
        .pool_max_idle_per_host(256)
        .build()?)
}

/// GET, following redirects: (status, final URL, body).
pub async fn get(b: &reqwest::Client, url: &str) -> Result<(u16, reqwest::Url, String)> {
    let r = b.get(url).send().await?;
    let status = r.status().as_u16();
    let u = r.url().clone();
    Ok((status, u, r.text().await?))
}

/// Fills and posts the login form of `page` (found at `page_url`); returns the page the
/// browser ends on.
pub async fn submit_login(
    b: &reqwest::Client,
    page_url: &reqwest::Url,
    page: &str,
    user: &str,
    password: &str,
) -> Result<(u16, reqwest::Url, String)> {
    let form = html::form_with(page, "password")
        .ok_or_else(|| anyhow!("no login form at {page_url}: {}", snippet(page)))?;
    let action = page_url.join(&form.action)?;
    let mut data: Vec<(String, String)> = Vec::new();
    for (name, value, kind) in &form.inputs {
        match name.as_str() {
            "password" => data.push((name.clone(), password.to_owned())),
            "username" | "user" | "login" | "email" => data.push((name.clone(), user.to_owned())),
            _ if kind == "submit" || kind == "checkbox" => {}
            _ => data.push((name.clone(), value.clone())),
        }
    }
    let r = b.post(action).form(&data).send().await?;
    let status = r.status().as_u16();
    let u = r.url().clone();
    Ok((status, u, r.text().await?))
}

/// A cold sign-in: a fresh AuthnRequest, the login page, the password POST. Returns the
/// seconds the POST took (form POST to SAML Response) and the whole flow took.
pub async fn sign_in(b: &reqwest::Client, t: &Target) -> Result<(f64, f64)> {
    let t0 = std::time::Instant::now();
    let (id, url) = request_url(t)?;
    let (status, u, page) = get(b, &url).await?;
    if status != 200 || html::form_with(&page, "password").is_none() {
        bail!(
            "expected the login page, got {status} at {u}: {}",
            snippet(&page)
        );
    }
    let t1 = std::time::Instant::now();
    let (status, u, page) = submit_login(b, &u, &page, &t.user, &t.password).await?;
    let post = t1.elapsed().as_secs_f64();
    if status != 200 || !html::has_saml_response(&page) {
        bail!(
            "expected the auto-post form after the password, got {status} at {u}: {}",
            snippet(&page)
        );
    }
    verify_page(t, &page, Some(&id)).context("the first Response")?;
    Ok((post, t0.elapsed().as_secs_f64()))
}

/// The start of a page, for error messages.
pub fn snippet(s: &str) -> String {
    let s: String = s.chars().take(600).collect();
    s.replace('\n', " ")
}

/// Certificates from a PEM file (one or more CERTIFICATE blocks).
pub fn load_certs(path: &str) -> Result<Vec<Certificate>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let mut out = Vec::new();
    let mut rest = text.as_str();
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    while let Some(i) = rest.find(BEGIN) {
        let j = rest[i..]
            .find(END)
            .ok_or_else(|| anyhow!("unterminated certificate in {path}"))?
            + i
            + END.len();
        out.push(Certificate::from_pem(&rest[i..j])?);
        rest = &rest[j..];
    }
    if out.is_empty() {
        bail!("no certificate in {path}");
    }
    Ok(out)
}
