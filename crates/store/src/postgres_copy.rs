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

    #[test]
    fn the_header_is_the_binary_signature_with_no_flags() {
        assert_eq!(HEADER.len(), 11 + 4 + 4);
        assert_eq!(&HEADER[..11], b"PGCOPY\n\xff\r\n\0");
    }
}
