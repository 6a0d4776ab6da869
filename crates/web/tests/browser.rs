//! The week's work in a real browser (Debian's headless Chromium through chromedriver): sign in,
//! open this week's new locations, open one, record a visit on a phone-sized screen, see it on
//! the location, sign out; and hostile capture text never runs as script. Screenshots go to
//! `target/e2e-screenshots/` (or `LANTERN_SCREENSHOTS`), which `.ci/run` lists in its log.
//!
//! Without chromedriver the test says so loudly and passes, unless `LANTERN_REQUIRE_BROWSER=1`
//! (set by `.ci/run`), where a missing browser fails it.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use support::{PASSWORD, spawn_app};

/// chromedriver, and the temporary directory its browsers keep their profiles in (removed when
/// the test ends, even when it fails).
struct Driver {
    child: Child,
    _profiles: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| PathBuf::from(d).join(name))
        .find(|p| p.is_file())
}

fn screenshots_dir() -> PathBuf {
    let dir = std::env::var_os("LANTERN_SCREENSHOTS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-screenshots"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    let path = screenshots_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
}

/// Clicks the element `at` finds on the current page.
/// The text of the page's `main` element.
async fn main_text(c: &Client) -> String {
    c.find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn click(c: &Client, at: Locator<'_>) {
    c.find(at).await.unwrap().click().await.unwrap();
}

/// Fills the sign-in form on the current page as `user` (with the test password) and sends it.
async fn submit_login(c: &Client, user: &str) {
    for (field, value) in [("username", user), ("password", PASSWORD)] {
        c.find(Locator::Css(&format!("input[name={field}]")))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    click(c, Locator::Css("button[type=submit]")).await;
}

/// Waits (up to 10 s) until the page's path satisfies `want`; the path.
async fn wait_for_path(c: &Client, want: impl Fn(&str) -> bool) -> String {
    for _ in 0..100 {
        let path = c.current_url().await.unwrap().path().to_owned();
        if want(&path) {
            return path;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let path = c.current_url().await.unwrap().path().to_owned();
    shot(c, "timed-out").await;
    panic!("the page stayed at {path}");
}

async fn start_browser() -> Option<(Driver, Client)> {
    let (Some(driver), Some(chromium)) = (which("chromedriver"), which("chromium")) else {
        let required = std::env::var("LANTERN_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "LANTERN_REQUIRE_BROWSER=1 but chromium or chromedriver is missing"
        );
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "\n######## SKIPPED: browser end-to-end test: chromium and chromedriver are not \
             installed (apt-get install -y chromium chromium-driver) ########\n"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let profiles = tempfile::tempdir().unwrap();
    let child = Command::new(driver)
        .env("TMPDIR", profiles.path())
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let driver = Driver {
        child,
        _profiles: profiles,
    };
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--window-size=1280,1000"],
        }),
    );
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        if let Ok(c) = ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            return Some((driver, c));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("chromedriver did not start on port {port}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_week_of_work_in_the_browser() {
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    for db in lantern_testkit::backends("browser end-to-end").await {
        let backend = db.backend;
        let app = spawn_app(db).await;
        c.goto(&app.url("/locations")).await.unwrap();
        // Not signed in: the login page, which comes back here afterwards.
        assert!(c.current_url().await.unwrap().path().starts_with("/login"));
        shot(&c, &format!("{backend}-1-login")).await;
        submit_login(&c, "analyst").await;
        wait_for_path(&c, |p| p == "/locations").await;
        let heading = c
            .find(Locator::Css("h1"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(heading, "New locations this week");
        let rows = c
            .find_all(Locator::Css("table.list tbody tr"))
            .await
            .unwrap();
        assert!(!rows.is_empty(), "the scenario has new locations this week");
        let map_points = c.find_all(Locator::Css("figure.map circle")).await.unwrap();
        assert!(!map_points.is_empty(), "the map shows them");
        shot(&c, &format!("{backend}-2-new-locations")).await;

        // Open the first location.
        click(&c, Locator::Css("table.list tbody tr td a")).await;
        let path = wait_for_path(&c, |p| p.starts_with("/locations/loc-")).await;
        let main = main_text(&c).await;
        assert!(main.contains("Listings that name it"), "{main}");
        assert!(main.contains("Who advertises here"));
        let wards = c
            .find_all(Locator::Css("figure.map path.ward"))
            .await
            .unwrap();
        assert!(wards.len() > 5, "the borough is drawn with its wards");
        shot(&c, &format!("{backend}-3-location")).await;

        // Record a visit on a phone-sized screen.
        c.set_window_size(390, 844).await.unwrap();
        click(&c, Locator::LinkText("Record a visit")).await;
        wait_for_path(&c, |p| p.ends_with("/visit")).await;
        let outcome = c.find(Locator::Css("select[name=outcome]")).await.unwrap();
        outcome
            .select_by_value("ENGAGED_SUPPORT_ACCEPTED")
            .await
            .unwrap();
        click(
            &c,
            Locator::Css("input[name=referral][value=SUPPORT_SERVICE]"),
        )
        .await;
        shot(&c, &format!("{backend}-4-visit-form-phone")).await;
        click(&c, Locator::Css("form.visit button[type=submit]")).await;
        wait_for_path(&c, |p| p == path).await;
        let visits = main_text(&c).await;
        assert!(
            visits.contains("Engaged, support accepted"),
            "the visit is listed: {visits}"
        );
        assert!(visits.contains("visited"), "the location is now visited");
        shot(&c, &format!("{backend}-5-visit-recorded-phone")).await;
        c.set_window_size(1280, 1000).await.unwrap();

        // Hostile capture text is shown as text: no script element, no dialog.
        let mut hostile = None;
        lantern_app::export::for_each_advert(&app.store, &mut |a| {
            if a.source == "hostile-site" {
                hostile = Some(a.cluster);
            }
            Ok(())
        })
        .await
        .unwrap();
        c.goto(&app.url(&format!("/clusters/{}", hostile.unwrap())))
            .await
            .unwrap();
        assert!(
            c.find_all(Locator::Css("main script, main img"))
                .await
                .unwrap()
                .is_empty()
        );
        let body = main_text(&c).await;
        assert!(body.contains("<script>alert"), "shown as text");
        assert!(c.get_alert_text().await.is_err(), "no dialog opened");
        shot(&c, &format!("{backend}-6-hostile-cluster")).await;
        // Identifiers are pseudonyms until the analyst gives a purpose to see them in full.
        assert!(body.contains("tel-"), "a pseudonym is shown");
        c.find(Locator::Css("form.reveal select[name=purpose]"))
            .await
            .unwrap()
            .select_by_value("safeguarding")
            .await
            .unwrap();
        click(&c, Locator::Css("form.reveal button[type=submit]")).await;
        wait_for_path(&c, |p| p.ends_with("/reveal")).await;
        let revealed = main_text(&c).await;
        assert!(
            revealed.contains("Shown in full for: Safeguarding visit") && revealed.contains("+44"),
            "{backend}: {revealed}"
        );
        shot(&c, &format!("{backend}-6b-identifiers-revealed")).await;

        // Sign out.
        click(&c, Locator::Css("header form button")).await;
        wait_for_path(&c, |p| p.starts_with("/login")).await;
        c.goto(&app.url("/locations")).await.unwrap();
        assert!(
            c.current_url().await.unwrap().path().starts_with("/login"),
            "signed out"
        );
        // The auditor reads what the analyst did: sign-in, pages consulted, the visit.
        c.goto(&app.url("/audit")).await.unwrap();
        submit_login(&c, "auditor").await;
        wait_for_path(&c, |p| p == "/audit").await;
        let log = main_text(&c).await;
        for expected in ["sign in", "consult", "collect", "sign out", "analyst"] {
            assert!(
                log.contains(expected),
                "{backend}: the audit page lacks {expected:?}"
            );
        }
        shot(&c, &format!("{backend}-7-audit-log")).await;
        c.delete_all_cookies().await.unwrap();
    }
    c.close().await.unwrap();
}
