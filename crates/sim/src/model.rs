//! A scenario's settings and the records it produces: captures (the input contract) and ground
//! truth (what really happened).

use lantern_core::Timestamp;
use serde::Serialize;

use crate::phones::Obfuscation;

/// What to simulate.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    /// Same seed, same output, byte for byte.
    pub seed: u64,
    /// Listings to write (cross-posts count as listings).
    pub listings: u64,
    /// Weeks covered.
    pub weeks: u32,
    /// Monday 00:00 UTC of the first week.
    pub start: Timestamp,
    /// Share of listings placed by each kind of controller.
    pub mix: Mix,
    /// How often each hard case occurs.
    pub hard: HardCases,
}

/// Shares of listings by controller kind (they need not sum to 1; they are normalised).
#[derive(Debug, Clone, Serialize)]
pub struct Mix {
    /// Independent workers (the majority).
    pub independent: f64,
    /// Managed venues and agencies.
    pub venue: f64,
    /// Exploitative networks.
    pub network: f64,
}

/// The hard cases' rates.
#[derive(Debug, Clone, Serialize)]
pub struct HardCases {
    /// Share of venues and networks whose adverts come from a shared ad-writer's base template.
    pub shared_template: f64,
    /// Share of networks writing fresh text for every advert (only phones and images link them).
    pub fresh_text_network: f64,
    /// Share of listings also posted on other sources under other ids.
    pub cross_post: f64,
    /// Share of re-captures whose text was slightly edited.
    pub edited_recapture: f64,
    /// Share of independent workers who tour another town for a week.
    pub tour: f64,
    /// Share of listings that give the phone only in the body (no contact field).
    pub phone_only_in_body: f64,
    /// Share of independents' and venues' body phones written obscured (networks: three times
    /// as often).
    pub obscured_phone: f64,
    /// Share of independent workers sharing a phone with another independent (working together
    /// for safety, one maid's number): different controllers, one number.
    pub shared_phone: f64,
    /// Share of listings carrying a stock picture also used by unrelated advertisers.
    pub stock_image: f64,
}

impl Scenario {
    /// Realistic defaults for `listings` over `weeks` from `seed`.
    pub fn new(seed: u64, listings: u64, weeks: u32) -> Self {
        Self {
            seed,
            listings,
            weeks: weeks.max(1),
            start: Timestamp::parse("2026-09-07T00:00:00Z").unwrap_or_else(|_| Timestamp::now()),
            mix: Mix {
                independent: 0.60,
                venue: 0.25,
                network: 0.15,
            },
            hard: HardCases {
                shared_template: 0.3,
                fresh_text_network: 0.3,
                cross_post: 0.08,
                edited_recapture: 0.3,
                tour: 0.15,
                phone_only_in_body: 0.25,
                obscured_phone: 0.15,
                shared_phone: 0.03,
                stock_image: 0.03,
            },
        }
    }
}

/// Who places a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControllerKind {
    /// A worker advertising herself.
    Independent,
    /// A managed venue or agency.
    Venue,
    /// An exploitative network.
    Network,
}

impl ControllerKind {
    /// Its name in truth files.
    pub fn name(self) -> &'static str {
        match self {
            Self::Independent => "independent",
            Self::Venue => "venue",
            Self::Network => "network",
        }
    }
}

/// A capture as the input contract (`shared/spec/advert-capture.md`) writes it.
#[derive(Debug, Clone, Serialize)]
pub struct Capture {
    /// Site.
    pub source: String,
    /// Id on the site.
    pub external_id: String,
    /// When captured.
    pub captured_at: String,
    /// Listing URL.
    pub url: String,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Display name.
    pub poster: String,
    /// Site contact fields.
    #[serde(skip_serializing_if = "Contact::is_empty")]
    pub contact: Contact,
    /// Site location field.
    pub location: Location,
    /// Stated age.
    pub age: String,
    /// Stated rates.
    pub rates: String,
    /// Image hashes.
    pub images: Vec<String>,
}

/// Site contact fields.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Contact {
    /// Phone as the site shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Contact {
    fn is_empty(&self) -> bool {
        self.phone.is_none() && self.email.is_none()
    }
}

