//! The directory, logs and My Apps pages of the admin portal, black-box against the real
//! binary: an administrator follows the seeds' "New user" steps and the new user signs
//! in with the password shown; groups and members; roles with the last-administrator
//! rule; sign-in logs and a failed sign-in's details; audit rows of each change (never
//! a password); settings; My Apps shows exactly the assigned, visible applications.

use crate::common::*;

/// Creates a user through New user; returns (user page URL, password shown, page).
async fn new_user(
    b: &reqwest::Client,
    s: &Server,
    name: &str,
    upn: &str,
) -> (String, String, String) {
    let (st, _, html) = page(b, s, "/admin/users/new").await;
    assert_eq!(st, 200, "{html}");
    for label in [
        "Name",
        "User name",
        "Show password",
        "Auto-generate password",
        "Let me create the password",
        "Create",
    ] {
        assert!(html.contains(label), "New user has no {label:?}");
    }
    let form = post_form(&html, "/admin/users/new");
    let generated = form.get("password").unwrap().to_owned();
    assert_eq!(generated.len(), 20, "a generated password is in the form");
    let form = form.set("display_name", name).set("upn", upn);
    let (st, url, body) = submit(b, &s.base, &form).await;
    assert_eq!(st, 200, "{body}");
    assert!(url.contains("/admin/users/"), "{url}");
    assert!(body.contains(&format!("User {upn} created.")), "{body}");
    assert!(body.contains("shown only this once"), "{body}");
    assert!(
        body.contains(&format!("value=\"{generated}\"")),
        "the password is shown once"
    );
    (url, generated, body)
}

#[tokio::test]
async fn new_user_then_sign_in_with_the_shown_password() {
    let s = Server::start();
    let b = admin(&s).await;
    let (url, pw, _) = new_user(&b, &s, "B.Simon", "B.Simon@fabrikam.com").await;
    // Shown once: not on the next visit.
    let (_, _, again) = get(&b, &url).await;
    assert!(!again.contains(&pw));
    assert!(again.contains("B.Simon@fabrikam.com"));
    // Listed and found by search.
    let (_, _, list) = page(&b, &s, "/admin/users?q=fabrikam").await;
    assert!(
        list.contains("B.Simon@fabrikam.com") && !list.contains("B.Simon@contoso.com"),
        "{list}"
    );
    let (_, _, list) = page(&b, &s, "/admin/users?status=disabled").await;
    assert!(!list.contains("B.Simon@fabrikam.com"));
    // The new user signs in with it and sees My Apps (no app yet: ask the administrator).
    let u = sign_in(&s, "B.Simon@fabrikam.com", &pw).await;
    let (st, final_url, my) = page(&u, &s, "/myapps").await;
    assert_eq!(st, 200);
    assert!(final_url.ends_with("/myapps"));
    assert!(my.contains("Ask your administrator"), "{my}");
    // The audit log has the creation, without the password.
    let (_, _, audit) = page(&b, &s, "/admin/audit?action=user.create").await;
    assert!(audit.contains("B.Simon@fabrikam.com"), "{audit}");
    let row = links(&audit)
        .into_iter()
        .find(|l| l.starts_with("/admin/audit/"))
        .unwrap();
    let (_, _, details) = page(&b, &s, &row).await;
    assert!(details.contains("user.create") && details.contains("fabrikam"));
    assert!(!details.contains(&pw), "no password in the audit log");
    assert!(!details.contains("argon2"), "no hash in the audit log");
}

#[tokio::test]
async fn new_user_errors_are_shown_next_to_the_field() {
    let s = Server::start();
    let b = admin(&s).await;
    let (_, _, html) = page(&b, &s, "/admin/users/new").await;
    let form = post_form(&html, "/admin/users/new");
    let bad = form.clone().set("display_name", "X").set("upn", "nodomain");
    let (st, _, body) = submit(&b, &s.base, &bad).await;
    assert_eq!(st, 422);
    assert!(
        body.contains("upn-error") && body.contains("has no &#39;@&#39;"),
        "{body}"
    );
    assert!(body.contains("SESAME910004"));
    let short = form
        .clone()
        .set("display_name", "X")
        .set("upn", "x@contoso.com")
        .set("password_mode", "custom")
        .set("password", "short");
    let (st, _, body) = submit(&b, &s.base, &short).await;
    assert_eq!(st, 422);
    assert!(
        body.contains("password-error") && body.contains("too short"),
        "{body}"
    );
    let taken = form.set("display_name", "Dup").set("upn", DEMO_UPN);
    let (st, _, body) = submit(&b, &s.base, &taken).await;
    assert_eq!(st, 409, "{body}");
    assert!(body.contains("already used"));
}

