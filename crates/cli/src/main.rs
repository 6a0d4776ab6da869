//! `lantern`: the command line of Lantern, a modern-slavery intelligence and safeguarding platform.
//! Thin by design: it parses arguments, calls `lantern-app`, and turns outcomes into exit codes.

mod args;
mod progress;
mod web;

use std::io::{BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use lantern_app::Actor;
use lantern_app::export::{ExportError, ExportOptions, export};
use lantern_app::ingest::{IngestError, IngestRequest, IngestSummary, InputFile, ingest};
use lantern_ingest::{NoProgress, Progress};
use lantern_store::{CaptureStore, Store, Target};

/// mimalloc: batches are built on the reading thread and freed on the writing thread, a pattern
/// glibc's allocator handles slowly (ingest spent a tenth of its time in malloc and free).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use crate::args::{
    AnalyseArgs, AppliesToArg, CalibrateArgs, Cli, Command, EvalArgs, ExportArgs, GeoCommand,
    GlobalArgs, IndicatorsArgs, IngestArgs, ObserverArg, PlanCommand, PlanFormat, PurposeArg,
    SimulateArgs, VisitCommand,
};

/// Exit status: every capture accepted (or the command succeeded).
const EXIT_OK: u8 = 0;
/// Exit status: the command failed.
const EXIT_FAILURE: u8 = 1;
/// Exit status: the command line was wrong (clap uses it too).
const EXIT_USAGE: u8 = 2;
/// Exit status: some lines were rejected; the valid rest was stored (or, with
/// `--all-or-nothing`, nothing was).
const EXIT_REJECTED: u8 = 3;

/// Writes one line to standard output. A closed pipe (`lantern export adverts | head`) ends the
/// program quietly instead of panicking.
fn emit(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(line).and_then(|()| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(i32::from(EXIT_OK));
        }
        eprintln!("error: writing to standard output: {e}");
        std::process::exit(i32::from(EXIT_FAILURE));
    }
}

/// Exit status: a geography lookup found no single place.
const EXIT_NOT_FOUND: u8 = 4;

/// `println!` through [`emit`].
macro_rules! say {
    ($($arg:tt)*) => { emit(format_args!($($arg)*)) };
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

async fn open_store(global: &GlobalArgs) -> anyhow::Result<Store> {
    let target = Target::choose(global.data_dir.clone(), global.database_url.clone())?;
    Store::open(&target)
        .await
        .with_context(|| format!("opening the store ({target:?})"))
}

async fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Migrate => {
            let store = open_store(&cli.global).await?;
            let applied = store.applied_migrations().await?;
            say!(
                "{} store is up to date: {} migration(s) applied",
                store.backend(),
                applied.len()
            );
            for m in &applied {
                say!("  {:04} {}", m.version, m.description);
            }
            store.close().await;
            Ok(EXIT_OK)
        }
        Command::Ingest(args) => run_ingest(&cli.global, &args).await,
        Command::Analyse(args) => run_analyse(&cli.global, &args).await,
        Command::Export(args) => run_export(&cli.global, &args).await,
        Command::Demo { no_serve, listen } => run_demo(&cli.global, no_serve, listen).await,
        Command::Serve(args) => {
            let store = open_store(&cli.global).await?;
            let target =
                Target::choose(cli.global.data_dir.clone(), cli.global.database_url.clone())?;
            web::run_serve(store, &target, &args).await
        }
        Command::Org(command) => {
            let store = open_store(&cli.global).await?;
            let code = web::run_org(&store, command).await;
            store.close().await;
            code
        }
        Command::User(command) => {
            let store = open_store(&cli.global).await?;
            let code = web::run_user(&store, command).await;
            store.close().await;
            code
        }
        Command::Geo(command) => run_geo(command),
        Command::Simulate(args) => run_simulate(&args),
        Command::Eval(args) => run_eval(&cli.global, &args).await,
        Command::Indicators(args) => run_indicators(&args),
        Command::Plan(PlanCommand::Visits(args)) => run_plan_visits(&cli.global, &args).await,
        Command::Visit(command) => run_visit(&cli.global, command).await,
        Command::Audit(command) => run_audit(&cli.global, command).await,
        Command::Retention(command) => run_retention(&cli.global, command).await,
        Command::Backup { out } => {
            let store = open_store(&cli.global).await?;
            let done = lantern_app::backup::backup(&store, &out, &Actor::command_line()).await;
            store.close().await;
            let report = done.with_context(|| format!("backing up to {}", out.display()))?;
            say!("{}", backup_json(&report));
            eprintln!(
                "backup written, fsynced and checked: {}",
                report.path.display()
            );
            Ok(EXIT_OK)
        }
        Command::Restore { from, replace } => {
            let target =
                Target::choose(cli.global.data_dir.clone(), cli.global.database_url.clone())?;
            let report =
                lantern_app::backup::restore(&target, &from, replace, &Actor::command_line())
                    .await
                    .with_context(|| format!("restoring {}", from.display()))?;
            say!("{}", backup_json(&report));
            eprintln!("restored into {}", report.path.display());
            Ok(EXIT_OK)
        }
        Command::Calibrate(args) => run_calibrate(&cli.global, &args).await,
        Command::Extract { text } => {
            let text = text_argument(text.as_deref())?;
            let facts = lantern_app::extract::facts(&text)?;
            say!("{}", serde_json::to_string_pretty(&facts)?);
            Ok(EXIT_OK)
        }
    }
}

