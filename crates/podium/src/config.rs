//! Configuration: built-in defaults, then a TOML file, then `PODIUM_*` environment variables,
//! then command-line flags (flags win). clap reads the environment for each flag, so a variable
//! and its flag are one setting; figment layers the file under them.

use std::fmt;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Every setting of a podium node.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to listen on (`PODIUM_LISTEN`).
    pub listen: String,
    /// `sqlite://file` or `postgres://…` (`PODIUM_DATABASE_URL`).
    pub database_url: String,
    /// The superadmin key to create on first start, instead of a generated one
    /// (`PODIUM_BOOTSTRAP_API_KEY`, at least 16 characters).
    pub bootstrap_api_key: Option<String>,
    /// A tracing filter such as `info` or `podium=debug,info` (`PODIUM_LOG_LEVEL`).
    pub log_level: String,
    /// `text` or `json` (`PODIUM_LOG_FORMAT`).
    pub log_format: LogFormat,
    /// Largest request body in bytes (`PODIUM_BODY_LIMIT_BYTES`, default 65536).
    pub body_limit_bytes: usize,
    /// How often API keys' `last_used_at` is written, in seconds (`PODIUM_KEY_USE_FLUSH_SECONDS`).
    pub key_use_flush_seconds: u64,
    /// How long shutdown waits for in-flight requests, in seconds (`PODIUM_SHUTDOWN_TIMEOUT_SECONDS`).
    pub shutdown_timeout_seconds: u64,
    /// Lifetime of client access tokens in seconds (`PODIUM_ACCESS_TOKEN_TTL_SECONDS`, default 3600).
    pub access_token_ttl_seconds: u64,
    /// Lifetime of client refresh tokens in seconds (`PODIUM_REFRESH_TOKEN_TTL_SECONDS`, default 30 days).
    pub refresh_token_ttl_seconds: u64,
    /// A MaxMind City database (`.mmdb`) for client geography (`PODIUM_GEOIP_DB`); none: fields stay null.
    pub geoip_db: Option<String>,
    /// Comma-separated addresses or blocks whose `X-Forwarded-For` is believed (`PODIUM_TRUSTED_PROXIES`).
    pub trusted_proxies: String,
    /// Client session starts per minute per address (`PODIUM_SESSION_STARTS_PER_MINUTE`, 0: unlimited).
    pub session_starts_per_minute: u32,
    /// Client nonce requests per minute per address (`PODIUM_NONCES_PER_MINUTE`, 0: unlimited).
    pub nonces_per_minute: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://podium.db".into(),
            bootstrap_api_key: None,
            log_level: "info".into(),
            log_format: LogFormat::Text,
            body_limit_bytes: podium_api::DEFAULT_BODY_LIMIT,
            key_use_flush_seconds: 60,
            shutdown_timeout_seconds: 30,
            access_token_ttl_seconds: 3600,
            refresh_token_ttl_seconds: 30 * 24 * 3600,
            geoip_db: None,
            trusted_proxies: String::new(),
            session_starts_per_minute: podium_api::edge::EdgeConfig::default().session_starts_per_minute,
            nonces_per_minute: podium_api::edge::EdgeConfig::default().nonces_per_minute,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &podium_store::redact(&self.database_url))
            .field("bootstrap_api_key", &self.bootstrap_api_key.as_ref().map(|_| "***"))
            .field("log_level", &self.log_level)
            .field("log_format", &self.log_format)
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("key_use_flush_seconds", &self.key_use_flush_seconds)
            .field("shutdown_timeout_seconds", &self.shutdown_timeout_seconds)
            .field("access_token_ttl_seconds", &self.access_token_ttl_seconds)
            .field("refresh_token_ttl_seconds", &self.refresh_token_ttl_seconds)
            .field("geoip_db", &self.geoip_db)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("session_starts_per_minute", &self.session_starts_per_minute)
            .field("nonces_per_minute", &self.nonces_per_minute)
            .finish()
    }
}

