//! Security mails to a user, queued in the transaction of the change that causes them, to
//! the user's mail address (none without one): "A new sign-in method was added to your
//! account" when an authenticator app, a passkey or recovery codes are registered
//! ([`method_added`], written by the store function that records the method), and "Your
//! account was locked" when the password sign-in of their name or their second factor
//! locks after failures ([`notify_locked`]) — at most one of those an hour per user
//! ([`LOCK_NOTICE_GAP_SECS`], recorded in `users.lock_notice_at`), so a password spray
//! does not flood the mailbox. Each says what happened, when, from which address (and
//! browser) when known, and what to do if it was not the user; none holds a secret.

use super::message::{escape_html, link, Outgoing};
use super::outbox;
use crate::model::{OutboxMessage, User};
use crate::store::{Store, StoreError};

/// At most one "Your account was locked" mail per user in this many seconds.
pub const LOCK_NOTICE_GAP_SECS: i64 = 3600;

/// What locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    /// Password sign-in of the user's name (too many wrong passwords).
    Password,
    /// The second factor (too many wrong codes).
    SecondFactor,
}

/// Where a change came from, as far as Sesame knows.
#[derive(Debug, Clone, Default)]
pub struct From {
    /// The client address ('' when unknown).
    pub address: String,
    /// The browser in words or its User-Agent ('' when unknown).
    pub browser: String,
}

/// `t` (Unix seconds) as mails show it: `2026-12-05 12:00:00 UTC`.
fn when(t: i64) -> String {
    let s = sesame_saml::time::Timestamp(t.saturating_mul(1000)).to_xs_datetime();
    let s = s.split('.').next().unwrap_or(&s).trim_end_matches('Z');
    format!("{} UTC", s.replacen('T', " ", 1))
}

fn origin(from: &From) -> String {
    match (from.address.is_empty(), from.browser.is_empty()) {
        (false, false) => format!("{} ({})", from.address, from.browser),
        (false, true) => from.address.clone(),
        (true, false) => from.browser.clone(),
        (true, true) => "an unknown address".into(),
    }
}

struct Notice<'a> {
    subject: &'a str,
    /// One sentence, plain text, of what happened (values not escaped).
    what: String,
    at: i64,
    from: &'a From,
}

fn message(user: &User, organization: &str, public_url: &str, n: Notice<'_>) -> Outgoing {
    let security = link(public_url, "/myapps/security-info");
    let sessions = link(public_url, "/myapps/sessions");
    let at = when(n.at);
    let from = origin(n.from);
    Outgoing {
        to: user.mail.trim().to_owned(),
        to_name: user.display_name.clone(),
        subject: n.subject.to_owned(),
        text: format!(
            "{what}\n\nAccount: {upn} ({organization})\nWhen: {at}\nFrom: {from}\n\n\
             If this was not you, contact your administrator.\n\n\
             Security info: {security}\nMy sessions: {sessions}\n",
            what = n.what,
            upn = user.upn,
        ),
        html: format!(
            "<p>{what}</p>\n<table>\n<tr><td>Account</td><td><strong>{upn}</strong> ({org})</td></tr>\n\
             <tr><td>When</td><td>{at}</td></tr>\n<tr><td>From</td><td>{from}</td></tr>\n</table>\n\
             <p>If this was not you, contact your administrator.</p>\n\
             <p><a href=\"{security}\">Security info</a> · <a href=\"{sessions}\">My sessions</a></p>",
            what = escape_html(&n.what),
            upn = escape_html(&user.upn),
            org = escape_html(organization),
            at = escape_html(&at),
            from = escape_html(&from),
            security = escape_html(&security),
            sessions = escape_html(&sessions),
        ),
    }
}

/// The "A new sign-in method was added to your account" mail: `kind` is the method's
/// label ("Authenticator app"), `name` the name the user gave it.
pub fn method_added_message(
    user: &User,
    organization: &str,
    public_url: &str,
    kind: &str,
    name: &str,
    at: i64,
    from: &From,
) -> Outgoing {
    let what = if name.is_empty() || name == kind {
        format!("{kind} was added to your account as a sign-in method.")
    } else {
        format!("{kind} \"{name}\" was added to your account as a sign-in method.")
    };
    message(
        user,
        organization,
        public_url,
        Notice {
            subject: "A new sign-in method was added to your account",
            what,
            at,
            from,
        },
    )
}

/// The "Your account was locked" mail; `until` is when attempts are accepted again.
pub fn account_locked_message(
    user: &User,
    organization: &str,
    public_url: &str,
    what: Locked,
    at: i64,
    until: i64,
    from: &From,
) -> Outgoing {
    let what = match what {
        Locked::Password => format!(
            "Sign-in to your account with a password was locked after too many wrong \
             passwords. Password sign-in is refused until {}; it locks again if the wrong \
             passwords go on.",
            when(until)
        ),
        Locked::SecondFactor => format!(
            "The second sign-in step of your account was locked after too many wrong \
             codes. Codes are refused until {}.",
            when(until)
        ),
    };
    message(
        user,
        organization,
        public_url,
        Notice {
            subject: "Your account was locked",
            what,
            at,
            from,
        },
    )
}

