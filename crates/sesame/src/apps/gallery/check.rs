//! Keeping a gallery application within its template: the checks of creating and
//! saving one (fixed values, URL patterns, required fields, single instance).

use crate::apps::config::field;
use crate::apps::error::AppError;
use crate::gallery::{self, Template, UrlField};
use crate::model::{App, SamlConfig};
use crate::store::Store;

fn refuse(field: &'static str, reason: String) -> AppError {
    AppError::Invalid { field, reason }
}

fn hint(f: &UrlField) -> String {
    match &f.hint {
        Some(h) if !h.trim().is_empty() => format!(" ({})", h.trim()),
        _ => String::new(),
    }
}

/// One value against its template field: the fixed value, a pattern, or anything.
fn check_value(
    t: &Template,
    f: &UrlField,
    field: &'static str,
    label: &str,
    v: &str,
) -> Result<(), AppError> {
    if f.allows(v) {
        return Ok(());
    }
    let reason = match f.fixed() {
        Some(fixed) => format!(
            "{label} {v:?} is not allowed: {} uses the fixed {label} {fixed}",
            t.name
        ),
        None if f.patterns().len() == 1 => format!(
            "{label} {v:?} does not match the pattern {} uses, {}{}",
            t.name,
            f.patterns()[0],
            hint(f)
        ),
        None => format!(
            "{label} {v:?} does not match any of the patterns {} uses, {}{}",
            t.name,
            f.patterns()
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            hint(f)
        ),
    };
    Err(refuse(field, reason))
}

/// A template field, the app's value, the field's portal name and its short label.
type OptionalField<'a> = (
    &'a Option<UrlField>,
    &'a Option<String>,
    &'static str,
    &'static str,
);

/// Checks a configuration against `template`: every Identifier, Reply URL, Sign on URL
/// and Logout URL given fits its field (fixed value, one of the patterns, or anything
/// when the vendor provides it). Messages name the field, the value and the expected
/// pattern. A value the template requires but that is not given yet is not refused: the
/// app is "SAML not configured" until it has it (`crate::apps::missing_settings`).
pub fn check_config(template: &Template, saml: &SamlConfig) -> Result<(), AppError> {
    let t = template;
    for i in &saml.identifiers {
        check_value(t, &t.identifier, field::IDENTIFIER, "Identifier", &i.value)?;
    }
    for r in &saml.reply_urls {
        check_value(t, &t.reply_url, field::REPLY_URL, "Reply URL", &r.url)?;
    }
    let optional: [OptionalField<'_>; 2] = [
        (
            &t.sign_on_url,
            &saml.sign_on_url,
            field::SIGN_ON_URL,
            "Sign on URL",
        ),
        (
            &t.logout_url,
            &saml.logout_url,
            field::LOGOUT_URL,
            "Logout URL",
        ),
    ];
    for (tf, value, field, label) in optional {
        if let (Some(tf), Some(v)) = (tf, value) {
            check_value(t, tf, field, label, v)?;
        }
    }
    Ok(())
}

/// The checks of [`crate::apps::save_app`] for a gallery app: its values stay within
/// its template. An app whose template left the gallery is not checked.
pub fn check_app(app: &App) -> Result<(), AppError> {
    match app.gallery_id.as_deref().and_then(gallery::template) {
        Some(t) => check_config(t, &app.saml),
        None => Ok(()),
    }
}

/// Refuses a second app from a single-instance template (`except`: the app being
/// checked itself).
pub async fn check_single_instance(
    store: &Store,
    template: &Template,
    except: Option<&str>,
) -> Result<(), AppError> {
    if !template.single_instance {
        return Ok(());
    }
    if let Some(other) = store.list_apps().await?.into_iter().find(|a| {
        a.gallery_id.as_deref() == Some(template.id.as_str()) && Some(a.id.as_str()) != except
    }) {
        return Err(AppError::Conflict(format!(
            "{} is already added as {} (app {}); only one instance per tenant is allowed because its Identifier is fixed",
            template.name, other.name, other.id
        )));
    }
    Ok(())
}

/// The checks of [`crate::apps::create_app`] for an app from the gallery, before any
/// other: the template exists and a single-instance one has no app yet, whatever values
/// are supplied. (The values are checked with every other field, by [`check_app`].)
pub async fn check_create(store: &Store, app: &App) -> Result<(), AppError> {
    let Some(id) = app.gallery_id.as_deref() else {
        return Ok(());
    };
    let t = gallery::template(id).ok_or_else(|| {
        AppError::NotFound(format!(
            "the gallery has no application {id}; `sesame gallery list` shows them"
        ))
    })?;
    check_single_instance(store, t, Some(&app.id)).await
}
