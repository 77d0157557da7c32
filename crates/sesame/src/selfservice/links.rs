//! One-time account links: what a password reset mail or an invitation carries.
//!
//! A link's token is `ID.SECRET`: the row's id (a UUID, to find the row) and 32 random
//! bytes from the OS generator, base64url. Only the secret's SHA-256 is stored, so a copy
//! of the database holds no usable link; the secret is compared in constant time. A link
//! is single-use (redeemed by a conditional UPDATE in the transaction that acts on it),
//! short-lived, and a newer link of the same purpose for the same user ends the older
//! ones.

use super::error::{SelfServiceCode, SelfServiceError};
use crate::ids::push_hex;
use crate::model::{AccountLink, LinkPurpose};
use crate::store::Store;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sqlx::{Any, Transaction};

/// How long a password reset link is valid, seconds (15 minutes).
pub const RESET_TTL_SECS: i64 = 15 * 60;
/// How long an invitation is valid, seconds (7 days).
pub const INVITE_TTL_SECS: i64 = 7 * 24 * 3600;
/// Expired links are kept this long (so a late click says "expired", not "invalid"),
/// then deleted, seconds (30 days).
pub const KEEP_EXPIRED_SECS: i64 = 30 * 24 * 3600;

/// The longest token accepted (a UUID, a dot, 43 base64url characters, with room).
const MAX_TOKEN: usize = 128;

fn secret_hash(secret: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes());
    let mut s = String::with_capacity(64);
    push_hex(&mut s, d.as_ref());
    s
}

/// Within `tx`: issues a link of `purpose` for `user_id`, valid `ttl_secs` from `now`
/// (`created_by`: the administrator's UPN, or empty). Returns the record and the token
/// to put in the link — the only time the secret exists outside the user's mail.
pub async fn issue_in(
    tx: &mut Transaction<'static, Any>,
    purpose: LinkPurpose,
    user_id: &str,
    ttl_secs: i64,
    now: i64,
    created_by: &str,
) -> Result<(AccountLink, String), SelfServiceError> {
    let mut b = [0u8; 32];
    aws_lc_rs::rand::fill(&mut b)
        .map_err(|_| SelfServiceError::Hash("the system random generator failed".into()))?;
    let secret = URL_SAFE_NO_PAD.encode(b);
    let link = AccountLink {
        id: uuid::Uuid::new_v4().to_string(),
        purpose,
        user_id: user_id.to_owned(),
        secret_hash: secret_hash(&secret),
        created_at: now,
        expires_at: now.saturating_add(ttl_secs),
        used_at: None,
        created_by: created_by.to_owned(),
    };
    Store::link_insert_in(tx, &link).await?;
    let token = format!("{}.{secret}", link.id);
    Ok((link, token))
}

/// The link `token` names, if it is a valid, unused, unexpired link of `purpose` at
/// `now`. Every refusal is a [`SelfServiceError::Link`] saying which: invalid (not of
/// this form, unknown id, wrong secret, another purpose), expired, or used.
pub async fn check(
    store: &Store,
    purpose: LinkPurpose,
    token: &str,
    now: i64,
) -> Result<AccountLink, SelfServiceError> {
    let invalid = || {
        SelfServiceError::link(
            SelfServiceCode::LinkInvalid,
            "This link is not valid: it was changed or cut short.",
        )
    };
    let token = token.trim();
    if token.len() > MAX_TOKEN {
        return Err(invalid());
    }
    let Some((id, secret)) = token.split_once('.') else {
        return Err(invalid());
    };
    if uuid::Uuid::parse_str(id).is_err() || secret.is_empty() {
        return Err(invalid());
    }
    let Some(link) = store.link_by_id(id).await? else {
        return Err(invalid());
    };
    let got = secret_hash(secret);
    if link.purpose != purpose
        || aws_lc_rs::constant_time::verify_slices_are_equal(
            got.as_bytes(),
            link.secret_hash.as_bytes(),
        )
        .is_err()
    {
        return Err(invalid());
    }
    if link.used_at.is_some() {
        return Err(SelfServiceError::link(
            SelfServiceCode::LinkUsed,
            "This link was used already, or a newer one was sent.",
        ));
    }
    if now >= link.expires_at {
        return Err(SelfServiceError::link(
            SelfServiceCode::LinkExpired,
            "This link has expired.",
        ));
    }
    Ok(link)
}

