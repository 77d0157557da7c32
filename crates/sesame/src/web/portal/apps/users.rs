//! The Users and groups blade: assignments with their role, "Add user/group" (search,
//! "Select a role", "Assign"), remove; and the app's roles.

use super::frame::{app_or_404, app_page, audit, form_app, Blade};
use crate::admin::audit::Change;
use crate::apps::{App, AssignmentView, Principal};
use crate::web::auth::SignedIn;
use crate::web::portal::access::Admin;
use crate::web::portal::error::{app_error_text, PortalResult};
use crate::web::portal::kit::{self, Fields};
use crate::web::portal::layout::{render, Crumb, Flash};
use crate::web::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Form;
use std::collections::HashMap;

#[derive(askama::Template)]
#[template(path = "portal/apps/users.html")]
struct UsersBody<'a> {
    csrf: &'a str,
    app: &'a App,
    rows: Vec<(AssignmentView, String)>,
    roles: Vec<String>,
    error: String,
}

async fn show_list(
    state: &AppState,
    si: &SignedIn,
    app: &App,
    flash: Option<Flash>,
    error: String,
) -> PortalResult {
    let store = state.store();
    let mut rows = Vec::new();
    for a in crate::apps::list_assignments(store, &app.id)
        .await
        .unwrap_or_default()
    {
        // Users by display name (the UPN beside it), as the seeds' list shows them.
        let display = match a.principal_kind {
            "user" => store
                .user_by_id(&a.principal_id)
                .await
                .ok()
                .flatten()
                .map(|u| u.display_name)
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| a.principal_name.clone()),
            _ => a.principal_name.clone(),
        };
        rows.push((a, display));
    }
    let roles = store.app_roles(&app.id).await.unwrap_or_default();
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = render(&UsersBody {
        csrf: &si.csrf,
        app,
        rows,
        roles,
        error,
    });
    Ok(app_page(
        state,
        si,
        app,
        Blade::Users,
        "Users and groups",
        vec![Crumb::new("", "Users and groups")],
        flash,
        &body,
        status,
    ))
}

/// `GET /admin/apps/{id}/users`.
pub(super) async fn list(
    State(state): State<AppState>,
    Admin(si): Admin,
    kit::Flashed(flash): kit::Flashed,
    Path(id): Path<String>,
) -> PortalResult {
    let app = app_or_404(&state, &si, &id).await?;
    show_list(&state, &si, &app, flash, String::new()).await
}

struct Candidate {
    kind: &'static str,
    id: String,
    name: String,
    detail: String,
    assigned: bool,
}

#[derive(askama::Template)]
#[template(path = "portal/apps/users_add.html")]
struct AddBody<'a> {
    csrf: &'a str,
    app: &'a App,
    q: String,
    candidates: Vec<Candidate>,
    roles: Vec<String>,
    error: String,
}

async fn show_add(
    state: &AppState,
    si: &SignedIn,
    app: &App,
    q: &str,
    error: String,
) -> PortalResult {
    let store = state.store();
    let assigned: Vec<String> = crate::apps::list_assignments(store, &app.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.principal_id)
        .collect();
    let text = q.trim();
    let mut candidates: Vec<Candidate> = store
        .list_users(if text.is_empty() { None } else { Some(text) })
        .await
        .unwrap_or_default()
        .into_iter()
        .take(50)
        .map(|u| Candidate {
            kind: "user",
            assigned: assigned.contains(&u.id),
            detail: u.upn.clone(),
            name: if u.display_name.is_empty() {
                u.upn.clone()
            } else {
                u.display_name.clone()
            },
            id: u.id,
        })
        .collect();
    let lower = text.to_lowercase();
    candidates.extend(
        store
            .list_groups()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|g| lower.is_empty() || g.name.to_lowercase().contains(&lower))
            .take(50)
            .map(|g| Candidate {
                kind: "group",
                assigned: assigned.contains(&g.id),
                detail: "Group".into(),
                name: g.name,
                id: g.id,
            }),
    );
    let roles = store.app_roles(&app.id).await.unwrap_or_default();
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = render(&AddBody {
        csrf: &si.csrf,
        app,
        q: q.to_owned(),
        candidates,
        roles,
        error,
    });
    Ok(app_page(
        state,
        si,
        app,
        Blade::Users,
        "Add Assignment",
        vec![
            Crumb::new(format!("/admin/apps/{}/users", app.id), "Users and groups"),
            Crumb::new("", "Add Assignment"),
        ],
        None,
        &body,
        status,
    ))
}

