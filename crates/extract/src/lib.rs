//! Lantern's extraction: facts from hostile advert text, each with the byte span it came from.
//!
//! - [`find_phones`]: UK numbers in every form the capture spec lists (spaced, punctuated,
//!   `+44`/`0044`/`(0)`, letters and words for digits, look-alike digits, keycaps, split across a
//!   sentence) → E.164 with an `obfuscated` flag; decoys (prices, times, dates, heights, sizes,
//!   ages, postcodes, `24/7`) are not numbers.
//! - [`find_emails`]: addresses, including `name at domain dot com`.
//! - [`find_handles`], [`find_ages`], [`find_prices`]: messaging handles and URLs, stated ages,
//!   prices with their units.
//! - [`IndicatorMatcher`]: the indicator catalogue's advert phrases, as whole words.
//! - [`Extractor`]: all of them (and places, through `lantern-geo`) over one text
//!   ([`Extractor::text`]) or over every field of a capture ([`Extractor::capture`]).
//!
//! Architecture invariant: pure and total. No IO, no panics on any input; every fact's span
//! slices the text it came from.

pub mod capture;
pub mod email;
pub mod facts;
pub mod indicators;
pub mod phone;
pub mod terms;

pub use capture::{CaptureFacts, FieldFacts};
pub use email::{EmailFact, find_emails};
pub use facts::{Extractor, TextFacts};
pub use indicators::{IndicatorFact, IndicatorMatcher};
pub use phone::{PhoneFact, find_phones};
pub use terms::{AgeFact, HandleFact, PriceFact, find_ages, find_handles, find_prices};
