//! Every route with the permission it needs: the one table the authorisation tests read. A route
//! without a rule, or a rule without a route, stops the router from building.

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{MethodRouter, get, post};
use lantern_access::{Permission, Role};
use lantern_store::Operation;

use crate::AppState;
use crate::api;
use crate::guard;
use crate::pages;

/// A route's access rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteRule {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path as routed (`{id}` for a parameter).
    pub path: &'static str,
    /// A person holding any one of these may call it ([`Permission::Public`]: anyone).
    pub any_of: &'static [Permission],
    /// What the route is for.
    pub purpose: &'static str,
    /// What the audit log records of a call that succeeds.
    pub audit: Audited,
}

/// What the audit log records of a route's successful call (DPA 2018 s.62).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audited {
    /// Nothing: the route shows no personal data (a form, the stylesheet, suppressed counts).
    Nothing,
    /// A consultation of an object of this type (the path's parameter, or `list`), written by the
    /// guard once the handler answered successfully.
    Consult(&'static str),
    /// An event of this operation written by the handler itself: in the transaction of the change
    /// it records (a visit, a share, an account change), or with the outcome only it knows
    /// (sign-in, failed sign-in, sign-out, the audit page's reading).
    ByHandler(Operation),
}

impl RouteRule {
    /// Whether anyone may call it, signed in or not.
    pub fn is_public(&self) -> bool {
        self.any_of.contains(&Permission::Public)
    }

    /// Whether a person of `role` (none: not signed in) may call it.
    pub fn allows(&self, role: Option<Role>) -> bool {
        self.any_of.iter().any(|p| p.held_by(role))
    }
}

use Permission::*;

/// Locations: intelligence roles see all, partner roles those shared with them.
const SEE_LOCATIONS: &[Permission] = &[ViewIntelligence, ViewSharedLeads];

/// A rule, briefly.
const fn rule_of(
    method: &'static str,
    path: &'static str,
    any_of: &'static [Permission],
    purpose: &'static str,
    audit: Audited,
) -> RouteRule {
    RouteRule {
        method,
        path,
        any_of,
        purpose,
        audit,
    }
}

use Audited::{ByHandler, Consult, Nothing};

/// Every route of the application: `(method, path, any of these permissions, purpose)`.
#[rustfmt::skip]
pub const RULES: &[RouteRule] = &[
    rule_of("GET", "/", &[SignedIn], "home: what this person can do", Nothing),
    rule_of("GET", "/login", &[Public], "sign-in form", Nothing),
    rule_of("POST", "/login", &[Public], "sign in", ByHandler(Operation::SignIn)),
    rule_of("POST", "/logout", &[SignedIn], "sign out", ByHandler(Operation::SignOut)),
    rule_of("GET", "/static/lantern.css", &[Public], "stylesheet", Nothing),
    rule_of("GET", "/locations", SEE_LOCATIONS, "new locations: map and list", Consult("locations")),
    rule_of("GET", "/locations/{id}", SEE_LOCATIONS, "a location: reasons, timeline, listings, visits", Consult("location")),
    rule_of("POST", "/locations/{id}/share", &[ShareLeads], "share a location with a partner", ByHandler(Operation::Disclose)),
    rule_of("GET", "/locations/{id}/visit", &[RecordVisits], "visit record form", Consult("location")),
    rule_of("POST", "/locations/{id}/visit", &[RecordVisits], "record a visit", ByHandler(Operation::Collect)),
    rule_of("GET", "/clusters/{id}", &[ViewIntelligence], "a cluster: listings, template, identifiers, movement", Consult("cluster")),
    rule_of("POST", "/clusters/{id}/reveal", &[RevealIdentifiers], "a cluster with its identifiers in full, for a declared purpose", ByHandler(Operation::Consult)),
    rule_of("GET", "/plan", &[PlanVisits], "visit plan", Consult("visit_plan")),
    rule_of("GET", "/search", &[ViewIntelligence], "search listings", Consult("search")),
    rule_of("GET", "/overview", &[ViewAggregates], "regional counts, small numbers suppressed", Nothing),
    rule_of("GET", "/admin", &[ViewAccounts], "organisations and accounts", Consult("accounts")),
    rule_of("POST", "/admin/organisations", &[ManageAccounts], "add an organisation", ByHandler(Operation::Alter)),
    rule_of("POST", "/admin/users", &[ManageAccounts], "add an account", ByHandler(Operation::Alter)),
    rule_of("POST", "/admin/users/{name}/disable", &[ManageAccounts], "disable an account", ByHandler(Operation::Alter)),
    rule_of("POST", "/admin/users/{name}/enable", &[ManageAccounts], "enable an account", ByHandler(Operation::Alter)),
    rule_of("POST", "/admin/users/{name}/reset", &[ManageAccounts], "reset an account's password", ByHandler(Operation::Alter)),
    rule_of("GET", "/audit", &[ViewAuditLog], "the audit log with filters (auditors; the reading is logged)", ByHandler(Operation::Consult)),
    rule_of("GET", "/api/locations", SEE_LOCATIONS, "locations (JSON): new this week unless new=false; borough, band", Consult("locations")),
    rule_of("GET", "/api/locations/{id}", SEE_LOCATIONS, "a location with its clusters, shares and own visits (JSON)", Consult("location")),
    rule_of("GET", "/api/clusters/{id}", &[ViewIntelligence], "a cluster with its listings and locations (JSON)", Consult("cluster")),
    rule_of("GET", "/api/search", &[ViewIntelligence], "search listings (JSON): q", Consult("search")),
    rule_of("GET", "/api/openapi.json", &[SignedIn], "this API's OpenAPI document", Nothing),
];

