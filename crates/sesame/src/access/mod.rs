//! Conditional Access — named locations, policies, their evaluation. Administrators add,
//! change and delete named locations and policies here (users, groups, applications
//! and locations named as people type them, resolved to ids and checked: a policy naming
//! something unknown is refused whole); every change is in the audit log; saving an
//! enabled policy that would lock every Global Administrator out is refused ("Don't lock
//! yourself out"). The evaluation itself is the pure function of [`eval`], which the
//! sign-in flow (`sso::flow`) and the What If tool ([`what_if`]) call.

pub mod eval;
#[cfg(test)]
mod tests;

use crate::admin::audit::{self, Change};
use crate::admin::{roles, Actor, Role};
use crate::model::{
    Cidr, GrantControl, NamedLocation, Policy, PolicyState, SignInFrequency, TargetResources,
};
use crate::store::{Store, StoreError};
use eval::{Evaluation, Resource, Subject};
use serde::Serialize;
use std::net::IpAddr;

/// The word naming the Sesame admin portal as a target resource.
pub const ADMIN_PORTAL: &str = "admin-portal";
/// Longest name of a policy or a location, characters.
pub const NAME_MAX: usize = 128;

/// Why a Conditional Access change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// Something given cannot be used (a CIDR that does not parse, an unknown user…).
    #[error("{0}")]
    Invalid(String),
    /// No such policy or location.
    #[error("{0}")]
    NotFound(String),
    /// The name is taken, or the location is in use.
    #[error("{0}")]
    Conflict(String),
    /// The policy would lock every Global Administrator out.
    #[error("{0}")]
    LockOut(String),
    /// The store could not answer.
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, AccessError>;

fn check_name(kind: &str, name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(AccessError::Invalid(format!("give the {kind} a name")));
    }
    if n.chars().count() > NAME_MAX || n.chars().any(char::is_control) {
        return Err(AccessError::Invalid(format!(
            "a {kind} name has at most {NAME_MAX} characters and no control characters"
        )));
    }
    Ok(n.to_owned())
}

async fn record(store: &Store, actor: &Actor, change: Change) {
    let action = change.action;
    if let Err(e) = audit::record(store, actor, change, "").await {
        tracing::error!("audit log: cannot record {action}: {e}");
    }
}

// ---------------------------------------------------------------------------------------
// Named locations

/// Every named location, by name.
pub async fn locations(store: &Store) -> Result<Vec<NamedLocation>> {
    Ok(store.locations().await?)
}

/// Parses a comma-separated list of CIDR ranges, strictly; at least one.
pub fn parse_ranges(cidrs: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for c in cidrs.iter().flat_map(|c| c.split(',')) {
        if c.trim().is_empty() {
            continue;
        }
        let c = Cidr::parse(c).map_err(AccessError::Invalid)?;
        out.push(c.to_string());
    }
    if out.is_empty() {
        return Err(AccessError::Invalid(
            "give at least one CIDR range, like 203.0.113.0/24 or 2001:db8::/32".into(),
        ));
    }
    Ok(out)
}

/// Adds a named location.
pub async fn add_location(
    store: &Store,
    actor: &Actor,
    name: &str,
    cidrs: &[String],
    trusted: bool,
    now: i64,
) -> Result<NamedLocation> {
    let name = check_name("location", name)?;
    let ranges = parse_ranges(cidrs)?;
    if store
        .locations()
        .await?
        .iter()
        .any(|l| l.name.eq_ignore_ascii_case(&name))
    {
        return Err(AccessError::Conflict(format!(
            "a named location \"{name}\" already exists"
        )));
    }
    let l = NamedLocation {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        ranges,
        trusted,
        created_at: now,
    };
    store.location_insert(&l).await?;
    record(
        store,
        actor,
        Change::new("access.location.add", "location", &l.id, &l.name).after(&l),
    )
    .await;
    Ok(l)
}

