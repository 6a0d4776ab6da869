//! Minimisation (domain-uk.md 4.5, issue 9): phone numbers and e-mail addresses are shown as
//! keyed pseudonyms by default, even to the roles that may see them: HMAC-SHA-256 under the
//! deployment's secret (made on first use, kept in the store, never shown), so the same number
//! gives the same pseudonym on every page and pseudonyms still link, while nobody without the
//! key can reverse one by trying numbers. Revealing them takes a permission and a declared
//! purpose, and is logged as a consultation with that purpose.

use hmac::{KeyInit, Mac};
use lantern_store::{Store, StoreError};

/// The name of the pseudonym key in the store.
const KEY_NAME: &str = "pseudonym";

/// Makes pseudonyms under one deployment's key.
#[derive(Clone)]
pub struct Pseudonyms {
    key: Vec<u8>,
}

impl std::fmt::Debug for Pseudonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonyms(key hidden)")
    }
}

impl Pseudonyms {
    /// The deployment's pseudonyms (its key made and stored on first use).
    pub async fn of(store: &Store) -> Result<Self, StoreError> {
        let mut fresh = [0_u8; 32];
        getrandom::fill(&mut fresh)
            .map_err(|e| StoreError::Corrupt(format!("no randomness for a key: {e}")))?;
        Ok(Self {
            key: store.deployment_key(KEY_NAME, &fresh).await?,
        })
    }

    /// Pseudonyms under `key` (tests).
    pub fn with_key(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    /// The pseudonym of an identifier: `kind` (`phone`, `email`) and its value as stored (E.164,
    /// lower-case address); a short prefix says what it stands for.
    pub fn of_identifier(&self, kind: &str, value: &str) -> String {
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.key) else {
            unreachable!("HMAC takes a key of any length")
        };
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        let prefix = match kind {
            "phone" => "tel",
            "email" => "mail",
            _ => "id",
        };
        format!("{prefix}-{}", hex::encode(&digest[..6]))
    }

    /// Every phone of a list as its pseudonym.
    pub fn phones(&self, phones: &mut [String]) {
        for p in phones {
            *p = self.of_identifier("phone", p);
        }
    }

    /// Every e-mail of a list as its pseudonym.
    pub fn emails(&self, emails: &mut [String]) {
        for e in emails {
            *e = self.of_identifier("email", e);
        }
    }
}

/// Why identifiers are revealed: the purpose codes a person declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// To plan or carry out a safeguarding visit.
    Safeguarding,
    /// For a criminal investigation.
    Investigation,
    /// To make or support an NRM or Duty to Notify referral.
    Referral,
    /// To check or correct the data.
    DataQuality,
}

impl Purpose {
    /// Every purpose, in display order.
    pub const ALL: [Purpose; 4] = [
        Self::Safeguarding,
        Self::Investigation,
        Self::Referral,
        Self::DataQuality,
    ];

    /// The code logged.
    pub fn code(self) -> &'static str {
        match self {
            Self::Safeguarding => "safeguarding",
            Self::Investigation => "investigation",
            Self::Referral => "referral",
            Self::DataQuality => "data_quality",
        }
    }

    /// The words shown.
    pub fn label(self) -> &'static str {
        match self {
            Self::Safeguarding => "Safeguarding visit",
            Self::Investigation => "Criminal investigation",
            Self::Referral => "NRM or Duty to Notify referral",
            Self::DataQuality => "Checking or correcting the data",
        }
    }

    /// The purpose a code names.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_keyed_stable_and_distinct() {
        let a = Pseudonyms::with_key(b"key one");
        let b = Pseudonyms::with_key(b"key two");
        let p = a.of_identifier("phone", "+447700900123");
        assert_eq!(
            p,
            a.of_identifier("phone", "+447700900123"),
            "stable: links"
        );
        assert!(p.starts_with("tel-") && p.len() == 16, "{p}");
        assert!(!p.contains("7700900123"));
        assert_ne!(p, a.of_identifier("phone", "+447700900124"));
        assert_ne!(p, b.of_identifier("phone", "+447700900123"), "keyed");
        assert_ne!(p[4..], a.of_identifier("email", "+447700900123")[5..]);
        // HMAC-SHA-256("key one", "phone\0+447700900123"), first six bytes, computed with
        // Python's hmac module: the construction is the standard one, not a home-made hash.
        assert_eq!(p, "tel-".to_owned() + EXPECTED);
    }

    const EXPECTED: &str = "2c1e7ac5e4fb";

    #[test]
    fn purposes_round_trip() {
        for p in Purpose::ALL {
            assert_eq!(Purpose::parse(p.code()), Some(p));
        }
        assert_eq!(Purpose::parse("curiosity"), None);
    }
}
