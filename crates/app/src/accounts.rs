//! Organisations and accounts (`lantern user …`, the admin page): Argon2id password hashes
//! (m = 19456 KiB, t = 2, p = 1), a password policy without composition rules, and changes that
//! end the account's sessions at once. Every change is checked against the acting person's
//! permissions here, so the command line and the web are held to the same rules.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use lantern_access::{OrgKind, Permission, Principal, Refused, Role};
use lantern_core::Timestamp;
use lantern_store::{AccountStore, NewUser, OrganisationRow, Store, StoreError, UserRow};

/// Argon2id memory cost, KiB (ASVS 5.0 appendix C: t = 2 needs m ≥ 19 MiB).
pub const ARGON2_M_KIB: u32 = 19_456;
/// Argon2id passes.
pub const ARGON2_T: u32 = 2;
/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 12;
/// Longest password accepted (long enough for any passphrase or manager).
pub const MAX_PASSWORD: usize = 256;

/// Passwords too common to accept whatever their length (a short list of the most used; a
/// breached-password check would need data this offline build does not carry).
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "password1234",
    "password12345",
    "passwordpassword",
    "qwertyuiopasdf",
    "qwertyuiop123",
    "iloveyou1234",
    "letmeinletmein",
    "administrator",
    "administrator1",
    "changemechangeme",
    "welcome12345",
    "lantern12345",
    "lanternlantern",
    "aaaaaaaaaaaa",
    "111111111111",
    "000000000000",
    "abcdefghijkl",
    "abc123abc123",
    "correcthorsebatterystaple",
];

/// Why an account change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The input breaks a rule; `field` names it.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The acting person may not do this.
    #[error("{0}")]
    Refused(#[from] Refused),
    /// The store failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Hashing failed (it should not).
    #[error("password hashing failed: {0}")]
    Hash(String),
}

fn invalid(field: &'static str, reason: impl Into<String>) -> AccountError {
    AccountError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// The person at the command line: whoever can open the data directory or the database can
/// administer accounts (they could edit the tables directly). They see no content through it.
pub fn operator() -> Principal {
    Principal {
        user_id: 0,
        username: crate::Actor::command_line().as_str().to_owned(),
        org_id: 0,
        org_kind: OrgKind::Other,
        role: Role::Administrator,
    }
}

/// The hasher with Lantern's parameters.
fn hasher() -> Result<Argon2<'static>, AccountError> {
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, 1, None)
        .map_err(|e| AccountError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], AccountError> {
    let mut buf = [0_u8; N];
    getrandom::fill(&mut buf).map_err(|e| AccountError::Hash(format!("no randomness: {e}")))?;
    Ok(buf)
}

/// The PHC string of `password`'s Argon2id hash with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| AccountError::Hash(e.to_string()))?;
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Whether `password` matches the stored PHC string (false for an unreadable one).
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    hasher().is_ok_and(|h| h.verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A strong random password (24 characters from 144 random bits) for a first login or a reset.
pub fn generate_password() -> Result<String, AccountError> {
    use base64::Engine as _;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<18>()?))
}

/// Checks a new password: 12 to 256 characters, not a very common one, not the user name. No
/// composition rules (NIST SP 800-63B, ASVS V6.2).
pub fn check_password(password: &str, username: &str) -> Result<(), AccountError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD {
        return Err(invalid(
            "password",
            format!("use at least {MIN_PASSWORD} characters (a few words make a good one)"),
        ));
    }
    if chars > MAX_PASSWORD {
        return Err(invalid(
            "password",
            format!("use at most {MAX_PASSWORD} characters"),
        ));
    }
    let lower = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str()) || lower.contains(&username.to_lowercase()) {
        return Err(invalid(
            "password",
            "too easy to guess (a common password, or it contains the user name)",
        ));
    }
    Ok(())
}

/// A login name: 3 to 64 characters of a-z, 0-9, `.`, `_`, `-`, stored lower-case.
pub fn normalise_username(name: &str) -> Result<String, AccountError> {
    let name = name.trim().to_lowercase();
    let ok = (3..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if ok {
        Ok(name)
    } else {
        Err(invalid(
            "username",
            "use 3 to 64 letters, digits, dots, dashes or underscores",
        ))
    }
}

/// Adds an organisation; its id.
pub async fn add_organisation(
    store: &Store,
    actor: &Principal,
    name: &str,
    kind: &str,
) -> Result<i64, AccountError> {
    actor.require(Permission::ManageAccounts)?;
    let name = name.trim();
    if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            "give the organisation's name (1 to 200 characters)",
        ));
    }
    let kind = OrgKind::parse(kind).ok_or_else(|| {
        invalid(
            "kind",
            format!(
                "{kind:?} is not one of {}",
                OrgKind::ALL.map(OrgKind::code).join(", ")
            ),
        )
    })?;
    if store.organisations().await?.iter().any(|o| o.name == name) {
        return Err(invalid(
            "name",
            format!("an organisation named {name:?} exists"),
        ));
    }
    let event =
        crate::audit::by_person(lantern_store::Operation::Alter, actor).about("organisation", name);
    Ok(store
        .add_organisation(name, kind.code(), Timestamp::now(), &event)
        .await?)
}

/// Every organisation.
pub async fn organisations(
    store: &Store,
    actor: &Principal,
) -> Result<Vec<OrganisationRow>, AccountError> {
    actor.require(Permission::ViewAccounts)?;
    Ok(store.organisations().await?)
}