async fn location_named(store: &Store, name: &str) -> Result<NamedLocation> {
    store
        .locations()
        .await?
        .into_iter()
        .find(|l| l.name.eq_ignore_ascii_case(name.trim()) || l.id == name.trim())
        .ok_or_else(|| AccessError::NotFound(format!("no named location \"{}\"", name.trim())))
}

/// Deletes a named location; refused while a policy names it.
pub async fn delete_location(store: &Store, actor: &Actor, name: &str) -> Result<NamedLocation> {
    let l = location_named(store, name).await?;
    let users: Vec<String> = store
        .policies()
        .await?
        .into_iter()
        .filter(|p| p.locations.contains(&l.id) || p.exclude_locations.contains(&l.id))
        .map(|p| p.name)
        .collect();
    if !users.is_empty() {
        return Err(AccessError::Conflict(format!(
            "the named location \"{}\" is used by the policies {}; remove it from them first",
            l.name,
            users.join(", ")
        )));
    }
    store.location_delete(&l.id).await?;
    record(
        store,
        actor,
        Change::new("access.location.delete", "location", &l.id, &l.name).before(&l),
    )
    .await;
    Ok(l)
}

// ---------------------------------------------------------------------------------------
// Policies

/// A policy as typed: names, not ids. `None`: unchanged (or the default of a new policy).
#[derive(Debug, Clone, Default)]
pub struct PolicyInput {
    /// Name (required for a new policy; a new name renames).
    pub name: Option<String>,
    /// Users by UPN (`all` alone: every user).
    pub users: Option<Vec<String>>,
    /// Groups by name.
    pub groups: Option<Vec<String>>,
    /// Excluded users by UPN.
    pub exclude_users: Option<Vec<String>>,
    /// Excluded groups by name.
    pub exclude_groups: Option<Vec<String>>,
    /// Applications by name, Identifier or id; or `all`; or `admin-portal`.
    pub apps: Option<Vec<String>>,
    /// Named locations by name.
    pub locations: Option<Vec<String>>,
    /// Excluded named locations by name.
    pub exclude_locations: Option<Vec<String>>,
    /// `block`, `mfa`, `phishing-resistant`.
    pub grant: Option<String>,
    /// `every-time`, `4h`, `1d`.
    pub sign_in_frequency: Option<String>,
    /// `on`, `off`, `report-only`.
    pub state: Option<String>,
}

fn clean(list: &[String]) -> Vec<String> {
    list.iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn user_ids(store: &Store, upns: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for u in clean(upns) {
        match store.user_by_upn(&u).await? {
            Some(user) => out.push(user.id),
            None => {
                return Err(AccessError::Invalid(format!(
                    "no user \"{u}\": give user principal names of existing users"
                )))
            }
        }
    }
    Ok(out)
}

async fn group_ids(store: &Store, names: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for g in clean(names) {
        let found = match store.group_by_name(&g).await? {
            Some(x) => Some(x),
            None => store.group_by_id(&g).await?,
        };
        match found {
            Some(group) => out.push(group.id),
            None => return Err(AccessError::Invalid(format!("no group \"{g}\""))),
        }
    }
    Ok(out)
}

async fn location_ids(store: &Store, names: &[String]) -> Result<Vec<String>> {
    let all = store.locations().await?;
    let mut out = Vec::new();
    for n in clean(names) {
        match all
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(&n) || l.id == n)
        {
            Some(l) => out.push(l.id.clone()),
            None => {
                return Err(AccessError::Invalid(format!(
                    "no named location \"{n}\": add it first with sesame location add"
                )))
            }
        }
    }
    Ok(out)
}

