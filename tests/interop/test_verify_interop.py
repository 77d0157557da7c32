"""Messages signed by `xmlsec1 --sign` verify with `sesame saml verify`, and changing any
signed character makes verification fail.

The signature templates follow what real IdPs send: exclusive c14n, the enveloped
transform, the Signature right after the Issuer, an InclusiveNamespaces PrefixList "xs"
(the xsi:type="xs:string" pitfall) or none, compact or indented.
"""

import subprocess

import pytest
from lxml import etree

from conftest import (
    CERT,
    KEY,
    NS,
    OTHER_CERT,
    RESPONSE,
    assert_refused,
    run,
    sesame,
)

DS = NS["ds"]
RESPONSE_ID = "_r4c1d6e0b5f2a4f3b9e8d7c6b5a4f3e2d"
ASSERTION_ID = "_a8f7e6d5c4b3a2918070605040302010f"
ALGS = {
    "rsa-sha256": ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmlenc#sha256"),
    "rsa-sha1": ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2000/09/xmldsig#sha1"),
    "rsa-sha512": ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", "http://www.w3.org/2001/04/xmlenc#sha512"),
}
XMLSEC_IDS = [
    "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
    "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
]
XPATH = {
    "Response": "/*[local-name()='Response']/*[local-name()='Signature']",
    "Assertion": "/*/*[local-name()='Assertion']/*[local-name()='Signature']",
}


def template(ref_id, alg, prefix_list, indented):
    sig_uri, digest_uri = ALGS[alg]
    inclusive = (
        f'<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="{prefix_list}"/>'
        if prefix_list else ""
    )
    parts = [
        f'<ds:Signature xmlns:ds="{DS}">',
        "<ds:SignedInfo>",
        '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>',
        f'<ds:SignatureMethod Algorithm="{sig_uri}"/>',
        f'<ds:Reference URI="#{ref_id}">',
        "<ds:Transforms>",
        '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>',
        f'<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">{inclusive}</ds:Transform>',
        "</ds:Transforms>",
        f'<ds:DigestMethod Algorithm="{digest_uri}"/>',
        "<ds:DigestValue></ds:DigestValue>",
        "</ds:Reference>",
        "</ds:SignedInfo>",
        "<ds:SignatureValue></ds:SignatureValue>",
        "<ds:KeyInfo><ds:X509Data></ds:X509Data></ds:KeyInfo>",
        "</ds:Signature>",
    ]
    return ("\n  " if indented else "").join(parts)


def insert_after_issuer(xml, element_id, sig):
    """Text-level insertion right after the Issuer of the element with `element_id`, so
    the rest of the document keeps its exact bytes."""
    start = xml.index(f'ID="{element_id}"')
    issuer_end = xml.index("</saml:Issuer>", start) + len("</saml:Issuer>")
    return xml[:issuer_end] + sig + xml[issuer_end:]


def xmlsec1_sign(xml, target, tmp_path, name):
    src = tmp_path / f"{name}.tmpl.xml"
    out = tmp_path / f"{name}.xml"
    src.write_text(xml)
    cmd = ["xmlsec1", "--sign", "--privkey-pem", f"{KEY},{CERT}", *XMLSEC_IDS,
           "--node-xpath", XPATH[target], "--output", str(out), str(src)]
    p = subprocess.run(cmd, capture_output=True, check=False)
    assert p.returncode == 0, p.stderr.decode()
    # xmlsec1 itself must accept what it made.
    v = run(["xmlsec1", "--verify", "--pubkey-cert-pem", CERT, *XMLSEC_IDS,
             "--node-xpath", XPATH[target], out])
    assert v.returncode == 0, v.stderr.decode()
    return out.read_text()


