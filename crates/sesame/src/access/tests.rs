//! Table-driven tests of the evaluation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

use super::eval::*;
use crate::model::{
    GrantControl, NamedLocation, Policy, PolicyState, SignInFrequency, TargetResources,
};

fn policy(name: &str, grant: GrantControl) -> Policy {
    Policy {
        id: format!("id-{name}"),
        name: name.into(),
        all_users: true,
        users: vec![],
        groups: vec![],
        exclude_users: vec![],
        exclude_groups: vec![],
        target: TargetResources::All,
        locations: vec![],
        exclude_locations: vec![],
        grant,
        sign_in_frequency: SignInFrequency::Seconds(4 * 3600),
        state: PolicyState::On,
        created_at: 0,
        updated_at: 0,
    }
}

fn locations() -> Vec<NamedLocation> {
    vec![
        NamedLocation {
            id: "office".into(),
            name: "Office".into(),
            ranges: vec!["203.0.113.0/24".into(), "2001:db8:1::/48".into()],
            trusted: true,
            created_at: 0,
        },
        NamedLocation {
            id: "lab".into(),
            name: "Lab".into(),
            ranges: vec!["198.51.100.0/24".into()],
            trusted: false,
            created_at: 0,
        },
    ]
}

const NOW: i64 = 1_000_000;

struct Case {
    name: &'static str,
    policies: Vec<Policy>,
    user: &'static str,
    groups: &'static [&'static str],
    resource: Resource<'static>,
    ip: &'static str,
    used: &'static [(&'static str, i64)],
    since: i64,
    want: Decision,
    /// Expected results by policy name: "applied" (not satisfied), "satisfied", or
    /// "not-applied".
    results: &'static [(&'static str, &'static str)],
}

fn with(mut p: Policy, f: impl FnOnce(&mut Policy)) -> Policy {
    f(&mut p);
    p
}

fn mfa(name: &str) -> Decision {
    Decision::Mfa {
        policy: name.into(),
    }
}

