//! Enveloped XML-DSig: signing and a strict, wrapping-safe verifier (SAML profile).
//!
//! CONTRACT (other modules rely on these signatures):
#![allow(clippy::todo)] // TEMPORARY: stubs being filled in

use crate::crypto::{Certificate, SignatureAlgorithm, SigningKey};
use crate::error::Result;
use roxmltree::{Document, Node};

/// What the verifier accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyPolicy {
    /// Accept RSA-SHA1 signatures and SHA-1 digests (legacy SPs); default false.
    pub allow_sha1: bool,
}

impl Default for VerifyPolicy {
    fn default() -> Self {
        VerifyPolicy { allow_sha1: false }
    }
}

/// Builds a complete `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">` element for
/// an element whose Exclusive-C14N form (without comments, without this signature) is
/// exactly `canonical` and whose ID is `id`. Transforms: enveloped-signature, exc-c14n.
/// `cert`, when given, is published in KeyInfo/X509Data.
///
/// This is the fast path for documents written canonical by construction: no parsing.
pub fn enveloped_signature(
    _canonical: &[u8],
    _id: &str,
    _key: &SigningKey,
    _cert: Option<&Certificate>,
    _alg: SignatureAlgorithm,
) -> Result<String> {
    todo!()
}

/// Signs the element with ID `id` in arbitrary XML text: canonicalizes it (exc-c14n),
/// inserts the Signature after its `Issuer` child (or as its first child when it has no
/// Issuer) and returns the new document text. The rest of the text is left as it was.
pub fn sign_element(
    _xml: &str,
    _id: &str,
    _key: &SigningKey,
    _cert: Option<&Certificate>,
    _alg: SignatureAlgorithm,
) -> Result<String> {
    todo!()
}

/// Verifies the enveloped signature that is a direct child of `element`, trusting only
/// `certs` (never a KeyInfo in the document). Returns `element` itself: the caller reads
/// every field from the node returned, never from a new search of the document.
///
/// Strict SAML profile: exactly one Signature child, exactly one Reference whose URI is
/// `#` + the element's ID, IDs unique in the document, only enveloped-signature and
/// exc-c14n transforms, a known c14n method for SignedInfo.
pub fn verify_element<'a, 'input>(
    _doc: &'a Document<'input>,
    _element: Node<'a, 'input>,
    _certs: &[Certificate],
    _policy: &VerifyPolicy,
) -> Result<Node<'a, 'input>> {
    todo!()
}

/// Verifies every enveloped signature of a SAML message: the root's (when present) and
/// those of the root's direct-child Assertions (when present). Fails when there is none
/// or when any fails. Returns the verified elements, root first.
pub fn verify_message<'a, 'input>(
    _doc: &'a Document<'input>,
    _certs: &[Certificate],
    _policy: &VerifyPolicy,
) -> Result<Vec<Node<'a, 'input>>> {
    todo!()
}
