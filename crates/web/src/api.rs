//! The JSON API: the same reads as the pages, through the same checks in `lantern-app`, and an
//! OpenAPI 3.1 document generated from the route table.

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantern_access::{Permission, Refused};
use lantern_app::views::{self, LocationFilter, ViewError};
use lantern_core::export::RiskBand;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::guard::Viewer;
use crate::routes::RULES;

/// A JSON error.
pub fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn view_error(e: &ViewError) -> Response {
    match e {
        ViewError::Refused(Refused::NotFound) => error(StatusCode::NOT_FOUND, "not found"),
        ViewError::Refused(Refused::Forbidden) => {
            error(StatusCode::FORBIDDEN, "your role does not allow this")
        }
        ViewError::Invalid { field, reason } => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("{field}: {reason}"),
        ),
        ViewError::Store(_) | ViewError::Corrupt(_) => {
            eprintln!("lantern serve: error: {e}");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the server could not answer",
            )
        }
    }
}

fn unauthenticated() -> Response {
    error(StatusCode::UNAUTHORIZED, "sign in first")
}

/// Filters of `GET /api/locations`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LocationsQuery {
    /// `false` for every location, not only this week's new ones.
    new: Option<bool>,
    /// A borough's ONS code.
    borough: Option<String>,
    /// `high`, `medium` or `low`.
    band: Option<String>,
    /// At most this many (default 500, at most 5,000), most concerning first.
    limit: Option<usize>,
    /// Skip this many.
    offset: Option<usize>,
}

/// Default and largest page of `GET /api/locations`.
const PAGE: (usize, usize) = (500, 5_000);

/// `GET /api/locations`.
pub async fn locations(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<LocationsQuery>,
) -> Response {
    let Some(session) = viewer.0.as_ref() else {
        return unauthenticated();
    };
    let band = match q.band.as_deref() {
        None => None,
        Some("high") => Some(RiskBand::High),
        Some("medium") => Some(RiskBand::Medium),
        Some("low") => Some(RiskBand::Low),
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("band {other:?} is not high, medium or low"),
            );
        }
    };
    let filter = LocationFilter {
        new_only: q.new.unwrap_or(true),
        borough: q.borough,
        band,
    };
    match views::locations(
        &state.store,
        &session.principal,
        &filter,
        &state.new_locations,
    )
    .await
    {
        Ok(list) => {
            let limit = q.limit.unwrap_or(PAGE.0).min(PAGE.1);
            let offset = q.offset.unwrap_or(0);
            let items: Vec<Value> = list
                .iter()
                .skip(offset)
                .take(limit)
                .map(|v| json!({ "location": v.record, "shared_note": v.note }))
                .collect();
            Json(json!({
                "total": list.len(),
                "offset": offset,
                "limit": limit,
                "locations": items,
            }))
            .into_response()
        }
        Err(e) => view_error(&e),
    }
}

/// `GET /api/locations/{id}`.
pub async fn location(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
) -> Response {
    let Some(session) = viewer.0.as_ref() else {
        return unauthenticated();
    };
    let pseudonyms = match state.pseudonyms().await {
        Ok(p) => p,
        Err(e) => return view_error(&e),
    };
    let p = &session.principal;
    match views::location(&state.store, p, &id, pseudonyms).await {
        Ok(page) => {
            let visits: Vec<Value> = page
                .visits
                .iter()
                .map(|v| {
                    json!({
                        "id": v.id,
                        "visited_at": v.visit.visited_at,
                        "purpose": v.visit.purpose,
                        "outcome": v.visit.outcome,
                        "indicators": v.visit.indicators,
                        "referrals": v.visit.referrals,
                        "follow_up_due": v.visit.follow_up_due,
                        "closes_location": v.visit.closes_location,
                        "recorded_by": v.visit.recorded_by,
                    })
                })
                .collect();
            let mut body = json!({
                "location": page.location.record,
                "shared_note": page.location.note,
                "visits": visits,
            });
            if p.can(Permission::ViewIntelligence) {
                body["clusters"] = json!(page.clusters);
                body["listings"] = json!(page.listings);
                body["shared_with"] = json!(
                    page.shares
                        .iter()
                        .map(|s| json!({ "organisation": s.org_id, "note": s.note, "shared_at": s.shared_at }))
                        .collect::<Vec<_>>()
                );
            }
            Json(body).into_response()
        }
        Err(e) => view_error(&e),
    }
}

/// `GET /api/clusters/{id}`.
pub async fn cluster(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
) -> Response {
    let Some(session) = viewer.0.as_ref() else {
        return unauthenticated();
    };
    let pseudonyms = match state.pseudonyms().await {
        Ok(p) => p,
        Err(e) => return view_error(&e),
    };
    match views::cluster(&state.store, &session.principal, &id, pseudonyms, None).await {
        Ok(page) => Json(json!({
            "cluster": page.cluster,
            "adverts": page.adverts,
            "locations": page.locations,
        }))
        .into_response(),
        Err(e) => view_error(&e),
    }
}

/// `?q=` of `GET /api/search`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    q: Option<String>,
}

/// `GET /api/search`.
pub async fn search(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<SearchQuery>,
) -> Response {
    let Some(session) = viewer.0.as_ref() else {
        return unauthenticated();
    };
    let pseudonyms = match state.pseudonyms().await {
        Ok(p) => p,
        Err(e) => return view_error(&e),
    };
    match views::search(
        &state.store,
        &session.principal,
        q.q.as_deref().unwrap_or(""),
        pseudonyms,
    )
    .await
    {
        Ok(r) => Json(json!({
            "terms": r.terms,
            "truncated": r.truncated,
            "adverts": r.adverts,
        }))
        .into_response(),
        Err(e) => view_error(&e),
    }
}

/// `GET /api/openapi.json`: the API's routes from the route table, with what each needs.
pub async fn openapi() -> Response {
    Json(openapi_document()).into_response()
}

/// The OpenAPI 3.1 document of every `/api/` route in [`RULES`].
pub fn openapi_document() -> Value {
    let mut paths = serde_json::Map::new();
    for rule in RULES.iter().filter(|r| r.path.starts_with("/api/")) {
        let params: Vec<Value> = rule
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        let needs: Vec<String> = rule
            .any_of
            .iter()
            .map(|p| {
                serde_json::to_value(p)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .collect();
        let op = json!({
            "summary": rule.purpose,
            "description": format!("Needs any of: {}.", needs.join(", ")),
            "parameters": params,
            "security": [{ "session": [] }],
            "responses": {
                "200": { "description": "OK", "content": { "application/json": {} } },
                "401": { "description": "Not signed in" },
                "403": { "description": "The role does not allow this" },
                "404": { "description": "Not found, or not visible to this person" },
            },
        });
        let entry = paths
            .entry(rule.path.to_owned())
            .or_insert_with(|| json!({}));
        entry[rule.method.to_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Lantern API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Reads of the analysis and visits, as the signed-in person may see them. Sign in through /login; the session cookie authenticates every call.",
        },
        "components": {
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": "lantern_session" }
            }
        },
        "paths": paths,
    })
}
