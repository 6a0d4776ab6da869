//! `lantern visit record|list`: safeguarding visits (domain-uk.md §8.2). A visit declares its
//! purpose, an outcome code, the indicators observed (catalogue codes), referrals made and
//! follow-ups. It names no person unless consent, a child or immediate risk is recorded, and an
//! outcome that demands a referral cannot be recorded without it. Recording a visit marks the
//! location visited (or closed) at once.

use lantern_core::Timestamp;
use lantern_core::export::{LocationRecord, LocationStatus};
use lantern_indicators::{Catalogue, SENSITIVE_CODES, Status};
use lantern_store::{NewVisit, Store, StoreError, VisitRow, VisitStore};

/// Why a visit is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Welfare and support.
    Safeguarding,
    /// Law enforcement.
    Enforcement,
    /// Both, declared.
    Joint,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Safeguarding => "safeguarding",
            Self::Enforcement => "enforcement",
            Self::Joint => "joint",
        }
    }
}

/// Outcome codes (domain-uk.md §8.2).
pub const OUTCOMES: &[&str] = &[
    "NO_ANSWER",
    "DECLINED_ENGAGEMENT",
    "ENGAGED_NO_CONCERN",
    "ENGAGED_SUPPORT_ACCEPTED",
    "CONCERN_INDICATORS_PRESENT",
    "POTENTIAL_VICTIM_IDENTIFIED",
    "CHILD_IDENTIFIED",
    "IMMEDIATE_RISK",
];

/// Referrals a visit can make.
pub const REFERRALS: &[&str] = &[
    "NRM",
    "DTN",
    "ADULT_SAFEGUARDING",
    "CHILDRENS_SERVICES",
    "POLICE",
    "EMERGENCY_SERVICES",
    "SUPPORT_SERVICE",
    "HEALTH",
];

/// An outcome code in words, for people.
pub fn outcome_label(code: &str) -> &str {
    match code {
        "NO_ANSWER" => "No answer",
        "DECLINED_ENGAGEMENT" => "Declined to engage",
        "ENGAGED_NO_CONCERN" => "Engaged, no concern",
        "ENGAGED_SUPPORT_ACCEPTED" => "Engaged, support accepted",
        "CONCERN_INDICATORS_PRESENT" => "Concern: indicators present",
        "POTENTIAL_VICTIM_IDENTIFIED" => "Potential victim identified (refer)",
        "CHILD_IDENTIFIED" => "Child identified (child protection and NRM)",
        "IMMEDIATE_RISK" => "Immediate risk (emergency)",
        other => other,
    }
}

/// A referral code in words, for people.
pub fn referral_label(code: &str) -> &str {
    match code {
        "NRM" => "National Referral Mechanism (NRM)",
        "DTN" => "Duty to Notify (adult without consent)",
        "ADULT_SAFEGUARDING" => "Adult safeguarding",
        "CHILDRENS_SERVICES" => "Children's services",
        "POLICE" => "Police",
        "EMERGENCY_SERVICES" => "Emergency services",
        "SUPPORT_SERVICE" => "Support service",
        "HEALTH" => "Health",
        other => other,
    }
}

/// A visit as asked for, before checks.
#[derive(Debug, Clone)]
pub struct VisitRequest {
    /// Location id (from `export locations` or the plan).
    pub location: String,
    /// When (default: now).
    pub at: Option<Timestamp>,
    /// Declared purpose.
    pub purpose: Purpose,
    /// Outcome code.
    pub outcome: String,
    /// Catalogue codes observed.
    pub indicators: Vec<String>,
    /// Referrals made.
    pub referrals: Vec<String>,
    /// Next step.
    pub follow_up: Option<String>,
    /// By when, YYYY-MM-DD.
    pub follow_up_due: Option<String>,
    /// Consent to record personal details was given.
    pub consent: bool,
    /// Personal names.
    pub names: Option<String>,
    /// Notes (no personal details unless allowed as for names).
    pub notes: Option<String>,
    /// The premises are no longer in use.
    pub closed: bool,
    /// Team.
    pub team: Option<String>,
    /// Who records it.
    pub recorded_by: String,
    /// Their organisation (none at the command line).
    pub org_id: Option<i64>,
}

