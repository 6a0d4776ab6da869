//! Locations, clusters, the visit plan and the regional overview.

use axum::extract::{Extension, Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_access::Permission;
use lantern_app::auth::Session;
use lantern_app::minimise::Purpose;
use lantern_app::plan::PlanRequest;
use lantern_app::views::{self, Count, LocationFilter, ViewError};
use lantern_app::visit::{outcome_label, referral_label};
use lantern_core::Timestamp;
use lantern_core::export::{LocationKind, LocationRecord, LocationStatus, RiskBand};
use lantern_geo::Gazetteer;
use lantern_store::AccountStore;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{csrf, page};
use super::{server_error, signed_in, to_login, view_error};
use crate::AppState;
use crate::guard::Viewer;
use crate::map::{Marker, borough_map, region_map};

/// The seven boroughs as `(code, name)`, by name (read once).
fn boroughs() -> &'static [(String, String)] {
    static LIST: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        let mut list: Vec<(String, String)> = Gazetteer::embedded()
            .map(|g| {
                g.borough_outlines()
                    .into_iter()
                    .map(|(a, _)| (a.code.clone(), a.name.clone()))
                    .collect()
            })
            .unwrap_or_default();
        list.sort_by(|a, b| a.1.cmp(&b.1));
        list
    })
}

fn borough_name(code: Option<&str>) -> String {
    let Some(code) = code else {
        return "not placed".into();
    };
    boroughs()
        .iter()
        .find(|(c, _)| c == code)
        .map_or_else(|| code.to_owned(), |(_, n)| n.clone())
}

fn band_name(b: RiskBand) -> &'static str {
    match b {
        RiskBand::High => "high",
        RiskBand::Medium => "medium",
        RiskBand::Low => "low",
    }
}

fn status_name(s: LocationStatus) -> &'static str {
    match s {
        LocationStatus::New => "new",
        LocationStatus::Known => "known",
        LocationStatus::Visited => "visited",
        LocationStatus::Closed => "closed",
    }
}

fn kind_name(l: &LocationRecord) -> &'static str {
    match l.kind {
        LocationKind::Premises => "premises",
        LocationKind::Lead => "area lead",
    }
}

fn day(t: Timestamp) -> String {
    t.date()
}

fn band_badge(b: RiskBand) -> Markup {
    html! { span class=(format!("band {}", band_name(b))) { (band_name(b)) } }
}

/// Filters of the locations page.
#[derive(Debug, Deserialize, Default)]
pub struct LocationQuery {
    borough: Option<String>,
    band: Option<String>,
    all: Option<String>,
}

