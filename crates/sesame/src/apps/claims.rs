//! The claims engine ("Attributes & Claims"): the Unique User Identifier (NameID), the
//! claims of an application, group claims and the role claim; one expression grammar for
//! the CLI, the API and the gallery; evaluation for the SSO hot path.
//!
//! # Expressions
//!
//! One grammar everywhere ([`parse_expression`]):
//!
//! ```text
//! expr      := attribute | constant | call
//! attribute := user.NAME               user.mail, user.extensionattribute7 (case-insensitive)
//! constant  := "text"                  \" and \\ are the only escapes
//! call      := Function(expr, …)       ToLowercase(ExtractMailPrefix(user.mail))
//! ```
//!
//! Functions (modelled on Azure AD's claim transformations; names are case-insensitive,
//! printed canonically by `Display`):
//!
//! | function | result |
//! | --- | --- |
//! | `ToLowercase(x)`, `ToUppercase(x)` | each value of `x`, case-mapped (Unicode) |
//! | `ExtractMailPrefix(x)` | each value of `x` up to its last `@` (unchanged without one) |
//! | `Join(a, sep, b)` | `a + sep + b`; when one of `a`, `b` is empty, the other alone (no separator); both empty: empty. Multi-valued `a`: each of its values joined with `b`'s first value |
//! | `Contains(x, "v", out)` | `out` when some value of `x` contains `v`, else empty; an optional fourth argument is emitted instead when the test fails (Azure's "otherwise") |
//! | `StartWith(x, "v", out)`, `EndWith(x, "v", out)` | the same test with a prefix / suffix |
//! | `RegexReplace(x, "pattern", "replacement")` | each value of `x` with every match replaced (`$1`, `${name}` refer to groups) |
//!
//! Tests compare case-sensitively (chain `ToLowercase` to ignore case). An empty result
//! leaves the claim out: a claim is never sent empty.
//!
//! RegexReplace's pattern and replacement must be quoted constants: the pattern is
//! compiled once when the expression is parsed, with a compiled-program size limit of
//! [`REGEX_SIZE_LIMIT`] and a lazy-DFA cache limit of [`REGEX_DFA_SIZE_LIMIT`]. The
//! `regex` crate matches in time linear in the input (no backtracking), and every value is
//! at most [`MAX_VALUE_LEN`] bytes (longer intermediate values are dropped), so one
//! evaluation is bounded in time and memory whatever the pattern.
//!
//! # Storage and defaults
//!
//! Claims are rows of `app_claims` (canonical expression text in `source`); the NameID is
//! `apps.nameid_source` (an expression) and `apps.nameid_format`; group claims are a row of
//! `app_group_claims`. Every application has explicit claim rows: new apps get the four
//! default claims when created (in the same transaction), and migration 0002 gave every
//! app created before it the same four rows. An app without rows therefore sends no
//! claims (the administrator removed them all), which is a legitimate configuration.

use super::{App, AppError};
use crate::directory::{Group, User};
use crate::store::{Store, StoreError, StoreResult};
use crate::tenant::{MasterKey, Tenant};
use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sesame_saml::messages::response::Attribute;
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use thiserror::Error;

/// Namespace of the default claims.
pub const DEFAULT_NAMESPACE: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims";
/// Default name of the group claim.
pub const GROUPS_CLAIM: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups";
/// The claim that replaces the groups beyond [`MAX_GROUPS`] (Azure AD's overage claim).
pub const GROUPS_LINK_CLAIM: &str = "http://schemas.microsoft.com/claims/groups.link";
/// The role claim.
pub const ROLE_CLAIM: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role";
/// Most groups one assertion carries; beyond, [`GROUPS_LINK_CLAIM`] replaces them.
pub const MAX_GROUPS: usize = 150;
/// Compiled-program size limit of a RegexReplace pattern, bytes.
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// Lazy-DFA cache limit of a RegexReplace pattern, bytes.
pub const REGEX_DFA_SIZE_LIMIT: usize = 1024 * 1024;
/// Longest expression, characters.
pub const MAX_EXPRESSION_LEN: usize = 2048;
/// Deepest nesting of calls.
pub const MAX_DEPTH: usize = 16;
/// Longest value a transformation may produce, bytes; longer ones are dropped.
pub const MAX_VALUE_LEN: usize = 16 * 1024;
/// Most claims an application may have.
pub const MAX_CLAIMS: usize = 100;
/// Longest claim name or namespace, characters.
pub const MAX_NAME_LEN: usize = 256;

const URI_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";
const BASIC_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";

// ---------------------------------------------------------------------------------------
// Errors

/// Errors of the claims engine: expressions and claim values. Each names what is wrong
/// and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ClaimError {
    /// Nothing to parse.
    #[error("the expression is empty; give a source attribute (user.mail), a quoted constant (\"text\") or a transformation (ToLowercase(user.mail))")]
    Empty,
    /// Not the grammar.
    #[error("expression {expr:?}, at character {at}: {message}")]
    Syntax {
        /// The expression.
        expr: String,
        /// 1-based character position.
        at: usize,
        /// What was expected.
        message: String,
    },
    /// A `user.…` name that is not a source attribute.
    #[error(
        "unknown source attribute {name}; the source attributes are: {}",
        attribute_list()
    )]
    UnknownAttribute {
        /// As written.
        name: String,
    },
    /// A call of something that is not a function.
    #[error("unknown function {name}; the functions are: {}", function_list())]
    UnknownFunction {
        /// As written.
        name: String,
    },
    /// Wrong number of arguments.
    #[error("{function} takes {expected} argument(s), not {got}: {usage}")]
    Arity {
        /// Canonical name.
        function: &'static str,
        /// "1", "3", "3 or 4".
        expected: &'static str,
        /// How many were given.
        got: usize,
        /// The usage line.
        usage: &'static str,
    },
    /// An argument that must be a quoted constant is not.
    #[error("{function}: the {argument} must be a quoted constant (\"…\"): {usage}")]
    NotConstant {
        /// Canonical function name.
        function: &'static str,
        /// Which argument.
        argument: &'static str,
        /// The usage line.
        usage: &'static str,
    },
    /// A RegexReplace pattern that does not compile (or is too large).
    #[error("RegexReplace pattern {pattern:?}: {reason}")]
    Regex {
        /// The pattern.
        pattern: String,
        /// Why.
        reason: String,
    },
    /// Too long.
    #[error("the expression is longer than {MAX_EXPRESSION_LEN} characters")]
    TooLong,
    /// Too deep.
    #[error("the expression nests calls deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A claim field (name, namespace, format) is refused.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why, and what is allowed.
        reason: String,
    },
}

impl From<ClaimError> for AppError {
    fn from(e: ClaimError) -> Self {
        let field = match &e {
            ClaimError::Invalid { field, .. } => field,
            _ => "claim source",
        };
        AppError::Invalid {
            field,
            reason: match e {
                ClaimError::Invalid { reason, .. } => reason,
                other => other.to_string(),
            },
        }
    }
}

// ---------------------------------------------------------------------------------------
// Source attributes

/// A user attribute an expression may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceAttribute {
    /// `user.userprincipalname`
    UserPrincipalName,
    /// `user.mail`
    Mail,
    /// `user.givenname`
    GivenName,
    /// `user.surname`
    Surname,
    /// `user.displayname`
    DisplayName,
    /// `user.objectid`
    ObjectId,
    /// `user.employeeid`
    EmployeeId,
    /// `user.department`
    Department,
    /// `user.jobtitle`
    JobTitle,
    /// `user.companyname`
    CompanyName,
    /// `user.mailnickname`: the mail alias. Sesame keeps no separate alias: it is the
    /// user principal name's part before `@`, as Azure AD sets it for a user created in
    /// its portal.
    MailNickname,
    /// `user.groups`: multi-valued; the groups the app's group-claim settings select
    /// (default: every group of the user, transitively, as object ids).
    Groups,
    /// `user.assignedroles`: multi-valued; the app roles the user holds (directly or
    /// through groups).
    AssignedRoles,
    /// `user.extensionattribute1` … `user.extensionattribute15`.
    ExtensionAttribute(u8),
}

const FIXED_ATTRIBUTES: &[(&str, SourceAttribute)] = &[
    ("user.userprincipalname", SourceAttribute::UserPrincipalName),
    ("user.mail", SourceAttribute::Mail),
    ("user.givenname", SourceAttribute::GivenName),
    ("user.surname", SourceAttribute::Surname),
    ("user.displayname", SourceAttribute::DisplayName),
    ("user.objectid", SourceAttribute::ObjectId),
    ("user.employeeid", SourceAttribute::EmployeeId),
    ("user.department", SourceAttribute::Department),
    ("user.jobtitle", SourceAttribute::JobTitle),
    ("user.companyname", SourceAttribute::CompanyName),
    ("user.mailnickname", SourceAttribute::MailNickname),
    ("user.groups", SourceAttribute::Groups),
    ("user.assignedroles", SourceAttribute::AssignedRoles),
];

fn attribute_list() -> String {
    let mut s: String = FIXED_ATTRIBUTES
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ");
    s.push_str(", user.extensionattribute1 … user.extensionattribute15");
    s
}

impl SourceAttribute {
    /// The attribute named `name` (`user.mail`; case-insensitive).
    pub fn parse(name: &str) -> Option<SourceAttribute> {
        let lower = name.trim().to_ascii_lowercase();
        if let Some((_, a)) = FIXED_ATTRIBUTES.iter().find(|(n, _)| *n == lower) {
            return Some(*a);
        }
        let n = lower.strip_prefix("user.extensionattribute")?;
        if n.starts_with('0') {
            return None;
        }
        match n.parse::<u8>() {
            Ok(i @ 1..=15) => Some(SourceAttribute::ExtensionAttribute(i)),
            _ => None,
        }
    }

    /// Every source attribute name, for help texts and portals.
    pub fn all_names() -> Vec<String> {
        let mut v: Vec<String> = FIXED_ATTRIBUTES
            .iter()
            .map(|(n, _)| (*n).to_owned())
            .collect();
        v.extend((1..=15).map(|i| format!("user.extensionattribute{i}")));
        v
    }

    /// Whether it has several values.
    pub fn is_multi_valued(self) -> bool {
        matches!(
            self,
            SourceAttribute::Groups | SourceAttribute::AssignedRoles
        )
    }
}

