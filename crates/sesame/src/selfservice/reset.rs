//! Self-service password reset ("Forgot my password"): who may reset (Settings →
//! Password reset: None, Selected groups — transitive membership — or All), the request
//! (throttled per user name and per client address, then a single-use link issued and
//! the "Reset your password" mail queued in one transaction, audited), the queue that
//! does that work off the request path so that the answer is the same, and as fast,
//! whatever the account, which second factor a reset must ask for (a reset is never
//! weaker than a sign-in: a code, a recovery code or a passkey, as the sign-in's second
//! step accepts), and the reset itself (through `password::set`: the link
//! redeemed, every session ended, the notice queued; audited).

use super::error::{SelfServiceCode, SelfServiceError};
use super::links::{self, RESET_TTL_SECS};
use super::password::{self as setpw, NewPassword};
use crate::admin::audit::{self, Change};
use crate::admin::Actor;
use crate::mail::message::{escape_html, link as mail_link};
use crate::mail::Outgoing;
use crate::methods::{self, MethodError};
use crate::model::{AccountLink, LinkPurpose, MethodKind, User};
use crate::store::{Store, StoreError};
use serde::Serialize;
use std::net::IpAddr;

/// Mails a user name may be sent before it is throttled (with [`USER_LEAK_SECS`]: 5
/// an hour).
pub const USER_LIMIT: i64 = 5;
/// One mail of a user name's allowance comes back every this many seconds (12 minutes).
pub const USER_LEAK_SECS: i64 = 3600 / USER_LIMIT;
/// Requests a client address may make before it is throttled (with
/// [`ADDRESS_LEAK_SECS`]: 20 in 15 minutes).
pub const ADDRESS_LIMIT: i64 = 20;
/// One request of an address's allowance comes back every this many seconds.
pub const ADDRESS_LEAK_SECS: i64 = 15 * 60 / ADDRESS_LIMIT;
/// Requests waiting for the queue's worker at most; past this a request is dropped
/// (with a log line) and the answer is the same.
pub const QUEUE_CAPACITY: usize = 1024;

/// The setting holding who may reset: `none`, `selected` or `all`.
const SCOPE_KEY: &str = "password_reset_scope";
/// The setting holding the ids of the selected groups, one per line.
const GROUPS_KEY: &str = "password_reset_groups";

// ---------------------------------------------------------------------------------------
// Settings → Password reset

/// Who may reset their own password (Azure AD's "Self service password reset enabled").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Nobody.
    None,
    /// The members of the selected groups (transitively).
    Selected,
    /// Every enabled user.
    All,
}

impl Scope {
    /// `none`, `selected`, `all`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::None => "none",
            Scope::Selected => "selected",
            Scope::All => "all",
        }
    }

    /// Parses `none`, `selected` or `all` (any case).
    pub fn parse(s: &str) -> Option<Scope> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Some(Scope::None),
            "selected" => Some(Scope::Selected),
            "all" => Some(Scope::All),
            _ => None,
        }
    }
}

/// A selected group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelectedGroup {
    /// Object id.
    pub id: String,
    /// Name (as it is now).
    pub name: String,
}

/// The Password reset setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResetSettings {
    /// Who may reset.
    pub scope: Scope,
    /// With [`Scope::Selected`]: the groups whose members may (groups deleted since are
    /// left out).
    pub groups: Vec<SelectedGroup>,
}

/// The Password reset setting in force: `All` when never set.
pub async fn settings(store: &Store) -> Result<ResetSettings, StoreError> {
    let scope = store
        .setting(SCOPE_KEY)
        .await?
        .and_then(|v| Scope::parse(&v))
        .unwrap_or(Scope::All);
    let mut groups = Vec::new();
    for id in store.setting(GROUPS_KEY).await?.unwrap_or_default().lines() {
        let id = id.trim();
        if id.is_empty() {
            continue;
        }
        if let Some(g) = store.group_by_id(id).await? {
            groups.push(SelectedGroup {
                id: g.id,
                name: g.name,
            });
        }
    }
    Ok(ResetSettings { scope, groups })
}

