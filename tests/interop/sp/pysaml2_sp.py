"""A pysaml2 (PyPI "pysaml2") service provider, driven in-process.

Strictness: pysaml2's defaults (want_response_signed=True, audience = our entity id,
InResponseTo checked against the outstanding requests, Destination/Recipient checked
against our ACS, time conditions), with exactly two relaxations that the issue allows:
- `allow_unsolicited` - only on the instance that accepts IdP-initiated responses;
- `allow_unknown_attributes` - otherwise pysaml2 silently drops claim URIs it has no
  attribute converter for.
Signatures are checked by pysaml2 through the `xmlsec1` binary (Debian package xmlsec1).
"""

from __future__ import annotations

import shutil

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string

from .base import EMAIL_FORMAT, AuthnContext, IdP, LoginRequest, SPRejected, SPResult


class Pysaml2SP:
    name = "pysaml2"

    def __init__(self, entity_id: str, acs_url: str, authn_context: AuthnContext | None = None):
        self.entity_id = entity_id
        self.acs_url = acs_url
        # when set: the RequestedAuthnContext of every AuthnRequest (pysaml2's
        # `requested_authn_context` SP setting)
        self.authn_context = authn_context

    def _config(self, idp: IdP | None, allow_unsolicited: bool = False) -> SPConfig:
        xmlsec = shutil.which("xmlsec1")
        if not xmlsec:
            raise RuntimeError("xmlsec1 is missing (Debian package xmlsec1): pysaml2 needs it")
        conf = {
            "entityid": self.entity_id,
            "xmlsec_binary": xmlsec,
            "service": {
                "sp": {
                    "name": "pysaml2 interop SP",
                    "endpoints": {
                        "assertion_consumer_service": [(self.acs_url, BINDING_HTTP_POST)],
                    },
                    # what our metadata announces; the AuthnRequest keeps pysaml2's default
                    "name_id_format": [EMAIL_FORMAT],
                    # the two relaxations the issue allows, and nothing else
                    "allow_unsolicited": allow_unsolicited,
                    "allow_unknown_attributes": True,
                },
            },
        }
        if self.authn_context is not None:
            conf["service"]["sp"]["requested_authn_context"] = {
                "authn_context_class_ref": list(self.authn_context.classes),
                "comparison": self.authn_context.comparison,
            }
        if idp is not None:
            if not idp.metadata_xml:
                raise ValueError("pysaml2 is configured from the IdP's metadata XML")
            conf["metadata"] = {"inline": [idp.metadata_xml]}
        config = SPConfig()
        config.load(conf)
        return config

    def metadata(self) -> str:
        """pysaml2's own SP metadata (unsigned)."""
        md = create_metadata_string(None, config=self._config(None), valid=None)
        return md.decode() if isinstance(md, bytes) else md

    def login(
        self, idp: IdP, relay_state: str | None = None, binding: str = "redirect"
    ) -> LoginRequest:
        client = Saml2Client(config=self._config(idp))
        request_id, info = client.prepare_for_authenticate(
            entityid=idp.entity_id,
            relay_state=relay_state or "",
            binding=BINDING_HTTP_POST if binding == "post" else BINDING_HTTP_REDIRECT,
        )
        if binding == "post":  # pysaml2 renders the auto-post page itself
            from .browser import parse_forms

            (form,) = [f for f in parse_forms(info["data"]) if f.field("SAMLRequest")]
            fields = {n: v for n, _, v in form.inputs if n}
            return LoginRequest(form.action, request_id, relay_state, form_fields=fields)
        location = dict(info["headers"])["Location"]
        return LoginRequest(url=location, request_id=request_id, relay_state=relay_state)

    def process(
        self, idp: IdP, saml_response: str, relay_state: str | None, request_id: str | None
    ) -> SPResult:
        client = Saml2Client(config=self._config(idp, allow_unsolicited=request_id is None))
        outstanding = {request_id: "/"} if request_id else {}
        try:
            resp = client.parse_authn_request_response(
                saml_response, BINDING_HTTP_POST, outstanding=outstanding
            )
        except Exception as e:  # pysaml2 raises many unrelated exception classes
            raise SPRejected(f"{type(e).__name__}: {e}") from e
        if resp is None:
            raise SPRejected("pysaml2 returned no response (rejected)")
        assertion = resp.assertion
        if assertion is None:
            raise SPRejected("pysaml2 accepted a response without an assertion")
        name_id = resp.name_id
        # The attributes exactly as the (verified) assertion names them; pysaml2's `ava`
        # renames some through its converters (e.g. the ADFS claim map).
        attributes: dict = {}
        for statement in assertion.attribute_statement:
            for attr in statement.attribute:
                attributes.setdefault(attr.name, []).extend(
                    (v.text or "") for v in attr.attribute_value
                )
        session_index = None
        if assertion.authn_statement:
            session_index = assertion.authn_statement[0].session_index
        authn_contexts = [ref for ref, _authorities, _instant in resp.authn_info()]
        return SPResult(
            name_id=name_id.text,
            name_id_format=name_id.format,
            attributes=attributes,
            session_index=session_index,
            in_response_to=resp.in_response_to,
            issuer=resp.issuer(),
            relay_state=relay_state,
            authn_contexts=authn_contexts,
        )

