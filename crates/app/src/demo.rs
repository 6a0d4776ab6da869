//! The demonstration: the main job on the embedded default, on a small simulated scenario (every
//! advert, person and controller invented; phone numbers from Ofcom's drama ranges; places real).

use std::path::{Path, PathBuf};

use lantern_ingest::Format;
use lantern_sim::{Scenario, Summary};

use crate::ingest::{IngestError, IngestRequest, InputFile};
use crate::simulate::{files, write_scenario};

/// The demonstration's scenario: small enough to finish in seconds, the same on every run.
pub fn scenario() -> Scenario {
    Scenario::new(2026, 400, 6)
}

/// Writes the demonstration scenario into `data_dir/demo/` and returns the ingest request for
/// its captures, with the scenario's summary and directory.
pub fn prepare(data_dir: &Path) -> Result<(IngestRequest, Summary, PathBuf), IngestError> {
    let dir = data_dir.join("demo");
    let summary =
        write_scenario(&scenario(), &dir).map_err(|e| IngestError::Usage(e.to_string()))?;
    let request = IngestRequest {
        files: vec![InputFile::new(
            dir.join(files::CAPTURES),
            Some(Format::Jsonl),
        )?],
        all_or_nothing: false,
        rejects_dir: data_dir.join("rejects"),
        batch_size: lantern_ingest::DEFAULT_BATCH_SIZE,
    };
    Ok((request, summary, dir))
}
