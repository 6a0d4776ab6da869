//! The page frame: header with the navigation a person's role allows, and the message pages.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use lantern_access::Permission;
use lantern_app::auth::Session;
use maud::{DOCTYPE, Markup, html};

use crate::guard::CSRF_FIELD;

/// A page with status 200.
pub fn page(session: Option<&Session>, title: &str, body: &Markup) -> Response {
    page_with_status(session, title, body, StatusCode::OK)
}

/// A page with a status.
pub fn page_with_status(
    session: Option<&Session>,
    title: &str,
    body: &Markup,
    status: StatusCode,
) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                title { (title) " · Lantern" }
                link rel="stylesheet" href="/static/lantern.css";
            }
            body {
                header.top {
                    a.brand href="/" { "Lantern" }
                    @if let Some(s) = session {
                        nav {
                            @let p = &s.principal;
                            @if p.can(Permission::ViewIntelligence) || p.can(Permission::ViewSharedLeads) {
                                a href="/locations" { "Locations" }
                            }
                            @if p.can(Permission::ViewIntelligence) { a href="/search" { "Search" } }
                            @if p.can(Permission::PlanVisits) { a href="/plan" { "Plan" } }
                            @if p.can(Permission::ViewAggregates) { a href="/overview" { "Overview" } }
                            @if p.can(Permission::ViewAccounts) { a href="/admin" { "Admin" } }
                        }
                        form.inline method="post" action="/logout" {
                            input type="hidden" name=(CSRF_FIELD) value=(s.csrf);
                            span.who { (s.principal.username) }
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
                main { (body) }
                footer { "OFFICIAL-SENSITIVE · handle under the partnership's information sharing agreement" }
            }
        }
    };
    (status, Html(markup.into_string())).into_response()
}

/// A short message page.
pub fn message(session: Option<&Session>, status: StatusCode, title: &str, text: &str) -> Response {
    page_with_status(
        session,
        title,
        &html! { h1 { (title) } p { (text) } p { a href="/" { "Back to the start" } } },
        status,
    )
}

/// 403: the role does not allow it.
pub fn forbidden(session: Option<&Session>) -> Response {
    message(
        session,
        StatusCode::FORBIDDEN,
        "Not allowed",
        "Your role does not allow this. Ask your administrator if you need it.",
    )
}

/// 403: a state-changing request without a valid CSRF token or from another origin.
pub fn refused_csrf() -> Response {
    message(
        None,
        StatusCode::FORBIDDEN,
        "Refused",
        "This form has expired or did not come from Lantern. Go back, reload the page and try again.",
    )
}

/// 404 for anyone.
pub async fn not_found() -> Response {
    message(
        None,
        StatusCode::NOT_FOUND,
        "Not found",
        "There is nothing here, or nothing you may see.",
    )
}

/// 500 without detail for the browser (the detail goes to the server's log).
pub fn server_error(detail: &str) -> Response {
    eprintln!("lantern serve: error: {detail}");
    message(
        None,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "The server could not answer. The error is in the server's log.",
    )
}

/// A hidden CSRF field for a session's forms.
pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(session.csrf); }
}
