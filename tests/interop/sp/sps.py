"""The three SPs of the suite, each with its own entity id and ACS URL."""

from __future__ import annotations

from .node_saml import NodeSamlSP
from .onelogin_sp import OneLoginSP
from .pysaml2_sp import Pysaml2SP

# Reply URLs on loopback (Sesame allows http only for localhost and 127.0.0.1); nothing
# listens there: the test hands the posted form to the library in-process.
KINDS = {
    "pysaml2": lambda tag: Pysaml2SP(
        f"urn:sesame-interop:{tag}:pysaml2", "http://127.0.0.1:8001/pysaml2/acs"
    ),
    "python3-saml": lambda tag: OneLoginSP(
        f"https://sp.python3-saml.example/{tag}/metadata/",
        "http://localhost:8002/python3-saml/acs",
    ),
    "node-saml": lambda tag: NodeSamlSP(
        f"urn:sesame-interop:{tag}:node-saml", "http://127.0.0.1:8003/node-saml/acs"
    ),
}


def make(kind: str, tag: str):
    return KINDS[kind](tag)
