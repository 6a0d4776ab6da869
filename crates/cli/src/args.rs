//! Command-line arguments: every command and flag with its help.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use lantern_app::export::ExportKind;
use lantern_core::Timestamp;
use lantern_ingest::Format;

/// Lantern: find places where people may be exploited, visit them to safeguard, and coordinate
/// the partnership. Runs offline on one SQLite file, or on PostgreSQL for a force-wide deployment.
#[derive(Debug, Parser)]
#[command(
    name = "lantern",
    version,
    propagate_version = true,
    arg_required_else_help = true
)]
#[command(
    after_help = "Start with `lantern demo`. Exit status: 0 success, 1 failure, 2 usage error, \
3 some input lines rejected."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Workspace directory: holds the SQLite store (lantern.sqlite3, created with owner-only
    /// permissions) and the rejects of ingests.
    #[arg(
        long,
        global = true,
        env = "LANTERN_DATA_DIR",
        default_value = "./lantern-data",
        value_name = "DIR"
    )]
    pub data_dir: PathBuf,

    /// Use PostgreSQL instead of SQLite, e.g. postgres://lantern@db.internal/lantern. The
    /// password, if any, is never printed.
    #[arg(
        long,
        global = true,
        env = "LANTERN_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub database_url: Option<String>,

    /// A risk model file (as `lantern calibrate --write` makes) instead of the embedded
    /// data/risk.toml; checked against the indicator catalogue's guardrails when it loads.
    #[arg(long, global = true, env = "LANTERN_RISK_MODEL", value_name = "FILE")]
    pub risk_model: Option<PathBuf>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the main job on the embedded default: simulate a region's adverts, ingest, analyse,
    /// score against the truth, plan visits, then serve the web application with a one-time
    /// demonstration login (Ctrl-C stops it).
    Demo {
        /// Stop after the analysis instead of serving the web application.
        #[arg(long)]
        no_serve: bool,
        /// Address the demonstration serves on.
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
        listen: std::net::SocketAddr,
    },
    /// Store advert captures from JSONL, JSONL.gz or CSV files (shared/spec/advert-capture.md).
    ///
    /// Every valid capture is stored once per listing and content; re-ingesting a file stores
    /// nothing new. Each bad line is reported with file, line, field and reason, and copied
    /// verbatim to a rejects file (its path is printed) that can be fixed and ingested again.
    #[command(
        after_help = "Exit status: 0 all accepted, 3 some lines rejected, 2 usage error, 1 failure."
    )]
    Ingest(IngestArgs),
    /// Analyse the store: extract phones, places and indicators from captures not yet analysed,
    /// link listings into clusters, resolve locations (premises and leads) and movement, and store
    /// the results that `lantern export` writes. Only new captures are extracted; `--full`
    /// re-extracts everything and gives the same results.
    Analyse(AnalyseArgs),
    /// Write the last analysis' results as JSON Lines (shared/spec/results-export.md).
    Export(ExportArgs),
    /// Apply pending database migrations and list those applied (they also apply on every start).
    Migrate,
    /// Write a simulated region's adverts over weeks with their ground truth: captures.jsonl in
    /// the capture format, and truth/ (who controls each listing, which worker, which premises,
    /// whether exploitative). Deterministic for a seed.
    Simulate(SimulateArgs),
    /// Score the store's analysis against a simulated scenario's ground truth: phone extraction,
    /// clustering against controllers (pairwise and B-cubed), new locations, risk; beside trivial
    /// baselines. Prints a table and writes JSON.
    Eval(EvalArgs),
    /// Print the facts extraction finds in a text, with byte spans, as JSON: phones (E.164, and
    /// whether written to obscure), e-mails, messaging handles and URLs, stated ages, prices,
    /// postcodes and places.
    Extract {
        /// The text; read from standard input when absent or `-`.
        #[arg(long, value_name = "TEXT")]
        text: Option<String>,
    },
    /// The bundled West Midlands geography: look up postcodes and places, find them in text.
    #[command(subcommand)]
    Geo(GeoCommand),
    /// The indicator catalogue (data/indicators.toml): signs of exploitation with stable codes,
    /// who can observe them and their bias cautions. Filters combine.
    #[command(
        after_help = "Examples:\n  lantern indicators --domain ADV\n  lantern indicators --applies-to premises --observable-by public\n  lantern indicators --search passport\n  lantern indicators --catalogue my-edit.toml   (checks an edited catalogue)"
    )]
    Indicators(IndicatorsArgs),
    /// Plan the outreach: the most urgent open locations split into one route per team.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Fit the risk model's weights to recorded visit outcomes (regularised logistic regression);
    /// print held-out ROC AUC before and after; write the fitted model only with --write.
    Calibrate(CalibrateArgs),
    /// Serve the web application: new locations, premises, clusters, the visit plan, visit
    /// records and administration, each page behind the signed-in person's role.
    #[command(
        after_help = "No account exists after install: add one first, e.g.\n  lantern org add --name \"West Midlands Police\" --kind POLICE\n  lantern user add --username a.analyst --org \"West Midlands Police\" --role police_analyst\nServe on loopback and put a TLS proxy in front (then pass --secure-cookies)."
    )]
    Serve(ServeArgs),
    /// Organisations of the partnership (accounts belong to one).
    #[command(subcommand)]
    Org(OrgCommand),
    /// Accounts: add, disable, enable, reset a password, list. Passwords are generated and
    /// printed once unless --password-stdin gives one.
    #[command(subcommand)]
    User(UserCommand),
    /// Safeguarding visits: record one (the location becomes visited or closed at once) or list
    /// a location's.
    #[command(subcommand)]
    Visit(VisitCommand),
    /// The audit log (DPA 2018 s.62): every collection, alteration, consultation, disclosure,
    /// combination, erasure and export, sign-ins and refusals, chained by hash. Verify the chain,
    /// or read events (the reading is itself logged).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Retention (domain-uk.md 8.4): erase what the rules say is kept long enough (a listing's
    /// capture text, a visit's summary; the facts derived from them stay), queue what a person
    /// must review, and record their decisions. Every erasure is an audit event.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Write a consistent copy of the SQLite store to a new file while it is in use: checked
    /// (integrity), made durable (fsynced) and logged as an export. On PostgreSQL use pg_dump.
    Backup {
        /// The backup file to write (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Restore a backup into the data directory's SQLite store: checked first, copied durably,
    /// then moved into place; logged in the restored store. Refuses to replace a store unless
    /// --replace.
    Restore {
        /// The backup file to restore.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Replace the store the data directory already holds.
        #[arg(long)]
        replace: bool,
    },
}

