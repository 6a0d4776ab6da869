//! UTC timestamps with microsecond precision, the one time type stored and exported.

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// A moment in UTC, truncated to whole microseconds so that both storage backends hold it exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

/// Why a timestamp was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// The text is not an RFC 3339 date-time with an offset.
    #[error("not an RFC 3339 timestamp (expected e.g. 2026-10-03T21:14:00Z): {0}")]
    NotRfc3339(String),
    /// The year is outside 1970..=9999, which no capture can honestly carry.
    #[error("year {0} is outside 1970..=9999")]
    OutOfRange(i32),
}

const STORAGE_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
);

impl Timestamp {
    /// Parses an RFC 3339 timestamp (any offset), converting it to UTC.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        let parsed = OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|e| TimestampError::NotRfc3339(e.to_string()))?;
        Self::from_datetime(parsed)
    }

    /// Wraps a date-time, converting it to UTC and truncating it to microseconds.
    pub fn from_datetime(value: OffsetDateTime) -> Result<Self, TimestampError> {
        let utc = value.to_offset(UtcOffset::UTC);
        if !(1970..=9999).contains(&utc.year()) {
            return Err(TimestampError::OutOfRange(utc.year()));
        }
        let micros = utc.microsecond();
        let truncated = utc
            .replace_nanosecond(micros * 1_000)
            .map_err(|e| TimestampError::NotRfc3339(e.to_string()))?;
        Ok(Self(truncated))
    }

    /// The current time.
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc()).unwrap_or(Self(OffsetDateTime::UNIX_EPOCH))
    }

    /// The instant `micros` microseconds after the Unix epoch.
    pub fn from_unix_micros(micros: i64) -> Result<Self, TimestampError> {
        let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
            .map_err(|e| TimestampError::NotRfc3339(e.to_string()))?;
        Self::from_datetime(at)
    }

    /// This instant plus `seconds` seconds.
    pub fn plus_seconds(self, seconds: i64) -> Result<Self, TimestampError> {
        Self::from_unix_micros(
            self.unix_micros()
                .saturating_add(seconds.saturating_mul(1_000_000)),
        )
    }

    /// Microseconds since the Unix epoch.
    pub fn unix_micros(self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1_000) as i64
    }

    /// The inner date-time, in UTC.
    pub fn as_datetime(self) -> OffsetDateTime {
        self.0
    }

    /// Fixed-width text form (`2026-10-03T21:14:00.000000Z`) whose byte order is time order; used
    /// where a backend stores timestamps as text.
    pub fn to_storage_text(self) -> String {
        self.0
            .format(STORAGE_FORMAT)
            .unwrap_or_else(|_| self.to_rfc3339())
    }

    /// Parses the fixed-width storage form written by [`Timestamp::to_storage_text`].
    pub fn from_storage_text(text: &str) -> Result<Self, TimestampError> {
        Self::parse(text)
    }

    /// The calendar date, `2026-10-03`.
    pub fn date(self) -> String {
        let d = self.as_datetime().date();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }

    /// RFC 3339 text in UTC, with a fraction only when there is one (`2026-10-03T21:14:00Z`).
    pub fn to_rfc3339(self) -> String {
        self.0
            .format(&Rfc3339)
            .unwrap_or_else(|_| format!("{}", self.0.unix_timestamp()))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_into_utc() {
        let t = Timestamp::parse("2026-10-03T22:14:00+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-10-03T21:14:00Z");
    }

    #[test]
    fn truncates_to_microseconds_and_round_trips_storage_text() {
        let t = Timestamp::parse("2026-10-03T21:14:00.123456789Z").unwrap();
        assert_eq!(t.to_storage_text(), "2026-10-03T21:14:00.123456Z");
        assert_eq!(
            Timestamp::from_storage_text(&t.to_storage_text()).unwrap(),
            t
        );
        assert_eq!(t.to_rfc3339(), "2026-10-03T21:14:00.123456Z");
    }

    #[test]
    fn storage_text_sorts_like_time() {
        let a = Timestamp::parse("2026-10-03T21:14:00Z").unwrap();
        let b = Timestamp::parse("2026-10-03T21:14:00.5Z").unwrap();
        let c = Timestamp::parse("2026-10-03T21:14:01Z").unwrap();
        assert!(a.to_storage_text() < b.to_storage_text());
        assert!(b.to_storage_text() < c.to_storage_text());
    }

    #[test]
    fn refuses_non_rfc3339_and_absurd_years() {
        assert!(matches!(
            Timestamp::parse("03/10/2026 21:14"),
            Err(TimestampError::NotRfc3339(_))
        ));
        assert!(matches!(
            Timestamp::parse("2026-10-03T21:14:00"),
            Err(TimestampError::NotRfc3339(_))
        ));
        assert!(matches!(
            Timestamp::parse("1900-01-01T00:00:00Z"),
            Err(TimestampError::OutOfRange(1900))
        ));
    }
}
