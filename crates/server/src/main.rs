// Leptos view types nest deeply; release builds (without erased components) need room.
#![recursion_limit = "256"]
use std::process::ExitCode;

use clap::Parser;
use server::{
    cli::{self, Cli, Command},
    settings::Settings,
    startup,
    telemetry::error_chain,
};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if !error.use_stderr() => {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            // clap explains over several lines; the reason is what comes before the usage.
            let text = error.to_string();
            let reason: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|line| {
                    !line.starts_with("Usage:") && !line.starts_with("For more information")
                })
                .filter(|line| !line.is_empty())
                .collect();
            eprintln!("{}", reason.join(" "));
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm_migration=warn")),
        )
        .with_writer(std::io::stderr)
        .init();

    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match server::startup::runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(settings).await,
            command => match cli::execute(command, &settings).await {
                Ok(output) => {
                    println!("{output}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: {}", error.one_line());
                    ExitCode::FAILURE
                }
            },
        }
    })
}

async fn serve(settings: Settings) -> ExitCode {
    let listener = match tokio::net::TcpListener::bind(settings.bind).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("error: cannot listen on {}: {error}", settings.bind);
            return ExitCode::FAILURE;
        }
    };
    let scheme = if settings.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!("listening on {scheme}://{}", settings.bind);
    // Ctrl-C or SIGTERM (systemd, container runtimes): stop accepting, let the
    // requests in flight finish (bounded), then exit.
    let shutdown = async {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminate => {}
        }
        tracing::info!("shutting down: finishing the requests in flight");
    };
    match startup::run(settings, listener, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error_chain(&error));
            ExitCode::FAILURE
        }
    }
}
