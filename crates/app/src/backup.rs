//! `lantern backup` and `lantern restore` (SQLite): a consistent, fsynced, integrity-checked copy
//! of the store, and its restoration into a data directory. Both are audit events: a backup is
//! an export of everything (logged once the copy is checked), a restore an alteration of the
//! whole store (logged in the restored store). PostgreSQL is backed up with its own tools.

use std::path::{Path, PathBuf};

use lantern_store::backup::{Snapshot, snapshot};
use lantern_store::{AuditStore, CaptureStore, Operation, Store, StoreError, Target};

use crate::Actor;

/// What a backup or restore did: the file and what it holds.
#[derive(Debug, Clone)]
pub struct BackupReport {
    /// The backup written, or the store restored.
    pub path: PathBuf,
    /// Its tables' row counts and checksum.
    pub snapshot: Snapshot,
}

/// A backup's name in the audit log: its file name (the whole path when it has none).
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The answer on PostgreSQL.
fn postgres_tools() -> StoreError {
    StoreError::Refused(
        "on PostgreSQL, back up with the server's tools: pg_dump -Fc (or pg_basebackup with \
         pg_verifybackup) and restore with pg_restore into an empty database; see README.md"
            .into(),
    )
}

/// Writes a checked copy of the store to `out` (which must not exist).
pub async fn backup(store: &Store, out: &Path, actor: &Actor) -> Result<BackupReport, StoreError> {
    let Store::Sqlite(sqlite) = store else {
        return Err(postgres_tools());
    };
    sqlite.backup_to(out).await?;
    let report = BackupReport {
        path: out.to_owned(),
        snapshot: snapshot(out)?,
    };
    let event = crate::audit::by_operator(Operation::Export, actor)
        .about("backup", &file_name(out))
        .rows(report.snapshot.tables.iter().map(|(_, n)| *n as u64).sum());
    store.append_audit(&event).await?;
    Ok(report)
}

/// Restores the backup `from` into the SQLite store of `target` (refusing to replace a store
/// unless `replace`); the restore is logged in the restored store.
pub async fn restore(
    target: &Target,
    from: &Path,
    replace: bool,
    actor: &Actor,
) -> Result<BackupReport, StoreError> {
    let Target::SqliteDir(dir) = target else {
        return Err(postgres_tools());
    };
    let path = lantern_store::backup::restore(from, dir, replace)?;
    let report = BackupReport {
        snapshot: snapshot(&path)?,
        path,
    };
    let store = Store::open(target).await?;
    let event = crate::audit::by_operator(Operation::Alter, actor).about("store", &file_name(from));
    let logged = store.append_audit(&event).await;
    store.close().await;
    logged?;
    Ok(report)
}
