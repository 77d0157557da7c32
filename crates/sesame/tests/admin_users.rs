//! Black-box tests of `sesame user …` and `sesame group …` against a temporary data dir:
//! the tenant and initial administrator, users (case-insensitive UPNs, renames keep
//! assignments), groups (transitive membership, cycles refused), exit codes and JSON.

use crate::common::Env;

#[test]
fn first_command_creates_tenant_and_administrator_once() {
    let env = Env::new();
    let out = env.run(&["user", "list", "--json"]);
    crate::common::assert_success(&out, &["user", "list"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let pw_file = env.dir.join("initial-admin-password");
    assert!(
        stderr.contains(&pw_file.to_string_lossy().into_owned()),
        "{stderr}"
    );
    let pw = std::fs::read_to_string(&pw_file).unwrap();
    let pw = pw.trim();
    assert_eq!(pw.len(), 20);
    assert!(!stderr.contains(pw), "the password must never be printed");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&pw_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let users: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let users = users.as_array().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["upn"], "admin@sesame.local");
    assert!(users[0].get("password_hash").is_none());
    let admin = env.json(&["user", "show", "ADMIN@sesame.local"]);
    assert_eq!(admin["roles"][0], "Global Administrator");
    // A second command finds the tenant: no new administrator, same file.
    let out = env.run(&["user", "list"]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&pw_file).unwrap().trim(), pw);
}

#[test]
fn admin_upn_and_password_from_environment() {
    let mut env = Env::new();
    env.vars
        .push(("SESAME_ADMIN_UPN".into(), "root@example.org".into()));
    env.vars.push((
        "SESAME_ADMIN_PASSWORD".into(),
        "a long enough password".into(),
    ));
    let users = env.json(&["user", "list"]);
    assert_eq!(users[0]["upn"], "root@example.org");
    assert!(!env.dir.join("initial-admin-password").exists());
}

