//! The machinery behind the one list of settings in `settings.rs`: the `settings!` macro turns
//! each declaration into a typed field of its section, a command-line flag with its
//! environment variable and help line, and a row of the reference in `docs/CONFIGURATION.md`,
//! so none of the four can drift from the others.

use clap::builder::ValueParser;
use serde::Serialize;

/// What a setting's type needs to be a flag, a file key and a row of the reference.
pub trait SettingValue: Clone + Serialize + Send + Sync + 'static {
    /// The value a flag or variable parses to (`String` for an optional string setting).
    type Flag: Clone + Send + Sync + 'static;
    /// How clap parses the flag.
    fn parser() -> ValueParser;
    /// The setting a parsed flag gives.
    fn from_flag(flag: Self::Flag) -> Self;
    /// The value as the reference and `--help` show it.
    fn show(&self) -> String;
}

impl SettingValue for String {
    type Flag = String;
    fn parser() -> ValueParser {
        ValueParser::string()
    }
    fn from_flag(flag: String) -> Self {
        flag
    }
    fn show(&self) -> String {
        if self.is_empty() { "none".to_owned() } else { self.clone() }
    }
}

impl SettingValue for Option<String> {
    type Flag = String;
    fn parser() -> ValueParser {
        ValueParser::string()
    }
    fn from_flag(flag: String) -> Self {
        Some(flag)
    }
    fn show(&self) -> String {
        self.clone().unwrap_or_else(|| "none".to_owned())
    }
}

