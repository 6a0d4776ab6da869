//! `lantern retention`: applies the retention rules (module `rules`) to the store. A listing's
//! capture text and a visit's summary are erased once their rule says so, keeping the facts
//! derived from them; records whose rule asks for a person's review are queued, and a reviewer's
//! decision (keep until a date, or erase) is recorded with a rationale. Every erasure is an audit
//! event (`erase`, naming the record and the rule, never its content) in the transaction that
//! erases. After erasing listings' text the analysis runs, so that no cluster record keeps a
//! template made of it; then the store is checkpointed, so the erased text leaves the file.

pub mod rules;

use std::collections::{HashMap, HashSet};

use lantern_core::Timestamp;
use lantern_core::export::RiskBand;
use lantern_store::{
    AgedListing, AgedVisit, AnalysisStore, AuditEvent, Erasure, NewReview, Operation, RecordKind,
    RetainedKind, RetentionStore, ReviewDecision, ReviewRow, Store, StoreError, VisitStore,
};
use serde::{Deserialize, Serialize};

use crate::Actor;
use crate::analyse::{AnalyseError, AnalyseOptions, AnalyseSummary, Quiet};
use rules::{Action, Rules, When};

/// Visit outcomes that, without a referral, record no concern.
pub const NO_CONCERN_OUTCOMES: [&str; 3] =
    ["NO_ANSWER", "DECLINED_ENGAGEMENT", "ENGAGED_NO_CONCERN"];

/// Erasures written per transaction (each with its audit event).
const ERASURES_PER_TRANSACTION: usize = 500;

/// Why retention failed.
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    /// The store failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The analysis that follows erasures failed (the erasures are committed).
    #[error("the erasures are saved, but the analysis after them failed: {0}")]
    Analysis(#[from] AnalyseError),
    /// Stored data could not be read.
    #[error("{0}")]
    Corrupt(String),
    /// The request cannot be carried out.
    #[error("{0}")]
    Refused(String),
}

/// What a retention run did (or, dry, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RetentionReport {
    /// Nothing was changed.
    pub dry_run: bool,
    /// Per rule: records erased (or queued for review).
    pub by_rule: Vec<RuleCount>,
    /// Listings whose capture text was erased.
    pub listings_erased: u64,
    /// Visits whose summary was erased.
    pub visits_erased: u64,
    /// Reviews queued (records already in the queue are not queued again).
    pub reviews_queued: u64,
    /// The analysis that remade the erased listings' clusters.
    pub analysis: Option<AnalyseSummary>,
}

/// How many records one rule touched.
#[derive(Debug, Clone, Serialize)]
pub struct RuleCount {
    /// The rule.
    pub rule: String,
    /// What it does.
    pub action: &'static str,
    /// Records it applied to.
    pub records: u64,
}

/// Whether a visit records a concern: an outcome other than [`NO_CONCERN_OUTCOMES`], or a
/// referral (a list that cannot be read counts as a concern: nothing is erased on a doubt).
fn visit_concern(outcome: &str, referrals: &str) -> bool {
    !NO_CONCERN_OUTCOMES.contains(&outcome)
        || serde_json::from_str::<Vec<serde_json::Value>>(referrals).map_or(true, |r| !r.is_empty())
}

/// What retention reads of an advert record.
#[derive(Deserialize)]
struct AdvertConcern {
    source: String,
    external_id: String,
    risk_band: RiskBand,
    #[serde(default)]
    locations: Vec<String>,
}

/// Which of the aged listings are linked to a concern: banded medium or high by the analysis, or
/// naming a location where a visit found a concern.
async fn concerned_listings(
    store: &Store,
    aged: &[AgedListing],
    concern_locations: &HashSet<String>,
) -> Result<HashSet<i64>, RetentionError> {
    let wanted: HashMap<(&str, &str), i64> = aged
        .iter()
        .map(|a| ((a.source.as_str(), a.external_id.as_str()), a.listing_id))
        .collect();
    let mut concerned = HashSet::new();
    let mut bad: Option<String> = None;
    store
        .for_each_record(RecordKind::Advert, &mut |json| {
            let advert: AdvertConcern = serde_json::from_str(json).map_err(|e| {
                let message = format!("a stored advert record is unreadable: {e}");
                bad = Some(message.clone());
                std::io::Error::other(message)
            })?;
            if let Some(&id) = wanted.get(&(advert.source.as_str(), advert.external_id.as_str()))
                && (advert.risk_band != RiskBand::Low
                    || advert
                        .locations
                        .iter()
                        .any(|l| concern_locations.contains(l)))
            {
                concerned.insert(id);
            }
            Ok(())
        })
        .await
        .map_err(|e| match bad.take() {
            Some(m) => RetentionError::Corrupt(m),
            None => RetentionError::Store(e),
        })?;
    Ok(concerned)
}

/// `now` less `days`.
fn days_before(now: Timestamp, days: u32) -> Timestamp {
    now.plus_seconds(-i64::from(days) * 86_400)
        .unwrap_or_else(|_| unreachable!("rules refuse ages over a century"))
}

