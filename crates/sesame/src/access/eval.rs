//! The evaluation of Conditional Access policies, a pure function: the policies, the
//! named locations, who signs in (user and transitive groups), to what (an application
//! or the admin portal), from where, and what the session has done → each policy's
//! result and the decision. As in Entra: Off policies are skipped, report-only ones are
//! evaluated and reported but never enforced, any Block wins, and every grant
//! requirement must be met.

use crate::model::{
    GrantControl, NamedLocation, Policy, PolicyState, SignInFrequency, TargetResources,
};
use serde::Serialize;
use std::net::IpAddr;

/// Method names a session records: the password, an authenticator app's code, a
/// recovery code, a passkey.
pub const PASSWORD: &str = "pwd";
/// An authenticator app's code.
pub const TOTP: &str = "totp";
/// A recovery code.
pub const RECOVERY: &str = "recovery";
/// A passkey or FIDO2 security key (public-key proof: phishing-resistant).
pub const PASSKEY: &str = "passkey";

/// One authentication method a session used, and when (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Used {
    /// `pwd`, `totp`, `recovery`, `passkey`.
    pub method: String,
    /// When.
    pub at: i64,
}

/// The methods of a session's `methods` column (`pwd@1733300000 totp@1733300042`);
/// malformed entries are skipped.
pub fn session_methods(s: &str) -> Vec<Used> {
    s.split_whitespace()
        .filter_map(|e| {
            let (m, at) = e.split_once('@')?;
            Some(Used {
                method: m.to_owned(),
                at: at.parse().ok()?,
            })
        })
        .collect()
}

/// Whether `method` is a second factor (anything but the password).
pub fn is_second_factor(method: &str) -> bool {
    matches!(method, TOTP | RECOVERY | PASSKEY)
}

/// What a sign-in is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    /// The application with this id.
    App(&'a str),
    /// The Sesame admin portal.
    AdminPortal,
}

/// Everything a decision depends on besides the policies.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The user's object id.
    pub user_id: &'a str,
    /// The ids of the groups the user is (transitively) a member of.
    pub groups: &'a [String],
    /// What the sign-in is for.
    pub resource: Resource<'a>,
    /// The client address (`None`: unknown, in no named location).
    pub ip: Option<IpAddr>,
    /// Now (Unix seconds).
    pub now: i64,
    /// When this sign-in began (Unix seconds): what "every time" counts from.
    pub since: i64,
    /// What the session has done.
    pub used: &'a [Used],
}

/// One policy's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Outcome {
    /// The policy does not apply to this sign-in.
    NotApplied {
        /// Why.
        reason: String,
    },
    /// It applies and what it asks is done.
    Satisfied,
    /// It applies and asks for what is not done yet (or blocks).
    NotSatisfied,
}

/// One policy's result, with its name and state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyResult {
    /// The policy's id.
    pub policy_id: String,
    /// Its name.
    pub name: String,
    /// Its state (`on`, `report-only`; Off policies are not listed).
    pub state: PolicyState,
    /// Its grant control.
    pub grant: GrantControl,
    /// The result.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// What the enforced policies decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum Decision {
    /// No enforced policy stands in the way.
    Allow,
    /// A policy blocks access.
    Block {
        /// The first blocking policy's name.
        policy: String,
    },
    /// A policy requires phishing-resistant MFA (a passkey) not done yet.
    PhishingResistant {
        /// The policy's name.
        policy: String,
    },
    /// A policy requires a second factor not done (within its sign-in frequency).
    Mfa {
        /// The policy's name.
        policy: String,
    },
}

/// The result of an evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// Each On or report-only policy, by name.
    pub policies: Vec<PolicyResult>,
    /// The decision of the On policies.
    pub decision: Decision,
}

impl Evaluation {
    /// The authentication requirement: `multifactor` when an enforced policy that applies
    /// asks for a second factor, else `single-factor`.
    pub fn requirement(&self) -> &'static str {
        let mfa = self.policies.iter().any(|p| {
            p.state == PolicyState::On
                && !matches!(p.outcome, Outcome::NotApplied { .. })
                && p.grant != GrantControl::Block
        });
        if mfa {
            "multifactor"
        } else {
            "single-factor"
        }
    }
}

