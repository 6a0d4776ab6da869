//! `lantern plan visits`: the most urgent locations, split into one route per team, each stop
//! with its reasons; as JSON, CSV or a printable HTML page.

use std::collections::HashMap;
use std::fmt::Write as _;

use lantern_core::Timestamp;
use lantern_core::export::{ClusterRecord, LocationRecord, LocationStatus};
use lantern_geo::{Gazetteer, Kind, Lookup};
use lantern_store::{AnalysisStore, RecordKind, Store, StoreError};
use serde::Serialize;

/// What to plan.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    /// The day of the visits.
    pub date: Timestamp,
    /// Teams going out.
    pub teams: usize,
    /// Stops each team can make.
    pub per_team: usize,
    /// Only this borough (name or ONS code).
    pub area: Option<String>,
    /// Leave out locations not advertised for this many days before the date.
    pub max_age_days: u64,
    /// For a partner organisation: only these locations, each with the sanitised note it was
    /// shared with, which replaces the analysts' reasons.
    pub shared: Option<HashMap<String, String>>,
}

/// One stop of a route.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedStop {
    /// Position in the route, from 1.
    pub order: usize,
    /// Location id.
    pub location: String,
    /// Label.
    pub label: String,
    /// `premises` or `lead`.
    pub kind: String,
    /// How precisely it is known.
    pub precision: String,
    /// Postcode as precise as known.
    pub postcode: Option<String>,
    /// Borough ONS code.
    pub local_authority: Option<String>,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Concern, 0..1.
    pub risk: f64,
    /// Band.
    pub risk_band: String,
    /// `new` or `known`.
    pub status: String,
    /// For a lead, the advertiser (cluster) that named it.
    pub cluster: Option<String>,
    /// First advertised.
    pub first_seen: Timestamp,
    /// Last advertised.
    pub last_seen: Timestamp,
    /// Why it is on the list (the advertising clusters' reasons).
    pub reasons: Vec<String>,
}

/// One team's route.
#[derive(Debug, Clone, Serialize)]
pub struct TeamRoute {
    /// Team number.
    pub team: usize,
    /// Straight-line length, km.
    pub km: f64,
    /// Stops in order.
    pub stops: Vec<PlannedStop>,
}

/// The plan.
#[derive(Debug, Clone, Serialize)]
pub struct VisitPlan {
    /// The day.
    pub date: String,
    /// Borough filter, if any.
    pub area: Option<String>,
    /// Locations that could have been visited.
    pub candidates: usize,
    /// One route per team with stops.
    pub routes: Vec<TeamRoute>,
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Reading the store failed.
    #[error("reading the store: {0}")]
    Store(#[from] StoreError),
    /// Nothing analysed yet.
    #[error("the store has not been analysed yet: run `lantern analyse` first")]
    NotAnalysed,
    /// The area is not a borough of the region.
    #[error(
        "--area {0:?} is not one of the seven boroughs (give a name like Walsall or an ONS code like E08000030)"
    )]
    UnknownArea(String),
    /// A stored record did not parse.
    #[error("a stored record is unreadable: {0}")]
    Corrupt(String),
}

/// The borough's ONS code for a name or code.
fn borough_code(area: &str) -> Result<String, PlanError> {
    let unknown = || PlanError::UnknownArea(area.to_owned());
    let gazetteer = Gazetteer::embedded().map_err(|_| unknown())?;
    let wanted = area.trim();
    if let Lookup::Found(res) = gazetteer.lookup(wanted)
        && let Some(b) = res.borough
        && (res.kind == Kind::Borough || b.name.eq_ignore_ascii_case(wanted))
    {
        return Ok(b.code);
    }
    gazetteer
        .area_names()
        .iter()
        .find(|(_, code, _)| code.eq_ignore_ascii_case(wanted))
        .map(|(_, code, _)| (*code).to_owned())
        .ok_or_else(unknown)
}

