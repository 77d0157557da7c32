//! Canonical XML 1.0 and Exclusive XML Canonicalization 1.0, over a parsed tree.

use crate::error::{Error, Result};
use crate::xml::{
    attribute_prefix, attribute_qname, element_prefix, element_qname, escape_attr, escape_text,
    NS_XML,
};
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
        matches!(
            self,
            Algorithm::C14n10WithComments | Algorithm::ExcC14nWithComments
        )
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
///
/// The walk is iterative, so no input depth can exhaust the stack.
pub fn canonicalize_into(
    node: Node<'_, '_>,
    opts: &Options<'_>,
    exclude: Option<Node<'_, '_>>,
    out: &mut String,
) -> Result<()> {
    let exclude = exclude.map(|n| n.id());
    if node.is_root() {
        let mut seen_element = false;
        for child in node.children() {
            if child.is_element() {
                if Some(child.id()) != exclude {
                    Walker::new(opts, exclude, out).run(child)?;
                }
                seen_element = true;
            } else if child.is_comment() && !opts.with_comments || child.is_text() {
                continue;
            } else {
                // Comments and PIs outside the document element: a line feed separates
                // them from the document element (C14N 1.0, section 2.1).
                if seen_element {
                    out.push('\n');
                }
                write_leaf(child, out);
                if !seen_element {
                    out.push('\n');
                }
            }
        }
        Ok(())
    } else if node.is_element() {
        if Some(node.id()) == exclude {
            return Ok(());
        }
        Walker::new(opts, exclude, out).run(node)
    } else {
        // A lone text, comment or PI node.
        if node.is_text() || node.is_pi() || (node.is_comment() && opts.with_comments) {
            write_leaf(node, out);
        }
        Ok(())
    }
}

fn write_leaf(node: Node<'_, '_>, out: &mut String) {
    if node.is_text() {
        escape_text(out, node.text().unwrap_or(""));
    } else if node.is_comment() {
        out.push_str("<!--");
        out.push_str(node.text().unwrap_or(""));
        out.push_str("-->");
    } else if let Some(pi) = node.pi() {
        out.push_str("<?");
        out.push_str(pi.target);
        if let Some(v) = pi.value {
            if !v.is_empty() {
                out.push(' ');
                out.push_str(v);
            }
        }
        out.push_str("?>");
    }
}

/// A namespace declaration rendered by an output ancestor: (prefix, uri, depth).
/// The empty prefix is the default namespace.
type Rendered<'a> = (&'a str, &'a str, usize);

struct Walker<'o, 'a, 'x> {
    opts: &'o Options<'o>,
    exclude: Option<roxmltree::NodeId>,
    out: &'x mut String,
    rendered: Vec<Rendered<'a>>,
}

impl<'o, 'a, 'x> Walker<'o, 'a, 'x> {
    fn new(opts: &'o Options<'o>, exclude: Option<roxmltree::NodeId>, out: &'x mut String) -> Self {
        Walker {
            opts,
            exclude,
            out,
            rendered: Vec::new(),
        }
    }

