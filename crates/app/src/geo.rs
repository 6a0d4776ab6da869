//! Geography use cases: look up a postcode, place or point; find places in a text. No personal
//! data is involved, so these need no store and record no audit event.

use lantern_geo::{Gazetteer, Lookup, TextPlaces};

/// The bundled geography could not be read (a defect of this build, not of the input).
#[derive(Debug, thiserror::Error)]
#[error("the bundled geography is unreadable: {0}")]
pub struct GeoUnavailable(String);

impl GeoUnavailable {
    /// Wraps the reason.
    pub fn new(reason: String) -> Self {
        Self(reason)
    }
}

fn gazetteer() -> Result<&'static Gazetteer, GeoUnavailable> {
    Gazetteer::embedded().map_err(|e| GeoUnavailable(e.to_string()))
}

/// Looks up a postcode (unit, sector or district), a place name, or `lat, lon`.
pub fn lookup(query: &str) -> Result<Lookup, GeoUnavailable> {
    Ok(gazetteer()?.lookup(query))
}

/// Finds postcodes, place names and street phrases in a text, with byte spans.
pub fn find_in_text(text: &str) -> Result<TextPlaces, GeoUnavailable> {
    Ok(lantern_geo::find_in_text(gazetteer()?, text))
}

/// The attributions the bundled data's licences require.
pub fn data_notice() -> &'static str {
    lantern_geo::NOTICE
}
