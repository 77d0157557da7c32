//! Renaming a group and changing its description (the portal's and the API's group page).

use super::{DirectoryError, Group};
use crate::clock::now_unix;
use crate::store::{Store, StoreError};

/// Renames group `group_id` and/or changes its description; `None` keeps a field.
/// Names stay unique case-insensitively.
pub async fn update_group(
    store: &Store,
    group_id: &str,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<Group, DirectoryError> {
    let mut g = store.group_by_id(group_id).await?.ok_or_else(|| {
        DirectoryError::NotFound(format!("no group has the object id {group_id}"))
    })?;
    if let Some(n) = name {
        let n = n.trim();
        super::groups::validate_name(n)?;
        if let Some(other) = store.group_by_name(n).await? {
            if other.id != g.id {
                return Err(DirectoryError::Conflict(format!(
                    "a group named {n} already exists"
                )));
            }
        }
        n.clone_into(&mut g.name);
    }
    if let Some(d) = description {
        if d.chars().count() > 1024 {
            return Err(DirectoryError::Invalid {
                field: "description",
                reason: "is longer than 1024 characters".into(),
            });
        }
        d.clone_into(&mut g.description);
    }
    let name = g.name.clone();
    store
        .update_group(&g, now_unix())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                DirectoryError::Conflict(format!("a group named {name} already exists"))
            }
            other => other.into(),
        })?;
    Ok(g)
}
