"""A real SP asks for MFA: pysaml2 and python3-saml send AuthnRequests with a
RequestedAuthnContext, and read the AuthnContextClassRef of the Response they validate.

B.Simon registers an authenticator app through Security info (the real pages, the code
computed by pyotp as a phone would). Then, in one browser:

- an SP requesting (minimum) `https://refeds.org/profile/mfa`: Sesame asks for the
  password, then the second step (Verify your identity), the code (pyotp); the SP library
  validates the Response and reads the REFEDS MFA class. python3-saml runs with
  failOnAuthnContextMismatch on, so the library itself refuses any other class.
- the second SP requesting the same, with the session that already has both factors: no
  sign-in page, the REFEDS MFA class again.
- SPs requesting `exact` PasswordProtectedTransport: they get PasswordProtectedTransport,
  not the stronger class the session could claim.

And in a fresh browser, a password alone under `exact` PasswordProtectedTransport: no
second step, PasswordProtectedTransport.
"""

from __future__ import annotations

import re
import secrets
import time
from html import unescape
from urllib.parse import urljoin, urlsplit

import pyotp
import pytest
import requests

from conftest import SESAME
from sp import browser
from sp.base import AuthnContext, IdP, SPRejected
from sp.onelogin_sp import OneLoginSP
from sp.pysaml2_sp import Pysaml2SP
from sp.server import SesameServer

UPN = "B.Simon@contoso.com"
PASSWORD = "Interop-" + secrets.token_urlsafe(12)
REFEDS_MFA = "https://refeds.org/profile/mfa"
PPT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"

UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

MFA_MIN = AuthnContext(classes=(REFEDS_MFA,), comparison="minimum")
PPT_EXACT = AuthnContext(classes=(PPT,), comparison="exact")


def _sps(ctx: AuthnContext, tag: str) -> list:
    return [
        Pysaml2SP(
            f"urn:sesame-interop:{tag}:pysaml2", "http://127.0.0.1:8001/pysaml2/acs",
            authn_context=ctx,
        ),
        OneLoginSP(
            f"https://sp.python3-saml.example/{tag}/metadata/",
            "http://localhost:8002/python3-saml/acs",
            authn_context=ctx,
        ),
    ]


def _headers(page_url: str) -> dict:
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(page_url))
    return {
        **browser.NAV_HEADERS,
        "Origin": origin,
        "Referer": page_url,
        "Sec-Fetch-Site": "same-origin",
        "Sec-Fetch-Mode": "navigate",
        "Sec-Fetch-Dest": "document",
    }


def _post(session: requests.Session, r: requests.Response, form: browser.Form, data: dict):
    target = urljoin(r.url, form.action or r.url)
    return session.post(
        target, data=data, headers=_headers(r.url), allow_redirects=True, timeout=30
    )


def _form(r: requests.Response, pred) -> browser.Form:
    for f in browser.parse_forms(r.text):
        if pred(f):
            return f
    raise AssertionError(f"no such form on {r.url} ({r.status_code}):\n{r.text[:2000]}")


def _field_names(f: browser.Form) -> set:
    return {n for n, _, _ in f.inputs if n}


def _sign_in_portal(srv: SesameServer) -> requests.Session:
    """A browser signed in to My Apps with the password."""
    s = requests.Session()
    r = s.get(srv.public_url + "/myapps", headers=browser.NAV_HEADERS, timeout=30)
    login = _form(r, lambda f: f.has_type("password"))
    r = _post(s, r, login, browser._login_fields(login, UPN, PASSWORD))
    assert r.status_code == 200 and "/myapps" in r.url, f"{r.status_code} {r.url}:\n{r.text[:1500]}"
    return s


