//! Advert text: the voices of the three kinds of controller, shared ad-writer templates, decoy
//! numbers, and small edits between captures.

use crate::rng::Rng;

/// Worker names (invented adverts use working names; these are common first names).
pub const NAMES: &[&str] = &[
    "Mia", "Ruby", "Jade", "Amber", "Lily", "Chloe", "Sasha", "Nina", "Kim", "Eva", "Bella",
    "Sofia", "Daisy", "Holly", "Lola", "Tia", "Anna", "Maya", "Zara", "Leah", "Grace", "Ella",
    "Kira", "Luna", "Roxy", "Candy", "Angel", "Jasmine", "Sky", "Paris", "Scarlett", "Summer",
    "Isla", "Rosa", "Vicky", "Tanya", "Lara", "Alina", "Diana", "Emma",
];

/// First-person fragments an independent worker chooses from to write in her own voice.
const OWN_VOICE: &[&str] = &[
    "I'm a friendly, down to earth girl who loves good company.",
    "I work for myself and take my time, no rushing.",
    "Genuine photos, what you see is what you get.",
    "I like to get to know you first, please text before calling.",
    "Mature, classy and discreet, I only see gentlemen.",
    "I'm bubbly and chatty, a proper girlfriend experience.",
    "My place is clean, private and easy to find.",
    "I set my own hours and my own rules, please respect them.",
    "Polite texts get replies, withheld numbers don't.",
    "I love dressing up, ask me about outfits.",
    "Relaxed, unhurried and always smiling.",
    "I keep my diary small so I can give you my full attention.",
    "Safety first: I screen every booking.",
    "Curvy, confident and happy in my own skin.",
    "Warm welcome, cold drinks and a shower available.",
    "I've been independent for years and love what I do.",
];

/// Shared ad-writer base templates: several controllers buy their adverts from one writer, so
/// the same base text appears under unrelated controllers with different slot values.
const BASE_TEMPLATES: &[&str] = &[
    "Stunning new girl {name} {age} just arrived in {place}. Sexy, sweet and very open minded. Beautiful body, amazing service, you will not be disappointed. Call now, available today.",
    "Hot and naughty {name} {age} waiting for you in {place}. Best service in town, 100% real photos, clean apartment. Don't miss your chance, call me now.",
    "Gorgeous {name}, {age}, top quality companion in {place}. Elegant, sensual, unforgettable experience. Incall and outcall, discreet location, ring for details.",
    "New in {place}! Lovely {name}, {age}, young and fresh. Full service, very friendly, private flat. Call or text anytime, no withheld numbers.",
];

/// Venue and agency house templates (third person, fixed premises).
const HOUSE_TEMPLATES: &[&str] = &[
    "{venue} welcomes you to our luxury parlour in {place}. Today our lovely {name}, {age}, is working. Professional ladies, relaxing rooms, free parking. Open 10am till late.",
    "At {venue}, {place}, we pride ourselves on discretion. Meet {name}, {age}, one of our friendly team. Walk-ins welcome, showers available, secure parking.",
    "{venue} agency: elite companions across the West Midlands. {name} ({age}) is available from our {place} suite. Bookings through reception only.",
];

/// Venue names.
const VENUES: &[&str] = &[
    "Velvet Rooms",
    "The Orchid",
    "Serenity Spa",
    "Pink Lace",
    "Silk & Satin",
    "Blue Lagoon",
    "Secrets",
    "Angels",
    "The Hideaway",
    "Diamond Lounge",
    "Ruby's",
    "Oasis Retreat",
];

/// Network templates with slots per worker (a network writes its own, reused for every worker).
const NETWORK_TEMPLATES: &[&str] = &[
    "{name} {age} new girl! Very young and sweet, trust me you will like. Cheap price today {price}. All services. {place}, call {phone}",
    "NEW {name} ({age}) sexy young girl, 100% trust, real photos. {place} now, short time only. Ring {phone}",
    "Beautiful {name}, {age}, fresh arrival, best price {price}, trust me. Hotel {place}. {phone} call now",
];

/// Words a network's "fresh text" writer draws on, so that no two of its adverts share a phrase.
const FRESH_WORDS: &[&str] = &[
    "lovely", "sweet", "new", "young", "pretty", "friendly", "hot", "sexy", "real", "photos",
    "cheap", "today", "now", "call", "ring", "girl", "best", "service", "come", "visit", "quick",
    "nice", "time", "fun", "open", "minded", "cute", "body", "smile", "special", "offer", "here",
];

