//! Organisations, accounts, server-side sessions, login failures and leads shared with partner
//! organisations (migration 0004), both backends from one macro. Passwords arrive hashed and
//! session tokens arrive as their SHA-256: neither secret is ever stored.

use lantern_core::Timestamp;

use crate::error::Result;

/// A stored organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationRow {
    /// Id.
    pub id: i64,
    /// Name, unique.
    pub name: String,
    /// Kind code (`POLICE`, `NGO`, …).
    pub kind: String,
}

/// An account to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Login name, lower-case.
    pub username: String,
    /// Organisation id.
    pub org_id: i64,
    /// Role code.
    pub role: String,
    /// PHC string of the password's hash.
    pub password_hash: String,
    /// When.
    pub created_at: Timestamp,
}

/// A stored account with its organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Organisation id.
    pub org_id: i64,
    /// Organisation name.
    pub org_name: String,
    /// Organisation kind code.
    pub org_kind: String,
    /// Role code.
    pub role: String,
    /// PHC string of the password's hash.
    pub password_hash: String,
    /// Whether the account may sign in.
    pub active: bool,
    /// When it was added.
    pub created_at: Timestamp,
}

/// A session to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 (hex) of the cookie's token.
    pub token_hash: String,
    /// Whose.
    pub user_id: i64,
    /// The session's CSRF token.
    pub csrf: String,
    /// When it was opened.
    pub at: Timestamp,
    /// The client's address.
    pub address: String,
}

/// An open session with its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The account.
    pub user: UserRow,
    /// The session's CSRF token.
    pub csrf: String,
    /// When it was opened.
    pub created_at: Timestamp,
    /// When it was last used.
    pub last_seen: Timestamp,
}

/// A location shared with an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationShare {
    /// Location id.
    pub location_id: String,
    /// The organisation it is shared with.
    pub org_id: i64,
    /// The sanitised note the organisation's people see.
    pub note: String,
    /// Who shared it (user id).
    pub shared_by: i64,
    /// When.
    pub shared_at: Timestamp,
}

/// The accounts' storage.
#[allow(async_fn_in_trait)]
pub trait AccountStore {
    /// Adds an organisation; its id.
    async fn add_organisation(
        &self,
        name: &str,
        kind: &str,
        at: Timestamp,
        audit: &crate::audit::AuditEvent,
    ) -> Result<i64>;
    /// Every organisation, by name.
    async fn organisations(&self) -> Result<Vec<OrganisationRow>>;
    /// Adds an account; its id.
    async fn add_user(&self, user: &NewUser, audit: &crate::audit::AuditEvent) -> Result<i64>;
    /// An account by login name.
    async fn user(&self, username: &str) -> Result<Option<UserRow>>;
    /// Every account, by login name.
    async fn users(&self) -> Result<Vec<UserRow>>;
    /// Enables or disables an account; disabling ends its sessions in the same transaction.
    /// Whether the account exists.
    async fn set_active(
        &self,
        username: &str,
        active: bool,
        audit: &crate::audit::AuditEvent,
    ) -> Result<bool>;
    /// Replaces an account's password hash and ends its sessions, in one transaction. Whether the
    /// account exists.
    async fn set_password(
        &self,
        username: &str,
        hash: &str,
        at: Timestamp,
        audit: &crate::audit::AuditEvent,
    ) -> Result<bool>;
    /// Opens a session.
    async fn open_session(&self, session: &NewSession) -> Result<()>;
    /// A session by its token's hash, with its account.
    async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>>;
    /// Marks a session used at `at`.
    async fn touch_session(&self, token_hash: &str, at: Timestamp) -> Result<()>;
    /// Ends a session.
    async fn end_session(&self, token_hash: &str) -> Result<()>;
    /// Records a failed login (and forgets failures older than `forget_before`).
    async fn record_login_failure(
        &self,
        username: &str,
        address: &str,
        at: Timestamp,
        forget_before: Timestamp,
    ) -> Result<()>;
    /// Failed logins since `since`: for this account name, and from this address.
    async fn login_failures_since(
        &self,
        username: &str,
        address: &str,
        since: Timestamp,
    ) -> Result<(u64, u64)>;
    /// Shares a location with an organisation (replacing the note of an earlier share).
    async fn share_location(
        &self,
        share: &LocationShare,
        audit: &crate::audit::AuditEvent,
    ) -> Result<()>;
    /// The organisations a location is shared with.
    async fn shares_of_location(&self, location_id: &str) -> Result<Vec<LocationShare>>;
    /// The locations shared with an organisation.
    async fn shares_with(&self, org_id: i64) -> Result<Vec<LocationShare>>;
}

