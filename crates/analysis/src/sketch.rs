//! A listing's sketch: what linking needs of it ([`lantern_link::Inputs`]) and the premises it
//! names, in a compact binary form kept for every listing. An incremental analysis links every
//! listing again from these sketches (a few hundred bytes each) instead of decoding every
//! listing's evidence, and reads the full evidence only of the clusters that changed.
//!
//! The byte layout (little-endian) is Lantern's own and versioned: a version byte, then counted
//! lists of identifiers (kind tag, key, optional perceptual bits), text signature values, context
//! keys and premises keys.

use lantern_link::{Identifier, Inputs, LinkKind, context_key};

use crate::ListingEvidence;
use crate::area::PlaceDistricts;
use crate::locations::premises_key;

/// Version of the byte layout; a sketch of another version is refused (the analysis then asks
/// for `--full`).
const SKETCH_VERSION: u8 = 1;

/// What an incremental analysis keeps of one listing between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sketch {
    /// Linking inputs.
    pub inputs: Inputs,
    /// The premises it advertised, each as [`crate::premises_key`] of its area key.
    pub premises: Vec<u64>,
}

impl Sketch {
    /// The sketch of a listing's evidence.
    pub fn of(e: &ListingEvidence, places: &PlaceDistricts) -> Self {
        let identifiers = e
            .phones
            .iter()
            .map(|p| Identifier::new(LinkKind::Phone, p))
            .chain(e.emails.iter().map(|m| Identifier::new(LinkKind::Email, m)))
            .chain(
                e.handles
                    .iter()
                    .map(|h| Identifier::new(LinkKind::Handle, h)),
            )
            .chain(e.images.iter().map(|i| Identifier::new(LinkKind::Image, i)))
            .collect();
        let mut context: Vec<u64> = crate::context(e, places)
            .iter()
            .map(|c| context_key(c))
            .collect();
        context.sort_unstable();
        context.dedup();
        let mut premises: Vec<u64> = e
            .areas
            .values()
            .filter(|seen| seen.area.is_premises())
            .map(|seen| premises_key(&seen.area.key))
            .collect();
        premises.sort_unstable();
        premises.dedup();
        Self {
            inputs: Inputs {
                identifiers,
                text: e.text_signature.clone(),
                context,
            },
            premises,
        }
    }

    /// The stored form.
    pub fn encode(&self) -> Vec<u8> {
        let i = &self.inputs;
        let mut out = Vec::with_capacity(
            8 + i.identifiers.len() * 18
                + i.text.len() * 4
                + (i.context.len() + self.premises.len()) * 8,
        );
        out.push(SKETCH_VERSION);
        put_len(&mut out, i.identifiers.len());
        for id in &i.identifiers {
            out.push(id.kind.tag());
            out.extend_from_slice(&id.key.to_le_bytes());
            match id.phash {
                Some(bits) => {
                    out.push(1);
                    out.extend_from_slice(&bits.to_le_bytes());
                }
                None => out.push(0),
            }
        }
        put_len(&mut out, i.text.len());
        for v in &i.text {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for list in [&i.context, &self.premises] {
            put_len(&mut out, list.len());
            for v in list {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out
    }

    /// Reads a stored sketch.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let mut r = Reader { bytes, at: 0 };
        let version = r.u8()?;
        if version != SKETCH_VERSION {
            return Err(format!(
                "sketch version {version}, expected {SKETCH_VERSION}"
            ));
        }
        let n = r.len()?;
        let mut identifiers = Vec::with_capacity(n);
        for _ in 0..n {
            let tag = r.u8()?;
            let kind = LinkKind::from_tag(tag).ok_or_else(|| format!("unknown kind {tag}"))?;
            let key = r.u64()?;
            let phash = match r.u8()? {
                0 => None,
                1 => Some(r.u64()?),
                other => return Err(format!("bad perceptual-hash flag {other}")),
            };
            identifiers.push(Identifier { kind, key, phash });
        }
        let n = r.len()?;
        let mut text = Vec::with_capacity(n);
        for _ in 0..n {
            text.push(r.u32()?);
        }
        let mut lists = [Vec::new(), Vec::new()];
        for list in &mut lists {
            let n = r.len()?;
            list.reserve(n);
            for _ in 0..n {
                list.push(r.u64()?);
            }
        }
        if r.at != bytes.len() {
            return Err(format!("{} trailing byte(s)", bytes.len() - r.at));
        }
        let [context, premises] = lists;
        Ok(Self {
            inputs: Inputs {
                identifiers,
                text,
                context,
            },
            premises,
        })
    }
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n.min(u32::MAX as usize) as u32).to_le_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let end = self.at + N;
        let slice = self
            .bytes
            .get(self.at..end)
            .ok_or_else(|| format!("sketch ends early at byte {}", self.at))?;
        self.at = end;
        let mut out = [0; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take()?))
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take()?))
    }

    /// A count, refused when the bytes left could not hold that many items.
    fn len(&mut self) -> Result<usize, String> {
        let n = self.u32()? as usize;
        if n > self.bytes.len() - self.at {
            return Err(format!(
                "count {n} at byte {} exceeds the sketch",
                self.at - 4
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sketch_reads_back_as_written_and_damage_is_refused() {
        let sketch = Sketch {
            inputs: Inputs {
                identifiers: vec![
                    Identifier::new(LinkKind::Phone, "+447700900001"),
                    Identifier::new(LinkKind::Image, "phash:0f0f0f0f0f0f0f0f"),
                ],
                text: (0..32).collect(),
                context: vec![context_key("district:B5"), 7],
            },
            premises: vec![premises_key("unit:B5 6DY")],
        };
        let bytes = sketch.encode();
        assert_eq!(Sketch::decode(&bytes).unwrap(), sketch);
        assert_eq!(
            Sketch::decode(&Sketch::default().encode()).unwrap(),
            Sketch::default()
        );
        for cut in [0, 1, 5, bytes.len() - 1] {
            assert!(Sketch::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Sketch::decode(&longer).is_err());
        let mut other = bytes;
        other[0] = 9;
        assert!(Sketch::decode(&other).unwrap_err().contains("version 9"));
    }
}
