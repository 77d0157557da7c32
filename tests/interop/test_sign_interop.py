"""Signatures made by `sesame saml sign` verify with xmlsec1, signxml and xml-crypto.

For every signing mode (Assertion, Response, both) and algorithm, each signature in the
output is verified separately by each tool, trusting only the IdP certificate; a second,
unrelated certificate must make each tool fail (so a tool that silently trusted the
document's own KeyInfo would be caught).
"""

import functools

import pytest
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier

from conftest import (
    CERT,
    FIXTURES,
    INTEROP,
    KEY,
    NS,
    OTHER_CERT,
    RESPONSE,
    run,
    sesame_ok,
)

EC_KEY = FIXTURES / "ec-key.pem"
EC_CERT = FIXTURES / "ec-cert.pem"

ELEMENTS = ["Assertion", "Response", "both"]
RSA_ALGS = ["rsa-sha256", "rsa-sha512", "rsa-sha1"]
RESPONSE_ID = "_r4c1d6e0b5f2a4f3b9e8d7c6b5a4f3e2d"
ASSERTION_ID = "_a8f7e6d5c4b3a2918070605040302010f"
XMLSEC_IDS = [
    "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
    "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
]
XPATH = {
    "Response": "/*[local-name()='Response']/*[local-name()='Signature']",
    "Assertion": "/*/*[local-name()='Assertion']/*[local-name()='Signature']",
}
CASES = [(e, a, KEY, CERT) for e in ELEMENTS for a in RSA_ALGS] + [
    (e, "ecdsa-sha256", EC_KEY, EC_CERT) for e in ELEMENTS
]


def case_id(c):
    return f"{c[0]}-{c[1]}"


@functools.lru_cache(maxsize=None)
def signed(element, alg, key, cert):
    return sesame_ok(
        "saml", "sign", "--key", key, "--cert", cert, "--element", element, "--alg", alg,
        data=RESPONSE.read_bytes(),
    )


def targets(element):
    return ["Response", "Assertion"] if element == "both" else [element]


def test_sesame_verifies_its_own_signatures():
    for element, alg, key, cert in CASES:
        out = sesame_ok("saml", "verify", "--cert", cert, data=signed(element, alg, key, cert))
        expected = {"Response": f"Response {RESPONSE_ID}", "Assertion": f"Assertion {ASSERTION_ID}"}
        assert out.decode().splitlines() == [expected[t] for t in targets(element)]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_xmlsec1_verifies(case, tmp_path):
    element, alg, key, cert = case
    doc = tmp_path / "signed.xml"
    doc.write_bytes(signed(*case))
    for target in targets(element):
        for trusted, ok in ((cert, True), (OTHER_CERT, False)):
            p = run(["xmlsec1", "--verify", "--pubkey-cert-pem", trusted, *XMLSEC_IDS,
                     "--node-xpath", XPATH[target], doc])
            assert (p.returncode == 0) == ok, f"{target} with {trusted.name}: {p.stderr.decode()}"


def for_first_signature_verifier(xml, target):
    """A document in which `target`'s signature is the first in document order, for a
    verifier that checks the first signature it finds. The Response's signature follows
    the Response's Issuer, so it is first already; for the Assertion, the Response's
    signature is removed, which leaves the Assertion's canonical form unchanged (it is
    not inside the Assertion)."""
    if target == "Response":
        return xml
    root = etree.fromstring(xml)
    sig = root.find("ds:Signature", NS)
    if sig is not None:
        root.remove(sig)
    return etree.tostring(root)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_signxml_verifies(case):
    element, alg, key, cert = case
    for target in targets(element):
        data = for_first_signature_verifier(signed(*case), target)
        # signxml refuses SHA-1 unless asked; RSA-SHA1 is still what some SPs use.
        config = SignatureConfiguration(
            signature_methods=frozenset(SignatureMethod),
            digest_algorithms=frozenset(DigestAlgorithm),
        )
        result = XMLVerifier().verify(data, x509_cert=cert.read_text(), expect_config=config)
        el = result.signed_xml
        assert etree.QName(el).localname == target
        assert el.get("ID") == (RESPONSE_ID if target == "Response" else ASSERTION_ID)
        with pytest.raises(Exception):
            XMLVerifier().verify(data, x509_cert=OTHER_CERT.read_text(), expect_config=config)


@pytest.mark.parametrize("case", [c for c in CASES if c[1].startswith("rsa")], ids=case_id)
def test_xml_crypto_verifies(case):
    # xml-crypto 6 has no ECDSA, so RSA only.
    element, alg, key, cert = case
    script = INTEROP / "xmlcrypto_verify.js"
    p = run(["node", script, cert], signed(*case))
    assert p.returncode == 0, p.stderr.decode()
    got = sorted(p.stdout.decode().split())
    want = sorted(" ".join(f"{t} {RESPONSE_ID if t == 'Response' else ASSERTION_ID}"
                           for t in targets(element)).split())
    assert got == want
    p = run(["node", script, OTHER_CERT], signed(*case))
    assert p.returncode == 1
