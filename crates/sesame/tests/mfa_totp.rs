//! The authenticator app and recovery codes through the real pages of Security info, with
//! codes computed by an independent RFC 6238 implementation (pyotp, in the test venv):
//! registration from the QR code's `otpauth://` URI, a code accepted once (replay
//! refused), one step either way accepted and two refused, recovery codes shown once and
//! single use, the re-authentication page, the second-factor lock after ten wrong codes,
//! and the administrator's list and delete (portal and `sesame user methods`).
//!
//! The server's clock is the real one: codes are computed for `now ± 30 s` and
//! `now ± 60 s`, and a check that a step boundary could have moved (the 30-second step
//! changed between computing a code and the server's answer) is repeated with fresh
//! codes rather than judged.

use crate::common::*;
use std::process::Command;

/// The Python with pyotp: SESAME_TEST_PYTHON, else the workspace's `.venv` (where
/// scripts/test.sh installs tests/interop/requirements.txt), else `python3`.
fn python() -> Option<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = [
        std::env::var("SESAME_TEST_PYTHON").ok(),
        Some(root.join(".venv/bin/python").display().to_string()),
        Some("python3".to_owned()),
    ];
    for c in candidates.into_iter().flatten() {
        let ok = Command::new(&c)
            .args(["-c", "import pyotp"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(c);
        }
    }
    None
}

/// pyotp, or (outside CI) `None` with a loud note; under CI=true a missing pyotp fails.
fn pyotp() -> Option<String> {
    let p = python();
    if p.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(
            !ci,
            "pyotp is missing: install tests/interop/requirements.txt into .venv \
             (scripts/test.sh does) or set SESAME_TEST_PYTHON to a python with pyotp"
        );
        eprintln!("SKIPPED: pyotp is not installed (pip install pyotp into .venv)");
    }
    p
}

/// What pyotp reads from the URI, and its codes at the Unix times `times`.
struct Otp {
    issuer: String,
    name: String,
    digits: String,
    interval: String,
    codes: Vec<String>,
}

