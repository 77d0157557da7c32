//! Helpers shared by the `dsig_*` integration tests.
#![allow(dead_code)] // each test crate uses a different subset
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap

use roxmltree::{Document, Node};
use sesame_saml::c14n;
use sesame_saml::crypto::{Certificate, SignatureAlgorithm, SigningKey};
use sesame_saml::dsig::{self, SignTarget, VerifyPolicy};
use sesame_saml::xml::{self, Limits, NS_DS, NS_SAML};

pub const RESPONSE_ID: &str = "_8e8dc5f69a98cc4c1ff3427e5ce34606fd672f91e6";
pub const ASSERTION_ID: &str = "_d71a3a8e9fcc45c9e9d248ef7049393fc8f04e5f75";
pub const NAME_ID: &str = "alice@example.com";

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn rsa_key() -> SigningKey {
    SigningKey::from_pem(&fixture("test-rsa-key.pem")).unwrap()
}
pub fn rsa_cert() -> Certificate {
    Certificate::from_pem(&fixture("test-rsa-cert.pem")).unwrap()
}
pub fn other_key() -> SigningKey {
    SigningKey::from_pem(&fixture("other-rsa-key.pem")).unwrap()
}
pub fn other_cert() -> Certificate {
    Certificate::from_pem(&fixture("other-rsa-cert.pem")).unwrap()
}
pub fn ec_key() -> SigningKey {
    SigningKey::from_pem(&fixture("test-ec-key.pem")).unwrap()
}
pub fn ec_cert() -> Certificate {
    Certificate::from_pem(&fixture("test-ec-cert.pem")).unwrap()
}
pub fn unsigned() -> String {
    fixture("response-unsigned.xml")
}

/// The fixture signed with the test RSA key (RSA-SHA256).
pub fn signed(target: SignTarget) -> String {
    dsig::sign_message(
        &unsigned(),
        target,
        &rsa_key(),
        Some(&rsa_cert()),
        SignatureAlgorithm::RsaSha256,
    )
    .unwrap()
}

pub fn parse(text: &str) -> Document<'_> {
    xml::parse(text, &Limits::MESSAGE).unwrap()
}

pub fn by_id<'a, 'i>(doc: &'a Document<'i>, id: &str) -> Node<'a, 'i> {
    doc.descendants()
        .find(|n| n.attribute("ID") == Some(id))
        .unwrap_or_else(|| panic!("no element with ID {id}"))
}

/// Every NameID below `node`, read the way the messages code reads it.
pub fn name_ids(node: Node<'_, '_>) -> Vec<String> {
    node.descendants()
        .filter(|n| xml::is(*n, NS_SAML, "NameID"))
        .map(|n| xml::text(n, "NameID").unwrap())
        .collect()
}

/// Exclusive c14n of `node` without its own direct Signature child.
pub fn content(node: Node<'_, '_>) -> String {
    let sig = xml::child(node, NS_DS, "Signature");
    c14n::canonicalize(
        node,
        &c14n::Options::new(c14n::Algorithm::ExcC14n, &[]),
        sig,
    )
    .unwrap()
}

/// Verifies `text` as a message with the test certificate: `Ok(contents of the verified
/// elements)` or the error.
pub fn verify_text(
    text: &str,
    policy: &VerifyPolicy,
) -> sesame_saml::Result<Vec<(String, String)>> {
    let doc = xml::parse(text, &Limits::MESSAGE)?;
    let nodes = dsig::verify_message(&doc, &[rsa_cert()], policy)?;
    Ok(nodes
        .into_iter()
        .map(|n| (n.tag_name().name().to_owned(), content(n)))
        .collect())
}

/// The byte range of `node` in its document text.
pub fn range_of(text: &str, id: &str) -> std::ops::Range<usize> {
    let doc = parse(text);
    by_id(&doc, id).range()
}

/// The text of the direct Signature child of the element with ID `id`.
pub fn signature_text(text: &str, id: &str) -> String {
    let doc = parse(text);
    let sig = xml::child(by_id(&doc, id), NS_DS, "Signature").unwrap();
    text[sig.range()].to_owned()
}
