//! Lantern's geography of the seven West Midlands boroughs, bundled: postcode units, sectors and
//! districts (OS Code-Point Open), wards and boroughs (ONS boundaries), neighbourhoods (MSOA names),
//! places (GeoNames), and Lantern's own aliases and landmarks.
//!
//! - [`grid`]: British National Grid → WGS84.
//! - [`Gazetteer::lookup`]: a postcode, place name or `lat, lon` → a [`Resolution`] with borough,
//!   ward and [`Precision`](lantern_core::export::Precision), or a clear "not found", "outside the
//!   region" or "ambiguous".
//! - [`find_in_text`]: postcodes, place names and street phrases in free text, with byte spans.
//!
//! Architecture invariant: pure. The data is embedded in the binary (`data/geo/`, gzip) and read
//! once on first use; nothing touches the file system or the network, and no input panics.

pub mod grid;
pub mod names;
pub mod polygon;
pub mod postcode;

mod gazetteer;
mod model;
mod text;

pub use gazetteer::{Gazetteer, GeoDataError, NOTICE};
pub use grid::{LatLon, grid_to_wgs84};
pub use model::{AreaRef, BoroughShare, Kind, Lookup, Resolution, precision_rank};
pub use postcode::{Outward, Postcode};
pub use text::{Mention, MentionKind, TextPlaces, find_in_text};
