//! Bodies of the device-facing HTTP API (`/v1/...`), shared by server and client.
//!
//! `docs/protocol.md` (section "HTTP API") and `docs/openapi.yaml` describe the
//! same shapes for other implementers. Every answer, success or error, carries
//! `server_time_ms`.

use serde::{Deserialize, Serialize};

use crate::ProtocolError;
use crate::canonical::to_canonical_bytes;
use crate::envelope::SignedEvent;
use crate::keys::{PublicKey, Signer, decode_hex_array, sha256};
use crate::manifest::{Address, Collect, Recipient, SignedManifest};
use crate::vocabulary::{CodePolicy, ParcelKind};

/// Version prefix of every path.
pub const API_PREFIX: &str = "/v1";
/// Schema tag of receipt bodies.
pub const RECEIPT_SCHEMA: &str = "courier.receipt.v1";
/// Schema tag of online code-check answers.
pub const CODE_CHECK_SCHEMA: &str = "courier.code-check.v1";
/// Most events the server takes in one upload.
pub const MAX_BATCH_EVENTS: usize = crate::bounds::MAX_BATCH_EVENTS;
/// Domain tag of an online code-check proof.
pub const ONLINE_CHECK_TAG: &[u8] = b"online-check";
/// Fewest events in one upload.
pub const MIN_BATCH_EVENTS: usize = 1;

/// `POST /v1/enroll`: a new device presents its key with a one-time token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// One-time enrollment token issued by the fleet operator.
    pub token: String,
    /// The device's Ed25519 public key, hex.
    pub device_public_key: PublicKey,
    /// Free label for the fleet inventory (serial number, asset tag).
    pub hardware_label: String,
}

/// Answer to a successful enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// The id the device puts in every event and request.
    pub device_id: String,
    /// The server key the device pins for manifests, receipts and code checks.
    pub server_public_key: PublicKey,
    /// Server clock, Unix milliseconds.
    pub server_time_ms: i64,
}

/// Answer to `GET /v1/desk-handovers/{event_id}`: where the device's
/// handover to a stop desk stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskHandoverResponse {
    /// The `desk_handover` event.
    pub event_id: String,
    /// Confirmed by the desk's matching intake, or still pending.
    pub status: crate::rules::desk::HandoverStatus,
}

/// Answer to `GET /v1/manifest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestResponse {
    /// The latest manifest issued to the device; `null` when none was issued yet.
    pub manifest: Option<SignedManifest>,
    /// Server clock, Unix milliseconds.
    pub server_time_ms: i64,
}

/// `POST /v1/events`: events in sequence order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBatch {
    /// Consecutive events of the signing device, lowest `seq` first.
    pub events: Vec<SignedEvent>,
}

/// What a device says of itself with each upload (the body's optional
/// `device` field), for the fleet page: not evidence, kept as last reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceReport {
    /// The app's version (`courier-terminal --version`).
    pub app_version: String,
    /// The platform the device is enrolled on.
    pub profile: crate::profile::Profile,
    /// Events still waiting in its outbox behind this batch.
    pub events_waiting: u64,
}

/// What the server did with one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Stored now.
    Accepted,
    /// Already stored with the same hash: acknowledged, not stored twice.
    Duplicate,
    /// Not stored; see the reason. Only for events that are not authentic
    /// or not well chained (malformed, badly signed, a gap, a fork): the
    /// device must look before anything after them can be stored.
    Rejected,
    /// Stored as evidence, and the chain goes on, but the event has no
    /// effect: a shared rule (or the server's own knowledge: the parcel was
    /// given to another device, the device was revoked, the code proof is
    /// wrong) refuses it. The reason says which; no money moves and the back
    /// office gets an alert. The device treats it as delivered to the server.
    NotHonoured,
    /// Stored, and the chain goes on, but its effect waits for another
    /// device's event: a courier's handover to a stop desk until the desk's
    /// matching intake (`GET /v1/desk-handovers/{event_id}` tells when). The
    /// device treats it as delivered to the server.
    Pending,
}

