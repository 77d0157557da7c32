"""python3-saml (OneLogin's toolkit) as a child process: one JSON request on stdin, one
JSON answer on stdout. Run with the suite's venv python (sp/onelogin_sp.py does).

Why a child process: python3-saml signs and verifies through the `xmlsec` binding, which
operates on lxml's own libxml2 documents. The only working pair here is Debian's
python3-xmlsec with Debian's python3-lxml (both on the system libxml2); the venv carries a
pip lxml wheel (bundling another libxml2) for other tests. So this process imports lxml
from the directory Debian's xmlsec lives in, before anything else can import lxml, and
checks that it did.

Strictness: settings "strict": True and python3-saml's default "security" block.

Requests:
  {"action": "metadata", "sp": SP}
  {"action": "login", "sp": SP, "idp": IDP, "relay_state": str|null}
  {"action": "process", "sp": SP, "idp": IDP, "saml_response": b64, "relay_state": str|null,
   "request_id": str|null}
SP  = {"entity_id": ..., "acs_url": ..., optional "authn_context": {"classes": [...],
       "comparison": "exact"|"minimum"|...}: the RequestedAuthnContext the AuthnRequest
       carries, with python3-saml's failOnAuthnContextMismatch on (the Response's class must
       be one of those requested)}
IDP = {"entity_id": ..., "sso_url": ..., "cert_b64": ..., "metadata_xml": str|null}
Answers: {"ok": true, ...} or {"ok": false, "error": str, "reason": str|null}.
"""

import json
import os
import sys
import traceback


def _import_matching_lxml():
    import importlib.util

    # Debian's python3-xmlsec (the venv has --system-site-packages); found, not imported:
    # importing xmlsec imports lxml.etree.
    spec = importlib.util.find_spec("xmlsec")
    if spec is None or not spec.origin:
        raise RuntimeError("the xmlsec binding is missing: Debian package python3-xmlsec")
    deb = os.path.dirname(os.path.abspath(spec.origin))
    assert "lxml" not in sys.modules, "lxml was imported before the runner could choose it"
    sys.path.insert(0, deb)
    try:
        import lxml
        import lxml.etree
        import xmlsec  # noqa: F401
    finally:
        sys.path.remove(deb)
    where = os.path.dirname(os.path.abspath(lxml.__file__))
    if os.path.dirname(where) != deb:
        raise RuntimeError(
            f"lxml from {where}, but xmlsec from {deb}: install Debian's python3-lxml "
            "next to python3-xmlsec (scripts/test.sh does)"
        )


_import_matching_lxml()

from urllib.parse import urlsplit  # noqa: E402

from onelogin.saml2.auth import OneLogin_Saml2_Auth  # noqa: E402
from onelogin.saml2.constants import OneLogin_Saml2_Constants  # noqa: E402
from onelogin.saml2.errors import OneLogin_Saml2_Error, OneLogin_Saml2_ValidationError  # noqa: E402
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser  # noqa: E402
from onelogin.saml2.settings import OneLogin_Saml2_Settings  # noqa: E402

EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"


def settings_for(sp, idp):
    settings = {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": sp["entity_id"],
            "assertionConsumerService": {
                "url": sp["acs_url"],
                "binding": OneLogin_Saml2_Constants.BINDING_HTTP_POST,
            },
            "NameIDFormat": EMAIL_FORMAT,
            "x509cert": "",
            "privateKey": "",
        },
        # python3-saml's defaults, spelled out empty on purpose: nothing relaxed.
        "security": {},
    }
    if sp.get("authn_context"):
        ac = sp["authn_context"]
        settings["security"] = {
            "requestedAuthnContext": list(ac["classes"]),
            "requestedAuthnContextComparison": ac.get("comparison", "exact"),
            "failOnAuthnContextMismatch": True,
        }
    if idp is None:
        settings["idp"] = {
            "entityId": "urn:placeholder:idp",
            "singleSignOnService": {
                "url": "http://127.0.0.1/placeholder",
                "binding": OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT,
            },
            "x509cert": "",
        }
    elif idp.get("metadata_xml"):
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(
            idp["metadata_xml"],
            required_sso_binding=OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT,
        )
        if "idp" not in parsed:
            raise RuntimeError("python3-saml found no IdP in the metadata")
        settings["idp"] = parsed["idp"]
    else:
        settings["idp"] = {
            "entityId": idp["entity_id"],
            "singleSignOnService": {
                "url": idp["sso_url"],
                "binding": OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT,
            },
            "x509cert": idp["cert_b64"],
        }
    return settings


def request_data(url, post_data=None):
    """The framework-neutral request dict python3-saml wants, for a request to `url`."""
    u = urlsplit(url)
    port = u.port or (443 if u.scheme == "https" else 80)
    return {
        "https": "on" if u.scheme == "https" else "off",
        "http_host": u.hostname,
        "server_port": str(port),
        "script_name": u.path,
        "get_data": {},
        "post_data": post_data or {},
    }


def handle(req):
    sp, idp = req["sp"], req.get("idp")
    action = req["action"]
    if action == "metadata":
        s = OneLogin_Saml2_Settings(settings_for(sp, None), sp_validation_only=True)
        md = s.get_sp_metadata()
        errors = s.validate_metadata(md)
        if errors:
            return {"ok": False, "error": "invalid SP metadata: " + ", ".join(errors)}
        return {"ok": True, "metadata": md.decode() if isinstance(md, bytes) else md}
    settings = settings_for(sp, idp)
    if action == "login":
        auth = OneLogin_Saml2_Auth(request_data(sp["acs_url"]), settings)
        url = auth.login(return_to=req.get("relay_state"))
        return {"ok": True, "url": url, "request_id": auth.get_last_request_id()}
    if action == "process":
        post = {"SAMLResponse": req["saml_response"]}
        if req.get("relay_state") is not None:
            post["RelayState"] = req["relay_state"]
        auth = OneLogin_Saml2_Auth(request_data(sp["acs_url"], post), settings)
        try:
            auth.process_response(request_id=req.get("request_id"))
        except (OneLogin_Saml2_Error, OneLogin_Saml2_ValidationError) as e:
            return {"ok": False, "error": f"{type(e).__name__}: {e}", "reason": None}
        errors = auth.get_errors()
        if errors or not auth.is_authenticated():
            return {
                "ok": False,
                "error": ", ".join(errors) or "not authenticated",
                "reason": auth.get_last_error_reason(),
            }
        return {
            "ok": True,
            "name_id": auth.get_nameid(),
            "name_id_format": auth.get_nameid_format(),
            "attributes": auth.get_attributes(),
            "session_index": auth.get_session_index(),
            "relay_state": post.get("RelayState"),
            "authn_contexts": auth.get_last_authn_contexts(),
        }
    return {"ok": False, "error": f"unknown action {action!r}"}


def main():
    req = json.load(sys.stdin)
    try:
        answer = handle(req)
    except Exception as e:  # reported, not hidden: the caller fails the test with it
        answer = {"ok": False, "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