/// Validates and saves the Password reset setting from a form's or the API's values:
/// `scope` (`none`, `selected`, `all`) and the groups by name (or id); audited as
/// `settings.password_reset.update` by `actor`.
pub async fn save_settings(
    store: &Store,
    actor: &Actor,
    scope: &str,
    group_names: &[String],
    correlation_id: &str,
) -> Result<ResetSettings, SelfServiceError> {
    let invalid =
        |detail: String| SelfServiceError::link(SelfServiceCode::ResetSettingsInvalid, detail);
    let Some(scope) = Scope::parse(scope) else {
        return Err(invalid(format!(
            "Password reset: {:?} is not None, Selected or All",
            scope.chars().take(64).collect::<String>()
        )));
    };
    let mut ids: Vec<String> = Vec::new();
    for name in group_names
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
    {
        let found = match store.group_by_name(name).await? {
            Some(g) => Some(g),
            None => store.group_by_id(name).await?,
        };
        match found {
            Some(g) if !ids.contains(&g.id) => ids.push(g.id),
            Some(_) => {}
            None => {
                return Err(invalid(format!(
                    "Password reset: there is no group named {:?}",
                    name.chars().take(256).collect::<String>()
                )))
            }
        }
    }
    if scope == Scope::Selected && ids.is_empty() {
        return Err(invalid(
            "Password reset: Selected needs at least one group".into(),
        ));
    }
    let before = settings(store).await?;
    store.set_setting(SCOPE_KEY, scope.as_str()).await?;
    store.set_setting(GROUPS_KEY, &ids.join("\n")).await?;
    let after = settings(store).await?;
    audit::record(
        store,
        actor,
        Change::new(
            "settings.password_reset.update",
            "settings",
            "password_reset",
            "Password reset",
        )
        .before(&before)
        .after(&after),
        correlation_id,
    )
    .await?;
    Ok(after)
}

/// Whether `user` may reset their own password under `s`: enabled, and in scope.
pub async fn allowed(store: &Store, s: &ResetSettings, user: &User) -> Result<bool, StoreError> {
    if !user.enabled {
        return Ok(false);
    }
    Ok(match s.scope {
        Scope::None => false,
        Scope::All => true,
        Scope::Selected => store
            .user_groups_transitive(&user.id)
            .await?
            .iter()
            .any(|g| s.groups.iter().any(|sg| sg.id == g.id)),
    })
}

// ---------------------------------------------------------------------------------------
// The request

/// A "Forgot my password" request, as typed and from where.
#[derive(Debug, Clone)]
pub struct ResetRequest {
    /// The user name as typed.
    pub upn: String,
    /// The client address.
    pub ip: IpAddr,
    /// The public URL, for the link.
    pub public_url: String,
    /// The request's correlation id, for the audit log.
    pub correlation_id: String,
}

/// What became of a request (for the server log only: the user is told the same thing
/// whatever it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A link was issued and its mail queued.
    Sent,
    /// Too many requests from this address.
    AddressThrottled,
    /// Too many mails for this user name.
    UserThrottled,
    /// No such user.
    UnknownUser,
    /// The account is disabled.
    Disabled,
    /// The account has no mail address.
    NoMail,
    /// Settings → Password reset does not include the account.
    NotEnabled,
}

impl Outcome {
    /// Words for the server log.
    pub fn describe(self) -> &'static str {
        match self {
            Outcome::Sent => "link sent",
            Outcome::AddressThrottled => {
                "throttled: too many requests from this address, no mail sent"
            }
            Outcome::UserThrottled => "throttled: too many mails for this user name, no mail sent",
            Outcome::UnknownUser => "no such user, no mail sent",
            Outcome::Disabled => "account disabled, no mail sent",
            Outcome::NoMail => "account without a mail address, no mail sent",
            Outcome::NotEnabled => "password reset not enabled for the account, no mail sent",
        }
    }
}

fn user_key(upn: &str) -> String {
    format!("sspr:user:{}", upn.trim().to_lowercase())
}

fn address_key(ip: IpAddr) -> String {
    format!("sspr:ip:{}", crate::authentication::password::address(ip))
}

