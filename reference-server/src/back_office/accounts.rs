//! Named operator accounts and their sessions. The admin token creates
//! accounts (the bootstrap: the first account, and any later one); an
//! operator signs in with name and password and gets a bearer token for the
//! back-office calls. Every creation and sign-in, failed ones included, is a
//! line of the audit log.

use courier_protocol::back_office::{
    CreateOperatorRequest, CreateOperatorResponse, OperatorSession,
};
use courier_protocol::rules::operator_role::check_account;

use super::passwords::{PasswordCost, verify};
use crate::admin::{random_hex, token_hash};
use crate::error::{Invalid, ServerError};
use crate::operator_rows::{NewAudit, OperatorRow, OperatorSessionRow, SessionKind};
use crate::storage::Storage;

/// The actor the audit log names for the admin token.
pub const ADMIN_TOKEN_ACTOR: &str = "admin-token";

/// How long an operator's session lasts.
pub const SESSION_LIFETIME_MS: i64 = 8 * 3600 * 1000;

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name != ADMIN_TOKEN_ACTOR
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Creates an account with a random initial password, answered once and
/// stored as an Argon2id hash at `cost`. `by` is who asked (an operator's
/// name, or [`ADMIN_TOKEN_ACTOR`]).
pub async fn create_operator(
    db: &dyn Storage,
    cost: PasswordCost,
    req: &CreateOperatorRequest,
    by: &str,
    now_ms: i64,
) -> Result<CreateOperatorResponse, ServerError> {
    if !valid_name(&req.name) {
        return Err(Invalid::OperatorName.into());
    }
    let mut roles = req.roles.clone();
    roles.sort();
    roles.dedup();
    check_account(&roles, &req.depots).map_err(Invalid::Account)?;
    let password = random_hex::<12>()?;
    let password_hash =
        tokio::task::spawn_blocking(move || cost.hash(&password).map(|h| (h, password)))
            .await
            .map_err(|e| ServerError::Password(e.to_string()))??;
    let (password_hash, password) = password_hash;
    let row = OperatorRow {
        name: req.name.clone(),
        roles: roles.clone(),
        depots: req.depots.clone(),
        password_hash,
        created_at_ms: now_ms,
        created_by: by.to_owned(),
        disabled_at_ms: None,
    };
    let roles_text: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    db.add_operator(
        &row,
        &NewAudit {
            at_ms: now_ms,
            operator: by.to_owned(),
            action: "operator_created",
            subject: req.name.clone(),
            detail: format!(
                "roles {}; depots {}",
                roles_text.join(","),
                describe_depots(&req.depots)
            ),
        },
    )
    .await?;
    tracing::info!(operator = %req.name, by, "operator account created");
    Ok(CreateOperatorResponse {
        name: row.name,
        roles,
        depots: row.depots,
        password,
    })
}

fn describe_depots(depots: &[String]) -> String {
    if depots.is_empty() {
        "all".to_owned()
    } else {
        depots.join(",")
    }
}

/// The account a name and password open: the password checked against its
/// Argon2id hash (an unknown name costs the same hash, so timing tells
/// nothing). `None` for a wrong name or password, or a disabled account,
/// after logging the refusal.
async fn verified_account(
    db: &dyn Storage,
    cost: PasswordCost,
    name: &str,
    password: &str,
    now_ms: i64,
) -> Result<Option<OperatorRow>, ServerError> {
    let account = db.operator(name).await?;
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let given = password.to_owned();
    let right = tokio::task::spawn_blocking(move || match stored {
        Some(h) => verify(&given, &h),
        None => cost.hash(&given).map(|_| false),
    })
    .await
    .map_err(|e| ServerError::Password(e.to_string()))??;
    let account = account.filter(|a| right && a.disabled_at_ms.is_none());
    if account.is_none() {
        db.add_audit(&NewAudit {
            at_ms: now_ms,
            operator: name.to_owned(),
            action: "sign_in_refused",
            subject: name.to_owned(),
            detail: "wrong name or password, or a disabled account".into(),
        })
        .await?;
        tracing::warn!(operator = %name, "operator sign-in refused");
    }
    Ok(account)
}

/// Opens a session of `kind` for `account`: its token (kept as a hash) and,
/// for a cookie session, the hash of its CSRF token.
async fn open_session(
    db: &dyn Storage,
    account: &OperatorRow,
    kind: SessionKind,
    token: &str,
    now_ms: i64,
) -> Result<i64, ServerError> {
    let expires_at_ms = now_ms.saturating_add(SESSION_LIFETIME_MS);
    let csrf_hash = match kind {
        SessionKind::Bearer => None,
        SessionKind::Cookie => Some(token_hash(&csrf_token(token))),
    };
    db.open_operator_session(
        &OperatorSessionRow {
            token_hash: token_hash(token),
            operator: account.name.clone(),
            kind,
            csrf_hash,
            created_at_ms: now_ms,
            expires_at_ms,
        },
        &NewAudit {
            at_ms: now_ms,
            operator: account.name.clone(),
            action: "signed_in",
            subject: account.name.clone(),
            detail: format!("{} session until {expires_at_ms}", kind.as_str()),
        },
    )
    .await?;
    Ok(expires_at_ms)
}

/// Signs an operator in for the API: a bearer session. `None` for a wrong
/// name or password, or a disabled account.
pub async fn sign_in(
    db: &dyn Storage,
    cost: PasswordCost,
    name: &str,
    password: &str,
    now_ms: i64,
) -> Result<Option<OperatorSession>, ServerError> {
    let Some(account) = verified_account(db, cost, name, password, now_ms).await? else {
        return Ok(None);
    };
    let token = format!("op_{}", random_hex::<32>()?);
    let expires_at_ms = open_session(db, &account, SessionKind::Bearer, &token, now_ms).await?;
    Ok(Some(OperatorSession {
        token,
        operator: account.name,
        roles: account.roles,
        depots: account.depots,
        expires_at_ms,
    }))
}

/// A browser session: the cookie's token and when it ends (its CSRF token
/// is [`csrf_token`] of the cookie's).
pub struct CookieSession {
    /// The cookie's value.
    pub token: String,
    /// Server time it ends, Unix ms.
    pub expires_at_ms: i64,
}

/// Signs an operator in for the browser back office: a cookie session.
/// `None` for a wrong name or password, or a disabled account.
pub async fn sign_in_cookie(
    db: &dyn Storage,
    cost: PasswordCost,
    name: &str,
    password: &str,
    now_ms: i64,
) -> Result<Option<CookieSession>, ServerError> {
    let Some(account) = verified_account(db, cost, name, password, now_ms).await? else {
        return Ok(None);
    };
    let token = format!("bo_{}", random_hex::<32>()?);
    let expires_at_ms = open_session(db, &account, SessionKind::Cookie, &token, now_ms).await?;
    Ok(Some(CookieSession {
        token,
        expires_at_ms,
    }))
}

/// The CSRF token of a cookie session: derived from the session's secret
/// token (SHA-256 under a label), so every form of the session carries it
/// and a page of another site, which cannot read the cookie, cannot forge it.
pub fn csrf_token(session_token: &str) -> String {
    token_hash(&format!("csrf:{session_token}"))
}

/// The account of a live session's bearer token, if any.
pub async fn authenticate(
    db: &dyn Storage,
    token: &str,
    now_ms: i64,
) -> Result<Option<OperatorRow>, ServerError> {
    db.operator_of_session(&token_hash(token), now_ms).await
}
