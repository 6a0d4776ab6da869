//! Extraction for a quick look: every fact `lantern-extract` finds in one text.

use lantern_extract::{TextFacts, extract_text};
use lantern_geo::Gazetteer;

use crate::geo::GeoUnavailable;

/// Extracts the facts of `text`.
pub fn facts(text: &str) -> Result<TextFacts, GeoUnavailable> {
    let gazetteer = Gazetteer::embedded().map_err(|e| GeoUnavailable::new(e.to_string()))?;
    Ok(extract_text(gazetteer, text))
}
