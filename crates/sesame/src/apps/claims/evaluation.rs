//! Evaluation of claims for the SSO hot path: a claim context (user, groups, roles,
//! group-claim settings) and the SAML attributes the claims of an app produce.

use crate::model::claims::*;
use crate::model::{Group, User};
use sesame_saml::messages::response::Attribute;
use std::borrow::Cow;

/// What evaluation reads: the user, their groups (transitive), the groups assigned to the
/// app, the app roles the user holds, the app's group-claim settings and the public URL
/// (for the groups.link claim), and the methods of the session signing in (for
/// `user.authenticationmethods`).
#[derive(Debug, Clone, Copy)]
pub struct ClaimContext<'a> {
    /// The user.
    pub user: &'a User,
    /// The user's groups, transitively (empty when not loaded: not needed).
    pub groups: &'a [Group],
    /// Object ids of the groups assigned to the application.
    pub app_groups: &'a [String],
    /// The app roles the user holds (`""`, Default Access, is ignored).
    pub roles: &'a [String],
    /// The app's group-claim settings.
    pub group_claims: Option<&'a GroupClaims>,
    /// The tenant's public URL (no trailing slash).
    pub public_url: &'a str,
    /// The methods the session used, as the session records them
    /// (`pwd@1733300000 totp@1733300042`); empty outside a session.
    pub methods: &'a str,
}

/// Entra's claim for how the user signed in.
pub const AUTHN_METHODS_CLAIM: &str = "http://schemas.microsoft.com/claims/authnmethodsreferences";
/// `user.authenticationmethods`' value for a password.
pub const AMR_PASSWORD: &str =
    "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password";
/// `user.authenticationmethods`' value once two factors were used (a code after the
/// password) or a passkey (possession and user verification in one proof).
pub const AMR_MULTIPLE_AUTHN: &str = "http://schemas.microsoft.com/claims/multipleauthn";

/// The `user.authenticationmethods` values of a session's `methods` record, in Entra's
/// order (password, then multipleauthn); unknown entries are ignored.
pub fn authentication_methods(methods: &str) -> Vec<&'static str> {
    let (mut password, mut multiple) = (false, false);
    for entry in methods.split_whitespace() {
        match entry.split_once('@').map_or(entry, |(m, _)| m) {
            "pwd" => password = true,
            "totp" | "recovery" | "passkey" => multiple = true,
            _ => {}
        }
    }
    let mut v = Vec::with_capacity(2);
    if password {
        v.push(AMR_PASSWORD);
    }
    if multiple {
        v.push(AMR_MULTIPLE_AUTHN);
    }
    v
}

/// Values of an expression: borrowed from the context when possible.
#[derive(Debug)]
pub(super) enum Vals<'a> {
    One(Cow<'a, str>),
    Many(Vec<Cow<'a, str>>),
}

impl<'a> Vals<'a> {
    const EMPTY: Vals<'static> = Vals::Many(Vec::new());

    fn first(&self) -> &str {
        match self {
            Vals::One(v) => v,
            Vals::Many(v) => v.first().map_or("", |s| s),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Vals::One(v) => v.is_empty(),
            Vals::Many(v) => v.iter().all(|s| s.is_empty()),
        }
    }

    fn any(&self, mut f: impl FnMut(&str) -> bool) -> bool {
        match self {
            Vals::One(v) => f(v),
            Vals::Many(v) => v.iter().any(|s| f(s)),
        }
    }

    fn map(self, mut f: impl FnMut(Cow<'a, str>) -> Cow<'a, str>) -> Vals<'a> {
        let capped = |v: Cow<'a, str>| -> Option<Cow<'a, str>> {
            (v.len() <= MAX_VALUE_LEN && !v.is_empty()).then_some(v)
        };
        match self {
            Vals::One(v) => capped(f(v)).map_or(Vals::EMPTY, Vals::One),
            Vals::Many(v) => Vals::Many(v.into_iter().filter_map(|s| capped(f(s))).collect()),
        }
    }

    fn into_strings(self) -> Vec<String> {
        match self {
            Vals::One(v) if v.is_empty() => Vec::new(),
            Vals::One(v) => vec![v.into_owned()],
            Vals::Many(v) => v
                .into_iter()
                .filter(|s| !s.is_empty())
                .map(Cow::into_owned)
                .collect(),
        }
    }
}

pub(super) struct Env<'a> {
    ctx: &'a ClaimContext<'a>,
    /// The groups `user.groups` yields, or `None` past [`MAX_GROUPS`] (overage).
    groups: Option<Vec<&'a str>>,
}

