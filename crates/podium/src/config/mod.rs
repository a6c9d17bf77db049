//! Configuration: built-in defaults, then a TOML file, then `PODIUM_*` environment variables,
//! then command-line flags (flags win). clap reads the environment for each flag, so a variable
//! and its flag are one setting; figment layers the file under them. Every setting is declared
//! once, in [`settings`]; this module loads them.

#[macro_use]
pub mod declare;
mod settings;

use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

pub use settings::{
    AdminSettings, ClientsSettings, CommunitySettings, Config, LimitSettings, LogSettings, Overrides, SECTIONS,
    ServerSettings, StoreSettings, settings,
};

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl declare::SettingValue for LogFormat {
    type Flag = LogFormat;
    fn parser() -> clap::builder::ValueParser {
        clap::builder::ValueParser::new(clap::builder::EnumValueParser::<LogFormat>::new())
    }
    fn from_flag(flag: LogFormat) -> Self {
        flag
    }
    fn show(&self) -> String {
        match self {
            LogFormat::Text => "text".to_owned(),
            LogFormat::Json => "json".to_owned(),
        }
    }
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
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn flags_win_over_the_file_which_wins_over_defaults() {
        let dir = std::env::temp_dir().join(format!("podium-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("podium.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nlog_level = \"debug\"\n").unwrap();
        let overrides = Overrides { log_level: Some("warn".into()), ..Default::default() };
        let config = load(Some(file), &overrides).unwrap();
        assert_eq!(config.server.listen, "0.0.0.0:9000");
        assert_eq!(config.log.log_level, "warn");
        assert_eq!(config.store.database_url, "sqlite://podium.db");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn flags_and_their_values_are_parsed_into_the_overrides() {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from([
            "podium",
            "--nonces-per-minute",
            "5",
            "--log-format",
            "json",
            "--bootstrap-api-key",
            "0123456789abcdef",
            "serve",
        ])
        .unwrap();
        let config = load(None, &cli.overrides).unwrap();
        assert_eq!(config.limits.nonces_per_minute, 5);
        assert_eq!(config.log.log_format, LogFormat::Json);
        assert_eq!(config.admin.bootstrap_api_key.as_deref(), Some("0123456789abcdef"));
        assert_eq!(config.limits.session_starts_per_minute, 60);
    }

    #[test]
    fn a_flag_with_a_value_of_the_wrong_type_is_refused() {
        use clap::Parser;
        assert!(crate::cli::Cli::try_parse_from(["podium", "--nonces-per-minute", "many", "serve"]).is_err());
        assert!(crate::cli::Cli::try_parse_from(["podium", "--log-format", "xml", "serve"]).is_err());
    }

    #[test]
    fn the_help_names_each_setting_with_its_variable_and_default() {
        use clap::CommandFactory;
        let help = crate::cli::Cli::command().render_long_help().to_string();
        for s in settings() {
            assert!(help.contains(&s.flag), "{} missing from --help", s.flag);
            assert!(help.contains(&s.env), "{} missing from --help", s.env);
            assert!(help.contains(&format!("{} [default: {}]", s.help, s.default)), "{}: no default in --help", s.key);
        }
    }

    #[test]
    fn every_file_key_is_read_from_the_file() {
        let dir = std::env::temp_dir().join(format!("podium-config-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("podium.toml");
        std::fs::write(
            &file,
            "nonces_per_minute = 9\nbody_limit_bytes = 100\ngeoip_db = \"x.mmdb\"\nlog_format = \"json\"\n\
             database_url = \"sqlite://other.db\"\nrefresh_token_ttl_seconds = 5\n",
        )
        .unwrap();
        let config = load(Some(file), &Overrides::default()).unwrap();
        assert_eq!(config.limits.nonces_per_minute, 9);
        assert_eq!(config.limits.body_limit_bytes, 100);
        assert_eq!(config.clients.geoip_db.as_deref(), Some("x.mmdb"));
        assert_eq!(config.log.log_format, LogFormat::Json);
        assert_eq!(config.store.database_url, "sqlite://other.db");
        assert_eq!(config.clients.refresh_token_ttl_seconds, 5);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_value_of_the_wrong_type_is_an_error() {
        let dir = std::env::temp_dir().join(format!("podium-config-type-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("podium.toml");
        std::fs::write(&file, "nonces_per_minute = \"many\"\n").unwrap();
        assert!(load(Some(file), &Overrides::default()).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// The reference in `docs/CONFIGURATION.md` between its markers is exactly what the
    /// declarations render; `PODIUM_BLESS_DOCS=1 cargo test -p podium config` rewrites it.
    #[test]
    fn the_configuration_reference_in_the_docs_is_generated_from_the_declarations() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/CONFIGURATION.md");
        let doc = std::fs::read_to_string(&path).unwrap();
        let (begin, end) = ("<!-- settings:begin -->\n", "<!-- settings:end -->");
        let start = doc.find(begin).expect("begin marker") + begin.len();
        let stop = doc.find(end).expect("end marker");
        let generated = declare::reference(&settings(), SECTIONS);
        if doc[start..stop] != generated {
            if std::env::var_os("PODIUM_BLESS_DOCS").is_some() {
                std::fs::write(&path, format!("{}{generated}{}", &doc[..start], &doc[stop..])).unwrap();
            } else {
                panic!(
                    "docs/CONFIGURATION.md is out of date with the declared settings; \
                     run PODIUM_BLESS_DOCS=1 cargo test -p podium config"
                );
            }
        }
    }

    #[test]
    fn each_variable_is_podium_and_the_key_and_each_flag_the_key_with_dashes() {
        let all = settings();
        let mut keys: Vec<_> = all.iter().map(|s| s.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), all.len(), "a file key is declared twice");
        for s in &all {
            assert_eq!(s.env, format!("PODIUM_{}", s.key.to_uppercase()));
            assert_eq!(s.flag, format!("--{}", s.key.replace('_', "-")));
            assert!(SECTIONS.iter().any(|(name, _)| *name == s.section));
            assert!(!s.doc.is_empty() && !s.help.is_empty(), "{} has no explanation", s.key);
        }
    }

    #[test]
    fn a_missing_named_config_file_is_an_error() {
        assert!(load(Some("/nonexistent/podium.toml".into()), &Overrides::default()).is_err());
    }

    #[test]
    fn the_bootstrap_key_never_appears_in_debug_output() {
        let config = Config {
            admin: AdminSettings { bootstrap_api_key: Some("super-secret-key-123".into()), ..Default::default() },
            ..Default::default()
        };
        assert!(!format!("{config:?}").contains("super-secret"));
    }
}
