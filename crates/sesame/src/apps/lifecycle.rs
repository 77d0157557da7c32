//! The life of an application: validating it whole, creating it with its first signing
//! certificate, saving, deleting, and finding it by id or name.

use super::certs;
use super::config::field;
use super::error::AppError;
use super::gallery;
use crate::clock::now_unix;
use crate::model::{App, NewApp};
use crate::store::{Store, StoreError};
use crate::tenant::MasterKey;

fn validate_props(app: &App) -> Result<(), AppError> {
    let name = app.name.trim();
    if name.is_empty() {
        return Err(AppError::Invalid {
            field: field::NAME,
            reason: "is empty; give the application a name".into(),
        });
    }
    if name.chars().count() > 256 || name.chars().any(char::is_control) {
        return Err(AppError::Invalid {
            field: field::NAME,
            reason: "must be at most 256 characters without control characters".into(),
        });
    }
    if uuid::Uuid::parse_str(name).is_ok() {
        return Err(AppError::Invalid {
            field: field::NAME,
            reason: "looks like an app id; give the application a name people can read".into(),
        });
    }
    if app.notes.chars().count() > 4096 {
        return Err(AppError::Invalid {
            field: field::NOTES,
            reason: "is longer than 4096 characters".into(),
        });
    }
    Ok(())
}

/// Validates `app` whole: properties, Basic SAML Configuration, and that no other app
/// uses one of its Identifiers. `stored`: its configuration as stored, when it exists.
async fn validate_app(
    store: &Store,
    app: &mut App,
    stored: Option<&crate::model::SamlConfig>,
) -> Result<(), AppError> {
    app.name = app.name.trim().to_owned();
    validate_props(app)?;
    // A value still carrying a vendor document's placeholder (`<UID>`) is named as such
    // before any URL rule refuses it less clearly.
    super::readiness::check_placeholders(app)?;
    app.saml.normalize_and_validate_after(stored)?;
    // A gallery app keeps fitting its template (fixed values, URL patterns).
    gallery::check_app(app)?;
    for id in &app.saml.identifiers {
        if let Some(owner) = store.app_by_identifier(&id.value).await? {
            if owner.id != app.id {
                return Err(identifier_taken(&id.value, &owner));
            }
        }
    }
    Ok(())
}

fn identifier_taken(value: &str, owner: &App) -> AppError {
    AppError::Conflict(format!(
        "{}: Identifier {value} is already used by app {} ({}); an Identifier must be unique across the tenant's applications",
        field::IDENTIFIER,
        owner.name,
        owner.id
    ))
}

async fn map_identifier_conflict(store: &Store, app: &App, e: StoreError) -> AppError {
    if let StoreError::Conflict(_) = e {
        for id in &app.saml.identifiers {
            if let Ok(Some(owner)) = store.app_by_identifier(&id.value).await {
                if owner.id != app.id {
                    return identifier_taken(&id.value, &owner);
                }
            }
        }
        return AppError::Conflict(format!("the application conflicts with another one: {e}"));
    }
    e.into()
}

/// Creates an application with its first signing certificate (RSA-2048, self-signed,
/// three years; the key sealed with `master`), in one transaction.
pub async fn create_app(store: &Store, master: &MasterKey, new: NewApp) -> Result<App, AppError> {
    let now = now_unix();
    let mut app = App {
        id: uuid::Uuid::new_v4().to_string(),
        name: new.name,
        gallery_id: new.gallery_id,
        enabled: new.enabled,
        assignment_required: new.assignment_required,
        visible: new.visible,
        notes: new.notes,
        saml: new.saml,
        created_at: now,
        updated_at: now,
    };
    // From the gallery: the template exists and a single-instance one has no app yet.
    gallery::check_create(store, &app).await?;
    validate_app(store, &mut app, None).await?;
    let cert = certs::generate(master, &app.id, true, now).await?;
    if let Err(e) = store.insert_app(&app, &cert).await {
        return Err(map_identifier_conflict(store, &app, e).await);
    }
    Ok(app)
}

/// Validates and stores every field of `app` (found by id), replacing its Identifiers and
/// Reply URLs. Returns the app as stored.
pub async fn save_app(store: &Store, mut app: App) -> Result<App, AppError> {
    let stored = store.app_by_id(&app.id).await?;
    validate_app(store, &mut app, stored.as_ref().map(|s| &s.saml)).await?;
    app.updated_at = now_unix();
    if let Err(e) = store.save_app(&app).await {
        return Err(map_identifier_conflict(store, &app, e).await);
    }
    Ok(app)
}

/// Deletes an application with its configuration, certificates, roles and assignments.
pub async fn delete_app(store: &Store, app_id: &str) -> Result<(), AppError> {
    if store.delete_app(app_id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(format!(
            "no application has the id {app_id}"
        )))
    }
}

/// The application with this id, or else the only one with this name (compared
/// case-insensitively). Several apps with the name: refused, listing their ids.
pub async fn resolve_app(store: &Store, id_or_name: &str) -> Result<App, AppError> {
    let key = id_or_name.trim();
    if let Some(app) = store.app_by_id(key).await? {
        return Ok(app);
    }
    let lower = key.to_lowercase();
    let mut matches: Vec<App> = store
        .list_apps()
        .await?
        .into_iter()
        .filter(|a| a.name.to_lowercase() == lower)
        .collect();
    match matches.len() {
        0 => Err(AppError::NotFound(format!(
            "no application has the id or name {key}; `sesame app list` shows them"
        ))),
        1 => Ok(matches.remove(0)),
        _ => Err(AppError::Ambiguous(format!(
            "{} applications are named {key}; give one of their ids: {}",
            matches.len(),
            matches
                .iter()
                .map(|a| a.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
