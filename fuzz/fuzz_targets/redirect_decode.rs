//! The HTTP-Redirect decoder: any query string gives a message or a typed error, never a
//! panic, and inflation never goes past the 256 KiB bound.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sesame_saml::bindings::redirect;

fuzz_target!(|data: &[u8]| {
    if let Ok(q) = std::str::from_utf8(data) {
        if let Ok(m) = redirect::decode_query(q) {
            assert!(m.xml.len() <= redirect::MAX_INFLATED);
        }
    }
    // The raw inflater on arbitrary bytes.
    if let Ok(out) = redirect::inflate(data, redirect::MAX_INFLATED) {
        assert!(out.len() <= redirect::MAX_INFLATED);
    }
});
