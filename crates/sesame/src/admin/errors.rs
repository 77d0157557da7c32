//! Error codes of the admin plane (portal, REST API, CLI): `SESAME910xxx`, each with a
//! title, an explanation and a fix, listed in docs/errors.md. The REST API sends them as
//! RFC 9457 problem details (`code` member); the portal shows them on its error pages.

/// An admin-plane error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdminCode {
    /// No signed-in session or API token.
    Unauthenticated,
    /// The caller lacks the role.
    Forbidden,
    /// The CSRF token is missing or wrong, or the request came from another site.
    CsrfFailed,
    /// The request's input is invalid.
    Invalid,
    /// The object does not exist.
    NotFound,
    /// The object already exists (or would conflict).
    Conflict,
    /// The API token is unknown, expired or revoked.
    BadToken,
    /// An uploaded file (metadata, certificate, logo) cannot be used.
    BadUpload,
    /// The database is out of reach.
    Unavailable,
    /// A bug: see the server log by correlation id.
    Internal,
    /// A new password does not meet the password policy.
    PasswordPolicy,
}

impl AdminCode {
    /// Every code.
    pub const ALL: [AdminCode; 11] = [
        AdminCode::Unauthenticated,
        AdminCode::Forbidden,
        AdminCode::CsrfFailed,
        AdminCode::Invalid,
        AdminCode::NotFound,
        AdminCode::Conflict,
        AdminCode::BadToken,
        AdminCode::BadUpload,
        AdminCode::Unavailable,
        AdminCode::Internal,
        AdminCode::PasswordPolicy,
    ];

    /// `SESAME910001` …
    pub fn code(self) -> &'static str {
        match self {
            AdminCode::Unauthenticated => "SESAME910001",
            AdminCode::Forbidden => "SESAME910002",
            AdminCode::CsrfFailed => "SESAME910003",
            AdminCode::Invalid => "SESAME910004",
            AdminCode::NotFound => "SESAME910005",
            AdminCode::Conflict => "SESAME910006",
            AdminCode::BadToken => "SESAME910007",
            AdminCode::BadUpload => "SESAME910008",
            AdminCode::Unavailable => "SESAME910009",
            AdminCode::Internal => "SESAME910010",
            AdminCode::PasswordPolicy => "SESAME910011",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> u16 {
        match self {
            AdminCode::Unauthenticated | AdminCode::BadToken => 401,
            AdminCode::Forbidden | AdminCode::CsrfFailed => 403,
            AdminCode::Invalid | AdminCode::BadUpload | AdminCode::PasswordPolicy => 422,
            AdminCode::NotFound => 404,
            AdminCode::Conflict => 409,
            AdminCode::Unavailable => 503,
            AdminCode::Internal => 500,
        }
    }

    /// A short title.
    pub fn title(self) -> &'static str {
        match self {
            AdminCode::Unauthenticated => "Sign-in required",
            AdminCode::Forbidden => "Not allowed for your role",
            AdminCode::CsrfFailed => "The form expired or came from another site",
            AdminCode::Invalid => "Invalid input",
            AdminCode::NotFound => "Not found",
            AdminCode::Conflict => "Already exists",
            AdminCode::BadToken => "API token not accepted",
            AdminCode::BadUpload => "Uploaded file not usable",
            AdminCode::Unavailable => "Database unavailable",
            AdminCode::Internal => "Internal error",
            AdminCode::PasswordPolicy => "Password does not meet the policy",
        }
    }

    /// What to do about it.
    pub fn fix(self) -> &'static str {
        match self {
            AdminCode::Unauthenticated => "Sign in to Sesame (portal), or send an API token as `Authorization: Bearer …` (`sesame token create`).",
            AdminCode::Forbidden => "Ask a Global Administrator to grant you the role named in the message (`sesame role assign UPN ROLE`).",
            AdminCode::CsrfFailed => "Reload the page and submit the form again. API calls made with the session cookie must send the page's token in the X-CSRF-Token header; scripts should use an API token instead.",
            AdminCode::Invalid => "Correct the field named in the message and try again.",
            AdminCode::NotFound => "Check the id or name: the object may have been deleted.",
            AdminCode::Conflict => "Choose another name or value, or change the existing object instead.",
            AdminCode::BadToken => "Create a new token with `sesame token create --name NAME` (tokens expire, 90 days by default, and can be revoked).",
            AdminCode::BadUpload => "Upload the file the vendor provides (SAML metadata XML, a PEM or DER certificate, an SVG or PNG logo under 256 KiB).",
            AdminCode::Unavailable => "Sesame cannot reach its database right now; try again in a few seconds and check the database server.",
            AdminCode::Internal => "Look the correlation id up in the server log and report it.",
            AdminCode::PasswordPolicy => "Choose a new password that meets the rule named in the message: long enough, without a common password, a word banned by the organisation or the user name, and typed the same twice.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_documented() {
        let docs = include_str!("../../../../docs/errors.md");
        let mut seen = std::collections::HashSet::new();
        for c in AdminCode::ALL {
            assert!(seen.insert(c.code()), "{} twice", c.code());
            assert!(
                docs.contains(&format!("## {}", c.code())),
                "{} not in docs/errors.md",
                c.code()
            );
        }
    }
}
