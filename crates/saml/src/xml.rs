//! The hardened XML front: every XML Sesame reads goes through [`parse`].
//!
//! roxmltree already refuses DTDs (and so entity declarations, the billion-laughs and
//! external-entity classes) when `allow_dtd` is false; on top of that we bound the input
//! size, the node count and the nesting depth (so that recursive consumers such as
//! canonicalization cannot be driven into a stack overflow), and refuse processing
//! instructions in protocol messages.

use crate::error::{Error, Result};
use roxmltree::{Document, Node, ParsingOptions};
use std::collections::HashMap;

/// SAML 2.0 assertion namespace.
pub const NS_SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// SAML 2.0 protocol namespace.
pub const NS_SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// SAML 2.0 metadata namespace.
pub const NS_MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// XML-DSig namespace.
pub const NS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// Exclusive c14n namespace (InclusiveNamespaces element).
pub const NS_EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// XML Schema instance namespace.
pub const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// XML Schema namespace.
pub const NS_XS: &str = "http://www.w3.org/2001/XMLSchema";
/// The `xml` prefix namespace.
pub const NS_XML: &str = "http://www.w3.org/XML/1998/namespace";

/// Bounds applied to one parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_bytes: usize,
    /// Deepest accepted element nesting (the root element is depth 1).
    pub max_depth: usize,
    /// Most nodes (elements, attributes excluded, text, comments) accepted.
    pub max_nodes: u32,
    /// Whether processing instructions are accepted anywhere in the document.
    pub allow_processing_instructions: bool,
}

impl Limits {
    /// Limits for SAML protocol messages (AuthnRequest, Response, Logout*): 256 KiB, the
    /// same bound as the Redirect binding's inflate limit.
    pub const MESSAGE: Limits = Limits {
        max_bytes: 256 * 1024,
        max_depth: 64,
        max_nodes: 20_000,
        allow_processing_instructions: false,
    };
    /// Limits for metadata documents, which may describe many entities.
    pub const METADATA: Limits = Limits {
        max_bytes: 8 * 1024 * 1024,
        max_depth: 64,
        max_nodes: 2_000_000,
        allow_processing_instructions: false,
    };
    /// Limits for general XML tools (the `c14n` command): processing instructions allowed.
    pub const GENERAL: Limits = Limits {
        max_bytes: 8 * 1024 * 1024,
        max_depth: 256,
        max_nodes: 2_000_000,
        allow_processing_instructions: true,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::MESSAGE
    }
}

