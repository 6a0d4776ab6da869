//! Terminal output of an ingest: a progress bar (only on a terminal) and the first rejections.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use lantern_app::ingest::RejectionReporter;
use lantern_ingest::{Progress, Rejection};

/// A byte-based progress bar per file.
pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    /// A hidden bar, shown when the first file starts.
    pub fn new() -> Self {
        Self {
            bar: ProgressBar::hidden(),
        }
    }
}

impl Progress for Bar {
    fn file_started(&self, path: &Path, bytes: Option<u64>) {
        self.bar
            .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        self.bar.reset();
        self.bar.set_length(bytes.unwrap_or(0));
        self.bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        self.bar.set_message(path.display().to_string());
    }
    fn advanced(&self, bytes: u64) {
        self.bar.set_position(bytes);
    }
    fn file_finished(&self) {
        self.bar.finish_and_clear();
    }
}

/// Prints the first rejections to standard error, then counts the rest.
pub struct RejectionPrinter {
    limit: u64,
    seen: u64,
}

impl RejectionPrinter {
    /// Prints at most `limit` rejections.
    pub fn new(limit: u64) -> Self {
        Self { limit, seen: 0 }
    }

    /// Says how many were not printed.
    pub fn finish(&self) {
        if self.seen > self.limit {
            eprintln!(
                "... and {} more rejected line(s), listed in the reasons file",
                self.seen - self.limit
            );
        }
    }
}

impl RejectionReporter for RejectionPrinter {
    fn rejected(&mut self, rejection: &Rejection) {
        self.seen += 1;
        if self.seen <= self.limit {
            eprintln!("rejected {rejection}");
        }
    }
}

/// A bar per analysis stage (only on a terminal).
pub struct AnalyseBar {
    bar: ProgressBar,
}

impl AnalyseBar {
    /// A bar drawn on standard error when it is a terminal.
    pub fn new(quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr())
        };
        Self { bar }
    }
}

impl lantern_app::analyse::AnalyseProgress for AnalyseBar {
    fn stage(&self, name: &str, total: Option<u64>) {
        self.bar.reset();
        let template = match total {
            Some(_) => "{msg} [{bar:30}] {pos}/{len} {per_sec} eta {eta}",
            None => "{spinner} {msg}",
        };
        self.bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        self.bar.set_length(total.unwrap_or(0));
        self.bar.set_message(name.to_owned());
        self.bar.tick();
    }
    fn advanced(&self, units: u64) {
        self.bar.inc(units);
    }
    fn finished(&self) {
        self.bar.finish_and_clear();
    }
}