impl SettingValue for bool {
    type Flag = bool;
    fn parser() -> ValueParser {
        clap::builder::BoolishValueParser::new().into()
    }
    fn from_flag(flag: bool) -> Self {
        flag
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

macro_rules! number_setting {
    ($($ty:ty),*) => {$(
        impl SettingValue for $ty {
            type Flag = $ty;
            fn parser() -> ValueParser {
                clap::value_parser!($ty).into()
            }
            fn from_flag(flag: $ty) -> Self {
                flag
            }
            fn show(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
number_setting!(u32, u64, usize);

/// One row of the reference: everything a user needs to set one setting.
#[derive(Debug, Clone)]
pub struct Setting {
    /// The section it belongs to (`server`, `store`, …).
    pub section: &'static str,
    /// The key in the TOML file.
    pub key: &'static str,
    /// The environment variable.
    pub env: String,
    /// The command-line flag, with its dashes.
    pub flag: String,
    /// The default as shown.
    pub default: String,
    /// The one-line help of `--help`.
    pub help: &'static str,
    /// The longer explanation of the reference.
    pub doc: String,
    /// Whether the value is secret (never echoed by `--help` or the start-up log).
    pub secret: bool,
}

impl Setting {
    /// A row from a declaration's parts.
    pub fn new(
        section: &'static str,
        key: &'static str,
        default: String,
        help: &'static str,
        doc: &[&str],
        secret: bool,
    ) -> Self {
        Self {
            section,
            key,
            env: format!("PODIUM_{}", key.to_ascii_uppercase()),
            flag: format!("--{}", key.replace('_', "-")),
            default,
            help,
            doc: doc.iter().map(|line| line.trim()).collect::<Vec<_>>().join(" "),
            secret,
        }
    }

    /// The clap argument for this setting: global, read from its variable when the flag is
    /// absent, with no clap default (an absent flag leaves the file's or the built-in value).
    pub fn arg(&self, parser: ValueParser) -> clap::Arg {
        clap::Arg::new(self.key)
            .long(self.flag.trim_start_matches("--").to_owned())
            .value_name(self.key.to_ascii_uppercase())
            .env(self.env.clone())
            .hide_env_values(self.secret)
            .global(true)
            .value_parser(parser)
            .help(format!("{} [default: {}]", self.help, self.default))
    }
}

/// The reference tables, one per section, as they stand in `docs/CONFIGURATION.md`.
pub fn reference(settings: &[Setting], sections: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (section, about) in sections {
        out.push_str(&format!("### `{section}`: {}\n\n", about.trim()));
        out.push_str("| file key | variable | flag | default | meaning |\n|---|---|---|---|---|\n");
        for s in settings.iter().filter(|s| s.section == *section) {
            out.push_str(&format!(
                "| `{}` | `{}` | `{}` | {} | {} |\n",
                s.key,
                s.env,
                s.flag,
                if s.default == "none" { "none".to_owned() } else { format!("`{}`", s.default) },
                s.doc
            ));
        }
        out.push('\n');
    }
    out
}

/// How the start-up log shows a setting's value: as it is, a secret as `***`, a URL without
/// its password.
macro_rules! shown {
    (; $v:expr) => {
        format!("{:?}", $v)
    };
    (secret; $v:expr) => {
        format!("{:?}", $v.as_ref().map(|_| "***"))
    };
    (url; $v:expr) => {
        format!("{:?}", podium_store::redact($v))
    };
}

/// Whether a declaration is marked secret.
macro_rules! is_secret {
    () => {
        false
    };
    (secret) => {
        true
    };
    (url) => {
        false
    };
}

/// Declares every setting once. For each section: its struct (file keys, defaults, the start-up
/// log's redacted `Debug`); then `Config` over all sections (flattened, so file keys stay at
/// the top level of the TOML file), `Overrides` (the flags and variables, each `None` when
/// absent) and `settings()`, the reference.
macro_rules! settings {
    ($(
        $(#[doc = $sdoc:literal])+
        $section:ident: $Section:ident {
            $(
                $(#[doc = $doc:literal])+
                $key:ident: $ty:ty = $default:expr, help: $help:literal $(, $mark:ident)?;
            )+
        }
    )+) => {
        $(
            $(#[doc = $sdoc])+
            #[derive(Clone, serde::Serialize, serde::Deserialize)]
            #[serde(default)]
            pub struct $Section {
                $( $(#[doc = $doc])+ pub $key: $ty, )+
            }

            impl Default for $Section {
                fn default() -> Self {
                    Self { $( $key: $default, )+ }
                }
            }

            impl std::fmt::Debug for $Section {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.debug_struct(stringify!($Section))
                        $( .field(stringify!($key), &format_args!("{}", shown!($($mark)?; &self.$key))) )+
                        .finish()
                }
            }
        )+

        /// Every setting of a node, by section.
        #[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
        pub struct Config {
            $(
                $(#[doc = $sdoc])+
                #[serde(flatten)]
                pub $section: $Section,
            )+
        }

        /// Settings given on the command line or in the environment; `None` leaves the file's
        /// or the built-in value.
        #[derive(Debug, Clone, Default, serde::Serialize)]
        pub struct Overrides {
            $($(
                $(#[doc = $doc])+
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $key: Option<$ty>,
            )+)+
        }

        /// The section names and what each is about, in the reference's order.
        pub const SECTIONS: &[(&str, &str)] = &[ $( (stringify!($section), concat!($($sdoc),+)), )+ ];

        /// Every setting, in declaration order.
        pub fn settings() -> Vec<$crate::config::declare::Setting> {
            let defaults = Config::default();
            vec![ $($(
                $crate::config::declare::Setting::new(
                    stringify!($section),
                    stringify!($key),
                    $crate::config::declare::SettingValue::show(&defaults.$section.$key),
                    $help,
                    &[$($doc),+],
                    is_secret!($($mark)?),
                ),
            )+)+ ]
        }

        impl clap::Args for Overrides {
            fn augment_args(mut cmd: clap::Command) -> clap::Command {
                let defaults = Config::default();
                $($(
                    let setting = $crate::config::declare::Setting::new(
                        stringify!($section),
                        stringify!($key),
                        $crate::config::declare::SettingValue::show(&defaults.$section.$key),
                        $help,
                        &[],
                        is_secret!($($mark)?),
                    );
                    cmd = cmd.arg(setting.arg(<$ty as $crate::config::declare::SettingValue>::parser()));
                )+)+
                cmd
            }
            fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
                Self::augment_args(cmd)
            }
        }

        impl clap::FromArgMatches for Overrides {
            fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
                let mut overrides = Self::default();
                overrides.update_from_arg_matches(matches)?;
                Ok(overrides)
            }
            fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
                $($(
                    if let Some(flag) = matches
                        .get_one::<<$ty as $crate::config::declare::SettingValue>::Flag>(stringify!($key))
                    {
                        self.$key = Some(<$ty as $crate::config::declare::SettingValue>::from_flag(flag.clone()));
                    }
                )+)+
                Ok(())
            }
        }
    };
}
