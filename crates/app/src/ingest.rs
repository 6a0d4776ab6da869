//! The ingest use case: files in, captures stored once, every bad line explained.
//!
//! Each file is read on a blocking thread (parse, validate, hash, compress) while this task writes
//! the previous batch, so reading and writing overlap. The channel between them is bounded: memory
//! stays constant however large the input.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lantern_core::{Timestamp, ValidCapture};
use lantern_ingest::{Format, Progress, ReadError, ReadOptions, Rejection, RejectsFile};
use lantern_store::{
    CaptureStore, IngestTx, NewRun, RunCounts, RunId, RunMode, RunStatus, Store, StoreError,
    StoreTx,
};
use tokio::sync::mpsc;

use crate::Actor;

/// One input file and its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// Where it is.
    pub path: PathBuf,
    /// How to read it.
    pub format: Format,
}

impl InputFile {
    /// An input whose format is given, or told from its name.
    pub fn new(path: PathBuf, format: Option<Format>) -> Result<Self, IngestError> {
        let format = match format {
            Some(f) => f,
            None => Format::from_path(&path).map_err(|e| IngestError::Usage(e.to_string()))?,
        };
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(Self { path, format }),
            Ok(_) => Err(IngestError::Usage(format!(
                "{}: not a regular file",
                path.display()
            ))),
            Err(e) => Err(IngestError::Usage(format!("{}: {e}", path.display()))),
        }
    }
}

/// What to ingest and how.
#[derive(Debug, Clone)]
pub struct IngestRequest {
    /// Input files, read in order.
    pub files: Vec<InputFile>,
    /// Store nothing unless every line of every file is valid.
    pub all_or_nothing: bool,
    /// Where rejects files go.
    pub rejects_dir: PathBuf,
    /// Captures per batch (one transaction each unless all-or-nothing).
    pub batch_size: usize,
}

/// Where a file's rejects were written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectsWritten {
    /// The input file.
    pub input: PathBuf,
    /// Verbatim copies of the refused records.
    pub records: PathBuf,
    /// One line per refused record: file, line, field, reason.
    pub reasons: PathBuf,
    /// How many.
    pub count: u64,
}

