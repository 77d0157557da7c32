"""A stand-in IdP made of a fixture key and `sesame saml sign` (the toolbox): it proves
each SP harness's plumbing independently of the running server, and pins down what the
harnesses accept (tests/interop/test_sp_toolbox.py).

It is not a second implementation of Sesame's Response: only a plausible one, shaped like
Azure AD's (and Sesame's), signed Assertion-then-Response by the toolbox.
"""

from __future__ import annotations

import base64
import datetime as dt
import subprocess
import uuid
from xml.sax.saxutils import escape, quoteattr

from .base import EMAIL_FORMAT, EMAILADDRESS, FIXTURES, GIVENNAME, NAME, SURNAME, IdP

KEY = FIXTURES / "toolbox-idp-key.pem"
CERT = FIXTURES / "toolbox-idp-cert.pem"
OTHER_KEY = FIXTURES / "toolbox-other-key.pem"
OTHER_CERT = FIXTURES / "toolbox-other-cert.pem"
ENTITY_ID = "http://127.0.0.1:9/toolbox-tenant/"
SSO_URL = "http://127.0.0.1:9/toolbox-tenant/saml2"


def _ts(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def idp() -> IdP:
    cert_pem = CERT.read_text()
    stand_in = IdP(ENTITY_ID, SSO_URL, cert_pem)
    md = f"""<?xml version="1.0" encoding="utf-8"?>
<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID={quoteattr(ENTITY_ID)}>
  <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <KeyDescriptor use="signing">
      <KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#">
        <X509Data><X509Certificate>{stand_in.cert_b64}</X509Certificate></X509Data>
      </KeyInfo>
    </KeyDescriptor>
    <NameIDFormat>{EMAIL_FORMAT}</NameIDFormat>
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location={quoteattr(SSO_URL)}/>
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location={quoteattr(SSO_URL)}/>
  </IDPSSODescriptor>
</EntityDescriptor>
"""
    return IdP(ENTITY_ID, SSO_URL, cert_pem, md)


def response_xml(
    *,
    audience: str,
    acs_url: str,
    in_response_to: str | None,
    name_id: str = "B.Simon@contoso.com",
    claims: dict | None = None,
    now: dt.datetime | None = None,
) -> str:
    """An unsigned Response for `audience` posted to `acs_url`."""
    now = now or dt.datetime.now(dt.timezone.utc)
    claims = claims or {
        GIVENNAME: "B",
        SURNAME: "Simon",
        EMAILADDRESS: "B.Simon@contoso.com",
        NAME: "B.Simon@contoso.com",
    }
    irt = f" InResponseTo={quoteattr(in_response_to)}" if in_response_to else ""
    attrs = "".join(
        f"<Attribute Name={quoteattr(k)}><AttributeValue>{escape(v)}</AttributeValue></Attribute>"
        for k, v in claims.items()
    )
    return (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"'
        f' ID="_{uuid.uuid4()}" Version="2.0" IssueInstant="{_ts(now)}"'
        f" Destination={quoteattr(acs_url)}{irt}>"
        f'<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">{escape(ENTITY_ID)}</Issuer>'
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
        "</samlp:Status>"
        '<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion"'
        f' ID="_{uuid.uuid4()}" IssueInstant="{_ts(now)}" Version="2.0">'
        f"<Issuer>{escape(ENTITY_ID)}</Issuer>"
        f'<Subject><NameID Format="{EMAIL_FORMAT}">{escape(name_id)}</NameID>'
        '<SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f"<SubjectConfirmationData{irt}"
        f' NotOnOrAfter="{_ts(now + dt.timedelta(minutes=5))}" Recipient={quoteattr(acs_url)}/>'
        "</SubjectConfirmation></Subject>"
        f'<Conditions NotBefore="{_ts(now - dt.timedelta(seconds=60))}"'
        f' NotOnOrAfter="{_ts(now + dt.timedelta(minutes=70))}">'
        f"<AudienceRestriction><Audience>{escape(audience)}</Audience></AudienceRestriction>"
        "</Conditions>"
        f"<AttributeStatement>{attrs}</AttributeStatement>"
        f'<AuthnStatement AuthnInstant="{_ts(now)}" SessionIndex="_{uuid.uuid4()}">'
        "<AuthnContext><AuthnContextClassRef>"
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        "</AuthnContextClassRef></AuthnContext></AuthnStatement>"
        "</Assertion></samlp:Response>"
    )


def sign(sesame_bin, xml: str, element: str = "both", key=KEY, cert=CERT) -> str:
    """Signs with the toolbox (`sesame saml sign`), by default with the stand-in's key."""
    p = subprocess.run(
        [str(sesame_bin), "saml", "sign", "--key", str(key), "--cert", str(cert),
         "--element", element],
        input=xml.encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    if p.returncode != 0:
        raise RuntimeError(f"sesame saml sign exited {p.returncode}: {p.stderr.decode()}")
    return p.stdout.decode()


def b64(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()
