//! What each person may read and change through the web application, checked here (not in the
//! web layer) so that any front end is held to the same rules: intelligence roles see every
//! location and cluster; partner roles see only locations shared with their organisation, with
//! the sanitised note they were shared with and nothing of the clusters behind them; visits are
//! seen by the organisation that recorded them; the OPCC sees counts with small numbers
//! suppressed. An object a person may not see is "not found".

use std::collections::{BTreeMap, HashMap};

use lantern_access::{Permission, Principal, Refused};
use lantern_core::Timestamp;
use lantern_core::export::{AdvertRecord, ClusterRecord, LocationRecord, LocationStatus, RiskBand};
use lantern_store::{
    AccountStore, AnalysisStore, AuditStore, LocationShare, Operation, RecordKind, Store,
    StoreError, VisitRow, VisitStore,
};

use crate::minimise::{Pseudonyms, Purpose};
use crate::plan::{PlanError, PlanRequest, VisitPlan};
use crate::visit::{VisitError, VisitRequest};

/// Why a read or change failed.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// Not allowed, or not there.
    #[error("{0}")]
    Refused(#[from] Refused),
    /// The input breaks a rule.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The store failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A stored record did not parse.
    #[error("a stored record is unreadable: {0}")]
    Corrupt(String),
}

impl From<VisitError> for ViewError {
    fn from(e: VisitError) -> Self {
        match e {
            VisitError::Invalid { field, reason } => Self::Invalid {
                field: field.trim_start_matches("--"),
                reason,
            },
            VisitError::Store(s) => Self::Store(s),
        }
    }
}

