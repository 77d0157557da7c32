//! Invitations: an administrator invites a user to set their first password (Azure AD
//! B2B's invitation, Okta's "Send activation email"). This owns the rules of sending one
//! (a mail address, no password unless forced, sign-in allowed), the invitation mail,
//! the state the portal shows (sent, expired, accepted), and accepting it: the link
//! checked, the password set through [`super::password::set`] with the link redeemed in
//! the same transaction. The links themselves are [`super::links`]'s (a newer invitation
//! ends the older one); both sending and accepting are audited (`user.invitation.send`,
//! `user.invitation.accept`, never with the token).

use super::error::{SelfServiceCode, SelfServiceError};
use super::links::{self, INVITE_TTL_SECS};
use super::password::{self, NewPassword};
use crate::admin::audit::{self, Change};
use crate::admin::Actor;
use crate::mail::message::{escape_html, link as url_of, Outgoing};
use crate::model::{AccountLink, LinkPurpose, User};
use crate::store::Store;

/// The outbox kind of an invitation mail.
pub const MAIL_KIND: &str = "invitation";
/// The path of the invitation page; the link is `PUBLIC_URL/invitation?t=TOKEN`.
pub const PATH: &str = "/invitation";

/// How the link reaches the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Mailed to the user's mail address.
    Mail,
    /// Given to the administrator (`sesame user invite --print-link`), who hands it over.
    Print,
}

impl Delivery {
    fn as_str(self) -> &'static str {
        match self {
            Delivery::Mail => "mail",
            Delivery::Print => "printed",
        }
    }
}

/// An invitation to send.
pub struct Invite<'a> {
    /// Whom.
    pub user: &'a User,
    /// How the link reaches them.
    pub delivery: Delivery,
    /// Invite even though the user has a password (the link's holder may replace it).
    pub force: bool,
    /// The public URL the link is built on.
    pub public_url: &'a str,
    /// Who sends it, for the audit log.
    pub actor: &'a Actor,
    /// The request's correlation id ('' from the CLI).
    pub correlation_id: &'a str,
}

/// An invitation sent.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The link's record (its expiry).
    pub link: AccountLink,
    /// The link itself: only for [`Delivery::Print`] is it shown to anyone but the user.
    pub url: String,
    /// The address it was mailed to ([`Delivery::Mail`]).
    pub to: Option<String>,
    /// Whether the user had a password (a forced invitation).
    pub had_password: bool,
}

/// Where a user's invitation stands, for the user's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Never invited.
    None,
    /// Sent at, expires at (epoch seconds); not used yet.
    Sent { at: i64, expires: i64 },
    /// Sent at, expired at; not used.
    Expired { at: i64, expires: i64 },
    /// Accepted at.
    Accepted { at: i64 },
}

/// `s` (epoch seconds) as `2026-12-12 09:30 UTC`.
pub fn when(s: i64) -> String {
    let t = sesame_saml::time::Timestamp(s.saturating_mul(1000)).to_xs_datetime();
    // `2026-12-12T09:30:00.000Z` → `2026-12-12 09:30 UTC`
    let t = t.replacen('T', " ", 1);
    format!("{} UTC", t.get(..16).unwrap_or(&t))
}

/// The link of `token` under `public_url`.
pub fn link_url(public_url: &str, token: &str) -> String {
    url_of(public_url, &format!("{PATH}?t={token}"))
}

