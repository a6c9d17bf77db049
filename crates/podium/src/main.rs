//! `podium`: parse the command line and run it.

use clap::Parser;

/// mimalloc instead of the system allocator: the server keeps many long-lived small objects
/// (anti-cheat counters, caches) beside short-lived request buffers, and glibc's malloc spent
/// measurably more time consolidating free chunks as that state grew (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = podium::cli::Cli::parse();
    match podium::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("podium: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