pub(crate) const ADD_ORGANISATION: &str =
    "INSERT INTO organisations (name, kind, created_at) VALUES ($1, $2, $3) RETURNING id";
pub(crate) const ORGANISATIONS: &str = "SELECT id, name, kind FROM organisations ORDER BY name";
pub(crate) const ADD_USER: &str = "INSERT INTO users (username, org_id, role, password_hash, \
     active, created_at, password_changed_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";
/// The account columns every account query selects, in the order `user_from!` reads them.
macro_rules! user_select {
    () => {
        "SELECT u.id, u.username, u.org_id, o.name, o.kind, u.role, u.password_hash, u.active, \
         u.created_at"
    };
}
pub(crate) const USER_BY_NAME: &str = concat!(
    user_select!(),
    " FROM users u JOIN organisations o ON o.id = u.org_id WHERE u.username = $1"
);
pub(crate) const USERS: &str = concat!(
    user_select!(),
    " FROM users u JOIN organisations o ON o.id = u.org_id ORDER BY u.username"
);
pub(crate) const SET_ACTIVE: &str = "UPDATE users SET active = $1 WHERE username = $2";
pub(crate) const SET_PASSWORD: &str =
    "UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE username = $3";
pub(crate) const END_USER_SESSIONS: &str =
    "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)";
pub(crate) const OPEN_SESSION: &str = "INSERT INTO sessions (token_hash, user_id, csrf, \
     created_at, last_seen, address) VALUES ($1, $2, $3, $4, $4, $5)";
pub(crate) const SESSION: &str = concat!(
    user_select!(),
    ", s.csrf, s.created_at, s.last_seen FROM sessions s JOIN users u ON u.id = s.user_id \
     JOIN organisations o ON o.id = u.org_id WHERE s.token_hash = $1"
);
pub(crate) const TOUCH_SESSION: &str = "UPDATE sessions SET last_seen = $1 WHERE token_hash = $2";
pub(crate) const END_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";
pub(crate) const ADD_FAILURE: &str =
    "INSERT INTO login_failures (username, address, at) VALUES ($1, $2, $3)";
pub(crate) const FORGET_FAILURES: &str = "DELETE FROM login_failures WHERE at < $1";
pub(crate) const COUNT_FAILURES: &str = "SELECT \
     (SELECT COUNT(*) FROM login_failures WHERE username = $1 AND at >= $3), \
     (SELECT COUNT(*) FROM login_failures WHERE address = $2 AND at >= $3)";
pub(crate) const SHARE_LOCATION: &str = "INSERT INTO location_shares (location_id, org_id, note, \
     shared_by, shared_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (location_id, org_id) \
     DO UPDATE SET note = excluded.note, shared_by = excluded.shared_by, \
     shared_at = excluded.shared_at";
pub(crate) const SHARES_OF_LOCATION: &str = "SELECT location_id, org_id, note, shared_by, \
     shared_at FROM location_shares WHERE location_id = $1 ORDER BY org_id";
pub(crate) const SHARES_WITH: &str = "SELECT location_id, org_id, note, shared_by, shared_at \
     FROM location_shares WHERE org_id = $1 ORDER BY location_id";

