//! Tests of the claims engine: expressions, evaluation, NameID and storage.

use super::storage::validate_claim;
use super::*;
use crate::model::{Group, User};
use crate::tenant::MasterKey;
use std::collections::BTreeMap;

fn user() -> User {
    let mut ext = BTreeMap::new();
    ext.insert("extensionattribute3".to_owned(), "ext-three".to_owned());
    User {
        id: "11111111-2222-3333-4444-555555555555".into(),
        upn: "B.Simon@contoso.com".into(),
        display_name: "B. Simon".into(),
        given_name: "B".into(),
        surname: "Simon".into(),
        mail: "B.Simon@Contoso.com".into(),
        department: "Sales".into(),
        job_title: String::new(),
        employee_id: "E-42".into(),
        company_name: "Contoso".into(),
        extension_attributes: ext,
        enabled: true,
        sessions_valid_after: 0,
        password_change_required: false,
        created_at: 0,
        updated_at: 0,
    }
}

fn group(i: usize) -> Group {
    Group {
        id: format!("g-{i:04}"),
        name: format!("Group {i}"),
        description: String::new(),
    }
}

fn ctx<'a>(
    u: &'a User,
    groups: &'a [Group],
    app_groups: &'a [String],
    roles: &'a [String],
    gc: Option<&'a GroupClaims>,
) -> ClaimContext<'a> {
    ClaimContext {
        user: u,
        groups,
        app_groups,
        roles,
        group_claims: gc,
        public_url: "https://sso.example.com/",
        methods: "pwd@1733300000",
    }
}

/// The values of `expr` for the plain test user (no groups, no roles).
fn values(expr: &str) -> Vec<String> {
    let u = user();
    let c = ctx(&u, &[], &[], &[], None);
    let claim = Claim::new("", "x", parse_expression(expr).unwrap());
    evaluate(&c, &[claim])
        .into_iter()
        .next()
        .map(|a| a.values)
        .unwrap_or_default()
}

fn one(expr: &str) -> String {
    let v = values(expr);
    assert!(v.len() <= 1, "{expr}: {v:?}");
    v.into_iter().next().unwrap_or_default()
}

#[test]
fn attributes_parse_case_insensitively_and_print_canonically() {
    for name in SourceAttribute::all_names() {
        let e = parse_expression(&name.to_uppercase()).unwrap();
        assert_eq!(e.to_string(), name);
        assert_eq!(e.kind(), "attribute");
    }
    assert_eq!(one("user.extensionattribute3"), "ext-three");
    assert_eq!(one("user.extensionattribute4"), "");
    assert_eq!(one("user.objectid"), "11111111-2222-3333-4444-555555555555");
    assert_eq!(one("user.employeeid"), "E-42");
    assert_eq!(one("user.department"), "Sales");
    assert_eq!(one("user.companyname"), "Contoso");
    assert_eq!(one("user.displayname"), "B. Simon");
    assert_eq!(one("user.mailnickname"), "B.Simon");
}

#[test]
fn canonical_form_round_trips() {
    for text in [
        "user.mail",
        "\"text with \\\"quotes\\\" and \\\\ backslash\"",
        "ToLowercase(ExtractMailPrefix(user.mail))",
        "Join(user.givenname, \".\", user.surname)",
        "RegexReplace(user.mail, \"@.*$\", \"\")",
        "Contains(user.mail, \"@contoso\", user.employeeid)",
        "StartWith(user.department, \"Sa\", \"sales\", \"other\")",
        "EndWith(ToLowercase(user.mail), \"@contoso.com\", \"yes\")",
        "ToUppercase(Join(user.givenname, \"-\", ToLowercase(user.surname)))",
    ] {
        let e = parse_expression(text).unwrap();
        assert_eq!(e.to_string(), text);
        assert_eq!(parse_expression(&e.to_string()).unwrap(), e);
    }
    // Spacing and function-name case are free; the canonical form is fixed.
    let e = parse_expression("  tolowercase ( user.MAIL )  ").unwrap();
    assert_eq!(e.to_string(), "ToLowercase(user.mail)");
    assert_eq!(e.kind(), "transform");
    assert_eq!(parse_expression("\"x\"").unwrap().kind(), "constant");
}