/// What an ingest did.
#[derive(Debug, Clone)]
pub struct IngestSummary {
    /// The run's id in the store.
    pub run: RunId,
    /// Counters.
    pub counts: RunCounts,
    /// How the run ended.
    pub status: RunStatus,
    /// Rejects files written.
    pub rejects: Vec<RejectsWritten>,
    /// Bytes of input read (as stored on disk).
    pub bytes: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl IngestSummary {
    /// Captures per second.
    pub fn rate(&self) -> f64 {
        self.counts.read as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The closing summary line.
    pub fn line(&self) -> String {
        let c = &self.counts;
        let secs = self.elapsed.as_secs_f64();
        let mut line = format!(
            "read {}, accepted {}, stored {} new, duplicates {}, rejected {} in {:.2}s ({:.0} captures/s, {:.1} MB/s)",
            c.read,
            c.accepted,
            c.stored,
            c.duplicates,
            c.rejected,
            secs,
            self.rate(),
            self.bytes as f64 / 1e6 / secs.max(1e-9)
        );
        if self.status == RunStatus::RolledBack {
            line.push_str("; nothing stored: --all-or-nothing and some lines were rejected");
        } else if c.stored == 0 && c.accepted > 0 {
            line.push_str("; nothing new: every accepted capture was already stored");
        }
        line
    }
}

/// Why an ingest could not run or stopped.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The request itself is wrong (a missing file, an unknown format).
    #[error("{0}")]
    Usage(String),
    /// The store failed; batches committed before stay committed.
    #[error("storing captures failed after {stored} new captures were committed: {source}")]
    Store {
        /// Captures committed before the failure.
        stored: u64,
        /// The cause.
        source: StoreError,
    },
    /// A file could not be read to its end; batches committed before stay committed.
    #[error("{message} ({stored} new captures were committed before it)")]
    Read {
        /// What went wrong, with file and line.
        message: String,
        /// Captures committed before the failure.
        stored: u64,
    },
}

/// Receives each rejection as it happens (the CLI prints the first few).
pub trait RejectionReporter: Send {
    /// One record was refused.
    fn rejected(&mut self, rejection: &Rejection);
}

enum Message {
    Batch(Vec<ValidCapture>),
    Rejected(Rejection),
}

fn rejects_path(dir: &Path, run: RunId, index: usize, input: &InputFile) -> PathBuf {
    let name = input
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .trim_end_matches(".gz")
        .trim_end_matches(".jsonl")
        .trim_end_matches(".ndjson")
        .trim_end_matches(".csv")
        .to_owned();
    let ext = if input.format.is_csv() {
        "csv"
    } else {
        "jsonl"
    };
    dir.join(format!("run-{}-{}-{stem}.rejects.{ext}", run.0, index + 1))
}

/// Ingests `request.files` into `store`, recording the run under `actor`.
pub async fn ingest(
    store: &Store,
    actor: &Actor,
    request: &IngestRequest,
    progress: Arc<dyn Progress>,
    reporter: &mut dyn RejectionReporter,
) -> Result<IngestSummary, IngestError> {
    let started = Instant::now();
    let mode = if request.all_or_nothing {
        RunMode::AllOrNothing
    } else {
        RunMode::Partial
    };
    let new_run = NewRun {
        actor: actor.as_str().to_owned(),
        mode,
        files: request
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect(),
        started_at: Timestamp::now(),
    };
    let run = store
        .start_run(&new_run)
        .await
        .map_err(|source| IngestError::Store { stored: 0, source })?;
    let mut state = RunState {
        store,
        actor,
        run,
        counts: RunCounts::default(),
        whole_run_tx: None,
    };
    if request.all_or_nothing {
        state.whole_run_tx = Some(state.begin().await?);
    }

    let mut rejects = Vec::new();
    let mut bytes = 0;
    let mut failure = None;
    for (index, input) in request.files.iter().enumerate() {
        bytes += std::fs::metadata(&input.path).map_or(0, |m| m.len());
        let path = rejects_path(&request.rejects_dir, run, index, input);
        match state
            .ingest_file(input, path, request.batch_size, progress.clone(), reporter)
            .await
        {
            Ok(written) => rejects.extend(written),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }

    let status = match state.whole_run_tx.take() {
        Some(tx) if failure.is_some() || state.counts.rejected > 0 => {
            // Dropping the transaction would roll back too; saying so makes the intent plain.
            let _ = tx.rollback().await;
            state.counts.stored = 0;
            if failure.is_some() {
                RunStatus::Failed
            } else {
                RunStatus::RolledBack
            }
        }
        Some(tx) => {
            let event = collection(actor, run, state.counts.stored);
            tx.commit(event.as_ref())
                .await
                .map_err(|source| IngestError::Store { stored: 0, source })?;
            RunStatus::Completed
        }
        None if failure.is_some() => RunStatus::Failed,
        None => RunStatus::Completed,
    };
    store
        .finish_run(run, &state.counts, status)
        .await
        .map_err(|source| IngestError::Store {
            stored: state.counts.stored,
            source,
        })?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(IngestSummary {
        run,
        counts: state.counts,
        status,
        rejects,
        bytes,
        elapsed: started.elapsed(),
    })
}

/// The audit event of a transaction that stored `stored` captures of `run` (none when it stored
/// nothing new: repeats only widen time spans).
fn collection(actor: &Actor, run: RunId, stored: u64) -> Option<lantern_store::AuditEvent> {
    (stored > 0).then(|| {
        crate::audit::by_operator(lantern_store::Operation::Collect, actor)
            .about("ingest_run", &run.0.to_string())
            .rows(stored)
    })
}

struct RunState<'a> {
    store: &'a Store,
    actor: &'a Actor,
    run: RunId,
    counts: RunCounts,
    whole_run_tx: Option<StoreTx>,
}

impl RunState<'_> {
    async fn begin(&self) -> Result<StoreTx, IngestError> {
        self.store
            .begin(self.run)
            .await
            .map_err(|source| IngestError::Store {
                stored: self.counts.stored,
                source,
            })
    }

