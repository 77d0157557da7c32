//! Enveloped XML-DSig: signing and a strict, wrapping-safe verifier (SAML profile).
//!
//! CONTRACT (other modules rely on these signatures).
//!
//! Signing writes the `Signature` element already canonical (no whitespace, empty
//! elements as start + end tags, `SignedInfo` without a redundant namespace declaration),
//! so a document written canonical by construction stays canonical after signing, and an
//! outer signature over an already signed inner element verifies everywhere.
//!
//! Verification follows the SAML profile of XML-DSig strictly: the caller names the
//! element it wants verified, the signature must be that element's own direct child, its
//! one Reference must point at that element by its (document-unique) ID, and only the
//! enveloped-signature and exclusive c14n transforms are accepted. The verified node is
//! returned so the caller reads every field from it (never from a new search of the
//! document), which is what defeats XML Signature Wrapping.

use crate::c14n;
use crate::crypto::{Certificate, DigestAlgorithm, SignatureAlgorithm, SigningKey};
use crate::error::{Error, Result};
use crate::xml::{self, Limits, NS_DS, NS_EXC_C14N, NS_SAML};
use base64::Engine as _;
use roxmltree::{Document, Node};
use std::collections::HashMap;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// `http://www.w3.org/2000/09/xmldsig#enveloped-signature`
pub const TRANSFORM_ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// `http://www.w3.org/2001/10/xml-exc-c14n#`
pub const TRANSFORM_EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// Limits used when [`sign_element`] / [`sign_message`] parse their input: documents that
/// are signed may be metadata, so the larger metadata bounds apply.
const SIGN_LIMITS: Limits = Limits::METADATA;

/// What the verifier accepts. The default accepts no SHA-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VerifyPolicy {
    /// Accept RSA-SHA1 signatures and SHA-1 digests (legacy SPs); default false.
    pub allow_sha1: bool,
}

/// Which part of a SAML message [`sign_message`] signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignTarget {
    /// The message root (a Response, or any other SAML protocol message).
    Response,
    /// Every Assertion that is a direct child of the root (or the root itself when the
    /// document is a bare Assertion).
    Assertion,
    /// The Assertion(s) first, then the root, whose signature covers the signed
    /// Assertion(s).
    Both,
}

// ---------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------

/// Checks that `id` can be used as a same-document reference (`URI="#id"`): an XML
/// NCName in practice. Refusing odd IDs here keeps the Reference unambiguous.
fn check_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && !id.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.') || (c as u32) > 0x7f);
    if ok {
        Ok(())
    } else {
        Err(Error::Signature(format!(
            "the ID \"{id}\" cannot be signed: an ID must be an XML name (letters, digits, '_', '-', '.'; not starting with a digit)"
        )))
    }
}

