//! The server's link to PostgreSQL on another machine is TLS with the
//! certificate and the host name verified. Run by `scripts/postgres-test.sh`,
//! whose throwaway cluster serves TLS with a certificate for "localhost" signed
//! by a throwaway CA (`ESCROW_TEST_PG_TLS_CA`); skipped, saying so, elsewhere.

use escrow_reference_server::storage::postgres::{ConnectionSecurity, PgStore};

/// The cluster's plain URL and the two CA files, or `None` (skip).
fn cluster() -> Option<(String, String, String)> {
    let (Ok(url), Ok(ca), Ok(other)) = (
        std::env::var("ESCROW_TEST_DATABASE_URL"),
        std::env::var("ESCROW_TEST_PG_TLS_CA"),
        std::env::var("ESCROW_TEST_PG_OTHER_CA"),
    ) else {
        eprintln!(
            "skipped: no TLS-serving PostgreSQL (run scripts/postgres-test.sh, which starts one)"
        );
        return None;
    };
    Some((url, ca, other))
}

/// The port of a `postgres://user@127.0.0.1:PORT/db` URL.
fn port(url: &str) -> &str {
    let after = url.rsplit_once(':').map(|(_, p)| p).expect("port");
    after.split('/').next().expect("port")
}

async fn open(url: &str) -> Result<PgStore, String> {
    let name = format!("escrow_tls_{}", uuid::Uuid::now_v7().simple());
    let fresh = escrow_reference_server::postgres::create_fresh_database(url, &name)
        .await
        .map_err(|e| format!("{e:#}"))?;
    PgStore::open(&fresh).await.map_err(|e| format!("{e:#}"))
}

#[tokio::test]
async fn verified_tls_connects_and_postgres_reports_it() {
    let Some((plain, ca, _)) = cluster() else {
        return;
    };
    let url = format!(
        "postgres://escrow@localhost:{}/postgres?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert={ca}",
        port(&plain)
    );
    let store = open(&url).await.expect("TLS to the test cluster");
    let security = store.connection_security().await.expect("pg_stat_ssl");
    assert!(
        matches!(&security, ConnectionSecurity::Tls { version } if version.starts_with("TLSv1.")),
        "{security:?}"
    );

    // The plain loopback URL of the same cluster is reported as plain.
    let store = open(&plain).await.expect("plain loopback");
    assert_eq!(
        store.connection_security().await.expect("pg_stat_ssl"),
        ConnectionSecurity::Plain
    );
}

#[tokio::test]
async fn a_certificate_from_another_authority_is_refused() {
    let Some((plain, _, other)) = cluster() else {
        return;
    };
    let url = format!(
        "postgres://escrow@localhost:{}/postgres?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert={other}",
        port(&plain)
    );
    let e = open(&url).await.err().expect("refused");
    assert!(e.contains("invalid peer certificate: UnknownIssuer"), "{e}");
}

#[tokio::test]
async fn a_certificate_for_another_host_name_is_refused() {
    let Some((plain, ca, _)) = cluster() else {
        return;
    };
    // The certificate names "localhost" only.
    let url = format!(
        "postgres://escrow@127.0.0.1:{}/postgres?sslmode=verify-full&sslrootcert={ca}",
        port(&plain)
    );
    let e = open(&url).await.err().expect("refused");
    assert!(
        e.contains("certificate not valid for name \"127.0.0.1\""),
        "{e}"
    );
    assert!(
        !e.contains("is it running"),
        "a TLS refusal is not a stopped server: {e}"
    );
}
