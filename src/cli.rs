//! The command line: `serve` (the default), `migrate`, `seed`, `purge`, `demo-data`, `user`,
//! `backup`, `openapi`.

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
    /// Remove the names and phone numbers of service records past the retention period
    /// (`FRONTLINE_SERVICE_RECORD_RETENTION_DAYS`); the server also does this once a day.
    Purge,
    /// Generate a deterministic demonstration programme (benchmarks, demos): Annex 1's units
    /// as district 1 and copies as districts 2..N, and a year of records imported through the
    /// import pipeline. Running it again with the same options adds nothing.
    DemoData {
        /// Districts, 1 (a district) to 13 (a city).
        #[arg(long, default_value_t = 1)]
        scale: u32,
        /// The seed: the same seed, the same data.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// The year (default: last year); only its quarters that have ended are made.
        #[arg(long)]
        year: Option<i32>,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Write a consistent copy of the SQLite database to FILE while the service runs (SQLite's
    /// `VACUUM INTO`), then check the copy (`PRAGMA integrity_check`). On PostgreSQL, use
    /// `pg_dump` (README.md, "Reliability and security").
    Backup {
        /// The new file (must not exist yet).
        file: std::path::PathBuf,
    },
    /// Print the OpenAPI 3.1 document.
    Openapi {
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create an account and print its one-time password (changed at first sign-in).
    Add {
        /// Sign-in name: 3–32 of a-z, 0-9, . _ -
        #[arg(long)]
        username: String,
        /// admin, coordinator, leader, lead or unit.
        #[arg(long)]
        role: String,
        /// The unit it acts for: its id, short code or exact name (required for coordinator,
        /// lead and unit).
        #[arg(long)]
        unit: Option<String>,
        /// For a lead: window, enforcement or complaint.
        #[arg(long)]
        activity: Option<String>,
        /// Name shown to people (default: the username).
        #[arg(long)]
        display_name: Option<String>,
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
        Command::Purge => purge(&config),
        Command::Backup { file } => backup(&config, &file),
        Command::DemoData { scale, seed, year } => demo_data(&config, scale, seed, year),
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    role,
                    unit,
                    activity,
                    display_name,
                },
        } => user_add(
            &config,
            &username,
            &role,
            unit.as_deref(),
            activity.as_deref(),
            display_name.as_deref(),
        ),
        Command::Openapi { .. } => ExitCode::SUCCESS,
    }
}

fn fail(message: String) -> ExitCode {
    eprintln!("frontline: {message}");
    ExitCode::FAILURE
}

/// Gives back to the system what start-up used and freed: each worker builds its routing
/// table and the API description once, and glibc keeps what a thread's arena once held
/// resident (about half the idle memory; benches/RESULTS.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim_allocator() {
    // SAFETY: malloc_trim only returns free memory at the top of glibc's heaps to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_allocator() {}

/// Allocations from this size up get their own mapping, given back to the system when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 1 << 20;

