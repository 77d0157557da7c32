//! Sending one rendered message: over SMTP (lettre on rustls, implicit TLS or STARTTLS,
//! AUTH when the URL has a user), or into the mail folder as an `.eml` file. A failure
//! says whether it is worth retrying and carries the server's reply.

use super::config::{MailConfig, SmtpSettings, TlsMode};
use super::error::{MailCode, MailError};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;

/// How long one SMTP conversation may take.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    /// An SMTP server.
    Smtp {
        /// The connection settings (one connection per message).
        inner: Box<AsyncSmtpTransport<Tokio1Executor>>,
        /// The envelope sender.
        from: Address,
        /// The settings, password redacted, for messages.
        described: String,
    },
    /// `.eml` files in a folder.
    Folder(PathBuf),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    /// Which kind of failure.
    pub code: MailCode,
    /// True when retrying cannot help (the server refused the message for good).
    pub permanent: bool,
    /// The server's reply, or why it could not be reached.
    pub reply: String,
}

impl Transport {
    /// The transport of `cfg`.
    pub fn from_config(cfg: &MailConfig) -> Result<Transport, MailError> {
        match &cfg.smtp {
            None => Ok(Transport::Folder(cfg.folder.clone())),
            Some(s) => {
                let from = super::message::parse_from(&cfg.from)?.email;
                Ok(Transport::Smtp {
                    inner: Box::new(smtp(s)?),
                    from,
                    described: s.redacted(),
                })
            }
        }
    }

    /// One line: the SMTP URL (password redacted) or the folder.
    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp { described, .. } => described.clone(),
            Transport::Folder(dir) => format!("folder {}", dir.display()),
        }
    }

    /// Sends `message` (RFC 5322) to `to`; `name` names the `.eml` file in folder mode.
    pub async fn send(&self, to: &str, name: &str, message: &str) -> Result<(), SendFailure> {
        match self {
            Transport::Folder(dir) => {
                write_eml(dir, name, message)
                    .await
                    .map_err(|e| SendFailure {
                        code: MailCode::NotConfigured,
                        permanent: false,
                        reply: format!("cannot write to the mail folder {}: {e}", dir.display()),
                    })
            }
            Transport::Smtp { inner, from, .. } => {
                let to: Address = to.parse().map_err(|e| SendFailure {
                    code: MailCode::InvalidAddress,
                    permanent: true,
                    reply: format!("the recipient {to:?} is not an address: {e}"),
                })?;
                let envelope =
                    Envelope::new(Some(from.clone()), vec![to]).map_err(|e| SendFailure {
                        code: MailCode::InvalidAddress,
                        permanent: true,
                        reply: e.to_string(),
                    })?;
                inner
                    .send_raw(&envelope, message.as_bytes())
                    .await
                    .map(|_| ())
                    .map_err(|e| classify(&e))
            }
        }
    }
}

/// The lettre transport of `s`.
fn smtp(s: &SmtpSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.clone())
        .port(s.port)
        .timeout(Some(SMTP_TIMEOUT));
    if s.tls != TlsMode::Plain {
        let mut params = TlsParameters::builder(s.host.clone());
        if let Some(ca) = &s.ca_file {
            let pem = std::fs::read(ca).map_err(|e| {
                MailError::Config(format!("tls-ca {}: cannot read it: {e}", ca.display()))
            })?;
            let cert = Certificate::from_pem(&pem).map_err(|e| {
                MailError::Config(format!(
                    "tls-ca {}: not a PEM certificate: {e}",
                    ca.display()
                ))
            })?;
            params = params.add_root_certificate(cert);
        }
        let params = params
            .build_rustls()
            .map_err(|e| MailError::Config(format!("the TLS settings: {e}")))?;
        b = b.tls(match s.tls {
            TlsMode::Implicit => Tls::Wrapper(params),
            TlsMode::StartTlsRequired => Tls::Required(params),
            TlsMode::StartTlsOpportunistic | TlsMode::Plain => Tls::Opportunistic(params),
        });
    } else {
        b = b.tls(Tls::None);
    }
    if let Some(user) = &s.user {
        b = b.credentials(Credentials::new(
            user.clone(),
            s.password.clone().unwrap_or_default(),
        ));
    }
    Ok(b.build())
}

/// Tells an SMTP failure apart: AUTH refused (retried: the password may be fixed), the
/// server refusing the message (5xx: for good; 4xx: retried), or the server out of
/// reach (retried).
fn classify(e: &lettre::transport::smtp::Error) -> SendFailure {
    let mut reply = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let t = s.to_string();
        if !reply.contains(&t) {
            reply.push_str(": ");
            reply.push_str(&t);
        }
        src = s.source();
    }
    let reply = reply.replace(['\r', '\n'], " ");
    match e.status().map(|c| c.to_string()) {
        Some(code) if matches!(code.as_str(), "530" | "534" | "535" | "538" | "454") => {
            SendFailure {
                code: MailCode::AuthRefused,
                permanent: false,
                reply,
            }
        }
        Some(code) => SendFailure {
            code: MailCode::Refused,
            permanent: code.starts_with('5'),
            reply,
        },
        None => SendFailure {
            code: MailCode::Unreachable,
            permanent: false,
            reply,
        },
    }
}

/// Writes `<dir>/<name>.eml` whole (a temporary file renamed into place).
async fn write_eml(dir: &std::path::Path, name: &str, message: &str) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let tmp = dir.join(format!(".{name}.tmp"));
    tokio::fs::write(&tmp, message.replace("\r\n", "\n").replace('\n', "\r\n")).await?;
    tokio::fs::rename(&tmp, dir.join(format!("{name}.eml"))).await
}
