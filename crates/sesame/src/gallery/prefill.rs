//! A gallery template as application records: the new application a template pre-fills,
//! the claims it lists, and the check that its NameID and claims are ones the claims
//! engine accepts. Creating the application is `crate::apps::gallery`'s.

use super::{Template, UrlField};
use crate::model::claims::{
    self, Claim, GroupClaims, GroupEmit, GroupScope, NameFormat, NameIdFormat,
};
use crate::model::{Identifier, NewApp, ReplyUrl};

/// A new application from `template`, with everything the template fixes pre-filled:
/// fixed (or default) Identifier, Reply URL, Sign on URL and Logout URL, the signing
/// option when the vendor states one, and the NameID. The administrator's values go on
/// top; `crate::apps::gallery::add_from_gallery` then checks them.
pub fn new_app(template: &Template, name: &str) -> NewApp {
    let mut new = NewApp::custom(name);
    new.gallery_id = Some(template.id.clone());
    let s = &mut new.saml;
    if let Some(v) = template.identifier.prefill() {
        s.identifiers.push(Identifier {
            value: v.to_owned(),
            is_default: true,
        });
    }
    if let Some(v) = template.reply_url.prefill() {
        s.reply_urls.push(ReplyUrl {
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

/// What a template claim becomes in an application: a claim of Attributes & Claims, or
/// the application's group claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppClaimOf {
    /// A claim row.
    Claim(Claim),
    /// The group claim (Group Claims): a template claim whose source is `user.groups`
    /// alone, without a NameFormat, is the group claim under its name, sending every group
    /// of the user as object ids (the group claim's defaults, as Azure AD's).
    GroupClaim(GroupClaims),
}

/// The claims engine's form of a template claim.
pub fn claim_of(c: &super::TemplateClaim) -> Result<AppClaimOf, String> {
    let what = || format!("claim {:?}", c.full_name());
    let source = claims::parse_expression(&c.source)
        .map_err(|e| format!("{}: source {:?}: {e}", what(), c.source))?;
    let name_format: NameFormat = c
        .name_format
        .parse()
        .map_err(|e| format!("{}: {e}", what()))?;
    if source.as_attribute() == Some(claims::SourceAttribute::Groups)
        && name_format == NameFormat::Unspecified
    {
        let mut g = GroupClaims::new(GroupScope::All, GroupEmit::ObjectId);
        g.claim_name = claims::full_name(c.namespace.trim_end_matches('/'), &c.name);
        return Ok(AppClaimOf::GroupClaim(g));
    }
    Ok(AppClaimOf::Claim(Claim {
        name: c.name.clone(),
        namespace: c.namespace.clone(),
        name_format,
        source,
    }))
}

/// The NameID and the claims of `t` are what the claims engine accepts: expressions
/// parse (so they name known source attributes), formats are known, and a NameID has
/// one value.
pub(super) fn check_nameid_and_claims(t: &Template) -> Result<(), String> {
    NameIdFormat::parse(&t.nameid.format).map_err(|e| format!("nameid: {e}"))?;
    let src = claims::parse_expression(&t.nameid.source)
        .map_err(|e| format!("nameid source {:?}: {e}", t.nameid.source))?;
    if src.uses_multi_valued() {
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
