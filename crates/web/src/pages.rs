//! The pages: each handler asks `lantern-app` for what the signed-in person may see and renders
//! it with maud, which escapes every value it prints. No inline script or style: the stylesheet
//! is served from `/static`, and the pages work without JavaScript.

mod admin;
mod audit_log;
mod layout;
mod locations;
mod search;
mod visit;

use axum::extract::{Extension, Form, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_access::{Permission, Refused};
use lantern_app::auth::{self, LoginError, Session};
use lantern_app::views::ViewError;
use lantern_store::Operation;
use maud::html;
use serde::Deserialize;

pub use admin::{add_organisation, add_user, admin, disable_user, enable_user, reset_user};
pub use audit_log::audit_log;
pub(crate) use layout::{forbidden, not_found, refused_csrf, server_error};
pub use locations::{cluster, location, locations, overview, plan, reveal_cluster, share};
pub use search::search;
pub use visit::{record_visit, visit_form};

use crate::AppState;
use crate::audit;
use crate::guard::{self, ClientAddress, LOGIN_COOKIE, Viewer};
use layout::page;

/// The signed-in session of a route that requires one (the guard has checked it is there).
pub(crate) fn signed_in(viewer: &Viewer) -> Option<&Session> {
    viewer.0.as_ref()
}

/// Where a request without a session goes.
pub(crate) fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

/// The page for a failed read or change.
pub(crate) fn view_error(session: &Session, e: &ViewError) -> Response {
    match e {
        ViewError::Refused(Refused::NotFound) => not_found_for(Some(session)),
        ViewError::Refused(Refused::Forbidden) => forbidden(Some(session)),
        ViewError::Invalid { field, reason } => layout::message(
            Some(session),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not saved",
            &format!("{field}: {reason}"),
        ),
        ViewError::Store(_) | ViewError::Corrupt(_) => server_error(&e.to_string()),
    }
}

/// 404 with the navigation of a signed-in person.
pub(crate) fn not_found_for(session: Option<&Session>) -> Response {
    layout::message(
        session,
        StatusCode::NOT_FOUND,
        "Not found",
        "There is nothing here, or nothing you may see.",
    )
}

/// The stylesheet.
pub async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("static/lantern.css"),
    )
        .into_response()
}

/// Home: what this person can do.
pub async fn home(Extension(viewer): Extension<Viewer>) -> Response {
    let Some(session) = signed_in(&viewer) else {
        return to_login();
    };
    let p = &session.principal;
    let body = html! {
        h1 { "Welcome, " (p.username) }
        p.muted { (p.role.label()) ", " (session.org_name) }
        ul.cards {
            @if p.can(Permission::ViewIntelligence) {
                li { a href="/locations" { "New locations this week" } p { "Places first advertised in the last week, on a map and in a list, most concerning first." } }
            } @else if p.can(Permission::ViewSharedLeads) {
                li { a href="/locations?all=1" { "Locations shared with " (session.org_name) } p { "Leads the police analysts shared with your organisation, with their notes." } }
            }
            @if p.can(Permission::PlanVisits) {
                li { a href="/plan" { "Plan visits" } p { "Routes for your teams, most urgent first." } }
            }
            @if p.can(Permission::ViewAggregates) {
                li { a href="/overview" { "Regional overview" } p { "Counts by borough, small numbers suppressed." } }
            }
            @if p.can(Permission::ViewAuditLog) {
                li { a href="/audit" { "Audit log" } p { "Who consulted, changed, shared or exported what, and when." } }
            }
            @if p.can(Permission::ViewAccounts) {
                li { a href="/admin" { "Organisations and accounts" } p { "Who has access, and in which role." } }
            }
        }
    };
    page(Some(session), "Lantern", &body)
}

/// `?next=` of the login form.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn login_page(next: &str, token: &str, error: Option<&str>, status: StatusCode) -> Response {
    let body = html! {
        h1 { "Sign in" }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form.stack method="post" action="/login" {
            input type="hidden" name=(guard::CSRF_FIELD) value=(token);
            input type="hidden" name="next" value=(next);
            label { "User name" input name="username" autocomplete="username" required autofocus; }
            label { "Password" input type="password" name="password" autocomplete="current-password" required; }
            button type="submit" { "Sign in" }
        }
    };
    with_cookie(
        layout::page_with_status(None, "Sign in", &body, status),
        &format!("{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict"),
    )
}

/// `res` with a `Set-Cookie` header added.
fn with_cookie(mut res: Response, cookie: &str) -> Response {
    if let Ok(v) = header::HeaderValue::from_str(cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn new_login_token() -> String {
    let mut buf = [0_u8; 24];
    if auth::fill_random(&mut buf).is_err() {
        return String::new();
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// The sign-in form.
pub async fn login_form(
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = q
        .next
        .filter(|n| guard::safe_next(n))
        .unwrap_or_else(|| "/".into());
    if viewer.0.is_some() {
        return Redirect::to(&next).into_response();
    }
    login_page(&next, &new_login_token(), None, StatusCode::OK)
}

/// The sign-in form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// Signs in and opens a new session (a new token whatever cookie came in).
pub async fn login(
    State(state): State<AppState>,
    Extension(address): Extension<ClientAddress>,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = form
        .next
        .filter(|n| guard::safe_next(n))
        .unwrap_or_else(|| "/".into());
    match auth::login(
        &state.store,
        &form.username,
        &form.password,
        &address.0,
        state.now(),
    )
    .await
    {
        Ok(signed) => {
            let event = audit::by_session(Operation::SignIn, &signed.session, &address.0);
            if let Err(e) = audit::record(&state, &event).await {
                return server_error(&e.to_string());
            }
            let cookie = guard::set_cookie(
                &state,
                guard::session_cookie_name(&state),
                &signed.token,
                None,
            );
            with_cookie(Redirect::to(&next).into_response(), &cookie)
        }
        Err(e @ (LoginError::BadCredentials | LoginError::TooManyAttempts)) => {
            let why = e.to_string();
            let event = audit::failed_sign_in(&form.username, &address.0, &why);
            if let Err(e) = audit::record(&state, &event).await {
                return server_error(&e.to_string());
            }
            let status = if matches!(e, LoginError::TooManyAttempts) {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNAUTHORIZED
            };
            login_page(&next, &new_login_token(), Some(&why), status)
        }
        Err(e) => server_error(&e.to_string()),
    }
}

/// Signs out: the session ends in the store and the cookie is cleared.
pub async fn logout(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Extension(address): Extension<ClientAddress>,
) -> Response {
    if let Some(s) = &viewer.0 {
        if let Err(e) = auth::logout(&state.store, s).await {
            return server_error(&e.to_string());
        }
        let event = audit::by_session(Operation::SignOut, s, &address.0);
        if let Err(e) = audit::record(&state, &event).await {
            return server_error(&e.to_string());
        }
    }
    let cookie = guard::set_cookie(&state, guard::session_cookie_name(&state), "", Some(0));
    with_cookie(Redirect::to("/login").into_response(), &cookie)
}
