//! The **Authentication methods policy** (Entra's page of that name): which methods a
//! user may register and use — Passkey (FIDO2), Authenticator app, Recovery codes —
//! each enabled for every user or for selected groups, and for passkeys the optional
//! allow-list of authenticator models (AAGUIDs, "Enforce key restrictions"). Stored as
//! one JSON document (`auth_methods_policy`); without one, every method is enabled for
//! every user and any authenticator is accepted. Changes are validated (groups by name,
//! AAGUIDs in the 8-4-4-4-12 form) here, saved and audit-logged by
//! `super::admin::set_policy`; the rest of `crate::methods` asks [`enabled_for`] and
//! [`MethodsPolicy::aaguid_allowed`] before it registers or accepts a method.

use crate::model::MethodKind;
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// The longest AAGUID allow-list accepted.
pub const AAGUIDS_MAX: usize = 100;

/// A method as the policy names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyMethod {
    /// Passkey (FIDO2).
    Passkey,
    /// Authenticator app (TOTP).
    AuthenticatorApp,
    /// Recovery codes.
    RecoveryCodes,
}

impl PolicyMethod {
    /// Every method, in the order the policy lists them.
    pub const ALL: [PolicyMethod; 3] = [
        PolicyMethod::Passkey,
        PolicyMethod::AuthenticatorApp,
        PolicyMethod::RecoveryCodes,
    ];

    /// Its name on the command line and in the API: `passkey`, `authenticator-app`,
    /// `recovery-codes`.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyMethod::Passkey => "passkey",
            PolicyMethod::AuthenticatorApp => "authenticator-app",
            PolicyMethod::RecoveryCodes => "recovery-codes",
        }
    }

    /// The method of a name (`as_str`, case-insensitive).
    pub fn parse(s: &str) -> Option<PolicyMethod> {
        PolicyMethod::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// What the portal calls it.
    pub fn label(self) -> &'static str {
        match self {
            PolicyMethod::Passkey => "Passkey (FIDO2)",
            PolicyMethod::AuthenticatorApp => "Authenticator app",
            PolicyMethod::RecoveryCodes => "Recovery codes",
        }
    }

    /// The kind of the methods it governs.
    pub fn kind(self) -> MethodKind {
        match self {
            PolicyMethod::Passkey => MethodKind::Passkey,
            PolicyMethod::AuthenticatorApp => MethodKind::Totp,
            PolicyMethod::RecoveryCodes => MethodKind::Recovery,
        }
    }
}

/// One method's setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodSetting {
    /// Whether the method may be registered and used.
    pub enabled: bool,
    /// The ids of the groups it is enabled for (transitively); empty: every user.
    #[serde(default)]
    pub groups: Vec<String>,
}

impl Default for MethodSetting {
    fn default() -> Self {
        MethodSetting {
            enabled: true,
            groups: Vec::new(),
        }
    }
}

/// The whole policy, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodsPolicy {
    /// Passkey (FIDO2).
    #[serde(default)]
    pub passkey: MethodSetting,
    /// Authenticator app.
    #[serde(default)]
    pub authenticator_app: MethodSetting,
    /// Recovery codes.
    #[serde(default)]
    pub recovery_codes: MethodSetting,
    /// Passkeys: the AAGUIDs of the authenticator models allowed (lowercase
    /// 8-4-4-4-12); empty: any authenticator.
    #[serde(default)]
    pub aaguids: Vec<String>,
}

impl MethodsPolicy {
    /// The setting of `m`.
    pub fn setting(&self, m: PolicyMethod) -> &MethodSetting {
        match m {
            PolicyMethod::Passkey => &self.passkey,
            PolicyMethod::AuthenticatorApp => &self.authenticator_app,
            PolicyMethod::RecoveryCodes => &self.recovery_codes,
        }
    }

    fn setting_mut(&mut self, m: PolicyMethod) -> &mut MethodSetting {
        match m {
            PolicyMethod::Passkey => &mut self.passkey,
            PolicyMethod::AuthenticatorApp => &mut self.authenticator_app,
            PolicyMethod::RecoveryCodes => &mut self.recovery_codes,
        }
    }