/// Whether a record may be queued for review now: not kept by a decision still in force.
fn reviewable(
    kept: &HashMap<(RetainedKind, i64), Timestamp>,
    key: (RetainedKind, i64),
    now: Timestamp,
) -> bool {
    kept.get(&key).is_none_or(|until| *until <= now)
}

/// The erasure of a listing's text: its stored evidence without the template, its search
/// document rebuilt from that.
fn listing_erasure(listing_id: i64, blob: &[u8]) -> Result<Erasure, RetentionError> {
    let mut evidence = crate::analyse::decode(blob).map_err(|reason| {
        RetentionError::Corrupt(format!(
            "the stored evidence of listing {listing_id} is unreadable: {reason}"
        ))
    })?;
    evidence.template = None;
    Ok(Erasure::ListingText {
        listing_id,
        search: evidence.search_document(),
        evidence: crate::analyse::encode(&evidence),
    })
}

/// The audit event of an erasure under `rule`.
fn erase_event(actor: &Actor, erasure: &Erasure, rule: &str) -> AuditEvent {
    let (kind, id) = match erasure {
        Erasure::ListingText { listing_id, .. } => (RetainedKind::ListingText, *listing_id),
        Erasure::VisitSummary { visit_id } => (RetainedKind::VisitSummary, *visit_id),
    };
    let mut event =
        crate::audit::by_operator(Operation::Erase, actor).about(kind.as_str(), &id.to_string());
    event.purpose = Some(format!("retention:{rule}"));
    event
}

/// The analysis after listings' text was erased: it remakes their clusters (whose records carry
/// a template) from the evidence kept.
async fn reanalyse(store: &Store, actor: &Actor) -> Result<AnalyseSummary, AnalyseError> {
    crate::analyse::analyse(
        store,
        AnalyseOptions {
            actor: Some(actor.clone()),
            ..AnalyseOptions::default()
        },
        &Quiet,
    )
    .await
}

/// Applies `rules` to the store now (or, `dry_run`, reports what they would do).
pub async fn run(
    store: &Store,
    rules: &Rules,
    actor: &Actor,
    dry_run: bool,
) -> Result<RetentionReport, RetentionError> {
    let now = Timestamp::now();
    let mut counts: HashMap<&str, u64> = HashMap::new();
    let kept: HashMap<(RetainedKind, i64), Timestamp> = store
        .reviews()
        .await?
        .into_iter()
        .filter_map(|r| r.keep_until.map(|until| ((r.kind, r.record_id), until)))
        .fold(HashMap::new(), |mut m, (k, until)| {
            let e = m.entry(k).or_insert(until);
            *e = (*e).max(until);
            m
        });
    let concern_locations: HashSet<String> = store
        .visit_outcomes()
        .await?
        .into_iter()
        .filter(|(_, outcome)| !NO_CONCERN_OUTCOMES.contains(&outcome.as_str()))
        .map(|(location, _)| location)
        .collect();
    let mut erase_listings: Vec<(i64, &str)> = Vec::new();
    let mut erasures: Vec<(Erasure, AuditEvent)> = Vec::new();
    let mut reviews: Vec<NewReview> = Vec::new();
    let mut decide = |kind: RetainedKind, id: i64, seen: Timestamp, when: When| {
        let rule = rules.rule(kind, when);
        if seen >= days_before(now, rule.after_days) {
            return None;
        }
        match rule.action {
            Action::Erase => {
                *counts.entry(rule.name.as_str()).or_default() += 1;
                Some(rule.name.as_str())
            }
            Action::Review => {
                if reviewable(&kept, (kind, id), now) {
                    *counts.entry(rule.name.as_str()).or_default() += 1;
                    reviews.push(NewReview {
                        kind,
                        record_id: id,
                        rule: rule.name.clone(),
                    });
                }
                None
            }
        }
    };

    // Listings: every capture aged and analysed.
    let analysed_through = store
        .last_analysis()
        .await?
        .map_or(0, |l| l.through_capture_id);
    let cutoff = days_before(now, rules.earliest(RetainedKind::ListingText));
    let aged = store.aged_listings(cutoff, analysed_through).await?;
    let concerned = if aged.is_empty() {
        HashSet::new()
    } else {
        concerned_listings(store, &aged, &concern_locations).await?
    };
    for a in &aged {
        let when = if concerned.contains(&a.listing_id) {
            When::Concern
        } else {
            When::NoConcern
        };
        if let Some(rule) = decide(
            RetainedKind::ListingText,
            a.listing_id,
            a.last_captured,
            when,
        ) {
            erase_listings.push((a.listing_id, rule));
        }
    }

    // Visits.
    let cutoff = days_before(now, rules.earliest(RetainedKind::VisitSummary));
    let visits: Vec<AgedVisit> = store.aged_visits(cutoff).await?;
    for v in &visits {
        let when = if visit_concern(&v.outcome, &v.referrals) {
            When::Concern
        } else {
            When::NoConcern
        };
        if let Some(rule) = decide(RetainedKind::VisitSummary, v.id, v.visited_at, when) {
            let erasure = Erasure::VisitSummary { visit_id: v.id };
            let event = erase_event(actor, &erasure, rule);
            erasures.push((erasure, event));
        }
    }

    let mut report = RetentionReport {
        dry_run,
        by_rule: rules
            .all()
            .iter()
            .map(|r| RuleCount {
                rule: r.name.clone(),
                action: match r.action {
                    Action::Erase => "erase",
                    Action::Review => "review",
                },
                records: counts.get(r.name.as_str()).copied().unwrap_or(0),
            })
            .collect(),
        listings_erased: erase_listings.len() as u64,
        visits_erased: erasures.len() as u64,
        reviews_queued: reviews.len() as u64,
        analysis: None,
    };
    if dry_run {
        return Ok(report);
    }

    // Listings' erasures need their evidence, read and rewritten a chunk at a time.
    for chunk in erase_listings.chunks(ERASURES_PER_TRANSACTION) {
        let ids: Vec<i64> = chunk.iter().map(|(id, _)| *id).collect();
        let blobs = crate::analyse::read_evidence(store, &ids).await?;
        let mut part = Vec::with_capacity(chunk.len());
        for (id, rule) in chunk {
            let blob = blobs.get(id).ok_or_else(|| {
                RetentionError::Corrupt(format!(
                    "listing {id} has no stored evidence; run `lantern analyse --full` before \
                     erasing its text"
                ))
            })?;
            let erasure = listing_erasure(*id, blob)?;
            let event = erase_event(actor, &erasure, rule);
            part.push((erasure, event));
        }
        store.apply_retention(now, &part, &[]).await?;
    }
    for chunk in erasures.chunks(ERASURES_PER_TRANSACTION) {
        store.apply_retention(now, chunk, &[]).await?;
    }
    report.reviews_queued = store.apply_retention(now, &[], &reviews).await?;
    if !erase_listings.is_empty() {
        report.analysis = Some(reanalyse(store, actor).await?);
    }
    store.checkpoint().await?;
    Ok(report)
}

