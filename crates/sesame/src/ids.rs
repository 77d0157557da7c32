//! Random identifiers and their text form: XML IDs (`_` and 32 hex digits) for SAML
//! messages, sessions and transient NameIDs. At the bottom of the crate so that any
//! module may draw one.

/// A random XML ID: `_` and 32 hex digits (128 bits).
pub fn random_id() -> String {
    let mut b = [0u8; 16];
    // The system generator failing is not recoverable in any useful way; fall back to a
    // UUID (also from the OS generator) rather than panic.
    if aws_lc_rs::rand::fill(&mut b).is_err() {
        return format!("_{}", uuid::Uuid::new_v4().simple());
    }
    let mut s = String::with_capacity(33);
    s.push('_');
    push_hex(&mut s, &b);
    s
}

/// Appends lowercase hex of `bytes`.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn random_ids_are_xml_ids_and_differ() {
        let a = super::random_id();
        assert_eq!(a.len(), 33);
        assert!(a.starts_with('_'));
        assert!(a[1..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, super::random_id());
    }
}