    /// Whether a passkey of the authenticator model `aaguid` may be registered and used.
    pub fn aaguid_allowed(&self, aaguid: &str) -> bool {
        self.aaguids.is_empty()
            || self
                .aaguids
                .iter()
                .any(|a| a.eq_ignore_ascii_case(aaguid.trim()))
    }

    /// What the policy enables for a member of the groups `group_ids`.
    pub fn enabled(&self, group_ids: &[String]) -> Enabled {
        let on = |s: &MethodSetting| {
            s.enabled && (s.groups.is_empty() || s.groups.iter().any(|g| group_ids.contains(g)))
        };
        Enabled {
            passkey: on(&self.passkey),
            totp: on(&self.authenticator_app),
            recovery: on(&self.recovery_codes),
        }
    }
}

/// The methods enabled for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enabled {
    /// Passkeys.
    pub passkey: bool,
    /// Authenticator apps.
    pub totp: bool,
    /// Recovery codes.
    pub recovery: bool,
}

impl Enabled {
    /// Whether methods of `kind` are enabled.
    pub fn allows(self, kind: MethodKind) -> bool {
        match kind {
            MethodKind::Passkey => self.passkey,
            MethodKind::Totp => self.totp,
            MethodKind::Recovery => self.recovery,
        }
    }
}

/// Why a change of the policy was refused.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Something given cannot be used (an unknown method or group, a malformed AAGUID).
    #[error("{0}")]
    Invalid(String),
    /// The store could not answer.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The stored policy, or the defaults.
pub async fn get(store: &Store) -> Result<MethodsPolicy, StoreError> {
    match store.methods_policy().await? {
        None => Ok(MethodsPolicy::default()),
        Some(body) => serde_json::from_str(&body)
            .map_err(|e| StoreError::Corrupt(format!("Authentication methods policy: {e}"))),
    }
}

/// The methods the policy enables for user `user_id`.
pub async fn enabled_for(store: &Store, user_id: &str) -> Result<Enabled, StoreError> {
    let p = get(store).await?;
    let needs_groups = PolicyMethod::ALL
        .iter()
        .any(|m| !p.setting(*m).groups.is_empty());
    let groups: Vec<String> = if needs_groups {
        store
            .user_groups_transitive(user_id)
            .await?
            .into_iter()
            .map(|g| g.id)
            .collect()
    } else {
        Vec::new()
    };
    Ok(p.enabled(&groups))
}

/// An AAGUID as typed, in the lowercase 8-4-4-4-12 form.
pub fn parse_aaguid(s: &str) -> Result<String, PolicyError> {
    let t = s.trim();
    let groups: Vec<&str> = t.split('-').collect();
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    if lens != [8, 4, 4, 4, 12]
        || !groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
    {
        return Err(PolicyError::Invalid(format!(
            "\"{}\" is not an AAGUID: give 32 hexadecimal digits as 8-4-4-4-12, like \
             08987058-cadc-4b81-b6e1-30de50dcbe96 (`sesame user methods UPN` shows each passkey's)",
            t.chars().take(64).collect::<String>()
        )));
    }
    Ok(t.to_ascii_lowercase())
}

/// Who a method is enabled for, as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every user.
    All,
    /// Members of these groups (names or ids).
    Groups(Vec<String>),
}

/// A change of one method's setting; `None`: unchanged.
#[derive(Debug, Clone, Default)]
pub struct SettingChange {
    /// Enable or disable it.
    pub enabled: Option<bool>,
    /// For whom.
    pub target: Option<Target>,
    /// Passkeys only: the allowed AAGUIDs (empty: any authenticator).
    pub aaguids: Option<Vec<String>>,
}

