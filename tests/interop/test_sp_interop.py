"""Interoperability: a running Sesame server signs B.Simon in to three
independently written SPs - pysaml2, python3-saml (OneLogin) and @node-saml/node-saml -
SP-initiated (HTTP-Redirect AuthnRequest; HTTP-POST too for the two that can send one)
and IdP-initiated (the app's launch URL), each
library validating the response at its own default strictness (see tests/interop/sp/).

The server is the real binary on a free loopback port with a temporary data dir; the
directory and the applications are set up with the CLI, as an administrator would:
pysaml2's and python3-saml's apps from the SP metadata the library emits, node-saml's from
--identifier/--reply-url. A requests.Session plays the browser (cookie jar, redirects, the
sign-in form, the auto-post form); the SAMLResponse it ends with is handed to the SP
library in-process (or in its child process), no SP web server needed.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import secrets
import time

import pytest
import requests

from conftest import INTEROP, SESAME
from sp import browser, sps
from sp.base import DEFAULT_CLAIMS, EMAIL_FORMAT, IdP, SPRejected, SPResult, tamper_name_id
from sp.server import SesameServer

KINDS = list(sps.KINDS)
UPN = "B.Simon@contoso.com"
PASSWORD = "Interop-" + secrets.token_urlsafe(12)
RELAY_STATE = "sp-relay/state?x=1&y=ü"
EXPECTED_CLAIMS = {
    DEFAULT_CLAIMS[0]: ["B"],  # givenname
    DEFAULT_CLAIMS[1]: ["Simon"],  # surname
    DEFAULT_CLAIMS[2]: [UPN],  # emailaddress <- user.mail
    DEFAULT_CLAIMS[3]: [UPN],  # name <- user.userprincipalname
}
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclasses.dataclass
class App:
    sp: object
    idp: IdP
    app_id: str
    show: dict
    launch_url: str


@pytest.fixture(scope="session")
def sesame_server(tmp_path_factory):
    node_saml = INTEROP / "node_modules" / "@node-saml" / "node-saml"
    assert node_saml.is_dir(), "@node-saml/node-saml is missing: run scripts/test.sh (npm ci)"
    srv = SesameServer(
        SESAME, tmp_path_factory.mktemp("sp-interop") / "data", "Admin-" + secrets.token_urlsafe(12)
    )
    srv.start()
    try:
        srv.cli(
            "user", "add", "--upn", UPN, "--given-name", "B", "--surname", "Simon",
            "--mail", UPN, "--display-name", "B.Simon", "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        yield srv
    finally:
        srv.stop()


def _urls(values) -> list:
    """`identifiers` / `reply_urls` of `app show --json`: strings, or objects with a URL."""
    out = []
    for v in values or []:
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            out.append(v.get("url") or v.get("value") or v.get("identifier"))
    return out


@pytest.fixture(scope="session", params=KINDS)
def app(request, sesame_server, tmp_path_factory):
    srv = sesame_server
    kind = request.param
    sp = sps.make(kind, "sesame")
    name = f"interop-{kind}"
    if kind == "node-saml":
        out = srv.cli(
            "app", "add", "--custom", "--name", name,
            "--identifier", sp.entity_id, "--reply-url", sp.acs_url,
        )
    else:  # configured from the SP metadata the library itself emits
        md = tmp_path_factory.mktemp(f"sp-md-{kind}") / "sp-metadata.xml"
        md.write_text(sp.metadata())
        out = srv.cli("app", "add", "--custom", "--name", name, "--sp-metadata", md)
    ids = UUID_RE.findall(out)
    app_id = ids[-1] if ids else out.strip().splitlines()[-1].strip()
    srv.cli("app", "assign", app_id, "--user", UPN)
    show = srv.cli_json("app", "show", app_id)
    assert sp.entity_id in _urls(show.get("identifiers")), show
    assert sp.acs_url in _urls(show.get("reply_urls")), show
    cert_pem = srv.cli("app", "cert", app_id, "--pem")
    assert "BEGIN CERTIFICATE" in cert_pem, cert_pem
    # The App Federation Metadata URL, over HTTP; it also shows the server has picked up
    # the CLI's change (promised within a second).
    deadline = time.monotonic() + 5
    while True:
        r = requests.get(show["federation_metadata_url"], timeout=10)
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert r.status_code == 200, f"GET {show['federation_metadata_url']} -> {r.status_code}: {r.text}"
    idp = IdP(
        entity_id=show["idp_identifier"],
        sso_url=show["login_url"],
        cert_pem=cert_pem,
        metadata_xml=r.text,
    )
    launch_url = srv.cli("app", "launch-url", app_id).strip()
    return App(sp=sp, idp=idp, app_id=app_id, show=show, launch_url=launch_url)


def _decoded(saml_response: str) -> str:
    try:
        return base64.b64decode(saml_response).decode("utf-8", "replace")
    except ValueError:
        return repr(saml_response)


def accept(app: App, post: browser.AutoPost, request_id: str | None) -> SPResult:
    """The SP processes the posted response; a rejection fails the test with the library's
    own words and the response it refused."""
    assert post.action == app.sp.acs_url, f"posted to {post.action}, not the ACS {app.sp.acs_url}"
    try:
        return app.sp.process(app.idp, post.saml_response, post.relay_state, request_id)
    except SPRejected as e:
        pytest.fail(
            f"{app.sp.name} rejected Sesame's response: {e}\n"
            f"--- Response ---\n{_decoded(post.saml_response)}",
            pytrace=False,
        )


def assert_b_simon(result: SPResult):
    assert result.name_id == UPN
    assert result.name_id_format == EMAIL_FORMAT
    got = {k: result.attributes.get(k) for k in DEFAULT_CLAIMS}
    assert got == EXPECTED_CLAIMS, f"claims read by the SP: {result.attributes}"


def test_sp_initiated_redirect(app):
    req = app.sp.login(app.idp, relay_state=RELAY_STATE)
    assert req.url.startswith(app.idp.sso_url + "?"), req.url
    post = browser.sso(requests.Session(), req.url, UPN, PASSWORD)
    assert post.signed_in == 1, "a fresh browser must be asked to sign in"
    result = accept(app, post, req.request_id)
    assert_b_simon(result)
    assert post.relay_state == RELAY_STATE


# python3-saml sends AuthnRequests by HTTP-Redirect only
POST_BINDING_KINDS = ["pysaml2", "node-saml"]


@pytest.mark.parametrize("app", POST_BINDING_KINDS, indirect=True)
def test_sp_initiated_post(app):
    """The SP's own auto-post AuthnRequest page, submitted cross-site as a browser does."""
    req = app.sp.login(app.idp, relay_state=RELAY_STATE, binding="post")
    assert req.url == app.idp.sso_url, req.url
    post = browser.sso_post(requests.Session(), req.url, req.form_fields, UPN, PASSWORD)
    assert post.signed_in == 1, "a fresh browser must be asked to sign in"
    result = accept(app, post, req.request_id)
    assert_b_simon(result)
    assert post.relay_state == RELAY_STATE


