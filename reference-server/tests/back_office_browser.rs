//! The back office in a real browser (issue 28, point 3): Debian's chromium
//! driven headless through chromedriver (WebDriver, `fantoccini`): sign-in,
//! fleet search, revoking a device (confirmed twice), a claim approved by
//! two operators, the CSV extraction downloaded with the session, the
//! fleet filtered, an enrollment token with its QR, a supervisor's badge
//! printed once, orders found by phone and by day with the timeline's map,
//! the day sheet to print, and the Arabic pages laid out right to left. Screenshots of each page are taken;
//! with `UPDATE_SCREENS=1` they are written to `docs/screens/back-office/`.
//! Skipped, with a message, only when chromium or chromedriver is absent on
//! a developer's machine; under CI (`CI=true`) their absence fails.

mod back_office_scene;
mod common;
mod doorstep;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use back_office_scene::{Scene, mapped_order, scene};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// Chromium's flags: headless, no network of its own, a fresh profile.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

/// chromedriver on a free loopback port, ended when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver(chromedriver: &Path) -> Driver {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    // Ready when its /status says so (polled, with a deadline).
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tick.tick().await;
        let ready = match http.get(format!("{}/status", driver.url)).send().await {
            Ok(r) => r
                .json::<serde_json::Value>()
                .await
                .is_ok_and(|v| v["value"]["ready"] == json!(true)),
            Err(_) => false,
        };
        if ready {
            return driver;
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver not ready within 30 s"
        );
    }
}

async fn browser(driver: &Driver, chromium: &Path, profile: &Path) -> Client {
    let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push("--window-size=1280,900".into());
    args.push("--lang=fr".into());
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"binary": chromium.display().to_string(), "args": args}),
    );
    // The WebDriver client's TLS stack needs a process-wide provider (the
    // driver is plain HTTP on loopback; this only satisfies rustls).
    let _ = rustls::crypto::ring::default_provider().install_default();
    ClientBuilder::rustls()
        .expect("connector")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a chromium session")
}

/// Where the screenshots go.
fn screens_dir() -> PathBuf {
    if std::env::var_os("UPDATE_SCREENS").is_some() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screens/back-office")
    } else {
        std::env::temp_dir().join("back-office-screens")
    }
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let dir = screens_dir();
    std::fs::create_dir_all(&dir).expect("screens dir");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
}

/// An element, waited for (a click's navigation may still be loading).
async fn el(c: &Client, css: &str) -> fantoccini::elements::Element {
    match c
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(e) => e,
        Err(e) => {
            let url = c
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            let page = c.source().await.unwrap_or_default();
            panic!("{css}: {e}\nat {url}:\n{page}")
        }
    }
}

async fn fill(c: &Client, id: &str, text: &str) {
    let e = el(c, &format!("#{id}")).await;
    e.clear().await.expect("clear");
    e.send_keys(text).await.expect("type");
}

async fn click(c: &Client, id: &str) {
    el(c, &format!("#{id}")).await.click().await.expect("click");
}

async fn text_of(c: &Client, css: &str) -> String {
    el(c, css).await.text().await.expect("text")
}

/// Waits until `css`'s text (or attribute `attr`) satisfies `ok`: the
/// page after a navigation, polled with a deadline.
async fn until(c: &Client, css: &str, attr: Option<&str>, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tick.tick().await;
        let value = match c.find(Locator::Css(css)).await {
            Ok(e) => match attr {
                Some(a) => e.attr(a).await.ok().flatten(),
                None => e.text().await.ok(),
            },
            Err(_) => None,
        };
        if let Some(v) = value.filter(|v| ok(v)) {
            return v;
        }
        if Instant::now() > deadline {
            let page = c.source().await.unwrap_or_default();
            panic!("{css} never satisfied the check:\n{page}");
        }
    }
}

async fn sign_in(c: &Client, s: &Scene, name: &str) {
    c.goto(&s.h.url("/back-office/sign-in"))
        .await
        .expect("goto");
    fill(c, "name", name).await;
    fill(c, "password", s.password(name)).await;
    click(c, "sign-in").await;
    until(c, "#operator-name", None, |t| t == name).await;
}

