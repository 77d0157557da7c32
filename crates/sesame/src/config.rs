//! `sesame serve` settings: command-line flags (each with an environment variable), an
//! optional TOML file with the same keys, and defaults — in that order of precedence.

use clap::Args;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = "./sesame-data";

/// Default time for a request's head to arrive, seconds.
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 10;
/// Default idle timeout of a connection, seconds (above the 30-second request timeout,
/// so a slow request is answered 408 rather than cut).
pub const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 60;
/// Default cap on connections open at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// The connection limits of one listener (`web::conn` enforces them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest the head of an HTTP/1 request may take to arrive.
    pub header_read_timeout: Duration,
    /// Longest a connection may stay without a byte read or written.
    pub idle_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(DEFAULT_HEADER_READ_TIMEOUT_SECS),
            idle_timeout: Duration::from_secs(DEFAULT_IDLE_TIMEOUT_SECS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Configuration errors: which setting, and why.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The config file cannot be read or parsed.
    #[error("config file {path}: {reason}")]
    File { path: String, reason: String },
    /// A value is refused.
    #[error("{key}: {reason}")]
    Invalid { key: &'static str, reason: String },
}

/// The flags of `sesame serve`.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeFlags {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "SESAME_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// Public base URL every published URL is built from (e.g. https://sso.example.com)
    /// [default: the stored one, else http://LISTEN].
    #[arg(long, env = "SESAME_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// TOML configuration file with the same keys (listen, public_url, data_dir,
    /// database_url, tls_cert, tls_key, trusted_proxies, master_key_file,
    /// trusted_locations, header_read_timeout, idle_timeout, max_connections,
    /// metrics_listen).
    #[arg(long = "config", env = "SESAME_CONFIG", value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// Certificate chain (PEM) to serve HTTPS directly; needs --tls-key.
    #[arg(long, env = "SESAME_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) for --tls-cert.
    #[arg(long, env = "SESAME_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Reverse-proxy address (IP or CIDR) whose X-Forwarded-For/-Proto are honoured;
    /// repeat or separate with commas.
    #[arg(
        long = "trusted-proxy",
        env = "SESAME_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_name = "IP[/BITS]"
    )]
    pub trusted_proxies: Vec<String>,
    /// File holding the master key that encrypts signing keys (instead of SESAME_MASTER_KEY
    /// or master.key in the data dir).
    #[arg(long, env = "SESAME_MASTER_KEY_FILE", value_name = "FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Trusted named location (IP or CIDR, e.g. the office's network): a correct password
    /// from there passes the delays that failures from elsewhere put on a name; repeat or
    /// separate with commas.
    #[arg(
        long = "trusted-location",
        env = "SESAME_TRUSTED_LOCATIONS",
        value_delimiter = ',',
        value_name = "IP[/BITS]"
    )]
    pub trusted_locations: Vec<String>,
    /// Seconds the head (request line and headers) of an HTTP/1 request may take to
    /// arrive; an idle HTTP/1 keep-alive connection is closed after it too [default: 10].
    #[arg(long, env = "SESAME_HEADER_READ_TIMEOUT", value_name = "SECONDS")]
    pub header_read_timeout: Option<u64>,
    /// Seconds a connection may stay without a byte read or written [default: 60].
    #[arg(long, env = "SESAME_IDLE_TIMEOUT", value_name = "SECONDS")]
    pub idle_timeout: Option<u64>,
    /// Most connections open at once; more are closed at once [default: 1024].
    #[arg(long, env = "SESAME_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,
    /// Serve GET /metrics on this address only (e.g. 127.0.0.1:9090), not on --listen
    /// [default: on --listen].
    #[arg(long, env = "SESAME_METRICS_LISTEN", value_name = "ADDR:PORT")]
    pub metrics_listen: Option<String>,
}

/// The TOML file: the same keys as the flags.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// listen
    pub listen: Option<String>,
    /// public_url
    pub public_url: Option<String>,
    /// data_dir
    pub data_dir: Option<PathBuf>,
    /// database_url
    pub database_url: Option<String>,
    /// tls_cert
    pub tls_cert: Option<PathBuf>,
    /// tls_key
    pub tls_key: Option<PathBuf>,
    /// trusted_proxies
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// master_key_file
    pub master_key_file: Option<PathBuf>,
    /// trusted_locations
    #[serde(default)]
    pub trusted_locations: Vec<String>,
    /// header_read_timeout (seconds)
    pub header_read_timeout: Option<u64>,
    /// idle_timeout (seconds)
    pub idle_timeout: Option<u64>,
    /// max_connections
    pub max_connections: Option<usize>,
    /// metrics_listen
    pub metrics_listen: Option<String>,
}

impl FileConfig {
    /// Reads and parses a TOML file.
    pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
        let err = |reason: String| ConfigError::File {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        toml::from_str(&text).map_err(|e| err(e.to_string().replace('\n', " ")))
    }
}

