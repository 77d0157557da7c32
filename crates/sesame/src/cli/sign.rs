//! `sesame saml sign`: enveloped XML-DSig signatures on a SAML message (Response and/or
//! Assertion).

use super::input::{read_certificates, read_pem_file, read_stdin_text, write_stdout};
use anyhow::{bail, Context, Result};
use sesame_saml::crypto::{SignatureAlgorithm, SigningKey};
use sesame_saml::dsig::{sign_message, SignTarget};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "KEY.pem")]
    key: PathBuf,
    /// The certificate published in the signature's KeyInfo (PEM).
    #[arg(long, value_name = "CERT.pem")]
    cert: Option<PathBuf>,
    /// What to sign: the message root (Response), its Assertion(s), or both (Assertions
    /// first, then the root over them).
    #[arg(long, value_enum, default_value_t = Element::Both)]
    element: Element,
    /// The signature algorithm.
    #[arg(long, value_enum, default_value_t = Alg::RsaSha256)]
    alg: Alg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Element {
    #[value(name = "Response", alias = "response")]
    Response,
    #[value(name = "Assertion", alias = "assertion")]
    Assertion,
    #[value(name = "both")]
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Alg {
    RsaSha256,
    RsaSha1,
    RsaSha512,
    EcdsaSha256,
}

impl Alg {
    fn algorithm(self) -> SignatureAlgorithm {
        match self {
            Alg::RsaSha256 => SignatureAlgorithm::RsaSha256,
            Alg::RsaSha1 => SignatureAlgorithm::RsaSha1,
            Alg::RsaSha512 => SignatureAlgorithm::RsaSha512,
            Alg::EcdsaSha256 => SignatureAlgorithm::EcdsaSha256,
        }
    }
}

pub fn run(args: &Args) -> Result<()> {
    let key_pem = read_pem_file(&args.key)?;
    let key = SigningKey::from_pem(&key_pem).with_context(|| args.key.display().to_string())?;
    let alg = args.alg.algorithm();
    let cert = match &args.cert {
        Some(path) => {
            let mut certs = read_certificates(path)?;
            let (Some(cert), true) = (certs.pop(), certs.is_empty()) else {
                bail!("{} must hold exactly one certificate", path.display());
            };
            // A certificate that does not belong to the key would be published in KeyInfo
            // and make every verifier that trusts it fail: catch the mix-up here.
            let probe = b"sesame: does this certificate belong to this key?";
            let sig = key.sign(alg, probe)?;
            if cert.verify(alg, probe, &sig).is_err() {
                bail!(
                    "the certificate {} does not belong to the key {}",
                    path.display(),
                    args.key.display()
                );
            }
            Some(cert)
        }
        None => None,
    };
    let xml = read_stdin_text()?;
    let target = match args.element {
        Element::Response => SignTarget::Response,
        Element::Assertion => SignTarget::Assertion,
        Element::Both => SignTarget::Both,
    };
    let signed = sign_message(&xml, target, &key, cert.as_ref(), alg)?;
    write_stdout(signed.as_bytes())
}
