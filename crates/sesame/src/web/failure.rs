//! The one failure of the SSO pages (SAML endpoint, login page, IdP-initiated launch,
//! sign-out, federation metadata): the error, its correlation id, and the sign-in log row
//! that records it. Handlers return `Result<Response, PageFailure>` and use `?`; turned
//! into a response, the failure writes its row to the sign-in log and renders the error
//! page (`error_page`: status, `x-sesame-error`, `Retry-After` for 503).

use super::http::error_page_for;
use super::state::AppState;
use crate::sso::SsoError;
use crate::store::SigninRow;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// A failed SSO page request, rendered as the error page.
pub(crate) struct PageFailure(Box<Inner>);

struct Inner {
    error: SsoError,
    correlation: String,
    /// The row to log, and where.
    log: Option<(AppState, SigninRow)>,
    /// `Set-Cookie` values the error page carries.
    cookies: Vec<HeaderValue>,
}

impl PageFailure {
    /// A failure recorded in the sign-in log as `row`.
    pub(crate) fn logged(state: &AppState, row: SigninRow, error: SsoError, corr: &str) -> Self {
        PageFailure(Box::new(Inner {
            error,
            correlation: corr.to_owned(),
            log: Some((state.clone(), row)),
            cookies: Vec::new(),
        }))
    }

    /// A failure that is no sign-in (federation metadata): only the error page.
    pub(crate) fn unlogged(error: SsoError, corr: &str) -> Self {
        PageFailure(Box::new(Inner {
            error,
            correlation: corr.to_owned(),
            log: None,
            cookies: Vec::new(),
        }))
    }

    /// The error page also sets this cookie.
    #[must_use]
    pub(crate) fn with_cookie(mut self, set_cookie: HeaderValue) -> Self {
        self.0.cookies.push(set_cookie);
        self
    }
}

impl std::fmt::Debug for PageFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageFailure")
            .field("error", &self.0.error)
            .field("correlation", &self.0.correlation)
            .finish_non_exhaustive()
    }
}

impl IntoResponse for PageFailure {
    fn into_response(self) -> Response {
        let Inner {
            error,
            correlation,
            log,
            cookies,
        } = *self.0;
        let app = log.as_ref().map(|(_, row)| row.app_name.clone());
        if let Some((state, row)) = log {
            state.log(row);
        }
        let mut r = error_page_for(&error, &correlation, app.as_deref());
        for c in cookies {
            r.headers_mut().append(header::SET_COOKIE, c);
        }
        r
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic
mod tests {
    use super::*;
    use crate::sso::ErrorCode;
    use axum::http::StatusCode;

    #[test]
    fn renders_the_error_page_with_its_code_and_cookies() {
        let e = SsoError::new(ErrorCode::TenantNotFound, "no such tenant");
        let r = PageFailure::unlogged(e, "corr-1")
            .with_cookie(HeaderValue::from_static("a=; Max-Age=0"))
            .into_response();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(r.headers()["x-sesame-error"], "SESAME90002");
        assert_eq!(r.headers()[header::SET_COOKIE], "a=; Max-Age=0");
        let e = SsoError::new(ErrorCode::ServiceUnavailable, "down");
        let r = PageFailure::unlogged(e, "corr-2").into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(r.headers().contains_key(header::RETRY_AFTER));
    }

    async fn body(r: Response) -> String {
        let b = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        String::from_utf8(b.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn the_end_user_page_says_whom_to_ask_and_the_way_back_without_commands() {
        for c in ErrorCode::ALL {
            let e = SsoError::new(*c, "detail for the log");
            let html = body(PageFailure::unlogged(e, "corr-9").into_response()).await;
            let message = crate::web::pages::esc(c.user_message());
            for t in [
                message.as_str(),
                "Contact your administrator and give them this information:",
                c.code(),
                "corr-9",
                "Timestamp (UTC)",
                "href=\"/myapps\"",
            ] {
                assert!(html.contains(t), "{c}: {t} not in {html}");
            }
            for t in ["`", "docs/", "sesame app", "How to fix"] {
                assert!(!html.contains(t), "{c}: {t} in {html}");
            }
        }
        let e = SsoError::new(ErrorCode::SignInExpired, "x");
        let html = body(PageFailure::unlogged(e, "c").into_response()).await;
        assert!(html.contains("Sign in again"), "{html}");
    }
}