/// The retention rules of `--rules FILE`, or the embedded defaults.
pub(crate) fn retention_rules(
    file: Option<&std::path::Path>,
) -> anyhow::Result<lantern_app::retention::rules::Rules> {
    use lantern_app::retention::rules::Rules;
    Ok(match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Rules::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None => Rules::embedded().map_err(|e| anyhow::anyhow!(e))?,
    })
}

async fn run_retention(
    global: &GlobalArgs,
    command: crate::args::RetentionCommand,
) -> anyhow::Result<u8> {
    use crate::args::RetentionCommand;
    use lantern_app::retention::{self, Decision};
    if let RetentionCommand::Rules { rules } = &command {
        let rules = retention_rules(rules.as_deref())?;
        for r in rules.all() {
            say!(
                "{}",
                serde_json::json!({
                    "name": r.name,
                    "record": r.record.as_str(),
                    "when": format!("{:?}", r.when),
                    "after_days": r.after_days,
                    "action": format!("{:?}", r.action),
                    "basis": r.basis,
                })
            );
        }
        return Ok(EXIT_OK);
    }
    let store = open_store(global).await?;
    let actor = Actor::command_line();
    let outcome: anyhow::Result<u8> = async {
        match command {
            RetentionCommand::Rules { .. } => Ok(EXIT_OK),
            RetentionCommand::Run { rules, dry_run } => {
                let rules = retention_rules(rules.as_deref())?;
                let report = retention::run(&store, &rules, &actor, dry_run).await?;
                say!("{}", serde_json::to_string_pretty(&report)?);
                eprintln!(
                    "{}{} listing(s) erased, {} visit summary(ies) erased, {} review(s) queued",
                    if dry_run {
                        "dry run, nothing changed: "
                    } else {
                        ""
                    },
                    report.listings_erased,
                    report.visits_erased,
                    report.reviews_queued
                );
                Ok(EXIT_OK)
            }
            RetentionCommand::Reviews => {
                for r in retention::open_reviews(&store).await? {
                    say!(
                        "{}",
                        serde_json::json!({
                            "id": r.id,
                            "record": r.kind.as_str(),
                            "record_id": r.record_id,
                            "rule": r.rule,
                            "queued_at": r.queued_at.to_rfc3339(),
                        })
                    );
                }
                Ok(EXIT_OK)
            }
            RetentionCommand::Decide {
                id,
                keep,
                until,
                rationale,
                ..
            } => {
                let decision = if keep {
                    let until = until.as_deref().unwrap_or_default();
                    let until = lantern_core::Timestamp::parse(&format!("{until}T00:00:00Z"))
                        .map_err(|e| anyhow::anyhow!("--until {until:?}: {e} (YYYY-MM-DD)"))?;
                    Decision::Keep { until }
                } else {
                    Decision::Erase
                };
                retention::decide(&store, id, decision, &rationale, &actor).await?;
                eprintln!("review {id} decided");
                Ok(EXIT_OK)
            }
        }
    }
    .await;
    store.close().await;
    outcome
}

