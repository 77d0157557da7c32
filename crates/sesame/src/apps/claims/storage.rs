//! Claims operations over the store: listing, setting and removing claims, the NameID
//! and the group claims of an application, each validated before it is written.

use crate::apps::{App, AppError};
use crate::model::claims::*;
use crate::store::{Store, StoreError};
use std::fmt;

pub(super) fn invalid(field: &'static str, reason: impl Into<String>) -> AppError {
    AppError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// A namespace as stored: trimmed, without trailing `/` (the separator is added when the
/// name is sent).
pub(super) fn normalize_namespace(ns: &str) -> String {
    ns.trim().trim_end_matches('/').to_owned()
}

pub(super) fn validate_claim(c: &mut Claim) -> Result<(), AppError> {
    c.name = c.name.trim().to_owned();
    c.namespace = normalize_namespace(&c.namespace);
    if c.name.is_empty() {
        return Err(invalid("claim name", "is empty"));
    }
    for (field, v) in [("claim name", &c.name), ("claim namespace", &c.namespace)] {
        if v.chars().count() > MAX_NAME_LEN {
            return Err(invalid(
                field,
                format!("is longer than {MAX_NAME_LEN} characters"),
            ));
        }
        if v.chars().any(|ch| ch.is_control() || ch.is_whitespace()) {
            return Err(invalid(
                field,
                format!("{v:?} contains spaces or control characters"),
            ));
        }
    }
    if !c.namespace.is_empty() {
        let scheme_ok = c.namespace.split_once(':').is_some_and(|(s, _)| {
            s.chars().next().is_some_and(|ch| ch.is_ascii_alphabetic())
                && s.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "+-.".contains(ch))
        });
        if !scheme_ok {
            return Err(invalid(
                "claim namespace",
                format!(
                    "{:?} is not a URI (e.g. {DEFAULT_NAMESPACE}); leave it empty for a bare name",
                    c.namespace
                ),
            ));
        }
    }
    Ok(())
}

pub(super) async fn require_app(store: &Store, app_id: &str) -> Result<App, AppError> {
    store
        .app_by_id(app_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no application has the id {app_id}")))
}

pub(super) fn corrupt(app_id: &str, what: &str, e: impl fmt::Display) -> AppError {
    AppError::Store(StoreError::Corrupt(format!(
        "application {app_id}: {what}: {e}"
    )))
}

/// The claims of an application, in order.
pub async fn list_claims(store: &Store, app_id: &str) -> Result<Vec<Claim>, AppError> {
    store
        .app_claim_rows(app_id)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Claim {
                source: parse_expression(&r.source)
                    .map_err(|e| corrupt(app_id, "app_claims.source", e))?,
                name_format: r
                    .name_format
                    .parse()
                    .map_err(|e| corrupt(app_id, "app_claims.name_format", e))?,
                name: r.name,
                namespace: r.namespace,
            })
        })
        .collect()
}

/// Adds a claim, or replaces the one with the same name and namespace (keeping its
/// place): what `sesame app claims APP set` and the REST API's `PUT` do. Refused when
/// another claim or the group claim sends the same attribute name, or past
/// [`MAX_CLAIMS`].
pub async fn set_claim(store: &Store, app_id: &str, claim: Claim) -> Result<Claim, AppError> {
    write_claim(store, app_id, claim, Write::Set).await
}

/// Adds a new claim ("Add new claim"): refused when a claim or the group claim already
/// sends its attribute name (`namespace/name`), or past [`MAX_CLAIMS`].
pub async fn add_claim(store: &Store, app_id: &str, claim: Claim) -> Result<Claim, AppError> {
    write_claim(store, app_id, claim, Write::Add).await
}

/// Changes the claim that had the name `orig_name` and namespace `orig_namespace`
/// ("Manage claim"), renaming it when the name or namespace changed: refused when
/// another claim or the group claim already sends the new attribute name.
pub async fn edit_claim(
    store: &Store,
    app_id: &str,
    orig_name: &str,
    orig_namespace: &str,
    claim: Claim,
) -> Result<Claim, AppError> {
    let orig = (
        orig_name.trim().to_owned(),
        normalize_namespace(orig_namespace),
    );
    write_claim(store, app_id, claim, Write::Edit(orig)).await
}

/// Which row a write may replace.
enum Write {
    /// The row with the claim's own name and namespace, if any.
    Set,
    /// None: the claim is new.
    Add,
    /// The row with this name and namespace (the claim before an edit).
    Edit((String, String)),
}

