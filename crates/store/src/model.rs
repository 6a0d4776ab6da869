//! What the store takes and gives back, independent of the backend.

use lantern_core::Timestamp;

/// Id of an ingest run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(pub i64);

/// Whether a run keeps the valid rest of a file with bad lines, or nothing at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// Valid captures are stored, batch by batch, whatever else the file holds.
    Partial,
    /// Nothing is stored unless every line is valid.
    AllOrNothing,
}

impl RunMode {
    /// The value stored in `ingest_runs.mode`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Partial => "partial",
            Self::AllOrNothing => "all_or_nothing",
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Still going (or interrupted, when found later).
    Running,
    /// Finished; what was valid is stored.
    Completed,
    /// All-or-nothing run with bad lines: nothing was stored.
    RolledBack,
    /// Stopped by an error; committed batches stay.
    Failed,
}

impl RunStatus {
    /// The value stored in `ingest_runs.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::RolledBack => "rolled_back",
            Self::Failed => "failed",
        }
    }
}

/// A run about to start.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// Who started it (a user name, or `cli:<login>` for the command line).
    pub actor: String,
    /// Partial or all-or-nothing.
    pub mode: RunMode,
    /// The input files, as given.
    pub files: Vec<String>,
    /// When it started.
    pub started_at: Timestamp,
}

/// Counters of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    /// Records read.
    pub read: u64,
    /// Records valid.
    pub accepted: u64,
    /// Captures newly stored.
    pub stored: u64,
    /// Valid captures already stored (or repeated within the run).
    pub duplicates: u64,
    /// Records refused.
    pub rejected: u64,
}

/// What one batch did to the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Captures newly stored.
    pub stored: u64,
    /// Captures that were already stored for their listing (their time span may have widened).
    pub duplicates: u64,
}

/// Row counts of the main tables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreCounts {
    /// Listings.
    pub listings: u64,
    /// Distinct captures.
    pub captures: u64,
    /// Ingest runs.
    pub runs: u64,
}

/// A stored ingest run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestRun {
    /// Its id.
    pub id: RunId,
    /// Who started it.
    pub actor: String,
    /// Stored status (`running`, `completed`, `rolled_back`, `failed`).
    pub status: String,
    /// Its counters.
    pub counts: RunCounts,
}

/// A stored raw record: its format and its zstd-compressed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRaw {
    /// `jsonl` or `csv`.
    pub format: String,
    /// The record, zstd-compressed.
    pub zstd: Vec<u8>,
}

/// One listing with the raw records of all its distinct captures, for the export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingCaptures {
    /// Site or feed.
    pub source: String,
    /// Id on the site.
    pub external_id: String,
    /// First capture time.
    pub first_seen: Timestamp,
    /// Last capture time.
    pub last_seen: Timestamp,
    /// Raw records, oldest stored first.
    pub raws: Vec<StoredRaw>,
}

/// A migration applied to the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    /// Version number.
    pub version: i64,
    /// Its description (the file name after the number).
    pub description: String,
}