/// The invitation mail: subject "You are invited to <organisation>", the user name, the
/// link and its expiry, plain text and HTML, no remote content.
pub fn invitation_message(user: &User, organization: &str, url: &str, expires: &str) -> Outgoing {
    let name = if user.display_name.trim().is_empty() {
        user.upn.as_str()
    } else {
        user.display_name.as_str()
    };
    Outgoing {
        to: user.mail.trim().to_owned(),
        to_name: user.display_name.trim().to_owned(),
        subject: format!("You are invited to {organization}"),
        text: format!(
            "Hello {name},\n\n\
             You are invited to {organization}. Your user name is {upn}.\n\n\
             Choose your password here to start:\n{url}\n\n\
             The link works once and expires on {expires}. If it has expired, ask your \
             administrator to resend the invitation.\n\n\
             If you did not expect this invitation, ignore this mail.\n",
            upn = user.upn,
        ),
        html: format!(
            "<p>Hello {name},</p>\n\
             <p>You are invited to {org}. Your user name is <strong>{upn}</strong>.</p>\n\
             <p><a href=\"{href}\">Choose your password</a></p>\n\
             <p>Or open this address: {href}</p>\n\
             <p>The link works once and expires on {expires}. If it has expired, ask your \
             administrator to resend the invitation.</p>\n\
             <p>If you did not expect this invitation, ignore this mail.</p>",
            name = escape_html(name),
            org = escape_html(organization),
            upn = escape_html(&user.upn),
            href = escape_html(url),
            expires = escape_html(expires),
        ),
    }
}

/// Sends the invitation `inv` at `now` (epoch seconds): a new link (ending the user's
/// earlier invitation) and, for [`Delivery::Mail`], the mail queued in the same
/// transaction; then the audit row `user.invitation.send`. Refused with a code when the
/// user's sign-in is blocked (`SESAME930032`), by mail, has no mail address
/// (`SESAME930030`), or has a password and `force` is not set (`SESAME930031`).
pub async fn send(store: &Store, inv: Invite<'_>, now: i64) -> Result<Sent, SelfServiceError> {
    let u = inv.user;
    if !u.enabled {
        return Err(SelfServiceError::refused(
            SelfServiceCode::InviteSignInBlocked,
            format!("The sign-in of {} is blocked.", u.upn),
        ));
    }
    let mail = u.mail.trim();
    if inv.delivery == Delivery::Mail && mail.is_empty() {
        return Err(SelfServiceError::refused(
            SelfServiceCode::InviteNoMail,
            format!("{} has no mail address to send the invitation to.", u.upn),
        ));
    }
    let had_password = store.password_hash(&u.id).await?.is_some();
    if had_password && !inv.force {
        return Err(SelfServiceError::refused(
            SelfServiceCode::InviteHasPassword,
            format!("{} already has a password.", u.upn),
        ));
    }
    let org = crate::mail::config::organization_name(store).await?;
    let created_by = inv.actor.name().to_owned();
    let mut tx = store.begin_config_write().await?;
    let (link, token) = links::issue_in(
        &mut tx,
        LinkPurpose::Invite,
        &u.id,
        INVITE_TTL_SECS,
        now,
        &created_by,
    )
    .await?;
    let url = link_url(inv.public_url, &token);
    let to = if inv.delivery == Delivery::Mail {
        let m = invitation_message(u, &org, &url, &when(link.expires_at));
        crate::mail::enqueue(&mut tx, MAIL_KIND, &m, now).await?;
        Some(mail.to_owned())
    } else {
        None
    };
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    let change =
        Change::new("user.invitation.send", "user", &u.id, &u.upn).after(&serde_json::json!({
            "upn": u.upn,
            "delivery": inv.delivery.as_str(),
            "sent_to": to,
            "expires_at": link.expires_at,
            "forced": had_password,
        }));
    audit::record(store, inv.actor, change, inv.correlation_id).await?;
    Ok(Sent {
        link,
        url,
        to,
        had_password,
    })
}

/// Where the invitation of `user_id` stands at `now`.
pub async fn state(store: &Store, user_id: &str, now: i64) -> Result<State, SelfServiceError> {
    let Some(l) = store.link_latest(user_id, LinkPurpose::Invite).await? else {
        return Ok(State::None);
    };
    Ok(match l.used_at {
        // The newest link is never superseded: used means accepted.
        Some(at) => State::Accepted { at },
        None if now >= l.expires_at => State::Expired {
            at: l.created_at,
            expires: l.expires_at,
        },
        None => State::Sent {
            at: l.created_at,
            expires: l.expires_at,
        },
    })
}