#[test]
fn serde_uses_the_expression_text() {
    let c = Claim {
        name: "uid".into(),
        namespace: String::new(),
        name_format: NameFormat::Uri,
        source: parse_expression("ToLowercase(user.mail)").unwrap(),
    };
    let j = serde_json::to_value(&c).unwrap();
    assert_eq!(j["source"], "ToLowercase(user.mail)");
    assert_eq!(j["name_format"], "uri");
    let back: Claim = serde_json::from_value(j).unwrap();
    assert_eq!(back, c);
    let bad: Result<Claim, _> =
        serde_json::from_value(serde_json::json!({"name": "x", "source": "user.nope"}));
    assert!(bad.unwrap_err().to_string().contains("user.nope"));
}

#[test]
fn every_transformation() {
    assert_eq!(one("ToLowercase(user.mail)"), "b.simon@contoso.com");
    assert_eq!(one("ToUppercase(user.mail)"), "B.SIMON@CONTOSO.COM");
    assert_eq!(one("ExtractMailPrefix(user.mail)"), "B.Simon");
    assert_eq!(one("ExtractMailPrefix(\"no-at-sign\")"), "no-at-sign");
    assert_eq!(one("ExtractMailPrefix(\"a@b@c.example\")"), "a@b");
    assert_eq!(one("Join(user.givenname, \".\", user.surname)"), "B.Simon");
    assert_eq!(one("Join(user.givenname, \"\", user.surname)"), "BSimon");
    // One side empty: the other alone, without separator; both empty: omitted.
    assert_eq!(one("Join(user.jobtitle, \"/\", user.surname)"), "Simon");
    assert_eq!(one("Join(user.surname, \"/\", user.jobtitle)"), "Simon");
    assert!(values("Join(user.jobtitle, \"/\", user.extensionattribute9)").is_empty());
    assert_eq!(
        one("Contains(user.mail, \"@Contoso\", user.employeeid)"),
        "E-42"
    );
    assert!(values("Contains(user.mail, \"@fabrikam\", user.employeeid)").is_empty());
    assert_eq!(
        one("Contains(user.mail, \"@fabrikam\", user.employeeid, \"none\")"),
        "none"
    );
    // Case-sensitive: chain ToLowercase to ignore case.
    assert!(values("Contains(user.mail, \"@contoso\", \"y\")").is_empty());
    assert_eq!(
        one("Contains(ToLowercase(user.mail), \"@contoso\", \"y\")"),
        "y"
    );
}

#[test]
fn start_end_with_and_regex() {
    assert_eq!(one("StartWith(user.mail, \"B.\", \"starts\")"), "starts");
    assert!(values("StartWith(user.mail, \"Simon\", \"starts\")").is_empty());
    assert_eq!(
        one("StartWith(user.mail, \"Simon\", \"starts\", user.department)"),
        "Sales"
    );
    assert_eq!(
        one("EndWith(user.mail, \".com\", user.userprincipalname)"),
        "B.Simon@contoso.com"
    );
    assert!(values("EndWith(user.mail, \".org\", \"x\")").is_empty());
    assert_eq!(one("RegexReplace(user.mail, \"@.*$\", \"\")"), "B.Simon");
    assert_eq!(
        one("RegexReplace(user.mail, \"^(\\\\w+)\\\\.(\\\\w+)@.*$\", \"$2, $1\")"),
        "Simon, B"
    );
    assert_eq!(
        one("RegexReplace(user.userprincipalname, \"(?P<d>contoso)\", \"${d}-corp\")"),
        "B.Simon@contoso-corp.com"
    );
    // A replacement that empties the value leaves the claim out.
    assert!(values("RegexReplace(user.mail, \".*\", \"\")").is_empty());
}