/// Why an event was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The event id is already stored with a different hash.
    Conflict,
    /// `seq` is not the next one after the last stored event.
    SequenceGap,
    /// `prev_hash` is not the hash of the last stored event.
    ChainBroken,
    /// Schema, hash or signature does not verify with the device key.
    BadSignature,
    /// `device_id` in the body is not the signing device.
    WrongDevice,
    /// The parcel was never in a manifest issued to this device.
    UnknownParcel,
    /// The code proof does not verify against the order's code.
    BadProof,
    /// The event does not parse, breaks the wire form (UUIDv7 id, lower-case
    /// hex), repeats a JSON key, or is inconsistent (e.g. a delivery without a proof).
    Malformed,
    /// Not examined because an earlier event of the batch was rejected.
    NotProcessed,
    /// The parcel was withdrawn by a manifest the event's `manifest_version` covers.
    ParcelWithdrawn,
    /// The parcel is already delivered (a second delivery, or a step after it).
    AlreadyDelivered,
    /// The parcel's try counter reached its limit: no code is checked any more.
    ParcelLocked,
    /// The parcel state machine refuses this step now (e.g. an outcome before
    /// arrival, a second outcome after a final one, a step after check-in).
    NotAllowedNow,
    /// The reason does not belong to the outcome.
    ReasonNotAllowed,
    /// The liability is not the one the outcome gives.
    WrongLiability,
    /// The attempt numbers are impossible (past the limit, or another limit).
    BadAttempt,
    /// The correction is not allowed (a delivery, a non-outcome, no note).
    BadCorrection,
    /// The fee change is not allowed (no outcome, same payer, no reason).
    BadFeeChange,
    /// A supervisor event without the supervisor's proof, or naming a
    /// supervisor the device's manifests never listed.
    SupervisorRequired,
    /// The supervisor's proof does not verify with the credential the server
    /// issued (counted: at the credential's limit it locks and an alert is raised).
    BadSupervisorProof,
    /// The proof names a session the server does not know, that another
    /// device or supervisor holds, that was revoked, or whose window does
    /// not hold the event's signed time.
    SupervisorSessionInvalid,
    /// The proof's key was cut off by a re-issue or revocation of the
    /// supervisor's credential before the event was received.
    SupervisorRevoked,
    /// The supervisor's credential is locked (too many bad proofs or PINs).
    SupervisorLocked,
    /// A supervisor step that needs the courier's confirmation lacks it, or
    /// the confirmation's digest is not that of this step.
    CourierConfirmationRequired,
    /// After a signed day close, a parcel the close lists as missing is
    /// delivered only after the supervisor reopens the day.
    DayClosed,
    /// The parcel was issued to another device since: only the device that
    /// holds an order now may settle it (deliver, record an outcome, correct
    /// one, change a fee).
    NotHolder,
    /// The device was revoked before the event's signed time.
    DeviceRevoked,
    /// The event passes a bound (`courier_protocol::bounds`): a string too
    /// long, too many `detail` entries, or too many bytes in all.
    TooLarge,
    /// The manifest asks for the morning load check and the parcel was never
    /// scanned into the vehicle (`parcel_loaded`): it never left the depot.
    NotLoaded,
    /// The outcome or intake lacks the photos the manifest's photo policy
    /// requires for it.
    PhotoRequired,
    /// A stop desk's intake names a courier's handover the server holds with
    /// another device or hash.
    HandoverMismatch,
    /// The order was cancelled (refunded in full before delivery) before this
    /// step reached the server: the step moves no money, and the back office
    /// is alerted to recover the parcel or the refund.
    OrderCancelled,
}

impl RejectReason {
    /// Whether re-sending the same bytes later could succeed (only
    /// [`RejectReason::NotProcessed`] and [`RejectReason::SequenceGap`] when
    /// the earlier events arrive first).
    pub fn may_resolve_later(self) -> bool {
        matches!(self, RejectReason::NotProcessed | RejectReason::SequenceGap)
    }
}

/// The server's answer for one event, as listed in a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventResult {
    /// The event's id.
    pub event_id: String,
    /// The event's sequence number.
    pub seq: u64,
    /// The event's hash as received, hex.
    pub hash: String,
    /// Accepted, duplicate or rejected.
    pub status: EventStatus,
    /// Set when rejected or not honoured.
    pub reason: Option<RejectReason>,
}

