//! Security info (`/myapps/security-info`, every signed-in user; Azure's name for the
//! page): the user's authentication methods listed, an authenticator app added (QR code
//! and `otpauth://` URI, confirmed with a first code, named), recovery codes generated
//! (shown once), a method renamed or removed. The rules are those of `crate::methods`;
//! this module decodes the forms and renders.
//!
//! Adding or removing a method needs a sign-in in the last ten minutes
//! (`methods::RECENT_SIGN_IN_SECS`, read from the session in the store, so it holds at
//! every node): otherwise the browser goes to **Verify your identity**, which asks the
//! password again and comes back. When the user already has a method, the form also asks
//! for a code from one of them.

use super::access::{check_csrf, Member};
use super::error::{PortalError, PortalResult};
use super::kit::{self, Fields};
use super::layout::{page, page_with_status, render, Crumb, Section};
use crate::admin::errors::AdminCode;
use crate::authentication::{self, Place};
use crate::methods::{self, Attempt, By, MethodError, Proof, TotpConfirmation};
use crate::model::{AuthMethod, MethodKind};
use crate::sso::session;
use crate::sso::SsoError;
use crate::web::auth::SignedIn;
use crate::web::http::{cookie, correlation, ClientIp};
use crate::web::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};

/// The page's path.
pub(crate) const HOME: &str = "/myapps/security-info";
const VERIFY: &str = "/myapps/security-info/verify";

/// The routes of this area.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(HOME, get(info))
        .route("/myapps/security-info/add", get(add))
        .route(
            "/myapps/security-info/authenticator",
            post(begin_authenticator),
        )
        .route(
            "/myapps/security-info/authenticator/confirm",
            post(confirm_authenticator),
        )
        .route(
            "/myapps/security-info/recovery",
            get(recovery_form).post(recovery_generate),
        )
        .route("/myapps/security-info/methods/{id}/rename", post(rename))
        .route(
            "/myapps/security-info/methods/{id}/remove",
            get(remove_form).post(remove),
        )
        .route(VERIFY, get(verify_form).post(verify))
}

pub(super) fn crumbs(last: Option<&str>) -> Vec<Crumb> {
    let mut c = vec![
        Crumb::new("/myapps", "My Apps"),
        Crumb::new(if last.is_some() { HOME } else { "" }, "Security info"),
    ];
    if let Some(l) = last {
        c.push(Crumb::new("", l));
    }
    c
}

/// The text shown for a refused method operation (`SESAME9001xx: …`); storage and key
/// failures are the portal's error page.
pub(super) fn shown(e: MethodError) -> PortalResult<String> {
    match e {
        MethodError::Store(s) => Err(s.into()),
        MethodError::Key(k) => Err(PortalError::with_code(AdminCode::Internal, &k)),
        other => {
            let se = SsoError::from(&other);
            Ok(format!("{}: {}.", se.code.code(), capitalised(&se.detail)))
        }
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// When the session of this request authenticated (Unix seconds), read from the store
/// (not the memo of the hot path): a re-authentication at any node counts at once.
async fn auth_time(state: &AppState, headers: &HeaderMap) -> PortalResult<i64> {
    let Some(value) = cookie(headers, session::COOKIE) else {
        return Ok(0);
    };
    Ok(state
        .store()
        .session_with_user(&session::hash_cookie(value))
        .await?
        .map_or(0, |s| s.session.auth_time))
}

/// `None` when the session's sign-in is recent enough to change methods; else the
/// redirect to **Verify your identity**, coming back to `back`.
pub(super) async fn recent_or_verify(
    state: &AppState,
    headers: &HeaderMap,
    back: &str,
) -> PortalResult<Option<Response>> {
    let t = auth_time(state, headers).await?;
    if methods::recent_sign_in(t, crate::clock::now_unix()) {
        return Ok(None);
    }
    let q = percent_encoding::utf8_percent_encode(back, percent_encoding::NON_ALPHANUMERIC);
    Ok(Some(kit::see_other(&format!("{VERIFY}?next={q}"))))
}

/// Whether the session of this request signed in with a passkey in the last
/// `methods::RECENT_SIGN_IN_SECS`: the proof of an existing method, without a code.
pub(super) async fn passkey_recent(state: &AppState, headers: &HeaderMap) -> PortalResult<bool> {
    let Some(value) = cookie(headers, session::COOKIE) else {
        return Ok(false);
    };
    Ok(state
        .store()
        .session_with_user(&session::hash_cookie(value))
        .await?
        .is_some_and(|s| {
            s.session.auth_method == session::METHOD_PASSKEY
                && methods::recent_sign_in(s.session.auth_time, crate::clock::now_unix())
        }))
}

/// Whether a form must ask for a code of an existing method: the user has a method, and
/// did not just sign in with a passkey.
pub(super) async fn needs_proof(
    state: &AppState,
    si: &SignedIn,
    headers: &HeaderMap,
) -> PortalResult<bool> {
    Ok(!user_methods(state, si).await?.is_empty() && !passkey_recent(state, headers).await?)
}

pub(super) fn proof(f: &Fields, recent_passkey: bool) -> Proof<'_> {
    Proof {
        code: f.field("proof_code"),
        recovery_code: f.field("proof_recovery"),
        recent_passkey,
    }
}

pub(super) fn by<'a>(si: &'a SignedIn, corr: &'a str) -> By<'a> {
    By {
        actor: &si.principal.actor,
        correlation_id: corr,
    }
}

pub(super) fn attempt(ClientIp(ip, _): &ClientIp) -> Attempt {
    Attempt {
        ip: *ip,
        now: crate::clock::now_unix(),
    }
}

// ---------------------------------------------------------------------------------------
// The list

struct MethodRow {
    id: String,
    kind: &'static str,
    name: String,
    detail: String,
    renamable: bool,
    created: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "portal/security/info.html")]