/// An IP network (a trusted proxy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    bits: u8,
}

impl IpNet {
    /// Parses `IP` or `IP/BITS`.
    pub fn parse(s: &str) -> Result<IpNet, ConfigError> {
        let bad = |reason: &str| ConfigError::Invalid {
            key: "trusted-proxy",
            reason: format!("\"{s}\" {reason}; give an IP address or a network like 10.0.0.0/8"),
        };
        let (ip, bits) = match s.trim().split_once('/') {
            Some((ip, b)) => (ip, Some(b)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = ip.parse().map_err(|_| bad("is not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            None => max,
            Some(b) => b
                .parse::<u8>()
                .ok()
                .filter(|b| *b <= max)
                .ok_or_else(|| bad("has an invalid prefix length"))?,
        };
        Ok(IpNet { addr, bits })
    }

    /// Whether `ip` is in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.bits == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(self.bits))
                };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.bits == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(self.bits))
                };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Resolved serve settings.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Listen address.
    pub listen: SocketAddr,
    /// Public URL given (flag, env or file); `None`: keep the stored one.
    pub public_url: Option<String>,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Database URL.
    pub database_url: String,
    /// TLS certificate and key.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Trusted proxies.
    pub trusted_proxies: Vec<IpNet>,
    /// Master key file.
    pub master_key_file: Option<PathBuf>,
    /// Trusted named locations (sign-in delays, `authentication::password`).
    pub trusted_locations: Vec<IpNet>,
    /// Connection limits.
    pub limits: Limits,
    /// Where /metrics is served instead of `listen`.
    pub metrics_listen: Option<SocketAddr>,
}

