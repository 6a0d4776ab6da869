//! Decoding CSV rows into captures. The header names the columns (`shared/spec/advert-capture.md`,
//! last column of the field table); unknown columns are kept in the raw record and otherwise ignored.

use lantern_core::capture::{CaptureError, check_text};
use lantern_core::{Capture, Contact, ExternalId, ImageRef, Location, Source};

use crate::json::timestamp;

/// The columns of the contract, in spec order.
const KNOWN: [&str; 19] = [
    "source",
    "external_id",
    "captured_at",
    "url",
    "posted_at",
    "title",
    "body",
    "poster",
    "contact_phone",
    "contact_email",
    "contact_whatsapp",
    "contact_telegram",
    "contact_other",
    "location_text",
    "location_postcode",
    "location_lat",
    "location_lon",
    "age",
    "rates",
];
const IMAGES: &str = "images";
const REQUIRED: [&str; 4] = ["source", "external_id", "captured_at", "body"];

/// A CSV header row: the column names, and where each known column sits.
#[derive(Debug, Clone)]
pub struct Header {
    names: Vec<String>,
    known: [Option<usize>; 19],
    images: Option<usize>,
}

/// Splits and decodes CSV rows; reuses its buffers between rows.
pub struct Decoder {
    reader: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self {
            reader: csv_core::Reader::new(),
            out: Vec::new(),
            ends: vec![0; 32],
        }
    }
}

impl Decoder {
    /// Splits one row into its unquoted fields.
    pub fn fields<'a>(&'a mut self, row: &[u8]) -> Vec<&'a [u8]> {
        self.reader.reset();
        self.out.resize(row.len() + 1, 0);
        let (mut nin_total, mut nout_total, mut nend_total) = (0, 0, 0);
        loop {
            let input = &row[nin_total..];
            let (result, nin, nout, nend) = self.reader.read_record(
                input,
                &mut self.out[nout_total..],
                &mut self.ends[nend_total..],
            );
            nin_total += nin;
            nout_total += nout;
            nend_total += nend;
            match result {
                csv_core::ReadRecordResult::OutputEndsFull => {
                    self.ends.resize(self.ends.len() * 2, 0)
                }
                csv_core::ReadRecordResult::OutputFull => {
                    self.out.resize(self.out.len() * 2 + 1, 0)
                }
                csv_core::ReadRecordResult::InputEmpty => {
                    if nin_total >= row.len() && input.is_empty() {
                        break;
                    }
                }
                csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => break,
            }
        }
        let mut start = 0;
        self.ends[..nend_total]
            .iter()
            .map(|&end| {
                let field = &self.out[start..end];
                start = end;
                field
            })
            .collect()
    }
}

impl Header {
    /// Reads the header row; refuses one that lacks a required column or repeats a name.
    pub fn parse(fields: &[&[u8]]) -> Result<Self, CaptureError> {
        let mut names = Vec::with_capacity(fields.len());
        for (i, raw) in fields.iter().enumerate() {
            let name = std::str::from_utf8(raw).map_err(|_| {
                CaptureError::new("header", format!("column {} is not valid UTF-8", i + 1))
            })?;
            let name = name
                .trim()
                .trim_start_matches('\u{feff}')
                .to_ascii_lowercase();
            if names.contains(&name) {
                return Err(CaptureError::new(
                    "header",
                    format!("column {name:?} appears twice"),
                ));
            }
            names.push(name);
        }
        let position = |col: &str| names.iter().position(|n| n == col);
        let mut known = [None; 19];
        for (slot, col) in known.iter_mut().zip(KNOWN) {
            *slot = position(col);
        }
        for col in REQUIRED {
            if position(col).is_none() {
                return Err(CaptureError::new(
                    col,
                    format!("the header row has no `{col}` column, which the contract requires"),
                ));
            }
        }
        let images = position(IMAGES);
        Ok(Self {
            names,
            known,
            images,
        })
    }

