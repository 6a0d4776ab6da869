//! PostgreSQL's binary `COPY ... FROM STDIN`, for the analysis save's bulk writes.
//!
//! A multi-row `INSERT` makes the server parse a statement and bind seven parameters per row;
//! `COPY` in binary format hands it rows already in its own wire form. Rows are encoded here into
//! blocks of about a megabyte and sent one block at a time, so the whole table never sits in
//! memory twice. A COPY into a table with a unique key fails on a duplicate; callers that may meet
//! existing rows copy into a staging table and upsert from it (see `postgres::copy_upsert`).

use sqlx::postgres::PgConnection;
use time::OffsetDateTime;

use crate::error::{DbContext, Result, StoreError};

/// The binary format's signature, flags (none) and header extension length (none).
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The field count that ends the data.
const TRAILER: [u8; 2] = (-1i16).to_be_bytes();
/// Bytes encoded before a block is sent.
const BLOCK: usize = 1 << 20;
/// PostgreSQL's epoch for timestamps (2000-01-01 00:00 UTC), in Unix seconds.
const PG_EPOCH_UNIX: i64 = 946_684_800;

/// One row being encoded: call one method per column, in the COPY statement's column order.
pub(crate) struct CopyRow<'a> {
    buf: &'a mut Vec<u8>,
}

impl CopyRow<'_> {
    /// A `BIGINT`.
    pub(crate) fn bigint(&mut self, value: i64) -> &mut Self {
        self.buf.extend_from_slice(&8i32.to_be_bytes());
        self.buf.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// A `BYTEA` (or, for UTF-8 bytes, a `TEXT`).
    pub(crate) fn bytes(&mut self, value: &[u8]) -> Result<&mut Self> {
        let len = i32::try_from(value.len()).map_err(|_| {
            StoreError::Refused(format!(
                "a value of {} bytes is more than PostgreSQL can store in one field",
                value.len()
            ))
        })?;
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(value);
        Ok(self)
    }

    /// A `TEXT`.
    pub(crate) fn text(&mut self, value: &str) -> Result<&mut Self> {
        self.bytes(value.as_bytes())
    }

    /// A nullable `TEXT`.
    pub(crate) fn text_or_null(&mut self, value: Option<&str>) -> Result<&mut Self> {
        match value {
            Some(text) => self.text(text),
            None => {
                self.buf.extend_from_slice(&(-1i32).to_be_bytes());
                Ok(self)
            }
        }
    }

    /// A `TIMESTAMPTZ`: microseconds since PostgreSQL's epoch.
    pub(crate) fn timestamptz(&mut self, value: OffsetDateTime) -> &mut Self {
        let micros =
            (value.unix_timestamp() - PG_EPOCH_UNIX) * 1_000_000 + i64::from(value.microsecond());
        self.bigint(micros)
    }
}

/// Sends `rows` through `statement` (a `COPY table (columns) FROM STDIN (FORMAT binary)`) on
/// `conn`, each row written by `encode` with `columns` fields. Returns the rows copied. An error
/// aborts the COPY, and with it the caller's transaction.
pub(crate) async fn copy_in<T>(
    conn: &mut PgConnection,
    statement: &str,
    columns: i16,
    rows: impl IntoIterator<Item = T>,
    mut encode: impl FnMut(&mut CopyRow<'_>, T) -> Result<()>,
) -> Result<u64> {
    let mut copy = conn
        .copy_in_raw(statement)
        .await
        .context("starting a bulk copy")?;
    let mut buf = Vec::with_capacity(BLOCK + BLOCK / 4);
    buf.extend_from_slice(HEADER);
    for row in rows {
        buf.extend_from_slice(&columns.to_be_bytes());
        if let Err(e) = encode(&mut CopyRow { buf: &mut buf }, row) {
            copy.abort(e.to_string())
                .await
                .context("aborting a bulk copy")?;
            return Err(e);
        }
        if buf.len() >= BLOCK {
            copy.send(buf.as_slice())
                .await
                .context("sending a bulk copy")?;
            buf.clear();
        }
    }
    buf.extend_from_slice(&TRAILER);
    copy.send(buf).await.context("sending a bulk copy")?;
    copy.finish().await.context("finishing a bulk copy")
}

/// Where the signature's fixed part of the header ends (the extension length follows).
const HEADER_FIXED: usize = 11 + 4 + 4;

/// One row of a binary COPY being read: call one method per column, in the statement's order.
pub(crate) struct CopyFields<'a> {
    rest: &'a [u8],
}