/// How to serve.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback by default; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// The server sits behind TLS: cookies become `Secure` and `__Host-`, and HSTS is sent.
    #[arg(long)]
    pub secure_cookies: bool,
    /// Retention rules the server applies daily (a minute after it starts, then every 24
    /// hours) instead of the embedded defaults (see `lantern retention`).
    #[arg(long, value_name = "FILE", conflicts_with = "no_retention")]
    pub retention_rules: Option<PathBuf>,
    /// Do not apply retention rules while serving (run `lantern retention run` some other way,
    /// e.g. from cron).
    #[arg(long)]
    pub no_retention: bool,
}

/// Organisation commands.
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Add an organisation.
    Add {
        /// Its name.
        #[arg(long)]
        name: String,
        /// POLICE, LA, NHS, NGO, GLAA, OPCC, HOME_OFFICE or OTHER.
        #[arg(long)]
        kind: String,
    },
    /// List the organisations.
    List,
}

/// Account commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an account.
    Add {
        /// Login name (3-64 of a-z, 0-9, . _ -).
        #[arg(long)]
        username: String,
        /// The organisation's name.
        #[arg(long)]
        org: String,
        /// police_analyst, outreach_worker, partner_practitioner, opcc_analyst, auditor or
        /// administrator.
        #[arg(long)]
        role: String,
        /// Read the password from the first line of standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account: it cannot sign in and its sessions end at once.
    Disable {
        /// Login name.
        username: String,
    },
    /// Enable a disabled account.
    Enable {
        /// Login name.
        username: String,
    },
    /// Set a new password (generated unless --password-stdin); the account's sessions end.
    Reset {
        /// Login name.
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts.
    List,
}

/// The audit log.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain from the first event; exit 1 naming the first broken link (an
    /// event edited, removed or reordered, or events cut from the end).
    #[command(after_help = "Exit status: 0 intact, 1 broken or unreadable.")]
    Verify,
    /// Events as JSON Lines, newest first; filters combine. The reading is logged as a
    /// consultation of the audit log, with the filter and the number of events returned.
    Query(AuditQueryArgs),
}

