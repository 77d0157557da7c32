//! What the directory's forms share: the field errors of a form shown again, and the
//! form input a domain validation error is about.

/// Field errors of a form shown again: input name → what to fix.
#[derive(Debug, Default)]
pub(super) struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub(super) fn add(&mut self, name: &'static str, msg: impl Into<String>) {
        self.0.push((name, msg.into()));
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| m.as_str())
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The form input a directory validation error is about.
pub(super) fn input_of(field: &str) -> &'static str {
    match field {
        "user principal name" => "upn",
        "display name" => "display_name",
        "given name" => "given_name",
        "surname" => "surname",
        "mail" => "mail",
        "department" => "department",
        "job title" => "job_title",
        "group name" => "name",
        "description" => "description",
        _ => "form",
    }
}
