//! The layers of the crate, checked against its sources: which top-level module of
//! `src/` may use which ([`ALLOWED`]), and, within each module of the library, that no two
//! files use each other (directly or through others).
//!
//! Every `.rs` file under `src/` is read; comments, strings and character literals are
//! dropped; every path starting with `crate::` (in `use` groups as well), `super::`,
//! `self::` or, in the binary, `sesame::` is resolved to the module it names. A use of
//! a module not listed for the user's module fails the test, naming the file. The binary
//! (`main.rs` and `src/cli/`) counts as the module `cli`; its `crate::` paths stay inside
//! it.
//!
//! Layers, bottom to top:
//!
//! 1. the floor: `clock`, `ids`, `config`, `xmlfmt`, then `model` (the records);
//! 2. `store`, which knows only the floor;
//! 3. the use cases: `directory`, `tenant`, `admin`, `gallery`, `apps`,
//!    `authentication` (how a person proves who they are), `methods` (a user's
//!    authentication methods), `access` (Conditional Access) and `mail` (outbound
//!    email), then `notifications` (scheduled email about applications: `apps` and
//!    `mail`), `selfservice` (a user's own password: setting it, reset links,
//!    invitations) and `sessions` (a user's sessions as they and administrators see them);
//! 4. `sso`, the protocol flows (the sign-in use case in `sso::flow`);
//! 5. `web` and `cli`, the edges, which may use anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and the top-level modules above the floor it may use, downward
/// only. Every module above the floor may also use the whole floor ([`FLOOR`]); inside the
/// floor, `model` may use `clock` and `ids`.
const ALLOWED: &[(&str, &[&str])] = &[
    // The floor.
    ("clock", &[]),
    ("ids", &[]),
    ("config", &[]),
    ("xmlfmt", &[]),
    ("model", &["clock", "ids"]),
    // Storage.
    ("store", &[]),
    // Use cases.
    ("directory", &["store"]),
    ("tenant", &["directory", "store"]),
    ("admin", &["tenant", "directory", "store"]),
    ("gallery", &[]),
    ("apps", &["gallery", "tenant", "directory", "store"]),
    ("authentication", &["mail", "directory", "store"]),
    (
        "methods",
        &[
            "authentication",
            "mail",
            "admin",
            "tenant",
            "directory",
            "store",
        ],
    ),
    ("sessions", &["admin", "tenant", "directory", "store"]),
    ("access", &["admin", "tenant", "directory", "store"]),
    ("mail", &["tenant", "store"]),
    (
        "selfservice",
        &[
            "mail",
            "methods",
            "authentication",
            "admin",
            "tenant",
            "directory",
            "store",
        ],
    ),
    (
        "notifications",
        &["mail", "apps", "gallery", "tenant", "directory", "store"],
    ),
    // The protocol flows.
    (
        "sso",
        &[
            "access",
            "sessions",
            "methods",
            "authentication",
            "apps",
            "gallery",
            "tenant",
            "directory",
            "store",
        ],
    ),
    // The edges.
    (
        "web",
        &[
            "sso",
            "notifications",
            "selfservice",
            "sessions",
            "mail",
            "access",
            "methods",
            "authentication",
            "apps",
            "gallery",
            "admin",
            "tenant",
            "directory",
            "store",
        ],
    ),
    (
        "cli",
        &[
            "web",
            "sso",
            "notifications",
            "selfservice",
            "sessions",
            "mail",
            "access",
            "methods",
            "authentication",
            "apps",
            "gallery",
            "admin",
            "tenant",
            "directory",
            "store",
        ],
    ),
    // The test of this file.
    ("layering", &[]),
];

/// The floor: the modules every module above it may use.
const FLOOR: [&str; 5] = ["model", "clock", "ids", "config", "xmlfmt"];

/// Whether `from` may use `to`: listed for it, or `to` is in the floor and `from` is not.
fn may_use(allowed: &BTreeMap<&str, &[&str]>, from: &str, to: &str) -> bool {
    allowed.get(from).is_some_and(|m| m.contains(&to))
        || (FLOOR.contains(&to) && !FLOOR.contains(&from))
}

/// Top-level modules whose files must not use each other in a cycle.
const ACYCLIC_FILES: &[&str] = &[
    "clock",
    "ids",
    "config",
    "model",
    "store",
    "directory",
    "tenant",
    "admin",
    "gallery",
    "apps",
    "authentication",
    "methods",
    "access",
    "mail",
    "notifications",
    "sso",
    "web",
];