/// Retention commands.
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Show the rules in force (the embedded defaults, or --rules FILE, checked).
    Rules {
        /// A rules file instead of the embedded defaults (see data/retention.toml).
        #[arg(long, value_name = "FILE")]
        rules: Option<std::path::PathBuf>,
    },
    /// Apply the rules now: erase, queue reviews, then analyse (so no cluster keeps erased
    /// text) and checkpoint the store (so erased text leaves the file). Prints what was done
    /// per rule (JSON). The server also runs this daily.
    #[command(
        after_help = "Example:\n  lantern retention run --dry-run\n  lantern retention run --rules our-rules.toml"
    )]
    Run {
        /// A rules file instead of the embedded defaults.
        #[arg(long, value_name = "FILE")]
        rules: Option<std::path::PathBuf>,
        /// Report what would be erased and queued; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// The open reviews (JSON Lines), oldest first.
    Reviews,
    /// Decide an open review: keep the record until a date, or erase it now; with a rationale.
    #[command(
        after_help = "Examples:\n  lantern retention decide 12 --keep --until 2027-12-01 --rationale \"NRM case open\"\n  lantern retention decide 13 --erase --rationale \"case closed, no further action\""
    )]
    Decide {
        /// The review's id (from `lantern retention reviews`).
        id: i64,
        /// Keep the record (needs --until).
        #[arg(
            long,
            conflicts_with = "erase",
            required_unless_present = "erase",
            requires = "until"
        )]
        keep: bool,
        /// Erase the record now.
        #[arg(long)]
        erase: bool,
        /// Keep until this date (YYYY-MM-DD); it is queued again then.
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        /// Why (recorded with the decision).
        #[arg(long, value_name = "TEXT")]
        rationale: String,
    },
}

/// Arguments of `lantern audit query`.
#[derive(Debug, Args)]
pub struct AuditQueryArgs {
    /// Only this actor's events (a login, or `cli:<name>`).
    #[arg(long, value_name = "ACTOR")]
    pub actor: Option<String>,
    /// Only events of this operation.
    #[arg(long, value_name = "OPERATION", value_parser = parse_operation)]
    pub operation: Option<lantern_store::Operation>,
    /// Only events at or after this RFC 3339 time.
    #[arg(long, value_name = "TIMESTAMP", value_parser = parse_timestamp)]
    pub since: Option<Timestamp>,
    /// Only events about this object id (a location id, a user name...).
    #[arg(long, value_name = "ID")]
    pub object: Option<String>,
    /// At most this many events.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub limit: u32,
}

fn parse_operation(text: &str) -> Result<lantern_store::Operation, String> {
    lantern_store::Operation::parse(text).ok_or_else(|| {
        let names: Vec<&str> = lantern_store::Operation::ALL
            .iter()
            .map(|o| o.as_str())
            .collect();
        format!("unknown operation; one of {}", names.join(", "))
    })
}