/// A field's bytes could not be read as the column's type.
fn malformed(what: &str) -> StoreError {
    StoreError::Corrupt(format!("a bulk copy from PostgreSQL sent {what}"))
}

impl<'a> CopyFields<'a> {
    /// The next field's bytes (`None` for NULL).
    fn field(&mut self) -> Result<Option<&'a [u8]>> {
        let (len, rest) = self
            .rest
            .split_first_chunk::<4>()
            .ok_or_else(|| malformed("a row with too few fields"))?;
        let len = i32::from_be_bytes(*len);
        if len < 0 {
            self.rest = rest;
            return Ok(None);
        }
        let (value, rest) = rest
            .split_at_checked(len as usize)
            .ok_or_else(|| malformed("a field longer than its row"))?;
        self.rest = rest;
        Ok(Some(value))
    }

    /// A field that may not be NULL.
    fn required(&mut self) -> Result<&'a [u8]> {
        self.field()?
            .ok_or_else(|| malformed("NULL where a value is required"))
    }

    /// A `BIGINT`.
    pub(crate) fn bigint(&mut self) -> Result<i64> {
        let bytes: [u8; 8] = self
            .required()?
            .try_into()
            .map_err(|_| malformed("an integer that is not 8 bytes"))?;
        Ok(i64::from_be_bytes(bytes))
    }

    /// A `BYTEA`.
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8]> {
        self.required()
    }

    /// A `TEXT`.
    pub(crate) fn text(&mut self) -> Result<&'a str> {
        std::str::from_utf8(self.required()?).map_err(|_| malformed("text that is not UTF-8"))
    }

    /// A `TIMESTAMPTZ`, as microseconds since the Unix epoch.
    pub(crate) fn unix_micros(&mut self) -> Result<i64> {
        self.bigint()?
            .checked_add(PG_EPOCH_UNIX * 1_000_000)
            .ok_or_else(|| malformed("a timestamp out of range"))
    }
}

/// What comes next in a binary COPY's data.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    /// A whole row of this many bytes (its field count included).
    Row(usize),
    /// The end of the data.
    End,
    /// More bytes are needed.
    Partial,
}

/// Looks at the start of `data` for a whole row of `columns` fields.
fn next_row(data: &[u8], columns: i16) -> Result<Next> {
    let Some(count) = data.first_chunk::<2>().map(|c| i16::from_be_bytes(*c)) else {
        return Ok(Next::Partial);
    };
    if count == -1 {
        return Ok(Next::End);
    }
    if count != columns {
        return Err(malformed("a row with the wrong number of fields"));
    }
    let mut at = 2;
    for _ in 0..count {
        let Some(len) = data.get(at..at + 4) else {
            return Ok(Next::Partial);
        };
        let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
        at += 4 + usize::try_from(len).unwrap_or(0);
        if at > data.len() {
            return Ok(Next::Partial);
        }
    }
    Ok(Next::Row(at))
}

/// The length of the binary format's header at the start of `data`, or `None` until all of it
/// is there.
fn header_len(data: &[u8]) -> Result<Option<usize>> {
    if data.len() < HEADER_FIXED {
        return Ok(None);
    }
    if !data.starts_with(&HEADER[..11]) {
        return Err(malformed("data that is not in the binary format"));
    }
    let extension = u32::from_be_bytes([data[15], data[16], data[17], data[18]]) as usize;
    Ok((data.len() >= HEADER_FIXED + extension).then_some(HEADER_FIXED + extension))
}

