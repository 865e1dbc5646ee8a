//! Nothing crosses a network in clear on the production platform: a plain
//! `http://` server address is refused from the enrollment QR, from
//! `enroll --server`, from the configuration file and from `sync --server`,
//! before anything is sent; the test platform and this machine itself keep
//! plain HTTP for development.

mod sync_support;

use courier_protocol::enrollment_qr::{EnrollmentQr, Profile};
use courier_protocol::keys::Signer;
use sync_support::*;

/// The server's enrollment QR, naming `server` instead of its real address.
fn qr_naming(server: &Server, url: &str, profile: Profile) -> String {
    let token = server.token().token;
    let key = Signer::public_key(server.state().key());
    EnrollmentQr::new(url, profile, &token, &key).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_refuses_plain_http_from_the_qr_and_the_command_line() {
    let server = Server::start().await;
    let tmp = tempfile::tempdir().expect("tmp");

    // A production QR naming a plain-HTTP server on another machine.
    let data = tmp.path().join("qr");
    let qr = qr_naming(&server, "http://escrow.example", Profile::Production);
    let o = term(&data, &["enroll", "--qr", &qr], &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("unencrypted"), "{}", text(&o));
    assert!(
        !data.join("device.key").exists(),
        "nothing is created before the address is refused"
    );

    // The same by hand: `enroll --server` on the production platform (the default).
    let data = tmp.path().join("cli");
    let o = term(
        &data,
        &[
            "enroll",
            "--server",
            "http://escrow.example",
            "--token",
            "t-1",
        ],
        &[],
    )
    .await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("unencrypted"), "{}", text(&o));

    // A test-platform QR may name a plain-HTTP server (here the local one).
    let data = tmp.path().join("test-platform");
    let o = term(
        &data,
        &["enroll", "--qr", &server.enrollment_qr(Profile::Test)],
        &[],
    )
    .await;
    assert!(o.status.success(), "{}", text(&o));

    // Production on this machine's own address is enrolled (nothing leaves it);
    // `sync --server` to another machine in clear is then refused, nothing sent.
    let data = tmp.path().join("production");
    let o = term(
        &data,
        &["enroll", "--qr", &server.enrollment_qr(Profile::Production)],
        &[],
    )
    .await;
    assert!(o.status.success(), "{}", text(&o));
    let before = server.state().faults.device_requests();
    let o = term(
        &data,
        &[
            "sync",
            "--server",
            "http://escrow.example",
            "--deadline-s",
            "1",
        ],
        &[],
    )
    .await;
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("unencrypted"), "{}", text(&o));
    assert_eq!(server.state().faults.device_requests(), before);
}