#[test]
fn chaining() {
    assert_eq!(one("ToLowercase(ExtractMailPrefix(user.mail))"), "b.simon");
    assert_eq!(
        one("ToUppercase(Join(ExtractMailPrefix(user.mail), \"_\", user.department))"),
        "B.SIMON_SALES"
    );
    assert_eq!(
        one("Join(ToLowercase(user.givenname), \".\", RegexReplace(user.surname, \"on$\", \"\"))"),
        "b.Sim"
    );
    assert_eq!(
        one("Contains(ToLowercase(user.mail), \"contoso\", Join(user.givenname, \" \", user.surname))"),
        "B Simon"
    );
}

#[test]
fn parse_errors_name_what_is_wrong_and_what_is_allowed() {
    let e = parse_expression("user.email").unwrap_err();
    assert!(matches!(e, ClaimError::UnknownAttribute { .. }));
    let m = e.to_string();
    assert!(
        m.contains("user.email")
            && m.contains("user.mail")
            && m.contains("user.extensionattribute15"),
        "{m}"
    );
    assert!(matches!(
        parse_expression("mail").unwrap_err(),
        ClaimError::UnknownAttribute { .. }
    ));
    assert!(matches!(
        parse_expression("user.extensionattribute16").unwrap_err(),
        ClaimError::UnknownAttribute { .. }
    ));
    assert!(matches!(
        parse_expression("user.extensionattribute01").unwrap_err(),
        ClaimError::UnknownAttribute { .. }
    ));
    let m = parse_expression("Lowercase(user.mail)")
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("unknown function Lowercase")
            && m.contains("ToLowercase(x)")
            && m.contains("RegexReplace("),
        "{m}"
    );
    let m = parse_expression("Join(user.givenname, user.surname)")
        .unwrap_err()
        .to_string();
    assert!(m.contains("Join takes 3 argument(s), not 2"), "{m}");
    let m = parse_expression("ToLowercase()").unwrap_err().to_string();
    assert!(m.contains("ToLowercase takes 1"), "{m}");
    assert!(matches!(
        parse_expression("Contains(user.mail, \"a\", \"b\", \"c\", \"d\")").unwrap_err(),
        ClaimError::Arity { got: 5, .. }
    ));
    assert!(matches!(
        parse_expression("RegexReplace(user.mail, user.surname, \"\")").unwrap_err(),
        ClaimError::NotConstant { .. }
    ));
    assert!(matches!(
        parse_expression("RegexReplace(user.mail, \"(\", \"\")").unwrap_err(),
        ClaimError::Regex { .. }
    ));
    // Patterns whose compiled program exceeds the size limit are refused.
    let m = parse_expression("RegexReplace(user.mail, \"\\\\w{1000}\\\\w{1000}\", \"\")")
        .unwrap_err()
        .to_string();
    assert!(m.contains("RegexReplace pattern"), "{m}");
    for (text, needle) in [
        ("\"unterminated", "closing"),
        ("\"bad \\n escape\"", "escape"),
        ("user.mail user.surname", "after the expression"),
        ("ToLowercase(user.mail", "expected , or )"),
        ("ToLowercase user.mail", "expected ( after"),
        ("@", "unexpected"),
    ] {
        let m = parse_expression(text).unwrap_err().to_string();
        assert!(m.contains(needle), "{text}: {m}");
    }
    assert_eq!(parse_expression("  ").unwrap_err(), ClaimError::Empty);
    let deep = format!("{}user.mail{}", "ToLowercase(".repeat(40), ")".repeat(40));
    assert_eq!(parse_expression(&deep).unwrap_err(), ClaimError::TooDeep);
    let long = format!("\"{}\"", "a".repeat(MAX_EXPRESSION_LEN));
    assert_eq!(parse_expression(&long).unwrap_err(), ClaimError::TooLong);
}

#[test]
fn values_beyond_the_cap_are_dropped() {
    // Each Join doubles the value: 11 doublings of 8 bytes reach 16 KiB, the cap.
    let mut x = Expr::Constant("abcdefgh".into());
    for _ in 0..11 {
        x = Expr::Call(Box::new(Call::Join {
            left: x.clone(),
            separator: Expr::constant(""),
            right: x,
        }));
    }
    let u = user();
    let c = ctx(&u, &[], &[], &[], None);
    assert_eq!(evaluate_one(&c, &x).len(), 8 * 2048);
    let x2 = Expr::Call(Box::new(Call::Join {
        left: x.clone(),
        separator: Expr::constant(""),
        right: x,
    }));
    assert_eq!(evaluate_one(&c, &x2), "");
}