/// The signed content of a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptBody {
    /// Always [`RECEIPT_SCHEMA`].
    pub schema: String,
    /// The device whose events these are.
    pub device_id: String,
    /// One result per event of the batch, in the batch's order.
    pub results: Vec<EventResult>,
    /// Sequence number of the last event the server holds for the device.
    pub last_seq: u64,
    /// Hash of that event (64 zeros when none).
    pub last_hash: String,
    /// Server clock when the batch was processed, Unix milliseconds.
    pub server_time_ms: i64,
}

/// A receipt: the server's signed acknowledgement of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedReceipt {
    /// The signed content.
    pub body: ReceiptBody,
    /// Ed25519 signature of the canonical body by the server key, hex.
    pub signature: String,
}

impl SignedReceipt {
    /// Signs a receipt body with the server key.
    pub fn sign(body: ReceiptBody, signer: &dyn Signer) -> Result<Self, ProtocolError> {
        let bytes = to_canonical_bytes(&body)?;
        Ok(SignedReceipt {
            body,
            signature: hex::encode(signer.sign(&bytes)),
        })
    }

    /// Verifies schema and signature against the pinned server key.
    pub fn verify(&self, server_key: &PublicKey) -> Result<&ReceiptBody, ProtocolError> {
        if self.body.schema != RECEIPT_SCHEMA {
            return Err(ProtocolError::WrongSchema {
                found: self.body.schema.clone(),
                expected: RECEIPT_SCHEMA,
            });
        }
        let bytes = to_canonical_bytes(&self.body)?;
        let sig = decode_hex_array::<64>(&self.signature, "signature")?;
        server_key.verify(&bytes, &sig, "receipt")?;
        Ok(&self.body)
    }
}

/// Answer to `POST /v1/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsResponse {
    /// Per-event results and the server's signature over them.
    pub receipt: SignedReceipt,
    /// The server's signed checkpoint of the device's log after the batch
    /// (absent from servers that predate checkpoints).
    #[serde(default)]
    pub checkpoint: Option<crate::checkpoint::SignedCheckpoint>,
    /// The one log of every event after the batch: its checkpoint, the
    /// inclusion of the device's last stored event and the consistency with
    /// the tree size the device said it keeps (absent from servers that
    /// predate the log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<crate::merkle_log::LogView>,
    /// Server clock, Unix milliseconds.
    pub server_time_ms: i64,
}

/// Which form of the buyer's code an online check uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeFormWire {
    /// The numeric (SMS) code.
    Numeric,
    /// The QR token.
    Qr,
}

/// The digest an online check's proof binds to: `SHA-256("online-check" || nonce)`.
pub fn online_check_digest(nonce: &[u8; 16]) -> [u8; 32] {
    let mut msg = Vec::with_capacity(ONLINE_CHECK_TAG.len() + 16);
    msg.extend_from_slice(ONLINE_CHECK_TAG);
    msg.extend_from_slice(nonce);
    sha256(&msg)
}

/// `POST /v1/code-checks`: the server checks a code of an `online_only` parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeCheckRequest {
    /// The parcel.
    pub parcel_id: String,
    /// Numeric or QR form.
    pub form: CodeFormWire,
    /// 16 fresh random bytes, hex; binds the proof to this one check.
    pub nonce: String,
    /// `HMAC(K, "proof" || online_check_digest(nonce))`, hex.
    pub proof: String,
}

/// The server's verdict on an online check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnlineCheckResult {
    /// The code is right: hand over.
    Match,
    /// The code is wrong; one try of the parcel's counter spent.
    Mismatch,
    /// The parcel is locked; the code was not checked.
    Locked,
}

/// The signed content of an online check answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeCheckBody {
    /// Always [`CODE_CHECK_SCHEMA`].
    pub schema: String,
    /// The asking device.
    pub device_id: String,
    /// The parcel.
    pub parcel_id: String,
    /// The request's nonce, echoed so the answer cannot be replayed to another check.
    pub nonce: String,
    /// Match, mismatch or locked.
    pub result: OnlineCheckResult,
    /// Wrong codes the server has counted for this parcel, by every path
    /// (online checks and delivered events at ingest); a right code gives its
    /// own try back, so after a match this is the count before it.
    pub attempts_spent: u32,
    /// The parcel's wrong-code limit.
    pub attempt_limit: u32,
    /// Server clock, Unix milliseconds.
    pub server_time_ms: i64,
}