/// The organisation's name and the public URL, for the links of a mail.
async fn context(store: &Store) -> Result<(String, String), StoreError> {
    let org = super::config::organization_name(store).await?;
    let public_url = store
        .tenant()
        .await?
        .map(|t| t.public_url)
        .unwrap_or_default();
    Ok((org, public_url))
}

/// The outbox row of the "new sign-in method" mail to `user`, for the store function
/// that records the method to write in its transaction; `None` when the user has no
/// mail address, or one the mail room refuses (logged: the registration goes on).
pub async fn method_added(
    store: &Store,
    user: &User,
    kind: &str,
    name: &str,
    at: i64,
    from: &From,
) -> Result<Option<OutboxMessage>, StoreError> {
    if user.mail.trim().is_empty() {
        return Ok(None);
    }
    let (org, public_url) = context(store).await?;
    let m = method_added_message(user, &org, &public_url, kind, name, at, from);
    match outbox::prepare("method-added", &m, at) {
        Ok(row) => Ok(Some(row)),
        Err(e) => {
            tracing::warn!("method added for {}: no notice queued: {e}", user.upn);
            Ok(None)
        }
    }
}

/// Queues "Your account was locked" to `user` at `now`, unless one was queued in the
/// last [`LOCK_NOTICE_GAP_SECS`] or the user has no mail address; the claim of the hour
/// and the message are written in one transaction. Returns whether a mail was queued.
pub async fn notify_locked(
    store: &Store,
    user: &User,
    what: Locked,
    now: i64,
    until: i64,
    from: &From,
) -> Result<bool, StoreError> {
    if user.mail.trim().is_empty() {
        return Ok(false);
    }
    let (org, public_url) = context(store).await?;
    let m = account_locked_message(user, &org, &public_url, what, now, until, from);
    let row = match outbox::prepare("account-locked", &m, now) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!("{} locked: no notice queued: {e}", user.upn);
            return Ok(false);
        }
    };
    let mut tx = store.pool().begin().await?;
    if !Store::lock_notice_claim(&mut tx, &user.id, now, LOCK_NOTICE_GAP_SECS).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    Store::outbox_insert(&mut tx, &row).await?;
    tx.commit().await?;
    outbox::counted();
    Ok(true)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;

    fn user() -> User {
        User {
            id: "u1".into(),
            upn: "r.moreno@contoso.com".into(),
            display_name: "R. <Moreno>".into(),
            given_name: String::new(),
            surname: String::new(),
            mail: "r.moreno@contoso.com".into(),
            department: String::new(),
            job_title: String::new(),
            employee_id: String::new(),
            company_name: String::new(),
            extension_attributes: Default::default(),
            enabled: true,
            sessions_valid_after: 0,
            password_change_required: false,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn notices_say_what_when_where_and_what_to_do() {
        let from = From {
            address: "192.0.2.7".into(),
            browser: "Firefox on Linux".into(),
        };
        let m = method_added_message(
            &user(),
            "Contoso",
            "https://sso.contoso.com/",
            "Authenticator app",
            "Phone <1>",
            1_800_000_000,
            &from,
        );
        assert_eq!(m.subject, "A new sign-in method was added to your account");
        assert!(
            m.text.contains("Authenticator app \"Phone <1>\" was added"),
            "{}",
            m.text
        );
        assert!(m.text.contains("2027-01-15 08:00:00 UTC"), "{}", m.text);
        assert!(m.text.contains("192.0.2.7 (Firefox on Linux)"));
        assert!(m
            .text
            .contains("If this was not you, contact your administrator."));
        assert!(m
            .text
            .contains("https://sso.contoso.com/myapps/security-info"));
        assert!(m.text.contains("https://sso.contoso.com/myapps/sessions"));
        assert!(m.html.contains("Phone &lt;1&gt;"), "{}", m.html);
        assert!(!m.html.contains("<1>"));
        assert!(super::super::message::validate(&m).is_ok());

        let m = account_locked_message(
            &user(),
            "Contoso",
            "https://sso.contoso.com",
            Locked::Password,
            1_800_000_000,
            1_800_000_060,
            &From::default(),
        );
        assert_eq!(m.subject, "Your account was locked");
        assert!(
            m.text.contains("refused until 2027-01-15 08:01:00 UTC"),
            "{}",
            m.text
        );
        assert!(m.text.contains("From: an unknown address"));
    }
}
