//! HTTPS for real: the reference server serves TLS with a certificate of a
//! carrier CA made here (rcgen); the terminal trusts that CA through
//! `--ca-file` (`[server] ca_file`), refuses a certificate from any other
//! authority with words that say so, and loses nothing meanwhile.

mod sync_support;

use courier_devtools::test_pki::TestPki;
use courier_protocol::vocabulary::CodePolicy;
use courier_terminal::storage::{Reads, Store};
use escrow_reference_server::tls;
use sync_support::{FAST, Server, data_dir, term, text};

fn pki(dir: &std::path::Path, name: &str) -> TestPki {
    TestPki::create(dir, name).expect("test PKI")
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn pending(data: &std::path::Path) -> u64 {
    Store::open_read_only(&data.join("terminal.db"))
        .expect("store")
        .pending_count()
        .expect("pending")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncs_over_https_with_the_carrier_ca_and_refuses_another_ca_losing_nothing() {
    let certs = tempfile::tempdir().expect("tmp");
    let carrier = pki(certs.path(), "carrier");
    let rogue = pki(certs.path(), "rogue");
    let genuine = tls::acceptor(&carrier.cert_chain, &carrier.key).expect("carrier cert");
    let mut server = Server::start_tls(genuine.clone()).await;
    assert!(server.url().starts_with("https://127.0.0.1:"));
    let ca = carrier.ca.to_str().expect("utf-8 path").to_owned();

    let tmp = tempfile::tempdir().expect("tmp");
    let data = data_dir(&tmp);
    let order = server.order("TLS-1", CodePolicy::OfflineAllowed);
    let token = server.token().token;
    let url = server.url();
    let o = term(
        &data,
        &[
            "--ca-file",
            &ca,
            "enroll",
            "--server",
            &url,
            "--token",
            &token,
        ],
        &[],
    )
    .await;
    assert!(o.status.success(), "{}", text(&o));
    let device = String::from_utf8_lossy(&o.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("enrolled as").map(|s| s.trim().to_owned()))
        .expect("device id");
    server.manifest(&device, &[&order.parcel_id], 3_600_000);

    let mut sync = vec!["--ca-file", ca.as_str(), "sync"];
    sync.extend_from_slice(FAST);
    let o = term(&data, &sync, &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    let o = term(&data, &["arrive", "L-TLS-1"], &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    let waiting = pending(&data);
    assert!(waiting >= 1, "the arrival waits to sync");

    // Same address, same database, a certificate from another authority.
    server.tls = Some(tls::acceptor(&rogue.cert_chain, &rogue.key).expect("rogue cert"));
    server.restart().await;
    let requests = server.faults.device_requests();
    let o = term(&data, &sync, &[]).await;
    assert!(!o.status.success(), "{}", text(&o));
    let err = stderr(&o);
    assert!(
        err.contains("not trusted") && err.contains("not signed by a trusted authority"),
        "{}",
        text(&o)
    );
    assert!(err.contains("ca_file"), "says what to check: {}", text(&o));
    assert_eq!(
        server.faults.device_requests(),
        requests,
        "no request reaches a server the device does not trust"
    );
    assert_eq!(pending(&data), waiting, "nothing lost, nothing marked sent");

    // The genuine certificate again: everything goes, once.
    server.tls = Some(genuine);
    server.restart().await;
    let o = term(&data, &sync, &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(pending(&data), 0, "{}", text(&o));
    let o = term(&data, &sync, &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(pending(&data), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_system_roots_do_not_trust_a_private_ca_and_enrollment_can_be_retried() {
    let certs = tempfile::tempdir().expect("tmp");
    let carrier = pki(certs.path(), "carrier");
    let server =
        Server::start_tls(tls::acceptor(&carrier.cert_chain, &carrier.key).expect("carrier cert"))
            .await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = data_dir(&tmp);
    let url = server.url();
    let token = server.token().token;
    let enroll = [
        "enroll",
        "--server",
        url.as_str(),
        "--token",
        token.as_str(),
    ];
    let o = term(&data, &enroll, &[]).await;
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        stderr(&o).contains("not signed by a trusted authority"),
        "{}",
        text(&o)
    );
    assert_eq!(
        server.faults.device_requests(),
        0,
        "the token never left the device"
    );

    let ca = carrier.ca.to_str().expect("utf-8 path");
    let mut with_ca = vec!["--ca-file", ca];
    with_ca.extend_from_slice(&enroll);
    let o = term(&data, &with_ca, &[]).await;
    assert!(o.status.success(), "{}", text(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_file_without_certificates_is_named_with_what_to_write() {
    let certs = tempfile::tempdir().expect("tmp");
    let carrier = pki(certs.path(), "carrier");
    let server =
        Server::start_tls(tls::acceptor(&carrier.cert_chain, &carrier.key).expect("carrier cert"))
            .await;
    let bogus = certs.path().join("bogus.pem");
    std::fs::write(&bogus, "not a certificate\n").expect("write");
    let tmp = tempfile::tempdir().expect("tmp");
    let data = data_dir(&tmp);
    let url = server.url();
    let token = server.token().token;
    let o = term(
        &data,
        &[
            "--ca-file",
            bogus.to_str().expect("utf-8"),
            "enroll",
            "--server",
            &url,
            "--token",
            &token,
        ],
        &[],
    )
    .await;
    assert!(!o.status.success(), "{}", text(&o));
    let err = stderr(&o);
    assert!(
        err.contains("cannot use the carrier CA file")
            && err.contains("bogus.pem")
            && err.contains("holds no certificate")
            && err.contains("BEGIN CERTIFICATE"),
        "{}",
        text(&o)
    );
}

#[test]
fn the_server_refuses_a_key_that_is_not_its_certificates() {
    let certs = tempfile::tempdir().expect("tmp");
    let carrier = pki(certs.path(), "carrier");
    let rogue = pki(certs.path(), "rogue");
    let err = tls::acceptor(&carrier.cert_chain, &rogue.key)
        .err()
        .expect("mismatched key refused");
    assert!(err.to_string().contains("do not go together"), "{err}");
    let err = tls::acceptor(&carrier.key, &carrier.key)
        .err()
        .expect("a key is not a certificate chain");
    assert!(err.to_string().contains("holds no certificate"), "{err}");
}