/// Implements [`AccountStore`] for a backend (`$ts_in`/`$ts_out`: its timestamp conversions).
macro_rules! account_store_impl {
    ($store:ty, $ts_in:expr, $ts_out:expr) => {
        /// An account from the first nine columns of a row (see `USER_COLUMNS`).
        macro_rules! user_from {
            ($r:expr) => {
                $crate::accounts::UserRow {
                    id: $r.get(0),
                    username: $r.get(1),
                    org_id: $r.get(2),
                    org_name: $r.get(3),
                    org_kind: $r.get(4),
                    role: $r.get(5),
                    password_hash: $r.get(6),
                    active: $r.get(7),
                    created_at: $ts_out($r.get(8))?,
                }
            };
        }
        /// A share from a row.
        macro_rules! share_from {
            ($r:expr) => {
                $crate::accounts::LocationShare {
                    location_id: $r.get(0),
                    org_id: $r.get(1),
                    note: $r.get(2),
                    shared_by: $r.get(3),
                    shared_at: $ts_out($r.get(4))?,
                }
            };
        }

        impl $crate::accounts::AccountStore for $store {
            async fn add_organisation(
                &self,
                name: &str,
                kind: &str,
                at: Timestamp,
                audit: &$crate::audit::AuditEvent,
            ) -> Result<i64> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .context("starting to add an organisation")?;
                let row = sqlx::query($crate::accounts::ADD_ORGANISATION)
                    .bind(name)
                    .bind(kind)
                    .bind($ts_in(at))
                    .fetch_one(&mut *tx)
                    .await
                    .context("adding an organisation")?;
                $crate::audit::append_audit!(tx, audit, $ts_in);
                tx.commit().await.context("committing an organisation")?;
                Ok(row.get(0))
            }

            async fn organisations(&self) -> Result<Vec<$crate::accounts::OrganisationRow>> {
                let rows = sqlx::query($crate::accounts::ORGANISATIONS)
                    .fetch_all(&self.pool)
                    .await
                    .context("reading organisations")?;
                Ok(rows
                    .iter()
                    .map(|r| $crate::accounts::OrganisationRow {
                        id: r.get(0),
                        name: r.get(1),
                        kind: r.get(2),
                    })
                    .collect())
            }

            async fn add_user(
                &self,
                user: &$crate::accounts::NewUser,
                audit: &$crate::audit::AuditEvent,
            ) -> Result<i64> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .context("starting to add an account")?;
                let row = sqlx::query($crate::accounts::ADD_USER)
                    .bind(&user.username)
                    .bind(user.org_id)
                    .bind(&user.role)
                    .bind(&user.password_hash)
                    .bind(true)
                    .bind($ts_in(user.created_at))
                    .fetch_one(&mut *tx)
                    .await
                    .context("adding an account")?;
                $crate::audit::append_audit!(tx, audit, $ts_in);
                tx.commit().await.context("committing an account")?;
                Ok(row.get(0))
            }

            async fn user(&self, username: &str) -> Result<Option<$crate::accounts::UserRow>> {
                let row = sqlx::query($crate::accounts::USER_BY_NAME)
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await
                    .context("reading an account")?;
                Ok(match row {
                    Some(r) => Some(user_from!(r)),
                    None => None,
                })
            }

            async fn users(&self) -> Result<Vec<$crate::accounts::UserRow>> {
                let rows = sqlx::query($crate::accounts::USERS)
                    .fetch_all(&self.pool)
                    .await
                    .context("reading accounts")?;
                rows.iter().map(|r| Ok(user_from!(r))).collect()
            }

            async fn set_active(
                &self,
                username: &str,
                active: bool,
                audit: &$crate::audit::AuditEvent,
            ) -> Result<bool> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .context("starting an account change")?;
                let done = sqlx::query($crate::accounts::SET_ACTIVE)
                    .bind(active)
                    .bind(username)
                    .execute(&mut *tx)
                    .await
                    .context("changing an account")?;
                if !active {
                    sqlx::query($crate::accounts::END_USER_SESSIONS)
                        .bind(username)
                        .execute(&mut *tx)
                        .await
                        .context("ending an account's sessions")?;
                }
                if done.rows_affected() > 0 {
                    $crate::audit::append_audit!(tx, audit, $ts_in);
                }
                tx.commit().await.context("committing an account change")?;
                Ok(done.rows_affected() > 0)
            }

            async fn set_password(
                &self,
                username: &str,
                hash: &str,
                at: Timestamp,
                audit: &$crate::audit::AuditEvent,
            ) -> Result<bool> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .context("starting a password change")?;
                let done = sqlx::query($crate::accounts::SET_PASSWORD)
                    .bind(hash)
                    .bind($ts_in(at))
                    .bind(username)
                    .execute(&mut *tx)
                    .await
                    .context("changing a password")?;
                sqlx::query($crate::accounts::END_USER_SESSIONS)
                    .bind(username)
                    .execute(&mut *tx)
                    .await
                    .context("ending an account's sessions")?;
                if done.rows_affected() > 0 {
                    $crate::audit::append_audit!(tx, audit, $ts_in);
                }
                tx.commit().await.context("committing a password change")?;
                Ok(done.rows_affected() > 0)
            }

            async fn open_session(&self, s: &$crate::accounts::NewSession) -> Result<()> {
                sqlx::query($crate::accounts::OPEN_SESSION)
                    .bind(&s.token_hash)
                    .bind(s.user_id)
                    .bind(&s.csrf)
                    .bind($ts_in(s.at))
                    .bind(&s.address)
                    .execute(&self.pool)
                    .await
                    .context("opening a session")?;
                Ok(())
            }

            async fn session(
                &self,
                token_hash: &str,
            ) -> Result<Option<$crate::accounts::SessionRow>> {
                let row = sqlx::query($crate::accounts::SESSION)
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await
                    .context("reading a session")?;
                Ok(match row {
                    Some(r) => Some($crate::accounts::SessionRow {
                        user: user_from!(r),
                        csrf: r.get(9),
                        created_at: $ts_out(r.get(10))?,
                        last_seen: $ts_out(r.get(11))?,
                    }),
                    None => None,
                })
            }

            async fn touch_session(&self, token_hash: &str, at: Timestamp) -> Result<()> {
                sqlx::query($crate::accounts::TOUCH_SESSION)
                    .bind($ts_in(at))
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await
                    .context("marking a session used")?;
                Ok(())
            }

            async fn end_session(&self, token_hash: &str) -> Result<()> {
                sqlx::query($crate::accounts::END_SESSION)
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await
                    .context("ending a session")?;
                Ok(())
            }

            async fn record_login_failure(
                &self,
                username: &str,
                address: &str,
                at: Timestamp,
                forget_before: Timestamp,
            ) -> Result<()> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .context("starting a login failure")?;
                sqlx::query($crate::accounts::FORGET_FAILURES)
                    .bind($ts_in(forget_before))
                    .execute(&mut *tx)
                    .await
                    .context("forgetting old login failures")?;
                sqlx::query($crate::accounts::ADD_FAILURE)
                    .bind(username)
                    .bind(address)
                    .bind($ts_in(at))
                    .execute(&mut *tx)
                    .await
                    .context("recording a login failure")?;
                tx.commit().await.context("committing a login failure")?;
                Ok(())
            }

            async fn login_failures_since(
                &self,
                username: &str,
                address: &str,
                since: Timestamp,
            ) -> Result<(u64, u64)> {
                let row = sqlx::query($crate::accounts::COUNT_FAILURES)
                    .bind(username)
                    .bind(address)
                    .bind($ts_in(since))
                    .fetch_one(&self.pool)
                    .await
                    .context("counting login failures")?;
                let count = |v: i64| u64::try_from(v).unwrap_or(0);
                Ok((count(row.get(0)), count(row.get(1))))
            }

            async fn share_location(
                &self,
                share: &$crate::accounts::LocationShare,
                audit: &$crate::audit::AuditEvent,
            ) -> Result<()> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .context("starting to share a location")?;
                sqlx::query($crate::accounts::SHARE_LOCATION)
                    .bind(&share.location_id)
                    .bind(share.org_id)
                    .bind(&share.note)
                    .bind(share.shared_by)
                    .bind($ts_in(share.shared_at))
                    .execute(&mut *tx)
                    .await
                    .context("sharing a location")?;
                $crate::audit::append_audit!(tx, audit, $ts_in);
                tx.commit().await.context("committing a share")?;
                Ok(())
            }

            async fn shares_of_location(
                &self,
                location_id: &str,
            ) -> Result<Vec<$crate::accounts::LocationShare>> {
                let rows = sqlx::query($crate::accounts::SHARES_OF_LOCATION)
                    .bind(location_id)
                    .fetch_all(&self.pool)
                    .await
                    .context("reading a location's shares")?;
                rows.iter().map(|r| Ok(share_from!(r))).collect()
            }

            async fn shares_with(
                &self,
                org_id: i64,
            ) -> Result<Vec<$crate::accounts::LocationShare>> {
                let rows = sqlx::query($crate::accounts::SHARES_WITH)
                    .bind(org_id)
                    .fetch_all(&self.pool)
                    .await
                    .context("reading an organisation's shared locations")?;
                rows.iter().map(|r| Ok(share_from!(r))).collect()
            }
        }
    };
}
pub(crate) use account_store_impl;
