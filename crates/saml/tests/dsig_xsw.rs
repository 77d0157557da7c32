//! XML Signature Wrapping (Somorovsky et al., "On Breaking SAML: Be Whoever You Want to
//! Be", USENIX Security 2012, XSW1–XSW8), comment injection, strict-profile refusals and
//! hostile input.
//!
//! The property checked for every wrapped document: verification is refused, OR every
//! element `verify_message` returns is, byte for byte (canonically), the element that was
//! genuinely signed, and every NameID in it is the genuine one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap

mod dsig_common;

use dsig_common::*;
use sesame_saml::crypto::SignatureAlgorithm;
use sesame_saml::dsig::{self, SignTarget, VerifyPolicy};
use sesame_saml::xml::{self, Limits, NS_DS, NS_SAML};
use sesame_saml::Error;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const STRICT: VerifyPolicy = VerifyPolicy { allow_sha1: false };
const EVIL_NAME: &str = "attacker@evil.com";

/// The pieces of a signed document an attacker works with.
struct Parts {
    /// The whole signed document.
    doc: String,
    /// `<samlp:Response ...>` start tag of the original.
    resp_start: String,
    /// Response Issuer element.
    resp_issuer: String,
    /// The Response's own Signature (empty when the Response is not signed).
    resp_sig: String,
    /// The Status element.
    status: String,
    /// The Assertion as signed (with its Signature when it has one).
    assertion: String,
    /// The Assertion's own Signature (empty when not signed).
    assertion_sig: String,
    /// The genuinely signed contents, by ID.
    genuine: HashMap<String, String>,
}

impl Parts {
    fn new(target: SignTarget) -> Parts {
        let doc = signed(target);
        let d = parse(&doc);
        let root = d.root_element();
        let text = |n: roxmltree::Node<'_, '_>| doc[n.range()].to_owned();
        let a = by_id(&d, ASSERTION_ID);
        let resp_sig = xml::child(root, NS_DS, "Signature")
            .map(text)
            .unwrap_or_default();
        let assertion_sig = xml::child(a, NS_DS, "Signature")
            .map(text)
            .unwrap_or_default();
        let gt = doc.find('>').unwrap();
        let mut genuine = HashMap::new();
        for n in dsig::verify_message(&d, &[rsa_cert()], &STRICT).unwrap() {
            genuine.insert(n.attribute("ID").unwrap().to_owned(), content(n));
        }
        Parts {
            resp_start: doc[..=gt].to_owned(),
            resp_issuer: text(xml::child(root, NS_SAML, "Issuer").unwrap()),
            status: text(xml::child(root, sesame_saml::xml::NS_SAMLP, "Status").unwrap()),
            assertion: text(a),
            resp_sig,
            assertion_sig,
            genuine,
            doc,
        }
    }

    /// The Response without its own signature.
    fn response_unsigned_copy(&self) -> String {
        self.doc.replacen(&self.resp_sig, "", 1)
    }
    /// The Assertion without its own signature.
    fn assertion_unsigned_copy(&self) -> String {
        if self.assertion_sig.is_empty() {
            self.assertion.clone()
        } else {
            self.assertion.replacen(&self.assertion_sig, "", 1)
        }
    }
    /// An attacker's Assertion: the original, unsigned, with another NameID and `id`.
    fn evil_assertion(&self, id: &str) -> String {
        self.assertion_unsigned_copy()
            .replace(NAME_ID, EVIL_NAME)
            .replacen(ASSERTION_ID, id, 1)
    }
    fn evil_response_start(&self) -> String {
        self.resp_start.replacen(RESPONSE_ID, "_evil_response", 1)
    }
}

/// Wraps `inner` into the Signature text `sig`, just before `</Signature>`.
fn into_signature(sig: &str, inner: &str) -> String {
    let end = sig.rfind("</").unwrap();
    format!("{}{}{}", &sig[..end], inner, &sig[end..])
}

/// Inserts `inner` into the element text `el` just before its end tag.
fn before_end_tag(el: &str, inner: &str) -> String {
    into_signature(el, inner)
}