/// Site location field.
#[derive(Debug, Clone, Serialize)]
pub struct Location {
    /// Area text.
    pub text: String,
    /// Postcode (district or unit) when shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
}

/// The truth about one listing.
#[derive(Debug, Clone, Serialize)]
pub struct ListingTruth {
    /// Site.
    pub source: String,
    /// Id on the site.
    pub external_id: String,
    /// Controller id.
    pub controller: u64,
    /// Controller kind.
    pub controller_kind: ControllerKind,
    /// Worker id.
    pub worker: u64,
    /// Premises id.
    pub premises: u64,
    /// Whether the controller exploits the worker.
    pub exploitative: bool,
    /// Phones the listing gives, E.164, `;`-separated.
    pub phones: String,
    /// E-mails the listing gives, `;`-separated.
    pub emails: String,
    /// How the phone is written in the body (`none` when the body gives no phone).
    pub body_phone: String,
    /// Whether the site's contact field carries the phone.
    pub phone_in_contact_field: bool,
    /// For a cross-post: the `source/external_id` of the listing it copies.
    pub cross_post_of: String,
    /// The shared base template used, if any.
    pub base_template: String,
    /// Whether the text was written fresh for this advert.
    pub fresh_text: bool,
    /// Whether the advert is for a week's tour away from home.
    pub tour: bool,
    /// Whether the listing carries a stock picture used by unrelated advertisers.
    pub stock_image: bool,
    /// First week listed (0-based).
    pub first_week: u32,
    /// Last week listed.
    pub last_week: u32,
    /// Captures written of this listing.
    pub captures: u32,
    /// Captures whose text differs from the first by an edit.
    pub edited_captures: u32,
}

/// The truth about one premises.
#[derive(Debug, Clone, Serialize)]
pub struct PremisesTruth {
    /// Premises id.
    pub premises: u64,
    /// Controller using it.
    pub controller: u64,
    /// `home`, `venue`, `short_let` or `hotel`.
    pub kind: &'static str,
    /// Postcode unit (real, from the bundled gazetteer).
    pub postcode: String,
    /// Town or neighbourhood.
    pub place: String,
    /// Borough ONS code.
    pub borough: String,
    /// First week in use.
    pub first_week: u32,
    /// Last week in use.
    pub last_week: u32,
}

/// The truth about one controller.
#[derive(Debug, Clone, Serialize)]
pub struct ControllerTruth {
    /// Controller id.
    pub controller: u64,
    /// Kind.
    pub kind: ControllerKind,
    /// Whether exploitative.
    pub exploitative: bool,
    /// Workers.
    pub workers: u32,
    /// Phones, E.164, `;`-separated.
    pub phones: String,
    /// Whether one of its phones is also another controller's.
    pub shared_phone: bool,
    /// Listings placed.
    pub listings: u32,
}

/// Where a scenario's records go (files, memory, a test's counters).
pub trait Sink {
    /// One capture.
    fn capture(&mut self, capture: &Capture) -> std::io::Result<()>;
    /// One listing's truth.
    fn listing(&mut self, truth: &ListingTruth) -> std::io::Result<()>;
    /// One premises' truth.
    fn premises(&mut self, truth: &PremisesTruth) -> std::io::Result<()>;
    /// One controller's truth.
    fn controller(&mut self, truth: &ControllerTruth) -> std::io::Result<()>;
}

/// What a finished scenario wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Listings.
    pub listings: u64,
    /// Captures.
    pub captures: u64,
    /// Controllers by kind: independent, venue, network.
    pub controllers: [u64; 3],
    /// Listings by controller kind.
    pub listings_by_kind: [u64; 3],
    /// Premises.
    pub premises: u64,
    /// Whether random (non-drama-range) phone numbers were needed.
    pub random_phone_numbers: bool,
    /// Body phones by obfuscation class, in [`Obfuscation::ALL`] order.
    pub body_phones_by_class: [u64; 10],
}

impl Summary {
    pub(crate) fn count_obfuscation(&mut self, how: Obfuscation) {
        if let Some(i) = Obfuscation::ALL.iter().position(|&o| o == how) {
            self.body_phones_by_class[i] += 1;
        }
    }
}
