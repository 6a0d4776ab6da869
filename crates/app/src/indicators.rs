//! `lantern indicators`: the indicator catalogue, listed and filtered, as a table or JSON.

use std::fmt::Write as _;
use std::path::Path;

use lantern_indicators::{Catalogue, CatalogueError, Filter, Indicator};

/// Why the catalogue could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum IndicatorsError {
    /// The catalogue file could not be read.
    #[error("reading the indicator catalogue {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The catalogue breaks a rule.
    #[error("invalid indicator catalogue: {0}")]
    Invalid(#[from] CatalogueError),
}

/// The embedded catalogue, or the one in `path` (to check an edited catalogue before shipping it).
pub fn load(path: Option<&Path>) -> Result<Catalogue, IndicatorsError> {
    match path {
        None => Ok(Catalogue::embedded()?.clone()),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| IndicatorsError::Read {
                path: path.display().to_string(),
                source,
            })?;
            Ok(Catalogue::parse(&text, &path.display().to_string())?)
        }
    }
}

/// The selected indicators.
pub fn select<'c>(catalogue: &'c Catalogue, filter: &Filter) -> Vec<&'c Indicator> {
    catalogue.filter(filter)
}

/// A plain-text table: code, who can observe it, whether it is scored, and the wording (wrapped
/// to `width` columns), then a count.
pub fn table(indicators: &[&Indicator], width: usize) -> String {
    let mut out = String::new();
    let lead = 14 + 17 + 8;
    let wrap_at = width.saturating_sub(lead).max(30);
    let _ = writeln!(
        out,
        "{:<14}{:<17}{:<8}WORDING",
        "CODE", "OBSERVABLE BY", "SCORED"
    );
    for ind in indicators {
        let by: Vec<&str> = ind.observable_by.iter().map(observer_name).collect();
        let scored = if ind.is_scorable() { "yes" } else { "no" };
        let mut lines = wrap(&ind.wording, wrap_at).into_iter();
        let first = lines.next().unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<14}{:<17}{:<8}{first}",
            ind.code,
            by.join("/"),
            scored
        );
        for line in lines {
            let _ = writeln!(out, "{:lead$}{line}", "");
        }
    }
    let _ = writeln!(out, "{} indicator(s)", indicators.len());
    out
}

fn observer_name(o: &lantern_indicators::Observer) -> &'static str {
    use lantern_indicators::Observer::*;
    match o {
        Public => "public",
        Professional => "professional",
        VisitInterview => "visit",
        DocumentCheck => "documents",
    }
}

/// Greedy word wrap.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("never empty");
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_wraps_wording_under_its_column() {
        let catalogue = load(None).unwrap();
        let filter = Filter {
            domain: Some("adv".into()),
            ..Filter::default()
        };
        let chosen = select(&catalogue, &filter);
        let text = table(&chosen, 80);
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        assert!(text.contains("IND-ADV-X01   public           no      Contra-indicator"));
        assert!(text.ends_with("9 indicator(s)\n"));
    }
}
