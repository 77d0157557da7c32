//! The HTML pages: small, static, every value escaped; no script except the auto-post one
//! (allowed by hash in the Content-Security-Policy).

use super::AppState;
use crate::sso::SsoError;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use sesame_saml::bindings::post::{auto_post_form, AUTO_POST_SCRIPT_CSP_SOURCE};
use sesame_saml::bindings::MessageKind;

/// `s` escaped for HTML text and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#222}\
h1{font-size:1.4rem}code,pre{background:#f4f4f4;padding:.1rem .3rem;border-radius:3px}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}\
.err{color:#a00}.ok{color:#070}label{display:block;margin:.6rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.4rem}\
button{margin-top:1rem;padding:.5rem 1.2rem}";

/// Headers of every HTML page: no framing, no script, no referrer.
pub fn html_headers() -> [(HeaderName, HeaderValue); 5] {
    [
        (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-src *; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ]
}

/// A whole page around `body`.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{} · Sesame</title><style>{STYLE}</style></head><body>{body}</body></html>\n",
        esc(title)
    )
}

/// The error page body.
pub fn error_html(e: &SsoError, correlation: &str, timestamp: &str) -> String {
    page(
        e.code.title(),
        &format!(
            "<h1 class=\"err\">Sign-in failed</h1><p><strong>{code}: {title}</strong></p><p>{detail}</p>\
<p>{explain}</p><p><em>How to fix it:</em> {fix}</p>\
<table><tr><th>Error code</th><td><code>{code}</code></td></tr><tr><th>Correlation id</th><td><code>{corr}</code></td></tr>\
<tr><th>Timestamp</th><td><code>{ts}</code></td></tr></table><p>The meaning of every code is in docs/errors.md.</p>",
            code = e.code.code(),
            title = esc(e.code.title()),
            detail = esc(&e.detail),
            explain = esc(e.code.explanation()),
            fix = esc(e.code.fix()),
            corr = esc(correlation),
            ts = esc(timestamp),
        ),
    )
}

/// The auto-submitting form that POSTs a SAML message to `action`, with a CSP allowing
/// only its script and a form action to `action`'s origin.
pub fn auto_post(
    action: &str,
    kind: MessageKind,
    xml: &str,
    relay_state: Option<&str>,
) -> Response {
    let value = sesame_saml::bindings::post::encode(xml);
    let body = auto_post_form(action, kind, &value, relay_state);
    let csp = format!(
        "default-src 'none'; script-src {AUTO_POST_SCRIPT_CSP_SOURCE}; form-action {}; frame-ancestors 'none'; base-uri 'none'",
        origin_of(action)
    );
    let mut r = Html(body).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

/// `scheme://authority` of a URL (for CSP), or `*` when it has none.
fn origin_of(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let authority = &rest[..end];
            if authority
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]@".contains(c))
            {
                format!("{}://{}", scheme.to_ascii_lowercase(), authority)
            } else {
                "*".into()
            }
        }
        None => "*".into(),
    }
}

/// `GET /`: where to start.
pub async fn home(State(state): State<AppState>, _headers: HeaderMap) -> Response {
    let cache = state.cache().get();
    let (tenant_id, login) = cache
        .tenant
        .as_ref()
        .map(|t| (t.id.clone(), t.login_url()))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sesame</h1><p>A self-hosted SAML 2.0 identity provider.</p>\
<ul><li><a href=\"/testapp\">The built-in test application</a> (sign in with SAML SSO)</li>\
<li><a href=\"/{t}/login\">Sign in to Sesame</a></li><li><a href=\"/{t}/signout\">Sign out</a></li></ul>\
<p>Login URL: <code>{l}</code></p>",
        t = esc(&tenant_id),
        l = esc(&login)
    );
    (html_headers(), page("Sesame", &body)).into_response()
}