async fn write_claim(
    store: &Store,
    app_id: &str,
    claim: Claim,
    how: Write,
) -> Result<Claim, AppError> {
    let mut claim = claim;
    validate_claim(&mut claim)?;
    require_app(store, app_id).await?;
    let existing = list_claims(store, app_id).await?;
    let full = claim.full_name();
    let replaced = |c: &Claim| match &how {
        Write::Set => c.name == claim.name && c.namespace == claim.namespace,
        Write::Add => false,
        Write::Edit((n, ns)) => &c.name == n && &c.namespace == ns,
    };
    if let Write::Edit((n, ns)) = &how {
        if !existing.iter().any(|c| &c.name == n && &c.namespace == ns) {
            return Err(AppError::NotFound(format!(
                "application {app_id} has no claim {}; it may have been deleted meanwhile",
                full_name(ns, n)
            )));
        }
    }
    if let Some(other) = existing
        .iter()
        .find(|c| c.full_name() == full && !replaced(c))
    {
        return Err(AppError::Conflict(format!(
            "claim {full}: the claim {} ← {} already sends this attribute name (name {:?}, namespace {:?}); edit or delete that claim first, or choose another name",
            other.full_name(),
            other.source,
            other.name,
            other.namespace
        )));
    }
    if let Some(g) = group_claims(store, app_id).await? {
        if g.claim_name == full {
            return Err(AppError::Conflict(format!(
                "claim {full}: the group claim (Group Claims) already sends this attribute name; change the group claim's name or turn it off first, or choose another name"
            )));
        }
    }
    let replaces = existing.iter().any(replaced);
    if !replaces && existing.len() >= MAX_CLAIMS {
        return Err(AppError::Conflict(format!(
            "application {app_id} already has {MAX_CLAIMS} claims, the most allowed"
        )));
    }
    store
        .upsert_app_claim(
            app_id,
            &crate::store::ClaimRow {
                name: claim.name.clone(),
                namespace: claim.namespace.clone(),
                name_format: claim.name_format.as_str().to_owned(),
                source_kind: claim.source.kind().to_owned(),
                source: claim.source.to_string(),
            },
        )
        .await?;
    if let Write::Edit((n, ns)) = &how {
        if *n != claim.name || *ns != claim.namespace {
            store.delete_app_claim(app_id, n, ns).await?;
        }
    }
    Ok(claim)
}

/// Removes the claim with this name and namespace.
pub async fn remove_claim(
    store: &Store,
    app_id: &str,
    name: &str,
    namespace: &str,
) -> Result<(), AppError> {
    require_app(store, app_id).await?;
    let (name, ns) = (name.trim(), namespace.trim());
    let normalized = normalize_namespace(ns);
    if store.delete_app_claim(app_id, name, ns).await?
        || (normalized != ns && store.delete_app_claim(app_id, name, &normalized).await?)
    {
        Ok(())
    } else {
        Err(AppError::NotFound(format!(
            "application {app_id} has no claim {}; `sesame app claims {app_id} list` shows them",
            full_name(ns, name)
        )))
    }
}

pub(super) fn nameid_of(app: &App) -> Result<NameIdConfig, AppError> {
    Ok(NameIdConfig {
        source: parse_expression(&app.saml.nameid_source)
            .map_err(|e| corrupt(&app.id, "apps.nameid_source", e))?,
        format: NameIdFormat::parse(&app.saml.nameid_format)
            .map_err(|e| corrupt(&app.id, "apps.nameid_format", e))?,
    })
}

/// Sets the NameID (Unique User Identifier).
pub async fn set_nameid(store: &Store, app_id: &str, cfg: NameIdConfig) -> Result<(), AppError> {
    if cfg.source.uses_multi_valued() {
        return Err(invalid(
            "NameID source",
            "user.groups, user.assignedroles and user.authenticationmethods have several \
             values; a NameID needs one",
        ));
    }
    if !store
        .set_app_nameid(app_id, &cfg.source.to_string(), cfg.format.stored())
        .await?
    {
        return Err(AppError::NotFound(format!(
            "no application has the id {app_id}"
        )));
    }
    Ok(())
}

/// The NameID of an application.
pub async fn nameid(store: &Store, app_id: &str) -> Result<NameIdConfig, AppError> {
    nameid_of(&require_app(store, app_id).await?)
}

/// Turns group claims on (`Some`) or off (`None`).
pub async fn set_group_claims(
    store: &Store,
    app_id: &str,
    cfg: Option<GroupClaims>,
) -> Result<(), AppError> {
    require_app(store, app_id).await?;
    let cfg = match cfg {
        Some(mut g) => {
            g.claim_name = g.claim_name.trim().to_owned();
            if g.claim_name.is_empty() {
                g.claim_name = GROUPS_CLAIM.to_owned();
            }
            if g.claim_name.chars().count() > MAX_NAME_LEN
                || g.claim_name
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace())
            {
                return Err(invalid(
                    "group claim name",
                    format!(
                        "must be at most {MAX_NAME_LEN} characters without spaces or control characters"
                    ),
                ));
            }
            if let Some(c) = list_claims(store, app_id)
                .await?
                .iter()
                .find(|c| c.has_full_name(&g.claim_name))
            {
                return Err(AppError::Conflict(format!(
                    "group claim {}: the claim {} ← {} in Attributes & Claims already sends this attribute name; edit or delete that claim first, or choose another claim name",
                    g.claim_name,
                    c.full_name(),
                    c.source
                )));
            }
            Some(g)
        }
        None => None,
    };
    store
        .set_app_group_claims(
            app_id,
            cfg.as_ref()
                .map(|g| (g.scope.as_str(), g.emit.as_str(), g.claim_name.as_str())),
        )
        .await?;
    Ok(())
}

/// The group claims of an application (`None`: off).
pub async fn group_claims(store: &Store, app_id: &str) -> Result<Option<GroupClaims>, AppError> {
    let Some((scope, emit, claim_name)) = store.app_group_claims(app_id).await? else {
        return Ok(None);
    };
    let scope = match scope.as_str() {
        "all" => GroupScope::All,
        "assigned" => GroupScope::AssignedToApp,
        other => return Err(corrupt(app_id, "app_group_claims.scope", other)),
    };
    let emit = match emit.as_str() {
        "id" => GroupEmit::ObjectId,
        "name" => GroupEmit::Name,
        other => return Err(corrupt(app_id, "app_group_claims.emit", other)),
    };
    Ok(Some(GroupClaims {
        scope,
        emit,
        claim_name,
    }))
}
