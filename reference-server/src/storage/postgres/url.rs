//! PostgreSQL URLs: hiding the password, naming another database, and
//! creating a fresh database (tests and the load bench each start from one).

use tokio_postgres::NoTls;

use super::transport::PgTransport;

use crate::error::{Invalid, ServerError, StorageError};

/// A URL with its password replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The same URL naming another database.
pub fn with_database(url: &str, database: &str) -> Result<String, ServerError> {
    let bad = || Invalid::NotPostgresUrl(redact(url));
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let (authority, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest.split('?').next().unwrap_or(rest), ""),
    };
    let query = match (tail.split_once('?'), rest.find('/')) {
        (Some((_, q)), _) => format!("?{q}"),
        (None, None) => rest
            .split_once('?')
            .map_or(String::new(), |(_, q)| format!("?{q}")),
        (None, Some(_)) => String::new(),
    };
    Ok(format!("{scheme}://{authority}/{database}{query}"))
}

/// Creates a new empty database beside the one `url` names and returns its
/// URL (tests and the load bench each start from a fresh database).
pub async fn create_fresh_database(url: &str, name: &str) -> Result<String, ServerError> {
    let target = super::transport::target(url)?;
    let connected = match target.transport {
        PgTransport::Plain => target.config.connect(NoTls).await.map(|(c, conn)| {
            (
                c,
                tokio::spawn(async move { conn.await.map_err(|e| e.to_string()) }),
            )
        }),
        PgTransport::Verified(tls) => target.config.connect(tls).await.map(|(c, conn)| {
            (
                c,
                tokio::spawn(async move { conn.await.map_err(|e| e.to_string()) }),
            )
        }),
    };
    let (client, task) = connected.map_err(|e| {
        let causes = super::reads::with_causes(&e);
        StorageError::Open {
            database: format!(
                "PostgreSQL at {} ({})",
                redact(url),
                super::transport::open_hint(&causes, "is it running and does the role exist?")
            ),
            source: causes.into(),
        }
    })?;
    client
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .await
        .map_err(|e| StorageError::Open {
            database: format!("a new database {name}"),
            source: e.into(),
        })?;
    drop(client);
    let _ = task.await;
    with_database(url, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_another_database_and_hide_passwords() {
        assert_eq!(
            with_database("postgres://u:pw@127.0.0.1:5433/postgres", "t1").ok(),
            Some("postgres://u:pw@127.0.0.1:5433/t1".to_owned())
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "t2").ok(),
            Some("postgres://u@h/t2?sslmode=disable".to_owned())
        );
        assert_eq!(
            with_database("postgres://u@h:1", "t3").ok(),
            Some("postgres://u@h:1/t3".to_owned())
        );
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
    }
}
