//! The readiness check's query.

use crate::db::{write_transaction, AnyConnection};
use crate::error::AppError;

/// How the probe's transaction ended: rolled back on purpose, or failed.
enum Probe {
    RolledBack,
    Failed(AppError),
}

impl From<diesel::result::Error> for Probe {
    fn from(e: diesel::result::Error) -> Self {
        Probe::Failed(e.into())
    }
}

/// Opens a write transaction (SQLite: `BEGIN IMMEDIATE`, so a database locked by another
/// writer past the busy timeout is reported), reads the unit count, and rolls back: the probe
/// writes nothing.
pub fn check(conn: &mut AnyConnection) -> Result<(), AppError> {
    let outcome: Result<(), Probe> = write_transaction(conn, |conn| {
        crate::store::units::count(conn).map_err(Probe::Failed)?;
        Err(Probe::RolledBack)
    });
    match outcome {
        Ok(()) | Err(Probe::RolledBack) => Ok(()),
        Err(Probe::Failed(e)) => Err(e),
    }
}
