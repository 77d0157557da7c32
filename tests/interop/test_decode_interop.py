"""`sesame saml decode` reads what other SAML stacks send.

Messages are encoded here the way SPs do it (raw DEFLATE + base64 + URL encoding for
HTTP-Redirect, base64 in an x-www-form-urlencoded body for HTTP-POST), with the
variations seen in the wild: lowercase percent-escapes, '+' for spaces, a RelayState,
signed queries with RSA-SHA256 and RSA-SHA1 (Lasso and pysaml2 still sign requests with
SHA-1). `--raw` must give back the exact XML, and `--cert` must verify the query
signature over the octets as sent.
"""

import base64
import re
import urllib.parse
import zlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from conftest import CERT, KEY, OTHER_CERT, assert_refused, sesame

AUTHN_REQUEST = (
    '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
    'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_9f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e" '
    'Version="2.0" IssueInstant="2024-05-14T09:30:05Z" Destination="https://sesame.example/acme/saml2" '
    'AssertionConsumerServiceURL="https://cequence.example/acme/saml/acs">'
    "<saml:Issuer>https://cequence.example/acme</saml:Issuer>"
    '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/>'
    "</samlp:AuthnRequest>"
)
RELAY = "https://cequence.example/acme/dashboard?tab=api keys&x=1"
SIGALG = {
    "rsa-sha256": ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", hashes.SHA256()),
    "rsa-sha1": ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", hashes.SHA1()),
}


def deflate_b64(xml):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(c.compress(xml.encode()) + c.flush()).decode()


def lower_escapes(s):
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), s)


def redirect_query(value, relay=None, quote=urllib.parse.quote, lowercase=False):
    q = f"SAMLRequest={quote(value, safe='')}"
    if relay is not None:
        q += f"&RelayState={quote(relay, safe='')}"
    return lower_escapes(q) if lowercase else q


def sign_query(query, alg):
    uri, digest = SIGALG[alg]
    signed = f"{query}&SigAlg={urllib.parse.quote(uri, safe='')}"
    key = serialization.load_pem_private_key(KEY.read_bytes(), password=None)
    sig = key.sign(signed.encode(), padding.PKCS1v15(), digest)
    return f"{signed}&Signature={urllib.parse.quote(base64.b64encode(sig).decode(), safe='')}"


def decode(data, *args):
    p = sesame("saml", "decode", "--raw", *args, data=data.encode())
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout.decode(), p.stderr.decode()


REDIRECT_FORMS = {
    "url": lambda v: "https://sesame.example/acme/saml2?" + redirect_query(v, RELAY),
    "url-lowercase-escapes": lambda v: "https://sesame.example/acme/saml2?" + redirect_query(v, RELAY, lowercase=True),
    "query": lambda v: redirect_query(v, RELAY),
    "query-plus-spaces": lambda v: redirect_query(v, RELAY, quote=urllib.parse.quote_plus),
    "bare-value": lambda v: v,
    "bare-value-urlencoded": lambda v: urllib.parse.quote(v, safe=""),
    "wrapped-76-columns": lambda v: "\n".join(v[i:i + 76] for i in range(0, len(v), 76)),
}


@pytest.mark.parametrize("form", list(REDIRECT_FORMS))
def test_redirect_forms(form):
    xml, info = decode(REDIRECT_FORMS[form](deflate_b64(AUTHN_REQUEST)))
    assert xml == AUTHN_REQUEST
    assert "binding: redirect" in info
    if "RelayState" in REDIRECT_FORMS[form]("v"):
        assert f"RelayState: {RELAY}" in info


@pytest.mark.parametrize("quote", [urllib.parse.quote, urllib.parse.quote_plus], ids=["quote", "quote_plus"])
def test_post_form_body(quote):
    body = (f"SAMLRequest={quote(base64.b64encode(AUTHN_REQUEST.encode()).decode(), safe='')}"
            f"&RelayState={quote(RELAY, safe='')}")
    xml, info = decode(body)
    assert xml == AUTHN_REQUEST
    assert "binding: post" in info
    assert f"RelayState: {RELAY}" in info


@pytest.mark.parametrize("alg", list(SIGALG))
@pytest.mark.parametrize("lowercase", [False, True], ids=["upper-escapes", "lower-escapes"])
def test_signed_redirect_verifies_over_octets_as_sent(alg, lowercase):
    query = sign_query(redirect_query(deflate_b64(AUTHN_REQUEST), RELAY, lowercase=lowercase), alg)
    url = "https://sesame.example/acme/saml2?" + query
    xml, info = decode(url, "--cert", str(CERT))
    assert xml == AUTHN_REQUEST
    assert f"Signature: valid ({SIGALG[alg][0]})" in info
    assert ("warning" in info) == (alg == "rsa-sha1")
    # Another certificate, or any change to the signed octets: refused.
    assert_refused(sesame("saml", "decode", "--cert", str(OTHER_CERT), data=url.encode()))
    tampered = url.replace("dashboard", "dashbOard")
    assert_refused(sesame("saml", "decode", "--cert", str(CERT), data=tampered.encode()))
