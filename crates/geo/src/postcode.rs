//! UK postcode syntax: units (`B5 6DY`), sectors (`B5 6`), districts (`B5`), in any case and
//! spacing. Pure parsing; whether a postcode exists is the gazetteer's business.

use std::fmt;

/// An outward code (area + district), e.g. `B5`, `WS10`, `EC1A`: at most four ASCII bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Outward {
    bytes: [u8; 4],
    len: u8,
}

impl Outward {
    /// Parses an outward code (upper or lower case, no spaces).
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if !(2..=4).contains(&b.len()) {
            return None;
        }
        let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
        if !(1..=2).contains(&letters) {
            return None;
        }
        let rest = &b[letters..];
        let ok = match rest {
            [d] => d.is_ascii_digit(),
            [d1, d2] => d1.is_ascii_digit() && (d2.is_ascii_digit() || d2.is_ascii_alphabetic()),
            _ => false,
        };
        if !ok {
            return None;
        }
        let mut bytes = [b' '; 4];
        for (slot, c) in bytes.iter_mut().zip(b) {
            *slot = c.to_ascii_uppercase();
        }
        Some(Self {
            bytes,
            len: b.len() as u8,
        })
    }

    /// The postcode area: the leading letters (`B`, `WS`).
    pub fn area(&self) -> &str {
        let s = self.as_str();
        let n = s.bytes().take_while(u8::is_ascii_alphabetic).count();
        &s[..n]
    }

    /// The code as text, upper case.
    pub fn as_str(&self) -> &str {
        // Built only from ASCII letters and digits.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }

    /// A sortable key: the code padded to four bytes.
    pub fn key(&self) -> u64 {
        u64::from(u32::from_be_bytes(self.bytes)) << 24
    }
}

impl fmt::Display for Outward {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed postcode at one of three levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Postcode {
    /// A full unit, e.g. `B5 6DY`: outward code, sector digit, unit letters.
    Unit(Outward, u8, [u8; 2]),
    /// A sector, e.g. `B5 6`.
    Sector(Outward, u8),
    /// A district, e.g. `B5`.
    District(Outward),
}

/// Letters never used in the last two places of an inward code.
const NOT_UNIT_LETTERS: &[u8] = b"CIKMOV";

fn is_unit_letter(c: u8) -> bool {
    c.is_ascii_alphabetic() && !NOT_UNIT_LETTERS.contains(&c.to_ascii_uppercase())
}

impl Postcode {
    /// Parses a postcode written with any case and spacing: `b56dy`, `B5 6DY`, `b5  6`, `WS10`.
    /// A sector needs its space (`B5 6`): without one, `B56` is the district B56.
    pub fn parse(text: &str) -> Option<Self> {
        let trimmed = text.trim();
        let compact: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
        if !compact.is_ascii() {
            return None;
        }
        let b = compact.as_bytes();
        if b.len() >= 5 {
            let (out, inward) = compact.split_at(b.len() - 3);
            let i = inward.as_bytes();
            if i[0].is_ascii_digit() && is_unit_letter(i[1]) && is_unit_letter(i[2]) {
                let outward = Outward::parse(out)?;
                return Some(Self::Unit(
                    outward,
                    i[0] - b'0',
                    [i[1].to_ascii_uppercase(), i[2].to_ascii_uppercase()],
                ));
            }
        }
        if let Some((out, sector)) = trimmed.rsplit_once(char::is_whitespace) {
            let sector = sector.as_bytes();
            if sector.len() == 1 && sector[0].is_ascii_digit() {
                return Some(Self::Sector(Outward::parse(out.trim())?, sector[0] - b'0'));
            }
            return None;
        }
        Outward::parse(&compact).map(Self::District)
    }

    /// The outward code.
    pub fn outward(&self) -> Outward {
        match *self {
            Self::Unit(o, ..) | Self::Sector(o, _) | Self::District(o) => o,
        }
    }

    /// The sector this postcode is in (itself for a sector; none for a district).
    pub fn sector(&self) -> Option<Postcode> {
        match *self {
            Self::Unit(o, s, _) | Self::Sector(o, s) => Some(Self::Sector(o, s)),
            Self::District(_) => None,
        }
    }

    /// A key unique per postcode and level, ordered by outward code.
    pub fn key(&self) -> u64 {
        match *self {
            Self::Unit(o, s, [a, b]) => {
                o.key() | (u64::from(b'0' + s) << 16) | (u64::from(a) << 8) | u64::from(b)
            }
            Self::Sector(o, s) => o.key() | (u64::from(b'0' + s) << 16),
            Self::District(o) => o.key(),
        }
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Unit(o, s, [a, b]) => write!(f, "{o} {s}{}{}", a as char, b as char),
            Self::Sector(o, s) => write!(f, "{o} {s}"),
            Self::District(o) => write!(f, "{o}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(text: &str) -> Option<String> {
        Postcode::parse(text).map(|p| p.to_string())
    }

    #[test]
    fn units_parse_in_any_case_and_spacing() {
        for text in ["B5 6DY", "b56dy", "b5 6dy", " B5  6DY ", "B56DY"] {
            assert_eq!(show(text).as_deref(), Some("B5 6DY"), "{text:?}");
        }
        assert_eq!(show("ws107ad").as_deref(), Some("WS10 7AD"));
        assert_eq!(show("EC1A 1BB").as_deref(), Some("EC1A 1BB"));
    }

    #[test]
    fn sectors_need_their_space_and_districts_stand_alone() {
        assert!(matches!(
            Postcode::parse("B5 6"),
            Some(Postcode::Sector(..))
        ));
        assert_eq!(show("ws10 7").as_deref(), Some("WS10 7"));
        assert!(matches!(
            Postcode::parse("B56"),
            Some(Postcode::District(_))
        ));
        assert_eq!(show("wv14").as_deref(), Some("WV14"));
    }

    #[test]
    fn malformed_text_is_not_a_postcode() {
        for text in [
            "", "B", "5B", "BBB1", "B5 6D", "B5 6CI", "B123", "hello", "B5 66", "£80", "B5 6DY X",
            "Ｂ5 6DY",
        ] {
            assert_eq!(Postcode::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn keys_are_unique_per_level() {
        let unit = Postcode::parse("B5 6DY").unwrap();
        let sector = unit.sector().unwrap();
        let district = Postcode::District(unit.outward());
        assert_ne!(unit.key(), sector.key());
        assert_ne!(sector.key(), district.key());
        assert_eq!(
            Postcode::parse("b56dy").unwrap().key(),
            unit.key(),
            "spelling does not change the key"
        );
        assert_ne!(
            Postcode::parse("B56 6DY").unwrap().key(),
            unit.key(),
            "B56 is another district"
        );
    }
}
