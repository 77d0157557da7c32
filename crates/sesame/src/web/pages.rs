//! The HTML pages: small, static, every value escaped; no script except the auto-post one
//! (allowed by hash in the Content-Security-Policy).

use crate::sso::SsoError;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use sesame_saml::bindings::post::{auto_post_page, AUTO_POST_SCRIPT_CSP_SOURCE};
use sesame_saml::bindings::MessageKind;
use std::sync::LazyLock;

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

/// The CSP source allowing [`STYLE`], the one inline style block: `'sha256-…'`.
fn style_source() -> &'static str {
    static SOURCE: LazyLock<String> = LazyLock::new(|| {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, STYLE.as_bytes());
        format!("'sha256-{}'", B64.encode(d.as_ref()))
    });
    &SOURCE
}

/// A Content-Security-Policy: nothing but the page's own style block (and `script`, the
/// auto-post script), forms posted only to Sesame (plus `form_to`), frames only from
/// `frames`, framed by nobody (or, with `framed_by_self`, only by Sesame's own pages).
pub fn csp(script: bool, form_to: Option<&str>, frames: &[String], framed_by_self: bool) -> String {
    let mut c = format!("default-src 'none'; style-src {}", style_source());
    if script {
        c.push_str("; script-src ");
        c.push_str(AUTO_POST_SCRIPT_CSP_SOURCE);
    }
    c.push_str("; form-action 'self'");
    if let Some(url) = form_to {
        c.push(' ');
        c.push_str(&origin_of(url));
    }
    if !frames.is_empty() {
        c.push_str("; frame-src");
        let mut seen: Vec<String> = Vec::new();
        for f in frames {
            let o = origin_of(f);
            if !seen.contains(&o) {
                c.push(' ');
                c.push_str(&o);
                seen.push(o);
            }
        }
    }
    c.push_str(if framed_by_self {
        "; frame-ancestors 'self'"
    } else {
        "; frame-ancestors 'none'"
    });
    c.push_str("; base-uri 'none'");
    c
}

fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

/// Headers of every HTML page: its style only, no script, no framing, no referrer, not
/// cached.
pub fn html_headers() -> [(HeaderName, HeaderValue); 5] {
    [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            header_value(&csp(false, None, &[], false)),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ]
}

/// The headers every response gets (the middleware calls this), each unless the handler
/// set its own: the strict CSP, `nosniff`, no framing, no referrer, not cached.
pub fn add_security_headers(h: &mut HeaderMap) {
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            header_value(&csp(false, None, &[], false)),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !h.contains_key(header::X_FRAME_OPTIONS) {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if !h.contains_key(header::REFERRER_POLICY) {
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// An HTML page whose CSP differs from [`html_headers`]' (the sign-out pages).
pub fn html_with_csp(body: String, csp_value: &str, framed_by_self: bool) -> Response {
    let mut r = (html_headers(), body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, header_value(csp_value));
    if framed_by_self {
        h.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
    }
    r
}

/// A whole page around `body`.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{} · Sesame</title><style>{STYLE}</style></head><body>{body}</body></html>\n",
        esc(title)
    )
}

/// The error page body, for the end user: a plain explanation, whom to ask and what to
/// give them (code, correlation id, time, application), and the way back to My Apps.
/// No commands and no documentation paths: administrators find the fix in the sign-in
/// log under the correlation id.
pub fn error_html(e: &SsoError, correlation: &str, timestamp: &str, app: Option<&str>) -> String {
    let detail = if e.code.detail_for_user() && !e.detail.is_empty() {
        format!("<p>{}</p>", esc(&e.detail))
    } else {
        String::new()
    };
    let app_row = match app.filter(|a| !a.is_empty()) {
        Some(a) => format!("<tr><th>Application</th><td>{}</td></tr>", esc(a)),
        None => String::new(),
    };
    let back = if e.code.sign_in_again_helps() {
        "<p><a href=\"/myapps\">Sign in again</a> · <a href=\"/myapps\">Back to My Apps</a></p>"
    } else {
        "<p><a href=\"/myapps\">Back to My Apps</a></p>"
    };
    page(
        e.code.title(),
        &format!(
            "<main><h1 class=\"err\">{title}</h1><p>{message}</p>{detail}\
<p>Contact your administrator and give them this information:</p>\
<table><tr><th>Error code</th><td><code>{code}</code></td></tr><tr><th>Correlation id</th><td><code>{corr}</code></td></tr>\
<tr><th>Timestamp (UTC)</th><td><code>{ts}</code></td></tr>{app_row}</table>{back}</main>",
            code = e.code.code(),
            title = esc(e.code.title()),
            message = esc(e.code.user_message()),
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
    let body = auto_post_page(action, kind, xml, relay_state);
    let csp = csp(true, Some(action), &[], false);
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
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
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