impl From<PlanError> for ViewError {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::Store(s) => Self::Store(s),
            PlanError::UnknownArea(a) => Self::Invalid {
                field: "area",
                reason: format!("{a:?} is not one of the seven boroughs"),
            },
            other => Self::Corrupt(other.to_string()),
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, ViewError> {
    serde_json::from_str(json).map_err(|e| ViewError::Corrupt(e.to_string()))
}

/// Which locations to list.
#[derive(Debug, Clone, Default)]
pub struct LocationFilter {
    /// Only `new` locations.
    pub new_only: bool,
    /// Only this borough (ONS code).
    pub borough: Option<String>,
    /// Only this band.
    pub band: Option<RiskBand>,
}

/// A location as a person may see it.
#[derive(Debug, Clone)]
pub struct LocationView {
    /// The record (for partners, as shared: no cluster id).
    pub record: LocationRecord,
    /// For partners, the note it was shared with.
    pub note: Option<String>,
}

/// The new locations, parsed once per state of the store: the list changes only when an
/// analysis is saved or a visit recorded, and both move [`VisitStore::records_version`]. Holds
/// intelligence; only the intelligence path of [`locations`] reads it.
#[derive(Debug, Default)]
pub struct NewLocations {
    held: std::sync::Mutex<Option<HeldLocations>>,
}

/// The store's version and the new locations read at it.
type HeldLocations = ((i64, i64), std::sync::Arc<Vec<LocationRecord>>);

impl NewLocations {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    async fn get(&self, store: &Store) -> Result<std::sync::Arc<Vec<LocationRecord>>, ViewError> {
        let version = store.records_version().await?;
        if let Ok(held) = self.held.lock()
            && let Some((v, list)) = held.as_ref()
            && *v == version
        {
            return Ok(list.clone());
        }
        let mut list = Vec::new();
        for json in store.locations_with_status("new").await? {
            list.push(parse::<LocationRecord>(&json)?);
        }
        let list = std::sync::Arc::new(list);
        if let Ok(mut held) = self.held.lock() {
            *held = Some((version, list.clone()));
        }
        Ok(list)
    }
}

/// Calls `f` with every stored location record; a record that does not parse ends the reading.
async fn each_location(
    store: &Store,
    mut f: impl FnMut(LocationRecord) + Send,
) -> Result<(), ViewError> {
    let mut bad = None;
    store
        .for_each_record(RecordKind::Location, &mut |json| {
            match serde_json::from_str::<LocationRecord>(json) {
                Ok(l) => f(l),
                Err(e) => bad = Some(e.to_string()),
            }
            Ok(())
        })
        .await?;
    bad.map_or(Ok(()), |e| Err(ViewError::Corrupt(e)))
}

/// The organisations a location is shared with, if the person may see it; not found otherwise.
async fn visible_shares(
    store: &Store,
    who: &Principal,
    id: &str,
) -> Result<Vec<LocationShare>, ViewError> {
    let shares = store.shares_of_location(id).await?;
    let shared_with: Vec<i64> = shares.iter().map(|s| s.org_id).collect();
    if who.may_see_location(&shared_with) {
        Ok(shares)
    } else {
        Err(Refused::NotFound.into())
    }
}

/// Whether the person may record a visit to this location: the permission, and a location that
/// exists and that they may see (the visit form asks before it is shown).
pub async fn may_record_visit(store: &Store, who: &Principal, id: &str) -> Result<(), ViewError> {
    who.require(Permission::RecordVisits)?;
    visible_shares(store, who, id).await?;
    match store.location_record(id).await? {
        Some(_) => Ok(()),
        None => Err(Refused::NotFound.into()),
    }
}

/// Locations shared with the person's organisation, by id with their notes.
async fn shared_notes(
    store: &Store,
    who: &Principal,
) -> Result<HashMap<String, String>, ViewError> {
    Ok(store
        .shares_with(who.org_id)
        .await?
        .into_iter()
        .map(|s| (s.location_id, s.note))
        .collect())
}

/// A partner's copy of a record: nothing that leads back to the intelligence behind it.
fn sanitised(mut record: LocationRecord) -> LocationRecord {
    record.cluster = None;
    record
}

fn keep(filter: &LocationFilter, l: &LocationRecord) -> bool {
    (!filter.new_only || l.status == LocationStatus::New)
        && filter
            .borough
            .as_deref()
            .is_none_or(|b| l.local_authority.as_deref() == Some(b))
        && filter.band.is_none_or(|b| l.risk_band == b)
}

/// The locations a person may see that pass `filter`, most concerning first.
pub async fn locations(
    store: &Store,
    who: &Principal,
    filter: &LocationFilter,
    cache: &NewLocations,
) -> Result<Vec<LocationView>, ViewError> {
    let mut out = Vec::new();
    if who.can(Permission::ViewIntelligence) && filter.new_only {
        for l in cache.get(store).await?.iter().filter(|l| keep(filter, l)) {
            out.push(LocationView {
                record: l.clone(),
                note: None,
            });
        }
    } else if who.can(Permission::ViewIntelligence) {
        each_location(store, |l| {
            if keep(filter, &l) {
                out.push(LocationView {
                    record: l,
                    note: None,
                });
            }
        })
        .await?;
    } else if who.can(Permission::ViewSharedLeads) {
        for (id, note) in shared_notes(store, who).await? {
            if let Some(json) = store.location_record(&id).await? {
                let l: LocationRecord = parse(&json)?;
                if keep(filter, &l) {
                    out.push(LocationView {
                        record: sanitised(l),
                        note: Some(note),
                    });
                }
            }
        }
    } else {
        return Err(Refused::Forbidden.into());
    }
    out.sort_by(|a, b| {
        b.record
            .risk
            .total_cmp(&a.record.risk)
            .then_with(|| a.record.location.cmp(&b.record.location))
    });
    Ok(out)
}

/// Everything on a location's page.
#[derive(Debug, Clone)]
pub struct LocationPage {
    /// The location.
    pub location: LocationView,
    /// Clusters advertising here (intelligence roles only).
    pub clusters: Vec<ClusterRecord>,
    /// The listings that name it, oldest first (intelligence roles only).
    pub listings: Vec<AdvertRecord>,
    /// The organisations it is shared with (intelligence roles only).
    pub shares: Vec<LocationShare>,
    /// The person's own organisation's visits.
    pub visits: Vec<VisitRow>,
}

/// One location, if the person may see it.
/// Listings' phones and e-mails show as their pseudonyms (the cluster page can reveal them).
pub async fn location(
    store: &Store,
    who: &Principal,
    id: &str,
    pseudonyms: &Pseudonyms,
) -> Result<LocationPage, ViewError> {
    let record: LocationRecord = match store.location_record(id).await? {
        Some(json) => parse(&json)?,
        None => return Err(Refused::NotFound.into()),
    };
    if !who.can(Permission::ViewIntelligence) && !who.can(Permission::ViewSharedLeads) {
        return Err(Refused::Forbidden.into());
    }
    let shares = visible_shares(store, who, id).await?;
    let visits: Vec<VisitRow> = store
        .visits_of(id)
        .await?
        .into_iter()
        .filter(|v| who.may_see_visit(v.visit.org_id))
        .collect();
    if who.can(Permission::ViewIntelligence) {
        let clusters = clusters_at(store, &record).await?;
        let mut listings = Vec::new();
        for c in &clusters {
            let (_, adverts, _) = cluster_records(store, &c.cluster, &[RecordKind::Advert]).await?;
            listings.extend(
                adverts
                    .into_iter()
                    .filter(|a| a.locations.contains(&record.location)),
            );
        }
        listings.sort_by_key(|a| a.first_seen);
        let mut clusters = clusters;
        for c in &mut clusters {
            pseudonyms.phones(&mut c.phones);
        }
        for a in &mut listings {
            pseudonymise_advert(pseudonyms, a);
        }
        Ok(LocationPage {
            location: LocationView { record, note: None },
            clusters,
            listings,
            shares,
            visits,
        })
    } else {
        let note = shares
            .into_iter()
            .find(|s| s.org_id == who.org_id)
            .map(|s| s.note);
        Ok(LocationPage {
            location: LocationView {
                record: sanitised(record),
                note,
            },
            clusters: Vec::new(),
            listings: Vec::new(),
            shares: Vec::new(),
            visits,
        })
    }
}

/// The clusters that advertise a location: a lead's own cluster; for premises, every cluster
/// naming it (a scan of the cluster records: premises are few).
async fn clusters_at(store: &Store, l: &LocationRecord) -> Result<Vec<ClusterRecord>, ViewError> {
    if let Some(c) = &l.cluster {
        return Ok(cluster_records(store, c, &[RecordKind::Cluster])
            .await?
            .0
            .into_iter()
            .collect());
    }
    let mut out = Vec::new();
    store
        .for_each_record(RecordKind::Cluster, &mut |json| {
            if json.contains(&l.location)
                && let Ok(c) = serde_json::from_str::<ClusterRecord>(json)
                && c.locations.contains(&l.location)
            {
                out.push(c);
            }
            Ok(())
        })
        .await?;
    Ok(out)
}

async fn cluster_records(
    store: &Store,
    id: &str,
    kinds: &[RecordKind],
) -> Result<
    (
        Option<ClusterRecord>,
        Vec<AdvertRecord>,
        Vec<LocationRecord>,
    ),
    ViewError,
> {
    let mut cluster = None;
    let mut adverts = Vec::new();
    let mut leads = Vec::new();
    for (kind, json) in store.cluster_records(id, kinds).await? {
        match kind {
            RecordKind::Cluster => cluster = Some(parse(&json)?),
            RecordKind::Advert => adverts.push(parse(&json)?),
            RecordKind::Location => leads.push(parse(&json)?),
        }
    }
    Ok((cluster, adverts, leads))
}

/// Everything on a cluster's page.
#[derive(Debug, Clone)]
pub struct ClusterPage {
    /// The cluster.
    pub cluster: ClusterRecord,
    /// Its listings.
    pub adverts: Vec<AdvertRecord>,
    /// Its locations (leads it named and premises it advertised).
    pub locations: Vec<LocationRecord>,
}

/// One cluster (intelligence roles only), its phones and e-mails as pseudonyms unless `reveal`
/// gives a purpose: that needs [`Permission::RevealIdentifiers`] and is logged as a consultation
/// of the cluster's identifiers with that purpose.
pub async fn cluster(
    store: &Store,
    who: &Principal,
    id: &str,
    pseudonyms: &Pseudonyms,
    reveal: Option<Purpose>,
) -> Result<ClusterPage, ViewError> {
    who.require(Permission::ViewIntelligence)?;
    if reveal.is_some() {
        who.require(Permission::RevealIdentifiers)?;
    }
    let (cluster, adverts, mut locations) = cluster_records(
        store,
        id,
        &[
            RecordKind::Cluster,
            RecordKind::Advert,
            RecordKind::Location,
        ],
    )
    .await?;
    let cluster = cluster.ok_or(Refused::NotFound)?;
    for l in &cluster.locations {
        if !locations.iter().any(|x| &x.location == l)
            && let Some(json) = store.location_record(l).await?
        {
            locations.push(parse(&json)?);
        }
    }
    let mut page = ClusterPage {
        cluster,
        adverts,
        locations,
    };
    match reveal {
        Some(purpose) => {
            let mut event = crate::audit::by_person(Operation::Consult, who)
                .about("cluster_identifiers", &page.cluster.cluster);
            event.purpose = Some(purpose.code().to_owned());
            store.append_audit(&event).await?;
        }
        None => {
            pseudonyms.phones(&mut page.cluster.phones);
            for a in &mut page.adverts {
                pseudonymise_advert(pseudonyms, a);
            }
        }
    }
    Ok(page)
}

/// An advert's phones and e-mails as pseudonyms.
fn pseudonymise_advert(pseudonyms: &Pseudonyms, a: &mut AdvertRecord) {
    pseudonyms.phones(&mut a.phones);
    pseudonyms.emails(&mut a.emails);
}

/// Shares a location with another organisation, with a sanitised note (intelligence roles).
pub async fn share(
    store: &Store,
    who: &Principal,
    location_id: &str,
    org_id: i64,
    note: &str,
) -> Result<(), ViewError> {
    who.require(Permission::ShareLeads)?;
    if store.location_record(location_id).await?.is_none() {
        return Err(Refused::NotFound.into());
    }
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 2_000 {
        return Err(ViewError::Invalid {
            field: "note",
            reason:
                "write what the partner needs to know, without identifiers (1 to 2,000 characters)"
                    .into(),
        });
    }
    if org_id == who.org_id || !store.organisations().await?.iter().any(|o| o.id == org_id) {
        return Err(ViewError::Invalid {
            field: "organisation",
            reason: "choose another organisation of the partnership".into(),
        });
    }
    let mut event = crate::audit::by_person(lantern_store::Operation::Disclose, who)
        .about("location", location_id);
    event.recipient = Some(format!("organisation {org_id}"));
    store
        .share_location(
            &LocationShare {
                location_id: location_id.to_owned(),
                org_id,
                note: note.to_owned(),
                shared_by: who.user_id,
                shared_at: Timestamp::now(),
            },
            &event,
        )
        .await?;
    Ok(())
}

/// Records a visit to a location the person may see; returns the visit id.
pub async fn record_visit(
    store: &Store,
    who: &Principal,
    mut request: VisitRequest,
) -> Result<i64, ViewError> {
    who.require(Permission::RecordVisits)?;
    visible_shares(store, who, request.location.trim()).await?;
    request.recorded_by = who.username.clone();
    request.org_id = Some(who.org_id);
    let event = crate::audit::by_person(lantern_store::Operation::Collect, who);
    Ok(crate::visit::record_audited(store, &request, event).await?)
}

/// A visit plan over the locations the person may see.
pub async fn plan(
    store: &Store,
    who: &Principal,
    mut request: PlanRequest,
) -> Result<VisitPlan, ViewError> {
    who.require(Permission::PlanVisits)?;
    request.shared = if who.can(Permission::ViewIntelligence) {
        None
    } else {
        Some(shared_notes(store, who).await?)
    };
    Ok(crate::plan::plan_visits(store, &request).await?)
}

/// Cells under this are shown as "fewer than 5" (domain-uk.md §8.3.6).
pub const SUPPRESS_BELOW: u64 = 5;

/// A count that may be suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// Shown.
    Shown(u64),
    /// Under [`SUPPRESS_BELOW`] (zero included, so that a zero cannot reveal its neighbours).
    Suppressed,
}

