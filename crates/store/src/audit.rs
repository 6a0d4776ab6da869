//! The audit log (DPA 2018 s.62): append-only events chained by hash. One contract
//! ([`AuditStore`]), both backends; an event recording a change is appended inside that change's
//! transaction (`append_audit!`), an event that records only a reading or a refusal on its own.
//!
//! Chain: event `n`'s hash is SHA-256 over the previous event's hash and event `n`'s fields
//! (id, time, operation, who, what), each length-prefixed. `audit_head` holds the last id and
//! hash; appending updates it first, which takes the write lock (SQLite) or the row lock
//! (PostgreSQL) so that two appenders cannot both chain onto the same event.

use lantern_core::Timestamp;
use sha2::{Digest, Sha256};

use crate::error::Result;

/// What an event records (s.62's operations, and the access-control events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Personal data collected (ingested, a visit recorded).
    Collect,
    /// Personal data or an account altered.
    Alter,
    /// Personal data read (a page, an API answer, the audit log itself).
    Consult,
    /// Personal data given to another organisation (a location shared).
    Disclose,
    /// Records linked or merged (an analysis).
    Combine,
    /// Personal data erased (retention).
    Erase,
    /// Records written out (an export), with the row count.
    Export,
    /// Access beyond one's role for a threat to life.
    BreakGlass,
    /// A successful sign-in.
    SignIn,
    /// A failed sign-in.
    SignInFailed,
    /// A sign-out.
    SignOut,
    /// A request refused by access control.
    Refused,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Self; 12] = [
        Self::Collect,
        Self::Alter,
        Self::Consult,
        Self::Disclose,
        Self::Combine,
        Self::Erase,
        Self::Export,
        Self::BreakGlass,
        Self::SignIn,
        Self::SignInFailed,
        Self::SignOut,
        Self::Refused,
    ];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Collect => "collect",
            Self::Alter => "alter",
            Self::Consult => "consult",
            Self::Disclose => "disclose",
            Self::Combine => "combine",
            Self::Erase => "erase",
            Self::Export => "export",
            Self::BreakGlass => "break_glass",
            Self::SignIn => "sign_in",
            Self::SignInFailed => "sign_in_failed",
            Self::SignOut => "sign_out",
            Self::Refused => "refused",
        }
    }

    /// The operation stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == text)
    }
}

/// One event to append. Names objects by type and id; never holds content, secrets or erased
/// data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When (UTC).
    pub at: Timestamp,
    /// What was done.
    pub operation: Operation,
    /// Who: a login, or `cli:<name>` for the command line.
    pub actor: String,
    /// The actor's organisation, when known.
    pub organisation: Option<String>,
    /// The actor's role, when known.
    pub role: Option<String>,
    /// The web session (an identifier derived from the token, never the token).
    pub session: Option<String>,
    /// The client's address.
    pub source: Option<String>,
    /// What kind of object (`location`, `cluster`, `export`, `analysis`…).
    pub object_type: Option<String>,
    /// Which object.
    pub object_id: Option<String>,
    /// Why (a purpose code).
    pub purpose: Option<String>,
    /// To whom, for a disclosure.
    pub recipient: Option<String>,
    /// How many rows, for an export or a bulk change.
    pub row_count: Option<i64>,
    /// A short note without content (e.g. the route).
    pub detail: Option<String>,
}

impl AuditEvent {
    /// An event of `operation` by `actor` at `at`, with every other field empty.
    pub fn new(at: Timestamp, operation: Operation, actor: &str) -> Self {
        Self {
            at,
            operation,
            actor: actor.to_owned(),
            organisation: None,
            role: None,
            session: None,
            source: None,
            object_type: None,
            object_id: None,
            purpose: None,
            recipient: None,
            row_count: None,
            detail: None,
        }
    }

    /// The same event about object `id` of `kind`.
    pub fn about(mut self, kind: &str, id: &str) -> Self {
        self.object_type = Some(kind.to_owned());
        self.object_id = Some(id.to_owned());
        self
    }

