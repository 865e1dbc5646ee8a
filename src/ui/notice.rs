//! Every refusal and error, as the courier reads it: each maps, by an
//! exhaustive match, to a [`NoticeKind`] whose words (fr, ar, en) live in
//! `ui/widgets/texts.slint` (`Tr.refusal`) and the `.po` files. A new variant
//! anywhere below fails to compile until it has its words.

use crate::device_key::KeyError;
use crate::domain::manifest_acceptance::ManifestRefusal;
use crate::domain::refusal::Refusal;
use crate::storage::StoreError;
use crate::sync::enrollment::EnrollError;
use crate::terminal::{SignInAnswer, SupervisorRefusal, TerminalError};
use courier_protocol::rules::load_check::LoadAlarmWhy;
use courier_protocol::rules::{LoadVerdict, ReturnItem, ScanVerdict, UnexpectedWhy};

/// What the banner says, one kind per sentence the courier can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum NoticeKind {
    /// Already delivered.
    AlreadyDelivered,
    /// Withdrawn before dispatch.
    Withdrawn,
    /// Back at the depot.
    Returned,
    /// Too many wrong codes (`a` = the limit).
    Locked,
    /// Arrival first.
    NotArrived,
    /// Arrival already recorded.
    AlreadyArrived,
    /// The day's outcome is final.
    Final,
    /// The QR is for another order.
    QrOtherOrder,
    /// The parcel has no QR form.
    NoQr,
    /// "Delivered" only by a code.
    NeedsCode,
    /// The reason does not fit the outcome.
    Reason,
    /// No answer needs a fix.
    NoAnswerNeedsFix,
    /// No answer too far (`a` m, radius `b` m).
    NoAnswerTooFar,
    /// No answer before the wait (`a` s left).
    NoAnswerWait,
    /// No answer before the contacts (`a` of `b`).
    NoAnswerContacts,
    /// Nothing to collect.
    NothingToCollect,
    /// Not the item to collect.
    WrongItemCollected,
    /// Collect the item first.
    CollectFirst,
    /// Offer inspection before a refusal after inspection.
    InspectFirst,
    /// The day has unaccounted parcels (`a` missing, `b` never attempted).
    DayNotReconciled,
    /// A correction that is not allowed.
    BadCorrection,
    /// The code is not in the right form (no try used).
    BadCode,
    /// No parcel with this label.
    UnknownLabel,
    /// Several parcels end with these characters.
    AmbiguousLabel,
    /// No such event.
    UnknownEvent,
    /// The manifest was refused; the current one stays.
    ManifestRefused,
    /// The manifest has expired.
    ManifestExpired,
    /// The manifest's code material is unusable.
    CodeMaterial,
    /// Storage is full: nothing recorded.
    StorageFull,
    /// Storage is read-only: nothing recorded.
    StorageReadOnly,
    /// The database is damaged.
    StorageDamaged,
    /// Another process holds the database.
    StorageBusy,
    /// Storage failed otherwise.
    StorageError,
    /// The device key is missing, damaged or readable by others.
    KeyProblem,
    /// The device is not set up or enrolled.
    NotSetUp,
    /// The action would replace this device's identity.
    IdentityAtRisk,
    /// An internal encoding failure.
    Internal,
    /// The scanned or typed text is not an enrollment QR.
    EnrollNotAQr,
    /// The server does not hold the key the enrollment QR names.
    EnrollWrongServer,
    /// The enrollment names a plain-HTTP server on the production platform.
    EnrollPlainHttp,
    /// The server refused the enrollment (token used, unknown or expired).
    EnrollRefused,
    /// The server could not be reached to enroll.
    EnrollUnreachable,
    /// The server's HTTPS certificate is not trusted: nothing was sent.
    EnrollUntrusted,
    /// The device is already enrolled.
    EnrollAlreadyDone,
    /// A supervisor step without a signed-in supervisor.
    SupervisorRequired,
    /// The supervisor's session ended.
    SupervisorSessionEnded,
    /// The manifest lists no such supervisor.
    UnknownSupervisor,
    /// The supervisor has no badge, or no PIN.
    SupervisorNoFactor,
    /// The badge or PIN is not in the right form (no try used).
    BadBadgeOrPin,
    /// The manifest's supervisor credential is unusable.
    SupervisorMaterial,
    /// A fee change the rules refuse.
    BadFeeChange,
    /// The courier must confirm first.
    CourierConfirmFirst,
    /// A note or a label is too long to record.
    TooLong,
    /// The courier confirmed other figures: confirm the new ones.
    ConfirmationOutdated,
    /// The day is already closed; nothing to close.
    DayAlreadyClosed,
    /// Sign-in needs the network.
    SignInNeedsNetwork,
    /// The server refused the sign-in request.
    SignInRefused,
    /// A correction after scan-in or close without the supervisor.
    CorrectionNeedsSupervisor,
    /// A plain delivery of a parcel the signed close lists as missing.
    DayClosedMissing,
    /// Returns are still missing (`a` of them): scan or force with a reason.
    ReturnsUnaccounted,
    /// Forcing the close needs a reason.
    ForceNeedsReason,
    /// Damaged or opened needs a note.
    ConditionNeedsReason,
    /// Not a return received today.
    NotReceived,
    /// The supervisor is signed in.
    SupervisorSignedIn,
    /// Wrong badge or PIN (`a` tries left).
    SupervisorWrong,
    /// The supervisor is locked on this device (limit `a`).
    SupervisorLocked,
    /// Scan: an expected parcel, received.
    ScanReceived,
    /// Scan: an expected collected item, received.
    ScanCollectedReceived,
    /// Scan: already received.
    ScanAlreadyReceived,
    /// Scan: not in the manifest (alarm).
    ScanNotInManifest,
    /// Scan: recorded as delivered (alarm).
    ScanWasDelivered,
    /// Scan: an item never recorded as collected (alarm).
    ScanNeverCollected,
    /// The courier confirmed the fee change; the supervisor approves next.
    FeeChangeConfirmed,
    /// The fee change is recorded.
    FeeChanged,
    /// The courier confirmed the day's totals; the supervisor closes next.
    DayCloseConfirmed,
    /// The day is closed.
    DayClosed,
    /// The day is closed with a recorded discrepancy (`a` missing).
    DayClosedForced,
    /// The parcel was not scanned into the vehicle at the load check.
    NotLoaded,
    /// Scan at the depot: a parcel never loaded (alarm).
    ScanNeverLoaded,
    /// Load check: a parcel to load, now loaded.
    LoadLoaded,
    /// Load check: already loaded.
    LoadAlreadyLoaded,
    /// Load check: not on today's manifest (alarm).
    LoadNotInManifest,
    /// Load check: withdrawn, it stays at the depot (alarm).
    LoadWithdrawn,
    /// Load check: the parcel does not go out today (alarm).
    LoadNotToLoad,
    /// The courier confirmed the load check; the supervisor signs next.
    LoadConfirmed,
    /// The load check is signed (`a` loaded, `b` missing).
    LoadChecked,
    /// The outcome needs photos (`a` required, `b` taken).
    PhotoRequired,
    /// No camera is configured.
    NoCamera,
    /// The camera gave no usable photo: take it again.
    CameraFailed,
    /// A parcel of the order is not scanned at the door yet: no code, no handover.
    OrderParcelNotScanned,
    /// The label scanned at the door is not a parcel of this order.
    NotInOrder,
    /// Every parcel of the order is refused: nothing to hand over.
    OrderAllRefused,
    /// The parcel goes to a stop desk: hand it over there.
    DeskStopParcel,
    /// Handed over to the stop desk already.
    HandedToDesk,
    /// The parcel does not go to a stop desk.
    NoDeskStop,
    /// The handover names another stop desk.
    WrongDesk,
    /// The parcel is not announced for this desk.
    NotThisDesk,
    /// Not taken in at this desk yet.
    NotReceivedAtDesk,
    /// Already taken in at this desk.
    AlreadyAtDesk,
    /// The holding period is over: it goes back.
    HoldingOver,
    /// Still within the holding period.
    HoldingRunning,
    /// The handover scanned is not the courier's recorded one.
    HandoverMismatch,
}

