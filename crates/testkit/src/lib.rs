//! Test support shared by Lantern's crates: synthetic capture files (no real people: names are
//! invented, phone numbers come only from Ofcom's drama ranges, e-mail domains are `example`) and
//! fresh databases on SQLite and PostgreSQL.

pub mod captures;
pub mod db;
pub mod fixtures;

pub use captures::CaptureGenerator;
pub use db::{TestDb, backends};