/// Handles `r` at `now`: the throttles (a request over either bound is counted nowhere
/// and sends nothing), the account and the setting, then the link issued and the mail
/// queued in one transaction, and `user.password.reset_requested` in the audit log (no
/// token in it).
pub async fn request(
    store: &Store,
    r: &ResetRequest,
    now: i64,
) -> Result<Outcome, SelfServiceError> {
    let ak = address_key(r.ip);
    let uk = user_key(&r.upn);
    if store
        .lockout_get(&ak)
        .await?
        .decayed(now, ADDRESS_LEAK_SECS)
        >= ADDRESS_LIMIT
    {
        return Ok(Outcome::AddressThrottled);
    }
    if store.lockout_get(&uk).await?.decayed(now, USER_LEAK_SECS) >= USER_LIMIT {
        return Ok(Outcome::UserThrottled);
    }
    store
        .lockout_record_decaying(&ak, now, ADDRESS_LEAK_SECS)
        .await?;
    store
        .lockout_record_decaying(&uk, now, USER_LEAK_SECS)
        .await?;
    let upn = r.upn.trim();
    if upn.is_empty() || upn.len() > 256 {
        return Ok(Outcome::UnknownUser);
    }
    let Some(user) = store.user_by_upn(upn).await? else {
        return Ok(Outcome::UnknownUser);
    };
    if !user.enabled {
        return Ok(Outcome::Disabled);
    }
    if user.mail.trim().is_empty() {
        return Ok(Outcome::NoMail);
    }
    let s = settings(store).await?;
    if !allowed(store, &s, &user).await? {
        return Ok(Outcome::NotEnabled);
    }
    let org = crate::mail::config::organization_name(store).await?;
    let mut tx = store.begin_config_write().await?;
    let (_, token) = links::issue_in(
        &mut tx,
        LinkPurpose::Reset,
        &user.id,
        RESET_TTL_SECS,
        now,
        "",
    )
    .await?;
    let m = reset_message(&user, &org, &r.public_url, &token);
    crate::mail::enqueue(&mut tx, "password-reset", &m, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    audit::record(
        store,
        &Actor::System,
        Change::new("user.password.reset_requested", "user", &user.id, &user.upn).after(
            &serde_json::json!({
                "client_address": r.ip.to_string(),
                "mail": user.mail,
            }),
        ),
        &r.correlation_id,
    )
    .await?;
    Ok(Outcome::Sent)
}

/// The link a reset mail carries.
pub fn confirm_url(public_url: &str, token: &str) -> String {
    format!(
        "{}?t={token}",
        mail_link(public_url, "/passwordreset/confirm")
    )
}

/// The "Reset your password" mail for `user`, carrying `token`.
pub fn reset_message(user: &User, organization: &str, public_url: &str, token: &str) -> Outgoing {
    let url = confirm_url(public_url, token);
    let minutes = RESET_TTL_SECS / 60;
    Outgoing {
        to: user.mail.clone(),
        to_name: user.display_name.clone(),
        subject: "Reset your password".to_owned(),
        text: format!(
            "A password reset was asked for your {organization} account {upn}.\n\n\
             To choose a new password, open this link (it expires in {minutes} minutes and \
             works once):\n\n{url}\n\n\
             If you did not ask, ignore this mail; your password is unchanged.\n",
            upn = user.upn,
        ),
        html: format!(
            "<p>A password reset was asked for your {org} account <strong>{upn}</strong>.</p>\n\
             <p><a href=\"{href}\">Reset your password</a></p>\n\
             <p>The link expires in {minutes} minutes and works once.</p>\n\
             <p>If you did not ask, ignore this mail; your password is unchanged.</p>",
            org = escape_html(organization),
            upn = escape_html(&user.upn),
            href = escape_html(&url),
        ),
    }
}

/// The queue of requests: the HTTP edge hands a request over and answers at once; one
/// worker task handles them in order, off the request path.
#[derive(Debug, Clone)]
pub struct Queue {
    tx: tokio::sync::mpsc::Sender<ResetRequest>,
}

impl Queue {
    /// Starts the worker (on the current Tokio runtime) over `store`.
    pub fn spawn(store: Store) -> Queue {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<ResetRequest>(QUEUE_CAPACITY);
        tokio::spawn(async move {
            while let Some(r) = rx.recv().await {
                let upn = r.upn.chars().take(256).collect::<String>();
                match request(&store, &r, crate::clock::now_unix()).await {
                    Ok(o) => tracing::info!(
                        "password reset requested for {upn:?} from {}: {}",
                        r.ip,
                        o.describe()
                    ),
                    Err(e) => tracing::warn!(
                        "password reset requested for {upn:?} from {}: not handled: {e}",
                        r.ip
                    ),
                }
            }
        });
        Queue { tx }
    }

    /// Hands `r` to the worker; `false` (logged) when the queue is full.
    pub fn submit(&self, r: ResetRequest) -> bool {
        match self.tx.try_send(r) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!("password reset request dropped: the queue is full or closed: {e}");
                false
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The reset

/// What a reset must ask for before the new password: what the sign-in's second step
/// accepts of the user's usable methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    /// The user has no method: the link is the proof.
    None,
    /// One of the user's methods: a code from the authenticator app (`totp`), a recovery
    /// code (`recovery`), a passkey (`passkey`).
    Required {
        /// The user has an authenticator app.
        totp: bool,
        /// The user has recovery codes.
        recovery: bool,
        /// The user has a passkey.
        passkey: bool,
    },
}

/// What a reset of `user_id` asks for.
pub async fn second_factor(store: &Store, user_id: &str) -> Result<SecondFactor, MethodError> {
    let list = methods::usable(store, user_id).await?;
    let has = |k: MethodKind| list.iter().any(|m| m.kind == k);
    let (totp, recovery, passkey) = (
        has(MethodKind::Totp),
        has(MethodKind::Recovery),
        has(MethodKind::Passkey),
    );
    Ok(if totp || recovery || passkey {
        SecondFactor::Required {
            totp,
            recovery,
            passkey,
        }
    } else {
        SecondFactor::None
    })
}

/// What binds a passkey ceremony of the second step to the reset `link` (so that an
/// answer made for a sign-in, or for another link, is refused).
pub fn passkey_binding(link: &AccountLink) -> String {
    format!("password-reset:{}", link.id)
}

/// The valid reset link `token` names at `now`, and its user, who must still be allowed
/// to reset ([`SelfServiceCode::ResetNotAllowed`] otherwise).
pub async fn open(
    store: &Store,
    token: &str,
    now: i64,
) -> Result<(AccountLink, User), SelfServiceError> {
    let link = links::check(store, LinkPurpose::Reset, token, now).await?;
    let not_allowed = || {
        SelfServiceError::link(
            SelfServiceCode::ResetNotAllowed,
            "This account cannot reset its password here.",
        )
    };
    let Some(user) = store.user_by_id(&link.user_id).await? else {
        return Err(not_allowed());
    };
    let s = settings(store).await?;
    if !allowed(store, &s, &user).await? {
        return Err(not_allowed());
    }
    Ok((link, user))
}

/// Sets `password` as `user`'s through `link` at `now`: the link redeemed, every session
/// of the user ended, "Your password was changed" queued, all in one transaction; then
/// `user.password.reset` in the audit log, by the user.
pub async fn complete(
    store: &Store,
    link: &AccountLink,
    user: &User,
    password: String,
    public_url: &str,
    correlation_id: &str,
    now: i64,
) -> Result<(), SelfServiceError> {
    setpw::set(
        store,
        NewPassword {
            user,
            password,
            keep_session: None,
            link: Some(link),
            notify: true,
            public_url,
        },
        now,
    )
    .await?;
    let actor = Actor::User {
        id: user.id.clone(),
        upn: user.upn.clone(),
    };
    if let Err(e) = audit::record(
        store,
        &actor,
        Change::new("user.password.reset", "user", &user.id, &user.upn),
        correlation_id,
    )
    .await
    {
        tracing::error!("audit log: cannot record user.password.reset: {e}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

    use super::*;
    use crate::model::NewUser;
    use crate::store::suite::test_store;

    const NOW: i64 = 1_800_000_000;

    fn req(upn: &str, ip: &str) -> ResetRequest {
        ResetRequest {
            upn: upn.into(),
            ip: ip.parse().unwrap(),
            public_url: "https://sso.contoso.com".into(),
            correlation_id: String::new(),
        }
    }

    async fn user(s: &Store, upn: &str, mail: &str) -> User {
        s.create_user(
            &NewUser {
                upn: upn.into(),
                display_name: "U".into(),
                mail: mail.into(),
                ..NewUser::default()
            },
            NOW,
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn requests_are_throttled_per_name_and_per_address_and_only_eligible_accounts_get_mail() {
        let t = test_store().await;
        let s = t.store.clone();
        let u = user(&s, "reset@contoso.com", "reset@contoso.com").await;
        let _ = user(&s, "nomail@contoso.com", "").await;

        for i in 0..USER_LIMIT {
            let o = request(&s, &req("Reset@contoso.com", "192.0.2.1"), NOW + i).await;
            assert_eq!(o.unwrap(), Outcome::Sent);
        }
        let o = request(&s, &req("reset@contoso.com", "192.0.2.2"), NOW + 10).await;
        assert_eq!(o.unwrap(), Outcome::UserThrottled);
        // One mail's allowance comes back after USER_LEAK_SECS.
        let o = request(
            &s,
            &req("reset@contoso.com", "192.0.2.2"),
            NOW + USER_LEAK_SECS + 5,
        )
        .await;
        assert_eq!(o.unwrap(), Outcome::Sent);

        assert_eq!(
            request(&s, &req("nobody@contoso.com", "192.0.2.3"), NOW)
                .await
                .unwrap(),
            Outcome::UnknownUser
        );
        assert_eq!(
            request(&s, &req("nomail@contoso.com", "192.0.2.3"), NOW)
                .await
                .unwrap(),
            Outcome::NoMail
        );
        // The address bound: 20 requests, whatever the names.
        for i in 0..(ADDRESS_LIMIT - 2) {
            let _ = request(&s, &req(&format!("x{i}@contoso.com"), "192.0.2.3"), NOW).await;
        }
        assert_eq!(
            request(&s, &req("nomail@contoso.com", "192.0.2.3"), NOW)
                .await
                .unwrap(),
            Outcome::AddressThrottled
        );

        // None: nobody; Selected: members of the groups only.
        let a = Actor::System;
        save_settings(&s, &a, "none", &[], "").await.unwrap();
        assert!(!allowed(&s, &settings(&s).await.unwrap(), &u).await.unwrap());
        let e = save_settings(&s, &a, "selected", &[], "")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("SESAME930013"), "{e}");
        let e = save_settings(&s, &a, "selected", &["Nope".into()], "")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("SESAME930013"), "{e}");
        let e = save_settings(&s, &a, "some", &[], "").await.unwrap_err();
        assert!(e.to_string().contains("SESAME930013"), "{e}");
        use crate::directory::{add_member, create_group, MemberRef};
        let outer = create_group(&s, "SSPR users", "").await.unwrap();
        let inner = create_group(&s, "Sales", "").await.unwrap();
        add_member(&s, &outer.id, &MemberRef::Group(inner.id.clone()))
            .await
            .unwrap();
        let st = save_settings(&s, &a, "Selected", &["sspr users".into()], "")
            .await
            .unwrap();
        assert_eq!(st.scope, Scope::Selected);
        assert_eq!(st.groups[0].name, "SSPR users");
        assert!(!allowed(&s, &st, &u).await.unwrap());
        add_member(&s, &inner.id, &MemberRef::User(u.id.clone()))
            .await
            .unwrap();
        assert!(allowed(&s, &st, &u).await.unwrap(), "transitive membership");
        save_settings(&s, &a, "all", &[], "").await.unwrap();
        assert!(allowed(&s, &settings(&s).await.unwrap(), &u).await.unwrap());
    }
}