/// The id of the application named `name` (its display name, an Identifier or its id).
pub async fn app_id(store: &Store, name: &str) -> Result<String> {
    let name = name.trim();
    if let Some(a) = store.app_by_id(name).await? {
        return Ok(a.id);
    }
    if let Some(a) = store.app_by_identifier(name).await? {
        return Ok(a.id);
    }
    let apps = store.list_apps().await?;
    let named: Vec<_> = apps
        .iter()
        .filter(|a| a.name.eq_ignore_ascii_case(name))
        .collect();
    match named.as_slice() {
        [a] => Ok(a.id.clone()),
        [] => Err(AccessError::Invalid(format!(
            "no application \"{name}\": give an application's name, Identifier (Entity ID) or id"
        ))),
        _ => Err(AccessError::Invalid(format!(
            "several applications are named \"{name}\": give its Identifier (Entity ID) or id"
        ))),
    }
}

async fn target(store: &Store, apps: &[String]) -> Result<TargetResources> {
    let apps = clean(apps);
    match apps.as_slice() {
        [] => Ok(TargetResources::All),
        [a] if a.eq_ignore_ascii_case("all") => Ok(TargetResources::All),
        [a] if a.eq_ignore_ascii_case(ADMIN_PORTAL) => Ok(TargetResources::AdminPortal),
        _ => {
            let mut ids = Vec::new();
            for a in &apps {
                if a.eq_ignore_ascii_case("all") || a.eq_ignore_ascii_case(ADMIN_PORTAL) {
                    return Err(AccessError::Invalid(format!(
                        "\"{a}\" cannot be combined with other applications"
                    )));
                }
                ids.push(app_id(store, a).await?);
            }
            Ok(TargetResources::Apps(ids))
        }
    }
}

/// `input` applied to `base` (a new policy when `None`), every name resolved.
async fn build(
    store: &Store,
    base: Option<&Policy>,
    input: &PolicyInput,
    now: i64,
) -> Result<Policy> {
    let name = match (&input.name, base) {
        (Some(n), _) => check_name("policy", n)?,
        (None, Some(b)) => b.name.clone(),
        (None, None) => return Err(AccessError::Invalid("give the policy a name".into())),
    };
    let grant = match (&input.grant, base) {
        (Some(g), _) => GrantControl::parse(g).ok_or_else(|| {
            AccessError::Invalid(format!(
                "\"{g}\" is not a grant control: give block, mfa or phishing-resistant"
            ))
        })?,
        (None, Some(b)) => b.grant,
        (None, None) => {
            return Err(AccessError::Invalid(
                "give the grant control: block, mfa or phishing-resistant".into(),
            ))
        }
    };
    let state = match (&input.state, base) {
        (Some(s), _) => PolicyState::parse(s).ok_or_else(|| {
            AccessError::Invalid(format!(
                "\"{s}\" is not a policy state: give on, off or report-only"
            ))
        })?,
        (None, Some(b)) => b.state,
        // As in Entra, a new policy starts in report-only unless told otherwise.
        (None, None) => PolicyState::ReportOnly,
    };
    let sign_in_frequency = match (&input.sign_in_frequency, base) {
        (Some(f), _) => SignInFrequency::parse(f).map_err(AccessError::Invalid)?,
        (None, Some(b)) => b.sign_in_frequency,
        (None, None) => SignInFrequency::default(),
    };
    let (all_users, users) = match (&input.users, base) {
        (Some(u), _) => {
            let list = clean(u);
            if list.len() == 1 && list[0].eq_ignore_ascii_case("all") {
                (true, Vec::new())
            } else {
                (false, user_ids(store, &list).await?)
            }
        }
        (None, Some(b)) => (b.all_users, b.users.clone()),
        (None, None) => (false, Vec::new()),
    };
    let groups = match (&input.groups, base) {
        (Some(g), _) => group_ids(store, g).await?,
        (None, Some(b)) => b.groups.clone(),
        (None, None) => Vec::new(),
    };
    // Neither users nor groups named: every user.
    let all_users = all_users || (users.is_empty() && groups.is_empty());
    let exclude_users = match (&input.exclude_users, base) {
        (Some(u), _) => user_ids(store, u).await?,
        (None, Some(b)) => b.exclude_users.clone(),
        (None, None) => Vec::new(),
    };
    let exclude_groups = match (&input.exclude_groups, base) {
        (Some(g), _) => group_ids(store, g).await?,
        (None, Some(b)) => b.exclude_groups.clone(),
        (None, None) => Vec::new(),
    };
    let target = match (&input.apps, base) {
        (Some(a), _) => target(store, a).await?,
        (None, Some(b)) => b.target.clone(),
        (None, None) => TargetResources::All,
    };
    let locations = match (&input.locations, base) {
        (Some(l), _) => location_ids(store, l).await?,
        (None, Some(b)) => b.locations.clone(),
        (None, None) => Vec::new(),
    };
    let exclude_locations = match (&input.exclude_locations, base) {
        (Some(l), _) => location_ids(store, l).await?,
        (None, Some(b)) => b.exclude_locations.clone(),
        (None, None) => Vec::new(),
    };
    Ok(Policy {
        id: base.map_or_else(|| uuid::Uuid::new_v4().to_string(), |b| b.id.clone()),
        name,
        all_users,
        users: if all_users { Vec::new() } else { users },
        groups: if all_users { Vec::new() } else { groups },
        exclude_users,
        exclude_groups,
        target,
        locations,
        exclude_locations,
        grant,
        sign_in_frequency,
        state,
        created_at: base.map_or(now, |b| b.created_at),
        updated_at: now,
    })
}

