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
/// place). Refused when another claim sends the same attribute name, or past
/// [`MAX_CLAIMS`].
pub async fn set_claim(store: &Store, app_id: &str, claim: Claim) -> Result<Claim, AppError> {
    let mut claim = claim;
    validate_claim(&mut claim)?;
    require_app(store, app_id).await?;
    let existing = list_claims(store, app_id).await?;
    let full = claim.full_name();
    if let Some(other) = existing
        .iter()
        .find(|c| c.full_name() == full && (c.name != claim.name || c.namespace != claim.namespace))
    {
        return Err(AppError::Conflict(format!(
            "claim {full}: another claim (name {:?}, namespace {:?}) already sends this attribute name; remove it first",
            other.name, other.namespace
        )));
    }
    let replaces = existing
        .iter()
        .any(|c| c.name == claim.name && c.namespace == claim.namespace);
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
    if cfg.source.uses(SourceAttribute::Groups) || cfg.source.uses(SourceAttribute::AssignedRoles) {
        return Err(invalid(
            "NameID source",
            "user.groups and user.assignedroles have several values; a NameID needs one",
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
