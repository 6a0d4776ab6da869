//! Storage of safeguarding visits (`visits` table), both backends from one macro. Recording a
//! visit also updates the visited location's stored record in the same transaction, so the
//! export and the plan see it at once; the next analysis applies the same visits again.

use lantern_core::Timestamp;

use crate::analysis::RecordKind;
use crate::error::Result;

/// A visit to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVisit {
    /// The location visited (an analysis location id).
    pub location_id: String,
    /// When.
    pub visited_at: Timestamp,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: String,
    /// The team, if named.
    pub team: Option<String>,
    /// `safeguarding`, `enforcement` or `joint`.
    pub purpose: String,
    /// Outcome code (domain-uk.md §8.2).
    pub outcome: String,
    /// Catalogue codes observed.
    pub indicators: Vec<String>,
    /// Referrals made.
    pub referrals: Vec<String>,
    /// What happens next.
    pub follow_up: Option<String>,
    /// By when (YYYY-MM-DD).
    pub follow_up_due: Option<String>,
    /// Whether the person consented to their details being recorded.
    pub consent_recorded: bool,
    /// Personal names: only with consent, a child or immediate risk.
    pub names: Option<String>,
    /// Free notes.
    pub notes: Option<String>,
    /// The premises are no longer in use.
    pub closes_location: bool,
    /// The organisation of the person who recorded it (none for the command line).
    pub org_id: Option<i64>,
}

/// A stored visit.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitRow {
    /// Visit id.
    pub id: i64,
    /// What was recorded.
    pub visit: NewVisit,
}

/// A location's visits in short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationVisits {
    /// Location id.
    pub location_id: String,
    /// Visits recorded.
    pub visits: u64,
    /// The latest visit closed the location.
    pub closed: bool,
}

/// The visits' storage, and the single-record reads the pages need.
#[allow(async_fn_in_trait)]
pub trait VisitStore {
    /// The stored export record of a location, if the analysis has it.
    async fn location_record(&self, location_id: &str) -> Result<Option<String>>;
    /// Records a visit and, when given, the location's updated record (JSON and digest), with
    /// its audit event, in one transaction; returns the visit id.
    async fn record_visit(
        &self,
        visit: &NewVisit,
        location: Option<(String, i64)>,
        audit: &crate::audit::AuditEvent,
    ) -> Result<i64>;
    /// Every visited location with its visit count and whether its latest visit closed it.
    async fn visit_summaries(&self) -> Result<Vec<LocationVisits>>;
    /// A location's visits, oldest first.
    async fn visits_of(&self, location_id: &str) -> Result<Vec<VisitRow>>;
    /// Every visit's location and outcome code, by location then time.
    async fn visit_outcomes(&self) -> Result<Vec<(String, String)>>;
    /// The records of `kinds` that name `cluster` (the cluster's own, its adverts, its leads),
    /// each with its kind, in export order; found through an index, not a scan.
    async fn cluster_records(
        &self,
        cluster: &str,
        kinds: &[RecordKind],
    ) -> Result<Vec<(RecordKind, String)>>;
    /// Listings whose search document holds every term, best first, at most `limit`: their
    /// stored advert records (one statement, not one per hit).
    async fn search_listings(&self, terms: &[String], limit: i64) -> Result<Vec<String>>;
    /// A version of the stored records: `(last analysis run, last visit)`; it changes whenever
    /// an analysis is saved or a visit recorded (the only writers of location records).
    async fn records_version(&self) -> Result<(i64, i64)>;
    /// The stored location records with this status (`new`, `known`...), in id order.
    async fn locations_with_status(&self, status: &str) -> Result<Vec<String>>;
}

