//! `lantern serve`, `lantern org …`, `lantern user …`, and the demonstration's server.

use std::io::BufRead;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use lantern_app::accounts::{self, AccountError, NewAccount};
use lantern_app::retention::rules::Rules;
use lantern_store::{AccountStore, CaptureStore, Store, Target};
use lantern_web::{AppState, Bound};

use crate::args::{OrgCommand, ServeArgs, UserCommand};
use crate::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

/// Applies `rules` to the store of `target` a minute after the server starts, then every 24
/// hours, on a thread and runtime of its own (an analysis follows erasures; it must not hold up
/// the server's tasks), with a store connection of its own. Each run's counts go to standard
/// error (never a record's content; each erasure is in the audit log).
fn spawn_daily_retention(target: Target, rules: Rules) -> std::io::Result<()> {
    let thread = std::thread::Builder::new().name("retention".into());
    thread
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => return eprintln!("retention could not start: {e}"),
            };
            runtime.block_on(async move {
                let Ok(actor) = lantern_app::Actor::parse("system:retention") else {
                    return;
                };
                let mut wait = Duration::from_secs(60);
                loop {
                    tokio::time::sleep(wait).await;
                    wait = Duration::from_secs(24 * 60 * 60);
                    let store = match Store::open(&target).await {
                        Ok(s) => s,
                        Err(e) => {
                            eprintln!("retention failed (tried again in 24 hours): {e}");
                            continue;
                        }
                    };
                    match lantern_app::retention::run(&store, &rules, &actor, false).await {
                        Ok(r) => eprintln!(
                            "retention: {} listing(s) erased, {} visit summary(ies) erased, {} \
                             review(s) queued",
                            r.listings_erased, r.visits_erased, r.reviews_queued
                        ),
                        Err(e) => eprintln!("retention failed (tried again in 24 hours): {e}"),
                    }
                    store.close().await;
                }
            });
        })
        .map(|_| ())
}

/// Serves until Ctrl-C, applying `retention` rules daily when given.
pub async fn serve(
    store: Store,
    listen: SocketAddr,
    secure: bool,
    retention: Option<(Target, Rules)>,
) -> anyhow::Result<u8> {
    if store.users().await?.is_empty() {
        eprintln!(
            "lantern serve: no account exists yet; nobody can sign in. Add one with `lantern org add` \
             and `lantern user add` (see `lantern serve --help`)."
        );
    }
    let bound = match Bound::bind(AppState::new(store.clone(), secure), listen).await {
        Ok(b) => b,
        Err(e) if listen.port() != 0 => {
            eprintln!("lantern serve: {e}; trying a free port instead");
            let any = SocketAddr::new(listen.ip(), 0);
            Bound::bind(AppState::new(store.clone(), secure), any).await?
        }
        Err(e) => return Err(e.into()),
    };
    let address = bound.address()?;
    println!("Lantern is serving on http://{address}/ (Ctrl-C stops it).");
    if let Some((target, rules)) = retention {
        spawn_daily_retention(target, rules).context("starting the daily retention")?;
    }
    bound
        .serve(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    store.close().await;
    println!("Stopped.");
    Ok(EXIT_OK)
}

/// `lantern serve` over the store of `target`.
pub async fn run_serve(store: Store, target: &Target, args: &ServeArgs) -> anyhow::Result<u8> {
    let retention = if args.no_retention {
        None
    } else {
        Some((
            target.clone(),
            crate::retention_rules(args.retention_rules.as_deref())?,
        ))
    };
    serve(store, args.listen, args.secure_cookies, retention).await
}

fn report(e: &AccountError) -> u8 {
    eprintln!("lantern: {e}");
    match e {
        AccountError::Invalid { .. } | AccountError::Refused(_) => EXIT_USAGE,
        _ => EXIT_FAILURE,
    }
}

/// `lantern org …`.
pub async fn run_org(store: &Store, command: OrgCommand) -> anyhow::Result<u8> {
    let me = accounts::operator();
    match command {
        OrgCommand::Add { name, kind } => {
            match accounts::add_organisation(store, &me, &name, &kind).await {
                Ok(id) => {
                    println!("Added organisation {name:?} (id {id}).");
                    Ok(EXIT_OK)
                }
                Err(e) => Ok(report(&e)),
            }
        }
        OrgCommand::List => {
            for o in accounts::organisations(store, &me).await? {
                println!("{}\t{}\t{}", o.id, o.kind, o.name);
            }
            Ok(EXIT_OK)
        }
    }
}

fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        Ok((line.trim_end_matches(['\r', '\n']).to_owned(), false))
    } else {
        Ok((accounts::generate_password()?, true))
    }
}

/// `lantern user …`.
pub async fn run_user(store: &Store, command: UserCommand) -> anyhow::Result<u8> {
    let me = accounts::operator();
    let result = match command {
        UserCommand::Add {
            username,
            org,
            role,
            password_stdin,
        } => {
            let (password, generated) = password(password_stdin)?;
            let new = NewAccount {
                username: username.clone(),
                organisation: org,
                role,
                password: password.clone(),
            };
            accounts::add_user(store, &me, &new).await.map(|_| {
                println!("Added {username}.");
                if generated {
                    println!("First password (shown once; give it in person): {password}");
                }
            })
        }
        UserCommand::Disable { username } => accounts::set_active(store, &me, &username, false)
            .await
            .map(|()| println!("Disabled {username}; their sessions have ended.")),
        UserCommand::Enable { username } => accounts::set_active(store, &me, &username, true)
            .await
            .map(|()| println!("Enabled {username}.")),
        UserCommand::Reset {
            username,
            password_stdin,
        } => {
            let (password, generated) = password(password_stdin)?;
            accounts::reset_password(store, &me, &username, &password)
                .await
                .map(|()| {
                    println!("New password set for {username}; their sessions have ended.");
                    if generated {
                        println!("New password (shown once): {password}");
                    }
                })
        }
        UserCommand::List => accounts::users(store, &me).await.map(|list| {
            for u in list {
                let state = if u.active { "active" } else { "disabled" };
                println!("{}\t{}\t{}\t{state}", u.username, u.role, u.org_name);
            }
        }),
    };
    Ok(match result {
        Ok(()) => EXIT_OK,
        Err(e) => report(&e),
    })
}

/// The demonstration's accounts: an analyst in a demonstration police force, with a password
/// made now and printed once. Returns `(username, password)`.
pub async fn demo_login(store: &Store) -> anyhow::Result<(String, String)> {
    let me = accounts::operator();
    const ORG: &str = "Demonstration Police";
    const USER: &str = "demo.analyst";
    if !store.organisations().await?.iter().any(|o| o.name == ORG) {
        accounts::add_organisation(store, &me, ORG, "POLICE").await?;
    }
    let password = accounts::generate_password()?;
    if store.user(USER).await?.is_some() {
        accounts::reset_password(store, &me, USER, &password).await?;
    } else {
        let new = NewAccount {
            username: USER.into(),
            organisation: ORG.into(),
            role: "police_analyst".into(),
            password: password.clone(),
        };
        accounts::add_user(store, &me, &new).await?;
    }
    Ok((USER.into(), password))
}
