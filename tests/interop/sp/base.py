"""What the three SP harnesses share: the IdP description they are configured with, the
result of an accepted response, and the rejection error."""

from __future__ import annotations

import dataclasses
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"

EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
GIVENNAME = CLAIMS + "givenname"
SURNAME = CLAIMS + "surname"
EMAILADDRESS = CLAIMS + "emailaddress"
NAME = CLAIMS + "name"
DEFAULT_CLAIMS = (GIVENNAME, SURNAME, EMAILADDRESS, NAME)


class SPRejected(Exception):
    """The SP library refused the response; str(self) is the library's own message."""


@dataclasses.dataclass(frozen=True)
class IdP:
    """What an SP is told about the IdP: its Issuer, Login URL, signing certificate (PEM)
    and, when there is one, its federation metadata XML."""

    entity_id: str
    sso_url: str
    cert_pem: str
    metadata_xml: str | None = None

    @property
    def cert_b64(self) -> str:
        """The certificate's base64 body, without the PEM armour and line breaks."""
        lines = [ln.strip() for ln in self.cert_pem.strip().splitlines()]
        return "".join(ln for ln in lines if ln and not ln.startswith("-----"))


@dataclasses.dataclass
class SPResult:
    """What the SP library extracted from an accepted response."""

    name_id: str
    name_id_format: str | None
    attributes: dict  # attribute name -> list of values
    session_index: str | None = None
    in_response_to: str | None = None
    issuer: str | None = None
    relay_state: str | None = None
    # the AuthnContextClassRef values of the AuthnStatement, as the library reads them
    authn_contexts: list | None = None


@dataclasses.dataclass(frozen=True)
class AuthnContext:
    """A RequestedAuthnContext an SP's AuthnRequests carry: the classes and the comparison
    (exact, minimum, better, maximum)."""

    classes: tuple
    comparison: str = "exact"


@dataclasses.dataclass
class LoginRequest:
    """An SP-initiated AuthnRequest: HTTP-Redirect (`url` carries it) or HTTP-POST (the
    browser posts `form_fields` to `url`)."""

    url: str  # Redirect: the Login URL with SAMLRequest (and RelayState); POST: the action
    request_id: str
    relay_state: str | None
    form_fields: dict | None = None  # POST binding only: SAMLRequest (and RelayState)


class SP:
    """The harness interface (documentation only)."""

    name: str
    entity_id: str
    acs_url: str

    def metadata(self) -> str:
        """The SP metadata XML the library emits (raise NotImplementedError if none)."""
        raise NotImplementedError

    def login(
        self, idp: IdP, relay_state: str | None = None, binding: str = "redirect"
    ) -> LoginRequest:
        """Builds an SP-initiated AuthnRequest for `idp` ("redirect" or, where the library
        can, "post")."""
        raise NotImplementedError

    def process(
        self, idp: IdP, saml_response: str, relay_state: str | None, request_id: str | None
    ) -> SPResult:
        """Validates a POSTed SAMLResponse (base64) with the library's default strictness:
        `request_id` is the outstanding request (SP-initiated) or None (IdP-initiated)."""
        raise NotImplementedError


def tamper_name_id(saml_response_b64: str) -> str:
    """The same SAMLResponse with one byte of the (first) NameID value changed."""
    import base64
    import re

    xml = base64.b64decode(saml_response_b64)
    m = re.search(rb"<(?:[A-Za-z_][\w.-]*:)?NameID\b[^>]*>([^<]+)<", xml)
    if not m:
        raise ValueError("no NameID in the response")
    i = m.start(1)
    flipped = b"C" if xml[i : i + 1] != b"C" else b"D"
    tampered = xml[:i] + flipped + xml[i + 1 :]
    assert tampered != xml and len(tampered) == len(xml)
    return base64.b64encode(tampered).decode()