/// Plans the visits of `request` from the stored analysis.
pub async fn plan_visits(store: &Store, request: &PlanRequest) -> Result<VisitPlan, PlanError> {
    if store.last_analysis().await?.is_none() {
        return Err(PlanError::NotAnalysed);
    }
    let code = request.area.as_deref().map(borough_code).transpose()?;
    let oldest = request
        .date
        .plus_seconds(-((request.max_age_days * 24 * 3600) as i64))
        .unwrap_or(request.date);
    let day_end = request.date.plus_seconds(24 * 3600).unwrap_or(request.date);
    let mut candidates: Vec<LocationRecord> = Vec::new();
    let mut bad: Option<String> = None;
    store
        .for_each_record(RecordKind::Location, &mut |json| {
            match serde_json::from_str::<LocationRecord>(json) {
                Ok(l) => {
                    let open =
                        !matches!(l.status, LocationStatus::Visited | LocationStatus::Closed);
                    let current = l.last_seen >= oldest && l.first_seen < day_end;
                    let here = code
                        .as_deref()
                        .is_none_or(|c| l.local_authority.as_deref() == Some(c));
                    let shared = request
                        .shared
                        .as_ref()
                        .is_none_or(|m| m.contains_key(&l.location));
                    if open && current && here && shared {
                        candidates.push(l);
                    }
                }
                Err(e) => bad = Some(e.to_string()),
            }
            Ok(())
        })
        .await?;
    if let Some(e) = bad {
        return Err(PlanError::Corrupt(e));
    }
    // Reasons: a lead's cluster's; a premises' every advertising cluster's.
    let mut reasons: HashMap<String, Vec<String>> = HashMap::new();
    if let Some(shared) = &request.shared {
        for (id, note) in shared {
            reasons.insert(id.clone(), vec![note.clone()]);
        }
    } else {
        collect_reasons(store, &mut reasons).await?;
    }
    let stops: Vec<lantern_plan::Stop> = candidates
        .iter()
        .map(|l| lantern_plan::Stop {
            id: l.location.clone(),
            lat: l.lat,
            lon: l.lon,
            priority: l.risk,
        })
        .collect();
    let routes = lantern_plan::plan(&stops, request.teams, request.per_team)
        .into_iter()
        .map(|r| TeamRoute {
            team: r.team,
            km: (r.km * 10.0).round() / 10.0,
            stops: r
                .stops
                .iter()
                .enumerate()
                .map(|(k, &i)| {
                    let l = &candidates[i];
                    PlannedStop {
                        order: k + 1,
                        location: l.location.clone(),
                        label: l.label.clone(),
                        kind: name_of(&l.kind),
                        precision: name_of(&l.precision),
                        postcode: l.postcode.clone(),
                        local_authority: l.local_authority.clone(),
                        lat: l.lat,
                        lon: l.lon,
                        risk: (l.risk * 1000.0).round() / 1000.0,
                        risk_band: name_of(&l.risk_band),
                        status: name_of(&l.status),
                        cluster: l.cluster.clone(),
                        first_seen: l.first_seen,
                        last_seen: l.last_seen,
                        reasons: reasons.get(&l.location).cloned().unwrap_or_default(),
                    }
                })
                .collect(),
        })
        .collect();
    Ok(VisitPlan {
        date: request.date.date(),
        area: request.area.clone(),
        candidates: candidates.len(),
        routes,
    })
}

/// Every location's reasons: a lead's cluster's; a premises' every advertising cluster's.
async fn collect_reasons(
    store: &Store,
    reasons: &mut HashMap<String, Vec<String>>,
) -> Result<(), PlanError> {
    store
        .for_each_record(RecordKind::Cluster, &mut |json| {
            if let Ok(c) = serde_json::from_str::<ClusterRecord>(json) {
                for id in &c.locations {
                    reasons
                        .entry(id.clone())
                        .or_default()
                        .extend(c.reasons.iter().take(4).cloned());
                }
            }
            Ok(())
        })
        .await?;
    Ok(())
}

