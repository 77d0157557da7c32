//! `sesame user methods UPN [--delete ID | --require-reregister]`: a user's
//! authentication methods listed, one deleted by an administrator, or the user required
//! to register again (Require re-register MFA); `sesame user revoke-sessions UPN`; and
//! `sesame user sessions UPN [--revoke ID]`, a user's active sessions listed or one
//! signed out.
//! Changes are audit-logged (actor: the operating-system user).

use super::{out, Ctx};
use anyhow::Result;
use clap::Args;
use sesame::admin::Actor;
use sesame::directory;
use sesame::methods::{self, By, MethodError};

/// `user methods`
#[derive(Debug, Args)]
pub struct MethodsArgs {
    /// User principal name (case-insensitive).
    #[arg(value_name = "UPN")]
    upn: String,
    /// Delete the method with this id (from the list) instead of listing.
    #[arg(long, value_name = "ID", conflicts_with = "require_reregister")]
    delete: Option<String>,
    /// Require re-register MFA: the user's authenticator apps and recovery codes are no
    /// longer accepted, and the next sign-in that needs a second factor registers a new
    /// method (passkeys stay usable).
    #[arg(long)]
    require_reregister: bool,
}

fn by_cli(actor: &Actor) -> By<'_> {
    By {
        actor,
        correlation_id: "",
    }
}

/// Runs `sesame user revoke-sessions UPN`: every session of the user ends, at every node.
pub(super) async fn revoke_sessions(ctx: &Ctx, upn: &str) -> Result<()> {
    let store = &ctx.store;
    let u = directory::user_by_upn_required(store, upn).await?;
    let actor = Actor::cli();
    let n =
        methods::admin::revoke_sessions(store, &u, sesame::clock::now_unix_ms(), by_cli(&actor))
            .await?;
    if ctx.json {
        return ctx.print_json(&serde_json::json!({ "user": u.upn, "revoked_sessions": n }));
    }
    out(&format!(
        "revoked {n} session{} of {}: the next request needs a new sign-in\n",
        if n == 1 { "" } else { "s" },
        u.upn
    ))
}

/// `user sessions`
#[derive(Debug, Args)]
pub struct SessionsArgs {
    /// User principal name (case-insensitive).
    #[arg(value_name = "UPN")]
    upn: String,
    /// Sign out the session with this id (from the list) instead of listing.
    #[arg(long, value_name = "ID")]
    revoke: Option<String>,
}

/// Runs `sesame user sessions UPN [--revoke ID]`.
pub(super) async fn sessions(ctx: &Ctx, a: SessionsArgs) -> Result<()> {
    use sesame::sessions::{self as s, SessionError};
    let store = &ctx.store;
    let u = directory::user_by_upn_required(store, &a.upn).await?;
    let now = sesame::clock::now_unix();
    if let Some(id) = a.revoke {
        let actor = Actor::cli();
        let by = s::By {
            actor: &actor,
            correlation_id: "",
        };
        let v = match s::revoke(store, &u, &id, now, by).await {
            Ok(v) => v,
            Err(SessionError::NotFound) => anyhow::bail!(
                "{} has no active session {:?}: `sesame user sessions {}` lists them",
                u.upn,
                id.trim(),
                u.upn
            ),
            Err(e) => return Err(e.into()),
        };
        if ctx.json {
            return ctx.print_json(&serde_json::json!({ "user": u.upn, "revoked": v }));
        }
        return out(&format!(
            "signed out session {} of {} ({}): the next request of that browser needs a new sign-in\n",
            v.id, u.upn, v.device
        ));
    }
    let list = s::list(store, &u, None, now).await?;
    if ctx.json {
        return ctx.print_json(&list);
    }
    if list.is_empty() {
        return out(&format!("{} has no active session\n", u.upn));
    }
    let mut text = String::new();
    for v in &list {
        text.push_str(&format!(
            "{}\t{}\t{}\tsigned in {}\tlast seen {}\t{}\n",
            v.id,
            v.device,
            if v.address.is_empty() {
                "-"
            } else {
                &v.address
            },
            when(v.signed_in_at),
            when(v.last_seen),
            if v.apps.is_empty() {
                "no application".to_owned()
            } else {
                v.apps.join(", ")
            }
        ));
    }
    out(&text)
}

/// Dates as `sesame` prints them elsewhere: UTC, RFC 3339.
fn when(t: i64) -> String {
    if t == 0 {
        return "never".into();
    }
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}

/// Runs `sesame user methods`.
pub(super) async fn run(ctx: &Ctx, a: MethodsArgs) -> Result<()> {
    let store = &ctx.store;
    let u = directory::user_by_upn_required(store, &a.upn).await?;
    if a.require_reregister {
        let actor = Actor::cli();
        let n = methods::admin::require_reregister(
            store,
            &u,
            sesame::clock::now_unix(),
            by_cli(&actor),
        )
        .await?;
        if ctx.json {
            return ctx.print_json(
                &serde_json::json!({ "user": u.upn, "require_reregister": true, "retired_methods": n }),
            );
        }
        return out(&format!(
            "{}: {n} authenticator app and recovery-code method{} no longer accepted; the next sign-in that needs MFA registers a new method\n",
            u.upn,
            if n == 1 { "" } else { "s" }
        ));
    }
    if let Some(id) = a.delete {
        let actor = Actor::cli();
        let by = By {
            actor: &actor,
            correlation_id: "",
        };
        let m = match methods::admin_delete(store, &u, id.trim(), by).await {
            Ok(m) => m,
            Err(MethodError::NotFound) => anyhow::bail!(
                "{} has no authentication method {id:?}: `sesame user methods {}` lists them",
                u.upn,
                u.upn
            ),
            Err(e) => return Err(e.into()),
        };
        if ctx.json {
            return ctx.print_json(&serde_json::json!({ "deleted": m }));
        }
        return out(&format!(
            "deleted {} {:?} ({}) of {}\n",
            m.kind.label(),
            m.name,
            m.id,
            u.upn
        ));
    }
    let list = methods::list(store, &u.id).await?;
    let passkeys = methods::passkey::credentials(store, &u.id).await?;
    let passkey = |id: &str| passkeys.iter().find(|c| c.method_id == id);
    if ctx.json {
        let mut rows = Vec::with_capacity(list.len());
        for m in &list {
            let mut v = serde_json::to_value(m)?;
            if m.kind == sesame::model::MethodKind::Recovery {
                if let Some(o) = v.as_object_mut() {
                    o.insert(
                        "codes_left".into(),
                        methods::recovery_codes_left(store, &m.id).await?.into(),
                    );
                }
            }
            if let (Some(c), Some(o)) = (passkey(&m.id), v.as_object_mut()) {
                o.insert("aaguid".into(), c.aaguid.clone().into());
                o.insert("transports".into(), c.transports.clone().into());
            }
            rows.push(v);
        }
        return ctx.print_json(&rows);
    }
    if list.is_empty() {
        return out(&format!(
            "{} has no authentication method besides the password\n",
            u.upn
        ));
    }
    let mut s = String::new();
    for m in &list {
        s.push_str(&format!(
            "{}\t{}\t{}\tcreated {}\tlast used {}\n",
            m.id,
            m.kind.as_str(),
            m.name,
            when(m.created_at),
            when(m.last_used_at)
        ));
        if let Some(c) = passkey(&m.id) {
            s.pop();
            s.push_str(&format!("\taaguid {}\n", c.aaguid));
        }
    }
    out(&s)
}
