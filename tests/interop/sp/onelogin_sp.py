"""A python3-saml (PyPI "python3-saml", OneLogin's toolkit) service provider.

The library runs in a child process (sp/onelogin_runner.py explains why: its xmlsec binding
must share lxml's libxml2). Settings "strict": True, default "security" block.
"""

from __future__ import annotations

import json
import subprocess
import sys

from .base import HERE, AuthnContext, IdP, LoginRequest, SPRejected, SPResult

RUNNER = HERE / "onelogin_runner.py"


def _idp_json(idp: IdP) -> dict:
    return {
        "entity_id": idp.entity_id,
        "sso_url": idp.sso_url,
        "cert_b64": idp.cert_b64,
        "metadata_xml": idp.metadata_xml,
    }


class OneLoginSP:
    name = "python3-saml"

    def __init__(
        self,
        entity_id: str,
        acs_url: str,
        python: str | None = None,
        authn_context: AuthnContext | None = None,
    ):
        self.entity_id = entity_id
        self.acs_url = acs_url
        self.python = python or sys.executable
        # when set: requested in every AuthnRequest, and the Response's class must match
        self.authn_context = authn_context

    def _call(self, req: dict) -> dict:
        sp = {"entity_id": self.entity_id, "acs_url": self.acs_url}
        if self.authn_context is not None:
            sp["authn_context"] = {
                "classes": list(self.authn_context.classes),
                "comparison": self.authn_context.comparison,
            }
        req = {"sp": sp, **req}
        p = subprocess.run(
            [self.python, str(RUNNER)],
            input=json.dumps(req).encode(),
            capture_output=True,
            timeout=120,
            check=False,
        )
        if p.returncode != 0:
            raise RuntimeError(
                f"python3-saml runner exited {p.returncode}: {p.stderr.decode(errors='replace')}"
            )
        return json.loads(p.stdout)

    def metadata(self) -> str:
        a = self._call({"action": "metadata"})
        if not a["ok"]:
            raise RuntimeError(f"python3-saml: {a['error']}\n{a.get('trace', '')}")
        return a["metadata"]

    def login(
        self, idp: IdP, relay_state: str | None = None, binding: str = "redirect"
    ) -> LoginRequest:
        if binding != "redirect":  # python3-saml sends AuthnRequests by Redirect only
            raise NotImplementedError("python3-saml has no HTTP-POST AuthnRequest")
        a = self._call({"action": "login", "idp": _idp_json(idp), "relay_state": relay_state})
        if not a["ok"]:
            raise RuntimeError(f"python3-saml: {a['error']}\n{a.get('trace', '')}")
        return LoginRequest(url=a["url"], request_id=a["request_id"], relay_state=relay_state)

    def process(
        self, idp: IdP, saml_response: str, relay_state: str | None, request_id: str | None
    ) -> SPResult:
        a = self._call(
            {
                "action": "process",
                "idp": _idp_json(idp),
                "saml_response": saml_response,
                "relay_state": relay_state,
                "request_id": request_id,
            }
        )
        if not a["ok"]:
            if a.get("trace"):  # an exception, not a validation verdict
                raise RuntimeError(f"python3-saml crashed: {a['error']}\n{a['trace']}")
            raise SPRejected(f"{a['error']}: {a.get('reason')}")
        return SPResult(
            name_id=a["name_id"],
            name_id_format=a["name_id_format"],
            attributes=a["attributes"],
            session_index=a["session_index"],
            relay_state=a["relay_state"],
            authn_contexts=a.get("authn_contexts"),
        )
