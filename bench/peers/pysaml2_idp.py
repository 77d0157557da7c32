"""A minimal SAML 2.0 IdP on pysaml2's saml2.server.Server, for bench/run.sh only.

pysaml2 ships no example IdP: this WSGI app is the smallest one that does what Sesame's
hot path does - an HTTP-Redirect AuthnRequest from a known SP, answered for a signed-in
browser session with a Response by HTTP-POST, both Response and Assertion signed
(RSA-SHA256), NameID emailAddress and the same four claims. Sessions are a signed cookie
(stateless, so the gunicorn workers share them); the one user and password are static.

Run: BENCH_IDP_BASE=http://127.0.0.1:PORT BENCH_IDP_DIR=DIR gunicorn -w 5 pysaml2_idp:app
DIR holds key.pem, cert.pem (the IdP's signing pair) and sp.xml (the SP's metadata).
"""

import hashlib
import hmac
import html
import os
import secrets
import urllib.parse

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.authn_context import PASSWORDPROTECTEDTRANSPORT
from saml2.config import IdPConfig
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

BASE = os.environ.get("BENCH_IDP_BASE", "http://127.0.0.1:18082")
WORK = os.environ.get("BENCH_IDP_DIR", os.path.dirname(os.path.abspath(__file__)))
USER = os.environ.get("BENCH_IDP_USER", "B.Simon@contoso.com")
PASSWORD = os.environ.get("BENCH_IDP_PASSWORD", "Demo-Password-42")
# Shared by the workers (set by the launcher); a fresh one per start otherwise.
SECRET = os.environ.get("BENCH_IDP_SECRET", secrets.token_hex(32)).encode()
COOKIE = "bench_idp_session"
CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"

CONFIG = {
    "entityid": BASE + "/idp",
    "service": {
        "idp": {
            "endpoints": {
                "single_sign_on_service": [
                    (BASE + "/sso/redirect", BINDING_HTTP_REDIRECT),
                ],
            },
            "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
            "policy": {
                "default": {
                    "lifetime": {"minutes": 15},
                    "attribute_restrictions": None,
                    "name_form": NAME_FORMAT_URI,
                },
            },
            "want_authn_requests_signed": False,
            "sign_response": True,
            "sign_assertion": True,
        },
    },
    "key_file": os.path.join(WORK, "key.pem"),
    "cert_file": os.path.join(WORK, "cert.pem"),
    "metadata": {"local": [os.path.join(WORK, "sp.xml")]},
    "xmlsec_binary": "/usr/bin/xmlsec1",
    "signing_algorithm": SIG_RSA_SHA256,
    "digest_algorithm": DIGEST_SHA256,
    "delete_tmpfiles": True,
}

IDP = Server(config=IdPConfig().load(CONFIG))

IDENTITY = {
    CLAIMS + "givenname": ["B"],
    CLAIMS + "surname": ["Simon"],
    CLAIMS + "emailaddress": [USER],
    CLAIMS + "name": [USER],
}


def _session_value(user):
    mac = hmac.new(SECRET, user.encode(), hashlib.sha256).hexdigest()
    return f"{urllib.parse.quote(user)}|{mac}"


def _session_user(environ):
    for part in environ.get("HTTP_COOKIE", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and "|" in value:
            quoted, mac = value.rsplit("|", 1)
            user = urllib.parse.unquote(quoted)
            want = hmac.new(SECRET, user.encode(), hashlib.sha256).hexdigest()
            if hmac.compare_digest(mac, want):
                return user
    return None


def _respond(start_response, status, body, headers=()):
    data = body.encode("utf-8")
    start_response(
        status,
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data)))]
        + list(headers),
    )
    return [data]


def _sso(environ, start_response, query):
    user = _session_user(environ)
    if user is None:
        target = environ["PATH_INFO"] + "?" + environ.get("QUERY_STRING", "")
        loc = "/login?" + urllib.parse.urlencode({"next": target})
        return _respond(start_response, "302 Found", "", [("Location", loc)])
    saml_request = query.get("SAMLRequest", [""])[0]
    relay_state = query.get("RelayState", [""])[0]
    try:
        req = IDP.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
        args = IDP.response_args(req.message, [BINDING_HTTP_POST])
        resp = IDP.create_authn_response(
            IDENTITY,
            in_response_to=args["in_response_to"],
            destination=args["destination"],
            sp_entity_id=args["sp_entity_id"],
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=user),
            authn={"class_ref": PASSWORDPROTECTEDTRANSPORT, "authn_auth": BASE + "/idp"},
            sign_response=True,
            sign_assertion=True,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
        http = IDP.apply_binding(
            BINDING_HTTP_POST, str(resp), args["destination"], relay_state, response=True
        )
    except Exception as e:  # a refused request is a 400 page, as for any IdP
        return _respond(start_response, "400 Bad Request", html.escape(repr(e)))
    return _respond(start_response, "200 OK", http["data"])


LOGIN_FORM = """<!DOCTYPE html><html><body><form method="post" action="/login">
<input type="hidden" name="next" value="{next}">
<input type="text" name="username"><input type="password" name="password">
<input type="submit" value="Sign in"></form></body></html>"""


def _login(environ, start_response, query):
    if environ["REQUEST_METHOD"] == "POST":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        form = urllib.parse.parse_qs(environ["wsgi.input"].read(min(size, 65536)).decode())
        user = form.get("username", [""])[0]
        password = form.get("password", [""])[0]
        nxt = form.get("next", ["/"])[0]
        if not nxt.startswith("/"):
            nxt = "/"
        if user == USER and hmac.compare_digest(password.encode(), PASSWORD.encode()):
            cookie = f"{COOKIE}={_session_value(user)}; Path=/; HttpOnly; SameSite=Lax"
            return _respond(
                start_response, "303 See Other", "", [("Location", nxt), ("Set-Cookie", cookie)]
            )
        return _respond(start_response, "401 Unauthorized", "wrong user or password")
    nxt = query.get("next", ["/"])[0]
    return _respond(start_response, "200 OK", LOGIN_FORM.format(next=html.escape(nxt)))


def app(environ, start_response):
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    path = environ.get("PATH_INFO", "/")
    if path == "/sso/redirect":
        return _sso(environ, start_response, query)
    if path == "/login":
        return _login(environ, start_response, query)
    return _respond(start_response, "404 Not Found", "not found")
