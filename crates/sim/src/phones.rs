//! Phone numbers for scenarios and the ways adverts write them.
//!
//! Numbers come from Ofcom's drama ranges (07700 900000–900999, 020 7946 0000–0999,
//! 0121 496 0000–0999) while a scenario needs no more than those 3,000. A larger scenario draws
//! further UK mobile numbers at random at run time: its output must never be committed or shared,
//! since a random number can belong to a real person (the scenario's README says so).

use serde::Serialize;

use crate::rng::Rng;

/// A phone number, held as its national digits (`07700900123`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

impl Phone {
    /// National digits, e.g. `07700900123`.
    pub fn national(&self) -> &str {
        &self.0
    }

    /// E.164, e.g. `+447700900123`.
    pub fn e164(&self) -> String {
        format!("+44{}", &self.0[1..])
    }

    /// Whether this is a mobile number (07…).
    fn is_mobile(&self) -> bool {
        self.0.starts_with("07")
    }

    /// The usual spaced national form: `07700 900123`, `020 7946 0123`, `0121 496 0123`.
    pub fn display(&self) -> String {
        let d = &self.0;
        if d.starts_with("020") {
            format!("{} {} {}", &d[..3], &d[3..7], &d[7..])
        } else if d.starts_with("01") {
            format!("{} {} {}", &d[..4], &d[4..7], &d[7..])
        } else {
            format!("{} {}", &d[..5], &d[5..])
        }
    }
}

/// Hands out distinct numbers: the drama ranges first, random mobiles after.
#[derive(Debug)]
pub struct PhonePool {
    next_drama: u32,
    issued_random: std::collections::HashSet<String>,
    rng: Rng,
}

/// How many numbers the drama ranges hold.
pub const DRAMA_NUMBERS: u32 = 3_000;

impl PhonePool {
    /// A pool drawing random numbers (once the drama ranges are used up) from `rng`.
    pub fn new(rng: Rng) -> Self {
        Self {
            next_drama: 0,
            issued_random: std::collections::HashSet::new(),
            rng,
        }
    }

    /// Whether any random (non-drama) number has been issued.
    pub fn used_random_numbers(&self) -> bool {
        !self.issued_random.is_empty()
    }

    /// A number not issued before. Mobiles first (adverts mostly give mobiles).
    pub fn issue(&mut self) -> Phone {
        let n = self.next_drama;
        if n < DRAMA_NUMBERS {
            self.next_drama += 1;
            // Interleave: two mobiles, then a London or Birmingham landline, as adverts mix them.
            let digits = match n {
                0..1000 => format!("07700900{n:03}"),
                1000..2000 => format!("0121496{:04}", n - 1000),
                _ => format!("02079460{:03}", n - 2000),
            };
            return Phone(digits);
        }
        loop {
            // 071xx–079xx mobiles, avoiding the drama range.
            let prefix = self.rng.range(71, 79);
            let rest = self.rng.below(100_000_000);
            let digits = format!("0{prefix}{rest:08}");
            if !digits.starts_with("07700900") && self.issued_random.insert(digits.clone()) {
                return Phone(digits);
            }
        }
    }
}

/// How a number is written in advert text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Obfuscation {
    /// `07700 900123`.
    Plain,
    /// `0 7 7 0 0 9 0 0 1 2 3`.
    Spaced,
    /// `07700.900.123`, `07700-900-123`.
    Punctuated,
    /// `+44 7700 900123`, `0044 7700 900123`, `+44 (0)7700 900123`.
    International,
    /// `O77OO 9OO l23`: letters for digits.
    Letters,
    /// `zero seven seven zero zero …`.
    Words,
    /// `o7seven00 9OO 123`: words, letters and digits mixed.
    Mixed,
    /// Fullwidth digits `０７７００ ９００１２３`.
    Fullwidth,
    /// Keycap emoji `0️⃣7️⃣…`.
    Keycap,
    /// Split across a sentence: `call 07700. then 900 123`.
    Split,
}

impl Obfuscation {
    /// Every way, plain first.
    pub const ALL: [Obfuscation; 10] = [
        Self::Plain,
        Self::Spaced,
        Self::Punctuated,
        Self::International,
        Self::Letters,
        Self::Words,
        Self::Mixed,
        Self::Fullwidth,
        Self::Keycap,
        Self::Split,
    ];

    /// Whether the number is hidden from a plain digit reader.
    pub fn is_obscured(self) -> bool {
        !matches!(self, Self::Plain | Self::International)
    }

