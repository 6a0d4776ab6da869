//! The visit record form: short, phone-friendly, and strict about personal data.

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lantern_app::auth::Session;
use lantern_app::views::{self, ViewError};
use lantern_app::visit::{
    OUTCOMES, Purpose, REFERRALS, VisitRequest, observable_indicators, outcome_label,
    referral_label,
};
use maud::html;

use super::layout::{csrf, page_with_status};
use super::{signed_in, to_login, view_error};
use crate::AppState;
use crate::guard::Viewer;

fn form_page(session: &Session, id: &str, error: Option<&str>, status: StatusCode) -> Response {
    let indicators = observable_indicators();
    let body = html! {
        p.crumbs { a href=(format!("/locations/{id}")) { "Back to the location" } }
        h1 { "Record a visit" }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form.stack.visit method="post" action=(format!("/locations/{id}/visit")) {
            (csrf(session))
            fieldset {
                legend { "Purpose" }
                label.check { input type="radio" name="purpose" value="safeguarding" checked; " Safeguarding" }
                label.check { input type="radio" name="purpose" value="enforcement"; " Enforcement" }
                label.check { input type="radio" name="purpose" value="joint"; " Joint" }
            }
            label { "Outcome"
                select name="outcome" required {
                    @for o in OUTCOMES { option value=(o) { (outcome_label(o)) } }
                }
            }
            fieldset {
                legend { "Referrals made" }
                @for r in REFERRALS { label.check { input type="checkbox" name="referral" value=(r); " " (referral_label(r)) } }
            }
            details {
                summary { "Indicators observed (" (indicators.len()) ")" }
                @for (code, wording, _) in &indicators {
                    label.check { input type="checkbox" name="indicator" value=(code); " " (wording) " " span.muted { (code) } }
                }
            }
            label.check { input type="checkbox" name="consent" value="1"; " The person consented to their details being recorded" }
            label { "Names (only with consent, a child, or immediate risk)" input name="names" autocomplete="off"; }
            label { "Notes (no personal details unless allowed as for names)" textarea name="notes" rows="3" maxlength="4000" {} }
            label { "Follow-up" input name="follow_up" autocomplete="off"; }
            label { "Follow-up due" input type="date" name="follow_up_due"; }
            label.check { input type="checkbox" name="closed" value="1"; " The premises are no longer in use" }
            label { "Team" input name="team" autocomplete="off"; }
            button type="submit" { "Save the visit" }
        }
    };
    page_with_status(Some(session), "Record a visit", &body, status)
}

/// The visit form.
pub async fn visit_form(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
) -> Response {
    let Some(session) = signed_in(&viewer) else {
        return to_login();
    };
    if let Err(e) = views::may_record_visit(&state.store, &session.principal, &id).await {
        return view_error(session, &e);
    }
    form_page(session, &id, None, StatusCode::OK)
}

/// Records a visit from the form (repeated fields: `referral`, `indicator`).
pub async fn record_visit(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(session) = signed_in(&viewer) else {
        return to_login();
    };
    let mut req = VisitRequest {
        location: id.clone(),
        at: Some(state.now()),
        purpose: Purpose::Safeguarding,
        outcome: String::new(),
        indicators: Vec::new(),
        referrals: Vec::new(),
        follow_up: None,
        follow_up_due: None,
        consent: false,
        names: None,
        notes: None,
        closed: false,
        team: None,
        recorded_by: String::new(),
        org_id: None,
    };
    let text = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "purpose" => {
                req.purpose = match v.as_ref() {
                    "enforcement" => Purpose::Enforcement,
                    "joint" => Purpose::Joint,
                    _ => Purpose::Safeguarding,
                }
            }
            "outcome" => req.outcome = v.into_owned(),
            "referral" => req.referrals.push(v.into_owned()),
            "indicator" => req.indicators.push(v.into_owned()),
            "consent" => req.consent = v == "1",
            "closed" => req.closed = v == "1",
            "names" => req.names = text(&v),
            "notes" => req.notes = text(&v),
            "follow_up" => req.follow_up = text(&v),
            "follow_up_due" => req.follow_up_due = text(&v),
            "team" => req.team = text(&v),
            _ => {}
        }
    }
    match views::record_visit(&state.store, &session.principal, req).await {
        Ok(_) => Redirect::to(&format!("/locations/{id}")).into_response(),
        Err(ViewError::Invalid { field, reason }) => form_page(
            session,
            &id,
            Some(&format!("{field}: {reason}")),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => view_error(session, &e),
    }
}
