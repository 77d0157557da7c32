//! Settings → Email (Global Administrators): the outbound-email settings in force (the
//! SMTP server with its password never shown, or the mail folder), the organisation's
//! name every message is signed with, **Send test email**, and the **Email log** (queued,
//! sent and failed messages with the server's reply; the `.eml` files in folder mode).
//! Sending and the log go through `mail`; each change is audited.

use crate::admin::audit::Change;
use crate::admin::errors::AdminCode;
use crate::admin::Permission;
use crate::mail::{self, MailError};
use crate::model::{OutboxMessage, OutboxStatus};
use crate::web::auth::SignedIn;
use crate::web::portal::access::{check_csrf, require, Admin};
use crate::web::portal::error::PortalResult;
use crate::web::portal::kit::{self, Fields};
use crate::web::portal::layout::{page_with_status, render, Crumb, Flash, Section};
use crate::web::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Form, Router};

const PATH: &str = "/admin/settings/email";
/// How many messages the Email log shows.
const LOG_ROWS: i64 = 100;
/// How many `.eml` files of the mail folder it lists.
const FOLDER_FILES: usize = 20;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(show))
        .route("/admin/settings/email/test", post(send_test))
        .route(
            "/admin/settings/email/organization",
            post(save_organization),
        )
}

/// One row of the Email log.
struct LogRow {
    created: String,
    kind: String,
    to: String,
    subject: String,
    status: String,
    attempts: i64,
    reply: String,
}

#[derive(Template)]
#[template(path = "portal/logs/email.html")]
struct EmailBody<'a> {
    csrf: &'a str,
    smtp: bool,
    server: String,
    tls: String,
    auth: String,
    from: String,
    folder: String,
    files: Vec<String>,
    org: String,
    org_error: String,
    to: String,
    to_error: String,
    rows: Vec<LogRow>,
}

fn crumbs() -> Vec<Crumb> {
    vec![
        Crumb::new("/admin", "Overview"),
        Crumb::new("/admin/settings", "Settings"),
        Crumb::new("", "Email"),
    ]
}

fn row(m: &OutboxMessage) -> LogRow {
    let status = match m.status {
        OutboxStatus::Sent => format!("Sent {}", m.sent_at.map(kit::time_s).unwrap_or_default()),
        OutboxStatus::Queued if m.attempts > 0 => {
            format!("Queued: retry at {}", kit::time_s(m.next_attempt_at))
        }
        OutboxStatus::Queued => "Queued".to_owned(),
        OutboxStatus::Sending => "Sending".to_owned(),
        OutboxStatus::Failed => "Failed".to_owned(),
    };
    LogRow {
        created: kit::time_s(m.created_at),
        kind: m.kind.clone(),
        to: m.to_addr.clone(),
        subject: m.subject.clone(),
        status,
        attempts: m.attempts,
        reply: if m.status == OutboxStatus::Sent {
            String::new()
        } else {
            m.last_error.clone().unwrap_or_default()
        },
    }
}

/// The newest `.eml` files of the mail folder, newest first.
fn folder_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".eml"))
                .collect()
        })
        .unwrap_or_default();
    // Named `<queued at>-<id>.eml`: the name orders them.
    names.sort_unstable_by(|a, b| b.cmp(a));
    names.truncate(FOLDER_FILES);
    names
}

