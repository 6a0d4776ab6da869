//! The audit log as the use cases write and read it (DPA 2018 s.62): who did what to which
//! object, for the command line and the web alike. Events that record a change are written in
//! that change's transaction by the store; this module builds them, and reads and verifies the
//! log. Reading the log is itself an event (a consultation of `audit_log`).

use lantern_access::Principal;
use lantern_core::Timestamp;
use lantern_store::{
    AuditEvent, AuditFilter, AuditStore, Operation, Store, StoreError, StoredAuditEvent,
    Verification,
};

use crate::Actor;

/// An event of `operation` by the command-line operator, now.
pub fn by_operator(operation: Operation, actor: &Actor) -> AuditEvent {
    let mut event = AuditEvent::new(Timestamp::now(), operation, actor.as_str());
    event.role = Some("operator".into());
    event
}

/// An event of `operation` by a signed-in person, now.
pub fn by_person(operation: Operation, who: &Principal) -> AuditEvent {
    let mut event = AuditEvent::new(Timestamp::now(), operation, &who.username);
    event.organisation = Some(who.org_id.to_string());
    event.role = Some(who.role.code().to_owned());
    event
}

/// The events matching `filter` (newest first), read by `reader`: the reading is logged first,
/// with how many events it returned.
pub async fn query(
    store: &Store,
    reader: AuditEvent,
    filter: &AuditFilter,
) -> Result<Vec<StoredAuditEvent>, StoreError> {
    let events = store.audit_events(filter).await?;
    let mut reading = reader
        .about("audit_log", "events")
        .rows(events.len() as u64);
    reading.operation = Operation::Consult;
    reading.detail = Some(describe_filter(filter));
    store.append_audit(&reading).await?;
    Ok(events)
}

/// The events matching `filter` for a signed-in person: auditors only; the reading is logged as
/// `reader` (built from the person's session) with the filter and the count.
pub async fn read_for(
    store: &Store,
    who: &Principal,
    reader: AuditEvent,
    filter: &AuditFilter,
) -> Result<Vec<StoredAuditEvent>, crate::views::ViewError> {
    who.require(lantern_access::Permission::ViewAuditLog)?;
    Ok(query(store, reader, filter).await?)
}

/// Recomputes the chain.
pub async fn verify(store: &Store) -> Result<Verification, StoreError> {
    store.verify_audit().await
}

/// A filter in words, for the reading's own event (no content: names and codes only).
fn describe_filter(f: &AuditFilter) -> String {
    let mut parts = Vec::new();
    if let Some(a) = &f.actor {
        parts.push(format!("actor={a}"));
    }
    if let Some(o) = f.operation {
        parts.push(format!("operation={}", o.as_str()));
    }
    if let Some(s) = f.since {
        parts.push(format!("since={s}"));
    }
    if let Some(o) = &f.object_id {
        parts.push(format!("object={o}"));
    }
    parts.push(format!("limit={}", f.limit));
    parts.join(" ")
}