async fn sign_out(c: &Client) {
    click(c, "sign-out").await;
    text_of(c, "#sign-in").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_back_office_in_a_real_browser() {
    let (Some(chromium), Some(chromedriver)) = (on_path("chromium"), on_path("chromedriver"))
    else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must install chromium and chromium-driver (scripts/install-deps.sh)"
        );
        eprintln!(
            "SKIPPED the_back_office_in_a_real_browser: chromium or chromedriver is not installed \
             (apt-get install chromium chromium-driver, or scripts/install-deps.sh)"
        );
        return;
    };
    let mut s = scene().await;
    mapped_order(&mut s).await;
    let driver = start_driver(&chromedriver).await;
    let profile = tempfile::tempdir().expect("profile dir");
    let c = browser(&driver, &chromium, profile.path()).await;

    // Sign-in page, then carrier IT's fleet.
    c.goto(&s.h.url("/back-office/sign-in"))
        .await
        .expect("goto");
    click(&c, "lang-fr").await;
    until(&c, "html", Some("lang"), |l| l == "fr").await;
    shot(&c, "fr-01-sign-in").await;
    sign_in(&c, &s, "nour").await;
    assert!(
        c.current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/back-office/fleet")
    );
    assert_eq!(text_of(&c, "#device-count").await, "2");
    shot(&c, "fr-02-fleet").await;

    // Search narrows the list to one device.
    fill(&c, "q", &s.orn.id).await;
    click(&c, "search").await;
    until(&c, "#fleet", Some("data-q"), |q| q == s.orn.id).await;
    assert_eq!(text_of(&c, "#device-count").await, "1");
    let rows = c
        .find_all(Locator::Css(".device-link"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].text().await.expect("text"), s.orn.id);
    shot(&c, "fr-03-fleet-search").await;

    // The device's page, then revocation: the reason, then the id again.
    rows[0].click().await.expect("open device");
    assert_eq!(text_of(&c, "#device-id").await, s.orn.id);
    shot(&c, "fr-04-device").await;
    fill(&c, "reason", "terminal perdu en tournée").await;
    click(&c, "revoke").await;
    assert_eq!(
        text_of(&c, "#confirm-reason").await,
        "terminal perdu en tournée"
    );
    shot(&c, "fr-05-revoke-confirm").await;
    fill(&c, "confirm_id", &s.orn.id).await;
    click(&c, "revoke-final").await;
    assert!(text_of(&c, "#notice").await.contains("révoqué"));
    until(&c, "#device-status .badge", Some("class"), |c| {
        c.contains("bad")
    })
    .await;
    assert!(
        text_of(&c, "#device-status")
            .await
            .contains("terminal perdu en tournée")
    );
    shot(&c, "fr-06-device-revoked").await;
    // The device API now refuses the device.
    let (status, _) =
        s.h.signed(&mut s.orn, "GET", "/v1/manifest", Vec::new())
            .await;
    assert_eq!(status, 403, "a revoked device's requests are refused");
    sign_out(&c).await;

    // A claim approved by two operators: the agent, then the approver.
    let claim = format!("/back-office/claims/{}", s.claim_alg.claim_id);
    for (who, status) in [
        ("amina", "pending_second_approval"),
        ("sami", "refund_approved"),
    ] {
        sign_in(&c, &s, who).await;
        c.goto(&s.h.url("/back-office/claims"))
            .await
            .expect("claims");
        fill(&c, "q", "W-ALG").await;
        click(&c, "search").await;
        until(&c, "#claims", Some("data-q"), |q| q == "W-ALG").await;
        let links = c
            .find_all(Locator::Css(".claim-link"))
            .await
            .expect("claims");
        assert_eq!(links.len(), 1);
        if who == "amina" {
            shot(&c, "fr-07-claims").await;
        }
        links[0].click().await.expect("open claim");
        fill(&c, "reason", "la photo montre l'écran cassé").await;
        click(&c, "decide").await;
        until(&c, "#claim-status", Some("data-status"), |s| s == status).await;
        assert!(c.current_url().await.expect("url").path().ends_with(&claim));
        shot(&c, &format!("fr-08-claim-after-{who}")).await;
        if who == "amina" {
            sign_out(&c).await;
        }
    }
    let deciders = c
        .find_all(Locator::Css(".decided-by"))
        .await
        .expect("decisions");
    let mut names = Vec::new();
    for d in deciders {
        names.push(d.text().await.expect("name"));
    }
    assert_eq!(names, ["amina", "sami"]);

    // The order's timeline in words.
    c.goto(&s.h.url("/back-office/orders"))
        .await
        .expect("orders");
    fill(&c, "q", "W-ALG").await;
    click(&c, "search").await;
    until(&c, "#timeline", Some("data-q"), |q| q == "W-ALG").await;
    let steps = c
        .find_all(Locator::Css(".timeline-event"))
        .await
        .expect("steps");
    assert_eq!(steps.len(), 2, "arrived, then delivered");
    shot(&c, "fr-10-order-timeline").await;

    // The depot's day, and the CSV extraction downloaded with the session.
    c.goto(&s.h.url("/back-office/depots?depot=ALG-1&date=2026-05-28"))
        .await
        .expect("depots");
    shot(&c, "fr-09-depot-day").await;
    let href = c
        .find(Locator::Id("download-csv"))
        .await
        .expect("link")
        .attr("href")
        .await
        .expect("href")
        .expect("an href");
    let csv = c
        .execute(
            "return fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text())",
            vec![json!(href)],
        )
        .await
        .expect("fetch the CSV");
    let csv = csv.as_str().expect("text").to_owned();
    assert!(csv.lines().count() >= 2, "a header and rows: {csv}");
    assert!(
        csv.contains("W-ALG") && csv.contains("refund_approved"),
        "{csv}"
    );

    // The Arabic pages, right to left.
    click(&c, "lang-ar").await;
    until(&c, "html", Some("dir"), |d| d == "rtl").await;
    assert!(c.source().await.expect("source").contains("المستودعات"));
    shot(&c, "ar-09-depot-day").await;
    c.goto(&s.h.url(&claim)).await.expect("claim");
    assert!(text_of(&c, "#claim-status").await.contains("الموافقة"));
    shot(&c, "ar-08-claim").await;
    sign_out(&c).await;
    shot(&c, "ar-01-sign-in").await;
    sign_in(&c, &s, "nour").await;
    shot(&c, "ar-02-fleet").await;
    c.goto(&s.h.url(&format!("/back-office/fleet/{}", s.orn.id)))
        .await
        .expect("device");
    shot(&c, "ar-04-device").await;
    click(&c, "lang-en").await;
    until(&c, "html", Some("lang"), |l| l == "en").await;
    shot(&c, "en-04-device").await;
    c.goto(&s.h.url("/back-office/fleet")).await.expect("fleet");
    shot(&c, "en-02-fleet").await;

    // The fleet filtered by status: the revoked device only.
    el(&c, "#status")
        .await
        .select_by_value("revoked")
        .await
        .expect("select");
    click(&c, "search").await;
    until(&c, "#device-count", None, |n| n == "1").await;
    assert_eq!(text_of(&c, ".device-link").await, s.orn.id);
    shot(&c, "en-03-fleet-filter").await;

    // An enrollment token with its QR, on a page to print.
    c.goto(&s.h.url("/back-office/fleet")).await.expect("fleet");
    fill(&c, "server-url", "https://escrow.example:8787").await;
    click(&c, "issue-enrollment").await;
    let token = text_of(&c, "#enrollment-token").await;
    assert_eq!(token.len(), 32, "{token}");
    el(&c, "#enrollment-qr svg").await;
    assert!(
        text_of(&c, "#enrollment-qr-text")
            .await
            .contains("escrow.example")
    );
    shot(&c, "en-11-enrollment-qr").await;

    // A supervisor's badge, printed once; the list does not show it again.
    c.goto(&s.h.url("/back-office/supervisors?depot=ALG-1"))
        .await
        .expect("supervisors");
    fill(&c, "supervisor-id", "leila").await;
    fill(&c, "supervisor-name", "Leila Haddad").await;
    click(&c, "issue-badge").await;
    let badge = text_of(&c, "#badge-text").await;
    assert!(!badge.is_empty());
    el(&c, "#badge-qr svg").await;
    shot(&c, "en-12-supervisor-badge").await;
    c.goto(&s.h.url("/back-office/supervisors?depot=ALG-1"))
        .await
        .expect("supervisors");
    assert!(text_of(&c, "#supervisors").await.contains("Leila Haddad"));
    assert!(!c.source().await.expect("source").contains(&badge));
    shot(&c, "en-13-supervisors").await;
    sign_out(&c).await;

    // Orders found by the buyer's phone, and by day; the timeline's map.
    sign_in(&c, &s, "amina").await;
    c.goto(&s.h.url("/back-office/orders"))
        .await
        .expect("orders");
    fill(&c, "q", "+216 98 123 456").await;
    click(&c, "search").await;
    until(&c, "#order-ref", None, |r| r == "W-MAP").await;
    el(&c, "#order-map .accuracy").await;
    shot(&c, "en-14-order-map").await;
    let date = escrow_reference_server::display_zone::DisplayZone::System
        .day_containing(common::T0)
        .date;
    c.goto(&s.h.url(&format!("/back-office/orders?date={date}")))
        .await
        .expect("orders by day");
    until(&c, "#order-count", None, |n| n == "3").await;
    shot(&c, "en-15-order-search-by-day").await;
    click(&c, "lang-ar").await;
    until(&c, "html", Some("dir"), |d| d == "rtl").await;
    c.goto(&s.h.url("/back-office/orders?order=W-MAP"))
        .await
        .expect("order in Arabic");
    el(&c, "#order-map").await;
    shot(&c, "ar-14-order-map").await;

    // The day sheet to print, from the depot's page.
    click(&c, "lang-fr").await;
    until(&c, "html", Some("lang"), |l| l == "fr").await;
    c.goto(&s.h.url(&format!("/back-office/depots?depot=ALG-1&date={date}")))
        .await
        .expect("depot day");
    click(&c, "day-sheet").await;
    assert!(text_of(&c, "#day-sheet").await.contains("PKG-MAP-1"));
    shot(&c, "fr-16-day-sheet").await;
    sign_out(&c).await;
    sign_in(&c, &s, "nour").await;
    click(&c, "lang-en").await;
    until(&c, "html", Some("lang"), |l| l == "en").await;
    c.goto(&s.h.url("/back-office/fleet")).await.expect("fleet");

    // A tablet's width: the fleet table scrolls inside its box, the page does not.
    c.set_window_size(800, 1280).await.expect("resize");
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth",
            vec![],
        )
        .await
        .expect("measure");
    assert_eq!(overflow, json!(false), "no sideways scrolling on a tablet");
    shot(&c, "en-02-fleet-tablet").await;
    c.close().await.expect("close");
}
