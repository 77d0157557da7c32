//! Users: validation and the domain operations over the store.

use super::{password, DirectoryError, NewUser, User};
use crate::clock::{now_unix, now_unix_ms};
use crate::store::{Store, StoreError};
use std::collections::BTreeMap;

/// Longest value of a text attribute.
const MAX_FIELD: usize = 256;

fn invalid(field: &'static str, reason: impl Into<String>) -> DirectoryError {
    DirectoryError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// Checks a userPrincipalName: `name@domain`, at most 113 characters (as Azure AD), the
/// name of letters, digits and `. _ - ' +`, the domain a DNS name.
pub fn validate_upn(upn: &str) -> Result<(), DirectoryError> {
    const F: &str = "user principal name";
    let hint = "use the form name@domain, e.g. b.simon@contoso.com";
    if upn.is_empty() {
        return Err(invalid(F, format!("is empty; {hint}")));
    }
    if upn.chars().count() > 113 {
        return Err(invalid(F, format!("{upn:?} is longer than 113 characters")));
    }
    let Some((name, domain)) = upn.split_once('@') else {
        return Err(invalid(F, format!("{upn:?} has no '@'; {hint}")));
    };
    if name.is_empty() || name.len() > 64 {
        return Err(invalid(
            F,
            format!("{upn:?}: the part before '@' must have 1 to 64 characters"),
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '\'' | '+')))
    {
        return Err(invalid(
            F,
            format!("{upn:?}: {c:?} is not allowed before '@' (letters, digits and . _ - ' + are)"),
        ));
    }
    if name.starts_with('.') || name.ends_with('.') || name.contains("..") {
        return Err(invalid(
            F,
            format!("{upn:?}: the name cannot start or end with '.' or contain '..'"),
        ));
    }
    if domain.is_empty()
        || domain.split('.').any(|l| {
            l.is_empty()
                || l.len() > 63
                || l.starts_with('-')
                || l.ends_with('-')
                || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    {
        return Err(invalid(
            F,
            format!("{upn:?}: {domain:?} is not a domain name (letters, digits, '-' and dots, e.g. contoso.com)"),
        ));
    }
    Ok(())
}

fn validate_text(field: &'static str, v: &str) -> Result<(), DirectoryError> {
    if v.chars().count() > MAX_FIELD {
        return Err(invalid(
            field,
            format!("is longer than {MAX_FIELD} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(invalid(field, "contains control characters"));
    }
    Ok(())
}

fn validate_mail(mail: &str) -> Result<(), DirectoryError> {
    validate_text("mail", mail)?;
    if mail.is_empty() {
        return Ok(());
    }
    match mail.split_once('@') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() && !b.contains('@') => {}
        _ => {
            return Err(invalid(
                "mail",
                format!("{mail:?} is not a mail address (name@domain)"),
            ))
        }
    }
    if mail.chars().any(char::is_whitespace) {
        return Err(invalid("mail", format!("{mail:?} contains spaces")));
    }
    Ok(())
}

fn validate_extensions(ext: &BTreeMap<String, String>) -> Result<(), DirectoryError> {
    for (k, v) in ext {
        let ok = k
            .strip_prefix("extensionattribute")
            .and_then(|n| n.parse::<u8>().ok())
            .is_some_and(|n| (1..=15).contains(&n));
        if !ok {
            return Err(invalid(
                "extension attribute",
                format!("{k:?} is not one of extensionattribute1 … extensionattribute15"),
            ));
        }
        validate_text("extension attribute", v)?;
    }
    Ok(())
}

fn validate_profile(u: &User) -> Result<(), DirectoryError> {
    validate_upn(&u.upn)?;
    validate_text("display name", &u.display_name)?;
    validate_text("given name", &u.given_name)?;
    validate_text("surname", &u.surname)?;
    validate_mail(&u.mail)?;
    validate_text("department", &u.department)?;
    validate_text("job title", &u.job_title)?;
    validate_text("employee id", &u.employee_id)?;
    validate_text("company name", &u.company_name)?;
    validate_extensions(&u.extension_attributes)
}

fn upn_taken(upn: &str) -> DirectoryError {
    DirectoryError::Conflict(format!(
        "user principal name {upn} is already used by another user (names are compared case-insensitively)"
    ))
}

fn map_conflict(e: StoreError, upn: &str) -> DirectoryError {
    match e {
        StoreError::Conflict(_) => upn_taken(upn),
        other => other.into(),
    }
}

/// Creates a user after validating every field. A taken UPN (case-insensitively) is a
/// [`DirectoryError::Conflict`].
pub async fn create_user(store: &Store, mut new: NewUser) -> Result<User, DirectoryError> {
    new.upn = new.upn.trim().to_owned();
    let now = now_unix();
    // Validate through the same function as updates.
    let probe = User {
        id: String::new(),
        upn: new.upn.clone(),
        display_name: new.display_name.clone(),
        given_name: new.given_name.clone(),
        surname: new.surname.clone(),
        mail: new.mail.clone(),
        department: new.department.clone(),
        job_title: new.job_title.clone(),
        employee_id: new.employee_id.clone(),
        company_name: new.company_name.clone(),
        extension_attributes: new.extension_attributes.clone(),
        enabled: !new.disabled,
        sessions_valid_after: 0,
        password_change_required: false,
        created_at: now,
        updated_at: now,
    };
    validate_profile(&probe)?;
    if store.user_by_upn(&new.upn).await?.is_some() {
        return Err(upn_taken(&new.upn));
    }
    store
        .create_user(&new, now)
        .await
        .map_err(|e| map_conflict(e, &new.upn))
}

/// The user with this UPN, or a NotFound error saying how to find the right one.
pub async fn user_by_upn_required(store: &Store, upn: &str) -> Result<User, DirectoryError> {
    store.user_by_upn(upn).await?.ok_or_else(|| {
        DirectoryError::NotFound(format!(
            "no user has the user principal name {upn}; `sesame user list` shows them"
        ))
    })
}

async fn user_by_id_required(store: &Store, id: &str) -> Result<User, DirectoryError> {
    store
        .user_by_id(id)
        .await?
        .ok_or_else(|| DirectoryError::NotFound(format!("no user has the object id {id}")))
}

/// Changes to a user's profile; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    /// New userPrincipalName (a rename: the object id, memberships and assignments stay).
    pub upn: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Surname.
    pub surname: Option<String>,
    /// Mail.
    pub mail: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// Employee id.
    pub employee_id: Option<String>,
    /// Company name.
    pub company_name: Option<String>,
    /// extensionattributeN values to set (an empty value removes it).
    pub extension_attributes: BTreeMap<String, String>,
    /// Account enabled.
    pub enabled: Option<bool>,
}

/// Applies `upd` to the user `user_id`. Disabling a user ends their sessions (deleted,
/// and any created before now refused).
pub async fn update_user(
    store: &Store,
    user_id: &str,
    upd: UserUpdate,
) -> Result<User, DirectoryError> {
    let mut u = user_by_id_required(store, user_id).await?;
    let now_ms = now_unix_ms();
    let now = now_ms.div_euclid(1000);
    let set = |slot: &mut String, v: Option<String>| {
        if let Some(v) = v {
            *slot = v;
        }
    };
    if let Some(upn) = upd.upn {
        let upn = upn.trim().to_owned();
        if let Some(other) = store.user_by_upn(&upn).await? {
            if other.id != u.id {
                return Err(upn_taken(&upn));
            }
        }
        u.upn = upn;
    }
    set(&mut u.display_name, upd.display_name);
    set(&mut u.given_name, upd.given_name);
    set(&mut u.surname, upd.surname);
    set(&mut u.mail, upd.mail);
    set(&mut u.department, upd.department);
    set(&mut u.job_title, upd.job_title);
    set(&mut u.employee_id, upd.employee_id);
    set(&mut u.company_name, upd.company_name);
    for (k, v) in upd.extension_attributes {
        if v.is_empty() {
            u.extension_attributes.remove(&k);
        } else {
            u.extension_attributes.insert(k, v);
        }
    }
    let mut disabled = false;
    if let Some(enabled) = upd.enabled {
        if u.enabled && !enabled {
            u.sessions_valid_after = now;
            disabled = true;
        }
        u.enabled = enabled;
    }
    validate_profile(&u)?;
    u.updated_at = now;
    let upn = u.upn.clone();
    store
        .update_user(&u)
        .await
        .map_err(|e| map_conflict(e, &upn))?;
    if disabled {
        store.user_sessions_end(&u.id, now_ms).await?;
    }
    Ok(u)
}

/// Enables or disables a user (disabling ends their sessions).
pub async fn set_enabled(
    store: &Store,
    user_id: &str,
    enabled: bool,
) -> Result<User, DirectoryError> {
    update_user(
        store,
        user_id,
        UserUpdate {
            enabled: Some(enabled),
            ..UserUpdate::default()
        },
    )
    .await
}

/// Checks the password policy (`policy`), hashes (blocking, ~20 ms: runs on the blocking pool) and stores a
/// new password; the user's existing sessions end.
pub async fn set_password(store: &Store, user_id: &str, pw: &str) -> Result<(), DirectoryError> {
    let Some(u) = store.user_by_id(user_id).await? else {
        return Err(DirectoryError::NotFound(format!(
            "no user has the object id {user_id}"
        )));
    };
    super::policy::check_new_password(store, &u.upn, pw).await?;
    let pw = pw.to_owned();
    let hash = tokio::task::spawn_blocking(move || password::hash_password(&pw))
        .await
        .map_err(|e| {
            DirectoryError::Password(password::PasswordError::Hash(format!(
                "hashing task failed: {e}"
            )))
        })??;
    store.set_password(user_id, &hash, now_unix_ms()).await?;
    Ok(())
}

/// Deletes a user with memberships, assignments and sessions.
pub async fn delete_user(store: &Store, user_id: &str) -> Result<(), DirectoryError> {
    if store.delete_user(user_id).await? {
        Ok(())
    } else {
        Err(DirectoryError::NotFound(format!(
            "no user has the object id {user_id}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upn_rules() {
        assert!(validate_upn("B.Simon@contoso.com").is_ok());
        assert!(validate_upn("admin@sesame.local").is_ok());
        assert!(validate_upn("o'brien+x@a-b.example").is_ok());
        for bad in [
            "",
            "nodomain",
            "@contoso.com",
            "a@",
            "a@b@c",
            "a b@c.com",
            ".a@c.com",
            "a@-c.com",
            "a@c..com",
        ] {
            let e = validate_upn(bad).unwrap_err().to_string();
            assert!(e.starts_with("user principal name"), "{bad}: {e}");
        }
    }

    #[test]
    fn extension_names() {
        let mut m = BTreeMap::new();
        m.insert("extensionattribute15".to_owned(), "x".to_owned());
        assert!(validate_extensions(&m).is_ok());
        m.insert("extensionattribute16".to_owned(), "x".to_owned());
        assert!(validate_extensions(&m).is_err());
    }

    /// The store's user search over users created through the directory.
    #[tokio::test]
    async fn users_search_filters_and_pages() {
        let t = crate::store::suite::test_store().await;
        let s = &t.store;
        for (upn, name, disabled) in [
            ("a_b@contoso.com", "Alpha", false),
            ("b.simon@contoso.com", "B. Simon", false),
            ("carol@fabrikam.com", "Carol", true),
        ] {
            create_user(
                s,
                NewUser {
                    upn: upn.into(),
                    display_name: name.into(),
                    disabled,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
        let (all, n) = s
            .users_search(&crate::store::UserSearch::default())
            .await
            .unwrap();
        assert_eq!((all.len(), n), (3, 3));
        let f = crate::store::UserSearch {
            text: Some("SIMON".into()),
            ..crate::store::UserSearch::default()
        };
        assert_eq!(s.users_search(&f).await.unwrap().1, 1);
        let f = crate::store::UserSearch {
            text: Some("a_".into()),
            ..crate::store::UserSearch::default()
        };
        assert_eq!(s.users_search(&f).await.unwrap().1, 1, "'_' is no wildcard");
        let f = crate::store::UserSearch {
            enabled: Some(false),
            ..crate::store::UserSearch::default()
        };
        let (u, n) = s.users_search(&f).await.unwrap();
        assert_eq!((u[0].upn.as_str(), n), ("carol@fabrikam.com", 1));
        let f = crate::store::UserSearch {
            enabled: Some(true),
            limit: 1,
            offset: 1,
            ..crate::store::UserSearch::default()
        };
        let (u, n) = s.users_search(&f).await.unwrap();
        assert_eq!((u.len(), n), (1, 2));
        assert_eq!(u[0].upn, "b.simon@contoso.com");
    }
}
