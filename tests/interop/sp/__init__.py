"""Three independently written SAML service providers, driven in-process or as a child
process, for Sesame's SP interoperability suite (tests/interop/test_sp_*.py).

Every harness has the same small interface (see `base.SP`): it emits its SP metadata,
builds an SP-initiated AuthnRequest URL (HTTP-Redirect binding), and hands a
SAMLResponse received at its ACS URL to the library's own response processing, at the
library's default strictness. A rejection is raised as `base.SPRejected` with the
library's own message.
"""
