//! Every fact of one text at once: phones, e-mails, handles and URLs, ages, prices, places and
//! indicator phrases.

use lantern_geo::{Gazetteer, Mention, find_in_text};
use lantern_indicators::Catalogue;
use serde::Serialize;

use crate::indicators::{IndicatorFact, IndicatorMatcher};
use crate::{
    AgeFact, EmailFact, HandleFact, PhoneFact, PriceFact, find_emails, find_phones, terms,
};

/// The facts of one text; every span slices that text.
#[derive(Debug, Clone, Default, Serialize)]
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
    /// Catalogue indicators: phrases, and phone numbers written to defeat reading.
    pub indicators: Vec<IndicatorFact>,
}

/// Everything extraction needs, built once: the gazetteer and the compiled indicator phrases.
#[derive(Debug, Clone)]
pub struct Extractor<'g> {
    gazetteer: &'g Gazetteer,
    indicators: IndicatorMatcher,
}

impl<'g> Extractor<'g> {
    /// An extractor over `gazetteer` finding `catalogue`'s advert indicators.
    pub fn new(gazetteer: &'g Gazetteer, catalogue: &Catalogue) -> Self {
        Self {
            gazetteer,
            indicators: IndicatorMatcher::new(catalogue),
        }
    }

    /// The gazetteer places are resolved with.
    pub fn gazetteer(&self) -> &'g Gazetteer {
        self.gazetteer
    }

    /// Extracts every kind of fact from `text`.
    pub fn text(&self, text: &str) -> TextFacts {
        let phones = find_phones(text);
        let mut indicators = self.indicators.find(text);
        indicators.extend(
            phones
                .iter()
                .filter(|p| p.obfuscated)
                .filter_map(|p| self.indicators.obfuscated_phone(text, p.start, p.end)),
        );
        indicators.sort_by_key(|f| (f.start, f.end));
        let words = terms::words(text);
        TextFacts {
            phones,
            emails: find_emails(text),
            handles: terms::handles_in(&words),
            ages: terms::ages_in(&words),
            prices: terms::prices_in(text, &words),
            places: find_in_text(self.gazetteer, text).mentions,
            indicators,
        }
    }
}