/// Visit records.
#[derive(Debug, Subcommand)]
pub enum VisitCommand {
    /// Record a visit. Names no person unless --consent is given, or the outcome is
    /// CHILD_IDENTIFIED or IMMEDIATE_RISK; outcomes that demand a referral need one.
    #[command(
        after_help = "Outcomes: NO_ANSWER, DECLINED_ENGAGEMENT, ENGAGED_NO_CONCERN, \
ENGAGED_SUPPORT_ACCEPTED, CONCERN_INDICATORS_PRESENT, POTENTIAL_VICTIM_IDENTIFIED (needs --referral \
NRM with --consent, or DTN), CHILD_IDENTIFIED (needs CHILDRENS_SERVICES and NRM), IMMEDIATE_RISK \
(needs EMERGENCY_SERVICES or POLICE).\nReferrals: NRM, DTN, ADULT_SAFEGUARDING, CHILDRENS_SERVICES, \
POLICE, EMERGENCY_SERVICES, SUPPORT_SERVICE, HEALTH.\n\nExample:\n  lantern visit record --location \
loc-1a2b3c4d5e6f7a8b --purpose safeguarding --outcome CONCERN_INDICATORS_PRESENT --indicator \
IND-SEX-006 --indicator IND-ENV-004 --follow-up \"revisit with interpreter\" --follow-up-due 2026-12-07"
    )]
    Record(Box<VisitRecordArgs>),
    /// List a location's visits (JSON), oldest first.
    List {
        /// Location id.
        #[arg(long, value_name = "ID")]
        location: String,
    },
}

/// Arguments of `lantern visit record`.
#[derive(Debug, Args)]
pub struct VisitRecordArgs {
    /// The location visited (its id from `export locations` or the visit plan).
    #[arg(long, value_name = "ID")]
    pub location: String,
    /// Why the visit was made, as declared to the people met.
    #[arg(long, value_enum)]
    pub purpose: PurposeArg,
    /// Outcome code (see below).
    #[arg(long, value_name = "CODE")]
    pub outcome: String,
    /// When (RFC 3339); default now.
    #[arg(long, value_name = "TIME", value_parser = parse_timestamp)]
    pub at: Option<Timestamp>,
    /// An indicator observed, by catalogue code (repeat for several).
    #[arg(long = "indicator", value_name = "CODE")]
    pub indicators: Vec<String>,
    /// A referral made (repeat for several).
    #[arg(long = "referral", value_name = "KIND")]
    pub referrals: Vec<String>,
    /// What happens next.
    #[arg(long, value_name = "TEXT")]
    pub follow_up: Option<String>,
    /// When the follow-up is due (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub follow_up_due: Option<String>,
    /// The person consented to their details being recorded.
    #[arg(long)]
    pub consent: bool,
    /// Personal names (only with --consent, a child or immediate risk).
    #[arg(long, value_name = "TEXT")]
    pub names: Option<String>,
    /// Notes: no personal details unless allowed as for names.
    #[arg(long, value_name = "TEXT")]
    pub notes: Option<String>,
    /// The premises are no longer in use: the location becomes closed.
    #[arg(long)]
    pub closed: bool,
    /// The team.
    #[arg(long, value_name = "NAME")]
    pub team: Option<String>,
}

/// `--purpose` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PurposeArg {
    /// Welfare and support.
    Safeguarding,
    /// Law enforcement.
    Enforcement,
    /// Both, declared.
    Joint,
}

/// What to plan.
#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Safeguarding visits for one day: the highest-concern open locations (not visited or
    /// closed, advertised recently), split between teams by area, each team's route by nearest
    /// neighbour then 2-opt, each stop with its reasons.
    #[command(
        after_help = "Example:\n  lantern plan visits --date 2026-10-19 --teams 2 --per-team 5 --area Walsall --format html --out plan.html"
    )]
    Visits(PlanVisitsArgs),
}

/// Arguments of `lantern plan visits`.
#[derive(Debug, Args)]
pub struct PlanVisitsArgs {
    /// The day of the visits (YYYY-MM-DD).
    #[arg(long, value_parser = parse_day)]
    pub date: Timestamp,
    /// Teams going out.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub teams: u16,
    /// Stops each team can make.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub per_team: u16,
    /// Only this borough: a name (Walsall) or an ONS code (E08000030).
    #[arg(long, value_name = "BOROUGH")]
    pub area: Option<String>,
    /// Leave out locations not advertised in this many days before the date.
    #[arg(long, default_value_t = 28)]
    pub max_age_days: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Json)]
    pub format: PlanFormat,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `--format` of a plan.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PlanFormat {
    /// JSON, every field.
    Json,
    /// CSV, one row per stop.
    Csv,
    /// A printable page.
    Html,
}

