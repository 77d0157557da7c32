//! Security info's **Passkey or security key** (`/myapps/security-info/passkey`): the
//! registration ceremony's options (from `methods::passkey`, for the browser's
//! `navigator.credentials.create`, run by `/assets/passkey.js`), the name, the proof of
//! an existing method, and the answer checked and recorded. The rules are
//! `crate::methods`'s and Security info's (a recent sign-in; a proof once the user has
//! a method); this decodes the forms and renders.

use super::access::{check_csrf, Member};
use super::error::PortalResult;
use super::kit::{self, Fields};
use super::layout::{page_with_status, render};
use super::security::{
    attempt, by, crumbs, needs_proof, passkey_recent, proof, recent_or_verify, shown, HOME,
};
use crate::methods::passkey::{self, PasskeyConfirmation};
use crate::methods::MethodError;
use crate::web::auth::SignedIn;
use crate::web::http::{correlation, ClientIp};
use crate::web::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Form, Router};

const ADD: &str = "/myapps/security-info/add";

/// The routes of this page.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/myapps/security-info/passkey", post(begin))
        .route("/myapps/security-info/passkey/confirm", post(confirm))
}

#[derive(Template)]
#[template(path = "portal/security/passkey.html")]
struct PasskeyBody<'a> {
    csrf: &'a str,
    ceremony: String,
    options: String,
    name: String,
    error: String,
    needs_proof: bool,
}

/// A new ceremony and its page (`error`: why the previous answer was refused).
async fn ceremony_page(
    state: &AppState,
    si: &SignedIn,
    headers: &HeaderMap,
    ip: &ClientIp,
    name: String,
    error: String,
) -> PortalResult {
    let rp = match crate::web::passkey::relying_party(state) {
        Ok(rp) => rp,
        Err(e) => {
            let text = shown(MethodError::from(e))?;
            return Ok(kit::redirect_error(state, HOME, &text));
        }
    };
    let c = match passkey::begin_registration(state.store(), &rp, &si.user, attempt(ip)).await {
        Ok(c) => c,
        Err(e) => {
            let text = shown(e)?;
            return Ok(kit::redirect_error(state, HOME, &text));
        }
    };
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        kit::UNPROCESSABLE
    };
    let body = render(&PasskeyBody {
        csrf: &si.csrf,
        ceremony: c.id,
        options: c.options.to_string(),
        name,
        error,
        needs_proof: needs_proof(state, si, headers).await?,
    });
    Ok(page_with_status(
        state,
        si,
        super::layout::Section::MyApps,
        "Create a passkey",
        crumbs(Some("Passkey or security key")),
        None,
        &body,
        status,
    ))
}

/// `POST /myapps/security-info/passkey`: the page with a new ceremony.
async fn begin(
    State(state): State<AppState>,
    Member(si): Member,
    headers: HeaderMap,
    ip: ClientIp,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    if let Some(r) = recent_or_verify(&state, &headers, ADD).await? {
        return Ok(r);
    }
    ceremony_page(&state, &si, &headers, &ip, "Passkey".into(), String::new()).await
}

/// `POST /myapps/security-info/passkey/confirm`: the browser's answer checked and the
/// passkey recorded; refused, the page again with the reason and a new ceremony.
async fn confirm(
    State(state): State<AppState>,
    Member(si): Member,
    headers: HeaderMap,
    ip: ClientIp,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    if let Some(r) = recent_or_verify(&state, &headers, ADD).await? {
        return Ok(r);
    }
    let corr = correlation(&headers);
    let recent = passkey_recent(&state, &headers).await?;
    let c = PasskeyConfirmation {
        ceremony: f.field("ceremony"),
        name: f.field("name"),
        client_data_json: f.field("client_data_json"),
        attestation_object: f.field("attestation_object"),
        transports: f.field("transports"),
        proof: proof(&f, recent),
        browser: &crate::sessions::describe(&crate::web::http::user_agent(&headers)),
    };
    let r = match crate::web::passkey::relying_party(&state) {
        Ok(rp) => {
            passkey::finish_registration(
                state.store(),
                state.master(),
                &rp,
                &si.user,
                c,
                attempt(&ip),
                by(&si, &corr),
            )
            .await
        }
        Err(e) => Err(e.into()),
    };
    match r {
        Ok(m) => Ok(kit::redirect_ok(
            &state,
            HOME,
            &format!("Passkey \"{}\" added.", m.name),
        )),
        Err(e) => {
            let error = shown(e)?;
            ceremony_page(&state, &si, &headers, &ip, c.name.to_owned(), error).await
        }
    }
}
