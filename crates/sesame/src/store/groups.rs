//! Queries of the `groups` and `group_members` tables, with transitive membership as
//! recursive CTEs (the same SQL on SQLite and PostgreSQL).

use super::{Store, StoreError, StoreResult};
use crate::model::{AddMember, Group, MemberKind};
use sqlx::any::AnyRow;
use sqlx::Row;

fn group_from_row(r: &AnyRow) -> StoreResult<Group> {
    Ok(Group {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
    })
}

/// Groups that `start` (a group id) is transitively a member of.
const GROUP_ANCESTORS: &str = "WITH RECURSIVE anc(id) AS ( \
       SELECT group_id FROM group_members WHERE member_id = $1 AND member_kind = 'group' \
       UNION \
       SELECT m.group_id FROM group_members m JOIN anc ON m.member_id = anc.id \
         WHERE m.member_kind = 'group' \
     ) SELECT id FROM anc";

impl Store {
    /// The group with this object id.
    pub async fn group_by_id(&self, id: &str) -> StoreResult<Option<Group>> {
        sqlx::query("SELECT id, name, description FROM groups WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(group_from_row)
            .transpose()
    }

    /// The group with this name, compared case-insensitively.
    pub async fn group_by_name(&self, name: &str) -> StoreResult<Option<Group>> {
        sqlx::query("SELECT id, name, description FROM groups WHERE name_lower = $1")
            .bind(name.trim().to_lowercase())
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(group_from_row)
            .transpose()
    }

    /// All groups, by name.
    pub async fn list_groups(&self) -> StoreResult<Vec<Group>> {
        sqlx::query("SELECT id, name, description FROM groups ORDER BY name_lower")
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(group_from_row)
            .collect()
    }

    /// All groups, by name, each with its number of direct members (users and groups),
    /// counted in one query.
    pub async fn list_groups_with_member_counts(&self) -> StoreResult<Vec<(Group, i64)>> {
        sqlx::query(
            "SELECT g.id, g.name, g.description, COUNT(m.member_id) AS members \
             FROM groups g LEFT JOIN group_members m ON m.group_id = g.id \
             GROUP BY g.id, g.name, g.description, g.name_lower ORDER BY g.name_lower",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| Ok((group_from_row(r)?, r.try_get::<i64, _>("members")?)))
        .collect()
    }

    /// Creates a group (unvalidated: use `directory::create_group`). A taken name is
    /// [`StoreError::Conflict`].
    pub async fn create_group(
        &self,
        name: &str,
        description: &str,
        now: i64,
    ) -> StoreResult<Group> {
        let g = Group {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_owned(),
            description: description.to_owned(),
        };
        let mut tx = self.begin_config_write().await?;
        sqlx::query(
            "INSERT INTO groups (id, name, name_lower, description, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&g.id)
        .bind(&g.name)
        .bind(g.name.to_lowercase())
        .bind(&g.description)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(g)
    }

    /// Renames a group or changes its description.
    pub async fn update_group(&self, g: &Group, now: i64) -> StoreResult<()> {
        let mut tx = self.begin_config_write().await?;
        let n = sqlx::query(
            "UPDATE groups SET name = $1, name_lower = $2, description = $3, updated_at = $4 \
             WHERE id = $5",
        )
        .bind(&g.name)
        .bind(g.name.to_lowercase())
        .bind(&g.description)
        .bind(now)
        .bind(&g.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("group {}", g.id)));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a group, its memberships (as a group and as a member) and its app
    /// assignments. False when there was no such group.
    pub async fn delete_group(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.begin_config_write().await?;
        sqlx::query("DELETE FROM group_members WHERE member_id = $1 AND member_kind = 'group'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM app_assignments WHERE principal_id = $1 AND principal_kind = 'group'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM group_members WHERE group_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let n = sqlx::query("DELETE FROM groups WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Adds `member_id` to `group_id`. For a group member, refuses (writing nothing) when
    /// `group_id` is the member itself or already (transitively) a member of it; the check
    /// runs inside the write transaction, so two concurrent additions cannot make a cycle.
    pub async fn add_group_member(
        &self,
        group_id: &str,
        member_id: &str,
        kind: MemberKind,
    ) -> StoreResult<AddMember> {
        let mut tx = self.begin_config_write().await?;
        if kind == MemberKind::Group {
            if member_id == group_id {
                return Ok(AddMember::WouldCycle);
            }
            let ancestors_of_target: Vec<String> = sqlx::query_scalar(GROUP_ANCESTORS)
                .bind(group_id)
                .fetch_all(&mut *tx)
                .await?;
            if ancestors_of_target.iter().any(|a| a == member_id) {
                return Ok(AddMember::WouldCycle);
            }
        }
        let n = sqlx::query(
            "INSERT INTO group_members (group_id, member_id, member_kind) VALUES ($1, $2, $3) \
             ON CONFLICT (group_id, member_id) DO NOTHING",
        )
        .bind(group_id)
        .bind(member_id)
        .bind(kind.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(if n == 0 {
            AddMember::AlreadyMember
        } else {
            AddMember::Added
        })
    }

    /// Removes a member. False when it was not a member.
    pub async fn remove_group_member(&self, group_id: &str, member_id: &str) -> StoreResult<bool> {
        let mut tx = self.begin_config_write().await?;
        let n = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND member_id = $2")
            .bind(group_id)
            .bind(member_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Direct members of a group: (member id, kind).
    pub async fn group_member_ids(&self, group_id: &str) -> StoreResult<Vec<(String, MemberKind)>> {
        let rows = sqlx::query(
            "SELECT member_id, member_kind FROM group_members WHERE group_id = $1 ORDER BY member_id",
        )
        .bind(group_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("member_id")?;
                let kind: String = r.try_get("member_kind")?;
                let kind = match kind.as_str() {
                    "user" => MemberKind::User,
                    "group" => MemberKind::Group,
                    other => {
                        return Err(StoreError::Corrupt(format!(
                            "group_members.member_kind {other:?}"
                        )))
                    }
                };
                Ok((id, kind))
            })
            .collect()
    }

    /// Every group the user belongs to, directly or through nested groups, by name.
    pub async fn user_groups_transitive(&self, user_id: &str) -> StoreResult<Vec<Group>> {
        sqlx::query(
            "WITH RECURSIVE anc(id) AS ( \
               SELECT group_id FROM group_members WHERE member_id = $1 AND member_kind = 'user' \
               UNION \
               SELECT m.group_id FROM group_members m JOIN anc ON m.member_id = anc.id \
                 WHERE m.member_kind = 'group' \
             ) SELECT g.id, g.name, g.description FROM groups g JOIN anc ON g.id = anc.id \
             ORDER BY g.name_lower",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(group_from_row)
        .collect()
    }

    /// How many groups the directory holds.
    pub async fn groups_count(&self) -> StoreResult<usize> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM groups")
            .fetch_one(self.pool())
            .await?;
        Ok(usize::try_from(n).unwrap_or(0))
    }
}
