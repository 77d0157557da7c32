"""A small browser stand-in over requests.Session: follows redirects, fills in Sesame's
sign-in form generically (its action and every hidden input, plus the user name and
password fields) and stops at the auto-post form that carries a SAMLResponse."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

# What a browser sends with a top-level navigation; Sesame may check Sec-Fetch-* and
# Origin on its form POSTs, so the POST below carries them as a browser would.
NAV_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "User-Agent": "sesame-sp-interop/1.0 (requests)",
}


@dataclasses.dataclass
class Form:
    action: str | None
    method: str
    inputs: list  # of (name, type, value)

    def hidden(self) -> dict:
        return {n: v for n, t, v in self.inputs if n and t == "hidden"}

    def field(self, name: str) -> str | None:
        for n, _, v in self.inputs:
            if n == name:
                return v
        return None

    def has_type(self, typ: str) -> bool:
        return any(t == typ for _, t, _ in self.inputs)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._current: Form | None = None

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._current = Form(a.get("action"), (a.get("method") or "get").lower(), [])
            self.forms.append(self._current)
        elif tag in ("input", "button", "textarea") and self._current is not None:
            typ = (a.get("type") or ("submit" if tag == "button" else "text")).lower()
            self._current.inputs.append((a.get("name"), typ, a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def parse_forms(page: str) -> list[Form]:
    p = _FormParser()
    p.feed(page)
    p.close()
    return p.forms


@dataclasses.dataclass
class AutoPost:
    """The auto-post form an IdP answers with: where it posts, and what."""

    action: str
    saml_response: str
    relay_state: str | None
    page_url: str
    signed_in: int  # how many times the sign-in form was submitted on the way


class FlowError(AssertionError):
    pass


def _describe(r: requests.Response) -> str:
    body = r.text
    if len(body) > 1500:
        body = body[:1500] + "…"
    hist = " -> ".join(f"{h.status_code} {h.url}" for h in r.history)
    return f"{r.request.method} {r.url} -> {r.status_code} (via: {hist or 'none'})\n{body}"


def _login_fields(form: Form, upn: str, password: str) -> dict:
    data = form.hidden()
    user_field = None
    for name, typ, _ in form.inputs:
        if not name:
            continue
        if typ == "password":
            data[name] = password
        elif typ in ("text", "email") and user_field is None:
            user_field = name
            data[name] = upn
    if user_field is None:
        raise FlowError(f"no user name field in the sign-in form: {form}")
    return data


def sso(
    session: requests.Session,
    url: str,
    upn: str,
    password: str,
    *,
    max_steps: int = 6,
    timeout: float = 30,
) -> AutoPost:
    """GETs `url` (an SP's Redirect-binding AuthnRequest URL, or a launch URL), signs in
    when Sesame asks, and returns the auto-post form carrying the SAMLResponse."""
    r = session.get(url, headers=NAV_HEADERS, allow_redirects=True, timeout=timeout)
    return _until_saml_response(session, r, upn, password, max_steps, timeout)


def sso_post(
    session: requests.Session,
    action: str,
    fields: dict,
    upn: str,
    password: str,
    *,
    max_steps: int = 6,
    timeout: float = 30,
) -> AutoPost:
    """Submits an SP's auto-post AuthnRequest form (HTTP-POST binding) as a browser does:
    a cross-site POST (which carries no SameSite=Lax cookie), then as `sso`."""
    headers = {
        **NAV_HEADERS,
        "Origin": "null",
        "Sec-Fetch-Site": "cross-site",
        "Sec-Fetch-Mode": "navigate",
        "Sec-Fetch-Dest": "document",
    }
    r = session.post(action, data=fields, headers=headers, allow_redirects=True, timeout=timeout)
    return _until_saml_response(session, r, upn, password, max_steps, timeout)


def _until_saml_response(session, r, upn, password, max_steps, timeout) -> AutoPost:
    signed_in = 0
    for _ in range(max_steps):
        forms = parse_forms(r.text) if "html" in r.headers.get("content-type", "") else []
        for f in forms:
            if f.field("SAMLResponse") is not None:
                if f.method != "post" or not f.action:
                    raise FlowError(
                        f"the SAMLResponse form is not a POST with an action:\n{_describe(r)}"
                    )
                return AutoPost(
                    action=urljoin(r.url, f.action),  # attribute values arrive unescaped
                    saml_response=f.field("SAMLResponse"),
                    relay_state=f.field("RelayState"),
                    page_url=r.url,
                    signed_in=signed_in,
                )
        login = [f for f in forms if f.has_type("password")]
        if r.status_code != 200 or not login:
            raise FlowError(f"neither a sign-in form nor a SAMLResponse:\n{_describe(r)}")
        form = login[0]
        target = urljoin(r.url, form.action or r.url)
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(r.url))
        headers = {
            **NAV_HEADERS,
            "Origin": origin,
            "Referer": r.url,
            "Sec-Fetch-Site": "same-origin",
            "Sec-Fetch-Mode": "navigate",
            "Sec-Fetch-Dest": "document",
        }
        signed_in += 1
        r = session.post(
            target,
            data=_login_fields(form, upn, password),
            headers=headers,
            allow_redirects=True,
            timeout=timeout,
        )
    raise FlowError(f"no SAMLResponse after {max_steps} pages:\n{_describe(r)}")