    /// The same event with a row count.
    pub fn rows(mut self, count: u64) -> Self {
        self.row_count = Some(i64::try_from(count).unwrap_or(i64::MAX));
        self
    }
}

/// A stored event with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAuditEvent {
    /// Position in the chain, from 1.
    pub id: i64,
    /// The event.
    pub event: AuditEvent,
    /// The previous event's hash (32 zero bytes for the first).
    pub prev_hash: Vec<u8>,
    /// This event's hash.
    pub hash: Vec<u8>,
}

/// Which events to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this actor's.
    pub actor: Option<String>,
    /// Only this operation.
    pub operation: Option<Operation>,
    /// Only events at or after this time.
    pub since: Option<Timestamp>,
    /// Only events about this object id.
    pub object_id: Option<String>,
    /// At most this many, newest first.
    pub limit: i64,
}

/// What verifying the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every event chains to the one before and the head names the last.
    Intact {
        /// Events checked.
        events: u64,
    },
    /// The first event whose link is broken, and how.
    Broken {
        /// Its id (or the id where one is missing).
        id: i64,
        /// What is wrong.
        reason: String,
    },
}

/// The hash of event `id` chained onto `prev`.
pub fn chain_hash(prev: &[u8], id: i64, e: &AuditEvent) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"lantern-audit\0");
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(prev);
    field(&id.to_le_bytes());
    field(e.at.to_storage_text().as_bytes());
    field(e.operation.as_str().as_bytes());
    field(e.actor.as_bytes());
    for optional in [
        &e.organisation,
        &e.role,
        &e.session,
        &e.source,
        &e.object_type,
        &e.object_id,
        &e.purpose,
        &e.recipient,
        &e.detail,
    ] {
        match optional {
            Some(text) => {
                field(b"1");
                field(text.as_bytes());
            }
            None => field(b"0"),
        }
    }
    match e.row_count {
        Some(n) => field(&n.to_le_bytes()),
        None => field(b"-"),
    }
    h.finalize().to_vec()
}

/// Checks a chain read in id order, and that the head names its last event.
pub fn verify_chain(
    events: impl IntoIterator<Item = StoredAuditEvent>,
    head: (i64, &[u8]),
) -> Verification {
    let mut prev = vec![0_u8; 32];
    let mut expected_id = 1;
    for stored in events {
        if stored.id != expected_id {
            return Verification::Broken {
                id: expected_id,
                reason: format!("event {expected_id} is missing (next is {})", stored.id),
            };
        }
        if stored.prev_hash != prev {
            return Verification::Broken {
                id: stored.id,
                reason: "its previous hash does not match the event before it".into(),
            };
        }
        if chain_hash(&prev, stored.id, &stored.event) != stored.hash {
            return Verification::Broken {
                id: stored.id,
                reason: "its fields do not match its hash (edited)".into(),
            };
        }
        prev = stored.hash;
        expected_id += 1;
    }
    let last = expected_id - 1;
    if head.0 != last || head.1 != prev.as_slice() {
        return Verification::Broken {
            id: last + 1,
            reason: format!(
                "the head names event {} but the log ends at {last} (events removed from the end)",
                head.0
            ),
        };
    }
    Verification::Intact {
        events: u64::try_from(last).unwrap_or(0),
    }
}

/// The audit log's storage.
#[allow(async_fn_in_trait)]
pub trait AuditStore {
    /// Appends one event on its own (for readings and refusals); returns its id.
    async fn append_audit(&self, event: &AuditEvent) -> Result<i64>;
    /// Events matching `filter`, newest first.
    async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<StoredAuditEvent>>;
    /// Recomputes the whole chain.
    async fn verify_audit(&self) -> Result<Verification>;
}

pub(crate) const ADVANCE_HEAD: &str =
    "UPDATE audit_head SET last_id = last_id + 1 WHERE id = 1 RETURNING last_id, last_hash";
