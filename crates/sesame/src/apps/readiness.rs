//! Whether an application's SAML single sign-on is configured ("SAML not configured" until
//! it is): the Basic SAML Configuration settings it still lacks, derived from the app and
//! its gallery template; and the placeholders (`<UID>`) a value still carries from a
//! vendor's document, which are refused with a message naming them.

use super::config::field;
use super::error::AppError;
use crate::gallery;
use crate::model::App;

/// The Basic SAML Configuration settings `app` still lacks before single sign-on can work,
/// as the portal names them: an Identifier (Entity ID), a Reply URL, and (for an app
/// from the gallery) every other value its template marks required. Empty: configured.
pub fn missing_settings(app: &App) -> Vec<&'static str> {
    let s = &app.saml;
    let mut missing = Vec::new();
    if s.identifiers.is_empty() {
        missing.push(field::IDENTIFIER);
    }
    if s.reply_urls.is_empty() {
        missing.push(field::REPLY_URL);
    }
    if let Some(t) = app.gallery_id.as_deref().and_then(gallery::template) {
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|v| v.trim().is_empty());
        if t.sign_on_url.as_ref().is_some_and(|f| f.required) && blank(&s.sign_on_url) {
            missing.push(field::SIGN_ON_URL);
        }
        if t.logout_url.as_ref().is_some_and(|f| f.required) && blank(&s.logout_url) {
            missing.push(field::LOGOUT_URL);
        }
    }
    missing
}

/// Whether `app` has everything single sign-on needs (see [`missing_settings`]).
pub fn is_saml_configured(app: &App) -> bool {
    missing_settings(app).is_empty()
}

/// Who gives the administrator the values: the gallery vendor's name, or "The
/// application's vendor".
pub fn vendor_of(app: &App) -> String {
    app.gallery_id
        .as_deref()
        .and_then(gallery::template)
        .map(|t| t.name.clone())
        .unwrap_or_else(|| "The application's vendor".into())
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// "SAML not configured" in a sentence: which settings are still needed and who gives
/// them; empty when the app is configured.
pub fn missing_sentence(app: &App) -> String {
    let missing = missing_settings(app);
    if missing.is_empty() {
        return String::new();
    }
    let these = if missing.len() == 1 {
        "this value"
    } else {
        "these values"
    };
    format!(
        "Still needed: {}. {} gives you {these}.",
        join_and(&missing),
        vendor_of(app)
    )
}

/// The `sesame app set` option that sets a setting [`missing_settings`] names.
pub fn cli_option(setting: &str) -> &'static str {
    match setting {
        field::IDENTIFIER => "--identifier URI",
        field::REPLY_URL => "--reply-url URL",
        field::SIGN_ON_URL => "--sign-on-url URL",
        field::LOGOUT_URL => "--logout-url URL",
        _ => "",
    }
}

/// The placeholders (`<UID>`, `<CUSTOMERNAME>`, any `<…>`) that `value` still carries,
/// as written, in order, each once.
pub fn placeholders(value: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let after = &rest[start..];
        let Some(end) = after.find('>') else { break };
        let p = &after[..=end];
        if !found.iter().any(|f| f == p) {
            found.push(p.to_owned());
        }
        rest = &after[end + 1..];
    }
    found
}

/// The message for a value that still carries placeholders: "replace `<UID>` with the
/// value Convene gives you".
pub fn placeholder_message(label: &str, value: &str, found: &[String], vendor: &str) -> String {
    let names: Vec<&str> = found.iter().map(String::as_str).collect();
    let (it, value_word) = if found.len() == 1 {
        ("the placeholder", "the value")
    } else {
        ("the placeholders", "the values")
    };
    let vendor = if vendor == "The application's vendor" {
        "the application's vendor"
    } else {
        vendor
    };
    format!(
        "{label} {value:?} still contains {it} {}: replace {} with {value_word} {vendor} gives you",
        join_and(&names),
        join_and(&names),
    )
}

