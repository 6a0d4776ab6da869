//! The shipped catalogue loads, carries the brief's guardrails, and every rule refuses a broken
//! entry with its position, code and field.

use lantern_indicators::{AppliesTo, Catalogue, CatalogueError, Detection, Filter, Kind};

const SHIPPED: &str = include_str!("../../../data/indicators.toml");

/// One valid entry to break, field by field.
const GOOD: &str = r#"
[sources]
S52 = "A study"

[[indicator]]
code = "IND-ADV-005"
version = 1
domain = "ADV"
wording = "Language stressing trustworthiness"
observable_by = ["PUBLIC"]
evidence_kind = "OBSERVED"
applies_to = "LISTING"
sources = ["S52"]
verification = "V"
status = "active"
kind = "indicator"
scored = true
detection = "advert_phrases"
phrases = ["genuine"]
"#;

fn rule_field(text: &str) -> (usize, String, &'static str) {
    match Catalogue::parse(text, "test.toml") {
        Err(CatalogueError::Rule {
            entry, code, field, ..
        }) => (entry, code, field),
        other => panic!("expected a rule error, got {other:?}"),
    }
}

#[test]
fn shipped_catalogue_loads_with_every_domain_of_the_brief() {
    let cat = Catalogue::embedded().expect("embedded catalogue is valid");
    assert_eq!(
        cat.indicators().len(),
        147,
        "every row of domain-uk.md §3.3-3.4"
    );
    for domain in [
        "PHY", "PSY", "SIT", "ENV", "LAB", "CW", "NB", "CAN", "AGR", "CON", "SEX", "HOS", "ADV",
        "DS", "CRI", "CCE",
    ] {
        assert!(
            cat.indicators().iter().any(|i| i.domain == domain),
            "no {domain} indicator"
        );
    }
    let sex7 = cat.get("IND-SEX-007").unwrap();
    assert_eq!(sex7.wording, "Moved between premises or towns");
    assert_eq!(
        cat.source("S45")
            .map(|s| s.contains("West Midlands Anti-Slavery")),
        Some(true)
    );
}

#[test]
fn guardrails_hold_in_the_shipped_catalogue() {
    let cat = Catalogue::embedded().unwrap();
    let contra = cat.get("IND-ADV-X01").unwrap();
    assert_eq!(contra.kind, Kind::ContraIndicator);
    assert!(!contra.is_scorable());
    assert!(contra.phrases.iter().any(|p| p == "new in town"));
    let ethnicity = cat.get("IND-ADV-007").unwrap();
    assert!(!ethnicity.scored && ethnicity.detection == Detection::None);
    for ind in cat.advert_phrase_indicators() {
        assert_eq!(ind.applies_to, AppliesTo::Listing, "{}", ind.code);
    }
    // Movement language is never a scored phrase.
    for ind in cat.indicators().iter().filter(|i| i.is_scorable()) {
        for p in &ind.phrases {
            assert!(
                !["new in town", "just arrived", "limited time", "touring"].contains(&p.as_str()),
                "{} scores {p}",
                ind.code
            );
        }
    }
}

#[test]
fn the_test_entry_is_valid_before_it_is_broken() {
    assert!(Catalogue::parse(GOOD, "test.toml").is_ok());
}

#[test]
fn each_rule_names_entry_code_and_field() {
    let cases: &[(&str, &str, &str)] = &[
        ("code = \"IND-ADV-005\"", "code = \"IND-ADV-5\"", "code"),
        ("code = \"IND-ADV-005\"", "code = \"IND-XYZ-005\"", "code"),
        ("domain = \"ADV\"", "domain = \"SEX\"", "code"),
        (
            "wording = \"Language stressing trustworthiness\"",
            "wording = \"  \"",
            "wording",
        ),
        (
            "observable_by = [\"PUBLIC\"]",
            "observable_by = []",
            "observable_by",
        ),
        ("sources = [\"S52\"]", "sources = [\"S99\"]", "sources"),
        (
            "verification = \"V\"",
            "verification = \"maybe\"",
            "verification",
        ),
        (
            "status = \"active\"",
            "status = \"deprecated\"",
            "superseded_by",
        ),
        (
            "kind = \"indicator\"",
            "kind = \"contra_indicator\"",
            "code",
        ),
        (
            "phrases = [\"genuine\"]",
            "phrases = [\"Genuine\"]",
            "phrases",
        ),
        ("phrases = [\"genuine\"]", "phrases = []", "phrases"),
        (
            "applies_to = \"LISTING\"",
            "applies_to = \"PREMISES\"",
            "detection",
        ),
    ];
    for (from, to, field) in cases {
        let broken = GOOD.replace(from, to);
        assert_ne!(&broken, GOOD, "{from} not in the test entry");
        let (entry, _, got) = rule_field(&broken);
        assert_eq!((entry, got), (1, *field), "{from} -> {to}");
    }
}

#[test]
fn a_scored_contra_indicator_and_a_scored_sensitive_code_are_refused() {
    let contra = GOOD
        .replace("IND-ADV-005", "IND-ADV-X01")
        .replace("kind = \"indicator\"", "kind = \"contra_indicator\"");
    assert_eq!(rule_field(&contra).2, "scored");
    let sensitive = GOOD
        .replace("IND-ADV-005", "IND-ADV-007")
        .replace("phrases = [\"genuine\"]", "")
        .replace("detection = \"advert_phrases\"", "detection = \"none\"");
    assert_eq!(rule_field(&sensitive).2, "scored");
}

#[test]
fn duplicates_are_refused() {
    let twice = format!("{GOOD}\n{}", &GOOD[GOOD.find("[[indicator]]").unwrap()..]);
    assert_eq!(rule_field(&twice).2, "version");
    let shared_phrase = format!(
        "{GOOD}\n{}",
        &GOOD[GOOD.find("[[indicator]]").unwrap()..].replace("IND-ADV-005", "IND-ADV-006")
    );
    let (entry, code, field) = rule_field(&shared_phrase);
    assert_eq!((entry, code.as_str(), field), (2, "IND-ADV-006", "phrases"));
}

#[test]
fn syntax_errors_name_the_line_and_unknown_fields_are_refused() {
    let err = Catalogue::parse("[[indicator]]\ncode = ", "bad.toml").unwrap_err();
    assert!(matches!(&err, CatalogueError::Syntax { .. }));
    assert!(err.to_string().starts_with("bad.toml: "), "{err}");
    assert!(err.to_string().contains("line 2"), "{err}");
    let unknown = GOOD.replace("scored = true", "scored = true\nweight = 3");
    assert!(matches!(
        Catalogue::parse(&unknown, "t"),
        Err(CatalogueError::Syntax { .. })
    ));
}

#[test]
fn filters_select_by_domain_observer_and_words() {
    let cat = Catalogue::parse(SHIPPED, "shipped").unwrap();
    let filter = Filter {
        domain: Some("cw".into()),
        text: Some("PPE".into()),
        ..Filter::default()
    };
    let codes: Vec<&str> = cat
        .filter(&filter)
        .into_iter()
        .map(|i| i.code.as_str())
        .collect();
    assert_eq!(codes, ["IND-CW-001"]);
    let adverts = Filter {
        applies_to: Some(AppliesTo::Listing),
        ..Filter::default()
    };
    assert_eq!(cat.filter(&adverts).len(), 9);
}