/// A notice: its kind and the numbers its sentence takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    /// Which sentence.
    pub kind: NoticeKind,
    /// First number of the sentence.
    pub a: i32,
    /// Second number of the sentence.
    pub b: i32,
}

impl NoticeKind {
    /// Every kind, for tests that check each has its words.
    pub fn all() -> impl Iterator<Item = NoticeKind> {
        <NoticeKind as strum::IntoEnumIterator>::iter()
    }

    /// The code the screens translate.
    pub fn code(self) -> &'static str {
        self.into()
    }
}

fn n(v: impl TryInto<i32>) -> i32 {
    v.try_into().unwrap_or(i32::MAX)
}

fn plain(kind: NoticeKind) -> Notice {
    Notice { kind, a: 0, b: 0 }
}

/// The notice for an error.
pub fn notice(e: &TerminalError) -> Notice {
    use NoticeKind as K;
    match e {
        TerminalError::Refused(r) => refusal(r),
        TerminalError::Manifest(m) => match m {
            ManifestRefusal::Expired { .. } => plain(K::ManifestExpired),
            ManifestRefusal::Signature(_)
            | ManifestRefusal::OtherDevice { .. }
            | ManifestRefusal::Rollback { .. }
            | ManifestRefusal::VersionReused(_)
            | ManifestRefusal::Invalid(_) => plain(K::ManifestRefused),
        },
        TerminalError::Store(s) => storage(s),
        TerminalError::Key(k) => match k {
            KeyError::Missing(_)
            | KeyError::Permissions(..)
            | KeyError::Damaged(_)
            | KeyError::Io { .. }
            | KeyError::Random => plain(K::KeyProblem),
        },
        TerminalError::CodeFormat(_) => plain(K::BadCode),
        TerminalError::BadCodeMaterial(_) => plain(K::CodeMaterial),
        TerminalError::UnknownLabel(_) => plain(K::UnknownLabel),
        TerminalError::AmbiguousLabel { matches, .. } => Notice {
            kind: K::AmbiguousLabel,
            a: n(*matches),
            b: 0,
        },
        TerminalError::UnknownEvent(_) => plain(K::UnknownEvent),
        TerminalError::OutOfBounds(_) => plain(K::TooLong),
        TerminalError::NotInitialised(_) => plain(K::NotSetUp),
        TerminalError::Identity(_) => plain(K::IdentityAtRisk),
        TerminalError::Protocol(_) | TerminalError::Inconsistent(_) => plain(K::Internal),
        TerminalError::Setup { .. } => plain(K::StorageError),
        TerminalError::NoCamera => plain(K::NoCamera),
        TerminalError::Camera(_) | TerminalError::Photo(_) => plain(K::CameraFailed),
        TerminalError::PhotoFile { source } => {
            if source.raw_os_error() == Some(28) {
                plain(K::StorageFull)
            } else {
                plain(K::StorageError)
            }
        }
        TerminalError::Supervisor(r) => match r {
            SupervisorRefusal::NotSignedIn => plain(K::SupervisorRequired),
            SupervisorRefusal::SessionExpired => plain(K::SupervisorSessionEnded),
            SupervisorRefusal::UnknownSupervisor(_) => plain(K::UnknownSupervisor),
            SupervisorRefusal::NoSuchFactor(_) => plain(K::SupervisorNoFactor),
            SupervisorRefusal::Format(_) => plain(K::BadBadgeOrPin),
            SupervisorRefusal::BadMaterial(_) => plain(K::SupervisorMaterial),
            SupervisorRefusal::NeedsNetwork => plain(K::SignInNeedsNetwork),
            SupervisorRefusal::ServerRefused(_) => plain(K::SignInRefused),
        },
    }
}