/// [`VisitStore::search_listings`], first step on SQLite: the matching listing ids, best first
/// (FTS5; `$1` is an FTS5 query of quoted terms). The records are read in a second step: joined in
/// one statement, SQLite's planner scanned the records and probed the index per row (seconds per
/// query at 1M listings against a millisecond).
pub(crate) const SEARCH_SQLITE: &str = "SELECT rowid FROM listing_search \
     WHERE listing_search MATCH $1 ORDER BY rank, rowid LIMIT $2";
/// [`VisitStore::search_listings`], first step on PostgreSQL (`$1`: plain text).
pub(crate) const SEARCH_POSTGRES: &str = "SELECT listing_id FROM listing_search \
     WHERE terms @@ plainto_tsquery('simple', $1) \
     ORDER BY ts_rank(terms, plainto_tsquery('simple', $1)) DESC, listing_id LIMIT $2";
/// The second step: the advert records of listings by id (the ids are bound, one each). `CROSS
/// JOIN` fixes SQLite's join order (listings by id first); PostgreSQL plans it freely.
pub(crate) const ADVERTS_OF_LISTINGS: &str = "SELECT l.id, r.record FROM listings l \
     CROSS JOIN analysis_records r WHERE r.kind = 'advert' AND r.sort_a = l.source \
     AND r.sort_b = l.external_id AND l.id IN (";
/// [`VisitStore::locations_with_status`] on SQLite (`INDEXED BY`: see `CLUSTER_RECORDS_SQLITE`).
pub(crate) const LOCATIONS_WITH_STATUS_SQLITE: &str = "SELECT record FROM analysis_records \
     INDEXED BY analysis_records_by_status WHERE kind = 'location' AND status = $1 \
     ORDER BY sort_a";
/// [`VisitStore::locations_with_status`] on PostgreSQL (index `analysis_records_by_status`).
pub(crate) const LOCATIONS_WITH_STATUS_POSTGRES: &str = "SELECT record FROM analysis_records \
     WHERE kind = 'location' AND status = $1 ORDER BY sort_a";
pub(crate) const RECORDS_VERSION: &str = "SELECT \
     (SELECT COALESCE(MAX(id), 0) FROM analysis_runs), (SELECT COALESCE(MAX(id), 0) FROM visits)";

/// An FTS5 query matching every term as a phrase (quotes doubled: the user's text is data).
pub(crate) fn fts5_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Plain text for PostgreSQL's `plainto_tsquery`.
pub(crate) fn plain_query(terms: &[String]) -> String {
    terms.join(" ")
}

/// [`VisitStore::cluster_records`] on SQLite (uses the index `analysis_records_by_cluster`).
/// `INDEXED BY`: without statistics SQLite's planner prefers the primary key's `kind` prefix,
/// a scan of every record of the kind (measured: 0.9 s at 1M listings against 1 ms).
pub(crate) const CLUSTER_RECORDS_SQLITE: &str = "SELECT kind, record FROM analysis_records \
     INDEXED BY analysis_records_by_cluster WHERE kind = $1 AND cluster = $2 \
     ORDER BY sort_a, sort_b";
/// [`VisitStore::cluster_records`] on PostgreSQL (uses the index `analysis_records_by_cluster`).
pub(crate) const CLUSTER_RECORDS_POSTGRES: &str = "SELECT kind, record FROM analysis_records \
     WHERE kind = $1 AND cluster = $2 ORDER BY sort_a, sort_b";

pub(crate) const LOCATION_RECORD: &str =
    "SELECT record FROM analysis_records WHERE kind = 'location' AND sort_a = $1 AND sort_b = ''";
pub(crate) const INSERT_VISIT: &str = "INSERT INTO visits (location_id, visited_at, recorded_at, \
     recorded_by, team, purpose, outcome, indicators, referrals, follow_up, follow_up_due, \
     consent_recorded, names, notes, closes_location, org_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id";
pub(crate) const PATCH_LOCATION: &str = "UPDATE analysis_records SET record = $1, digest = $2, \
     cluster = $3, status = $4 WHERE kind = 'location' AND sort_a = $5 AND sort_b = ''";
