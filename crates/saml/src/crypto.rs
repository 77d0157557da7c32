//! Keys, certificates and signature algorithms, on aws-lc-rs (the only crypto provider).
//!
//! CONTRACT (owned by the dsig/crypto work; other modules rely on these signatures):
#![allow(clippy::todo)] // TEMPORARY: stubs being filled in

use crate::error::{Error, Result};
use crate::time::Timestamp;

/// XML-DSig signature algorithms Sesame knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// `http://www.w3.org/2001/04/xmldsig-more#rsa-sha256` (default)
    RsaSha256,
    /// `http://www.w3.org/2001/04/xmldsig-more#rsa-sha512`
    RsaSha512,
    /// `http://www.w3.org/2000/09/xmldsig#rsa-sha1` (legacy, opt-in)
    RsaSha1,
    /// `http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256`
    EcdsaSha256,
}

/// XML-DSig digest algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// `http://www.w3.org/2001/04/xmlenc#sha256`
    Sha256,
    /// `http://www.w3.org/2001/04/xmlenc#sha512`
    Sha512,
    /// `http://www.w3.org/2000/09/xmldsig#sha1`
    Sha1,
}

impl SignatureAlgorithm {
    /// The algorithm URI.
    pub fn uri(self) -> &'static str {
        todo!()
    }
    /// Looks an algorithm up by URI.
    pub fn from_uri(_uri: &str) -> Result<Self> {
        todo!()
    }
    /// The digest that goes with this algorithm (SHA-256 for RSA-SHA256, ...).
    pub fn digest(self) -> DigestAlgorithm {
        todo!()
    }
}

impl DigestAlgorithm {
    /// The algorithm URI.
    pub fn uri(self) -> &'static str {
        todo!()
    }
    /// Looks an algorithm up by URI.
    pub fn from_uri(_uri: &str) -> Result<Self> {
        todo!()
    }
    /// Hashes `data`.
    pub fn digest(self, _data: &[u8]) -> Vec<u8> {
        todo!()
    }
}

/// A private signing key (RSA or ECDSA P-256).
pub struct SigningKey {
    _private: (),
}

impl SigningKey {
    /// Reads a PEM private key: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`).
    pub fn from_pem(_pem: &str) -> Result<Self> {
        todo!()
    }
    /// Reads a PKCS#8 DER private key.
    pub fn from_pkcs8_der(_der: &[u8]) -> Result<Self> {
        todo!()
    }
    /// Generates a fresh RSA-2048 key.
    pub fn generate_rsa_2048() -> Result<Self> {
        todo!()
    }
    /// The PKCS#8 DER encoding (for storage, encrypted by the caller).
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>> {
        todo!()
    }
    /// The algorithm to use when none is configured (RSA-SHA256 or ECDSA-SHA256).
    pub fn default_algorithm(&self) -> SignatureAlgorithm {
        todo!()
    }
    /// Signs `msg` with `alg`; refuses an algorithm that does not fit the key type.
    pub fn sign(&self, _alg: SignatureAlgorithm, _msg: &[u8]) -> Result<Vec<u8>> {
        todo!()
    }
}

/// An X.509 certificate (DER), with the fields administrators look at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
}

impl Certificate {
    /// Reads one PEM `CERTIFICATE`.
    pub fn from_pem(_pem: &str) -> Result<Self> {
        todo!()
    }
    /// Reads DER bytes.
    pub fn from_der(der: Vec<u8>) -> Result<Self> {
        Err(Error::Certificate(format!("{} bytes: not yet", der.len())))
    }
    /// Reads base64 DER as found in `<ds:X509Certificate>` (whitespace ignored).
    pub fn from_base64(_b64: &str) -> Result<Self> {
        todo!()
    }
    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// PEM text (`-----BEGIN CERTIFICATE-----`, 64-column lines).
    pub fn to_pem(&self) -> String {
        todo!()
    }
    /// Base64 DER on one line (for `<ds:X509Certificate>`).
    pub fn to_base64(&self) -> String {
        todo!()
    }
    /// SHA-1 thumbprint, uppercase hex without separators (Azure AD's "Thumbprint").
    pub fn sha1_thumbprint(&self) -> String {
        todo!()
    }
    /// SHA-256 thumbprint, uppercase hex without separators.
    pub fn sha256_thumbprint(&self) -> String {
        todo!()
    }
    /// Subject distinguished name, RFC 4514 style.
    pub fn subject(&self) -> String {
        todo!()
    }
    /// Issuer distinguished name.
    pub fn issuer(&self) -> String {
        todo!()
    }
    /// Start of validity.
    pub fn not_before(&self) -> Timestamp {
        todo!()
    }
    /// End of validity.
    pub fn not_after(&self) -> Timestamp {
        todo!()
    }
    /// Verifies `sig` over `msg` with this certificate's public key.
    pub fn verify(&self, _alg: SignatureAlgorithm, _msg: &[u8], _sig: &[u8]) -> Result<()> {
        todo!()
    }
}
