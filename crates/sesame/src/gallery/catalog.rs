//! The gallery compiled into the binary: its files parsed and checked once, the
//! templates by id or search text, and the files that did not load.

use super::check;
use super::files;
use super::template::Template;
use std::fmt;
use std::sync::LazyLock;

/// A gallery file that did not load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// File name.
    pub file: &'static str,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "gallery/{}: {}", self.file, self.message)
    }
}

struct Gallery {
    templates: Vec<Template>,
    errors: Vec<LoadError>,
}

static GALLERY: LazyLock<Gallery> = LazyLock::new(load);

fn load() -> Gallery {
    let mut templates: Vec<Template> = Vec::new();
    let mut errors = Vec::new();
    for (file, text) in files::FILES {
        match parse_file(file, text) {
            Ok(t) => {
                if templates.iter().any(|o| o.id == t.id) {
                    errors.push(LoadError {
                        file,
                        message: format!("id {} is used twice", t.id),
                    });
                } else {
                    templates.push(t);
                }
            }
            Err(message) => errors.push(LoadError { file, message }),
        }
    }
    templates.sort_by_key(|t| t.name.to_lowercase());
    Gallery { templates, errors }
}

/// Parses and checks one gallery file (`file` is its name, `convene.toml`).
pub fn parse_file(file: &str, text: &str) -> Result<Template, String> {
    if !text.starts_with("# verified:") {
        return Err("must start with `# verified: …` comment lines (gallery/README.md)".into());
    }
    let t: Template = toml::from_str(text).map_err(|e| e.to_string())?;
    let stem = file.strip_suffix(".toml").unwrap_or(file);
    if t.id != stem {
        return Err(format!(
            "id {:?} differs from the file name {file:?}; name the file {}.toml",
            t.id, t.id
        ));
    }
    check::template(&t)?;
    Ok(t)
}

/// Every gallery template, sorted by name.
pub fn templates() -> &'static [Template] {
    &GALLERY.templates
}

/// The template with this id.
pub fn template(id: &str) -> Option<&'static Template> {
    GALLERY.templates.iter().find(|t| t.id == id)
}

/// The templates matching `text` (see [`Template::matches_search`]).
pub fn search(text: &str) -> impl Iterator<Item = &'static Template> + '_ {
    GALLERY
        .templates
        .iter()
        .filter(move |t| t.matches_search(text))
}

/// Gallery files that did not load (a test keeps this empty).
pub fn load_errors() -> &'static [LoadError] {
    &GALLERY.errors
}

/// The file names compiled in.
pub fn file_names() -> impl Iterator<Item = &'static str> {
    files::FILES.iter().map(|(f, _)| *f)
}
