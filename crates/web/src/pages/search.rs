//! Search over listings, for intelligence roles.

use axum::extract::{Extension, Query, State};
use axum::response::Response;
use lantern_app::views;
use maud::html;
use serde::Deserialize;

use super::layout::page;
use super::{signed_in, to_login, view_error};
use crate::AppState;
use crate::guard::Viewer;

/// `?q=`.
#[derive(Debug, Deserialize, Default)]
pub struct SearchQuery {
    q: Option<String>,
}

/// The search page: a phone number, e-mail, handle, place, postcode, indicator code or words of
/// an advert.
pub async fn search(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<SearchQuery>,
) -> Response {
    let Some(session) = signed_in(&viewer) else {
        return to_login();
    };
    let query = q.q.unwrap_or_default();
    let results = if query.trim().is_empty() {
        None
    } else {
        let pseudonyms = match state.pseudonyms().await {
            Ok(p) => p,
            Err(e) => return view_error(session, &e),
        };
        match views::search(&state.store, &session.principal, &query, pseudonyms).await {
            Ok(r) => Some(r),
            Err(e) => return view_error(session, &e),
        }
    };
    let body = html! {
        h1 { "Search listings" }
        form.filters method="get" action="/search" role="search" {
            label { "Phone, e-mail, handle, place, postcode, indicator code or words"
                input type="search" name="q" value=(query) maxlength="200" autofocus;
            }
            button type="submit" { "Search" }
        }
        @if let Some(r) = &results {
            p.muted {
                (r.adverts.len()) " listing(s)" @if r.truncated { " (the first " (r.adverts.len()) " shown: narrow the search)" }
                " for " @for t in &r.terms { code { (t) } " " }
            }
            @if !r.adverts.is_empty() {
                table.list {
                    thead { tr { th { "Listing" } th { "Advertiser" } th { "Band" } th { "First seen" } th { "Last seen" } th { "Phones" } } }
                    tbody {
                        @for a in &r.adverts {
                            tr {
                                td { (a.source) " · " (a.external_id) }
                                td { a href=(format!("/clusters/{}", a.cluster)) { (a.cluster) } }
                                td { span class=(format!("band {}", serde_json::to_value(a.risk_band).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())) { (serde_json::to_value(a.risk_band).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()) } }
                                td { (a.first_seen.date()) }
                                td { (a.last_seen.date()) }
                                td { (a.phones.join(", ")) }
                            }
                        }
                    }
                }
            }
        }
    };
    page(Some(session), "Search", &body)
}
