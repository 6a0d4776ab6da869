//! Extraction for a quick look: every fact `lantern-extract` finds in one text.

use lantern_extract::{Extractor, TextFacts};
use lantern_geo::Gazetteer;
use lantern_indicators::Catalogue;

/// Why the extractor could not be built: its embedded data did not load.
#[derive(Debug, thiserror::Error)]
#[error("extraction is unavailable: {0}")]
pub struct ExtractorUnavailable(String);

/// The extractor over the embedded gazetteer and indicator catalogue.
pub fn extractor() -> Result<Extractor<'static>, ExtractorUnavailable> {
    let gazetteer =
        Gazetteer::embedded().map_err(|e| ExtractorUnavailable(format!("gazetteer: {e}")))?;
    let catalogue = Catalogue::embedded()
        .map_err(|e| ExtractorUnavailable(format!("indicator catalogue: {e}")))?;
    Ok(Extractor::new(gazetteer, catalogue))
}

/// Extracts the facts of `text`.
pub fn facts(text: &str) -> Result<TextFacts, ExtractorUnavailable> {
    Ok(extractor()?.text(text))
}
