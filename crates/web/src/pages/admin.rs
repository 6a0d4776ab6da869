//! Organisations and accounts: the auditor reads, the administrator changes.

use axum::extract::{Extension, Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lantern_access::{OrgKind, Permission, Role};
use lantern_app::accounts::{self, AccountError, NewAccount};
use lantern_app::auth::Session;
use maud::html;
use serde::Deserialize;

use super::layout::{csrf, forbidden, message, page_with_status};
use super::{server_error, signed_in, to_login};
use crate::AppState;
use crate::guard::Viewer;

fn account_error(session: &Session, e: &AccountError) -> Response {
    match e {
        AccountError::Invalid { field, reason } => message(
            Some(session),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not saved",
            &format!("{field}: {reason}"),
        ),
        AccountError::Refused(_) => forbidden(Some(session)),
        other => server_error(&other.to_string()),
    }
}

/// The organisations and accounts page.
pub async fn admin(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
) -> Response {
    let Some(session) = signed_in(&viewer) else {
        return to_login();
    };
    let p = &session.principal;
    let (orgs, users) = match (
        accounts::organisations(&state.store, p).await,
        accounts::users(&state.store, p).await,
    ) {
        (Ok(o), Ok(u)) => (o, u),
        (Err(e), _) | (_, Err(e)) => return account_error(session, &e),
    };
    let manage = p.can(Permission::ManageAccounts);
    let body = html! {
        h1 { "Organisations and accounts" }
        section {
            h2 { "Organisations" }
            table.list {
                thead { tr { th { "Name" } th { "Kind" } } }
                tbody { @for o in &orgs { tr { td { (o.name) } td { (o.kind) } } } }
            }
            @if manage {
                form.stack method="post" action="/admin/organisations" {
                    (csrf(session))
                    label { "Name" input name="name" required maxlength="200"; }
                    label { "Kind" select name="kind" { @for k in OrgKind::ALL { option value=(k.code()) { (k.code()) } } } }
                    button type="submit" { "Add organisation" }
                }
            }
        }
        section {
            h2 { "Accounts" }
            table.list {
                thead { tr { th { "User" } th { "Organisation" } th { "Role" } th { "State" } @if manage { th {} } } }
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.username) }
                            td { (u.org_name) }
                            td { (Role::parse(&u.role).map_or_else(|| u.role.clone(), |r| r.label().to_owned())) }
                            td { @if u.active { "active" } @else { "disabled" } }
                            @if manage {
                                td {
                                    form.inline method="post" action=(format!("/admin/users/{}/{}", u.username, if u.active { "disable" } else { "enable" })) {
                                        (csrf(session))
                                        button.link type="submit" { @if u.active { "Disable" } @else { "Enable" } }
                                    }
                                    " · "
                                    form.inline method="post" action=(format!("/admin/users/{}/reset", u.username)) {
                                        (csrf(session))
                                        button.link type="submit" { "Reset password" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if manage {
                form.stack method="post" action="/admin/users" {
                    (csrf(session))
                    label { "User name" input name="username" required autocomplete="off"; }
                    label { "Organisation" select name="organisation" { @for o in &orgs { option value=(o.name) { (o.name) } } } }
                    label { "Role" select name="role" { @for r in Role::ALL { option value=(r.code()) { (r.label()) } } } }
                    label { "First password (at least 12 characters; give it to them in person)" input type="password" name="password" required autocomplete="new-password"; }
                    button type="submit" { "Add account" }
                }
            }
        }
    };
    page_with_status(Some(session), "Admin", &body, StatusCode::OK)
}

/// The add-organisation form.
#[derive(Deserialize)]
pub struct OrgForm {
    name: String,
    kind: String,
}

/// Adds an organisation.
pub async fn add_organisation(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Form(form): Form<OrgForm>,
) -> Response {
    let Some(session) = signed_in(&viewer) else {
        return to_login();
    };
    match accounts::add_organisation(&state.store, &session.principal, &form.name, &form.kind).await
    {
        Ok(_) => Redirect::to("/admin").into_response(),
        Err(e) => account_error(session, &e),
    }
}

/// The add-account form.
#[derive(Deserialize)]
pub struct UserForm {
    username: String,
    organisation: String,
    role: String,
    password: String,
}

/// Adds an account.
pub async fn add_user(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Form(form): Form<UserForm>,
) -> Response {
    let Some(session) = signed_in(&viewer) else {
        return to_login();
    };
    let new = NewAccount {
        username: form.username,
        organisation: form.organisation,
        role: form.role,
        password: form.password,
    };
    match accounts::add_user(&state.store, &session.principal, &new).await {
        Ok(_) => Redirect::to("/admin").into_response(),
        Err(e) => account_error(session, &e),
    }
}

async fn set_active(state: &AppState, viewer: &Viewer, name: &str, active: bool) -> Response {
    let Some(session) = signed_in(viewer) else {
        return to_login();
    };
    match accounts::set_active(&state.store, &session.principal, name, active).await {
        Ok(()) => Redirect::to("/admin").into_response(),
        Err(e) => account_error(session, &e),
    }
}

/// Disables an account; its sessions end at once.
pub async fn disable_user(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(name): Path<String>,
) -> Response {
    set_active(&state, &viewer, &name, false).await
}

/// Enables an account.
pub async fn enable_user(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(name): Path<String>,
) -> Response {
    set_active(&state, &viewer, &name, true).await
}

/// Sets a new, generated password (shown once) and ends the account's sessions.
pub async fn reset_user(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(name): Path<String>,
) -> Response {
    let Some(session) = signed_in(&viewer) else {
        return to_login();
    };
    let password = match accounts::generate_password() {
        Ok(p) => p,
        Err(e) => return account_error(session, &e),
    };
    match accounts::reset_password(&state.store, &session.principal, &name, &password).await {
        Ok(()) => {
            let body = html! {
                h1 { "New password" }
                p { "The new password for " strong { (name) } " is shown once. Give it to them in person; their sessions have ended." }
                p.note { code { (password) } }
                p { a href="/admin" { "Back to accounts" } }
            };
            page_with_status(Some(session), "New password", &body, StatusCode::OK)
        }
        Err(e) => account_error(session, &e),
    }
}
