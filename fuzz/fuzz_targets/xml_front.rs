//! The XML front and canonicalization: any bytes must give a document or a typed error,
//! and every canonical form must itself parse and be a fixed point of canonicalization.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sesame_saml::{c14n, xml};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = xml::utf8(data) else { return };
    let Ok(doc) = xml::parse(text, &xml::Limits::GENERAL) else { return };
    for (exclusive, with_comments) in [(true, false), (false, true)] {
        let opts = c14n::Options { exclusive, with_comments, inclusive_prefixes: &["xs", "#default"] };
        let Ok(out) = c14n::canonicalize(doc.root(), &opts, None) else { continue };
        // The canonical form is well-formed XML whose canonical form is itself.
        let again = xml::parse(&out, &xml::Limits::GENERAL).expect("canonical output parses");
        let out2 = c14n::canonicalize(again.root(), &opts, None).expect("c14n of c14n");
        assert_eq!(out, out2, "canonicalization is not idempotent");
    }
    let _ = xml::index_ids(&doc);
    if let Some(first) = doc.root_element().first_element_child() {
        let _ = xml::text(first, "fuzz");
    }
});
