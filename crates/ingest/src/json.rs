//! Decoding one JSON Lines record into a [`Capture`].

use lantern_core::capture::{CaptureError, check_text};
use lantern_core::{Capture, Contact, ExternalId, ImageRef, Location, Source, Timestamp};
use serde_json::{Map, Value};

/// Decodes one line (already checked to be UTF-8) into a capture.
pub fn decode(line: &str) -> Result<Capture, CaptureError> {
    let value: Value = serde_json::from_str(line)
        .map_err(|e| CaptureError::new("line", format!("is not valid JSON ({e})")))?;
    let Value::Object(obj) = value else {
        return Err(CaptureError::new(
            "line",
            format!("is a JSON {}, not an object", kind(&value)),
        ));
    };
    let title = opt_string(&obj, "title", "title")?;
    let body = req_string(&obj, "body")?;
    Capture::check_body_and_title(title.as_deref(), &body)?;
    Ok(Capture {
        source: Source::parse(&req_string(&obj, "source")?)?,
        external_id: ExternalId::parse(&req_string(&obj, "external_id")?)?,
        captured_at: timestamp("captured_at", &req_string(&obj, "captured_at")?)?,
        url: opt_string(&obj, "url", "url")?,
        posted_at: opt_string(&obj, "posted_at", "posted_at")?
            .map(|t| timestamp("posted_at", &t))
            .transpose()?,
        title,
        body,
        poster: opt_string(&obj, "poster", "poster")?,
        contact: contact(obj.get("contact"))?,
        location: location(obj.get("location"))?,
        age: opt_string(&obj, "age", "age")?,
        rates: opt_string(&obj, "rates", "rates")?,
        images: images(obj.get("images"))?,
    })
}

/// Parses an RFC 3339 timestamp, naming the field in the error.
pub fn timestamp(field: &str, text: &str) -> Result<Timestamp, CaptureError> {
    Timestamp::parse(text).map_err(|e| CaptureError::new(field, format!("{text:?} is {e}")))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn req_string(obj: &Map<String, Value>, key: &str) -> Result<String, CaptureError> {
    match obj.get(key) {
        None => Err(CaptureError::new(key, "is required but missing")),
        Some(Value::Null) => Err(CaptureError::new(key, "is required but null")),
        Some(Value::String(s)) => {
            check_text(key, s)?;
            Ok(s.clone())
        }
        Some(other) => Err(CaptureError::new(
            key,
            format!("must be a string, found a {}", kind(other)),
        )),
    }
}

/// An optional string: absent, null and empty all mean "not given".
fn opt_string(
    obj: &Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<String>, CaptureError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => {
            check_text(field, s)?;
            Ok(Some(s.clone()))
        }
        Some(other) => Err(CaptureError::new(
            field,
            format!("must be a string, found a {}", kind(other)),
        )),
    }
}

fn opt_object<'a>(
    value: Option<&'a Value>,
    field: &str,
) -> Result<Option<&'a Map<String, Value>>, CaptureError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(other) => Err(CaptureError::new(
            field,
            format!("must be an object, found a {}", kind(other)),
        )),
    }
}

fn contact(value: Option<&Value>) -> Result<Contact, CaptureError> {
    let Some(obj) = opt_object(value, "contact")? else {
        return Ok(Contact::default());
    };
    Ok(Contact {
        phone: opt_string(obj, "phone", "contact.phone")?,
        email: opt_string(obj, "email", "contact.email")?,
        whatsapp: opt_string(obj, "whatsapp", "contact.whatsapp")?,
        telegram: opt_string(obj, "telegram", "contact.telegram")?,
        other: opt_string(obj, "other", "contact.other")?,
    })
}

fn opt_number(
    obj: &Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<f64>, CaptureError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .map(Some)
            .ok_or_else(|| CaptureError::new(field, format!("{n} is not a finite number"))),
        Some(other) => Err(CaptureError::new(
            field,
            format!("must be a number, found a {}", kind(other)),
        )),
    }
}

fn location(value: Option<&Value>) -> Result<Location, CaptureError> {
    let Some(obj) = opt_object(value, "location")? else {
        return Ok(Location::default());
    };
    Ok(Location {
        text: opt_string(obj, "text", "location.text")?,
        postcode: opt_string(obj, "postcode", "location.postcode")?,
        lat_lon: Location::check_coordinates(
            opt_number(obj, "lat", "location.lat")?,
            opt_number(obj, "lon", "location.lon")?,
        )?,
    })
}

fn images(value: Option<&Value>) -> Result<Vec<ImageRef>, CaptureError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let field = format!("images[{i}]");
                match item {
                    Value::String(s) => ImageRef::parse(&field, s),
                    other => Err(CaptureError::new(
                        field,
                        format!("must be a string, found a {}", kind(other)),
                    )),
                }
            })
            .collect(),
        Some(other) => Err(CaptureError::new(
            "images",
            format!("must be an array of strings, found a {}", kind(other)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{"source":"site-a","external_id":"88123","captured_at":"2026-10-03T21:14:00Z","url":"https://site-a.example/ad/88123","title":"New in Digbeth","body":"Hi gents, I'm Mia, 24. Incall near the coach station B5. Call o7seven00 9OO 123","poster":"Mia","contact":{"phone":"07700 900123"},"location":{"text":"Birmingham, Digbeth","postcode":"B5"},"age":"24","rates":"£100 1hr","images":["phash:d1c4e0f0e0c0c0c0"]}"#;

    #[test]
    fn decodes_the_spec_example() {
        let c = decode(EXAMPLE).unwrap();
        assert_eq!(c.listing_key(), ("site-a", "88123"));
        assert_eq!(c.contact.phone.as_deref(), Some("07700 900123"));
        assert_eq!(c.location.postcode.as_deref(), Some("B5"));
        assert_eq!(c.images.len(), 1);
        assert_eq!(c.captured_at.to_rfc3339(), "2026-10-03T21:14:00Z");
    }

    fn field_of(line: &str) -> String {
        decode(line).unwrap_err().field
    }

    #[test]
    fn names_the_field_at_fault() {
        let base = r#""source":"s","external_id":"1","captured_at":"2026-10-03T21:14:00Z""#;
        assert_eq!(
            field_of(r#"{"external_id":"1","captured_at":"2026-10-03T21:14:00Z","body":"b"}"#),
            "source"
        );
        assert_eq!(field_of(&format!(r#"{{{base},"body":5}}"#)), "body");
        assert_eq!(
            field_of(&format!(
                r#"{{{base},"body":"b","contact":{{"phone":7700900123}}}}"#
            )),
            "contact.phone"
        );
        assert_eq!(
            field_of(&format!(
                r#"{{{base},"body":"b","location":{{"lat":"52.4","lon":-1.9}}}}"#
            )),
            "location.lat"
        );
        assert_eq!(
            field_of(&format!(r#"{{{base},"body":"b","images":["phash:zz"]}}"#)),
            "images[0]"
        );
        assert_eq!(
            field_of(&format!(r#"{{{base},"body":"b","posted_at":"yesterday"}}"#)),
            "posted_at"
        );
        assert_eq!(field_of(&format!(r#"{{{base},"body":""}}"#)), "body");
        assert_eq!(field_of("[1,2]"), "line");
        assert_eq!(field_of("{\"source\":"), "line");
    }

    #[test]
    fn ignores_unknown_fields_and_treats_null_optionals_as_absent() {
        let c = decode(r#"{"source":"s","external_id":"1","captured_at":"2026-10-03T21:14:00Z","body":"b","title":null,"site_rank":3}"#).unwrap();
        assert_eq!(c.title, None);
    }
}
