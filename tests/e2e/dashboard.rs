//! The operators' dashboard: signing in with the admin token, sessions and CSRF tokens, the
//! page's figures, the limits form and cancelling a push; then the same in a real browser.

use std::{
    os::unix::process::CommandExt,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use kabar::domain::Recipient;
use reqwest::{Method, StatusCode, redirect::Policy};
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_TOKEN, SOURCE, TestApp, eventually, spawn_app, spawn_app_with, spawn_app_with_two_channels,
};

/// A client that follows no redirect and keeps no cookie: each test sends the cookie itself.
fn plain_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().unwrap()
}

async fn submit_token(app: &TestApp, token: &str) -> reqwest::Response {
    plain_client().post(format!("{}/dashboard/login", app.api)).form(&[("token", token)]).send().await.unwrap()
}

fn header<'r>(response: &'r reqwest::Response, name: &str) -> &'r str {
    response.headers().get(name).map_or("", |value| value.to_str().unwrap())
}

/// An operator signed in over plain HTTP, holding the session cookie by hand.
struct Operator {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Operator {
    async fn sign_in(app: &TestApp) -> Operator {
        let answer = submit_token(app, ADMIN_TOKEN).await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert_eq!(header(&answer, "location"), "/dashboard");
        let cookie = header(&answer, "set-cookie").split(';').next().unwrap().to_owned();
        Operator { http: plain_client(), base: app.api.clone(), cookie }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        // Other cookies of the same site come along, as browsers send them.
        let cookies = format!("theme=dark; {}", self.cookie);
        self.http.get(format!("{}{path}", self.base)).header("cookie", cookies).send().await.unwrap()
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let request = self.http.post(format!("{}{path}", self.base)).header("cookie", &self.cookie);
        request.form(form).send().await.unwrap()
    }

    /// The dashboard page, which must open.
    async fn page(&self) -> String {
        let answer = self.get("/dashboard").await;
        assert_eq!(answer.status(), StatusCode::OK);
        answer.text().await.unwrap()
    }

