//! The built-in test application (`/testapp`): a small SAML SP built on `sesame_saml`
//! only, registered in demo mode as an ordinary application (Identifier
//! `{public}/testapp`, Reply URL `{public}/testapp/acs`). It starts SP-initiated SSO by
//! HTTP-Redirect, accepts IdP-initiated responses, verifies the signature with the
//! certificates of the app's federation metadata (taken in-process from the
//! configuration, not over HTTP), checks Destination, Audience, times and InResponseTo,
//! and shows the NameID, its format, every attribute and each validation step.

use super::http::{cookie, set_cookie};
use super::pages::esc;
use super::pages::{html_headers, page};
use super::state::AppState;
use crate::ids::random_id;
use crate::sso::{now, SsoApp};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sesame_saml::bindings::post;
use sesame_saml::bindings::redirect::{encode_query, redirect_url};
use sesame_saml::bindings::MessageKind;
use sesame_saml::crypto::Certificate;
use sesame_saml::dsig::{self, VerifyPolicy};
use sesame_saml::messages::{AuthnRequest, ParsedAssertion, ParsedResponse, NAMEID_EMAIL};
use sesame_saml::xml::{self, Limits, NS_SAML};
use std::sync::Arc;

/// The cookie holding the ID of the AuthnRequest the test app sent.
const REQ_COOKIE: &str = "sesame_testapp_req";
/// Clock skew the test app tolerates, seconds.
const SKEW: i64 = 120;

/// The test app's Identifier for a public URL.
pub fn identifier(public_url: &str) -> String {
    format!("{public_url}/testapp")
}

/// The test app's Reply URL for a public URL.
pub fn reply_url(public_url: &str) -> String {
    format!("{public_url}/testapp/acs")
}

fn public_url(state: &AppState) -> String {
    state
        .cache()
        .get()
        .tenant
        .as_ref()
        .map(|t| t.public_url.clone())
        .unwrap_or_default()
}

fn registered(state: &AppState) -> Option<Arc<SsoApp>> {
    let p = public_url(state);
    state.cache().get().by_identifier(&identifier(&p)).cloned()
}

fn not_registered() -> Response {
    (
        StatusCode::NOT_FOUND,
        html_headers(),
        page(
            "Test application",
            "<h1>Test application</h1><p class=\"err\">The test application is not registered in this tenant.</p>\
<p>Start the server with <code>sesame serve --demo</code> to create it (and the test user B.Simon).</p>",
        ),
    )
        .into_response()
}

/// `GET /testapp`.
pub async fn index(State(state): State<AppState>) -> Response {
    let Some(app) = registered(&state) else {
        return not_registered();
    };
    let cache = state.cache().get();
    let launch = cache
        .tenant
        .as_ref()
        .map(|t| format!("{}?mode=idp", t.launch_url(&app.id)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sesame test application</h1><p>A SAML service provider built into Sesame, registered as the application \
<strong>{name}</strong>.</p><p><a href=\"/testapp/login\"><button type=\"button\">Sign in (SP-initiated SSO)</button></a></p>\
<p><a href=\"{launch}\">Sign in from the IdP (IdP-initiated SSO)</a></p>\
<table><tr><th>Identifier</th><td><code>{id}</code></td></tr><tr><th>Reply URL</th><td><code>{acs}</code></td></tr></table>",
        name = esc(&app.name),
        launch = esc(&launch),
        id = esc(app.default_identifier().unwrap_or_default()),
        acs = esc(app.default_reply_url().unwrap_or_default()),
    );
    (html_headers(), page("Test application", &body)).into_response()
}

/// `?force=1&passive=1` of the sign-in button (to try ForceAuthn and IsPassive).
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// ForceAuthn.
    pub force: Option<String>,
    /// IsPassive.
    pub passive: Option<String>,
}

/// `GET /testapp/login`: SP-initiated SSO by HTTP-Redirect.
pub async fn login(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> Response {
    let Some(app) = registered(&state) else {
        return not_registered();
    };
    let cache = state.cache().get();
    let p = public_url(&state);
    let id = random_id();
    let mut req = AuthnRequest::new(id.clone(), now(), identifier(&p));
    req.destination = Some(cache.login_url.clone());
    req.acs_url = Some(reply_url(&p));
    req.protocol_binding = Some(sesame_saml::bindings::BINDING_HTTP_POST.to_owned());
    req.force_authn = q.force.is_some();
    req.is_passive = q.passive.is_some();
    let _ = app;
    let query = match encode_query(MessageKind::Request, &req.to_xml(), Some("/testapp"), None) {
        Ok(q) => q,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let mut r = Redirect::to(&redirect_url(&cache.login_url, &query)).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, REQ_COOKIE, &id, Some(600)),
    );
    r
}

