//! Sessions, sign-out and the server log: client input cannot forge log lines.

use crate::common::*;
use sesame_saml::bindings::redirect::{encode_query, redirect_url};
use sesame_saml::bindings::MessageKind;
use sesame_saml::messages::AuthnRequest;
use sesame_saml::time::Timestamp;
use std::process::Command;

/// A log line an attacker would like to add.
const FORGED: &str = "2026-01-01T00:00:00.000000Z ERROR forged line";

/// A tenant path segment and an Issuer carrying CR/LF and a fake log line: the real
/// server's log (its stderr) has no forged line, and shows the characters escaped.
#[tokio::test(flavor = "multi_thread")]
async fn client_input_cannot_forge_log_lines() {
    let dir = std::env::temp_dir().join(format!("sesame-log-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("stderr.log");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::new(bin());
    cmd.env_remove("SESAME_DATABASE_URL")
        .arg("--data-dir")
        .arg(&dir)
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--public-url", &base])
        .env("SESAME_DEMO_PASSWORD", DEMO_PASSWORD)
        .env("SESAME_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("SESAME_LOG", "info")
        .env_remove("SESAME_MASTER_KEY")
        .env_remove("SESAME_PUBLIC_URL")
        .env_remove("SESAME_LISTEN")
        .stderr(std::fs::File::create(&log).unwrap());
    let (mut child, _, tenant) = spawn_serve(&mut cmd);
    let b = browser();

    // A tenant segment (percent-decoded by the router).
    let (st, _, _) = get(
        &b,
        &format!(
            "{base}/x%0D%0A{}/saml2?SAMLRequest=x",
            FORGED.replace(' ', "%20")
        ),
    )
    .await;
    assert_eq!(st, 404);

    // An Issuer no application has.
    let login = format!("{base}/{tenant}/saml2");
    let mut r = AuthnRequest::new(
        "_forge1",
        Timestamp::from(std::time::SystemTime::now()),
        format!("https://evil.example\r\n{FORGED}"),
    );
    r.destination = Some(login.clone());
    let q = encode_query(MessageKind::Request, &r.to_xml(), None, None).unwrap();
    let (st, _, _) = get(&b, &redirect_url(&login, &q)).await;
    assert_eq!(st, 400);

    // The log is written as events happen; give the last line a moment to land.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let text = loop {
        let text = std::fs::read_to_string(&log).unwrap();
        if text.matches("ERROR forged line").count() >= 2 || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        !text.lines().any(|l| l.starts_with(FORGED)),
        "a forged line: {text}"
    );
    assert!(!text.contains('\r'), "{text}");
    assert!(
        text.contains(&format!("x\\r\\n{FORGED}")),
        "the tenant escaped: {text}"
    );
    assert!(
        text.contains(&format!("evil.example\\r\\n{FORGED}")),
        "the Issuer escaped: {text}"
    );
}
