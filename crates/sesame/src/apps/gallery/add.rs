//! Creating an application from a gallery template: the administrator's values checked
//! against the template, then the vendor's claims set.

use crate::apps::claims;
use crate::apps::error::AppError;
use crate::apps::lifecycle;
use crate::gallery::{self, AppClaimOf, Template};
use crate::model::{App, NewApp};
use crate::store::Store;
use crate::tenant::MasterKey;

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
    let app = lifecycle::create_app(store, master, new).await?;
    if let Err(e) = apply_claims(store, &app, template).await {
        // Never leave a half-configured app behind.
        let _ = lifecycle::delete_app(store, &app.id).await;
        return Err(e);
    }
    Ok(app)
}

/// Sets the vendor's claims on a new app (its NameID came with [`gallery::new_app`]). A template
/// listing claims gives the app exactly those, in its order (documents that keep the
/// IdP's default claims list them); a template listing none keeps the engine's default
/// claims. A template claim of the user's groups becomes the app's group claim (one
/// place shows and decides what it sends), not a claim row.
async fn apply_claims(store: &Store, app: &App, template: &Template) -> Result<(), AppError> {
    if template.claims.is_empty() {
        return Ok(());
    }
    let wanted: Vec<AppClaimOf> = template
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
    let mut group = None;
    for c in wanted {
        match c {
            AppClaimOf::Claim(c) => {
                claims::set_claim(store, &app.id, c).await?;
            }
            AppClaimOf::GroupClaim(g) => group = Some(g),
        }
    }
    if group.is_some() {
        claims::set_group_claims(store, &app.id, group).await?;
    }
    Ok(())
}