    /// Its name in truth files.
    pub fn name(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Spaced => "spaced",
            Self::Punctuated => "punctuated",
            Self::International => "international",
            Self::Letters => "letters",
            Self::Words => "words",
            Self::Mixed => "mixed",
            Self::Fullwidth => "fullwidth",
            Self::Keycap => "keycap",
            Self::Split => "split",
        }
    }
}

const WORDS: [&str; 10] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

/// Writes `phone` the way `how` says.
pub fn render(phone: &Phone, how: Obfuscation, rng: &mut Rng) -> String {
    let digits = phone.national();
    match how {
        Obfuscation::Plain => phone.display(),
        Obfuscation::Spaced => digits
            .chars()
            .map(String::from)
            .collect::<Vec<_>>()
            .join(" "),
        Obfuscation::Punctuated => {
            let sep = *rng.pick(&[".", "-", "/"]);
            let (a, b) = digits.split_at(5);
            let (b, c) = b.split_at(3);
            format!("{a}{sep}{b}{sep}{c}")
        }
        Obfuscation::International => {
            let rest = &digits[1..];
            let (a, b) = rest.split_at(if phone.is_mobile() { 4 } else { 3 });
            match rng.below(3) {
                0 => format!("+44 {a} {b}"),
                1 => format!("0044 {a} {b}"),
                _ => format!("+44 (0){a} {b}"),
            }
        }
        Obfuscation::Letters => {
            let mut out: String = digits
                .chars()
                .map(|c| match c {
                    '0' => 'O',
                    '1' => *rng.pick(&['l', 'I']),
                    other => other,
                })
                .collect();
            out.insert(5, ' ');
            out
        }
        Obfuscation::Words => digits
            .chars()
            .map(|c| WORDS[c.to_digit(10).unwrap_or(0) as usize])
            .collect::<Vec<_>>()
            .join(" "),
        Obfuscation::Mixed => {
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i == 5 {
                    out.push(' ');
                }
                let d = c.to_digit(10).unwrap_or(0) as usize;
                // The second digit is always a word, so the mix never comes out plain.
                match if i == 1 { 0 } else { rng.below(4) } {
                    0 => out.push_str(WORDS[d]),
                    1 if c == '0' => out.push(*rng.pick(&['o', 'O'])),
                    _ => out.push(c),
                }
            }
            out
        }
        Obfuscation::Fullwidth => {
            let mut out: String = digits
                .chars()
                .map(|c| char::from_u32(0xFF10 + c.to_digit(10).unwrap_or(0)).unwrap_or(c))
                .collect();
            let cut = out.char_indices().nth(5).map_or(out.len(), |(i, _)| i);
            out.insert(cut, ' ');
            out
        }
        Obfuscation::Keycap => digits
            .chars()
            .map(|c| format!("{c}\u{fe0f}\u{20e3}"))
            .collect(),
        Obfuscation::Split => {
            let (a, b) = digits.split_at(5);
            let joiner = *rng.pick(&[". Then ", " and the rest is ", " ... ", ", last bit "]);
            format!("{a}{joiner}{b}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_gives_drama_numbers_first_and_never_repeats() {
        let mut pool = PhonePool::new(Rng::new(1));
        let first: Vec<Phone> = (0..3000).map(|_| pool.issue()).collect();
        assert!(!pool.used_random_numbers());
        assert_eq!(first[0].display(), "07700 900000");
        assert_eq!(first[1500].display(), "0121 496 0500");
        assert_eq!(first[2999].display(), "020 7946 0999");
        let mut all: std::collections::HashSet<Phone> = first.into_iter().collect();
        for _ in 0..1000 {
            assert!(all.insert(pool.issue()));
        }
        assert!(pool.used_random_numbers());
    }

    #[test]
    fn every_obfuscation_keeps_the_digits_recoverable_by_eye() {
        let phone = Phone("07700900123".into());
        let mut rng = Rng::new(3);
        assert_eq!(phone.e164(), "+447700900123");
        for how in Obfuscation::ALL {
            let text = render(&phone, how, &mut rng);
            assert!(!text.is_empty(), "{how:?}");
            if how == Obfuscation::Plain {
                assert_eq!(text, "07700 900123");
            }
            if how == Obfuscation::Keycap {
                assert!(text.contains("7\u{fe0f}\u{20e3}"));
            }
        }
    }
}