/// A serialisable enum's name as the export spells it.
fn name_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// One row per stop.
pub fn to_csv(plan: &VisitPlan) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "date",
        "team",
        "order",
        "location",
        "label",
        "kind",
        "precision",
        "postcode",
        "local_authority",
        "lat",
        "lon",
        "risk",
        "risk_band",
        "status",
        "reasons",
    ]);
    for r in &plan.routes {
        for s in &r.stops {
            let _ = w.write_record([
                plan.date.clone(),
                r.team.to_string(),
                s.order.to_string(),
                s.location.clone(),
                s.label.clone(),
                s.kind.clone(),
                s.precision.clone(),
                s.postcode.clone().unwrap_or_default(),
                s.local_authority.clone().unwrap_or_default(),
                format!("{:.5}", s.lat),
                format!("{:.5}", s.lon),
                format!("{:.3}", s.risk),
                s.risk_band.clone(),
                s.status.clone(),
                s.reasons.join(" | "),
            ]);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Text made safe inside HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A precision in words.
fn precision_words(precision: &str) -> &'static str {
    match precision {
        "address" => "address",
        "postcode_unit" => "full postcode",
        "postcode_sector" => "postcode sector",
        "postcode_district" => "postcode district",
        _ => "place name",
    }
}

/// A printable page: one table per team, no scripts, no external resources.
pub fn to_html(plan: &VisitPlan) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Visit plan {date}</title><style>\
         body{{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#111}}\
         h1{{font-size:1.4em}} h2{{font-size:1.15em;margin-top:1.5em;page-break-before:auto}}\
         table{{border-collapse:collapse;width:100%;table-layout:fixed}}\
         th:nth-child(1){{width:2.5em}} th:nth-child(2){{width:32%}} th:nth-child(3){{width:7.5em}} th,td{{border:1px solid #999;padding:4px 6px;vertical-align:top;text-align:left}}\
         th{{background:#eee}} .high{{font-weight:bold;color:#900}} .medium{{color:#a60}}\
         ul{{margin:0;padding-left:1.1em}} .note{{color:#444;font-size:.9em}}\
         @media print{{body{{margin:0}} h2{{page-break-before:always}} h2:first-of-type{{page-break-before:avoid}}}}\
         </style></head><body>\n<h1>Safeguarding visit plan, {date}{area}</h1>\n\
         <p class=\"note\">OFFICIAL-SENSITIVE. {n} team route(s) from {c} open location(s). A lead is an \
         area an advertiser named, not an address: confirm on arrival. Indicators are not proof.</p>\n",
        date = escape(&plan.date),
        area = plan
            .area
            .as_deref()
            .map(|a| format!(", {}", escape(a)))
            .unwrap_or_default(),
        n = plan.routes.len(),
        c = plan.candidates,
    );
    // Reasons are shown once per advertiser; later stops of the same one point back to it.
    let mut shown: HashMap<&str, (usize, usize)> = HashMap::new();
    for r in &plan.routes {
        let _ = write!(
            h,
            "<h2>Team {} — {} stop(s), about {:.1} km</h2>\n<table><thead><tr><th>#</th><th>Where</th>\
             <th>Concern</th><th>Why</th></tr></thead><tbody>\n",
            r.team,
            r.stops.len(),
            r.km
        );
        for s in &r.stops {
            let earlier = s.cluster.as_deref().and_then(|c| shown.get(c).copied());
            let reasons: String = match earlier {
                Some((team, order)) => format!(
                    "<li>Same advertiser as team {team}, stop {order}: see the reasons there.</li>"
                ),
                None => s
                    .reasons
                    .iter()
                    .map(|x| format!("<li>{}</li>", escape(x)))
                    .collect(),
            };
            if let (Some(c), None) = (s.cluster.as_deref(), earlier) {
                shown.insert(c, (r.team, s.order));
            }
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}<br><span class=\"note\">{} ({}){}; first seen {}, last {}</span></td>\
                 <td class=\"{}\">{} ({:.2})</td><td><ul>{}</ul></td></tr>",
                s.order,
                escape(&s.label),
                if s.kind == "lead" {
                    "area lead"
                } else {
                    "premises"
                },
                precision_words(&s.precision),
                s.postcode
                    .as_deref()
                    .map(|p| format!(", {}", escape(p)))
                    .unwrap_or_default(),
                s.first_seen.date(),
                s.last_seen.date(),
                escape(&s.risk_band),
                escape(&s.risk_band),
                s.risk,
                reasons
            );
        }
        h.push_str("</tbody></table>\n");
    }
    if plan.routes.is_empty() {
        h.push_str("<p>No open location matches.</p>\n");
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped_in_the_page() {
        let plan = VisitPlan {
            date: "2026-10-19".into(),
            area: Some("<script>alert(1)</script>".into()),
            candidates: 1,
            routes: vec![TeamRoute {
                team: 1,
                km: 0.0,
                stops: vec![PlannedStop {
                    order: 1,
                    location: "loc-1".into(),
                    label: "<img src=x onerror=alert(1)>".into(),
                    kind: "lead".into(),
                    precision: "place".into(),
                    postcode: None,
                    local_authority: None,
                    lat: 52.0,
                    lon: -2.0,
                    risk: 0.7,
                    risk_band: "high".into(),
                    status: "new".into(),
                    cluster: Some("c-1".into()),
                    first_seen: Timestamp::parse("2026-10-01T00:00:00Z").unwrap(),
                    last_seen: Timestamp::parse("2026-10-02T00:00:00Z").unwrap(),
                    reasons: vec!["\"quoted\" & <b>bold</b>".into()],
                }],
            }],
        };
        let mut plan = plan;
        let mut again = plan.routes[0].stops[0].clone();
        again.order = 2;
        again.location = "loc-2".into();
        plan.routes[0].stops.push(again);
        let html = to_html(&plan);
        assert!(!html.contains("<script>") && !html.contains("<img"));
        // One advertiser's reasons are printed once; its next stop points back to them.
        assert_eq!(html.matches("&quot;quoted&quot;").count(), 1);
        assert!(html.contains("Same advertiser as team 1, stop 1"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("&quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;"));
        let csv = to_csv(&plan);
        assert!(csv.starts_with("date,team,order,location"));
        assert_eq!(csv.lines().count(), 3);
    }
}
