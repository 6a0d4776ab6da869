//! The facts of a whole capture, field by field: every span slices the field it names. The
//! site's contact fields are read as what they are (a phone field holds a number, a Telegram field
//! a handle or a number) before the general extractors run on them.

use std::collections::BTreeSet;

use lantern_core::Capture;
use lantern_core::contact::{normalise_email, normalise_phone};
use serde::Serialize;

use crate::facts::{Extractor, TextFacts};
use crate::{AgeFact, EmailFact, HandleFact, PhoneFact};

/// The facts of one field of a capture.
#[derive(Debug, Clone, Serialize)]
pub struct FieldFacts {
    /// The field as the capture contract names it (`title`, `body`, `contact.phone`...).
    pub field: &'static str,
    /// Its facts; spans slice this field's text.
    pub facts: TextFacts,
}

/// The facts of one capture.
#[derive(Debug, Clone, Serialize)]
pub struct CaptureFacts {
    /// Facts per non-empty text field, in contract order.
    pub fields: Vec<FieldFacts>,
    /// Image hashes as given (`sha256:…`, `phash:…`), in capture order.
    pub images: Vec<String>,
}

impl CaptureFacts {
    /// Every phone number (E.164), once.
    pub fn phones(&self) -> BTreeSet<String> {
        self.all(|f| f.phones.iter().map(|p| p.e164.clone()).collect())
    }

    /// Every e-mail address, once.
    pub fn emails(&self) -> BTreeSet<String> {
        self.all(|f| f.emails.iter().map(|e| e.address.clone()).collect())
    }

    /// Every messaging handle as `service:handle`, once (URLs are not handles).
    pub fn handles(&self) -> BTreeSet<String> {
        self.all(|f| {
            f.handles
                .iter()
                .filter(|h| h.service != "url")
                .map(|h| format!("{}:{}", h.service, h.value))
                .collect()
        })
    }

    fn all(&self, pick: impl Fn(&TextFacts) -> Vec<String>) -> BTreeSet<String> {
        self.fields.iter().flat_map(|f| pick(&f.facts)).collect()
    }
}

impl Extractor<'_> {
    /// Extracts the facts of every field of `capture`.
    pub fn capture(&self, capture: &Capture) -> CaptureFacts {
        let contact = &capture.contact;
        let texts: [(&'static str, Option<&str>); 11] = [
            ("title", capture.title.as_deref()),
            ("body", Some(capture.body.as_str())),
            ("poster", capture.poster.as_deref()),
            ("contact.phone", contact.phone.as_deref()),
            ("contact.email", contact.email.as_deref()),
            ("contact.whatsapp", contact.whatsapp.as_deref()),
            ("contact.telegram", contact.telegram.as_deref()),
            ("contact.other", contact.other.as_deref()),
            ("location.text", capture.location.text.as_deref()),
            ("location.postcode", capture.location.postcode.as_deref()),
            ("rates", capture.rates.as_deref()),
        ];
        let mut fields = Vec::new();
        for (field, text) in texts {
            let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
                continue;
            };
            let mut facts = self.text(text);
            read_contact_field(field, text, &mut facts);
            fields.push(FieldFacts { field, facts });
        }
        if let Some(age) = capture.age.as_deref().and_then(stated_age) {
            fields.push(FieldFacts {
                field: "age",
                facts: TextFacts {
                    ages: vec![age],
                    ..TextFacts::default()
                },
            });
        }
        CaptureFacts {
            fields,
            images: capture.images.iter().map(ToString::to_string).collect(),
        }
    }
}

/// What a contact field holds by its nature, when the general extractors did not find it: a
/// plainly written (perhaps international) number, an address, or a messaging handle.
fn read_contact_field(field: &str, text: &str, facts: &mut TextFacts) {
    let (start, end) = trimmed_span(text);
    match field {
        "contact.phone" | "contact.whatsapp" | "contact.telegram" if facts.phones.is_empty() => {
            if let Some(e164) = normalise_phone(text) {
                facts.phones.push(PhoneFact {
                    e164,
                    start,
                    end,
                    obfuscated: false,
                });
            }
        }
        "contact.email" if facts.emails.is_empty() => {
            if let Some(address) = normalise_email(text) {
                facts.emails.push(EmailFact {
                    address,
                    start,
                    end,
                    obfuscated: false,
                });
            }
        }
        _ => {}
    }
    let service = match field {
        "contact.whatsapp" => "whatsapp",
        "contact.telegram" => "telegram",
        _ => return,
    };
    let handle = text.trim().trim_start_matches('@').to_lowercase();
    let is_handle = facts.phones.is_empty()
        && !handle.contains(char::is_whitespace)
        && handle.chars().any(char::is_alphabetic);
    if is_handle && !facts.handles.iter().any(|h| h.service == service) {
        facts.handles.push(HandleFact {
            service,
            value: handle,
            start,
            end,
        });
    }
}

/// The site's age field: its first number, when it is a plausible age (10-99).
fn stated_age(text: &str) -> Option<AgeFact> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let len = text[start..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len() - start);
    let years: u8 = text[start..start + len].parse().ok()?;
    (10..=99).contains(&years).then_some(AgeFact {
        years,
        under_18: years < 18,
        start,
        end: start + len,
    })
}

/// The span of `text` without its surrounding whitespace.
fn trimmed_span(text: &str) -> (usize, usize) {
    let start = text.len() - text.trim_start().len();
    let end = text.trim_end().len();
    (start, end.max(start))
}