/// Locations: this week's new ones (or all), map and list, by borough and band.
pub async fn locations(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<LocationQuery>,
) -> Response {
    let Some(session) = signed_in(&viewer) else {
        return to_login();
    };
    let all = q.all.as_deref() == Some("1");
    let borough = q.borough.filter(|b| boroughs().iter().any(|(c, _)| c == b));
    let band = match q.band.as_deref() {
        Some("high") => Some(RiskBand::High),
        Some("medium") => Some(RiskBand::Medium),
        Some("low") => Some(RiskBand::Low),
        _ => None,
    };
    let filter = LocationFilter {
        new_only: !all,
        borough: borough.clone(),
        band,
    };
    let list = match views::locations(
        &state.store,
        &session.principal,
        &filter,
        &state.new_locations,
    )
    .await
    {
        Ok(l) => l,
        Err(e) => return view_error(session, &e),
    };
    let markers: Vec<Marker> = list
        .iter()
        .map(|v| Marker {
            lat: v.record.lat,
            lon: v.record.lon,
            label: format!("{} ({})", v.record.label, band_name(v.record.risk_band)),
            href: Some(format!("/locations/{}", v.record.location)),
            class: band_name(v.record.risk_band),
        })
        .collect();
    let title = if all {
        "All locations"
    } else {
        "New locations this week"
    };
    let shown = list.len().min(500);
    let body = html! {
        h1 { (title) }
        form.filters method="get" action="/locations" {
            label { "Borough "
                select name="borough" {
                    option value="" { "All seven" }
                    @for (code, name) in boroughs() {
                        option value=(code) selected[borough.as_deref() == Some(code.as_str())] { (name) }
                    }
                }
            }
            label { "Band "
                select name="band" {
                    option value="" { "Any" }
                    @for b in ["high", "medium", "low"] {
                        option value=(b) selected[q.band.as_deref() == Some(b)] { (b) }
                    }
                }
            }
            label.check { input type="checkbox" name="all" value="1" checked[all]; " include known, visited and closed" }
            button type="submit" { "Show" }
        }
        p.muted { (list.len()) " location(s)" @if list.len() > shown { ", the " (shown) " most concerning listed" } "." }
        (region_map(&markers, &format!("{} locations on a map of the seven boroughs", list.len())))
        table.list {
            thead { tr { th { "Location" } th { "Borough" } th { "Band" } th { "Status" } th { "First seen" } th { "Last seen" } } }
            tbody {
                @for v in list.iter().take(shown) {
                    @let l = &v.record;
                    tr {
                        td { a href=(format!("/locations/{}", l.location)) { (l.label) } br; span.muted { (kind_name(l)) @if l.short_lived { " · short-lived" } } }
                        td { (borough_name(l.local_authority.as_deref())) }
                        td { (band_badge(l.risk_band)) }
                        td { (status_name(l.status)) }
                        td { (day(l.first_seen)) }
                        td { (day(l.last_seen)) }
                    }
                }
            }
        }
    };
    page(Some(session), title, &body)
}