/// Refuses an Identifier, Reply URL, Sign on URL or Logout URL that still carries a
/// placeholder copied from a vendor's document, naming each placeholder.
pub fn check_placeholders(app: &App) -> Result<(), AppError> {
    let s = &app.saml;
    let mut values: Vec<(&'static str, &str)> = Vec::new();
    values.extend(
        s.identifiers
            .iter()
            .map(|i| (field::IDENTIFIER, i.value.as_str())),
    );
    values.extend(
        s.reply_urls
            .iter()
            .map(|r| (field::REPLY_URL, r.url.as_str())),
    );
    values.extend(s.sign_on_url.as_deref().map(|v| (field::SIGN_ON_URL, v)));
    values.extend(s.logout_url.as_deref().map(|v| (field::LOGOUT_URL, v)));
    for (f, v) in values {
        let found = placeholders(v);
        if !found.is_empty() {
            let label = f.split(" (").next().unwrap_or(f);
            return Err(AppError::Invalid {
                field: f,
                reason: placeholder_message(label, v.trim(), &found, &vendor_of(app)),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gallery::new_app;
    use crate::model::{Identifier, NewApp, ReplyUrl};

    fn app_of(new: NewApp) -> App {
        new.draft()
    }

    #[test]
    fn a_custom_app_needs_an_identifier_and_a_reply_url() {
        let mut app = app_of(NewApp::custom("Mine"));
        assert_eq!(
            missing_settings(&app),
            vec![field::IDENTIFIER, field::REPLY_URL]
        );
        assert!(!is_saml_configured(&app));
        assert_eq!(
            missing_sentence(&app),
            "Still needed: Identifier (Entity ID) and Reply URL (Assertion Consumer Service URL). The application's vendor gives you these values."
        );
        app.saml.identifiers.push(Identifier {
            value: "https://sp.example.com".into(),
            is_default: true,
        });
        app.saml.reply_urls.push(ReplyUrl {
            url: "https://sp.example.com/acs".into(),
            index: None,
            is_default: true,
        });
        assert!(is_saml_configured(&app));
        assert_eq!(missing_sentence(&app), "");
    }

    #[test]
    fn gallery_apps_added_by_name() {
        let t = |id| gallery::template(id).unwrap();
        // Convene: the Sign on URL is fixed; the Identifier and Reply URL come from Convene.
        let convene = app_of(new_app(t("convene"), "Convene"));
        assert_eq!(
            missing_settings(&convene),
            vec![field::IDENTIFIER, field::REPLY_URL]
        );
        assert!(missing_sentence(&convene).ends_with("Convene gives you these values."));
        // ServusConnect: every value is fixed, so it is configured once added.
        let servus = app_of(new_app(t("servusconnect"), "ServusConnect"));
        assert!(
            is_saml_configured(&servus),
            "{:?}",
            missing_settings(&servus)
        );
        // Cequence: its required Sign on URL is a pattern too.
        let cequence = app_of(new_app(t("cequence-application-security"), "Cequence"));
        assert_eq!(
            missing_settings(&cequence),
            vec![field::IDENTIFIER, field::REPLY_URL, field::SIGN_ON_URL]
        );
        assert_eq!(cli_option(field::SIGN_ON_URL), "--sign-on-url URL");
    }

    #[test]
    fn placeholders_are_named() {
        assert_eq!(
            placeholders("https://portal.convene.me.uk/saml/acs/<UID>"),
            vec!["<UID>"]
        );
        assert_eq!(
            placeholders("https://<CUSTOMERNAME>.s.cequence.cloud/<CUSTOMERNAME>/<x y>"),
            vec!["<CUSTOMERNAME>", "<x y>"]
        );
        assert!(placeholders("https://a.example.com/<unclosed").is_empty());
        let mut convene = app_of(new_app(gallery::template("convene").unwrap(), "Convene"));
        convene.saml.reply_urls.push(ReplyUrl {
            url: "https://portal.convene.me.uk/saml/acs/<UID>".into(),
            index: None,
            is_default: true,
        });
        let e = check_placeholders(&convene).unwrap_err().to_string();
        assert!(
            e.contains("still contains the placeholder <UID>: replace <UID> with the value Convene gives you"),
            "{e}"
        );
        assert!(!e.contains("Convene's"), "{e}");
        let mut cequence = app_of(new_app(
            gallery::template("cequence-application-security").unwrap(),
            "Cequence",
        ));
        cequence.saml.identifiers.push(Identifier {
            value: "https://<CUSTOMERNAME>.s.cequence.cloud:443/saml/metadata".into(),
            is_default: true,
        });
        let e = check_placeholders(&cequence).unwrap_err().to_string();
        assert!(
            e.contains(
                "replace <CUSTOMERNAME> with the value Cequence Application Security gives you"
            ),
            "{e}"
        );
        assert!(!e.contains("international domain"), "{e}");
    }
}