/// Every route's handler.
#[rustfmt::skip]
fn handlers() -> Vec<(&'static str, &'static str, MethodRouter<AppState>)> {
    vec![
        ("GET", "/", get(pages::home)),
        ("GET", "/login", get(pages::login_form)),
        ("POST", "/login", post(pages::login)),
        ("POST", "/logout", post(pages::logout)),
        ("GET", "/static/lantern.css", get(pages::stylesheet)),
        ("GET", "/locations", get(pages::locations)),
        ("GET", "/locations/{id}", get(pages::location)),
        ("POST", "/locations/{id}/share", post(pages::share)),
        ("GET", "/locations/{id}/visit", get(pages::visit_form)),
        ("POST", "/locations/{id}/visit", post(pages::record_visit)),
        ("GET", "/clusters/{id}", get(pages::cluster)),
        ("POST", "/clusters/{id}/reveal", post(pages::reveal_cluster)),
        ("GET", "/plan", get(pages::plan)),
        ("GET", "/search", get(pages::search)),
        ("GET", "/overview", get(pages::overview)),
        ("GET", "/admin", get(pages::admin)),
        ("POST", "/admin/organisations", post(pages::add_organisation)),
        ("POST", "/admin/users", post(pages::add_user)),
        ("POST", "/admin/users/{name}/disable", post(pages::disable_user)),
        ("POST", "/admin/users/{name}/enable", post(pages::enable_user)),
        ("POST", "/admin/users/{name}/reset", post(pages::reset_user)),
        ("GET", "/audit", get(pages::audit_log)),
        ("GET", "/api/locations", get(api::locations)),
        ("GET", "/api/locations/{id}", get(api::location)),
        ("GET", "/api/clusters/{id}", get(api::cluster)),
        ("GET", "/api/search", get(api::search)),
        ("GET", "/api/openapi.json", get(api::openapi)),
    ]
}

/// The rule of a route, if it has one.
pub fn rule(method: &str, path: &str) -> Option<&'static RouteRule> {
    RULES.iter().find(|r| r.method == method && r.path == path)
}

/// Every routed `(method, path)`.
pub fn routed() -> Vec<(&'static str, &'static str)> {
    handlers().into_iter().map(|(m, p, _)| (m, p)).collect()
}

/// The application: every route behind its rule, sessions loaded, headers added.
pub fn router(state: AppState) -> Result<Router, String> {
    let mut router: Router<AppState> = Router::new();
    let mut seen = Vec::new();
    for (method, path, handler) in handlers() {
        let rule =
            rule(method, path).ok_or_else(|| format!("{method} {path} has no access rule"))?;
        seen.push(rule);
        let guarded =
            handler.route_layer(from_fn_with_state((state.clone(), rule), guard::authorise));
        router = router.route(path, guarded);
    }
    if let Some(orphan) = RULES.iter().find(|r| !seen.contains(r)) {
        return Err(format!(
            "{} {} has a rule but no route",
            orphan.method, orphan.path
        ));
    }
    Ok(router
        .fallback(pages::not_found)
        .layer(from_fn_with_state(state.clone(), guard::load_session))
        .layer(from_fn_with_state(state.clone(), guard::security_headers))
        .with_state(state))
}