/// Inserts `sig` right after the `<Issuer>...</Issuer>` of an Assertion text.
fn after_issuer(assertion: &str, sig: &str) -> String {
    let at = assertion.find("</Issuer>").unwrap() + "</Issuer>".len();
    format!("{}{}{}", &assertion[..at], sig, &assertion[at..])
}

const END: &str = "</samlp:Response>";

/// Checks the property on one wrapped document. Returns whether it was refused.
fn check(name: &str, text: &str, genuine: &HashMap<String, String>) -> bool {
    match verify_text(text, &STRICT) {
        Err(e) => {
            eprintln!("{name}: {e}");
            true
        }
        Ok(verified) => {
            let doc = parse(text);
            let nodes = dsig::verify_message(&doc, &[rsa_cert()], &STRICT).unwrap();
            assert_eq!(nodes.len(), verified.len());
            for n in nodes {
                let id = n.attribute("ID").unwrap();
                let want = genuine.get(id).unwrap_or_else(|| {
                    panic!("{name}: verified an element {id} that was never signed")
                });
                assert_eq!(
                    &content(n),
                    want,
                    "{name}: verified content differs from what was signed"
                );
                for nid in name_ids(n) {
                    assert_eq!(nid, NAME_ID, "{name}: attacker NameID accepted");
                }
            }
            false
        }
    }
}

fn xsw_corpus() -> Vec<(String, String, HashMap<String, String>)> {
    let mut out = Vec::new();

    // ---- Response signature (XSW1, XSW2), from a Response-signed and a Both-signed message.
    for target in [SignTarget::Response, SignTarget::Both] {
        let p = Parts::new(target);
        let evil_assertion = p.evil_assertion("_evil_assertion");
        let original_copy = p.response_unsigned_copy();
        // XSW1: evil Response; the original (unsigned copy) inside the original Signature.
        out.push((
            format!("XSW1 {target:?}"),
            format!(
                "{}{}{}{}{}{}",
                p.evil_response_start(),
                p.resp_issuer,
                into_signature(&p.resp_sig, &original_copy),
                p.status,
                evil_assertion,
                END
            ),
            p.genuine.clone(),
        ));
        // XSW2: as XSW1, with the original copy before the Signature (detached style).
        out.push((
            format!("XSW2 {target:?}"),
            format!(
                "{}{}{}{}{}{}{}",
                p.evil_response_start(),
                p.resp_issuer,
                original_copy,
                p.resp_sig,
                p.status,
                evil_assertion,
                END
            ),
            p.genuine.clone(),
        ));
        // XSW1 with the attacker's Response keeping the original ID (duplicate IDs).
        out.push((
            format!("XSW1-same-id {target:?}"),
            format!(
                "{}{}{}{}{}{}",
                p.resp_start,
                p.resp_issuer,
                into_signature(&p.resp_sig, &original_copy),
                p.status,
                evil_assertion,
                END
            ),
            p.genuine.clone(),
        ));
        // The evil assertion simply added to (or swapped into) the signed Response.
        out.push((
            format!("append-assertion {target:?}"),
            p.doc.replacen(END, &format!("{evil_assertion}{END}"), 1),
            p.genuine.clone(),
        ));
        out.push((
            format!("swap-assertion {target:?}"),
            p.doc
                .replacen(&p.assertion, &p.evil_assertion(ASSERTION_ID), 1),
            p.genuine.clone(),
        ));
    }

    // ---- Assertion signature (XSW3–XSW8), from an Assertion-signed and a Both-signed message.
    for target in [SignTarget::Assertion, SignTarget::Both] {
        let p = Parts::new(target);
        let start = p.resp_start.clone();
        let head = format!("{}{}{}", start, p.resp_issuer, p.resp_sig);
        let evil = p.evil_assertion("_evil_assertion");
        let evil_same_id = p.evil_assertion(ASSERTION_ID);
        let original_unsigned = p.assertion_unsigned_copy();
        // XSW3: evil assertion before the signed one.
        out.push((
            format!("XSW3 {target:?}"),
            format!("{head}{}{evil}{}{END}", p.status, p.assertion),
            p.genuine.clone(),
        ));
        // XSW3 after, and with the same ID.
        out.push((
            format!("XSW3-after {target:?}"),
            format!("{head}{}{}{evil}{END}", p.status, p.assertion),
            p.genuine.clone(),
        ));
        out.push((
            format!("XSW3-same-id {target:?}"),
            format!("{head}{}{evil_same_id}{}{END}", p.status, p.assertion),
            p.genuine.clone(),
        ));
        // XSW4: the signed assertion hidden inside the evil one.
        out.push((
            format!("XSW4 {target:?}"),
            format!(
                "{head}{}{}{END}",
                p.status,
                before_end_tag(&evil, &p.assertion)
            ),
            p.genuine.clone(),
        ));
        // XSW5: the signature stays in the evil assertion; an unsigned copy of the
        // original is appended.
        let evil_with_sig = after_issuer(&evil, &p.assertion_sig);
        out.push((
            format!("XSW5 {target:?}"),
            format!("{head}{}{evil_with_sig}{original_unsigned}{END}", p.status),
            p.genuine.clone(),
        ));
        // XSW6: as XSW5, with the original copy inside the evil assertion's Signature.
        let evil_with_wrapping_sig =
            after_issuer(&evil, &into_signature(&p.assertion_sig, &original_unsigned));
        out.push((
            format!("XSW6 {target:?}"),
            format!("{head}{}{evil_with_wrapping_sig}{END}", p.status),
            p.genuine.clone(),
        ));
        // XSW7: the signed assertion inside an Extensions element; the evil one in the open.
        out.push((
            format!("XSW7 {target:?}"),
            format!(
                "{head}<samlp:Extensions>{}</samlp:Extensions>{}{evil}{END}",
                p.assertion, p.status
            ),
            p.genuine.clone(),
        ));
        // XSW8: the original (unsigned copy) inside ds:Object of the evil assertion's Signature.
        let object = format!("<Object>{original_unsigned}</Object>");
        let evil_with_object = after_issuer(&evil, &into_signature(&p.assertion_sig, &object));
        out.push((
            format!("XSW8 {target:?}"),
            format!("{head}{}{evil_with_object}{END}", p.status),
            p.genuine.clone(),
        ));
        // The evil assertion hidden where nobody should read it: harmless if accepted.
        out.push((
            format!("hidden-evil {target:?}"),
            format!(
                "{head}<samlp:Extensions>{evil}</samlp:Extensions>{}{}{END}",
                p.status, p.assertion
            ),
            p.genuine.clone(),
        ));
        // The signed assertion wrapped in an unknown element; the evil one beside it.
        out.push((
            format!("evil-wrapper {target:?}"),
            format!(
                "{head}{}<evil:Wrapper xmlns:evil=\"urn:evil\">{}</evil:Wrapper>{evil}{END}",
                p.status, p.assertion
            ),
            p.genuine.clone(),
        ));
    }
    out
}

