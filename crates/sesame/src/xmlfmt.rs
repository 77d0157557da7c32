//! A small XML pretty-printer over roxmltree, for humans (`sesame saml decode`, the
//! portal's token preview and sign-in log details): two-space indentation, prefixes kept
//! as written, text and attribute values escaped. Elements with text content stay on one
//! line with their content untouched; whitespace-only text between elements is replaced
//! by the indentation. The output is for reading, not for verifying: indentation changes
//! what a signature covers. [`pretty_without_signature_values`] also leaves out every
//! `ds:SignatureValue` (the sign-in log shows what was signed, never a signature to
//! replay). Iterative (no recursion), so any depth the parser accepted is fine.

use roxmltree::{Document, Node, NodeType};
use sesame_saml::xml::{attribute_qname, element_qname, escape_attr, escape_text, NS_DS};

/// The pretty-printed document, ending with a newline. No XML declaration.
pub fn pretty(doc: &Document<'_>) -> String {
    write_document(doc, false)
}

/// [`pretty`] without the contents of any `ds:SignatureValue` element (the element
/// itself is left out).
pub fn pretty_without_signature_values(doc: &Document<'_>) -> String {
    write_document(doc, true)
}

fn write_document(doc: &Document<'_>, drop_sig: bool) -> String {
    let mut out = String::new();
    for child in doc.root().children() {
        if is_blank_text(child) {
            continue;
        }
        write_block(&mut out, child, 0, drop_sig);
    }
    out
}

/// Writes `node` starting on its own line at `depth` and ending with a newline.
fn write_block(out: &mut String, node: Node<'_, '_>, depth: usize, drop_sig: bool) {
    // An explicit stack of (node, depth, closing?) instead of recursion.
    let mut stack: Vec<(Node<'_, '_>, usize, bool)> = vec![(node, depth, false)];
    while let Some((n, d, closing)) = stack.pop() {
        indent(out, d);
        if closing {
            out.push_str("</");
            out.push_str(element_qname(n));
            out.push_str(">\n");
            continue;
        }
        if n.is_element() && is_block_content(n) {
            start_tag(out, n);
            out.push_str(">\n");
            stack.push((n, d, true));
            let kids: Vec<_> = n
                .children()
                .filter(|c| !is_blank_text(*c) && !left_out(*c, drop_sig))
                .collect();
            for c in kids.into_iter().rev() {
                stack.push((c, d + 1, false));
            }
        } else {
            write_inline(out, n, drop_sig);
            out.push('\n');
        }
    }
}

/// Writes `node` exactly, without added whitespace (iterative).
fn write_inline(out: &mut String, node: Node<'_, '_>, drop_sig: bool) {
    let mut stack: Vec<(Node<'_, '_>, bool)> = vec![(node, false)];
    while let Some((n, closing)) = stack.pop() {
        if closing {
            out.push_str("</");
            out.push_str(element_qname(n));
            out.push('>');
            continue;
        }
        match n.node_type() {
            NodeType::Element => {
                start_tag(out, n);
                if n.has_children() {
                    out.push('>');
                    stack.push((n, true));
                    let kids: Vec<_> = n.children().filter(|c| !left_out(*c, drop_sig)).collect();
                    for c in kids.into_iter().rev() {
                        stack.push((c, false));
                    }
                } else {
                    out.push_str("/>");
                }
            }
            NodeType::Text => escape_text(out, n.text().unwrap_or("")),
            NodeType::Comment => {
                out.push_str("<!--");
                out.push_str(n.text().unwrap_or(""));
                out.push_str("-->");
            }
            NodeType::PI => {
                if let Some(pi) = n.pi() {
                    out.push_str("<?");
                    out.push_str(pi.target);
                    if let Some(v) = pi.value {
                        out.push(' ');
                        out.push_str(v);
                    }
                    out.push_str("?>");
                }
            }
            NodeType::Root => {}
        }
    }
}

