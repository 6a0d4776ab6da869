//! Signing in and server-side sessions. A session is a 256-bit random token in a cookie; the store
//! keeps only its SHA-256, with a CSRF token, the time it opened and the time it was last used.
//! Sessions end after 30 minutes idle or 12 hours in all, at sign-out, and at once when the
//! account is disabled or its password reset. Ten failed logins in five minutes for an account
//! name, or from an address, refuse the next, whether or not the account exists, with the same
//! answer as a wrong password.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lantern_access::{OrgKind, Principal, Role};
use lantern_core::Timestamp;
use lantern_store::{AccountStore, NewSession, SessionRow, Store, StoreError};
use sha2::{Digest, Sha256};

use crate::accounts::{self, AccountError};

/// Idle limit, seconds.
pub const IDLE_SECONDS: i64 = 30 * 60;
/// Absolute limit, seconds.
pub const ABSOLUTE_SECONDS: i64 = 12 * 60 * 60;
/// The window failed logins are counted over, seconds.
pub const FAILURE_WINDOW_SECONDS: i64 = 5 * 60;
/// Failures allowed in the window, per account name and per address.
pub const MAX_FAILURES: u64 = 10;
/// A session's last use is written at most this often, seconds.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// Why signing in failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong name or password, or a disabled account: one answer for all.
    #[error("the user name or password is wrong")]
    BadCredentials,
    /// Too many failures lately for this name or from this address.
    #[error("too many failed attempts: wait five minutes and try again")]
    TooManyAttempts,
    /// The store failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Hashing or randomness failed.
    #[error("{0}")]
    Account(#[from] AccountError),
}

/// A signed-in session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who.
    pub principal: Principal,
    /// The organisation's name.
    pub org_name: String,
    /// The token the session's forms must carry.
    pub csrf: String,
    /// The store's key of the session (the token's SHA-256).
    pub token_hash: String,
}

/// A new session: the cookie's token and the session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The secret for the cookie.
    pub token: String,
    /// The session it opens.
    pub session: Session,
}

/// The store's key of a token.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A random 256-bit value, URL-safe base64.
fn random_token() -> Result<String, AccountError> {
    Ok(URL_SAFE_NO_PAD.encode(accounts::random_bytes::<32>()?))
}

/// A hash to verify against when the account does not exist, so that the answer takes as long.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        accounts::hash_password("decoy password for absent accounts").unwrap_or_default()
    })
}

/// The person an account row stands for (its role and organisation kind parsed).
pub fn principal_of(row: &lantern_store::UserRow) -> Result<Principal, StoreError> {
    let role = Role::parse(&row.role)
        .ok_or_else(|| StoreError::Corrupt(format!("account role {:?}", row.role)))?;
    let org_kind = OrgKind::parse(&row.org_kind)
        .ok_or_else(|| StoreError::Corrupt(format!("organisation kind {:?}", row.org_kind)))?;
    Ok(Principal {
        user_id: row.id,
        username: row.username.clone(),
        org_id: row.org_id,
        org_kind,
        role,
    })
}

/// Signs in: checks the rate limits, then the password; opens a session with a new token.
pub async fn login(
    store: &Store,
    username: &str,
    password: &str,
    address: &str,
    now: Timestamp,
) -> Result<SignedIn, LoginError> {
    let name: String = username.trim().to_lowercase().chars().take(64).collect();
    let window_start = now.plus_seconds(-FAILURE_WINDOW_SECONDS).unwrap_or(now);
    let (by_name, by_address) = store
        .login_failures_since(&name, address, window_start)
        .await?;
    if by_name >= MAX_FAILURES || by_address >= MAX_FAILURES {
        store
            .record_login_failure(&name, address, now, window_start)
            .await?;
        return Err(LoginError::TooManyAttempts);
    }
    let user = store.user(&name).await?;
    let matched = match &user {
        Some(u) => accounts::verify_password(password, &u.password_hash) && u.active,
        None => {
            accounts::verify_password(password, decoy_hash());
            false
        }
    };
    let Some(user) = user.filter(|_| matched) else {
        store
            .record_login_failure(&name, address, now, window_start)
            .await?;
        return Err(LoginError::BadCredentials);
    };
    let token = random_token()?;
    let csrf = random_token()?;
    let hash = token_hash(&token);
    store
        .open_session(&NewSession {
            token_hash: hash.clone(),
            user_id: user.id,
            csrf: csrf.clone(),
            at: now,
            address: address.to_owned(),
        })
        .await?;
    Ok(SignedIn {
        token,
        session: Session {
            principal: principal_of(&user)?,
            org_name: user.org_name.clone(),
            csrf,
            token_hash: hash,
        },
    })
}

/// The session a cookie's token opens, if it is still valid at `now`; an expired session or
/// one of a disabled account is ended.
pub async fn session(
    store: &Store,
    token: &str,
    now: Timestamp,
) -> Result<Option<Session>, StoreError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let hash = token_hash(token);
    let Some(row) = store.session(&hash).await? else {
        return Ok(None);
    };
    let SessionRow {
        user,
        csrf,
        created_at,
        last_seen,
    } = row;
    let age = |since: Timestamp| (now.unix_micros() - since.unix_micros()) / 1_000_000;
    if !user.active || age(last_seen) > IDLE_SECONDS || age(created_at) > ABSOLUTE_SECONDS {
        store.end_session(&hash).await?;
        return Ok(None);
    }
    if age(last_seen) >= TOUCH_EVERY_SECONDS {
        store.touch_session(&hash, now).await?;
    }
    Ok(Some(Session {
        principal: principal_of(&user)?,
        org_name: user.org_name,
        csrf,
        token_hash: hash,
    }))
}

/// Ends a session.
pub async fn logout(store: &Store, session: &Session) -> Result<(), StoreError> {
    store.end_session(&session.token_hash).await
}

/// Fills `buf` with random bytes from the operating system.
pub fn fill_random(buf: &mut [u8]) -> Result<(), AccountError> {
    getrandom::fill(buf).map_err(|e| AccountError::Hash(format!("no randomness: {e}")))
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
