//! Lantern's scenario simulator: a region's adverts over weeks with known ground truth (who
//! controls each listing, which workers, which premises, whether exploitative), and the
//! evaluator's arithmetic for scoring an analysis against it.
//!
//! Three kinds of controller in realistic proportions (independent workers the majority,
//! managed venues, exploitative networks) and the hard cases real analysts meet: shared
//! ad-writer templates, networks writing fresh text, cross-posting, edited re-captures, phones
//! only in the body and obfuscated every way the capture spec lists, decoy numbers. Places are
//! real postcode units, towns and neighbourhoods from `lantern-geo`.
//!
//! Pure apart from the [`Sink`] it writes to; deterministic for a seed.

pub mod eval;
pub mod model;
pub mod phones;
pub mod rng;
pub mod text;
mod world;

pub use model::{
    Capture, ControllerKind, ControllerTruth, HardCases, ListingTruth, Mix, PremisesTruth,
    Scenario, Sink, Summary,
};
pub use phones::Obfuscation;
pub use world::simulate;
