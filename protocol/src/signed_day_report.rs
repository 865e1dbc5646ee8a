//! The signed JSON day report: a [`DayReport`] signed by the device key, so a
//! merchant, a carrier or an auditor checks it with the device's enrolled
//! public key and standard tools (`docs/protocol.md`, "Day reports").
//!
//! `signature = Ed25519(device key, canonical(body))`. The body's `schema`
//! (`courier.day_report.v1`) differs from an event's, so a report signature
//! can never pass for an event's, nor the reverse.

use serde::{Deserialize, Serialize};

use crate::ProtocolError;
use crate::canonical::to_canonical_bytes;
use crate::keys::{PublicKey, Signer, decode_hex_array};
use crate::rules::day_report::{DAY_REPORT_SCHEMA, DayReport};

/// A day report with the device's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedDayReport {
    /// The signed content.
    pub body: DayReport,
    /// Ed25519 signature of the canonical body by the device key, hex.
    pub signature: String,
}

impl SignedDayReport {
    /// Signs a report with the device key.
    pub fn sign(body: DayReport, signer: &dyn Signer) -> Result<Self, ProtocolError> {
        let bytes = to_canonical_bytes(&body)?;
        Ok(SignedDayReport {
            body,
            signature: hex::encode(signer.sign(&bytes)),
        })
    }

    /// Checks the schema and the signature (strictly) with the device key.
    pub fn verify(&self, device_key: &PublicKey) -> Result<&DayReport, ProtocolError> {
        if self.body.schema != DAY_REPORT_SCHEMA {
            return Err(ProtocolError::WrongSchema {
                found: self.body.schema.clone(),
                expected: DAY_REPORT_SCHEMA,
            });
        }
        let bytes = to_canonical_bytes(&self.body)?;
        let sig = decode_hex_array::<64>(&self.signature, "signature")?;
        device_key.verify(&bytes, &sig, "day report")?;
        Ok(&self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{generate_pkcs8, keypair_from_pkcs8};
    use crate::rules::day_report::ReportTotals;

    fn report() -> DayReport {
        DayReport {
            schema: DAY_REPORT_SCHEMA.into(),
            device_id: "CT-1".into(),
            depot: Some("Oran".into()),
            day: crate::day_window::DayWindow::parse("2026-11-25", "Z").expect("day"),
            manifest_version: Some(1),
            courier: None,
            supervisor: Some("سارة".into()),
            since_seq: 0,
            rows: Vec::new(),
            totals: ReportTotals::default(),
            head: None,
            day_closed: None,
        }
    }

    #[test]
    fn a_signed_report_verifies_and_any_edit_or_other_key_fails() {
        let key = keypair_from_pkcs8(&generate_pkcs8().expect("gen")).expect("key");
        let other = keypair_from_pkcs8(&generate_pkcs8().expect("gen")).expect("key");
        let signed = SignedDayReport::sign(report(), &key).expect("sign");
        assert!(signed.verify(&key.public_key()).is_ok());
        assert!(signed.verify(&other.public_key()).is_err());
        let mut edited = signed.clone();
        edited.body.totals.missing = 1;
        assert!(edited.verify(&key.public_key()).is_err());
        let mut renamed = signed.clone();
        renamed.body.schema = "courier.event.v1".into();
        assert!(renamed.verify(&key.public_key()).is_err());
    }
}
