//! The web's audit events: what the guard records of a successful call (a consultation, a
//! share, an account change) and of a refusal, and the sign-in events. Each names the person,
//! their organisation and role, the session (the first 16 hex digits of the token's SHA-256, never
//! the token), the client's address, and the object by type and id.

use lantern_app::auth::Session;
use lantern_store::{AuditEvent, AuditStore, Operation, StoreError};

use crate::AppState;
use crate::routes::{Audited, RouteRule};

/// An event of `operation` by the person of `session`, from `address`.
pub fn by_session(operation: Operation, session: &Session, address: &str) -> AuditEvent {
    let mut event = lantern_app::audit::by_person(operation, &session.principal);
    event.session = Some(session.token_hash.chars().take(16).collect());
    event.source = Some(address.to_owned());
    event
}

/// The value of the path's parameter (`{id}`, `{name}`) in the requested `path`.
fn parameter(rule: &RouteRule, path: &str) -> Option<String> {
    rule.path
        .split('/')
        .zip(path.split('/'))
        .find(|(pattern, _)| pattern.starts_with('{'))
        .map(|(_, value)| value.to_owned())
}

/// What the guard records once `rule`'s handler answered successfully: a consultation of the
/// path's parameter (else `list`), when the rule says so.
pub fn after_success(
    rule: &RouteRule,
    session: &Session,
    address: &str,
    path: &str,
) -> Option<AuditEvent> {
    let Audited::Consult(kind) = rule.audit else {
        return None;
    };
    let id = parameter(rule, path).unwrap_or_else(|| "list".to_owned());
    let mut event = by_session(Operation::Consult, session, address).about(kind, &id);
    event.detail = Some(format!("{} {}", rule.method, rule.path));
    Some(event)
}

/// A refusal of `rule` to the person of `session`.
pub fn refusal(rule: &RouteRule, session: &Session, address: &str) -> AuditEvent {
    let mut event = by_session(Operation::Refused, session, address);
    event.detail = Some(format!("{} {}: role not allowed", rule.method, rule.path));
    event
}

/// A sign-in attempt that failed for the account name given (cut to 64 characters, control
/// characters dropped; never the password).
pub fn failed_sign_in(username: &str, address: &str, why: &str) -> AuditEvent {
    let name: String = username
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    let mut event = AuditEvent::new(
        lantern_core::Timestamp::now(),
        Operation::SignInFailed,
        &name,
    );
    event.source = Some(address.to_owned());
    event.detail = Some(why.to_owned());
    event
}

/// Appends `event`.
pub async fn record(state: &AppState, event: &AuditEvent) -> Result<(), StoreError> {
    state.store.append_audit(event).await.map(drop)
}