/// Settings given on the command line or in the environment; `None` leaves the file's or the
/// default value.
#[derive(Debug, Clone, Default, Serialize, clap::Args)]
pub struct Overrides {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "PODIUM_LISTEN", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// Database URL: sqlite://FILE (created if missing) or postgres://… [default: sqlite://podium.db]
    #[arg(long, env = "PODIUM_DATABASE_URL", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// Superadmin key to create on first start instead of a generated one (≥ 16 characters)
    #[arg(long, env = "PODIUM_BOOTSTRAP_API_KEY", global = true, hide_env_values = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap_api_key: Option<String>,
    /// Log filter, e.g. info, debug, podium=debug,info [default: info]
    #[arg(long, env = "PODIUM_LOG_LEVEL", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
    /// Log format [default: text]
    #[arg(long, env = "PODIUM_LOG_FORMAT", global = true, value_enum)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    /// Largest request body in bytes [default: 65536]
    #[arg(long, env = "PODIUM_BODY_LIMIT_BYTES", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_limit_bytes: Option<usize>,
    /// Seconds between writes of API keys' last_used_at [default: 60]
    #[arg(long, env = "PODIUM_KEY_USE_FLUSH_SECONDS", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_use_flush_seconds: Option<u64>,
    /// Seconds shutdown waits for in-flight requests [default: 30]
    #[arg(long, env = "PODIUM_SHUTDOWN_TIMEOUT_SECONDS", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shutdown_timeout_seconds: Option<u64>,
    /// Seconds a client access token lives [default: 3600]
    #[arg(long, env = "PODIUM_ACCESS_TOKEN_TTL_SECONDS", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token_ttl_seconds: Option<u64>,
    /// Seconds a client refresh token lives [default: 2592000]
    #[arg(long, env = "PODIUM_REFRESH_TOKEN_TTL_SECONDS", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_ttl_seconds: Option<u64>,
    /// MaxMind City database for client geography [default: none]
    #[arg(long, env = "PODIUM_GEOIP_DB", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geoip_db: Option<String>,
    /// Comma-separated proxies (addresses or CIDR blocks) whose X-Forwarded-For is believed [default: none]
    #[arg(long, env = "PODIUM_TRUSTED_PROXIES", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_proxies: Option<String>,
    /// Client session starts per minute per address, 0 for unlimited [default: 60]
    #[arg(long, env = "PODIUM_SESSION_STARTS_PER_MINUTE", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_starts_per_minute: Option<u32>,
    /// Client nonce requests per minute per address, 0 for unlimited [default: 1200]
    #[arg(long, env = "PODIUM_NONCES_PER_MINUTE", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonces_per_minute: Option<u32>,
}

/// Loads the configuration: defaults < `file` (if given, or `podium.toml` if present) < overrides.
pub fn load(file: Option<PathBuf>, overrides: &Overrides) -> Result<Config, Box<figment::Error>> {
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    match file {
        Some(path) => figment = figment.merge(Toml::file_exact(path)),
        None => figment = figment.merge(Toml::file("podium.toml")),
    }
    figment.merge(Serialized::defaults(overrides)).extract().map_err(Box::new)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn flags_win_over_the_file_which_wins_over_defaults() {
        let dir = std::env::temp_dir().join(format!("podium-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("podium.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nlog_level = \"debug\"\n").unwrap();
        let overrides = Overrides { log_level: Some("warn".into()), ..Default::default() };
        let config = load(Some(file), &overrides).unwrap();
        assert_eq!(config.listen, "0.0.0.0:9000");
        assert_eq!(config.log_level, "warn");
        assert_eq!(config.database_url, "sqlite://podium.db");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_missing_named_config_file_is_an_error() {
        assert!(load(Some("/nonexistent/podium.toml".into()), &Overrides::default()).is_err());
    }

    #[test]
    fn the_bootstrap_key_never_appears_in_debug_output() {
        let config = Config { bootstrap_api_key: Some("super-secret-key-123".into()), ..Default::default() };
        assert!(!format!("{config:?}").contains("super-secret"));
    }
}
