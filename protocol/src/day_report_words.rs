//! The words a person reads in a day report's exports (CSV, printed sheet),
//! in French: one place, so the terminal's files and the server's back-office
//! answers say the same thing. The protocol codes stay beside them in the CSV.

use crate::rules::day_report::{DayRow, FeeBasis, ReturnStatus};
use crate::vocabulary::{Liability, Outcome, ParcelKind, Reason};

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

/// The condition at intake, in French (an unknown code is shown as recorded).
pub fn condition_fr(code: &str) -> String {
    match code {
        "intact" => "Intact".into(),
        "damaged" => "Endommagé".into(),
        "opened" => "Ouvert".into(),
        other => other.to_owned(),
    }
}

/// The row's result in French: the outcome, else withdrawn or never attempted.
pub fn result_fr(r: &DayRow) -> &'static str {
    match (r.outcome, r.withdrawn, r.parcel_id.is_some()) {
        (Some(o), _, _) => outcome_fr(o),
        (None, true, _) => "Retiré par le serveur",
        (None, false, true) => "Non tenté",
        (None, false, false) => "Hors manifeste",
    }
}

/// Why the row's payer pays, in French.
pub fn fee_why_fr(r: &DayRow) -> String {
    let Some(f) = &r.return_fees else {
        return match r.outcome {
            None if r.parcel_id.is_some() => "aucun résultat enregistré".into(),
            _ => String::new(),
        };
    };
    let outcome = r.outcome.map(outcome_fr).unwrap_or("-");
    let note = f
        .note
        .as_deref()
        .map(|n| format!(" : « {n} »"))
        .unwrap_or_default();
    match f.basis {
        FeeBasis::Outcome => format!("selon le résultat ({outcome})"),
        FeeBasis::Correction => format!("résultat corrigé en « {outcome} »{note}"),
        FeeBasis::FeeChange => format!("changement validé par le livreur et le superviseur{note}"),
    }
}