struct InfoBody<'a> {
    csrf: &'a str,
    methods: Vec<MethodRow>,
    has_recovery: bool,
    recovery_enabled: bool,
}

async fn rows(state: &AppState, list: &[AuthMethod]) -> PortalResult<Vec<MethodRow>> {
    let mut out = Vec::with_capacity(list.len());
    for m in list {
        let detail = if m.kind == MethodKind::Recovery {
            let left = methods::recovery_codes_left(state.store(), &m.id)
                .await
                .or_else(|e| shown(e).map(|_| 0))?;
            format!("{left} of {} codes left", methods::recovery::COUNT)
        } else {
            String::new()
        };
        out.push(MethodRow {
            id: m.id.clone(),
            kind: m.kind.label(),
            name: m.name.clone(),
            detail,
            renamable: m.kind != MethodKind::Recovery,
            created: kit::time_s(m.created_at),
            last_used: if m.last_used_at == 0 {
                "Never".into()
            } else {
                kit::time_s(m.last_used_at)
            },
        });
    }
    Ok(out)
}

pub(super) async fn user_methods(state: &AppState, si: &SignedIn) -> PortalResult<Vec<AuthMethod>> {
    methods::list(state.store(), &si.user.id)
        .await
        .or_else(|e| shown(e).map(|_| Vec::new()))
}

/// `GET /myapps/security-info`.
async fn info(
    State(state): State<AppState>,
    Member(si): Member,
    kit::Flashed(flash): kit::Flashed,
) -> PortalResult {
    let list = user_methods(&state, &si).await?;
    let body = render(&InfoBody {
        csrf: &si.csrf,
        has_recovery: list.iter().any(|m| m.kind == MethodKind::Recovery),
        recovery_enabled: enabled(&state, &si).await?.recovery,
        methods: rows(&state, &list).await?,
    });
    Ok(page(
        &state,
        &si,
        Section::MyApps,
        "Security info",
        crumbs(None),
        flash,
        &body,
    ))
}

// ---------------------------------------------------------------------------------------
// Adding an authenticator app

#[derive(Template)]
#[template(path = "portal/security/add.html")]
struct AddBody<'a> {
    csrf: &'a str,
    /// What the Authentication methods policy enables for the user.
    enabled: methods::policy::Enabled,
}

/// What the Authentication methods policy enables for the signed-in user.
pub(super) async fn enabled(
    state: &AppState,
    si: &SignedIn,
) -> PortalResult<methods::policy::Enabled> {
    Ok(methods::policy::enabled_for(state.store(), &si.user.id).await?)
}

/// `GET /myapps/security-info/add`: the methods one can add.
async fn add(
    State(state): State<AppState>,
    Member(si): Member,
    headers: HeaderMap,
) -> PortalResult {
    if let Some(r) = recent_or_verify(&state, &headers, "/myapps/security-info/add").await? {
        return Ok(r);
    }
    let body = render(&AddBody {
        csrf: &si.csrf,
        enabled: enabled(&state, &si).await?,
    });
    Ok(page(
        &state,
        &si,
        Section::MyApps,
        "Add sign-in method",
        crumbs(Some("Add sign-in method")),
        None,
        &body,
    ))
}

#[derive(Template)]
#[template(path = "portal/security/authenticator.html")]
struct AuthenticatorBody<'a> {
    csrf: &'a str,
    reg: methods::TotpRegistration,
    name: String,
    error: String,
    needs_proof: bool,
}