/// Counts of locations by borough: all, new, high band, visited or closed.
#[derive(Debug, Clone)]
pub struct BoroughCounts {
    /// Borough ONS code (`unknown` when not placed).
    pub borough: String,
    /// Locations.
    pub locations: Count,
    /// New this week.
    pub new: Count,
    /// Banded high.
    pub high: Count,
    /// Visited or closed.
    pub visited: Count,
}

/// The regional picture without personal data: counts by borough, small numbers suppressed.
pub async fn aggregates(store: &Store, who: &Principal) -> Result<Vec<BoroughCounts>, ViewError> {
    who.require(Permission::ViewAggregates)?;
    let mut raw: BTreeMap<String, [u64; 4]> = BTreeMap::new();
    each_location(store, |l| {
        let key = l
            .local_authority
            .clone()
            .unwrap_or_else(|| "unknown".into());
        let c = raw.entry(key).or_default();
        c[0] += 1;
        c[1] += u64::from(l.status == LocationStatus::New);
        c[2] += u64::from(l.risk_band == RiskBand::High);
        c[3] += u64::from(matches!(
            l.status,
            LocationStatus::Visited | LocationStatus::Closed
        ));
    })
    .await?;
    let count = |n: u64| {
        if n < SUPPRESS_BELOW {
            Count::Suppressed
        } else {
            Count::Shown(n)
        }
    };
    Ok(raw
        .into_iter()
        .map(|(borough, c)| BoroughCounts {
            borough,
            locations: count(c[0]),
            new: count(c[1]),
            high: count(c[2]),
            visited: count(c[3]),
        })
        .collect())
}