/// Within `tx`: redeems `link` at `now`; a [`SelfServiceCode::LinkUsed`] error when
/// another request redeemed it first (or it expired meanwhile), so the caller's
/// transaction is rolled back.
pub async fn redeem_in(
    tx: &mut Transaction<'static, Any>,
    link: &AccountLink,
    now: i64,
) -> Result<(), SelfServiceError> {
    if Store::link_redeem_in(tx, &link.id, now).await? {
        Ok(())
    } else {
        Err(SelfServiceError::link(
            SelfServiceCode::LinkUsed,
            "This link was used already, or a newer one was sent.",
        ))
    }
}

/// Deletes links expired longer than [`KEEP_EXPIRED_SECS`] before `now`.
pub async fn purge(store: &Store, now: i64) -> Result<u64, SelfServiceError> {
    Ok(store.links_purge(now - KEEP_EXPIRED_SECS).await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

    use super::*;
    use crate::model::NewUser;
    use crate::store::suite::test_store;

    const NOW: i64 = 1_800_000_000;

    fn code(e: SelfServiceError) -> SelfServiceCode {
        match e {
            SelfServiceError::Link { code, .. } => code,
            other => panic!("not a link error: {other}"),
        }
    }

    #[tokio::test]
    async fn a_link_works_once_until_it_expires_and_a_newer_one_ends_it() {
        let t = test_store().await;
        let s = t.store.clone();
        let u = s
            .create_user(
                &NewUser {
                    upn: "links@contoso.com".into(),
                    display_name: "L".into(),
                    ..NewUser::default()
                },
                NOW,
            )
            .await
            .unwrap();
        let issue = |ttl| {
            let s = s.clone();
            let id = u.id.clone();
            async move {
                let mut tx = s.begin_config_write().await.unwrap();
                let r = issue_in(&mut tx, LinkPurpose::Reset, &id, ttl, NOW, "")
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                r
            }
        };
        let (first, t1) = issue(RESET_TTL_SECS).await;
        assert_ne!(first.secret_hash, t1, "only the hash is stored");
        assert_eq!(
            check(&s, LinkPurpose::Reset, &t1, NOW).await.unwrap().id,
            first.id
        );

        // Another purpose, a cut or changed secret, a bad id: invalid.
        for bad in [
            t1[..t1.len() - 1].to_string(),
            format!("{}x", t1),
            t1.replace('.', ""),
            format!("{}.{}", uuid::Uuid::new_v4(), t1.split_once('.').unwrap().1),
            "x".repeat(500),
            String::new(),
        ] {
            let e = check(&s, LinkPurpose::Reset, &bad, NOW).await.unwrap_err();
            assert_eq!(code(e), SelfServiceCode::LinkInvalid, "{bad:?}");
        }
        let e = check(&s, LinkPurpose::Invite, &t1, NOW).await.unwrap_err();
        assert_eq!(code(e), SelfServiceCode::LinkInvalid);

        // Expired at its end.
        let e = check(&s, LinkPurpose::Reset, &t1, NOW + RESET_TTL_SECS)
            .await
            .unwrap_err();
        assert_eq!(code(e), SelfServiceCode::LinkExpired);

        // A newer link ends the first.
        let (second, t2) = issue(RESET_TTL_SECS).await;
        let e = check(&s, LinkPurpose::Reset, &t1, NOW).await.unwrap_err();
        assert_eq!(code(e), SelfServiceCode::LinkUsed);

        // Redeemed once: the second redemption loses.
        let l = check(&s, LinkPurpose::Reset, &t2, NOW).await.unwrap();
        assert_eq!(l.id, second.id);
        let mut tx = s.begin_config_write().await.unwrap();
        redeem_in(&mut tx, &l, NOW + 1).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = s.begin_config_write().await.unwrap();
        let e = redeem_in(&mut tx, &l, NOW + 2).await.unwrap_err();
        assert_eq!(code(e), SelfServiceCode::LinkUsed);
        drop(tx);
        let e = check(&s, LinkPurpose::Reset, &t2, NOW + 3)
            .await
            .unwrap_err();
        assert_eq!(code(e), SelfServiceCode::LinkUsed);

        // Purged long after expiry.
        assert_eq!(
            purge(&s, NOW + RESET_TTL_SECS + KEEP_EXPIRED_SECS + 1)
                .await
                .unwrap(),
            2
        );
    }
}