fn authenticator_page(
    state: &AppState,
    si: &SignedIn,
    body: &AuthenticatorBody<'_>,
    status: StatusCode,
) -> Response {
    page_with_status(
        state,
        si,
        Section::MyApps,
        "Set up your authenticator app",
        crumbs(Some("Authenticator app")),
        None,
        &render(body),
        status,
    )
}

/// `POST /myapps/security-info/authenticator`: a new secret, its QR code and URI, and
/// the form confirming it.
async fn begin_authenticator(
    State(state): State<AppState>,
    Member(si): Member,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    if let Some(r) = recent_or_verify(&state, &headers, "/myapps/security-info/add").await? {
        return Ok(r);
    }
    let now = crate::clock::now_unix();
    let reg = match methods::begin_totp(state.store(), state.master(), &si.user, now).await {
        Ok(r) => r,
        Err(e) => {
            let text = shown(e)?;
            return Ok(kit::redirect_error(&state, HOME, &text));
        }
    };
    let needs_proof = needs_proof(&state, &si, &headers).await?;
    Ok(authenticator_page(
        &state,
        &si,
        &AuthenticatorBody {
            csrf: &si.csrf,
            reg,
            name: MethodKind::Totp.label().to_owned(),
            error: String::new(),
            needs_proof,
        },
        StatusCode::OK,
    ))
}

