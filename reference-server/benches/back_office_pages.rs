//! The back office's pages on a big PostgreSQL database (issue 28, point 8):
//! 5,000 devices in 5 depots and 1,000,000 events of 250,000 orders, filled
//! with SQL into a fresh database of the cluster `ESCROW_BENCH_DATABASE_URL`
//! names (`scripts/back-office-bench.sh` makes a throwaway one). It times,
//! through HTTP with a signed-in operator, the fleet page and the order
//! searches (by phone, by label, by day), each beside its floor: the bare
//! SQL query the page runs, timed on its own connection. Figures go to
//! docs/benchmarks.md; nothing here asserts a time.
//!
//! `ESCROW_BENCH_DATABASE_URL=postgres://... cargo bench -p escrow-reference-server --bench back_office_pages`

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use courier_protocol::back_office::CreateOperatorRequest;
use courier_protocol::envelope::SignedEvent;
use courier_protocol::keys::{generate_pkcs8, keypair_from_pkcs8};
use courier_protocol::rules::operator_role::OperatorRole;
use courier_protocol::vocabulary::EventKind;
use escrow_reference_server::back_office::{PasswordCost, create_operator};
use escrow_reference_server::faults::Faults;
use escrow_reference_server::{AppState, Database, ServerConfig, postgres, start, system_clock};

const DEVICES: i64 = 5_000;
const EVENTS_PER_DEVICE: i64 = 200;
const EVENTS_PER_ORDER: i64 = 4;
const RUNS: usize = 15;
/// 2026-05-28 00:00 UTC: the day the events are signed on (four days).
const DAY0: i64 = 1_779_926_400_000;

fn median_and_max(mut d: Vec<Duration>) -> (f64, f64) {
    d.sort();
    let ms = |x: Duration| x.as_secs_f64() * 1000.0;
    (ms(d[d.len() / 2]), ms(d[d.len() - 1]))
}

/// One real signed event and one real order spec, as the templates of every row.
fn templates() -> anyhow::Result<(String, String)> {
    let key = keypair_from_pkcs8(&generate_pkcs8()?)?;
    // The device of every event's JSON: one the fleet lists, so timelines show them.
    let prev = "0".repeat(64);
    let body = courier_test_support::event_body("dev-1", 1, &prev, EventKind::Arrived, Some("p"));
    let event = SignedEvent::seal(body, &key)?;
    let spec = courier_test_support::parcel_spec(5);
    Ok((
        serde_json::to_string(&event)?,
        serde_json::to_string(&spec)?,
    ))
}

async fn fill(client: &tokio_postgres::Client) -> anyhow::Result<()> {
    let (event_json, spec_json) = templates()?;
    let t = Instant::now();
    client
        .execute(
            "INSERT INTO devices(device_id, public_key, hardware_label, enrolled_at_ms, last_seq, last_hash, depot,
                                 app_version, profile, events_waiting, log_size, reported_at_ms)
             SELECT 'dev-' || i, md5(i::text) || md5('k' || i), 'HW-' || i, $1, $2, md5(i::text), 'DEPOT-' || (i % 5),
                    '0.9.' || (i % 3), 'production', i % 7, i * 10, $1
             FROM generate_series(1, $3::bigint) i",
            &[&DAY0, &EVENTS_PER_DEVICE, &DEVICES],
        )
        .await?;
    let orders = DEVICES * EVENTS_PER_DEVICE / EVENTS_PER_ORDER;
    client
        .execute(
            "INSERT INTO orders(parcel_id, order_ref, label, spec_json, numeric_key, qr_key, attempts_spent, attempt_limit, phone_tail)
             SELECT 'p-' || i, 'ORD-' || i, 'LBL-' || i, $1, md5(i::text), md5(i::text), 0, 5, lpad((20000000 + i)::text, 8, '0')
             FROM generate_series(1, $2::bigint) i",
            &[&spec_json, &orders],
        )
        .await?;
    // Event n of device d: order (d-1)*50 + (n-1)/4 + 1, signed over four days.
    client
        .execute(
            "INSERT INTO events(device_id, seq, event_id, hash, signed_json, received_at_ms, signed_at_ms, order_ref, depot)
             SELECT 'dev-' || d, n, md5(d || '-' || n), md5(n || '-' || d), $1,
                    $2 + n * 1000, $2 + ((d * 7919 + n * 104729) % (4 * 86400000)),
                    'ORD-' || ((d - 1) * ($3 / $4) + (n - 1) / $4 + 1), 'DEPOT-' || (d % 5)
             FROM generate_series(1, $5::bigint) d, generate_series(1, $3::bigint) n",
            &[&event_json, &DAY0, &EVENTS_PER_DEVICE, &EVENTS_PER_ORDER, &DEVICES],
        )
        .await?;
    client.batch_execute("ANALYZE").await?;
    println!(
        "filled {DEVICES} devices, {orders} orders, {} events in {:.1} s",
        DEVICES * EVENTS_PER_DEVICE,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The CSRF token of the first form of a page.
fn csrf_of(html: &str) -> anyhow::Result<String> {
    let at = html
        .find("name=\"csrf\" value=\"")
        .context("a form with its CSRF token")?;
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    Ok(rest[..rest.find('"').context("end of value")?].to_owned())
}

async fn sign_in(http: &reqwest::Client, base: &str, password: &str) -> anyhow::Result<String> {
    let form = http
        .get(format!("{base}/back-office/sign-in"))
        .send()
        .await?;
    let cookie = form
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("sign-in cookie")?
        .to_owned();
    let csrf = csrf_of(&form.text().await?)?;
    let r = http
        .post(format!("{base}/back-office/sign-in"))
        .header("cookie", cookie)
        .form(&[("name", "bench"), ("password", password), ("csrf", &csrf)])
        .send()
        .await?;
    let set = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .context("session cookie")?;
    Ok(set.split(';').next().context("pair")?.to_owned())
}

async fn time_page(
    http: &reqwest::Client,
    url: &str,
    cookie: &str,
    must_contain: &str,
) -> anyhow::Result<(f64, f64)> {
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let r = http.get(url).header("cookie", cookie).send().await?;
        let status = r.status();
        let html = r.text().await?;
        times.push(t.elapsed());
        if !status.is_success() || !html.contains(must_contain) {
            bail!("{url}: {status}, no {must_contain:?}");
        }
    }
    Ok(median_and_max(times))
}