/// A signed online check answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCodeCheck {
    /// The signed content.
    pub body: CodeCheckBody,
    /// Ed25519 signature of the canonical body by the server key, hex.
    pub signature: String,
}

impl SignedCodeCheck {
    /// Signs with the server key.
    pub fn sign(body: CodeCheckBody, signer: &dyn Signer) -> Result<Self, ProtocolError> {
        let bytes = to_canonical_bytes(&body)?;
        Ok(SignedCodeCheck {
            body,
            signature: hex::encode(signer.sign(&bytes)),
        })
    }

    /// Verifies schema and signature against the pinned server key.
    pub fn verify(&self, server_key: &PublicKey) -> Result<&CodeCheckBody, ProtocolError> {
        if self.body.schema != CODE_CHECK_SCHEMA {
            return Err(ProtocolError::WrongSchema {
                found: self.body.schema.clone(),
                expected: CODE_CHECK_SCHEMA,
            });
        }
        let bytes = to_canonical_bytes(&self.body)?;
        let sig = decode_hex_array::<64>(&self.signature, "signature")?;
        server_key.verify(&bytes, &sig, "code check")?;
        Ok(&self.body)
    }
}

/// Answer to `POST /v1/code-checks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeCheckResponse {
    /// The signed verdict.
    pub check: SignedCodeCheck,
    /// Server clock, Unix milliseconds.
    pub server_time_ms: i64,
}

/// Machine-readable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body or a parameter is malformed.
    BadRequest,
    /// Authentication headers missing or the signature does not verify.
    BadRequestSignature,
    /// The device id is not enrolled.
    UnknownDevice,
    /// The device was revoked by the back office (the message gives the
    /// reason and the time); it may still upload its events, which are kept.
    DeviceRevoked,
    /// The request timestamp is outside the accepted window.
    StaleTimestamp,
    /// The nonce was already used: a replayed request.
    ReplayedNonce,
    /// The enrollment token is unknown, used or expired.
    InvalidToken,
    /// The admin token is wrong or absent.
    Forbidden,
    /// Nothing there (unknown parcel, no such path).
    NotFound,
    /// A back-office action a claim or cancellation rule refuses (a claim
    /// after its window, a cancellation after delivery, the same operator
    /// twice...); the message says which.
    Refused,
    /// The batch holds too many events, or the body is too large.
    BatchTooLarge,
    /// The method is not allowed on this path.
    MethodNotAllowed,
    /// The device key is not a strong Ed25519 key (small order, not canonical, not on the curve).
    WeakKey,
    /// Too many requests of one kind from this device (online code checks:
    /// `courier_protocol::bounds::MAX_CODE_CHECKS_PER_MINUTE`); retry later.
    RateLimited,
    /// A photo upload names a hash no stored event of this device names
    /// (`PUT`/`GET /v1/photos/{sha256}`): upload the event first.
    PhotoNotNamed,
    /// A photo chunk does not start where the server's copy ends (the
    /// message says where): ask `GET /v1/photos/{sha256}` and go on from there.
    PhotoOffset,
    /// The uploaded bytes are not the photo the event names (size or
    /// SHA-256): the partial copy is dropped.
    PhotoMismatch,
    /// The server is temporarily unable to answer.
    Unavailable,
    /// An unexpected server failure.
    Internal,
}

impl ErrorCode {
    /// Whether the client may retry the same request later.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            ErrorCode::Unavailable | ErrorCode::Internal | ErrorCode::RateLimited
        )
    }
}

/// The `error` member of an error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// What happened and what to do, for a person.
    pub message: String,
    /// Whether retrying the same request later can help.
    pub retryable: bool,
}

/// Body of every non-2xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
    /// Server clock, Unix milliseconds.
    pub server_time_ms: i64,
}

// ---- Admin API (loopback, `Authorization: Bearer <admin token>`) ----

