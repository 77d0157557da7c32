//! Where email goes: the SMTP server of `SESAME_SMTP_URL` / `--smtp-url` and the sender of
//! `SESAME_MAIL_FROM` / `--mail-from`, or, without an SMTP server, `.eml` files in
//! `<data dir>/mail/`. When the flags name no SMTP server, one set in the portal
//! (Settings → Email) is used: stored with its password sealed by the master key
//! ([`stored_smtp`], [`set_stored_smtp`]). The URL's password is never shown:
//! [`SmtpSettings::redacted`].

use super::error::MailError;
use crate::store::{Store, StoreError};
use crate::tenant::MasterKey;
use std::path::{Path, PathBuf};

/// The setting key of the organisation's name (the From display name and the signature of
/// every message).
pub const ORGANIZATION_NAME_KEY: &str = "organization_name";
/// The setting key of the SMTP server set in the portal: hex of the sealed
/// [`StoredSmtp`] JSON.
pub const SMTP_SETTING_KEY: &str = "mail_smtp_sealed";
/// What the sealed SMTP setting is bound to (AES-GCM associated data).
const SMTP_SEAL_CONTEXT: &[u8] = b"sesame mail smtp v1";

/// The organisation's name when none is set.
pub const DEFAULT_ORGANIZATION_NAME: &str = "Sesame";
/// The sender when `SESAME_MAIL_FROM` is not set (folder mode only: an SMTP server needs
/// a real one).
pub const DEFAULT_FOLDER_FROM: &str = "sesame@localhost";

/// The mail flags of `sesame serve` and `sesame mail`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MailFlags {
    /// SMTP server: smtps://USER:PASSWORD@HOST:465 (implicit TLS),
    /// smtp://HOST:587?starttls=required (or starttls=opportunistic), smtp://HOST:25?starttls=off
    /// (plain, internal relays); add tls-ca=PATH to trust a private CA's PEM
    /// [default: none — messages are written to DATA_DIR/mail/*.eml].
    #[arg(
        long,
        env = "SESAME_SMTP_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,
    /// The sender of every message: sesame@example.com or "Contoso <sesame@example.com>"
    /// [required with --smtp-url].
    #[arg(long, env = "SESAME_MAIL_FROM", value_name = "ADDRESS")]
    pub mail_from: Option<String>,
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// TLS from the first byte (`smtps://`, port 465).
    Implicit,
    /// STARTTLS, and refuse a server without it (`starttls=required`).
    StartTlsRequired,
    /// STARTTLS when the server offers it (`starttls=opportunistic`, the default of
    /// `smtp://`).
    StartTlsOpportunistic,
    /// No TLS (`starttls=off`): tests and relays on the same host or network.
    Plain,
}

impl TlsMode {
    /// How the settings page and `sesame mail log` name it.
    pub fn describe(self) -> &'static str {
        match self {
            TlsMode::Implicit => "implicit TLS",
            TlsMode::StartTlsRequired => "STARTTLS (required)",
            TlsMode::StartTlsOpportunistic => "STARTTLS when offered",
            TlsMode::Plain => "none (plain SMTP)",
        }
    }
}