#[tokio::test]
async fn user_page_profile_block_reset_and_delete() {
    let s = Server::start();
    let b = admin(&s).await;
    let (url, _, html) = new_user(&b, &s, "Dana", "dana@contoso.com").await;
    let path = url.trim_start_matches(&s.base).to_owned();
    // Profile edit.
    let form = post_form(&html, &path).set("job_title", "Pilot");
    let (st, _, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 200);
    assert!(body.contains("Profile saved.") && body.contains("value=\"Pilot\""));
    // Block sign-in: the user cannot sign in.
    let form = post_form(&body, &format!("{path}/enabled"));
    assert_eq!(form.get("enabled"), Some("false"));
    let (_, _, body) = submit(&b, &s.base, &form).await;
    assert!(body.contains("Sign-in blocked"), "{body}");
    // Reset password: shown once, and works after allowing sign-in again.
    let form = post_form(&body, &format!("{path}/password"));
    let (_, _, body) = submit(&b, &s.base, &form).await;
    let shown = tags(&body, "input")
        .into_iter()
        .find(|t| attr(t, "id").as_deref() == Some("shown-password"))
        .and_then(|t| attr(t, "value"))
        .expect("the new password is shown");
    let form = post_form(&body, &format!("{path}/enabled"));
    assert_eq!(form.get("enabled"), Some("true"));
    submit(&b, &s.base, &form).await;
    sign_in(&s, "dana@contoso.com", &shown).await;
    // The user's groups, apps and roles sections exist.
    let (_, _, body) = get(&b, &url).await;
    for h in ["Groups", "Applications", "Assigned roles"] {
        assert!(body.contains(h));
    }
    // Delete.
    let form = post_form(&body, &format!("{path}/delete"));
    let (st, final_url, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 200);
    assert!(final_url.ends_with("/admin/users"), "{final_url}");
    assert!(body.contains("User dana@contoso.com deleted."));
    let (st, _, _) = get(&b, &url).await;
    assert_eq!(st, 404);
    let (_, _, audit) = page(&b, &s, "/admin/audit?target=dana%40contoso.com").await;
    for a in [
        "user.create",
        "user.update",
        "user.disable",
        "user.enable",
        "user.password.reset",
        "user.delete",
    ] {
        assert!(audit.contains(a), "{a} not in the audit log: {audit}");
    }
    // Nobody can delete or block themselves.
    let (_, _, users) = page(&b, &s, "/admin/users?q=admin%40sesame.local").await;
    let me = links(&users)
        .into_iter()
        .find(|l| l.starts_with("/admin/users/") && l.len() > 20)
        .unwrap();
    let (_, _, mine) = page(&b, &s, &me).await;
    assert!(!mine.contains(&format!("action=\"{me}/delete\"")));
}

