//! Self-service password tasks as a user sees them, against a real server and a real SMTP
//! server (aiosmtpd): Change password in My Apps (other sessions end, this one stays, a
//! notice mail arrives, audited, the password policy applies).

use crate::common::*;
use crate::mail::{parse_eml, python, SmtpServer};

const UPN: &str = "r.moreno@contoso.com";
const FIRST: &str = "Correct-Horse-42";
const NEXT: &str = "river lamp quartz kettle";

/// A server sending mail to a fresh aiosmtpd, with a user who has a mail address.
fn server_with_user(py: &str) -> (Server, SmtpServer, std::path::PathBuf) {
    let tmp = std::env::temp_dir().join(format!("sesame-sspr-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&tmp).unwrap();
    let port = free_port();
    let smtp = SmtpServer::start(py, port, &tmp.join("inbox"), &[]);
    let url = format!("smtp://127.0.0.1:{port}?starttls=off");
    let s = Server::start_args(&["--smtp-url", &url, "--mail-from", "sesame@contoso.com"]);
    s.cli_ok(&[
        "user",
        "add",
        "--upn",
        UPN,
        "--display-name",
        "R. Moreno",
        "--mail",
        UPN,
        "--password",
        FIRST,
    ]);
    (s, smtp, tmp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_password_ends_other_sessions_keeps_this_one_and_mails_a_notice() {
    let Some(py) = python() else { return };
    let (s, smtp, tmp) = server_with_user(&py);
    let here = sign_in(&s, UPN, FIRST).await;
    let other = sign_in(&s, UPN, FIRST).await;
    let (st, _, html) = page(&here, &s, "/myapps").await;
    assert_eq!(st, 200);
    assert!(
        links(&html).iter().any(|l| l == "/myapps/password"),
        "{html}"
    );

    let (st, _, html) = page(&here, &s, "/myapps/password").await;
    assert_eq!(st, 200, "{html}");
    let form = || post_form(&html, "/myapps/password");

    // Without this session's CSRF token: refused, nothing changed.
    let (st, _, _) = submit(
        &here,
        &s.base,
        &form()
            .set("csrf", "forged")
            .set("current", FIRST)
            .set("new", NEXT)
            .set("confirm", NEXT),
    )
    .await;
    assert_eq!(st, 403);

    // The confirmation differs.
    let (st, _, body) = submit(
        &here,
        &s.base,
        &form()
            .set("current", FIRST)
            .set("new", NEXT)
            .set("confirm", "river lamp orange viola"),
    )
    .await;
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("SESAME910011"), "{body}");
    assert!(body.contains("differ"), "{body}");

    // Each rule of the policy says what failed.
    for (pw, says) in [
        ("short-one", "too short (9 characters); use at least 12"),
        ("MyPassword-42!", "one of the most common passwords"),
        ("sesame river lamp", "\"sesame\""),
        ("moreno river lamp 7", "your user name"),
    ] {
        let (st, _, body) = submit(
            &here,
            &s.base,
            &form()
                .set("current", FIRST)
                .set("new", pw)
                .set("confirm", pw),
        )
        .await;
        assert_eq!(st, 422, "{pw}: {body}");
        assert!(body.contains("SESAME910011"), "{pw}: {body}");
        assert!(
            unescape(&body.replace("&#34;", "\"")).contains(says),
            "{pw}: {body}"
        );
    }

    // A wrong current password.
    let (st, _, body) = submit(
        &here,
        &s.base,
        &form()
            .set("current", "not-the-password")
            .set("new", NEXT)
            .set("confirm", NEXT),
    )
    .await;
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("SESAME"), "{body}");
    assert!(smtp.messages().is_empty(), "a refused change sent mail");

    // The change.
    let audits = audit_count(&s).await;
    let (st, _, body) = submit(
        &here,
        &s.base,
        &form()
            .set("current", FIRST)
            .set("new", NEXT)
            .set("confirm", NEXT),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("Your password was changed"), "{body}");
    assert_eq!(audit_count(&s).await, audits + 1);

    // This browser stays signed in; the other one is signed out.
    let (st, url, _) = page(&here, &s, "/myapps").await;
    assert_eq!(st, 200);
    assert!(url.ends_with("/myapps"), "{url}");
    let (_, _, html) = page(&other, &s, "/myapps").await;
    assert!(
        is_login_page(&html),
        "the other session still works: {html}"
    );

    // The notice.
    let msgs = tokio::task::spawn_blocking(move || smtp.wait_for(1))
        .await
        .unwrap();
    let m = parse_eml(&py, &msgs[0]);
    assert_eq!(m["to"], format!("\"R. Moreno\" <{UPN}>"), "{m}");
    assert_eq!(m["subject"], "Your password was changed");
    let text = m["parts"][0]["text"].as_str().unwrap();
    assert!(text.contains(UPN), "{m}");
    assert!(text.contains("contact your administrator"), "{m}");

    // The new password signs in; the old one no longer does.
    let _ = sign_in(&s, UPN, NEXT).await;
    let b = browser();
    let (_, _, login) = get(&b, &format!("{}/{}/login", s.base, s.tenant)).await;
    let r = submit_login(&b, &s.base, &login, UPN, FIRST).await;
    let body = r.text().await.unwrap();
    assert!(is_login_page(&body), "the old password still works: {body}");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_password_policy_sets_the_length_and_banned_words_of_new_passwords() {
    let Some(py) = python() else { return };
    let (s, _smtp, tmp) = server_with_user(&py);
    let a = admin(&s).await;
    let (st, _, html) = page(&a, &s, "/admin/settings").await;
    assert_eq!(st, 200);
    assert!(links(&html)
        .iter()
        .any(|l| l == "/admin/settings/password-policy"));
    let (st, _, html) = page(&a, &s, "/admin/settings/password-policy").await;
    assert_eq!(st, 200, "{html}");
    assert!(html.contains("value=\"12\""), "{html}");
    let form = || post_form(&html, "/admin/settings/password-policy");

    let audits = audit_count(&s).await;
    let (st, _, body) = submit(&a, &s.base, &form().set("min_length", "seven")).await;
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("SESAME910004"), "{body}");
    assert_eq!(audit_count(&s).await, audits);
    let (st, _, body) = submit(
        &a,
        &s.base,
        &form()
            .set("min_length", "16")
            .set("banned_words", "Widget\nGlasshouse\n"),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    assert!(
        body.contains("at least 16 characters, 2 banned words"),
        "{body}"
    );
    assert_eq!(audit_count(&s).await, audits + 1);

    let u = sign_in(&s, UPN, FIRST).await;
    let (_, _, html) = page(&u, &s, "/myapps/password").await;
    for (pw, says) in [
        (
            "river lamp viol",
            "too short (15 characters); use at least 16",
        ),
        ("my widget river lamp", "banned by your organisation"),
    ] {
        let f = post_form(&html, "/myapps/password")
            .set("current", FIRST)
            .set("new", pw)
            .set("confirm", pw);
        let (st, _, body) = submit(&u, &s.base, &f).await;
        assert_eq!(st, 422, "{pw}: {body}");
        assert!(
            body.contains("SESAME910011") && body.contains(says),
            "{pw}: {body}"
        );
    }
    // The policy holds for passwords an administrator sets too (the CLI here).
    let e = s.cli(&["user", "set", UPN, "--password", "my widget river lamp"]);
    assert!(!e.status.success());
    let e = String::from_utf8_lossy(&e.stderr);
    assert!(e.contains("banned by your organisation"), "{e}");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A server sending mail to a fresh aiosmtpd (the demo user has a mail address).
fn server_with_smtp(py: &str) -> (Server, SmtpServer, std::path::PathBuf) {
    let tmp = std::env::temp_dir().join(format!("sesame-sspr-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&tmp).unwrap();
    let port = free_port();
    let smtp = SmtpServer::start(py, port, &tmp.join("inbox"), &[]);
    let url = format!("smtp://127.0.0.1:{port}?starttls=off");
    let s = Server::start_args(&["--smtp-url", &url, "--mail-from", "sesame@contoso.com"]);
    (s, smtp, tmp)
}

fn change_required(s: &Server, upn: &str) -> bool {
    let out = s.cli_ok(&["user", "show", upn, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["password_change_required"].as_bool().unwrap()
}

/// Require password change at next sign-in, set with the CLI: an SP-initiated sign-in
/// stops at "Update your password" after the password (no Response, no My Apps, no admin
/// portal), the policy applies to the new password, then the Response is posted; the flag
/// is cleared, the change audited and the notice mailed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_password_change_stops_sso_until_the_user_sets_a_new_password() {
    let Some(py) = python() else { return };
    let (s, smtp, tmp) = server_with_smtp(&py);
    let audits = audit_count(&s).await;
    s.cli_ok(&["user", "set", DEMO_UPN, "--require-password-change", "true"]);
    assert!(change_required(&s, DEMO_UPN));
    assert_eq!(
        audit_count(&s).await,
        audits + 2,
        "user.update and the flag"
    );

    let b = browser();
    let (_, url, html) = get(&b, &format!("{}/testapp/login", s.base)).await;
    assert!(url.contains("/login?p="), "{url}");
    let r = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD).await;
    let url = r.url().to_string();
    let html = r.text().await.unwrap();
    assert!(!is_auto_post(&html), "a Response before the change: {html}");
    assert!(html.contains("Update your password"), "{url}: {html}");
    assert!(url.contains("/login/password?p="), "{url}");
    assert!(
        !html.contains("name=\"current\""),
        "the current password asked again"
    );

    // Neither My Apps nor the admin portal opens meanwhile: both send back here.
    for path in ["/myapps", "/admin"] {
        let (_, url, page_html) = page(&b, &s, path).await;
        assert!(url.contains("/login/password"), "{path}: {url}");
        assert!(page_html.contains("Update your password"), "{path}");
    }

    let action = format!("/{}/login/password", s.tenant);
    let form = || post_form(&html, &action);
    // Without the session's CSRF token: refused.
    let (st, _, body) = submit(
        &b,
        &s.base,
        &form()
            .set("csrf", "forged")
            .set("new", NEXT)
            .set("confirm", NEXT),
    )
    .await;
    assert_ne!(st, 200, "{body}");
    assert!(!is_auto_post(&body));
    // Two different copies, then a common password: refused with SESAME910011.
    for (new, confirm, says) in [
        (NEXT, "river lamp orange viola", "differ"),
        (
            "P@ssw0rd2024",
            "P@ssw0rd2024",
            "one of the most common passwords",
        ),
    ] {
        let (st, _, body) =
            submit(&b, &s.base, &form().set("new", new).set("confirm", confirm)).await;
        assert_eq!(st, 422, "{body}");
        assert!(body.contains("SESAME910011"), "{body}");
        assert!(unescape(&body).contains(says), "{body}");
        assert!(!is_auto_post(&body));
    }
    assert!(change_required(&s, DEMO_UPN));
    assert!(smtp.messages().is_empty(), "a refused change sent mail");

    // The change: the waiting sign-in continues with its Response.
    let audits = audit_count(&s).await;
    let (st, _, body) = submit(&b, &s.base, &form().set("new", NEXT).set("confirm", NEXT)).await;
    assert_eq!(st, 200, "{body}");
    assert!(is_auto_post(&body), "{body}");
    let (acs, fields) = crate::common::form(&body);
    assert_eq!(acs, format!("{}/testapp/acs", s.base));
    let r = b.post(&acs).form(&fields).send().await.unwrap();
    let done = r.text().await.unwrap();
    assert!(done.contains("Signed in to the test application"), "{done}");
    assert!(!change_required(&s, DEMO_UPN));
    assert_eq!(audit_count(&s).await, audits + 1);
    let (st, url, _) = page(&b, &s, "/myapps").await;
    assert_eq!(st, 200);
    assert!(url.ends_with("/myapps"), "{url}");

    let msgs = tokio::task::spawn_blocking(move || smtp.wait_for(1))
        .await
        .unwrap();
    let m = parse_eml(&py, &msgs[0]);
    assert_eq!(m["subject"], "Your password was changed", "{m}");

    // The new password signs in; the old one no longer does.
    let _ = sign_in(&s, DEMO_UPN, NEXT).await;
    let b = browser();
    let (_, _, login) = get(&b, &format!("{}/{}/login", s.base, s.tenant)).await;
    let r = submit_login(&b, &s.base, &login, DEMO_UPN, DEMO_PASSWORD).await;
    assert!(is_login_page(&r.text().await.unwrap()));
    let _ = std::fs::remove_dir_all(&tmp);
}

/// An administrator's reset in the portal requires the change by default ("Make this
/// user change password when they sign in"); the user page's button sets and clears it,
/// audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_reset_and_button_require_a_password_change() {
    let Some(py) = python() else { return };
    let (s, _smtp, tmp) = server_with_user(&py);
    let id = uuid_in(&s.cli_ok(&["user", "show", UPN]));
    let a = admin(&s).await;
    let (st, _, html) = page(&a, &s, &format!("/admin/users/{id}")).await;
    assert_eq!(st, 200, "{html}");
    assert!(html.contains("Make this user change password when they sign in"));
    let reset = post_form(&html, &format!("/admin/users/{id}/password"));
    assert_eq!(
        reset.get("require_change"),
        Some("true"),
        "checked by default"
    );
    let (st, _, body) = submit(
        &a,
        &s.base,
        &reset
            .set("password_mode", "custom")
            .set("password", "Harbour-Lamp-42"),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    assert!(change_required(&s, UPN));
    assert!(body.contains("Do not require password change"), "{body}");

    // The user signs in to My Apps: "Update your password" first, then My Apps.
    let b = browser();
    let (_, _, login) = get(&b, &format!("{}/{}/login", s.base, s.tenant)).await;
    let r = submit_login(&b, &s.base, &login, UPN, "Harbour-Lamp-42").await;
    let (_, url, html) = page(&b, &s, "/myapps").await;
    drop(r);
    assert!(url.contains("/login/password"), "{url}: {html}");
    let form = post_form(&html, &format!("/{}/login/password", s.tenant));
    let (st, url, _) = submit(&b, &s.base, &form.set("new", NEXT).set("confirm", NEXT)).await;
    assert_eq!(st, 200);
    assert!(url.ends_with("/myapps"), "{url}");
    assert!(!change_required(&s, UPN));

    // The button sets it again, audited; and clears it.
    let audits = audit_count(&s).await;
    let (_, _, html) = page(&a, &s, &format!("/admin/users/{id}")).await;
    let set = post_form(
        &html,
        &format!("/admin/users/{id}/password-change-required"),
    );
    assert_eq!(set.get("required"), Some("true"));
    let (st, _, body) = submit(&a, &s.base, &set).await;
    assert_eq!(st, 200, "{body}");
    assert!(change_required(&s, UPN));
    assert_eq!(audit_count(&s).await, audits + 1);
    let clear = post_form(
        &body,
        &format!("/admin/users/{id}/password-change-required"),
    );
    assert_eq!(clear.get("required"), Some("false"));
    let (st, _, _) = submit(&a, &s.base, &clear).await;
    assert_eq!(st, 200);
    assert!(!change_required(&s, UPN));
    assert_eq!(audit_count(&s).await, audits + 2);
    let _ = std::fs::remove_dir_all(&tmp);
}