/// The invitation `token` names at `now`, and its user: a link error (invalid, expired,
/// used) when it cannot be used, `SESAME930032` when the user's sign-in is blocked.
pub async fn check(
    store: &Store,
    token: &str,
    now: i64,
) -> Result<(AccountLink, User), SelfServiceError> {
    let link = links::check(store, LinkPurpose::Invite, token, now).await?;
    let Some(user) = store.user_by_id(&link.user_id).await? else {
        return Err(SelfServiceError::link(
            SelfServiceCode::LinkInvalid,
            "This invitation names an account that no longer exists.",
        ));
    };
    if !user.enabled {
        return Err(SelfServiceError::refused(
            SelfServiceCode::InviteSignInBlocked,
            "The sign-in of this account is blocked.",
        ));
    }
    Ok((link, user))
}

/// Accepts the invitation `token` at `now` with the user's new `password`: checked
/// ([`check`]), the password policy applied (a refusal is a
/// [`SelfServiceError::Directory`] naming the rule), the password set and the link
/// redeemed in one transaction (a second use loses: `SESAME930003`), every earlier
/// session of the user ended; audited as `user.invitation.accept` by the user.
/// Returns the user, to sign in.
pub async fn accept(
    store: &Store,
    token: &str,
    new_password: String,
    public_url: &str,
    correlation_id: &str,
    now: i64,
) -> Result<User, SelfServiceError> {
    let (link, user) = check(store, token, now).await?;
    password::set(
        store,
        NewPassword {
            user: &user,
            password: new_password,
            keep_session: None,
            link: Some(&link),
            // The first password: nothing to warn of.
            notify: false,
            public_url,
        },
        now,
    )
    .await?;
    let actor = Actor::User {
        id: user.id.clone(),
        upn: user.upn.clone(),
    };
    let change = Change::new("user.invitation.accept", "user", &user.id, &user.upn).after(
        &serde_json::json!({"upn": user.upn, "invited_by": link.created_by, "sent_at": link.created_at}),
    );
    audit::record(store, &actor, change, correlation_id).await?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

    use super::*;
    use crate::directory::password::hash_password;
    use crate::model::NewUser;
    use crate::store::suite::test_store;

    const NOW: i64 = 1_800_000_000;
    const PW: &str = "river lamp orange violin";

    fn code(e: SelfServiceError) -> SelfServiceCode {
        e.code().unwrap_or_else(|| panic!("no code: {e}"))
    }

    async fn user(s: &Store, upn: &str, mail: &str, pw: Option<&str>) -> User {
        s.create_user(
            &NewUser {
                upn: upn.into(),
                display_name: "Invited <One>".into(),
                mail: mail.into(),
                password_hash: pw.map(|p| hash_password(p).unwrap()),
                ..NewUser::default()
            },
            NOW,
        )
        .await
        .unwrap()
    }

    fn invite<'a>(u: &'a User, actor: &'a Actor, delivery: Delivery, force: bool) -> Invite<'a> {
        Invite {
            user: u,
            delivery,
            force,
            public_url: "https://sso.contoso.com/",
            actor,
            correlation_id: "",
        }
    }

    fn token_of(url: &str) -> &str {
        url.split_once("?t=").unwrap().1
    }

    #[tokio::test]
    async fn an_invitation_is_sent_once_per_rule_and_accepted_once_until_it_expires() {
        let t = test_store().await;
        let s = t.store.clone();
        let actor = Actor::Cli {
            os_user: "ops".into(),
        };
        let u = user(&s, "k.invite@contoso.com", "k.invite@contoso.com", None).await;
        assert_eq!(state(&s, &u.id, NOW).await.unwrap(), State::None);

        // By mail: the mail queued with the link; audited without the token.
        let first = send(&s, invite(&u, &actor, Delivery::Mail, false), NOW)
            .await
            .unwrap();
        assert!(first
            .url
            .starts_with("https://sso.contoso.com/invitation?t="));
        assert_eq!(first.to.as_deref(), Some("k.invite@contoso.com"));
        assert_eq!(first.link.expires_at, NOW + INVITE_TTL_SECS);
        assert_eq!(
            state(&s, &u.id, NOW + 1).await.unwrap(),
            State::Sent {
                at: NOW,
                expires: NOW + INVITE_TTL_SECS
            }
        );
        let outbox = s.outbox_list(10).await.unwrap();
        assert_eq!(outbox.len(), 1);
        assert_eq!(outbox[0].subject, "You are invited to Sesame");
        assert!(outbox[0].body_text.contains(&first.url));
        assert!(outbox[0].body_html.contains("Invited &lt;One&gt;"));
        let rows = crate::admin::audit::list(&s, &crate::store::AuditFilter::default())
            .await
            .unwrap();
        let row = rows
            .iter()
            .find(|r| r.action == "user.invitation.send")
            .unwrap();
        assert!(!row.after_json.contains(token_of(&first.url)));

        // Expired at its end (the clock passed in), and the state says so.
        let late = NOW + INVITE_TTL_SECS;
        let e = accept(&s, token_of(&first.url), PW.into(), "", "", late)
            .await
            .unwrap_err();
        assert_eq!(code(e), SelfServiceCode::LinkExpired);
        assert!(matches!(
            state(&s, &u.id, late).await.unwrap(),
            State::Expired { .. }
        ));

        // Resending ends the earlier link.
        let second = send(&s, invite(&u, &actor, Delivery::Print, false), NOW + 10)
            .await
            .unwrap();
        assert!(second.to.is_none());
        let e = check(&s, token_of(&first.url), NOW + 11).await.unwrap_err();
        assert_eq!(code(e), SelfServiceCode::LinkUsed);

        // The policy applies; a refusal leaves the link usable.
        let e = accept(&s, token_of(&second.url), "short".into(), "", "", NOW + 12)
            .await
            .unwrap_err();
        assert!(matches!(e, SelfServiceError::Directory(_)), "{e}");
        let got = accept(&s, token_of(&second.url), PW.into(), "", "c1", NOW + 13)
            .await
            .unwrap();
        assert_eq!(got.id, u.id);
        assert!(s.password_hash(&u.id).await.unwrap().is_some());
        assert_eq!(
            state(&s, &u.id, NOW + 14).await.unwrap(),
            State::Accepted { at: NOW + 13 }
        );
        // Once only.
        let e = accept(&s, token_of(&second.url), PW.into(), "", "", NOW + 15)
            .await
            .unwrap_err();
        assert_eq!(code(e), SelfServiceCode::LinkUsed);
        let e = check(&s, &token_of(&second.url)[..20], NOW + 15)
            .await
            .unwrap_err();
        assert_eq!(code(e), SelfServiceCode::LinkInvalid);

        // Now it has a password: refused unless forced.
        let e = send(&s, invite(&u, &actor, Delivery::Mail, false), NOW + 20)
            .await
            .unwrap_err();
        assert_eq!(code(e), SelfServiceCode::InviteHasPassword);
        let forced = send(&s, invite(&u, &actor, Delivery::Mail, true), NOW + 21)
            .await
            .unwrap();
        assert!(forced.had_password);
    }

    #[tokio::test]
    async fn no_mail_address_and_blocked_sign_in_are_refused_with_their_codes() {
        let t = test_store().await;
        let s = t.store.clone();
        let actor = Actor::System;
        let u = user(&s, "no.mail@contoso.com", "", None).await;
        let e = send(&s, invite(&u, &actor, Delivery::Mail, false), NOW)
            .await
            .unwrap_err();
        assert_eq!(code(e), SelfServiceCode::InviteNoMail);
        // Printed, the link needs no address.
        let sent = send(&s, invite(&u, &actor, Delivery::Print, false), NOW)
            .await
            .unwrap();
        let mut blocked = u.clone();
        blocked.enabled = false;
        s.update_user(&blocked).await.unwrap();
        let e = send(&s, invite(&blocked, &actor, Delivery::Print, false), NOW)
            .await
            .unwrap_err();
        assert_eq!(code(e), SelfServiceCode::InviteSignInBlocked);
        let e = check(&s, token_of(&sent.url), NOW + 1).await.unwrap_err();
        assert_eq!(code(e), SelfServiceCode::InviteSignInBlocked);
    }

    #[test]
    fn dates_read_as_minutes_in_utc() {
        assert_eq!(when(1_800_000_000), "2027-01-15 08:00 UTC");
    }
}
