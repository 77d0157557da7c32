//! Claim source expressions: the source attributes a claim reads, the expression tree
//! (attribute, constant, transformation), its parser and its canonical text form, and the
//! errors of parsing and validating claim values.
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
//! at most [`MAX_VALUE_LEN`](super::MAX_VALUE_LEN) bytes (longer intermediate values are dropped), so one
//! evaluation is bounded in time and memory whatever the pattern.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// Compiled-program size limit of a RegexReplace pattern, bytes.
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// Lazy-DFA cache limit of a RegexReplace pattern, bytes.
pub const REGEX_DFA_SIZE_LIMIT: usize = 1024 * 1024;
/// Longest expression, characters.
pub const MAX_EXPRESSION_LEN: usize = 2048;
/// Deepest nesting of calls.
pub const MAX_DEPTH: usize = 16;

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
    /// `user.authenticationmethods`: multi-valued; how the user signed in to the session
    /// the Response is issued for, as Entra's `authnmethodsreferences` values (password;
    /// multipleauthn once a second factor or a passkey was used).
    AuthenticationMethods,
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
    (
        "user.authenticationmethods",
        SourceAttribute::AuthenticationMethods,
    ),
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
            SourceAttribute::Groups
                | SourceAttribute::AssignedRoles
                | SourceAttribute::AuthenticationMethods
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
    pub(crate) regex: regex::Regex,
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

    /// Whether the expression reads a multi-valued attribute anywhere (it cannot be a
    /// NameID source).
    pub fn uses_multi_valued(&self) -> bool {
        [
            SourceAttribute::Groups,
            SourceAttribute::AssignedRoles,
            SourceAttribute::AuthenticationMethods,
        ]
        .into_iter()
        .any(|a| self.uses(a))
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
