//! Adding an application from the gallery, and keeping a gallery application's values
//! within its template.

use super::{Template, UrlField};
use crate::apps::claims::{self, Claim, NameFormat, NameIdFormat};
use crate::apps::config::field;
use crate::apps::{self, App, AppError, NewApp, SamlConfig};
use crate::store::Store;
use crate::tenant::MasterKey;

/// A new application from `template`, with everything the template fixes pre-filled:
/// fixed (or default) Identifier, Reply URL, Sign on URL and Logout URL, the signing
/// option when the vendor states one, and the NameID. The administrator's values go on
/// top; [`add_from_gallery`] then checks them.
pub fn new_app(template: &Template, name: &str) -> NewApp {
    let mut new = NewApp::custom(name);
    new.gallery_id = Some(template.id.clone());
    let s = &mut new.saml;
    if let Some(v) = template.identifier.prefill() {
        s.identifiers.push(apps::Identifier {
            value: v.to_owned(),
            is_default: true,
        });
    }
    if let Some(v) = template.reply_url.prefill() {
        s.reply_urls.push(apps::ReplyUrl {
            url: v.to_owned(),
            index: None,
            is_default: true,
        });
    }
    s.sign_on_url = template
        .sign_on_url
        .as_ref()
        .and_then(UrlField::prefill)
        .map(str::to_owned);
    s.logout_url = template
        .logout_url
        .as_ref()
        .and_then(UrlField::prefill)
        .map(str::to_owned);
    if let Some(sign) = template.sign {
        s.sign_mode = sign.into();
    }
    // The template loaded, so both parse (see `check_nameid_and_claims`).
    if let Ok(src) = claims::parse_expression(&template.nameid.source) {
        s.nameid_source = src.to_string();
    }
    if let Ok(f) = NameIdFormat::parse(&template.nameid.format) {
        s.nameid_format = f.stored().to_owned();
    }
    new
}

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

/// The checks of [`crate::apps::save_app`] for a gallery app: its values stay within
/// its template. An app whose template left the gallery is not checked.
pub fn check_app(app: &App) -> Result<(), AppError> {
    match app.gallery_id.as_deref().and_then(super::template) {
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

/// The checks of [`crate::apps::create_app`] for an app from the gallery, before any
/// other: the template exists and a single-instance one has no app yet, whatever values
/// are supplied. (The values are checked with every other field, by [`check_app`].)
pub async fn check_create(store: &Store, app: &App) -> Result<(), AppError> {
    let Some(id) = app.gallery_id.as_deref() else {
        return Ok(());
    };
    let t = super::template(id).ok_or_else(|| {
        AppError::NotFound(format!(
            "the gallery has no application {id}; `sesame gallery list` shows them"
        ))
    })?;
    check_single_instance(store, t, Some(&app.id)).await
}

/// Creates an application from `template`: `new` comes from [`new_app`] with the
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
    let app = apps::create_app(store, master, new).await?;
    if let Err(e) = apply_claims(store, &app, template).await {
        // Never leave a half-configured app behind.
        let _ = apps::delete_app(store, &app.id).await;
        return Err(e);
    }
    Ok(app)
}

/// The claims engine's form of a template claim.
pub fn claim_of(c: &super::TemplateClaim) -> Result<Claim, String> {
    let what = || format!("claim {:?}", c.full_name());
    let source = claims::parse_expression(&c.source)
        .map_err(|e| format!("{}: source {:?}: {e}", what(), c.source))?;
    let name_format: NameFormat = c
        .name_format
        .parse()
        .map_err(|e| format!("{}: {e}", what()))?;
    Ok(Claim {
        name: c.name.clone(),
        namespace: c.namespace.clone(),
        name_format,
        source,
    })
}

/// Sets the vendor's claims on a new app (its NameID came with [`new_app`]). A template
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
        .map(claim_of)
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

/// The NameID and the claims of `t` are what the claims engine accepts: expressions
/// parse (so they name known source attributes), formats are known, and a NameID has
/// one value.
pub(super) fn check_nameid_and_claims(t: &Template) -> Result<(), String> {
    NameIdFormat::parse(&t.nameid.format).map_err(|e| format!("nameid: {e}"))?;
    let src = claims::parse_expression(&t.nameid.source)
        .map_err(|e| format!("nameid source {:?}: {e}", t.nameid.source))?;
    if src.uses(claims::SourceAttribute::Groups) || src.uses(claims::SourceAttribute::AssignedRoles)
    {
        return Err(format!(
            "nameid source {:?} has several values; a NameID needs one",
            t.nameid.source
        ));
    }
    for c in &t.claims {
        claim_of(c)?;
    }
    Ok(())
}
