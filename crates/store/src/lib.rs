//! Lantern's storage. One behavioural contract, two backends: SQLite (the embedded default, one
//! file in a data directory) and PostgreSQL (force-wide deployments). [`Store`] picks one at run
//! time and delegates; callers never see SQL.
//!
//! Architecture invariants: only this crate knows SQL; every statement is parameterised; a batch
//! is written in one transaction, so a crash leaves whole batches or nothing; migrations are
//! never edited after they land, and both backends carry the same list.

pub mod accounts;
pub mod analysis;
pub mod audit;
pub mod backup;
pub mod error;
pub mod migrations;
mod model;
pub mod plan;
pub mod postgres;
mod postgres_copy;
pub mod retention;
mod sql;
pub mod sqlite;
mod sqlite_analysis_save;
mod sqlite_reader;
mod sqlite_writer;
pub mod visits;

use std::path::PathBuf;

use lantern_core::{Timestamp, ValidCapture};

pub use accounts::{
    AccountStore, LocationShare, NewSession, NewUser, OrganisationRow, SessionRow, UserRow,
};
pub use analysis::{
    AnalysisRun, AnalysisSave, AnalysisStore, CaptureOrder, CaptureRow, LinkState, ListingRow,
    ListingsExtent, RecordKey, RecordKind, SaveOutcome, StoredRecord,
};
pub use audit::{AuditEvent, AuditFilter, AuditStore, Operation, StoredAuditEvent, Verification};
pub use error::{Result, StoreError};
pub use model::{
    AppliedMigration, BatchOutcome, IngestRun, ListingCaptures, NewRun, RunCounts, RunId, RunMode,
    RunStatus, StoreCounts, StoredRaw,
};
pub use postgres::{PostgresStore, PostgresTx};
pub use retention::{
    AgedListing, AgedVisit, Erasure, NewReview, RetainedKind, RetentionStore, ReviewDecision,
    ReviewRow,
};
pub use sqlite::{SqliteStore, SqliteTx};
pub use visits::{LocationVisits, NewVisit, VisitRow, VisitStore};

/// Where the data lives.
#[derive(Clone, PartialEq, Eq)]
pub enum Target {
    /// A SQLite file inside this directory.
    SqliteDir(PathBuf),
    /// A PostgreSQL URL (`postgres://…`).
    Postgres(String),
}

impl Target {
    /// Chooses the backend: a database URL wins over the data directory.
    pub fn choose(data_dir: PathBuf, database_url: Option<String>) -> Result<Self> {
        match database_url {
            None => Ok(Self::SqliteDir(data_dir)),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Self::Postgres(url))
            }
            Some(url) => Err(StoreError::Config(format!(
                "database URL {} is not a postgres:// URL; leave it unset to use SQLite in the data directory",
                redact_url(&url)
            ))),
        }
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SqliteDir(dir) => {
                write!(f, "SQLite in {}", dir.join(sqlite::DATABASE_FILE).display())
            }
            Self::Postgres(url) => write!(f, "PostgreSQL at {}", redact_url(url)),
        }
    }
}

/// A URL with any password replaced by `***`, safe to print or log.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let hidden = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_owned()
            };
            format!("{scheme}://{hidden}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// The store, on whichever backend was chosen.
#[derive(Debug, Clone)]
pub enum Store {
    /// SQLite file.
    Sqlite(SqliteStore),
    /// PostgreSQL server.
    Postgres(PostgresStore),
}

/// A write transaction on either backend.
pub enum StoreTx {
    /// On SQLite.
    Sqlite(SqliteTx),
    /// On PostgreSQL.
    Postgres(PostgresTx),
}

/// What the application needs from storage. Implemented by each backend and by [`Store`], which
/// delegates to the one chosen at run time.
///
/// Used through concrete types, whose futures the compiler knows to be `Send`.
#[allow(async_fn_in_trait)]
pub trait CaptureStore {
    /// The backend's write transaction.
    type Tx: IngestTx;

    /// Closes connections (on SQLite, checkpointing the WAL).
    async fn close(&self);
    /// Records the start of an ingest run.
    async fn start_run(&self, run: &NewRun) -> Result<RunId>;
    /// Records how a run ended.
    async fn finish_run(&self, run: RunId, counts: &RunCounts, status: RunStatus) -> Result<()>;
    /// A stored run.
    async fn run(&self, run: RunId) -> Result<Option<IngestRun>>;
    /// Opens a write transaction for batches of `run`.
    async fn begin(&self, run: RunId) -> Result<Self::Tx>;
    /// Row counts.
    async fn counts(&self) -> Result<StoreCounts>;
    /// A digest of every stored listing and capture; equal across backends for equal contents.
    async fn content_digest(&self) -> Result<String>;
    /// Calls `f` for every listing, ordered by `(source, external_id)` in code-point order.
    async fn for_each_listing(
        &self,
        f: &mut dyn FnMut(ListingCaptures) -> std::io::Result<()>,
    ) -> Result<()>;
    /// Migrations applied to this database.
    async fn applied_migrations(&self) -> Result<Vec<AppliedMigration>>;
}

/// A write transaction: batches written through it become visible together on commit.
#[allow(async_fn_in_trait)]
pub trait IngestTx {
    /// Stores a batch: listings upserted, new captures inserted, repeats widen stored time spans.
    /// Returns how many captures were new and how many were already stored.
    async fn write_batch(&mut self, batch: Vec<ValidCapture>) -> Result<BatchOutcome>;
    /// Commits every batch written in this transaction, with `audit` (the collection it
    /// records) written in it when given.
    async fn commit(self, audit: Option<&AuditEvent>) -> Result<()>;
    /// Discards every batch written in this transaction.
    async fn rollback(self) -> Result<()>;
}

macro_rules! delegate {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            Store::Sqlite($store) => $call,
            Store::Postgres($store) => $call,
        }
    };
}