#[test]
fn full_names() {
    let c = |ns: &str, n: &str| Claim::new(ns, n, Expr::constant("v")).full_name();
    assert_eq!(c("", "uid"), "uid");
    assert_eq!(
        c(DEFAULT_NAMESPACE, "givenname"),
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
    );
    assert_eq!(
        c("http://x.example/claims/", "a"),
        "http://x.example/claims/a"
    );
    assert_eq!(
        c("", "urn:oid:0.9.2342.19200300.100.1.3"),
        "urn:oid:0.9.2342.19200300.100.1.3"
    );
    let claim = Claim::new("http://x.example/claims", "a", Expr::constant("v"));
    assert!(claim.has_full_name("http://x.example/claims/a"));
    assert!(!claim.has_full_name("http://x.example/claimsa"));
    assert!(!claim.has_full_name("http://x.example/claims/ab"));
    assert!(Claim::new("urn:x/", "a", Expr::constant("v")).has_full_name("urn:x/a"));
    assert!(Claim::new("", "uid", Expr::constant("v")).has_full_name("uid"));
}

#[test]
fn default_claims_and_empty_sources_are_left_out() {
    let mut u = user();
    u.given_name.clear();
    let c = ctx(&u, &[], &[], &[], None);
    let attrs = evaluate(&c, &default_claims());
    let names: Vec<&str> = attrs.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        ]
    );
    assert!(attrs.iter().all(|a| a.name_format.is_none()));
    // A constant "" and an absent extension attribute are left out too.
    let claims = [
        Claim::new("", "empty", Expr::constant("")),
        Claim::new(
            "",
            "ext",
            parse_expression("user.extensionattribute15").unwrap(),
        ),
        Claim::new("", "groups", parse_expression("user.groups").unwrap()),
        Claim::new("", "roles", parse_expression("user.assignedroles").unwrap()),
    ];
    assert!(evaluate(&c, &claims).is_empty());
}

#[test]
fn bare_names_and_uri_name_format() {
    let u = user();
    let groups = [group(1), group(2)];
    let c = ctx(&u, &groups, &[], &[], None);
    let mut oid = Claim::new(
        "",
        "urn:oid:0.9.2342.19200300.100.1.3",
        parse_expression("user.mail").unwrap(),
    );
    oid.name_format = NameFormat::Uri;
    let claims = [
        Claim::new("", "uid", parse_expression("user.mail").unwrap()),
        oid,
        Claim::new("", "Groups", parse_expression("user.groups").unwrap()),
    ];
    let attrs = evaluate(&c, &claims);
    assert_eq!(attrs[0].name, "uid");
    assert_eq!(attrs[0].name_format, None);
    assert_eq!(attrs[1].name, "urn:oid:0.9.2342.19200300.100.1.3");
    assert_eq!(
        attrs[1].name_format.as_deref(),
        Some("urn:oasis:names:tc:SAML:2.0:attrname-format:uri")
    );
    assert_eq!(attrs[1].values, ["B.Simon@Contoso.com"]);
    // user.groups: object ids by default, multi-valued.
    assert_eq!(attrs[2].values, ["g-0001", "g-0002"]);
}

#[test]
fn transformations_map_over_multi_valued_sources() {
    let u = user();
    let groups = [group(1), group(2)];
    let gc = GroupClaims::new(GroupScope::All, GroupEmit::Name);
    let c = ctx(&u, &groups, &[], &[], Some(&gc));
    let claims = [Claim::new(
        "",
        "g",
        parse_expression("ToLowercase(RegexReplace(user.groups, \" \", \"-\"))").unwrap(),
    )];
    let attrs = evaluate(&c, &claims);
    assert_eq!(attrs[0].values, ["group-1", "group-2"]);
    // The group claim itself, by name.
    assert_eq!(attrs[1].name, GROUPS_CLAIM);
    assert_eq!(attrs[1].values, ["Group 1", "Group 2"]);
}