/// A location: where, why, who advertises it, its visits; sharing for analysts.
pub async fn location(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
) -> Response {
    let Some(session) = signed_in(&viewer) else {
        return to_login();
    };
    let p = &session.principal;
    let pseudonyms = match state.pseudonyms().await {
        Ok(p) => p,
        Err(e) => return view_error(session, &e),
    };
    let pageview = match views::location(&state.store, p, &id, pseudonyms).await {
        Ok(v) => v,
        Err(e) => return view_error(session, &e),
    };
    let l = &pageview.location.record;
    let orgs = if p.can(Permission::ShareLeads) {
        match state.store.organisations().await {
            Ok(o) => o.into_iter().filter(|o| o.id != p.org_id).collect(),
            Err(e) => return server_error(&e.to_string()),
        }
    } else {
        Vec::new()
    };
    let marker = [Marker {
        lat: l.lat,
        lon: l.lon,
        label: l.label.clone(),
        href: None,
        class: band_name(l.risk_band),
    }];
    let body = html! {
        p.crumbs { a href="/locations" { "Locations" } " › " (l.label) }
        h1 { (l.label) " " (band_badge(l.risk_band)) }
        dl.facts {
            dt { "Kind" } dd { (kind_name(l)) ", known to " (format!("{:?}", l.precision).to_lowercase()) " precision" }
            @if let Some(pc) = &l.postcode { dt { "Postcode" } dd { (pc) } }
            dt { "Borough" } dd { (borough_name(l.local_authority.as_deref())) }
            dt { "Status" } dd { (status_name(l.status)) @if l.short_lived { " · short-lived (advertised only briefly)" } }
            dt { "Advertised" } dd { (day(l.first_seen)) " to " (day(l.last_seen)) ", " (l.listings) " listing(s)" }
        }
        @if let Some(note) = &pageview.location.note {
            section { h2 { "Why it was shared with you" } p.note { (note) } }
        }
        @if p.can(Permission::RecordVisits) {
            p { a.button href=(format!("/locations/{}/visit", l.location)) { "Record a visit" } }
        }
        (borough_map(l.local_authority.as_deref(), &marker, &format!("{} on a map of {} and its wards", l.label, borough_name(l.local_authority.as_deref()))))
        @if !pageview.clusters.is_empty() {
            section {
                h2 { "Who advertises here" }
                @for c in &pageview.clusters {
                    article.cluster {
                        h3 { a href=(format!("/clusters/{}", c.cluster)) { "Advertiser " (c.cluster) } " " (band_badge(c.risk_band)) }
                        p.muted { (c.size) " listing(s), " (day(c.first_seen)) " to " (day(c.last_seen)) }
                        @if c.reasons.is_empty() { p { "No reason for concern recorded." } }
                        ul.reasons { @for r in &c.reasons { li { (r) } } }
                    }
                }
            }
        }
        @if !pageview.listings.is_empty() {
            section {
                h2 { "Listings that name it (" (pageview.listings.len()) ")" }
                table.list {
                    thead { tr { th { "Site" } th { "Listing" } th { "First seen" } th { "Last seen" } th { "Phones" } } }
                    tbody {
                        @for a in pageview.listings.iter().take(200) {
                            tr { td { (a.source) } td { (a.external_id) } td { (day(a.first_seen)) } td { (day(a.last_seen)) } td { (a.phones.join(", ")) } }
                        }
                    }
                }
            }
        }
        section {
            h2 { "Visits by your organisation" }
            @if pageview.visits.is_empty() { p.muted { "None recorded." } }
            @else {
                table.list {
                    thead { tr { th { "When" } th { "Purpose" } th { "Outcome" } th { "Referrals" } th { "By" } } }
                    tbody {
                        @for v in &pageview.visits {
                            tr {
                                td { (day(v.visit.visited_at)) }
                                td { (v.visit.purpose) }
                                td { (outcome_label(&v.visit.outcome)) }
                                td { (v.visit.referrals.iter().map(|r| referral_label(r)).collect::<Vec<_>>().join(", ")) }
                                td { (v.visit.recorded_by) }
                            }
                        }
                    }
                }
            }
        }
        @if p.can(Permission::ShareLeads) {
            section {
                h2 { "Shared with" }
                @if pageview.shares.is_empty() { p.muted { "Not shared with any partner." } }
                ul { @for s in &pageview.shares { li { (org_name(&orgs, s.org_id)) ": " (s.note) } } }
                @if !orgs.is_empty() {
                    form.stack method="post" action=(format!("/locations/{}/share", l.location)) {
                        (csrf(session))
                        label { "Share with"
                            select name="org" required { @for o in &orgs { option value=(o.id) { (o.name) } } }
                        }
                        label { "Note for the partner (no phone numbers, names or other identifiers)"
                            textarea name="note" rows="3" maxlength="2000" required {}
                        }
                        button type="submit" { "Share" }
                    }
                }
            }
        }
    };
    page(Some(session), &l.label, &body)
}

fn org_name(orgs: &[lantern_store::OrganisationRow], id: i64) -> String {
    orgs.iter()
        .find(|o| o.id == id)
        .map_or_else(|| format!("organisation {id}"), |o| o.name.clone())
}

/// The share form's fields.
#[derive(Deserialize)]
pub struct ShareForm {
    org: i64,
    note: String,
}

/// Shares a location with a partner organisation.
pub async fn share(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    Form(form): Form<ShareForm>,
) -> Response {
    let Some(session) = signed_in(&viewer) else {
        return to_login();
    };
    match views::share(&state.store, &session.principal, &id, form.org, &form.note).await {
        Ok(()) => Redirect::to(&format!("/locations/{id}")).into_response(),
        Err(e) => view_error(session, &e),
    }
}

/// A cluster: its listings, shared template, identifiers (as pseudonyms), movement and places.
pub async fn cluster(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
) -> Response {
    let Some(session) = signed_in(&viewer) else {
        return to_login();
    };
    cluster_page(&state, session, &id, None).await
}

/// The reveal form's field.
#[derive(Deserialize)]
pub struct RevealForm {
    purpose: String,
}

