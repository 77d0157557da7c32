//! SAML protocol messages (owned by the messages work).