#[test]
fn group_claims_scope_and_emit() {
    let u = user();
    let groups: Vec<Group> = (1..=4).map(group).collect();
    let assigned = vec![
        "g-0002".to_owned(),
        "g-0004".to_owned(),
        "g-9999".to_owned(),
    ];
    let mut gc = GroupClaims::new(GroupScope::AssignedToApp, GroupEmit::ObjectId);
    gc.claim_name = "memberOf".into();
    let c = ctx(&u, &groups, &assigned, &[], Some(&gc));
    let attrs = evaluate(&c, &[]);
    assert_eq!(attrs.len(), 1);
    assert_eq!(attrs[0].name, "memberOf");
    assert_eq!(attrs[0].values, ["g-0002", "g-0004"]);
    // No group in scope: no group claim.
    let c = ctx(&u, &groups[..1], &assigned, &[], Some(&gc));
    assert!(evaluate(&c, &[]).is_empty());
    // A configured claim with the group claim's name wins (no duplicate).
    let c = ctx(&u, &groups, &assigned, &[], Some(&gc));
    let claims = [Claim::new("", "memberOf", Expr::constant("x"))];
    let attrs = evaluate(&c, &claims);
    assert_eq!(attrs.len(), 1);
    assert_eq!(attrs[0].values, ["x"]);
}

#[test]
fn overage_beyond_150_groups() {
    let u = user();
    let gc = GroupClaims::new(GroupScope::All, GroupEmit::ObjectId);
    let claims = [
        Claim::new("", "Group", parse_expression("user.groups").unwrap()),
        Claim::new("", "mail", parse_expression("user.mail").unwrap()),
    ];
    // 150: all of them, in the group claim and in the user.groups claim.
    let g150: Vec<Group> = (0..150).map(group).collect();
    let c = ctx(&u, &g150, &[], &[], Some(&gc));
    let attrs = evaluate(&c, &claims);
    assert_eq!(attrs[0].name, "Group");
    assert_eq!(attrs[0].values.len(), 150);
    assert_eq!(attrs[2].name, GROUPS_CLAIM);
    assert_eq!(attrs[2].values.len(), 150);
    assert!(!attrs.iter().any(|a| a.name == GROUPS_LINK_CLAIM));
    // 151: no group values at all; one groups.link to the user's groups.
    let g151: Vec<Group> = (0..151).map(group).collect();
    let c = ctx(&u, &g151, &[], &[], Some(&gc));
    let attrs = evaluate(&c, &claims);
    let names: Vec<&str> = attrs.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["mail", GROUPS_LINK_CLAIM]);
    assert_eq!(
        attrs[1].values,
        ["https://sso.example.com/api/v1/users/11111111-2222-3333-4444-555555555555/groups"]
    );
    // Without group claims configured, user.groups alone overflows the same way.
    let c = ctx(&u, &g151, &[], &[], None);
    let attrs = evaluate(&c, &claims[..1]);
    assert_eq!(attrs.len(), 1);
    assert_eq!(attrs[0].name, GROUPS_LINK_CLAIM);
    // Scope counts: 151 groups of which 3 are assigned is not an overage.
    let assigned: Vec<String> = ["g-0000", "g-0005", "g-0150"].map(String::from).to_vec();
    let scoped = GroupClaims::new(GroupScope::AssignedToApp, GroupEmit::ObjectId);
    let c = ctx(&u, &g151, &assigned, &[], Some(&scoped));
    let attrs = evaluate(&c, &[]);
    assert_eq!(attrs.len(), 1);
    assert_eq!(attrs[0].values, ["g-0000", "g-0005", "g-0150"]);
}