/// Builds a complete `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">` element for
/// an element whose Exclusive-C14N form (without comments, without this signature) is
/// exactly `canonical` and whose ID is `id`. Transforms: enveloped-signature, exc-c14n.
/// `cert`, when given, is published in KeyInfo/X509Data.
///
/// This is the fast path for documents written canonical by construction: no parsing.
pub fn enveloped_signature(
    canonical: &[u8],
    id: &str,
    key: &SigningKey,
    cert: Option<&Certificate>,
    alg: SignatureAlgorithm,
) -> Result<String> {
    check_id(id)?;
    if let Some(c) = cert {
        if !c.matches_key(key) {
            return Err(Error::Key(format!(
                "the certificate \"{}\" (SHA-1 thumbprint {}) does not belong to the signing key",
                c.subject(),
                c.sha1_thumbprint()
            )));
        }
    }
    let digest_alg = alg.digest();
    let digest = B64.encode(digest_alg.digest(canonical));

    // The content of SignedInfo, identical in the document and in its canonical form.
    let mut si = String::with_capacity(1024);
    si.push_str("<CanonicalizationMethod Algorithm=\"");
    si.push_str(c14n::Algorithm::ExcC14n.uri());
    si.push_str("\"></CanonicalizationMethod><SignatureMethod Algorithm=\"");
    si.push_str(alg.uri());
    si.push_str("\"></SignatureMethod><Reference URI=\"#");
    xml::escape_attr(&mut si, id);
    si.push_str("\"><Transforms><Transform Algorithm=\"");
    si.push_str(TRANSFORM_ENVELOPED);
    si.push_str("\"></Transform><Transform Algorithm=\"");
    si.push_str(TRANSFORM_EXC_C14N);
    si.push_str("\"></Transform></Transforms><DigestMethod Algorithm=\"");
    si.push_str(digest_alg.uri());
    si.push_str("\"></DigestMethod><DigestValue>");
    si.push_str(&digest);
    si.push_str("</DigestValue></Reference>");

    // What is signed: exc-c14n of SignedInfo as the apex, so its (default) namespace
    // declaration is rendered on it. In the document it is inherited from Signature.
    let mut signed = String::with_capacity(si.len() + 80);
    signed.push_str("<SignedInfo xmlns=\"");
    signed.push_str(NS_DS);
    signed.push_str("\">");
    signed.push_str(&si);
    signed.push_str("</SignedInfo>");
    let value = B64.encode(key.sign(alg, signed.as_bytes())?);

    let mut out = String::with_capacity(si.len() + value.len() + 2048);
    out.push_str("<Signature xmlns=\"");
    out.push_str(NS_DS);
    out.push_str("\"><SignedInfo>");
    out.push_str(&si);
    out.push_str("</SignedInfo><SignatureValue>");
    out.push_str(&value);
    out.push_str("</SignatureValue>");
    if let Some(c) = cert {
        out.push_str("<KeyInfo><X509Data><X509Certificate>");
        out.push_str(&c.to_base64());
        out.push_str("</X509Certificate></X509Data></KeyInfo>");
    }
    out.push_str("</Signature>");
    Ok(out)
}

/// Finds the `>` that ends the start tag beginning at `start` (the `<`), honouring quoted
/// attribute values. Returns its offset and whether the tag is self-closing (`/>`).
fn start_tag_end(text: &str, start: usize) -> Result<(usize, bool)> {
    let bytes = text.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = start;
    while let Some(&b) = bytes.get(i) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => {
                let self_closing = i > start && bytes.get(i - 1) == Some(&b'/');
                return Ok((i, self_closing));
            }
            None => {}
        }
        i += 1;
    }
    Err(Error::MalformedXml(
        "unterminated start tag of the element to sign".into(),
    ))
}

/// Signs the element with ID `id` in arbitrary XML text: canonicalizes it (exc-c14n),
/// inserts the Signature after its `Issuer` child (or as its first child when it has no
/// Issuer) and returns the new document text. The rest of the text is left as it was.
///
/// Refuses an element that already has a direct Signature child. A self-closing element
/// (`<X ID="a"/>`) is rewritten as a start and an end tag around the new Signature.
pub fn sign_element(
    xml: &str,
    id: &str,
    key: &SigningKey,
    cert: Option<&Certificate>,
    alg: SignatureAlgorithm,
) -> Result<String> {
    check_id(id)?;
    let doc = xml::parse(xml, &SIGN_LIMITS)?;
    let ids = xml::index_ids(&doc)?;
    let element = *ids
        .get(id)
        .ok_or_else(|| Error::Signature(format!("no element has the ID \"{id}\"")))?;
    if element.attribute("ID") != Some(id) {
        return Err(Error::Signature(format!(
            "the element carrying \"{id}\" uses an \"Id\"/\"id\" attribute; SAML signatures reference the \"ID\" attribute"
        )));
    }
    if xml::child(element, NS_DS, "Signature").is_some() {
        return Err(Error::Signature(format!(
            "<{}> with ID \"{id}\" is already signed (it has a Signature child)",
            xml::element_qname(element)
        )));
    }
    let opts = c14n::Options::new(c14n::Algorithm::ExcC14n, &[]);
    let canonical = c14n::canonicalize(element, &opts, None)?;
    let signature = enveloped_signature(canonical.as_bytes(), id, key, cert, alg)?;

    let mut out = String::with_capacity(xml.len() + signature.len() + 16);
    if let Some(issuer) = xml::child(element, NS_SAML, "Issuer") {
        let at = issuer.range().end;
        out.push_str(&xml[..at]);
        out.push_str(&signature);
        out.push_str(&xml[at..]);
    } else {
        let (gt, self_closing) = start_tag_end(xml, element.range().start)?;
        if self_closing {
            // `<X .../>` becomes `<X ...>` Signature `</X>`.
            out.push_str(xml[..gt - 1].trim_end());
            out.push('>');
            out.push_str(&signature);
            out.push_str("</");
            out.push_str(xml::element_qname(element));
            out.push('>');
        } else {
            out.push_str(&xml[..=gt]);
            out.push_str(&signature);
        }
        out.push_str(&xml[gt + 1..]);
    }
    Ok(out)
}