async fn run_audit(global: &GlobalArgs, command: crate::args::AuditCommand) -> anyhow::Result<u8> {
    use crate::args::AuditCommand;
    let store = open_store(global).await?;
    let outcome = match command {
        AuditCommand::Verify => match lantern_app::audit::verify(&store).await {
            Ok(lantern_store::Verification::Intact { events }) => {
                say!("audit log intact: {events} event(s), every one chained to the one before");
                Ok(EXIT_OK)
            }
            Ok(lantern_store::Verification::Broken { id, reason }) => {
                eprintln!("audit log BROKEN at event {id}: {reason}");
                Ok(EXIT_FAILURE)
            }
            Err(e) => Err(e.into()),
        },
        AuditCommand::Query(args) => {
            let filter = lantern_store::AuditFilter {
                actor: args.actor,
                operation: args.operation,
                since: args.since,
                object_id: args.object,
                limit: i64::from(args.limit),
            };
            let reader = lantern_app::audit::by_operator(
                lantern_store::Operation::Consult,
                &Actor::command_line(),
            );
            match lantern_app::audit::query(&store, reader, &filter).await {
                Ok(events) => {
                    for e in &events {
                        say!("{}", audit_json(e));
                    }
                    Ok(EXIT_OK)
                }
                Err(e) => Err(e.into()),
            }
        }
    };
    store.close().await;
    outcome
}

/// What a backup or restore holds, as JSON: its path, tables' row counts and checksum.
fn backup_json(report: &lantern_app::backup::BackupReport) -> serde_json::Value {
    let tables: serde_json::Map<String, serde_json::Value> = report
        .snapshot
        .tables
        .iter()
        .map(|(name, rows)| (name.clone(), serde_json::json!(rows)))
        .collect();
    serde_json::json!({
        "path": report.path.display().to_string(),
        "tables": tables,
        "checksum": report.snapshot.checksum,
    })
}

/// One audit event as a JSON line.
fn audit_json(e: &lantern_store::StoredAuditEvent) -> serde_json::Value {
    let v = &e.event;
    serde_json::json!({
        "id": e.id,
        "at": v.at.to_string(),
        "operation": v.operation.as_str(),
        "actor": v.actor,
        "organisation": v.organisation,
        "role": v.role,
        "session": v.session,
        "source": v.source,
        "object_type": v.object_type,
        "object_id": v.object_id,
        "purpose": v.purpose,
        "recipient": v.recipient,
        "row_count": v.row_count,
        "detail": v.detail,
        "hash": hex_of(&e.hash),
    })
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn run_plan_visits(
    global: &GlobalArgs,
    args: &crate::args::PlanVisitsArgs,
) -> anyhow::Result<u8> {
    let store = open_store(global).await?;
    let request = lantern_app::plan::PlanRequest {
        date: args.date,
        teams: usize::from(args.teams),
        per_team: usize::from(args.per_team),
        area: args.area.clone(),
        max_age_days: args.max_age_days,
        shared: None,
    };
    let plan = lantern_app::plan::plan_visits(&store, &request).await;
    store.close().await;
    let plan = plan?;
    let text = match args.format {
        PlanFormat::Json => format!("{}\n", serde_json::to_string_pretty(&plan)?),
        PlanFormat::Csv => lantern_app::plan::to_csv(&plan),
        PlanFormat::Html => lantern_app::plan::to_html(&plan),
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
            let stops: usize = plan.routes.iter().map(|r| r.stops.len()).sum();
            eprintln!(
                "wrote {} route(s), {stops} stop(s) from {} open location(s) to {}",
                plan.routes.len(),
                plan.candidates,
                path.display()
            );
        }
        None => say!("{}", text.trim_end()),
    }
    Ok(EXIT_OK)
}