fn otp(py: &str, uri: &str, times: &[i64]) -> Otp {
    let script = "import pyotp, sys\n\
                  t = pyotp.parse_uri(sys.argv[1])\n\
                  print(t.issuer); print(t.name); print(t.digits); print(t.interval)\n\
                  for a in sys.argv[2:]: print(t.at(int(a)))\n";
    let mut cmd = Command::new(py);
    cmd.args(["-c", script, uri]);
    for t in times {
        cmd.arg(t.to_string());
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "pyotp: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines().map(str::to_owned);
    let mut next = || lines.next().unwrap();
    Otp {
        issuer: next(),
        name: next(),
        digits: next(),
        interval: next(),
        codes: times.iter().map(|_| next()).collect(),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn step() -> i64 {
    now().div_euclid(30)
}

/// The code of step offset `delta` (from the current step) and that step.
fn code(py: &str, uri: &str, delta: i64) -> (String, i64) {
    let s = step();
    let c = otp(py, uri, &[(s + delta) * 30 + 1]).codes.remove(0);
    (c, s)
}

/// The text between `<code id="ID"…>` and `</code>`, unescaped.
fn code_text(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("<code id=\"{id}\""))
        .unwrap_or_else(|| panic!("no <code id={id}> in:\n{html}"));
    let after = &html[start..];
    let open = after.find('>').unwrap() + 1;
    let close = after.find("</code>").unwrap();
    plain(&after[open..close])
}

/// `html` with its character references resolved (askama writes `&#34;`, `&#38;`…).
fn plain(html: &str) -> String {
    unescape(
        &html
            .replace("&#38;", "&amp;")
            .replace("&#34;", "&quot;")
            .replace("&#60;", "&lt;")
            .replace("&#62;", "&gt;"),
    )
}

/// The input `name` of a form's HTML.
fn input<'a>(html: &'a str, name: &str) -> &'a str {
    tags(html, "input")
        .into_iter()
        .find(|t| attr(t, "name").as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no input {name} in:\n{html}"))
}

/// Opens Security info → Add sign-in method → Authenticator app: the page with the QR
/// code; returns its HTML and the `otpauth://` URI shown.
async fn begin(b: &reqwest::Client, s: &Server) -> (String, String) {
    let (st, _, html) = page(b, s, "/myapps/security-info/add").await;
    assert_eq!(st, 200, "{html}");
    let f = post_form(&html, "/myapps/security-info/authenticator");
    let (st, _, html) = submit(b, &s.base, &f).await;
    assert_eq!(st, 200, "{html}");
    let uri = code_text(&html, "totp-uri");
    (html, uri)
}

/// Submits the confirmation form of `html` with `code` (and a proof code).
async fn confirm(
    b: &reqwest::Client,
    s: &Server,
    html: &str,
    code: &str,
    proof: &str,
) -> (u16, String, String) {
    let mut f = post_form(html, "/myapps/security-info/authenticator/confirm")
        .set("code", code)
        .set("name", "Phone");
    if !proof.is_empty() {
        f = f.set("proof_code", proof);
    }
    submit(b, &s.base, &f).await
}

/// The codes of a recovery-codes page.
fn recovery_codes(html: &str) -> Vec<String> {
    let list = &html[html.find("id=\"recovery-codes\"").expect(html)..];
    let list = &list[..list.find("</ul>").unwrap()];
    list.split("<code>")
        .skip(1)
        .map(|c| c[..c.find("</code>").unwrap()].to_owned())
        .collect()
}

/// Submits the recovery-codes form with a TOTP proof `code` or a recovery code.
async fn regenerate(
    b: &reqwest::Client,
    s: &Server,
    code: &str,
    recovery: &str,
) -> (u16, String, String) {
    let (st, _, html) = page(b, s, "/myapps/security-info/recovery").await;
    assert_eq!(st, 200, "{html}");
    let f = post_form(&html, "/myapps/security-info/recovery")
        .set("proof_code", code)
        .set("proof_recovery", recovery);
    submit(b, &s.base, &f).await
}

#[tokio::test]
async fn authenticator_app_and_recovery_codes_through_security_info() {
    let Some(py) = pyotp() else { return };
    let s = Server::start();
    let b = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;

    // My Apps links to Security info, which lists nothing yet.
    let (_, _, html) = page(&b, &s, "/myapps").await;
    assert!(links(&html).iter().any(|l| l == "/myapps/security-info"));
    let (st, _, html) = page(&b, &s, "/myapps/security-info").await;
    assert_eq!(st, 200);
    assert!(html.contains("Security info") && html.contains("Add sign-in method"));
    assert!(html.contains("No sign-in method yet"));

    // The QR code and the URI, which pyotp reads like an authenticator app.
    let (reg, uri) = begin(&b, &s).await;
    assert!(
        reg.contains("<svg") && reg.contains("class=\"qr\""),
        "{reg}"
    );
    assert!(uri.starts_with("otpauth://totp/Sesame:"), "{uri}");
    assert!(
        uri.contains("&issuer=Sesame&algorithm=SHA1&digits=6&period=30"),
        "{uri}"
    );
    let o = otp(&py, &uri, &[]);
    assert_eq!(o.issuer, "Sesame");
    assert_eq!(o.name, DEMO_UPN);
    assert_eq!((o.digits.as_str(), o.interval.as_str()), ("6", "30"));
    let code_input = input(&reg, "code");
    assert_eq!(
        attr(code_input, "autocomplete").as_deref(),
        Some("one-time-code")
    );
    assert_eq!(attr(code_input, "inputmode").as_deref(), Some("numeric"));

    // Wrong forms say so; two steps back is refused; one step back confirms.
    let (st, _, html) = confirm(&b, &s, &reg, "12345", "").await;
    assert_eq!(st, 422);
    assert!(html.contains("SESAME900100"), "{html}");
    let (st, _, html) = confirm(&b, &s, &reg, "12a456", "").await;
    assert!(st == 422 && html.contains("SESAME900100"), "{html}");
    let (minus2, _) = code(&py, &uri, -2);
    let (st, _, html) = confirm(&b, &s, &reg, &minus2, "").await;
    assert_eq!(st, 422);
    assert!(html.contains("SESAME900101"), "{html}");
    let mut confirmed = false;
    for _ in 0..3 {
        let (minus1, s0) = code(&py, &uri, -1);
        let (st, url, html) = confirm(&b, &s, &reg, &minus1, "").await;
        if st == 200 && url.ends_with("/myapps/security-info") {
            assert!(
                plain(&html).contains("Authenticator app \"Phone\" added."),
                "{html}"
            );
            confirmed = true;
            break;
        }
        assert_ne!(
            s0,
            step(),
            "the code of the step before was refused: {html}"
        );
    }
    assert!(confirmed);
    // The registration is used up.
    let (st, url, html) = confirm(&b, &s, &reg, &code(&py, &uri, 0).0, "").await;
    assert!(
        st == 200 && url.ends_with("/myapps/security-info"),
        "{st} {url}"
    );
    assert!(html.contains("SESAME900104"), "{html}");
    let (_, _, html) = page(&b, &s, "/myapps/security-info").await;
    assert!(
        html.contains("Authenticator app") && html.contains("Phone"),
        "{html}"
    );

    // Recovery codes need a code of the app now; the proof fields say what they are.
    let (_, _, form) = page(&b, &s, "/myapps/security-info/recovery").await;
    let p = input(&form, "proof_code");
    assert_eq!(attr(p, "autocomplete").as_deref(), Some("one-time-code"));
    assert_eq!(attr(p, "inputmode").as_deref(), Some("numeric"));
    assert_eq!(
        attr(input(&form, "proof_recovery"), "autocomplete").as_deref(),
        Some("off")
    );
    let (st, _, html) = regenerate(&b, &s, "", "").await;
    assert!(st == 422 && html.contains("SESAME900105"), "{html}");
    // The current code (its step is later than the one confirmed): accepted once.
    let (mut used, mut accepted, mut codes) = (0, String::new(), Vec::new());
    for _ in 0..3 {
        let (c, s0) = code(&py, &uri, 0);
        let (st, _, html) = regenerate(&b, &s, &c, "").await;
        if st == 200 {
            codes = recovery_codes(&html);
            accepted = c;
            used = s0;
            break;
        }
        assert_ne!(s0, step(), "the current code was refused: {html}");
    }
    assert_eq!(codes.len(), 10, "recovery codes not shown");
    // Replayed: the same code again.
    let (st, _, html) = regenerate(&b, &s, &accepted, "").await;
    assert!(st == 422 && html.contains("SESAME900102"), "{html}");
    // Two steps ahead of the step just used: refused (unless the clock moved on).
    let plus2 = otp(&py, &uri, &[(used + 2) * 30 + 1]).codes.remove(0);
    let (st, _, html) = regenerate(&b, &s, &plus2, "").await;
    if step() == used {
        assert!(st == 422 && html.contains("SESAME900101"), "{html}");
    }
    // One step ahead: accepted (a new set replaces the first).
    let plus1 = otp(&py, &uri, &[(used + 1) * 30 + 1]).codes.remove(0);
    let (st, _, html) = regenerate(&b, &s, &plus1, "").await;
    assert_eq!(st, 200, "the next step's code was refused: {html}");
    let fresh = recovery_codes(&html);
    assert_eq!(fresh.len(), 10);
    assert_ne!(fresh, codes);
    // A recovery code of the replaced set no longer works; one of the new set works
    // once.
    let (st, _, html) = regenerate(&b, &s, "", &codes[0]).await;
    assert!(st == 422 && html.contains("SESAME900101"), "{html}");
    let (st, _, html) = regenerate(&b, &s, "", &fresh[0]).await;
    assert_eq!(st, 200, "{html}");
    let newest = recovery_codes(&html);
    assert_eq!(newest.len(), 10);

    // Rename.
    let (_, _, html) = page(&b, &s, "/myapps/security-info").await;
    let rename = forms(&html)
        .into_iter()
        .find(|f| f.action.ends_with("/rename"))
        .expect("a rename form")
        .set("name", "Work phone");
    let (st, _, html) = submit(&b, &s.base, &rename).await;
    assert_eq!(st, 200);
    assert!(
        plain(&html).contains("Renamed to \"Work phone\"."),
        "{html}"
    );

    // The administrator sees the methods (CLI and portal).
    let listed = s.cli_ok(&["--json", "user", "methods", DEMO_UPN]);
    let v: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 2, "{listed}");
    assert!(!listed.contains("secret"), "{listed}");
    let totp = list.iter().find(|m| m["kind"] == "totp").unwrap();
    assert_eq!(totp["name"], "Work phone");
    let rec = list.iter().find(|m| m["kind"] == "recovery").unwrap();
    assert_eq!(rec["codes_left"], 10);
    let text = s.cli_ok(&["user", "methods", DEMO_UPN]);
    assert!(
        text.contains("Work phone") && text.contains("recovery"),
        "{text}"
    );

    // Re-authentication: a sign-in older than ten minutes asks the password again, then
    // comes back.
    let store = sesame::store::Store::open(&s.database_url(), 1)
        .await
        .unwrap();
    sqlx::query("UPDATE sessions SET auth_time = auth_time - 3600")
        .execute(store.pool())
        .await
        .unwrap();
    let (st, url, html) = page(&b, &s, "/myapps/security-info/add").await;
    assert_eq!(st, 200);
    assert!(url.contains("/myapps/security-info/verify"), "{url}");
    assert!(html.contains("Verify your identity"), "{html}");
    let f = post_form(&html, "/myapps/security-info/verify");
    let (st, _, html) = submit(&b, &s.base, &f.clone().set("password", "wrong-Password-1")).await;
    assert_eq!(st, 422);
    assert!(html.contains("SESAME50126"), "{html}");
    let (st, url, html) = submit(&b, &s.base, &f.set("password", DEMO_PASSWORD)).await;
    assert_eq!(st, 200, "{html}");
    assert!(url.ends_with("/myapps/security-info/add"), "{url}");

    // Removing the authenticator app needs one of its codes (or a recovery code).
    let id = totp["id"].as_str().unwrap();
    let path = format!("/myapps/security-info/methods/{id}/remove");
    let (st, _, html) = page(&b, &s, &path).await;
    assert_eq!(st, 200, "{html}");
    let f = post_form(&html, &path);
    let (st, _, html) = submit(&b, &s.base, &f.clone()).await;
    assert!(st == 422 && html.contains("SESAME900105"), "{html}");
    let (st, _, html) = submit(
        &b,
        &s.base,
        &f.set("proof_recovery", &newest[0].to_lowercase()),
    )
    .await;
    assert_eq!(st, 200, "{html}");
    assert!(html.contains("removed."), "{html}");
    // That recovery code is used up.
    let (st, _, html) = regenerate(&b, &s, "", &newest[0]).await;
    assert!(st == 422 && html.contains("SESAME900101"), "{html}");

    // The administrator deletes the recovery codes from the user's page.
    let admin = admin(&s).await;
    let uid = store.user_by_upn(DEMO_UPN).await.unwrap().unwrap().id;
    let (_, _, html) = page(&admin, &s, &format!("/admin/users/{uid}")).await;
    assert!(html.contains("Authentication methods"), "{html}");
    let del = forms(&html)
        .into_iter()
        .find(|f| f.action.contains("/methods/") && f.action.ends_with("/delete"))
        .expect("a Delete form");
    let (st, _, html) = submit(&admin, &s.base, &del).await;
    assert_eq!(st, 200);
    assert!(html.contains("deleted."), "{html}");
    assert!(html.contains("The user has registered no authentication method."));
    let audit = s.cli_ok(&["--json", "audit"]);
    for action in [
        "user.method.add",
        "user.method.recovery.regenerate",
        "user.method.rename",
        "user.method.delete",
    ] {
        assert!(audit.contains(action), "{action} not in the audit log");
    }
    store.close().await;
}