/// The page, with the forms' values and errors.
async fn page(
    state: &AppState,
    si: &SignedIn,
    flash: Option<Flash>,
    to: String,
    to_error: String,
    org_form: Option<(String, String)>,
    status: StatusCode,
) -> PortalResult {
    let cfg = state.mail();
    let smtp = cfg.and_then(|c| c.smtp.as_ref());
    let (org, org_error) = match org_form {
        Some(f) => f,
        None => (
            mail::config::organization_name(state.store()).await?,
            String::new(),
        ),
    };
    let rows = state
        .store()
        .outbox_list(LOG_ROWS)
        .await?
        .iter()
        .map(row)
        .collect();
    let body = render(&EmailBody {
        csrf: &si.csrf,
        smtp: smtp.is_some(),
        server: smtp
            .map(|s| format!("{}:{}", s.host, s.port))
            .unwrap_or_default(),
        tls: smtp
            .map(|s| s.tls.describe().to_owned())
            .unwrap_or_default(),
        auth: match smtp.and_then(|s| s.user.as_deref()) {
            Some(u) if smtp.is_some_and(|s| s.password.is_some()) => {
                format!("{u} (password set, not shown)")
            }
            Some(u) => u.to_owned(),
            None => "none".to_owned(),
        },
        from: cfg.map(|c| c.from.clone()).unwrap_or_default(),
        folder: cfg
            .map(|c| c.folder.display().to_string())
            .unwrap_or_default(),
        files: match cfg {
            Some(c) if c.smtp.is_none() => folder_files(&c.folder),
            _ => Vec::new(),
        },
        org,
        org_error,
        to,
        to_error,
        rows,
    });
    Ok(page_with_status(
        state,
        si,
        Section::Settings,
        "Email",
        crumbs(),
        flash,
        &body,
        status,
    ))
}

/// The signed-in administrator's own address: the default recipient of the test.
fn own_address(si: &SignedIn) -> String {
    if si.user.mail.trim().is_empty() {
        si.user.upn.clone()
    } else {
        si.user.mail.clone()
    }
}

async fn show(
    State(state): State<AppState>,
    Admin(si): Admin,
    kit::Flashed(flash): kit::Flashed,
) -> PortalResult {
    require(&si, Permission::ManageRoles)?;
    let to = own_address(&si);
    page(&state, &si, flash, to, String::new(), None, StatusCode::OK).await
}

async fn send_test(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    require(&si, Permission::ManageRoles)?;
    let to = f.raw("to").trim().to_owned();
    let org = mail::config::organization_name(state.store()).await?;
    let public = state
        .cache()
        .get()
        .tenant
        .as_ref()
        .map(|t| t.public_url.clone())
        .unwrap_or_default();
    let m = mail::message::test_message(&to, &org, &public);
    match mail::outbox::queue(state.store(), "test", &m, crate::clock::now_unix()).await {
        Ok(id) => {
            kit::record(
                &state,
                &si,
                &headers,
                Change::new("mail.test", "mail", id, to.clone()),
            )
            .await;
            Ok(kit::redirect_ok(
                &state,
                PATH,
                &format!("Test email to {to} queued: the Email log below shows when it is sent, or the server's reply."),
            ))
        }
        Err(e @ MailError::Invalid { .. }) => {
            page(
                &state,
                &si,
                Flash::error(format!(
                    "{}: the test email was not sent. Correct the field marked below.",
                    AdminCode::Invalid.code()
                )),
                to,
                e.to_string(),
                None,
                kit::UNPROCESSABLE,
            )
            .await
        }
        Err(MailError::Store(e)) => Err(e.into()),
        Err(e @ MailError::Config(_)) => Ok(kit::redirect_error(&state, PATH, &e.to_string())),
    }
}

async fn save_organization(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    require(&si, Permission::ManageRoles)?;
    let raw = f.raw("organization_name").to_owned();
    let before = mail::config::organization_name(state.store()).await?;
    match mail::config::set_organization_name(state.store(), &raw).await {
        Ok(after) => {
            if after != before {
                kit::record(
                    &state,
                    &si,
                    &headers,
                    Change::new(
                        "settings.update",
                        "settings",
                        mail::config::ORGANIZATION_NAME_KEY,
                        "Organisation name",
                    )
                    .before(&before)
                    .after(&after),
                )
                .await;
            }
            Ok(kit::redirect_ok(
                &state,
                PATH,
                &format!("Saved: email is signed \"{after}\"."),
            ))
        }
        Err(e @ MailError::Invalid { .. }) => {
            let to = own_address(&si);
            page(
                &state,
                &si,
                Flash::error(format!(
                    "{}: the organisation's name was not saved. Correct the field marked below.",
                    AdminCode::Invalid.code()
                )),
                to,
                String::new(),
                Some((raw, e.to_string())),
                kit::UNPROCESSABLE,
            )
            .await
        }
        Err(MailError::Store(e)) => Err(e.into()),
        Err(e @ MailError::Config(_)) => Ok(kit::redirect_error(&state, PATH, &e.to_string())),
    }
}