/// `POST /v1/admin/orders`: create an order and its codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateOrderRequest {
    /// The merchant's order reference.
    pub order_ref: String,
    /// Barcode on the parcel label.
    pub label: String,
    /// Delivery, exchange or pick-up.
    pub kind: ParcelKind,
    /// Offline or online-only code check.
    pub policy: CodePolicy,
    /// The buyer.
    pub recipient: Recipient,
    /// The address.
    pub address: Address,
    /// Amount in escrow, minor units.
    pub amount_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// Item to collect, for exchanges and pick-ups.
    pub collect: Option<Collect>,
    /// Digits of the numeric code (default 6).
    pub digits: Option<u8>,
    /// PBKDF2 iterations of the numeric form (default 600 000).
    pub iterations: Option<u32>,
    /// Wrong-code limit (default 5).
    pub attempt_limit: Option<u32>,
    /// Derive the codes from this demo secret instead of fresh randomness.
    pub demo_secret: Option<String>,
    /// An order of several parcels under its one code: every parcel with its
    /// amount, the first being `label`; the amounts add up to `amount_minor`
    /// (absent: the order is the one parcel `label`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_parcels: Vec<crate::order_parcels::OrderParcel>,
}

/// The created order; the only time the codes leave the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateOrderResponse {
    /// The server's parcel id.
    pub parcel_id: String,
    /// The order reference.
    pub order_ref: String,
    /// Numeric code to send to the buyer by SMS.
    pub numeric_code: String,
    /// QR text to send by e-mail or show in the app.
    pub qr_text: String,
}

/// Answer to `POST /v1/admin/enrollment-tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentTokenResponse {
    /// The one-time token.
    pub token: String,
    /// Expiry, Unix milliseconds.
    pub expires_at_ms: i64,
}

/// `POST /v1/admin/manifests`: build and sign a device's next manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueManifestRequest {
    /// The device.
    pub device_id: String,
    /// Parcels to include, by parcel id.
    pub parcel_ids: Vec<String>,
    /// Parcels to list as withdrawn.
    #[serde(default)]
    pub withdrawn: Vec<String>,
    /// Depot name.
    pub depot: String,
    /// Validity from now, milliseconds.
    pub valid_for_ms: i64,
    /// Every parcel must be scanned into the vehicle at the morning load
    /// check before it can be delivered (absent: false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub load_check: bool,
    /// The photo policy the manifest carries (absent: no photo asked).
    #[serde(default)]
    pub photos: crate::photo_policy::PhotoPolicy,
    /// Parcels that go to a stop desk instead of the door: parcel id → the
    /// desk (its device, holding days). The server marks `held_here` on the
    /// desk's own manifest (absent: none).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub desks: std::collections::BTreeMap<String, crate::desk_stop::DeskStop>,
}

/// `POST /v1/admin/devices/{device_id}/revoke`: revokes a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeDeviceRequest {
    /// Why (shown to the device's user and kept with the revocation).
    pub reason: String,
    /// From when, Unix milliseconds (default: now). Events the device signed
    /// after it are stored but not honoured; those signed before are kept
    /// and flagged.
    #[serde(default)]
    pub at_ms: Option<i64>,
}

/// The answer to a revocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeDeviceResponse {
    /// The device.
    pub device_id: String,
    /// From when, Unix milliseconds.
    pub revoked_at_ms: i64,
    /// Why.
    pub reason: String,
}

/// `POST /v1/admin/supervisors`: create (or re-issue) a depot supervisor's
/// credential; manifests issued for that depot then carry its verifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSupervisorRequest {
    /// The supervisor id (1-64 letters, digits, `-`, `_`).
    pub supervisor_id: String,
    /// Name as printed on the day sheet.
    pub name: String,
    /// The depot (as manifests name it).
    pub depot: String,
    /// Issue a badge QR (returned once).
    #[serde(default)]
    pub badge: bool,
    /// A PIN of 4 to 12 digits chosen by the supervisor (never returned, never stored).
    #[serde(default)]
    pub pin: Option<String>,
    /// Wrong entries before a device locks this supervisor (default 5).
    #[serde(default)]
    pub attempt_limit: Option<u32>,
    /// PBKDF2 iterations of the PIN (default 600 000, as buyer codes).
    #[serde(default)]
    pub pin_iterations: Option<u32>,
}

