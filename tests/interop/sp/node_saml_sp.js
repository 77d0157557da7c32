#!/usr/bin/env node
// A @node-saml/node-saml service provider (the library under passport-saml) for Sesame's
// SP interop suite: one JSON request on stdin, one JSON answer on stdout.
//
// Strictness: node-saml's defaults (wantAuthnResponseSigned and wantAssertionsSigned as
// the library has them - both true in 5.x -, audience = our issuer, time conditions with
// acceptedClockSkewMs 0, the Recipient/Destination checks it makes), plus the checks a
// careful SP turns on: idpIssuer, and validateInResponseTo "always" for SP-initiated
// ("ifPresent" for IdP-initiated, which has no InResponseTo).
//
// The SP of a real deployment keeps its outstanding request IDs in its cacheProvider
// between the redirect and the POST; this process is started once per step, so "process"
// is handed the ID that "login" issued and puts it into the cache first.
//
// Requests:
//   {"action": "metadata", "sp": SP}
//   {"action": "login", "sp": SP, "idp": IDP, "relay_state": str|null}  (HTTP-Redirect: url)
//   {"action": "login_post", ...the same, "deflate": bool}  (HTTP-POST: form, node-saml's
//    auto-post page; uncompressed as the binding says unless "deflate" is true)
//   {"action": "process", "sp": SP, "idp": IDP, "saml_response": b64,
//    "relay_state": str|null, "request_id": str|null}
// SP = {"entity_id", "acs_url"}; IDP = {"entity_id", "sso_url", "cert_pem"}
// Answers: {"ok": true, ...} or {"ok": false, "error": message}.
"use strict";

const path = require("path");
const { SAML } = require(path.join(__dirname, "..", "node_modules", "@node-saml", "node-saml"));

class SeededCache {
  constructor() {
    this.items = new Map();
    this.lastSaved = null;
  }
  async saveAsync(key, value) {
    if (this.items.has(key)) return null;
    const item = { value, createdAt: Date.now() };
    this.items.set(key, item);
    this.lastSaved = key;
    return item;
  }
  async getAsync(key) {
    const item = this.items.get(key);
    return item ? item.value : null;
  }
  async removeAsync(key) {
    if (key === null || !this.items.has(key)) return null;
    const { value } = this.items.get(key);
    this.items.delete(key);
    return value;
  }
}

function samlFor(req, cache, validateInResponseTo, authnRequestBinding, skipRequestCompression) {
  const sp = req.sp;
  const idp = req.idp || {};
  const options = {
    issuer: sp.entity_id,
    callbackUrl: sp.acs_url,
    // required by the constructor even for metadata; a placeholder there only
    idpCert: idp.cert_pem || "placeholder",
    cacheProvider: cache,
  };
  if (idp.sso_url) options.entryPoint = idp.sso_url;
  if (idp.entity_id) options.idpIssuer = idp.entity_id;
  if (validateInResponseTo) options.validateInResponseTo = validateInResponseTo;
  if (authnRequestBinding) options.authnRequestBinding = authnRequestBinding;
  if (skipRequestCompression) options.skipRequestCompression = true;
  return new SAML(options);
}

async function handle(req) {
  const cache = new SeededCache();
  switch (req.action) {
    case "metadata": {
      const saml = samlFor(req, cache, null);
      return { ok: true, metadata: saml.generateServiceProviderMetadata(null, null) };
    }
    case "login": {
      const saml = samlFor(req, cache, "always");
      const url = await saml.getAuthorizeUrlAsync(req.relay_state || "", undefined, {});
      return { ok: true, url, request_id: cache.lastSaved };
    }
    case "login_post": {
      // node-saml DEFLATEs a POST-binding SAMLRequest unless skipRequestCompression is set
      // (passport-saml issue #241), which the POST binding does not allow (SAML bindings
      // 3.5.4: base64 of the XML). "deflate": true asks for that default behaviour.
      const saml = samlFor(req, cache, "always", "HTTP-POST", !req.deflate);
      const form = await saml.getAuthorizeFormAsync(req.relay_state || "", undefined);
      return { ok: true, form, request_id: cache.lastSaved };
    }
    case "process": {
      const spInitiated = Boolean(req.request_id);
      const saml = samlFor(req, cache, spInitiated ? "always" : "ifPresent");
      if (spInitiated) await cache.saveAsync(req.request_id, new Date().toISOString());
      const container = { SAMLResponse: req.saml_response };
      if (req.relay_state !== null && req.relay_state !== undefined) {
        container.RelayState = req.relay_state;
      }
      let result;
      try {
        result = await saml.validatePostResponseAsync(container);
      } catch (err) {
        return { ok: false, error: String((err && err.message) || err) };
      }
      const { profile, loggedOut } = result;
      if (!profile || loggedOut) return { ok: false, error: "no profile (loggedOut=" + loggedOut + ")" };
      const attributes = {};
      for (const [k, v] of Object.entries(profile.attributes || {})) {
        attributes[k] = Array.isArray(v) ? v.map(String) : [String(v)];
      }
      return {
        ok: true,
        name_id: profile.nameID,
        name_id_format: profile.nameIDFormat,
        attributes,
        session_index: profile.sessionIndex || null,
        in_response_to: profile.inResponseTo || null,
        issuer: profile.issuer || null,
        relay_state: container.RelayState === undefined ? null : container.RelayState,
      };
    }
    default:
      return { ok: false, error: "unknown action " + JSON.stringify(req.action), crash: true };
  }
}

async function main() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const req = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  let answer;
  try {
    answer = await handle(req);
  } catch (err) {
    answer = { ok: false, crash: true, error: String((err && err.stack) || err) };
  }
  process.stdout.write(JSON.stringify(answer));
}

main();