/// Pins glibc's mmap threshold. Left to itself glibc raises the threshold to the size of the
/// largest block freed (up to 32 MiB): after the first password hash (19 MiB of argon2
/// memory) such blocks come from the arena of whichever blocking thread ran it, and each of
/// those arenas then keeps its freed 19 MiB, and its share of a compliance check's year,
/// resident for good (the RSS peak, 189 → 72 MB after the checks; benches/RESULTS.md). An
/// operator's own `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=…` is left in force.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    if std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("mmap_threshold")) {
        return;
    }
    // SAFETY: mallopt only sets a parameter of glibc's allocator; called before any thread
    // of the server starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn serve(config: Config) -> ExitCode {
    tune_allocator();
    let result = actix_web::rt::System::new().block_on(async move {
        let app = crate::startup::Application::build(config.clone()).await?;
        // Once the workers have built their apps.
        actix_web::rt::spawn(async {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
            trim_allocator();
        });
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
        if let Some((username, password)) = &app.first_admin {
            // Printed once, to the console only: never logged, stored only as a hash.
            println!("first start: created the account '{username}' with the one-time password  {password}");
            println!("  sign in and change it now (POST /api/v1/auth/login, then /api/v1/auth/password)");
        }
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

/// One connection to the configured database, or the exit code after saying why not.
fn connect(config: &Config) -> Result<crate::db::AnyConnection, ExitCode> {
    crate::db::connect(&config.database, config.sqlite_busy_timeout_ms).map_err(|e| {
        fail(format!(
            "cannot connect to {}: {e}",
            config.database.redacted()
        ))
    })
}

fn demo_data(config: &Config, scale: u32, seed: u64, year: Option<i32>) -> ExitCode {
    use chrono::Datelike;
    if !(1..=crate::demo::MAX_SCALE).contains(&scale) {
        return fail(format!("--scale must be 1 to {}", crate::demo::MAX_SCALE));
    }
    let this_year = crate::domain::calendar::local_date(chrono::Utc::now()).year();
    let year = year.unwrap_or(this_year - 1);
    if !(2000..=this_year).contains(&year) {
        return fail(format!("--year must be 2000 to {this_year}"));
    }
    let mut conn = match connect(config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let prepared = crate::db::with_startup_lock(&mut conn, |conn| {
        crate::db::run_migrations(conn)?;
        crate::store::units::seed(conn, &annex1::seed_units()).map_err(|e| e.to_string())
    });
    if let Err(e) = prepared {
        return fail(format!("migration or seed failed: {e}"));
    }
    // The records are created by an account of their own, which cannot sign in until an admin
    // resets its password.
    let user_id = match crate::store::users::credentials(&mut conn, "demo-data") {
        Ok(Some((user, _))) => user.id,
        Ok(None) => {
            let hasher = match crate::auth::password::Hasher::new(&config.auth) {
                Ok(h) => h,
                Err(e) => return fail(e),
            };
            let hash = match hasher.hash(&crate::auth::password::one_time_password()) {
                Ok(h) => h,
                Err(e) => return fail(e),
            };
            let new = crate::store::users::new_account(
                "demo-data",
                "示例数据",
                crate::domain::account::Role::Admin,
                None,
                None,
                hash,
            );
            let ctx = crate::store::audit::AuditCtx {
                actor_username: Some("frontline demo-data".into()),
                ..Default::default()
            };
            match crate::api::users::create_account(&mut conn, &ctx, &new) {
                Ok(u) => u.id,
                Err(e) => return fail(e.to_string()),
            }
        }
        Err(e) => return fail(e.to_string()),
    };
    let started = std::time::Instant::now();
    match crate::demo::generate(&mut conn, config, &user_id, scale, seed, year) {
        Ok(r) => {
            println!(
                "demo data for {year}, {scale} district(s): {} units; {} records imported, {} already there; {} work orders ({:.1} s)",
                r.units,
                r.created,
                r.unchanged,
                r.work_orders,
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(crate::error::AppError::Validation(problems)) => {
            for p in problems.iter().take(20) {
                eprintln!("  {}: {} ({})", p.field, p.en, p.code);
            }
            fail(format!("{} generated records were refused", problems.len()))
        }
        Err(e) => fail(e.to_string()),
    }
}

fn purge(config: &Config) -> ExitCode {
    let mut conn = match connect(config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Err(e) = crate::db::with_startup_lock(&mut conn, crate::db::run_migrations) {
        return fail(format!("migration failed: {e}"));
    }
    match crate::api::service_records::purge(&mut conn, config.service_record_retention_days) {
        Ok(n) => {
            println!(
                "purged the personal data of {n} service records older than {} days",
                config.service_record_retention_days
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e.to_string()),
    }
}

fn backup(config: &Config, file: &std::path::Path) -> ExitCode {
    if !matches!(config.database, crate::db::DatabaseTarget::Sqlite { .. }) {
        eprintln!(
            "frontline backup copies an SQLite database; for PostgreSQL run \
             pg_dump --format=custom --file {} \"$FRONTLINE_DATABASE_URL\"",
            file.display()
        );
        return ExitCode::from(2);
    }
    let mut conn = match connect(config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match crate::db::backup_sqlite(&mut conn, file) {
        Ok(bytes) => {
            println!(
                "backup written to {} ({bytes} bytes); integrity check: ok",
                file.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("backup failed: {e}")),
    }
}

fn migrate(config: &Config) -> ExitCode {
    let mut conn = match connect(config) {
        Ok(c) => c,
        Err(code) => return code,
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
    let mut conn = match connect(config) {
        Ok(c) => c,
        Err(code) => return code,
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

fn user_add(
    config: &Config,
    username: &str,
    role: &str,
    unit: Option<&str>,
    activity: Option<&str>,
    display_name: Option<&str>,
) -> ExitCode {
    use std::str::FromStr;

    use crate::domain::account::{role_shape_issues, Role};
    use crate::domain::unit::Activity;

    let Ok(role) = Role::from_str(role) else {
        return fail(format!("--role must be one of: {}", Role::expected()));
    };
    let activity = match activity.map(Activity::from_str).transpose() {
        Ok(a) => a,
        Err(e) => return fail(format!("--activity {e}")),
    };
    let ok_name = (3..=32).contains(&username.len())
        && username.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if !ok_name {
        return fail("--username must be 3 to 32 of a-z, 0-9, . _ -".into());
    }
    let hasher = match crate::auth::password::Hasher::new(&config.auth) {
        Ok(h) => h,
        Err(e) => return fail(e),
    };
    let mut conn = match connect(config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Err(e) = crate::db::with_startup_lock(&mut conn, crate::db::run_migrations) {
        return fail(format!("migration failed: {e}"));
    }
    let unit_id = match unit {
        None => None,
        Some(key) => match crate::store::units::find_by_key(&mut conn, key) {
            Ok(Some(u)) => Some(u.id.to_string()),
            Ok(None) => return fail(format!("no unit has the id, short code or name {key:?}")),
            Err(e) => return fail(e.to_string()),
        },
    };
    if let Some((field, _, _, en)) = role_shape_issues(role, unit_id.is_some(), activity).first() {
        return fail(format!("{field}: {en}"));
    }
    let otp = crate::auth::password::one_time_password();
    let hash = match hasher.hash(&otp) {
        Ok(h) => h,
        Err(e) => return fail(e),
    };
    let new = crate::store::users::new_account(
        username,
        display_name.unwrap_or(username),
        role,
        unit_id,
        activity,
        hash,
    );
    let ctx = crate::store::audit::AuditCtx {
        actor_username: Some("frontline user add".into()),
        ..Default::default()
    };
    match crate::api::users::create_account(&mut conn, &ctx, &new) {
        Ok(user) => {
            println!(
                "created {} ({}) with the one-time password  {otp}",
                user.username, user.role
            );
            println!("it must be changed at first sign-in");
            ExitCode::SUCCESS
        }
        Err(crate::error::AppError::Conflict { .. }) => {
            fail(format!("the username {username} is taken"))
        }
        Err(e) => fail(e.to_string()),
    }
}