async fn run_calibrate(global: &GlobalArgs, args: &CalibrateArgs) -> anyhow::Result<u8> {
    let store = open_store(global).await?;
    let report = lantern_app::calibrate::calibrate(
        &store,
        &lantern_app::calibrate::CalibrateOptions {
            model: global.risk_model.clone(),
            write: args.write.clone(),
            l2: args.l2,
        },
    )
    .await;
    store.close().await;
    let report = report?;
    if args.json {
        say!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(EXIT_OK);
    }
    let auc = |a: Option<f64>| a.map_or("n/a".to_owned(), |v| format!("{v:.3}"));
    say!(
        "{} visited locations with a decisive outcome ({} with concern); fitted on {}, scored on {} held out.",
        report.examples,
        report.positives,
        report.train,
        report.held_out
    );
    say!(
        "held-out ROC AUC: before {}, after {}",
        auc(report.auc_before),
        auc(report.auc_after)
    );
    say!("{:<18}{:>10}{:>10}", "weight", "before", "after");
    say!(
        "{:<18}{:>10.3}{:>10.3}",
        "bias",
        report.bias.0,
        report.bias.1
    );
    for w in &report.weights {
        say!("{:<18}{:>10.3}{:>10.3}", w.feature, w.before, w.after);
    }
    match &report.written {
        Some(path) => say!("wrote {path}; review it, then analyse with --risk-model {path}"),
        None => say!("nothing written (use --write FILE to keep the fitted weights)"),
    }
    Ok(EXIT_OK)
}

async fn run_visit(global: &GlobalArgs, command: VisitCommand) -> anyhow::Result<u8> {
    use lantern_app::visit::{Purpose, VisitRequest};
    let store = open_store(global).await?;
    let result =
        match command {
            VisitCommand::Record(a) => {
                let request = VisitRequest {
                    location: a.location,
                    at: a.at,
                    purpose: match a.purpose {
                        PurposeArg::Safeguarding => Purpose::Safeguarding,
                        PurposeArg::Enforcement => Purpose::Enforcement,
                        PurposeArg::Joint => Purpose::Joint,
                    },
                    outcome: a.outcome,
                    indicators: a.indicators,
                    referrals: a.referrals,
                    follow_up: a.follow_up,
                    follow_up_due: a.follow_up_due,
                    consent: a.consent,
                    names: a.names,
                    notes: a.notes,
                    closed: a.closed,
                    team: a.team,
                    recorded_by: Actor::command_line().as_str().to_owned(),
                    org_id: None,
                };
                lantern_app::visit::record(&store, &request)
                    .await
                    .map(|id| {
                        say!(
                            "recorded visit {id}; the location is now {}",
                            if request.closed { "closed" } else { "visited" }
                        )
                    })
            }
            VisitCommand::List { location } => lantern_app::visit::list(&store, &location)
                .await
                .map(|rows| {
                    let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    let v = &r.visit;
                    serde_json::json!({
                        "id": r.id, "location": v.location_id, "visited_at": v.visited_at,
                        "recorded_at": v.recorded_at, "recorded_by": v.recorded_by, "team": v.team,
                        "purpose": v.purpose, "outcome": v.outcome, "indicators": v.indicators,
                        "referrals": v.referrals, "follow_up": v.follow_up,
                        "follow_up_due": v.follow_up_due, "consent_recorded": v.consent_recorded,
                        "names": v.names, "notes": v.notes, "closes_location": v.closes_location,
                    })
                })
                .collect();
                    say!(
                        "{}",
                        serde_json::to_string_pretty(&list).unwrap_or_default()
                    );
                }),
        };
    store.close().await;
    result?;
    Ok(EXIT_OK)
}

fn run_indicators(args: &IndicatorsArgs) -> anyhow::Result<u8> {
    use lantern_indicators::{AppliesTo, Filter, Observer};
    let catalogue = lantern_app::indicators::load(args.catalogue.as_deref())?;
    let filter = Filter {
        domain: args.domain.clone(),
        sector: args.sector.clone(),
        applies_to: args.applies_to.map(|a| match a {
            AppliesToArg::Person => AppliesTo::Person,
            AppliesToArg::Premises => AppliesTo::Premises,
            AppliesToArg::Business => AppliesTo::Business,
            AppliesToArg::Listing => AppliesTo::Listing,
        }),
        observable_by: args.observable_by.map(|o| match o {
            ObserverArg::Public => Observer::Public,
            ObserverArg::Professional => Observer::Professional,
            ObserverArg::Visit => Observer::VisitInterview,
            ObserverArg::Documents => Observer::DocumentCheck,
        }),
        text: args.search.clone(),
        include_deprecated: args.all,
    };
    let chosen = lantern_app::indicators::select(&catalogue, &filter);
    if args.json {
        say!("{}", serde_json::to_string_pretty(&chosen)?);
    } else {
        say!(
            "{}",
            lantern_app::indicators::table(&chosen, 100).trim_end()
        );
    }
    Ok(EXIT_OK)
}

