//! Rejected records: the report a person reads, and the verbatim copy they can fix and re-ingest.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// One record refused, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The input file as given.
    pub file: String,
    /// 1-based line where the record starts.
    pub line: u64,
    /// The field at fault (`contact.phone`, `location_lat`), or `line` for the whole record.
    pub field: String,
    /// Why, in words a person can act on.
    pub reason: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.field, self.reason
        )
    }
}

/// The rejects of one input file: a verbatim copy of each refused record (`*.rejects.jsonl` or
/// `*.rejects.csv`, headed by the original header row) and a matching `*.reasons.txt`. Both are
/// created only when the first record is refused, with owner-only permissions, since they hold
/// the same personal data as the input.
pub struct RejectsFile {
    path: PathBuf,
    reasons_path: PathBuf,
    csv_header: Option<Vec<u8>>,
    open: Option<(BufWriter<File>, BufWriter<File>)>,
    count: u64,
}

fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

impl RejectsFile {
    /// Rejects of an input go to `path`; nothing is written until a record is refused.
    pub fn new(path: PathBuf) -> Self {
        let reasons_path = path.with_extension("reasons.txt");
        Self {
            path,
            reasons_path,
            csv_header: None,
            open: None,
            count: 0,
        }
    }

    /// For CSV input: the header row to write before the first rejected row.
    pub fn set_csv_header(&mut self, header: &[u8]) {
        self.csv_header = Some(header.to_vec());
    }

    fn writers(&mut self) -> io::Result<&mut (BufWriter<File>, BufWriter<File>)> {
        if self.open.is_none() {
            if let Some(dir) = self.path.parent() {
                let mut builder = std::fs::DirBuilder::new();
                builder.recursive(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::DirBuilderExt;
                    builder.mode(0o700);
                }
                builder.create(dir)?;
            }
            let mut records = BufWriter::new(create_private(&self.path)?);
            if let Some(header) = &self.csv_header {
                records.write_all(header)?;
                records.write_all(b"\n")?;
            }
            let reasons = BufWriter::new(create_private(&self.reasons_path)?);
            self.open = Some((records, reasons));
        }
        Ok(self.open.as_mut().expect("opened just above"))
    }

    /// Starts a verbatim record; its bytes follow through [`RejectsFile::write_part`] and the
    /// record ends with [`RejectsFile::finish`].
    pub fn write_part(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writers()?.0.write_all(bytes)
    }

    /// Ends the current verbatim record and records why it was refused.
    pub fn finish(&mut self, rejection: &Rejection) -> io::Result<()> {
        let (records, reasons) = self.writers()?;
        records.write_all(b"\n")?;
        writeln!(reasons, "{rejection}")?;
        self.count += 1;
        Ok(())
    }

    /// Writes a whole record and its reason.
    pub fn reject(&mut self, verbatim: &[u8], rejection: &Rejection) -> io::Result<()> {
        self.write_part(verbatim)?;
        self.finish(rejection)
    }

    /// Flushes both files; returns the records path when anything was written.
    pub fn close(&mut self) -> io::Result<Option<PathBuf>> {
        match self.open.take() {
            None => Ok(None),
            Some((mut records, mut reasons)) => {
                records.flush()?;
                reasons.flush()?;
                records.get_ref().sync_all()?;
                reasons.get_ref().sync_all()?;
                Ok(Some(self.path.clone()))
            }
        }
    }

    /// Where the verbatim records go.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the reasons go.
    pub fn reasons_path(&self) -> &Path {
        &self.reasons_path
    }

    /// Records refused so far.
    pub fn count(&self) -> u64 {
        self.count
    }
}