/// Results of a search.
#[derive(Debug, Clone)]
pub struct SearchResults {
    /// The terms searched for, as understood.
    pub terms: Vec<String>,
    /// Matching listings, best first.
    pub adverts: Vec<AdvertRecord>,
    /// More matched than are shown.
    pub truncated: bool,
}

/// Listings shown for a search, at most.
pub const SEARCH_LIMIT: usize = 200;

/// The terms of a query: a phone number written any way becomes its digits (the index holds
/// both `447…` and `07…`); other words are kept as they are.
pub fn search_terms(query: &str) -> Vec<String> {
    let compact: String = query
        .replace("(0)", "")
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    if (10..=13).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        return vec![digits.to_owned()];
    }
    query
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .take(12)
        .map(|w| w.chars().take(100).collect())
        .collect()
}

/// Full-text search over listings (intelligence roles): identifiers, places, indicator codes
/// and the masked advert text.
/// Hits show phones and e-mails as pseudonyms (a number searched for is known to the searcher;
/// the other numbers of the hits are not).
pub async fn search(
    store: &Store,
    who: &Principal,
    query: &str,
    pseudonyms: &Pseudonyms,
) -> Result<SearchResults, ViewError> {
    who.require(Permission::ViewIntelligence)?;
    if query.chars().count() > 200 {
        return Err(ViewError::Invalid {
            field: "q",
            reason: "search for at most 200 characters".into(),
        });
    }
    let terms = search_terms(query);
    let hits = store
        .search_listings(&terms, SEARCH_LIMIT as i64 + 1)
        .await?;
    let truncated = hits.len() > SEARCH_LIMIT;
    let mut adverts = Vec::new();
    for json in hits.iter().take(SEARCH_LIMIT) {
        let mut advert: AdvertRecord = parse(json)?;
        pseudonymise_advert(pseudonyms, &mut advert);
        adverts.push(advert);
    }
    Ok(SearchResults {
        terms,
        adverts,
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::search_terms;

    #[test]
    fn phone_numbers_become_digits_and_words_stay() {
        assert_eq!(search_terms("07700 900123"), ["07700900123"]);
        assert_eq!(search_terms("+44 (0) 7700-900123"), ["447700900123"]);
        assert_eq!(search_terms("+44 7700 900123"), ["447700900123"]);
        assert_eq!(search_terms("new in Digbeth"), ["new", "in", "Digbeth"]);
        assert!(search_terms(" \" * ").is_empty());
    }
}