pub(crate) const VISIT_ORDER: &str = "SELECT location_id, closes_location FROM visits \
     ORDER BY location_id, visited_at, id";
pub(crate) const VISIT_OUTCOMES: &str =
    "SELECT location_id, outcome FROM visits ORDER BY location_id, visited_at, id";
pub(crate) const VISITS_OF: &str = "SELECT id, location_id, visited_at, recorded_at, recorded_by, \
     team, purpose, outcome, indicators, referrals, follow_up, follow_up_due, consent_recorded, \
     names, notes, closes_location, org_id FROM visits WHERE location_id = $1 \
     ORDER BY visited_at, id";

/// Folds visit rows (ordered by location, then time) into summaries.
pub(crate) fn summarise(rows: impl IntoIterator<Item = (String, bool)>) -> Vec<LocationVisits> {
    let mut out: Vec<LocationVisits> = Vec::new();
    for (location_id, closes) in rows {
        match out.last_mut() {
            Some(last) if last.location_id == location_id => {
                last.visits += 1;
                last.closed = closes;
            }
            _ => out.push(LocationVisits {
                location_id,
                visits: 1,
                closed: closes,
            }),
        }
    }
    out
}

/// Implements [`VisitStore`] for a backend (`$ts_in`/`$ts_out`: its timestamp conversions).
macro_rules! visit_store_impl {
    ($store:ty, $ts_in:expr, $ts_out:expr, $cluster_records:expr, $search:expr, $search_query:expr, $by_status:expr) => {
        impl $crate::visits::VisitStore for $store {
            async fn records_version(&self) -> Result<(i64, i64)> {
                let row = sqlx::query($crate::visits::RECORDS_VERSION)
                    .fetch_one(&self.pool)
                    .await
                    .context("reading the records' version")?;
                Ok((row.get(0), row.get(1)))
            }

            async fn locations_with_status(&self, status: &str) -> Result<Vec<String>> {
                let rows = sqlx::query($by_status)
                    .bind(status)
                    .fetch_all(&self.pool)
                    .await
                    .context("reading locations by status")?;
                Ok(rows.iter().map(|r| r.get(0)).collect())
            }

            async fn search_listings(&self, terms: &[String], limit: i64) -> Result<Vec<String>> {
                if terms.is_empty() {
                    return Ok(Vec::new());
                }
                let ids: Vec<i64> = sqlx::query($search)
                    .bind($search_query(terms))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await
                    .context("searching listings")?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut q = sqlx::QueryBuilder::new($crate::visits::ADVERTS_OF_LISTINGS);
                let mut list = q.separated(", ");
                for id in &ids {
                    list.push_bind(*id);
                }
                q.push(")");
                let rows = q
                    .build()
                    .fetch_all(&self.pool)
                    .await
                    .context("reading the adverts found")?;
                let mut by_id: std::collections::HashMap<i64, String> =
                    rows.iter().map(|r| (r.get(0), r.get(1))).collect();
                Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
            }

            async fn cluster_records(
                &self,
                cluster: &str,
                kinds: &[$crate::analysis::RecordKind],
            ) -> Result<Vec<($crate::analysis::RecordKind, String)>> {
                let mut out = Vec::new();
                for &kind in kinds {
                    let rows = sqlx::query($cluster_records)
                        .bind(kind.as_str())
                        .bind(cluster)
                        .fetch_all(&self.pool)
                        .await
                        .context("reading a cluster's records")?;
                    out.extend(rows.iter().map(|r| (kind, r.get::<String, _>(1))));
                }
                Ok(out)
            }

            async fn location_record(&self, location_id: &str) -> Result<Option<String>> {
                let row = sqlx::query($crate::visits::LOCATION_RECORD)
                    .bind(location_id)
                    .fetch_optional(&self.pool)
                    .await
                    .context("reading a location")?;
                Ok(row.map(|r| r.get(0)))
            }

            async fn record_visit(
                &self,
                visit: &$crate::visits::NewVisit,
                location: Option<(String, i64)>,
                audit: &$crate::audit::AuditEvent,
            ) -> Result<i64> {
                let json = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .context("starting to record a visit")?;
                let row = sqlx::query($crate::visits::INSERT_VISIT)
                    .bind(&visit.location_id)
                    .bind($ts_in(visit.visited_at))
                    .bind($ts_in(visit.recorded_at))
                    .bind(&visit.recorded_by)
                    .bind(&visit.team)
                    .bind(&visit.purpose)
                    .bind(&visit.outcome)
                    .bind(json(&visit.indicators))
                    .bind(json(&visit.referrals))
                    .bind(&visit.follow_up)
                    .bind(&visit.follow_up_due)
                    .bind(visit.consent_recorded)
                    .bind(&visit.names)
                    .bind(&visit.notes)
                    .bind(visit.closes_location)
                    .bind(visit.org_id)
                    .fetch_one(&mut *tx)
                    .await
                    .context("recording a visit")?;
                if let Some((record, digest)) = location {
                    let lookups = $crate::analysis::RecordLookups::of(
                        &record,
                        format_args!("the record of location {:?}", visit.location_id),
                    )?;
                    sqlx::query($crate::visits::PATCH_LOCATION)
                        .bind(record)
                        .bind(digest)
                        .bind(lookups.cluster)
                        .bind(lookups.status)
                        .bind(&visit.location_id)
                        .execute(&mut *tx)
                        .await
                        .context("updating the visited location")?;
                }
                $crate::audit::append_audit!(tx, audit, $ts_in);
                tx.commit().await.context("committing the visit")?;
                Ok(row.get(0))
            }

            async fn visit_summaries(&self) -> Result<Vec<$crate::visits::LocationVisits>> {
                let rows = sqlx::query($crate::visits::VISIT_ORDER)
                    .fetch_all(&self.pool)
                    .await
                    .context("reading visits")?;
                Ok($crate::visits::summarise(
                    rows.iter()
                        .map(|r| (r.get::<String, _>(0), r.get::<bool, _>(1))),
                ))
            }

            async fn visit_outcomes(&self) -> Result<Vec<(String, String)>> {
                let rows = sqlx::query($crate::visits::VISIT_OUTCOMES)
                    .fetch_all(&self.pool)
                    .await
                    .context("reading visit outcomes")?;
                Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
            }

            async fn visits_of(&self, location_id: &str) -> Result<Vec<$crate::visits::VisitRow>> {
                let rows = sqlx::query($crate::visits::VISITS_OF)
                    .bind(location_id)
                    .fetch_all(&self.pool)
                    .await
                    .context("reading a location's visits")?;
                let list = |text: String| -> Result<Vec<String>> {
                    serde_json::from_str(&text)
                        .map_err(|e| StoreError::Corrupt(format!("visit list {text:?}: {e}")))
                };
                rows.into_iter()
                    .map(|r| {
                        Ok($crate::visits::VisitRow {
                            id: r.get(0),
                            visit: $crate::visits::NewVisit {
                                location_id: r.get(1),
                                visited_at: $ts_out(r.get(2))?,
                                recorded_at: $ts_out(r.get(3))?,
                                recorded_by: r.get(4),
                                team: r.get(5),
                                purpose: r.get(6),
                                outcome: r.get(7),
                                indicators: list(r.get(8))?,
                                referrals: list(r.get(9))?,
                                follow_up: r.get(10),
                                follow_up_due: r.get(11),
                                consent_recorded: r.get(12),
                                names: r.get(13),
                                notes: r.get(14),
                                closes_location: r.get(15),
                                org_id: r.get(16),
                            },
                        })
                    })
                    .collect()
            }
        }
    };
}
pub(crate) use visit_store_impl;