impl fmt::Display for SourceAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let SourceAttribute::ExtensionAttribute(i) = self {
            return write!(f, "user.extensionattribute{i}");
        }
        let name = FIXED_ATTRIBUTES
            .iter()
            .find(|(_, a)| a == self)
            .map_or("user.?", |(n, _)| n);
        f.write_str(name)
    }
}

// ---------------------------------------------------------------------------------------
// Expressions

/// A compiled RegexReplace pattern; compares by its text.
#[derive(Clone)]
pub struct Pattern {
    source: String,
    regex: regex::Regex,
}

impl Pattern {
    /// Compiles `source` within the size limits.
    pub fn new(source: &str) -> Result<Pattern, ClaimError> {
        let regex = regex::RegexBuilder::new(source)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
            .nest_limit(64)
            .build()
            .map_err(|e| ClaimError::Regex {
                pattern: source.to_owned(),
                reason: match e {
                    regex::Error::CompiledTooBig(n) => format!(
                        "compiles to more than the {n}-byte limit; simplify the pattern (Unicode classes such as \\w are large: (?-u:\\w) is the ASCII one)"
                    ),
                    other => other.to_string(),
                },
            })?;
        Ok(Pattern {
            source: source.to_owned(),
            regex,
        })
    }

    /// The pattern text.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}
impl Eq for Pattern {}

/// The arguments of Contains / StartWith / EndWith.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// What is tested.
    pub input: Expr,
    /// The needle, prefix or suffix.
    pub value: Expr,
    /// Emitted when the test holds.
    pub output: Expr,
    /// Emitted when it does not (optional fourth argument); otherwise empty.
    pub otherwise: Option<Expr>,
}

/// A transformation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `ToLowercase(x)`
    ToLowercase(Expr),
    /// `ToUppercase(x)`
    ToUppercase(Expr),
    /// `ExtractMailPrefix(x)`
    ExtractMailPrefix(Expr),
    /// `Join(a, sep, b)`
    Join {
        /// First input.
        left: Expr,
        /// Separator.
        separator: Expr,
        /// Second input.
        right: Expr,
    },
    /// `Contains(x, "needle", output[, otherwise])`
    Contains(Condition),
    /// `StartWith(x, "prefix", output[, otherwise])`
    StartWith(Condition),
    /// `EndWith(x, "suffix", output[, otherwise])`
    EndWith(Condition),
    /// `RegexReplace(x, "pattern", "replacement")`
    RegexReplace {
        /// Input.
        input: Expr,
        /// Compiled pattern.
        pattern: Pattern,
        /// Replacement (`$1`, `${name}` expand).
        replacement: String,
    },
}

/// A claim source: attribute, constant or transformation. `Display` prints the canonical
/// expression, which [`parse_expression`] reads back to an equal value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A user attribute.
    Attribute(SourceAttribute),
    /// A constant.
    Constant(String),
    /// A transformation.
    Call(Box<Call>),
}

struct FunctionSpec {
    name: &'static str,
    usage: &'static str,
    min: usize,
    max: usize,
    expected: &'static str,
}

const FUNCTIONS: &[FunctionSpec] = &[
    FunctionSpec {
        name: "ToLowercase",
        usage: "ToLowercase(x)",
        min: 1,
        max: 1,
        expected: "1",
    },
    FunctionSpec {
        name: "ToUppercase",
        usage: "ToUppercase(x)",
        min: 1,
        max: 1,
        expected: "1",
    },
    FunctionSpec {
        name: "ExtractMailPrefix",
        usage: "ExtractMailPrefix(x)",
        min: 1,
        max: 1,
        expected: "1",
    },
    FunctionSpec {
        name: "Join",
        usage: "Join(a, \"separator\", b)",
        min: 3,
        max: 3,
        expected: "3",
    },
    FunctionSpec {
        name: "Contains",
        usage: "Contains(x, \"needle\", output[, otherwise])",
        min: 3,
        max: 4,
        expected: "3 or 4",
    },
    FunctionSpec {
        name: "StartWith",
        usage: "StartWith(x, \"prefix\", output[, otherwise])",
        min: 3,
        max: 4,
        expected: "3 or 4",
    },
    FunctionSpec {
        name: "EndWith",
        usage: "EndWith(x, \"suffix\", output[, otherwise])",
        min: 3,
        max: 4,
        expected: "3 or 4",
    },
    FunctionSpec {
        name: "RegexReplace",
        usage: "RegexReplace(x, \"pattern\", \"replacement\")",
        min: 3,
        max: 3,
        expected: "3",
    },
];

fn function_list() -> String {
    FUNCTIONS
        .iter()
        .map(|f| f.usage)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Expr {
    /// A user attribute.
    pub fn attribute(a: SourceAttribute) -> Expr {
        Expr::Attribute(a)
    }

    /// A constant.
    pub fn constant(s: impl Into<String>) -> Expr {
        Expr::Constant(s.into())
    }

    /// `"attribute"`, `"constant"` or `"transform"` (the `source_kind` column).
    pub fn kind(&self) -> &'static str {
        match self {
            Expr::Attribute(_) => "attribute",
            Expr::Constant(_) => "constant",
            Expr::Call(_) => "transform",
        }
    }

    /// The attribute when the expression is exactly one.
    pub fn as_attribute(&self) -> Option<SourceAttribute> {
        match self {
            Expr::Attribute(a) => Some(*a),
            _ => None,
        }
    }

    /// Whether the expression reads `attr` anywhere.
    pub fn uses(&self, attr: SourceAttribute) -> bool {
        match self {
            Expr::Attribute(a) => *a == attr,
            Expr::Constant(_) => false,
            Expr::Call(c) => match &**c {
                Call::ToLowercase(x) | Call::ToUppercase(x) | Call::ExtractMailPrefix(x) => {
                    x.uses(attr)
                }
                Call::Join {
                    left,
                    separator,
                    right,
                } => left.uses(attr) || separator.uses(attr) || right.uses(attr),
                Call::Contains(c) | Call::StartWith(c) | Call::EndWith(c) => {
                    c.input.uses(attr)
                        || c.value.uses(attr)
                        || c.output.uses(attr)
                        || c.otherwise.as_ref().is_some_and(|o| o.uses(attr))
                }
                Call::RegexReplace { input, .. } => input.uses(attr),
            },
        }
    }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Attribute(a) => write!(f, "{a}"),
            Expr::Constant(s) => write_quoted(f, s),
            Expr::Call(c) => match &**c {
                Call::ToLowercase(x) => write!(f, "ToLowercase({x})"),
                Call::ToUppercase(x) => write!(f, "ToUppercase({x})"),
                Call::ExtractMailPrefix(x) => write!(f, "ExtractMailPrefix({x})"),
                Call::Join {
                    left,
                    separator,
                    right,
                } => write!(f, "Join({left}, {separator}, {right})"),
                Call::Contains(c) => write_condition(f, "Contains", c),
                Call::StartWith(c) => write_condition(f, "StartWith", c),
                Call::EndWith(c) => write_condition(f, "EndWith", c),
                Call::RegexReplace {
                    input,
                    pattern,
                    replacement,
                } => {
                    write!(f, "RegexReplace({input}, ")?;
                    write_quoted(f, pattern.as_str())?;
                    f.write_str(", ")?;
                    write_quoted(f, replacement)?;
                    f.write_str(")")
                }
            },
        }
    }
}

fn write_condition(f: &mut fmt::Formatter<'_>, name: &str, c: &Condition) -> fmt::Result {
    write!(f, "{name}({}, {}, {}", c.input, c.value, c.output)?;
    if let Some(o) = &c.otherwise {
        write!(f, ", {o}")?;
    }
    f.write_str(")")
}

impl FromStr for Expr {
    type Err = ClaimError;
    fn from_str(s: &str) -> Result<Expr, ClaimError> {
        parse_expression(s)
    }
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Expr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Expr, D::Error> {
        let text = String::deserialize(d)?;
        parse_expression(&text).map_err(serde::de::Error::custom)
    }
}

/// Parses an expression of the claims grammar (see the module documentation).
pub fn parse_expression(text: &str) -> Result<Expr, ClaimError> {
    if text.chars().count() > MAX_EXPRESSION_LEN {
        return Err(ClaimError::TooLong);
    }
    if text.trim().is_empty() {
        return Err(ClaimError::Empty);
    }
    let mut p = Parser {
        text,
        chars: text.char_indices().collect(),
        pos: 0,
    };
    let e = p.expr(0)?;
    p.skip_ws();
    if p.pos < p.chars.len() {
        return Err(p.syntax("unexpected text after the expression"));
    }
    Ok(e)
}

struct Parser<'t> {
    text: &'t str,
    chars: Vec<(usize, char)>,
    pos: usize,
}

