//! SAML bindings (owned by the messages work).