    /// Decodes one data row into a capture and its raw record (a JSON object of every column).
    pub fn decode(&self, fields: &[&[u8]]) -> Result<(Capture, Vec<u8>), CaptureError> {
        if fields.len() != self.names.len() {
            return Err(CaptureError::new(
                "line",
                format!(
                    "has {} fields but the header has {} columns",
                    fields.len(),
                    self.names.len()
                ),
            ));
        }
        let mut text = Vec::with_capacity(fields.len());
        for (name, raw) in self.names.iter().zip(fields) {
            let value = std::str::from_utf8(raw).map_err(|e| {
                CaptureError::new(
                    name.as_str(),
                    format!("is not valid UTF-8 (byte {})", e.valid_up_to()),
                )
            })?;
            check_text(name, value)?;
            text.push(value);
        }
        let cell = |col: usize| self.known[col].map(|i| text[i]).filter(|v| !v.is_empty());
        let owned = |col: usize| cell(col).map(str::to_owned);
        let required = |col: usize| {
            cell(col).ok_or_else(|| CaptureError::new(KNOWN[col], "is required but empty"))
        };
        let number = |col: usize| -> Result<Option<f64>, CaptureError> {
            cell(col)
                .map(|v| {
                    v.trim().parse::<f64>().map_err(|_| {
                        CaptureError::new(KNOWN[col], format!("{v:?} is not a number"))
                    })
                })
                .transpose()
        };
        let title = owned(5);
        let body = self.known[6]
            .map(|i| text[i])
            .unwrap_or_default()
            .to_owned();
        Capture::check_body_and_title(title.as_deref(), &body)?;
        let images = match self.images.map(|i| text[i]).filter(|v| !v.is_empty()) {
            None => Vec::new(),
            Some(list) => list
                .split(';')
                .enumerate()
                .map(|(i, item)| ImageRef::parse(&format!("images[{i}]"), item.trim()))
                .collect::<Result<_, _>>()?,
        };
        let capture = Capture {
            source: Source::parse(required(0)?)?,
            external_id: ExternalId::parse(required(1)?)?,
            captured_at: timestamp("captured_at", required(2)?)?,
            url: owned(3),
            posted_at: cell(4).map(|t| timestamp("posted_at", t)).transpose()?,
            title,
            body,
            poster: owned(7),
            contact: Contact {
                phone: owned(8),
                email: owned(9),
                whatsapp: owned(10),
                telegram: owned(11),
                other: owned(12),
            },
            location: Location {
                text: owned(13),
                postcode: owned(14),
                lat_lon: Location::check_coordinates(number(15)?, number(16)?)
                    .map_err(|e| CaptureError::new(e.field.replace('.', "_"), e.reason))?,
            },
            age: owned(17),
            rates: owned(18),
            images,
        };
        let raw: serde_json::Map<String, serde_json::Value> = self
            .names
            .iter()
            .zip(&text)
            .map(|(k, v)| (k.clone(), serde_json::Value::String((*v).to_owned())))
            .collect();
        let raw = serde_json::to_vec(&raw).map_err(|e| CaptureError::new("line", e.to_string()))?;
        Ok((capture, raw))
    }
}

/// Decodes a stored CSV raw record (a JSON object of the row's columns) back into its capture.
pub fn decode_stored_row(raw: &[u8]) -> Result<Capture, CaptureError> {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(raw).map_err(|e| {
            CaptureError::new("line", format!("stored CSV row is not a JSON object: {e}"))
        })?;
    let names: Vec<&[u8]> = map.keys().map(|k| k.as_bytes()).collect();
    let values: Vec<&[u8]> = map
        .values()
        .map(|v| v.as_str().unwrap_or_default().as_bytes())
        .collect();
    Header::parse(&names)?
        .decode(&values)
        .map(|(capture, _)| capture)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(row: &str) -> Vec<Vec<u8>> {
        let mut d = Decoder::default();
        d.fields(row.as_bytes())
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect()
    }

    fn refs(v: &[Vec<u8>]) -> Vec<&[u8]> {
        v.iter().map(Vec::as_slice).collect()
    }

    #[test]
    fn splits_quoted_fields() {
        assert_eq!(
            split(
                r#"a,"b,c","d ""q""",,"x
y""#
            ),
            vec![
                b"a".to_vec(),
                b"b,c".to_vec(),
                b"d \"q\"".to_vec(),
                b"".to_vec(),
                b"x\ny".to_vec()
            ]
        );
    }

    #[test]
    fn decodes_a_row_and_keeps_unknown_columns_in_raw() {
        let header = Header::parse(&refs(&split("source,external_id,captured_at,body,contact_phone,images,location_lat,location_lon,extra"))).unwrap();
        let row = split(
            "site-a,1,2026-10-03T21:14:00Z,hello,07700 900123,phash:d1c4e0f0e0c0c0c0;phash:d1c4e0f0e0c0c0c1,52.48,-1.89,kept",
        );
        let (c, raw) = header.decode(&refs(&row)).unwrap();
        assert_eq!(c.contact.phone.as_deref(), Some("07700 900123"));
        assert_eq!(c.images.len(), 2);
        assert_eq!(c.location.lat_lon, Some((52.48, -1.89)));
        assert!(
            String::from_utf8(raw)
                .unwrap()
                .contains("\"extra\":\"kept\"")
        );
    }

    #[test]
    fn refuses_headers_without_required_columns_and_rows_of_the_wrong_width() {
        let err = Header::parse(&refs(&split("source,external_id,captured_at"))).unwrap_err();
        assert_eq!(err.field, "body");
        let header = Header::parse(&refs(&split("source,external_id,captured_at,body"))).unwrap();
        assert_eq!(
            header
                .decode(&refs(&split("a,1,2026-10-03T21:14:00Z")))
                .unwrap_err()
                .field,
            "line"
        );
        assert_eq!(
            header
                .decode(&refs(&split("a,1,not-a-time,b")))
                .unwrap_err()
                .field,
            "captured_at"
        );
        assert_eq!(
            header
                .decode(&refs(&split(",1,2026-10-03T21:14:00Z,b")))
                .unwrap_err()
                .field,
            "source"
        );
    }

    #[test]
    fn json_and_csv_spellings_of_one_capture_hash_alike() {
        let json = crate::json::decode(r#"{"source":"s","external_id":"1","captured_at":"2026-10-03T21:14:00Z","body":"b","title":"","contact":{"phone":"07700 900123"}}"#).unwrap();
        let header = Header::parse(&refs(&split(
            "source,external_id,captured_at,body,title,contact_phone",
        )))
        .unwrap();
        let (csv, _) = header
            .decode(&refs(&split("s,1,2026-10-03T21:14:00Z,b,,07700 900123")))
            .unwrap();
        assert_eq!(json.content_hash(), csv.content_hash());
    }
}