pub(super) fn str_attr<'a>(s: &'a str) -> Vals<'a> {
    if s.is_empty() {
        Vals::EMPTY
    } else {
        Vals::One(Cow::Borrowed(s))
    }
}

pub(super) fn eval<'a>(e: &'a Expr, env: &Env<'a>) -> Vals<'a> {
    let u = env.ctx.user;
    match e {
        Expr::Constant(s) => str_attr(s),
        Expr::Attribute(a) => match a {
            SourceAttribute::UserPrincipalName => str_attr(&u.upn),
            SourceAttribute::Mail => str_attr(&u.mail),
            SourceAttribute::GivenName => str_attr(&u.given_name),
            SourceAttribute::Surname => str_attr(&u.surname),
            SourceAttribute::DisplayName => str_attr(&u.display_name),
            SourceAttribute::ObjectId => str_attr(&u.id),
            SourceAttribute::EmployeeId => str_attr(&u.employee_id),
            SourceAttribute::Department => str_attr(&u.department),
            SourceAttribute::JobTitle => str_attr(&u.job_title),
            SourceAttribute::CompanyName => str_attr(&u.company_name),
            SourceAttribute::MailNickname => {
                str_attr(u.upn.rsplit_once('@').map_or(u.upn.as_str(), |(p, _)| p))
            }
            SourceAttribute::ExtensionAttribute(i) => u
                .extension_attributes
                .get(&format!("extensionattribute{i}"))
                .map_or(Vals::EMPTY, |v| str_attr(v)),
            SourceAttribute::Groups => match &env.groups {
                Some(g) => Vals::Many(g.iter().map(|s| Cow::Borrowed(*s)).collect()),
                None => Vals::EMPTY,
            },
            SourceAttribute::AuthenticationMethods => Vals::Many(
                authentication_methods(env.ctx.methods)
                    .into_iter()
                    .map(Cow::Borrowed)
                    .collect(),
            ),
            SourceAttribute::AssignedRoles => Vals::Many(
                named_roles(env.ctx.roles)
                    .into_iter()
                    .map(Cow::Borrowed)
                    .collect(),
            ),
        },
        Expr::Call(c) => eval_call(c, env),
    }
}

pub(super) fn eval_call<'a>(c: &'a Call, env: &Env<'a>) -> Vals<'a> {
    match c {
        Call::ToLowercase(x) => eval(x, env).map(|v| {
            if v.chars().any(|c| c.is_uppercase()) {
                Cow::Owned(v.to_lowercase())
            } else {
                v
            }
        }),
        Call::ToUppercase(x) => eval(x, env).map(|v| {
            if v.chars().any(|c| c.is_lowercase()) {
                Cow::Owned(v.to_uppercase())
            } else {
                v
            }
        }),
        Call::ExtractMailPrefix(x) => eval(x, env).map(|v| match v.rfind('@') {
            None => v,
            Some(i) => match v {
                Cow::Borrowed(s) => Cow::Borrowed(&s[..i]),
                Cow::Owned(mut s) => {
                    s.truncate(i);
                    Cow::Owned(s)
                }
            },
        }),
        Call::Join {
            left,
            separator,
            right,
        } => {
            let sep = eval(separator, env);
            let r = eval(right, env);
            let l = eval(left, env);
            let (sep, r) = (sep.first(), r.first());
            if l.is_empty() {
                return if r.is_empty() {
                    Vals::EMPTY
                } else {
                    Vals::One(Cow::Owned(r.to_owned()))
                };
            }
            l.map(|v| {
                if r.is_empty() {
                    v
                } else {
                    let mut s = String::with_capacity(v.len() + sep.len() + r.len());
                    s.push_str(&v);
                    s.push_str(sep);
                    s.push_str(r);
                    Cow::Owned(s)
                }
            })
        }
        Call::Contains(c) => condition(c, env, |v, needle| v.contains(needle)),
        Call::StartWith(c) => condition(c, env, |v, p| v.starts_with(p)),
        Call::EndWith(c) => condition(c, env, |v, s| v.ends_with(s)),
        Call::RegexReplace {
            input,
            pattern,
            replacement,
        } => eval(input, env).map(|v| match v {
            Cow::Borrowed(s) => pattern.regex.replace_all(s, replacement.as_str()),
            Cow::Owned(s) => Cow::Owned(
                pattern
                    .regex
                    .replace_all(&s, replacement.as_str())
                    .into_owned(),
            ),
        }),
    }
}