async fn run_eval(global: &GlobalArgs, args: &EvalArgs) -> anyhow::Result<u8> {
    let store = open_store(global).await?;
    let report = lantern_app::evaluate::evaluate(&store, &args.truth).await;
    store.close().await;
    let report = report?;
    say!("{}", report.table().trim_end());
    let json_path = args
        .json
        .clone()
        .unwrap_or_else(|| args.truth.join("eval.json"));
    let json = serde_json::to_string_pretty(&report)?;
    std::fs::write(&json_path, format!("{json}\n"))
        .with_context(|| format!("writing {}", json_path.display()))?;
    say!("\nJSON report: {}", json_path.display());
    Ok(EXIT_OK)
}

fn run_simulate(args: &SimulateArgs) -> anyhow::Result<u8> {
    let mut scenario = lantern_sim::Scenario::new(args.seed, args.listings, args.weeks);
    if args.independent + args.venue + args.network == 0.0 {
        eprintln!("error: --independent, --venue and --network cannot all be 0");
        return Ok(EXIT_USAGE);
    }
    scenario.mix = lantern_sim::Mix {
        independent: args.independent,
        venue: args.venue,
        network: args.network,
    };
    scenario.hard = lantern_sim::HardCases {
        shared_template: args.shared_template,
        fresh_text_network: args.fresh_text_network,
        cross_post: args.cross_post,
        edited_recapture: args.edited_recapture,
        tour: args.tour,
        phone_only_in_body: args.phone_only_in_body,
        obscured_phone: args.obscured_phone,
        shared_phone: args.shared_phone,
        stock_image: args.stock_image,
    };
    let started = std::time::Instant::now();
    let summary = lantern_app::simulate::write_scenario(&scenario, &args.out)?;
    let [independent, venue, network] = summary.controllers;
    say!(
        "wrote {} listings ({} captures) by {} controllers ({independent} independent, {venue} venues, \
         {network} networks) at {} premises to {} in {:.1}s",
        summary.listings,
        summary.captures,
        independent + venue + network,
        summary.premises,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    if summary.random_phone_numbers {
        eprintln!(
            "warning: more phone numbers were needed than Ofcom's drama ranges hold; the scenario \
             also uses random UK mobile numbers that may belong to real people. Do not commit or \
             share it (see README.txt in the output)."
        );
    }
    Ok(EXIT_OK)
}

/// A text given as an argument, or read from standard input when absent or `-`.
fn text_argument(text: Option<&str>) -> anyhow::Result<String> {
    match text {
        None | Some("-") => {
            let mut buffer = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut buffer)
                .context("reading the text from standard input (it must be UTF-8)")?;
            Ok(buffer)
        }
        Some(text) => Ok(text.to_owned()),
    }
}

fn run_geo(command: GeoCommand) -> anyhow::Result<u8> {
    match command {
        GeoCommand::Lookup { query } => {
            let lookup = lantern_app::geo::lookup(&query.join(" "))?;
            say!("{}", serde_json::to_string_pretty(&lookup)?);
            Ok(if lookup.found().is_some() {
                EXIT_OK
            } else {
                EXIT_NOT_FOUND
            })
        }
        GeoCommand::FindInText { text } => {
            let text = text_argument(text.as_deref())?;
            let places = lantern_app::geo::find_in_text(&text)?;
            say!("{}", serde_json::to_string_pretty(&places)?);
            Ok(EXIT_OK)
        }
        GeoCommand::About => {
            say!("{}", lantern_app::geo::data_notice().trim_end());
            Ok(EXIT_OK)
        }
    }
}

fn progress_for(quiet: bool) -> Arc<dyn Progress> {
    if !quiet && std::io::stderr().is_terminal() {
        Arc::new(progress::Bar::new())
    } else {
        Arc::new(NoProgress)
    }
}

