//! What an administrator following the seed guides meets at run time: the end user's
//! error page (whom to ask, the way back, no commands), the sign-in log naming the
//! signed-in user of a refused request with the fix as portal steps, whole log rows
//! leading to the details, and an application added by the CLI answering at once.

use crate::common::*;
use std::time::{Duration, Instant};

/// Polls the sign-in log list at `path` until it contains `text` (rows are written in
/// batches, off the request path).
async fn log_page_with(b: &reqwest::Client, s: &Server, path: &str, text: &str) -> String {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let (st, _, html) = page(b, s, path).await;
        assert_eq!(st, 200, "{html}");
        if html.contains(text) || Instant::now() > until {
            return html;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A signed-in browser sends a request with an unknown Issuer: the user sees a page
/// for them (no command, no backticks, a way back to My Apps), and the administrator
/// finds the row under the user's name, every cell leading to the details, which give
/// the fix as portal steps with the page's link before the command-line form.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_request_names_the_signed_in_user_and_speaks_to_each_reader() {
    let s = Server::start();
    s.add_sp(&[]);
    let simon = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let mut r = authn_request(&s, "_unknown_issuer");
    r.issuer = "https://unknown.example/sp".into();
    let got = error_code(
        simon
            .get(redirect_request(&s, &r, None, None))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((got.0, got.1.as_str()), (400, "SESAME700016"), "{}", got.2);
    let html = got.2;
    for t in [
        "Contact your administrator and give them this information:",
        "SESAME700016",
        "Correlation id",
        "Timestamp (UTC)",
        "href=\"/myapps\"",
    ] {
        assert!(html.contains(t), "{t} not on the user's page: {html}");
    }
    for t in ["`", "sesame app", "docs/errors.md", "How to fix"] {
        assert!(!html.contains(t), "{t} on the user's page: {html}");
    }

    // An error returned to the application (a NameID format it is not set up for) names
    // the signed-in user too.
    let mut r = authn_request(&s, "_bad_policy");
    r.name_id_policy = Some(sesame_saml::messages::NameIdPolicy {
        format: Some("urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName".into()),
        allow_create: None,
        sp_name_qualifier: None,
    });
    let (_, _, returned) = get(&simon, &redirect_request(&s, &r, None, None)).await;
    assert!(is_auto_post(&returned), "{returned}");

    let admin = admin(&s).await;
    let list = log_page_with(
        &admin,
        &s,
        "/admin/signins?user=simon&status=failure",
        "SESAME900002",
    )
    .await;
    assert!(list.contains("SESAME900002"), "{list}");
    let list = log_page_with(
        &admin,
        &s,
        "/admin/signins?user=simon&status=failure",
        "SESAME700016",
    )
    .await;
    assert!(
        list.contains("SESAME700016") && list.contains(DEMO_UPN),
        "the refused request is not under the signed-in user: {list}"
    );
    let rows: Vec<String> = links(&list)
        .into_iter()
        .filter(|l| l.starts_with("/admin/signins/"))
        .collect();
    // Date, user, application, status and error code all lead to the same details
    // (newest first: the unknown Issuer's row is the second).
    assert_eq!(rows.len(), 10, "{list}");
    let rows = &rows[5..];
    assert!(rows.iter().all(|l| *l == rows[0]), "{rows:?}");
    let (st, _, d) = page(&admin, &s, &rows[0]).await;
    assert_eq!(st, 200);
    let portal = d
        .find(
            "Enterprise applications → the application → Single sign-on → Basic SAML Configuration",
        )
        .unwrap_or_else(|| panic!("no portal steps: {d}"));
    let cli = d
        .find("From the command line:")
        .unwrap_or_else(|| panic!("no command-line form: {d}"));
    assert!(portal < cli, "{d}");
    assert!(d.contains("href=\"/admin/apps\""), "{d}");
    assert!(d.contains(DEMO_UPN), "{d}");
}

/// The Test page shows the administrator's own last failed sign-in with the fix as
/// portal steps and the link to the exact page.
#[tokio::test(flavor = "multi_thread")]
async fn the_test_page_shows_the_last_failure_with_its_portal_fix() {
    let s = Server::start();
    let app = s.add_sp(&[]);
    s.cli_ok(&["app", "set", &app, "--enabled", "false"]);
    let admin = admin(&s).await;
    let launch = format!("{}/{}/apps/{app}/launch?mode=idp", s.base, s.tenant);
    // The server sees the change within a poll.
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let got = error_code(admin.get(&launch).send().await.unwrap()).await;
        if got.1 == "SESAME7000112" {
            break;
        }
        assert!(Instant::now() < until, "{}", got.2);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let path = format!("/admin/apps/{app}/sso/test");
    let html = log_page_with(&admin, &s, &path, "SESAME7000112").await;
    assert!(html.contains("id=\"last-failure\""), "{html}");
    for t in [
        "SESAME7000112",
        "Enterprise applications → Test SP → Properties",
        &format!("href=\"/admin/apps/{app}/properties\""),
        "From the command line:",
    ] {
        assert!(html.contains(t), "{t} not on the Test page: {html}");
    }
}

/// An application added by the CLI answers at once on its App Federation Metadata URL
/// and its launch URL (a miss re-reads the configuration), and a flood of unknown ids
/// re-reads it at most a few times a second.
#[tokio::test(flavor = "multi_thread")]
async fn an_app_added_by_the_cli_answers_at_once_and_misses_are_bounded() {
    let s = Server::start();
    let out = s.cli_ok(&[
        "app",
        "add",
        "--custom",
        "--name",
        "Fresh",
        "--identifier",
        "https://fresh.example/sp",
        "--reply-url",
        "https://fresh.example/acs",
    ]);
    let id = uuid_in(&out);
    let b = browser_no_redirect();
    let metadata = format!(
        "{}/{}/federationmetadata/2007-06/federationmetadata.xml?appid={id}",
        s.base, s.tenant
    );
    let r = b.get(&metadata).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    let launch = format!("{}/{}/apps/{id}/launch", s.base, s.tenant);
    let r = b.get(&launch).send().await.unwrap();
    assert_ne!(r.status().as_u16(), 404, "{}", r.text().await.unwrap());
    // An AuthnRequest from an application just added, by HTTP-Redirect and by HTTP-POST:
    // on to the sign-in page, not SESAME700016.
    for (n, post) in [(1, false), (2, true)] {
        let entity = format!("https://fresh{n}.example/sp");
        let acs = format!("https://fresh{n}.example/acs");
        s.cli_ok(&[
            "app",
            "add",
            "--custom",
            "--name",
            &format!("Fresh {n}"),
            "--identifier",
            &entity,
            "--reply-url",
            &acs,
        ]);
        let mut r = sesame_saml::messages::AuthnRequest::new(
            format!("_fresh{n}"),
            sesame_saml::time::Timestamp::from(std::time::SystemTime::now()),
            &entity,
        );
        r.destination = Some(s.login_url());
        r.acs_url = Some(acs);
        let resp = if post {
            use base64::Engine as _;
            let encoded = base64::engine::general_purpose::STANDARD.encode(r.to_xml());
            b.post(s.login_url())
                .form(&[("SAMLRequest", encoded.as_str())])
                .send()
                .await
                .unwrap()
        } else {
            b.get(redirect_request(&s, &r, None, None))
                .send()
                .await
                .unwrap()
        };
        let got = error_code(resp).await;
        assert_eq!((got.0, got.1.as_str()), (303, ""), "post={post}: {}", got.2);
    }

    let rereads = |m: &str| -> u64 {
        m.lines()
            .find(|l| l.starts_with("sesame_config_miss_rereads_total"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let metrics = |b: reqwest::Client| {
        let url = format!("{}/metrics", s.base);
        async move { b.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let before = rereads(&metrics(b.clone()).await);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let b = b.clone();
        let url = format!(
            "{}/{}/federationmetadata/2007-06/federationmetadata.xml?appid=unknown-{i}",
            s.base, s.tenant
        );
        tasks.push(tokio::spawn(async move {
            b.get(url).send().await.unwrap().status().as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 404);
    }
    let seconds = started.elapsed().as_secs() + 1;
    let caused = rereads(&metrics(b.clone()).await) - before;
    assert!(
        caused <= 5 * seconds,
        "{caused} re-reads for 200 unknown ids in {seconds} s"
    );
    assert!(caused >= 1, "a miss re-reads the configuration");
}

/// A LogoutRequest's RelayState is capped like an AuthnRequest's: over 2 KiB it is
/// refused with SESAME900020 (nothing sent back to the application); at 2 KiB it is
/// answered.
#[tokio::test(flavor = "multi_thread")]
async fn a_logout_request_relay_state_is_capped() {
    use sesame_saml::bindings::redirect::{encode_query, redirect_url};
    use sesame_saml::bindings::MessageKind;
    use sesame_saml::messages::{LogoutRequest, NameId};
    use sesame_saml::time::Timestamp;
    let s = Server::start();
    s.add_sp(&[]);
    let b = browser_no_redirect();
    for (id, len, status) in [("_lr_ok", 2048, 303), ("_lr_long", 2049, 400)] {
        let lr = LogoutRequest {
            id: id.into(),
            issue_instant: Timestamp::from(std::time::SystemTime::now()),
            destination: Some(s.login_url()),
            issuer: SP_ENTITY.into(),
            name_id: NameId::new(DEMO_UPN, None),
            session_indexes: Vec::new(),
            reason: None,
            not_on_or_after: None,
        };
        let relay = "r".repeat(len);
        let q = encode_query(MessageKind::Request, &lr.to_xml(), Some(&relay), None).unwrap();
        let got = error_code(
            b.get(redirect_url(&s.login_url(), &q))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(got.0, status, "{len}: {}", got.2);
        if status == 400 {
            assert_eq!(got.1, "SESAME900020");
        }
    }
}

/// `sesame serve --sso-rate-limit RATE/BURST` sets the per-address limit (and wins
/// over SESAME_SSO_RATE_LIMIT): with 1/3 the sign-in page answers 429 SESAME900041
/// after at most 3 + the seconds elapsed requests.
#[tokio::test(flavor = "multi_thread")]
async fn the_sso_rate_limit_flag_sets_the_limit() {
    let s = Server::start_args_env(
        &["--sso-rate-limit", "1/3"],
        &[("SESAME_SSO_RATE_LIMIT", "off")],
    );
    let b = browser_no_redirect();
    let login = format!("{}/{}/login", s.base, s.tenant);
    let t0 = Instant::now();
    let mut passed = 0u64;
    let refused = loop {
        let r = b.get(&login).send().await.unwrap();
        if r.status().as_u16() == 429 {
            break r;
        }
        assert_eq!(r.status().as_u16(), 200);
        passed += 1;
        assert!(passed < 100, "no 429 after {passed} requests");
    };
    let elapsed = t0.elapsed().as_secs();
    assert!(passed <= 4 + elapsed, "{passed} passed in {elapsed} s");
    assert_eq!(refused.headers()["x-sesame-error"], "SESAME900041");
}

/// `sesame app set APP --capture-messages 1h` writes its own audit row and no empty
/// `app.update` beside it.
#[tokio::test(flavor = "multi_thread")]
async fn capture_messages_alone_writes_one_audit_row() {
    let s = Server::start();
    let app = s.add_sp(&[]);
    let before = audit_count(&s).await;
    s.cli_ok(&["app", "set", &app, "--capture-messages", "1h"]);
    assert_eq!(audit_count(&s).await, before + 1);
    let rows = s.cli_ok(&["audit", "--limit", "1"]);
    assert!(rows.contains("app.capture_messages"), "{rows}");
    // A change of a setting with it still writes both.
    s.cli_ok(&[
        "app",
        "set",
        &app,
        "--name",
        "Renamed",
        "--capture-messages",
        "off",
    ]);
    assert_eq!(audit_count(&s).await, before + 3);
}

/// An HTTP/2 frame: 9-byte header and payload.
fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An HTTP/2 (cleartext, prior knowledge) request head trickled byte by byte (one
/// HEADERS frame whose payload arrives a byte every 200 ms) never completes: the
/// connection is closed at the header-read timeout (1 s here), although bytes keep
/// arriving; a whole request on HTTP/2 is answered as before.
#[test]
fn a_trickled_http2_request_head_is_cut_at_the_header_read_timeout() {
    use std::io::{ErrorKind, Read, Write};
    let s = Server::start_args(&["--header-read-timeout", "1", "--idle-timeout", "60"]);
    let connect = || {
        let mut c = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        c.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").unwrap();
        c.write_all(&h2_frame(0x4, 0, 0, &[])).unwrap(); // SETTINGS
        c
    };
    // Reads once, waiting at most `ms`: None when closed, else the bytes (maybe none).
    let read_once = |c: &mut std::net::TcpStream, ms: u64| -> Option<Vec<u8>> {
        c.set_read_timeout(Some(Duration::from_millis(ms))).unwrap();
        let mut buf = [0u8; 4096];
        match c.read(&mut buf) {
            Ok(0) => None,
            Ok(n) => Some(buf[..n].to_vec()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Some(Vec::new())
            }
            Err(_) => None,
        }
    };
    // A HEADERS frame on stream 1 announcing 1,000 bytes of header block, its payload
    // sent one byte (an indexed header field) at a time.
    let mut c = connect();
    let start = Instant::now();
    let mut head = h2_frame(0x1, 0x5, 1, &[]);
    head[1] = 0x03;
    head[2] = 0xe8;
    c.write_all(&head).unwrap();
    let mut closed = None;
    while start.elapsed() < Duration::from_secs(15) {
        if c.write_all(&[0x82]).is_err() || read_once(&mut c, 200).is_none() {
            closed = Some(start.elapsed());
            break;
        }
    }
    let t = closed.expect("a trickling HTTP/2 client kept its connection for 15 s");
    assert!(t >= Duration::from_millis(900), "closed too early: {t:?}");
    assert!(t < Duration::from_secs(8), "closed only after {t:?}");

    // GET /healthz in one HEADERS frame (END_STREAM | END_HEADERS): answered (a HEADERS
    // frame on stream 1 comes back).
    let mut c = connect();
    let block = [
        0x82, 0x86, 0x04, 0x08, b'/', b'h', b'e', b'a', b'l', b't', b'h', b'z',
    ];
    c.write_all(&h2_frame(0x1, 0x5, 1, &block)).unwrap();
    let mut got = Vec::new();
    let until = Instant::now() + Duration::from_secs(5);
    let answered = loop {
        match read_once(&mut c, 200) {
            Some(d) => got.extend(d),
            None => break false,
        }
        // Frames: find a HEADERS frame (type 1) on stream 1.
        let mut i = 0;
        let mut found = false;
        while i + 9 <= got.len() {
            let len = (usize::from(got[i]) << 16)
                | (usize::from(got[i + 1]) << 8)
                | usize::from(got[i + 2]);
            let stream =
                u32::from_be_bytes([got[i + 5], got[i + 6], got[i + 7], got[i + 8]]) & 0x7fff_ffff;
            if got[i + 3] == 0x1 && stream == 1 {
                found = true;
            }
            i += 9 + len;
        }
        if found {
            break true;
        }
        if Instant::now() > until {
            break false;
        }
    };
    assert!(answered, "a whole HTTP/2 request was not answered: {got:?}");
}
