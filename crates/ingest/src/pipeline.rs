//! Reading one file: records → validated captures in batches, or rejections.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use lantern_core::capture::CaptureError;
use lantern_core::{Capture, ValidCapture};

use crate::reader::{RecordReader, RecordSpan};
use crate::rejects::{Rejection, RejectsFile};
use crate::{Format, Progress, csv, json};

/// Captures per batch unless told otherwise.
pub const DEFAULT_BATCH_SIZE: usize = 10_000;

/// How to read a file.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// The file's format.
    pub format: Format,
    /// Most captures per batch.
    pub batch_size: usize,
    /// Most bytes (raw records plus text) per batch, so that huge lines cannot inflate memory.
    pub batch_bytes: usize,
    /// Longest record accepted, in bytes.
    pub line_limit: usize,
}

impl ReadOptions {
    /// Defaults for `format`: batches of 2,000 captures or 16 MiB, lines up to 1 MiB.
    pub fn new(format: Format) -> Self {
        Self {
            format,
            batch_size: 2_000,
            batch_bytes: 24 * 1024 * 1024,
            line_limit: crate::MAX_LINE_BYTES,
        }
    }
}

/// What reading one file came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileOutcome {
    /// Records read (blank lines and the CSV header are not records).
    pub read: u64,
    /// Records that passed validation and were handed on in batches.
    pub accepted: u64,
    /// Records refused.
    pub rejected: u64,
}

/// Reading stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ReadError<E> {
    /// The file could not be opened or read (a truncated gzip stream, say).
    #[error("{file}: read failed near line {line}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The line being read.
        line: u64,
        /// The cause.
        source: io::Error,
    },
    /// The batch consumer failed; reading stopped.
    #[error(transparent)]
    Consumer(E),
}

struct CountingReader<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

fn open(
    path: &Path,
    format: Format,
    count: Rc<Cell<u64>>,
) -> io::Result<(Box<dyn BufRead>, Option<u64>)> {
    let file = File::open(path)?;
    let size = file.metadata().ok().map(|m| m.len());
    let counted = CountingReader { inner: file, count };
    let reader: Box<dyn BufRead> = if format.is_gzip() {
        let decoder =
            flate2::read::MultiGzDecoder::new(BufReader::with_capacity(256 * 1024, counted));
        Box::new(BufReader::with_capacity(256 * 1024, decoder))
    } else {
        Box::new(BufReader::with_capacity(256 * 1024, counted))
    };
    Ok((reader, size))
}