/// A cluster with its phone numbers and e-mails in full, for a declared purpose (logged).
pub async fn reveal_cluster(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    Form(form): Form<RevealForm>,
) -> Response {
    let Some(session) = signed_in(&viewer) else {
        return to_login();
    };
    let Some(purpose) = Purpose::parse(&form.purpose) else {
        return view_error(
            session,
            &ViewError::Invalid {
                field: "purpose",
                reason: "choose why you need the identifiers".into(),
            },
        );
    };
    cluster_page(&state, session, &id, Some(purpose)).await
}

/// The cluster page, identifiers revealed for `reveal`'s purpose or as pseudonyms.
async fn cluster_page(
    state: &AppState,
    session: &Session,
    id: &str,
    reveal: Option<Purpose>,
) -> Response {
    let pseudonyms = match state.pseudonyms().await {
        Ok(p) => p,
        Err(e) => return view_error(session, &e),
    };
    let view = match views::cluster(&state.store, &session.principal, id, pseudonyms, reveal).await
    {
        Ok(v) => v,
        Err(e) => return view_error(session, &e),
    };
    let c = &view.cluster;
    let markers: Vec<Marker> = view
        .locations
        .iter()
        .map(|l| Marker {
            lat: l.lat,
            lon: l.lon,
            label: l.label.clone(),
            href: Some(format!("/locations/{}", l.location)),
            class: band_name(l.risk_band),
        })
        .collect();
    let body = html! {
        h1 { "Advertiser " (c.cluster) " " (band_badge(c.risk_band)) }
        p.muted { (c.size) " listing(s) · " (day(c.first_seen)) " to " (day(c.last_seen)) }
        section {
            h2 { "Reasons" }
            @if c.reasons.is_empty() { p { "No reason for concern recorded." } }
            ul.reasons { @for r in &c.reasons { li { (r) } } }
        }
        @if let Some(t) = &c.template {
            section {
                h2 { "Shared advert template" }
                p.muted { "Words every listing shares; the marked slots are what changes between them." }
                p.template { (template(t)) }
            }
        }
        section {
            h2 { "Identifiers" }
            @if c.phones.is_empty() { p.muted { "No phone number." } }
            ul { @for ph in &c.phones { li { code { (ph) } } } }
            @if let Some(purpose) = reveal {
                p.notice { "Shown in full for: " (purpose.label()) ". This reading is in the audit log." }
            } @else {
                p.muted { "Phone numbers and e-mails are shown as pseudonyms: the same number has the same pseudonym on every page." }
                @if session.principal.can(Permission::RevealIdentifiers) {
                    form.reveal method="post" action=(format!("/clusters/{}/reveal", c.cluster)) {
                        (csrf(session))
                        label for="purpose" { "Why do you need them in full?" }
                        select #purpose name="purpose" required {
                            option value="" { "Choose a purpose" }
                            @for p in Purpose::ALL { option value=(p.code()) { (p.label()) } }
                        }
                        button type="submit" { "Show in full (logged)" }
                    }
                }
            }
        }
        section {
            h2 { "Movement" }
            @if c.movement.is_empty() { p.muted { "Seen in one place only." } }
            ol.timeline {
                @for m in &c.movement {
                    li { (day(m.first_seen)) " to " (day(m.last_seen)) ": " a href=(format!("/locations/{}", m.location)) { (m.label) } " (" (borough_name(m.borough.as_deref())) ", " (m.listings) " listing(s))" }
                }
            }
        }
        (region_map(&markers, &format!("the {} location(s) of advertiser {}", markers.len(), c.cluster)))
        section {
            h2 { "Listings" }
            table.list {
                thead { tr { th { "Site" } th { "Listing" } th { "First seen" } th { "Last seen" } th { "Phones" } } }
                tbody {
                    @for a in &view.adverts {
                        tr { td { (a.source) } td { (a.external_id) } td { (day(a.first_seen)) } td { (day(a.last_seen)) } td { (a.phones.join(", ")) } }
                    }
                }
            }
        }
    };
    page(Some(session), &format!("Advertiser {}", c.cluster), &body)
}

