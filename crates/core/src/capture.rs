//! A capture: what a capture tool saw on one listing at one moment (`shared/spec/advert-capture.md`).
//!
//! The decoders in `lantern-ingest` turn JSON or CSV into these types; every rule of the contract
//! that does not depend on the file format lives here.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::contact::Contact;
use crate::timestamp::Timestamp;

/// A capture that broke the contract: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct CaptureError {
    /// The field as the contract names it (`contact.phone`, `images[2]`), or `line` for the whole line.
    pub field: String,
    /// A sentence a person can act on.
    pub reason: String,
}

impl CaptureError {
    /// Builds an error for `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Checks a free-text field: PostgreSQL cannot store U+0000, so neither backend accepts it.
pub fn check_text(field: &str, value: &str) -> Result<(), CaptureError> {
    if value.contains('\0') {
        return Err(CaptureError::new(
            field,
            "contains the NUL character U+0000, which cannot be stored",
        ));
    }
    Ok(())
}

fn bounded(field: &str, value: &str, max_chars: usize) -> Result<String, CaptureError> {
    check_text(field, value)?;
    let chars = value.chars().count();
    if chars == 0 {
        return Err(CaptureError::new(field, "must not be empty"));
    }
    if chars > max_chars {
        return Err(CaptureError::new(
            field,
            format!("is {chars} characters long; the limit is {max_chars}"),
        ));
    }
    Ok(value.to_owned())
}

/// The site or feed a capture came from, 1..64 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Source(String);

impl Source {
    /// Validates a source name.
    pub fn parse(value: &str) -> Result<Self, CaptureError> {
        bounded("source", value, 64).map(Self)
    }
    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A listing's id on its source, 1..256 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExternalId(String);

impl ExternalId {
    /// Validates an external id.
    pub fn parse(value: &str) -> Result<Self, CaptureError> {
        bounded("external_id", value, 256).map(Self)
    }
    /// The id as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A content hash of one listing image: `sha256:<64 hex>` or `phash:<16 hex>`, stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ImageRef {
    /// Exact content hash.
    Sha256(String),
    /// 64-bit perceptual hash.
    Phash(String),
}

impl ImageRef {
    /// Validates one entry of `images`; `field` names it in errors (`images[2]`).
    pub fn parse(field: &str, value: &str) -> Result<Self, CaptureError> {
        let hex_of = |rest: &str, len: usize| {
            (rest.len() == len && rest.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| rest.to_ascii_lowercase())
        };
        let parsed = if let Some(rest) = value.strip_prefix("sha256:") {
            hex_of(rest, 64).map(Self::Sha256)
        } else if let Some(rest) = value.strip_prefix("phash:") {
            hex_of(rest, 16).map(Self::Phash)
        } else {
            None
        };
        parsed.ok_or_else(|| {
            CaptureError::new(
                field,
                format!("{value:?} is not `sha256:<64 hex>` or `phash:<16 hex>`"),
            )
        })
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sha256(h) => write!(f, "sha256:{h}"),
            Self::Phash(h) => write!(f, "phash:{h}"),
        }
    }
}

/// The site's own location field. Coordinates are WGS84 and come as a pair or not at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Location {
    /// Free-text place as the site shows it.
    pub text: Option<String>,
    /// Postcode as the site shows it (unit, sector or district; not yet normalised).
    pub postcode: Option<String>,
    /// Latitude and longitude, degrees.
    pub lat_lon: Option<(f64, f64)>,
}

impl Location {
    /// Checks a coordinate pair; either half alone is an error.
    pub fn check_coordinates(
        lat: Option<f64>,
        lon: Option<f64>,
    ) -> Result<Option<(f64, f64)>, CaptureError> {
        match (lat, lon) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(CaptureError::new(
                "location.lon",
                "is missing while location.lat is given",
            )),
            (None, Some(_)) => Err(CaptureError::new(
                "location.lat",
                "is missing while location.lon is given",
            )),
            (Some(lat), Some(lon)) => {
                if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
                    return Err(CaptureError::new(
                        "location.lat",
                        format!("{lat} is not a latitude (-90..90)"),
                    ));
                }
                if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
                    return Err(CaptureError::new(
                        "location.lon",
                        format!("{lon} is not a longitude (-180..180)"),
                    ));
                }
                Ok(Some((lat, lon)))
            }
        }
    }
}

/// A capture that satisfies the contract.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    /// Site or feed.
    pub source: Source,
    /// Listing id on that site.
    pub external_id: ExternalId,
    /// When the capture was taken.
    pub captured_at: Timestamp,
    /// Listing URL as captured.
    pub url: Option<String>,
    /// When the site says it was posted or bumped.
    pub posted_at: Option<Timestamp>,
    /// Listing title.
    pub title: Option<String>,
    /// Listing text; empty only when the title is not.
    pub body: String,
    /// Display or profile name.
    pub poster: Option<String>,
    /// Contact fields as displayed (possibly obfuscated).
    pub contact: Contact,
    /// The site's location field.
    pub location: Location,
    /// Stated age, as displayed.
    pub age: Option<String>,
    /// Stated prices, as displayed.
    pub rates: Option<String>,
    /// Image content hashes, in the order given.
    pub images: Vec<ImageRef>,
}

/// SHA-256 over a capture's content (every contract field except `captured_at`). Two captures of a
/// listing with the same hash saw the same advert; the store keeps one and widens its time span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContentHash(pub [u8; 32]);

