//! The HTTP-POST decoder and the auto-detecting decoder behind `sesame saml decode`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sesame_saml::bindings;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = bindings::post::decode(s);
        let _ = bindings::post::decode_form(s);
        let _ = bindings::decode_auto(s);
    }
});