/// A template with its `{slot}`s marked.
fn template(text: &str) -> Markup {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        parts.push((false, &rest[..start]));
        parts.push((true, &rest[start..=start + len]));
        rest = &rest[start + len + 1..];
    }
    parts.push((false, rest));
    html! {
        @for (slot, s) in parts {
            @if slot { mark.slot { (s) } } @else { (s) }
        }
    }
}

/// The plan form's fields.
#[derive(Debug, Deserialize, Default)]
pub struct PlanQuery {
    date: Option<String>,
    teams: Option<usize>,
    per_team: Option<usize>,
    area: Option<String>,
}

/// The visit plan over the locations the person may see.
pub async fn plan(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<PlanQuery>,
) -> Response {
    let Some(session) = signed_in(&viewer) else {
        return to_login();
    };
    let now = state.now();
    let date = q
        .date
        .as_deref()
        .and_then(|d| Timestamp::parse(&format!("{d}T00:00:00Z")).ok())
        .unwrap_or(now);
    let teams = q.teams.unwrap_or(2).clamp(1, 20);
    let per_team = q.per_team.unwrap_or(6).clamp(1, 50);
    let area = q.area.filter(|a| !a.is_empty());
    let request = PlanRequest {
        date,
        teams,
        per_team,
        area: area.clone(),
        max_age_days: 14,
        shared: None,
    };
    let plan = views::plan(&state.store, &session.principal, request).await;
    let body = html! {
        h1 { "Visit plan" }
        form.filters method="get" action="/plan" {
            label { "Day " input type="date" name="date" value=(date.date()); }
            label { "Teams " input type="number" name="teams" min="1" max="20" value=(teams); }
            label { "Stops per team " input type="number" name="per_team" min="1" max="50" value=(per_team); }
            label { "Borough "
                select name="area" {
                    option value="" { "All seven" }
                    @for (code, name) in boroughs() { option value=(code) selected[area.as_deref() == Some(code.as_str())] { (name) } }
                }
            }
            button type="submit" { "Plan" }
        }
        @match &plan {
            Ok(plan) => {
                p.muted { (plan.candidates) " open location(s) advertised in the last 14 days could be visited." }
                @for r in &plan.routes {
                    section.route {
                        h2 { "Team " (r.team) " · " (r.stops.len()) " stop(s), " (r.km) " km in straight lines" }
                        ol.stops {
                            @for s in &r.stops {
                                li {
                                    a href=(format!("/locations/{}", s.location)) { (s.label) } " " span class=(format!("band {}", s.risk_band)) { (s.risk_band) }
                                    @if let Some(pc) = &s.postcode { " · " (pc) }
                                    ul.reasons { @for reason in s.reasons.iter().take(3) { li { (reason) } } }
                                }
                            }
                        }
                    }
                }
            }
            Err(e) => { p.error { (e.to_string()) } }
        }
    };
    page(Some(session), "Visit plan", &body)
}

/// Regional counts for the OPCC: no locations, no identifiers, small numbers suppressed.
pub async fn overview(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
) -> Response {
    let Some(session) = signed_in(&viewer) else {
        return to_login();
    };
    let rows = match views::aggregates(&state.store, &session.principal).await {
        Ok(r) => r,
        Err(e) => return view_error(session, &e),
    };
    let cell = |c: Count| match c {
        Count::Shown(n) => html! { (n) },
        Count::Suppressed => html! { abbr title="fewer than 5: suppressed" { "<5" } },
    };
    let body = html! {
        h1 { "Regional overview" }
        p.muted { "Counts of locations by borough from the latest analysis. Cells under 5 are suppressed so that no small group can be picked out." }
        table.list {
            thead { tr { th { "Borough" } th { "Locations" } th { "New this week" } th { "High concern" } th { "Visited or closed" } } }
            tbody {
                @for r in &rows {
                    tr { td { (borough_name(Some(&r.borough))) } td { (cell(r.locations)) } td { (cell(r.new)) } td { (cell(r.high)) } td { (cell(r.visited)) } }
                }
            }
        }
    };
    page(Some(session), "Regional overview", &body)
}