    fn lookup_rendered(&self, prefix: &str) -> Option<&'a str> {
        self.rendered
            .iter()
            .rev()
            .find(|(p, _, _)| *p == prefix)
            .map(|(_, u, _)| *u)
    }

    fn run<'input: 'a>(&mut self, apex: Node<'a, 'input>) -> Result<()> {
        // Explicit stack: (node, depth, entered). Children are pushed in reverse.
        let mut stack: Vec<(Node<'a, 'input>, usize, bool)> = vec![(apex, 0, false)];
        while let Some((n, depth, entered)) = stack.pop() {
            if entered {
                self.out.push_str("</");
                self.out.push_str(element_qname(n));
                self.out.push('>');
                while self.rendered.last().is_some_and(|(_, _, d)| *d >= depth) {
                    self.rendered.pop();
                }
                continue;
            }
            if Some(n.id()) == self.exclude {
                continue;
            }
            if n.is_element() {
                self.start_tag(n, depth, depth == 0)?;
                stack.push((n, depth, true));
                let mark = stack.len();
                for c in n.children() {
                    stack.push((c, depth + 1, false));
                }
                stack[mark..].reverse();
            } else if n.is_text() || n.is_pi() || (n.is_comment() && self.opts.with_comments) {
                write_leaf(n, self.out);
            }
        }
        Ok(())
    }

    fn start_tag<'input: 'a>(
        &mut self,
        e: Node<'a, 'input>,
        depth: usize,
        apex: bool,
    ) -> Result<()> {
        let qname = element_qname(e);
        self.out.push('<');
        self.out.push_str(qname);

        // Namespace declarations to render, sorted by prefix (default first).
        let mut decls: Vec<(&'a str, &'a str)> = Vec::new();
        if self.opts.exclusive {
            let mut candidates: Vec<&'a str> = Vec::with_capacity(4);
            candidates.push(element_prefix(e).unwrap_or(""));
            for a in e.attributes() {
                if let Some(p) = attribute_prefix(e, &a) {
                    candidates.push(p);
                }
            }
            for p in self.opts.inclusive_prefixes {
                let p = if *p == "#default" { "" } else { *p };
                // The PrefixList is borrowed for a shorter lifetime than the document;
                // look the prefix up in the element's in-scope namespaces to get a
                // document-lived copy of it.
                if p.is_empty() {
                    candidates.push("");
                } else if let Some(ns) = e.namespaces().find(|ns| ns.name() == Some(p)) {
                    candidates.push(ns.name().unwrap_or(""));
                }
            }
            candidates.sort_unstable();
            candidates.dedup();
            for p in candidates {
                if p == "xml" {
                    continue;
                }
                let uri = if p.is_empty() {
                    e.namespaces()
                        .find(|ns| ns.name().is_none())
                        .map(|ns| ns.uri())
                        .unwrap_or("")
                } else {
                    match e.namespaces().find(|ns| ns.name() == Some(p)) {
                        Some(ns) => ns.uri(),
                        None => continue, // a PrefixList prefix not in scope
                    }
                };
                self.consider(p, uri, &mut decls);
            }
        } else {
            let mut has_default = false;
            for ns in e.namespaces() {
                let p = ns.name().unwrap_or("");
                if p == "xml" {
                    continue;
                }
                if p.is_empty() {
                    has_default = true;
                }
                self.consider(p, ns.uri(), &mut decls);
            }
            if !has_default {
                self.consider("", "", &mut decls);
            }
            decls.sort_unstable_by(|a, b| a.0.cmp(b.0));
        }
        for (p, uri) in &decls {
            if p.is_empty() {
                self.out.push_str(" xmlns=\"");
            } else {
                self.out.push_str(" xmlns:");
                self.out.push_str(p);
                self.out.push_str("=\"");
            }
            escape_attr(self.out, uri);
            self.out.push('"');
            self.rendered.push((p, uri, depth));
        }

        // Attributes sorted by (namespace URI, local name); no-namespace ones first.
        let mut attrs: Vec<(&str, &str, &str, &str)> = e
            .attributes()
            .map(|a| {
                (
                    a.namespace().unwrap_or(""),
                    a.name(),
                    attribute_qname(e, &a),
                    a.value(),
                )
            })
            .collect();
        if apex && !self.opts.exclusive {
            // Canonical XML 1.0 document subsets: xml:* attributes of ancestors are
            // inherited by the apex element when it does not carry them itself.
            for anc in e.ancestors().skip(1).filter(|a| a.is_element()) {
                for a in anc.attributes() {
                    if a.namespace() == Some(NS_XML)
                        && !attrs
                            .iter()
                            .any(|(ns, n, _, _)| *ns == NS_XML && *n == a.name())
                    {
                        attrs.push((NS_XML, a.name(), attribute_qname(anc, &a), a.value()));
                    }
                }
            }
        }
        attrs.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        for (_, _, qname, value) in attrs {
            self.out.push(' ');
            self.out.push_str(qname);
            self.out.push_str("=\"");
            escape_attr(self.out, value);
            self.out.push('"');
        }
        self.out.push('>');
        Ok(())
    }

    /// Adds `xmlns[:p]="uri"` to `decls` unless the output ancestors already rendered the
    /// same binding. An empty default namespace is only rendered (as `xmlns=""`) to undo
    /// a non-empty default rendered above.
    fn consider(&self, p: &'a str, uri: &'a str, decls: &mut Vec<(&'a str, &'a str)>) {
        let above = self.lookup_rendered(p);
        if uri.is_empty() {
            if p.is_empty() && above.is_some_and(|u| !u.is_empty()) {
                decls.push((p, uri));
            }
        } else if above != Some(uri) {
            decls.push((p, uri));
        }
    }
}