/// Checks that `bytes` are UTF-8 and returns them as text.
pub fn utf8(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|e| {
        Error::MalformedXml(format!(
            "input is not valid UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// Parses `text` within `limits`.
pub fn parse<'input>(text: &'input str, limits: &Limits) -> Result<Document<'input>> {
    if text.len() > limits.max_bytes {
        return Err(Error::TooLarge {
            size: text.len(),
            limit: limits.max_bytes,
        });
    }
    // Cheap pre-scan for the depth bound, before building a tree: count open tags.
    // This over-approximates nothing: it only bails early on obviously deep input; the
    // exact check runs on the tree below.
    let opts = ParsingOptions {
        allow_dtd: false,
        nodes_limit: limits.max_nodes,
        entity_resolver: None,
    };
    let doc = Document::parse_with_options(text, opts).map_err(|e| match e {
        roxmltree::Error::NodesLimitReached => Error::TooManyNodes(limits.max_nodes),
        other => Error::from(other),
    })?;
    check_tree(&doc, limits)?;
    Ok(doc)
}

fn check_tree(doc: &Document<'_>, limits: &Limits) -> Result<()> {
    // Depth of every node, indexed by node id; descendants() is document order, so a
    // parent's depth is always known before its children's.
    let mut depth: Vec<u32> = Vec::new();
    for n in doc.descendants() {
        let id = n.id().get_usize();
        if depth.len() <= id {
            depth.resize(id + 1, 0);
        }
        let parent = n
            .parent()
            .map(|p| depth.get(p.id().get_usize()).copied().unwrap_or(0));
        let d = parent.unwrap_or(0) + u32::from(n.is_element());
        depth[id] = d;
        if d as usize > limits.max_depth {
            return Err(Error::TooDeep(limits.max_depth));
        }
        if n.is_element() {
            // Namespaces in XML 1.0 forbids undeclaring a prefix (xmlns:p=""); roxmltree
            // accepts it, which would leave prefixed names without a namespace.
            if let Some(ns) = n
                .namespaces()
                .find(|ns| ns.name().is_some() && ns.uri().is_empty())
            {
                return Err(Error::MalformedXml(format!(
                    "namespace prefix \"{}\" is bound to an empty URI (xmlns:{}=\"\"), which XML 1.0 does not allow",
                    ns.name().unwrap_or(""),
                    ns.name().unwrap_or("")
                )));
            }
        }
        if let Some(pi) = n.pi() {
            if !limits.allow_processing_instructions {
                return Err(Error::ProcessingInstruction);
            }
            // roxmltree is lenient about PI targets; XML 1.0 (section 2.6) and Namespaces
            // require a colon-free Name other than "xml".
            if !is_ncname(pi.target) || pi.target.eq_ignore_ascii_case("xml") {
                return Err(Error::MalformedXml(format!(
                    "processing instruction target \"{}\" is not a valid name",
                    pi.target
                )));
            }
        }
    }
    Ok(())
}

/// True for a colon-free XML Name (NCName). Non-ASCII characters are accepted as name
/// characters; ASCII is checked exactly.
pub fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let start = |c: char| c.is_ascii_alphabetic() || c == '_' || !c.is_ascii();
    start(first) && chars.all(|c| start(c) || c.is_ascii_digit() || c == '-' || c == '.')
}

/// The qualified name (`prefix:local` or `local`) of an element as written in the input.
pub fn element_qname<'input>(node: Node<'_, 'input>) -> &'input str {
    let input = node.document().input_text();
    let start = node.range().start + 1; // skip '<'
    let rest = input.get(start..).unwrap_or("");
    let end = rest
        .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The prefix of an element as written (`None` for an unprefixed name).
pub fn element_prefix<'input>(node: Node<'_, 'input>) -> Option<&'input str> {
    element_qname(node).split_once(':').map(|(p, _)| p)
}

/// The qualified name of an attribute as written in the input.
pub fn attribute_qname<'input>(
    node: Node<'_, 'input>,
    attr: &roxmltree::Attribute<'_, 'input>,
) -> &'input str {
    node.document()
        .input_text()
        .get(attr.range_qname())
        .unwrap_or_else(|| attr.name())
}

/// The prefix of an attribute as written (`None` for an unprefixed name).
pub fn attribute_prefix<'input>(
    node: Node<'_, 'input>,
    attr: &roxmltree::Attribute<'_, 'input>,
) -> Option<&'input str> {
    attribute_qname(node, attr).split_once(':').map(|(p, _)| p)
}

/// True when `node` is an element named `local` in namespace `ns`.
pub fn is(node: Node<'_, '_>, ns: &str, local: &str) -> bool {
    node.is_element() && node.tag_name().name() == local && node.tag_name().namespace() == Some(ns)
}

/// The element children of `node`.
pub fn child_elements<'a, 'input>(
    node: Node<'a, 'input>,
) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children().filter(|n| n.is_element())
}

/// The first element child of `node` named `local` in namespace `ns`.
pub fn child<'a, 'input>(
    node: Node<'a, 'input>,
    ns: &str,
    local: &str,
) -> Option<Node<'a, 'input>> {
    node.children().find(|n| is(*n, ns, local))
}

/// Every element child of `node` named `local` in namespace `ns`.
pub fn children<'a, 'input>(
    node: Node<'a, 'input>,
    ns: &'a str,
    local: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.children().filter(move |n| is(*n, ns, local))
}

/// The full text content of a simple-content element: every text child concatenated
/// (so a comment inside a NameID, the 2018 "comment injection" class, cannot truncate
/// what is read), refusing element children.
pub fn text(node: Node<'_, '_>, element: &'static str) -> Result<String> {
    let mut out = String::new();
    for c in node.children() {
        if c.is_element() {
            return Err(Error::Invalid {
                element,
                what: "content",
                detail: format!(
                    "it must be text, but it contains an element <{}>",
                    c.tag_name().name()
                ),
            });
        }
        if c.is_text() {
            out.push_str(c.text().unwrap_or(""));
        }
    }
    Ok(out)
}

