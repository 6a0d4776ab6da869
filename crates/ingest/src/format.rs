//! Input file formats and how they are recognised.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// An input format of the capture contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON Lines.
    Jsonl,
    /// Gzip-compressed JSON Lines.
    JsonlGz,
    /// CSV with a header row.
    Csv,
    /// Gzip-compressed CSV.
    CsvGz,
}

/// The format could not be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FormatError(String);

impl Format {
    /// Tells the format from the file name (`.jsonl`, `.ndjson`, `.jsonl.gz`, `.csv`, `.csv.gz`).
    pub fn from_path(path: &Path) -> Result<Self, FormatError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let by_suffix = [
            (".jsonl.gz", Self::JsonlGz),
            (".ndjson.gz", Self::JsonlGz),
            (".csv.gz", Self::CsvGz),
            (".jsonl", Self::Jsonl),
            (".ndjson", Self::Jsonl),
            (".csv", Self::Csv),
        ];
        by_suffix
            .iter()
            .find(|(suffix, _)| name.ends_with(suffix))
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                FormatError(format!(
                    "{}: cannot tell the format from the name; expected .jsonl, .jsonl.gz, .csv or .csv.gz, or pass --format",
                    path.display()
                ))
            })
    }

    /// Whether the bytes on disk are gzip-compressed.
    pub fn is_gzip(self) -> bool {
        matches!(self, Self::JsonlGz | Self::CsvGz)
    }

    /// Whether records are CSV rows.
    pub fn is_csv(self) -> bool {
        matches!(self, Self::Csv | Self::CsvGz)
    }
}

impl FromStr for Format {
    type Err = FormatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Ok(Self::Jsonl),
            "jsonl.gz" | "jsonl-gz" => Ok(Self::JsonlGz),
            "csv" => Ok(Self::Csv),
            "csv.gz" | "csv-gz" => Ok(Self::CsvGz),
            other => Err(FormatError(format!(
                "unknown format {other:?}; expected jsonl, jsonl.gz, csv or csv.gz"
            ))),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Jsonl => "jsonl",
            Self::JsonlGz => "jsonl.gz",
            Self::Csv => "csv",
            Self::CsvGz => "csv.gz",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_formats_from_names_and_flags() {
        assert_eq!(
            Format::from_path(Path::new("a/b.JSONL")).unwrap(),
            Format::Jsonl
        );
        assert_eq!(
            Format::from_path(Path::new("b.jsonl.gz")).unwrap(),
            Format::JsonlGz
        );
        assert_eq!(Format::from_path(Path::new("b.csv")).unwrap(), Format::Csv);
        assert!(
            Format::from_path(Path::new("b.txt"))
                .unwrap_err()
                .to_string()
                .contains("--format")
        );
        assert_eq!("JSONL.GZ".parse::<Format>().unwrap(), Format::JsonlGz);
        assert!("xml".parse::<Format>().is_err());
    }
}
