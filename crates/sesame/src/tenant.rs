//! The one tenant per installation: its id and public URL (every URL Sesame publishes
//! is built from them), the initial administrator, and the master key that seals the
//! signing keys at rest.

pub use crate::clock::now_unix;
use crate::directory::{self, password, NewUser};
pub use crate::model::tenant::Tenant;
use crate::store::{Store, StoreError};
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Public URL used when none was ever given.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";
/// User principal name of the initial administrator unless SESAME_ADMIN_UPN says otherwise.
pub const DEFAULT_ADMIN_UPN: &str = "admin@sesame.local";
/// The directory role of the initial administrator.
pub const GLOBAL_ADMINISTRATOR: &str = "Global Administrator";
/// File (in the data dir) holding a generated initial administrator password.
pub const INITIAL_ADMIN_PASSWORD_FILE: &str = "initial-admin-password";
/// File (in the data dir) holding the generated master key when no other is configured.
pub const MASTER_KEY_FILE: &str = "master.key";

/// Tenant-level errors.
#[derive(Debug, Error)]
pub enum TenantError {
    /// The public URL given cannot be used.
    #[error("public URL {url:?} {reason}")]
    PublicUrl { url: String, reason: String },
    /// The master key cannot be loaded, or does not open a sealed value.
    #[error("master key: {0}")]
    MasterKey(String),
    /// A file of the data dir cannot be read or written.
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
    /// The initial administrator is refused (SESAME_ADMIN_UPN / SESAME_ADMIN_PASSWORD).
    #[error("initial administrator: {0}")]
    Admin(String),
    /// Storage failure.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks and normalises a public URL: http(s), a host, no query or fragment; trailing
/// slashes removed.
pub fn normalize_public_url(raw: &str) -> Result<String, TenantError> {
    let bad = |reason: &str| TenantError::PublicUrl {
        url: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let u = url::Url::parse(raw.trim()).map_err(|e| {
        bad(&format!(
            "is not an absolute URL ({e}); give it like https://sso.example.com"
        ))
    })?;
    if u.scheme() != "https" && u.scheme() != "http" {
        return Err(bad("must start with https:// (or http:// for local tests)"));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host name"));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(bad("must not have a query (?…) or fragment (#…)"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad("must not contain a user name or password"));
    }
    let s = u.as_str().trim_end_matches('/').to_owned();
    Ok(s)
}

/// Returns the tenant, creating it with its initial administrator when the store is empty
/// (whichever of `serve` and the CLI runs first). A `public_url` different from the stored
/// one replaces it (what `serve --public-url` does); `None` keeps the stored one.
///
/// On creation, prints to stderr who the administrator is and where a generated password
/// was written (`initial-admin-password`, mode 0600, in `data_dir`) — never the password.
pub async fn ensure(
    store: &Store,
    data_dir: &Path,
    public_url: Option<&str>,
) -> Result<Tenant, TenantError> {
    let wanted = public_url.map(normalize_public_url).transpose()?;
    if let Some(t) = store.tenant().await? {
        return match wanted {
            Some(url) if url != t.public_url => {
                store.set_public_url(&url).await?;
                Ok(Tenant {
                    id: t.id,
                    public_url: url,
                })
            }
            _ => Ok(t),
        };
    }
    create(
        store,
        data_dir,
        wanted.as_deref().unwrap_or(DEFAULT_PUBLIC_URL),
    )
    .await
}

async fn create(store: &Store, data_dir: &Path, public_url: &str) -> Result<Tenant, TenantError> {
    let upn = std::env::var("SESAME_ADMIN_UPN")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_ADMIN_UPN.to_owned());
    directory::validate_upn(upn.trim())
        .map_err(|e| TenantError::Admin(format!("SESAME_ADMIN_UPN: {e}")))?;
    let env_password = std::env::var("SESAME_ADMIN_PASSWORD")
        .ok()
        .filter(|s| !s.is_empty());
    let (pw, generated) = match env_password {
        Some(p) => {
            password::check_policy(&p)
                .map_err(|e| TenantError::Admin(format!("SESAME_ADMIN_PASSWORD: {e}")))?;
            (p, false)
        }
        None => (
            password::generate_password().map_err(|e| TenantError::Admin(e.to_string()))?,
            true,
        ),
    };
    let hash = {
        let pw = pw.clone();
        tokio::task::spawn_blocking(move || password::hash_password(&pw))
            .await
            .map_err(|e| TenantError::Admin(format!("password hashing failed: {e}")))?
            .map_err(|e| TenantError::Admin(e.to_string()))?
    };
    let tenant = Tenant {
        id: uuid::Uuid::new_v4().to_string(),
        public_url: public_url.to_owned(),
    };
    // A generated password goes to a temporary file first, renamed into place only
    // when this process won the race to create the tenant.
    let pw_path = data_dir.join(INITIAL_ADMIN_PASSWORD_FILE);
    let tmp_path = data_dir.join(format!(
        ".{INITIAL_ADMIN_PASSWORD_FILE}.{}",
        std::process::id()
    ));
    if generated {
        write_private_file(&tmp_path, format!("{pw}\n").as_bytes(), false)?;
    }
    let now = now_unix();
    let admin = NewUser {
        upn: upn.trim().to_owned(),
        display_name: "Administrator".into(),
        password_hash: Some(hash),
        ..NewUser::default()
    };
    let created = store
        .create_tenant_with_admin(&tenant, &admin, GLOBAL_ADMINISTRATOR, now)
        .await;
    match created {
        Ok(true) => {
            if generated {
                fs::rename(&tmp_path, &pw_path).map_err(|e| file_err(&pw_path, e))?;
                eprintln!(
                    "sesame: created tenant {} and its administrator {}; the generated password is in {} \
                     (mode 0600): sign in, change it, then delete the file",
                    tenant.id,
                    admin.upn,
                    pw_path.display()
                );
            } else {
                eprintln!(
                    "sesame: created tenant {} and its administrator {} with the password from SESAME_ADMIN_PASSWORD",
                    tenant.id, admin.upn
                );
            }
            Ok(tenant)
        }
        Ok(false) => {
            // Another process created the tenant first: use it.
            let _ = fs::remove_file(&tmp_path);
            store
                .tenant()
                .await?
                .ok_or_else(|| StoreError::NotFound("tenant".into()).into())
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp_path);
            Err(e.into())
        }
    }
}

fn file_err(path: &Path, e: std::io::Error) -> TenantError {
    TenantError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Writes `data` to a new file readable by its owner only (mode 0600), creating parent
/// directories. With `create_new`, refuses to replace an existing file.
fn write_private_file(path: &Path, data: &[u8], create_new: bool) -> Result<(), TenantError> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            fs::create_dir_all(parent).map_err(|e| file_err(parent, e))?;
        }
    }
    let mut opts = fs::OpenOptions::new();
    opts.write(true);
    if create_new {
        opts.create_new(true);
    } else {
        opts.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| file_err(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        f.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(|e| file_err(path, e))?;
    }
    f.write_all(data).map_err(|e| file_err(path, e))?;
    f.sync_all().map_err(|e| file_err(path, e))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Master key

/// Additional authenticated data of every sealed value: a sealed key cannot be replayed
/// into another kind of field.
const SEAL_CONTEXT: &[u8] = b"sesame signing key v1";
/// HKDF salt of the secrets derived from the master key.
const DERIVE_SALT: &[u8] = b"sesame derived secrets v1";
/// HKDF salt for passphrase master keys.
const HKDF_SALT: &[u8] = b"sesame master key v1";

/// The master key: AES-256-GCM over keys at rest, and the root of derived secrets
/// ([`MasterKey::derive_key`]). Never printed.
pub struct MasterKey {
    key: LessSafeKey,
    /// HKDF-SHA-256 pseudorandom key for derived secrets.
    derive: aws_lc_rs::hkdf::Prk,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

/// Where the master key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Env,
    File,
}

impl MasterKey {
    /// Loads the master key: SESAME_MASTER_KEY (base64 or hex of 32 bytes, or any
    /// passphrase, stretched with HKDF-SHA-256), else `key_file`, else `master.key` in
    /// `data_dir`, created (mode 0600) on first use. In that last case the second value is
    /// a warning for the operator: production should keep the key elsewhere.
    pub fn load(
        data_dir: &Path,
        key_file: Option<&Path>,
    ) -> Result<(MasterKey, Option<String>), TenantError> {
        if let Ok(v) = std::env::var("SESAME_MASTER_KEY") {
            if !v.trim().is_empty() {
                return Ok((Self::from_secret(&v, Source::Env)?, None));
            }
        }
        if let Some(path) = key_file {
            let text = fs::read_to_string(path).map_err(|e| {
                TenantError::MasterKey(format!(
                    "cannot read --master-key-file {}: {e}",
                    path.display()
                ))
            })?;
            return Ok((Self::from_secret(&text, Source::File)?, None));
        }
        let path: PathBuf = data_dir.join(MASTER_KEY_FILE);
        let warning = format!(
            "the master key that encrypts signing keys is in {} next to the database; \
             in production keep it elsewhere (SESAME_MASTER_KEY or --master-key-file) and out of backups",
            path.display()
        );
        match fs::read_to_string(&path) {
            Ok(text) => Ok((Self::from_secret(&text, Source::File)?, Some(warning))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                aws_lc_rs::rand::fill(&mut bytes).map_err(|_| {
                    TenantError::MasterKey("the system random generator failed".into())
                })?;
                let text = format!("{}\n", B64.encode(bytes));
                match write_private_file(&path, text.as_bytes(), true) {
                    Ok(()) => Ok((Self::from_bytes(&bytes)?, Some(warning))),
                    // Another process created it at the same moment: use theirs.
                    Err(_) if path.exists() => {
                        let text = fs::read_to_string(&path).map_err(|e| file_err(&path, e))?;
                        Ok((Self::from_secret(&text, Source::File)?, Some(warning)))
                    }
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(file_err(&path, e)),
        }
    }

    /// A master key from its text form (base64 or hex of 32 bytes, or a passphrase).
    pub fn from_text(secret: &str) -> Result<MasterKey, TenantError> {
        Self::from_secret(secret, Source::File)
    }

    fn from_secret(secret: &str, source: Source) -> Result<MasterKey, TenantError> {
        let s = secret.trim();
        if s.is_empty() {
            return Err(TenantError::MasterKey(match source {
                Source::Env => "SESAME_MASTER_KEY is empty".into(),
                Source::File => "the master key file is empty".into(),
            }));
        }
        if let Ok(b) = B64.decode(s) {
            if b.len() == 32 {
                return Self::from_bytes(&b);
            }
        }
        if s.len() == 64 {
            if let Ok(b) = hex::decode(s) {
                return Self::from_bytes(&b);
            }
        }
        let salt = aws_lc_rs::hkdf::Salt::new(aws_lc_rs::hkdf::HKDF_SHA256, HKDF_SALT);
        let prk = salt.extract(s.as_bytes());
        let okm = prk
            .expand(&[b"aes-256-gcm"], aws_lc_rs::hkdf::HKDF_SHA256)
            .map_err(|_| TenantError::MasterKey("HKDF expansion failed".into()))?;
        let mut bytes = [0u8; 32];
        okm.fill(&mut bytes)
            .map_err(|_| TenantError::MasterKey("HKDF expansion failed".into()))?;
        Self::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Result<MasterKey, TenantError> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| TenantError::MasterKey("a master key must be 32 bytes".into()))?;
        let derive =
            aws_lc_rs::hkdf::Salt::new(aws_lc_rs::hkdf::HKDF_SHA256, DERIVE_SALT).extract(bytes);
        Ok(MasterKey {
            key: LessSafeKey::new(unbound),
            derive,
        })
    }

    /// A 32-byte secret derived from the master key for `purpose` (HKDF-SHA-256 expand;
    /// independent of the sealing key). The same master key and purpose always give the
    /// same secret: the claims engine keys persistent NameIDs with it.
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        let info = [purpose.as_bytes()];
        // Expanding 32 bytes from HKDF-SHA-256 cannot fail (the limit is 255 × 32).
        if let Ok(okm) = self.derive.expand(&info, aws_lc_rs::hkdf::HKDF_SHA256) {
            let _ = okm.fill(&mut out);
        }
        out
    }

    /// Encrypts `plaintext`: random 12-byte nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, TenantError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce)
            .map_err(|_| TenantError::MasterKey("the system random generator failed".into()))?;
        let mut buf = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(SEAL_CONTEXT),
                &mut buf,
            )
            .map_err(|_| TenantError::MasterKey("encryption failed".into()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + buf.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buf);
        Ok(out)
    }

    /// Encrypts `plaintext` bound to `context` (its additional authenticated data): the
    /// value opens only with [`MasterKey::open_in`] and the same context, so a sealed
    /// secret cannot be moved to another kind of field or another owner.
    pub fn seal_in(&self, context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, TenantError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce)
            .map_err(|_| TenantError::MasterKey("the system random generator failed".into()))?;
        let mut buf = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                &mut buf,
            )
            .map_err(|_| TenantError::MasterKey("encryption failed".into()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + buf.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buf);
        Ok(out)
    }

    /// Decrypts a value made by [`MasterKey::seal_in`] with the same `context`.
    pub fn open_in(&self, context: &[u8], sealed: &[u8]) -> Result<Vec<u8>, TenantError> {
        let wrong = || {
            TenantError::MasterKey(
                "cannot decrypt a stored secret: this is not the master key that encrypted it, \
                 or the value was altered"
                    .into(),
            )
        };
        if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(wrong());
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| wrong())?;
        let mut buf = ct.to_vec();
        let pt = self
            .key
            .open_in_place(nonce, Aad::from(context), &mut buf)
            .map_err(|_| wrong())?;
        Ok(pt.to_vec())
    }

    /// Decrypts a value made by [`MasterKey::seal`]. Fails when the value was sealed with
    /// another master key or altered.
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, TenantError> {
        let wrong = || {
            TenantError::MasterKey(
                "cannot decrypt a stored signing key: this is not the master key that encrypted it \
                 (check SESAME_MASTER_KEY, --master-key-file or master.key in the data dir)"
                    .into(),
            )
        };
        if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(wrong());
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| wrong())?;
        let mut buf = ct.to_vec();
        let pt = self
            .key
            .open_in_place(nonce, Aad::from(SEAL_CONTEXT), &mut buf)
            .map_err(|_| wrong())?;
        Ok(pt.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_have_azure_shapes() {
        let t = Tenant {
            id: "t1".into(),
            public_url: "https://sso.example.com".into(),
        };
        assert_eq!(t.login_url(), "https://sso.example.com/t1/saml2");
        assert_eq!(t.logout_url(), t.login_url());
        assert_eq!(t.idp_identifier(), "https://sso.example.com/t1/");
        assert_eq!(
            t.federation_metadata_url("a"),
            "https://sso.example.com/t1/federationmetadata/2007-06/federationmetadata.xml?appid=a"
        );
        assert_eq!(
            t.launch_url("a"),
            "https://sso.example.com/t1/apps/a/launch"
        );
    }

    #[test]
    fn public_url_normalised() {
        assert_eq!(
            normalize_public_url("https://sso.example.com/").unwrap(),
            "https://sso.example.com"
        );
        assert_eq!(
            normalize_public_url("http://127.0.0.1:8080/idp/").unwrap(),
            "http://127.0.0.1:8080/idp"
        );
        assert!(normalize_public_url("ftp://x").is_err());
        assert!(normalize_public_url("https://x/?a=b").is_err());
        assert!(normalize_public_url("x").is_err());
    }

    #[test]
    fn seal_open_roundtrip_and_wrong_key() {
        let k = MasterKey::from_text("correct horse battery staple").unwrap();
        let sealed = k.seal(b"secret").unwrap();
        assert_ne!(&sealed[NONCE_LEN..], b"secret");
        assert_eq!(k.open(&sealed).unwrap(), b"secret");
        let other = MasterKey::from_text(&"ab".repeat(32)).unwrap();
        assert!(other.open(&sealed).is_err());
        let mut tampered = sealed.clone();
        tampered[NONCE_LEN] ^= 1;
        assert!(k.open(&tampered).is_err());
        // Base64 of 32 bytes and hex of 32 bytes are the same key.
        let b = [7u8; 32];
        let a = MasterKey::from_text(&B64.encode(b)).unwrap();
        let h = MasterKey::from_text(&hex::encode(b)).unwrap();
        assert_eq!(h.open(&a.seal(b"x").unwrap()).unwrap(), b"x");
    }

    #[test]
    fn default_key_file_is_created_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("sesame-mk-{}", uuid::Uuid::new_v4()));
        // SESAME_MASTER_KEY may be set in the environment of a developer: skip then.
        if std::env::var("SESAME_MASTER_KEY").is_ok() {
            return;
        }
        let (k1, w1) = MasterKey::load(&dir, None).unwrap();
        assert!(w1.is_some());
        let (k2, _) = MasterKey::load(&dir, None).unwrap();
        assert_eq!(k2.open(&k1.seal(b"x").unwrap()).unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(dir.join(MASTER_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        fs::remove_dir_all(&dir).ok();
    }
}
