//! Streaming ingest of advert captures: files in, validated [`ValidCapture`] batches out.
//!
//! Reads JSON Lines (optionally gzip-compressed) and CSV in constant memory, one record at a time,
//! never holding more than one batch. Each record is either a [`ValidCapture`] (with its content hash
//! and its raw record, compressed) or a [`Rejection`] naming file, line, field and reason; rejected
//! records are copied verbatim to a rejects file. This crate knows nothing of storage: the caller
//! receives batches through a callback and decides how to commit them.

mod csv;
mod format;
mod json;
mod pipeline;
mod reader;
mod rejects;

pub use format::{Format, FormatError};
pub use lantern_core::ValidCapture;
pub use pipeline::{DEFAULT_BATCH_SIZE, FileOutcome, ReadError, ReadOptions, read_file};
pub use reader::MAX_LINE_BYTES;
pub use rejects::{Rejection, RejectsFile};

/// The largest raw record a stored capture can hold once decompressed: a 1 MiB line, or a CSV row
/// whose JSON form escapes every byte.
const MAX_STORED_RAW: usize = 8 * MAX_LINE_BYTES;

thread_local! {
    /// One decompression context per thread, reused: creating one per record cost more than the
    /// decompression itself.
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// Decompresses a zstd frame into a buffer of its stated size, refusing more than `max` bytes
/// (a frame that states no size is allowed up to `max`). One context per thread, reused.
pub fn decompress_bounded(compressed: &[u8], max: usize) -> std::io::Result<Vec<u8>> {
    let stated = zstd::zstd_safe::get_frame_content_size(compressed)
        .ok()
        .flatten()
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n <= max);
    let capacity = stated.unwrap_or(max);
    DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(zstd::bulk::Decompressor::new()?);
        }
        match slot.as_mut() {
            Some(d) => d.decompress(compressed, capacity),
            None => Err(std::io::Error::other("no decompressor")),
        }
    })
}

/// Decodes a stored capture (format `jsonl` or `csv`, zstd-compressed raw record) back into its
/// validated fields. Every later stage derives its facts this way.
pub fn decode_stored(
    format: &str,
    raw_zstd: &[u8],
) -> Result<lantern_core::Capture, lantern_core::CaptureError> {
    let raw = decompress_bounded(raw_zstd, MAX_STORED_RAW).map_err(|e| {
        lantern_core::CaptureError::new("raw", format!("stored record does not decompress: {e}"))
    })?;
    match format {
        "jsonl" => {
            let text = std::str::from_utf8(&raw).map_err(|e| {
                lantern_core::CaptureError::new("raw", format!("stored record is not UTF-8: {e}"))
            })?;
            json::decode(text)
        }
        "csv" => csv::decode_stored_row(&raw),
        other => Err(lantern_core::CaptureError::new(
            "raw_format",
            format!("unknown stored format {other:?}"),
        )),
    }
}

/// Decodes one record as the reader would: a JSON Lines line, or (for `csv`) a stored row (a JSON
/// object of columns). For fuzzing and tests: arbitrary bytes give a capture or a reason, never a
/// panic.
pub fn decode_record(
    format: Format,
    bytes: &[u8],
) -> Result<lantern_core::Capture, lantern_core::CaptureError> {
    match format {
        Format::Csv | Format::CsvGz => csv::decode_stored_row(bytes),
        Format::Jsonl | Format::JsonlGz => {
            let text = std::str::from_utf8(bytes)
                .map_err(|e| lantern_core::CaptureError::new("line", format!("not UTF-8: {e}")))?;
            json::decode(text)
        }
    }
}

/// Receives progress while a file is read; implemented by the CLI's progress bar and by the web
/// server's job status. Called from the reading thread.
pub trait Progress: Send + Sync {
    /// A file is about to be read; `bytes` is its size on disk when known.
    fn file_started(&self, path: &std::path::Path, bytes: Option<u64>);
    /// `bytes` of the file (as stored on disk, compressed or not) have been read so far.
    fn advanced(&self, bytes: u64);
    /// The file is done.
    fn file_finished(&self);
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn file_started(&self, _: &std::path::Path, _: Option<u64>) {}
    fn advanced(&self, _: u64) {}
    fn file_finished(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_record_gives_a_capture_or_a_reason() {
        let line =
            br#"{"source":"s","external_id":"1","captured_at":"2026-10-01T00:00:00Z","body":"hi"}"#;
        assert!(decode_record(Format::Jsonl, line).is_ok());
        assert!(decode_record(Format::JsonlGz, line).is_ok());
        for junk in [&b"\xff\xfe"[..], b"{", b"[]", b"", b"{\"source\":1}"] {
            assert!(decode_record(Format::Jsonl, junk).is_err(), "{junk:?}");
            assert!(decode_record(Format::Csv, junk).is_err(), "{junk:?}");
        }
    }
}
