//! The demonstration: the main job on the embedded default, with a small invented sample that
//! ships inside the binary (no real people; phone numbers from Ofcom's drama ranges; `example`
//! domains).

use std::path::{Path, PathBuf};

use lantern_ingest::Format;

use crate::ingest::{IngestError, IngestRequest, InputFile};

/// The sample captures, JSON Lines.
pub const SAMPLE_CAPTURES: &str = include_str!("../../../fixtures/sample-captures.jsonl");

/// Writes the embedded sample into `data_dir/demo/` and returns the ingest request for it.
pub fn prepare(data_dir: &Path) -> Result<IngestRequest, IngestError> {
    let dir = data_dir.join("demo");
    std::fs::create_dir_all(&dir)
        .map_err(|e| IngestError::Usage(format!("{}: {e}", dir.display())))?;
    let path: PathBuf = dir.join("sample-captures.jsonl");
    std::fs::write(&path, SAMPLE_CAPTURES)
        .map_err(|e| IngestError::Usage(format!("{}: {e}", path.display())))?;
    Ok(IngestRequest {
        files: vec![InputFile::new(path, Some(Format::Jsonl))?],
        all_or_nothing: false,
        rejects_dir: data_dir.join("rejects"),
        batch_size: lantern_ingest::DEFAULT_BATCH_SIZE,
    })
}
