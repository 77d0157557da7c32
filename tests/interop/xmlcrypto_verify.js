// Verifies every enveloped XML-DSig signature of the document on stdin with xml-crypto,
// trusting only the certificate given as argv[2] (never the document's KeyInfo).
// Prints "<localName> <ID>" for each verified signature's parent element and exits 0;
// exits 1 with one line on stderr when any signature fails.
"use strict";
const fs = require("fs");
const { SignedXml } = require("xml-crypto");
const { DOMParser } = require("@xmldom/xmldom");
const xpath = require("xpath");

function main() {
  const certPem = fs.readFileSync(process.argv[2], "utf8");
  const xml = fs.readFileSync(0, "utf8");
  const doc = new DOMParser().parseFromString(xml, "text/xml");
  const sigs = xpath.select(
    "//*[local-name(.)='Signature' and namespace-uri(.)='http://www.w3.org/2000/09/xmldsig#']",
    doc,
  );
  if (sigs.length === 0) {
    throw new Error("no Signature element");
  }
  const lines = [];
  for (const sig of sigs) {
    const parent = sig.parentNode;
    const id = parent.getAttribute("ID");
    const sx = new SignedXml({ publicCert: certPem, getCertFromKeyInfo: () => null });
    sx.loadSignature(sig);
    if (!sx.checkSignature(xml)) {
      throw new Error(`signature of ${parent.localName} ${id} does not verify`);
    }
    const refs = sx.getReferences();
    if (refs.length !== 1 || refs[0].uri !== `#${id}`) {
      throw new Error(`signature of ${parent.localName} ${id} references ${refs.map((r) => r.uri)}`);
    }
    lines.push(`${parent.localName} ${id}`);
  }
  process.stdout.write(lines.join("\n") + "\n");
}

try {
  main();
} catch (e) {
  process.stderr.write(`xml-crypto: ${String(e && e.message ? e.message : e).split("\n")[0]}\n`);
  process.exit(1);
}