pub(crate) const SET_HEAD_HASH: &str = "UPDATE audit_head SET last_hash = $1 WHERE id = 1";
pub(crate) const READ_HEAD: &str = "SELECT last_id, last_hash FROM audit_head WHERE id = 1";
pub(crate) const INSERT_EVENT: &str = "INSERT INTO audit_events (id, at, operation, actor, \
     organisation, role, session, source, object_type, object_id, purpose, recipient, row_count, \
     detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
     $15, $16)";
pub(crate) const EVENT_COLUMNS: &str = "SELECT id, at, operation, actor, organisation, role, \
     session, source, object_type, object_id, purpose, recipient, row_count, detail, prev_hash, \
     hash FROM audit_events";
pub(crate) const ALL_EVENTS: &str = "SELECT id, at, operation, actor, organisation, role, \
     session, source, object_type, object_id, purpose, recipient, row_count, detail, prev_hash, \
     hash FROM audit_events ORDER BY id";

/// Appends `$event` (an [`AuditEvent`]) inside the open transaction `$tx`, after the
/// transaction's own writes; evaluates to the event's id.
macro_rules! append_audit {
    ($tx:expr, $event:expr, $ts_in:expr) => {{
        let event: &$crate::audit::AuditEvent = $event;
        let head = sqlx::query($crate::audit::ADVANCE_HEAD)
            .fetch_one(&mut *$tx)
            .await
            .context("advancing the audit log")?;
        let id: i64 = head.get(0);
        let prev: Vec<u8> = head.get(1);
        let hash = $crate::audit::chain_hash(&prev, id, event);
        sqlx::query($crate::audit::INSERT_EVENT)
            .bind(id)
            .bind($ts_in(event.at))
            .bind(event.operation.as_str())
            .bind(&event.actor)
            .bind(&event.organisation)
            .bind(&event.role)
            .bind(&event.session)
            .bind(&event.source)
            .bind(&event.object_type)
            .bind(&event.object_id)
            .bind(&event.purpose)
            .bind(&event.recipient)
            .bind(event.row_count)
            .bind(&event.detail)
            .bind(prev.as_slice())
            .bind(hash.as_slice())
            .execute(&mut *$tx)
            .await
            .context("writing an audit event")?;
        sqlx::query($crate::audit::SET_HEAD_HASH)
            .bind(hash.as_slice())
            .execute(&mut *$tx)
            .await
            .context("advancing the audit log")?;
        id
    }};
}
pub(crate) use append_audit;