@pytest.mark.parametrize("app", ["node-saml"], indirect=True)
def test_sp_initiated_post_node_saml_default_compression(app):
    """node-saml DEFLATE-compresses POST AuthnRequests by default (against the binding);
    Sesame tolerates it, so passport-saml users need no extra option."""
    req = app.sp.login(app.idp, relay_state=RELAY_STATE, binding="post", deflate_post=True)
    post = browser.sso_post(requests.Session(), req.url, req.form_fields, UPN, PASSWORD)
    result = accept(app, post, req.request_id)
    assert_b_simon(result)


def test_idp_initiated(app):
    post = browser.sso(requests.Session(), app.launch_url, UPN, PASSWORD)
    result = accept(app, post, None)
    assert_b_simon(result)


def test_idp_initiated_with_existing_session(app):
    """Signed in first (an SP-initiated sign-in), then the launch URL: no second password."""
    s = requests.Session()
    req = app.sp.login(app.idp)
    first = browser.sso(s, req.url, UPN, PASSWORD)
    assert_b_simon(accept(app, first, req.request_id))
    post = browser.sso(s, app.launch_url, UPN, PASSWORD)
    assert post.signed_in == 0, "the SSO session should have been used"
    assert_b_simon(accept(app, post, None))


def test_tampered_name_id_rejected_by_sp(app):
    req = app.sp.login(app.idp)
    post = browser.sso(requests.Session(), req.url, UPN, PASSWORD)
    tampered = tamper_name_id(post.saml_response)
    with pytest.raises(SPRejected) as refused:
        app.sp.process(app.idp, tampered, post.relay_state, req.request_id)
    print(f"{app.sp.name} refused the tampered response: {refused.value}")
    # the untouched response passes: that one byte, nothing else, made the difference
    assert_b_simon(accept(app, post, req.request_id))
