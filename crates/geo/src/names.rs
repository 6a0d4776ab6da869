//! Name normalisation and word tokens with byte spans, shared by name lookups and by place
//! recognition in text, so that both sides of a match are folded the same way.

/// Folds a place name for matching: lower case, `&` read as `and`, apostrophes dropped (`B'ham`
/// → `bham`, `St Michael's` → `st michaels`), `Saint` read as `St`, every other non-alphanumeric
/// character a word break, words joined by single spaces.
pub fn normalise(name: &str) -> String {
    let tokens = tokenise(name);
    let mut out = String::with_capacity(name.len());
    for i in 0..tokens.len() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(tokens.norm(i));
    }
    out
}

/// One word of a text.
#[derive(Debug, Clone, Copy)]
pub struct Token {
    /// Byte offset of the word's first character in the text.
    pub start: usize,
    /// Byte offset just past the word.
    pub end: usize,
    norm: (u32, u32),
    /// The first character is upper case.
    pub capitalised: bool,
    /// Every letter is upper case (and there is at least one).
    pub all_upper: bool,
    /// A `.` follows the word directly (`Rd.`, `St.`).
    pub dot_after: bool,
}

/// The words of a text, with their folded forms.
#[derive(Debug, Default)]
pub struct Tokens {
    list: Vec<Token>,
    norms: String,
}

impl Tokens {
    /// Number of words.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are no words.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The `i`th word.
    pub fn get(&self, i: usize) -> &Token {
        &self.list[i]
    }

    /// The folded form of the `i`th word.
    pub fn norm(&self, i: usize) -> &str {
        let (a, b) = self.list[i].norm;
        &self.norms[a as usize..b as usize]
    }
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '`')
}

/// Splits text into words: runs of letters and digits, with apostrophes inside a word kept out of
/// its folded form and `&` a word of its own (`and`).
pub fn tokenise(text: &str) -> Tokens {
    let mut tokens = Tokens {
        list: Vec::with_capacity(text.len() / 5),
        norms: String::with_capacity(text.len()),
    };
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c == '&' {
            push(&mut tokens, start, start + 1, "and", false, false, false);
            continue;
        }
        if !c.is_alphanumeric() {
            continue;
        }
        let norm_start = tokens.norms.len();
        let mut end = start + c.len_utf8();
        let mut letters = 0_usize;
        let mut upper = 0_usize;
        let mut fold = |ch: char, norms: &mut String| {
            if ch.is_alphabetic() {
                letters += 1;
                if ch.is_uppercase() {
                    upper += 1;
                }
            }
            if ch.is_ascii() {
                norms.push(ch.to_ascii_lowercase());
            } else {
                norms.extend(ch.to_lowercase());
            }
        };
        fold(c, &mut tokens.norms);
        while let Some(&(i, ch)) = chars.peek() {
            if ch.is_alphanumeric() {
                fold(ch, &mut tokens.norms);
                end = i + ch.len_utf8();
                chars.next();
            } else if is_apostrophe(ch) {
                // Inside a word only when a letter or digit follows.
                let mut ahead = chars.clone();
                ahead.next();
                match ahead.peek() {
                    Some(&(_, next)) if next.is_alphanumeric() => {
                        chars.next();
                    }
                    _ => break,
                }
            } else {
                break;
            }
        }
        let dot_after = text[end..].starts_with('.');
        let norm = (norm_start as u32, tokens.norms.len() as u32);
        if &tokens.norms[norm.0 as usize..norm.1 as usize] == "saint" {
            tokens.norms.truncate(norm_start);
            tokens.norms.push_str("st");
        }
        tokens.list.push(Token {
            start,
            end,
            norm: (norm_start as u32, tokens.norms.len() as u32),
            capitalised: c.is_uppercase(),
            all_upper: letters > 0 && upper == letters,
            dot_after,
        });
    }
    tokens
}

fn push(
    tokens: &mut Tokens,
    start: usize,
    end: usize,
    norm: &str,
    capitalised: bool,
    all_upper: bool,
    dot_after: bool,
) {
    let a = tokens.norms.len() as u32;
    tokens.norms.push_str(norm);
    tokens.list.push(Token {
        start,
        end,
        norm: (a, tokens.norms.len() as u32),
        capitalised,
        all_upper,
        dot_after,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_punctuation_and_variants() {
        assert_eq!(
            normalise("Soho & Jewellery Quarter"),
            "soho and jewellery quarter"
        );
        assert_eq!(normalise("B'ham"), "bham");
        assert_eq!(normalise("St. Michael’s"), "st michaels");
        assert_eq!(normalise("Saint Michael's"), "st michaels");
        assert_eq!(normalise("Ladywood - Summer Hill"), "ladywood summer hill");
        assert_eq!(normalise("  W'TON!! "), "wton");
    }

    #[test]
    fn tokens_keep_byte_spans() {
        let text = "Near the Bullring, B'ham — £80 ‘ok’";
        let t = tokenise(text);
        let words: Vec<&str> = (0..t.len())
            .map(|i| &text[t.get(i).start..t.get(i).end])
            .collect();
        assert_eq!(words, ["Near", "the", "Bullring", "B'ham", "80", "ok"]);
        assert_eq!(t.norm(3), "bham");
        assert!(t.get(2).capitalised && !t.get(1).capitalised);
    }

    #[test]
    fn an_apostrophe_at_a_word_edge_is_not_part_of_it() {
        let t = tokenise("'Digbeth' girls'");
        assert_eq!(t.len(), 2);
        assert_eq!(t.norm(0), "digbeth");
        assert_eq!(t.norm(1), "girls");
    }
}