/// What the screen says (and how it sounds) for a scanned return.
pub fn scan_notice(v: &ScanVerdict) -> Notice {
    use NoticeKind as K;
    plain(match v {
        ScanVerdict::Received(ReturnItem::Parcel) => K::ScanReceived,
        ScanVerdict::Received(ReturnItem::CollectedItem) => K::ScanCollectedReceived,
        ScanVerdict::Received(ReturnItem::OrderParcel) => K::ScanReceived,
        ScanVerdict::AlreadyReceived => K::ScanAlreadyReceived,
        ScanVerdict::Unexpected(UnexpectedWhy::NotInManifest) => K::ScanNotInManifest,
        ScanVerdict::Unexpected(UnexpectedWhy::WasDelivered) => K::ScanWasDelivered,
        ScanVerdict::Unexpected(UnexpectedWhy::NeverCollected) => K::ScanNeverCollected,
        ScanVerdict::Unexpected(UnexpectedWhy::NeverLoaded) => K::ScanNeverLoaded,
    })
}

/// What the screen says (and how it sounds) for a parcel scanned at the
/// morning load check.
pub fn load_notice(v: &LoadVerdict) -> Notice {
    use NoticeKind as K;
    plain(match v {
        LoadVerdict::Loaded => K::LoadLoaded,
        LoadVerdict::AlreadyLoaded => K::LoadAlreadyLoaded,
        LoadVerdict::Alarm(LoadAlarmWhy::NotInManifest) => K::LoadNotInManifest,
        LoadVerdict::Alarm(LoadAlarmWhy::Withdrawn) => K::LoadWithdrawn,
        LoadVerdict::Alarm(LoadAlarmWhy::NotToLoad) => K::LoadNotToLoad,
    })
}

