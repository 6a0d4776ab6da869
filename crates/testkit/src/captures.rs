//! Deterministic synthetic advert captures for tests and benchmarks.
//!
//! Every phone number is in Ofcom's drama ranges (07700 900000–900999, 020 7946 0000–0999,
//! 0121 496 0000–0999), every e-mail and URL is under `example.*`, every name is invented.

use std::io::{self, Write};

/// A small, fast, seedable PRNG (SplitMix64): stable across platforms and crate versions.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const NAMES: &[&str] = &[
    "Mia", "Jade", "Lexi", "Roxy", "Tia", "Kaz", "Bella", "Nina", "Sky", "Lola", "Ruby", "Zara",
];
const PLACES: &[(&str, &str)] = &[
    ("Birmingham, Digbeth", "B5"),
    ("Birmingham city centre", "B1"),
    ("Edgbaston", "B15"),
    ("Erdington", "B23"),
    ("Coventry", "CV1"),
    ("Wolverhampton", "WV1"),
    ("Walsall", "WS1"),
    ("Dudley", "DY1"),
    ("West Bromwich", "B70"),
    ("Solihull", "B91"),
    ("Smethwick", "B66"),
    ("Stourbridge", "DY8"),
];
const WORDS: &[&str] = &[
    "friendly",
    "discreet",
    "relaxed",
    "clean",
    "private",
    "parking",
    "available",
    "today",
    "tonight",
    "incall",
    "outcall",
    "genuine",
    "photos",
    "call",
    "text",
    "only",
    "no",
    "withheld",
    "numbers",
    "appointment",
    "welcome",
    "gentlemen",
    "quiet",
    "location",
    "near",
    "station",
    "easy",
    "to",
    "find",
    "happy",
    "smile",
    "new",
    "pics",
];

/// Writes synthetic captures as JSON Lines. About a fifth of lines re-capture an earlier listing
/// unchanged (a duplicate in content, later in time) and a tenth edit an earlier listing.
#[derive(Debug, Clone)]
pub struct CaptureGenerator {
    rng: Rng,
    body_words: u64,
}

impl CaptureGenerator {
    /// A generator whose output depends only on `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: Rng::new(seed),
            body_words: 90,
        }
    }

    /// Writes `count` captures to `out`.
    pub fn write_jsonl(&mut self, count: u64, out: &mut dyn Write) -> io::Result<()> {
        let mut listings: u64 = 0;
        for i in 0..count {
            let roll = self.rng.below(100);
            let (listing, edit) = if listings > 0 && roll < 20 {
                (self.rng.below(listings), 0)
            } else if listings > 0 && roll < 30 {
                (self.rng.below(listings), 1 + self.rng.below(3))
            } else {
                listings += 1;
                (listings - 1, 0)
            };
            let line = self.capture_line(listing, edit, i);
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// The JSON line of `listing` at `version`, captured at step `step`: its content depends only
    /// on `(listing, version)`, so a repeat is a true duplicate.
    fn capture_line(&mut self, listing: u64, version: u64, step: u64) -> String {
        let mut r = Rng::new(listing.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ version);
        let name = r.pick(NAMES);
        let (place, district) = r.pick(PLACES);
        let phone = format!("07700 900{:03}", r.below(1000));
        let age = 19 + r.below(20);
        let words: Vec<&str> = (0..self.body_words / 2 + r.below(self.body_words))
            .map(|_| *r.pick(WORDS))
            .collect();
        let source = ["site-a", "site-b", "site-c"][(listing % 3) as usize];
        let seconds = 1_790_000_000 + step * 7 + self.rng.below(5);
        let captured = unix_to_rfc3339(seconds);
        let value = serde_json::json!({
            "source": source,
            "external_id": format!("ad-{listing}"),
            "captured_at": captured,
            "url": format!("https://{source}.example/ad/{listing}"),
            "title": format!("{name} in {place}"),
            "body": format!("Hi, I'm {name}, {age}. {} Call {phone}.", words.join(" ")),
            "poster": name,
            "contact": {"phone": phone, "email": format!("{}{}@example.com", name.to_lowercase(), listing % 97)},
            "location": {"text": place, "postcode": district},
            "age": age.to_string(),
            "rates": format!("£{} 1hr", 80 + 10 * r.below(8)),
            "images": [format!("phash:{:016x}", r.next_u64())],
        });
        value.to_string()
    }
}

/// Seconds since the epoch as RFC 3339 UTC (`2026-10-03T21:14:00Z`), without a date library.
pub fn unix_to_rfc3339(seconds: u64) -> String {
    let days = seconds / 86_400;
    let rem = seconds % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_depends_only_on_the_seed() {
        let generate = |seed| {
            let mut out = Vec::new();
            CaptureGenerator::new(seed)
                .write_jsonl(50, &mut out)
                .unwrap();
            out
        };
        assert_eq!(generate(7), generate(7));
        assert_ne!(generate(7), generate(8));
    }

    #[test]
    fn phone_numbers_stay_in_the_drama_range() {
        let mut out = Vec::new();
        CaptureGenerator::new(1).write_jsonl(200, &mut out).unwrap();
        for line in String::from_utf8(out).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(
                v["contact"]["phone"]
                    .as_str()
                    .unwrap()
                    .starts_with("07700 900")
            );
        }
    }

    #[test]
    fn converts_epoch_seconds_to_dates() {
        assert_eq!(unix_to_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(unix_to_rfc3339(1_790_000_000), "2026-09-21T14:13:20Z");
        assert_eq!(unix_to_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
