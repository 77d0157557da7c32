//! Applications from the gallery: creating one from a template (its values checked
//! against the template, the vendor's claims set), and keeping a gallery application's
//! values within its template when it is saved.

use super::claims::{self, Claim};
use super::config::field;
use super::{App, AppError, NewApp, SamlConfig};
use crate::gallery::{self, Template, UrlField};
use crate::store::Store;
use crate::tenant::MasterKey;

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
            "{label} {v:?} is not allowed: {}'s {label} is fixed to {fixed}",
            t.name
        ),
        None if f.patterns().len() == 1 => format!(
            "{label} {v:?} does not match {}'s pattern {}{}",
            t.name,
            f.patterns()[0],
            hint(f)
        ),
        None => format!(
            "{label} {v:?} does not match any of {}'s patterns {}{}",
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

fn missing(t: &Template, f: &UrlField, field: &'static str, label: &str) -> AppError {
    let expected = if f.patterns().is_empty() {
        String::new()
    } else {
        format!(" matching {}", f.expected().trim_start_matches("the "))
    };
    refuse(
        field,
        format!(
            "{} needs {} {label}{expected}{}",
            t.name,
            if label.starts_with('I') { "an" } else { "a" },
            hint(f)
        ),
    )
}

/// Checks a configuration against `template`: every Identifier, Reply URL, Sign on URL
/// and Logout URL fits its field (fixed value, one of the patterns, or anything when the
/// vendor provides it), and every required field has a value. Messages name the field,
/// the value and the expected pattern.
pub fn check_config(template: &Template, saml: &SamlConfig) -> Result<(), AppError> {
    let t = template;
    if saml.identifiers.is_empty() && t.identifier.required {
        return Err(missing(t, &t.identifier, field::IDENTIFIER, "Identifier"));
    }
    for i in &saml.identifiers {
        check_value(t, &t.identifier, field::IDENTIFIER, "Identifier", &i.value)?;
    }
    if saml.reply_urls.is_empty() && t.reply_url.required {
        return Err(missing(t, &t.reply_url, field::REPLY_URL, "Reply URL"));
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
        let Some(tf) = tf else { continue };
        match value {
            Some(v) => check_value(t, tf, field, label, v)?,
            None if tf.required => return Err(missing(t, tf, field, label)),
            None => {}
        }
    }
    Ok(())
}

/// The checks of [`super::save_app`] for a gallery app: its values stay within
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
            "{} is already added as app {} ({}); only one instance per tenant is allowed because its Identifier is fixed",
            template.name, other.id, other.name
        )));
    }
    Ok(())
}

/// The checks of [`super::create_app`] for an app from the gallery, before any
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

/// Creates an application from `template`: `new` comes from [`gallery::new_app`] with the
/// administrator's values on top. Refuses a second instance of a single-instance
/// template and values that do not fit the template; then sets the vendor's NameID and
/// claims.
pub async fn add_from_gallery(
    store: &Store,
    master: &MasterKey,
    template: &Template,
    mut new: NewApp,
) -> Result<App, AppError> {
    new.gallery_id = Some(template.id.clone());
    let app = super::create_app(store, master, new).await?;
    if let Err(e) = apply_claims(store, &app, template).await {
        // Never leave a half-configured app behind.
        let _ = super::delete_app(store, &app.id).await;
        return Err(e);
    }
    Ok(app)
}

/// Sets the vendor's claims on a new app (its NameID came with [`gallery::new_app`]). A template
/// listing claims gives the app exactly those, in its order (documents that keep the
/// IdP's default claims list them); a template listing none keeps the engine's default
/// claims.
async fn apply_claims(store: &Store, app: &App, template: &Template) -> Result<(), AppError> {
    if template.claims.is_empty() {
        return Ok(());
    }
    let wanted: Vec<Claim> = template
        .claims
        .iter()
        .map(gallery::claim_of)
        .collect::<Result<_, _>>()
        .map_err(|reason| AppError::Invalid {
            field: "gallery template",
            reason,
        })?;
    for c in claims::list_claims(store, &app.id).await? {
        claims::remove_claim(store, &app.id, &c.name, &c.namespace).await?;
    }
    for c in wanted {
        claims::set_claim(store, &app.id, c).await?;
    }
    Ok(())
}
