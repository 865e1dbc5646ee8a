//! The words a person reads in a day report's exports (CSV, printed sheet),
//! in French: one place, so the terminal's files and the server's back-office
//! answers say the same thing. The protocol codes stay beside them in the CSV.

use crate::rules::day_report::{DayRow, ReturnStatus};
use crate::rules::returns::{PayerWhy, ReturnItem, UnexpectedWhy};
use crate::vocabulary::{Condition, Liability, Outcome, ParcelKind, Reason};

/// An outcome, in French.
pub fn outcome_fr(o: Outcome) -> &'static str {
    match o {
        Outcome::Delivered => "Livré",
        Outcome::RefusedAfterInspection => "Refusé après inspection",
        Outcome::BuyerCancelled => "Annulé par l'acheteur à la porte",
        Outcome::NoAnswer => "Pas de réponse",
        Outcome::NoCode => "Sans code valide",
        Outcome::CarrierProblem => "Problème transporteur",
    }
}

/// A reason, in French.
pub fn reason_fr(r: Reason) -> &'static str {
    match r {
        Reason::Damaged => "produit endommagé",
        Reason::NotAsDescribed => "non conforme à la description",
        Reason::WrongItem => "mauvais article",
        Reason::ChangedMind => "a changé d'avis",
        Reason::Absent => "personne à l'adresse",
        Reason::CodeUnknown => "code inconnu de l'acheteur",
        Reason::AttemptsExhausted => "essais de code épuisés",
        Reason::NeedsNetwork => "vérification en ligne impossible (réseau)",
        Reason::AddressNotFound => "adresse introuvable",
        Reason::DamagedInTransit => "endommagé pendant le transport",
        Reason::Vehicle => "problème de véhicule",
        Reason::Other => "autre",
    }
}

/// Who pays, in French.
pub fn payer_fr(l: Liability) -> &'static str {
    match l {
        Liability::None => "Personne",
        Liability::Buyer => "Acheteur",
        Liability::Seller => "Vendeur",
        Liability::Carrier => "Transporteur",
        Liability::PerPolicy => "Selon la politique de retour",
    }
}

/// A parcel kind, in French.
pub fn kind_fr(k: ParcelKind) -> &'static str {
    match k {
        ParcelKind::Delivery => "Livraison",
        ParcelKind::Exchange => "Échange",
        ParcelKind::Pickup => "Enlèvement",
    }
}

/// Where a parcel stands for the depot, in French.
pub fn return_status_fr(s: ReturnStatus) -> &'static str {
    match s {
        ReturnStatus::NotExpected => "Rien à rapporter",
        ReturnStatus::Received => "Reçu au dépôt",
        ReturnStatus::Missing => "Manquant",
        ReturnStatus::Unexpected => "Inattendu (alerte)",
    }
}

/// The condition at intake, in French.
pub fn condition_fr(c: Condition) -> &'static str {
    match c {
        Condition::Intact => "Intact",
        Condition::Damaged => "Endommagé",
        Condition::Opened => "Ouvert",
    }
}

/// Why a scanned label was not expected, in French.
pub fn unexpected_fr(why: UnexpectedWhy) -> &'static str {
    match why {
        UnexpectedWhy::NotInManifest => "hors manifeste",
        UnexpectedWhy::WasDelivered => "enregistré comme livré",
        UnexpectedWhy::NeverCollected => "jamais enregistré comme collecté",
        UnexpectedWhy::NeverLoaded => "jamais chargé au départ du dépôt",
    }
}

/// Which item a row is, in French.
pub fn item_fr(item: ReturnItem) -> &'static str {
    match item {
        ReturnItem::Parcel => "Colis",
        ReturnItem::CollectedItem => "Article collecté",
        ReturnItem::OrderParcel => "Colis de la commande",
    }
}

/// An amount in minor units, in French (`2 550,00`).
pub fn minor_fr(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let units = (minor / 100).unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push('\u{202f}');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped},{:02}", (minor % 100).unsigned_abs())
}

/// The row's result in French: the outcome, else why it has none.
pub fn result_fr(r: &DayRow) -> String {
    if let Some(u) = &r.unexpected {
        return format!("Inattendu : {}", unexpected_fr(u.why));
    }
    if r.item == ReturnItem::CollectedItem {
        return "Article collecté chez l'acheteur".into();
    }
    if let Some(h) = &r.handover {
        // An order of several parcels: what was handed over and released.
        return format!(
            "Livré en partie : {} colis remis ({}), {} libérés",
            h.labels.len(),
            h.labels.join(", "),
            minor_fr(h.amount_minor)
        );
    }
    if r.item == ReturnItem::OrderParcel
        && let Some(o) = r.outcome
    {
        return format!("Colis de la commande : {}", outcome_fr(o));
    }
    match (r.outcome, r.withdrawn) {
        (Some(o), _) => outcome_fr(o).into(),
        (None, true) => "Retiré par le serveur".into(),
        (None, false) if r.code_tries > 0 => "Sans résultat".into(),
        (None, false) => "Non tenté".into(),
    }
}

/// Why the row's payer pays, in French.
pub fn fee_why_fr(r: &DayRow) -> String {
    let Some(f) = &r.return_fees else {
        return String::new();
    };
    match &f.why {
        PayerWhy::Outcome { outcome, reason } => match reason {
            Some(reason) => format!(
                "selon le résultat ({}, {})",
                outcome_fr(*outcome),
                reason_fr(*reason)
            ),
            None => format!("selon le résultat ({})", outcome_fr(*outcome)),
        },
        PayerWhy::Withdrawn => "retiré avant expédition : politique de retour".into(),
        PayerWhy::Locked => "bloqué (essais de code épuisés) : politique de retour".into(),
        PayerWhy::NotAttempted => "jamais tenté par le transporteur".into(),
        PayerWhy::Collected => "article collecté : pas de frais de retour".into(),
        PayerWhy::Changed { note, previous, .. } => format!(
            "changé au dépôt par le superviseur, confirmé par le livreur (avant : {}) : « {note} »",
            payer_fr(*previous)
        ),
    }
}