def _register_authenticator(srv: SesameServer) -> pyotp.TOTP:
    """Security info > Add sign-in method > Authenticator app, confirmed with a code:
    returns the authenticator (pyotp reads the otpauth:// URI the page shows)."""
    s = _sign_in_portal(srv)
    r = s.get(srv.public_url + "/myapps/security-info/add", headers=browser.NAV_HEADERS, timeout=30)
    assert r.status_code == 200, r.text[:1500]
    start = _form(r, lambda f: (f.action or "").endswith("/security-info/authenticator"))
    r = _post(s, r, start, start.hidden())
    assert r.status_code == 200, r.text[:1500]
    m = re.search(r'<code id="totp-uri"[^>]*>([^<]+)</code>', r.text)
    assert m, f"no otpauth:// URI on the page:\n{r.text[:2000]}"
    uri = unescape(m.group(1))
    totp = pyotp.parse_uri(uri)
    confirm = _form(r, lambda f: (f.action or "").endswith("/authenticator/confirm"))
    # The code of the step before: the sign-in below then uses a later step's code (a
    # code is accepted once per step).
    for _ in range(3):
        data = {**confirm.hidden(), "code": totp.at(time.time() - 30), "name": "Phone"}
        done = _post(s, r, confirm, data)
        if done.status_code == 200 and done.url.endswith("/myapps/security-info"):
            assert "Authenticator app" in done.text
            return totp
    raise AssertionError(f"the authenticator app was not confirmed:\n{done.text[:2000]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = SesameServer(
        SESAME, tmp_path_factory.mktemp("sp-mfa") / "data", "Admin-" + secrets.token_urlsafe(12)
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


@pytest.fixture(scope="module")
def authenticator(server) -> pyotp.TOTP:
    return _register_authenticator(server)


def _add_app(srv: SesameServer, sp, tmp_path) -> IdP:
    """The app configured from the SP metadata the library emits, B.Simon assigned."""
    md = tmp_path / f"{sp.name}-{secrets.token_hex(4)}.xml"
    md.write_text(sp.metadata())
    name = f"mfa-{sp.name}-{secrets.token_hex(3)}"
    out = srv.cli("app", "add", "--custom", "--name", name, "--sp-metadata", md)
    ids = UUID_RE.findall(out)
    app_id = ids[-1] if ids else out.strip().splitlines()[-1].strip()
    show = srv.cli_json("app", "show", app_id)
    srv.cli("app", "assign", app_id, "--user", UPN)
    cert_pem = srv.cli("app", "cert", app_id, "--pem")
    deadline = time.monotonic() + 5
    while True:  # the server picks up the CLI's change within a second
        r = requests.get(show["federation_metadata_url"], timeout=10)
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert r.status_code == 200, r.text
    return IdP(
        entity_id=show["idp_identifier"],
        sso_url=show["login_url"],
        cert_pem=cert_pem,
        metadata_xml=r.text,
    )


def _sso(s: requests.Session, url: str, totp: pyotp.TOTP | None):
    """Follows an SP-initiated sign-in; returns (auto-post form, pages passed: "password",
    "code")."""
    r = s.get(url, headers=browser.NAV_HEADERS, allow_redirects=True, timeout=30)
    passed = []
    for _ in range(5):
        forms = browser.parse_forms(r.text) if "html" in r.headers.get("content-type", "") else []
        post = [f for f in forms if f.field("SAMLResponse") is not None]
        if post:
            f = post[0]
            return (
                browser.AutoPost(
                    action=urljoin(r.url, f.action),
                    saml_response=f.field("SAMLResponse"),
                    relay_state=f.field("RelayState"),
                    page_url=r.url,
                    signed_in=passed.count("password"),
                ),
                passed,
            )
        login = [f for f in forms if f.has_type("password")]
        code = [f for f in forms if "code" in _field_names(f) and "p" in _field_names(f)]
        if r.status_code == 200 and login:
            passed.append("password")
            r = _post(s, r, login[0], browser._login_fields(login[0], UPN, PASSWORD))
        elif r.status_code == 200 and code:
            assert totp is not None, f"asked for a second factor:\n{r.text[:1500]}"
            assert "Verify your identity" in r.text, r.text[:1500]
            passed.append("code")
            r = _post(s, r, code[0], {**code[0].hidden(), "code": totp.now()})
        else:
            raise AssertionError(f"{r.status_code} {r.url}:\n{r.text[:2000]}")
    raise AssertionError(f"no SAMLResponse: {passed}")


def _accept(sp, idp: IdP, post: browser.AutoPost, request_id: str):
    assert post.action == sp.acs_url, post.action
    try:
        return sp.process(idp, post.saml_response, post.relay_state, request_id)
    except SPRejected as e:
        pytest.fail(f"{sp.name} rejected Sesame's response: {e}", pytrace=False)


def test_sp_requesting_refeds_mfa_gets_it_after_a_code(server, authenticator, tmp_path):
    mfa_sps = _sps(MFA_MIN, "mfa-min")
    ppt_sps = _sps(PPT_EXACT, "ppt-exact")
    idps = {id(sp): _add_app(server, sp, tmp_path) for sp in mfa_sps + ppt_sps}
    s = requests.Session()

    # First SP: password, then Verify your identity with the authenticator's code.
    first = mfa_sps[0]
    req = first.login(idps[id(first)])
    assert "SAMLRequest=" in req.url
    post, passed = _sso(s, req.url, authenticator)
    assert passed == ["password", "code"], passed
    result = _accept(first, idps[id(first)], post, req.request_id)
    assert result.name_id == UPN
    assert result.authn_contexts == [REFEDS_MFA], result.authn_contexts

    # Second SP, same browser: the session has both factors, nothing is asked.
    second = mfa_sps[1]
    req = second.login(idps[id(second)])
    post, passed = _sso(s, req.url, None)
    assert passed == [], passed
    result = _accept(second, idps[id(second)], post, req.request_id)
    assert result.authn_contexts == [REFEDS_MFA], result.authn_contexts

    # exact PasswordProtectedTransport: exactly that class, though the session did more.
    for sp in ppt_sps:
        req = sp.login(idps[id(sp)])
        post, passed = _sso(s, req.url, None)
        assert passed == [], passed
        result = _accept(sp, idps[id(sp)], post, req.request_id)
        assert result.authn_contexts == [PPT], (sp.name, result.authn_contexts)


def test_password_alone_under_exact_ppt(server, authenticator, tmp_path):
    """B.Simon has an authenticator app, but an SP asking exactly for
    PasswordProtectedTransport gets it after the password alone: no second step."""
    for sp in _sps(PPT_EXACT, "ppt-only"):
        idp = _add_app(server, sp, tmp_path)
        req = sp.login(idp)
        post, passed = _sso(requests.Session(), req.url, None)
        assert passed == ["password"], passed
        result = _accept(sp, idp, post, req.request_id)
        assert result.authn_contexts == [PPT], (sp.name, result.authn_contexts)
