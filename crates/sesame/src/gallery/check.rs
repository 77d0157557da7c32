//! The checks every gallery file passes when it loads (and the gallery test asserts
//! that all of them do): ids, https links, URL fields, NameID and claims that the claims
//! engine accepts, and logos that are small, plain SVG.

use super::{Template, UrlField, UrlRule};

/// Largest logo, bytes.
pub const MAX_LOGO: usize = 1024;
/// Longest instructions text, bytes.
const MAX_TEXT: usize = 16 * 1024;
/// Most claims of a template.
const MAX_CLAIMS: usize = 50;

/// The categories a template may use.
pub const CATEGORIES: &[&str] = &[
    "Analytics",
    "Business management",
    "Cloud platform",
    "Collaboration",
    "Communication",
    "Content management",
    "Customer support",
    "Design",
    "Developer tools",
    "Education",
    "HR",
    "IT service management",
    "Productivity",
    "Sales",
    "Security",
];

/// Elements a logo may use.
const SVG_ELEMENTS: &[&str] = &["svg", "g", "rect", "circle", "ellipse", "path", "text"];
/// Attributes a logo may use.
const SVG_ATTRIBUTES: &[&str] = &[
    "viewBox",
    "width",
    "height",
    "x",
    "y",
    "rx",
    "ry",
    "cx",
    "cy",
    "r",
    "d",
    "fill",
    "stroke",
    "stroke-width",
    "font-family",
    "font-size",
    "font-weight",
    "text-anchor",
    "dominant-baseline",
];

const SVG_NS: &str = "http://www.w3.org/2000/svg";

fn https(field: &str, v: &str) -> Result<(), String> {
    match url::Url::parse(v) {
        Ok(u) if u.scheme() == "https" && u.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        _ => Err(format!("{field} {v:?} must be an https:// URL")),
    }
}

fn text(field: &str, v: &str, max: usize, newlines: bool) -> Result<(), String> {
    if v.trim().is_empty() {
        return Err(format!("{field} is empty"));
    }
    if v.chars().count() > max {
        return Err(format!("{field} is longer than {max} characters"));
    }
    if v.chars()
        .any(|c| c.is_control() && !(newlines && (c == '\n' || c == '\t')))
    {
        return Err(format!("{field} contains control characters or newlines"));
    }
    Ok(())
}

