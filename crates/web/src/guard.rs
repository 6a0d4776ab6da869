//! What stands between a request and a handler: the session from its cookie, the route's
//! permission, the CSRF token of a state-changing request, the origin check, and the security
//! headers on every response.

use std::net::SocketAddr;

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use lantern_app::auth::{self, Session};

use crate::AppState;
use crate::audit;
use crate::pages;
use crate::routes::RouteRule;

/// The session cookie over plain HTTP (development, loopback).
pub const SESSION_COOKIE: &str = "lantern_session";
/// The session cookie behind TLS (`__Host-`: Secure, no Domain, Path=/).
pub const SESSION_COOKIE_SECURE: &str = "__Host-lantern_session";
/// The cookie that carries the login form's CSRF token before any session exists.
pub const LOGIN_COOKIE: &str = "lantern_login";
/// The form field (or `X-CSRF-Token` header) carrying a session's CSRF token.
pub const CSRF_FIELD: &str = "csrf";
/// Largest form body read, bytes.
const MAX_FORM: usize = 256 * 1024;

/// The session of the request, if any (put in the request's extensions).
#[derive(Clone)]
pub struct Viewer(pub Option<Session>);

/// The client's address (the TCP peer; a proxy's forwarded headers are not trusted).
#[derive(Clone)]
pub struct ClientAddress(pub String);

/// A cookie's value from the request's headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value for a cookie of this server.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if state.secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

/// The session cookie's name for this server.
pub fn session_cookie_name(state: &AppState) -> &'static str {
    if state.secure {
        SESSION_COOKIE_SECURE
    } else {
        SESSION_COOKIE
    }
}

/// Loads the session named by the cookie (ending it if expired) and the client's address.
pub async fn load_session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let address = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
    let token = cookie(req.headers(), session_cookie_name(&state)).map(str::to_owned);
    let session = match token {
        Some(t) => match auth::session(&state.store, &t, state.now()).await {
            Ok(s) => s,
            Err(e) => return pages::server_error(&e.to_string()),
        },
        None => None,
    };
    req.extensions_mut().insert(Viewer(session));
    req.extensions_mut().insert(ClientAddress(address));
    next.run(req).await
}

/// Whether `next` is a path of this site (never another origin: `//x`, `/\x`, `http:`).
pub fn safe_next(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.contains(['\r', '\n'])
}

/// Holds a request to its route's rule: a session when the rule needs one (else the login page,
/// or 401 for the API), the permission (else 403), the origin and CSRF token of a request that
/// changes state (else 403).
pub async fn authorise(
    State((state, rule)): State<(AppState, &'static RouteRule)>,
    req: Request,
    next: Next,
) -> Response {
    let viewer = req.extensions().get::<Viewer>().and_then(|v| v.0.clone());
    let address = req
        .extensions()
        .get::<ClientAddress>()
        .map_or_else(|| "unknown".to_owned(), |a| a.0.clone());
    let role = viewer.as_ref().map(|s| s.principal.role);
    if !rule.is_public() {
        let Some(session) = &viewer else {
            return not_signed_in(&req);
        };
        if !rule.allows(Some(session.principal.role)) {
            if let Err(e) = audit::record(&state, &audit::refusal(rule, session, &address)).await {
                return pages::server_error(&e.to_string());
            }
            if req.uri().path().starts_with("/api/") {
                return crate::api::error(StatusCode::FORBIDDEN, "your role does not allow this");
            }
            return pages::forbidden(Some(session));
        }
    } else if !rule.allows(role) {
        return pages::forbidden(viewer.as_ref());
    }
    let path = req.uri().path().to_owned();
    if req.method() == Method::GET || req.method() == Method::HEAD {
        let res = next.run(req).await;
        return consulted(&state, rule, viewer.as_ref(), &address, &path, res).await;
    }
    if !same_origin(req.headers()) {
        return pages::refused_csrf();
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response();
    };
    let sent = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| form_field(&bytes, CSRF_FIELD));
    let expected = match &viewer {
        Some(s) => Some(s.csrf.clone()),
        None => cookie(&parts.headers, LOGIN_COOKIE).map(str::to_owned),
    };
    let ok = matches!((&sent, &expected), (Some(a), Some(b)) if !b.is_empty() && auth::same_secret(a, b));
    if !ok {
        return pages::refused_csrf();
    }
    // A change writes its own audit event, in its own transaction (`Audited::ByHandler`).
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// `res`, once the audit log holds the consultation the route's successful call records (when
/// it records one); a server error instead when the event cannot be written (nothing is shown
/// that the log does not hold).
async fn consulted(
    state: &AppState,
    rule: &RouteRule,
    viewer: Option<&Session>,
    address: &str,
    path: &str,
    res: Response,
) -> Response {
    let succeeded = res.status().is_success() || res.status().is_redirection();
    let event = viewer
        .filter(|_| succeeded)
        .and_then(|session| audit::after_success(rule, session, address, path));
    match event {
        Some(event) => match audit::record(state, &event).await {
            Ok(()) => res,
            Err(e) => pages::server_error(&e.to_string()),
        },
        None => res,
    }
}

/// The answer to a request that needs a session and has none.
fn not_signed_in(req: &Request) -> Response {
    let path = req.uri().path();
    if path.starts_with("/api/") {
        return crate::api::error(StatusCode::UNAUTHORIZED, "sign in first");
    }
    if req.method() == Method::GET && safe_next(path) {
        let next: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
        Redirect::to(&format!("/login?next={next}")).into_response()
    } else {
        Redirect::to("/login").into_response()
    }
}

/// A state-changing request's `Origin` (when sent) must be this server's.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    origin == format!("http://{host}") || origin == format!("https://{host}")
}

/// One field of a URL-encoded form.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Adds the security headers to every response; data pages are never cached.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let cacheable = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, name: &'static str, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(
        h,
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, "x-content-type-options", "nosniff");
    // same-origin, not no-referrer: under no-referrer browsers send `Origin: null` on our own
    // form posts, which the origin check must refuse.
    set(h, "referrer-policy", "same-origin");
    set(h, "x-frame-options", "DENY");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(h, "cross-origin-resource-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    );
    if cacheable {
        set(h, "cache-control", "public, max-age=3600");
    } else {
        set(h, "cache-control", "no-store");
    }
    if state.secure {
        set(
            h,
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
    res
}
