//! Contact fields of a capture, and the plain normalisation the export needs before extraction
//! (issue 5) finds disguised contacts in free text.

/// Contact details as displayed in the site's own contact fields (may be obfuscated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// Phone field.
    pub phone: Option<String>,
    /// E-mail field.
    pub email: Option<String>,
    /// WhatsApp field (usually a phone number).
    pub whatsapp: Option<String>,
    /// Telegram field (a handle or number).
    pub telegram: Option<String>,
    /// Anything else the site shows.
    pub other: Option<String>,
}

/// Normalises a plainly written UK or international phone number to E.164 (`+447700900123`).
///
/// Only separators (spaces, dots, dashes, brackets) are removed; anything disguised returns
/// `None` and is left to the extractor.
pub fn normalise_phone(text: &str) -> Option<String> {
    let trimmed = text.trim();
    let mut digits = String::with_capacity(trimmed.len());
    let mut plus = false;
    for (i, c) in trimmed.char_indices() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => plus = true,
            ' ' | '.' | '-' | '(' | ')' | '/' => {}
            _ => return None,
        }
    }
    let national = if plus {
        digits
            .strip_prefix("44")
            .map(|rest| rest.trim_start_matches('0').to_owned())
    } else if let Some(rest) = digits.strip_prefix("0044") {
        Some(rest.trim_start_matches('0').to_owned())
    } else if let Some(rest) = digits.strip_prefix('0') {
        Some(rest.to_owned())
    } else if digits.len() == 12 && digits.starts_with("44") {
        Some(digits[2..].to_owned())
    } else {
        None
    };
    match national {
        Some(n) if (9..=10).contains(&n.len()) && !n.starts_with('0') => Some(format!("+44{n}")),
        Some(_) => None,
        None if plus && (8..=15).contains(&digits.len()) => Some(format!("+{digits}")),
        None => None,
    }
}

/// Lower-cases a plainly written e-mail address; `None` when it is not one.
pub fn normalise_email(text: &str) -> Option<String> {
    let email = text.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let plausible = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace);
    plausible.then_some(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_uk_numbers_in_their_usual_spellings() {
        for written in [
            "07700 900123",
            "+44 7700 900123",
            "0044 7700 900 123",
            "(07700) 900-123",
            "447700900123",
        ] {
            assert_eq!(
                normalise_phone(written).as_deref(),
                Some("+447700900123"),
                "{written}"
            );
        }
        assert_eq!(
            normalise_phone("020 7946 0018").as_deref(),
            Some("+442079460018")
        );
        assert_eq!(
            normalise_phone("+44 (0)20 7946 0018").as_deref(),
            Some("+442079460018")
        );
    }

    #[test]
    fn leaves_disguised_or_short_numbers_to_the_extractor() {
        assert_eq!(normalise_phone("o7seven00 9OO 123"), None);
        assert_eq!(normalise_phone("07700"), None);
        assert_eq!(normalise_phone("text me"), None);
    }

    #[test]
    fn lower_cases_emails_and_refuses_non_emails() {
        assert_eq!(
            normalise_email(" Mia@Example.COM ").as_deref(),
            Some("mia@example.com")
        );
        assert_eq!(normalise_email("mia at example dot com"), None);
        assert_eq!(normalise_email("a@b@example.com"), None);
        assert_eq!(normalise_email("a b@example.com"), None);
    }
}