#[test]
fn xsw_corpus_is_refused_or_harmless() {
    let corpus = xsw_corpus();
    assert!(corpus.len() >= 24);
    let mut accepted = Vec::new();
    for (name, text, genuine) in &corpus {
        // Every variant must be well-formed XML, or the test would prove nothing.
        let d =
            xml::parse(text, &Limits::MESSAGE).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        // The attacker's NameID is really in there.
        assert!(
            d.descendants()
                .any(|n| xml::is(n, NS_SAML, "NameID")
                    && xml::text(n, "NameID").unwrap() == EVIL_NAME),
            "{name}: no attacker NameID"
        );
        if !check(name, text, genuine) {
            accepted.push(name.as_str());
        }
    }
    // In this profile every XSW1–XSW8 variant is in fact refused outright; only the
    // message whose extra assertion is not where assertions are read from is accepted
    // (with just the genuine assertion returned), and only when the Response is unsigned.
    assert_eq!(accepted, ["hidden-evil Assertion"]);
}

/// Callers that look elements up themselves and ask verify_element about the wrong one.
#[test]
fn verify_element_on_the_wrong_element_fails() {
    for target in [SignTarget::Assertion, SignTarget::Both] {
        let p = Parts::new(target);
        let head = format!("{}{}{}", p.resp_start, p.resp_issuer, p.resp_sig);
        let evil = p.evil_assertion("_evil_assertion");
        let evil_with_sig = after_issuer(&evil, &p.assertion_sig);
        let text = format!(
            "{head}{}{evil_with_sig}{}{END}",
            p.status,
            p.assertion_unsigned_copy()
                .replacen(ASSERTION_ID, "_moved", 1)
        );
        let d = parse(&text);
        let first = d
            .root_element()
            .children()
            .find(|n| xml::is(*n, NS_SAML, "Assertion"))
            .unwrap();
        let err = dsig::verify_element(&d, first, &[rsa_cert()], &STRICT).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "signature: signature Reference URI #{ASSERTION_ID} does not match the signed element's ID #_evil_assertion"
            )
        );
    }
}