impl Parser<'_> {
    fn syntax(&self, message: impl Into<String>) -> ClaimError {
        ClaimError::Syntax {
            expr: self.text.to_owned(),
            at: self.pos + 1,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).map(|(_, c)| *c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, ClaimError> {
        if depth > MAX_DEPTH {
            return Err(ClaimError::TooDeep);
        }
        self.skip_ws();
        match self.peek() {
            None => Err(self.syntax(
                "expected a source attribute (user.mail), a quoted constant or a function call",
            )),
            Some('"') => self.constant().map(Expr::Constant),
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.pos;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                {
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().map(|(_, c)| c).collect();
                self.skip_ws();
                if self.peek() == Some('(') {
                    self.pos += 1;
                    return self.call(&word, start, depth);
                }
                if word.to_ascii_lowercase().starts_with("user.") {
                    return SourceAttribute::parse(&word)
                        .map(Expr::Attribute)
                        .ok_or(ClaimError::UnknownAttribute { name: word });
                }
                if FUNCTIONS.iter().any(|f| f.name.eq_ignore_ascii_case(&word)) {
                    return Err(self.syntax(format!("expected ( after {word}")));
                }
                Err(ClaimError::UnknownAttribute { name: word })
            }
            Some(c) => Err(self.syntax(format!(
                "unexpected {c:?}; expected a source attribute (user.mail), a quoted constant or a function call"
            ))),
        }
    }

    fn constant(&mut self) -> Result<String, ClaimError> {
        // At the opening quote.
        self.pos += 1;
        let mut s = String::new();
        loop {
            match self.peek() {
                None => return Err(self.syntax("unterminated constant: a closing \" is missing")),
                Some('"') => {
                    self.pos += 1;
                    return Ok(s);
                }
                Some('\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c @ ('"' | '\\')) => {
                            s.push(c);
                            self.pos += 1;
                        }
                        _ => {
                            return Err(self.syntax(
                                "unknown escape in a constant: only \\\" and \\\\ are allowed",
                            ))
                        }
                    }
                }
                Some(c) => {
                    s.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn call(&mut self, name: &str, start: usize, depth: usize) -> Result<Expr, ClaimError> {
        let Some(spec) = FUNCTIONS.iter().find(|f| f.name.eq_ignore_ascii_case(name)) else {
            let _ = start;
            return Err(ClaimError::UnknownFunction {
                name: name.to_owned(),
            });
        };
        let mut args: Vec<Expr> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
        } else {
            loop {
                args.push(self.expr(depth + 1)?);
                self.skip_ws();
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => {
                        return Err(self
                            .syntax(format!("expected , or ) in the arguments of {}", spec.name)))
                    }
                }
            }
        }
        if args.len() < spec.min || args.len() > spec.max {
            return Err(ClaimError::Arity {
                function: spec.name,
                expected: spec.expected,
                got: args.len(),
                usage: spec.usage,
            });
        }
        build_call(spec, args)
    }
}

fn build_call(spec: &FunctionSpec, args: Vec<Expr>) -> Result<Expr, ClaimError> {
    let mut it = args.into_iter();
    let mut next = || it.next().unwrap_or(Expr::Constant(String::new()));
    let call = match spec.name {
        "ToLowercase" => Call::ToLowercase(next()),
        "ToUppercase" => Call::ToUppercase(next()),
        "ExtractMailPrefix" => Call::ExtractMailPrefix(next()),
        "Join" => Call::Join {
            left: next(),
            separator: next(),
            right: next(),
        },
        "RegexReplace" => {
            let input = next();
            let Expr::Constant(pattern) = next() else {
                return Err(ClaimError::NotConstant {
                    function: spec.name,
                    argument: "pattern (second argument)",
                    usage: spec.usage,
                });
            };
            let Expr::Constant(replacement) = next() else {
                return Err(ClaimError::NotConstant {
                    function: spec.name,
                    argument: "replacement (third argument)",
                    usage: spec.usage,
                });
            };
            Call::RegexReplace {
                input,
                pattern: Pattern::new(&pattern)?,
                replacement,
            }
        }
        name => {
            let input = next();
            let value = next();
            let output = next();
            let otherwise = it.next();
            let c = Condition {
                input,
                value,
                output,
                otherwise,
            };
            match name {
                "Contains" => Call::Contains(c),
                "StartWith" => Call::StartWith(c),
                _ => Call::EndWith(c),
            }
        }
    };
    Ok(Expr::Call(Box::new(call)))
}

// ---------------------------------------------------------------------------------------
// Claims, NameID, group claims

/// SAML `NameFormat` of an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameFormat {
    /// No `NameFormat` attribute (SAML's default, unspecified), as Azure AD sends.
    #[default]
    Unspecified,
    /// `urn:oasis:names:tc:SAML:2.0:attrname-format:uri`
    Uri,
    /// `urn:oasis:names:tc:SAML:2.0:attrname-format:basic`
    Basic,
}

impl NameFormat {
    /// `unspecified` | `uri` | `basic`.
    pub fn as_str(self) -> &'static str {
        match self {
            NameFormat::Unspecified => "unspecified",
            NameFormat::Uri => "uri",
            NameFormat::Basic => "basic",
        }
    }

    /// The `NameFormat` URI sent, `None` for unspecified.
    pub fn uri(self) -> Option<&'static str> {
        match self {
            NameFormat::Unspecified => None,
            NameFormat::Uri => Some(URI_FORMAT),
            NameFormat::Basic => Some(BASIC_FORMAT),
        }
    }
}

impl FromStr for NameFormat {
    type Err = ClaimError;
    fn from_str(s: &str) -> Result<Self, ClaimError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "unspecified" | "urn:oasis:names:tc:saml:2.0:attrname-format:unspecified" => {
                Ok(NameFormat::Unspecified)
            }
            "uri" | "urn:oasis:names:tc:saml:2.0:attrname-format:uri" => Ok(NameFormat::Uri),
            "basic" | "urn:oasis:names:tc:saml:2.0:attrname-format:basic" => Ok(NameFormat::Basic),
            _ => Err(ClaimError::Invalid {
                field: "name format",
                reason: format!("{s:?} is not one of unspecified, uri, basic"),
            }),
        }
    }
}

impl fmt::Display for NameFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for NameFormat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for NameFormat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// One claim of an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// Name (`givenname`, `uid`, `urn:oid:0.9.2342.19200300.100.1.3`).
    pub name: String,
    /// Namespace; `""` gives the bare name (Webex's `uid`).
    #[serde(default)]
    pub namespace: String,
    /// NameFormat.
    #[serde(default)]
    pub name_format: NameFormat,
    /// Source: attribute, constant or transformation.
    pub source: Expr,
}

impl Claim {
    /// A claim with the unspecified name format.
    pub fn new(namespace: &str, name: &str, source: Expr) -> Claim {
        Claim {
            name: name.to_owned(),
            namespace: namespace.to_owned(),
            name_format: NameFormat::Unspecified,
            source,
        }
    }

    /// The attribute `Name` sent: `namespace/name`, or `name` when the namespace is empty
    /// (a namespace ending with `/` is not doubled).
    pub fn full_name(&self) -> String {
        full_name(&self.namespace, &self.name)
    }

    /// Whether [`Claim::full_name`] is `target`, without building it.
    pub fn has_full_name(&self, target: &str) -> bool {
        let ns = self.namespace.as_str();
        if ns.is_empty() {
            return self.name == target;
        }
        let rest = target.strip_prefix(ns).and_then(|r| {
            if ns.ends_with('/') {
                Some(r)
            } else {
                r.strip_prefix('/')
            }
        });
        rest == Some(self.name.as_str())
    }
}

fn full_name(namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        name.to_owned()
    } else if namespace.ends_with('/') {
        format!("{namespace}{name}")
    } else {
        format!("{namespace}/{name}")
    }
}

/// The default claims of a new application (Azure AD's): givenname, surname,
/// emailaddress, name under [`DEFAULT_NAMESPACE`].
pub fn default_claims() -> Vec<Claim> {
    [
        ("givenname", SourceAttribute::GivenName),
        ("surname", SourceAttribute::Surname),
        ("emailaddress", SourceAttribute::Mail),
        ("name", SourceAttribute::UserPrincipalName),
    ]
    .into_iter()
    .map(|(n, a)| Claim::new(DEFAULT_NAMESPACE, n, Expr::Attribute(a)))
    .collect()
}

/// NameID formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameIdFormat {
    /// The default format of the source: emailAddress for `user.mail` and
    /// `user.userprincipalname`, unspecified otherwise. A request's NameIDPolicy may ask
    /// for persistent or transient.
    Default,
    /// `urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress`
    #[default]
    EmailAddress,
    /// `urn:oasis:names:tc:SAML:2.0:nameid-format:persistent`: a stable pseudonymous
    /// identifier per application (not the source attribute).
    Persistent,
    /// `urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified`
    Unspecified,
    /// `urn:oasis:names:tc:SAML:2.0:nameid-format:transient`: a new random value for
    /// every sign-in.
    Transient,
    /// `urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName`
    WindowsDomainQualifiedName,
}

/// emailAddress.
pub const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
/// persistent.
pub const NAMEID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
/// transient.
pub const NAMEID_TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
/// unspecified.
pub const NAMEID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
/// WindowsDomainQualifiedName.
pub const NAMEID_WINDOWS: &str =
    "urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName";

const NAMEID_FORMATS: &[(&str, NameIdFormat, &str)] = &[
    ("default", NameIdFormat::Default, "default"),
    ("emailAddress", NameIdFormat::EmailAddress, NAMEID_EMAIL),
    ("persistent", NameIdFormat::Persistent, NAMEID_PERSISTENT),
    ("unspecified", NameIdFormat::Unspecified, NAMEID_UNSPECIFIED),
    ("transient", NameIdFormat::Transient, NAMEID_TRANSIENT),
    (
        "windowsDomainQualifiedName",
        NameIdFormat::WindowsDomainQualifiedName,
        NAMEID_WINDOWS,
    ),
];

impl NameIdFormat {
    /// The CLI name: `default`, `emailAddress`, `persistent`, `unspecified`, `transient`,
    /// `windowsDomainQualifiedName`.
    pub fn as_str(self) -> &'static str {
        NAMEID_FORMATS
            .iter()
            .find(|(_, f, _)| *f == self)
            .map_or("default", |(n, _, _)| n)
    }

    /// What `apps.nameid_format` stores: the format URI, or `default`.
    pub fn stored(self) -> &'static str {
        NAMEID_FORMATS
            .iter()
            .find(|(_, f, _)| *f == self)
            .map_or("default", |(_, _, u)| u)
    }

    /// The format URI sent for `source` when the request does not ask for one.
    pub fn uri_for(self, source: &Expr) -> &'static str {
        match self {
            NameIdFormat::Default => match source.as_attribute() {
                Some(SourceAttribute::Mail | SourceAttribute::UserPrincipalName) => NAMEID_EMAIL,
                _ => NAMEID_UNSPECIFIED,
            },
            other => other.stored(),
        }
    }

    /// Parses a CLI name (case-insensitive) or a format URI.
    pub fn parse(s: &str) -> Result<NameIdFormat, ClaimError> {
        let t = s.trim();
        NAMEID_FORMATS
            .iter()
            .find(|(n, _, u)| n.eq_ignore_ascii_case(t) || *u == t)
            .map(|(_, f, _)| *f)
            .ok_or_else(|| ClaimError::Invalid {
                field: "NameID format",
                reason: format!(
                    "{s:?} is not one of default, emailAddress, persistent, unspecified, transient, windowsDomainQualifiedName"
                ),
            })
    }
}

impl FromStr for NameIdFormat {
    type Err = ClaimError;
    fn from_str(s: &str) -> Result<Self, ClaimError> {
        NameIdFormat::parse(s)
    }
}

impl fmt::Display for NameIdFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for NameIdFormat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for NameIdFormat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        NameIdFormat::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// The Unique User Identifier (NameID) of an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameIdConfig {
    /// Source (an expression; usually an attribute).
    pub source: Expr,
    /// Format.
    pub format: NameIdFormat,
}