/// One source file: where it is, the module it is, and its code without comments and
/// literals, as tokens.
struct Source {
    /// Relative to `src/`, with `/` separators.
    rel: String,
    /// Module path: `["apps", "claims"]` for `apps/claims/mod.rs`; the binary's files
    /// start with `cli`.
    module: Vec<String>,
    /// True for the binary (`main.rs`, `cli/`).
    binary: bool,
    tokens: Vec<String>,
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The code of `text` without comments, string, byte-string, raw-string and character
/// literals (each literal becomes a space).
fn strip(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < c.len() {
        if ch(&c, i) == '/' && ch(&c, i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch(&c, i) == '/' && ch(&c, i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && ch(&c, i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && ch(&c, i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if (ch(&c, i) == 'r' || (ch(&c, i) == 'b' && ch(&c, i + 1) == 'r'))
            && !c.get(i.wrapping_sub(1)).is_some_and(|p| is_ident(*p))
            && {
                let s = if ch(&c, i) == 'b' { 2 } else { 1 };
                let mut k = s;
                while ch(&c, i + k) == '#' {
                    k += 1;
                }
                ch(&c, i + k) == '"'
            }
        {
            i += if ch(&c, i) == 'b' { 2 } else { 1 };
            let mut hashes = 0;
            while ch(&c, i) == '#' {
                hashes += 1;
                i += 1;
            }
            i += 1;
            loop {
                if i >= c.len() {
                    break;
                }
                if c[i] == '"' && (1..=hashes).all(|k| ch(&c, i + k) == '#') {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
            out.push(' ');
        } else if ch(&c, i) == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else if ch(&c, i) == '\'' {
            // A character literal ('x', '\n', '\u{..}'), or else a lifetime.
            if ch(&c, i + 1) == '\\' {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push(' ');
            } else if ch(&c, i + 2) == '\'' {
                i += 3;
                out.push(' ');
            } else {
                out.push('\'');
                i += 1;
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// The character at `i`, or NUL past the end.
fn ch(c: &[char], i: usize) -> char {
    c.get(i).copied().unwrap_or('\0')
}

fn is_ident(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_'
}

/// Identifiers, `::`, and every other non-blank character as a token of its own.
fn tokens(code: &str) -> Vec<String> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if is_ident(c[i]) {
            let s = i;
            while i < c.len() && is_ident(c[i]) {
                i += 1;
            }
            out.push(c[s..i].iter().collect());
        } else if c[i] == ':' && c.get(i + 1) == Some(&':') {
            out.push("::".to_owned());
            i += 2;
        } else {
            if !c[i].is_whitespace() {
                out.push(c[i].to_string());
            }
            i += 1;
        }
    }
    out
}

fn load() -> Vec<Source> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&src, &mut files);
    files
        .iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let mut module: Vec<String> = rel
                .trim_end_matches(".rs")
                .split('/')
                .map(str::to_owned)
                .collect();
            if module.last().is_some_and(|m| m == "mod" || m == "lib") {
                module.pop();
            }
            let binary = rel == "main.rs" || rel.starts_with("cli/");
            if rel == "main.rs" {
                module = Vec::new();
            }
            let text = std::fs::read_to_string(p).unwrap();
            Source {
                rel,
                module,
                binary,
                tokens: tokens(&strip(&text)),
            }
        })
        .collect()
}

/// The items a file defines by name (functions, types, constants, macros, inline
/// modules), to tell which file a re-exported name comes from.
fn defined(tokens: &[String]) -> BTreeSet<String> {
    const KEYWORDS: &[&str] = &[
        "fn", "struct", "enum", "union", "trait", "type", "const", "static", "mod",
    ];
    let mut names = BTreeSet::new();
    for w in tokens.windows(2) {
        if KEYWORDS.contains(&w[0].as_str()) && w[1].chars().all(is_ident) {
            names.insert(w[1].clone());
        }
    }
    for w in tokens.windows(3) {
        if w[0] == "macro_rules" && w[1] == "!" {
            names.insert(w[2].clone());
        }
    }
    names
}

/// A path a file uses: absolute module path (within the library, or within the binary
/// when `binary`), and whether it sits in a re-export (`pub use`).
struct Use {
    path: Vec<String>,
    binary: bool,
    reexport: bool,
}

/// Reads the path tree starting at `t[i]` (after a `::`) under `prefix`; pushes every
/// full path (a group `{a, b::c}` gives several) and returns the index after it.
fn path_tree(t: &[String], mut i: usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix;
    loop {
        match t.get(i).map(String::as_str) {
            Some("{") => {
                i += 1;
                loop {
                    match t.get(i).map(String::as_str) {
                        Some("}") => return i + 1,
                        Some(",") => i += 1,
                        None => return i,
                        Some(_) => i = path_tree(t, i, path.clone(), out),
                    }
                }
            }
            Some("*") => {
                path.push("*".to_owned());
                out.push(path);
                return i + 1;
            }
            Some(s) if s.chars().all(is_ident) && !s.is_empty() => {
                path.push(s.to_owned());
                i += 1;
                if t.get(i).map(String::as_str) == Some("::") {
                    i += 1;
                } else {
                    out.push(path);
                    return i;
                }
            }
            _ => {
                out.push(path);
                return i;
            }
        }
    }
}

/// Every path `s` uses, resolved to absolute module paths. `files`: the module paths that
/// are files, to resolve a path that starts with a child module of the current one.
fn uses(s: &Source, files: &BTreeSet<Vec<String>>) -> Vec<Use> {
    let t = &s.tokens;
    let mut out = Vec::new();
    // The inline modules (`mod tests { … }`) open at each brace depth.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut pending_mod: Option<String> = None;
    // Whether the current statement is a `pub use`.
    let mut in_pub_use = false;
    let mut i = 0;
    while i < t.len() {
        let tok = t[i].as_str();
        match tok {
            "{" => {
                depth += 1;
                if let Some(m) = pending_mod.take() {
                    inline.push((m, depth));
                }
                i += 1;
                continue;
            }
            "}" => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
                i += 1;
                continue;
            }
            ";" => {
                in_pub_use = false;
                pending_mod = None;
                i += 1;
                continue;
            }
            "mod" => {
                pending_mod = t.get(i + 1).cloned();
                i += 1;
                continue;
            }
            "use" => {
                let prev = if i >= 1 { t[i - 1].as_str() } else { "" };
                in_pub_use = prev == "pub" || prev == ")";
                i += 1;
                continue;
            }
            _ => {}
        }
        let starts_path = t.get(i + 1).map(String::as_str) == Some("::")
            && (i == 0 || t[i - 1] != "::")
            && tok.chars().all(is_ident);
        if !starts_path {
            i += 1;
            continue;
        }
        let mut here: Vec<String> = s.module.clone();
        here.extend(inline.iter().map(|(m, _)| m.clone()));
        let mut binary = s.binary;
        let (base, next) = match tok {
            "crate" => (Vec::new(), i + 2),
            "sesame" if s.binary => {
                binary = false;
                (Vec::new(), i + 2)
            }
            "self" => (here.clone(), i + 2),
            "super" => {
                let mut b = here.clone();
                let mut k = i;
                while t.get(k).map(String::as_str) == Some("super")
                    && t.get(k + 1).map(String::as_str) == Some("::")
                {
                    b.pop();
                    k += 2;
                }
                (b, k)
            }
            child => {
                let mut p = here.clone();
                p.push(child.to_owned());
                if s.binary || !files.contains(&p) {
                    i += 1;
                    continue;
                }
                (here.clone(), i)
            }
        };
        let mut paths = Vec::new();
        i = path_tree(t, next, base, &mut paths);
        for path in paths {
            out.push(Use {
                path,
                binary,
                reexport: in_pub_use,
            });
        }
    }
    out
}

/// The file a library path names: the longest prefix that is a file, or the file below
/// it that defines the next name when that file does not.
fn resolve(
    path: &[String],
    by_module: &BTreeMap<Vec<String>, usize>,
    defs: &[BTreeSet<String>],
    sources: &[Source],
) -> Option<usize> {
    let (n, &file) = (0..=path.len())
        .rev()
        .find_map(|n| by_module.get(&path[..n]).map(|f| (n, f)))?;
    let Some(name) = path.get(n) else {
        return Some(file);
    };
    if name == "*" || defs[file].contains(name) {
        return Some(file);
    }
    let below: Vec<usize> = sources
        .iter()
        .enumerate()
        .filter(|(k, s)| {
            !s.binary && s.module.len() > n && s.module[..n] == path[..n] && defs[*k].contains(name)
        })
        .map(|(k, _)| k)
        .collect();
    match below.as_slice() {
        [one] => Some(*one),
        _ => Some(file),
    }
}

fn top(s: &Source) -> Option<&str> {
    if s.binary {
        return Some("cli");
    }
    s.module.first().map(String::as_str)
}

#[test]
fn top_level_modules_use_only_lower_layers() {
    let sources = load();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let files: BTreeSet<Vec<String>> = sources
        .iter()
        .filter(|s| !s.binary)
        .map(|s| s.module.clone())
        .collect();
    let mut unlisted = Vec::new();
    for s in &sources {
        let Some(from) = top(s) else { continue };
        let Some(may) = allowed.get(from) else {
            unlisted.push(format!("{}: module {from} is not in ALLOWED", s.rel));
            continue;
        };
        for u in uses(s, &files) {
            if u.binary {
                continue;
            }
            let Some(to) = u.path.first().map(String::as_str) else {
                continue;
            };
            if to == from || !allowed.contains_key(to) {
                continue;
            }
            if may_use(&allowed, from, to) {
                continue;
            }
            unlisted.push(format!(
                "{}: {from} uses {} (not allowed: {from} may use {may:?} and the floor {FLOOR:?})",
                s.rel,
                u.path.join("::")
            ));
        }
    }
    assert!(
        unlisted.is_empty(),
        "uses against the layers:\n{}",
        unlisted.join("\n")
    );
}

#[test]
fn allowed_table_has_no_cycle() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    // The table itself must be a hierarchy: a depth-first search finds any cycle.
    fn visit<'a>(
        m: &'a str,
        allowed: &BTreeMap<&'a str, &'a [&'a str]>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if done.contains(m) {
            return;
        }
        assert!(!stack.contains(&m), "cycle in ALLOWED: {stack:?} → {m}");
        stack.push(m);
        for next in allowed.get(m).copied().unwrap_or_default() {
            assert!(
                allowed.contains_key(next),
                "{m} lists unknown module {next}"
            );
            visit(next, allowed, stack, done);
        }
        stack.pop();
        done.insert(m);
    }
    let mut done = BTreeSet::new();
    for m in allowed.keys() {
        visit(m, &allowed, &mut Vec::new(), &mut done);
    }
}

#[test]
fn files_of_the_lower_modules_use_each_other_without_cycles() {
    let sources = load();
    let files: BTreeSet<Vec<String>> = sources
        .iter()
        .filter(|s| !s.binary)
        .map(|s| s.module.clone())
        .collect();
    let by_module: BTreeMap<Vec<String>, usize> = sources
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.binary)
        .map(|(k, s)| (s.module.clone(), k))
        .collect();
    let defs: Vec<BTreeSet<String>> = sources.iter().map(|s| defined(&s.tokens)).collect();
    // Edges between files of the same top-level module. A re-export of names
    // (`pub use a::{B, c}`) is the module's face, not a use of the file it names, and does
    // not count; a glob re-export (`pub use a::*`) does, as the file's code may use
    // every name it brings.
    let mut edges: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (k, s) in sources.iter().enumerate() {
        let Some(from_top) = top(s) else { continue };
        if s.binary || !ACYCLIC_FILES.contains(&from_top) {
            continue;
        }
        for u in uses(s, &files) {
            // A glob re-export also brings every name into the file's own code: it counts.
            let glob = u.path.last().is_some_and(|p| p == "*");
            if u.binary
                || (u.reexport && !glob)
                || u.path.first().map(String::as_str) != Some(from_top)
            {
                continue;
            }
            if let Some(to) = resolve(&u.path, &by_module, &defs, &sources) {
                if to != k {
                    edges.entry(k).or_default().insert(to);
                }
            }
        }
    }
    // Depth-first search for a cycle.
    fn visit(
        f: usize,
        edges: &BTreeMap<usize, BTreeSet<usize>>,
        stack: &mut Vec<usize>,
        done: &mut BTreeSet<usize>,
        found: &mut Vec<Vec<usize>>,
    ) {
        if done.contains(&f) {
            return;
        }
        if let Some(at) = stack.iter().position(|x| *x == f) {
            found.push(stack[at..].to_vec());
            return;
        }
        stack.push(f);
        for next in edges.get(&f).into_iter().flatten() {
            visit(*next, edges, stack, done, found);
        }
        stack.pop();
        done.insert(f);
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for f in edges.keys() {
        visit(*f, &edges, &mut Vec::new(), &mut done, &mut found);
    }
    let cycles: Vec<String> = found
        .iter()
        .map(|c| {
            c.iter()
                .map(|k| sources[*k].rel.as_str())
                .collect::<Vec<_>>()
                .join(" → ")
        })
        .collect();
    assert!(
        cycles.is_empty(),
        "files using each other in a cycle:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_reader_sees_paths_in_groups_and_ignores_literals() {
    let code = r#"
        use crate::{apps, store::{Store, StoreError}};
        // crate::web in a comment
        let s = "crate::sso in a string";
        let c = '"'; let l: &'static str = "";
        mod tests { use super::*; fn f() { super::super::ids::random_id(); } }
    "#;
    let s = Source {
        rel: "x.rs".into(),
        module: vec!["model".into()],
        binary: false,
        tokens: tokens(&strip(code)),
    };
    let files: BTreeSet<Vec<String>> = BTreeSet::new();
    let got: Vec<String> = uses(&s, &files).iter().map(|u| u.path.join("::")).collect();
    assert_eq!(
        got,
        [
            "apps",
            "store::Store",
            "store::StoreError",
            "model::*",
            "ids::random_id"
        ]
    );
}
