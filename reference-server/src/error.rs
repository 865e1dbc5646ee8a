//! The server's errors, typed: what a request, an operator action or the
//! storage can fail with. The routes map each kind to an HTTP status.

use std::path::PathBuf;

use courier_protocol::ProtocolError;
use thiserror::Error;

/// Any error an engine or a decoder hands up, kept as the source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What can fail inside the server.
#[derive(Debug, Error)]
pub enum ServerError {
    /// The database could not be read or written.
    #[error("server database error: {0}")]
    Storage(#[from] StorageError),
    /// The request conflicts with stored data.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// The request is invalid.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Something named in the request does not exist.
    #[error(transparent)]
    NotFound(#[from] NotFound),
    /// Key material could not be created, loaded or used to sign.
    #[error("server key error: {0}")]
    Key(#[source] ProtocolError),
    /// The TLS certificate or key could not be used.
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
    /// The listening socket could not be opened.
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
    /// A claim or cancellation rule refuses the back office's action.
    #[error(transparent)]
    Refused(#[from] courier_protocol::rules::claim::ClaimRefusal),
    /// A password could not be hashed or a stored hash read.
    #[error("password hashing failed: {0}")]
    Password(String),
}

impl ServerError {
    /// Whether running the same transaction again may succeed (a
    /// serialization failure, a deadlock, a unique key taken meanwhile).
    pub fn is_contention(&self) -> bool {
        matches!(
            self,
            ServerError::Storage(StorageError::Engine {
                contention: true,
                ..
            })
        )
    }
}

/// Why the storage failed.
#[derive(Debug, Error)]
pub enum StorageError {
    /// The engine failed a statement; `contention` when running the
    /// transaction again may succeed.
    #[error("{engine}: {source}")]
    Engine {
        /// `SQLite` or `PostgreSQL`.
        engine: &'static str,
        /// The engine's error.
        #[source]
        source: BoxError,
        /// A serialization failure, deadlock or unique violation.
        contention: bool,
    },
    /// The database could not be opened or reached.
    #[error("cannot open {database}: {source}")]
    Open {
        /// The database, without any password.
        database: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// No connection could be had (pool exhausted, the engine's thread gone).
    #[error("no {engine} connection available: {source}")]
    Unavailable {
        /// `SQLite` or `PostgreSQL`.
        engine: &'static str,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// A migration failed.
    #[error("{engine} migration {version}: {source}")]
    Migration {
        /// `SQLite` or `PostgreSQL`.
        engine: &'static str,
        /// The schema version it would have reached.
        version: usize,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// The database was migrated by a newer server.
    #[error(
        "the {engine} database is at schema version {found}, newer than this server ({known}): run a newer server"
    )]
    SchemaTooNew {
        /// `SQLite` or `PostgreSQL`.
        engine: &'static str,
        /// The database's version.
        found: usize,
        /// The newest version this server knows.
        known: usize,
    },
    /// A stored value does not decode.
    #[error("stored {what} does not decode: {source}")]
    Corrupt {
        /// What was read.
        what: String,
        /// Why it does not decode.
        #[source]
        source: BoxError,
    },
}

impl StorageError {
    /// A stored value that does not decode.
    pub fn corrupt(what: impl Into<String>, source: impl Into<BoxError>) -> StorageError {
        StorageError::Corrupt {
            what: what.into(),
            source: source.into(),
        }
    }
}

/// A request that conflicts with stored data.
#[derive(Debug, Error)]
pub enum Conflict {
    /// The enrollment token enrolled a device already.
    #[error("this enrollment token was already used")]
    TokenUsed,
    /// The device key is enrolled already.
    #[error("this device key is already enrolled")]
    KeyEnrolled,
    /// An order with this reference or label exists.
    #[error("an order with reference {order_ref} or label {label} already exists")]
    OrderExists {
        /// The order reference asked for.
        order_ref: String,
        /// The label asked for.
        label: String,
    },
    /// An operator account of this name exists.
    #[error("an operator named {0} already exists")]
    OperatorExists(String),
    /// A cancelled order is never issued again.
    #[error("order of parcel {0} was cancelled: it cannot be issued to a device")]
    OrderCancelled(String),
    /// Another process issued this manifest version first.
    #[error("manifest version {version} of device {device_id} was issued meanwhile; issue again")]
    ManifestIssuedMeanwhile {
        /// The device.
        device_id: String,
        /// The version both tried to issue.
        version: u64,
    },
}

/// Something named in a request that does not exist.
#[derive(Debug, Error)]
pub enum NotFound {
    /// No such enrolled device.
    #[error("device {0} is not enrolled")]
    Device(String),
    /// No order with this parcel id.
    #[error("no order with parcel id {0}")]
    Order(String),
    /// No order with this reference.
    #[error("no order with reference {0}")]
    OrderRef(String),
    /// No such claim (or not in the operator's depots).
    #[error("no claim {0} in your depots")]
    Claim(String),
    /// No such supervisor in the depot (or revoked).
    #[error("no supervisor {0} (depot/id) in force; the back office issues it")]
    Supervisor(String),
    /// No honoured handover to a stop desk with this event id by this device.
    #[error("no handover {0} to a stop desk recorded by this device")]
    DeskHandover(String),
}

/// A request the server refuses as invalid.
#[derive(Debug, Error)]
pub enum Invalid {
    /// An operator's name is empty, too long or holds other characters.
    #[error("an operator name is 1-64 letters, digits, '.', '-' or '_'")]
    OperatorName,
    /// An account's roles and depots do not fit.
    #[error(transparent)]
    Account(#[from] courier_protocol::rules::operator_role::AccountShapeError),
    /// A claim asks for what only a decision gives.
    #[error("a claim asks for exchange or refund")]
    ClaimAsked,
    /// The order reference is empty, too long or holds a colon.
    #[error("order_ref must be 1-64 printable characters without ':'")]
    OrderRef,
    /// The code length is out of range.
    #[error("digits must be between 4 and 12")]
    Digits,
    /// Too many PBKDF2 iterations.
    #[error("{field} must be at most {max}")]
    TooManyIterations {
        /// The request field.
        field: &'static str,
        /// The most allowed.
        max: u32,
    },
    /// Zero PBKDF2 iterations.
    #[error("{field} must be at least 1")]
    NoIterations {
        /// The request field.
        field: &'static str,
    },
    /// A wrong-code limit of zero.
    #[error("attempt_limit must be at least 1: a terminal refuses a limit of 0")]
    NoAttempts,
    /// The codes could not be issued.
    #[error("{0}")]
    Codes(#[source] ProtocolError),
    /// A supervisor without a depot.
    #[error("depot must not be empty")]
    NoDepot,
    /// A supervisor without any factor.
    #[error("a supervisor needs a badge, a PIN, or both: set \"badge\": true or give a \"pin\"")]
    NoSupervisorFactor,
    /// The supervisor credential could not be issued.
    #[error("{0}")]
    Supervisor(#[source] courier_protocol::supervisor::IssueSupervisorError),
    /// A revocation without a reason, or with too long a one.
    #[error("reason must be 1-{0} characters: say why the device is revoked")]
    RevocationReason(usize),
    /// A manifest that would be expired on arrival.
    #[error("valid_for_ms must be positive: a terminal refuses an expired manifest")]
    ManifestValidity,
    /// A parcel named twice in one manifest.
    #[error(
        "parcel {0} is named twice (listed twice, or both listed and withdrawn); a terminal refuses such a manifest"
    )]
    ParcelTwice(String),
    /// A manifest a terminal would refuse.
    #[error("a terminal would refuse this manifest: {0}")]
    ManifestContent(String),
    /// A value that could not be encoded.
    #[error("{0}")]
    Encoding(#[source] BoxError),
    /// Not a `postgres://` URL.
    #[error("not a postgres:// URL: {0}")]
    NotPostgresUrl(String),
    /// A database URL that does not parse.
    #[error("bad PostgreSQL URL {url}: {source}")]
    DatabaseUrl {
        /// The URL, without any password.
        url: String,
        /// Why.
        #[source]
        source: BoxError,
    },
}

/// Why the TLS certificate or key cannot be used.
#[derive(Debug, Error)]
pub enum TlsError {
    /// A PEM file could not be read.
    #[error("{what} {}: {source}", path.display())]
    Read {
        /// What was read.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// The chain holds no certificate.
    #[error(
        "{} holds no certificate (expected \"BEGIN CERTIFICATE\" blocks, leaf first)",
        .0.display()
    )]
    NoCertificate(PathBuf),
    /// rustls refused the configuration.
    #[error("{0}")]
    Config(#[source] rustls::Error),
    /// The key does not belong to the leaf certificate.
    #[error("the certificate and the key do not go together: {0}")]
    KeyMismatch(#[source] rustls::Error),
}