impl Default for NameIdConfig {
    /// `user.userprincipalname`, emailAddress.
    fn default() -> Self {
        NameIdConfig {
            source: Expr::Attribute(SourceAttribute::UserPrincipalName),
            format: NameIdFormat::EmailAddress,
        }
    }
}

impl NameIdConfig {
    /// The format URI sent when the request does not ask for one.
    pub fn format_uri(&self) -> &'static str {
        self.format.uri_for(&self.source)
    }
}

/// Which groups a group claim carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupScope {
    /// Every group the user belongs to, transitively.
    All,
    /// Only those of them assigned to the application.
    AssignedToApp,
}

/// How a group is written in a group claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupEmit {
    /// Its object id.
    ObjectId,
    /// Its name.
    Name,
}

/// The group claim of an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupClaims {
    /// Which groups.
    pub scope: GroupScope,
    /// Ids or names.
    pub emit: GroupEmit,
    /// Claim name (default [`GROUPS_CLAIM`]).
    pub claim_name: String,
}

impl GroupClaims {
    /// Group claims with the default claim name.
    pub fn new(scope: GroupScope, emit: GroupEmit) -> GroupClaims {
        GroupClaims {
            scope,
            emit,
            claim_name: GROUPS_CLAIM.to_owned(),
        }
    }
}

impl GroupScope {
    fn as_str(self) -> &'static str {
        match self {
            GroupScope::All => "all",
            GroupScope::AssignedToApp => "assigned",
        }
    }
}

impl GroupEmit {
    fn as_str(self) -> &'static str {
        match self {
            GroupEmit::ObjectId => "id",
            GroupEmit::Name => "name",
        }
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation

/// What evaluation reads: the user, their groups (transitive), the groups assigned to the
/// app, the app roles the user holds, the app's group-claim settings and the public URL
/// (for the groups.link claim).
#[derive(Debug, Clone, Copy)]
pub struct ClaimContext<'a> {
    /// The user.
    pub user: &'a User,
    /// The user's groups, transitively (empty when not loaded: not needed).
    pub groups: &'a [Group],
    /// Object ids of the groups assigned to the application.
    pub app_groups: &'a [String],
    /// The app roles the user holds (`""`, Default Access, is ignored).
    pub roles: &'a [String],
    /// The app's group-claim settings.
    pub group_claims: Option<&'a GroupClaims>,
    /// The tenant's public URL (no trailing slash).
    pub public_url: &'a str,
}

/// Values of an expression: borrowed from the context when possible.
#[derive(Debug)]
enum Vals<'a> {
    One(Cow<'a, str>),
    Many(Vec<Cow<'a, str>>),
}

impl<'a> Vals<'a> {
    const EMPTY: Vals<'static> = Vals::Many(Vec::new());

    fn first(&self) -> &str {
        match self {
            Vals::One(v) => v,
            Vals::Many(v) => v.first().map_or("", |s| s),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Vals::One(v) => v.is_empty(),
            Vals::Many(v) => v.iter().all(|s| s.is_empty()),
        }
    }

    fn any(&self, mut f: impl FnMut(&str) -> bool) -> bool {
        match self {
            Vals::One(v) => f(v),
            Vals::Many(v) => v.iter().any(|s| f(s)),
        }
    }

    fn map(self, mut f: impl FnMut(Cow<'a, str>) -> Cow<'a, str>) -> Vals<'a> {
        let capped = |v: Cow<'a, str>| -> Option<Cow<'a, str>> {
            (v.len() <= MAX_VALUE_LEN && !v.is_empty()).then_some(v)
        };
        match self {
            Vals::One(v) => capped(f(v)).map_or(Vals::EMPTY, Vals::One),
            Vals::Many(v) => Vals::Many(v.into_iter().filter_map(|s| capped(f(s))).collect()),
        }
    }

    fn into_strings(self) -> Vec<String> {
        match self {
            Vals::One(v) if v.is_empty() => Vec::new(),
            Vals::One(v) => vec![v.into_owned()],
            Vals::Many(v) => v
                .into_iter()
                .filter(|s| !s.is_empty())
                .map(Cow::into_owned)
                .collect(),
        }
    }
}

struct Env<'a> {
    ctx: &'a ClaimContext<'a>,
    /// The groups `user.groups` yields, or `None` past [`MAX_GROUPS`] (overage).
    groups: Option<Vec<&'a str>>,
}

fn str_attr<'a>(s: &'a str) -> Vals<'a> {
    if s.is_empty() {
        Vals::EMPTY
    } else {
        Vals::One(Cow::Borrowed(s))
    }
}

fn eval<'a>(e: &'a Expr, env: &Env<'a>) -> Vals<'a> {
    let u = env.ctx.user;
    match e {
        Expr::Constant(s) => str_attr(s),
        Expr::Attribute(a) => match a {
            SourceAttribute::UserPrincipalName => str_attr(&u.upn),
            SourceAttribute::Mail => str_attr(&u.mail),
            SourceAttribute::GivenName => str_attr(&u.given_name),
            SourceAttribute::Surname => str_attr(&u.surname),
            SourceAttribute::DisplayName => str_attr(&u.display_name),
            SourceAttribute::ObjectId => str_attr(&u.id),
            SourceAttribute::EmployeeId => str_attr(&u.employee_id),
            SourceAttribute::Department => str_attr(&u.department),
            SourceAttribute::JobTitle => str_attr(&u.job_title),
            SourceAttribute::CompanyName => str_attr(&u.company_name),
            SourceAttribute::MailNickname => {
                str_attr(u.upn.rsplit_once('@').map_or(u.upn.as_str(), |(p, _)| p))
            }
            SourceAttribute::ExtensionAttribute(i) => u
                .extension_attributes
                .get(&format!("extensionattribute{i}"))
                .map_or(Vals::EMPTY, |v| str_attr(v)),
            SourceAttribute::Groups => match &env.groups {
                Some(g) => Vals::Many(g.iter().map(|s| Cow::Borrowed(*s)).collect()),
                None => Vals::EMPTY,
            },
            SourceAttribute::AssignedRoles => Vals::Many(
                named_roles(env.ctx.roles)
                    .into_iter()
                    .map(Cow::Borrowed)
                    .collect(),
            ),
        },
        Expr::Call(c) => eval_call(c, env),
    }
}

fn eval_call<'a>(c: &'a Call, env: &Env<'a>) -> Vals<'a> {
    match c {
        Call::ToLowercase(x) => eval(x, env).map(|v| {
            if v.chars().any(|c| c.is_uppercase()) {
                Cow::Owned(v.to_lowercase())
            } else {
                v
            }
        }),
        Call::ToUppercase(x) => eval(x, env).map(|v| {
            if v.chars().any(|c| c.is_lowercase()) {
                Cow::Owned(v.to_uppercase())
            } else {
                v
            }
        }),
        Call::ExtractMailPrefix(x) => eval(x, env).map(|v| match v.rfind('@') {
            None => v,
            Some(i) => match v {
                Cow::Borrowed(s) => Cow::Borrowed(&s[..i]),
                Cow::Owned(mut s) => {
                    s.truncate(i);
                    Cow::Owned(s)
                }
            },
        }),
        Call::Join {
            left,
            separator,
            right,
        } => {
            let sep = eval(separator, env);
            let r = eval(right, env);
            let l = eval(left, env);
            let (sep, r) = (sep.first(), r.first());
            if l.is_empty() {
                return if r.is_empty() {
                    Vals::EMPTY
                } else {
                    Vals::One(Cow::Owned(r.to_owned()))
                };
            }
            l.map(|v| {
                if r.is_empty() {
                    v
                } else {
                    let mut s = String::with_capacity(v.len() + sep.len() + r.len());
                    s.push_str(&v);
                    s.push_str(sep);
                    s.push_str(r);
                    Cow::Owned(s)
                }
            })
        }
        Call::Contains(c) => condition(c, env, |v, needle| v.contains(needle)),
        Call::StartWith(c) => condition(c, env, |v, p| v.starts_with(p)),
        Call::EndWith(c) => condition(c, env, |v, s| v.ends_with(s)),
        Call::RegexReplace {
            input,
            pattern,
            replacement,
        } => eval(input, env).map(|v| match v {
            Cow::Borrowed(s) => pattern.regex.replace_all(s, replacement.as_str()),
            Cow::Owned(s) => Cow::Owned(
                pattern
                    .regex
                    .replace_all(&s, replacement.as_str())
                    .into_owned(),
            ),
        }),
    }
}

fn condition<'a>(c: &'a Condition, env: &Env<'a>, test: fn(&str, &str) -> bool) -> Vals<'a> {
    let value = eval(&c.value, env);
    let needle = value.first();
    let holds = eval(&c.input, env).any(|v| !v.is_empty() && test(v, needle));
    if holds {
        eval(&c.output, env)
    } else if let Some(o) = &c.otherwise {
        eval(o, env)
    } else {
        Vals::EMPTY
    }
}