async fn group_ids(store: &Store, names: &[String]) -> Result<Vec<String>, PolicyError> {
    let mut out = Vec::new();
    for n in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let g = match store.group_by_name(n).await? {
            Some(g) => g,
            None => store.group_by_id(n).await?.ok_or_else(|| {
                PolicyError::Invalid(format!(
                    "no group \"{}\" (`sesame group list` lists them)",
                    n.chars().take(128).collect::<String>()
                ))
            })?,
        };
        if !out.contains(&g.id) {
            out.push(g.id);
        }
    }
    if out.is_empty() {
        return Err(PolicyError::Invalid(
            "name at least one group, or \"all\" for every user".into(),
        ));
    }
    Ok(out)
}

/// The policy with `change` made to method `m`, checked (groups resolved, AAGUIDs
/// parsed), not saved.
pub async fn changed(
    store: &Store,
    mut p: MethodsPolicy,
    m: PolicyMethod,
    change: SettingChange,
) -> Result<MethodsPolicy, PolicyError> {
    if let Some(list) = change.aaguids {
        if m != PolicyMethod::Passkey {
            return Err(PolicyError::Invalid(
                "AAGUIDs (key restrictions) apply to passkeys only: use --method passkey".into(),
            ));
        }
        if list.len() > AAGUIDS_MAX {
            return Err(PolicyError::Invalid(format!(
                "at most {AAGUIDS_MAX} AAGUIDs can be allowed"
            )));
        }
        let mut parsed = Vec::new();
        for a in list.iter().filter(|a| !a.trim().is_empty()) {
            let a = parse_aaguid(a)?;
            if !parsed.contains(&a) {
                parsed.push(a);
            }
        }
        p.aaguids = parsed;
    }
    if let Some(t) = change.target {
        p.setting_mut(m).groups = match t {
            Target::All => Vec::new(),
            Target::Groups(names) => group_ids(store, &names).await?,
        };
    }
    if let Some(e) = change.enabled {
        p.setting_mut(m).enabled = e;
    }
    Ok(p)
}

/// The names of the groups `ids` (a deleted group: its id).
pub async fn group_names(store: &Store, ids: &[String]) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(
            store
                .group_by_id(id)
                .await?
                .map_or_else(|| id.clone(), |g| g.name),
        );
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn defaults_enable_everything_for_everyone() {
        let p = MethodsPolicy::default();
        let e = p.enabled(&[]);
        assert!(e.passkey && e.totp && e.recovery);
        assert!(p.aaguid_allowed("00000000-0000-0000-0000-000000000000"));
    }

    #[test]
    fn groups_and_aaguids_restrict() {
        let p = MethodsPolicy {
            authenticator_app: MethodSetting {
                enabled: true,
                groups: vec!["g1".into()],
            },
            recovery_codes: MethodSetting {
                enabled: false,
                groups: Vec::new(),
            },
            aaguids: vec!["08987058-cadc-4b81-b6e1-30de50dcbe96".into()],
            ..MethodsPolicy::default()
        };
        assert!(!p.enabled(&[]).totp);
        assert!(p.enabled(&["g1".into()]).totp);
        assert!(!p.enabled(&["g1".into()]).recovery);
        assert!(p.aaguid_allowed("08987058-CADC-4b81-b6e1-30de50dcbe96"));
        assert!(!p.aaguid_allowed("00000000-0000-0000-0000-000000000000"));
    }

    #[test]
    fn aaguids_are_parsed_strictly() {
        assert_eq!(
            parse_aaguid(" 08987058-CADC-4b81-b6e1-30de50dcbe96 ").unwrap(),
            "08987058-cadc-4b81-b6e1-30de50dcbe96"
        );
        for bad in [
            "",
            "08987058cadc4b81b6e130de50dcbe96",
            "08987058-cadc-4b81-b6e1-30de50dcbe9",
            "g8987058-cadc-4b81-b6e1-30de50dcbe96",
        ] {
            assert!(parse_aaguid(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_round_trip() {
        for m in PolicyMethod::ALL {
            assert_eq!(PolicyMethod::parse(m.as_str()), Some(m));
        }
        assert_eq!(PolicyMethod::parse("sms"), None);
    }
}