/// What the screen says for a supervisor's sign-in.
pub fn sign_in_notice(a: &SignInAnswer) -> Notice {
    use NoticeKind as K;
    match a {
        SignInAnswer::SignedIn(_) => plain(K::SupervisorSignedIn),
        SignInAnswer::Wrong { tries_left } => Notice {
            kind: K::SupervisorWrong,
            a: n(*tries_left),
            b: 0,
        },
        SignInAnswer::Locked { limit } => Notice {
            kind: K::SupervisorLocked,
            a: n(*limit),
            b: 0,
        },
    }
}

fn storage(s: &StoreError) -> Notice {
    use NoticeKind as K;
    match s {
        StoreError::Full(_) => plain(K::StorageFull),
        StoreError::ReadOnly(_) => plain(K::StorageReadOnly),
        StoreError::Corrupt(_) | StoreError::Decode(_) | StoreError::Schema(_) => {
            plain(K::StorageDamaged)
        }
        StoreError::Missing(_) => plain(K::NotSetUp),
        StoreError::Busy(_) => plain(K::StorageBusy),
        StoreError::Protocol(_) => plain(K::Internal),
        StoreError::Sqlite { .. } => plain(K::StorageError),
    }
}

/// The notice for a refusal by the doorstep rules.
pub fn refusal(r: &Refusal) -> Notice {
    use NoticeKind as K;
    match r {
        Refusal::AlreadyDelivered => plain(K::AlreadyDelivered),
        Refusal::Withdrawn => plain(K::Withdrawn),
        Refusal::ReturnedToDepot => plain(K::Returned),
        Refusal::Locked { limit } => Notice {
            kind: K::Locked,
            a: n(*limit),
            b: 0,
        },
        Refusal::NotArrived => plain(K::NotArrived),
        Refusal::AlreadyArrived => plain(K::AlreadyArrived),
        Refusal::Final(_) => plain(K::Final),
        Refusal::QrForOtherOrder { .. } => plain(K::QrOtherOrder),
        Refusal::NoQrForm => plain(K::NoQr),
        Refusal::DeliveredNeedsCode => plain(K::NeedsCode),
        Refusal::ReasonNotAllowed { .. } => plain(K::Reason),
        Refusal::NoAnswerNeedsFix => plain(K::NoAnswerNeedsFix),
        Refusal::NoAnswerTooFar {
            distance_m,
            radius_m,
        } => Notice {
            kind: K::NoAnswerTooFar,
            a: n(*distance_m),
            b: n(*radius_m),
        },
        Refusal::NoAnswerWaitNotOver { remaining_s } => Notice {
            kind: K::NoAnswerWait,
            a: n(*remaining_s),
            b: 0,
        },
        Refusal::NoAnswerNeedsContacts { done, needed } => Notice {
            kind: K::NoAnswerContacts,
            a: n(*done),
            b: n(*needed),
        },
        Refusal::NothingToCollect => plain(K::NothingToCollect),
        Refusal::WrongCollectedItem { .. } => plain(K::WrongItemCollected),
        Refusal::CollectFirst => plain(K::CollectFirst),
        Refusal::InspectFirst => plain(K::InspectFirst),
        Refusal::DayNotReconciled { missing, pending } => Notice {
            kind: K::DayNotReconciled,
            a: n(*missing),
            b: n(*pending),
        },
        Refusal::BadCorrection(_) => plain(K::BadCorrection),
        Refusal::BadFeeChange(_) => plain(K::BadFeeChange),
        Refusal::CourierConfirmationRequired => plain(K::CourierConfirmFirst),
        Refusal::ConfirmationOutdated => plain(K::ConfirmationOutdated),
        Refusal::DayAlreadyClosed => plain(K::DayAlreadyClosed),
        Refusal::ReturnsUnaccounted { missing } => Notice {
            kind: K::ReturnsUnaccounted,
            a: n(*missing),
            b: 0,
        },
        Refusal::ForceNeedsReason => plain(K::ForceNeedsReason),
        Refusal::ConditionNeedsReason => plain(K::ConditionNeedsReason),
        Refusal::NotReceived => plain(K::NotReceived),
        Refusal::SupervisorRequired => plain(K::CorrectionNeedsSupervisor),
        Refusal::DayClosedMissing { .. } => plain(K::DayClosedMissing),
        Refusal::NotLoaded { .. } => plain(K::NotLoaded),
        Refusal::OrderParcelNotScanned { .. } => plain(K::OrderParcelNotScanned),
        Refusal::NotInOrder { .. } => plain(K::NotInOrder),
        Refusal::OrderAllRefused => plain(K::OrderAllRefused),
        Refusal::DeskStopParcel { .. } => plain(K::DeskStopParcel),
        Refusal::HandedToDesk { .. } => plain(K::HandedToDesk),
        Refusal::NoDeskStop { .. } => plain(K::NoDeskStop),
        Refusal::WrongDesk { .. } => plain(K::WrongDesk),
        Refusal::NotThisDesk { .. } => plain(K::NotThisDesk),
        Refusal::NotReceivedAtDesk { .. } => plain(K::NotReceivedAtDesk),
        Refusal::AlreadyAtDesk { .. } => plain(K::AlreadyAtDesk),
        Refusal::HoldingOver { .. } => plain(K::HoldingOver),
        Refusal::HoldingRunning { .. } => plain(K::HoldingRunning),
        Refusal::HandoverMismatch => plain(K::HandoverMismatch),
        Refusal::PhotoRequired {
            required, taken, ..
        } => Notice {
            kind: K::PhotoRequired,
            a: n(*required),
            b: n(*taken),
        },
    }
}

/// The notice for a failed enrollment (the first-run screen).
pub fn enrollment(e: &EnrollError) -> Notice {
    use NoticeKind as K;
    match e {
        EnrollError::Terminal(t) => notice(t),
        EnrollError::Unreachable { .. } => plain(K::EnrollUnreachable),
        EnrollError::Untrusted { .. } => plain(K::EnrollUntrusted),
        EnrollError::Refused { .. } => plain(K::EnrollRefused),
        EnrollError::WrongServer { .. } => plain(K::EnrollWrongServer),
        EnrollError::AlreadyEnrolled(_) => plain(K::EnrollAlreadyDone),
        EnrollError::PlainHttp(_) => plain(K::EnrollPlainHttp),
    }
}