/// `GET /admin/apps/{id}/users/add?q=`: "Add user/group".
pub(super) async fn add_form(
    State(state): State<AppState>,
    Admin(si): Admin,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PortalResult {
    let app = app_or_404(&state, &si, &id).await?;
    show_add(
        &state,
        &si,
        &app,
        q.get("q").map(String::as_str).unwrap_or_default(),
        String::new(),
    )
    .await
}

fn principal_of(v: &str) -> Option<Principal> {
    let (kind, id) = v.split_once(':')?;
    match kind {
        "user" => Some(Principal::User(id.to_owned())),
        "group" => Some(Principal::Group(id.to_owned())),
        _ => None,
    }
}

/// `POST /admin/apps/{id}/users/add` (principal=user:ID|group:ID, repeated; role): "Assign".
pub(super) async fn add(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let app = form_app(&state, &si, &headers, &f, &id).await?;
    let picked: Vec<Principal> = f
        .all("principal")
        .into_iter()
        .filter_map(principal_of)
        .collect();
    if picked.is_empty() {
        return show_add(
            &state,
            &si,
            &app,
            f.raw("q"),
            "Select at least one user or group in the list, then Assign (SESAME910004).".into(),
        )
        .await;
    }
    let role = f.raw("role").trim();
    let role = (!role.is_empty()).then_some(role);
    for p in &picked {
        if let Err(e) = crate::apps::assign(state.store(), &app.id, p, role).await {
            return show_add(&state, &si, &app, f.raw("q"), app_error_text(&e)).await;
        }
        let (kind, pid) = match p {
            Principal::User(i) => ("user", i),
            Principal::Group(i) => ("group", i),
        };
        audit(
            &state,
            &si,
            &headers,
            Change::new("app.assign", "app", &app.id, &app.name).after(&serde_json::json!({
                "principal_kind": kind, "principal_id": pid, "role": role.unwrap_or("")
            })),
        )
        .await;
    }
    Ok(kit::redirect_ok(
        &state,
        &format!("/admin/apps/{}/users", app.id),
        "Assignment added.",
    ))
}

/// `POST /admin/apps/{id}/users/remove` (principal, role).
pub(super) async fn remove(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let app = form_app(&state, &si, &headers, &f, &id).await?;
    let Some(p) = principal_of(f.raw("principal")) else {
        return show_list(
            &state,
            &si,
            &app,
            None,
            "The form named no user or group to remove; reload the page and try again (SESAME910004).".into(),
        )
        .await;
    };
    let role = f.raw("role");
    let role = (!role.is_empty()).then_some(role);
    if let Err(e) = crate::apps::unassign(state.store(), &app.id, &p, role).await {
        return show_list(&state, &si, &app, None, app_error_text(&e)).await;
    }
    audit(
        &state,
        &si,
        &headers,
        Change::new("app.unassign", "app", &app.id, &app.name).before(&serde_json::json!({
            "principal": f.raw("principal"), "role": role.unwrap_or("")
        })),
    )
    .await;
    Ok(kit::redirect_ok(
        &state,
        &format!("/admin/apps/{}/users", app.id),
        "Assignment removed.",
    ))
}

/// `POST /admin/apps/{id}/roles` (add=NAME | remove=NAME): the app's roles.
pub(super) async fn roles(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let app = form_app(&state, &si, &headers, &f, &id).await?;
    let before = state.store().app_roles(&app.id).await.unwrap_or_default();
    let res = if !f.raw("remove").is_empty() {
        crate::apps::remove_role(state.store(), &app.id, f.raw("remove")).await
    } else {
        crate::apps::add_role(state.store(), &app.id, f.raw("add")).await
    };
    if let Err(e) = res {
        return show_list(&state, &si, &app, None, app_error_text(&e)).await;
    }
    let after = state.store().app_roles(&app.id).await.unwrap_or_default();
    audit(
        &state,
        &si,
        &headers,
        Change::new("app.roles.update", "app", &app.id, &app.name)
            .before(&before)
            .after(&after),
    )
    .await;
    Ok(kit::redirect_ok(
        &state,
        &format!("/admin/apps/{}/users", app.id),
        "App roles saved.",
    ))
}
