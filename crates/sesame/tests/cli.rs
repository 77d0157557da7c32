//! Black-box tests of the `sesame saml …` toolbox: the built binary, driven through its
//! standard streams. Every refusal must be exit status 1 and exactly one line on stderr,
//! never a panic, whatever the input.

use crate::common::{bin, run_with_stdin};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> String {
    root()
        .join("tests/interop/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn example(name: &str) -> Vec<u8> {
    std::fs::read(root().join("examples").join(name)).unwrap()
}

/// Runs the binary with `stdin`.
fn sesame(args: &[&str], stdin: &[u8]) -> Output {
    run_with_stdin(Command::new(bin()).args(args), stdin)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}, stderr: {}",
        out.status.code(),
        stderr(out)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Exit status 1, one line on stderr, nothing on stdout, no panic.
fn assert_refused(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("internal error"), "{err}");
    assert_eq!(err.lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("sesame: error: "), "{err}");
    assert!(
        out.stdout.is_empty(),
        "stdout: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    err
}

fn response() -> Vec<u8> {
    std::fs::read(fixture("response-unsigned.xml")).unwrap()
}

// ---- usage ----------------------------------------------------------------------------

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["saml"][..],
        &["saml", "nope"],
        &["saml", "c14n", "--bogus"],
        &["saml", "sign"],
        &["saml", "verify"],
        &["saml", "sign", "--key", "k", "--alg", "md5"],
    ] {
        let out = sesame(args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
    let out = sesame(&["--version"], b"");
    assert!(assert_ok(&out).starts_with("sesame "));
}

// ---- c14n -----------------------------------------------------------------------------

#[test]
fn c14n_is_byte_exact_without_added_newline() {
    let out = sesame(
        &["saml", "c14n"],
        b"<?xml version=\"1.0\"?>\n<b  c='1' a=\"2\"/>\n",
    );
    assert_eq!(assert_ok(&out), "<b a=\"2\" c=\"1\"></b>");
    assert!(out.stderr.is_empty());
}

#[test]
fn c14n_modes() {
    let doc = br#"<r xmlns:p="http://p" xmlns:u="http://u"><!--c--><e p:a="1"/></r>"#;
    let inc = assert_ok(&sesame(&["saml", "c14n"], doc));
    assert_eq!(
        inc,
        r#"<r xmlns:p="http://p" xmlns:u="http://u"><e p:a="1"></e></r>"#
    );
    let exc = assert_ok(&sesame(
        &["saml", "c14n", "--exclusive", "--with-comments"],
        doc,
    ));
    assert_eq!(exc, r#"<r><!--c--><e xmlns:p="http://p" p:a="1"></e></r>"#);
    let exc_u = assert_ok(&sesame(
        &["saml", "c14n", "--exclusive", "--prefixes", "u"],
        doc,
    ));
    assert_eq!(
        exc_u,
        r#"<r xmlns:u="http://u"><e xmlns:p="http://p" p:a="1"></e></r>"#
    );
    // PrefixList without --exclusive is a mistake worth a clear refusal.
    assert_refused(&sesame(&["saml", "c14n", "--prefixes", "u"], doc));
}

// ---- hostile inputs, for every subcommand ---------------------------------------------

fn deep(n: usize) -> Vec<u8> {
    format!("{}{}", "<a>".repeat(n), "</a>".repeat(n)).into_bytes()
}

fn billion_laughs() -> Vec<u8> {
    let mut s = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        s.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    s.push_str("]>\n<lolz>&lol9;</lolz>");
    s.into_bytes()
}

fn hostile_inputs() -> Vec<(&'static str, Vec<u8>)> {
    let mut big = b"<a>".to_vec();
    big.resize(10 * 1024 * 1024, b'x');
    big.extend_from_slice(b"</a>");
    vec![
        ("empty", Vec::new()),
        (
            "DTD",
            b"<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>".to_vec(),
        ),
        (
            "external entity",
            b"<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>".to_vec(),
        ),
        ("billion laughs", billion_laughs()),
        ("10 MB", big),
        ("17 MiB", vec![b' '; 17 * 1024 * 1024]),
        ("10,000 deep", deep(10_000)),
        ("300,000 deep", deep(300_000)),
        ("malformed", b"<a><b></a>".to_vec()),
        (
            "truncated",
            b"<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_1\""
                .to_vec(),
        ),
        ("invalid UTF-8", b"<a>\xff\xfe</a>".to_vec()),
        ("NUL bytes", vec![0u8; 1000]),
        ("binary", (0..=255u8).cycle().take(4096).collect()),
    ]
}

#[test]
fn every_command_refuses_hostile_input_in_one_line() {
    let cert = fixture("idp-cert.pem");
    let key = fixture("idp-key.pem");
    let commands: Vec<Vec<&str>> = vec![
        vec!["saml", "decode"],
        vec!["saml", "decode", "--raw"],
        vec!["saml", "c14n"],
        vec!["saml", "c14n", "--exclusive", "--with-comments"],
        vec!["saml", "verify", "--cert", &cert],
        vec!["saml", "sign", "--key", &key, "--cert", &cert],
        vec!["saml", "metadata", "inspect"],
    ];
    let started = std::time::Instant::now();
    for (what, input) in hostile_inputs() {
        for cmd in &commands {
            let out = sesame(cmd, &input);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{cmd:?} on {what}: {err}");
            assert!(!err.contains("panicked"), "{cmd:?} on {what}: {err}");
            assert_eq!(err.lines().count(), 1, "{cmd:?} on {what}: {err:?}");
        }
    }
    assert!(
        started.elapsed().as_secs() < 60,
        "too slow: {:?}",
        started.elapsed()
    );
}

#[test]
fn specific_refusals_say_why() {
    let err = assert_refused(&sesame(&["saml", "c14n"], &billion_laughs()));
    assert!(err.contains("DTD"), "{err}");
    let err = assert_refused(&sesame(&["saml", "c14n"], &deep(10_000)));
    assert!(err.contains("deeper"), "{err}");
    let err = assert_refused(&sesame(&["saml", "c14n"], &vec![b' '; 17 * 1024 * 1024]));
    assert!(err.contains("16 MiB"), "{err}");
    let err = assert_refused(&sesame(&["saml", "c14n"], b"<a>\xff</a>"));
    assert!(err.contains("UTF-8"), "{err}");
}

// ---- sign / verify --------------------------------------------------------------------

#[test]
fn sign_then_verify_every_mode() {
    let key = fixture("idp-key.pem");
    let cert = fixture("idp-cert.pem");
    let rid = "Response _r4c1d6e0b5f2a4f3b9e8d7c6b5a4f3e2d";
    let aid = "Assertion _a8f7e6d5c4b3a2918070605040302010f";
    for (element, want) in [
        ("Response", vec![rid]),
        ("Assertion", vec![aid]),
        ("both", vec![rid, aid]),
    ] {
        for alg in ["rsa-sha256", "rsa-sha512", "rsa-sha1"] {
            let signed = assert_ok(&sesame(
                &[
                    "saml",
                    "sign",
                    "--key",
                    &key,
                    "--cert",
                    &cert,
                    "--element",
                    element,
                    "--alg",
                    alg,
                ],
                &response(),
            ));
            let out = sesame(&["saml", "verify", "--cert", &cert], signed.as_bytes());
            let lines: Vec<String> = assert_ok(&out).lines().map(str::to_owned).collect();
            assert_eq!(lines, want, "{element} {alg}");
            if alg == "rsa-sha1" {
                // Accepted, with one warning per SHA-1 signature.
                let warnings = stderr(&out).matches("SHA-1").count();
                assert_eq!(warnings, want.len(), "{}", stderr(&out));
            } else {
                assert!(out.stderr.is_empty(), "{}", stderr(&out));
            }
            // Another certificate: refused.
            assert_refused(&sesame(
                &["saml", "verify", "--cert", &fixture("other-cert.pem")],
                signed.as_bytes(),
            ));
            // Several --cert: the right one among them is enough.
            let other = fixture("other-cert.pem");
            assert_ok(&sesame(
                &["saml", "verify", "--cert", &other, "--cert", &cert],
                signed.as_bytes(),
            ));
            // One changed character in the NameID: refused.
            let tampered = signed.replace("b.simon@acme.example<", "b.simon@acme.exampl3<");
            assert_ne!(tampered, signed);
            assert_refused(&sesame(
                &["saml", "verify", "--cert", &cert],
                tampered.as_bytes(),
            ));
        }
    }
}

#[test]
fn ecdsa_sign_and_verify() {
    let signed = assert_ok(&sesame(
        &[
            "saml",
            "sign",
            "--key",
            &fixture("ec-key.pem"),
            "--cert",
            &fixture("ec-cert.pem"),
            "--alg",
            "ecdsa-sha256",
        ],
        &response(),
    ));
    let out = assert_ok(&sesame(
        &["saml", "verify", "--cert", &fixture("ec-cert.pem")],
        signed.as_bytes(),
    ));
    assert_eq!(out.lines().count(), 2);
}

#[test]
fn sign_refusals() {
    let key = fixture("idp-key.pem");
    let cert = fixture("idp-cert.pem");
    // Missing and unusable files.
    assert_refused(&sesame(
        &["saml", "sign", "--key", "/nonexistent/key.pem"],
        &response(),
    ));
    assert_refused(&sesame(&["saml", "sign", "--key", &cert], &response()));
    assert_refused(&sesame(
        &["saml", "sign", "--key", &key, "--cert", &key],
        &response(),
    ));
    // A certificate that is not the key's.
    let err = assert_refused(&sesame(
        &[
            "saml",
            "sign",
            "--key",
            &key,
            "--cert",
            &fixture("other-cert.pem"),
        ],
        &response(),
    ));
    assert!(err.contains("does not belong"), "{err}");
    // Nothing to sign.
    assert_refused(&sesame(
        &["saml", "sign", "--key", &key, "--element", "Assertion"],
        b"<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_1\" Version=\"2.0\"/>",
    ));
}

#[test]
fn verify_refusals() {
    let cert = fixture("idp-cert.pem");
    let err = assert_refused(&sesame(&["saml", "verify", "--cert", &cert], &response()));
    assert!(err.contains("sign"), "{err}");
    assert_refused(&sesame(
        &["saml", "verify", "--cert", "/nonexistent.pem"],
        &response(),
    ));
    assert_refused(&sesame(
        &["saml", "verify", "--cert", &fixture("idp-key.pem")],
        &response(),
    ));
}

// ---- decode ---------------------------------------------------------------------------

fn deflate_b64(xml: &[u8]) -> String {
    use base64::Engine as _;
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(xml).unwrap();
    base64::engine::general_purpose::STANDARD.encode(enc.finish().unwrap())
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn decode_redirect_url_from_example() {
    let out = sesame(&["saml", "decode"], &example("authn-request-redirect.txt"));
    let xml = assert_ok(&out);
    assert!(xml.starts_with("<samlp:AuthnRequest "), "{xml}");
    assert!(xml.contains("\n  <saml:Issuer"), "{xml}");
    let err = stderr(&out);
    assert!(err.contains("binding: redirect"), "{err}");
    assert!(err.contains("RelayState: "), "{err}");
}

#[test]
fn decode_verifies_the_redirect_query_signature_with_cert() {
    let sp_cert = root().join("examples/sp-cert-webex.pem");
    let sp_cert = sp_cert.to_str().unwrap();
    let url = example("authn-request-redirect.txt");
    let out = sesame(&["saml", "decode", "--cert", sp_cert], &url);
    assert_ok(&out);
    assert!(
        stderr(&out).contains("Signature: valid"),
        "{}",
        stderr(&out)
    );
    // The wrong certificate, a changed RelayState, an unsigned message: refused.
    assert_refused(&sesame(
        &["saml", "decode", "--cert", &fixture("idp-cert.pem")],
        &url,
    ));
    let text = String::from_utf8(url.clone()).unwrap();
    let changed = text.replace("siteurl%3Dacme", "siteurl%3Devil");
    assert_ne!(changed, text);
    assert_refused(&sesame(
        &["saml", "decode", "--cert", sp_cert],
        changed.as_bytes(),
    ));
    assert_refused(&sesame(
        &["saml", "decode", "--cert", sp_cert],
        &example("authn-request-post.txt"),
    ));
}

#[test]
fn decode_post_body_from_example() {
    let out = sesame(&["saml", "decode"], &example("response-post.txt"));
    let xml = assert_ok(&out);
    assert!(xml.starts_with("<samlp:Response "), "{xml}");
    assert!(stderr(&out).contains("binding: post"), "{}", stderr(&out));
}

#[test]
fn decode_raw_roundtrips_bytes() {
    let xml = response();
    let value = deflate_b64(&xml);
    let url = format!(
        "https://sesame.example/acme/saml2?SAMLRequest={}&RelayState=abc",
        urlencode(&value)
    );
    let out = assert_ok(&sesame(&["saml", "decode", "--raw"], url.as_bytes()));
    assert_eq!(out.as_bytes(), &xml[..]);
    // The bare value works too (Redirect: DEFLATE detected).
    let out = assert_ok(&sesame(&["saml", "decode", "--raw"], value.as_bytes()));
    assert_eq!(out.as_bytes(), &xml[..]);
}

#[test]
fn decode_refusals() {
    let value = deflate_b64(&response());
    // Truncated base64.
    assert_refused(&sesame(
        &["saml", "decode"],
        &value.as_bytes()[..value.len() - 3],
    ));
    // A DEFLATE bomb: 64 MiB of spaces inflate far past the bound.
    let bomb = deflate_b64(&vec![b' '; 64 * 1024 * 1024]);
    assert!(bomb.len() < 1024 * 1024);
    let url = format!(
        "https://sesame.example/acme/saml2?SAMLRequest={}",
        urlencode(&bomb)
    );
    let started = std::time::Instant::now();
    assert_refused(&sesame(&["saml", "decode"], url.as_bytes()));
    assert!(started.elapsed().as_secs() < 10);
    // Not SAML at all.
    assert_refused(&sesame(&["saml", "decode"], b"hello world"));
    assert_refused(&sesame(
        &["saml", "decode"],
        b"https://sesame.example/?foo=bar",
    ));
    // A decoded message with a DTD.
    let dtd = deflate_b64(b"<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>");
    assert_refused(&sesame(&["saml", "decode"], dtd.as_bytes()));
}

// ---- metadata -------------------------------------------------------------------------

#[test]
fn metadata_inspect_example() {
    let out = assert_ok(&sesame(
        &["saml", "metadata", "inspect"],
        &example("sp-metadata-webex.xml"),
    ));
    for needle in [
        "https://acme.webex.com/dispatcher/SAML2AuthService",
        "SP",
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
        "https://acme.webex.com/dispatcher/SAML2AuthService?siteurl=acme",
        "AuthnRequestsSigned",
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        "SHA-256",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
}

#[test]
fn metadata_inspect_idp_and_several_entities() {
    let pem = std::fs::read_to_string(fixture("idp-cert.pem")).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let xml = format!(
        r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
  <md:EntityDescriptor entityID="https://sesame.example/acme/saml2">
    <md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
      <md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
      <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
      <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sesame.example/acme/saml2"/>
    </md:IDPSSODescriptor>
  </md:EntityDescriptor>
  <md:EntityDescriptor entityID="urn:amazon:cognito:sp:us-east-1_rlgU6e3y5">
    <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
      <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://servusconnect.auth.us-east-1.amazoncognito.com/saml2/idpresponse" index="1"/>
    </md:SPSSODescriptor>
  </md:EntityDescriptor>
</md:EntitiesDescriptor>"#
    );
    let out = assert_ok(&sesame(&["saml", "metadata", "inspect"], xml.as_bytes()));
    for needle in [
        "entity: https://sesame.example/acme/saml2",
        "role: IdP",
        "WantAuthnRequestsSigned: true",
        "SingleSignOnService: urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect https://sesame.example/acme/saml2",
        "certificate (signing):",
        "CN=sesame.example test IdP",
        "entity: urn:amazon:cognito:sp:us-east-1_rlgU6e3y5",
        "AssertionConsumerService [index 1]: urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
}

#[test]
fn metadata_refusals() {
    assert_refused(&sesame(&["saml", "metadata", "inspect"], b"<a/>"));
    assert_refused(&sesame(&["saml", "metadata", "inspect"], &response()));
}