def make(tmp_path, element, alg="rsa-sha256", prefix_list="xs", indented=False):
    xml = RESPONSE.read_text()
    if element in ("Assertion", "both"):
        xml = insert_after_issuer(xml, ASSERTION_ID, template(ASSERTION_ID, alg, prefix_list, indented))
        xml = xmlsec1_sign(xml, "Assertion", tmp_path, "a")
    if element in ("Response", "both"):
        xml = insert_after_issuer(xml, RESPONSE_ID, template(RESPONSE_ID, alg, prefix_list, indented))
        xml = xmlsec1_sign(xml, "Response", tmp_path, "r")
    return xml.encode()


def expected_lines(element):
    return {
        "Assertion": [f"Assertion {ASSERTION_ID}"],
        "Response": [f"Response {RESPONSE_ID}"],
        "both": [f"Response {RESPONSE_ID}", f"Assertion {ASSERTION_ID}"],
    }[element]


VARIANTS = [
    (element, alg, "xs", False) for element in ("Assertion", "Response", "both") for alg in ALGS
] + [
    ("both", "rsa-sha256", None, False),
    ("both", "rsa-sha256", "xs", True),
    ("Assertion", "rsa-sha256", "xs xsi saml", True),
]


@pytest.mark.parametrize(
    "element,alg,prefix_list,indented", VARIANTS,
    ids=[f"{e}-{a}-{p or 'noprefixlist'}{'-indented' if i else ''}".replace(" ", "+") for e, a, p, i in VARIANTS],
)
def test_sesame_verifies_xmlsec1_signatures(tmp_path, element, alg, prefix_list, indented):
    doc = make(tmp_path, element, alg, prefix_list, indented)
    p = sesame("saml", "verify", "--cert", CERT, data=doc)
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout.decode().splitlines() == expected_lines(element)
    if alg == "rsa-sha1":
        assert "SHA-1" in p.stderr.decode()
    else:
        assert p.stderr == b""
    # The same document, trusting another certificate: refused.
    assert_refused(sesame("saml", "verify", "--cert", OTHER_CERT, data=doc))


def flips(doc, needle, count):
    """Up to `count` documents, each with one character of `needle` (which occurs in
    signed content) replaced."""
    text = doc.decode()
    start = text.index(needle)
    out = []
    for i in range(min(count, len(needle))):
        c = text[start + i]
        repl = "X" if c != "X" else "Y"
        out.append((f"{needle}[{i}]", (text[: start + i] + repl + text[start + i + 1 :]).encode()))
    return out


@pytest.mark.parametrize("element", ["Assertion", "Response", "both"])
def test_any_flipped_character_fails(tmp_path, element):
    doc = make(tmp_path, element)
    cases = (
        flips(doc, ">b.simon@acme.example<", 22)
        + flips(doc, ">bsimon<", 8)
        + flips(doc, 'NotOnOrAfter="2024-05-14T09:35:12Z"', 10)
    )
    if element != "Assertion":
        cases += flips(doc, 'Destination="https://acme.webex.com/', 12)
    assert len(cases) >= 40
    for what, bad in cases:
        # A flip that breaks well-formedness is refused too; either way: exit 1, one line.
        p = sesame("saml", "verify", "--cert", CERT, data=bad)
        err = assert_refused(p)
        assert p.stdout == b"", f"{what}: {p.stdout!r}"
        assert err.startswith("sesame: error: "), err


def test_tampered_signature_and_digest_values_fail(tmp_path):
    doc = make(tmp_path, "both").decode()
    root = etree.fromstring(doc.encode())
    for tag in ("SignatureValue", "DigestValue"):
        for el in root.iter(f"{{{DS}}}{tag}"):
            value = el.text.strip()
            i = len(value) // 2
            bad_value = value[:i] + ("A" if value[i] != "A" else "B") + value[i + 1 :]
            bad = doc.replace(value, bad_value, 1)
            assert bad != doc
            assert_refused(sesame("saml", "verify", "--cert", CERT, data=bad.encode()))


def test_unsigned_response_is_refused():
    err = assert_refused(sesame("saml", "verify", "--cert", CERT, data=RESPONSE.read_bytes()))
    assert "sign" in err