fn valid_id(id: &str) -> bool {
    id.len() <= 64
        && !id.is_empty()
        && id.split('-').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Checks one template against the schema rules the types cannot express.
pub(super) fn template(t: &Template) -> Result<(), String> {
    if t.schema != 1 {
        return Err(format!("schema = {}: only schema 1 is known", t.schema));
    }
    if !valid_id(&t.id) {
        return Err(format!(
            "id {:?} must match ^[a-z0-9]+(-[a-z0-9]+)*$ (at most 64 characters)",
            t.id
        ));
    }
    text("name", &t.name, 100, false)?;
    text("publisher", &t.publisher, 100, false)?;
    text("description", &t.description, 400, false)?;
    text("instructions", &t.instructions, MAX_TEXT, true)?;
    for (k, v) in [
        ("jit_provisioning", &t.jit_provisioning),
        ("claims_hint", &t.claims_hint),
    ] {
        if let Some(v) = v {
            text(k, v, MAX_TEXT, true)?;
        }
    }
    https("homepage", &t.homepage)?;
    https("source", &t.source)?;
    if let Some(s) = &t.support {
        if let Some(addr) = s.strip_prefix("mailto:") {
            let (user, host) = addr.split_once('@').unwrap_or(("", ""));
            if user.is_empty() || !host.contains('.') || addr.contains(char::is_whitespace) {
                return Err(format!("support {s:?} is not a mailto: address"));
            }
        } else {
            https("support", s)
                .map_err(|_| format!("support {s:?} must be mailto:… or https://…"))?;
        }
    }
    if t.categories.is_empty() || t.categories.len() > 3 {
        return Err("categories: give 1 to 3".into());
    }
    for (i, c) in t.categories.iter().enumerate() {
        if !CATEGORIES.contains(&c.as_str()) {
            return Err(format!(
                "category {c:?} is not one of: {}",
                CATEGORIES.join(", ")
            ));
        }
        if t.categories[..i].contains(c) {
            return Err(format!("category {c:?} is listed twice"));
        }
    }
    if t.sso_modes.is_empty() || t.sso_modes.len() > 2 {
        return Err("sso_modes: give \"sp-initiated\", \"idp-initiated\" or both".into());
    }
    if t.sso_modes.len() == 2 && t.sso_modes[0] == t.sso_modes[1] {
        return Err("sso_modes lists a mode twice".into());
    }
    for r in &t.authn_context_class_refs {
        if url::Url::parse(r).is_err() {
            return Err(format!(
                "authn_context_class_refs: {r:?} is not an absolute URI"
            ));
        }
    }
    url_fields(t)?;
    super::prefill::check_nameid_and_claims(t)?;
    if t.claims.len() > MAX_CLAIMS {
        return Err(format!("at most {MAX_CLAIMS} claims are allowed"));
    }
    for (i, c) in t.claims.iter().enumerate() {
        let what = format!("claim {:?}", c.full_name());
        text(&what, &c.name, 256, false)?;
        if c.name.chars().any(char::is_whitespace) {
            return Err(format!("{what}: the name contains spaces"));
        }
        if !c.namespace.is_empty()
            && (c.namespace.ends_with('/') || url::Url::parse(&c.namespace).is_err())
        {
            return Err(format!(
                "{what}: namespace must be empty or an absolute URI without a trailing /"
            ));
        }
        if !["unspecified", "uri", "basic"].contains(&c.name_format.as_str()) {
            return Err(format!(
                "{what}: name_format {:?} must be unspecified, uri or basic",
                c.name_format
            ));
        }
        if t.claims[..i]
            .iter()
            .any(|o| o.name == c.name && o.namespace == c.namespace)
        {
            return Err(format!("{what} is listed twice"));
        }
    }
    logo(&t.logo_svg)
}

fn url_fields(t: &Template) -> Result<(), String> {
    if !t.identifier.required || !t.reply_url.required {
        return Err("identifier and reply_url must have required = true".into());
    }
    if t.identifier.fixed().is_some() && !t.single_instance {
        return Err(
            "identifier is fixed, so single_instance must be true (an Identifier is unique in a tenant)"
                .into(),
        );
    }
    let urls: [(&str, Option<&UrlField>); 3] = [
        ("reply_url", Some(&t.reply_url)),
        ("sign_on_url", t.sign_on_url.as_ref()),
        ("logout_url", t.logout_url.as_ref()),
    ];
    for (name, f) in urls {
        let Some(f) = f else { continue };
        let values: Vec<&str> = match &f.rule {
            UrlRule::Fixed(v) => vec![v.as_str()],
            UrlRule::Patterns { patterns, .. } => patterns.iter().map(|p| p.as_str()).collect(),
            UrlRule::VendorProvided => Vec::new(),
        };
        for v in values {
            if !v.starts_with("https://") {
                return Err(format!("{name}: {v:?} must start with https://"));
            }
        }
    }
    // Fixed values and pattern samples pass Sesame's own field rules.
    let mut probe = crate::model::SamlConfig::default();
    for v in samples(&t.identifier) {
        probe.identifiers = vec![crate::model::Identifier {
            value: v.clone(),
            is_default: true,
        }];
        probe
            .normalize_and_validate()
            .map_err(|e| format!("identifier {v:?} is refused by Sesame: {e}"))?;
    }
    probe.identifiers.clear();
    for v in samples(&t.reply_url) {
        probe.reply_urls = vec![crate::model::ReplyUrl {
            url: v.clone(),
            index: None,
            is_default: true,
        }];
        probe
            .normalize_and_validate()
            .map_err(|e| format!("reply_url {v:?} is refused by Sesame: {e}"))?;
    }
    probe.reply_urls.clear();
    for v in t.sign_on_url.iter().flat_map(samples) {
        probe.sign_on_url = Some(v.clone());
        probe
            .normalize_and_validate()
            .map_err(|e| format!("sign_on_url {v:?} is refused by Sesame: {e}"))?;
    }
    probe.sign_on_url = None;
    for v in t.logout_url.iter().flat_map(samples) {
        probe.logout_url = Some(v.clone());
        probe
            .normalize_and_validate()
            .map_err(|e| format!("logout_url {v:?} is refused by Sesame: {e}"))?;
    }
    Ok(())
}

/// The fixed value, or a sample value of every pattern.
fn samples(f: &UrlField) -> Vec<String> {
    match &f.rule {
        UrlRule::Fixed(v) => vec![v.clone()],
        UrlRule::Patterns { patterns, .. } => patterns.iter().map(|p| p.sample()).collect(),
        UrlRule::VendorProvided => Vec::new(),
    }
}

fn colour(v: &str) -> bool {
    v == "none"
        || (v.len() == 7 && v.starts_with('#') && v[1..].bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A logo: at most 1 KiB of SVG using only the elements and attributes of
/// `gallery/README.md` ("Logos"): no script, style, event attribute, link or `url(`.
pub fn logo(svg: &str) -> Result<(), String> {
    if svg.len() > MAX_LOGO {
        return Err(format!(
            "logo_svg is {} bytes; at most {MAX_LOGO} are allowed",
            svg.len()
        ));
    }
    let lower = svg.to_ascii_lowercase();
    for bad in [
        "<!doctype",
        "<!entity",
        "<?",
        "<script",
        "<style",
        "javascript:",
        "url(",
        "href",
    ] {
        if lower.contains(bad) {
            return Err(format!("logo_svg contains {bad:?}"));
        }
    }
    let doc = roxmltree::Document::parse(svg).map_err(|e| format!("logo_svg: {e}"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "svg" || root.tag_name().namespace() != Some(SVG_NS) {
        return Err(format!(
            "logo_svg: the root must be <svg xmlns=\"{SVG_NS}\">"
        ));
    }
    if root.attribute("viewBox") != Some("0 0 64 64") {
        return Err("logo_svg: the root must have viewBox=\"0 0 64 64\"".into());
    }
    for n in doc.descendants() {
        if n.is_pi() {
            return Err("logo_svg: processing instructions are not allowed".into());
        }
        if !n.is_element() {
            continue;
        }
        let name = n.tag_name().name();
        if n.tag_name().namespace() != Some(SVG_NS) || !SVG_ELEMENTS.contains(&name) {
            return Err(format!("logo_svg: element <{name}> is not allowed"));
        }
        if n.namespaces().any(|ns| ns.uri() != SVG_NS) {
            return Err(format!(
                "logo_svg: <{name}> declares a namespace other than SVG's"
            ));
        }
        for a in n.attributes() {
            let an = a.name();
            if a.namespace().is_some() || !SVG_ATTRIBUTES.contains(&an) {
                return Err(format!("logo_svg: attribute {an} is not allowed"));
            }
            if (an == "fill" || an == "stroke") && !colour(a.value()) {
                return Err(format!(
                    "logo_svg: {an}={:?}: colours are #rrggbb",
                    a.value()
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logos() {
        let ok = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64"><rect width="64" height="64" rx="12" fill="#475569"/><text x="32" y="41" text-anchor="middle" font-family="sans-serif" font-size="24" fill="#ffffff">C</text></svg>"##;
        logo(ok).unwrap();
        for bad in [
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><script>alert(1)</script></svg>"##,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" onload="alert(1)"/>"##,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" xmlns:x="http://www.w3.org/1999/xlink"><g x:href="https://evil.example/a.svg#x"/></svg>"##,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><use href="#x"/></svg>"##,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect fill="url(#g)"/></svg>"##,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect fill="red"/></svg>"##,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><image/></svg>"##,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><foreignObject/></svg>"##,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><style>rect{}</style></svg>"##,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect style="fill:#000000"/></svg>"##,
            r##"<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"/>"##,
            r##"<svg viewBox="0 0 64 64"/>"##,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"/>"##,
        ] {
            assert!(logo(bad).is_err(), "{bad}");
        }
        let big = format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><text>{}</text></svg>"##,
            "x".repeat(MAX_LOGO)
        );
        assert!(logo(&big).is_err());
    }
}
