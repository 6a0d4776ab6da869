//! Retention in the store: what has aged (listings whose every capture was last seen before a
//! cutoff, visits recorded before one), erasures (a listing's capture text, a visit's summary),
//! each written with its audit event in one transaction, and the review queue of records whose
//! rule asks a person to decide. Which rule applies to what, and when, is the application's
//! (`lantern_app::retention`); the store only reads and writes.

use lantern_core::Timestamp;

use crate::audit::AuditEvent;
use crate::error::Result;

/// A listing whose captures have all aged: none was captured at or after the cutoff, and some
/// still hold their text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgedListing {
    /// Listing id.
    pub listing_id: i64,
    /// Site.
    pub source: String,
    /// Id on the site.
    pub external_id: String,
    /// When any of its captures was last captured.
    pub last_captured: Timestamp,
}

/// A visit recorded before the cutoff whose summary is not erased yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgedVisit {
    /// Visit id.
    pub id: i64,
    /// The location visited.
    pub location_id: String,
    /// When the visit took place.
    pub visited_at: Timestamp,
    /// Outcome code.
    pub outcome: String,
    /// Referrals made (JSON list).
    pub referrals: String,
}

/// What kind of record a retention rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RetainedKind {
    /// A listing's capture text (its raw captures and the template derived from them).
    ListingText,
    /// A visit's summary (names, notes, indicators, follow-up, team).
    VisitSummary,
}

impl RetainedKind {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ListingText => "listing_text",
            Self::VisitSummary => "visit_summary",
        }
    }

    /// The kind a stored name names.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "listing_text" => Some(Self::ListingText),
            "visit_summary" => Some(Self::VisitSummary),
            _ => None,
        }
    }
}

/// One erasure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Erasure {
    /// A listing's capture text: its captures' bodies are emptied; its evidence, kept, loses its
    /// template (`evidence`, compressed) and its search document is rebuilt from what is kept
    /// (`search`); the evidence is also kept as the base a full analysis starts from; the
    /// listing is marked for the next analysis to remake its cluster.
    ListingText {
        /// Listing id.
        listing_id: i64,
        /// Its evidence without text.
        evidence: Vec<u8>,
        /// Its search document without text.
        search: String,
    },
    /// A visit's summary: names, notes, indicators, follow-up and team cleared; the location,
    /// time, outcome and whether it closed the location stay.
    VisitSummary {
        /// Visit id.
        visit_id: i64,
    },
}

/// A review in the queue, open or decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRow {
    /// Review id.
    pub id: i64,
    /// What it is about.
    pub kind: RetainedKind,
    /// The listing or visit id.
    pub record_id: i64,
    /// The rule that asked for it.
    pub rule: String,
    /// When it was queued.
    pub queued_at: Timestamp,
    /// `keep` or `erase` once decided.
    pub decision: Option<String>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<Timestamp>,
    /// Why (the reviewer's words).
    pub rationale: Option<String>,
    /// A kept record is not queued again before this.
    pub keep_until: Option<Timestamp>,
}

/// A record to queue for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReview {
    /// What it is about.
    pub kind: RetainedKind,
    /// The listing or visit id.
    pub record_id: i64,
    /// The rule that asks for it.
    pub rule: String,
}

/// A reviewer's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDecision {
    /// Review id.
    pub id: i64,
    /// `keep` or `erase`.
    pub decision: &'static str,
    /// Who decided.
    pub by: String,
    /// Why.
    pub rationale: String,
    /// For `keep`: not queued again before this.
    pub keep_until: Option<Timestamp>,
}