/// Refuses an enabled policy that would block every Global Administrator, or demand of
/// every one a method none of them has registered, at the admin portal — unless it
/// excludes a group (of emergency-access accounts).
async fn lockout_guard(store: &Store, p: &Policy) -> Result<()> {
    if p.state != PolicyState::On || !p.exclude_groups.is_empty() {
        return Ok(());
    }
    if !matches!(
        p.target,
        TargetResources::All | TargetResources::AdminPortal
    ) {
        return Ok(());
    }
    let admins: Vec<_> = roles::holders(store)
        .await?
        .into_iter()
        .filter(|h| h.role == Role::GlobalAdministrator)
        .collect();
    if admins.is_empty() {
        return Ok(());
    }
    for a in &admins {
        let groups: Vec<String> = store
            .user_groups_transitive(&a.user_id)
            .await?
            .into_iter()
            .map(|g| g.id)
            .collect();
        let assigned = (p.all_users
            || p.users.contains(&a.user_id)
            || p.groups.iter().any(|g| groups.contains(g)))
            && !p.exclude_users.contains(&a.user_id);
        if !assigned {
            return Ok(());
        }
        let methods = store.methods_of_user(&a.user_id).await?;
        let can_satisfy = match p.grant {
            GrantControl::Block => false,
            GrantControl::Mfa => !methods.is_empty(),
            GrantControl::PhishingResistant => methods
                .iter()
                .any(|m| m.kind == crate::model::MethodKind::Passkey),
        };
        if can_satisfy {
            return Ok(());
        }
    }
    let what = match p.grant {
        GrantControl::Block => "blocks every Global Administrator",
        GrantControl::Mfa => {
            "requires MFA of every Global Administrator, and none of them has registered a method"
        }
        GrantControl::PhishingResistant => {
            "requires a passkey of every Global Administrator, and none of them has registered one"
        }
    };
    Err(AccessError::LockOut(format!(
        "Don't lock yourself out: this policy {what}, so no one could sign in to the admin portal to undo it. \
         Exclude a group of emergency-access accounts (Exclude: groups in the portal, exclude_groups in the API, --exclude-groups on the command line), register a method for a Global Administrator \
         in Security info first, or save the policy as report-only"
    )))
}