/// The 2018 comment-injection class (Duo Labs): the signature still verifies (comments are
/// not signed), and the NameID read from the verified element is the full genuine value.
#[test]
fn comment_injection_in_name_id() {
    let genuine_name = "admin@example.com.evil.com";
    let raw = unsigned().replace(NAME_ID, genuine_name);
    for target in [SignTarget::Assertion, SignTarget::Both] {
        let out = dsig::sign_message(
            &raw,
            target,
            &rsa_key(),
            None,
            SignatureAlgorithm::RsaSha256,
        )
        .unwrap();
        for injected in [
            "admin@example.com<!---->.evil.com",
            "admin@example.com<!-- x -->.evil.com",
            "<!---->admin@example.com.evil.com<!---->",
        ] {
            let tampered = out.replace(
                &format!(">{genuine_name}</NameID>"),
                &format!(">{injected}</NameID>"),
            );
            assert_ne!(tampered, out);
            let d = parse(&tampered);
            let nodes = dsig::verify_message(&d, &[rsa_cert()], &STRICT).unwrap();
            for n in nodes {
                assert_eq!(name_ids(n), [genuine_name]);
            }
        }
        // A CDATA section is the same text too; an entity reference likewise.
        let cdata = out.replace(
            &format!(">{genuine_name}</NameID>"),
            ">admin@<![CDATA[example.com]]>.evil.com</NameID>",
        );
        let d = parse(&cdata);
        for n in dsig::verify_message(&d, &[rsa_cert()], &STRICT).unwrap() {
            assert_eq!(name_ids(n), [genuine_name]);
        }
    }
}