fn named_roles(roles: &[String]) -> Vec<&str> {
    let mut v: Vec<&str> = roles
        .iter()
        .map(String::as_str)
        .filter(|r| !r.is_empty())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The groups the context's settings select, as ids or names; `None` past
/// [`MAX_GROUPS`].
fn scoped_groups<'a>(ctx: &'a ClaimContext<'a>) -> Option<Vec<&'a str>> {
    let (scope, emit) = ctx
        .group_claims
        .map_or((GroupScope::All, GroupEmit::ObjectId), |g| {
            (g.scope, g.emit)
        });
    let v: Vec<&str> = ctx
        .groups
        .iter()
        .filter(|g| scope == GroupScope::All || ctx.app_groups.contains(&g.id))
        .map(|g| match emit {
            GroupEmit::ObjectId => g.id.as_str(),
            GroupEmit::Name => g.name.as_str(),
        })
        .collect();
    (v.len() <= MAX_GROUPS).then_some(v)
}

/// The value of the groups.link claim for `ctx`'s user.
pub fn groups_link(ctx: &ClaimContext<'_>) -> String {
    format!(
        "{}/api/v1/users/{}/groups",
        ctx.public_url.trim_end_matches('/'),
        ctx.user.id
    )
}

/// Evaluates `claims` for `ctx`, then adds the group claim (when on) and the role claim
/// (when the user holds a named app role), unless a configured claim has the same name.
/// A claim whose value is empty is left out. Past [`MAX_GROUPS`] groups, every group-
/// carrying claim is replaced by one [`GROUPS_LINK_CLAIM`] pointing at the user's groups.
pub fn evaluate(ctx: &ClaimContext<'_>, claims: &[Claim]) -> Vec<Attribute> {
    let needs_groups = ctx.group_claims.is_some()
        || claims
            .iter()
            .any(|c| c.source.uses(SourceAttribute::Groups));
    let env = Env {
        ctx,
        groups: if needs_groups {
            scoped_groups(ctx)
        } else {
            Some(Vec::new())
        },
    };
    let overage = env.groups.is_none();
    let mut link = false;
    let mut out: Vec<Attribute> = Vec::with_capacity(claims.len() + 2);
    for c in claims {
        if overage && c.source.uses(SourceAttribute::Groups) {
            link = true;
            continue;
        }
        let values = eval(&c.source, &env).into_strings();
        if values.is_empty() {
            continue;
        }
        out.push(Attribute {
            name: c.full_name(),
            name_format: c.name_format.uri().map(str::to_owned),
            friendly_name: None,
            values,
        });
    }
    if let Some(gc) = ctx.group_claims {
        if !out.iter().any(|a| a.name == gc.claim_name) {
            match &env.groups {
                None => link = true,
                Some(g) if !g.is_empty() => out.push(Attribute::new(
                    gc.claim_name.clone(),
                    g.iter().map(|s| (*s).to_owned()).collect(),
                )),
                Some(_) => {}
            }
        }
    }
    if link {
        out.push(Attribute::new(GROUPS_LINK_CLAIM, vec![groups_link(ctx)]));
    }
    let roles = named_roles(ctx.roles);
    if !roles.is_empty() && !claims.iter().any(|c| c.has_full_name(ROLE_CLAIM)) {
        out.push(Attribute::new(
            ROLE_CLAIM,
            roles.into_iter().map(str::to_owned).collect(),
        ));
    }
    out
}

/// The first value of `expr` for `ctx` (empty when none).
pub fn evaluate_one(ctx: &ClaimContext<'_>, expr: &Expr) -> String {
    let env = Env {
        ctx,
        groups: if expr.uses(SourceAttribute::Groups) {
            scoped_groups(ctx)
        } else {
            Some(Vec::new())
        },
    };
    eval(expr, &env).first().to_owned()
}

// ---------------------------------------------------------------------------------------
// Persistent NameID

/// The key of an application's persistent NameIDs: HMAC-SHA256 keyed by
/// HMAC-SHA256(tenant secret, app id), where the tenant secret is derived (HKDF-SHA256)
/// from the master key and the tenant id. Stable across sessions and restarts; different
/// between two applications; reveals nothing about the user without the master key.
#[derive(Clone)]
pub struct PersistentKey(hmac::Key);

impl fmt::Debug for PersistentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersistentKey(…)")
    }
}

impl PersistentKey {
    /// The key of `app_id` in `tenant_id`.
    pub fn derive(master: &MasterKey, tenant_id: &str, app_id: &str) -> PersistentKey {
        let secret = master.derive_key(&format!("sesame persistent nameid v1 {tenant_id}"));
        PersistentKey::from_secret(&secret, app_id)
    }

    /// The key of `app_id` under a tenant secret.
    pub fn from_secret(tenant_secret: &[u8], app_id: &str) -> PersistentKey {
        let tenant = hmac::Key::new(hmac::HMAC_SHA256, tenant_secret);
        let app_key = hmac::sign(&tenant, app_id.as_bytes());
        PersistentKey(hmac::Key::new(hmac::HMAC_SHA256, app_key.as_ref()))
    }

    /// The persistent NameID of `user_id`: base64url (no padding) of 32 bytes.
    pub fn pseudonym(&self, user_id: &str) -> String {
        B64URL.encode(hmac::sign(&self.0, user_id.as_bytes()).as_ref())
    }
}

