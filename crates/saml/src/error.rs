//! The one error type of `sesame-saml`. Every message names what was wrong in words an
//! administrator can act on ("AuthnRequest has no Issuer").

use thiserror::Error;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while reading, writing, signing or verifying SAML.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    // ---- XML front ----
    /// The input is not well-formed XML (or not UTF-8).
    #[error("XML is malformed: {0}")]
    MalformedXml(String),
    /// The input has a document type declaration (DTD) or an entity declaration.
    #[error("XML with a DTD or an entity declaration is refused (SAML never needs one)")]
    Dtd,
    /// A processing instruction where none is allowed.
    #[error("XML processing instructions are refused in SAML messages")]
    ProcessingInstruction,
    /// The input is larger than allowed.
    #[error("XML input is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    /// The input nests elements deeper than allowed.
    #[error("XML nests elements deeper than {0} levels")]
    TooDeep(usize),
    /// The input has more nodes than allowed.
    #[error("XML has more than {0} nodes")]
    TooManyNodes(u32),
    /// Two elements carry the same ID: refused because it is how signature wrapping works.
    #[error("two elements carry the same ID \"{0}\"; IDs must be unique")]
    DuplicateId(String),

    // ---- SAML structure ----
    /// A required element or attribute is missing: "AuthnRequest has no Issuer".
    #[error("{element} has no {what}")]
    Missing {
        element: &'static str,
        what: &'static str,
    },
    /// A value is present but invalid: "AuthnRequest has an invalid IssueInstant: ...".
    #[error("{element} has an invalid {what}: {detail}")]
    Invalid {
        element: &'static str,
        what: &'static str,
        detail: String,
    },
    /// The document is not the message that was expected.
    #[error("expected a {expected} element, found {found}")]
    UnexpectedElement {
        expected: &'static str,
        found: String,
    },
    /// An unsupported SAML version.
    #[error("{element} has Version \"{version}\"; only SAML 2.0 is supported")]
    UnsupportedVersion {
        element: &'static str,
        version: String,
    },

    // ---- encodings and bindings ----
    /// Base64 that does not decode.
    #[error("{what} is not valid base64: {detail}")]
    Base64 { what: &'static str, detail: String },
    /// A DEFLATE stream that inflates beyond the limit.
    #[error("DEFLATE data inflates beyond {} KiB", .0 / 1024)]
    InflateTooLarge(usize),
    /// A DEFLATE stream that is corrupt or truncated.
    #[error("DEFLATE data is corrupt or truncated: {0}")]
    Deflate(String),
    /// A binding-level problem (missing parameter, bad URL encoding, ...).
    #[error("{0}")]
    Binding(String),

    // ---- crypto ----
    /// A private key that cannot be used.
    #[error("private key: {0}")]
    Key(String),
    /// A certificate that cannot be read or used.
    #[error("certificate: {0}")]
    Certificate(String),
    /// An algorithm URI we do not accept.
    #[error("unsupported or disallowed algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// Signature creation or verification failed; the message says which check.
    #[error("signature: {0}")]
    Signature(String),

    // ---- time ----
    /// An xs:dateTime that does not parse.
    #[error("invalid xs:dateTime \"{0}\" (expected e.g. 2024-01-31T12:00:00Z)")]
    DateTime(String),
}

impl From<roxmltree::Error> for Error {
    fn from(e: roxmltree::Error) -> Self {
        match e {
            roxmltree::Error::DtdDetected => Error::Dtd,
            roxmltree::Error::NodesLimitReached => Error::TooManyNodes(0),
            roxmltree::Error::EntityReferenceLoop(_) => Error::Dtd,
            other => Error::MalformedXml(other.to_string()),
        }
    }
}

/// At most `max` bytes of `s` (cut at a character boundary, `…` added when cut): how a
/// value taken from a message is quoted in an error, so that a huge value cannot make a
/// huge error.
pub fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
