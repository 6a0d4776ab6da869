//! Lantern's extraction: facts from hostile advert text, each with the byte span it came from.
//!
//! - [`find_phones`]: UK numbers in every form the capture spec lists (spaced, punctuated,
//!   `+44`/`0044`/`(0)`, letters and words for digits, look-alike digits, keycaps, split across a
//!   sentence) → E.164 with an `obfuscated` flag; decoys (prices, times, dates, heights, sizes,
//!   ages, postcodes, `24/7`) are not numbers.
//! - [`find_emails`]: addresses, including `name at domain dot com`.
//!
//! Architecture invariant: pure and total. No IO, no panics on any input; every fact's span
//! slices the text it came from.

pub mod email;
pub mod facts;
pub mod phone;
pub mod terms;

pub use email::{EmailFact, find_emails};
pub use facts::{TextFacts, extract_text};
pub use phone::{PhoneFact, find_phones};
pub use terms::{AgeFact, HandleFact, PriceFact, find_ages, find_handles, find_prices};