/// A number of seconds within `range`.
fn seconds(
    key: &'static str,
    v: Option<u64>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Duration, ConfigError> {
    let v = v.unwrap_or(default);
    if !range.contains(&v) {
        return Err(ConfigError::Invalid {
            key,
            reason: format!(
                "{v} is out of range: give {} to {} seconds",
                range.start(),
                range.end()
            ),
        });
    }
    Ok(Duration::from_secs(v))
}

/// The connection limits: flags over the file over defaults.
fn limits(flags: &ServeFlags, file: &FileConfig) -> Result<Limits, ConfigError> {
    let max_connections = flags
        .max_connections
        .or(file.max_connections)
        .unwrap_or(DEFAULT_MAX_CONNECTIONS);
    if !(1..=1_000_000).contains(&max_connections) {
        return Err(ConfigError::Invalid {
            key: "max-connections",
            reason: format!("{max_connections} is out of range: give 1 to 1000000"),
        });
    }
    Ok(Limits {
        header_read_timeout: seconds(
            "header-read-timeout",
            flags.header_read_timeout.or(file.header_read_timeout),
            DEFAULT_HEADER_READ_TIMEOUT_SECS,
            1..=3600,
        )?,
        idle_timeout: seconds(
            "idle-timeout",
            flags.idle_timeout.or(file.idle_timeout),
            DEFAULT_IDLE_TIMEOUT_SECS,
            1..=86_400,
        )?,
        max_connections,
    })
}

impl ServeConfig {
    /// Merges flags (and their environment variables) over the config file over defaults.
    /// `data_dir` / `database_url` come from the global flags when given.
    pub fn resolve(
        flags: &ServeFlags,
        data_dir: Option<&Path>,
        database_url: Option<&str>,
    ) -> Result<ServeConfig, ConfigError> {
        let file = match &flags.config_file {
            Some(p) => FileConfig::load(p)?,
            None => FileConfig::default(),
        };
        let limits = limits(flags, &file)?;
        let listen_s = flags
            .listen
            .clone()
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen: SocketAddr = listen_s.trim().parse().map_err(|_| ConfigError::Invalid {
            key: "listen",
            reason: format!("\"{listen_s}\" is not an address like 127.0.0.1:8080 or [::]:443"),
        })?;
        let data_dir = data_dir
            .map(Path::to_path_buf)
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let database_url = database_url
            .map(str::to_owned)
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite:{}", data_dir.join("sesame.db").display()));
        let tls_cert = flags.tls_cert.clone().or(file.tls_cert);
        let tls_key = flags.tls_key.clone().or(file.tls_key);
        let tls = match (tls_cert, tls_key) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid {
                    key: "tls-cert/tls-key",
                    reason: "give both --tls-cert and --tls-key, or neither".into(),
                })
            }
        };
        let proxies = if flags.trusted_proxies.is_empty() {
            file.trusted_proxies
        } else {
            flags.trusted_proxies.clone()
        };
        let trusted_proxies = proxies
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| IpNet::parse(s))
            .collect::<Result<Vec<_>, _>>()?;
        let locations = if flags.trusted_locations.is_empty() {
            file.trusted_locations
        } else {
            flags.trusted_locations.clone()
        };
        let trusted_locations = locations
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                IpNet::parse(s).map_err(|e| match e {
                    ConfigError::Invalid { reason, .. } => ConfigError::Invalid {
                        key: "trusted-location",
                        reason,
                    },
                    e => e,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let metrics_listen = match flags.metrics_listen.clone().or(file.metrics_listen.clone()) {
            Some(m) if !m.trim().is_empty() => Some(m.trim().parse::<SocketAddr>().map_err(
                |_| ConfigError::Invalid {
                    key: "metrics-listen",
                    reason: format!("\"{m}\" is not an address like 127.0.0.1:9090"),
                },
            )?),
            _ => None,
        };
        Ok(ServeConfig {
            limits,
            metrics_listen,
            listen,
            public_url: flags.public_url.clone().or(file.public_url),
            data_dir,
            database_url,
            tls,
            trusted_proxies,
            master_key_file: flags.master_key_file.clone().or(file.master_key_file),
            trusted_locations,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn networks() {
        let n = IpNet::parse("10.0.0.0/8").unwrap();
        assert!(n.contains("10.1.2.3".parse().unwrap()));
        assert!(!n.contains("11.1.2.3".parse().unwrap()));
        assert!(n.contains("::ffff:10.0.0.1".parse().unwrap()));
        let one = IpNet::parse("127.0.0.1").unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        assert!(IpNet::parse("::1/128")
            .unwrap()
            .contains("::1".parse().unwrap()));
        assert!(IpNet::parse("10.0.0.0/33").is_err());
        assert!(IpNet::parse("nope").is_err());
    }

    #[test]
    fn connection_limits_and_metrics_listen() {
        let c = ServeConfig::resolve(&ServeFlags::default(), None, None).unwrap();
        assert_eq!(c.limits, Limits::default());
        assert_eq!(c.limits.header_read_timeout.as_secs(), 10);
        assert_eq!(c.limits.idle_timeout.as_secs(), 60);
        assert_eq!(c.limits.max_connections, 1024);
        assert!(c.metrics_listen.is_none());

        let dir = std::env::temp_dir().join(format!("sesame-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("sesame.toml");
        std::fs::write(
            &f,
            "header_read_timeout = 5\nidle_timeout = 120\nmax_connections = 50\nmetrics_listen = \"127.0.0.1:9090\"\n",
        )
        .unwrap();
        let flags = ServeFlags {
            config_file: Some(f.clone()),
            max_connections: Some(7),
            ..ServeFlags::default()
        };
        let c = ServeConfig::resolve(&flags, None, None).unwrap();
        assert_eq!(c.limits.header_read_timeout.as_secs(), 5);
        assert_eq!(c.limits.idle_timeout.as_secs(), 120);
        assert_eq!(c.limits.max_connections, 7);
        assert_eq!(c.metrics_listen.unwrap().port(), 9090);

        for bad in [
            ServeFlags {
                header_read_timeout: Some(0),
                ..ServeFlags::default()
            },
            ServeFlags {
                max_connections: Some(0),
                ..ServeFlags::default()
            },
            ServeFlags {
                metrics_listen: Some("nope".into()),
                ..ServeFlags::default()
            },
        ] {
            assert!(ServeConfig::resolve(&bad, None, None).is_err(), "{bad:?}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn precedence_flags_over_file_over_defaults() {
        let dir = std::env::temp_dir().join(format!("sesame-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("sesame.toml");
        std::fs::write(&f, "listen = \"0.0.0.0:9000\"\npublic_url = \"https://sso.example\"\ntrusted_proxies = [\"10.0.0.0/8\"]\n").unwrap();
        let flags = ServeFlags {
            config_file: Some(f.clone()),
            ..ServeFlags::default()
        };
        let c = ServeConfig::resolve(&flags, None, None).unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(c.public_url.as_deref(), Some("https://sso.example"));
        assert_eq!(c.trusted_proxies.len(), 1);
        assert!(c.trusted_locations.is_empty());
        assert!(c.database_url.starts_with("sqlite:"));
        let flags = ServeFlags {
            config_file: Some(f.clone()),
            listen: Some("127.0.0.1:1234".into()),
            ..ServeFlags::default()
        };
        assert_eq!(
            ServeConfig::resolve(&flags, None, None)
                .unwrap()
                .listen
                .port(),
            1234
        );
        std::fs::write(&f, "trusted_locations = [\"198.51.100.0/24\"]\n").unwrap();
        let c = ServeConfig::resolve(&flags, None, None).unwrap();
        assert!(c.trusted_locations[0].contains("198.51.100.7".parse().unwrap()));
        std::fs::write(&f, "trusted_locations = [\"office\"]\n").unwrap();
        let e = ServeConfig::resolve(&flags, None, None).unwrap_err();
        assert!(e.to_string().starts_with("trusted-location:"), "{e}");
        std::fs::write(&f, "bogus = 1\n").unwrap();
        assert!(ServeConfig::resolve(&flags, None, None).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