#[test]
fn user_lifecycle_and_case_insensitive_upns() {
    let env = Env::new();
    let out = env.run_stdin(
        &[
            "user",
            "add",
            "--upn",
            "B.Simon@contoso.com",
            "--display-name",
            "B. Simon",
            "--given-name",
            "B",
            "--surname",
            "Simon",
            "--mail",
            "B.Simon@contoso.com",
            "--department",
            "Sales",
            "--job-title",
            "Rep",
            "--employee-id",
            "42",
            "--password-stdin",
            "--json",
        ],
        b"correct horse battery\n",
    );
    crate::common::assert_success(&out, &["user", "add"]);
    let u: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(u["upn"], "B.Simon@contoso.com");
    assert_eq!(u["given_name"], "B");
    assert_eq!(u["employee_id"], "42");
    assert_eq!(u["enabled"], true);
    assert!(u.get("generated_password").is_none());
    let id = u["id"].as_str().unwrap().to_owned();

    // Unique case-insensitively.
    let e = env.refused(&["user", "add", "--upn", "b.simon@CONTOSO.COM"]);
    assert!(e.contains("already used"), "{e}");

    // Lookup is case-insensitive.
    let shown = env.json(&["user", "show", "b.simon@contoso.com"]);
    assert_eq!(shown["id"], id.as_str());

    // Generated password printed once.
    let out = env.ok(&["user", "add", "--upn", "other@contoso.com"]);
    assert!(out.contains("generated password"), "{out}");

    let updated = env.json(&[
        "user",
        "set",
        "b.simon@contoso.com",
        "--job-title",
        "Manager",
        "--extension-attribute",
        "extensionattribute3=X3",
    ]);
    assert_eq!(updated["job_title"], "Manager");
    assert_eq!(updated["display_name"], "B. Simon");
    assert_eq!(updated["extension_attributes"]["extensionattribute3"], "X3");

    let d = env.json(&["user", "disable", "B.Simon@contoso.com"]);
    assert_eq!(d["enabled"], false);
    assert!(d["sessions_valid_after"].as_i64().unwrap() > 0);
    let e = env.json(&["user", "enable", "B.Simon@contoso.com"]);
    assert_eq!(e["enabled"], true);
    let e = env.json(&["user", "set", "B.Simon@contoso.com", "--enabled", "false"]);
    assert_eq!(e["enabled"], false);

    // Password reset through stdin.
    let out = env.run_stdin(
        &["user", "set", "B.Simon@contoso.com", "--password-stdin"],
        b"another good passphrase\n",
    );
    crate::common::assert_success(&out, &["user", "set", "--password-stdin"]);
    let e = env.refused(&["user", "set", "B.Simon@contoso.com", "--password", "short"]);
    assert!(e.contains("password"), "{e}");

    let list = env.json(&["user", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 3);
    env.ok(&["user", "delete", "b.simon@contoso.com"]);
    let e = env.refused(&["user", "show", "b.simon@contoso.com"]);
    assert!(e.contains("no user"), "{e}");
    let e = env.refused(&["user", "delete", "b.simon@contoso.com"]);
    assert!(e.contains("no user"), "{e}");
}

#[test]
fn user_validation_names_the_field_and_usage_errors_exit_2() {
    let env = Env::new();
    for (upn, _) in [("nodomain", ()), ("a b@contoso.com", ()), ("a@@b", ())] {
        let e = env.refused(&["user", "add", "--upn", upn]);
        assert!(e.contains("user principal name"), "{upn}: {e}");
    }
    let e = env.refused(&["user", "add", "--upn", "x@contoso.com", "--mail", "nope"]);
    assert!(e.contains("mail"), "{e}");
    let e = env.refused(&[
        "user",
        "add",
        "--upn",
        "x@contoso.com",
        "--extension-attribute",
        "extensionattribute16=v",
    ]);
    assert!(e.contains("extensionattribute"), "{e}");
    // Usage errors: clap's exit status 2.
    let out = env.run(&["user", "add"]);
    assert_eq!(out.status.code(), Some(2));
    let out = env.run(&["user", "set", "x@contoso.com", "--enabled", "yes"]);
    assert_eq!(out.status.code(), Some(2));
    let out = env.run(&[
        "user",
        "add",
        "--upn",
        "x@contoso.com",
        "--password",
        "p",
        "--password-stdin",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn groups_are_transitive_and_cycles_refused() {
    let env = Env::new();
    env.ok(&["user", "add", "--upn", "b.simon@contoso.com"]);
    env.ok(&["group", "add", "Sales", "--description", "Sales team"]);
    env.ok(&["group", "add", "Staff"]);
    env.ok(&["group", "add", "Everyone"]);
    let e = env.refused(&["group", "add", "SALES"]);
    assert!(e.contains("already exists"), "{e}");
    env.ok(&[
        "group",
        "add-member",
        "Sales",
        "--user",
        "B.Simon@contoso.com",
    ]);
    env.ok(&["group", "add-member", "Staff", "--group", "Sales"]);
    env.ok(&["group", "add-member", "Everyone", "--group", "staff"]);
    // Adding twice is fine.
    env.ok(&[
        "group",
        "add-member",
        "Sales",
        "--user",
        "b.simon@contoso.com",
    ]);

    let u = env.json(&["user", "show", "b.simon@contoso.com"]);
    let mut groups: Vec<&str> = u["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    groups.sort_unstable();
    assert_eq!(groups, ["Everyone", "Sales", "Staff"]);

    // Cycles: directly, through two levels, and to itself.
    let e = env.refused(&["group", "add-member", "Sales", "--group", "Everyone"]);
    assert!(
        e.contains("adding group Everyone to Sales would create a cycle"),
        "{e}"
    );
    let e = env.refused(&["group", "add-member", "Staff", "--group", "Everyone"]);
    assert!(e.contains("would create a cycle"), "{e}");
    let e = env.refused(&["group", "add-member", "Sales", "--group", "Sales"]);
    assert!(e.contains("would create a cycle"), "{e}");

    let g = env.json(&["group", "show", "Staff"]);
    assert_eq!(g["name"], "Staff");
    assert_eq!(g["members"]["groups"][0]["name"], "Sales");
    let sales_id = env.json(&["group", "show", "sales"])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // By id too.
    assert_eq!(env.json(&["group", "show", &sales_id])["name"], "Sales");

    env.ok(&["group", "remove-member", "Staff", "--group", "Sales"]);
    let e = env.refused(&["group", "remove-member", "Staff", "--group", "Sales"]);
    assert!(e.contains("not a direct member"), "{e}");
    let u = env.json(&["user", "show", "b.simon@contoso.com"]);
    assert_eq!(u["groups"].as_array().unwrap().len(), 1);

    env.ok(&["group", "delete", "Sales"]);
    let u = env.json(&["user", "show", "b.simon@contoso.com"]);
    assert!(u["groups"].as_array().unwrap().is_empty());
    assert_eq!(env.json(&["group", "list"]).as_array().unwrap().len(), 2);
    let e = env.refused(&["group", "show", "Sales"]);
    assert!(e.contains("no group"), "{e}");
    let out = env.run(&["group", "add-member", "Staff"]);
    assert_eq!(out.status.code(), Some(2), "--user or --group is required");
}

#[test]
fn rename_keeps_memberships_and_assignments() {
    let env = Env::new();
    let u = env.json(&["user", "add", "--upn", "old@contoso.com"]);
    env.ok(&["group", "add", "Sales"]);
    env.ok(&["group", "add-member", "Sales", "--user", "old@contoso.com"]);
    let app = env.ok(&[
        "app",
        "add",
        "--custom",
        "--name",
        "Rename Test",
        "--identifier",
        "https://rename.example.com",
        "--reply-url",
        "https://rename.example.com/acs",
    ]);
    let app = app.trim();
    env.ok(&["app", "assign", app, "--user", "old@contoso.com"]);

    let r = env.json(&["user", "set", "old@contoso.com", "--upn", "New@contoso.com"]);
    assert_eq!(r["id"], u["id"]);
    assert_eq!(r["upn"], "New@contoso.com");
    env.refused(&["user", "show", "old@contoso.com"]);
    let shown = env.json(&["user", "show", "new@contoso.com"]);
    assert_eq!(shown["groups"][0]["name"], "Sales");
    let a = env.json(&["app", "show", app]);
    assert_eq!(a["assignments"][0]["principal_id"], u["id"]);
    assert_eq!(a["assignments"][0]["principal_name"], "New@contoso.com");
    // A rename onto another user's UPN is refused.
    env.ok(&["user", "add", "--upn", "taken@contoso.com"]);
    let e = env.refused(&[
        "user",
        "set",
        "new@contoso.com",
        "--upn",
        "TAKEN@contoso.com",
    ]);
    assert!(e.contains("already used"), "{e}");
}

#[test]
fn store_flags_before_or_after_the_subcommand_and_from_environment() {
    let env = Env::new();
    let dir = env.data_dir();
    // Flags before the subcommand.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sesame"))
        .args([
            "--data-dir",
            &dir,
            "--json",
            "user",
            "add",
            "--upn",
            "x@contoso.com",
        ])
        .env_remove("SESAME_DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["upn"], "x@contoso.com");
    // From the environment only.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sesame"))
        .args(["user", "list", "--json"])
        .env("SESAME_DATA_DIR", &dir)
        .env_remove("SESAME_DATABASE_URL")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    // --database-url names the file directly.
    let url = format!("sqlite:{}", env.dir.join("sesame.db").display());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sesame"))
        .args(["user", "show", "x@contoso.com", "--database-url", &url])
        .args(["--data-dir", &dir])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