fn print_summary(summary: &IngestSummary) {
    for r in &summary.rejects {
        eprintln!(
            "{} rejected line(s) of {} copied verbatim to {} (reasons in {})",
            r.count,
            r.input.display(),
            r.records.display(),
            r.reasons.display()
        );
    }
    say!("{}", summary.line());
}

fn exit_code_for(result: Result<IngestSummary, IngestError>) -> u8 {
    match result {
        Ok(summary) => {
            print_summary(&summary);
            if summary.counts.rejected > 0 {
                EXIT_REJECTED
            } else {
                EXIT_OK
            }
        }
        Err(IngestError::Usage(message)) => {
            eprintln!("error: {message}");
            EXIT_USAGE
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_FAILURE
        }
    }
}

async fn run_ingest(global: &GlobalArgs, args: &IngestArgs) -> anyhow::Result<u8> {
    let files: Result<Vec<InputFile>, IngestError> = args
        .files
        .iter()
        .map(|p| InputFile::new(p.clone(), args.format))
        .collect();
    let files = match files {
        Ok(f) => f,
        Err(e) => return Ok(exit_code_for(Err(e))),
    };
    let store = open_store(global).await?;
    let request = IngestRequest {
        files,
        all_or_nothing: args.all_or_nothing,
        rejects_dir: args
            .rejects_dir
            .clone()
            .unwrap_or_else(|| global.data_dir.join("rejects")),
        batch_size: args.batch_size as usize,
    };
    let mut reporter = progress::RejectionPrinter::new(args.show_rejections);
    let result = ingest(
        &store,
        &Actor::command_line(),
        &request,
        progress_for(args.quiet),
        &mut reporter,
    )
    .await;
    reporter.finish();
    store.close().await;
    Ok(exit_code_for(result))
}

async fn run_analyse(global: &GlobalArgs, args: &AnalyseArgs) -> anyhow::Result<u8> {
    let store = open_store(global).await?;
    let bar = progress::AnalyseBar::new(args.quiet || args.json);
    let summary = lantern_app::analyse::analyse(
        &store,
        lantern_app::analyse::AnalyseOptions {
            full: args.full,
            risk_model: global.risk_model.clone(),
            actor: Some(Actor::command_line()),
        },
        &bar,
    )
    .await;
    store.close().await;
    let summary = summary?;
    if args.json {
        say!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        say!("{}", lantern_app::analyse::describe(&summary));
    }
    Ok(EXIT_OK)
}

