//! Rebuilds the crate when a migration is added or changed: `embed_migrations!` reads the
//! `migrations` folders at compile time, and cargo does not otherwise notice a new folder
//! (an incremental build then served a database without the newest migration).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