#[tokio::test]
async fn groups_members_and_nesting() {
    let s = Server::start();
    let b = admin(&s).await;
    let (_, _, html) = page(&b, &s, "/admin/groups/new").await;
    let form = post_form(&html, "/admin/groups/new")
        .set("name", "Sales")
        .set("description", "Sales team");
    let (st, url, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 200);
    assert!(body.contains("Group Sales created."));
    let gpath = url.trim_start_matches(&s.base).to_owned();
    // A second group with the same name is refused next to the field.
    let (st, _, dup) = submit(
        &b,
        &s.base,
        &post_form(&html, "/admin/groups/new").set("name", "sales"),
    )
    .await;
    assert_eq!(st, 409);
    assert!(dup.contains("name-error"));
    // Add B.Simon found by search.
    let (_, _, found) = page(&b, &s, &format!("{gpath}?find=simon")).await;
    let add = forms(&found)
        .into_iter()
        .find(|f| f.action == format!("{gpath}/members") && f.get("kind") == Some("user"))
        .expect("B.Simon is offered");
    let (_, _, body) = submit(&b, &s.base, &add).await;
    assert!(
        body.contains("Added user B.Simon@contoso.com to Sales."),
        "{body}"
    );
    // A nested group.
    let (_, url2, _) = submit(
        &b,
        &s.base,
        &post_form(&html, "/admin/groups/new").set("name", "Sales EU"),
    )
    .await;
    let eu = id_in(&url2);
    let (_, _, found) = page(&b, &s, &format!("{gpath}?find=EU")).await;
    let add = forms(&found)
        .into_iter()
        .find(|f| f.get("member_id") == Some(eu.as_str()))
        .expect("Sales EU is offered");
    submit(&b, &s.base, &add).await;
    // Adding Sales to Sales EU would be a cycle: refused with its message.
    let (_, _, found) = page(&b, &s, &format!("/admin/groups/{eu}?find=sales")).await;
    let cyc = forms(&found)
        .into_iter()
        .find(|f| f.get("member_id") == Some(id_in(&gpath).as_str()))
        .expect("Sales is offered");
    let (_, _, body) = submit(&b, &s.base, &cyc).await;
    assert!(body.contains("would create a cycle"), "{body}");
    // B.Simon's page lists Sales.
    let (_, _, users) = page(&b, &s, "/admin/users?q=B.Simon").await;
    let simon = links(&users)
        .into_iter()
        .find(|l| l.starts_with("/admin/users/") && l.len() > 20)
        .unwrap();
    let (_, _, sp) = page(&b, &s, &simon).await;
    assert!(sp.contains(">Sales</a>"), "{sp}");
    // Remove B.Simon, delete the group.
    let (_, _, g) = page(&b, &s, &gpath).await;
    let rm = forms(&g)
        .into_iter()
        .find(|f| f.action == format!("{gpath}/members/remove") && f.get("kind") == Some("user"))
        .unwrap();
    let (_, _, body) = submit(&b, &s.base, &rm).await;
    assert!(body.contains("Removed user B.Simon@contoso.com from Sales."));
    let (_, final_url, body) =
        submit(&b, &s.base, &post_form(&body, &format!("{gpath}/delete"))).await;
    assert!(final_url.ends_with("/admin/groups"));
    assert!(body.contains("Group Sales deleted.") && body.contains("Sales EU"));
    let (_, _, audit) = page(&b, &s, "/admin/audit?action=group.").await;
    for a in [
        "group.create",
        "group.member.add",
        "group.member.remove",
        "group.delete",
    ] {
        assert!(audit.contains(a), "{a}: {audit}");
    }
}

#[tokio::test]
async fn roles_assign_remove_and_the_last_global_administrator() {
    let s = Server::start();
    let b = admin(&s).await;
    let (st, _, html) = page(&b, &s, "/admin/roles").await;
    assert_eq!(st, 200);
    assert!(html.contains("Global Administrator") && html.contains("Application Administrator"));
    assert!(html.contains(ADMIN_UPN));
    // The last Global Administrator keeps the role.
    let rm = forms(&html)
        .into_iter()
        .find(|f| f.action == "/admin/roles/remove" && f.get("upn") == Some(ADMIN_UPN))
        .unwrap();
    let (_, _, body) = submit(&b, &s.base, &rm).await;
    assert!(body.contains("is the last Global Administrator"), "{body}");
    assert!(body.contains("SESAME910006"));
    // Assign Application Administrator to B.Simon: B.Simon reads users, changes nothing.
    let form = post_form(&html, "/admin/roles/assign")
        .set("upn", DEMO_UPN)
        .set("role", "Application Administrator");
    let (_, _, body) = submit(&b, &s.base, &form).await;
    assert!(
        body.contains("Application Administrator assigned to B.Simon@contoso.com."),
        "{body}"
    );
    let simon = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let (st, _, users) = page(&simon, &s, "/admin/users").await;
    assert_eq!(st, 200);
    assert!(
        !users.contains("/admin/users/new"),
        "no New user for an Application Administrator"
    );
    let (st, _, _) = page(&simon, &s, "/admin/users/new").await;
    assert_eq!(st, 403);
    let token = csrf(&users);
    let r = simon
        .post(format!("{}/admin/users/new", s.base))
        .form(&[
            ("csrf", token.as_str()),
            ("display_name", "X"),
            ("upn", "x@contoso.com"),
        ])
        .send()
        .await
        .unwrap();
    let (st, code, _) = error_code(r).await;
    assert_eq!((st, code.as_str()), (403, "SESAME910002"));
    let (st, _, _) = page(&simon, &s, "/admin/roles").await;
    assert_eq!(st, 403);
    // Unknown user: a clear message.
    let form = post_form(&html, "/admin/roles/assign").set("upn", "nobody@contoso.com");
    let (_, _, body) = submit(&b, &s.base, &form).await;
    assert!(
        body.contains("no user has the user name nobody@contoso.com"),
        "{body}"
    );
    // Remove it again (from the roles page).
    let (_, _, html) = page(&b, &s, "/admin/roles").await;
    let rm = forms(&html)
        .into_iter()
        .find(|f| f.action == "/admin/roles/remove" && f.get("upn") == Some(DEMO_UPN))
        .unwrap();
    let (_, _, body) = submit(&b, &s.base, &rm).await;
    assert!(body.contains("Application Administrator removed from B.Simon@contoso.com."));
    let (st, _, _) = page(&simon, &s, "/admin/users").await;
    assert_eq!(st, 403);
    let (_, _, audit) = page(&b, &s, "/admin/audit?action=role.").await;
    assert!(audit.contains("role.assign") && audit.contains("role.remove"));
}

