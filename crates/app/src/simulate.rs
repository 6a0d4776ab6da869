//! Writes a simulated scenario to a directory: `captures.jsonl` in the capture format, the ground
//! truth under `truth/`, and a README saying what is there.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use lantern_geo::Gazetteer;
use lantern_sim::{
    Capture, ControllerTruth, ListingTruth, PremisesTruth, Scenario, Sink, Summary, simulate,
};

/// Why a scenario could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// A file could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The bundled geography could not be read.
    #[error("{0}")]
    Geo(String),
}

/// The files of a scenario directory.
pub mod files {
    /// The captures, JSON Lines.
    pub const CAPTURES: &str = "captures.jsonl";
    /// Listing → controller, worker, premises, phones …
    pub const LISTINGS: &str = "truth/listings.csv";
    /// Premises → postcode, place, borough, weeks.
    pub const PREMISES: &str = "truth/premises.csv";
    /// Controllers.
    pub const CONTROLLERS: &str = "truth/controllers.csv";
    /// Settings and counts.
    pub const SCENARIO: &str = "truth/scenario.json";
}

struct FileSink {
    captures: BufWriter<File>,
    listings: csv::Writer<BufWriter<File>>,
    premises: csv::Writer<BufWriter<File>>,
    controllers: csv::Writer<BufWriter<File>>,
    line: Vec<u8>,
}

fn csv_error(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

impl Sink for FileSink {
    fn capture(&mut self, capture: &Capture) -> std::io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, capture)?;
        self.line.push(b'\n');
        self.captures.write_all(&self.line)
    }
    fn listing(&mut self, truth: &ListingTruth) -> std::io::Result<()> {
        self.listings.serialize(truth).map_err(csv_error)
    }
    fn premises(&mut self, truth: &PremisesTruth) -> std::io::Result<()> {
        self.premises.serialize(truth).map_err(csv_error)
    }
    fn controller(&mut self, truth: &ControllerTruth) -> std::io::Result<()> {
        self.controllers.serialize(truth).map_err(csv_error)
    }
}

/// Writes `scenario` into `out`. Files are written under temporary names and renamed when
/// complete, so an interrupted run never leaves a directory that looks finished.
pub fn write_scenario(scenario: &Scenario, out: &Path) -> Result<Summary, SimulateError> {
    let gazetteer = Gazetteer::embedded().map_err(|e| SimulateError::Geo(e.to_string()))?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SimulateError::Io { path, source }
    };
    let truth_dir = out.join("truth");
    std::fs::create_dir_all(&truth_dir).map_err(io(&truth_dir))?;
    let names = [
        files::CAPTURES,
        files::LISTINGS,
        files::PREMISES,
        files::CONTROLLERS,
    ];
    let partial = |name: &str| out.join(format!("{name}.partial"));
    let open = |name: &str| {
        let path = partial(name);
        File::create(&path)
            .map(|f| BufWriter::with_capacity(1 << 20, f))
            .map_err(io(&path))
    };
    let mut sink = FileSink {
        captures: open(files::CAPTURES)?,
        listings: csv::Writer::from_writer(open(files::LISTINGS)?),
        premises: csv::Writer::from_writer(open(files::PREMISES)?),
        controllers: csv::Writer::from_writer(open(files::CONTROLLERS)?),
        line: Vec::with_capacity(4096),
    };
    let summary = simulate(scenario, gazetteer, &mut sink).map_err(io(out))?;
    sink.captures
        .flush()
        .map_err(io(&partial(files::CAPTURES)))?;
    for (writer, name) in [
        (&mut sink.listings, files::LISTINGS),
        (&mut sink.premises, files::PREMISES),
        (&mut sink.controllers, files::CONTROLLERS),
    ] {
        writer.flush().map_err(io(&partial(name)))?;
    }
    drop(sink);
    let scenario_json = serde_json::json!({ "scenario": scenario, "summary": summary });
    let path = out.join(files::SCENARIO);
    std::fs::write(&path, format!("{scenario_json:#}\n")).map_err(io(&path))?;
    for name in names {
        std::fs::rename(partial(name), out.join(name)).map_err(io(&out.join(name)))?;
    }
    let readme = out.join("README.txt");
    std::fs::write(&readme, readme_text(scenario, &summary)).map_err(io(&readme))?;
    Ok(summary)
}

fn readme_text(scenario: &Scenario, summary: &Summary) -> String {
    let mut text = format!(
        "A simulated scenario written by `lantern simulate` (seed {}, {} listings, {} weeks).\n\
         Every advert, person and controller is invented; places are real postcode units and\n\
         areas of the West Midlands.\n\n\
         captures.jsonl          the adverts as captures (shared/spec/advert-capture.md)\n\
         truth/listings.csv      listing -> controller, kind, worker, premises, phones, e-mails,\n\
         \x20                       how the body writes the phone, cross-posts, shared templates\n\
         truth/premises.csv      premises -> postcode, place, borough, first and last week\n\
         truth/controllers.csv   controllers: kind, exploitative, workers, phones\n\
         truth/scenario.json     the settings and counts\n",
        scenario.seed, scenario.listings, scenario.weeks
    );
    if summary.random_phone_numbers {
        text.push_str(
            "\nWARNING: this scenario needed more phone numbers than Ofcom's drama ranges hold,\n\
             so it also uses random UK mobile numbers, which may belong to real people. Do not\n\
             commit, publish or share these files; delete them when done.\n",
        );
    } else {
        text.push_str("\nEvery phone number is from Ofcom's drama ranges.\n");
    }
    text
}