#[test]
fn role_claim() {
    let u = user();
    let roles = vec![
        String::new(),
        "Writer".to_owned(),
        "Admin".to_owned(),
        "Writer".to_owned(),
    ];
    let c = ctx(&u, &[], &[], &roles, None);
    let attrs = evaluate(&c, &[]);
    assert_eq!(attrs.len(), 1);
    assert_eq!(attrs[0].name, ROLE_CLAIM);
    assert_eq!(attrs[0].values, ["Admin", "Writer"]);
    // Default Access only: no role claim.
    let only_default = vec![String::new()];
    let c = ctx(&u, &[], &[], &only_default, None);
    assert!(evaluate(&c, &[]).is_empty());
    // user.assignedroles as a source; a configured role claim replaces the automatic one.
    let c = ctx(&u, &[], &[], &roles, None);
    let claims = [Claim::new(
        "http://schemas.microsoft.com/ws/2008/06/identity/claims",
        "role",
        parse_expression("ToUppercase(user.assignedroles)").unwrap(),
    )];
    let attrs = evaluate(&c, &claims);
    assert_eq!(attrs.len(), 1);
    assert_eq!(attrs[0].values, ["ADMIN", "WRITER"]);
}

#[test]
fn nameid_formats_and_values() {
    for (name, uri) in [
        ("EMAILADDRESS", NAMEID_EMAIL),
        ("persistent", NAMEID_PERSISTENT),
        ("Transient", NAMEID_TRANSIENT),
        ("unspecified", NAMEID_UNSPECIFIED),
        ("windowsdomainqualifiedname", NAMEID_WINDOWS),
    ] {
        let f = NameIdFormat::parse(name).unwrap();
        assert_eq!(f.stored(), uri);
        assert_eq!(NameIdFormat::parse(uri).unwrap(), f);
        assert_eq!(NameIdFormat::parse(f.as_str()).unwrap(), f);
    }
    assert!(NameIdFormat::parse("email")
        .unwrap_err()
        .to_string()
        .contains("windowsDomainQualifiedName"));
    let d = NameIdFormat::Default;
    assert_eq!(d.stored(), "default");
    assert_eq!(
        d.uri_for(&parse_expression("user.mail").unwrap()),
        NAMEID_EMAIL
    );
    assert_eq!(
        d.uri_for(&parse_expression("user.employeeid").unwrap()),
        NAMEID_UNSPECIFIED
    );

    let u = user();
    let c = ctx(&u, &[], &[], &[], None);
    let cfg = NameIdConfig {
        source: parse_expression("ToLowercase(user.mail)").unwrap(),
        format: NameIdFormat::EmailAddress,
    };
    assert_eq!(
        nameid_value(&c, &cfg, NAMEID_EMAIL, None),
        "b.simon@contoso.com"
    );
    // An empty source falls back to the UPN.
    let empty = NameIdConfig {
        source: parse_expression("user.jobtitle").unwrap(),
        format: NameIdFormat::Unspecified,
    };
    assert_eq!(nameid_value(&c, &empty, NAMEID_UNSPECIFIED, None), u.upn);
}