#[tokio::test]
async fn signin_logs_filters_and_a_failed_sign_in() {
    let s = Server::start();
    let b = admin(&s).await;
    // A failed sign-in: an AuthnRequest from an unknown SP (SESAME700016).
    let anon = browser();
    let mut req = authn_request(&s, "_unknown1");
    req.issuer = "https://unknown.example.test/sp".into();
    let (st, _, _) = get(&anon, &redirect_request(&s, &req, None, None)).await;
    assert!(st >= 400);
    // A successful one: B.Simon through the built-in test application.
    let simon = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let (_, _, my) = page(&simon, &s, "/myapps").await;
    let launch = links(&my)
        .into_iter()
        .find(|l| l.contains("/launch"))
        .unwrap();
    let (st, _, done) = get(&simon, &launch).await;
    assert_eq!(st, 200, "{done}");
    std::thread::sleep(std::time::Duration::from_millis(1500)); // batched
    let (st, _, all) = page(&b, &s, "/admin/signins?range=1h").await;
    assert_eq!(st, 200);
    assert!(
        all.contains("SESAME700016") && all.contains("Success"),
        "{all}"
    );
    let (_, _, fails) = page(&b, &s, "/admin/signins?status=failure").await;
    assert!(
        fails.contains("SESAME700016") && !fails.contains("badge ok"),
        "{fails}"
    );
    let (_, _, ok) = page(
        &b,
        &s,
        &format!("/admin/signins?status=success&user={}", "simon"),
    )
    .await;
    assert!(
        ok.contains("B.Simon@contoso.com") && !ok.contains("SESAME700016"),
        "{ok}"
    );
    let (_, _, none) = page(&b, &s, "/admin/signins?user=nobody-at-all").await;
    assert!(none.contains("No sign-in matches"));
    let (st, _, bad) = page(&b, &s, "/admin/signins?range=custom&from=yesterday").await;
    assert_eq!(st, 422);
    assert!(bad.contains("is not a date and time"));
    // The failed row's details: its code, explanation and fix.
    let row = links(&fails)
        .into_iter()
        .find(|l| l.starts_with("/admin/signins/"))
        .unwrap();
    let (st, _, d) = page(&b, &s, &row).await;
    assert_eq!(st, 200);
    for t in [
        "SESAME700016",
        "Application not found",
        "How to fix it",
        "Add the SP&#39;s entity ID",
        "Correlation id",
    ] {
        assert!(d.contains(t), "{t} not in details: {d}");
    }
    // A successful row's details: the response's claims when it is kept, never a
    // signature value.
    let row = links(&ok)
        .into_iter()
        .find(|l| l.starts_with("/admin/signins/"))
        .unwrap();
    let (_, _, d) = page(&b, &s, &row).await;
    assert!(!d.contains("SignatureValue"));
    // Not for users without a role.
    let (st, _, _) = page(&simon, &s, &row).await;
    assert_eq!(st, 403);
}

