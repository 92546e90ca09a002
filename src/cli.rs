//! The command line: `serve` (the default), `migrate`, `seed`, `openapi`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::domain::annex1;

/// frontline: the service behind 一把手走流程、坐窗口、跟执法、处投诉.
///
/// Settings come from FRONTLINE_* environment variables (see README.md).
#[derive(Parser, Debug)]
#[command(name = "frontline", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Apply migrations, seed an empty database, and serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the Annex 1 units that are not stored yet (by name) and exit; running it twice
    /// changes nothing.
    Seed,
    /// Print the OpenAPI 3.1 document.
    Openapi {
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
}

/// Runs the command line; the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Openapi { output }) = &cli.command {
        let spec = crate::openapi::spec_json();
        return match output {
            None => {
                print!("{spec}");
                ExitCode::SUCCESS
            }
            Some(path) => match std::fs::write(path, spec) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(format!("cannot write {}: {e}", path.display())),
            },
        };
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => return fail(format!("configuration: {e}")),
    };
    crate::telemetry::init_logging(&config.log_filter);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => migrate(&config),
        Command::Seed => seed(&config),
        Command::Openapi { .. } => ExitCode::SUCCESS,
    }
}

fn fail(message: String) -> ExitCode {
    eprintln!("frontline: {message}");
    ExitCode::FAILURE
}

fn serve(config: Config) -> ExitCode {
    let result = actix_web::rt::System::new().block_on(async move {
        let app = crate::startup::Application::build(config.clone()).await?;
        let host = config
            .bind
            .rsplit_once(':')
            .map(|(h, _)| h)
            .unwrap_or("127.0.0.1");
        let host = if host == "0.0.0.0" || host == "[::]" {
            "127.0.0.1"
        } else {
            host
        };
        let base = format!("http://{host}:{}", app.port());
        log::info!(
            "frontline {} on {} ({})",
            env!("CARGO_PKG_VERSION"),
            config.bind,
            config.database.redacted()
        );
        println!("frontline is serving on {base}");
        println!("  API docs:  {base}/docs/");
        println!("  OpenAPI:   {base}/api/v1/openapi.json");
        println!("  database:  {}", config.database.redacted());
        app.run_until_stopped()
            .await
            .map_err(|e| crate::startup::StartupError::Database(format!("server stopped: {e}")))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e.to_string()),
    }
}

fn migrate(config: &Config) -> ExitCode {
    let mut conn = match crate::db::connect(&config.database, config.sqlite_busy_timeout_ms) {
        Ok(c) => c,
        Err(e) => {
            return fail(format!(
                "cannot connect to {}: {e}",
                config.database.redacted()
            ))
        }
    };
    match crate::db::with_startup_lock(&mut conn, crate::db::run_migrations) {
        Ok(applied) if applied.is_empty() => {
            println!("the database is up to date");
            ExitCode::SUCCESS
        }
        Ok(applied) => {
            for m in applied {
                println!("applied {m}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("migration failed: {e}")),
    }
}

fn seed(config: &Config) -> ExitCode {
    let mut conn = match crate::db::connect(&config.database, config.sqlite_busy_timeout_ms) {
        Ok(c) => c,
        Err(e) => {
            return fail(format!(
                "cannot connect to {}: {e}",
                config.database.redacted()
            ))
        }
    };
    let result = crate::db::with_startup_lock(&mut conn, |conn| {
        crate::db::run_migrations(conn)?;
        crate::store::units::seed(conn, &annex1::seed_units()).map_err(|e| e.to_string())
    });
    match result {
        Ok(report) => {
            println!(
                "Annex 1: {} units inserted, {} already present",
                report.inserted, report.existing
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("seed failed: {e}")),
    }
}
