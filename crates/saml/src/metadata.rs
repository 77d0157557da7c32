//! SAML metadata (owned by the messages work).
