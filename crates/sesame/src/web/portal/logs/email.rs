//! Settings → Email (Global Administrators): the outbound-email settings in force (the
//! SMTP server with its password never shown, or the mail folder), the SMTP server set
//! here when `SESAME_SMTP_URL` names none (its password sealed by the master key), the
//! organisation's
//! name every message is signed with, **Send test email**, and the **Email log** (queued,
//! sent and failed messages with the server's reply; the `.eml` files in folder mode).
//! Sending and the log go through `mail`; each change is audited.

use crate::admin::audit::Change;
use crate::admin::errors::AdminCode;
use crate::admin::Permission;
use crate::mail::{self, MailError};
use crate::model::{OutboxMessage, OutboxStatus};
use crate::notifications::mail_alert;
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
        .route("/admin/settings/email/smtp", post(save_smtp))
        .route("/admin/settings/email/alerts", post(save_alerts))
}

/// The SMTP form's values.
#[derive(Debug, Clone, Default)]
struct SmtpForm {
    host: String,
    port: String,
    security: String,
    user: String,
    from: String,
    /// A password is stored (the field is left empty to keep it).
    has_password: bool,
    /// A server is stored (Remove is offered).
    stored: bool,
}

impl SmtpForm {
    fn of(st: Option<&mail::config::StoredSmtp>) -> SmtpForm {
        let Some(st) = st else {
            return SmtpForm {
                port: "587".into(),
                security: "required".into(),
                ..SmtpForm::default()
            };
        };
        match mail::SmtpSettings::parse(&st.url) {
            Ok(s) => SmtpForm {
                host: s.host.clone(),
                port: s.port.to_string(),
                security: match s.tls {
                    mail::TlsMode::Implicit => "implicit",
                    mail::TlsMode::StartTlsRequired => "required",
                    mail::TlsMode::StartTlsOpportunistic => "opportunistic",
                    mail::TlsMode::Plain => "off",
                }
                .into(),
                user: s.user.clone().unwrap_or_default(),
                from: st.from.clone(),
                has_password: s.password.is_some(),
                stored: true,
            },
            Err(_) => SmtpForm {
                stored: true,
                ..SmtpForm::default()
            },
        }
    }
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
    by_flags: bool,
    form: SmtpForm,
    smtp_error: String,
    server: String,
    tls: String,
    auth: String,
    from: String,
    folder: String,
    files: Vec<String>,
    org: String,
    org_error: String,
    alerts: String,
    alerts_error: String,
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

/// The forms as shown again: their values and errors (`None`: as stored).
struct Shown {
    /// The test message's recipient and its error.
    to: (String, String),
    /// The organisation's name and its error.
    org: Option<(String, String)>,
    /// The SMTP form and its error.
    smtp: Option<(SmtpForm, String)>,
    /// The Admin alert addresses and their error.
    alerts: Option<(String, String)>,
}

/// The page, with the forms' values and errors.
async fn page(
    state: &AppState,
    si: &SignedIn,
    flash: Option<Flash>,
    shown: Shown,
    status: StatusCode,
) -> PortalResult {
    let Shown {
        to: (to, to_error),
        org: org_form,
        smtp: smtp_form,
        alerts: alerts_form,
    } = shown;
    let (alerts, alerts_error) = match alerts_form {
        Some(f) => f,
        None => (
            mail_alert::addresses(state.store()).await?.join("\n"),
            String::new(),
        ),
    };
    let flash = kit::flash_or_mail_banner(state, flash).await;
    let base = state.mail();
    let by_flags = base.is_some_and(|c| c.set_by_flags);
    let (stored, stored_error) =
        match mail::config::stored_smtp(state.store(), state.master()).await {
            Ok(s) => (s, String::new()),
            Err(MailError::Store(e)) => return Err(e.into()),
            Err(e) => (None, e.to_string()),
        };
    let effective = base.and_then(|b| b.with_stored(stored.as_ref()).ok());
    let cfg = effective.as_ref();
    let smtp = cfg.and_then(|c| c.smtp.as_ref());
    let (form, smtp_error) =
        smtp_form.unwrap_or_else(|| (SmtpForm::of(stored.as_ref()), stored_error));
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
        by_flags,
        form,
        smtp_error,
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
        alerts,
        alerts_error,
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
    page(
        &state,
        &si,
        flash,
        Shown {
            to: (to, String::new()),
            org: None,
            smtp: None,
            alerts: None,
        },
        StatusCode::OK,
    )
    .await
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
                Shown {
                    to: (to, e.to_string()),
                    org: None,
                    smtp: None,
                    alerts: None,
                },
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
                Shown {
                    to: (to, String::new()),
                    org: Some((raw, e.to_string())),
                    smtp: None,
                    alerts: None,
                },
                kit::UNPROCESSABLE,
            )
            .await
        }
        Err(MailError::Store(e)) => Err(e.into()),
        Err(e @ MailError::Config(_)) => Ok(kit::redirect_error(&state, PATH, &e.to_string())),
    }
}

