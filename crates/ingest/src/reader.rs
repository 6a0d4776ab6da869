//! Splits a byte stream into records in constant memory: lines for JSONL, rows for CSV (a newline
//! inside double quotes does not end a CSV row). A record longer than the limit is never held in
//! memory: its bytes are handed to a sink as they stream past.

use std::io::{self, BufRead};

/// The contract's limit on one line (or CSV row), in bytes, not counting its line terminator.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// Where one record sits in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSpan {
    /// 1-based line number where the record starts.
    pub line: u64,
    /// Total bytes of an over-long record (already streamed to the sink); `None` when it fit.
    pub overlong_bytes: Option<u64>,
}

/// Reads records one at a time from a buffered reader.
pub struct RecordReader<R> {
    inner: R,
    quote_aware: bool,
    limit: usize,
    next_line: u64,
}

impl<R: BufRead> RecordReader<R> {
    /// A reader of newline-terminated records; `quote_aware` makes it respect CSV quoting.
    pub fn new(inner: R, quote_aware: bool, limit: usize) -> Self {
        Self {
            inner,
            quote_aware,
            limit,
            next_line: 1,
        }
    }

    /// The 1-based line the next record starts on (for errors raised while reading it).
    pub fn next_line(&self) -> u64 {
        self.next_line
    }

    /// Reads the next record into `buf` (without its terminator). When the record exceeds the
    /// limit, `buf` is left empty and every byte of the record is passed to `overflow` instead.
    /// Returns `None` at the end of input.
    pub fn next_record(
        &mut self,
        buf: &mut Vec<u8>,
        overflow: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<Option<RecordSpan>> {
        buf.clear();
        let line = self.next_line;
        let mut in_quotes = false;
        let mut overlong: Option<u64> = None;
        let mut saw_any = false;
        loop {
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            saw_any = true;
            let mut end = None;
            for (i, &b) in chunk.iter().enumerate() {
                match b {
                    b'"' if self.quote_aware => in_quotes = !in_quotes,
                    b'\n' => {
                        self.next_line += 1;
                        if !in_quotes {
                            end = Some(i);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let take = end.unwrap_or(chunk.len());
            let piece = &chunk[..take];
            match overlong.as_mut() {
                Some(total) => {
                    overflow(piece)?;
                    *total += piece.len() as u64;
                }
                None if buf.len() + piece.len() > self.limit => {
                    overflow(buf)?;
                    overflow(piece)?;
                    overlong = Some((buf.len() + piece.len()) as u64);
                    buf.clear();
                }
                None => buf.extend_from_slice(piece),
            }
            let consumed = end.map_or(take, |i| i + 1);
            self.inner.consume(consumed);
            if end.is_some() {
                break;
            }
        }
        if !saw_any {
            return Ok(None);
        }
        if overlong.is_none() && buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Ok(Some(RecordSpan {
            line,
            overlong_bytes: overlong,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(input: &[u8], csv: bool, limit: usize) -> Vec<(u64, String, Option<u64>, Vec<u8>)> {
        let mut reader = RecordReader::new(io::BufReader::with_capacity(4, input), csv, limit);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        loop {
            let mut spilled = Vec::new();
            let Some(span) = reader
                .next_record(&mut buf, &mut |b| {
                    spilled.extend_from_slice(b);
                    Ok(())
                })
                .unwrap()
            else {
                break;
            };
            out.push((
                span.line,
                String::from_utf8_lossy(&buf).into_owned(),
                span.overlong_bytes,
                spilled,
            ));
        }
        out
    }

    #[test]
    fn splits_lines_and_counts_them() {
        let r = records(b"a\r\nbb\n\nccc", false, 100);
        let got: Vec<_> = r.iter().map(|(l, s, _, _)| (*l, s.as_str())).collect();
        assert_eq!(got, vec![(1, "a"), (2, "bb"), (3, ""), (4, "ccc")]);
    }

    #[test]
    fn csv_rows_may_span_lines_inside_quotes() {
        let r = records(b"h1,h2\n\"x\ny\",z\nnext,1\n", true, 100);
        let got: Vec<_> = r.iter().map(|(l, s, _, _)| (*l, s.as_str())).collect();
        assert_eq!(got, vec![(1, "h1,h2"), (2, "\"x\ny\",z"), (4, "next,1")]);
    }

    #[test]
    fn overlong_records_stream_to_the_sink_whole() {
        let r = records(b"short\n0123456789abcdef\nafter\n", false, 8);
        assert_eq!(r[0].1, "short");
        assert_eq!(r[1].2, Some(16));
        assert_eq!(r[1].3, b"0123456789abcdef");
        assert_eq!(r[1].1, "");
        assert_eq!((r[2].0, r[2].1.as_str()), (3, "after"));
    }
}