/// Small edits made between captures of one listing.
const EDITS: &[(&str, &str)] = &[
    ("available today", "available tonight"),
    ("Call now", "Call me now"),
    ("call now", "text now"),
    ("Genuine photos", "Real photos"),
    ("free parking", "parking nearby"),
    ("Open 10am till late", "Open 11am till late"),
];

/// Decoy numbers adverts carry: prices, times, dates, heights, sizes, ages, postcodes, 24/7.
pub fn decoys(rng: &mut Rng, price: u32, age: u32, postcode: &str) -> String {
    let all = [
        format!("£{price} 30min, £{} 1hr.", price + price / 2),
        format!("Available {}am-{}pm.", rng.range(9, 11), rng.range(9, 11)),
        format!("Back {}/{}.", rng.range(1, 28), rng.range(1, 12)),
        format!("I'm 5ft {}.", rng.range(1, 9)),
        format!(
            "Size {}, {}{}.",
            rng.range(6, 14),
            rng.range(32, 38),
            rng.pick(&["B", "C", "D", "DD"])
        ),
        format!("Age {age}."),
        format!("Near {postcode}."),
        "24/7.".to_owned(),
        format!("{} mins from the station.", rng.range(2, 15)),
    ];
    let count = rng.range(1, 3) as usize;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        out.push(rng.pick(&all).clone());
    }
    out.join(" ")
}

/// Fills `{name}`, `{age}`, `{place}`, `{venue}`, `{price}`, `{phone}` slots.
pub fn fill(template: &str, slots: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (key, value) in slots {
        out = out.replace(&format!("{{{key}}}"), value);
    }
    out
}

/// An independent worker's voice: her own choice of fragments, kept for all her adverts.
pub fn own_voice(rng: &mut Rng) -> Vec<&'static str> {
    let n = rng.range(3, 5) as usize;
    let mut chosen: Vec<&'static str> = Vec::with_capacity(n);
    while chosen.len() < n {
        let f = *rng.pick(OWN_VOICE);
        if !chosen.contains(&f) {
            chosen.push(f);
        }
    }
    chosen
}

/// A shared base template (index) for an ad-writer's customers.
pub fn base_template(index: usize) -> &'static str {
    BASE_TEMPLATES[index % BASE_TEMPLATES.len()]
}

/// How many shared base templates exist.
pub fn base_template_count() -> usize {
    BASE_TEMPLATES.len()
}

/// A house template and a venue name.
pub fn house(rng: &mut Rng) -> (&'static str, &'static str) {
    (*rng.pick(HOUSE_TEMPLATES), *rng.pick(VENUES))
}

/// A network's own template.
pub fn network_template(rng: &mut Rng) -> &'static str {
    rng.pick::<&str>(NETWORK_TEMPLATES)
}

/// Fresh text: a new arrangement of common words for each advert.
pub fn fresh_text(rng: &mut Rng, name: &str, age: u32, place: &str) -> String {
    let n = rng.range(14, 24);
    let mut words: Vec<String> = (0..n)
        .map(|_| (*rng.pick(FRESH_WORDS)).to_owned())
        .collect();
    let at = rng.below(words.len() as u64) as usize;
    words.insert(at, format!("{name} {age} in {place}"));
    let mut text = words.join(" ");
    if let Some(first) = text.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    text.push('.');
    text
}

/// One small edit, when the text has a phrase to edit.
pub fn edit(rng: &mut Rng, text: &str) -> Option<String> {
    let start = rng.below(EDITS.len() as u64) as usize;
    (0..EDITS.len())
        .map(|k| EDITS[(start + k) % EDITS.len()])
        .find(|(from, _)| text.contains(from))
        .map(|(from, to)| text.replacen(from, to, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_fill_and_edits_change_text() {
        let t = fill(
            "{name} {age} in {place}",
            &[("name", "Mia"), ("age", "24"), ("place", "Digbeth")],
        );
        assert_eq!(t, "Mia 24 in Digbeth");
        let mut rng = Rng::new(1);
        let edited = edit(&mut rng, "Lovely, available today. Call now").unwrap();
        assert_ne!(edited, "Lovely, available today. Call now");
        assert!(edit(&mut rng, "nothing to edit").is_none());
    }

    #[test]
    fn own_voices_differ_between_workers() {
        let mut rng = Rng::new(2);
        let voices: std::collections::HashSet<Vec<&str>> =
            (0..20).map(|_| own_voice(&mut rng)).collect();
        assert!(voices.len() > 15);
    }
}