#[tokio::test]
async fn ten_wrong_codes_lock_the_second_factor_not_the_password() {
    let Some(py) = pyotp() else { return };
    let s = Server::start();
    let b = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let (reg, uri) = begin(&b, &s).await;
    let mut ok = false;
    for _ in 0..3 {
        let (c, s0) = code(&py, &uri, 0);
        let (st, url, _) = confirm(&b, &s, &reg, &c, "").await;
        if st == 200 && url.ends_with("/myapps/security-info") {
            ok = true;
            break;
        }
        assert_ne!(s0, step());
    }
    assert!(ok, "registration refused");
    // A wrong code: one outside the window of every step near now.
    let near = otp(
        &py,
        &uri,
        &[now() - 60, now() - 30, now(), now() + 30, now() + 60],
    )
    .codes;
    let wrong = ["000000", "111111", "222222", "333333"]
        .into_iter()
        .find(|w| !near.iter().any(|c| c == w))
        .unwrap();
    for i in 1..10 {
        let (st, _, html) = regenerate(&b, &s, wrong, "").await;
        assert!(
            st == 422 && html.contains("SESAME900101"),
            "attempt {i}: {html}"
        );
    }
    let (st, _, html) = regenerate(&b, &s, wrong, "").await;
    assert!(st == 422 && html.contains("SESAME900103"), "{html}");
    // The right code is refused while locked.
    let (right, _) = code(&py, &uri, 1);
    let (st, _, html) = regenerate(&b, &s, &right, "").await;
    assert!(st == 422 && html.contains("SESAME900103"), "{html}");
    // The password still signs in.
    let other = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let (st, _, _) = page(&other, &s, "/myapps/security-info").await;
    assert_eq!(st, 200);
}