struct Step {
    ok: bool,
    what: String,
}

struct Report {
    steps: Vec<Step>,
    response: Option<ParsedResponse>,
    assertion: Option<ParsedAssertion>,
}

impl Report {
    fn check(&mut self, ok: bool, what: impl Into<String>) -> bool {
        self.steps.push(Step {
            ok,
            what: what.into(),
        });
        ok
    }
}

fn idp_certs(app: &SsoApp) -> Vec<Certificate> {
    app.metadata_xml
        .as_deref()
        .and_then(|x| sesame_saml::metadata::parse_entities(x).ok())
        .into_iter()
        .flatten()
        .filter_map(|e| e.idp)
        .flat_map(|i| i.signing_certificates)
        .collect()
}

fn validate(
    xml_text: &str,
    app: &SsoApp,
    idp_issuer: &str,
    acs: &str,
    expected_irt: Option<&str>,
) -> Report {
    let mut rep = Report {
        steps: Vec::new(),
        response: None,
        assertion: None,
    };
    let certs = idp_certs(app);
    rep.check(
        !certs.is_empty(),
        format!(
            "{} signing certificate(s) read from the app's federation metadata",
            certs.len()
        ),
    );
    let doc = match xml::parse(xml_text, &Limits::MESSAGE) {
        Ok(d) => d,
        Err(e) => {
            rep.check(false, format!("the Response parses: {e}"));
            return rep;
        }
    };
    let policy = VerifyPolicy { allow_sha1: true };
    let verified = match dsig::verify_message(&doc, &certs, &policy) {
        Ok(v) => v,
        Err(e) => {
            rep.check(false, format!("signature verifies: {e}"));
            return rep;
        }
    };
    let root = doc.root_element();
    let root_signed = verified.first().is_some_and(|n| *n == root);
    let assertion_node = verified
        .iter()
        .find(|n| xml::is(**n, NS_SAML, "Assertion"))
        .copied();
    rep.check(
        true,
        format!(
            "signature verifies ({})",
            match (root_signed, assertion_node.is_some()) {
                (true, true) => "Response and Assertion signed",
                (true, false) => "Response signed",
                _ => "Assertion signed",
            }
        ),
    );
    let resp = match ParsedResponse::from_element(root) {
        Ok(r) => r,
        Err(e) => {
            rep.check(false, format!("the Response is well formed: {e}"));
            return rep;
        }
    };
    let t = now();
    rep.check(
        resp.destination.as_deref() == Some(acs),
        format!("Destination is this Reply URL ({acs})"),
    );
    rep.check(
        resp.issuer.as_deref().is_none_or(|i| i == idp_issuer),
        format!("Issuer is the IdP ({idp_issuer})"),
    );
    match expected_irt {
        Some(id) => rep.check(
            resp.in_response_to.as_deref() == Some(id),
            format!("InResponseTo is the request sent ({id})"),
        ),
        None => rep.check(
            resp.in_response_to.is_none(),
            "unsolicited (IdP-initiated) Response: no InResponseTo",
        ),
    };
    let ok_status = rep.check(
        resp.status.is_success(),
        format!(
            "Status is Success (got {}{})",
            resp.status.code.uri(),
            resp.status
                .sub_code
                .as_ref()
                .map(|s| format!(" / {}", s.uri()))
                .unwrap_or_default()
        ),
    );
    if !ok_status {
        rep.response = Some(resp);
        return rep;
    }
    // The Assertion is read from a verified node: the signed Assertion, or the Assertion
    // inside the signed Response.
    let a_node = assertion_node.or_else(|| {
        if root_signed {
            xml::child(root, NS_SAML, "Assertion")
        } else {
            None
        }
    });
    let Some(a) = a_node.and_then(|n| ParsedAssertion::from_element(n).ok()) else {
        rep.check(false, "the Response carries a signed Assertion");
        rep.response = Some(resp);
        return rep;
    };
    let audience = identifier_of(app);
    if let Some(c) = &a.conditions {
        rep.check(
            c.allows_audience(&audience),
            format!("Audience is this app ({audience})"),
        );
        rep.check(
            c.not_before
                .is_none_or(|nb| nb.unix_seconds() <= t.unix_seconds() + SKEW),
            "NotBefore has passed",
        );
        rep.check(
            c.not_on_or_after
                .is_none_or(|na| na.unix_seconds() > t.unix_seconds() - SKEW),
            "NotOnOrAfter has not passed",
        );
    } else {
        rep.check(false, "the Assertion has Conditions");
    }
    let bearer_ok = a.bearer_confirmations().any(|sc| {
        sc.recipient.as_deref() == Some(acs)
            && sc
                .not_on_or_after
                .is_some_and(|na| na.unix_seconds() > t.unix_seconds() - SKEW)
            && sc.in_response_to.as_deref() == expected_irt
    });
    rep.check(
        bearer_ok,
        "bearer SubjectConfirmation: Recipient, NotOnOrAfter and InResponseTo match",
    );
    rep.check(a.issuer == idp_issuer, "the Assertion's Issuer is the IdP");
    rep.assertion = Some(a);
    rep.response = Some(resp);
    rep
}

