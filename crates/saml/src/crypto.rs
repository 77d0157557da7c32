//! Keys, certificates and signature algorithms, on aws-lc-rs (the only crypto provider).
//!
//! CONTRACT (owned by the dsig/crypto work; other modules rely on these signatures).
//!
//! Notes:
//! - XML-DSig ECDSA signature values are the raw `r || s` concatenation (RFC 4050 / XML-DSig
//!   1.1), so the `_FIXED` aws-lc-rs algorithms are used, never the ASN.1 ones.
//! - RSA-SHA1 can be *verified* (legacy SPs, when the verification policy allows it) but
//!   not *created*: aws-lc-rs offers no PKCS#1 v1.5 SHA-1 signing, and Sesame does not
//!   hand-roll RSA private-key arithmetic. [`SigningKey::sign`] refuses it with
//!   [`Error::UnsupportedAlgorithm`].

use crate::error::{Error, Result};
use crate::time::Timestamp;

mod rsa_sha1;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair, UnparsedPublicKey};
use aws_lc_rs::{digest, rand};
use base64::Engine as _;
use std::fmt;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

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
    /// Every algorithm, strongest first.
    pub const ALL: [SignatureAlgorithm; 4] = [
        SignatureAlgorithm::RsaSha256,
        SignatureAlgorithm::RsaSha512,
        SignatureAlgorithm::EcdsaSha256,
        SignatureAlgorithm::RsaSha1,
    ];

    /// The algorithm URI.
    pub fn uri(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            SignatureAlgorithm::RsaSha512 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
            SignatureAlgorithm::RsaSha1 => "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            SignatureAlgorithm::EcdsaSha256 => {
                "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
            }
        }
    }
    /// Looks an algorithm up by URI.
    pub fn from_uri(uri: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.uri() == uri)
            .ok_or_else(|| Error::UnsupportedAlgorithm(uri.to_owned()))
    }
    /// The digest that goes with this algorithm (SHA-256 for RSA-SHA256, ...).
    pub fn digest(self) -> DigestAlgorithm {
        match self {
            SignatureAlgorithm::RsaSha256 | SignatureAlgorithm::EcdsaSha256 => {
                DigestAlgorithm::Sha256
            }
            SignatureAlgorithm::RsaSha512 => DigestAlgorithm::Sha512,
            SignatureAlgorithm::RsaSha1 => DigestAlgorithm::Sha1,
        }
    }
    /// Whether this is an RSA algorithm (as opposed to ECDSA).
    pub fn is_rsa(self) -> bool {
        !matches!(self, SignatureAlgorithm::EcdsaSha256)
    }
    /// Whether this algorithm uses SHA-1 (accepted only when a policy allows it).
    pub fn is_sha1(self) -> bool {
        matches!(self, SignatureAlgorithm::RsaSha1)
    }
}

impl DigestAlgorithm {
    /// Every algorithm.
    pub const ALL: [DigestAlgorithm; 3] = [
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha512,
        DigestAlgorithm::Sha1,
    ];

    /// The algorithm URI.
    pub fn uri(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "http://www.w3.org/2001/04/xmlenc#sha256",
            DigestAlgorithm::Sha512 => "http://www.w3.org/2001/04/xmlenc#sha512",
            DigestAlgorithm::Sha1 => "http://www.w3.org/2000/09/xmldsig#sha1",
        }
    }
    /// Looks an algorithm up by URI.
    pub fn from_uri(uri: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.uri() == uri)
            .ok_or_else(|| Error::UnsupportedAlgorithm(uri.to_owned()))
    }
    /// Hashes `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let alg = match self {
            DigestAlgorithm::Sha256 => &digest::SHA256,
            DigestAlgorithm::Sha512 => &digest::SHA512,
            DigestAlgorithm::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        };
        digest::digest(alg, data).as_ref().to_vec()
    }
    /// Whether this is SHA-1 (accepted only when a policy allows it).
    pub fn is_sha1(self) -> bool {
        matches!(self, DigestAlgorithm::Sha1)
    }
}

