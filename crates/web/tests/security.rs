//! The web application's security properties, against the real server on both backends: the
//! route table, headers, CSRF and origin checks, the login rate limit, session lifetimes, the
//! authorisation matrix, marker leaks and escaping of hostile text.

mod support;

use lantern_access::Role;
use lantern_web::routes::{RULES, routed};
use support::{CANARY_SHARE, CANARY_VISIT, PASSWORD, PEOPLE, TestApp, XSS, apps, hidden};

#[test]
fn every_route_has_a_rule_and_every_rule_a_route() {
    let routes = routed();
    for (method, path) in &routes {
        assert!(
            lantern_web::routes::rule(method, path).is_some(),
            "{method} {path} has no rule in RULES"
        );
    }
    for r in RULES {
        assert!(
            routes.contains(&(r.method, r.path)),
            "rule {} {} names no route",
            r.method,
            r.path
        );
    }
    let public: Vec<_> = RULES
        .iter()
        .filter(|r| r.is_public())
        .map(|r| r.path)
        .collect();
    assert_eq!(
        public,
        ["/login", "/login", "/static/lantern.css"],
        "only these are public"
    );
    // The OpenAPI document describes exactly the API's routes.
    let doc = lantern_web::api::openapi_document();
    let mut documented: Vec<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let mut api: Vec<String> = RULES
        .iter()
        .filter(|r| r.path.starts_with("/api/"))
        .map(|r| r.path.to_owned())
        .collect();
    documented.sort();
    api.sort();
    api.dedup();
    assert_eq!(documented, api);
}

