//! Every fact of one text at once: phones, e-mails, handles and URLs, ages, prices and places.

use lantern_geo::{Gazetteer, Mention, find_in_text};
use serde::Serialize;

use crate::{
    AgeFact, EmailFact, HandleFact, PhoneFact, PriceFact, find_ages, find_emails, find_handles,
    find_phones, find_prices,
};

/// The facts of one text; every span slices that text.
#[derive(Debug, Clone, Serialize)]
pub struct TextFacts {
    /// Phone numbers.
    pub phones: Vec<PhoneFact>,
    /// E-mail addresses.
    pub emails: Vec<EmailFact>,
    /// Messaging handles and URLs.
    pub handles: Vec<HandleFact>,
    /// Stated ages.
    pub ages: Vec<AgeFact>,
    /// Prices.
    pub prices: Vec<PriceFact>,
    /// Postcodes, place names and street phrases, resolved by the gazetteer.
    pub places: Vec<Mention>,
}

/// Extracts every kind of fact from `text`.
pub fn extract_text(gazetteer: &Gazetteer, text: &str) -> TextFacts {
    TextFacts {
        phones: find_phones(text),
        emails: find_emails(text),
        handles: find_handles(text),
        ages: find_ages(text),
        prices: find_prices(text),
        places: find_in_text(gazetteer, text).mentions,
    }
}