/// Admin alert addresses: parsed and validated like Notification Email Addresses,
/// audited as a settings change.
async fn save_alerts(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    require(&si, Permission::ManageRoles)?;
    let raw = f.raw("admin_alert_addresses").to_owned();
    let before = mail_alert::addresses(state.store()).await?;
    match mail_alert::set_addresses(state.store(), &raw).await {
        Ok(after) => {
            if after != before {
                kit::record(
                    &state,
                    &si,
                    &headers,
                    Change::new(
                        "settings.update",
                        "settings",
                        mail_alert::ADDRESSES_KEY,
                        "Admin alert addresses",
                    )
                    .before(&before)
                    .after(&after),
                )
                .await;
            }
            Ok(kit::redirect_ok(
                &state,
                PATH,
                &if after.is_empty() {
                    "Saved: no admin alert addresses; alerts are not sent.".to_owned()
                } else {
                    format!("Saved: admin alerts go to {}.", after.join(", "))
                },
            ))
        }
        Err(e @ mail_alert::AlertError::Invalid(_)) => {
            let to = own_address(&si);
            page(
                &state,
                &si,
                Flash::error(format!(
                    "{}: the admin alert addresses were not saved. Correct the field marked below.",
                    AdminCode::Invalid.code()
                )),
                Shown {
                    to: (to, String::new()),
                    org: None,
                    smtp: None,
                    alerts: Some((raw, e.to_string())),
                },
                kit::UNPROCESSABLE,
            )
            .await
        }
        Err(mail_alert::AlertError::Store(e)) => Err(e.into()),
    }
}

/// `value` percent-encoded for the user or password of a URL.
fn userinfo(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn save_smtp(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    require(&si, Permission::ManageRoles)?;
    if state.mail().is_some_and(|c| c.set_by_flags) {
        return Ok(kit::redirect_error(
            &state,
            PATH,
            "SESAME_SMTP_URL (or --smtp-url) sets the SMTP server of this server: change it there.",
        ));
    }
    let master = state.master();
    let before = mail::config::stored_smtp(state.store(), master)
        .await
        .ok()
        .flatten();
    let redacted = |s: Option<&mail::config::StoredSmtp>| {
        s.map(|s| format!("{} from {}", crate::store::redact_url(&s.url), s.from))
            .unwrap_or_else(|| "none (mail folder)".into())
    };
    let after = if f.raw("action") == "remove" {
        None
    } else {
        let form = SmtpForm {
            host: f.raw("host").trim().to_owned(),
            port: f.raw("port").trim().to_owned(),
            security: f.raw("security").to_owned(),
            user: f.raw("user").trim().to_owned(),
            from: f.raw("from").trim().to_owned(),
            has_password: before.is_some(),
            stored: before.is_some(),
        };
        let mut password = f.raw("password").to_owned();
        if password.is_empty() {
            // Empty: keep the stored password (of the same user).
            if let Some(old) = before
                .as_ref()
                .and_then(|b| mail::SmtpSettings::parse(&b.url).ok())
            {
                if old.user.as_deref() == Some(form.user.as_str()) {
                    password = old.password.unwrap_or_default();
                }
            }
        }
        let (scheme, query) = match form.security.as_str() {
            "implicit" => ("smtps", ""),
            "required" => ("smtp", "?starttls=required"),
            "opportunistic" => ("smtp", "?starttls=opportunistic"),
            _ => ("smtp", "?starttls=off"),
        };
        let auth = match (form.user.is_empty(), password.is_empty()) {
            (true, _) => String::new(),
            (false, true) => format!("{}@", userinfo(&form.user)),
            (false, false) => format!("{}:{}@", userinfo(&form.user), userinfo(&password)),
        };
        let host = if form.host.contains(':') {
            format!("[{}]", form.host)
        } else {
            form.host.clone()
        };
        let problem = if form.host.is_empty()
            || form
                .host
                .chars()
                .any(|c| c.is_whitespace() || "/@?#".contains(c))
        {
            Some("SMTP server: enter a host name such as smtp.contoso.com.".to_owned())
        } else if form.port.parse::<u16>().map_or(true, |p| p == 0) {
            Some(format!("Port: {:?} is not a port; enter 1 to 65535 (465 for implicit TLS, 587 for STARTTLS).", form.port))
        } else if form.from.is_empty() {
            Some("From: enter the sender, such as sesame@contoso.com.".to_owned())
        } else {
            None
        };
        let stored = mail::config::StoredSmtp {
            url: format!("{scheme}://{auth}{host}:{}{query}", form.port),
            from: form.from.clone(),
        };
        let checked = match problem {
            Some(p) => Err(p),
            None => mail::config::StoredSmtp::check(&stored).map_err(|e| e.to_string()),
        };
        if let Err(error) = checked {
            let to = own_address(&si);
            return page(
                &state,
                &si,
                Flash::error(format!(
                    "{}: the SMTP server was not saved. Correct the field marked below.",
                    AdminCode::Invalid.code()
                )),
                Shown {
                    to: (to, String::new()),
                    org: None,
                    smtp: Some((form, error)),
                    alerts: None,
                },
                kit::UNPROCESSABLE,
            )
            .await;
        }
        Some(stored)
    };
    match mail::config::set_stored_smtp(state.store(), master, after.as_ref()).await {
        Ok(()) => {
            kit::record(
                &state,
                &si,
                &headers,
                Change::new(
                    "settings.update",
                    "settings",
                    mail::config::SMTP_SETTING_KEY,
                    "SMTP server",
                )
                .before(&redacted(before.as_ref()))
                .after(&redacted(after.as_ref())),
            )
            .await;
            let text = match &after {
                Some(s) => format!(
                    "SMTP server saved: email goes through {}; the password is stored encrypted. Send a test email to check it.",
                    crate::store::redact_url(&s.url)
                ),
                None => "SMTP server removed: email is written to the mail folder.".to_owned(),
            };
            Ok(kit::redirect_ok(&state, PATH, &text))
        }
        Err(MailError::Store(e)) => Err(e.into()),
        Err(e) => Ok(kit::redirect_error(&state, PATH, &e.to_string())),
    }
}