/// Implements [`AuditStore`] for a backend (`$ts_in`/`$ts_out` its timestamp conversions).
macro_rules! audit_store_impl {
    ($store:ty, $db:ty, $ts_in:expr, $ts_out:expr) => {
        impl $store {
            fn audit_row(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::audit::StoredAuditEvent> {
                let operation: String = row.get(2);
                let operation = $crate::audit::Operation::parse(&operation).ok_or_else(|| {
                    StoreError::Corrupt(format!("audit event of operation {operation:?}"))
                })?;
                Ok($crate::audit::StoredAuditEvent {
                    id: row.get(0),
                    event: $crate::audit::AuditEvent {
                        at: $ts_out(row.get(1))?,
                        operation,
                        actor: row.get(3),
                        organisation: row.get(4),
                        role: row.get(5),
                        session: row.get(6),
                        source: row.get(7),
                        object_type: row.get(8),
                        object_id: row.get(9),
                        purpose: row.get(10),
                        recipient: row.get(11),
                        row_count: row.get(12),
                        detail: row.get(13),
                    },
                    prev_hash: row.get(14),
                    hash: row.get(15),
                })
            }
        }

        impl $crate::audit::AuditStore for $store {
            async fn append_audit(&self, event: &$crate::audit::AuditEvent) -> Result<i64> {
                let mut tx = self.pool.begin().await.context("starting an audit write")?;
                let id = $crate::audit::append_audit!(tx, event, $ts_in);
                tx.commit().await.context("committing an audit event")?;
                Ok(id)
            }

            async fn audit_events(
                &self,
                filter: &$crate::audit::AuditFilter,
            ) -> Result<Vec<$crate::audit::StoredAuditEvent>> {
                let mut q = sqlx::QueryBuilder::<$db>::new($crate::audit::EVENT_COLUMNS);
                q.push(" WHERE 1 = 1");
                if let Some(actor) = &filter.actor {
                    q.push(" AND actor = ").push_bind(actor.clone());
                }
                if let Some(operation) = filter.operation {
                    q.push(" AND operation = ").push_bind(operation.as_str());
                }
                if let Some(since) = filter.since {
                    q.push(" AND at >= ").push_bind($ts_in(since));
                }
                if let Some(object) = &filter.object_id {
                    q.push(" AND object_id = ").push_bind(object.clone());
                }
                q.push(" ORDER BY id DESC LIMIT ")
                    .push_bind(filter.limit.max(0));
                let rows = q
                    .build()
                    .fetch_all(&self.pool)
                    .await
                    .context("reading the audit log")?;
                rows.iter().map(Self::audit_row).collect()
            }

            async fn verify_audit(&self) -> Result<$crate::audit::Verification> {
                let head = sqlx::query($crate::audit::READ_HEAD)
                    .fetch_one(&self.pool)
                    .await
                    .context("reading the audit head")?;
                let head: (i64, Vec<u8>) = (head.get(0), head.get(1));
                let mut events = Vec::new();
                let mut rows = sqlx::query($crate::audit::ALL_EVENTS).fetch(&self.pool);
                while let Some(row) = rows.try_next().await.context("reading the audit log")? {
                    events.push(Self::audit_row(&row)?);
                }
                Ok($crate::audit::verify_chain(events, (head.0, &head.1)))
            }
        }
    };
}
pub(crate) use audit_store_impl;

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: i64) -> StoredAuditEvent {
        let e = AuditEvent::new(
            Timestamp::parse("2026-11-30T10:00:00Z").unwrap(),
            Operation::Consult,
            "analyst1",
        )
        .about("location", &format!("loc-{n}"));
        StoredAuditEvent {
            id: n,
            event: e,
            prev_hash: Vec::new(),
            hash: Vec::new(),
        }
    }

    fn chain(n: i64) -> (Vec<StoredAuditEvent>, (i64, Vec<u8>)) {
        let mut prev = vec![0; 32];
        let mut out = Vec::new();
        for id in 1..=n {
            let mut e = event(id);
            e.prev_hash = prev.clone();
            e.hash = chain_hash(&prev, id, &e.event);
            prev = e.hash.clone();
            out.push(e);
        }
        (out, (n, prev))
    }

    #[test]
    fn a_chain_verifies_and_every_kind_of_tampering_is_named() {
        let (events, head) = chain(5);
        assert_eq!(
            verify_chain(events.clone(), (head.0, &head.1)),
            Verification::Intact { events: 5 }
        );
        let broken = |events: Vec<StoredAuditEvent>, head: (i64, Vec<u8>)| match verify_chain(
            events,
            (head.0, &head.1),
        ) {
            Verification::Broken { id, .. } => id,
            Verification::Intact { .. } => 0,
        };
        let mut edited = events.clone();
        edited[2].event.actor = "someone else".into();
        assert_eq!(broken(edited, head.clone()), 3);
        let mut removed = events.clone();
        removed.remove(1);
        assert_eq!(broken(removed, head.clone()), 2);
        let mut cut = events.clone();
        cut.pop();
        assert_eq!(broken(cut, head.clone()), 5);
        let mut rehashed = events;
        rehashed[3].event.row_count = Some(1);
        rehashed[3].hash = chain_hash(&rehashed[3].prev_hash, 4, &rehashed[3].event);
        assert_eq!(broken(rehashed, head), 5, "the next event no longer chains");
        for op in Operation::ALL {
            assert_eq!(Operation::parse(op.as_str()), Some(op));
        }
    }
}
