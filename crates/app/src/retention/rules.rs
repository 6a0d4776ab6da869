//! Retention rules: read from TOML (the embedded `data/retention.toml`, or a deployment's own
//! file), checked before anything is erased: every (record, when) pair has exactly one rule, ages
//! are whole days within a century, names are unique. A bad file is refused with the rule and
//! field at fault.

use lantern_store::RetainedKind;
use serde::Deserialize;

/// The embedded defaults (domain-uk.md 8.4).
pub const EMBEDDED: &str = include_str!("../../../../data/retention.toml");

/// Whether a rule is about records linked to a concern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// Not linked to a concern.
    NoConcern,
    /// Linked to a concern.
    Concern,
}

/// What a rule does once a record is old enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Erase it.
    Erase,
    /// Queue it for a person to decide.
    Review,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Its name (in audit events and the review queue).
    pub name: String,
    /// The record kind.
    pub record: RetainedKind,
    /// Which records of that kind.
    pub when: When,
    /// Age in days at which it applies.
    pub after_days: u32,
    /// What it does.
    pub action: Action,
    /// Why.
    pub basis: String,
}

/// A checked set of rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules(Vec<Rule>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    record: String,
    when: When,
    after_days: u32,
    action: Action,
    basis: String,
}

/// The longest age a rule may give (a century).
const MAX_DAYS: u32 = 36_525;

impl Rules {
    /// The embedded defaults.
    pub fn embedded() -> Result<Self, String> {
        Self::parse(EMBEDDED).map_err(|e| format!("the embedded retention rules: {e}"))
    }

    /// Rules from TOML text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut rules: Vec<Rule> = Vec::new();
        for (i, raw) in file.rule.into_iter().enumerate() {
            let at = |field: &str| format!("rule {} ({:?}), field {field}", i + 1, raw.name);
            if raw.name.trim().is_empty() || raw.name.chars().any(char::is_control) {
                return Err(format!("{}: a name is required", at("name")));
            }
            if rules.iter().any(|r| r.name == raw.name) {
                return Err(format!("{}: the name is used twice", at("name")));
            }
            let record = RetainedKind::parse(&raw.record).ok_or_else(|| {
                format!(
                    "{}: {:?} is not a record kind (listing_text or visit_summary)",
                    at("record"),
                    raw.record
                )
            })?;
            if raw.after_days == 0 || raw.after_days > MAX_DAYS {
                return Err(format!(
                    "{}: {} is not between 1 and {MAX_DAYS} days",
                    at("after_days"),
                    raw.after_days
                ));
            }
            if raw.basis.trim().is_empty() {
                return Err(format!("{}: say why the rule exists", at("basis")));
            }
            if rules
                .iter()
                .any(|r| r.record == record && r.when == raw.when)
            {
                return Err(format!(
                    "{}: another rule already covers {} records with when = {:?}",
                    at("when"),
                    record.as_str(),
                    raw.when
                ));
            }
            rules.push(Rule {
                name: raw.name,
                record,
                when: raw.when,
                after_days: raw.after_days,
                action: raw.action,
                basis: raw.basis,
            });
        }
        for record in [RetainedKind::ListingText, RetainedKind::VisitSummary] {
            for when in [When::NoConcern, When::Concern] {
                if !rules.iter().any(|r| r.record == record && r.when == when) {
                    return Err(format!(
                        "no rule covers {} records with when = {when:?}: every record needs one",
                        record.as_str()
                    ));
                }
            }
        }
        Ok(Self(rules))
    }

    /// The rule for records of `record` that are (or are not) linked to a concern.
    pub fn rule(&self, record: RetainedKind, when: When) -> &Rule {
        self.0
            .iter()
            .find(|r| r.record == record && r.when == when)
            .unwrap_or_else(|| unreachable!("parse() refuses rules that leave a pair uncovered"))
    }

    /// Every rule, in file order.
    pub fn all(&self) -> &[Rule] {
        &self.0
    }

    /// The youngest age, in days, at which any rule about `record` applies.
    pub fn earliest(&self, record: RetainedKind) -> u32 {
        self.0
            .iter()
            .filter(|r| r.record == record)
            .map(|r| r.after_days)
            .min()
            .unwrap_or(MAX_DAYS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_rules_follow_the_brief() {
        let rules = Rules::embedded().unwrap();
        let listing = rules.rule(RetainedKind::ListingText, When::NoConcern);
        assert_eq!((listing.after_days, listing.action), (90, Action::Erase));
        let visit = rules.rule(RetainedKind::VisitSummary, When::NoConcern);
        assert_eq!((visit.after_days, visit.action), (365, Action::Erase));
        for record in [RetainedKind::ListingText, RetainedKind::VisitSummary] {
            assert_eq!(rules.rule(record, When::Concern).action, Action::Review);
        }
    }

    #[test]
    fn bad_rules_are_refused_with_the_rule_and_field() {
        let base = Rules::embedded().unwrap();
        assert_eq!(base.all().len(), 4);
        let zero = EMBEDDED.replacen("after_days = 90", "after_days = 0", 1);
        let e = Rules::parse(&zero).unwrap_err();
        assert!(e.contains("rule 1") && e.contains("after_days"), "{e}");
        let twice = EMBEDDED.replacen("when = \"concern\"", "when = \"no_concern\"", 1);
        let e = Rules::parse(&twice).unwrap_err();
        assert!(e.contains("rule 2") && e.contains("already covers"), "{e}");
        let kind = EMBEDDED.replacen("record = \"visit_summary\"", "record = \"notes\"", 1);
        let e = Rules::parse(&kind).unwrap_err();
        assert!(e.contains("rule 3") && e.contains("record"), "{e}");
        let unknown = EMBEDDED.replacen("action = \"erase\"", "action = \"shred\"", 1);
        assert!(Rules::parse(&unknown).is_err());
        let missing = EMBEDDED
            .split("[[rule]]")
            .take(4)
            .collect::<Vec<_>>()
            .join("[[rule]]");
        let e = Rules::parse(&missing).unwrap_err();
        assert!(e.contains("no rule covers visit_summary"), "{e}");
    }
}