/// Reads a `COPY ... TO STDOUT (FORMAT binary)` of rows with `columns` fields from `data` (the
/// stream sqlx gives), calling `row` for each row in order. Messages may split rows anywhere.
/// Returns the rows read.
pub(crate) async fn copy_out<B: AsRef<[u8]>>(
    mut data: impl futures_util::Stream<Item = sqlx::Result<B>> + Unpin,
    columns: i16,
    mut row: impl FnMut(&mut CopyFields<'_>) -> Result<()>,
) -> Result<u64> {
    use futures_util::TryStreamExt;
    let (mut pending, mut started, mut ended, mut rows) = (Vec::new(), false, false, 0);
    while let Some(message) = data.try_next().await.context("reading a bulk copy")? {
        let message = message.as_ref();
        if ended {
            return Err(malformed("data after its end"));
        }
        let buf = if pending.is_empty() {
            message
        } else {
            pending.extend_from_slice(message);
            pending.as_slice()
        };
        let mut at = 0;
        if !started && let Some(len) = header_len(buf)? {
            (at, started) = (len, true);
        }
        while started && !ended {
            match next_row(&buf[at..], columns)? {
                Next::Row(len) => {
                    row(&mut CopyFields {
                        rest: &buf[at + 2..at + len],
                    })?;
                    rows += 1;
                    at += len;
                }
                Next::End => (at, ended) = (at + 2, true),
                Next::Partial => break,
            }
        }
        if pending.is_empty() {
            pending.extend_from_slice(&message[at..]);
        } else {
            pending.drain(..at);
        }
    }
    if !ended || !pending.is_empty() {
        return Err(malformed("data that stops in the middle"));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(encode: impl FnOnce(&mut CopyRow<'_>) -> Result<()>) -> Vec<u8> {
        let mut buf = Vec::new();
        encode(&mut CopyRow { buf: &mut buf }).expect("encodes");
        buf
    }

    #[test]
    fn fields_carry_their_length_then_big_endian_bytes() {
        let got = encoded(|row| {
            row.bigint(-2).text("ab")?.text_or_null(None)?;
            Ok(())
        });
        let mut want = vec![0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe];
        want.extend_from_slice(&[0, 0, 0, 2, b'a', b'b']);
        want.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(got, want);
    }

    #[test]
    fn timestamps_count_microseconds_from_2000() {
        let at = OffsetDateTime::from_unix_timestamp(PG_EPOCH_UNIX + 1).unwrap()
            + time::Duration::microseconds(5);
        let got = encoded(|row| {
            row.timestamptz(at);
            Ok(())
        });
        assert_eq!(got[4..], 1_000_005i64.to_be_bytes());
        let before = OffsetDateTime::from_unix_timestamp(PG_EPOCH_UNIX - 1).unwrap();
        let got = encoded(|row| {
            row.timestamptz(before);
            Ok(())
        });
        assert_eq!(got[4..], (-1_000_000i64).to_be_bytes());
    }

    /// A whole COPY: header, the rows `encode` writes, trailer.
    fn copy_data(rows: &[(i64, &str)]) -> Vec<u8> {
        let mut buf = HEADER.to_vec();
        for (id, text) in rows {
            buf.extend_from_slice(&2i16.to_be_bytes());
            let mut row = CopyRow { buf: &mut buf };
            row.bigint(*id).text(text).unwrap();
        }
        buf.extend_from_slice(&TRAILER);
        buf
    }

    fn read_back(messages: Vec<Vec<u8>>) -> Result<Vec<(i64, String)>> {
        let stream = futures_util::stream::iter(messages.into_iter().map(Ok::<_, sqlx::Error>));
        let mut read = Vec::new();
        let count = block_on(copy_out(stream, 2, |f| {
            let id = f.bigint()?;
            let text = f.text()?.to_owned();
            read.push((id, text));
            Ok(())
        }))?;
        assert_eq!(count as usize, read.len());
        Ok(read)
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn rows_read_back_as_written_however_the_messages_split_them() {
        let rows = [(1, "Digbeth"), (-7, "Moseley"), (1 << 40, "")];
        let data = copy_data(&rows);
        let want: Vec<(i64, String)> = rows.iter().map(|(id, t)| (*id, t.to_string())).collect();
        for size in [1, 2, 3, 7, 19, 20, data.len()] {
            let messages = data.chunks(size).map(<[u8]>::to_vec).collect();
            assert_eq!(
                read_back(messages).unwrap(),
                want,
                "messages of {size} bytes"
            );
        }
    }

    #[test]
    fn a_copy_cut_short_or_not_binary_is_an_error() {
        let data = copy_data(&[(1, "Digbeth")]);
        let cut = data[..data.len() - 3].to_vec();
        let err = read_back(vec![cut]).unwrap_err().to_string();
        assert!(err.contains("stops in the middle"), "{err}");
        let err = read_back(vec![b"1\tDigbeth\n\\.\n".repeat(3)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("not in the binary format"), "{err}");
    }

    #[test]
    fn the_header_is_the_binary_signature_with_no_flags() {
        assert_eq!(HEADER.len(), 11 + 4 + 4);
        assert_eq!(&HEADER[..11], b"PGCOPY\n\xff\r\n\0");
    }
}
