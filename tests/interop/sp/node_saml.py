"""A @node-saml/node-saml service provider: sp/node_saml_sp.js as a child process."""

from __future__ import annotations

import json
import shutil
import subprocess

from .base import HERE, IdP, LoginRequest, SPRejected, SPResult

SCRIPT = HERE / "node_saml_sp.js"


class NodeSamlSP:
    name = "node-saml"

    def __init__(self, entity_id: str, acs_url: str):
        self.entity_id = entity_id
        self.acs_url = acs_url

    def _call(self, req: dict) -> dict:
        node = shutil.which("node")
        if not node:
            raise RuntimeError("node is missing: scripts/test.sh installs nodejs")
        req = {"sp": {"entity_id": self.entity_id, "acs_url": self.acs_url}, **req}
        p = subprocess.run(
            [node, str(SCRIPT)],
            input=json.dumps(req).encode(),
            capture_output=True,
            timeout=120,
            check=False,
        )
        if p.returncode != 0 or not p.stdout:
            raise RuntimeError(
                f"node_saml_sp.js exited {p.returncode}: {p.stderr.decode(errors='replace')}"
            )
        a = json.loads(p.stdout)
        if not a["ok"] and a.get("crash"):
            raise RuntimeError(f"node_saml_sp.js: {a['error']}")
        return a

    @staticmethod
    def _idp(idp: IdP) -> dict:
        return {"entity_id": idp.entity_id, "sso_url": idp.sso_url, "cert_pem": idp.cert_pem}

    def metadata(self) -> str:
        return self._call({"action": "metadata"})["metadata"]

    def login(
        self,
        idp: IdP,
        relay_state: str | None = None,
        binding: str = "redirect",
        deflate_post: bool = False,
    ) -> LoginRequest:
        """`binding` "post" sets skipRequestCompression, so the POST form carries the plain
        base64 XML the binding prescribes; `deflate_post` keeps node-saml's default of
        DEFLATE-compressing it anyway (passport-saml issue #241)."""
        action = "login_post" if binding == "post" else "login"
        a = self._call(
            {"action": action, "idp": self._idp(idp), "relay_state": relay_state,
             "deflate": deflate_post}
        )
        assert a["ok"] and a["request_id"], a
        if binding == "post":  # node-saml renders the auto-post page itself
            from .browser import parse_forms

            (form,) = [f for f in parse_forms(a["form"]) if f.field("SAMLRequest")]
            fields = {n: v for n, _, v in form.inputs if n}
            return LoginRequest(form.action, a["request_id"], relay_state, form_fields=fields)
        return LoginRequest(url=a["url"], request_id=a["request_id"], relay_state=relay_state)

    def process(
        self, idp: IdP, saml_response: str, relay_state: str | None, request_id: str | None
    ) -> SPResult:
        a = self._call(
            {
                "action": "process",
                "idp": self._idp(idp),
                "saml_response": saml_response,
                "relay_state": relay_state,
                "request_id": request_id,
            }
        )
        if not a["ok"]:
            raise SPRejected(a["error"])
        return SPResult(
            name_id=a["name_id"],
            name_id_format=a["name_id_format"],
            attributes=a["attributes"],
            session_index=a["session_index"],
            in_response_to=a["in_response_to"],
            issuer=a["issuer"],
            relay_state=a["relay_state"],
        )
