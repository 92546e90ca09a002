//! Every setting of the service: its environment variable (`FRONTLINE_*`), its default, and the
//! checks made at start. README.md's configuration table lists the same variables.

use std::path::PathBuf;
use std::time::Duration;

use crate::db::DatabaseTarget;

/// Default database: an embedded SQLite file under `./data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/frontline.db";
/// Default bind address: loopback only, so a first `cargo run` exposes nothing.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Default number of pooled database connections.
pub const DEFAULT_POOL_SIZE: u32 = 8;
/// Default seconds to wait for a pooled connection before answering 503.
pub const DEFAULT_POOL_TIMEOUT_SECS: u64 = 5;
/// Default largest request body in bytes (256 KiB).
pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024;
/// Default log filter (env_logger syntax).
pub const DEFAULT_LOG: &str = "info";
/// Default SQLite busy timeout in milliseconds.
pub const DEFAULT_SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// The service's settings, read once at start.
#[derive(Clone, Debug)]
pub struct Config {
    /// `FRONTLINE_DATABASE_URL`: `sqlite://path`, a plain file path, or `postgres://…`.
    pub database: DatabaseTarget,
    /// `FRONTLINE_BIND`: host:port to listen on (`0.0.0.0:8080` in the container image).
    pub bind: String,
    /// `FRONTLINE_POOL_SIZE`: pooled connections per instance.
    pub pool_size: u32,
    /// `FRONTLINE_POOL_TIMEOUT_SECS`: wait for a connection before answering 503.
    pub pool_timeout: Duration,
    /// `FRONTLINE_BODY_LIMIT`: largest accepted request body in bytes; larger answers 413.
    pub body_limit: usize,
    /// `FRONTLINE_LOG`: log filter, e.g. `info` or `frontline=debug,actix_web=info`.
    pub log_filter: String,
    /// `FRONTLINE_WORKERS`: HTTP worker threads; default one per CPU.
    pub workers: Option<usize>,
    /// `FRONTLINE_SQLITE_BUSY_TIMEOUT_MS`: how long SQLite waits for a lock before giving up.
    pub sqlite_busy_timeout_ms: u32,
}

/// A setting that could not be used; names the variable, never echoes a secret.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub var: &'static str,
    /// Why its value was refused.
    pub reason: String,
}

impl Config {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| {
            lookup(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let database_url =
            get("FRONTLINE_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        let database = DatabaseTarget::parse(&database_url).map_err(|reason| ConfigError {
            var: "FRONTLINE_DATABASE_URL",
            reason,
        })?;
        let pool_size = parse_num(&get, "FRONTLINE_POOL_SIZE", DEFAULT_POOL_SIZE, 1, 1_000)?;
        let pool_timeout = Duration::from_secs(parse_num(
            &get,
            "FRONTLINE_POOL_TIMEOUT_SECS",
            DEFAULT_POOL_TIMEOUT_SECS,
            1,
            300,
        )?);
        let body_limit = parse_num(
            &get,
            "FRONTLINE_BODY_LIMIT",
            DEFAULT_BODY_LIMIT,
            1_024,
            64 << 20,
        )?;
        let workers = match get("FRONTLINE_WORKERS") {
            None => None,
            Some(_) => Some(parse_num(&get, "FRONTLINE_WORKERS", 1usize, 1, 256)?),
        };
        let sqlite_busy_timeout_ms = parse_num(
            &get,
            "FRONTLINE_SQLITE_BUSY_TIMEOUT_MS",
            DEFAULT_SQLITE_BUSY_TIMEOUT_MS,
            0,
            600_000,
        )?;
        Ok(Config {
            database,
            bind: get("FRONTLINE_BIND").unwrap_or_else(|| DEFAULT_BIND.into()),
            pool_size,
            pool_timeout,
            body_limit,
            log_filter: get("FRONTLINE_LOG").unwrap_or_else(|| DEFAULT_LOG.into()),
            workers,
            sqlite_busy_timeout_ms,
        })
    }

    /// The folder that holds the SQLite file, when the database is SQLite on disk.
    pub fn data_dir(&self) -> Option<PathBuf> {
        self.database.sqlite_dir()
    }
}

fn parse_num<T>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(raw) = get(var) else {
        return Ok(default);
    };
    let value: T = raw.parse().map_err(|_| ConfigError {
        var,
        reason: format!("expected a whole number from {min} to {max}, got {raw:?}"),
    })?;
    if value < min || value > max {
        return Err(ConfigError {
            var,
            reason: format!("must be from {min} to {max}, got {value}"),
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.pool_size, DEFAULT_POOL_SIZE);
        assert_eq!(c.body_limit, DEFAULT_BODY_LIMIT);
        assert!(matches!(c.database, DatabaseTarget::Sqlite { .. }));
        assert_eq!(c.data_dir(), Some(PathBuf::from("data")));
    }

    #[test]
    fn a_number_out_of_range_names_its_variable() {
        let e = config(&[("FRONTLINE_POOL_SIZE", "0")]).unwrap_err();
        assert_eq!(e.var, "FRONTLINE_POOL_SIZE");
        let e = config(&[("FRONTLINE_BODY_LIMIT", "lots")]).unwrap_err();
        assert_eq!(e.var, "FRONTLINE_BODY_LIMIT");
    }

    #[test]
    fn a_bad_database_url_is_refused_without_echoing_it() {
        let e = config(&[("FRONTLINE_DATABASE_URL", "mysql://u:secret@h/db")]).unwrap_err();
        assert_eq!(e.var, "FRONTLINE_DATABASE_URL");
        assert!(!e.to_string().contains("secret"));
    }
}
