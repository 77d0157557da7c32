// Sesame portal: progressive enhancement only; every page works without it.
"use strict";
(function () {
  // Copy buttons: <button type="button" class="copy" data-copy="ID of an input/code">.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest("button[data-copy]");
    if (!b) return;
    var el = document.getElementById(b.getAttribute("data-copy"));
    if (!el) return;
    var text = el.value !== undefined && el.tagName !== "CODE" ? el.value : el.textContent;
    var done = function () { var t = b.textContent; b.textContent = "Copied"; setTimeout(function () { b.textContent = t; }, 1500); };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () {});
    } else if (el.select) { el.select(); document.execCommand("copy"); done(); }
  });
  // Show password: <button type="button" data-toggle-password="ID">.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest("button[data-toggle-password]");
    if (!b) return;
    var el = document.getElementById(b.getAttribute("data-toggle-password"));
    if (!el) return;
    el.type = el.type === "password" ? "text" : "password";
    b.setAttribute("aria-pressed", el.type === "text" ? "true" : "false");
  });
  // Checked as you type: <input data-patterns='["https://{tenant}.example.com/acs", …]'>,
  // where {name} stands for any non-empty text without '/' (the gallery's placeholders).
  function toRegex(p) {
    var parts = p.split(/(\{[^}]*\})/);
    var re = parts.map(function (s) {
      if (/^\{[^}]*\}$/.test(s)) return "[^/]+";
      return s.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
    }).join("");
    return new RegExp("^" + re + "$", "i");
  }
  // Placeholders copied from a vendor's document (<UID>, <CUSTOMERNAME>, any <…>).
  function placeholders(v) {
    var found = [];
    (v.match(/<[^<>]*>/g) || []).forEach(function (p) { if (found.indexOf(p) < 0) found.push(p); });
    return found;
  }
  function joinAnd(list) {
    return list.length < 2 ? list.join("") : list.slice(0, -1).join(", ") + " and " + list[list.length - 1];
  }
  function check(input) {
    var pats;
    try { pats = JSON.parse(input.getAttribute("data-patterns") || "[]"); } catch (e) { return; }
    var msg = document.getElementById(input.id + "-check");
    var v = input.value.trim();
    var found = placeholders(v);
    if (found.length) {
      var vendor = input.getAttribute("data-vendor") || "the application's vendor";
      input.setAttribute("aria-invalid", "true");
      if (msg) msg.textContent = "Replace " + joinAnd(found) + " with the value" + (found.length > 1 ? "s " : " ") + vendor + " gives you.";
      return;
    }
    if (!pats.length || !v) { input.removeAttribute("aria-invalid"); if (msg) msg.textContent = ""; return; }
    var ok = pats.some(function (p) { return toRegex(p).test(v); });
    input.setAttribute("aria-invalid", ok ? "false" : "true");
    if (msg) msg.textContent = ok ? "" : "Does not match the expected pattern: " + pats.join(" or ");
  }
  document.addEventListener("input", function (ev) {
    if (ev.target.hasAttribute && ev.target.hasAttribute("data-patterns")) check(ev.target);
  });
  // Client-side filter of a list: <input type="search" data-filter="ID of a table or .tiles">.
  document.addEventListener("input", function (ev) {
    var t = ev.target;
    if (!t.hasAttribute || !t.hasAttribute("data-filter")) return;
    var box = document.getElementById(t.getAttribute("data-filter"));
    if (!box) return;
    var q = t.value.trim().toLowerCase();
    var shown = 0;
    box.querySelectorAll("[data-search]").forEach(function (row) {
      row.hidden = q && row.getAttribute("data-search").toLowerCase().indexOf(q) < 0;
      if (!row.hidden) shown++;
    });
    // "No application matches": <div role="status" data-empty-for="ID"> holding
    // <p data-empty-msg> with <span data-empty-query>; the status region stays in the
    // page so that screen readers announce the message when it appears.
    var status = document.querySelector('[data-empty-for="' + t.getAttribute("data-filter") + '"]');
    var msg = status && status.querySelector("[data-empty-msg]");
    if (msg) {
      var span = msg.querySelector("[data-empty-query]");
      if (span) span.textContent = t.value.trim();
      msg.hidden = shown > 0;
    }
  });
  // Confirm destructive actions: <form data-confirm="Delete X?">.
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    var m = f.getAttribute && f.getAttribute("data-confirm");
    if (m && !window.confirm(m)) ev.preventDefault();
  });
  // Directory pages: the "Show password" check box, <input type="checkbox"
  // data-show-password="ID">, and the password mode radios, <input type="radio"
  // data-password-for="ID" value="auto|custom">: "auto" puts the generated password
  // (data-generated) back, "custom" empties the field for the administrator to type one.
  document.addEventListener("change", function (ev) {
    var c = ev.target;
    if (!c.hasAttribute) return;
    if (c.hasAttribute("data-show-password")) {
      var pw = document.getElementById(c.getAttribute("data-show-password"));
      if (pw) pw.type = c.checked ? "text" : "password";
    }
    if (c.hasAttribute("data-password-for") && c.checked) {
      var p = document.getElementById(c.getAttribute("data-password-for"));
      if (!p) return;
      if (c.value === "auto") { p.value = p.getAttribute("data-generated") || ""; }
      else { p.value = ""; p.focus(); }
    }
  });
})();
// File inputs that fill a form field: <input type="file" data-file-into="ID of a
// textarea" [data-file-as="dataurl"]>: the chosen file's text (or data: URL) goes into
// the field, which the form posts (the page also works by pasting into the field).
(function () {
  document.addEventListener("change", function (ev) {
    var input = ev.target;
    if (!input.hasAttribute || !input.hasAttribute("data-file-into") || !input.files || !input.files[0]) return;
    var target = document.getElementById(input.getAttribute("data-file-into"));
    if (!target) return;
    var file = input.files[0];
    var reader = new FileReader();
    reader.onload = function () { target.value = reader.result; target.dispatchEvent(new Event("input", { bubbles: true })); };
    var asUrl = input.getAttribute("data-file-as") === "dataurl" && !/\.svg$/i.test(file.name) && file.type !== "image/svg+xml";
    if (asUrl) reader.readAsDataURL(file); else reader.readAsText(file);
  });
  // Patterns checked as soon as a page shows a pre-filled value.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-patterns]").forEach(function (el) {
      if (el.value) el.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });
})();
// The gallery writes placeholders as its vendors do (<UID>); data-patterns carries them
// as {UID}: show them the vendors' way in the "does not match" message.
(function () {
  document.addEventListener("input", function (ev) {
    var t = ev.target;
    if (!t.hasAttribute || !t.hasAttribute("data-patterns")) return;
    var msg = document.getElementById(t.id + "-check");
    if (msg && msg.textContent.indexOf("{") >= 0) msg.textContent = msg.textContent.replace(/\{([^}]*)\}/g, "<$1>");
  });
})();
// Name-format hint of the claim form: <input|select data-urn-hint="ID of the hint">: the
// hint shows while the claim's name (namespace/name) is a URN and its name format is not
// uri.
(function () {
  function update(hint) {
    var name = document.getElementById("name"), ns = document.getElementById("namespace"),
      fmt = document.getElementById("name_format");
    if (!name || !ns || !fmt) return;
    var full = (ns.value.trim() ? ns.value.trim().replace(/\/+$/, "") + "/" : "") + name.value.trim();
    hint.hidden = !(/^urn:/i.test(full) && fmt.value !== "uri");
  }
  ["input", "change"].forEach(function (kind) {
    document.addEventListener(kind, function (ev) {
      var t = ev.target;
      if (!t.hasAttribute || !t.hasAttribute("data-urn-hint")) return;
      var hint = document.getElementById(t.getAttribute("data-urn-hint"));
      if (hint) update(hint);
    });
  });
})();