fn names_of(ids: &[String], locations: &[NamedLocation]) -> String {
    ids.iter()
        .map(|id| {
            locations
                .iter()
                .find(|l| &l.id == id)
                .map_or("(deleted location)", |l| l.name.as_str())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why `p` does not apply to `s`, or `None` when it applies.
fn not_applied(p: &Policy, locations: &[NamedLocation], s: &Subject<'_>) -> Option<String> {
    let in_group = |gs: &[String]| gs.iter().any(|g| s.groups.contains(g));
    let included = p.all_users || p.users.iter().any(|u| u == s.user_id) || in_group(&p.groups);
    if !included {
        return Some("the user is not included".into());
    }
    if p.exclude_users.iter().any(|u| u == s.user_id) {
        return Some("the user is excluded".into());
    }
    if in_group(&p.exclude_groups) {
        return Some("the user is a member of an excluded group".into());
    }
    let targeted = match (&p.target, s.resource) {
        (TargetResources::All, _) => true,
        (TargetResources::Apps(ids), Resource::App(a)) => ids.iter().any(|i| i == a),
        (TargetResources::AdminPortal, Resource::AdminPortal) => true,
        _ => false,
    };
    if !targeted {
        return Some("the application is not a target resource".into());
    }
    let inside = |ids: &[String]| {
        s.ip.is_some_and(|ip| {
            locations
                .iter()
                .any(|l| ids.contains(&l.id) && l.contains(ip))
        })
    };
    if !p.locations.is_empty() && !inside(&p.locations) {
        return Some(format!(
            "the client address is not in {}",
            names_of(&p.locations, locations)
        ));
    }
    if inside(&p.exclude_locations) {
        return Some(format!(
            "the client address is in an excluded location ({})",
            names_of(&p.exclude_locations, locations)
        ));
    }
    None
}

/// Whether what the session did satisfies `p` (which applies).
fn satisfied(p: &Policy, s: &Subject<'_>) -> bool {
    let fresh = |u: &Used| match p.sign_in_frequency {
        SignInFrequency::EveryTime => u.at >= s.since,
        SignInFrequency::Seconds(secs) => u.at >= s.now - secs,
    };
    match p.grant {
        GrantControl::Block => false,
        GrantControl::Mfa => s
            .used
            .iter()
            .any(|u| is_second_factor(&u.method) && fresh(u)),
        GrantControl::PhishingResistant => s.used.iter().any(|u| u.method == PASSKEY && fresh(u)),
    }
}

/// Evaluates `policies` for `s`.
pub fn evaluate(policies: &[Policy], locations: &[NamedLocation], s: &Subject<'_>) -> Evaluation {
    let mut results = Vec::new();
    let (mut block, mut strong, mut mfa) = (None, None, None);
    for p in policies.iter().filter(|p| p.state != PolicyState::Off) {
        let outcome = match not_applied(p, locations, s) {
            Some(reason) => Outcome::NotApplied { reason },
            None if satisfied(p, s) => Outcome::Satisfied,
            None => Outcome::NotSatisfied,
        };
        if p.state == PolicyState::On && outcome == Outcome::NotSatisfied {
            let slot = match p.grant {
                GrantControl::Block => &mut block,
                GrantControl::PhishingResistant => &mut strong,
                GrantControl::Mfa => &mut mfa,
            };
            slot.get_or_insert_with(|| p.name.clone());
        }
        results.push(PolicyResult {
            policy_id: p.id.clone(),
            name: p.name.clone(),
            state: p.state,
            grant: p.grant,
            outcome,
        });
    }
    let decision = if let Some(policy) = block {
        Decision::Block { policy }
    } else if let Some(policy) = strong {
        Decision::PhishingResistant { policy }
    } else if let Some(policy) = mfa {
        Decision::Mfa { policy }
    } else {
        Decision::Allow
    };
    Evaluation {
        policies: results,
        decision,
    }
}
