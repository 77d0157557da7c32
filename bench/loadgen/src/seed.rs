//! The bench-only bulk loader: users and groups straight into a stopped server's SQLite
//! store (the schema of crates/sesame/migrations/sqlite), in batched transactions, every
//! user with one precomputed Argon2id hash (the demo user's: hashing a million passwords
//! would take hours and measure nothing the hot path does).

use anyhow::{anyhow, Context, Result};
use rusqlite::{params, Connection};
use std::time::Instant;

/// What to load.
#[derive(Debug, Clone)]
pub struct Plan {
    pub db: String,
    pub users: u64,
    pub groups: u64,
    /// The user (an existing UPN) put in `member_groups` groups.
    pub member: String,
    pub member_groups: u64,
    pub batch: u64,
}

/// Loads the plan; returns a one-line summary.
pub fn run(p: &Plan) -> Result<String> {
    let t0 = Instant::now();
    let mut c = Connection::open(&p.db).with_context(|| format!("opening {}", p.db))?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    // A bench database: durability of the load itself does not matter.
    c.pragma_update(None, "synchronous", "OFF")?;
    c.pragma_update(None, "cache_size", -262_144)?;
    let (member_id, hash): (String, String) = c
        .query_row(
            "SELECT id, password_hash FROM users WHERE upn_lower = ?1",
            params![p.member.to_lowercase()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| anyhow!("user {} not found in {}: {e}", p.member, p.db))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;

    // Groups first (users are spread over them).
    let mut group_ids = Vec::with_capacity(p.groups as usize);
    {
        let tx = c.transaction()?;
        {
            let mut st = tx.prepare(
                "INSERT INTO groups (id, name, name_lower, description, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, '', ?4, ?4)",
            )?;
            for i in 0..p.groups {
                let id = uuid::Uuid::new_v4().to_string();
                let name = format!("Bench Group {i:05}");
                st.execute(params![id, name, name.to_lowercase(), now])?;
                group_ids.push(id);
            }
        }
        tx.commit()?;
    }

    // Users, each a member of one group, in batches.
    let mut done = 0u64;
    while done < p.users {
        let end = (done + p.batch).min(p.users);
        let tx = c.transaction()?;
        {
            let mut su = tx.prepare(
                "INSERT INTO users (id, upn, upn_lower, display_name, given_name, surname, mail, \
                 department, enabled, password_hash, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, 'Bench', ?5, ?2, ?6, 1, ?7, ?8, ?8)",
            )?;
            let mut sm = tx.prepare(
                "INSERT INTO group_members (group_id, member_id, member_kind) VALUES (?1, ?2, 'user')",
            )?;
            for i in done..end {
                let id = uuid::Uuid::new_v4().to_string();
                let upn = format!("user{i:07}@bench.example.com");
                let surname = format!("User{i:07}");
                st_user(&mut su, &id, &upn, &surname, &hash, now, i)?;
                if !group_ids.is_empty() {
                    let g = &group_ids[(i % group_ids.len() as u64) as usize];
                    sm.execute(params![g, id])?;
                }
            }
        }
        tx.commit()?;
        done = end;
    }

    // The member user in the first `member_groups` groups (by name, whether created now
    // or by an earlier load: `--users 0 --groups 0` only adds the memberships).
    {
        let member_of: Vec<String> = {
            let mut st = c.prepare("SELECT id FROM groups ORDER BY name_lower LIMIT ?1")?;
            let rows = st.query_map(params![p.member_groups as i64], |r| r.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let tx = c.transaction()?;
        {
            let mut sm = tx.prepare(
                "INSERT INTO group_members (group_id, member_id, member_kind) VALUES (?1, ?2, 'user') \
                 ON CONFLICT DO NOTHING",
            )?;
            for g in &member_of {
                sm.execute(params![g, member_id])?;
            }
        }
        tx.commit()?;
    }
    c.execute_batch("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);")?;
    let users: i64 = c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
    let groups: i64 = c.query_row("SELECT COUNT(*) FROM groups", [], |r| r.get(0))?;
    let member_of: i64 = c.query_row(
        "SELECT COUNT(*) FROM group_members WHERE member_id = ?1",
        params![member_id],
        |r| r.get(0),
    )?;
    Ok(format!(
        "seeded in {:.1}s: {users} users, {groups} groups, {} in {member_of} groups",
        t0.elapsed().as_secs_f64(),
        p.member
    ))
}

fn st_user(
    st: &mut rusqlite::Statement<'_>,
    id: &str,
    upn: &str,
    surname: &str,
    hash: &str,
    now: i64,
    i: u64,
) -> Result<()> {
    let display = format!("Bench {surname}");
    let dept = format!("Department {}", i % 97);
    st.execute(params![
        id,
        upn,
        upn.to_lowercase(),
        display,
        surname,
        dept,
        hash,
        now
    ])?;
    Ok(())
}
