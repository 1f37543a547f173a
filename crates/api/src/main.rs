//! The `studiobrain` binary.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    if rustls::crypto::ring::default_provider()
        .install_default()
        .is_err()
    {
        eprintln!("a TLS crypto provider was already installed");
    }
    match studiobrain_api::cli::run(studiobrain_api::cli::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
