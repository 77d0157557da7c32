// Sesame passkeys: the WebAuthn ceremonies of Security info and of "More information
// required" (create a passkey), of the sign-in page (sign in with a passkey) and of the
// second step (use a passkey or security key). The server gives the options with binary
// values in base64url; the answer goes back in hidden fields of an ordinary form.
"use strict";
(function () {
  function toBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var b = atob(s), u = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) u[i] = b.charCodeAt(i);
    return u.buffer;
  }
  function toB64(buf) {
    if (!buf) return "";
    var u = new Uint8Array(buf), s = "";
    for (var i = 0; i < u.length; i++) s += String.fromCharCode(u[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function set(form, name, v) {
    var el = form.querySelector("input[name='" + name + "']");
    if (!el) {
      el = document.createElement("input");
      el.type = "hidden";
      el.name = name;
      form.appendChild(el);
    }
    el.value = v;
  }
  function status(b, msg) {
    var s = document.getElementById(b.getAttribute("data-status"));
    if (s) { s.textContent = msg; s.hidden = !msg; }
  }
  function supported() {
    return !!(window.PublicKeyCredential && navigator.credentials);
  }
  // Create: <button data-passkey-register data-form="ID" data-status="ID">; the form has
  // data-options (the publicKey options of navigator.credentials.create, as JSON).
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest("button[data-passkey-register]");
    if (!b) return;
    ev.preventDefault();
    var form = document.getElementById(b.getAttribute("data-form"));
    if (!form) return;
    if (!supported()) { status(b, "This browser cannot use passkeys."); return; }
    var o = JSON.parse(form.getAttribute("data-options"));
    o.challenge = toBuf(o.challenge);
    o.user.id = toBuf(o.user.id);
    (o.excludeCredentials || []).forEach(function (c) { c.id = toBuf(c.id); });
    b.disabled = true;
    status(b, "Follow your browser's instructions to create the passkey.");
    navigator.credentials.create({ publicKey: o }).then(function (cred) {
      set(form, "client_data_json", toB64(cred.response.clientDataJSON));
      set(form, "attestation_object", toB64(cred.response.attestationObject));
      set(form, "transports", cred.response.getTransports ? cred.response.getTransports().join(",") : "");
      form.submit();
    }, function (e) {
      b.disabled = false;
      status(b, e && e.name === "InvalidStateError"
        ? "This passkey or security key is already registered."
        : "No passkey was created (" + (e && e.message ? e.message : "cancelled") + "). Select the button to try again.");
    });
  });
  // Sign in: <button data-passkey-signin data-options-url="URL" data-form="ID"
  // data-status="ID">: the options fetched, the browser asked for a passkey of this site
  // (any, on the sign-in page; one of the signed-in user's, listed in allowCredentials,
  // in the second step), the answer posted with the form.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest("button[data-passkey-signin]");
    if (!b) return;
    ev.preventDefault();
    var form = document.getElementById(b.getAttribute("data-form"));
    if (!form) return;
    if (!supported()) { status(b, "This browser cannot use passkeys: sign in with your password."); return; }
    b.disabled = true;
    status(b, "");
    fetch(b.getAttribute("data-options-url"), { method: "POST", credentials: "same-origin" })
      .then(function (r) {
        return r.json().then(function (j) {
          if (!r.ok) throw new Error(j.code ? j.code + ": " + j.message : "the server refused");
          return j;
        });
      })
      .then(function (j) {
        var o = j.publicKey;
        o.challenge = toBuf(o.challenge);
        (o.allowCredentials || []).forEach(function (c) { c.id = toBuf(c.id); });
        set(form, "ceremony", j.ceremony);
        if (form.hasAttribute("data-csrf")) set(form, "csrf", form.getAttribute("data-csrf"));
        if (form.getAttribute("data-p")) set(form, "p", form.getAttribute("data-p"));
        return navigator.credentials.get({ publicKey: o });
      })
      .then(function (cred) {
        set(form, "credential_id", toB64(cred.rawId));
        set(form, "client_data_json", toB64(cred.response.clientDataJSON));
        set(form, "authenticator_data", toB64(cred.response.authenticatorData));
        set(form, "signature", toB64(cred.response.signature));
        set(form, "user_handle", toB64(cred.response.userHandle));
        form.submit();
      }, function (e) {
        b.disabled = false;
        status(b, "Not signed in with a passkey (" + (e && e.message ? e.message : "cancelled") + ").");
      });
  });
})();