#[test]
fn evaluation_table() {
    use GrantControl::*;
    let pwd_only: &[(&str, i64)] = &[("pwd", NOW - 10)];
    let with_totp: &[(&str, i64)] = &[("pwd", NOW - 100), ("totp", NOW - 90)];
    let cases = vec![
        Case {
            name: "no policy allows",
            policies: vec![],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "10.0.0.1",
            used: pwd_only,
            since: NOW,
            want: Decision::Allow,
            results: &[],
        },
        Case {
            name: "an included user must do MFA",
            policies: vec![with(policy("P", Mfa), |p| {
                p.all_users = false;
                p.users = vec!["u1".into()];
            })],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "10.0.0.1",
            used: pwd_only,
            since: NOW,
            want: mfa("P"),
            results: &[("P", "applied")],
        },
        Case {
            name: "a user not included is not asked",
            policies: vec![with(policy("P", Mfa), |p| {
                p.all_users = false;
                p.users = vec!["u2".into()];
            })],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "10.0.0.1",
            used: pwd_only,
            since: NOW,
            want: Decision::Allow,
            results: &[("P", "not-applied")],
        },
        Case {
            name: "a member of an included group is asked",
            policies: vec![with(policy("P", Mfa), |p| {
                p.all_users = false;
                p.groups = vec!["g1".into()];
            })],
            user: "u1",
            groups: &["g1"],
            resource: Resource::App("a1"),
            ip: "10.0.0.1",
            used: pwd_only,
            since: NOW,
            want: mfa("P"),
            results: &[("P", "applied")],
        },
        Case {
            name: "an excluded group wins over inclusion",
            policies: vec![with(policy("P", Block), |p| {
                p.exclude_groups = vec!["breakglass".into()];
            })],
            user: "u1",
            groups: &["breakglass"],
            resource: Resource::App("a1"),
            ip: "10.0.0.1",
            used: pwd_only,
            since: NOW,
            want: Decision::Allow,
            results: &[("P", "not-applied")],
        },
        Case {
            name: "an excluded user wins over inclusion",
            policies: vec![with(policy("P", Block), |p| {
                p.exclude_users = vec!["u1".into()];
            })],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "10.0.0.1",
            used: pwd_only,
            since: NOW,
            want: Decision::Allow,
            results: &[("P", "not-applied")],
        },
        Case {
            name: "selected applications only",
            policies: vec![with(policy("P", Mfa), |p| {
                p.target = TargetResources::Apps(vec!["a2".into()]);
            })],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "10.0.0.1",
            used: pwd_only,
            since: NOW,
            want: Decision::Allow,
            results: &[("P", "not-applied")],
        },
        Case {
            name: "the admin portal as target",
            policies: vec![
                with(policy("Portal", Mfa), |p| {
                    p.target = TargetResources::AdminPortal;
                }),
                with(policy("Apps", Block), |p| {
                    p.target = TargetResources::Apps(vec!["a1".into()]);
                }),
            ],
            user: "u1",
            groups: &[],
            resource: Resource::AdminPortal,
            ip: "10.0.0.1",
            used: pwd_only,
            since: NOW,
            want: mfa("Portal"),
            results: &[("Portal", "applied"), ("Apps", "not-applied")],
        },
        Case {
            name: "block outside the office: inside is allowed",
            policies: vec![with(policy("P", Block), |p| {
                p.exclude_locations = vec!["office".into()];
            })],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "203.0.113.50",
            used: pwd_only,
            since: NOW,
            want: Decision::Allow,
            results: &[("P", "not-applied")],
        },
        Case {
            name: "block outside the office: outside is blocked",
            policies: vec![with(policy("P", Block), |p| {
                p.exclude_locations = vec!["office".into()];
            })],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "192.0.2.1",
            used: with_totp,
            since: NOW,
            want: Decision::Block { policy: "P".into() },
            results: &[("P", "applied")],
        },
        Case {
            name: "IPv6 in an included location",
            policies: vec![with(policy("P", Mfa), |p| {
                p.locations = vec!["office".into()];
            })],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "2001:db8:1:5::9",
            used: pwd_only,
            since: NOW,
            want: mfa("P"),
            results: &[("P", "applied")],
        },
        Case {
            name: "IPv6 outside an included location",
            policies: vec![with(policy("P", Mfa), |p| {
                p.locations = vec!["office".into()];
            })],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "2001:db8:2::9",
            used: pwd_only,
            since: NOW,
            want: Decision::Allow,
            results: &[("P", "not-applied")],
        },
        Case {
            name: "report-only is evaluated, never enforced",
            policies: vec![with(policy("P", Block), |p| {
                p.state = PolicyState::ReportOnly;
            })],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "10.0.0.1",
            used: pwd_only,
            since: NOW,
            want: Decision::Allow,
            results: &[("P", "applied")],
        },
        Case {
            name: "off is not evaluated",
            policies: vec![with(policy("P", Block), |p| {
                p.state = PolicyState::Off;
            })],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "10.0.0.1",
            used: pwd_only,
            since: NOW,
            want: Decision::Allow,
            results: &[],
        },
        Case {
            name: "block wins over MFA done",
            policies: vec![policy("M", Mfa), policy("B", Block)],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "10.0.0.1",
            used: with_totp,
            since: NOW,
            want: Decision::Block { policy: "B".into() },
            results: &[("M", "satisfied"), ("B", "applied")],
        },
        Case {
            name: "several policies: every requirement must be met",
            policies: vec![
                policy("M", Mfa),
                with(policy("Strict", Mfa), |p| {
                    p.sign_in_frequency = SignInFrequency::EveryTime;
                }),
            ],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "10.0.0.1",
            used: with_totp,
            since: NOW,
            want: mfa("Strict"),
            results: &[("M", "satisfied"), ("Strict", "applied")],
        },
        Case {
            name: "phishing-resistant needs a passkey, not a code",
            policies: vec![policy("PR", PhishingResistant), policy("M", Mfa)],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "10.0.0.1",
            used: with_totp,
            since: NOW,
            want: Decision::PhishingResistant {
                policy: "PR".into(),
            },
            results: &[("PR", "applied"), ("M", "satisfied")],
        },
        Case {
            name: "a passkey satisfies both MFA and phishing-resistant",
            policies: vec![policy("PR", PhishingResistant), policy("M", Mfa)],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "10.0.0.1",
            used: &[("passkey", NOW - 5)],
            since: NOW,
            want: Decision::Allow,
            results: &[("PR", "satisfied"), ("M", "satisfied")],
        },
        Case {
            name: "sign-in frequency: a code older than 4 hours asks again",
            policies: vec![policy("M", Mfa)],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "10.0.0.1",
            used: &[("pwd", NOW - 5 * 3600), ("totp", NOW - 4 * 3600 - 1)],
            since: NOW,
            want: mfa("M"),
            results: &[("M", "applied")],
        },
        Case {
            name: "sign-in frequency: a code within 4 hours is enough",
            policies: vec![policy("M", Mfa)],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "10.0.0.1",
            used: &[("pwd", NOW - 5 * 3600), ("recovery", NOW - 4 * 3600)],
            since: NOW,
            want: Decision::Allow,
            results: &[("M", "satisfied")],
        },
        Case {
            name: "every time: a code of this sign-in is enough",
            policies: vec![with(policy("M", Mfa), |p| {
                p.sign_in_frequency = SignInFrequency::EveryTime;
            })],
            user: "u1",
            groups: &[],
            resource: Resource::App("a1"),
            ip: "10.0.0.1",
            used: &[("pwd", NOW - 60), ("totp", NOW - 30)],
            since: NOW - 60,
            want: Decision::Allow,
            results: &[("M", "satisfied")],
        },
    ];
    let locs = locations();
    for c in cases {
        let groups: Vec<String> = c.groups.iter().map(|g| (*g).to_owned()).collect();
        let used: Vec<Used> = c
            .used
            .iter()
            .map(|(m, at)| Used {
                method: (*m).to_owned(),
                at: *at,
            })
            .collect();
        let s = Subject {
            user_id: c.user,
            groups: &groups,
            resource: c.resource,
            ip: Some(c.ip.parse().unwrap()),
            now: NOW,
            since: c.since,
            used: &used,
        };
        let e = evaluate(&c.policies, &locs, &s);
        assert_eq!(e.decision, c.want, "{}", c.name);
        let got: Vec<(String, &str)> = e
            .policies
            .iter()
            .map(|r| {
                (
                    r.name.clone(),
                    match r.outcome {
                        Outcome::NotApplied { .. } => "not-applied",
                        Outcome::Satisfied => "satisfied",
                        Outcome::NotSatisfied => "applied",
                    },
                )
            })
            .collect();
        let want: Vec<(String, &str)> = c
            .results
            .iter()
            .map(|(n, r)| ((*n).to_owned(), *r))
            .collect();
        assert_eq!(got, want, "{}", c.name);
    }
}

#[test]
fn reasons_name_the_locations() {
    let p = with(policy("P", GrantControl::Mfa), |p| {
        p.locations = vec!["lab".into()];
    });
    let s = Subject {
        user_id: "u",
        groups: &[],
        resource: Resource::App("a"),
        ip: Some("10.1.1.1".parse().unwrap()),
        now: NOW,
        since: NOW,
        used: &[],
    };
    let e = evaluate(&[p], &locations(), &s);
    assert_eq!(
        e.policies[0].outcome,
        Outcome::NotApplied {
            reason: "the client address is not in Lab".into()
        }
    );
}

#[test]
fn session_methods_parse() {
    assert_eq!(
        session_methods("pwd@5 totp@7 junk bad@x"),
        vec![
            Used {
                method: "pwd".into(),
                at: 5
            },
            Used {
                method: "totp".into(),
                at: 7
            }
        ]
    );
    assert!(session_methods("").is_empty());
}