impl ContentHash {
    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl Capture {
    /// Checks the rules that span fields: the body may be empty (or blank) only when the title is not.
    pub fn check_body_and_title(title: Option<&str>, body: &str) -> Result<(), CaptureError> {
        let blank = |s: &str| s.trim().is_empty();
        if blank(body) && title.is_none_or(blank) {
            return Err(CaptureError::new(
                "body",
                "is empty and so is title; a capture needs one of them",
            ));
        }
        Ok(())
    }

    /// The listing this capture belongs to.
    pub fn listing_key(&self) -> (&str, &str) {
        (self.source.as_str(), self.external_id.as_str())
    }

    /// Hash of the capture's content, independent of when it was captured and of the file format.
    pub fn content_hash(&self) -> ContentHash {
        let mut h = Sha256::new();
        let mut put = |tag: u8, value: Option<&str>| {
            h.update([tag]);
            match value {
                None => h.update([0u8]),
                Some(v) => {
                    h.update([1u8]);
                    h.update((v.len() as u64).to_le_bytes());
                    h.update(v.as_bytes());
                }
            }
        };
        put(1, Some(self.source.as_str()));
        put(2, Some(self.external_id.as_str()));
        put(3, self.url.as_deref());
        put(4, self.posted_at.map(|t| t.to_storage_text()).as_deref());
        put(5, self.title.as_deref());
        put(6, Some(&self.body));
        put(7, self.poster.as_deref());
        put(8, self.contact.phone.as_deref());
        put(9, self.contact.email.as_deref());
        put(10, self.contact.whatsapp.as_deref());
        put(11, self.contact.telegram.as_deref());
        put(12, self.contact.other.as_deref());
        put(13, self.location.text.as_deref());
        put(14, self.location.postcode.as_deref());
        put(
            15,
            self.location
                .lat_lon
                .map(|(a, b)| format!("{a:?},{b:?}"))
                .as_deref(),
        );
        put(16, self.age.as_deref());
        put(17, self.rates.as_deref());
        for image in &self.images {
            put(18, Some(&image.to_string()));
        }
        ContentHash(h.finalize().into())
    }
}

/// A capture that passed every rule, with what storage keeps beside it.
#[derive(Debug, Clone)]
pub struct ValidCapture {
    /// Line where the record starts in its file.
    pub line: u64,
    /// The validated capture.
    pub capture: Capture,
    /// Hash of its content (everything but `captured_at`).
    pub content_hash: ContentHash,
    /// The raw record, zstd-compressed: the JSON line verbatim, or for CSV a JSON object of every
    /// column of the row (header names as keys).
    pub raw_zstd: Vec<u8>,
    /// `jsonl` or `csv`.
    pub raw_format: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Capture {
        Capture {
            source: Source::parse("site-a").unwrap(),
            external_id: ExternalId::parse("88123").unwrap(),
            captured_at: Timestamp::parse("2026-10-03T21:14:00Z").unwrap(),
            url: None,
            posted_at: None,
            title: Some("New in Digbeth".into()),
            body: "Hi".into(),
            poster: None,
            contact: Contact::default(),
            location: Location::default(),
            age: None,
            rates: None,
            images: vec![],
        }
    }

    #[test]
    fn bounds_source_and_external_id_in_characters() {
        assert!(Source::parse(&"é".repeat(64)).is_ok());
        assert_eq!(Source::parse(&"a".repeat(65)).unwrap_err().field, "source");
        assert!(Source::parse("").is_err());
        assert!(ExternalId::parse(&"x".repeat(256)).is_ok());
        assert!(ExternalId::parse(&"x".repeat(257)).is_err());
        assert!(ExternalId::parse("a\0b").is_err());
    }

    #[test]
    fn image_refs_are_checked_and_lower_cased() {
        let ok = ImageRef::parse("images[0]", "phash:D1C4E0F0E0C0C0C0").unwrap();
        assert_eq!(ok.to_string(), "phash:d1c4e0f0e0c0c0c0");
        assert!(ImageRef::parse("images[0]", &format!("sha256:{}", "a".repeat(64))).is_ok());
        let err = ImageRef::parse("images[1]", "md5:abc").unwrap_err();
        assert_eq!(err.field, "images[1]");
        assert!(ImageRef::parse("images[0]", "phash:d1c4e0f0e0c0c0cz").is_err());
    }

    #[test]
    fn body_may_be_empty_only_with_a_title() {
        assert!(Capture::check_body_and_title(Some("t"), "").is_ok());
        assert!(Capture::check_body_and_title(None, "b").is_ok());
        assert!(Capture::check_body_and_title(None, "  ").is_err());
        assert!(Capture::check_body_and_title(Some(" "), "").is_err());
    }

    #[test]
    fn coordinates_come_in_range_and_in_pairs() {
        assert_eq!(
            Location::check_coordinates(Some(52.4), Some(-1.9)).unwrap(),
            Some((52.4, -1.9))
        );
        assert_eq!(
            Location::check_coordinates(Some(52.4), None)
                .unwrap_err()
                .field,
            "location.lon"
        );
        assert_eq!(
            Location::check_coordinates(Some(91.0), Some(0.0))
                .unwrap_err()
                .field,
            "location.lat"
        );
        assert_eq!(
            Location::check_coordinates(Some(0.0), Some(f64::NAN))
                .unwrap_err()
                .field,
            "location.lon"
        );
    }

    #[test]
    fn content_hash_ignores_capture_time_but_not_content() {
        let a = sample();
        let mut later = sample();
        later.captured_at = Timestamp::parse("2026-10-04T10:00:00Z").unwrap();
        assert_eq!(a.content_hash(), later.content_hash());
        let mut edited = sample();
        edited.body = "Hi!".into();
        assert_ne!(a.content_hash(), edited.content_hash());
        // A value moved between fields is a different capture.
        let mut moved = sample();
        moved.title = None;
        moved.poster = Some("New in Digbeth".into());
        assert_ne!(a.content_hash(), moved.content_hash());
    }
}