#[tokio::test]
async fn settings_retention() {
    let s = Server::start();
    let b = admin(&s).await;
    let (_, _, html) = page(&b, &s, "/admin/settings").await;
    let form = post_form(&html, "/admin/settings");
    assert_eq!(form.get("signin_log_retention_days"), Some("30"));
    let (st, _, body) = submit(
        &b,
        &s.base,
        &form.clone().set("signin_log_retention_days", "0"),
    )
    .await;
    assert_eq!(st, 422);
    assert!(body.contains("retention-error") && body.contains("out of range"));
    let (st, _, body) = submit(
        &b,
        &s.base,
        &form.clone().set("signin_log_retention_days", "many"),
    )
    .await;
    assert_eq!(st, 422);
    assert!(body.contains("not a whole number"));
    let (_, _, body) = submit(&b, &s.base, &form.set("signin_log_retention_days", "7")).await;
    assert!(
        body.contains("kept 7 days") && body.contains("value=\"7\""),
        "{body}"
    );
    let (_, _, audit) = page(&b, &s, "/admin/audit?action=settings.").await;
    assert!(audit.contains("settings.update"));
}

#[tokio::test]
async fn my_apps_shows_exactly_the_assigned_visible_apps() {
    let s = Server::start();
    let add = |name: &str, extra: &[&str]| {
        let ident = format!(
            "https://{}.example.test/sp",
            name.to_lowercase().replace(' ', "-")
        );
        let mut args = vec![
            "app",
            "add",
            "--custom",
            "--name",
            name,
            "--identifier",
            &ident,
            "--reply-url",
            "https://sp.example.test/acs",
        ];
        args.extend_from_slice(extra);
        uuid_in(&s.cli_ok(&args))
    };
    let assigned = add("Assigned App", &[]);
    s.cli_ok(&["app", "assign", &assigned, "--user", DEMO_UPN]);
    let hidden = add("Hidden App", &["--visible", "false"]);
    s.cli_ok(&["app", "assign", &hidden, "--user", DEMO_UPN]);
    let disabled = add("Disabled App", &["--enabled", "false"]);
    s.cli_ok(&["app", "assign", &disabled, "--user", DEMO_UPN]);
    let open = add("Open App", &["--assignment-required", "false"]);
    let other = add("Other App", &[]);
    s.cli_ok(&["group", "add", "Pilots"]);
    s.cli_ok(&["group", "add-member", "Pilots", "--user", DEMO_UPN]);
    let by_group = add("Group App", &[]);
    s.cli_ok(&["app", "assign", &by_group, "--group", "Pilots"]);
    s.wait_config();
    let simon = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let (st, _, my) = page(&simon, &s, "/myapps").await;
    assert_eq!(st, 200);
    let launches: Vec<String> = links(&my)
        .into_iter()
        .filter(|l| l.contains("/launch"))
        .collect();
    let url = |id: &str| format!("{}/{}/apps/{id}/launch", s.base, s.tenant);
    for id in [&assigned, &open, &by_group] {
        assert!(launches.contains(&url(id)), "{id} missing: {launches:?}");
    }
    for id in [&hidden, &disabled, &other] {
        assert!(!launches.contains(&url(id)), "{id} shown: {launches:?}");
    }
    // The demo's test application, plus the three above.
    assert_eq!(launches.len(), 4, "{launches:?}");
    assert!(my.contains("data-filter=\"apps\"") && my.contains("Sign out"));
    // No admin navigation in My Apps for a user without a role.
    assert!(!my.contains("href=\"/admin\""));
    // Uploaded logos: served to whom may open the app, to nobody else.
    let store = sesame::store::Store::open(&s.database_url(), 1)
        .await
        .unwrap();
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 4 4\"><rect width=\"4\" height=\"4\"/></svg>";
    for id in [&assigned, &other] {
        let logo = sesame::store::AppLogo {
            content_type: "image/svg+xml".into(),
            data: svg.to_vec(),
            updated_at: 0,
        };
        store.set_app_logo(id, &logo).await.unwrap();
    }
    store.close().await;
    let (_, _, my) = page(&simon, &s, "/myapps").await;
    let src = format!("/myapps/logo/{assigned}");
    assert!(my.contains(&format!("src=\"{src}\"")), "{my}");
    let r = simon.get(format!("{}{src}", s.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("sandbox"));
    let (st, _, _) = page(&simon, &s, &format!("/myapps/logo/{other}")).await;
    assert_eq!(st, 404, "no logo of an app the user cannot open");
    // An unsigned browser is sent to the login page.
    let (_, final_url, body) = page(&browser(), &s, "/myapps").await;
    assert!(final_url.contains("/login") && is_login_page(&body));
}