/// Why a visit was refused.
#[derive(Debug, thiserror::Error)]
pub enum VisitError {
    /// A rule of the visit record is broken.
    #[error("{field}: {reason}")]
    Invalid {
        /// The option at fault.
        field: &'static str,
        /// What to do about it.
        reason: String,
    },
    /// The store failed.
    #[error("{0}")]
    Store(#[from] StoreError),
}

fn invalid(field: &'static str, reason: impl Into<String>) -> VisitError {
    VisitError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// Checks every rule; the visit to store.
fn validate(
    req: &VisitRequest,
    catalogue: &Catalogue,
    now: Timestamp,
) -> Result<NewVisit, VisitError> {
    let outcome = req.outcome.trim().to_uppercase();
    if !OUTCOMES.contains(&outcome.as_str()) {
        return Err(invalid(
            "--outcome",
            format!("{:?} is not one of {}", req.outcome, OUTCOMES.join(", ")),
        ));
    }
    let mut indicators = Vec::new();
    for code in &req.indicators {
        let code = code.trim().to_uppercase();
        let Some(ind) = catalogue.get(&code) else {
            return Err(invalid(
                "--indicator",
                format!("{code} is not in the catalogue (see `lantern indicators`)"),
            ));
        };
        if SENSITIVE_CODES.contains(&code.as_str()) {
            return Err(invalid(
                "--indicator",
                format!(
                    "{code} records nationality or ethnicity, which Lantern does not record as an indicator"
                ),
            ));
        }
        if ind.status != Status::Active {
            return Err(invalid(
                "--indicator",
                format!(
                    "{code} is retired; use {}",
                    ind.superseded_by.as_deref().unwrap_or("a current code")
                ),
            ));
        }
        if !indicators.contains(&code) {
            indicators.push(code);
        }
    }
    let mut referrals = Vec::new();
    for r in &req.referrals {
        let r = r.trim().to_uppercase();
        if !REFERRALS.contains(&r.as_str()) {
            return Err(invalid(
                "--referral",
                format!("{r:?} is not one of {}", REFERRALS.join(", ")),
            ));
        }
        if !referrals.contains(&r) {
            referrals.push(r);
        }
    }
    let has = |r: &str| referrals.iter().any(|x| x == r);
    match outcome.as_str() {
        "CHILD_IDENTIFIED" if !(has("CHILDRENS_SERVICES") && has("NRM")) => {
            return Err(invalid(
                "--referral",
                "a child identified needs referrals to CHILDRENS_SERVICES and the NRM (no consent is needed for a child)",
            ));
        }
        "IMMEDIATE_RISK" if !(has("EMERGENCY_SERVICES") || has("POLICE")) => {
            return Err(invalid(
                "--referral",
                "immediate risk needs EMERGENCY_SERVICES or POLICE",
            ));
        }
        "POTENTIAL_VICTIM_IDENTIFIED" if !(has("NRM") || has("DTN")) => {
            return Err(invalid(
                "--referral",
                "a potential victim needs an NRM referral (with consent) or a Duty to Notify (DTN) without it",
            ));
        }
        _ => {}
    }
    let child = outcome == "CHILD_IDENTIFIED";
    if has("NRM") && !req.consent && !child {
        return Err(invalid(
            "--consent",
            "an adult's NRM referral needs their consent; without it, record a Duty to Notify (--referral DTN)",
        ));
    }
    let names_allowed = req.consent || child || outcome == "IMMEDIATE_RISK";
    let names = req
        .names
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if names.is_some() && !names_allowed {
        return Err(invalid(
            "--names",
            "personal names may be recorded only with consent (--consent), for a child or for immediate risk",
        ));
    }
    if let Some(due) = &req.follow_up_due
        && Timestamp::parse(&format!("{due}T00:00:00Z")).is_err()
    {
        return Err(invalid(
            "--follow-up-due",
            format!("{due:?} is not a date like 2026-12-07"),
        ));
    }
    if req.follow_up_due.is_some() && req.follow_up.is_none() {
        return Err(invalid(
            "--follow-up",
            "a follow-up date needs the follow-up itself",
        ));
    }
    let at = req.at.unwrap_or(now);
    if at > now.plus_seconds(3600).unwrap_or(now) {
        return Err(invalid(
            "--at",
            "a visit cannot be recorded before it happens",
        ));
    }
    Ok(NewVisit {
        location_id: req.location.trim().to_owned(),
        visited_at: at,
        recorded_at: now,
        recorded_by: req.recorded_by.clone(),
        team: req.team.clone(),
        purpose: req.purpose.as_str().to_owned(),
        outcome,
        indicators,
        referrals,
        follow_up: req.follow_up.clone(),
        follow_up_due: req.follow_up_due.clone(),
        consent_recorded: req.consent,
        names: names.map(str::to_owned),
        notes: req.notes.clone(),
        closes_location: req.closed,
        org_id: req.org_id,
    })
}

/// Records a visit and marks its location visited (or closed), logged as a collection by the
/// command-line operator; returns the visit id.
pub async fn record(store: &Store, req: &VisitRequest) -> Result<i64, VisitError> {
    let event = crate::audit::by_operator(
        lantern_store::Operation::Collect,
        &crate::Actor::command_line(),
    );
    record_audited(store, req, event).await
}

/// Records a visit as [`record`] does, with `event` (its actor) as its audit event.
pub async fn record_audited(
    store: &Store,
    req: &VisitRequest,
    event: lantern_store::AuditEvent,
) -> Result<i64, VisitError> {
    let catalogue = Catalogue::embedded().map_err(|e| invalid("catalogue", e.to_string()))?;
    let visit = validate(req, catalogue, Timestamp::now())?;
    let Some(json) = store.location_record(&visit.location_id).await? else {
        return Err(invalid(
            "--location",
            format!(
                "{} is not a location of the last analysis (see `lantern export locations` or the visit plan)",
                visit.location_id
            ),
        ));
    };
    let mut location: LocationRecord = serde_json::from_str(&json).map_err(|e| {
        invalid(
            "--location",
            format!("its stored record is unreadable: {e}"),
        )
    })?;
    location.status = if visit.closes_location {
        LocationStatus::Closed
    } else {
        LocationStatus::Visited
    };
    let json =
        serde_json::to_string(&location).map_err(|e| invalid("--location", e.to_string()))?;
    let digest = crate::analyse::digest(&json);
    let mut event = event.about("location", &visit.location_id);
    event.operation = lantern_store::Operation::Collect;
    event.purpose = Some(visit.purpose.clone());
    event.detail = Some("visit recorded".into());
    Ok(store
        .record_visit(&visit, Some((json, digest)), &event)
        .await?)
}

/// The catalogue's indicators a visiting team can observe (active, observable on a visit, never
/// nationality or the like), as `(code, wording, domain)`, for the visit form.
pub fn observable_indicators() -> Vec<(String, String, String)> {
    let Ok(catalogue) = Catalogue::embedded() else {
        return Vec::new();
    };
    catalogue
        .indicators()
        .iter()
        .filter(|i| {
            i.status == Status::Active
                && !SENSITIVE_CODES.contains(&i.code.as_str())
                && i.observable_by
                    .contains(&lantern_indicators::Observer::VisitInterview)
        })
        .map(|i| (i.code.clone(), i.wording.clone(), i.domain.clone()))
        .collect()
}

/// A location's visits, oldest first.
pub async fn list(store: &Store, location: &str) -> Result<Vec<VisitRow>, VisitError> {
    Ok(store.visits_of(location.trim()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(outcome: &str) -> VisitRequest {
        VisitRequest {
            location: "loc-1".into(),
            at: None,
            purpose: Purpose::Safeguarding,
            outcome: outcome.into(),
            indicators: Vec::new(),
            referrals: Vec::new(),
            follow_up: None,
            follow_up_due: None,
            consent: false,
            names: None,
            notes: None,
            closed: false,
            team: None,
            recorded_by: "tester".into(),
            org_id: None,
        }
    }

    fn check(req: &VisitRequest) -> Result<NewVisit, VisitError> {
        validate(
            req,
            Catalogue::embedded().unwrap(),
            Timestamp::parse("2026-11-30T12:00:00Z").unwrap(),
        )
    }

    fn field_of(r: Result<NewVisit, VisitError>) -> &'static str {
        match r {
            Err(VisitError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn names_need_consent_a_child_or_immediate_risk() {
        let mut r = request("ENGAGED_NO_CONCERN");
        r.names = Some("A. Person".into());
        assert_eq!(field_of(check(&r)), "--names");
        r.consent = true;
        assert!(check(&r).is_ok());
        let mut child = request("CHILD_IDENTIFIED");
        child.names = Some("A. Child".into());
        child.referrals = vec!["childrens_services".into(), "NRM".into()];
        assert_eq!(
            check(&child).unwrap().referrals,
            ["CHILDRENS_SERVICES", "NRM"]
        );
    }

    #[test]
    fn outcomes_that_demand_a_referral_need_one() {
        assert_eq!(field_of(check(&request("CHILD_IDENTIFIED"))), "--referral");
        assert_eq!(field_of(check(&request("IMMEDIATE_RISK"))), "--referral");
        let mut victim = request("POTENTIAL_VICTIM_IDENTIFIED");
        assert_eq!(field_of(check(&victim)), "--referral");
        victim.referrals = vec!["NRM".into()];
        assert_eq!(
            field_of(check(&victim)),
            "--consent",
            "adult NRM without consent"
        );
        victim.referrals = vec!["DTN".into()];
        assert!(check(&victim).is_ok());
    }

    #[test]
    fn codes_are_checked_against_the_catalogue() {
        let mut r = request("CONCERN_INDICATORS_PRESENT");
        r.indicators = vec!["ind-sit-001".into(), "IND-SIT-001".into()];
        assert_eq!(check(&r).unwrap().indicators, ["IND-SIT-001"]);
        r.indicators = vec!["IND-NOPE-001".into()];
        assert_eq!(field_of(check(&r)), "--indicator");
        r.indicators = vec!["IND-ADV-007".into()];
        assert_eq!(field_of(check(&r)), "--indicator");
        assert_eq!(field_of(check(&request("MAYBE"))), "--outcome");
        let mut future = request("NO_ANSWER");
        future.at = Some(Timestamp::parse("2026-12-30T12:00:00Z").unwrap());
        assert_eq!(field_of(check(&future)), "--at");
    }
}
