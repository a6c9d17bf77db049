//! The command line: `podium serve | migrate | rebuild | bootstrap | anticheat-eval | activity-sim`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use podium_core::service::BootstrapOutcome;

use crate::app::{Application, open_store, shutdown_signal, state};
use crate::config::{self, Overrides};
use crate::telemetry;

/// podium: a self-hostable leaderboard server.
///
/// Settings come from built-in defaults, then a TOML file (--config, or ./podium.toml when
/// present), then PODIUM_* environment variables, then flags; later sources win.
#[derive(Debug, Parser)]
#[command(name = "podium", version, about, long_about)]
pub struct Cli {
    /// TOML configuration file [default: ./podium.toml if it exists]
    #[arg(long, env = "PODIUM_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Settings that override the file.
    #[command(flatten)]
    pub overrides: Overrides,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: migrate the store, create a superadmin on first start (printing its
    /// key unless PODIUM_BOOTSTRAP_API_KEY names it), then serve the API until SIGTERM or
    /// Ctrl-C, letting in-flight requests finish.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Recompute every ranked entry from the score events alone (events are the truth),
    /// replacing the stored entries in one transaction. Stop the servers first: submissions
    /// accepted during a rebuild would be overwritten.
    Rebuild,
    /// Create a superadmin (account, user and API key) and print its key. When a superadmin
    /// already exists, issue a new key for it (the way back in after losing the key), unless
    /// --if-missing is given.
    Bootstrap {
        /// Do nothing when a superadmin already exists.
        #[arg(long)]
        if_missing: bool,
    },
    /// Measure the anti-cheat detections: simulate honest players and cheaters of every kind
    /// on a simulated clock through the real detection code, and print per detection its
    /// recall on its own kind of cheat, its precision and its false positives on honest
    /// traffic (a Markdown table). Needs no database.
    AnticheatEval {
        /// Honest players.
        #[arg(long, default_value_t = 2000)]
        honest: usize,
        /// Cheaters of each kind.
        #[arg(long, default_value_t = 100)]
        cheaters: usize,
        /// Simulated hours.
        #[arg(long, default_value_t = 6.0)]
        hours: f64,
        /// Random seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Measure the activity rules: simulate honest users and farmers of every kind (win
    /// trading, join-leave, create-cancel, DM and game farming, bursts) on a simulated clock
    /// through the real rules, and print per farming kind the points a farmer obtained against
    /// the honest ceiling, and per fraud rule its recall and false positives (Markdown tables).
    /// Needs no database.
    ActivitySim {
        /// Honest users.
        #[arg(long, default_value_t = 1000)]
        honest: usize,
        /// Farmers of each kind.
        #[arg(long, default_value_t = 50)]
        farmers: usize,
        /// Simulated days.
        #[arg(long, default_value_t = 7)]
        days: u32,
        /// Random seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// A policy document (JSON, as `PUT /v1/activity/policy` takes) to apply instead of
        /// the seed's defaults, e.g. `{"fraud": {"win_trade_alternations": 6}}`.
        #[arg(long)]
        policy: Option<String>,
    },
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = config::load(cli.config, &cli.overrides).context("invalid configuration")?;
    telemetry::init(&config);
    match cli.command {
        Command::AnticheatEval { honest, cheaters, hours, seed } => {
            let sim = podium_core::anticheat::sim::SimConfig { honest, cheaters_per_kind: cheaters, hours, seed };
            println!("{}", podium_core::anticheat::sim::evaluate(sim).to_markdown());
            Ok(())
        }
        Command::ActivitySim { honest, farmers, days, seed, policy } => {
            let policy = match policy {
                None => podium_core::model::activity::Policy::default(),
                Some(text) => {
                    let doc: serde_json::Value = serde_json::from_str(&text).context("--policy is not JSON")?;
                    podium_core::model::activity::Policy::parse(&doc)
                        .map_err(|e| anyhow::anyhow!("--policy is not a valid policy: {}", serde_json::json!(e)))?
                }
            };
            let sim = podium_core::activity::sim::SimConfig { honest, farmers_per_kind: farmers, days, seed, policy };
            println!("{}", podium_core::activity::sim::evaluate(sim).to_markdown());
            Ok(())
        }
        Command::Serve => {
            let shutdown = shutdown_signal();
            tracing::info!(config = ?config, "starting");
            let (app, outcome) = Application::build(&config).await?;
            announce(&outcome);
            tracing::info!(addr = %app.local_addr()?, "listening");
            app.run_until(shutdown).await
        }
        Command::Migrate => {
            let backend = open_store(&config).await?;
            backend.close().await;
            println!("migrations applied to {}", podium_store::redact(&config.store.database_url));
            Ok(())
        }
        Command::Rebuild => {
            let backend = open_store(&config).await?;
            let state = state(backend.clone().into_store()).await?;
            let started = std::time::Instant::now();
            let report = state
                .scores
                .rebuild(&|n| eprintln!("rebuild: {n} events replayed ({:.1} s)", started.elapsed().as_secs_f64()))
                .await?;
            println!(
                "rebuilt {} entries from {} events in {:.1} s ({} events of vanished boards skipped)",
                report.entries,
                report.events,
                started.elapsed().as_secs_f64(),
                report.skipped_events
            );
            backend.close().await;
            Ok(())
        }
        Command::Bootstrap { if_missing } => {
            let backend = open_store(&config).await?;
            let state = state(backend.clone().into_store()).await?;
            let outcome = state.admin.bootstrap(config.admin.bootstrap_api_key.as_deref(), !if_missing).await?;
            announce(&outcome);
            if outcome == BootstrapOutcome::AlreadyPresent {
                println!("a superadmin already exists; nothing done");
            }
            backend.close().await;
            Ok(())
        }
    }
}

/// Shows a generated superadmin key once, on stdout (never in the logs).
fn announce(outcome: &BootstrapOutcome) {
    match outcome {
        BootstrapOutcome::Created { generated_key: Some(key) }
        | BootstrapOutcome::KeyIssued { generated_key: Some(key) } => {
            println!();
            println!("  superadmin API key (shown once, store it now):");
            println!("  {key}");
            println!();
        }
        BootstrapOutcome::Created { generated_key: None } | BootstrapOutcome::KeyIssued { generated_key: None } => {
            println!("superadmin created with the key from PODIUM_BOOTSTRAP_API_KEY");
        }
        BootstrapOutcome::AlreadyPresent => {}
    }
}