impl Store {
    /// Opens the store, creating it if needed, and applies pending migrations.
    pub async fn open(target: &Target) -> Result<Self> {
        Ok(match target {
            Target::SqliteDir(dir) => Self::Sqlite(SqliteStore::open(dir).await?),
            Target::Postgres(url) => Self::Postgres(PostgresStore::open(url).await?),
        })
    }

    /// Makes erasures final in the files: on SQLite, checkpoints the write-ahead log into the
    /// database and truncates it (deleted content is already zeroed: `secure_delete` is on);
    /// on PostgreSQL, nothing (dead rows stay in the table files until `VACUUM` reuses their
    /// space; README.md says so).
    pub async fn checkpoint(&self) -> Result<()> {
        match self {
            Self::Sqlite(s) => s.checkpoint().await,
            Self::Postgres(_) => Ok(()),
        }
    }

    /// The deployment's secret `name`: the stored one, or `fresh` stored now when there is none
    /// yet (two processes racing store one of theirs and both read it back).
    pub async fn deployment_key(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>> {
        use crate::error::DbContext;
        use sqlx::Row;
        delegate!(self, s => {
            sqlx::query(
                "INSERT INTO deployment_keys (name, key) VALUES ($1, $2) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(fresh)
            .execute(&s.pool)
            .await
            .context("storing a deployment key")?;
            let row = sqlx::query("SELECT key FROM deployment_keys WHERE name = $1")
                .bind(name)
                .fetch_one(&s.pool)
                .await
                .context("reading a deployment key")?;
            Ok(row.get(0))
        })
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// The migrations this build carries, `(version, description)`.
    pub fn known_migrations(&self) -> Vec<(i64, &'static str)> {
        let list = match self {
            Self::Sqlite(_) => migrations::SQLITE,
            Self::Postgres(_) => migrations::POSTGRES,
        };
        list.iter().map(|(v, d, _)| (*v, *d)).collect()
    }
}

impl CaptureStore for Store {
    type Tx = StoreTx;

    async fn close(&self) {
        delegate!(self, s => s.close().await)
    }
    async fn start_run(&self, run: &NewRun) -> Result<RunId> {
        delegate!(self, s => s.start_run(run).await)
    }
    async fn finish_run(&self, run: RunId, counts: &RunCounts, status: RunStatus) -> Result<()> {
        delegate!(self, s => s.finish_run(run, counts, status).await)
    }
    async fn run(&self, run: RunId) -> Result<Option<IngestRun>> {
        delegate!(self, s => s.run(run).await)
    }
    async fn begin(&self, run: RunId) -> Result<StoreTx> {
        Ok(match self {
            Self::Sqlite(s) => StoreTx::Sqlite(s.begin(run).await?),
            Self::Postgres(s) => StoreTx::Postgres(s.begin(run).await?),
        })
    }
    async fn counts(&self) -> Result<StoreCounts> {
        delegate!(self, s => s.counts().await)
    }
    async fn content_digest(&self) -> Result<String> {
        delegate!(self, s => s.content_digest().await)
    }
    async fn for_each_listing(
        &self,
        f: &mut dyn FnMut(ListingCaptures) -> std::io::Result<()>,
    ) -> Result<()> {
        delegate!(self, s => s.for_each_listing(f).await)
    }
    async fn applied_migrations(&self) -> Result<Vec<AppliedMigration>> {
        delegate!(self, s => s.applied_migrations().await)
    }
}

impl AnalysisStore for Store {
    async fn last_analysis(&self) -> Result<Option<AnalysisRun>> {
        delegate!(self, s => s.last_analysis().await)
    }
    async fn max_capture_id(&self) -> Result<i64> {
        delegate!(self, s => s.max_capture_id().await)
    }
    async fn listings_extent(&self) -> Result<ListingsExtent> {
        delegate!(self, s => s.listings_extent().await)
    }
    async fn captures_between(
        &self,
        after: i64,
        through: i64,
        order: CaptureOrder,
        f: &mut dyn FnMut(CaptureRow) -> std::io::Result<()>,
    ) -> Result<()> {
        delegate!(self, s => s.captures_between(after, through, order, f).await)
    }
    async fn listings(
        &self,
        with_links: bool,
        f: &mut dyn FnMut(ListingRow) -> std::io::Result<()>,
    ) -> Result<()> {
        delegate!(self, s => s.listings(with_links, f).await)
    }
    async fn evidence_of(
        &self,
        listing_ids: &[i64],
        f: &mut (dyn FnMut(i64, Vec<u8>) -> std::io::Result<()> + Send),
    ) -> Result<()> {
        delegate!(self, s => s.evidence_of(listing_ids, f).await)
    }
    async fn record_digests(&self) -> Result<std::collections::HashMap<RecordKey, i64>> {
        delegate!(self, s => s.record_digests().await)
    }
    async fn save_analysis(&self, save: AnalysisSave) -> Result<SaveOutcome> {
        delegate!(self, s => s.save_analysis(save).await)
    }
    async fn for_each_record(
        &self,
        kind: RecordKind,
        f: &mut (dyn FnMut(&str) -> std::io::Result<()> + Send),
    ) -> Result<u64> {
        delegate!(self, s => s.for_each_record(kind, f).await)
    }
}

impl AuditStore for Store {
    async fn append_audit(&self, event: &AuditEvent) -> Result<i64> {
        delegate!(self, s => s.append_audit(event).await)
    }
    async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<StoredAuditEvent>> {
        delegate!(self, s => s.audit_events(filter).await)
    }
    async fn verify_audit(&self) -> Result<Verification> {
        delegate!(self, s => s.verify_audit().await)
    }
}

impl VisitStore for Store {
    async fn location_record(&self, location_id: &str) -> Result<Option<String>> {
        delegate!(self, s => s.location_record(location_id).await)
    }
    async fn record_visit(
        &self,
        visit: &NewVisit,
        location: Option<(String, i64)>,
        audit: &AuditEvent,
    ) -> Result<i64> {
        delegate!(self, s => s.record_visit(visit, location, audit).await)
    }
    async fn visit_summaries(&self) -> Result<Vec<LocationVisits>> {
        delegate!(self, s => s.visit_summaries().await)
    }
    async fn visits_of(&self, location_id: &str) -> Result<Vec<VisitRow>> {
        delegate!(self, s => s.visits_of(location_id).await)
    }
    async fn visit_outcomes(&self) -> Result<Vec<(String, String)>> {
        delegate!(self, s => s.visit_outcomes().await)
    }
    async fn cluster_records(
        &self,
        cluster: &str,
        kinds: &[RecordKind],
    ) -> Result<Vec<(RecordKind, String)>> {
        delegate!(self, s => s.cluster_records(cluster, kinds).await)
    }
    async fn search_listings(&self, terms: &[String], limit: i64) -> Result<Vec<String>> {
        delegate!(self, s => s.search_listings(terms, limit).await)
    }
    async fn locations_with_status(&self, status: &str) -> Result<Vec<String>> {
        delegate!(self, s => s.locations_with_status(status).await)
    }
    async fn records_version(&self) -> Result<(i64, i64)> {
        delegate!(self, s => s.records_version().await)
    }
}

impl RetentionStore for Store {
    async fn aged_listings(
        &self,
        cutoff: Timestamp,
        analysed_through: i64,
    ) -> Result<Vec<AgedListing>> {
        delegate!(self, s => s.aged_listings(cutoff, analysed_through).await)
    }
    async fn aged_visits(&self, cutoff: Timestamp) -> Result<Vec<AgedVisit>> {
        delegate!(self, s => s.aged_visits(cutoff).await)
    }
    async fn reviews(&self) -> Result<Vec<ReviewRow>> {
        delegate!(self, s => s.reviews().await)
    }
    async fn retained_evidence(
        &self,
        f: &mut (dyn FnMut(i64, Vec<u8>) -> std::io::Result<()> + Send),
    ) -> Result<()> {
        delegate!(self, s => s.retained_evidence(f).await)
    }
    async fn listings_to_reanalyse(&self) -> Result<Vec<i64>> {
        delegate!(self, s => s.listings_to_reanalyse().await)
    }
    async fn apply_retention(
        &self,
        at: Timestamp,
        erasures: &[(Erasure, AuditEvent)],
        reviews: &[NewReview],
    ) -> Result<u64> {
        delegate!(self, s => s.apply_retention(at, erasures, reviews).await)
    }
    async fn decide_review(
        &self,
        at: Timestamp,
        decision: &ReviewDecision,
        erasure: Option<&Erasure>,
        audit: &AuditEvent,
    ) -> Result<bool> {
        delegate!(self, s => s.decide_review(at, decision, erasure, audit).await)
    }
}

impl AccountStore for Store {
    async fn add_organisation(
        &self,
        name: &str,
        kind: &str,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<i64> {
        delegate!(self, s => s.add_organisation(name, kind, at, audit).await)
    }
    async fn organisations(&self) -> Result<Vec<OrganisationRow>> {
        delegate!(self, s => s.organisations().await)
    }
    async fn add_user(&self, user: &NewUser, audit: &AuditEvent) -> Result<i64> {
        delegate!(self, s => s.add_user(user, audit).await)
    }
    async fn user(&self, username: &str) -> Result<Option<UserRow>> {
        delegate!(self, s => s.user(username).await)
    }
    async fn users(&self) -> Result<Vec<UserRow>> {
        delegate!(self, s => s.users().await)
    }
    async fn set_active(&self, username: &str, active: bool, audit: &AuditEvent) -> Result<bool> {
        delegate!(self, s => s.set_active(username, active, audit).await)
    }
    async fn set_password(
        &self,
        username: &str,
        hash: &str,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<bool> {
        delegate!(self, s => s.set_password(username, hash, at, audit).await)
    }
    async fn open_session(&self, session: &NewSession) -> Result<()> {
        delegate!(self, s => s.open_session(session).await)
    }
    async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>> {
        delegate!(self, s => s.session(token_hash).await)
    }
    async fn touch_session(&self, token_hash: &str, at: Timestamp) -> Result<()> {
        delegate!(self, s => s.touch_session(token_hash, at).await)
    }
    async fn end_session(&self, token_hash: &str) -> Result<()> {
        delegate!(self, s => s.end_session(token_hash).await)
    }
    async fn record_login_failure(
        &self,
        username: &str,
        address: &str,
        at: Timestamp,
        forget_before: Timestamp,
    ) -> Result<()> {
        delegate!(self, s => s.record_login_failure(username, address, at, forget_before).await)
    }
    async fn login_failures_since(
        &self,
        username: &str,
        address: &str,
        since: Timestamp,
    ) -> Result<(u64, u64)> {
        delegate!(self, s => s.login_failures_since(username, address, since).await)
    }
    async fn share_location(&self, share: &LocationShare, audit: &AuditEvent) -> Result<()> {
        delegate!(self, s => s.share_location(share, audit).await)
    }
    async fn shares_of_location(&self, location_id: &str) -> Result<Vec<LocationShare>> {
        delegate!(self, s => s.shares_of_location(location_id).await)
    }
    async fn shares_with(&self, org_id: i64) -> Result<Vec<LocationShare>> {
        delegate!(self, s => s.shares_with(org_id).await)
    }
}

impl IngestTx for StoreTx {
    async fn write_batch(&mut self, batch: Vec<ValidCapture>) -> Result<BatchOutcome> {
        match self {
            Self::Sqlite(tx) => tx.write_batch(batch).await,
            Self::Postgres(tx) => tx.write_batch(batch).await,
        }
    }
    async fn commit(self, audit: Option<&AuditEvent>) -> Result<()> {
        match self {
            Self::Sqlite(tx) => tx.commit(audit).await,
            Self::Postgres(tx) => tx.commit(audit).await,
        }
    }
    async fn rollback(self) -> Result<()> {
        match self {
            Self::Sqlite(tx) => tx.rollback().await,
            Self::Postgres(tx) => tx.rollback().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
        assert!(!format!("{:?}", Target::Postgres("postgres://u:pw@h/db".into())).contains("pw"));
    }

    #[test]
    fn chooses_the_backend_by_url() {
        assert!(matches!(
            Target::choose("d".into(), None).unwrap(),
            Target::SqliteDir(_)
        ));
        assert!(matches!(
            Target::choose("d".into(), Some("postgresql://h/db".into())).unwrap(),
            Target::Postgres(_)
        ));
        assert!(
            Target::choose("d".into(), Some("mysql://u:pw@h/db".into()))
                .unwrap_err()
                .to_string()
                .contains("u:***@")
        );
    }
}