/// Adds a policy.
pub async fn add_policy(
    store: &Store,
    actor: &Actor,
    input: &PolicyInput,
    now: i64,
) -> Result<Policy> {
    let p = build(store, None, input, now).await?;
    if store
        .policies()
        .await?
        .iter()
        .any(|x| x.name.eq_ignore_ascii_case(&p.name))
    {
        return Err(AccessError::Conflict(format!(
            "a policy \"{}\" already exists",
            p.name
        )));
    }
    lockout_guard(store, &p).await?;
    store.policy_upsert(&p).await?;
    record(
        store,
        actor,
        Change::new("access.policy.add", "policy", &p.id, &p.name).after(&p),
    )
    .await;
    Ok(p)
}

/// The policy named `name` (or with that id).
pub async fn policy(store: &Store, name: &str) -> Result<Policy> {
    store
        .policies()
        .await?
        .into_iter()
        .find(|p| p.name.eq_ignore_ascii_case(name.trim()) || p.id == name.trim())
        .ok_or_else(|| AccessError::NotFound(format!("no policy \"{}\"", name.trim())))
}

/// Every policy, by name.
pub async fn policies(store: &Store) -> Result<Vec<Policy>> {
    Ok(store.policies().await?)
}

/// Changes the policy named `name`.
pub async fn set_policy(
    store: &Store,
    actor: &Actor,
    name: &str,
    input: &PolicyInput,
    now: i64,
) -> Result<Policy> {
    let before = policy(store, name).await?;
    let p = build(store, Some(&before), input, now).await?;
    if store
        .policies()
        .await?
        .iter()
        .any(|x| x.id != p.id && x.name.eq_ignore_ascii_case(&p.name))
    {
        return Err(AccessError::Conflict(format!(
            "a policy \"{}\" already exists",
            p.name
        )));
    }
    lockout_guard(store, &p).await?;
    store.policy_upsert(&p).await?;
    record(
        store,
        actor,
        Change::new("access.policy.update", "policy", &p.id, &p.name)
            .before(&before)
            .after(&p),
    )
    .await;
    Ok(p)
}

/// Deletes the policy named `name`.
pub async fn delete_policy(store: &Store, actor: &Actor, name: &str) -> Result<Policy> {
    let p = policy(store, name).await?;
    store.policy_delete(&p.id).await?;
    record(
        store,
        actor,
        Change::new("access.policy.delete", "policy", &p.id, &p.name).before(&p),
    )
    .await;
    Ok(p)
}

/// A policy with names in place of ids, for people.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `on`, `off`, `report-only`.
    pub state: PolicyState,
    /// Users: `all`, or UPNs.
    pub users: Vec<String>,
    /// Groups by name.
    pub groups: Vec<String>,
    /// Excluded users by UPN.
    pub exclude_users: Vec<String>,
    /// Excluded groups by name.
    pub exclude_groups: Vec<String>,
    /// Applications: `all`, `admin-portal`, or names.
    pub apps: Vec<String>,
    /// Named locations.
    pub locations: Vec<String>,
    /// Excluded named locations.
    pub exclude_locations: Vec<String>,
    /// `block`, `mfa`, `phishing-resistant`.
    pub grant: GrantControl,
    /// `every-time`, `4h`, `1d`.
    pub sign_in_frequency: String,
    /// When created and last changed (Unix seconds).
    pub created_at: i64,
    /// When last changed (Unix seconds).
    pub updated_at: i64,
}