/// [`text`] with surrounding whitespace trimmed (for URIs and identifiers).
pub fn trimmed_text(node: Node<'_, '_>, element: &'static str) -> Result<String> {
    let t = text(node, element)?;
    Ok(t.trim().to_owned())
}

/// Indexes every element carrying an `ID` (SAML), `Id` or `id` attribute in no namespace,
/// refusing the document when one value appears twice.
pub fn index_ids<'a, 'input>(
    doc: &'a Document<'input>,
) -> Result<HashMap<&'a str, Node<'a, 'input>>> {
    let mut map = HashMap::new();
    for n in doc.descendants().filter(|n| n.is_element()) {
        for a in n.attributes() {
            if a.namespace().is_none()
                && matches!(a.name(), "ID" | "Id" | "id")
                && map.insert(a.value(), n).is_some()
            {
                return Err(Error::DuplicateId(a.value().to_owned()));
            }
        }
    }
    Ok(map)
}

/// Appends `s` escaped as canonical XML text content (`&`, `<`, `>`, CR).
pub fn escape_text(out: &mut String, s: &str) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'\r' => "&#xD;",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

/// Appends `s` escaped as a canonical XML attribute value (`&`, `<`, `"`, TAB, LF, CR).
pub fn escape_attr(out: &mut String, s: &str) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'"' => "&quot;",
            b'\t' => "&#x9;",
            b'\n' => "&#xA;",
            b'\r' => "&#xD;",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_dtd() {
        let x = r#"<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>"#;
        assert_eq!(parse(x, &Limits::MESSAGE).unwrap_err(), Error::Dtd);
    }

    #[test]
    fn refuses_pi_in_messages_only() {
        let x = r#"<?pi data?><a/>"#;
        assert_eq!(
            parse(x, &Limits::MESSAGE).unwrap_err(),
            Error::ProcessingInstruction
        );
        assert!(parse(x, &Limits::GENERAL).is_ok());
    }

    #[test]
    fn refuses_deep_nesting() {
        let mut x = String::new();
        for _ in 0..10_000 {
            x.push_str("<a>");
        }
        for _ in 0..10_000 {
            x.push_str("</a>");
        }
        assert_eq!(
            parse(&x, &Limits::GENERAL).unwrap_err(),
            Error::TooDeep(256)
        );
    }

    #[test]
    fn refuses_malformed_pi_targets() {
        for x in [
            "<?xml`version=\"1.0\"?><a/>",
            "<a><?XmL x?></a>",
            "<r xmlns:b=\"\" b:z=\"5\"/>",
            "<?a:b c?><a/>",
        ] {
            assert!(
                matches!(parse(x, &Limits::GENERAL), Err(Error::MalformedXml(_))),
                "{x}"
            );
        }
        assert!(parse("<?pi-ok data?><a/>", &Limits::GENERAL).is_ok());
    }

    #[test]
    fn refuses_large() {
        let x = format!("<a>{}</a>", "x".repeat(300 * 1024));
        assert!(matches!(
            parse(&x, &Limits::MESSAGE),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn text_concatenates_around_comments() {
        let x = "<a>user@evil.com<!---->.attacker.com</a>";
        let d = parse(x, &Limits::MESSAGE).unwrap();
        assert_eq!(
            text(d.root_element(), "NameID").unwrap(),
            "user@evil.com.attacker.com"
        );
    }

    #[test]
    fn duplicate_ids_refused() {
        let x = r#"<a ID="x"><b ID="x"/></a>"#;
        let d = parse(x, &Limits::MESSAGE).unwrap();
        assert_eq!(index_ids(&d).unwrap_err(), Error::DuplicateId("x".into()));
    }

    #[test]
    fn qnames() {
        let x = r#"<p:a xmlns:p="u" xmlns:q="u" q:b="1"><c/></p:a>"#;
        let d = parse(x, &Limits::MESSAGE).unwrap();
        let r = d.root_element();
        assert_eq!(element_qname(r), "p:a");
        let a = r.attributes().next().unwrap();
        assert_eq!(attribute_prefix(r, &a), Some("q"));
        assert_eq!(element_prefix(r.first_element_child().unwrap()), None);
    }
}