/// A parsed SMTP URL.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// The server's host name (also the name its certificate must carry).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The TLS mode.
    pub tls: TlsMode,
    /// The AUTH user, when set.
    pub user: Option<String>,
    /// The AUTH password, when set. Never printed.
    pub password: Option<String>,
    /// A PEM file of certificates to trust besides the system's (`tls-ca=`).
    pub ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl SmtpSettings {
    /// Parses `smtps://…` or `smtp://…`.
    pub fn parse(raw: &str) -> Result<SmtpSettings, MailError> {
        let bad = |reason: String| {
            MailError::Config(format!(
                "SESAME_SMTP_URL {}: {reason}",
                crate::store::redact_url(raw)
            ))
        };
        let url = url::Url::parse(raw.trim()).map_err(|e| bad(e.to_string()))?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host".into()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let mut starttls = None;
        let mut ca_file = None;
        for (k, v) in url.query_pairs() {
            match k.as_ref() {
                "starttls" => starttls = Some(v.into_owned()),
                "tls-ca" | "tls_ca" => ca_file = Some(PathBuf::from(v.as_ref())),
                other => {
                    return Err(bad(format!(
                        "unknown option {other:?} (known: starttls=required|opportunistic|off, tls-ca=PATH)"
                    )))
                }
            }
        }
        let (tls, default_port) = match url.scheme() {
            "smtps" => {
                if starttls.is_some() {
                    return Err(bad(
                        "smtps:// is implicit TLS: starttls= does not apply".into()
                    ));
                }
                (TlsMode::Implicit, 465)
            }
            "smtp" => {
                let mode = match starttls.as_deref() {
                    None | Some("opportunistic") => TlsMode::StartTlsOpportunistic,
                    Some("required") => TlsMode::StartTlsRequired,
                    Some("off") => TlsMode::Plain,
                    Some(o) => {
                        return Err(bad(format!(
                            "starttls={o}: give required, opportunistic or off"
                        )))
                    }
                };
                (mode, 587)
            }
            s => return Err(bad(format!("scheme {s}: give smtps:// or smtp://"))),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| bad("the user or password is not UTF-8 once decoded".into()))
        };
        let user = match url.username() {
            "" => None,
            u => Some(decode(u)?),
        };
        let password = url.password().map(decode).transpose()?;
        if password.is_some() && user.is_none() {
            return Err(bad("a password without a user".into()));
        }
        Ok(SmtpSettings {
            host,
            port: url.port().unwrap_or(default_port),
            tls,
            user,
            password,
            ca_file,
        })
    }

    /// The URL with the password replaced by `***`: what logs and pages show.
    pub fn redacted(&self) -> String {
        let scheme = if self.tls == TlsMode::Implicit {
            "smtps"
        } else {
            "smtp"
        };
        let auth = match (&self.user, &self.password) {
            (Some(u), Some(_)) => format!("{u}:***@"),
            (Some(u), None) => format!("{u}@"),
            _ => String::new(),
        };
        let mut q = Vec::new();
        match self.tls {
            TlsMode::StartTlsRequired => q.push("starttls=required".to_owned()),
            TlsMode::Plain => q.push("starttls=off".to_owned()),
            TlsMode::StartTlsOpportunistic | TlsMode::Implicit => {}
        }
        if let Some(ca) = &self.ca_file {
            q.push(format!("tls-ca={}", ca.display()));
        }
        let q = if q.is_empty() {
            String::new()
        } else {
            format!("?{}", q.join("&"))
        };
        format!("{scheme}://{auth}{}:{}{q}", self.host, self.port)
    }
}

/// Where email goes, resolved from the flags (or the portal's stored setting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// True when the SMTP server comes from `SESAME_SMTP_URL` / `--smtp-url`: the
    /// portal's setting is then not used.
    pub set_by_flags: bool,
    /// The SMTP server, or `None`: the mail folder.
    pub smtp: Option<SmtpSettings>,
    /// The sender as configured (`SESAME_MAIL_FROM`).
    pub from: String,
    /// The folder of `.eml` files when there is no SMTP server: `<data dir>/mail`.
    pub folder: PathBuf,
}

impl MailConfig {
    /// Resolves the flags. With an SMTP server, `--mail-from` is required.
    pub fn resolve(flags: &MailFlags, data_dir: &Path) -> Result<MailConfig, MailError> {
        let smtp = flags
            .smtp_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .map(SmtpSettings::parse)
            .transpose()?;
        let from = match flags.mail_from.as_deref().filter(|f| !f.trim().is_empty()) {
            Some(f) => f.trim().to_owned(),
            None if smtp.is_none() => DEFAULT_FOLDER_FROM.to_owned(),
            None => {
                return Err(MailError::Config(
                    "SESAME_SMTP_URL is set but SESAME_MAIL_FROM is not: set the sender (--mail-from sesame@example.com)".into(),
                ))
            }
        };
        super::message::parse_from(&from)?;
        Ok(MailConfig {
            set_by_flags: smtp.is_some(),
            smtp,
            from,
            folder: data_dir.join("mail"),
        })
    }

