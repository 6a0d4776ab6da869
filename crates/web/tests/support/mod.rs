//! `spawn_app()`: the real server on 127.0.0.1:0 over a fresh store (SQLite, and PostgreSQL
//! when `LANTERN_TEST_PG_URL` is set), seeded with the demonstration scenario plus hostile
//! captures, analysed, with organisations, one account per role, shares and visits. A clock the
//! test can move, and a client per person.

#![allow(dead_code)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use lantern_access::Principal;
use lantern_app::accounts::{self, NewAccount};
use lantern_app::ingest::{InputFile, RejectionReporter};
use lantern_core::Timestamp;
use lantern_store::{AccountStore, AnalysisStore, Store, VisitStore};
use lantern_testkit::TestDb;
use lantern_web::{AppState, Bound};

/// Every account's password (the policy accepts it; tests only).
pub const PASSWORD: &str = "correct horse battery";
/// Marker text in the records of organisation C (its visit, its share note).
pub const CANARY_VISIT: &str = "CANARY-C-VISIT-7f3a";
/// Marker text in the note a location was shared with organisation C.
pub const CANARY_SHARE: &str = "CANARY-C-SHARE-91be";
/// A hostile string planted in captures.
pub const XSS: &str = r#"<script>alert("xss")</script><img src=x onerror=alert(1)>"#;

/// The accounts seeded: `(username, organisation, role)`.
pub const PEOPLE: &[(&str, &str, &str)] = &[
    ("analyst", "Force A", "police_analyst"),
    ("outreach.b", "Charity B", "outreach_worker"),
    ("partner.b", "Charity B", "partner_practitioner"),
    ("outreach.c", "Charity C", "outreach_worker"),
    ("opcc", "OPCC D", "opcc_analyst"),
    ("auditor", "Force A", "auditor"),
    ("admin", "Force A", "administrator"),
    ("gone", "Charity B", "outreach_worker"),
];