/// Signs a SAML message for the command line: the root, its direct-child Assertion(s),
/// or both (Assertions first, then the root over them). See [`SignTarget`].
pub fn sign_message(
    xml: &str,
    target: SignTarget,
    key: &SigningKey,
    cert: Option<&Certificate>,
    alg: SignatureAlgorithm,
) -> Result<String> {
    let (root_id, assertion_ids) = {
        let doc = xml::parse(xml, &SIGN_LIMITS)?;
        let root = doc.root_element();
        let root_id = root.attribute("ID").map(str::to_owned);
        let root_is_assertion = xml::is(root, NS_SAML, "Assertion");
        let assertions: Vec<Node<'_, '_>> = if root_is_assertion {
            vec![root]
        } else {
            xml::children(root, NS_SAML, "Assertion").collect()
        };
        let mut ids = Vec::with_capacity(assertions.len());
        for a in assertions {
            ids.push(a.attribute("ID").map(str::to_owned).ok_or(Error::Missing {
                element: "Assertion",
                what: "ID",
            })?);
        }
        if target == SignTarget::Both && root_is_assertion {
            return Err(Error::Signature(
                "the document is a bare Assertion: sign it as the Assertion, there is no separate message root".into(),
            ));
        }
        if matches!(target, SignTarget::Assertion | SignTarget::Both) && ids.is_empty() {
            return Err(Error::Signature(format!(
                "<{}> has no Assertion child to sign (an EncryptedAssertion cannot be signed here)",
                xml::element_qname(root)
            )));
        }
        (root_id, ids)
    };
    let mut out = xml.to_owned();
    if matches!(target, SignTarget::Assertion | SignTarget::Both) {
        for id in &assertion_ids {
            out = sign_element(&out, id, key, cert, alg)?;
        }
    }
    if matches!(target, SignTarget::Response | SignTarget::Both) {
        let id = root_id.ok_or(Error::Signature(
            "the message root has no ID attribute, so it cannot be signed".into(),
        ))?;
        out = sign_element(&out, &id, key, cert, alg)?;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------

fn sig_err(msg: impl Into<String>) -> Error {
    Error::Signature(msg.into())
}

/// The element children of a DSig structural element, refusing non-whitespace text and
/// processing instructions (comments are ignored: they are never signed here).
fn strict_children<'a, 'input>(
    node: Node<'a, 'input>,
    what: &str,
) -> Result<Vec<Node<'a, 'input>>> {
    let mut out = Vec::new();
    for c in node.children() {
        if c.is_element() {
            out.push(c);
        } else if c.is_text() {
            if !c.text().unwrap_or("").trim().is_empty() {
                return Err(sig_err(format!("{what} contains unexpected text")));
            }
        } else if !c.is_comment() {
            return Err(sig_err(format!("{what} contains an unexpected node")));
        }
    }
    Ok(out)
}

fn expect_ds<'a, 'input>(
    node: Option<&Node<'a, 'input>>,
    local: &str,
    parent: &str,
) -> Result<Node<'a, 'input>> {
    match node {
        Some(n) if xml::is(*n, NS_DS, local) => Ok(*n),
        Some(n) => Err(sig_err(format!(
            "{parent} has <{}> where ds:{local} was expected",
            xml::element_qname(*n)
        ))),
        None => Err(sig_err(format!("{parent} has no ds:{local}"))),
    }
}

fn algorithm_attr<'a>(node: Node<'a, '_>, what: &str) -> Result<&'a str> {
    node.attribute("Algorithm")
        .ok_or_else(|| sig_err(format!("{what} has no Algorithm attribute")))
}

/// Reads an optional `ec:InclusiveNamespaces PrefixList` child of an exc-c14n
/// CanonicalizationMethod or Transform; any other child is refused.
fn inclusive_prefixes<'a>(node: Node<'a, '_>, what: &str, exclusive: bool) -> Result<Vec<&'a str>> {
    let kids = strict_children(node, what)?;
    match kids.as_slice() {
        [] => Ok(Vec::new()),
        [inc] if exclusive && xml::is(*inc, NS_EXC_C14N, "InclusiveNamespaces") => {
            if !strict_children(*inc, "InclusiveNamespaces")?.is_empty() {
                return Err(sig_err("InclusiveNamespaces has child elements"));
            }
            let list = inc
                .attribute("PrefixList")
                .ok_or_else(|| sig_err("InclusiveNamespaces has no PrefixList attribute"))?;
            Ok(list.split_ascii_whitespace().collect())
        }
        _ => Err(sig_err(format!("{what} has unexpected child elements"))),
    }
}

fn decode_b64(node: Node<'_, '_>, what: &'static str) -> Result<Vec<u8>> {
    if xml::child_elements(node).next().is_some() {
        return Err(sig_err(format!("{what} contains an element")));
    }
    let text = xml::text(node, what)?;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    B64.decode(compact.as_bytes()).map_err(|e| Error::Base64 {
        what,
        detail: e.to_string(),
    })
}

fn describe(element: Node<'_, '_>, id: &str) -> String {
    format!("<{}> with ID \"{id}\"", xml::element_qname(element))
}

/// The parsed, checked parts of one enveloped signature.
struct Parsed<'a, 'input> {
    signed_info: Node<'a, 'input>,
    si_alg: c14n::Algorithm,
    si_prefixes: Vec<&'a str>,
    sig_alg: SignatureAlgorithm,
    ref_exclusive: bool,
    ref_prefixes: Vec<&'a str>,
    digest_alg: DigestAlgorithm,
    digest_value: Vec<u8>,
    signature_value: Vec<u8>,
}

fn parse_signature<'a, 'input>(
    signature: Node<'a, 'input>,
    id: &str,
    policy: &VerifyPolicy,
) -> Result<Parsed<'a, 'input>> {
    // Signature: SignedInfo, SignatureValue, KeyInfo? (no Object: SAML never uses one,
    // and it is where wrapping attacks hide content).
    let kids = strict_children(signature, "Signature")?;
    let signed_info = expect_ds(kids.first(), "SignedInfo", "Signature")?;
    let signature_value = expect_ds(kids.get(1), "SignatureValue", "Signature")?;
    match kids.get(2) {
        None => {}
        Some(k) if xml::is(*k, NS_DS, "KeyInfo") => {}
        Some(k) => {
            return Err(sig_err(format!(
                "Signature has an unexpected <{}> element (only SignedInfo, SignatureValue and KeyInfo are accepted)",
                xml::element_qname(*k)
            )))
        }
    }
    if let Some(extra) = kids.get(3) {
        return Err(sig_err(format!(
            "Signature has an unexpected <{}> element after KeyInfo",
            xml::element_qname(*extra)
        )));
    }

    // SignedInfo: CanonicalizationMethod, SignatureMethod, exactly one Reference.
    let si = strict_children(signed_info, "SignedInfo")?;
    let c14n_method = expect_ds(si.first(), "CanonicalizationMethod", "SignedInfo")?;
    let sig_method = expect_ds(si.get(1), "SignatureMethod", "SignedInfo")?;
    let reference = expect_ds(si.get(2), "Reference", "SignedInfo")?;
    if si
        .iter()
        .filter(|n| xml::is(**n, NS_DS, "Reference"))
        .count()
        != 1
    {
        return Err(sig_err(format!(
            "SignedInfo has {} Reference elements; the SAML profile requires exactly one",
            si.iter()
                .filter(|n| xml::is(**n, NS_DS, "Reference"))
                .count()
        )));
    }
    if let Some(extra) = si.get(3) {
        return Err(sig_err(format!(
            "SignedInfo has an unexpected <{}> element after Reference",
            xml::element_qname(*extra)
        )));
    }

    let si_alg = c14n::Algorithm::from_uri(algorithm_attr(c14n_method, "CanonicalizationMethod")?)?;
    let si_prefixes =
        inclusive_prefixes(c14n_method, "CanonicalizationMethod", si_alg.is_exclusive())?;

    let sig_alg_uri = algorithm_attr(sig_method, "SignatureMethod")?;
    let sig_alg = SignatureAlgorithm::from_uri(sig_alg_uri)?;
    if sig_alg.is_sha1() && !policy.allow_sha1 {
        return Err(Error::UnsupportedAlgorithm(format!(
            "{sig_alg_uri} (SHA-1 signatures are not allowed for this partner)"
        )));
    }
    if !strict_children(sig_method, "SignatureMethod")?.is_empty() {
        return Err(sig_err("SignatureMethod has unexpected child elements"));
    }

    // Reference: URI="#<the element's ID>", Transforms, DigestMethod, DigestValue.
    let uri = reference
        .attribute("URI")
        .ok_or_else(|| sig_err(format!("signature Reference has no URI; it must be #{id}")))?;
    if uri.strip_prefix('#') != Some(id) {
        return Err(sig_err(format!(
            "signature Reference URI {} does not match the signed element's ID #{id}",
            if uri.is_empty() {
                "\"\" (the whole document)"
            } else {
                uri
            }
        )));
    }
    let rk = strict_children(reference, "Reference")?;
    let transforms = expect_ds(rk.first(), "Transforms", "Reference")?;
    let digest_method = expect_ds(rk.get(1), "DigestMethod", "Reference")?;
    let digest_value = expect_ds(rk.get(2), "DigestValue", "Reference")?;
    if let Some(extra) = rk.get(3) {
        return Err(sig_err(format!(
            "Reference has an unexpected <{}> element",
            xml::element_qname(*extra)
        )));
    }

    // Transforms: enveloped-signature, then optionally exc-c14n (with a PrefixList).
    let tk = strict_children(transforms, "Transforms")?;
    let mut ref_exclusive = false;
    let mut ref_prefixes = Vec::new();
    for (i, t) in tk.iter().enumerate() {
        if !xml::is(*t, NS_DS, "Transform") {
            return Err(sig_err(format!(
                "Transforms has <{}> where ds:Transform was expected",
                xml::element_qname(*t)
            )));
        }
        let alg = algorithm_attr(*t, "Transform")?;
        match i {
            0 if alg == TRANSFORM_ENVELOPED => {
                if !strict_children(*t, "Transform")?.is_empty() {
                    return Err(sig_err("the enveloped-signature Transform has child elements"));
                }
            }
            0 => {
                return Err(sig_err(format!(
                    "the first Transform must be enveloped-signature, found {alg}"
                )))
            }
            1 if alg == TRANSFORM_EXC_C14N => {
                ref_exclusive = true;
                ref_prefixes = inclusive_prefixes(*t, "Transform", true)?;
            }
            1 => {
                return Err(Error::UnsupportedAlgorithm(format!(
                    "{alg} as the second Transform (the SAML profile allows enveloped-signature followed by exclusive c14n)"
                )))
            }
            _ => {
                return Err(sig_err(format!(
                    "Reference has {} Transforms; at most enveloped-signature and exclusive c14n are allowed",
                    tk.len()
                )))
            }
        }
    }
    if tk.is_empty() {
        return Err(sig_err(
            "Transforms is empty; the enveloped-signature transform is required",
        ));
    }

    let digest_uri = algorithm_attr(digest_method, "DigestMethod")?;
    let digest_alg = DigestAlgorithm::from_uri(digest_uri)?;
    if digest_alg.is_sha1() && !policy.allow_sha1 {
        return Err(Error::UnsupportedAlgorithm(format!(
            "{digest_uri} (SHA-1 digests are not allowed for this partner)"
        )));
    }
    if !strict_children(digest_method, "DigestMethod")?.is_empty() {
        return Err(sig_err("DigestMethod has unexpected child elements"));
    }
    let digest_value = decode_b64(digest_value, "DigestValue")?;
    let signature_value = decode_b64(signature_value, "SignatureValue")?;
    if signature_value.is_empty() {
        return Err(sig_err("SignatureValue is empty"));
    }
    Ok(Parsed {
        signed_info,
        si_alg,
        si_prefixes,
        sig_alg,
        ref_exclusive,
        ref_prefixes,
        digest_alg,
        digest_value,
        signature_value,
    })
}

/// Verifies the enveloped signature that is a direct child of `element`, trusting only
/// `certs` (never a KeyInfo in the document). Returns `element` itself: the caller reads
/// every field from the node returned, never from a new search of the document.
///
/// Strict SAML profile: exactly one Signature child, exactly one Reference whose URI is
/// `#` + the element's ID, IDs unique in the document, only enveloped-signature and
/// exc-c14n transforms, a known c14n method for SignedInfo.
pub fn verify_element<'a, 'input>(
    doc: &'a Document<'input>,
    element: Node<'a, 'input>,
    certs: &[Certificate],
    policy: &VerifyPolicy,
) -> Result<Node<'a, 'input>> {
    let ids = xml::index_ids(doc)?;
    verify_indexed(doc, element, &ids, certs, policy)
}

/// [`verify_element`] with the document's ID index already built (and so already checked
/// for duplicates).
fn verify_indexed<'a, 'input>(
    doc: &'a Document<'input>,
    element: Node<'a, 'input>,
    ids: &HashMap<&'a str, Node<'a, 'input>>,
    certs: &[Certificate],
    policy: &VerifyPolicy,
) -> Result<Node<'a, 'input>> {
    if !std::ptr::eq(element.document(), doc) {
        return Err(sig_err(
            "the element to verify is not part of the given document",
        ));
    }
    if !element.is_element() {
        return Err(sig_err("only an element can be verified"));
    }
    if certs.is_empty() {
        return Err(sig_err(
            "no trusted certificate is configured, so no signature can be verified",
        ));
    }
    let id = element.attribute("ID").ok_or_else(|| {
        sig_err(format!(
            "<{}> has no ID attribute, so it cannot carry an enveloped signature",
            xml::element_qname(element)
        ))
    })?;
    // Unique IDs make "#id" denote exactly this element.
    match ids.get(id) {
        Some(n) if *n == element => {}
        _ => return Err(Error::DuplicateId(id.to_owned())),
    }
    let what = describe(element, id);

    let mut sigs = xml::children(element, NS_DS, "Signature");
    let signature = sigs.next().ok_or_else(|| {
        sig_err(format!(
            "{what} is not signed (it has no ds:Signature child)"
        ))
    })?;
    if sigs.next().is_some() {
        return Err(sig_err(format!(
            "{what} has more than one ds:Signature child"
        )));
    }
    let p = parse_signature(signature, id, policy)?;

    // Reference: digest of the element without its own Signature.
    let ref_alg = if p.ref_exclusive {
        c14n::Algorithm::ExcC14n
    } else {
        // enveloped-signature alone: the node-set is converted with Canonical XML 1.0.
        c14n::Algorithm::C14n10
    };
    let ref_opts = c14n::Options::new(ref_alg, &p.ref_prefixes);
    let canonical = c14n::canonicalize(element, &ref_opts, Some(signature))?;
    let digest = p.digest_alg.digest(canonical.as_bytes());
    if aws_lc_rs::constant_time::verify_slices_are_equal(&digest, &p.digest_value).is_err() {
        return Err(sig_err(format!(
            "the digest of {what} does not match the signature's DigestValue: the signed content was changed"
        )));
    }

    // SignatureValue over the canonical SignedInfo, with the configured certificates only.
    let si_opts = c14n::Options::new(p.si_alg, &p.si_prefixes);
    let signed_info = c14n::canonicalize(p.signed_info, &si_opts, None)?;
    let mut last = None;
    for cert in certs {
        match cert.verify(p.sig_alg, signed_info.as_bytes(), &p.signature_value) {
            Ok(()) => return Ok(element),
            Err(e) => last = Some(e),
        }
    }
    Err(sig_err(match (certs.len(), last) {
        (1, Some(e)) => format!("the signature of {what} does not verify: {e}"),
        (n, _) => format!(
            "the signature of {what} does not verify with any of the {n} trusted certificates"
        ),
    }))
}

/// Verifies every enveloped signature of a SAML message: the root's (when present) and
/// those of the root's direct-child Assertions (when present). Fails when there is none
/// or when any fails. Returns the verified elements, root first.
///
/// When the root is not signed, every direct-child Assertion must be: a message that
/// carries an unsigned Assertion next to signed content is refused (signature wrapping).
pub fn verify_message<'a, 'input>(
    doc: &'a Document<'input>,
    certs: &[Certificate],
    policy: &VerifyPolicy,
) -> Result<Vec<Node<'a, 'input>>> {
    // Duplicate IDs anywhere refuse the whole message, before anything else is looked at.
    let ids = xml::index_ids(doc)?;
    let root = doc.root_element();
    let mut verified = Vec::new();
    let root_signed = xml::child(root, NS_DS, "Signature").is_some();
    if root_signed {
        verified.push(verify_indexed(doc, root, &ids, certs, policy)?);
    }
    if !xml::is(root, NS_SAML, "Assertion") {
        for a in xml::children(root, NS_SAML, "Assertion") {
            if xml::child(a, NS_DS, "Signature").is_some() {
                verified.push(verify_indexed(doc, a, &ids, certs, policy)?);
            } else if !root_signed {
                return Err(sig_err(format!(
                    "neither <{}> nor its Assertion{} is signed",
                    xml::element_qname(root),
                    a.attribute("ID")
                        .map(|i| format!(" with ID \"{i}\""))
                        .unwrap_or_default()
                )));
            }
        }
    }
    if verified.is_empty() {
        return Err(sig_err(format!(
            "<{}> is not signed, and has no signed Assertion",
            xml::element_qname(root)
        )));
    }
    Ok(verified)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn start_tag_scanner() {
        let t = r#"<a b="x>y" c='/>'/>"#;
        assert_eq!(start_tag_end(t, 0).unwrap(), (t.len() - 1, true));
        let t = r#"<a b="x>y">z</a>"#;
        assert_eq!(start_tag_end(t, 0).unwrap(), (10, false));
        assert!(start_tag_end("<a b='", 0).is_err());
    }

    #[test]
    fn ids_checked() {
        assert!(check_id("_abc-1.2").is_ok());
        assert!(check_id("id-\u{e9}").is_ok());
        for bad in ["", "1abc", "a b", "a\"b", "a<b", "a&b", "#a", "a:b"] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }
}