pub(super) fn condition<'a>(
    c: &'a Condition,
    env: &Env<'a>,
    test: fn(&str, &str) -> bool,
) -> Vals<'a> {
    let value = eval(&c.value, env);
    let needle = value.first();
    let holds = eval(&c.input, env).any(|v| !v.is_empty() && test(v, needle));
    if holds {
        eval(&c.output, env)
    } else if let Some(o) = &c.otherwise {
        eval(o, env)
    } else {
        Vals::EMPTY
    }
}

pub(super) fn named_roles(roles: &[String]) -> Vec<&str> {
    let mut v: Vec<&str> = roles
        .iter()
        .map(String::as_str)
        .filter(|r| !r.is_empty())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The groups the context's settings select, as ids or names; `None` past
/// [`MAX_GROUPS`].
pub(super) fn scoped_groups<'a>(ctx: &'a ClaimContext<'a>) -> Option<Vec<&'a str>> {
    let (scope, emit) = ctx
        .group_claims
        .map_or((GroupScope::All, GroupEmit::ObjectId), |g| {
            (g.scope, g.emit)
        });
    let v: Vec<&str> = ctx
        .groups
        .iter()
        .filter(|g| scope == GroupScope::All || ctx.app_groups.contains(&g.id))
        .map(|g| match emit {
            GroupEmit::ObjectId => g.id.as_str(),
            GroupEmit::Name => g.name.as_str(),
        })
        .collect();
    (v.len() <= MAX_GROUPS).then_some(v)
}

/// The value of the groups.link claim for `ctx`'s user.
pub fn groups_link(ctx: &ClaimContext<'_>) -> String {
    format!(
        "{}/api/v1/users/{}/groups",
        ctx.public_url.trim_end_matches('/'),
        ctx.user.id
    )
}

/// Evaluates `claims` for `ctx`, then adds the group claim (when on) and the role claim
/// (when the user holds a named app role), unless a configured claim has the same name.
/// A claim whose value is empty is left out. Past [`MAX_GROUPS`] groups, every group-
/// carrying claim is replaced by one [`GROUPS_LINK_CLAIM`] pointing at the user's groups.
pub fn evaluate(ctx: &ClaimContext<'_>, claims: &[Claim]) -> Vec<Attribute> {
    let needs_groups = ctx.group_claims.is_some()
        || claims
            .iter()
            .any(|c| c.source.uses(SourceAttribute::Groups));
    let env = Env {
        ctx,
        groups: if needs_groups {
            scoped_groups(ctx)
        } else {
            Some(Vec::new())
        },
    };
    let overage = env.groups.is_none();
    let mut link = false;
    let mut out: Vec<Attribute> = Vec::with_capacity(claims.len() + 2);
    for c in claims {
        if overage && c.source.uses(SourceAttribute::Groups) {
            link = true;
            continue;
        }
        let values = eval(&c.source, &env).into_strings();
        if values.is_empty() {
            continue;
        }
        out.push(Attribute {
            name: c.full_name(),
            name_format: c.name_format.uri().map(str::to_owned),
            friendly_name: None,
            values,
        });
    }
    if let Some(gc) = ctx.group_claims {
        if !out.iter().any(|a| a.name == gc.claim_name) {
            match &env.groups {
                None => link = true,
                Some(g) if !g.is_empty() => out.push(Attribute::new(
                    gc.claim_name.clone(),
                    g.iter().map(|s| (*s).to_owned()).collect(),
                )),
                Some(_) => {}
            }
        }
    }
    if link {
        out.push(Attribute::new(GROUPS_LINK_CLAIM, vec![groups_link(ctx)]));
    }
    let roles = named_roles(ctx.roles);
    if !roles.is_empty() && !claims.iter().any(|c| c.has_full_name(ROLE_CLAIM)) {
        out.push(Attribute::new(
            ROLE_CLAIM,
            roles.into_iter().map(str::to_owned).collect(),
        ));
    }
    out
}

/// The first value of `expr` for `ctx` (empty when none).
pub fn evaluate_one(ctx: &ClaimContext<'_>, expr: &Expr) -> String {
    let env = Env {
        ctx,
        groups: if expr.uses(SourceAttribute::Groups) {
            scoped_groups(ctx)
        } else {
            Some(Vec::new())
        },
    };
    eval(expr, &env).first().to_owned()
}