/// Structural weirdness in the Signature is refused, never guessed around.
#[test]
fn strict_profile_refusals() {
    let out = signed(SignTarget::Assertion);
    let sig = signature_text(&out, ASSERTION_ID);
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "URI names another element",
            sig.replacen(&format!("URI=\"#{ASSERTION_ID}\""), &format!("URI=\"#{RESPONSE_ID}\""), 1),
            "does not match the signed element's ID",
        ),
        (
            "empty URI (whole document)",
            sig.replacen(&format!("URI=\"#{ASSERTION_ID}\""), "URI=\"\"", 1),
            "does not match",
        ),
        (
            "xpointer URI",
            sig.replacen(
                &format!("URI=\"#{ASSERTION_ID}\""),
                &format!("URI=\"#xpointer(id('{ASSERTION_ID}'))\""),
                1,
            ),
            "does not match",
        ),
        (
            "no URI",
            sig.replacen(&format!(" URI=\"#{ASSERTION_ID}\""), "", 1),
            "no URI",
        ),
        (
            "two References",
            {
                let r0 = sig.find("<Reference").unwrap();
                let r1 = sig.find("</Reference>").unwrap() + "</Reference>".len();
                format!("{}{}{}", &sig[..r1], &sig[r0..r1], &sig[r1..])
            },
            "exactly one",
        ),
        (
            "Object in Signature",
            into_signature(&sig, "<Object></Object>"),
            "unexpected",
        ),
        (
            "XPath transform",
            sig.replacen(
                "</Transforms>",
                "<Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"><XPath>1</XPath></Transform></Transforms>",
                1,
            ),
            "Transforms",
        ),
        (
            "XSLT instead of exc-c14n",
            sig.replacen(
                "<Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\">",
                "<Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xslt-19991116\">",
                1,
            ),
            "xslt",
        ),
        (
            "no enveloped-signature transform",
            sig.replacen(
                "<Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"></Transform>",
                "",
                1,
            ),
            "enveloped-signature",
        ),
        (
            "unknown canonicalization",
            sig.replacen(
                "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\">",
                "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2006/12/xml-c14n11\">",
                1,
            ),
            "xml-c14n11",
        ),
        (
            "HMAC",
            sig.replacen(
                SignatureAlgorithm::RsaSha256.uri(),
                "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
                1,
            ),
            "hmac-sha1",
        ),
        (
            "SHA-1 digest",
            sig.replacen(
                "http://www.w3.org/2001/04/xmlenc#sha256",
                "http://www.w3.org/2000/09/xmldsig#sha1",
                1,
            ),
            "SHA-1",
        ),
        (
            "text in SignedInfo",
            sig.replacen("<SignedInfo>", "<SignedInfo>hello", 1),
            "unexpected text",
        ),
        (
            "SignedInfo in another namespace",
            sig.replacen("<SignedInfo>", "<SignedInfo xmlns=\"urn:evil\">", 1),
            "SignedInfo",
        ),
        (
            "element inside DigestValue",
            sig.replacen("<DigestValue>", "<DigestValue><x/>", 1),
            "DigestValue",
        ),
        (
            "bad base64 in SignatureValue",
            sig.replacen("<SignatureValue>", "<SignatureValue>!!", 1),
            "base64",
        ),
    ];
    for (name, replacement, needle) in cases {
        assert_ne!(replacement, sig, "{name}: replacement did nothing");
        let text = out.replacen(&sig, &replacement, 1);
        let err = verify_text(&text, &STRICT).expect_err(name);
        assert!(
            err.to_string().contains(needle),
            "{name}: error \"{err}\" does not mention \"{needle}\""
        );
    }

    // Two Signature children.
    let text = out.replacen(&sig, &format!("{sig}{sig}"), 1);
    let err = verify_text(&text, &STRICT).unwrap_err();
    assert!(err.to_string().contains("more than one"), "{err}");

    // An element without ID, a node from another document, no certificates.
    let d = parse(&out);
    let status = d
        .root_element()
        .children()
        .find(|n| n.tag_name().name() == "Status")
        .unwrap();
    assert!(dsig::verify_element(&d, status, &[rsa_cert()], &STRICT).is_err());
    let other_text = out.clone();
    let other = parse(&other_text);
    let foreign = by_id(&other, ASSERTION_ID);
    assert!(dsig::verify_element(&d, foreign, &[rsa_cert()], &STRICT).is_err());
    assert!(dsig::verify_element(&d, by_id(&d, ASSERTION_ID), &[], &STRICT).is_err());
    assert!(dsig::verify_element(&d, by_id(&d, ASSERTION_ID), &[rsa_cert()], &STRICT).is_ok());

    // An unsigned message.
    let u = unsigned();
    let d = parse(&u);
    let err = dsig::verify_message(&d, &[rsa_cert()], &STRICT).unwrap_err();
    assert!(matches!(err, Error::Signature(_)));
    // A duplicate ID anywhere in the document (here on an unrelated element).
    let dup = out.replacen(
        "<samlp:Status>",
        &format!("<samlp:Status ID=\"{ASSERTION_ID}\">"),
        1,
    );
    assert_eq!(
        verify_text(&dup, &STRICT).unwrap_err(),
        Error::DuplicateId(ASSERTION_ID.into())
    );
    let dup = out.replacen(
        "<samlp:Status>",
        &format!("<samlp:Status Id=\"{ASSERTION_ID}\">"),
        1,
    );
    assert!(verify_text(&dup, &STRICT).is_err());
}