    async fn csrf(&self) -> String {
        attribute_after(&self.page().await, "name=\"csrf\"", "value")
    }
}

/// The value of attribute `name` in the first tag after `marker`.
fn attribute_after(html: &str, marker: &str, name: &str) -> String {
    let start = html.find(marker).unwrap_or_else(|| panic!("no {marker} in the page: {html}"));
    let tag = &html[start..start + html[start..].find('>').unwrap()];
    let value = tag.split(&format!("{name}=\"")).nth(1).unwrap_or_else(|| panic!("no {name} in {tag}"));
    value[..value.find('"').unwrap()].to_owned()
}

async fn limits(app: &TestApp) -> Value {
    let (status, limits) = app.api(Method::GET, "/api/limits", None).await;
    assert_eq!(status, 200);
    limits
}

#[tokio::test]
async fn without_a_session_every_dashboard_page_leads_to_the_login() {
    let app = spawn_app().await;
    let http = plain_client();
    for (method, path) in [(Method::GET, "/dashboard"), (Method::POST, "/dashboard/limits")] {
        let answer = http.request(method, format!("{}{path}", app.api)).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(header(&answer, "location"), "/dashboard/login");
    }
    // The admin token is not a session id.
    let cookie = format!("kabar_session={ADMIN_TOKEN}");
    let forged = http.get(format!("{}/dashboard", app.api)).header("cookie", cookie).send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::SEE_OTHER);
    let login = http.get(format!("{}/dashboard/login", app.api)).send().await.unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    assert!(login.text().await.unwrap().contains(r#"type="password""#));
}

#[tokio::test]
async fn the_admin_token_opens_a_session_that_shows_the_sources_and_the_limits() {
    let app = spawn_app().await;
    let wrong = submit_token(&app, "not-the-admin-token").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.text().await.unwrap().contains("That is not the admin token."));

    let right = submit_token(&app, ADMIN_TOKEN).await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    let cookie = header(&right, "set-cookie");
    let session = cookie.split(';').next().unwrap().strip_prefix("kabar_session=").unwrap();
    assert_eq!(session.len(), 64, "32 random bytes in hex: {cookie}");
    assert!(!cookie.contains(ADMIN_TOKEN));
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/dashboard"] {
        assert!(cookie.contains(attribute), "{attribute} missing from {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP on 127.0.0.1 cannot keep a Secure cookie: {cookie}");

    let page = Operator::sign_in(&app).await.page().await;
    assert!(page.contains(&format!("<td>{SOURCE}</td>")), "{page}");
    // Slashes are escaped too.
    assert!(page.contains(&app.site.feed_url().replace('/', "&#x2f;")), "{page}");
    let global = limits(&app).await["global_per_sec"].to_string();
    assert_eq!(attribute_after(&page, r#"name="global_per_sec""#, "value"), global);
}

#[tokio::test]
async fn the_page_counts_subscribers_and_each_channels_followers() {
    let app = spawn_app_with_two_channels().await;
    app.subscribe_quietly(570..573).await;
    let politik = app.store.channels().await.unwrap().into_iter().find(|c| c.slug == "politik").unwrap();
    let only_politik = app.store.subscriber(&Recipient::telegram(571)).await.unwrap().unwrap().id;
    app.store.follow_all(only_politik, false).await.unwrap();
    app.store.toggle_follow(only_politik, politik.id).await.unwrap();
    kabar::store::sql::query(
        "UPDATE subscribers SET active = FALSE, inactive_reason = 'blocked' WHERE address = '572'",
    )
    .execute(app.store.pool())
    .await
    .unwrap();

    let page = Operator::sign_in(&app).await.page().await;
    assert!(page.contains("<strong>2</strong> active"), "{page}");
    assert!(page.contains(r#"<strong>1</strong> <span class="muted">inactive: blocked</span>"#), "{page}");
    // Reader 570 follows every channel, reader 571 only Politik.
    assert!(page.contains(r#"<td>Politik</td><td class="muted">politik</td><td class="num">2</td>"#), "{page}");
    assert!(page.contains(r#"<td>Ekonomi</td><td class="muted">ekonomi</td><td class="num">1</td>"#), "{page}");
}

#[tokio::test]
async fn behind_an_https_proxy_the_cookie_is_secure() {
    let app = spawn_app().await;
    let answer = plain_client()
        .post(format!("{}/dashboard/login", app.api))
        .header("x-forwarded-proto", "https")
        .form(&[("token", ADMIN_TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert!(header(&answer, "set-cookie").contains("; Secure"));
}

#[tokio::test]
async fn repeated_wrong_tokens_are_refused_even_before_the_right_one() {
    let app = spawn_app().await;
    for _ in 0..5 {
        assert_eq!(submit_token(&app, "guess-guess-guess-guess").await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(submit_token(&app, "guess-guess-guess-guess").await.status(), StatusCode::TOO_MANY_REQUESTS);
    // Otherwise a guesser would learn the token from the one answer that differs.
    assert_eq!(submit_token(&app, ADMIN_TOKEN).await.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_limits_form_needs_the_session_csrf_token() {
    let app = spawn_app().await;
    let operator = Operator::sign_in(&app).await;
    let before = limits(&app).await;
    let change = [("global_per_sec", "17"), ("per_chat_per_sec", "1"), ("group_per_min", "20")];
    assert_eq!(operator.post("/dashboard/limits", &change).await.status(), StatusCode::FORBIDDEN);
    let forged = [&change[..], &[("csrf", "00ff")]].concat();
    assert_eq!(operator.post("/dashboard/limits", &forged).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(limits(&app).await, before);

    let csrf = operator.csrf().await;
    let answer = operator.post("/dashboard/limits", &[&change[..], &[("csrf", csrf.as_str())]].concat()).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(limits(&app).await, json!({"global_per_sec": 17, "per_chat_per_sec": 1, "group_per_min": 20}));
    let confirmed = operator.get(header(&answer, "location")).await.text().await.unwrap();
    assert!(confirmed.contains("Limits saved"), "{confirmed}");
}

#[tokio::test]
async fn impossible_limits_are_refused_with_the_reason() {
    let app = spawn_app().await;
    let operator = Operator::sign_in(&app).await;
    let before = limits(&app).await;
    let csrf = operator.csrf().await;
    for (value, reason) in [("0", "between 1 and 100000"), ("lots", "whole number")] {
        let form =
            [("csrf", csrf.as_str()), ("global_per_sec", value), ("per_chat_per_sec", "1"), ("group_per_min", "20")];
        let answer = operator.post("/dashboard/limits", &form).await;
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = answer.text().await.unwrap();
        assert!(page.contains("limits.global_per_sec") && page.contains(reason), "{page}");
    }
    assert_eq!(limits(&app).await, before);
}

#[tokio::test]
async fn a_session_outlives_a_restart_and_signing_out_ends_it() {
    let mut app = spawn_app().await;
    let operator = Operator::sign_in(&app).await;
    app.restart().await;
    let operator = Operator { base: app.api.clone(), ..operator };
    let csrf = operator.csrf().await;
    let answer = operator.post("/dashboard/logout", &[("csrf", csrf.as_str())]).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&operator.get("/dashboard").await, "location"), "/dashboard/login");
}

#[tokio::test]
async fn the_database_keeps_no_usable_session_cookie() {
    let app = spawn_app().await;
    let operator = Operator::sign_in(&app).await;
    let id = operator.cookie.strip_prefix("kabar_session=").unwrap();
    let stored: Vec<String> = kabar::store::sql::query_scalar("SELECT id_digest FROM dashboard_sessions")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], id, "only a digest of the id is kept");
    let forged = Operator { cookie: format!("kabar_session={}", stored[0]), ..operator };
    assert_eq!(header(&forged.get("/dashboard").await, "location"), "/dashboard/login");
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = spawn_app().await;
    let operator = Operator::sign_in(&app).await;
    let csrf = operator.csrf().await;
    let answer = operator.post("/dashboard/logout", &[("csrf", csrf.as_str())]).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert!(header(&answer, "set-cookie").contains("Max-Age=0"));
    let after = operator.get("/dashboard").await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&after, "location"), "/dashboard/login");
}

#[tokio::test]
async fn a_push_in_progress_can_be_cancelled_from_the_page() {
    let app = spawn_app_with(|settings| settings.limits.global_per_sec = 1).await;
    app.subscribe_quietly(560..566).await;
    let (_, answer) = app.api(Method::POST, "/api/broadcasts", Some(json!({"text": "Keliru"}))).await;
    let id = answer["id"].as_i64().unwrap();
    let operator = Operator::sign_in(&app).await;
    let page = operator.page().await;
    let cancel = format!("/dashboard/broadcasts/{id}/cancel");
    assert!(page.contains(&format!(r#"action="{cancel}""#)), "no Cancel button for a push in progress: {page}");
    let live = operator.get(&format!("/dashboard/broadcasts/{id}")).await.text().await.unwrap();
    assert!(live.contains(r#"http-equiv="refresh""#), "the push's own page follows it live: {live}");
    assert!(live.contains("<progress") && live.contains("Keliru"), "{live}");

    let csrf = attribute_after(&page, "name=\"csrf\"", "value");
    let answer = operator.post(&cancel, &[("csrf", csrf.as_str())]).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let progress = app.progress(id).await;
    assert_eq!(progress.status, kabar::domain::BroadcastStatus::Cancelled);
    assert!(progress.cancelled > 0, "{progress:?}");
    assert!(!operator.page().await.contains(&cancel), "a cancelled push has no Cancel button");
    let stopped = operator.get(&format!("/dashboard/broadcasts/{id}")).await.text().await.unwrap();
    assert!(!stopped.contains(r#"http-equiv="refresh""#), "a finished push's page stays still");
}

#[tokio::test]
async fn what_sources_report_is_shown_escaped() {
    let app = spawn_app().await;
    kabar::store::sql::query("UPDATE sources SET last_error = '<script>alert(1)</script>', consecutive_failures = 3")
        .execute(app.store.pool())
        .await
        .unwrap();
    let page = Operator::sign_in(&app).await.page().await;
    assert!(page.contains("&lt;script&gt;alert(1)"), "{page}");
    assert!(!page.contains("<script>"));
}

#[tokio::test]
async fn an_operator_changes_the_limits_in_a_real_browser() {
    let app = spawn_app().await;
    let screenshot_dir = tempfile::tempdir().unwrap();
    let browser = Browser::start().await;

    browser.go_to(&format!("{}/dashboard", app.api)).await;
    eventually("the login form", || async { browser.current_url().await.ends_with("/dashboard/login") }).await;
    browser.type_into("input[name=token]", ADMIN_TOKEN).await;
    browser.click("form[action='/dashboard/login'] button").await;
    eventually("the dashboard", || async { browser.source().await.contains("Sending limits") }).await;

    browser.clear("input[name=global_per_sec]").await;
    browser.type_into("input[name=global_per_sec]", "23").await;
    browser.click("form[action='/dashboard/limits'] button").await;
    eventually("the confirmation", || async { browser.source().await.contains("Limits saved") }).await;
    assert_eq!(browser.property("input[name=global_per_sec]", "value").await, "23");
    assert_eq!(limits(&app).await["global_per_sec"], 23);

    let png = browser.screenshot().await;
    assert!(png.len() > 1000 && png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG: {} bytes", png.len());
    let path = screenshot_dir.path().join("dashboard.png");
    std::fs::write(&path, &png).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 0);
    browser.quit().await;
}

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How WebDriver names an element reference in its answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Headless Chromium driven through chromedriver's WebDriver HTTP API.
struct Browser {
    http: reqwest::Client,
    /// The session's URL, which every command starts with.
    session: String,
    chromedriver: Child,
    profile: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Browser {
        assert!(
            Path::new(CHROMEDRIVER).exists(),
            "{CHROMEDRIVER} is missing: run .ci/run, or apt-get install -y chromium chromium-driver"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let chromedriver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so a failed test can end chromedriver and its browser together.
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let driver = format!("http://127.0.0.1:{port}");
        let mut browser = Browser {
            http: reqwest::Client::new(),
            session: String::new(),
            chromedriver,
            profile: tempfile::tempdir().unwrap(),
        };
        let status = format!("{driver}/status");
        eventually("chromedriver answers", || async { browser.http.get(&status).send().await.is_ok() }).await;
        browser.session = browser.open_session(&driver).await;
        browser
    }

    /// Creates the WebDriver session; returns its URL.
    async fn open_session(&self, driver: &str) -> String {
        let profile = format!("--user-data-dir={}", self.profile.path().display());
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=420,1200",
            &profile,
        ];
        let options = json!({"binary": "/usr/bin/chromium", "args": args});
        let capabilities = json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}});
        let created = self.request(Method::POST, format!("{driver}/session"), Some(capabilities)).await;
        format!("{driver}/session/{}", created["sessionId"].as_str().expect("a session id"))
    }

    /// Sends a command to the session (`path` after its URL) and returns the answer's `value`.
    async fn command(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        self.request(method, format!("{}{path}", self.session), body).await
    }

    async fn request(&self, method: Method, url: String, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, &url).timeout(Duration::from_secs(60));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.expect("chromedriver answers").json().await.unwrap();
        assert!(answer["value"]["error"].is_null(), "WebDriver {url} failed: {answer}");
        answer["value"].clone()
    }

    async fn go_to(&self, url: &str) {
        self.command(Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    async fn current_url(&self) -> String {
        self.command(Method::GET, "/url", None).await.as_str().unwrap_or_default().to_owned()
    }

    async fn source(&self) -> String {
        self.command(Method::GET, "/source", None).await.as_str().unwrap_or_default().to_owned()
    }

    async fn element(&self, css: &str) -> String {
        let found = self.command(Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))).await;
        found[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {found}")).to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css).await;
        self.command(Method::POST, &format!("/element/{element}/value"), Some(json!({"text": text}))).await;
    }

    async fn clear(&self, css: &str) {
        let element = self.element(css).await;
        self.command(Method::POST, &format!("/element/{element}/clear"), Some(json!({}))).await;
    }

    async fn click(&self, css: &str) {
        let element = self.element(css).await;
        self.command(Method::POST, &format!("/element/{element}/click"), Some(json!({}))).await;
    }

    async fn property(&self, css: &str, name: &str) -> String {
        let element = self.element(css).await;
        let value = self.command(Method::GET, &format!("/element/{element}/property/{name}"), None).await;
        value.as_str().unwrap_or_default().to_owned()
    }

    /// The visible page as PNG bytes.
    async fn screenshot(&self) -> Vec<u8> {
        decode_base64(self.command(Method::GET, "/screenshot", None).await.as_str().expect("base64 text"))
    }

    /// Closes the browser, then chromedriver.
    async fn quit(mut self) {
        self.http.delete(&self.session).send().await.expect("chromedriver closes the session");
        self.chromedriver.kill().unwrap();
        self.chromedriver.wait().unwrap();
    }
}

impl Drop for Browser {
    /// A failed test leaves no chromedriver or Chromium behind: the whole process group ends.
    fn drop(&mut self) {
        if let Ok(None) = self.chromedriver.try_wait() {
            let group = format!("-{}", self.chromedriver.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = self.chromedriver.wait();
        }
    }
}

/// Standard base64, as WebDriver sends screenshots; the tests need no crate for it.
fn decode_base64(text: &str) -> Vec<u8> {
    let sextet = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let sextets: Vec<u8> = text.bytes().filter(|c| !matches!(c, b'=' | b'\r' | b'\n')).map(sextet).collect();
    let bytes_of = |chunk: &[u8]| {
        let bits = chunk.iter().fold(0u32, |bits, &s| bits << 6 | u32::from(s)) << (6 * (4 - chunk.len()));
        bits.to_be_bytes()[1..chunk.len()].to_vec()
    };
    sextets.chunks(4).flat_map(bytes_of).collect()
}
