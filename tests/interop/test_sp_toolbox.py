"""The SP harnesses of tests/interop/sp/, checked against a stand-in IdP (a fixture key and
`sesame saml sign`) instead of the running server.

This proves the plumbing of each harness (request building, response hand-over, result
extraction) and, above all, that each library really is strict in the configuration the
server tests use: a harness that accepted everything would make test_sp_interop.py
worthless. Each SP must accept a good response, SP-initiated and IdP-initiated, and
refuse: a changed NameID byte, a signature by an untrusted key, another audience, another
InResponseTo, an expired assertion, and a response with no signature at all.
"""

import base64
import datetime as dt

import pytest

from conftest import SESAME
from sp import sps
from sp import toolbox_idp as T
from sp.base import DEFAULT_CLAIMS, EMAIL_FORMAT, SPRejected, tamper_name_id

KINDS = list(sps.KINDS)
UPN = "B.Simon@contoso.com"


@pytest.fixture(scope="module")
def idp():
    return T.idp()


@pytest.fixture(params=KINDS)
def sp(request):
    return sps.make(request.param, "toolbox")


def signed(sp, in_response_to):
    """A good response for `sp`, signed (Assertion, then Response) by the stand-in IdP."""
    xml = T.response_xml(audience=sp.entity_id, acs_url=sp.acs_url, in_response_to=in_response_to)
    return T.b64(T.sign(SESAME, xml))


def assert_b_simon(result):
    assert result.name_id == UPN
    assert result.name_id_format == EMAIL_FORMAT
    assert {k: result.attributes.get(k) for k in DEFAULT_CLAIMS} == dict(
        zip(DEFAULT_CLAIMS, [["B"], ["Simon"], [UPN], [UPN]])
    )


def assert_rejected(sp, idp, saml_response, relay_state=None, request_id=None):
    with pytest.raises(SPRejected) as e:
        sp.process(idp, saml_response, relay_state, request_id)
    return str(e.value)


def test_metadata_names_entity_and_acs(sp):
    md = sp.metadata()
    assert sp.entity_id in md and sp.acs_url in md


def test_login_url_targets_idp(sp, idp):
    req = sp.login(idp, relay_state="rs-toolbox")
    assert req.url.startswith(idp.sso_url + "?") and "SAMLRequest=" in req.url
    assert req.request_id


def test_sp_initiated_accepted(sp, idp):
    req = sp.login(idp, relay_state="rs-toolbox")
    result = sp.process(idp, signed(sp, req.request_id), "rs-toolbox", req.request_id)
    assert_b_simon(result)


def test_idp_initiated_accepted(sp, idp):
    assert_b_simon(sp.process(idp, signed(sp, None), None, None))


def test_tampered_name_id_rejected(sp, idp):
    assert_rejected(sp, idp, tamper_name_id(signed(sp, None)))


def test_untrusted_signer_rejected(sp, idp):
    xml = T.response_xml(audience=sp.entity_id, acs_url=sp.acs_url, in_response_to=None)
    assert_rejected(sp, idp, T.b64(T.sign(SESAME, xml, key=T.OTHER_KEY, cert=T.OTHER_CERT)))


def test_unsigned_rejected(sp, idp):
    xml = T.response_xml(audience=sp.entity_id, acs_url=sp.acs_url, in_response_to=None)
    assert_rejected(sp, idp, T.b64(xml))


def test_other_audience_rejected(sp, idp):
    xml = T.response_xml(audience="urn:someone-else", acs_url=sp.acs_url, in_response_to=None)
    assert_rejected(sp, idp, T.b64(T.sign(SESAME, xml)))


def test_expired_rejected(sp, idp):
    then = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=3)
    xml = T.response_xml(audience=sp.entity_id, acs_url=sp.acs_url, in_response_to=None, now=then)
    assert_rejected(sp, idp, T.b64(T.sign(SESAME, xml)))


def test_other_in_response_to_rejected(sp, idp):
    req = sp.login(idp)
    xml = T.response_xml(audience=sp.entity_id, acs_url=sp.acs_url, in_response_to="_not-ours")
    assert_rejected(sp, idp, T.b64(T.sign(SESAME, xml)), None, req.request_id)


def test_tamper_changes_one_byte():
    xml = T.response_xml(audience="a", acs_url="http://127.0.0.1/acs", in_response_to=None)
    a = base64.b64decode(T.b64(xml))
    b = base64.b64decode(tamper_name_id(T.b64(xml)))
    assert len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1