    /// One line for logs and pages, the password redacted.
    pub fn describe(&self) -> String {
        match &self.smtp {
            Some(s) => format!(
                "SMTP {} ({}), from {}",
                s.redacted(),
                s.tls.describe(),
                self.from
            ),
            None => format!(
                "no SMTP server: messages are written to {}",
                self.folder.display()
            ),
        }
    }
}

impl MailConfig {
    /// The configuration in force: the flags' SMTP server when they name one, else the
    /// portal's `stored` one, else the mail folder.
    pub fn with_stored(&self, stored: Option<&StoredSmtp>) -> Result<MailConfig, MailError> {
        match stored {
            Some(st) if !self.set_by_flags => {
                let smtp = SmtpSettings::parse(&st.url)?;
                super::message::parse_from(&st.from)?;
                Ok(MailConfig {
                    set_by_flags: false,
                    smtp: Some(smtp),
                    from: st.from.clone(),
                    folder: self.folder.clone(),
                })
            }
            _ => Ok(self.clone()),
        }
    }
}

/// An SMTP server set in the portal: the URL (with its password) and the sender.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredSmtp {
    /// `smtps://…` or `smtp://…`, as `SESAME_SMTP_URL`.
    pub url: String,
    /// The sender, as `SESAME_MAIL_FROM`.
    pub from: String,
}

impl StoredSmtp {
    /// Checks it the way `sesame serve` checks its flags.
    pub fn check(&self) -> Result<(), MailError> {
        SmtpSettings::parse(&self.url)?;
        super::message::parse_from(&self.from)?;
        Ok(())
    }
}

impl std::fmt::Debug for StoredSmtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} from {}",
            crate::store::redact_url(&self.url),
            self.from
        )
    }
}

/// The raw stored SMTP setting (sealed), to tell whether it changed.
pub async fn stored_smtp_raw(store: &Store) -> Result<Option<String>, StoreError> {
    Ok(store
        .setting(SMTP_SETTING_KEY)
        .await?
        .filter(|v| !v.is_empty()))
}

/// Opens the raw stored setting.
pub fn open_stored_smtp(master: &MasterKey, raw: &str) -> Result<StoredSmtp, MailError> {
    let sealed = hex::decode(raw.trim())
        .map_err(|_| MailError::Config("the stored SMTP setting is not hex".into()))?;
    let json = master
        .open_in(SMTP_SEAL_CONTEXT, &sealed)
        .map_err(|e| MailError::Config(format!("the stored SMTP setting: {e}")))?;
    serde_json::from_slice(&json)
        .map_err(|e| MailError::Config(format!("the stored SMTP setting: {e}")))
}

/// The SMTP server set in the portal, if any.
pub async fn stored_smtp(
    store: &Store,
    master: &MasterKey,
) -> Result<Option<StoredSmtp>, MailError> {
    match stored_smtp_raw(store).await? {
        Some(raw) => Ok(Some(open_stored_smtp(master, &raw)?)),
        None => Ok(None),
    }
}

/// Stores (sealed with the master key) the portal's SMTP server, after checking it the
/// way `sesame serve` checks its flags; `None` removes it (back to the mail folder).
pub async fn set_stored_smtp(
    store: &Store,
    master: &MasterKey,
    smtp: Option<&StoredSmtp>,
) -> Result<(), MailError> {
    let value = match smtp {
        None => String::new(),
        Some(st) => {
            st.check()?;
            let json = serde_json::to_vec(st)
                .map_err(|e| MailError::Config(format!("the SMTP setting: {e}")))?;
            let sealed = master
                .seal_in(SMTP_SEAL_CONTEXT, &json)
                .map_err(|e| MailError::Config(format!("cannot seal the SMTP setting: {e}")))?;
            hex::encode(sealed)
        }
    };
    store.set_setting(SMTP_SETTING_KEY, &value).await?;
    Ok(())
}