/// Retention's reads and writes.
#[allow(async_fn_in_trait)]
pub trait RetentionStore {
    /// Listings whose every capture was last captured before `cutoff`, all of them analysed
    /// (id at most `analysed_through`), that still hold capture text; by id.
    async fn aged_listings(
        &self,
        cutoff: Timestamp,
        analysed_through: i64,
    ) -> Result<Vec<AgedListing>>;
    /// Visits that took place before `cutoff` whose summary is not erased; by id.
    async fn aged_visits(&self, cutoff: Timestamp) -> Result<Vec<AgedVisit>>;
    /// Every review, open or decided, by id.
    async fn reviews(&self) -> Result<Vec<ReviewRow>>;
    /// Calls `f` with each listing's retained evidence (that of its erased captures).
    async fn retained_evidence(
        &self,
        f: &mut (dyn FnMut(i64, Vec<u8>) -> std::io::Result<()> + Send),
    ) -> Result<()>;
    /// Listings an erasure marked for the next analysis to remake.
    async fn listings_to_reanalyse(&self) -> Result<Vec<i64>>;
    /// Applies `erasures` (each with its audit event) and queues `reviews` (an open review of a
    /// record is not queued twice), in one transaction; returns how many reviews were queued.
    async fn apply_retention(
        &self,
        at: Timestamp,
        erasures: &[(Erasure, AuditEvent)],
        reviews: &[NewReview],
    ) -> Result<u64>;
    /// Records a decision on an open review, with the erasure it calls for and its audit event,
    /// in one transaction; false (and nothing written) when the review is not open.
    async fn decide_review(
        &self,
        at: Timestamp,
        decision: &ReviewDecision,
        erasure: Option<&Erasure>,
        audit: &AuditEvent,
    ) -> Result<bool>;
}

pub(crate) const AGED_LISTINGS: &str = "SELECT l.id, l.source, l.external_id, \
     max(c.last_captured_at) FROM listings l JOIN captures c ON c.listing_id = l.id \
     GROUP BY l.id, l.source, l.external_id \
     HAVING max(c.last_captured_at) < $1 AND max(c.id) <= $2 \
     AND sum(CASE WHEN c.erased_at IS NULL THEN 1 ELSE 0 END) > 0 \
     ORDER BY l.id";
pub(crate) const AGED_VISITS: &str = "SELECT id, location_id, visited_at, outcome, referrals \
     FROM visits WHERE visited_at < $1 AND erased_at IS NULL ORDER BY id";
pub(crate) const REVIEWS: &str = "SELECT id, record_kind, record_id, rule, queued_at, decision, \
     decided_by, decided_at, rationale, keep_until FROM retention_reviews ORDER BY id";
pub(crate) const RETAINED_EVIDENCE: &str =
    "SELECT listing_id, evidence FROM retained_evidence ORDER BY listing_id";
pub(crate) const TO_REANALYSE: &str =
    "SELECT listing_id FROM listings_to_reanalyse ORDER BY listing_id";
pub(crate) const ERASE_CAPTURES: &str = "UPDATE captures SET raw_zstd = $1, erased_at = $2 \
     WHERE listing_id = $3 AND erased_at IS NULL";
pub(crate) const KEEP_EVIDENCE: &str = "INSERT INTO retained_evidence (listing_id, evidence, \
     erased_at) VALUES ($1, $2, $3) ON CONFLICT (listing_id) DO UPDATE SET \
     evidence = excluded.evidence, erased_at = excluded.erased_at";
pub(crate) const STRIP_EVIDENCE: &str =
    "UPDATE listing_evidence SET evidence = $2 WHERE listing_id = $1";
pub(crate) const MARK_REANALYSE: &str = "INSERT INTO listings_to_reanalyse (listing_id) \
     VALUES ($1) ON CONFLICT (listing_id) DO NOTHING";
pub(crate) const ERASE_VISIT: &str = "UPDATE visits SET names = NULL, notes = NULL, \
     indicators = '[]', follow_up = NULL, follow_up_due = NULL, team = NULL, erased_at = $1 \
     WHERE id = $2 AND erased_at IS NULL";
pub(crate) const QUEUE_REVIEW: &str = "INSERT INTO retention_reviews (record_kind, record_id, \
     rule, queued_at) VALUES ($1, $2, $3, $4) ON CONFLICT (record_kind, record_id) \
     WHERE decision IS NULL DO NOTHING";