/// An account to add.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Login name.
    pub username: String,
    /// Organisation name.
    pub organisation: String,
    /// Role code.
    pub role: String,
    /// Initial password.
    pub password: String,
}

/// Adds an account; its id.
pub async fn add_user(
    store: &Store,
    actor: &Principal,
    new: &NewAccount,
) -> Result<i64, AccountError> {
    actor.require(Permission::ManageAccounts)?;
    let username = normalise_username(&new.username)?;
    let role = Role::parse(&new.role).ok_or_else(|| {
        invalid(
            "role",
            format!(
                "{:?} is not one of {}",
                new.role,
                Role::ALL.map(Role::code).join(", ")
            ),
        )
    })?;
    let orgs = store.organisations().await?;
    let org = orgs
        .iter()
        .find(|o| o.name.eq_ignore_ascii_case(new.organisation.trim()))
        .ok_or_else(|| {
            invalid(
                "organisation",
                format!(
                    "no organisation named {:?} (add it first with `lantern org add`)",
                    new.organisation
                ),
            )
        })?;
    let kind = OrgKind::parse(&org.kind)
        .ok_or_else(|| StoreError::Corrupt(format!("organisation kind {:?}", org.kind)))?;
    if !role.allowed_in(kind) {
        return Err(invalid(
            "role",
            format!(
                "a {} cannot belong to a {} organisation",
                role.label(),
                kind.code()
            ),
        ));
    }
    check_password(&new.password, &username)?;
    if store.user(&username).await?.is_some() {
        return Err(invalid("username", format!("{username:?} is taken")));
    }
    let hash = hash_password(&new.password)?;
    let mut event =
        crate::audit::by_person(lantern_store::Operation::Alter, actor).about("account", &username);
    event.detail = Some(format!("account added as {}", role.code()));
    Ok(store
        .add_user(
            &NewUser {
                username,
                org_id: org.id,
                role: role.code().to_owned(),
                password_hash: hash,
                created_at: Timestamp::now(),
            },
            &event,
        )
        .await?)
}

/// Every account (without password hashes).
pub async fn users(store: &Store, actor: &Principal) -> Result<Vec<UserRow>, AccountError> {
    actor.require(Permission::ViewAccounts)?;
    let mut list = store.users().await?;
    for u in &mut list {
        u.password_hash.clear();
    }
    Ok(list)
}

/// Disables (or enables) an account; disabling ends its sessions at once.
pub async fn set_active(
    store: &Store,
    actor: &Principal,
    username: &str,
    active: bool,
) -> Result<(), AccountError> {
    actor.require(Permission::ManageAccounts)?;
    let username = normalise_username(username)?;
    if actor.user_id != 0 && actor.username == username && !active {
        return Err(invalid("username", "you cannot disable your own account"));
    }
    let mut event =
        crate::audit::by_person(lantern_store::Operation::Alter, actor).about("account", &username);
    event.detail = Some(if active { "enabled" } else { "disabled" }.to_owned());
    if store.set_active(&username, active, &event).await? {
        Ok(())
    } else {
        Err(invalid("username", format!("no account {username:?}")))
    }
}

/// Sets a new password; the account's sessions end at once.
pub async fn reset_password(
    store: &Store,
    actor: &Principal,
    username: &str,
    password: &str,
) -> Result<(), AccountError> {
    actor.require(Permission::ManageAccounts)?;
    let username = normalise_username(username)?;
    check_password(password, &username)?;
    let hash = hash_password(password)?;
    let mut event =
        crate::audit::by_person(lantern_store::Operation::Alter, actor).about("account", &username);
    event.detail = Some("password reset".to_owned());
    if store
        .set_password(&username, &hash, Timestamp::now(), &event)
        .await?
    {
        Ok(())
    } else {
        Err(invalid("username", format!("no account {username:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_the_required_cost_and_verify() {
        let phc = hash_password("a long enough passphrase").unwrap();
        let parsed = PasswordHash::new(&phc).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let m: u32 = parsed.params.get_decimal("m").unwrap();
        let t: u32 = parsed.params.get_decimal("t").unwrap();
        assert!(m >= 19_456 && t >= 2, "{phc}");
        assert!(verify_password("a long enough passphrase", &phc));
        assert!(!verify_password("a long enough passphrasE", &phc));
        assert!(!verify_password("anything", "not a phc string"));
        assert_ne!(
            phc,
            hash_password("a long enough passphrase").unwrap(),
            "salted"
        );
    }

    #[test]
    fn password_policy_has_length_and_common_checks_but_no_composition_rules() {
        assert!(check_password("short pass", "amy").is_err());
        assert!(check_password("all lower case words", "amy").is_ok());
        assert!(check_password(&"x".repeat(64), "amy").is_ok());
        assert!(check_password(&"x".repeat(257), "amy").is_err());
        assert!(check_password("Password1234", "amy").is_err());
        assert!(check_password("my name is amy-jones ok", "amy-jones").is_err());
    }

    #[test]
    fn usernames_are_plain_and_lower_case() {
        assert_eq!(normalise_username(" Amy.Jones ").unwrap(), "amy.jones");
        assert!(normalise_username("a").is_err());
        assert!(normalise_username("amy jones").is_err());
        assert!(normalise_username("amy<script>").is_err());
    }
}