/// The organisation's name: the setting, else "Sesame".
pub async fn organization_name(store: &Store) -> Result<String, StoreError> {
    Ok(store
        .setting(ORGANIZATION_NAME_KEY)
        .await?
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_ORGANIZATION_NAME.to_owned()))
}

/// The longest organisation name accepted, characters.
pub const MAX_ORGANIZATION_NAME: usize = 100;

/// Sets the organisation's name (empty: back to "Sesame"); returns the name in force.
/// One line, at most [`MAX_ORGANIZATION_NAME`] characters.
pub async fn set_organization_name(store: &Store, name: &str) -> Result<String, MailError> {
    let name = name.trim();
    super::message::check_header_value("the organisation's name", name)?;
    if name.chars().count() > MAX_ORGANIZATION_NAME {
        return Err(MailError::Invalid {
            what: "the organisation's name",
            value: name.to_owned(),
            reason: format!("longer than {MAX_ORGANIZATION_NAME} characters"),
        });
    }
    store.set_setting(ORGANIZATION_NAME_KEY, name).await?;
    Ok(organization_name(store).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms_and_redacts_the_password() {
        let s = SmtpSettings::parse("smtps://ops%40contoso.com:p%40ss@mail.contoso.com").unwrap();
        assert_eq!(s.tls, TlsMode::Implicit);
        assert_eq!(s.port, 465);
        assert_eq!(s.user.as_deref(), Some("ops@contoso.com"));
        assert_eq!(s.password.as_deref(), Some("p@ss"));
        assert!(!s.redacted().contains("p@ss"));
        assert!(!format!("{s:?}").contains("p@ss"));
        let s =
            SmtpSettings::parse("smtp://mail:587?starttls=required&tls-ca=/tmp/ca.pem").unwrap();
        assert_eq!(s.tls, TlsMode::StartTlsRequired);
        assert_eq!(s.ca_file.as_deref(), Some(Path::new("/tmp/ca.pem")));
        let s = SmtpSettings::parse("smtp://127.0.0.1:25?starttls=off").unwrap();
        assert_eq!((s.tls, s.port, s.user), (TlsMode::Plain, 25, None));
        assert!(SmtpSettings::parse("http://mail").is_err());
        assert!(SmtpSettings::parse("smtp://mail?starttls=maybe").is_err());
        assert!(SmtpSettings::parse("smtp://mail?color=red").is_err());
        assert!(SmtpSettings::parse("smtps://mail?starttls=off").is_err());
        let e = SmtpSettings::parse("smtps://u:secret@/")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("secret"), "{e}");
    }

    #[test]
    fn the_flags_win_over_the_portal_setting() {
        let dir = Path::new("/data");
        let stored = StoredSmtp {
            url: "smtp://portal.contoso.com:587?starttls=required".into(),
            from: "portal@contoso.com".into(),
        };
        let folder = MailConfig::resolve(&MailFlags::default(), dir).unwrap();
        let c = folder.with_stored(Some(&stored)).unwrap();
        assert_eq!(c.smtp.unwrap().host, "portal.contoso.com");
        assert_eq!(c.from, "portal@contoso.com");
        assert_eq!(folder.with_stored(None).unwrap(), folder);
        let flags = MailConfig::resolve(
            &MailFlags {
                smtp_url: Some("smtps://flags.contoso.com".into()),
                mail_from: Some("flags@contoso.com".into()),
            },
            dir,
        )
        .unwrap();
        assert!(flags.set_by_flags);
        assert_eq!(flags.with_stored(Some(&stored)).unwrap(), flags);
    }

    #[test]
    fn smtp_needs_a_sender() {
        let dir = Path::new("/data");
        let f = MailFlags {
            smtp_url: Some("smtp://mail:25".into()),
            mail_from: None,
        };
        assert!(MailConfig::resolve(&f, dir).is_err());
        let f = MailFlags::default();
        let c = MailConfig::resolve(&f, dir).unwrap();
        assert_eq!(c.folder, Path::new("/data/mail"));
        assert!(c.smtp.is_none());
    }
}
