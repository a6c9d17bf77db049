//! `podium`: parse the command line and run it.

use clap::Parser;

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