/// A day as `YYYY-MM-DD`, meaning its start in UTC.
fn parse_day(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse(&format!("{}T00:00:00Z", text.trim()))
        .map_err(|_| format!("{text:?} is not a date like 2026-10-19"))
}

/// Arguments of `lantern calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Write the fitted model to this file (use it with --risk-model after review).
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// L2 penalty on the weights.
    #[arg(long, default_value_t = 0.01)]
    pub l2: f64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `lantern analyse`.
#[derive(Debug, Args)]
pub struct AnalyseArgs {
    /// Re-extract every capture and recompute everything from scratch.
    #[arg(long)]
    pub full: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `lantern indicators`.
#[derive(Debug, Args)]
pub struct IndicatorsArgs {
    /// Domain code: GEN, PHY, PSY, SIT, ENV, LAB, CW, NB, CAN, AGR, CON, MAN, SEX, HOS, ADV, DS,
    /// CRI, CCE, ORG.
    #[arg(long, value_name = "CODE")]
    pub domain: Option<String>,
    /// Sector, e.g. car_wash, nail_bar, sexual, labour.
    #[arg(long, value_name = "NAME")]
    pub sector: Option<String>,
    /// What the sign is observed on.
    #[arg(long, value_enum)]
    pub applies_to: Option<AppliesToArg>,
    /// Who can observe the sign.
    #[arg(long, value_enum)]
    pub observable_by: Option<ObserverArg>,
    /// Words that must each begin a word of the code or wording (any case).
    #[arg(long, value_name = "WORDS")]
    pub search: Option<String>,
    /// Include deprecated indicators.
    #[arg(long)]
    pub all: bool,
    /// Print JSON (every field) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Read and validate this catalogue file instead of the embedded one.
    #[arg(long, value_name = "FILE")]
    pub catalogue: Option<PathBuf>,
}

/// `--applies-to` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AppliesToArg {
    /// A person.
    Person,
    /// A place.
    Premises,
    /// A business.
    Business,
    /// An online listing.
    Listing,
}

/// `--observable-by` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ObserverArg {
    /// Anyone, or a reader of an advert.
    Public,
    /// A professional at work.
    Professional,
    /// Someone on a visit or interview.
    Visit,
    /// Someone checking documents.
    Documents,
}

/// Arguments of `lantern simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Same seed, same scenario, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Listings to write (cross-posts count as listings).
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub listings: u64,
    /// Weeks covered.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=520))]
    pub weeks: u32,
    /// Directory to write (created if needed; files in it are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Share of listings placed by independent workers (shares are normalised).
    #[arg(long, default_value_t = 0.60, value_parser = parse_share, help_heading = "Mix")]
    pub independent: f64,
    /// Share of listings placed by managed venues and agencies.
    #[arg(long, default_value_t = 0.25, value_parser = parse_share, help_heading = "Mix")]
    pub venue: f64,
    /// Share of listings placed by exploitative networks.
    #[arg(long, default_value_t = 0.15, value_parser = parse_share, help_heading = "Mix")]
    pub network: f64,

    /// Share of venues and networks buying adverts from a shared ad-writer's base template.
    #[arg(long, default_value_t = 0.3, value_parser = parse_share, help_heading = "Hard cases")]
    pub shared_template: f64,
    /// Share of networks writing fresh text for every advert.
    #[arg(long, default_value_t = 0.3, value_parser = parse_share, help_heading = "Hard cases")]
    pub fresh_text_network: f64,
    /// Share of listings cross-posted on other sources under other ids.
    #[arg(long, default_value_t = 0.08, value_parser = parse_share, help_heading = "Hard cases")]
    pub cross_post: f64,
    /// Share of re-captures whose text was slightly edited.
    #[arg(long, default_value_t = 0.3, value_parser = parse_share, help_heading = "Hard cases")]
    pub edited_recapture: f64,
    /// Share of independent workers touring another town for a week.
    #[arg(long, default_value_t = 0.15, value_parser = parse_share, help_heading = "Hard cases")]
    pub tour: f64,
    /// Share of listings giving the phone only in the body.
    #[arg(long, default_value_t = 0.25, value_parser = parse_share, help_heading = "Hard cases")]
    pub phone_only_in_body: f64,
    /// Share of body phones written obscured (networks: three times as often).
    #[arg(long, default_value_t = 0.15, value_parser = parse_share, help_heading = "Hard cases")]
    pub obscured_phone: f64,
    /// Share of independent workers sharing a phone with another independent.
    #[arg(long, default_value_t = 0.03, value_parser = parse_share, help_heading = "Hard cases")]
    pub shared_phone: f64,
    /// Share of listings carrying a stock picture also used by unrelated advertisers.
    #[arg(long, default_value_t = 0.03, value_parser = parse_share, help_heading = "Hard cases")]
    pub stock_image: f64,
}

