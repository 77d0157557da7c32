//! Small things of the directory pages an administrator following the seed guides meets:
//! "Assign role" starts with no role chosen, counts say "1 application", a group is
//! renamed on its page (audited), New group takes its first members, the groups list
//! counts members, and a form shown again with errors focuses its first field to fix.

use crate::common::*;

/// The start tag of the element with this id.
fn tag_with_id<'a>(html: &'a str, name: &str, id: &str) -> &'a str {
    tags(html, name)
        .into_iter()
        .find(|t| attr(t, "id").as_deref() == Some(id))
        .unwrap_or_else(|| panic!("no <{name} id={id}> in {html}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn assign_role_starts_with_no_role() {
    let s = Server::start();
    let b = admin(&s).await;
    let (_, _, users) = page(&b, &s, "/admin/users?q=B.Simon").await;
    let simon = links(&users)
        .into_iter()
        .find(|l| l.starts_with("/admin/users/") && l.len() > 20)
        .unwrap();
    let (_, _, html) = page(&b, &s, &simon).await;
    let form = post_form(&html, &format!("{simon}/roles"));
    // The selector's chosen option is "Select a role", not Global Administrator.
    assert_eq!(form.get("role"), Some(""), "{form:?}");
    assert!(html.contains("<option value=\"\" selected>Select a role</option>"));
    let (_, _, body) = submit(&b, &s.base, &form).await;
    assert!(body.contains("No role selected"), "{body}");
    assert!(!body.contains("Global Administrator assigned"), "{body}");
    let (_, _, after) = page(&b, &s, &simon).await;
    assert!(
        after.contains("The user holds no administrator role"),
        "{after}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_renamed_created_with_members_and_counted() {
    let s = Server::start();
    let b = admin(&s).await;
    // Counts say one or many.
    let (_, _, home) = page(&b, &s, "/admin").await;
    assert!(
        !home.contains(" 1 applications") && !home.contains(">1 applications"),
        "{home}"
    );
    assert!(
        !home.contains(">1 users") && !home.contains(">1 groups"),
        "{home}"
    );

    // New group with a member, by user name; an unknown name is refused next to the field
    // and nothing is created.
    let (_, _, html) = page(&b, &s, "/admin/groups/new").await;
    let form = post_form(&html, "/admin/groups/new")
        .set("name", "Convene users")
        .set("members", "nobody@contoso.com");
    let (st, _, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 422, "{body}");
    assert!(
        body.contains("no user has the user name or name &#34;nobody@contoso.com&#34;"),
        "{body}"
    );
    let members = tag_with_id(&body, "textarea", "members");
    assert!(has_attr(members, "autofocus"), "{members}");
    let (_, _, list) = page(&b, &s, "/admin/groups").await;
    assert!(!list.contains("Convene users"), "{list}");
    let form = post_form(&html, "/admin/groups/new")
        .set("name", "Convene users")
        .set("members", &format!("{DEMO_UPN}\n"));
    let (st, url, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 200, "{body}");
    assert!(
        body.contains("Group Convene users created with 1 member."),
        "{body}"
    );
    assert!(body.contains(DEMO_UPN), "B.Simon is a member: {body}");
    let gpath = url.trim_start_matches(&s.base).to_owned();

    // The list counts members.
    let (_, _, list) = page(&b, &s, "/admin/groups").await;
    assert!(list.contains("<th>Members</th>"), "{list}");
    let row = list
        .split("<tr>")
        .find(|r| r.contains("Convene users"))
        .unwrap();
    assert!(row.contains("<td class=\"num\">1</td>"), "{row}");

    // Rename on the group's page, audited; a taken name is refused with the field focused.
    let (_, _, g) = page(&b, &s, &gpath).await;
    let edit = post_form(&g, &format!("{gpath}/edit"));
    assert_eq!(edit.get("name"), Some("Convene users"));
    let (st, _, body) = submit(
        &b,
        &s.base,
        &edit
            .clone()
            .set("name", "Convene people")
            .set("description", "Who may sign in to Convene"),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    assert!(
        body.contains("Group Convene users renamed to Convene people."),
        "{body}"
    );
    assert!(body.contains("<h1>Convene people</h1>"), "{body}");
    let (_, _, audit) = page(&b, &s, "/admin/audit?action=group.update").await;
    assert!(
        audit.contains("group.update") && audit.contains("Convene people"),
        "{audit}"
    );
    let (_, _, html) = page(&b, &s, "/admin/groups/new").await;
    submit(
        &b,
        &s.base,
        &post_form(&html, "/admin/groups/new").set("name", "Sales"),
    )
    .await;
    let (_, _, g) = page(&b, &s, &gpath).await;
    let (st, _, body) = submit(
        &b,
        &s.base,
        &post_form(&g, &format!("{gpath}/edit")).set("name", "sales"),
    )
    .await;
    assert_eq!(st, 409, "{body}");
    let name = tag_with_id(&body, "input", "name");
    assert!(has_attr(name, "autofocus"), "{name}");
    assert!(attr(name, "aria-describedby").is_some(), "{name}");
    // Without the CSRF token: refused.
    let (st, _, _) = submit(
        &b,
        &s.base,
        &post_form(&g, &format!("{gpath}/edit"))
            .set("csrf", "forged")
            .set("name", "Forged"),
    )
    .await;
    assert_eq!(st, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn new_user_errors_focus_the_first_field_to_fix() {
    let s = Server::start();
    let b = admin(&s).await;
    let (_, _, html) = page(&b, &s, "/admin/users/new").await;
    let form = post_form(&html, "/admin/users/new")
        .set("display_name", "No Name")
        .set("upn", "not a user name");
    let (st, _, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 422, "{body}");
    let upn = tag_with_id(&body, "input", "upn");
    assert!(has_attr(upn, "autofocus"), "{upn}");
    assert_eq!(attr(upn, "aria-invalid").as_deref(), Some("true"));
    assert_eq!(attr(upn, "aria-describedby").as_deref(), Some("upn-error"));
    assert_eq!(
        body.matches(" autofocus").count(),
        1,
        "one field is focused"
    );
    // A page shown without errors focuses nothing.
    assert!(!html.contains(" autofocus"));
}