/// The created credential; the only time the badge text leaves the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSupervisorResponse {
    /// The supervisor id.
    pub supervisor_id: String,
    /// The depot.
    pub depot: String,
    /// The badge's QR text, to print on the badge.
    pub badge_text: Option<String>,
    /// Whether a PIN verifier was issued.
    pub has_pin: bool,
}

/// A day close the server found at odds with the events it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCloseFlag {
    /// The device.
    pub device_id: String,
    /// The `day_closed` event.
    pub event_id: String,
    /// Its sequence number.
    pub seq: u64,
    /// What differs.
    pub differences: Vec<crate::rules::DayCloseDifference>,
    /// When the server flagged it, Unix ms.
    pub flagged_at_ms: i64,
}

/// Answer to `GET /v1/admin/day-close-flags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCloseFlagsResponse {
    /// Every flag, oldest first.
    pub flags: Vec<DayCloseFlag>,
}

/// Answer to `GET /v1/admin/devices/{device_id}/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceEventsResponse {
    /// The device.
    pub device_id: String,
    /// Its enrolled key.
    pub device_public_key: PublicKey,
    /// Every stored event, in `seq` order.
    pub events: Vec<SignedEvent>,
}

/// `POST /v1/admin/faults`: what the next requests should suffer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultPlan {
    /// The next N device requests answer 500 without processing.
    #[serde(default)]
    pub fail_next: u32,
    /// The next N device requests are delayed by `delay_ms` before processing.
    #[serde(default)]
    pub delay_next: u32,
    /// The delay, milliseconds.
    #[serde(default)]
    pub delay_ms: u64,
    /// The next N device requests have their connection closed before processing.
    #[serde(default)]
    pub drop_next: u32,
    /// The next N device requests are processed, then the connection is closed
    /// without an answer (a lost answer).
    #[serde(default)]
    pub lose_answer_next: u32,
    /// The next N event uploads are processed twice and the client gets the
    /// second, all-`duplicate` answer (a duplicated answer).
    #[serde(default)]
    pub duplicate_next: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{generate_pkcs8, keypair_from_pkcs8};

    fn receipt() -> ReceiptBody {
        ReceiptBody {
            schema: RECEIPT_SCHEMA.into(),
            device_id: "dev-1".into(),
            results: vec![EventResult {
                event_id: "e1".into(),
                seq: 1,
                hash: "00".repeat(32),
                status: EventStatus::Rejected,
                reason: Some(RejectReason::SequenceGap),
            }],
            last_seq: 0,
            last_hash: "00".repeat(32),
            server_time_ms: 5,
        }
    }

    #[test]
    fn receipt_verifies_with_the_server_key_only_and_detects_edits() {
        let server = keypair_from_pkcs8(&generate_pkcs8().expect("gen")).expect("key");
        let other = keypair_from_pkcs8(&generate_pkcs8().expect("gen")).expect("key");
        let signed = SignedReceipt::sign(receipt(), &server).expect("sign");
        assert!(signed.verify(&Signer::public_key(&server)).is_ok());
        assert!(signed.verify(&Signer::public_key(&other)).is_err());
        let mut edited = signed.clone();
        edited.body.results[0].status = EventStatus::Accepted;
        assert!(edited.verify(&Signer::public_key(&server)).is_err());
    }

    #[test]
    fn wire_names_are_the_documented_snake_case() {
        let json = serde_json::to_value(receipt()).expect("json");
        assert_eq!(json["results"][0]["status"], "rejected");
        assert_eq!(json["results"][0]["reason"], "sequence_gap");
        assert_eq!(
            serde_json::to_value(ErrorCode::BadRequestSignature).expect("json"),
            "bad_request_signature"
        );
        assert!(ErrorCode::Unavailable.retryable());
        assert!(!ErrorCode::ReplayedNonce.retryable());
    }

    #[test]
    fn online_check_digest_is_domain_separated() {
        let d = online_check_digest(&[0u8; 16]);
        let mut msg = b"online-check".to_vec();
        msg.extend_from_slice(&[0u8; 16]);
        assert_eq!(d, sha256(&msg));
        assert_ne!(d, online_check_digest(&[1u8; 16]));
    }
}