/// The open reviews, oldest first.
pub async fn open_reviews(store: &Store) -> Result<Vec<ReviewRow>, StoreError> {
    Ok(store
        .reviews()
        .await?
        .into_iter()
        .filter(|r| r.decision.is_none())
        .collect())
}

/// A reviewer's decision on an open review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Keep the record until a date (then it is queued again).
    Keep {
        /// Not queued again before this.
        until: Timestamp,
    },
    /// Erase it now.
    Erase,
}

/// Records `decision` on review `id` with `rationale`; an erasure is carried out and logged in
/// the same transaction, a keep is logged as an alteration of the review.
pub async fn decide(
    store: &Store,
    id: i64,
    decision: Decision,
    rationale: &str,
    actor: &Actor,
) -> Result<(), RetentionError> {
    let rationale = rationale.trim();
    if rationale.is_empty() {
        return Err(RetentionError::Refused(
            "a decision needs a rationale (--rationale)".into(),
        ));
    }
    let now = Timestamp::now();
    let review = open_reviews(store)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| RetentionError::Refused(format!("review {id} is not open")))?;
    let (erasure, event, keep_until, word) = match decision {
        Decision::Keep { until } => {
            if until <= now {
                return Err(RetentionError::Refused(
                    "a record is kept until a later date (--until)".into(),
                ));
            }
            let mut event = crate::audit::by_operator(Operation::Alter, actor)
                .about("retention_review", &id.to_string());
            event.detail = Some(format!(
                "kept {} {} until {}",
                review.kind.as_str(),
                review.record_id,
                until.date()
            ));
            (None, event, Some(until), "keep")
        }
        Decision::Erase => {
            let erasure = match review.kind {
                RetainedKind::VisitSummary => Erasure::VisitSummary {
                    visit_id: review.record_id,
                },
                RetainedKind::ListingText => {
                    let blob = crate::analyse::read_evidence(store, &[review.record_id])
                        .await?
                        .remove(&review.record_id)
                        .ok_or_else(|| {
                            RetentionError::Corrupt(format!(
                                "listing {} has no stored evidence",
                                review.record_id
                            ))
                        })?;
                    listing_erasure(review.record_id, &blob)?
                }
            };
            let event = erase_event(actor, &erasure, &review.rule);
            (Some(erasure), event, None, "erase")
        }
    };
    let decided = store
        .decide_review(
            now,
            &ReviewDecision {
                id,
                decision: word,
                by: actor.as_str().to_owned(),
                rationale: rationale.to_owned(),
                keep_until,
            },
            erasure.as_ref(),
            &event,
        )
        .await?;
    if !decided {
        return Err(RetentionError::Refused(format!(
            "review {id} was decided meanwhile"
        )));
    }
    if erasure.is_some() {
        if review.kind == RetainedKind::ListingText {
            reanalyse(store, actor).await?;
        }
        store.checkpoint().await?;
    }
    Ok(())
}
