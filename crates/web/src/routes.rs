//! Every route with the permission it needs: the one table the authorisation tests read. A route
//! without a rule, or a rule without a route, stops the router from building.

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{MethodRouter, get, post};
use lantern_access::{Permission, Role};

use crate::AppState;
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

/// Every route of the application.
pub const RULES: &[RouteRule] = &[
    RouteRule {
        method: "GET",
        path: "/",
        any_of: &[SignedIn],
        purpose: "home: what this person can do",
    },
    RouteRule {
        method: "GET",
        path: "/login",
        any_of: &[Public],
        purpose: "sign-in form",
    },
    RouteRule {
        method: "POST",
        path: "/login",
        any_of: &[Public],
        purpose: "sign in",
    },
    RouteRule {
        method: "POST",
        path: "/logout",
        any_of: &[SignedIn],
        purpose: "sign out",
    },
    RouteRule {
        method: "GET",
        path: "/static/lantern.css",
        any_of: &[Public],
        purpose: "stylesheet",
    },
    RouteRule {
        method: "GET",
        path: "/locations",
        any_of: SEE_LOCATIONS,
        purpose: "new locations: map and list",
    },
    RouteRule {
        method: "GET",
        path: "/locations/{id}",
        any_of: SEE_LOCATIONS,
        purpose: "a location: reasons, timeline, listings, visits",
    },
    RouteRule {
        method: "POST",
        path: "/locations/{id}/share",
        any_of: &[ShareLeads],
        purpose: "share a location with a partner",
    },
    RouteRule {
        method: "GET",
        path: "/locations/{id}/visit",
        any_of: &[RecordVisits],
        purpose: "visit record form",
    },
    RouteRule {
        method: "POST",
        path: "/locations/{id}/visit",
        any_of: &[RecordVisits],
        purpose: "record a visit",
    },
    RouteRule {
        method: "GET",
        path: "/clusters/{id}",
        any_of: &[ViewIntelligence],
        purpose: "a cluster: listings, template, identifiers, movement",
    },
    RouteRule {
        method: "GET",
        path: "/plan",
        any_of: &[PlanVisits],
        purpose: "visit plan",
    },
    RouteRule {
        method: "GET",
        path: "/overview",
        any_of: &[ViewAggregates],
        purpose: "regional counts, small numbers suppressed",
    },
    RouteRule {
        method: "GET",
        path: "/admin",
        any_of: &[ViewAccounts],
        purpose: "organisations and accounts",
    },
    RouteRule {
        method: "POST",
        path: "/admin/organisations",
        any_of: &[ManageAccounts],
        purpose: "add an organisation",
    },
    RouteRule {
        method: "POST",
        path: "/admin/users",
        any_of: &[ManageAccounts],
        purpose: "add an account",
    },
    RouteRule {
        method: "POST",
        path: "/admin/users/{name}/disable",
        any_of: &[ManageAccounts],
        purpose: "disable an account",
    },
    RouteRule {
        method: "POST",
        path: "/admin/users/{name}/enable",
        any_of: &[ManageAccounts],
        purpose: "enable an account",
    },
];

/// Every route's handler.
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
        ("GET", "/plan", get(pages::plan)),
        ("GET", "/overview", get(pages::overview)),
        ("GET", "/admin", get(pages::admin)),
        (
            "POST",
            "/admin/organisations",
            post(pages::add_organisation),
        ),
        ("POST", "/admin/users", post(pages::add_user)),
        (
            "POST",
            "/admin/users/{name}/disable",
            post(pages::disable_user),
        ),
        (
            "POST",
            "/admin/users/{name}/enable",
            post(pages::enable_user),
        ),
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