enum KeyInner {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// A private signing key (RSA or ECDSA P-256).
pub struct SigningKey {
    inner: KeyInner,
}

impl fmt::Debug for SigningKey {
    /// Never prints key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            KeyInner::Rsa(k) => write!(f, "SigningKey(RSA-{})", k.public_modulus_len() * 8),
            KeyInner::Ec(_) => f.write_str("SigningKey(ECDSA P-256)"),
        }
    }
}

fn ec_alg() -> &'static signature::EcdsaSigningAlgorithm {
    &signature::ECDSA_P256_SHA256_FIXED_SIGNING
}

impl SigningKey {
    /// Reads a PEM private key: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`).
    pub fn from_pem(pem: &str) -> Result<Self> {
        let blocks = pem::parse_many(pem)
            .map_err(|e| Error::Key(format!("the PEM text does not parse: {e}")))?;
        let mut seen = Vec::new();
        for block in &blocks {
            match block.tag() {
                "PRIVATE KEY" => return Self::from_pkcs8_der(block.contents()),
                "RSA PRIVATE KEY" => {
                    return RsaKeyPair::from_der(block.contents())
                        .map(|k| SigningKey {
                            inner: KeyInner::Rsa(k),
                        })
                        .map_err(|e| Error::Key(format!("RSA PRIVATE KEY (PKCS#1) rejected: {e}")))
                }
                "EC PRIVATE KEY" => {
                    return EcdsaKeyPair::from_private_key_der(ec_alg(), block.contents())
                        .map(|k| SigningKey {
                            inner: KeyInner::Ec(k),
                        })
                        .map_err(|e| {
                            Error::Key(format!(
                                "EC PRIVATE KEY rejected (only P-256 keys are supported): {e}"
                            ))
                        })
                }
                "ENCRYPTED PRIVATE KEY" => {
                    return Err(Error::Key(
                        "encrypted PEM keys are not supported; decrypt it first \
                         (openssl pkcs8 -in key.pem -out plain.pem)"
                            .into(),
                    ))
                }
                other => seen.push(other.to_owned()),
            }
        }
        Err(Error::Key(if seen.is_empty() {
            "no PEM block found (expected -----BEGIN PRIVATE KEY-----)".into()
        } else {
            format!(
                "no private key PEM block found (found {}; expected PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)",
                seen.join(", ")
            )
        }))
    }
    /// Reads a PKCS#8 DER private key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        match RsaKeyPair::from_pkcs8(der) {
            Ok(k) => Ok(SigningKey {
                inner: KeyInner::Rsa(k),
            }),
            Err(rsa_err) => match EcdsaKeyPair::from_pkcs8(ec_alg(), der) {
                Ok(k) => Ok(SigningKey {
                    inner: KeyInner::Ec(k),
                }),
                Err(ec_err) => Err(Error::Key(format!(
                    "PKCS#8 key is neither a usable RSA key ({rsa_err}) nor an ECDSA P-256 key ({ec_err})"
                ))),
            },
        }
    }
    /// Generates a fresh RSA-2048 key.
    pub fn generate_rsa_2048() -> Result<Self> {
        RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .map(|k| SigningKey {
                inner: KeyInner::Rsa(k),
            })
            .map_err(|e| Error::Key(format!("RSA-2048 key generation failed: {e}")))
    }
    /// Generates a fresh ECDSA P-256 key.
    pub fn generate_ec_p256() -> Result<Self> {
        EcdsaKeyPair::generate(ec_alg())
            .map(|k| SigningKey {
                inner: KeyInner::Ec(k),
            })
            .map_err(|e| Error::Key(format!("P-256 key generation failed: {e}")))
    }
    /// The PKCS#8 DER encoding (for storage, encrypted by the caller).
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>> {
        match &self.inner {
            KeyInner::Rsa(k) => k
                .as_der()
                .map(|d| d.as_ref().to_vec())
                .map_err(|e| Error::Key(format!("cannot encode the RSA key as PKCS#8: {e}"))),
            KeyInner::Ec(k) => k
                .to_pkcs8v1()
                .map(|d| d.as_ref().to_vec())
                .map_err(|e| Error::Key(format!("cannot encode the EC key as PKCS#8: {e}"))),
        }
    }
    /// The PKCS#8 PEM encoding (`-----BEGIN PRIVATE KEY-----`).
    pub fn to_pkcs8_pem(&self) -> Result<String> {
        Ok(pem_encode("PRIVATE KEY", &self.to_pkcs8_der()?))
    }
    /// Whether this is an RSA key (otherwise ECDSA P-256).
    pub fn is_rsa(&self) -> bool {
        matches!(self.inner, KeyInner::Rsa(_))
    }
    /// The public key bits as they appear in a certificate's SubjectPublicKeyInfo BIT
    /// STRING: the PKCS#1 `RSAPublicKey` DER, or the uncompressed EC point.
    pub fn public_key_bits(&self) -> &[u8] {
        match &self.inner {
            KeyInner::Rsa(k) => k.public_key().as_ref(),
            KeyInner::Ec(k) => k.public_key().as_ref(),
        }
    }
    /// The algorithm to use when none is configured (RSA-SHA256 or ECDSA-SHA256).
    pub fn default_algorithm(&self) -> SignatureAlgorithm {
        match self.inner {
            KeyInner::Rsa(_) => SignatureAlgorithm::RsaSha256,
            KeyInner::Ec(_) => SignatureAlgorithm::EcdsaSha256,
        }
    }
    /// Signs `msg` with `alg`; refuses an algorithm that does not fit the key type.
    ///
    /// RSA-SHA1 is refused: aws-lc-rs has no PKCS#1 v1.5 SHA-1 signing (verification only).
    pub fn sign(&self, alg: SignatureAlgorithm, msg: &[u8]) -> Result<Vec<u8>> {
        let rng = rand::SystemRandom::new();
        match (&self.inner, alg) {
            (KeyInner::Rsa(k), SignatureAlgorithm::RsaSha256 | SignatureAlgorithm::RsaSha512) => {
                let enc: &'static dyn signature::RsaEncoding =
                    if alg == SignatureAlgorithm::RsaSha256 {
                        &signature::RSA_PKCS1_SHA256
                    } else {
                        &signature::RSA_PKCS1_SHA512
                    };
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(enc, &rng, msg, &mut sig)
                    .map_err(|e| Error::Key(format!("RSA signing failed: {e}")))?;
                Ok(sig)
            }
            (KeyInner::Rsa(k), SignatureAlgorithm::RsaSha1) => {
                let pkcs8 = k.as_der().map_err(|e| {
                    Error::Key(format!(
                        "RSA key cannot be exported for RSA-SHA1 signing: {e}"
                    ))
                })?;
                rsa_sha1::sign(pkcs8.as_ref(), msg)
                    .ok_or_else(|| Error::Key("RSA-SHA1 signing failed".into()))
            }
            (KeyInner::Ec(k), SignatureAlgorithm::EcdsaSha256) => k
                .sign(&rng, msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|e| Error::Key(format!("ECDSA signing failed: {e}"))),
            (KeyInner::Rsa(_), _) => Err(Error::Key(format!(
                "an RSA key cannot sign with {}",
                alg.uri()
            ))),
            (KeyInner::Ec(_), _) => Err(Error::Key(format!(
                "an ECDSA P-256 key cannot sign with {}",
                alg.uri()
            ))),
        }
    }
}