/// `<qname` + the namespace declarations made on this element + its attributes.
fn start_tag(out: &mut String, n: Node<'_, '_>) {
    out.push('<');
    out.push_str(element_qname(n));
    let parent_scope: Vec<(Option<&str>, &str)> = n
        .parent_element()
        .map(|p| p.namespaces().map(|ns| (ns.name(), ns.uri())).collect())
        .unwrap_or_default();
    let parent_default = parent_scope
        .iter()
        .find(|(p, _)| p.is_none())
        .map(|(_, u)| *u)
        .filter(|u| !u.is_empty());
    let mut has_default = false;
    for ns in n.namespaces() {
        let (prefix, uri) = (ns.name(), ns.uri());
        if prefix == Some("xml") {
            continue;
        }
        if prefix.is_none() && !uri.is_empty() {
            has_default = true;
        }
        if parent_scope.contains(&(prefix, uri)) {
            continue;
        }
        if prefix.is_none() && uri.is_empty() && parent_default.is_none() {
            continue; // xmlns="" where no default namespace is in scope: nothing to undo
        }
        match prefix {
            Some(p) => {
                out.push_str(" xmlns:");
                out.push_str(p);
            }
            None => out.push_str(" xmlns"),
        }
        out.push_str("=\"");
        escape_attr(out, uri);
        out.push('"');
    }
    // The default namespace undeclared here without an explicit (None, "") entry.
    if parent_default.is_some() && !has_default && !n.namespaces().any(|ns| ns.name().is_none()) {
        out.push_str(" xmlns=\"\"");
    }
    for a in n.attributes() {
        out.push(' ');
        out.push_str(attribute_qname(n, &a));
        out.push_str("=\"");
        escape_attr(out, a.value());
        out.push('"');
    }
}

/// True when the element has children and they are all elements, comments or PIs
/// (whitespace-only text aside): such content is laid out one child per line.
fn is_block_content(n: Node<'_, '_>) -> bool {
    let mut any = false;
    for c in n.children() {
        if c.is_text() {
            if !is_blank_text(c) {
                return false;
            }
        } else {
            any = true;
        }
    }
    any
}

/// Whether `n` is left out of the output (a `ds:SignatureValue` when `drop_sig`).
fn left_out(n: Node<'_, '_>, drop_sig: bool) -> bool {
    drop_sig && is_signature_value(n)
}

fn is_signature_value(n: Node<'_, '_>) -> bool {
    n.is_element()
        && n.tag_name().name() == "SignatureValue"
        && n.tag_name().namespace() == Some(NS_DS)
}

fn is_blank_text(n: Node<'_, '_>) -> bool {
    n.is_text()
        && n.text()
            .is_some_and(|t| t.chars().all(|c| c.is_ascii_whitespace()))
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (workspace policy)
mod tests {
    use super::*;

    fn pp(x: &str) -> String {
        pretty(&Document::parse(x).unwrap())
    }

    #[test]
    fn indents_element_content_and_keeps_text_inline() {
        let x = r#"<samlp:AuthnRequest xmlns:samlp="urn:p" ID="_1"><saml:Issuer xmlns:saml="urn:a">https://sp</saml:Issuer>  <samlp:NameIDPolicy Format="f"/></samlp:AuthnRequest>"#;
        assert_eq!(
            pp(x),
            "<samlp:AuthnRequest xmlns:samlp=\"urn:p\" ID=\"_1\">\n  <saml:Issuer xmlns:saml=\"urn:a\">https://sp</saml:Issuer>\n  <samlp:NameIDPolicy Format=\"f\"/>\n</samlp:AuthnRequest>\n"
        );
    }

    #[test]
    fn escapes_and_undeclares() {
        let x =
            "<a xmlns=\"u\" t=\"&lt;&quot;&#9;\"><b xmlns=\"\">x &amp; &lt;y&gt;<!--c--></b></a>";
        assert_eq!(
            pp(x),
            "<a xmlns=\"u\" t=\"&lt;&quot;&#x9;\">\n  <b xmlns=\"\">x &amp; &lt;y&gt;<!--c--></b>\n</a>\n"
        );
    }

    #[test]
    fn output_reparses_to_the_same_names() {
        let x = r#"<?pi x?><!--top--><r xmlns:p="u1" xmlns:q="u1"><p:a q:b="1"><q:c/></p:a><d xml:lang="en">t</d></r>"#;
        let out = pp(x);
        let d2 = Document::parse(&out).unwrap();
        let names: Vec<_> = d2
            .descendants()
            .filter(|n| n.is_element())
            .map(|n| element_qname(n).to_owned())
            .collect();
        assert_eq!(names, ["r", "p:a", "q:c", "d"]);
        assert!(out.starts_with("<?pi x?>\n<!--top-->\n<r"));
    }

    #[test]
    fn leaves_out_signature_values() {
        let x = r#"<r><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/><ds:SignatureValue>c2ln</ds:SignatureValue></ds:Signature></r>"#;
        let d = Document::parse(x).unwrap();
        let out = pretty_without_signature_values(&d);
        assert!(!out.contains("SignatureValue"), "{out}");
        assert!(out.contains("ds:SignedInfo"));
        assert!(pretty(&d).contains("<ds:SignatureValue>c2ln</ds:SignatureValue>"));
    }

    #[test]
    fn deep_documents_do_not_recurse() {
        let depth = 1000;
        let x = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        let opts = roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: u32::MAX,
            entity_resolver: None,
        };
        let d = Document::parse_with_options(&x, opts).unwrap();
        let out = pretty(&d);
        assert_eq!(out.lines().count(), 2 * depth - 1);
    }
}