fn parse_share(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is not a share between 0 and 1"))
    }
}

/// Arguments of `lantern eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A directory written by `lantern simulate` (its truth/ is read).
    #[arg(long, value_name = "DIR")]
    pub truth: PathBuf,
    /// Where to write the JSON report [default: DIR/eval.json].
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// `lantern geo …`: answers are JSON on standard output.
#[derive(Debug, Subcommand)]
pub enum GeoCommand {
    /// Resolve a postcode unit, sector or district (`B5 6DY`, `b56dy`, `WS10 7`, `WS10`), a place,
    /// neighbourhood, ward, borough or landmark name (`Digbeth`, `B'ham`, `the Bullring`), or a
    /// point (`52.4758, -1.8875`) to coordinates, borough, ward and precision.
    #[command(
        after_help = "Prints one JSON object whose \"outcome\" is found, ambiguous, outside_region or \
not_found. Exit status: 0 found, 4 any other outcome."
    )]
    Lookup {
        /// What to look up (several words are joined with spaces).
        #[arg(required = true, value_name = "QUERY")]
        query: Vec<String>,
    },
    /// Find postcodes, place names and street phrases in a text, with byte spans and the most
    /// precise resolution.
    FindInText {
        /// The text; read from standard input when absent or `-`.
        #[arg(value_name = "TEXT")]
        text: Option<String>,
    },
    /// Print the attributions of the bundled open data.
    About,
}

/// Arguments of `lantern ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Capture files; the format is told from the extension (.jsonl, .jsonl.gz, .csv, .csv.gz)
    /// unless --format is given.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Read every file as this format, whatever its name.
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub format: Option<Format>,

    /// Store nothing unless every line of every file is valid (one transaction for the run).
    #[arg(long)]
    pub all_or_nothing: bool,

    /// Where rejects files go [default: DATA_DIR/rejects].
    #[arg(long, value_name = "DIR")]
    pub rejects_dir: Option<PathBuf>,

    /// Captures per batch; each batch commits atomically.
    #[arg(long, default_value_t = lantern_ingest::DEFAULT_BATCH_SIZE as u32, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: u32,

    /// Print at most this many rejected lines (all are in the reasons file).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub show_rejections: u64,

    /// No progress bar, even on a terminal.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
        .map_err(|e: lantern_ingest::FormatError| e.to_string())
}

fn parse_timestamp(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse(s).map_err(|e| format!("{s:?} is {e}"))
}

/// Which export.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportWhat {
    /// One line per listing (source, external_id), with its cluster, phones, e-mails and risk.
    Adverts,
    /// One line per cluster of listings judged to have one controller.
    Clusters,
    /// One line per premises or lead.
    Locations,
}

impl ExportWhat {
    /// The use case's kind.
    pub fn kind(self) -> ExportKind {
        match self {
            Self::Adverts => ExportKind::Adverts,
            Self::Clusters => ExportKind::Clusters,
            Self::Locations => ExportKind::Locations,
        }
    }
}

/// Arguments of `lantern export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export.
    #[arg(value_enum)]
    pub what: ExportWhat,

    /// Write to this file (replaced whole, only once complete) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Locations only: keep those first seen at or after this RFC 3339 time and never visited or
    /// known before it.
    #[arg(long, value_name = "TIMESTAMP", value_parser = parse_timestamp)]
    pub new_since: Option<Timestamp>,
}