/// PEM text with 64-column lines and LF line ends.
fn pem_encode(tag: &str, der: &[u8]) -> String {
    let b64 = B64.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 64);
    out.push_str("-----BEGIN ");
    out.push_str(tag);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(tag);
    out.push_str("-----\n");
    out
}

fn hex_upper(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    s
}

/// The public key of a certificate, in the form aws-lc-rs verifies with.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PublicKey {
    /// PKCS#1 `RSAPublicKey` DER.
    Rsa(Vec<u8>),
    /// Uncompressed P-256 point.
    EcP256(Vec<u8>),
    /// A key type Sesame cannot verify with (the description says which).
    Unsupported(String),
}

/// An X.509 certificate (DER), with the fields administrators look at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    subject: String,
    issuer: String,
    not_before: i64,
    not_after: i64,
    key: PublicKey,
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";

impl Certificate {
    /// Reads one PEM `CERTIFICATE` (the first one, when the text holds a chain).
    pub fn from_pem(pem: &str) -> Result<Self> {
        let blocks = pem::parse_many(pem)
            .map_err(|e| Error::Certificate(format!("the PEM text does not parse: {e}")))?;
        let block = blocks
            .into_iter()
            .find(|b| b.tag() == "CERTIFICATE")
            .ok_or_else(|| {
                Error::Certificate("no -----BEGIN CERTIFICATE----- block found".into())
            })?;
        Self::from_der(block.into_contents())
    }
    /// Reads DER bytes.
    pub fn from_der(der: Vec<u8>) -> Result<Self> {
        let (rest, cert) = x509_parser::parse_x509_certificate(&der)
            .map_err(|e| Error::Certificate(format!("not a valid X.509 certificate: {e}")))?;
        if !rest.is_empty() {
            return Err(Error::Certificate(format!(
                "{} trailing bytes after the certificate",
                rest.len()
            )));
        }
        let tbs = &cert.tbs_certificate;
        let spki = tbs.public_key();
        let alg_oid = spki.algorithm.algorithm.to_id_string();
        let bits = spki.subject_public_key.data.to_vec();
        let key = if alg_oid == OID_RSA {
            PublicKey::Rsa(bits)
        } else if alg_oid == OID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string());
            match curve.as_deref() {
                Some(OID_P256) => PublicKey::EcP256(bits),
                Some(other) => PublicKey::Unsupported(format!("EC key on curve {other}")),
                None => PublicKey::Unsupported("EC key without a named curve".into()),
            }
        } else {
            PublicKey::Unsupported(format!("public key algorithm {alg_oid}"))
        };
        let subject = tbs.subject().to_string();
        let issuer = tbs.issuer().to_string();
        let not_before = tbs.validity().not_before.timestamp();
        let not_after = tbs.validity().not_after.timestamp();
        Ok(Certificate {
            der,
            subject,
            issuer,
            not_before,
            not_after,
            key,
        })
    }
    /// Reads base64 DER as found in `<ds:X509Certificate>` (whitespace ignored).
    pub fn from_base64(b64: &str) -> Result<Self> {
        let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = B64
            .decode(compact.as_bytes())
            .map_err(|e| Error::Certificate(format!("X509Certificate is not valid base64: {e}")))?;
        Self::from_der(der)
    }
    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// PEM text (`-----BEGIN CERTIFICATE-----`, 64-column lines).
    pub fn to_pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.der)
    }
    /// Base64 DER on one line (for `<ds:X509Certificate>`).
    pub fn to_base64(&self) -> String {
        B64.encode(&self.der)
    }
    /// SHA-1 thumbprint, uppercase hex without separators (Azure AD's "Thumbprint").
    pub fn sha1_thumbprint(&self) -> String {
        hex_upper(&DigestAlgorithm::Sha1.digest(&self.der))
    }
    /// SHA-256 thumbprint, uppercase hex without separators.
    pub fn sha256_thumbprint(&self) -> String {
        hex_upper(&DigestAlgorithm::Sha256.digest(&self.der))
    }
    /// Subject distinguished name, RFC 4514 style.
    pub fn subject(&self) -> String {
        self.subject.clone()
    }
    /// Issuer distinguished name.
    pub fn issuer(&self) -> String {
        self.issuer.clone()
    }
    /// Start of validity.
    pub fn not_before(&self) -> Timestamp {
        Timestamp(self.not_before.saturating_mul(1000))
    }
    /// End of validity.
    pub fn not_after(&self) -> Timestamp {
        Timestamp(self.not_after.saturating_mul(1000))
    }
    /// Whether `key` is the private key of this certificate's public key.
    pub fn matches_key(&self, key: &SigningKey) -> bool {
        match &self.key {
            PublicKey::Rsa(bits) | PublicKey::EcP256(bits) => {
                bits.as_slice() == key.public_key_bits()
            }
            PublicKey::Unsupported(_) => false,
        }
    }
    /// Verifies `sig` over `msg` with this certificate's public key.
    pub fn verify(&self, alg: SignatureAlgorithm, msg: &[u8], sig: &[u8]) -> Result<()> {
        let (params, bits): (&'static dyn signature::VerificationAlgorithm, &[u8]) =
            match (&self.key, alg) {
                (PublicKey::Rsa(bits), SignatureAlgorithm::RsaSha256) => {
                    (&signature::RSA_PKCS1_2048_8192_SHA256, bits)
                }
                (PublicKey::Rsa(bits), SignatureAlgorithm::RsaSha512) => {
                    (&signature::RSA_PKCS1_2048_8192_SHA512, bits)
                }
                (PublicKey::Rsa(bits), SignatureAlgorithm::RsaSha1) => (
                    &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                    bits,
                ),
                (PublicKey::EcP256(bits), SignatureAlgorithm::EcdsaSha256) => {
                    (&signature::ECDSA_P256_SHA256_FIXED, bits)
                }
                (PublicKey::Unsupported(what), _) => {
                    return Err(Error::Certificate(format!(
                        "certificate \"{}\" has a key Sesame cannot verify with ({what}); \
                         RSA (2048 bits or more) and ECDSA P-256 are supported",
                        self.subject
                    )))
                }
                (PublicKey::Rsa(_), _) => {
                    return Err(Error::Signature(format!(
                        "{} does not fit the RSA key of certificate \"{}\"",
                        alg.uri(),
                        self.subject
                    )))
                }
                (PublicKey::EcP256(_), _) => {
                    return Err(Error::Signature(format!(
                        "{} does not fit the ECDSA P-256 key of certificate \"{}\"",
                        alg.uri(),
                        self.subject
                    )))
                }
            };
        UnparsedPublicKey::new(params, bits)
            .verify(msg, sig)
            .map_err(|_| {
                Error::Signature(format!(
                    "the signature value does not verify with certificate \"{}\" (SHA-1 thumbprint {})",
                    self.subject,
                    self.sha1_thumbprint()
                ))
            })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;

    const RSA_KEY: &str = include_str!("../tests/fixtures/test-rsa-key.pem");
    const RSA_KEY_PKCS1: &str = include_str!("../tests/fixtures/test-rsa-key-pkcs1.pem");
    const RSA_CERT: &str = include_str!("../tests/fixtures/test-rsa-cert.pem");
    const OTHER_CERT: &str = include_str!("../tests/fixtures/other-rsa-cert.pem");
    const EC_KEY: &str = include_str!("../tests/fixtures/test-ec-key.pem");
    const EC_CERT: &str = include_str!("../tests/fixtures/test-ec-cert.pem");

    #[test]
    fn uris_round_trip() {
        for a in SignatureAlgorithm::ALL {
            assert_eq!(SignatureAlgorithm::from_uri(a.uri()).unwrap(), a);
        }
        for d in DigestAlgorithm::ALL {
            assert_eq!(DigestAlgorithm::from_uri(d.uri()).unwrap(), d);
        }
        assert!(matches!(
            SignatureAlgorithm::from_uri("http://www.w3.org/2000/09/xmldsig#dsa-sha1"),
            Err(Error::UnsupportedAlgorithm(_))
        ));
        assert_eq!(
            SignatureAlgorithm::RsaSha512.digest(),
            DigestAlgorithm::Sha512
        );
        assert_eq!(
            SignatureAlgorithm::EcdsaSha256.digest(),
            DigestAlgorithm::Sha256
        );
        assert_eq!(SignatureAlgorithm::RsaSha1.digest(), DigestAlgorithm::Sha1);
    }

    #[test]
    fn digests() {
        assert_eq!(
            hex_upper(&DigestAlgorithm::Sha256.digest(b"abc")),
            "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"
        );
        assert_eq!(
            hex_upper(&DigestAlgorithm::Sha1.digest(b"abc")),
            "A9993E364706816ABA3E25717850C26C9CD0D89D"
        );
        assert_eq!(DigestAlgorithm::Sha512.digest(b"abc").len(), 64);
    }

    #[test]
    fn rsa_sign_verify_all_key_forms() {
        let cert = Certificate::from_pem(RSA_CERT).unwrap();
        let other = Certificate::from_pem(OTHER_CERT).unwrap();
        for pem in [RSA_KEY, RSA_KEY_PKCS1] {
            let key = SigningKey::from_pem(pem).unwrap();
            assert!(key.is_rsa());
            assert!(cert.matches_key(&key));
            assert!(!other.matches_key(&key));
            assert_eq!(key.default_algorithm(), SignatureAlgorithm::RsaSha256);
            for alg in [
                SignatureAlgorithm::RsaSha256,
                SignatureAlgorithm::RsaSha512,
                SignatureAlgorithm::RsaSha1,
            ] {
                let sig = key.sign(alg, b"hello").unwrap();
                assert_eq!(sig.len(), 256);
                cert.verify(alg, b"hello", &sig).unwrap();
                assert!(matches!(
                    cert.verify(alg, b"hellO", &sig),
                    Err(Error::Signature(_))
                ));
                assert!(matches!(
                    other.verify(alg, b"hello", &sig),
                    Err(Error::Signature(_))
                ));
            }
            assert!(matches!(
                key.sign(SignatureAlgorithm::EcdsaSha256, b"x"),
                Err(Error::Key(_))
            ));
        }
        // SHA-256 signature must not verify as SHA-512.
        let key = SigningKey::from_pem(RSA_KEY).unwrap();
        let sig = key.sign(SignatureAlgorithm::RsaSha256, b"m").unwrap();
        assert!(cert
            .verify(SignatureAlgorithm::RsaSha512, b"m", &sig)
            .is_err());
        assert!(cert
            .verify(SignatureAlgorithm::RsaSha1, b"m", &sig)
            .is_err());
        assert!(cert
            .verify(SignatureAlgorithm::EcdsaSha256, b"m", &sig)
            .is_err());
    }

    #[test]
    fn ec_sign_verify_fixed_format() {
        let cert = Certificate::from_pem(EC_CERT).unwrap();
        for key in [
            SigningKey::from_pem(EC_KEY).unwrap(),
            SigningKey::from_pkcs8_der(
                &SigningKey::from_pem(EC_KEY)
                    .unwrap()
                    .to_pkcs8_der()
                    .unwrap(),
            )
            .unwrap(),
        ] {
            assert!(!key.is_rsa());
            assert!(cert.matches_key(&key));
            assert_eq!(key.default_algorithm(), SignatureAlgorithm::EcdsaSha256);
            let sig = key.sign(SignatureAlgorithm::EcdsaSha256, b"hello").unwrap();
            assert_eq!(sig.len(), 64, "raw r||s, not ASN.1");
            cert.verify(SignatureAlgorithm::EcdsaSha256, b"hello", &sig)
                .unwrap();
            assert!(cert
                .verify(SignatureAlgorithm::EcdsaSha256, b"hellO", &sig)
                .is_err());
            assert!(matches!(
                key.sign(SignatureAlgorithm::RsaSha256, b"x"),
                Err(Error::Key(_))
            ));
            assert!(cert
                .verify(SignatureAlgorithm::RsaSha256, b"hello", &sig)
                .is_err());
        }
    }

    #[test]
    fn generate_and_pkcs8_round_trip() {
        let key = SigningKey::generate_rsa_2048().unwrap();
        let der = key.to_pkcs8_der().unwrap();
        let again = SigningKey::from_pkcs8_der(&der).unwrap();
        assert_eq!(key.public_key_bits(), again.public_key_bits());
        let pem = again.to_pkcs8_pem().unwrap();
        let third = SigningKey::from_pem(&pem).unwrap();
        assert_eq!(key.public_key_bits(), third.public_key_bits());
        let ec = SigningKey::generate_ec_p256().unwrap();
        assert!(!ec.is_rsa());
        assert!(format!("{ec:?}").contains("P-256"));
        assert!(format!("{key:?}").contains("RSA-2048"));
    }

    #[test]
    fn bad_keys() {
        assert!(matches!(
            SigningKey::from_pem("nothing"),
            Err(Error::Key(_))
        ));
        assert!(matches!(SigningKey::from_pem(RSA_CERT), Err(Error::Key(_))));
        assert!(matches!(
            SigningKey::from_pkcs8_der(b"\x30\x03\x02\x01\x00"),
            Err(Error::Key(_))
        ));
        let enc =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert!(matches!(SigningKey::from_pem(enc), Err(Error::Key(m)) if m.contains("encrypted")));
    }

    #[test]
    fn certificate_fields() {
        let cert = Certificate::from_pem(RSA_CERT).unwrap();
        assert!(
            cert.subject().contains("CN=sesame-test-idp"),
            "{}",
            cert.subject()
        );
        assert_eq!(cert.subject(), cert.issuer());
        assert!(cert.not_after().0 > cert.not_before().0);
        assert_eq!(cert.not_before().0 % 1000, 0);
        // ten years, give or take a leap day
        let days = (cert.not_after().0 - cert.not_before().0) / 86_400_000;
        assert_eq!(days, 3650);
        assert_eq!(cert.sha1_thumbprint().len(), 40);
        assert_eq!(cert.sha256_thumbprint().len(), 64);
        assert!(cert
            .sha256_thumbprint()
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
        // PEM and base64 round trips
        let pem = cert.to_pem();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(pem.lines().all(|l| l.len() <= 64));
        assert_eq!(Certificate::from_pem(&pem).unwrap(), cert);
        let b64 = cert.to_base64();
        assert!(!b64.contains('\n'));
        let spaced: String = b64
            .as_bytes()
            .chunks(60)
            .map(|c| format!("\n   {}", std::str::from_utf8(c).unwrap()))
            .collect();
        assert_eq!(Certificate::from_base64(&spaced).unwrap(), cert);
        // same text as the openssl file, modulo its line wrapping
        assert_eq!(pem.trim(), RSA_CERT.trim());
    }

    #[test]
    fn bad_certificates() {
        assert!(matches!(
            Certificate::from_der(vec![1, 2, 3]),
            Err(Error::Certificate(_))
        ));
        assert!(matches!(
            Certificate::from_pem(RSA_KEY),
            Err(Error::Certificate(_))
        ));
        assert!(matches!(
            Certificate::from_base64("!!!"),
            Err(Error::Certificate(_))
        ));
        let mut der = Certificate::from_pem(RSA_CERT).unwrap().der().to_vec();
        der.push(0);
        assert!(
            matches!(Certificate::from_der(der), Err(Error::Certificate(m)) if m.contains("trailing"))
        );
    }
}