/// `p` with names in place of ids (something deleted since shows as `(deleted)`).
pub async fn view(store: &Store, p: &Policy) -> Result<PolicyView> {
    const GONE: &str = "(deleted)";
    let upns = |ids: Vec<String>| async move {
        let mut out = Vec::new();
        for id in ids {
            out.push(
                store
                    .user_by_id(&id)
                    .await?
                    .map_or_else(|| GONE.to_owned(), |u| u.upn),
            );
        }
        Ok::<_, AccessError>(out)
    };
    let users = if p.all_users {
        vec!["all".to_owned()]
    } else {
        upns(p.users.clone()).await?
    };
    let exclude_users = upns(p.exclude_users.clone()).await?;
    let mut groups = Vec::new();
    let mut exclude_groups = Vec::new();
    for (ids, out) in [
        (&p.groups, &mut groups),
        (&p.exclude_groups, &mut exclude_groups),
    ] {
        for id in ids {
            out.push(
                store
                    .group_by_id(id)
                    .await?
                    .map_or_else(|| GONE.to_owned(), |g| g.name),
            );
        }
    }
    let apps = match &p.target {
        TargetResources::All => vec!["all".to_owned()],
        TargetResources::AdminPortal => vec![ADMIN_PORTAL.to_owned()],
        TargetResources::Apps(ids) => {
            let mut out = Vec::new();
            for id in ids {
                out.push(
                    store
                        .app_by_id(id)
                        .await?
                        .map_or_else(|| GONE.to_owned(), |a| a.name),
                );
            }
            out
        }
    };
    let locs = store.locations().await?;
    let loc_names = |ids: &[String]| {
        ids.iter()
            .map(|id| {
                locs.iter()
                    .find(|l| &l.id == id)
                    .map_or_else(|| GONE.to_owned(), |l| l.name.clone())
            })
            .collect::<Vec<_>>()
    };
    Ok(PolicyView {
        id: p.id.clone(),
        name: p.name.clone(),
        state: p.state,
        users,
        groups,
        exclude_users,
        exclude_groups,
        apps,
        locations: loc_names(&p.locations),
        exclude_locations: loc_names(&p.exclude_locations),
        grant: p.grant,
        sign_in_frequency: p.sign_in_frequency.as_text(),
        created_at: p.created_at,
        updated_at: p.updated_at,
    })
}

/// Whether a policy that is On requires a second factor (MFA or phishing-resistant MFA)
/// of user `user_id` for some target, whatever the location: what Security info warns of
/// before the user removes their last method.
pub async fn mfa_required_of(store: &Store, user_id: &str) -> Result<bool> {
    let policies = store.policies().await?;
    let wants: Vec<&Policy> = policies
        .iter()
        .filter(|p| p.state == PolicyState::On && p.grant != GrantControl::Block)
        .collect();
    if wants.is_empty() {
        return Ok(false);
    }
    let groups = group_ids_of(store, user_id).await?;
    Ok(wants.iter().any(|p| {
        (p.all_users
            || p.users.iter().any(|u| u == user_id)
            || p.groups.iter().any(|g| groups.contains(g)))
            && !p.exclude_users.iter().any(|u| u == user_id)
            && !p.exclude_groups.iter().any(|g| groups.contains(g))
    }))
}

// ---------------------------------------------------------------------------------------
// What If

/// The ids of the groups `user_id` is transitively a member of.
pub async fn group_ids_of(store: &Store, user_id: &str) -> Result<Vec<String>> {
    Ok(store
        .user_groups_transitive(user_id)
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect())
}

/// What If: the policies that would apply to `upn` signing in to `app` (a name,
/// Identifier, id, or `admin-portal`) from `ip`, with a password only, and the result.
pub async fn what_if(
    store: &Store,
    upn: &str,
    app: &str,
    ip: Option<IpAddr>,
    now: i64,
) -> Result<Evaluation> {
    let user = store
        .user_by_upn(upn.trim())
        .await?
        .ok_or_else(|| AccessError::Invalid(format!("no user \"{}\"", upn.trim())))?;
    let app_id = if app.trim().eq_ignore_ascii_case(ADMIN_PORTAL) {
        None
    } else {
        Some(app_id(store, app).await?)
    };
    let groups = group_ids_of(store, &user.id).await?;
    let used = [eval::Used {
        method: eval::PASSWORD.into(),
        at: now,
    }];
    let s = Subject {
        user_id: &user.id,
        groups: &groups,
        resource: app_id
            .as_deref()
            .map_or(Resource::AdminPortal, Resource::App),
        ip,
        now,
        since: now,
        used: &used,
    };
    Ok(eval::evaluate(
        &store.policies().await?,
        &store.locations().await?,
        &s,
    ))
}
