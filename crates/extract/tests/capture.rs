//! A whole capture's facts, field by field: contact fields read as what they are, indicator
//! phrases and disguised numbers with their spans, images as given.

use lantern_core::contact::Contact;
use lantern_core::{Capture, ExternalId, ImageRef, Location, Source, Timestamp};
use lantern_extract::{CaptureFacts, Extractor};
use lantern_geo::Gazetteer;
use lantern_indicators::Catalogue;

fn capture() -> Capture {
    Capture {
        source: Source::parse("example-site").unwrap(),
        external_id: ExternalId::parse("ad-1").unwrap(),
        captured_at: Timestamp::parse("2026-11-02T10:00:00Z").unwrap(),
        url: None,
        posted_at: None,
        title: Some("Genuine Mia, very young".into()),
        body: "New in town! Call o7seven00 9OO 124 or text. Near Digbeth.".into(),
        poster: None,
        contact: Contact {
            phone: Some(" 07700 900123 ".into()),
            email: Some(" Mia@Example.COM".into()),
            whatsapp: Some("+44 (0)7700 900125".into()),
            telegram: Some("@Mia_X".into()),
            other: None,
        },
        location: Location {
            text: Some("Birmingham".into()),
            postcode: Some("B5 6DY".into()),
            lat_lon: None,
        },
        age: Some("22 ".into()),
        rates: Some("£100 1hr".into()),
        images: vec![
            ImageRef::parse("images[0]", &format!("sha256:{}", "ab".repeat(32))).unwrap(),
            ImageRef::parse("images[1]", "phash:00ff00ff00ff00ff").unwrap(),
        ],
    }
}

fn facts() -> (Capture, CaptureFacts) {
    let extractor = Extractor::new(
        Gazetteer::embedded().unwrap(),
        Catalogue::embedded().unwrap(),
    );
    let c = capture();
    let facts = extractor.capture(&c);
    (c, facts)
}

fn field_text<'c>(c: &'c Capture, field: &str) -> &'c str {
    match field {
        "title" => c.title.as_deref().unwrap(),
        "body" => &c.body,
        "contact.phone" => c.contact.phone.as_deref().unwrap(),
        "contact.email" => c.contact.email.as_deref().unwrap(),
        "contact.whatsapp" => c.contact.whatsapp.as_deref().unwrap(),
        "contact.telegram" => c.contact.telegram.as_deref().unwrap(),
        "location.text" => c.location.text.as_deref().unwrap(),
        "location.postcode" => c.location.postcode.as_deref().unwrap(),
        "age" => c.age.as_deref().unwrap(),
        "rates" => c.rates.as_deref().unwrap(),
        other => panic!("unexpected field {other}"),
    }
}

#[test]
fn contact_fields_are_read_as_what_they_are() {
    let (_, facts) = facts();
    let phones: Vec<String> = facts.phones().into_iter().collect();
    assert_eq!(phones, ["+447700900123", "+447700900124", "+447700900125"]);
    assert_eq!(
        facts.emails().into_iter().collect::<Vec<_>>(),
        ["mia@example.com"]
    );
    assert_eq!(
        facts.handles().into_iter().collect::<Vec<_>>(),
        ["telegram:mia_x"]
    );
    assert_eq!(
        facts.images,
        [
            format!("sha256:{}", "ab".repeat(32)),
            "phash:00ff00ff00ff00ff".to_owned()
        ]
    );
}

#[test]
fn indicators_carry_codes_and_spans_of_their_field() {
    let (c, facts) = facts();
    let mut found = Vec::new();
    for field in &facts.fields {
        for ind in &field.facts.indicators {
            let text = field_text(&c, field.field);
            assert_eq!(&text[ind.start..ind.end], ind.text);
            found.push((
                field.field,
                ind.code.as_str(),
                ind.text.as_str(),
                ind.scored,
            ));
        }
    }
    assert_eq!(
        found,
        [
            ("title", "IND-ADV-005", "Genuine", true),
            ("title", "IND-ADV-006", "very young", true),
            ("body", "IND-ADV-X01", "New in town", false),
            ("body", "IND-ADV-004", "o7seven00 9OO 124", true),
        ]
    );
}

#[test]
fn every_span_slices_its_field() {
    let (c, facts) = facts();
    for field in &facts.fields {
        let text = field_text(&c, field.field);
        let f = &field.facts;
        let spans = f
            .phones
            .iter()
            .map(|x| (x.start, x.end))
            .chain(f.emails.iter().map(|x| (x.start, x.end)))
            .chain(f.handles.iter().map(|x| (x.start, x.end)))
            .chain(f.ages.iter().map(|x| (x.start, x.end)))
            .chain(f.prices.iter().map(|x| (x.start, x.end)))
            .chain(f.places.iter().map(|x| (x.start, x.end)));
        for (start, end) in spans {
            assert!(
                text.get(start..end).is_some_and(|s| !s.trim().is_empty()),
                "{}",
                field.field
            );
        }
    }
    let age = facts.fields.iter().find(|f| f.field == "age").unwrap();
    assert_eq!(
        (
            age.facts.ages[0].years,
            age.facts.ages[0].start,
            age.facts.ages[0].end
        ),
        (22, 0, 2)
    );
    let postcode = facts
        .fields
        .iter()
        .find(|f| f.field == "location.postcode")
        .unwrap();
    assert_eq!(
        postcode.facts.places.len(),
        1,
        "{:?}",
        postcode.facts.places
    );
}