async fn time_sql(
    client: &tokio_postgres::Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> anyhow::Result<(f64, f64)> {
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let rows = client.query(sql, params).await?;
        std::hint::black_box(rows.len());
        times.push(t.elapsed());
    }
    Ok(median_and_max(times))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Ok(cluster) = std::env::var("ESCROW_BENCH_DATABASE_URL") else {
        println!("back_office_pages: set ESCROW_BENCH_DATABASE_URL (scripts/back-office-bench.sh)");
        return Ok(());
    };
    let name = format!("bo_bench_{}", std::process::id());
    let url = postgres::create_fresh_database(&cluster, &name).await?;
    let config = ServerConfig {
        database: Database::parse(&url),
        admin_token: None,
        clock: system_clock(),
        password_cost: PasswordCost::default(),
    };
    let state: Arc<AppState> = AppState::open(&config, Arc::new(Faults::default())).await?;
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    fill(&client).await?;
    let created = create_operator(
        state.store(),
        PasswordCost::default(),
        &CreateOperatorRequest {
            name: "bench".into(),
            roles: vec![OperatorRole::CarrierIt, OperatorRole::BackOffice],
            depots: vec![],
        },
        "bench",
        0,
    )
    .await?;
    let server = start(state, "127.0.0.1:0".parse()?).await?;
    let base = server.url();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let cookie = sign_in(&http, &base, &created.password).await?;
    let fleet_sql =
        "SELECT d.device_id, d.hardware_label, d.depot, d.enrolled_at_ms, d.public_key, d.last_seq,
            (SELECT MAX(e.received_at_ms) FROM events e WHERE e.device_id = d.device_id),
            d.revoked_at_ms, d.revoked_reason,
            d.app_version, d.profile, d.events_waiting, d.log_size, d.reported_at_ms
     FROM devices d ORDER BY d.device_id";
    let latest =
        "FROM events e WHERE e.order_ref = o.order_ref ORDER BY e.signed_at_ms DESC LIMIT 1";
    let by_text = format!(
        "SELECT o.parcel_id, o.order_ref, o.label, o.spec_json, (SELECT e.signed_at_ms {latest}), (SELECT e.depot {latest})
         FROM orders o WHERE (o.order_ref = $1 OR o.label = $1 OR o.phone_tail = $2) ORDER BY o.order_ref LIMIT 200"
    );
    let by_day = format!(
        "SELECT o.parcel_id, o.order_ref, o.label, o.spec_json, (SELECT e.signed_at_ms {latest}), (SELECT e.depot {latest})
         FROM orders o WHERE o.order_ref IN (SELECT e.order_ref FROM events e WHERE e.signed_at_ms >= $1 AND e.signed_at_ms < $2 AND e.order_ref IS NOT NULL)
         ORDER BY o.order_ref LIMIT 200"
    );
    let phone = "+216 20 123 457";
    let (from, to) = (DAY0 + 86_400_000, DAY0 + 2 * 86_400_000);
    let label = "LBL-123457".to_owned();
    let tail = "20123457".to_owned();
    // (what, the page's p50 and p99, the bare query's p50 and p99), in ms.
    type Row<'a> = (&'a str, (f64, f64), (f64, f64));
    let rows: Vec<Row> = vec![
        (
            "fleet page, 5,000 devices",
            time_page(
                &http,
                &format!("{base}/back-office/fleet"),
                &cookie,
                "device-count",
            )
            .await?,
            time_sql(&client, fleet_sql, &[]).await?,
        ),
        (
            "order search by buyer's phone (timeline of its 4 events)",
            time_page(
                &http,
                &format!(
                    "{base}/back-office/orders?q={}",
                    phone.replace(' ', "%20").replace('+', "%2B")
                ),
                &cookie,
                "timeline-event",
            )
            .await?,
            time_sql(&client, &by_text, &[&phone, &tail]).await?,
        ),
        (
            "order search by label",
            time_page(
                &http,
                &format!("{base}/back-office/orders?q={label}"),
                &cookie,
                "timeline-event",
            )
            .await?,
            time_sql(&client, &by_text, &[&label, &String::new()]).await?,
        ),
        (
            "order search by day (first 200 of ~250,000 events' orders)",
            time_page(
                &http,
                &format!("{base}/back-office/orders?date=2026-05-29"),
                &cookie,
                "order-row",
            )
            .await?,
            time_sql(&client, &by_day, &[&from, &to]).await?,
        ),
    ];
    println!("| page | median ms | max ms | floor: bare SQL median ms | max ms |");
    println!("|---|---:|---:|---:|---:|");
    for (what, (m, x), (fm, fx)) in rows {
        println!("| {what} | {m:.1} | {x:.1} | {fm:.1} | {fx:.1} |");
    }
    server.stop().await;
    Ok(())
}