pub(crate) const DECIDE_REVIEW: &str = "UPDATE retention_reviews SET decision = $1, \
     decided_by = $2, decided_at = $3, rationale = $4, keep_until = $5 \
     WHERE id = $6 AND decision IS NULL";

/// Implements [`RetentionStore`] for a backend: `$ts_in`/`$ts_out` its timestamp conversions,
/// `$strip_search` its statement replacing one listing's search document (`$1` id, `$2` text).
macro_rules! retention_store_impl {
    ($store:ty, $db:ty, $ts_in:expr, $ts_out:expr, $strip_search:expr) => {
        /// Writes one erasure in `tx`.
        async fn write_erasure(
            tx: &mut sqlx::Transaction<'_, $db>,
            at: Timestamp,
            erasure: &$crate::retention::Erasure,
        ) -> Result<()> {
            use $crate::retention::Erasure;
            match erasure {
                Erasure::ListingText {
                    listing_id,
                    evidence,
                    search,
                } => {
                    sqlx::query($crate::retention::ERASE_CAPTURES)
                        .bind(Vec::<u8>::new())
                        .bind($ts_in(at))
                        .bind(*listing_id)
                        .execute(&mut **tx)
                        .await
                        .context("erasing capture text")?;
                    sqlx::query($crate::retention::KEEP_EVIDENCE)
                        .bind(*listing_id)
                        .bind(evidence.as_slice())
                        .bind($ts_in(at))
                        .execute(&mut **tx)
                        .await
                        .context("keeping an erased listing's evidence")?;
                    sqlx::query($crate::retention::STRIP_EVIDENCE)
                        .bind(*listing_id)
                        .bind(evidence.as_slice())
                        .execute(&mut **tx)
                        .await
                        .context("removing text from a listing's evidence")?;
                    sqlx::query($strip_search)
                        .bind(*listing_id)
                        .bind(search.as_str())
                        .execute(&mut **tx)
                        .await
                        .context("removing text from a listing's search document")?;
                    sqlx::query($crate::retention::MARK_REANALYSE)
                        .bind(*listing_id)
                        .execute(&mut **tx)
                        .await
                        .context("marking a listing for analysis")?;
                }
                Erasure::VisitSummary { visit_id } => {
                    sqlx::query($crate::retention::ERASE_VISIT)
                        .bind($ts_in(at))
                        .bind(*visit_id)
                        .execute(&mut **tx)
                        .await
                        .context("erasing a visit summary")?;
                }
            }
            Ok(())
        }

        impl $crate::retention::RetentionStore for $store {
            async fn aged_listings(
                &self,
                cutoff: Timestamp,
                analysed_through: i64,
            ) -> Result<Vec<$crate::retention::AgedListing>> {
                let rows = sqlx::query($crate::retention::AGED_LISTINGS)
                    .bind($ts_in(cutoff))
                    .bind(analysed_through)
                    .fetch_all(&self.pool)
                    .await
                    .context("reading aged listings")?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::retention::AgedListing {
                            listing_id: r.get(0),
                            source: r.get(1),
                            external_id: r.get(2),
                            last_captured: $ts_out(r.get(3))?,
                        })
                    })
                    .collect()
            }

            async fn aged_visits(
                &self,
                cutoff: Timestamp,
            ) -> Result<Vec<$crate::retention::AgedVisit>> {
                let rows = sqlx::query($crate::retention::AGED_VISITS)
                    .bind($ts_in(cutoff))
                    .fetch_all(&self.pool)
                    .await
                    .context("reading aged visits")?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::retention::AgedVisit {
                            id: r.get(0),
                            location_id: r.get(1),
                            visited_at: $ts_out(r.get(2))?,
                            outcome: r.get(3),
                            referrals: r.get(4),
                        })
                    })
                    .collect()
            }

            async fn reviews(&self) -> Result<Vec<$crate::retention::ReviewRow>> {
                let rows = sqlx::query($crate::retention::REVIEWS)
                    .fetch_all(&self.pool)
                    .await
                    .context("reading retention reviews")?;
                rows.iter()
                    .map(|r| {
                        let kind: String = r.get(1);
                        let when = |i: usize| -> Result<Option<Timestamp>> {
                            let value = r.get(i);
                            Ok(match value {
                                Some(v) => Some($ts_out(v)?),
                                None => None,
                            })
                        };
                        Ok($crate::retention::ReviewRow {
                            id: r.get(0),
                            kind: $crate::retention::RetainedKind::parse(&kind).ok_or_else(
                                || StoreError::Corrupt(format!("review of kind {kind:?}")),
                            )?,
                            record_id: r.get(2),
                            rule: r.get(3),
                            queued_at: $ts_out(r.get(4))?,
                            decision: r.get(5),
                            decided_by: r.get(6),
                            decided_at: when(7)?,
                            rationale: r.get(8),
                            keep_until: when(9)?,
                        })
                    })
                    .collect()
            }

            async fn retained_evidence(
                &self,
                f: &mut (dyn FnMut(i64, Vec<u8>) -> std::io::Result<()> + Send),
            ) -> Result<()> {
                let mut rows = sqlx::query($crate::retention::RETAINED_EVIDENCE).fetch(&self.pool);
                while let Some(r) = rows.try_next().await.context("reading retained evidence")? {
                    f(r.get(0), r.get(1)).map_err(StoreError::Callback)?;
                }
                Ok(())
            }

            async fn listings_to_reanalyse(&self) -> Result<Vec<i64>> {
                let rows = sqlx::query($crate::retention::TO_REANALYSE)
                    .fetch_all(&self.pool)
                    .await
                    .context("reading listings to analyse again")?;
                Ok(rows.iter().map(|r| r.get(0)).collect())
            }

            async fn apply_retention(
                &self,
                at: Timestamp,
                erasures: &[($crate::retention::Erasure, $crate::audit::AuditEvent)],
                reviews: &[$crate::retention::NewReview],
            ) -> Result<u64> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .context("starting a retention pass")?;
                for (erasure, audit) in erasures {
                    write_erasure(&mut tx, at, erasure).await?;
                    $crate::audit::append_audit!(tx, audit, $ts_in);
                }
                let mut queued = 0;
                for review in reviews {
                    queued += sqlx::query($crate::retention::QUEUE_REVIEW)
                        .bind(review.kind.as_str())
                        .bind(review.record_id)
                        .bind(review.rule.as_str())
                        .bind($ts_in(at))
                        .execute(&mut *tx)
                        .await
                        .context("queueing a retention review")?
                        .rows_affected();
                }
                tx.commit().await.context("committing a retention pass")?;
                Ok(queued)
            }

            async fn decide_review(
                &self,
                at: Timestamp,
                decision: &$crate::retention::ReviewDecision,
                erasure: Option<&$crate::retention::Erasure>,
                audit: &$crate::audit::AuditEvent,
            ) -> Result<bool> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .context("starting a review decision")?;
                let decided = sqlx::query($crate::retention::DECIDE_REVIEW)
                    .bind(decision.decision)
                    .bind(decision.by.as_str())
                    .bind($ts_in(at))
                    .bind(decision.rationale.as_str())
                    .bind(decision.keep_until.map($ts_in))
                    .bind(decision.id)
                    .execute(&mut *tx)
                    .await
                    .context("recording a review decision")?
                    .rows_affected();
                if decided == 0 {
                    return Ok(false);
                }
                if let Some(erasure) = erasure {
                    write_erasure(&mut tx, at, erasure).await?;
                }
                $crate::audit::append_audit!(tx, audit, $ts_in);
                tx.commit().await.context("committing a review decision")?;
                Ok(true)
            }
        }
    };
}
pub(crate) use retention_store_impl;