/// The NameID value for `format_uri` (the format sent): persistent, the pseudonym (the
/// object id when no key is given); transient, a fresh random value; otherwise the
/// configured source's first value, the UPN when that is empty.
pub fn nameid_value(
    ctx: &ClaimContext<'_>,
    cfg: &NameIdConfig,
    format_uri: &str,
    key: Option<&PersistentKey>,
) -> String {
    match format_uri {
        NAMEID_PERSISTENT => match key {
            Some(k) => k.pseudonym(&ctx.user.id),
            None => ctx.user.id.clone(),
        },
        NAMEID_TRANSIENT => crate::sso::random_id(),
        _ => {
            let v = evaluate_one(ctx, &cfg.source);
            if v.is_empty() {
                ctx.user.upn.clone()
            } else {
                v
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The configuration the SSO hot path keeps in memory

/// An application's claims configuration as the SSO cache holds it.
#[derive(Debug, Clone, Default)]
pub struct AppClaims {
    /// The claims, in order.
    pub claims: Vec<Claim>,
    /// NameID.
    pub nameid: NameIdConfig,
    /// Group claims, when on.
    pub group_claims: Option<GroupClaims>,
    /// Object ids of the groups assigned to the app.
    pub assigned_groups: Vec<String>,
    /// Whether the app defines at least one role (only then are a user's roles loaded).
    pub has_roles: bool,
    /// The persistent NameID key (absent without a master key).
    pub persistent_key: Option<PersistentKey>,
}

impl AppClaims {
    /// Loads the configuration of `app`; the persistent key is derived when `master` is
    /// given.
    pub async fn load(
        store: &Store,
        app: &App,
        tenant: &Tenant,
        master: Option<&MasterKey>,
    ) -> Result<AppClaims, AppError> {
        let claims = list_claims(store, &app.id).await?;
        let nameid = nameid_of(app)?;
        let group_claims = group_claims(store, &app.id).await?;
        let assignments = store.app_assignments(&app.id).await?;
        let assigned_groups = assignments
            .iter()
            .filter(|a| a.principal_kind == crate::directory::MemberKind::Group)
            .map(|a| a.principal_id.clone())
            .collect();
        let has_roles = !store.app_roles(&app.id).await?.is_empty();
        Ok(AppClaims {
            claims,
            nameid,
            group_claims,
            assigned_groups,
            has_roles,
            persistent_key: master.map(|m| PersistentKey::derive(m, &tenant.id, &app.id)),
        })
    }

    /// Whether evaluation reads the user's groups.
    pub fn needs_groups(&self) -> bool {
        self.group_claims.is_some()
            || self.nameid.source.uses(SourceAttribute::Groups)
            || self
                .claims
                .iter()
                .any(|c| c.source.uses(SourceAttribute::Groups))
    }
}

/// What SSO loads per user, only when the app's configuration needs it.
#[derive(Debug, Clone, Default)]
pub struct UserClaimData {
    /// Transitive groups (empty unless needed).
    pub groups: Vec<Group>,
    /// The app roles held (empty unless the app defines roles).
    pub roles: Vec<String>,
}

/// Loads the user's groups when a claim needs them, and their app roles when the app has
/// roles (`known_roles`: the roles the assignment check already read, reused).
pub async fn load_user_data(
    store: &Store,
    app_id: &str,
    cfg: &AppClaims,
    user_id: &str,
    known_roles: Option<Vec<String>>,
) -> StoreResult<UserClaimData> {
    let groups = if cfg.needs_groups() {
        store.user_groups_transitive(user_id).await?
    } else {
        Vec::new()
    };
    let roles = if cfg.has_roles {
        match known_roles {
            Some(r) => r,
            None => store.user_assignment_roles(app_id, user_id).await?,
        }
    } else {
        Vec::new()
    };
    Ok(UserClaimData { groups, roles })
}

// ---------------------------------------------------------------------------------------
// Store functions

fn invalid(field: &'static str, reason: impl Into<String>) -> AppError {
    AppError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// A namespace as stored: trimmed, without trailing `/` (the separator is added when the
/// name is sent).
fn normalize_namespace(ns: &str) -> String {
    ns.trim().trim_end_matches('/').to_owned()
}

fn validate_claim(c: &mut Claim) -> Result<(), AppError> {
    c.name = c.name.trim().to_owned();
    c.namespace = normalize_namespace(&c.namespace);
    if c.name.is_empty() {
        return Err(invalid("claim name", "is empty"));
    }
    for (field, v) in [("claim name", &c.name), ("claim namespace", &c.namespace)] {
        if v.chars().count() > MAX_NAME_LEN {
            return Err(invalid(
                field,
                format!("is longer than {MAX_NAME_LEN} characters"),
            ));
        }
        if v.chars().any(|ch| ch.is_control() || ch.is_whitespace()) {
            return Err(invalid(
                field,
                format!("{v:?} contains spaces or control characters"),
            ));
        }
    }
    if !c.namespace.is_empty() {
        let scheme_ok = c.namespace.split_once(':').is_some_and(|(s, _)| {
            s.chars().next().is_some_and(|ch| ch.is_ascii_alphabetic())
                && s.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "+-.".contains(ch))
        });
        if !scheme_ok {
            return Err(invalid(
                "claim namespace",
                format!(
                    "{:?} is not a URI (e.g. {DEFAULT_NAMESPACE}); leave it empty for a bare name",
                    c.namespace
                ),
            ));
        }
    }
    Ok(())
}

async fn require_app(store: &Store, app_id: &str) -> Result<App, AppError> {
    store
        .app_by_id(app_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no application has the id {app_id}")))
}

fn corrupt(app_id: &str, what: &str, e: impl fmt::Display) -> AppError {
    AppError::Store(StoreError::Corrupt(format!(
        "application {app_id}: {what}: {e}"
    )))
}

/// The claims of an application, in order.
pub async fn list_claims(store: &Store, app_id: &str) -> Result<Vec<Claim>, AppError> {
    store
        .app_claim_rows(app_id)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Claim {
                source: parse_expression(&r.source)
                    .map_err(|e| corrupt(app_id, "app_claims.source", e))?,
                name_format: r
                    .name_format
                    .parse()
                    .map_err(|e| corrupt(app_id, "app_claims.name_format", e))?,
                name: r.name,
                namespace: r.namespace,
            })
        })
        .collect()
}

/// Adds a claim, or replaces the one with the same name and namespace (keeping its
/// place). Refused when another claim sends the same attribute name, or past
/// [`MAX_CLAIMS`].
pub async fn set_claim(store: &Store, app_id: &str, claim: Claim) -> Result<Claim, AppError> {
    let mut claim = claim;
    validate_claim(&mut claim)?;
    require_app(store, app_id).await?;
    let existing = list_claims(store, app_id).await?;
    let full = claim.full_name();
    if let Some(other) = existing
        .iter()
        .find(|c| c.full_name() == full && (c.name != claim.name || c.namespace != claim.namespace))
    {
        return Err(AppError::Conflict(format!(
            "claim {full}: another claim (name {:?}, namespace {:?}) already sends this attribute name; remove it first",
            other.name, other.namespace
        )));
    }
    let replaces = existing
        .iter()
        .any(|c| c.name == claim.name && c.namespace == claim.namespace);
    if !replaces && existing.len() >= MAX_CLAIMS {
        return Err(AppError::Conflict(format!(
            "application {app_id} already has {MAX_CLAIMS} claims, the most allowed"
        )));
    }
    store
        .upsert_app_claim(
            app_id,
            &crate::store::ClaimRow {
                name: claim.name.clone(),
                namespace: claim.namespace.clone(),
                name_format: claim.name_format.as_str().to_owned(),
                source_kind: claim.source.kind().to_owned(),
                source: claim.source.to_string(),
            },
        )
        .await?;
    Ok(claim)
}

/// Removes the claim with this name and namespace.
pub async fn remove_claim(
    store: &Store,
    app_id: &str,
    name: &str,
    namespace: &str,
) -> Result<(), AppError> {
    require_app(store, app_id).await?;
    let (name, ns) = (name.trim(), namespace.trim());
    let normalized = normalize_namespace(ns);
    if store.delete_app_claim(app_id, name, ns).await?
        || (normalized != ns && store.delete_app_claim(app_id, name, &normalized).await?)
    {
        Ok(())
    } else {
        Err(AppError::NotFound(format!(
            "application {app_id} has no claim {}; `sesame app claims {app_id} list` shows them",
            full_name(ns, name)
        )))
    }
}

fn nameid_of(app: &App) -> Result<NameIdConfig, AppError> {
    Ok(NameIdConfig {
        source: parse_expression(&app.saml.nameid_source)
            .map_err(|e| corrupt(&app.id, "apps.nameid_source", e))?,
        format: NameIdFormat::parse(&app.saml.nameid_format)
            .map_err(|e| corrupt(&app.id, "apps.nameid_format", e))?,
    })
}

/// Sets the NameID (Unique User Identifier).
pub async fn set_nameid(store: &Store, app_id: &str, cfg: NameIdConfig) -> Result<(), AppError> {
    if cfg.source.uses(SourceAttribute::Groups) || cfg.source.uses(SourceAttribute::AssignedRoles) {
        return Err(invalid(
            "NameID source",
            "user.groups and user.assignedroles have several values; a NameID needs one",
        ));
    }
    if !store
        .set_app_nameid(app_id, &cfg.source.to_string(), cfg.format.stored())
        .await?
    {
        return Err(AppError::NotFound(format!(
            "no application has the id {app_id}"
        )));
    }
    Ok(())
}

/// The NameID of an application.
pub async fn nameid(store: &Store, app_id: &str) -> Result<NameIdConfig, AppError> {
    nameid_of(&require_app(store, app_id).await?)
}

/// Turns group claims on (`Some`) or off (`None`).
pub async fn set_group_claims(
    store: &Store,
    app_id: &str,
    cfg: Option<GroupClaims>,
) -> Result<(), AppError> {
    require_app(store, app_id).await?;
    let cfg = match cfg {
        Some(mut g) => {
            g.claim_name = g.claim_name.trim().to_owned();
            if g.claim_name.is_empty() {
                g.claim_name = GROUPS_CLAIM.to_owned();
            }
            if g.claim_name.chars().count() > MAX_NAME_LEN
                || g.claim_name
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace())
            {
                return Err(invalid(
                    "group claim name",
                    format!(
                        "must be at most {MAX_NAME_LEN} characters without spaces or control characters"
                    ),
                ));
            }
            Some(g)
        }
        None => None,
    };
    store
        .set_app_group_claims(
            app_id,
            cfg.as_ref()
                .map(|g| (g.scope.as_str(), g.emit.as_str(), g.claim_name.as_str())),
        )
        .await?;
    Ok(())
}

/// The group claims of an application (`None`: off).
pub async fn group_claims(store: &Store, app_id: &str) -> Result<Option<GroupClaims>, AppError> {
    let Some((scope, emit, claim_name)) = store.app_group_claims(app_id).await? else {
        return Ok(None);
    };
    let scope = match scope.as_str() {
        "all" => GroupScope::All,
        "assigned" => GroupScope::AssignedToApp,
        other => return Err(corrupt(app_id, "app_group_claims.scope", other)),
    };
    let emit = match emit.as_str() {
        "id" => GroupEmit::ObjectId,
        "name" => GroupEmit::Name,
        other => return Err(corrupt(app_id, "app_group_claims.emit", other)),
    };
    Ok(Some(GroupClaims {
        scope,
        emit,
        claim_name,
    }))
}

/// Shared so the cache can hold one copy per app.
pub type SharedAppClaims = Arc<AppClaims>;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn user() -> User {
        let mut ext = BTreeMap::new();
        ext.insert("extensionattribute3".to_owned(), "ext-three".to_owned());
        User {
            id: "11111111-2222-3333-4444-555555555555".into(),
            upn: "B.Simon@contoso.com".into(),
            display_name: "B. Simon".into(),
            given_name: "B".into(),
            surname: "Simon".into(),
            mail: "B.Simon@Contoso.com".into(),
            department: "Sales".into(),
            job_title: String::new(),
            employee_id: "E-42".into(),
            company_name: "Contoso".into(),
            extension_attributes: ext,
            enabled: true,
            sessions_valid_after: 0,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn group(i: usize) -> Group {
        Group {
            id: format!("g-{i:04}"),
            name: format!("Group {i}"),
            description: String::new(),
        }
    }

    fn ctx<'a>(
        u: &'a User,
        groups: &'a [Group],
        app_groups: &'a [String],
        roles: &'a [String],
        gc: Option<&'a GroupClaims>,
    ) -> ClaimContext<'a> {
        ClaimContext {
            user: u,
            groups,
            app_groups,
            roles,
            group_claims: gc,
            public_url: "https://sso.example.com/",
        }
    }

    /// The values of `expr` for the plain test user (no groups, no roles).
    fn values(expr: &str) -> Vec<String> {
        let u = user();
        let c = ctx(&u, &[], &[], &[], None);
        let claim = Claim::new("", "x", parse_expression(expr).unwrap());
        evaluate(&c, &[claim])
            .into_iter()
            .next()
            .map(|a| a.values)
            .unwrap_or_default()
    }

    fn one(expr: &str) -> String {
        let v = values(expr);
        assert!(v.len() <= 1, "{expr}: {v:?}");
        v.into_iter().next().unwrap_or_default()
    }

    #[test]
    fn attributes_parse_case_insensitively_and_print_canonically() {
        for name in SourceAttribute::all_names() {
            let e = parse_expression(&name.to_uppercase()).unwrap();
            assert_eq!(e.to_string(), name);
            assert_eq!(e.kind(), "attribute");
        }
        assert_eq!(one("user.extensionattribute3"), "ext-three");
        assert_eq!(one("user.extensionattribute4"), "");
        assert_eq!(one("user.objectid"), "11111111-2222-3333-4444-555555555555");
        assert_eq!(one("user.employeeid"), "E-42");
        assert_eq!(one("user.department"), "Sales");
        assert_eq!(one("user.companyname"), "Contoso");
        assert_eq!(one("user.displayname"), "B. Simon");
        assert_eq!(one("user.mailnickname"), "B.Simon");
    }

    #[test]
    fn canonical_form_round_trips() {
        for text in [
            "user.mail",
            "\"text with \\\"quotes\\\" and \\\\ backslash\"",
            "ToLowercase(ExtractMailPrefix(user.mail))",
            "Join(user.givenname, \".\", user.surname)",
            "RegexReplace(user.mail, \"@.*$\", \"\")",
            "Contains(user.mail, \"@contoso\", user.employeeid)",
            "StartWith(user.department, \"Sa\", \"sales\", \"other\")",
            "EndWith(ToLowercase(user.mail), \"@contoso.com\", \"yes\")",
            "ToUppercase(Join(user.givenname, \"-\", ToLowercase(user.surname)))",
        ] {
            let e = parse_expression(text).unwrap();
            assert_eq!(e.to_string(), text);
            assert_eq!(parse_expression(&e.to_string()).unwrap(), e);
        }
        // Spacing and function-name case are free; the canonical form is fixed.
        let e = parse_expression("  tolowercase ( user.MAIL )  ").unwrap();
        assert_eq!(e.to_string(), "ToLowercase(user.mail)");
        assert_eq!(e.kind(), "transform");
        assert_eq!(parse_expression("\"x\"").unwrap().kind(), "constant");
    }

    #[test]
    fn serde_uses_the_expression_text() {
        let c = Claim {
            name: "uid".into(),
            namespace: String::new(),
            name_format: NameFormat::Uri,
            source: parse_expression("ToLowercase(user.mail)").unwrap(),
        };
        let j = serde_json::to_value(&c).unwrap();
        assert_eq!(j["source"], "ToLowercase(user.mail)");
        assert_eq!(j["name_format"], "uri");
        let back: Claim = serde_json::from_value(j).unwrap();
        assert_eq!(back, c);
        let bad: Result<Claim, _> =
            serde_json::from_value(serde_json::json!({"name": "x", "source": "user.nope"}));
        assert!(bad.unwrap_err().to_string().contains("user.nope"));
    }

    #[test]
    fn every_transformation() {
        assert_eq!(one("ToLowercase(user.mail)"), "b.simon@contoso.com");
        assert_eq!(one("ToUppercase(user.mail)"), "B.SIMON@CONTOSO.COM");
        assert_eq!(one("ExtractMailPrefix(user.mail)"), "B.Simon");
        assert_eq!(one("ExtractMailPrefix(\"no-at-sign\")"), "no-at-sign");
        assert_eq!(one("ExtractMailPrefix(\"a@b@c.example\")"), "a@b");
        assert_eq!(one("Join(user.givenname, \".\", user.surname)"), "B.Simon");
        assert_eq!(one("Join(user.givenname, \"\", user.surname)"), "BSimon");
        // One side empty: the other alone, without separator; both empty: omitted.
        assert_eq!(one("Join(user.jobtitle, \"/\", user.surname)"), "Simon");
        assert_eq!(one("Join(user.surname, \"/\", user.jobtitle)"), "Simon");
        assert!(values("Join(user.jobtitle, \"/\", user.extensionattribute9)").is_empty());
        assert_eq!(
            one("Contains(user.mail, \"@Contoso\", user.employeeid)"),
            "E-42"
        );
        assert!(values("Contains(user.mail, \"@fabrikam\", user.employeeid)").is_empty());
        assert_eq!(
            one("Contains(user.mail, \"@fabrikam\", user.employeeid, \"none\")"),
            "none"
        );
        // Case-sensitive: chain ToLowercase to ignore case.
        assert!(values("Contains(user.mail, \"@contoso\", \"y\")").is_empty());
        assert_eq!(
            one("Contains(ToLowercase(user.mail), \"@contoso\", \"y\")"),
            "y"
        );
    }

    #[test]
    fn start_end_with_and_regex() {
        assert_eq!(one("StartWith(user.mail, \"B.\", \"starts\")"), "starts");
        assert!(values("StartWith(user.mail, \"Simon\", \"starts\")").is_empty());
        assert_eq!(
            one("StartWith(user.mail, \"Simon\", \"starts\", user.department)"),
            "Sales"
        );
        assert_eq!(
            one("EndWith(user.mail, \".com\", user.userprincipalname)"),
            "B.Simon@contoso.com"
        );
        assert!(values("EndWith(user.mail, \".org\", \"x\")").is_empty());
        assert_eq!(one("RegexReplace(user.mail, \"@.*$\", \"\")"), "B.Simon");
        assert_eq!(
            one("RegexReplace(user.mail, \"^(\\\\w+)\\\\.(\\\\w+)@.*$\", \"$2, $1\")"),
            "Simon, B"
        );
        assert_eq!(
            one("RegexReplace(user.userprincipalname, \"(?P<d>contoso)\", \"${d}-corp\")"),
            "B.Simon@contoso-corp.com"
        );
        // A replacement that empties the value leaves the claim out.
        assert!(values("RegexReplace(user.mail, \".*\", \"\")").is_empty());
    }

    #[test]
    fn chaining() {
        assert_eq!(one("ToLowercase(ExtractMailPrefix(user.mail))"), "b.simon");
        assert_eq!(
            one("ToUppercase(Join(ExtractMailPrefix(user.mail), \"_\", user.department))"),
            "B.SIMON_SALES"
        );
        assert_eq!(
            one("Join(ToLowercase(user.givenname), \".\", RegexReplace(user.surname, \"on$\", \"\"))"),
            "b.Sim"
        );
        assert_eq!(
            one("Contains(ToLowercase(user.mail), \"contoso\", Join(user.givenname, \" \", user.surname))"),
            "B Simon"
        );
    }

    #[test]
    fn parse_errors_name_what_is_wrong_and_what_is_allowed() {
        let e = parse_expression("user.email").unwrap_err();
        assert!(matches!(e, ClaimError::UnknownAttribute { .. }));
        let m = e.to_string();
        assert!(
            m.contains("user.email")
                && m.contains("user.mail")
                && m.contains("user.extensionattribute15"),
            "{m}"
        );
        assert!(matches!(
            parse_expression("mail").unwrap_err(),
            ClaimError::UnknownAttribute { .. }
        ));
        assert!(matches!(
            parse_expression("user.extensionattribute16").unwrap_err(),
            ClaimError::UnknownAttribute { .. }
        ));
        assert!(matches!(
            parse_expression("user.extensionattribute01").unwrap_err(),
            ClaimError::UnknownAttribute { .. }
        ));
        let m = parse_expression("Lowercase(user.mail)")
            .unwrap_err()
            .to_string();
        assert!(
            m.contains("unknown function Lowercase")
                && m.contains("ToLowercase(x)")
                && m.contains("RegexReplace("),
            "{m}"
        );
        let m = parse_expression("Join(user.givenname, user.surname)")
            .unwrap_err()
            .to_string();
        assert!(m.contains("Join takes 3 argument(s), not 2"), "{m}");
        let m = parse_expression("ToLowercase()").unwrap_err().to_string();
        assert!(m.contains("ToLowercase takes 1"), "{m}");
        assert!(matches!(
            parse_expression("Contains(user.mail, \"a\", \"b\", \"c\", \"d\")").unwrap_err(),
            ClaimError::Arity { got: 5, .. }
        ));
        assert!(matches!(
            parse_expression("RegexReplace(user.mail, user.surname, \"\")").unwrap_err(),
            ClaimError::NotConstant { .. }
        ));
        assert!(matches!(
            parse_expression("RegexReplace(user.mail, \"(\", \"\")").unwrap_err(),
            ClaimError::Regex { .. }
        ));
        // Patterns whose compiled program exceeds the size limit are refused.
        let m = parse_expression("RegexReplace(user.mail, \"\\\\w{1000}\\\\w{1000}\", \"\")")
            .unwrap_err()
            .to_string();
        assert!(m.contains("RegexReplace pattern"), "{m}");
        for (text, needle) in [
            ("\"unterminated", "closing"),
            ("\"bad \\n escape\"", "escape"),
            ("user.mail user.surname", "after the expression"),
            ("ToLowercase(user.mail", "expected , or )"),
            ("ToLowercase user.mail", "expected ( after"),
            ("@", "unexpected"),
        ] {
            let m = parse_expression(text).unwrap_err().to_string();
            assert!(m.contains(needle), "{text}: {m}");
        }
        assert_eq!(parse_expression("  ").unwrap_err(), ClaimError::Empty);
        let deep = format!("{}user.mail{}", "ToLowercase(".repeat(40), ")".repeat(40));
        assert_eq!(parse_expression(&deep).unwrap_err(), ClaimError::TooDeep);
        let long = format!("\"{}\"", "a".repeat(MAX_EXPRESSION_LEN));
        assert_eq!(parse_expression(&long).unwrap_err(), ClaimError::TooLong);
    }

    #[test]
    fn values_beyond_the_cap_are_dropped() {
        // Each Join doubles the value: 11 doublings of 8 bytes reach 16 KiB, the cap.
        let mut x = Expr::Constant("abcdefgh".into());
        for _ in 0..11 {
            x = Expr::Call(Box::new(Call::Join {
                left: x.clone(),
                separator: Expr::constant(""),
                right: x,
            }));
        }
        let u = user();
        let c = ctx(&u, &[], &[], &[], None);
        assert_eq!(evaluate_one(&c, &x).len(), 8 * 2048);
        let x2 = Expr::Call(Box::new(Call::Join {
            left: x.clone(),
            separator: Expr::constant(""),
            right: x,
        }));
        assert_eq!(evaluate_one(&c, &x2), "");
    }

    #[test]
    fn full_names() {
        let c = |ns: &str, n: &str| Claim::new(ns, n, Expr::constant("v")).full_name();
        assert_eq!(c("", "uid"), "uid");
        assert_eq!(
            c(DEFAULT_NAMESPACE, "givenname"),
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
        );
        assert_eq!(
            c("http://x.example/claims/", "a"),
            "http://x.example/claims/a"
        );
        assert_eq!(
            c("", "urn:oid:0.9.2342.19200300.100.1.3"),
            "urn:oid:0.9.2342.19200300.100.1.3"
        );
        let claim = Claim::new("http://x.example/claims", "a", Expr::constant("v"));
        assert!(claim.has_full_name("http://x.example/claims/a"));
        assert!(!claim.has_full_name("http://x.example/claimsa"));
        assert!(!claim.has_full_name("http://x.example/claims/ab"));
        assert!(Claim::new("urn:x/", "a", Expr::constant("v")).has_full_name("urn:x/a"));
        assert!(Claim::new("", "uid", Expr::constant("v")).has_full_name("uid"));
    }

    #[test]
    fn default_claims_and_empty_sources_are_left_out() {
        let mut u = user();
        u.given_name.clear();
        let c = ctx(&u, &[], &[], &[], None);
        let attrs = evaluate(&c, &default_claims());
        let names: Vec<&str> = attrs.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
            ]
        );
        assert!(attrs.iter().all(|a| a.name_format.is_none()));
        // A constant "" and an absent extension attribute are left out too.
        let claims = [
            Claim::new("", "empty", Expr::constant("")),
            Claim::new(
                "",
                "ext",
                parse_expression("user.extensionattribute15").unwrap(),
            ),
            Claim::new("", "groups", parse_expression("user.groups").unwrap()),
            Claim::new("", "roles", parse_expression("user.assignedroles").unwrap()),
        ];
        assert!(evaluate(&c, &claims).is_empty());
    }

    #[test]
    fn bare_names_and_uri_name_format() {
        let u = user();
        let groups = [group(1), group(2)];
        let c = ctx(&u, &groups, &[], &[], None);
        let mut oid = Claim::new(
            "",
            "urn:oid:0.9.2342.19200300.100.1.3",
            parse_expression("user.mail").unwrap(),
        );
        oid.name_format = NameFormat::Uri;
        let claims = [
            Claim::new("", "uid", parse_expression("user.mail").unwrap()),
            oid,
            Claim::new("", "Groups", parse_expression("user.groups").unwrap()),
        ];
        let attrs = evaluate(&c, &claims);
        assert_eq!(attrs[0].name, "uid");
        assert_eq!(attrs[0].name_format, None);
        assert_eq!(attrs[1].name, "urn:oid:0.9.2342.19200300.100.1.3");
        assert_eq!(
            attrs[1].name_format.as_deref(),
            Some("urn:oasis:names:tc:SAML:2.0:attrname-format:uri")
        );
        assert_eq!(attrs[1].values, ["B.Simon@Contoso.com"]);
        // user.groups: object ids by default, multi-valued.
        assert_eq!(attrs[2].values, ["g-0001", "g-0002"]);
    }

    #[test]
    fn transformations_map_over_multi_valued_sources() {
        let u = user();
        let groups = [group(1), group(2)];
        let gc = GroupClaims::new(GroupScope::All, GroupEmit::Name);
        let c = ctx(&u, &groups, &[], &[], Some(&gc));
        let claims = [Claim::new(
            "",
            "g",
            parse_expression("ToLowercase(RegexReplace(user.groups, \" \", \"-\"))").unwrap(),
        )];
        let attrs = evaluate(&c, &claims);
        assert_eq!(attrs[0].values, ["group-1", "group-2"]);
        // The group claim itself, by name.
        assert_eq!(attrs[1].name, GROUPS_CLAIM);
        assert_eq!(attrs[1].values, ["Group 1", "Group 2"]);
    }

    #[test]
    fn group_claims_scope_and_emit() {
        let u = user();
        let groups: Vec<Group> = (1..=4).map(group).collect();
        let assigned = vec![
            "g-0002".to_owned(),
            "g-0004".to_owned(),
            "g-9999".to_owned(),
        ];
        let mut gc = GroupClaims::new(GroupScope::AssignedToApp, GroupEmit::ObjectId);
        gc.claim_name = "memberOf".into();
        let c = ctx(&u, &groups, &assigned, &[], Some(&gc));
        let attrs = evaluate(&c, &[]);
        assert_eq!(attrs.len(), 1);
        assert_eq!(attrs[0].name, "memberOf");
        assert_eq!(attrs[0].values, ["g-0002", "g-0004"]);
        // No group in scope: no group claim.
        let c = ctx(&u, &groups[..1], &assigned, &[], Some(&gc));
        assert!(evaluate(&c, &[]).is_empty());
        // A configured claim with the group claim's name wins (no duplicate).
        let c = ctx(&u, &groups, &assigned, &[], Some(&gc));
        let claims = [Claim::new("", "memberOf", Expr::constant("x"))];
        let attrs = evaluate(&c, &claims);
        assert_eq!(attrs.len(), 1);
        assert_eq!(attrs[0].values, ["x"]);
    }

    #[test]
    fn overage_beyond_150_groups() {
        let u = user();
        let gc = GroupClaims::new(GroupScope::All, GroupEmit::ObjectId);
        let claims = [
            Claim::new("", "Group", parse_expression("user.groups").unwrap()),
            Claim::new("", "mail", parse_expression("user.mail").unwrap()),
        ];
        // 150: all of them, in the group claim and in the user.groups claim.
        let g150: Vec<Group> = (0..150).map(group).collect();
        let c = ctx(&u, &g150, &[], &[], Some(&gc));
        let attrs = evaluate(&c, &claims);
        assert_eq!(attrs[0].name, "Group");
        assert_eq!(attrs[0].values.len(), 150);
        assert_eq!(attrs[2].name, GROUPS_CLAIM);
        assert_eq!(attrs[2].values.len(), 150);
        assert!(!attrs.iter().any(|a| a.name == GROUPS_LINK_CLAIM));
        // 151: no group values at all; one groups.link to the user's groups.
        let g151: Vec<Group> = (0..151).map(group).collect();
        let c = ctx(&u, &g151, &[], &[], Some(&gc));
        let attrs = evaluate(&c, &claims);
        let names: Vec<&str> = attrs.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["mail", GROUPS_LINK_CLAIM]);
        assert_eq!(
            attrs[1].values,
            ["https://sso.example.com/api/v1/users/11111111-2222-3333-4444-555555555555/groups"]
        );
        // Without group claims configured, user.groups alone overflows the same way.
        let c = ctx(&u, &g151, &[], &[], None);
        let attrs = evaluate(&c, &claims[..1]);
        assert_eq!(attrs.len(), 1);
        assert_eq!(attrs[0].name, GROUPS_LINK_CLAIM);
        // Scope counts: 151 groups of which 3 are assigned is not an overage.
        let assigned: Vec<String> = ["g-0000", "g-0005", "g-0150"].map(String::from).to_vec();
        let scoped = GroupClaims::new(GroupScope::AssignedToApp, GroupEmit::ObjectId);
        let c = ctx(&u, &g151, &assigned, &[], Some(&scoped));
        let attrs = evaluate(&c, &[]);
        assert_eq!(attrs.len(), 1);
        assert_eq!(attrs[0].values, ["g-0000", "g-0005", "g-0150"]);
    }

    #[test]
    fn role_claim() {
        let u = user();
        let roles = vec![
            String::new(),
            "Writer".to_owned(),
            "Admin".to_owned(),
            "Writer".to_owned(),
        ];
        let c = ctx(&u, &[], &[], &roles, None);
        let attrs = evaluate(&c, &[]);
        assert_eq!(attrs.len(), 1);
        assert_eq!(attrs[0].name, ROLE_CLAIM);
        assert_eq!(attrs[0].values, ["Admin", "Writer"]);
        // Default Access only: no role claim.
        let only_default = vec![String::new()];
        let c = ctx(&u, &[], &[], &only_default, None);
        assert!(evaluate(&c, &[]).is_empty());
        // user.assignedroles as a source; a configured role claim replaces the automatic one.
        let c = ctx(&u, &[], &[], &roles, None);
        let claims = [Claim::new(
            "http://schemas.microsoft.com/ws/2008/06/identity/claims",
            "role",
            parse_expression("ToUppercase(user.assignedroles)").unwrap(),
        )];
        let attrs = evaluate(&c, &claims);
        assert_eq!(attrs.len(), 1);
        assert_eq!(attrs[0].values, ["ADMIN", "WRITER"]);
    }

    #[test]
    fn nameid_formats_and_values() {
        for (name, uri) in [
            ("EMAILADDRESS", NAMEID_EMAIL),
            ("persistent", NAMEID_PERSISTENT),
            ("Transient", NAMEID_TRANSIENT),
            ("unspecified", NAMEID_UNSPECIFIED),
            ("windowsdomainqualifiedname", NAMEID_WINDOWS),
        ] {
            let f = NameIdFormat::parse(name).unwrap();
            assert_eq!(f.stored(), uri);
            assert_eq!(NameIdFormat::parse(uri).unwrap(), f);
            assert_eq!(NameIdFormat::parse(f.as_str()).unwrap(), f);
        }
        assert!(NameIdFormat::parse("email")
            .unwrap_err()
            .to_string()
            .contains("windowsDomainQualifiedName"));
        let d = NameIdFormat::Default;
        assert_eq!(d.stored(), "default");
        assert_eq!(
            d.uri_for(&parse_expression("user.mail").unwrap()),
            NAMEID_EMAIL
        );
        assert_eq!(
            d.uri_for(&parse_expression("user.employeeid").unwrap()),
            NAMEID_UNSPECIFIED
        );

        let u = user();
        let c = ctx(&u, &[], &[], &[], None);
        let cfg = NameIdConfig {
            source: parse_expression("ToLowercase(user.mail)").unwrap(),
            format: NameIdFormat::EmailAddress,
        };
        assert_eq!(
            nameid_value(&c, &cfg, NAMEID_EMAIL, None),
            "b.simon@contoso.com"
        );
        // An empty source falls back to the UPN.
        let empty = NameIdConfig {
            source: parse_expression("user.jobtitle").unwrap(),
            format: NameIdFormat::Unspecified,
        };
        assert_eq!(nameid_value(&c, &empty, NAMEID_UNSPECIFIED, None), u.upn);
    }

    #[test]
    fn persistent_is_stable_per_app_and_transient_is_fresh() {
        let u = user();
        let c = ctx(&u, &[], &[], &[], None);
        let cfg = NameIdConfig {
            source: parse_expression("user.userprincipalname").unwrap(),
            format: NameIdFormat::Persistent,
        };
        let master = MasterKey::from_text("a passphrase for the tests").unwrap();
        let a1 = PersistentKey::derive(&master, "tenant-1", "app-1");
        let a1_again = PersistentKey::derive(&master, "tenant-1", "app-1");
        let a2 = PersistentKey::derive(&master, "tenant-1", "app-2");
        let p1 = nameid_value(&c, &cfg, NAMEID_PERSISTENT, Some(&a1));
        assert_eq!(
            p1,
            nameid_value(&c, &cfg, NAMEID_PERSISTENT, Some(&a1_again))
        );
        assert_ne!(p1, nameid_value(&c, &cfg, NAMEID_PERSISTENT, Some(&a2)));
        assert_eq!(p1.len(), 43);
        assert!(!p1.contains(&u.id) && !p1.contains("Simon"));
        assert!(p1
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'));
        // Another master key or tenant: other pseudonyms.
        let other = MasterKey::from_text("another passphrase").unwrap();
        assert_ne!(
            p1,
            nameid_value(
                &c,
                &cfg,
                NAMEID_PERSISTENT,
                Some(&PersistentKey::derive(&other, "tenant-1", "app-1"))
            )
        );
        assert_ne!(
            p1,
            nameid_value(
                &c,
                &cfg,
                NAMEID_PERSISTENT,
                Some(&PersistentKey::derive(&master, "tenant-2", "app-1"))
            )
        );
        let t1 = nameid_value(&c, &cfg, NAMEID_TRANSIENT, Some(&a1));
        let t2 = nameid_value(&c, &cfg, NAMEID_TRANSIENT, Some(&a1));
        assert_ne!(t1, t2);
        assert_ne!(t1, p1);
    }

    #[test]
    fn regex_time_is_bounded() {
        // A classic catastrophic-backtracking pattern runs in linear time here.
        let e = parse_expression("RegexReplace(user.mail, \"(a+)+$\", \"x\")").unwrap();
        let mut u = user();
        u.mail = format!("{}!", "a".repeat(10_000));
        let c = ctx(&u, &[], &[], &[], None);
        let t = std::time::Instant::now();
        let v = evaluate_one(&c, &e);
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
        assert_eq!(v, u.mail);
    }

    #[test]
    fn claim_validation() {
        let mut c = Claim::new("not a uri", "x", Expr::constant("v"));
        assert!(validate_claim(&mut c).is_err());
        let mut c = Claim::new("schemas/claims", "x", Expr::constant("v"));
        assert!(validate_claim(&mut c)
            .unwrap_err()
            .to_string()
            .contains("is not a URI"));
        let mut c = Claim::new("", " ", Expr::constant("v"));
        assert!(validate_claim(&mut c).is_err());
        let mut c = Claim::new(" urn:x ", " uid ", Expr::constant("v"));
        validate_claim(&mut c).unwrap();
        assert_eq!((c.namespace.as_str(), c.name.as_str()), ("urn:x", "uid"));
        let mut c = Claim::new("http://x.example/claims/", "a", Expr::constant("v"));
        validate_claim(&mut c).unwrap();
        assert_eq!(c.namespace, "http://x.example/claims");
        assert_eq!(c.full_name(), "http://x.example/claims/a");
    }
}
