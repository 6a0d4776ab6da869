//! Backups of a SQLite store: a consistent snapshot taken while the store is in use
//! (`VACUUM INTO`, which also leaves out deleted content), made durable (the file and its
//! directory fsynced) and checked (`PRAGMA integrity_check`) before it is reported done; and
//! restore: a checked backup copied into a data directory, durably, never over a store unless
//! asked. PostgreSQL is backed up with its own tools (`pg_dump` or `pg_basebackup` and
//! `pg_verifybackup`), as README.md says.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::error::{DbContext, Result, StoreError};
use crate::sqlite::{DATABASE_FILE, SqliteStore};
use crate::sqlite_writer::db;

/// Rows per table and a content checksum of a SQLite file: what a restore drill compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// `(table, rows)` of every table, by name.
    pub tables: Vec<(String, i64)>,
    /// SHA-256 over every row of every table in primary-key order, hex.
    pub checksum: String,
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> StoreError {
    move |source| StoreError::Io { context, source }
}

/// Flushes `path` and its directory to disk.
fn sync_file_and_dir(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io(format!("syncing {}", path.display())))?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|f| f.sync_all())
            .map_err(io(format!("syncing {}", dir.display())))?;
    }
    Ok(())
}

/// Checks a SQLite file's integrity (read-only).
pub fn check_integrity(path: &Path) -> Result<()> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(db("opening the backup"))?;
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(db("checking the backup's integrity"))?;
    if verdict != "ok" {
        return Err(StoreError::Corrupt(format!(
            "{} failed its integrity check: {verdict}",
            path.display()
        )));
    }
    Ok(())
}

/// Row counts and a checksum of every table of a SQLite file (read-only).
pub fn snapshot(path: &Path) -> Result<Snapshot> {
    use sha2::{Digest, Sha256};
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(db("opening a store to compare"))?;
    let mut names: Vec<String> = {
        let mut stmt = conn
            .prepare(
                "SELECT name FROM sqlite_schema WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%' \
                 AND name NOT LIKE 'listing_search_%' ORDER BY name",
            )
            .map_err(db("listing tables"))?;
        let rows = stmt
            .query_map([], |r| r.get(0))
            .map_err(db("listing tables"))?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(db("listing tables"))?
    };
    names.sort();
    let mut hash = Sha256::new();
    let mut tables = Vec::new();
    for name in names {
        // Table names come from the schema, quoted as identifiers; nothing here is user input.
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        let columns = conn
            .prepare(&format!("SELECT * FROM {quoted}"))
            .map_err(db("reading a table"))?
            .column_count();
        // Every column orders the rows (primary keys lead in this schema's tables).
        let order: Vec<String> = (1..=columns).map(|i| i.to_string()).collect();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT * FROM {quoted} ORDER BY {}",
                order.join(", ")
            ))
            .map_err(db("reading a table"))?;
        let mut rows = stmt.query([]).map_err(db("reading a table"))?;
        let mut count = 0_i64;
        hash.update(name.as_bytes());
        while let Some(row) = rows.next().map_err(db("reading a row"))? {
            count += 1;
            for i in 0..columns {
                let value = row.get_ref(i).map_err(db("reading a value"))?;
                hash.update(format!("{value:?}").as_bytes());
                hash.update([0]);
            }
        }
        tables.push((name, count));
    }
    Ok(Snapshot {
        tables,
        checksum: hex::encode(hash.finalize()),
    })
}

impl SqliteStore {
    /// Writes a consistent, checked, durable copy of the store to `out` (which must not exist).
    pub async fn backup_to(&self, out: &Path) -> Result<()> {
        if out.exists() {
            return Err(StoreError::Refused(format!(
                "{} exists; a backup never overwrites a file",
                out.display()
            )));
        }
        let target = out
            .to_str()
            .ok_or_else(|| StoreError::Refused(format!("{} is not a UTF-8 path", out.display())))?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.pool)
            .await
            .context("writing the backup (VACUUM INTO)")?;
        set_owner_only(out)?;
        sync_file_and_dir(out)?;
        check_integrity(out)
    }
}

fn set_owner_only(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(io(format!("restricting {}", path.display())))?;
    }
    Ok(())
}

/// Restores the backup `from` into `data_dir`: checked first, copied beside the store, fsynced,
/// then moved into place. Refuses when `data_dir` holds a store, unless `replace` (the old file
/// and its journal are then replaced whole). Returns the restored file's path.
pub fn restore(from: &Path, data_dir: &Path, replace: bool) -> Result<PathBuf> {
    check_integrity(from)?;
    std::fs::create_dir_all(data_dir).map_err(io(format!("creating {}", data_dir.display())))?;
    let target = data_dir.join(DATABASE_FILE);
    if target.exists() && !replace {
        return Err(StoreError::Refused(format!(
            "{} already holds a store; pass --replace to overwrite it with the backup",
            data_dir.display()
        )));
    }
    let partial = data_dir.join(format!("{DATABASE_FILE}.restoring"));
    std::fs::copy(from, &partial).map_err(io(format!(
        "copying {} to {}",
        from.display(),
        partial.display()
    )))?;
    set_owner_only(&partial)?;
    sync_file_and_dir(&partial)?;
    check_integrity(&partial)?;
    for journal in ["-wal", "-shm"] {
        let side = data_dir.join(format!("{DATABASE_FILE}{journal}"));
        if side.exists() {
            std::fs::remove_file(&side).map_err(io(format!("removing {}", side.display())))?;
        }
    }
    std::fs::rename(&partial, &target).map_err(io(format!(
        "moving the restored store into {}",
        target.display()
    )))?;
    sync_file_and_dir(&target)?;
    Ok(target)
}
