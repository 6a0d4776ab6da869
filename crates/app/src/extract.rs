//! Extraction for a quick look: the facts `lantern-extract` finds in one text.

use lantern_extract::{EmailFact, PhoneFact, find_emails, find_phones};
use serde::Serialize;

/// The facts of one text, each with its byte span and the text it came from.
#[derive(Debug, Serialize)]
pub struct Facts {
    /// Phone numbers.
    pub phones: Vec<Spanned<PhoneFact>>,
    /// E-mail addresses.
    pub emails: Vec<Spanned<EmailFact>>,
}

/// A fact with the text its span covers.
#[derive(Debug, Serialize)]
pub struct Spanned<T> {
    /// The fact.
    #[serde(flatten)]
    pub fact: T,
    /// `text[start..end]`.
    pub written: String,
}

/// Extracts the facts of `text`.
pub fn facts(text: &str) -> Facts {
    Facts {
        phones: find_phones(text)
            .into_iter()
            .map(|fact| Spanned {
                written: text[fact.start..fact.end].to_owned(),
                fact,
            })
            .collect(),
        emails: find_emails(text)
            .into_iter()
            .map(|fact| Spanned {
                written: text[fact.start..fact.end].to_owned(),
                fact,
            })
            .collect(),
    }
}