fn header<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn check_headers(res: &reqwest::Response, data: bool) {
    let csp = header(res, "content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(header(res, "x-content-type-options"), "nosniff");
    assert_eq!(header(res, "referrer-policy"), "same-origin");
    if data {
        assert_eq!(header(res, "cache-control"), "no-store");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn security_headers_on_every_kind_of_response() {
    for app in apps("web security headers").await {
        let anon = app.client();
        let login = anon.get(app.url("/login")).send().await.unwrap();
        check_headers(&login, true);
        assert_eq!(header(&login, "content-type"), "text/html; charset=utf-8");
        let cookie = header(&login, "set-cookie").to_owned();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        let redirect = anon.get(app.url("/locations")).send().await.unwrap();
        assert_eq!(redirect.status(), 303);
        check_headers(&redirect, true);
        let missing = anon.get(app.url("/nowhere")).send().await.unwrap();
        assert_eq!(missing.status(), 404);
        check_headers(&missing, true);
        let analyst = app.signed_in("analyst").await;
        let page = analyst
            .get(app.url("/locations?all=1"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{}", app.backend);
        check_headers(&page, true);
        // The API: JSON, unknown filter keys refused, 401 without a session.
        let api = analyst
            .get(app.url("/api/locations?new=false"))
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 200);
        check_headers(&api, true);
        let json: serde_json::Value = api.json().await.unwrap();
        let total = json["total"].as_u64().unwrap();
        assert!(total > 3);
        let page: serde_json::Value = analyst
            .get(app.url("/api/locations?new=false&limit=2&offset=1"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page["locations"].as_array().unwrap().len(), 2);
        assert_eq!(
            page["locations"][0], json["locations"][1],
            "offset counts from the top"
        );
        for bad in [
            "/api/locations?sort=label",
            "/api/locations?band=1%27%20OR%201=1",
        ] {
            let res = analyst.get(app.url(bad)).send().await.unwrap();
            assert_eq!(res.status(), 400, "{bad}");
        }
        let res = anon.get(app.url("/api/locations")).send().await.unwrap();
        assert_eq!(res.status(), 401);
        let css = anon
            .get(app.url("/static/lantern.css"))
            .send()
            .await
            .unwrap();
        assert_eq!(header(&css, "content-type"), "text/css; charset=utf-8");
        check_headers(&css, false);
    }
}

/// A form for each POST route that would succeed with a valid token.
fn valid_form(app: &TestApp, path: &str, n: usize) -> (String, Vec<(String, String)>) {
    let f = |pairs: &[(&str, String)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    };
    match path {
        "/login" => (
            "/login".into(),
            f(&[
                ("username", "analyst".into()),
                ("password", PASSWORD.into()),
            ]),
        ),
        "/logout" => ("/logout".into(), Vec::new()),
        "/locations/{id}/share" => (
            format!("/locations/{}/share", app.location_none),
            f(&[("org", "5".into()), ("note", "please look".into())]),
        ),
        "/locations/{id}/visit" => (
            format!("/locations/{}/visit", app.location_b),
            f(&[
                ("purpose", "safeguarding".into()),
                ("outcome", "NO_ANSWER".into()),
            ]),
        ),
        "/admin/organisations" => (
            "/admin/organisations".into(),
            f(&[("name", format!("Org {n}")), ("kind", "NGO".into())]),
        ),
        "/admin/users" => (
            "/admin/users".into(),
            f(&[
                ("username", format!("new.{n}")),
                ("organisation", "Council E".into()),
                ("role", "partner_practitioner".into()),
                ("password", PASSWORD.into()),
            ]),
        ),
        "/clusters/{id}/reveal" => (
            format!("/clusters/{}/reveal", app.cluster),
            f(&[("purpose", "safeguarding".into())]),
        ),
        "/admin/users/{name}/disable" => ("/admin/users/partner.b/disable".into(), Vec::new()),
        "/admin/users/{name}/enable" => ("/admin/users/partner.b/enable".into(), Vec::new()),
        "/admin/users/{name}/reset" => ("/admin/users/gone/reset".into(), Vec::new()),
        other => panic!("no form for {other}: add one"),
    }
}

async fn visit_count(app: &TestApp) -> usize {
    use lantern_store::VisitStore;
    app.store.visit_outcomes().await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_post_needs_the_csrf_token_and_our_origin() {
    for app in apps("web CSRF").await {
        let admin = app.signed_in("admin").await;
        let analyst = app.signed_in("analyst").await;
        let before = visit_count(&app).await;
        for (n, rule) in RULES.iter().filter(|r| r.method == "POST").enumerate() {
            let client = if rule.path.starts_with("/admin") {
                &admin
            } else {
                &analyst
            };
            let (path, form) = valid_form(&app, rule.path, n);
            // No token at all.
            let res = client
                .post(app.url(&path))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(
                res.status(),
                403,
                "{} without a token ({})",
                rule.path,
                app.backend
            );
            // A wrong token.
            let mut wrong = form.clone();
            wrong.push(("csrf".into(), "not-the-token".into()));
            let res = client
                .post(app.url(&path))
                .form(&wrong)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 403, "{} with a wrong token", rule.path);
            // The right token from another origin.
            if rule.path != "/login" {
                let mut right = form.clone();
                right.push(("csrf".into(), app.csrf(client).await));
                let res = client
                    .post(app.url(&path))
                    .header("origin", "https://evil.example")
                    .form(&right)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 403, "{} from another origin", rule.path);
            }
        }
        assert_eq!(
            visit_count(&app).await,
            before,
            "refused requests changed nothing"
        );
        // Still signed in: the refused sign-out did nothing.
        let res = analyst.get(app.url("/")).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_failures_refuse_the_eleventh_per_account_and_per_address() {
    for app in apps("web login rate limit").await {
        let c = app.client();
        for i in 0..10 {
            assert_eq!(
                app.login(&c, "analyst", "wrong password!").await,
                401,
                "failure {i}"
            );
        }
        // The eleventh within five minutes is refused even with the right password.
        assert_eq!(app.login(&c, "analyst", PASSWORD).await, 429);
        // Unknown accounts answer the same way.
        let unknown = app.client();
        assert_eq!(
            app.login(&unknown, "nobody.here", "wrong password!").await,
            429,
            "address limit"
        );
        app.advance(6 * 60);
        assert_eq!(
            app.login(&c, "analyst", PASSWORD).await,
            303,
            "after five minutes"
        );
        // Per address: ten failures spread over names, then a right password for another.
        let c = app.client();
        for i in 0..10 {
            let status = app
                .login(&c, &format!("nobody{i}"), "wrong password!")
                .await;
            assert_eq!(
                status, 401,
                "unknown account {i} answers like a wrong password"
            );
        }
        assert_eq!(app.login(&c, "admin", PASSWORD).await, 429);
        app.advance(6 * 60);
        assert_eq!(app.login(&c, "admin", PASSWORD).await, 303);
    }
}

/// Signs `user` in through the form with a client that keeps no cookies, sending `extra` cookies
/// beside the login form's; the session token the server set.
async fn sign_in_with_cookie(
    app: &TestApp,
    raw: &reqwest::Client,
    user: &str,
    extra: &str,
) -> Option<String> {
    let page = raw.get(app.url("/login")).send().await.unwrap();
    let login_cookie = header(&page, "set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = hidden(&page.text().await.unwrap(), "csrf").unwrap();
    let res = raw
        .post(app.url("/login"))
        .header("cookie", format!("{login_cookie}; {extra}"))
        .form(&[
            ("csrf", token.as_str()),
            ("username", user),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    session_cookie(&res)
}

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("lantern_session="))
        .map(|c| {
            c["lantern_session=".len()..]
                .split(';')
                .next()
                .unwrap_or("")
                .to_owned()
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_are_new_at_login_and_end_when_they_should() {
    for app in apps("web sessions").await {
        // A new token at every login, whatever cookie came in (fixation).
        let raw = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let session = sign_in_with_cookie(&app, &raw, "analyst", "lantern_session=attacker-chosen")
            .await
            .expect("a session cookie");
        assert_ne!(session, "attacker-chosen");
        assert!(session.len() >= 43, "256-bit token");
        let with = |t: &str| format!("lantern_session={t}");
        let get = |t: String| {
            let raw = raw.clone();
            let url = app.url("/locations");
            async move {
                raw.get(url)
                    .header("cookie", t)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(get(with(&session)).await, 200);
        // Idle for 31 minutes: gone.
        app.advance(31 * 60);
        assert_eq!(get(with(&session)).await, 303, "idle limit");

        // Used every 25 minutes, it still ends at 12 hours.
        let client = app.signed_in("analyst").await;
        for _ in 0..28 {
            app.advance(25 * 60);
            let status = client.get(app.url("/")).send().await.unwrap().status();
            assert_eq!(status, 200);
        }
        app.advance(25 * 60);
        assert_eq!(
            client.get(app.url("/")).send().await.unwrap().status(),
            303,
            "12-hour limit"
        );

        // Sign-out ends the session in the store: the old token no longer works.
        let old = sign_in_with_cookie(&app, &raw, "outreach.b", "")
            .await
            .unwrap();
        let html = raw
            .get(app.url("/"))
            .header("cookie", with(&old))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&html, "csrf").unwrap();
        let out = raw
            .post(app.url("/logout"))
            .header("cookie", with(&old))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 303);
        assert_eq!(get(with(&old)).await, 303, "signed out");

        // Disabling an account ends its sessions at once.
        let partner = app.signed_in("partner.b").await;
        assert_eq!(
            partner.get(app.url("/")).send().await.unwrap().status(),
            200
        );
        let admin = app.signed_in("admin").await;
        let csrf = app.csrf(&admin).await;
        let res = admin
            .post(app.url("/admin/users/partner.b/disable"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(
            partner.get(app.url("/")).send().await.unwrap().status(),
            303,
            "disabled"
        );
        assert_eq!(app.login(&app.client(), "partner.b", PASSWORD).await, 401);
    }
}

/// An identity of the matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Anonymous,
    Disabled,
    Expired,
    Person(&'static str),
}

fn role_of(user: &str) -> Role {
    let (_, _, role) = PEOPLE.iter().find(|(u, _, _)| *u == user).unwrap();
    Role::parse(role).unwrap()
}

/// The status the policy expects for `who` on `rule` with its object `own` (shared with their
/// organisation) or not. Written out from domain-uk.md §8.3, independently of the server's code.
fn expected(who: Who, method: &str, path: &str, own: bool) -> u16 {
    let public = matches!(path, "/login" | "/static/lantern.css");
    let api = path.starts_with("/api/");
    let user = match who {
        Who::Person(u) => u,
        _ if public => return if method == "POST" { 401 } else { 200 },
        _ if api => return 401,
        _ => return 303,
    };
    let role = role_of(user);
    use Role::*;
    let analyst = role == PoliceAnalyst;
    let partner = matches!(role, OutreachWorker | PartnerPractitioner);
    let allowed = match path {
        "/login" | "/static/lantern.css" | "/" | "/logout" => true,
        "/locations" | "/locations/{id}" | "/api/locations" | "/api/locations/{id}" => {
            analyst || partner
        }
        "/locations/{id}/share"
        | "/clusters/{id}"
        | "/clusters/{id}/reveal"
        | "/api/clusters/{id}"
        | "/search"
        | "/api/search" => analyst,
        "/api/openapi.json" => true,
        "/locations/{id}/visit" => analyst || role == OutreachWorker,
        "/plan" => analyst || role == OutreachWorker,
        "/overview" => analyst || role == OpccAnalyst,
        "/admin" => matches!(role, Auditor | Administrator),
        "/audit" => role == Auditor,
        p if p.starts_with("/admin/") => role == Administrator,
        other => panic!("no expectation for {other}"),
    };
    if !allowed {
        return 403;
    }
    let object_route = path.contains("{id}")
        && (path.starts_with("/locations") || path.starts_with("/api/locations"));
    if object_route && !analyst && !own {
        return 404;
    }
    match (method, path) {
        ("GET", "/login") => 303,                     // already signed in: sent on
        ("POST", "/admin/users/{name}/reset") => 200, // the new password, shown once
        ("POST", "/clusters/{id}/reveal") => 200,     // the identifiers, shown in the answer
        ("GET", _) => 200,
        ("POST", "/login") => 303,
        _ => 303,
    }
}

fn concrete(app: &TestApp, path: &str, own_location: &str) -> String {
    path.replace(
        "{name}",
        if path.ends_with("/reset") {
            "gone"
        } else {
            "partner.b"
        },
    )
    .replace(
        "{id}",
        if path.contains("/clusters") {
            &app.cluster
        } else {
            own_location
        },
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn authorisation_matrix_every_route_every_identity_own_and_other_objects() {
    for app in apps("web authorisation matrix").await {
        let mut deviations = Vec::new();
        let mut cells = 0;
        let mut identities: Vec<(Who, reqwest::Client)> = vec![(Who::Anonymous, app.client())];
        for (user, _, _) in PEOPLE.iter().filter(|(u, _, _)| *u != "gone") {
            identities.push((Who::Person(user), app.signed_in(user).await));
        }
        // Disabled: signed in, then the account is disabled. Expired: idle past the limit.
        let disabled = app.signed_in("outreach.c").await;
        let expired = app.signed_in("partner.b").await;
        for (who, client) in &identities {
            let org = match who {
                Who::Person(u) => PEOPLE.iter().find(|(x, _, _)| x == u).unwrap().1,
                _ => "",
            };
            for rule in RULES {
                for own in [true, false] {
                    // B's people own location_b; C's own location_c; others own nothing shared.
                    let location = match (org, own) {
                        ("Charity B", true) => &app.location_b,
                        ("Charity C", true) => &app.location_c,
                        ("Charity B", false) => &app.location_c,
                        ("Charity C", false) => &app.location_b,
                        (_, true) => &app.location_b,
                        (_, false) => &app.location_c,
                    };
                    let own = own && matches!(org, "Charity B" | "Charity C");
                    if rule.path == "/logout" || (rule.path == "/login" && rule.method == "POST") {
                        continue; // would end or replace the identity's session: tested above
                    }
                    let path = concrete(&app, rule.path, location);
                    let status = if rule.method == "GET" {
                        client
                            .get(app.url(&path))
                            .send()
                            .await
                            .unwrap()
                            .status()
                            .as_u16()
                    } else {
                        let (_, mut form) = valid_form(&app, rule.path, cells);
                        let csrf = if matches!(who, Who::Person(_)) {
                            app.csrf(client).await
                        } else {
                            String::new()
                        };
                        form.push(("csrf".into(), csrf));
                        client
                            .post(app.url(&path))
                            .form(&form)
                            .send()
                            .await
                            .unwrap()
                            .status()
                            .as_u16()
                    };
                    cells += 1;
                    let want = expected(*who, rule.method, rule.path, own);
                    if status != want {
                        deviations.push(format!(
                            "{who:?} {} {path}: {status}, expected {want}",
                            rule.method
                        ));
                    }
                    // Keep partner.b usable for the rest of the matrix.
                    if rule.path.ends_with("/disable") && status == 303 {
                        lantern_app::accounts::set_active(
                            &app.store,
                            &lantern_app::accounts::operator(),
                            "partner.b",
                            true,
                        )
                        .await
                        .unwrap();
                    }
                }
            }
        }
        lantern_app::accounts::set_active(
            &app.store,
            &lantern_app::accounts::operator(),
            "outreach.c",
            false,
        )
        .await
        .unwrap();
        app.advance(31 * 60);
        for (who, client) in [(Who::Disabled, &disabled), (Who::Expired, &expired)] {
            for rule in RULES.iter().filter(|r| r.method == "GET") {
                let path = concrete(&app, rule.path, &app.location_c);
                let status = client
                    .get(app.url(&path))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                cells += 1;
                let want = expected(who, "GET", rule.path, true);
                if status != want {
                    deviations.push(format!("{who:?} GET {path}: {status}, expected {want}"));
                }
            }
        }
        assert!(
            deviations.is_empty(),
            "{} deviation(s) of {cells} cells on {}:\n{}",
            deviations.len(),
            app.backend,
            deviations.join("\n")
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn another_organisations_markers_never_appear() {
    for app in apps("web marker leak").await {
        for (user, org, _) in PEOPLE.iter().filter(|(u, _, _)| *u != "gone") {
            let client = app.signed_in(user).await;
            let analyst = *user == "analyst";
            for rule in RULES.iter().filter(|r| r.method == "GET") {
                for location in [&app.location_b, &app.location_c, &app.location_none] {
                    let path = concrete(&app, rule.path, location);
                    for query in ["", "?all=1"] {
                        let body = app.text(&client, &format!("{path}{query}")).await;
                        if *org != "Charity C" {
                            assert!(
                                !body.contains(CANARY_VISIT),
                                "{user} saw C's visit on {path}"
                            );
                            if !analyst {
                                assert!(
                                    !body.contains(CANARY_SHARE),
                                    "{user} saw C's share note on {path}"
                                );
                            }
                        }
                    }
                }
            }
        }
        // A partner's copy of a shared location shows nothing of the intelligence behind it.
        let b = app.signed_in("outreach.b").await;
        let body = app
            .text(&b, &format!("/locations/{}", app.location_b))
            .await;
        assert!(body.contains("Why it was shared with you"));
        for hidden in [
            "Listings that name it",
            "Who advertises here",
            "/clusters/",
            "+447700",
        ] {
            assert!(!body.contains(hidden), "a partner sees {hidden:?}");
        }
        // C itself sees its own (the markers are real and reachable).
        let c = app.signed_in("outreach.c").await;
        let body = app
            .text(&c, &format!("/locations/{}", app.location_c))
            .await;
        assert!(
            body.contains(CANARY_SHARE),
            "C sees the note it was shared with"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_capture_text_renders_as_text() {
    for app in apps("web XSS").await {
        let analyst = app.signed_in("analyst").await;
        let mut hostile_cluster = None;
        lantern_app::export::for_each_advert(&app.store, &mut |a| {
            if a.source == "hostile-site" {
                hostile_cluster = Some(a.cluster);
            }
            Ok(())
        })
        .await
        .unwrap();
        let cluster = hostile_cluster.expect("the hostile listings were analysed");
        let mut pages = vec![
            format!("/clusters/{cluster}"),
            "/locations?all=1".into(),
            "/plan".into(),
        ];
        let view = lantern_app::views::cluster(
            &app.store,
            &support::principal(&app.store, "analyst").await,
            &cluster,
            &lantern_app::minimise::Pseudonyms::of(&app.store)
                .await
                .unwrap(),
            None,
        )
        .await
        .unwrap();
        pages.extend(
            view.locations
                .iter()
                .map(|l| format!("/locations/{}", l.location)),
        );
        let mut escaped = 0;
        for page in &pages {
            let body = app.text(&analyst, page).await;
            assert!(!body.contains("<script>alert"), "raw script on {page}");
            assert!(!body.contains("<img src=x"), "raw img on {page}");
            escaped += body.matches("&lt;script&gt;").count();
        }
        assert!(escaped > 0, "the hostile text is shown, escaped ({XSS})");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn search_finds_listings_by_phone_place_and_words_for_analysts_only() {
    for app in apps("web search").await {
        let analyst = app.signed_in("analyst").await;
        let find = |q: &str| {
            let url = app.url("/api/search");
            let analyst = analyst.clone();
            let q = q.to_owned();
            async move {
                let res = analyst
                    .get(url)
                    .query(&[("q", q.as_str())])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200, "{q}");
                let v: serde_json::Value = res.json().await.unwrap();
                v["adverts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| {
                        format!(
                            "{}/{}",
                            a["source"].as_str().unwrap(),
                            a["external_id"].as_str().unwrap()
                        )
                    })
                    .collect::<Vec<_>>()
            }
        };
        // A hostile listing's number, written three ways.
        for q in ["07700 900701", "+44 7700 900701", "07700900701"] {
            let hits = find(q).await;
            assert_eq!(hits.len(), 1, "{q}: {hits:?} ({})", app.backend);
            assert!(hits[0].starts_with("hostile-site/x1"), "{hits:?}");
        }
        // A place, and words of the masked advert text.
        assert!(
            find("Digbeth")
                .await
                .iter()
                .any(|h| h.starts_with("hostile-site/"))
        );
        assert!(!find("incall Digbeth").await.is_empty());
        assert!(find("zzzz-no-such-word").await.is_empty());
        // Quotes and FTS syntax in a query are data, not syntax.
        assert!(find("\"Digbeth\" OR NEAR(x y) *").await.is_empty());
        // The page shows them, escaped.
        let page = app.text(&analyst, "/search?q=07700+900701").await;
        assert!(page.contains("hostile-site") && !page.contains("<script>alert"));
        // Partners and the OPCC may not search intelligence.
        for user in ["outreach.b", "opcc", "admin"] {
            let c = app.signed_in(user).await;
            let res = c
                .get(app.url("/api/search?q=Digbeth"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 403, "{user}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_redirects_stay_on_this_site() {
    let app = support::spawn_app(lantern_testkit::TestDb::sqlite()).await;
    for next in [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "http:evil.example",
        "/%0d%0aSet-Cookie:x=1",
    ] {
        let client = app.client();
        let page = client
            .get(app.url("/login"))
            .query(&[("next", next)])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = hidden(&page, "csrf").unwrap();
        let res = client
            .post(app.url("/login"))
            .form(&[
                ("csrf", token.as_str()),
                ("username", "analyst"),
                ("password", PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let location = header(&res, "location");
        assert!(
            location.starts_with('/')
                && !location.starts_with("//")
                && !location.starts_with("/\\"),
            "{next:?} sent the browser to {location:?}"
        );
        assert!(!location.contains('\n') && !location.contains('\r'));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_new_locations_list_follows_visits_at_once() {
    for app in apps("web new-locations list after a visit").await {
        let analyst = app.signed_in("analyst").await;
        let ids = |v: serde_json::Value| -> Vec<String> {
            v["locations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["location"]["location"].as_str().unwrap().to_owned())
                .collect()
        };
        let get = || async {
            analyst
                .get(app.url("/api/locations"))
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        };
        let before = ids(get().await);
        let first = before.first().expect("new locations this week").clone();
        let csrf = app.csrf(&analyst).await;
        let res = analyst
            .post(app.url(&format!("/locations/{first}/visit")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("purpose", "safeguarding"),
                ("outcome", "NO_ANSWER"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let after = ids(get().await);
        assert!(
            !after.contains(&first),
            "a visited location is no longer new ({})",
            app.backend
        );
        assert_eq!(after.len() + 1, before.len());
    }
}

/// Every stored audit event, oldest first.
async fn audit_log(app: &TestApp) -> Vec<lantern_store::StoredAuditEvent> {
    use lantern_store::{AuditFilter, AuditStore};
    let mut events = app
        .store
        .audit_events(&AuditFilter {
            limit: 100_000,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    events.reverse();
    events
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_leaves_exactly_one_audit_event_of_its_kind() {
    use lantern_store::{AuditStore, Operation, Verification};
    use lantern_web::routes::Audited;
    for app in apps("web audit").await {
        let mut clients = std::collections::HashMap::new();
        for (user, _, _) in PEOPLE.iter().filter(|(u, _, _)| *u != "gone") {
            clients.insert(*user, app.signed_in(user).await);
        }
        let mut checked = 0;
        for (n, rule) in RULES.iter().enumerate() {
            if rule.path == "/logout" || (rule.path == "/login" && rule.method == "POST") {
                continue; // below
            }
            // Someone the rule allows (an outreach worker of B for B's visit form and record).
            let user = if rule.path.contains("/visit") {
                "outreach.b"
            } else {
                PEOPLE
                    .iter()
                    .map(|(u, _, _)| *u)
                    .find(|u| *u != "gone" && rule.allows(Some(role_of(u))))
                    .unwrap_or("analyst")
            };
            let client = &clients[user];
            let before = audit_log(&app).await.len();
            let status = if rule.method == "GET" {
                let path = concrete(&app, rule.path, &app.location_b);
                client.get(app.url(&path)).send().await.unwrap().status()
            } else {
                let (path, mut form) = valid_form(&app, rule.path, n);
                form.push(("csrf".into(), app.csrf(client).await));
                client
                    .post(app.url(&path))
                    .form(&form)
                    .send()
                    .await
                    .unwrap()
                    .status()
            };
            assert!(
                status.is_success() || status.is_redirection(),
                "{} {} as {user}: {status} ({})",
                rule.method,
                rule.path,
                app.backend
            );
            let log = audit_log(&app).await;
            let new = &log[before..];
            let expected = match rule.audit {
                Audited::Nothing => None,
                Audited::Consult(kind) => Some((Operation::Consult, Some(kind))),
                Audited::ByHandler(op) => Some((op, None)),
            };
            match expected {
                None => assert!(new.is_empty(), "{} {}: {new:?}", rule.method, rule.path),
                Some((op, kind)) => {
                    assert_eq!(
                        new.len(),
                        1,
                        "{} {} as {user} ({}): {new:?}",
                        rule.method,
                        rule.path,
                        app.backend
                    );
                    let e = &new[0].event;
                    assert_eq!(e.operation, op, "{} {}", rule.method, rule.path);
                    if let Some(kind) = kind {
                        assert_eq!(e.object_type.as_deref(), Some(kind), "{}", rule.path);
                        assert_eq!(e.source.as_deref(), Some("127.0.0.1"), "{}", rule.path);
                        assert!(e.session.as_ref().is_some_and(|s| s.len() == 16));
                    }
                    assert_eq!(e.actor, user, "{}", rule.path);
                    assert!(e.role.is_some() && e.organisation.is_some(), "{e:?}");
                    if op == Operation::Disclose {
                        assert!(e.recipient.is_some(), "a disclosure names its recipient");
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked >= 15, "{checked} routes audited");

        // A refusal is an event; a sign-in, a failed one and a sign-out are one each.
        let before = audit_log(&app).await.len();
        // (partner.b's session ended when the admin route above disabled the account.)
        let res = clients["outreach.c"]
            .get(app.url("/search"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        let before_sign_in = audit_log(&app).await.len();
        assert_eq!(before_sign_in, before + 1, "{}", app.backend);
        let last = audit_log(&app).await.pop().unwrap().event;
        assert_eq!(
            (last.operation, last.actor.as_str()),
            (Operation::Refused, "outreach.c")
        );
        let fresh = app.signed_in("auditor").await;
        let log = audit_log(&app).await;
        assert_eq!(log.len(), before_sign_in + 1);
        assert_eq!(log.last().unwrap().event.operation, Operation::SignIn);
        let status = app
            .login(&app.client(), "auditor", "not the password at all")
            .await;
        assert_eq!(status, 401);
        let log = audit_log(&app).await;
        let failed = &log.last().unwrap().event;
        assert_eq!(failed.operation, Operation::SignInFailed);
        assert_eq!(failed.actor, "auditor");
        let csrf = app.csrf(&fresh).await;
        fresh
            .post(app.url("/logout"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        let log = audit_log(&app).await;
        assert_eq!(log.last().unwrap().event.operation, Operation::SignOut);
        // No password or token appears in any event.
        let all = format!("{:?}", audit_log(&app).await);
        assert!(
            !all.contains(PASSWORD) && !all.contains("not the password"),
            "secrets in the log"
        );
        assert!(matches!(
            app.store.verify_audit().await.unwrap(),
            Verification::Intact { .. }
        ));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn identifiers_are_pseudonyms_until_revealed_for_a_purpose_and_the_reveal_is_logged() {
    use lantern_store::{Operation, RecordKind, VisitStore};
    for app in apps("web minimisation").await {
        let records = app
            .store
            .cluster_records(&app.cluster, &[RecordKind::Cluster])
            .await
            .unwrap();
        let cluster: serde_json::Value = serde_json::from_str(&records[0].1).unwrap();
        let phone = cluster["phones"][0].as_str().unwrap().to_owned();
        let national = format!("0{}", &phone[3..]);
        let pseudonym = lantern_app::minimise::Pseudonyms::of(&app.store)
            .await
            .unwrap()
            .of_identifier("phone", &phone);
        let analyst = app.signed_in("analyst").await;
        // Every intelligence page and the API show the pseudonym, never the number.
        for path in [
            format!("/clusters/{}", app.cluster),
            format!("/api/clusters/{}", app.cluster),
        ] {
            let body = app.text(&analyst, &path).await;
            assert!(!body.contains(&phone[3..]), "{path} shows {phone}");
            assert!(body.contains(&pseudonym), "{path} lacks {pseudonym}");
        }
        // A search by the number finds its listings, shown with the pseudonym (the number
        // itself appears only as what was searched for).
        for path in [
            format!("/search?q={}", &phone[1..]),
            format!("/api/search?q={}", &phone[1..]),
        ] {
            let body = app.text(&analyst, &path).await;
            assert!(body.contains(&pseudonym), "{path} lacks {pseudonym}");
            assert!(!body.contains(&phone), "{path} shows {phone} in full");
        }
        let reveals = |events: Vec<lantern_store::StoredAuditEvent>| {
            events
                .into_iter()
                .filter(|e| e.event.object_type.as_deref() == Some("cluster_identifiers"))
                .map(|e| (e.event.operation, e.event.purpose, e.event.actor))
                .collect::<Vec<_>>()
        };
        assert!(reveals(audit_log(&app).await).is_empty());
        // Revealing needs a purpose from the list.
        let reveal = |client: reqwest::Client, purpose: &'static str| {
            let app = &app;
            async move {
                let token = app.csrf(&client).await;
                client
                    .post(app.url(&format!("/clusters/{}/reveal", app.cluster)))
                    .form(&[("purpose", purpose), ("csrf", token.as_str())])
                    .send()
                    .await
                    .unwrap()
            }
        };
        let res = reveal(analyst.clone(), "curiosity").await;
        assert_eq!(res.status(), 422);
        assert!(reveals(audit_log(&app).await).is_empty());
        let res = reveal(analyst.clone(), "safeguarding").await;
        assert_eq!(res.status(), 200);
        let body = res.text().await.unwrap();
        assert!(
            body.contains(&phone) || body.contains(&national),
            "revealed"
        );
        assert!(body.contains("This reading is in the audit log"));
        assert_eq!(
            reveals(audit_log(&app).await),
            [(
                Operation::Consult,
                Some("safeguarding".to_owned()),
                "analyst".to_owned()
            )],
            "{}",
            app.backend
        );
        // Roles without the permission are refused, and see no number.
        for user in ["outreach.b", "opcc", "auditor"] {
            let client = app.signed_in(user).await;
            let res = reveal(client, "safeguarding").await;
            assert_eq!(res.status(), 403, "{user}");
            assert!(!res.text().await.unwrap().contains(&phone[3..]));
        }
        assert_eq!(reveals(audit_log(&app).await).len(), 1);
    }
}
