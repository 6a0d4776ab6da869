//! The audit log for auditors: events newest first, filtered by person, operation, object and
//! date. Reading it is itself an event.

use axum::extract::{Extension, Query, State};
use axum::response::Response;
use lantern_core::Timestamp;
use lantern_store::{AuditFilter, Operation};
use maud::html;
use serde::Deserialize;

use super::layout::{message, page};
use super::{signed_in, to_login, view_error};
use crate::AppState;
use crate::guard::{ClientAddress, Viewer};

/// Most events shown at once.
const MOST: i64 = 1_000;

/// The filters (every one optional; empty fields are ignored).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    operation: String,
    #[serde(default)]
    object: String,
    /// A date, `YYYY-MM-DD` (UTC).
    #[serde(default)]
    since: String,
    #[serde(default)]
    limit: Option<i64>,
}

fn filled(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// The audit log page.
pub async fn audit_log(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Extension(address): Extension<ClientAddress>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(session) = signed_in(&viewer) else {
        return to_login();
    };
    let Ok(Query(q)) = query else {
        return message(
            Some(session),
            axum::http::StatusCode::BAD_REQUEST,
            "Audit log",
            "The filters could not be read: use the form.",
        );
    };
    let operation = match filled(&q.operation) {
        None => None,
        Some(text) => match Operation::parse(&text) {
            Some(op) => Some(op),
            None => {
                return message(
                    Some(session),
                    axum::http::StatusCode::BAD_REQUEST,
                    "Audit log",
                    "Unknown operation: choose one from the list.",
                );
            }
        },
    };
    let since = match filled(&q.since) {
        None => None,
        Some(day) => match Timestamp::parse(&format!("{day}T00:00:00Z")) {
            Ok(t) => Some(t),
            Err(_) => {
                return message(
                    Some(session),
                    axum::http::StatusCode::BAD_REQUEST,
                    "Audit log",
                    "The date must be written YYYY-MM-DD.",
                );
            }
        },
    };
    let filter = AuditFilter {
        actor: filled(&q.actor),
        operation,
        since,
        object_id: filled(&q.object),
        limit: q.limit.unwrap_or(100).clamp(1, MOST),
    };
    let reader = crate::audit::by_session(Operation::Consult, session, &address.0);
    let events =
        match lantern_app::audit::read_for(&state.store, &session.principal, reader, &filter).await
        {
            Ok(events) => events,
            Err(e) => return view_error(session, &e),
        };
    let text = |o: &Option<String>| o.clone().unwrap_or_default();
    let body = html! {
        h1 { "Audit log" }
        p.muted { "Every consultation, change, disclosure, combination, erasure and export of personal data, sign-ins and refusals; newest first. Each event is chained to the one before by hash: check the whole chain with " code { "lantern audit verify" } ". Your reading of this page is recorded too." }
        form.filters method="get" action="/audit" {
            label { "Person " input type="text" name="actor" value=(text(&filter.actor)); }
            label { "Operation "
                select name="operation" {
                    option value="" { "any" }
                    @for op in Operation::ALL {
                        option value=(op.as_str()) selected[filter.operation == Some(op)] { (op.as_str().replace('_', " ")) }
                    }
                }
            }
            label { "Object id " input type="text" name="object" value=(text(&filter.object_id)); }
            label { "Since " input type="date" name="since" value=(q.since.trim()); }
            button type="submit" { "Show" }
        }
        p { (events.len()) " event(s)" @if events.len() as i64 == filter.limit { " (the most shown at once; narrow the filters)" } }
        div.scroll {
            table.list {
                thead { tr { th { "#" } th { "When (UTC)" } th { "Operation" } th { "Person" } th { "Organisation, role" } th { "Object" } th { "Rows" } th { "Purpose, recipient" } th { "From" } th { "Detail" } } }
                tbody {
                    @for e in &events {
                        @let v = &e.event;
                        tr {
                            td { (e.id) }
                            td { (v.at.to_string().get(..19).unwrap_or_default().replace('T', " ")) }
                            td { (v.operation.as_str().replace('_', " ")) }
                            td { (v.actor) }
                            td { @if let Some(org) = &v.organisation { "org " (org) " · " } (text(&v.role)) }
                            td { (text(&v.object_type)) " " (text(&v.object_id)) }
                            td { @if let Some(n) = v.row_count { (n) } }
                            td { (text(&v.purpose)) " " (text(&v.recipient)) }
                            td { (text(&v.source)) }
                            td { (text(&v.detail)) }
                        }
                    }
                }
            }
        }
    };
    page(Some(session), "Audit log", &body)
}