/// Reads `path` record by record. Valid captures reach `on_batch` in batches; each refused record
/// is copied verbatim to `rejects` and reported to `on_reject`. Returns the counts, or why reading
/// stopped early (what was already handed on stays handed on).
pub fn read_file<E>(
    path: &Path,
    options: ReadOptions,
    rejects: &mut RejectsFile,
    progress: &dyn Progress,
    on_reject: &mut dyn FnMut(&Rejection),
    on_batch: &mut dyn FnMut(Vec<ValidCapture>) -> Result<(), E>,
) -> Result<FileOutcome, ReadError<E>> {
    let file_name = path.display().to_string();
    let bytes_read = Rc::new(Cell::new(0u64));
    let io_error = |line: u64| {
        let file = file_name.clone();
        move |source: io::Error| ReadError::Io { file, line, source }
    };
    let (input, size) = open(path, options.format, bytes_read.clone()).map_err(io_error(0))?;
    progress.file_started(path, size);

    let mut records = RecordReader::new(input, options.format.is_csv(), options.line_limit);
    let mut compressor = zstd::bulk::Compressor::new(-1).map_err(io_error(0))?;
    let mut csv_decoder = csv::Decoder::default();
    let mut csv_header: Option<Result<csv::Header, CaptureError>> = None;
    let mut outcome = FileOutcome::default();
    let mut batch: Vec<ValidCapture> = Vec::with_capacity(options.batch_size);
    let mut batch_bytes = 0usize;
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut first = true;

    loop {
        // Records are counted, not lines; a read error names the physical line.
        let line_hint = records.next_line();
        let span = records
            .next_record(&mut buf, &mut |bytes| rejects.write_part(bytes))
            .map_err(io_error(line_hint))?;
        let Some(RecordSpan {
            line,
            overlong_bytes,
        }) = span
        else {
            break;
        };
        if first && buf.starts_with(b"\xEF\xBB\xBF") {
            buf.drain(..3);
        }
        let is_header = first && options.format.is_csv();
        first = false;

        if let Some(total) = overlong_bytes {
            let reason = format!(
                "is {total} bytes long; the limit is {} bytes (1 MiB)",
                options.line_limit
            );
            let field = if is_header { "header" } else { "line" };
            let rejection = Rejection {
                file: file_name.clone(),
                line,
                field: field.into(),
                reason,
            };
            rejects.finish(&rejection).map_err(io_error(line))?;
            on_reject(&rejection);
            if is_header {
                csv_header = Some(Err(CaptureError::new(
                    "header",
                    "the header row is over the line limit",
                )));
            } else {
                outcome.read += 1;
                outcome.rejected += 1;
            }
            continue;
        }
        if is_header {
            rejects.set_csv_header(&buf);
            let header = csv::Header::parse(&csv_decoder.fields(&buf));
            if let Err(e) = &header {
                let rejection = Rejection {
                    file: file_name.clone(),
                    line,
                    field: e.field.clone(),
                    reason: e.reason.clone(),
                };
                on_reject(&rejection);
            }
            csv_header = Some(header);
            continue;
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        outcome.read += 1;

        let decoded = match &csv_header {
            None => decode_json_line(&buf).map(|c| (c, None)),
            Some(Err(header_error)) => Err(header_error.clone()),
            Some(Ok(header)) => header
                .decode(&csv_decoder.fields(&buf))
                .map(|(c, raw)| (c, Some(raw))),
        };
        match decoded {
            Ok((capture, csv_raw)) => {
                let raw = csv_raw.as_deref().unwrap_or(&buf);
                let raw_zstd = compressor.compress(raw).map_err(io_error(line))?;
                batch_bytes += raw_zstd.len() + buf.len();
                batch.push(ValidCapture {
                    line,
                    content_hash: capture.content_hash(),
                    capture,
                    raw_zstd,
                    raw_format: if csv_raw.is_some() { "csv" } else { "jsonl" },
                });
                outcome.accepted += 1;
                if batch.len() >= options.batch_size || batch_bytes >= options.batch_bytes {
                    progress.advanced(bytes_read.get());
                    on_batch(std::mem::take(&mut batch)).map_err(ReadError::Consumer)?;
                    batch_bytes = 0;
                }
            }
            Err(e) => {
                let rejection = Rejection {
                    file: file_name.clone(),
                    line,
                    field: e.field,
                    reason: e.reason,
                };
                rejects.reject(&buf, &rejection).map_err(io_error(line))?;
                on_reject(&rejection);
                outcome.rejected += 1;
            }
        }
    }
    if !batch.is_empty() {
        on_batch(batch).map_err(ReadError::Consumer)?;
    }
    progress.advanced(bytes_read.get());
    progress.file_finished();
    Ok(outcome)
}

fn decode_json_line(buf: &[u8]) -> Result<Capture, CaptureError> {
    let text = std::str::from_utf8(buf).map_err(|e| {
        CaptureError::new(
            "line",
            format!(
                "is not valid UTF-8 (first bad byte at offset {})",
                e.valid_up_to()
            ),
        )
    })?;
    json::decode(text)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::NoProgress;

    fn run(
        name: &str,
        content: &[u8],
        format: Format,
    ) -> (FileOutcome, Vec<Rejection>, Vec<ValidCapture>, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(content)
            .unwrap();
        let mut rejects = RejectsFile::new(dir.path().join("out.rejects"));
        let mut seen = Vec::new();
        let mut stored = Vec::new();
        let mut options = ReadOptions::new(format);
        options.batch_size = 2;
        options.line_limit = 200;
        let outcome = read_file::<()>(
            &path,
            options,
            &mut rejects,
            &NoProgress,
            &mut |r| seen.push(r.clone()),
            &mut |b| {
                stored.extend(b);
                Ok(())
            },
        )
        .unwrap();
        let written = rejects
            .close()
            .unwrap()
            .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
            .unwrap_or_default();
        (outcome, seen, stored, written)
    }

    const GOOD: &str =
        r#"{"source":"s","external_id":"1","captured_at":"2026-10-03T21:14:00Z","body":"hello"}"#;

    #[test]
    fn keeps_good_lines_and_copies_bad_ones_verbatim() {
        let long = format!(
            r#"{{"source":"s","external_id":"2","captured_at":"2026-10-03T21:14:00Z","body":"{}"}}"#,
            "x".repeat(300)
        );
        let input = format!("{GOOD}\n\n{{broken\n{long}\n{GOOD}\n");
        let (outcome, rejections, stored, written) =
            run("a.jsonl", input.as_bytes(), Format::Jsonl);
        assert_eq!(
            outcome,
            FileOutcome {
                read: 4,
                accepted: 2,
                rejected: 2
            }
        );
        assert_eq!(
            stored.iter().map(|c| c.line).collect::<Vec<_>>(),
            vec![1, 5]
        );
        assert_eq!(
            rejections.iter().map(|r| r.line).collect::<Vec<_>>(),
            vec![3, 4]
        );
        assert_eq!(written, format!("{{broken\n{long}\n"));
    }

    #[test]
    fn reports_invalid_utf8_by_line() {
        let mut input = GOOD.as_bytes().to_vec();
        input.extend_from_slice(b"\n{\"source\":\"s\xff\"}\n");
        let (outcome, rejections, _, _) = run("a.jsonl", &input, Format::Jsonl);
        assert_eq!(outcome.rejected, 1);
        assert_eq!(
            (rejections[0].line, rejections[0].field.as_str()),
            (2, "line")
        );
        assert!(rejections[0].reason.contains("UTF-8"));
    }

    #[test]
    fn csv_rejects_carry_the_header_and_bom_is_ignored() {
        let input = "\u{feff}source,external_id,captured_at,body\ns,1,2026-10-03T21:14:00Z,hi\ns,2,bad-time,hi\n";
        let (outcome, rejections, stored, written) = run("a.csv", input.as_bytes(), Format::Csv);
        assert_eq!(
            outcome,
            FileOutcome {
                read: 2,
                accepted: 1,
                rejected: 1
            }
        );
        assert_eq!(stored[0].raw_format, "csv");
        assert_eq!(rejections[0].field, "captured_at");
        assert_eq!(
            written,
            "source,external_id,captured_at,body\ns,2,bad-time,hi\n"
        );
    }

    #[test]
    fn gzip_input_is_read_transparently() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(format!("{GOOD}\n").as_bytes()).unwrap();
        let (outcome, _, stored, _) = run("a.jsonl.gz", &gz.finish().unwrap(), Format::JsonlGz);
        assert_eq!(outcome.accepted, 1);
        let raw = zstd::bulk::decompress(&stored[0].raw_zstd, 1 << 20).unwrap();
        assert_eq!(raw, GOOD.as_bytes());
    }
}
