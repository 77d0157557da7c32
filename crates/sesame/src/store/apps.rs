//! Queries of the `apps`, `app_identifiers`, `app_reply_urls`, `app_roles` and
//! `app_assignments` tables. Validation lives in `crate::apps`.

use super::tenant::row_bool;
use super::{Store, StoreError, StoreResult};
use crate::model::{
    App, Assignment, Identifier, MemberKind, ReplyUrl, SamlConfig, StoredCertificate,
};
use sesame_saml::crypto::Certificate;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;

macro_rules! app_columns {
    () => {
        "id, name, gallery_id, enabled, assignment_required, visible, notes, \
     sign_on_url, relay_state, logout_url, sign_mode, signing_alg, require_signed_requests, \
     require_sha256, clock_skew_secs, sp_certs_pem, nameid_source, nameid_format, created_at, \
     updated_at"
    };
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn sp_certs_from_pem(text: &str) -> StoreResult<Vec<Certificate>> {
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    for chunk in text.split_inclusive(END) {
        if chunk.contains("-----BEGIN CERTIFICATE-----") {
            out.push(Certificate::from_pem(chunk).map_err(|e| corrupt("apps.sp_certs_pem", e))?);
        }
    }
    Ok(out)
}

fn sp_certs_to_pem(certs: &[Certificate]) -> String {
    certs
        .iter()
        .map(Certificate::to_pem)
        .collect::<Vec<_>>()
        .join("\n")
}

fn app_from_row(r: &AnyRow) -> StoreResult<App> {
    let sign_mode: String = r.try_get("sign_mode")?;
    let signing_alg: String = r.try_get("signing_alg")?;
    let sp_pem: String = r.try_get("sp_certs_pem")?;
    Ok(App {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        gallery_id: r.try_get("gallery_id")?,
        enabled: row_bool(r, "enabled")?,
        assignment_required: row_bool(r, "assignment_required")?,
        visible: row_bool(r, "visible")?,
        notes: r.try_get("notes")?,
        saml: SamlConfig {
            identifiers: Vec::new(),
            reply_urls: Vec::new(),
            sign_on_url: r.try_get("sign_on_url")?,
            relay_state: r.try_get("relay_state")?,
            logout_url: r.try_get("logout_url")?,
            sign_mode: sign_mode
                .parse()
                .map_err(|e| corrupt("apps.sign_mode", e))?,
            signing_alg: signing_alg
                .parse()
                .map_err(|e| corrupt("apps.signing_alg", e))?,
            require_signed_requests: row_bool(r, "require_signed_requests")?,
            require_sha256: row_bool(r, "require_sha256")?,
            clock_skew_secs: r.try_get("clock_skew_secs")?,
            sp_certificates: sp_certs_from_pem(&sp_pem)?,
            nameid_source: r.try_get("nameid_source")?,
            nameid_format: r.try_get("nameid_format")?,
        },
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn identifier_from_row(r: &AnyRow) -> StoreResult<(String, Identifier)> {
    Ok((
        r.try_get("app_id")?,
        Identifier {
            value: r.try_get("identifier")?,
            is_default: row_bool(r, "is_default")?,
        },
    ))
}

fn reply_url_from_row(r: &AnyRow) -> StoreResult<(String, ReplyUrl)> {
    let idx: Option<i64> = r.try_get("idx")?;
    let index = idx
        .map(u16::try_from)
        .transpose()
        .map_err(|e| corrupt("app_reply_urls.idx", e))?;
    Ok((
        r.try_get("app_id")?,
        ReplyUrl {
            url: r.try_get("url")?,
            index,
            is_default: row_bool(r, "is_default")?,
        },
    ))
}

impl Store {
    async fn load_lists(&self, apps: &mut [App], one: Option<&str>) -> StoreResult<()> {
        let (ids, urls) = match one {
            Some(id) => (
                sqlx::query(
                    "SELECT app_id, identifier, is_default FROM app_identifiers WHERE app_id = $1 \
                     ORDER BY position",
                )
                .bind(id)
                .fetch_all(self.pool())
                .await?,
                sqlx::query(
                    "SELECT app_id, url, idx, is_default FROM app_reply_urls WHERE app_id = $1 \
                     ORDER BY position",
                )
                .bind(id)
                .fetch_all(self.pool())
                .await?,
            ),
            None => (
                sqlx::query(
                    "SELECT app_id, identifier, is_default FROM app_identifiers \
                     ORDER BY app_id, position",
                )
                .fetch_all(self.pool())
                .await?,
                sqlx::query(
                    "SELECT app_id, url, idx, is_default FROM app_reply_urls \
                     ORDER BY app_id, position",
                )
                .fetch_all(self.pool())
                .await?,
            ),
        };
        let pos: HashMap<String, usize> = apps
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.clone(), i))
            .collect();
        for r in &ids {
            let (app_id, ident) = identifier_from_row(r)?;
            if let Some(&i) = pos.get(&app_id) {
                apps[i].saml.identifiers.push(ident);
            }
        }
        for r in &urls {
            let (app_id, url) = reply_url_from_row(r)?;
            if let Some(&i) = pos.get(&app_id) {
                apps[i].saml.reply_urls.push(url);
            }
        }
        Ok(())
    }

    /// The application with this id.
    pub async fn app_by_id(&self, id: &str) -> StoreResult<Option<App>> {
        let Some(row) = sqlx::query(concat!(
            "SELECT ",
            app_columns!(),
            " FROM apps WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        else {
            return Ok(None);
        };
        let mut apps = [app_from_row(&row)?];
        self.load_lists(&mut apps, Some(id)).await?;
        let [app] = apps;
        Ok(Some(app))
    }

    /// The application one of whose Identifiers is exactly `identifier` (the Issuer of
    /// an AuthnRequest).
    pub async fn app_by_identifier(&self, identifier: &str) -> StoreResult<Option<App>> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT app_id FROM app_identifiers WHERE identifier = $1")
                .bind(identifier)
                .fetch_optional(self.pool())
                .await?;
        match id {
            Some(id) => self.app_by_id(&id).await,
            None => Ok(None),
        }
    }

    /// Every application, by name.
    pub async fn list_apps(&self) -> StoreResult<Vec<App>> {
        let mut apps = sqlx::query(concat!(
            "SELECT ",
            app_columns!(),
            " FROM apps ORDER BY name, id"
        ))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(app_from_row)
        .collect::<StoreResult<Vec<App>>>()?;
        self.load_lists(&mut apps, None).await?;
        Ok(apps)
    }

    async fn write_lists(tx: &mut Transaction<'static, Any>, app: &App) -> StoreResult<()> {
        sqlx::query("DELETE FROM app_identifiers WHERE app_id = $1")
            .bind(&app.id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM app_reply_urls WHERE app_id = $1")
            .bind(&app.id)
            .execute(&mut **tx)
            .await?;
        for (pos, i) in app.saml.identifiers.iter().enumerate() {
            sqlx::query(
                "INSERT INTO app_identifiers (app_id, identifier, is_default, position) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(&app.id)
            .bind(&i.value)
            .bind(i.is_default)
            .bind(i64::try_from(pos).unwrap_or(i64::MAX))
            .execute(&mut **tx)
            .await?;
        }
        for (pos, r) in app.saml.reply_urls.iter().enumerate() {
            sqlx::query(
                "INSERT INTO app_reply_urls (app_id, url, idx, is_default, position) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&app.id)
            .bind(&r.url)
            .bind(r.index.map(i64::from))
            .bind(r.is_default)
            .bind(i64::try_from(pos).unwrap_or(i64::MAX))
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Creates an application with its first certificate, in one transaction. A taken
    /// Identifier is [`StoreError::Conflict`].
    pub async fn insert_app(&self, app: &App, cert: &StoredCertificate) -> StoreResult<()> {
        let s = &app.saml;
        let mut tx = self.begin_config_write().await?;
        sqlx::query(
            "INSERT INTO apps (id, name, gallery_id, enabled, assignment_required, visible, notes, \
             sign_on_url, relay_state, logout_url, sign_mode, signing_alg, require_signed_requests, \
             require_sha256, clock_skew_secs, sp_certs_pem, nameid_source, nameid_format, \
             created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20)",
        )
        .bind(&app.id)
        .bind(&app.name)
        .bind(app.gallery_id.as_deref())
        .bind(app.enabled)
        .bind(app.assignment_required)
        .bind(app.visible)
        .bind(&app.notes)
        .bind(s.sign_on_url.as_deref())
        .bind(s.relay_state.as_deref())
        .bind(s.logout_url.as_deref())
        .bind(s.sign_mode.as_str())
        .bind(s.signing_alg.as_str())
        .bind(s.require_signed_requests)
        .bind(s.require_sha256)
        .bind(s.clock_skew_secs)
        .bind(sp_certs_to_pem(&s.sp_certificates))
        .bind(&s.nameid_source)
        .bind(&s.nameid_format)
        .bind(app.created_at)
        .bind(app.updated_at)
        .execute(&mut *tx)
        .await?;
        Self::write_lists(&mut tx, app).await?;
        Self::insert_default_claims(&mut tx, &app.id).await?;
        Self::insert_app_certificate(&mut tx, cert).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes every field of `app` (by id), replacing its Identifiers and Reply URLs.
    pub async fn save_app(&self, app: &App) -> StoreResult<()> {
        let s = &app.saml;
        let mut tx = self.begin_config_write().await?;
        let n = sqlx::query(
            "UPDATE apps SET name = $1, gallery_id = $2, enabled = $3, assignment_required = $4, \
             visible = $5, notes = $6, sign_on_url = $7, relay_state = $8, logout_url = $9, \
             sign_mode = $10, signing_alg = $11, require_signed_requests = $12, \
             require_sha256 = $13, clock_skew_secs = $14, sp_certs_pem = $15, \
             nameid_source = $16, nameid_format = $17, updated_at = $18 WHERE id = $19",
        )
        .bind(&app.name)
        .bind(app.gallery_id.as_deref())
        .bind(app.enabled)
        .bind(app.assignment_required)
        .bind(app.visible)
        .bind(&app.notes)
        .bind(s.sign_on_url.as_deref())
        .bind(s.relay_state.as_deref())
        .bind(s.logout_url.as_deref())
        .bind(s.sign_mode.as_str())
        .bind(s.signing_alg.as_str())
        .bind(s.require_signed_requests)
        .bind(s.require_sha256)
        .bind(s.clock_skew_secs)
        .bind(sp_certs_to_pem(&s.sp_certificates))
        .bind(&s.nameid_source)
        .bind(&s.nameid_format)
        .bind(app.updated_at)
        .bind(&app.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "no application has the id {}",
                app.id
            )));
        }
        Self::write_lists(&mut tx, app).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes an application and everything that belongs to it. False when there was
    /// no such app.
    pub async fn delete_app(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.begin_config_write().await?;
        for sql in [
            "DELETE FROM app_identifiers WHERE app_id = $1",
            "DELETE FROM app_reply_urls WHERE app_id = $1",
            "DELETE FROM app_roles WHERE app_id = $1",
            "DELETE FROM app_assignments WHERE app_id = $1",
            "DELETE FROM app_certificates WHERE app_id = $1",
            "DELETE FROM app_claims WHERE app_id = $1",
            "DELETE FROM app_group_claims WHERE app_id = $1",
            "DELETE FROM cert_expiry_notices WHERE app_id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(&mut *tx).await?;
        }
        let n = sqlx::query("DELETE FROM apps WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// The app's roles, by name.
    pub async fn app_roles(&self, app_id: &str) -> StoreResult<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT name FROM app_roles WHERE app_id = $1 ORDER BY name")
                .bind(app_id)
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// Adds an app role (no-op when it exists).
    pub async fn add_app_role(&self, app_id: &str, role: &str) -> StoreResult<()> {
        let mut tx = self.begin_config_write().await?;
        sqlx::query(
            "INSERT INTO app_roles (app_id, name) VALUES ($1, $2) \
             ON CONFLICT (app_id, name) DO NOTHING",
        )
        .bind(app_id)
        .bind(role)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes an app role. False when there was none.
    pub async fn remove_app_role(&self, app_id: &str, role: &str) -> StoreResult<bool> {
        let mut tx = self.begin_config_write().await?;
        let n = sqlx::query("DELETE FROM app_roles WHERE app_id = $1 AND name = $2")
            .bind(app_id)
            .bind(role)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Assigns a principal with `role` (`""` = Default Access); no-op when it exists.
    pub async fn assign(
        &self,
        app_id: &str,
        principal_id: &str,
        kind: MemberKind,
        role: &str,
    ) -> StoreResult<()> {
        let mut tx = self.begin_config_write().await?;
        sqlx::query(
            "INSERT INTO app_assignments (app_id, principal_id, principal_kind, role) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (app_id, principal_id, role) DO NOTHING",
        )
        .bind(app_id)
        .bind(principal_id)
        .bind(kind.as_str())
        .bind(role)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a principal's assignments (only `role`'s when given). Returns how many.
    pub async fn unassign(
        &self,
        app_id: &str,
        principal_id: &str,
        role: Option<&str>,
    ) -> StoreResult<u64> {
        let mut tx = self.begin_config_write().await?;
        let n = match role {
            Some(r) => sqlx::query(
                "DELETE FROM app_assignments WHERE app_id = $1 AND principal_id = $2 AND role = $3",
            )
            .bind(app_id)
            .bind(principal_id)
            .bind(r)
            .execute(&mut *tx)
            .await?,
            None => {
                sqlx::query("DELETE FROM app_assignments WHERE app_id = $1 AND principal_id = $2")
                    .bind(app_id)
                    .bind(principal_id)
                    .execute(&mut *tx)
                    .await?
            }
        }
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// The app's assignment rows.
    pub async fn app_assignments(&self, app_id: &str) -> StoreResult<Vec<Assignment>> {
        let rows = sqlx::query(
            "SELECT principal_id, principal_kind, role FROM app_assignments WHERE app_id = $1",
        )
        .bind(app_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("principal_kind")?;
                Ok(Assignment {
                    principal_id: r.try_get("principal_id")?,
                    principal_kind: match kind.as_str() {
                        "user" => MemberKind::User,
                        "group" => MemberKind::Group,
                        other => return Err(corrupt("app_assignments.principal_kind", other)),
                    },
                    role: r.try_get("role")?,
                })
            })
            .collect()
    }

    /// The roles (`""` = Default Access) the user holds on the app, directly or through
    /// groups (nested ones included), sorted and deduplicated; empty when not assigned.
    pub async fn user_assignment_roles(
        &self,
        app_id: &str,
        user_id: &str,
    ) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "WITH RECURSIVE anc(id) AS ( \
               SELECT group_id FROM group_members WHERE member_id = $1 AND member_kind = 'user' \
               UNION \
               SELECT m.group_id FROM group_members m JOIN anc ON m.member_id = anc.id \
                 WHERE m.member_kind = 'group' \
             ) SELECT DISTINCT role FROM app_assignments WHERE app_id = $2 AND ( \
               (principal_kind = 'user' AND principal_id = $1) OR \
               (principal_kind = 'group' AND principal_id IN (SELECT id FROM anc))) \
             ORDER BY role",
        )
        .bind(user_id)
        .bind(app_id)
        .fetch_all(self.pool())
        .await?)
    }
}
