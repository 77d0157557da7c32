//! The sign-in page's "Sign in with a passkey": the button, the form that carries the
//! browser's answer (with the pending sign-in and the page's CSRF token) to
//! `web::passkey`, the script's path, and the page's Content-Security-Policy that lets
//! the script run and fetch the ceremony's options.

use super::pages::{csp, esc};
use axum::http::HeaderValue;

/// The script's path.
pub(crate) const SCRIPT: &str = "/assets/passkey.js";

/// The sign-in page's Content-Security-Policy: the page's own, plus Sesame's own script
/// and the request of the ceremony's options.
pub(crate) fn login_csp() -> HeaderValue {
    let c = format!(
        "{}; script-src 'self'; connect-src 'self'",
        csp(false, None, &[], false)
    );
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

/// The sign-in page's passkey button, its answer form (the pending sign-in `p` and the
/// page's CSRF token) and the script.
pub(crate) fn login_button(tenant: &str, p: Option<&str>, csrf: &str) -> String {
    // The answer form has no fields of its own: the script adds them (the pending
    // sign-in, the CSRF token, the answer), so the page's password form stays the only
    // one with hidden fields.
    let t = esc(tenant);
    format!(
        "<form id=\"passkey-form\" method=\"post\" action=\"/{t}/login/passkey\" data-p=\"{p}\" data-csrf=\"{csrf}\">\
<p>or</p><button type=\"button\" id=\"passkey-signin\" data-passkey-signin data-form=\"passkey-form\" \
data-status=\"passkey-status\" data-options-url=\"/{t}/login/passkey/options\">Sign in with a passkey</button>\
<p id=\"passkey-status\" class=\"err\" role=\"alert\" hidden></p></form>\
<script src=\"{SCRIPT}\" defer></script>",
        p = esc(p.unwrap_or_default()),
        csrf = esc(csrf),
    )
}
