//! The signature verifier, on arbitrary documents and on mutations of a validly signed
//! Response (the seed corpus): never a panic, and whenever verification succeeds the
//! verified elements are ones carrying a Signature child whose Reference names them.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sesame_saml::{crypto::Certificate, dsig, messages, xml};
use std::sync::OnceLock;

fn cert() -> &'static Certificate {
    static CERT: OnceLock<Certificate> = OnceLock::new();
    CERT.get_or_init(|| {
        Certificate::from_pem(include_str!("../../crates/saml/tests/fixtures/test-rsa-cert.pem"))
            .expect("fixture certificate")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = xml::utf8(data) else { return };
    let Ok(doc) = xml::parse(text, &xml::Limits::MESSAGE) else { return };
    let policy = dsig::VerifyPolicy { allow_sha1: true };
    if let Ok(verified) = dsig::verify_message(&doc, std::slice::from_ref(cert()), &policy) {
        for el in verified {
            let id = el.attribute("ID").expect("a verified element has an ID");
            let sig = xml::child(el, xml::NS_DS, "Signature").expect("and a Signature child");
            let uri = sig
                .descendants()
                .find(|n| xml::is(*n, xml::NS_DS, "Reference"))
                .and_then(|r| r.attribute("URI"))
                .expect("with a Reference URI");
            assert_eq!(uri.strip_prefix('#'), Some(id));
            if xml::is(el, xml::NS_SAML, "Assertion") {
                let _ = messages::response::ParsedAssertion::from_element(el);
            }
        }
    }
});
