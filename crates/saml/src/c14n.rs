//! Canonical XML 1.0 and Exclusive XML Canonicalization 1.0, over a parsed tree.
#![allow(clippy::todo)] // TEMPORARY: stubs being filled in

use crate::error::{Error, Result};
use roxmltree::Node;

/// The canonicalization algorithms, by URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `http://www.w3.org/TR/2001/REC-xml-c14n-20010315`
    C14n10,
    /// `http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments`
    C14n10WithComments,
    /// `http://www.w3.org/2001/10/xml-exc-c14n#`
    ExcC14n,
    /// `http://www.w3.org/2001/10/xml-exc-c14n#WithComments`
    ExcC14nWithComments,
}

impl Algorithm {
    /// The algorithm URI.
    pub fn uri(self) -> &'static str {
        match self {
            Algorithm::C14n10 => "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
            Algorithm::C14n10WithComments => {
                "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
            }
            Algorithm::ExcC14n => "http://www.w3.org/2001/10/xml-exc-c14n#",
            Algorithm::ExcC14nWithComments => "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
        }
    }

    /// Looks an algorithm up by URI.
    pub fn from_uri(uri: &str) -> Result<Self> {
        [
            Algorithm::C14n10,
            Algorithm::C14n10WithComments,
            Algorithm::ExcC14n,
            Algorithm::ExcC14nWithComments,
        ]
        .into_iter()
        .find(|a| a.uri() == uri)
        .ok_or_else(|| Error::UnsupportedAlgorithm(uri.to_owned()))
    }

    /// Whether the algorithm is exclusive.
    pub fn is_exclusive(self) -> bool {
        matches!(self, Algorithm::ExcC14n | Algorithm::ExcC14nWithComments)
    }

    /// Whether comments are kept.
    pub fn with_comments(self) -> bool {
        matches!(self, Algorithm::C14n10WithComments | Algorithm::ExcC14nWithComments)
    }
}

/// How to canonicalize.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'p> {
    /// Exclusive (true) or inclusive Canonical XML 1.0 (false).
    pub exclusive: bool,
    /// Keep comments.
    pub with_comments: bool,
    /// Exclusive only: the InclusiveNamespaces PrefixList (`#default` for the default namespace).
    pub inclusive_prefixes: &'p [&'p str],
}

impl<'p> Options<'p> {
    /// Options for `alg` with the given PrefixList.
    pub fn new(alg: Algorithm, inclusive_prefixes: &'p [&'p str]) -> Self {
        Options {
            exclusive: alg.is_exclusive(),
            with_comments: alg.with_comments(),
            inclusive_prefixes,
        }
    }
}

/// Canonicalizes the subtree rooted at `node` (an element, or the document root for the
/// whole document), leaving out the subtree `exclude` (the enveloped Signature), and
/// appends the canonical form to `out`.
pub fn canonicalize_into(
    _node: Node<'_, '_>,
    _opts: &Options<'_>,
    _exclude: Option<Node<'_, '_>>,
    _out: &mut String,
) -> Result<()> {
    todo!()
}

/// [`canonicalize_into`] into a new string.
pub fn canonicalize(node: Node<'_, '_>, opts: &Options<'_>, exclude: Option<Node<'_, '_>>) -> Result<String> {
    let mut out = String::new();
    canonicalize_into(node, opts, exclude, &mut out)?;
    Ok(out)
}