    async fn write(&mut self, batch: Vec<ValidCapture>) -> Result<(), IngestError> {
        let stored = self.counts.stored;
        let err = |source| IngestError::Store { stored, source };
        let outcome = match self.whole_run_tx.as_mut() {
            Some(_) if self.counts.rejected > 0 => return Ok(()), // will roll back; stop writing
            Some(tx) => tx.write_batch(batch).await.map_err(err)?,
            None => {
                let mut tx = self.begin().await?;
                let outcome = tx.write_batch(batch).await.map_err(err)?;
                let event = collection(self.actor, self.run, outcome.stored);
                tx.commit(event.as_ref()).await.map_err(err)?;
                outcome
            }
        };
        self.counts.stored += outcome.stored;
        self.counts.duplicates += outcome.duplicates;
        Ok(())
    }

    async fn ingest_file(
        &mut self,
        input: &InputFile,
        rejects_path: PathBuf,
        batch_size: usize,
        progress: Arc<dyn Progress>,
        reporter: &mut dyn RejectionReporter,
    ) -> Result<Option<RejectsWritten>, IngestError> {
        let (tx, mut rx) = mpsc::channel::<Message>(2);
        let path = input.path.clone();
        let mut options = ReadOptions::new(input.format);
        options.batch_size = batch_size.max(1);
        let reader = tokio::task::spawn_blocking(move || {
            let mut rejects = RejectsFile::new(rejects_path);
            let outcome = lantern_ingest::read_file(
                &path,
                options,
                &mut rejects,
                progress.as_ref(),
                &mut |r| {
                    let _ = tx.blocking_send(Message::Rejected(r.clone()));
                },
                &mut |batch| tx.blocking_send(Message::Batch(batch)).map_err(|_| ()),
            );
            let closed = rejects.close();
            (
                outcome,
                closed,
                rejects.reasons_path().to_owned(),
                rejects.count(),
            )
        });

        let mut write_error = None;
        while let Some(message) = rx.recv().await {
            match message {
                Message::Rejected(r) => {
                    self.counts.rejected += 1;
                    reporter.rejected(&r);
                }
                Message::Batch(batch) => {
                    self.counts.accepted += batch.len() as u64;
                    if let Err(e) = self.write(batch).await {
                        write_error = Some(e);
                        break;
                    }
                }
            }
        }
        drop(rx);
        let (outcome, closed, reasons, count) = reader.await.map_err(|e| IngestError::Read {
            message: format!("{}: the reading thread failed: {e}", input.path.display()),
            stored: self.counts.stored,
        })?;
        if let Some(e) = write_error {
            return Err(e);
        }
        let outcome = match outcome {
            Ok(o) => o,
            Err(ReadError::Consumer(())) => {
                return Err(IngestError::Read {
                    message: format!(
                        "{}: reading stopped because storing stopped",
                        input.path.display()
                    ),
                    stored: self.counts.stored,
                });
            }
            Err(ReadError::Io { file, line, source }) => {
                return Err(IngestError::Read {
                    message: format!("{file}: reading stopped near line {line}: {source}"),
                    stored: self.counts.stored,
                });
            }
        };
        self.counts.read += outcome.read;
        let records = closed.map_err(|e| IngestError::Read {
            message: format!(
                "{}: writing its rejects file failed: {e}",
                input.path.display()
            ),
            stored: self.counts.stored,
        })?;
        Ok(records.map(|records| RejectsWritten {
            input: input.path.clone(),
            records,
            reasons,
            count,
        }))
    }
}