async fn run_export(global: &GlobalArgs, args: &ExportArgs) -> anyhow::Result<u8> {
    let store = open_store(global).await?;
    let fresh = lantern_app::export::freshness(&store).await?;
    if fresh.analysed && fresh.captures_not_analysed > 0 {
        eprintln!(
            "note: {} capture(s) were stored after the last analysis; run `lantern analyse` to include them",
            fresh.captures_not_analysed
        );
    }
    let options = ExportOptions {
        new_since: args.new_since,
        audit: Some(lantern_app::audit::by_operator(
            lantern_store::Operation::Export,
            &Actor::command_line(),
        )),
    };
    let kind = args.what.kind();
    let lines = match &args.out {
        None => {
            let mut out = BufWriter::new(std::io::stdout());
            match export(&store, kind, options, &mut out).await {
                Ok(lines) => lines,
                Err(ExportError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    return Ok(EXIT_OK);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Some(path) => {
            let partial = path.with_extension("partial");
            let file = std::fs::File::create(&partial)
                .with_context(|| format!("creating {}", partial.display()))?;
            let mut out = BufWriter::new(file);
            let lines = export(&store, kind, options, &mut out).await?;
            out.into_inner()
                .map_err(|e| e.into_error())
                .and_then(|f| f.sync_all())
                .with_context(|| format!("writing {}", partial.display()))?;
            std::fs::rename(&partial, path)
                .with_context(|| format!("moving the export to {}", path.display()))?;
            lines
        }
    };
    if let Some(path) = &args.out {
        eprintln!("wrote {lines} line(s) to {}", path.display());
    }
    store.close().await;
    Ok(EXIT_OK)
}

async fn run_demo(
    global: &GlobalArgs,
    no_serve: bool,
    listen: std::net::SocketAddr,
) -> anyhow::Result<u8> {
    say!("Lantern demonstration: the main job on the embedded default.");
    let store = open_store(global).await?;
    say!("Store: {} ({})", store.backend(), describe_target(global));
    let (request, scenario, scenario_dir) = match lantern_app::demo::prepare(&global.data_dir) {
        Ok(prepared) => prepared,
        Err(e) => return Ok(exit_code_for(Err(e))),
    };
    let [independent, venue, network] = scenario.controllers;
    say!(
        "Simulated {} listings ({} captures) by {independent} independent workers, {venue} venues \
         and {network} exploitative networks over 6 weeks, with their ground truth, in {}.",
        scenario.listings,
        scenario.captures,
        scenario_dir.display()
    );
    say!("Ingesting the captures...");
    let mut reporter = progress::RejectionPrinter::new(20);
    let result = ingest(
        &store,
        &Actor::command_line(),
        &request,
        progress_for(false),
        &mut reporter,
    )
    .await;
    let code = exit_code_for(result);
    let counts = store.counts().await?;
    say!(
        "The store now holds {} listing(s) and {} distinct capture(s) from {} ingest run(s).",
        counts.listings,
        counts.captures,
        counts.runs
    );
    say!("Analysing (`lantern analyse`)...");
    let summary = lantern_app::analyse::analyse(
        &store,
        lantern_app::analyse::AnalyseOptions {
            full: false,
            risk_model: global.risk_model.clone(),
            actor: Some(Actor::command_line()),
        },
        &progress::AnalyseBar::new(false),
    )
    .await?;
    say!("{}", lantern_app::analyse::describe(&summary));
    say!("\nHow the analysis scores against the scenario's truth (`lantern eval`):\n");
    let report = lantern_app::evaluate::evaluate(&store, &scenario_dir).await?;
    say!("{}", report.table().trim_end());
    // The main job: where to go first. The scenario's last day is 2026-10-18.
    let request = lantern_app::plan::PlanRequest {
        date: lantern_core::Timestamp::parse("2026-10-18T00:00:00Z")?,
        teams: 1,
        per_team: 5,
        area: None,
        max_age_days: 14,
        shared: None,
    };
    let plan = lantern_app::plan::plan_visits(&store, &request).await?;
    say!(
        "\nWhere to go first (`lantern plan visits --date 2026-10-18 --per-team 5`), of {} open \
         locations:",
        plan.candidates
    );
    let mut first_stop_of: std::collections::HashMap<&str, usize> = Default::default();
    for route in &plan.routes {
        for stop in &route.stops {
            let why = match stop.cluster.as_deref().and_then(|c| first_stop_of.get(c)) {
                Some(earlier) => format!("same advertiser as stop {earlier}"),
                None => stop
                    .reasons
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "no reason recorded".into()),
            };
            if let Some(c) = stop.cluster.as_deref() {
                first_stop_of.entry(c).or_insert(stop.order);
            }
            say!(
                "  {}. {} ({}, {}) risk {:.2} {}: {why}",
                stop.order,
                stop.label,
                stop.precision.replace('_', " "),
                stop.location,
                stop.risk,
                stop.risk_band,
            );
        }
    }
    say!(
        "\nNext: `lantern export locations --new-since 2026-10-12T00:00:00Z` lists this week's new \
         locations; `lantern export adverts` writes one JSON line per listing; \
         `lantern geo find-in-text \"...\"` finds places; `lantern --help` for more."
    );
    let _ = std::io::stdout().flush();
    if no_serve {
        store.close().await;
        return Ok(code);
    }
    let (user, password) = web::demo_login(&store).await?;
    say!(
        "\nThe web application: sign in as {user} with the one-time password {password} \
         (a new one is made each time the demonstration starts)."
    );
    let _ = std::io::stdout().flush();
    // The demonstration's scenario is dated in the past: no retention while it is served.
    web::serve(store, listen, false, None).await?;
    Ok(code)
}

fn describe_target(global: &GlobalArgs) -> String {
    match Target::choose(global.data_dir.clone(), global.database_url.clone()) {
        Ok(target) => format!("{target:?}"),
        Err(e) => e.to_string(),
    }
}
