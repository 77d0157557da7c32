#!/usr/bin/env bash
# Regenerates the sample messages in examples/ (run from the repository root after
# `cargo build -p sesame`). The SP key signing the Redirect request is made fresh and
# thrown away: only its certificate is kept (in the SP metadata, and as sp-cert-webex.pem
# for `sesame saml decode --cert`). The Response is signed
# with the interop suite's test IdP key (tests/interop/fixtures/idp-key.pem), so
#   sesame saml decode --raw < examples/response-post.txt \
#     | sesame saml verify --cert tests/interop/fixtures/idp-cert.pem
# verifies it.
set -euo pipefail
cd "$(dirname "$0")/.."
SESAME=${SESAME:-target/debug/sesame}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/sp-key.pem" -out "$tmp/sp-cert.pem" \
  -days 3650 -subj "/CN=acme.webex.com SAML signing (sample)" 2>/dev/null

/usr/bin/python3 - "$tmp" <<'PY'
import base64, subprocess, sys, urllib.parse, zlib
tmp = sys.argv[1]
cert_b64 = "".join(l for l in open(f"{tmp}/sp-cert.pem").read().splitlines() if not l.startswith("-----"))

# 1. Cisco Webex Meetings, SP-initiated: a signed HTTP-Redirect AuthnRequest.
req = ('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
       'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_s2a6b0c1e4d5f60718293a4b5c6d7e8f9" '
       'Version="2.0" IssueInstant="2024-05-14T09:30:05Z" Destination="https://sesame.example/acme/saml2" '
       'AssertionConsumerServiceURL="https://acme.webex.com/dispatcher/SAML2AuthService?siteurl=acme" '
       'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" ForceAuthn="false" IsPassive="false">'
       '<saml:Issuer>https://acme.webex.com/dispatcher/SAML2AuthService</saml:Issuer>'
       '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/>'
       '<samlp:RequestedAuthnContext Comparison="exact">'
       '<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>'
       '</samlp:RequestedAuthnContext></samlp:AuthnRequest>')
c = zlib.compressobj(9, zlib.DEFLATED, -15)
value = base64.b64encode(c.compress(req.encode()) + c.flush()).decode()
q = lambda s: urllib.parse.quote(s, safe="")
signed_part = (f"SAMLRequest={q(value)}&RelayState={q('https://acme.webex.com/mw3300/mywebex/default.do?siteurl=acme')}"
               f"&SigAlg={q('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')}")
sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", f"{tmp}/sp-key.pem"],
                     input=signed_part.encode(), capture_output=True, check=True).stdout
url = f"https://sesame.example/acme/saml2?{signed_part}&Signature={q(base64.b64encode(sig).decode())}"
open("examples/authn-request-redirect.txt", "w").write(url + "\n")

# 2. Convene, SP-initiated with the HTTP-POST binding: the form body the browser sends.
req2 = ('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_c0nvene7f3a9b2d4e6f8a1c3e5b7d9f1" '
        'Version="2.0" IssueInstant="2024-05-14T11:02:44Z" Destination="https://sesame.example/acme/saml2" '
        'AssertionConsumerServiceURL="https://portal.convene.me.uk/saml/acs/4f9c2e1a" '
        'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">'
        '<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://portal.convene.me.uk/saml</saml:Issuer>'
        '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"/></samlp:AuthnRequest>')
body = f"SAMLRequest={q(base64.b64encode(req2.encode()).decode())}&RelayState=%2Fmeetings%2Fboard-2024-05"
open("examples/authn-request-post.txt", "w").write(body + "\n")

# 3. Webex SP metadata (what an administrator uploads to the IdP).
md = f'''<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://acme.webex.com/dispatcher/SAML2AuthService">
  <md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo>
        <ds:X509Data>
          <ds:X509Certificate>{cert_b64}</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://acme.webex.com/dispatcher/SAML2LogoutService?siteurl=acme"/>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://acme.webex.com/dispatcher/SAML2AuthService?siteurl=acme" index="0" isDefault="true"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://acme.webex.com/dispatcher/SAML2ArtifactService?siteurl=acme" index="1"/>
  </md:SPSSODescriptor>
  <md:Organization>
    <md:OrganizationName xml:lang="en">Cisco WebEx</md:OrganizationName>
    <md:OrganizationDisplayName xml:lang="en">Cisco Webex Meetings (acme)</md:OrganizationDisplayName>
    <md:OrganizationURL xml:lang="en">https://acme.webex.com</md:OrganizationURL>
  </md:Organization>
</md:EntityDescriptor>
'''
open("examples/sp-metadata-webex.xml", "w").write(md)
PY

cp "$tmp/sp-cert.pem" examples/sp-cert-webex.pem

# 4. A signed Response (Assertion and Response signed) posted to Convene's ACS.
sed -e 's#https://acme.webex.com/dispatcher/SAML2AuthService?siteurl=acme#https://portal.convene.me.uk/saml/acs/4f9c2e1a#g' \
    -e 's#https://acme.webex.com/dispatcher/SAML2AuthService#https://portal.convene.me.uk/saml#g' \
    tests/interop/fixtures/response-unsigned.xml \
  | "$SESAME" saml sign --key tests/interop/fixtures/idp-key.pem --cert tests/interop/fixtures/idp-cert.pem \
  > "$tmp/response.xml"
/usr/bin/python3 - "$tmp/response.xml" <<'PY'
import base64, sys, urllib.parse
xml = open(sys.argv[1], "rb").read()
body = "SAMLResponse=" + urllib.parse.quote(base64.b64encode(xml).decode(), safe="") + "&RelayState=%2Fmeetings%2Fboard-2024-05"
open("examples/response-post.txt", "w").write(body + "\n")
PY
echo "examples regenerated"
