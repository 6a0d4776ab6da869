//! Lantern's domain core: the types every other crate speaks, and the rules that make them valid.
//!
//! Architecture invariant: this crate does no IO, starts no runtime and never panics on outside
//! input. Constructors that take outside input are called `parse` and return a `Result`.

pub mod capture;
pub mod contact;
pub mod export;
pub mod timestamp;

pub use capture::{
    Capture, CaptureError, ContentHash, ExternalId, ImageRef, Location, Source, ValidCapture,
};
pub use contact::Contact;
pub use timestamp::Timestamp;