/// A running server over a seeded store.
pub struct TestApp {
    /// Where it listens.
    pub address: SocketAddr,
    /// The store behind it.
    pub store: Store,
    /// Seconds added to the real clock.
    pub offset: Arc<AtomicI64>,
    /// A location shared with B (and not C).
    pub location_b: String,
    /// A location shared with C (and not B).
    pub location_c: String,
    /// A location shared with nobody.
    pub location_none: String,
    /// A cluster id.
    pub cluster: String,
    /// Which backend.
    pub backend: &'static str,
    _db: TestDb,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

struct Quietly;
impl RejectionReporter for Quietly {
    fn rejected(&mut self, _: &lantern_ingest::Rejection) {}
}

fn hostile_captures(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("hostile.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    for i in 0..3 {
        let line = serde_json::json!({
            "source": "hostile-site",
            "external_id": format!("x{i}{XSS}"),
            "captured_at": format!("2026-10-1{}T20:00:00Z", 5 + i),
            "title": format!("New in Digbeth {XSS}"),
            "body": format!("Call 07700 900{:03} {XSS} incall Digbeth B5", 700 + i),
            "poster": XSS,
            "contact": {"phone": format!("07700 900{:03}", 700 + i)},
            "location": {"text": format!("Digbeth {XSS}")},
        });
        writeln!(f, "{line}").unwrap();
    }
    path
}

async fn seed(store: &Store, dir: &std::path::Path) {
    let (mut request, _, _) = lantern_app::demo::prepare(dir).unwrap();
    request
        .files
        .push(InputFile::new(hostile_captures(dir), None).unwrap());
    lantern_app::ingest::ingest(
        store,
        &lantern_app::Actor::parse("test").unwrap(),
        &request,
        Arc::new(lantern_ingest::NoProgress),
        &mut Quietly,
    )
    .await
    .unwrap();
    lantern_app::analyse::analyse(
        store,
        lantern_app::analyse::AnalyseOptions::default(),
        &lantern_app::analyse::Quiet,
    )
    .await
    .unwrap();
}

/// The person an account stands for.
pub async fn principal(store: &Store, username: &str) -> Principal {
    let row = store.user(username).await.unwrap().unwrap();
    lantern_app::auth::principal_of(&row).unwrap()
}

fn me() -> Principal {
    accounts::operator()
}

/// Boots the server over a fresh, seeded store of `db`.
pub async fn spawn_app(db: TestDb) -> TestApp {
    let store = Store::open(&db.target).await.unwrap();
    seed(&store, db.scratch()).await;
    for (name, kind) in [
        ("Force A", "POLICE"),
        ("Charity B", "NGO"),
        ("Charity C", "NGO"),
        ("OPCC D", "OPCC"),
        ("Council E", "LA"),
    ] {
        accounts::add_organisation(&store, &me(), name, kind)
            .await
            .unwrap();
    }
    for (user, org, role) in PEOPLE {
        let new = NewAccount {
            username: (*user).into(),
            organisation: (*org).into(),
            role: (*role).into(),
            password: PASSWORD.into(),
        };
        accounts::add_user(&store, &me(), &new).await.unwrap();
    }
    // Three locations: one shared with B, one with C, one with nobody; C visits its own.
    let mut ids = Vec::new();
    store
        .for_each_record(lantern_store::RecordKind::Location, &mut |json| {
            let v: serde_json::Value = serde_json::from_str(json).map_err(std::io::Error::other)?;
            ids.push(v["location"].as_str().unwrap_or_default().to_owned());
            Ok(())
        })
        .await
        .unwrap();
    assert!(ids.len() >= 3, "the scenario has locations");
    let org_id = |name: &str| {
        let store = store.clone();
        let name = name.to_owned();
        async move {
            store
                .organisations()
                .await
                .unwrap()
                .into_iter()
                .find(|o| o.name == name)
                .unwrap()
                .id
        }
    };
    let analyst = principal(&store, "analyst").await;
    lantern_app::views::share(
        &store,
        &analyst,
        &ids[0],
        org_id("Charity B").await,
        "Check on welfare; several adverts in a week.",
    )
    .await
    .unwrap();
    lantern_app::views::share(
        &store,
        &analyst,
        &ids[1],
        org_id("Charity C").await,
        &format!("Outreach please {CANARY_SHARE}"),
    )
    .await
    .unwrap();
    let outreach_c = principal(&store, "outreach.c").await;
    let visit = lantern_app::visit::VisitRequest {
        location: ids[1].clone(),
        at: None,
        purpose: lantern_app::visit::Purpose::Safeguarding,
        outcome: "ENGAGED_NO_CONCERN".into(),
        indicators: Vec::new(),
        referrals: Vec::new(),
        follow_up: Some(format!("follow {CANARY_VISIT}")),
        follow_up_due: None,
        consent: false,
        names: None,
        notes: Some(format!("notes {CANARY_VISIT}")),
        closed: false,
        team: Some(format!("team {CANARY_VISIT}")),
        recorded_by: String::new(),
        org_id: None,
    };
    lantern_app::views::record_visit(&store, &outreach_c, visit)
        .await
        .unwrap();
    accounts::set_active(&store, &me(), "gone", false)
        .await
        .unwrap();
    let cluster = {
        let json = store.location_record(&ids[2]).await.unwrap().unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        match v["cluster"].as_str() {
            Some(c) => c.to_owned(),
            None => {
                let mut first = String::new();
                store
                    .for_each_record(lantern_store::RecordKind::Cluster, &mut |json| {
                        if first.is_empty() {
                            let v: serde_json::Value =
                                serde_json::from_str(json).map_err(std::io::Error::other)?;
                            first = v["cluster"].as_str().unwrap_or_default().to_owned();
                        }
                        Ok(())
                    })
                    .await
                    .unwrap();
                first
            }
        }
    };

    let offset = Arc::new(AtomicI64::new(0));
    let clock_offset = offset.clone();
    let state = AppState {
        store: store.clone(),
        secure: false,
        new_locations: Arc::default(),
        pseudonyms: Arc::default(),
        clock: Arc::new(move || {
            Timestamp::now()
                .plus_seconds(clock_offset.load(Ordering::SeqCst))
                .unwrap()
        }),
    };
    let bound = Bound::bind(state, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let address = bound.address().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(bound.serve(async {
        let _ = rx.await;
    }));
    TestApp {
        address,
        store,
        offset,
        location_b: ids[0].clone(),
        location_c: ids[1].clone(),
        location_none: ids[2].clone(),
        cluster,
        backend: db.backend,
        _db: db,
        _shutdown: tx,
    }
}

impl TestApp {
    /// An absolute URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// A client with its own cookie jar that does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A client signed in as `user` (panics if signing in fails).
    pub async fn signed_in(&self, user: &str) -> reqwest::Client {
        let client = self.client();
        let status = self.login(&client, user, PASSWORD).await;
        assert_eq!(status, 303, "{user} signs in");
        client
    }

    /// Signs in through the form; the status of the POST.
    pub async fn login(&self, client: &reqwest::Client, user: &str, password: &str) -> u16 {
        let page = client.get(self.url("/login")).send().await.unwrap();
        let html = page.text().await.unwrap();
        let token = hidden(&html, "csrf").unwrap_or_default();
        client
            .post(self.url("/login"))
            .form(&[
                ("csrf", token.as_str()),
                ("username", user),
                ("password", password),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// The body of a GET of `path` as `client`.
    pub async fn text(&self, client: &reqwest::Client, path: &str) -> String {
        client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The CSRF token of the signed-in session (read from the home page's sign-out form).
    pub async fn csrf(&self, client: &reqwest::Client) -> String {
        hidden(&self.text(client, "/").await, "csrf").unwrap_or_default()
    }

    /// Moves the server's clock by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::SeqCst);
    }
}

/// The value of a hidden input named `name` in a page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let start = html.find(&key)? + key.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// One fresh app per backend.
pub async fn apps(what: &str) -> Vec<TestApp> {
    let mut out = Vec::new();
    for db in lantern_testkit::backends(what).await {
        out.push(spawn_app(db).await);
    }
    out
}