/// `POST /myapps/security-info/authenticator/confirm`: the first code confirms the
/// registration; refused, the same page again with the reason.
async fn confirm_authenticator(
    State(state): State<AppState>,
    Member(si): Member,
    headers: HeaderMap,
    ip: ClientIp,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    if let Some(r) = recent_or_verify(&state, &headers, "/myapps/security-info/add").await? {
        return Ok(r);
    }
    let corr = correlation(&headers);
    let at = attempt(&ip);
    let c = TotpConfirmation {
        pending_id: f.field("pending"),
        name: f.field("name"),
        code: f.field("code"),
        proof: proof(&f, passkey_recent(&state, &headers).await?),
        browser: &crate::sessions::describe(&crate::web::http::user_agent(&headers)),
    };
    let store = state.store();
    match methods::confirm_totp(store, state.master(), &si.user, c, at, by(&si, &corr)).await {
        Ok(m) => Ok(kit::redirect_ok(
            &state,
            HOME,
            &format!("Authenticator app \"{}\" added.", m.name),
        )),
        Err(MethodError::RegistrationExpired) => {
            let text = shown(MethodError::RegistrationExpired)?;
            Ok(kit::redirect_error(&state, HOME, &text))
        }
        Err(e) => {
            let error = shown(e)?;
            let reg = match methods::totp_registration(
                store,
                state.master(),
                &si.user,
                c.pending_id,
                at.now,
            )
            .await
            {
                Ok(r) => r,
                Err(e) => {
                    let text = shown(e)?;
                    return Ok(kit::redirect_error(&state, HOME, &text));
                }
            };
            let needs_proof = needs_proof(&state, &si, &headers).await?;
            Ok(authenticator_page(
                &state,
                &si,
                &AuthenticatorBody {
                    csrf: &si.csrf,
                    reg,
                    name: c.name.to_owned(),
                    error,
                    needs_proof,
                },
                kit::UNPROCESSABLE,
            ))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Recovery codes

#[derive(Template)]
#[template(path = "portal/security/recovery.html")]
struct RecoveryBody<'a> {
    csrf: &'a str,
    has_recovery: bool,
    needs_proof: bool,
    error: String,
}

#[derive(Template)]
#[template(path = "portal/security/codes.html")]
struct CodesBody {
    codes: Vec<String>,
}

async fn recovery_page(
    state: &AppState,
    si: &SignedIn,
    headers: &HeaderMap,
    error: String,
    status: StatusCode,
) -> PortalResult {
    let list = user_methods(state, si).await?;
    let has_recovery = list.iter().any(|m| m.kind == MethodKind::Recovery);
    let body = render(&RecoveryBody {
        csrf: &si.csrf,
        has_recovery,
        needs_proof: !list.is_empty() && !passkey_recent(state, headers).await?,
        error,
    });
    Ok(page_with_status(
        state,
        si,
        Section::MyApps,
        "Recovery codes",
        crumbs(Some("Recovery codes")),
        None,
        &body,
        status,
    ))
}

/// `GET /myapps/security-info/recovery`.
async fn recovery_form(
    State(state): State<AppState>,
    Member(si): Member,
    headers: HeaderMap,
) -> PortalResult {
    if let Some(r) = recent_or_verify(&state, &headers, "/myapps/security-info/recovery").await? {
        return Ok(r);
    }
    recovery_page(&state, &si, &headers, String::new(), StatusCode::OK).await
}

/// `POST /myapps/security-info/recovery`: a new set, shown once.
async fn recovery_generate(
    State(state): State<AppState>,
    Member(si): Member,
    headers: HeaderMap,
    ip: ClientIp,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    if let Some(r) = recent_or_verify(&state, &headers, "/myapps/security-info/recovery").await? {
        return Ok(r);
    }
    let corr = correlation(&headers);
    let r = methods::regenerate_recovery(
        state.store(),
        state.master(),
        &si.user,
        proof(&f, passkey_recent(&state, &headers).await?),
        attempt(&ip),
        by(&si, &corr),
        &crate::sessions::describe(&crate::web::http::user_agent(&headers)),
    )
    .await;
    match r {
        Ok(codes) => {
            let body = render(&CodesBody { codes });
            Ok(page(
                &state,
                &si,
                Section::MyApps,
                "Your recovery codes",
                crumbs(Some("Recovery codes")),
                None,
                &body,
            ))
        }
        Err(e) => {
            let error = shown(e)?;
            recovery_page(&state, &si, &headers, error, kit::UNPROCESSABLE).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// Renaming and removing

/// `POST /myapps/security-info/methods/{id}/rename`.
async fn rename(
    State(state): State<AppState>,
    Member(si): Member,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    let corr = correlation(&headers);
    match methods::rename(
        state.store(),
        &si.user,
        &id,
        f.field("name"),
        by(&si, &corr),
    )
    .await
    {
        Ok(m) => Ok(kit::redirect_ok(
            &state,
            HOME,
            &format!("Renamed to \"{}\".", m.name),
        )),
        Err(e) => {
            let text = shown(e)?;
            Ok(kit::redirect_error(&state, HOME, &text))
        }
    }
}

#[derive(Template)]
#[template(path = "portal/security/remove.html")]
struct RemoveBody<'a> {
    csrf: &'a str,
    id: &'a str,
    kind: &'static str,
    name: &'a str,
    last: bool,
    /// The last method, and a Conditional Access policy requires MFA of the user: the
    /// page states the consequence and asks for a confirmation.
    mfa_warning: bool,
    needs_proof: bool,
    error: String,
}

/// Whether removing one of `list` leaves none while a Conditional Access policy that is
/// On requires a second factor of the user.
async fn last_under_mfa(
    state: &AppState,
    si: &SignedIn,
    list: &[AuthMethod],
) -> PortalResult<bool> {
    if list.len() != 1 {
        return Ok(false);
    }
    crate::access::mfa_required_of(state.store(), &si.user.id)
        .await
        .map_err(|e| PortalError::with_code(AdminCode::Internal, &e))
}

async fn remove_page(
    state: &AppState,
    si: &SignedIn,
    headers: &HeaderMap,
    id: &str,
    error: String,
    status: StatusCode,
) -> PortalResult {
    let list = user_methods(state, si).await?;
    let Some(m) = list.iter().find(|m| m.id == id) else {
        let text = shown(MethodError::NotFound)?;
        return Ok(kit::redirect_error(state, HOME, &text));
    };
    let body = render(&RemoveBody {
        csrf: &si.csrf,
        id: &m.id,
        kind: m.kind.label(),
        name: &m.name,
        last: list.len() == 1,
        mfa_warning: last_under_mfa(state, si, &list).await?,
        needs_proof: !passkey_recent(state, headers).await?,
        error,
    });
    Ok(page_with_status(
        state,
        si,
        Section::MyApps,
        "Remove sign-in method",
        crumbs(Some("Remove")),
        None,
        &body,
        status,
    ))
}

/// `GET /myapps/security-info/methods/{id}/remove`: the confirmation, with the code field.
async fn remove_form(
    State(state): State<AppState>,
    Member(si): Member,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PortalResult {
    let back = format!("/myapps/security-info/methods/{id}/remove");
    if let Some(r) = recent_or_verify(&state, &headers, &back).await? {
        return Ok(r);
    }
    remove_page(&state, &si, &headers, &id, String::new(), StatusCode::OK).await
}

/// `POST /myapps/security-info/methods/{id}/remove`.
async fn remove(
    State(state): State<AppState>,
    Member(si): Member,
    headers: HeaderMap,
    ip: ClientIp,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    let back = format!("/myapps/security-info/methods/{id}/remove");
    if let Some(r) = recent_or_verify(&state, &headers, &back).await? {
        return Ok(r);
    }
    if !f.checked("confirm_last")
        && last_under_mfa(&state, &si, &user_methods(&state, &si).await?).await?
    {
        let error = "Confirm that you understand: without a method you will be asked to register one at your next sign-in that needs multifactor authentication.".to_owned();
        return remove_page(&state, &si, &headers, &id, error, kit::UNPROCESSABLE).await;
    }
    let corr = correlation(&headers);
    let r = methods::remove(
        state.store(),
        state.master(),
        &si.user,
        &id,
        proof(&f, passkey_recent(&state, &headers).await?),
        attempt(&ip),
        by(&si, &corr),
    )
    .await;
    match r {
        Ok(m) => Ok(kit::redirect_ok(
            &state,
            HOME,
            &format!("{} \"{}\" removed.", m.kind.label(), m.name),
        )),
        Err(e) => {
            let error = shown(e)?;
            remove_page(&state, &si, &headers, &id, error, kit::UNPROCESSABLE).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// Verify your identity

#[derive(Template)]
#[template(path = "portal/security/verify.html")]
struct VerifyBody<'a> {
    csrf: &'a str,
    upn: &'a str,
    next: &'a str,
    error: String,
}

#[derive(serde::Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Where **Verify your identity** may return: a page of Security info, else its home.
fn safe_return(next: &str) -> &str {
    let ok = next.starts_with("/myapps/security-info")
        && !next.starts_with(VERIFY)
        && crate::web::http::safe_next(next).is_some();
    if ok {
        next
    } else {
        HOME
    }
}

fn verify_page(state: &AppState, si: &SignedIn, next: &str, error: String) -> Response {
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        kit::UNPROCESSABLE
    };
    let body = render(&VerifyBody {
        csrf: &si.csrf,
        upn: &si.user.upn,
        next: safe_return(next),
        error,
    });
    page_with_status(
        state,
        si,
        Section::MyApps,
        "Verify your identity",
        crumbs(Some("Verify your identity")),
        None,
        &body,
        status,
    )
}

/// `GET /myapps/security-info/verify?next=…`: the password asked again.
async fn verify_form(
    State(state): State<AppState>,
    Member(si): Member,
    Query(q): Query<NextQuery>,
) -> PortalResult {
    Ok(verify_page(&state, &si, &q.next, String::new()))
}

/// `POST /myapps/security-info/verify`: the password, under the sign-in page's
/// throttle; right, the session counts as just signed in, and the browser goes back.
async fn verify(
    State(state): State<AppState>,
    Member(si): Member,
    headers: HeaderMap,
    ClientIp(ip, _): ClientIp,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    let next = safe_return(f.field("next")).to_owned();
    let now = crate::clock::now_unix();
    let place = Place {
        trusted_location: false,
        known_for: vec![si.user.id.clone()],
    };
    let r = authentication::password(
        state.store(),
        ip,
        &si.user.upn,
        f.raw("password").to_owned(),
        now,
        &place,
    )
    .await;
    match r {
        Ok(u) if u.id == si.user.id => {
            let Some(value) = cookie(&headers, session::COOKIE) else {
                return Ok(kit::see_other(HOME));
            };
            state
                .store()
                .session_reauthenticated(
                    &session::hash_cookie(value),
                    session::METHOD_PASSWORD,
                    now,
                )
                .await?;
            Ok(kit::see_other(&next))
        }
        Ok(_) => Ok(verify_page(
            &state,
            &si,
            &next,
            "The password is not correct.".into(),
        )),
        Err(authentication::Refused::Store(e)) => Err(e.into()),
        Err(e) => {
            let se = SsoError::from(&e);
            Ok(verify_page(
                &state,
                &si,
                &next,
                format!("{}: {}.", se.code.code(), capitalised(&se.detail)),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_your_identity_returns_to_security_info_only() {
        assert_eq!(
            safe_return("/myapps/security-info/add"),
            "/myapps/security-info/add"
        );
        assert_eq!(
            safe_return("/myapps/security-info/methods/x/remove"),
            "/myapps/security-info/methods/x/remove"
        );
        for bad in [
            "",
            "/admin",
            "https://evil.example/myapps/security-info",
            "//evil.example/myapps/security-info",
            "/myapps/security-info/verify?next=/admin",
            "/myapps/security-info\\@evil",
        ] {
            assert_eq!(safe_return(bad), HOME, "{bad}");
        }
    }

    #[test]
    fn refusals_show_their_code() {
        assert_eq!(
            shown(MethodError::Replayed).unwrap(),
            "SESAME900102: This code was already used; wait for the next code of your app."
        );
        assert!(shown(MethodError::Store(crate::store::StoreError::NotFound(
            "x".into()
        )))
        .is_err());
    }
}