#[test]
fn persistent_is_stable_per_app_and_transient_is_fresh() {
    let u = user();
    let c = ctx(&u, &[], &[], &[], None);
    let cfg = NameIdConfig {
        source: parse_expression("user.userprincipalname").unwrap(),
        format: NameIdFormat::Persistent,
    };
    let master = MasterKey::from_text("a passphrase for the tests").unwrap();
    let a1 = PersistentKey::derive(&master, "tenant-1", "app-1");
    let a1_again = PersistentKey::derive(&master, "tenant-1", "app-1");
    let a2 = PersistentKey::derive(&master, "tenant-1", "app-2");
    let p1 = nameid_value(&c, &cfg, NAMEID_PERSISTENT, Some(&a1));
    assert_eq!(
        p1,
        nameid_value(&c, &cfg, NAMEID_PERSISTENT, Some(&a1_again))
    );
    assert_ne!(p1, nameid_value(&c, &cfg, NAMEID_PERSISTENT, Some(&a2)));
    assert_eq!(p1.len(), 43);
    assert!(!p1.contains(&u.id) && !p1.contains("Simon"));
    assert!(p1
        .chars()
        .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'));
    // Another master key or tenant: other pseudonyms.
    let other = MasterKey::from_text("another passphrase").unwrap();
    assert_ne!(
        p1,
        nameid_value(
            &c,
            &cfg,
            NAMEID_PERSISTENT,
            Some(&PersistentKey::derive(&other, "tenant-1", "app-1"))
        )
    );
    assert_ne!(
        p1,
        nameid_value(
            &c,
            &cfg,
            NAMEID_PERSISTENT,
            Some(&PersistentKey::derive(&master, "tenant-2", "app-1"))
        )
    );
    let t1 = nameid_value(&c, &cfg, NAMEID_TRANSIENT, Some(&a1));
    let t2 = nameid_value(&c, &cfg, NAMEID_TRANSIENT, Some(&a1));
    assert_ne!(t1, t2);
    assert_ne!(t1, p1);
}

#[test]
fn regex_time_is_bounded() {
    // A classic catastrophic-backtracking pattern runs in linear time here.
    let e = parse_expression("RegexReplace(user.mail, \"(a+)+$\", \"x\")").unwrap();
    let mut u = user();
    u.mail = format!("{}!", "a".repeat(10_000));
    let c = ctx(&u, &[], &[], &[], None);
    let t = std::time::Instant::now();
    let v = evaluate_one(&c, &e);
    assert!(t.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(v, u.mail);
}

#[test]
fn claim_validation() {
    let mut c = Claim::new("not a uri", "x", Expr::constant("v"));
    assert!(validate_claim(&mut c).is_err());
    let mut c = Claim::new("schemas/claims", "x", Expr::constant("v"));
    assert!(validate_claim(&mut c)
        .unwrap_err()
        .to_string()
        .contains("is not a URI"));
    let mut c = Claim::new("", " ", Expr::constant("v"));
    assert!(validate_claim(&mut c).is_err());
    let mut c = Claim::new(" urn:x ", " uid ", Expr::constant("v"));
    validate_claim(&mut c).unwrap();
    assert_eq!((c.namespace.as_str(), c.name.as_str()), ("urn:x", "uid"));
    let mut c = Claim::new("http://x.example/claims/", "a", Expr::constant("v"));
    validate_claim(&mut c).unwrap();
    assert_eq!(c.namespace, "http://x.example/claims");
    assert_eq!(c.full_name(), "http://x.example/claims/a");
}

#[test]
fn authentication_methods_follow_the_session() {
    use super::{authentication_methods, AMR_MULTIPLE_AUTHN, AMR_PASSWORD, AUTHN_METHODS_CLAIM};
    assert_eq!(authentication_methods("pwd@1"), [AMR_PASSWORD]);
    for second in ["totp", "recovery"] {
        assert_eq!(
            authentication_methods(&format!("pwd@1 {second}@2")),
            [AMR_PASSWORD, AMR_MULTIPLE_AUTHN]
        );
    }
    assert_eq!(authentication_methods("passkey@5"), [AMR_MULTIPLE_AUTHN]);
    assert!(authentication_methods("").is_empty());
    assert!(authentication_methods("sms@1 garbage").is_empty());

    let u = user();
    let claim = Claim::new(
        "",
        AUTHN_METHODS_CLAIM,
        parse_expression("user.authenticationmethods").unwrap(),
    );
    // The test context signed in with a password.
    let c = ctx(&u, &[], &[], &[], None);
    let attrs = evaluate(&c, std::slice::from_ref(&claim));
    assert_eq!(attrs[0].name, AUTHN_METHODS_CLAIM);
    assert_eq!(attrs[0].values, [AMR_PASSWORD]);
    let mfa = ClaimContext {
        methods: "pwd@1733300000 totp@1733300042",
        ..c
    };
    assert_eq!(
        evaluate(&mfa, std::slice::from_ref(&claim))[0].values,
        [AMR_PASSWORD, AMR_MULTIPLE_AUTHN]
    );
    // Outside a session the claim is left out, like any empty claim.
    let none = ClaimContext { methods: "", ..c };
    assert!(evaluate(&none, &[claim]).is_empty());
    // Functions map it value by value; it cannot be a NameID source.
    let e = parse_expression("ToUppercase(user.authenticationmethods)").unwrap();
    assert!(e.uses_multi_valued());
    assert!(SourceAttribute::AuthenticationMethods.is_multi_valued());
}