/// Accepted variations that real IdPs produce.
#[test]
fn accepted_variations() {
    let out = signed(SignTarget::Assertion);
    let sig = signature_text(&out, ASSERTION_ID);
    // Whitespace between the DSig elements (outside SignedInfo, not signed).
    let spaced = sig
        .replacen("</SignedInfo>", "</SignedInfo>\n  ", 1)
        .replacen("</SignatureValue>", "</SignatureValue>\n  ", 1);
    verify_text(&out.replacen(&sig, &spaced, 1), &STRICT).unwrap();
    // A comment inside SignedInfo is not part of its canonical form (no comments).
    let commented = sig.replacen("<SignedInfo>", "<SignedInfo><!-- c -->", 1);
    verify_text(&out.replacen(&sig, &commented, 1), &STRICT).unwrap();
    // No KeyInfo at all.
    let ki = sig.find("<KeyInfo>").unwrap();
    let no_ki = format!("{}</Signature>", &sig[..ki]);
    verify_text(&out.replacen(&sig, &no_ki, 1), &STRICT).unwrap();
}

// ---------------------------------------------------------------------------------------
// Hostile input: typed errors, fast.
// ---------------------------------------------------------------------------------------

fn parse_and_verify(text: &str) -> (sesame_saml::Result<usize>, Duration) {
    let t = Instant::now();
    let r = xml::parse(text, &Limits::MESSAGE)
        .and_then(|d| dsig::verify_message(&d, &[rsa_cert()], &STRICT).map(|v| v.len()));
    (r, t.elapsed())
}

#[test]
fn hostile_input() {
    let signed_doc = signed(SignTarget::Both);
    let body = &signed_doc;
    let laughs = {
        let mut s = String::from("<!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for i in 1..10 {
            let prev = if i == 1 {
                "lol".to_owned()
            } else {
                format!("lol{}", i - 1)
            };
            s.push_str(&format!(
                "<!ENTITY lol{i} \"{}\">",
                format!("&{prev};").repeat(10)
            ));
        }
        s.push_str("]>");
        s.push_str(&body.replacen(NAME_ID, "&lol9;", 1));
        s
    };
    let xxe = format!(
        "<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>{}",
        body.replacen(NAME_ID, "&xxe;", 1)
    );
    let pi = format!("<?xml-stylesheet href=\"x.xsl\"?>{body}");
    let pi_inside = body.replacen("<samlp:Status>", "<?evil?><samlp:Status>", 1);
    let big = body.replacen(NAME_ID, &"a".repeat(10 * 1024 * 1024), 1);
    let deep = format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000));
    let deep_in_assertion = body.replacen(
        "</Subject>",
        &format!(
            "{}{}</Subject>",
            "<x>".repeat(10_000),
            "</x>".repeat(10_000)
        ),
        1,
    );
    let many_nodes = body.replacen(
        "</Subject>",
        &format!("{}</Subject>", "<x/>".repeat(30_000)),
        1,
    );
    type Expect = fn(&Error) -> bool;
    let cases: Vec<(&str, String, Expect)> = vec![
        ("billion laughs", laughs, |e| *e == Error::Dtd),
        ("external entity", xxe, |e| *e == Error::Dtd),
        ("PI before root", pi, |e| *e == Error::ProcessingInstruction),
        ("PI inside", pi_inside, |e| {
            *e == Error::ProcessingInstruction
        }),
        ("10 MB", big, |e| matches!(e, Error::TooLarge { .. })),
        ("10,000 deep", deep, |e| matches!(e, Error::TooDeep(_))),
        ("10,000 deep in assertion", deep_in_assertion, |e| {
            matches!(e, Error::TooDeep(_) | Error::TooLarge { .. })
        }),
        ("30,000 nodes", many_nodes, |e| {
            matches!(e, Error::TooManyNodes(_))
        }),
    ];
    for (name, text, want) in cases {
        let (r, took) = parse_and_verify(&text);
        let e = r.expect_err(name);
        assert!(want(&e), "{name}: unexpected error {e:?}");
        assert!(took < Duration::from_secs(2), "{name}: took {took:?}");
    }
    // Deep but within limits, inside signed content: verifies (the c14n is iterative).
    let raw = unsigned().replacen(
        "</Subject>",
        &format!("{}{}</Subject>", "<x>".repeat(55), "</x>".repeat(55)),
        1,
    );
    let out = dsig::sign_message(
        &raw,
        SignTarget::Both,
        &rsa_key(),
        None,
        SignatureAlgorithm::RsaSha256,
    )
    .unwrap();
    let (r, _) = parse_and_verify(&out);
    assert_eq!(r.unwrap(), 2);
}