/// [`canonicalize_into`] into a new string.
pub fn canonicalize(
    node: Node<'_, '_>,
    opts: &Options<'_>,
    exclude: Option<Node<'_, '_>>,
) -> Result<String> {
    let mut out = String::new();
    canonicalize_into(node, opts, exclude, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{parse, Limits};

    fn c14n(x: &str, exclusive: bool, with_comments: bool, prefixes: &[&str]) -> String {
        let d = parse(x, &Limits::GENERAL).unwrap();
        let o = Options {
            exclusive,
            with_comments,
            inclusive_prefixes: prefixes,
        };
        canonicalize(d.root(), &o, None).unwrap()
    }

    fn sub(x: &str, local: &str, exclusive: bool, prefixes: &[&str]) -> String {
        let d = parse(x, &Limits::GENERAL).unwrap();
        let n = d
            .descendants()
            .find(|n| n.tag_name().name() == local)
            .unwrap();
        let o = Options {
            exclusive,
            with_comments: false,
            inclusive_prefixes: prefixes,
        };
        canonicalize(n, &o, None).unwrap()
    }

    // W3C Canonical XML 1.0, example 3.1 (PIs, comments, outside the document element).
    #[test]
    fn w3c_3_1() {
        let x = "<?xml version=\"1.0\"?>\n\n<?xml-stylesheet   href=\"doc.xsl\"\n   type=\"text/xsl\"   ?>\n\n<doc>Hello, world!<!-- Comment 1 --></doc>\n\n<?pi-without-data     ?>\n\n<!-- Comment 2 -->\n\n<!-- Comment 3 -->";
        assert_eq!(
            c14n(x, false, false, &[]),
            "<?xml-stylesheet href=\"doc.xsl\"\n   type=\"text/xsl\"   ?>\n<doc>Hello, world!</doc>\n<?pi-without-data?>"
        );
        assert_eq!(
            c14n(x, false, true, &[]),
            "<?xml-stylesheet href=\"doc.xsl\"\n   type=\"text/xsl\"   ?>\n<doc>Hello, world!<!-- Comment 1 --></doc>\n<?pi-without-data?>\n<!-- Comment 2 -->\n<!-- Comment 3 -->"
        );
    }

    #[test]
    fn escaping() {
        let x = "<doc a=\"a&#x9;b&#xA;c&#xD;d &amp; &lt; &gt; &quot; &apos;\">t &amp; &lt; &gt; &#xD; <![CDATA[<&>]]></doc>";
        assert_eq!(
            c14n(x, true, false, &[]),
            "<doc a=\"a&#x9;b&#xA;c&#xD;d &amp; &lt; > &quot; '\">t &amp; &lt; &gt; &#xD; &lt;&amp;&gt;</doc>"
        );
    }

    #[test]
    fn exclusive_renders_only_visibly_used_namespaces() {
        let x = r#"<p:R xmlns:p="urn:p" xmlns:s="urn:s" xmlns:xs="urn:xs" xmlns:xsi="urn:xsi"><s:A ID="1"><s:V xsi:type="xs:string">v</s:V></s:A></p:R>"#;
        assert_eq!(
            sub(x, "A", true, &[]),
            r#"<s:A xmlns:s="urn:s" ID="1"><s:V xmlns:xsi="urn:xsi" xsi:type="xs:string">v</s:V></s:A>"#
        );
        // With the PrefixList "xs", the prefix used only inside an attribute value is kept.
        assert_eq!(
            sub(x, "A", true, &["xs"]),
            r#"<s:A xmlns:s="urn:s" xmlns:xs="urn:xs" ID="1"><s:V xmlns:xsi="urn:xsi" xsi:type="xs:string">v</s:V></s:A>"#
        );
        // Inclusive renders every in-scope namespace on the apex.
        assert_eq!(
            sub(x, "A", false, &[]),
            r#"<s:A xmlns:p="urn:p" xmlns:s="urn:s" xmlns:xs="urn:xs" xmlns:xsi="urn:xsi" ID="1"><s:V xsi:type="xs:string">v</s:V></s:A>"#
        );
    }

    #[test]
    fn default_namespace_undeclaration() {
        let x = r#"<a xmlns="http://x"><b xmlns=""><c/></b></a>"#;
        for excl in [false, true] {
            assert_eq!(
                c14n(x, excl, false, &[]),
                r#"<a xmlns="http://x"><b xmlns=""><c></c></b></a>"#
            );
            assert_eq!(sub(x, "c", excl, &[]), "<c></c>");
        }
    }

    // lxml ignores `#default` in the PrefixList; the W3C specification says it names the
    // default namespace, which is then treated as in inclusive canonicalization.
    #[test]
    fn prefix_list_default() {
        let x = r#"<a xmlns="http://x" xmlns:p="urn:p"><p:b><p:c/></p:b></a>"#;
        assert_eq!(
            sub(x, "b", true, &[]),
            r#"<p:b xmlns:p="urn:p"><p:c></p:c></p:b>"#
        );
        assert_eq!(
            sub(x, "b", true, &["#default"]),
            r#"<p:b xmlns="http://x" xmlns:p="urn:p"><p:c></p:c></p:b>"#
        );
    }

    #[test]
    fn same_uri_two_prefixes_keeps_lexical_prefixes() {
        let x = r#"<a:x xmlns:a="u" xmlns:b="u"><b:y b:at="1"/></a:x>"#;
        assert_eq!(
            c14n(x, true, false, &[]),
            r#"<a:x xmlns:a="u"><b:y xmlns:b="u" b:at="1"></b:y></a:x>"#
        );
    }

    #[test]
    fn inclusive_subset_inherits_xml_attributes() {
        // Canonical XML 1.0, section 2.4: the apex of a document subset gets the xml:*
        // attributes of its ancestors (lxml drops them for element subtrees; xmlsec1 and
        // the specification keep them).
        let x = r#"<r xml:lang="en"><m xml:space="preserve"><t/></m></r>"#;
        assert_eq!(
            sub(x, "t", false, &[]),
            r#"<t xml:lang="en" xml:space="preserve"></t>"#
        );
        assert_eq!(sub(x, "t", true, &[]), "<t></t>");
    }

    #[test]
    fn excluded_subtree_is_left_out() {
        let x = r#"<a ID="1"><i>x</i><Signature><s/></Signature><b/></a>"#;
        let d = parse(x, &Limits::GENERAL).unwrap();
        let sig = d
            .descendants()
            .find(|n| n.tag_name().name() == "Signature")
            .unwrap();
        let o = Options::new(Algorithm::ExcC14n, &[]);
        assert_eq!(
            canonicalize(d.root_element(), &o, Some(sig)).unwrap(),
            r#"<a ID="1"><i>x</i><b></b></a>"#
        );
    }

    #[test]
    fn deep_documents_do_not_exhaust_the_stack() {
        let depth = 200;
        let x = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        assert_eq!(
            c14n(&x, true, false, &[]),
            format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth))
        );
    }

    #[test]
    fn algorithm_uris_round_trip() {
        for a in [
            Algorithm::C14n10,
            Algorithm::C14n10WithComments,
            Algorithm::ExcC14n,
            Algorithm::ExcC14nWithComments,
        ] {
            assert_eq!(Algorithm::from_uri(a.uri()).unwrap(), a);
        }
        assert!(Algorithm::from_uri("http://www.w3.org/2006/12/xml-c14n11").is_err());
    }
}
