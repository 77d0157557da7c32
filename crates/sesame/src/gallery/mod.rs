//! The application gallery: one TOML file per application in the repository's
//! `gallery/` folder (schema: `gallery/README.md`), compiled into the binary by
//! `build.rs`, parsed once into [`Template`]s. Adding an application to the gallery is
//! adding a file; nothing else.
//!
//! A template says what a vendor fixes (an Identifier, a Reply URL, a Sign on URL), what
//! the administrator supplies and which [`Pattern`] it must fit, whether only one
//! instance may exist in a tenant, the NameID and the claims the vendor expects.
//! Creating an application from a template, and keeping a gallery app's values within
//! its patterns on every change, are `crate::apps::gallery`'s.

mod catalog;
pub mod check;
pub mod pattern;
mod prefill;
mod template;

pub use prefill::{claim_of, new_app, AppClaimOf};
/// The gallery files compiled in: `(file name, contents)`, sorted by name.
mod files {
    include!(concat!(env!("OUT_DIR"), "/gallery_files.rs"));
}

pub use catalog::{file_names, load_errors, parse_file, search, template, templates, LoadError};
pub use pattern::{Pattern, PatternError};
pub use template::*;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of `gallery/` loads: schema (unknown keys refused), id = file name and
    /// unique, patterns parse, NameID and claim sources parse and name known
    /// attributes, logos are small plain SVG, links are https.
    #[test]
    fn every_gallery_file_loads() {
        let names: Vec<&str> = file_names().collect();
        assert!(names.len() >= 5, "{names:?}");
        let errors: Vec<String> = load_errors().iter().map(ToString::to_string).collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
        assert_eq!(templates().len(), names.len());
        for t in templates() {
            assert_eq!(template(&t.id), Some(t));
            assert!(names.contains(&format!("{}.toml", t.id).as_str()));
        }
        for seed in [
            "convene",
            "cisco-webex-meetings",
            "servusconnect",
            "cequence-application-security",
            "imagen",
        ] {
            assert!(template(seed).is_some(), "seed app {seed} is missing");
        }
    }

    #[test]
    fn unknown_keys_and_mismatched_ids_are_refused() {
        let (file, text) = files::FILES
            .iter()
            .find(|(f, _)| *f == "convene.toml")
            .copied()
            .unwrap_or(("", ""));
        parse_file(file, text).unwrap();
        let e = parse_file("other.toml", text).unwrap_err();
        assert!(e.contains("file name"), "{e}");
        let typo = text.replacen("single_instance", "single_instanse", 1);
        assert!(parse_file(file, &typo)
            .unwrap_err()
            .contains("single_instanse"));
        let typo = text.replacen("kind = \"pattern\"", "kind = \"pattern\"\nregex = \"x\"", 1);
        assert!(parse_file(file, &typo).is_err());
        let bad = text.replacen("acs/<UID>\"]", "acs/<UID\"]", 1);
        assert!(parse_file(file, &bad).unwrap_err().contains("not closed"));
        let bad = text.replacen(
            "https://learn.microsoft.com",
            "http://learn.microsoft.com",
            1,
        );
        assert!(parse_file(file, &bad).unwrap_err().contains("https"));
        let bad = text.replacen("source = \"user.mail\"", "source = \"user.email\"", 1);
        assert!(parse_file(file, &bad).is_err());
        let bad = text.replacen("<rect ", "<rect onclick=\"alert(1)\" ", 1);
        assert!(parse_file(file, &bad).unwrap_err().contains("logo"));
    }

    #[test]
    fn search_finds_by_name_and_category() {
        assert!(search("webex").any(|t| t.id == "cisco-webex-meetings"));
        assert!(search("SECURITY").any(|t| t.id == "cequence-application-security"));
        assert_eq!(search("").count(), templates().len());
        assert_eq!(search("no-such-app-anywhere").count(), 0);
    }
}