fn identifier_of(app: &SsoApp) -> String {
    app.default_identifier().unwrap_or_default().to_owned()
}

/// `POST /testapp/acs`: receives a Response and shows what was validated and received.
pub async fn acs(State(state): State<AppState>, headers: HeaderMap, body: String) -> Response {
    let Some(app) = registered(&state) else {
        return not_registered();
    };
    let cache = state.cache().get();
    let p = public_url(&state);
    let (kind, xml_text, relay) = match post::decode_form(&body) {
        Ok(m) => m,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                html_headers(),
                page(
                    "Test application",
                    &format!(
                        "<h1 class=\"err\">No SAML Response</h1><p>{}</p>",
                        esc(&e.to_string())
                    ),
                ),
            )
                .into_response();
        }
    };
    let _ = kind;
    let expected = cookie(&headers, REQ_COOKIE)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    // An unsolicited Response carries no InResponseTo; a solicited one must match ours.
    let has_irt = ParsedResponse::parse(&xml_text)
        .ok()
        .and_then(|r| r.in_response_to)
        .is_some();
    let expected_irt = if has_irt {
        expected.as_deref().or(Some("(none sent by this browser)"))
    } else {
        None
    };
    let rep = validate(
        &xml_text,
        &app,
        &cache.idp_issuer,
        &reply_url(&p),
        expected_irt,
    );
    let all_ok = rep.steps.iter().all(|s| s.ok);
    let mut h = String::new();
    h.push_str(if all_ok {
        "<h1 class=\"ok\">Signed in to the test application</h1>"
    } else {
        "<h1 class=\"err\">The Response was refused</h1>"
    });
    if let Some(a) = &rep.assertion {
        h.push_str(&format!(
            "<h2>Subject</h2><table><tr><th>NameID</th><td id=\"nameid\"><code>{}</code></td></tr><tr><th>Format</th><td id=\"nameid-format\"><code>{}</code></td></tr>",
            esc(&a.name_id.value),
            esc(a.name_id.format.as_deref().unwrap_or(NAMEID_EMAIL))
        ));
        if let Some(s) = &a.authn {
            h.push_str(&format!(
                "<tr><th>SessionIndex</th><td><code>{}</code></td></tr><tr><th>AuthnContextClassRef</th><td><code>{}</code></td></tr>",
                esc(s.session_index.as_deref().unwrap_or("")),
                esc(s.class_ref.as_deref().unwrap_or(""))
            ));
        }
        h.push_str("</table><h2>Attributes</h2><table class=\"attributes\"><tr><th>Name</th><th>Values</th></tr>");
        for at in &a.attributes {
            h.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td></tr>",
                esc(&at.name),
                at.values
                    .iter()
                    .map(|v| format!("<code class=\"value\">{}</code>", esc(v)))
                    .collect::<Vec<_>>()
                    .join("<br>")
            ));
        }
        h.push_str("</table>");
    }
    if let Some(r) = &rep.response {
        if !r.status.is_success() {
            h.push_str(&format!(
                "<h2>Status</h2><p id=\"status\"><code>{}</code> <code id=\"substatus\">{}</code></p><p>{}</p>",
                esc(r.status.code.uri()),
                esc(r.status.sub_code.as_ref().map(|s| s.uri()).unwrap_or("")),
                esc(r.status.message.as_deref().unwrap_or(""))
            ));
        }
    }
    h.push_str("<h2>Validation steps</h2><ol class=\"steps\">");
    for s in &rep.steps {
        h.push_str(&format!(
            "<li class=\"{}\">{} {}</li>",
            if s.ok { "ok" } else { "err" },
            if s.ok { "✔" } else { "✘" },
            esc(&s.what)
        ));
    }
    h.push_str("</ol>");
    if let Some(rs) = relay {
        h.push_str(&format!(
            "<p>RelayState: <code id=\"relaystate\">{}</code></p>",
            esc(&rs)
        ));
    }
    h.push_str("<p><a href=\"/testapp\">Back to the test application</a></p>");
    let status = if all_ok {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut r = (status, html_headers(), page("Test application", &h)).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, REQ_COOKIE, "", Some(0)),
    );
    r
}
