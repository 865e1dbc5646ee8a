//! A sample day in Algiers for the demo, the tests and the benchmarks.
//!
//! Codes come from [`CodeSeed::demo`], so anyone holding the demo secret can
//! print them (`courier-terminal dev codes`); a real server uses fresh randomness.

use std::num::NonZeroU32;

use courier_protocol::ProtocolError;
use courier_protocol::issuing::{CodeSeed, issue_codes};
use courier_protocol::keys::{Signer, sha256};
use courier_protocol::manifest::{
    Address, Collect, DEFAULT_ATTEMPT_LIMIT, MANIFEST_SCHEMA, ManifestBody, ManifestParcel,
    ManifestSettings, Recipient, SignedManifest,
};
use courier_protocol::order_parcels::OrderParcel;
use courier_protocol::supervisor::{
    DEFAULT_SUPERVISOR_ATTEMPT_LIMIT, IssuedSupervisor, issue_supervisor_from,
};
use courier_protocol::vocabulary::{CodePolicy, ParcelKind};
use serde::{Deserialize, Serialize};

/// The sample day's depot.
pub const SAMPLE_DEPOT: &str = "Dépôt Alger-Est";

/// The demo secret the sample codes derive from.
pub const DEMO_SECRET: &str = "courier-terminal-demo";

/// A buyer's codes, as the demo prints them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SampleCode {
    /// Parcel label.
    pub label: String,
    /// Order reference.
    pub order_ref: String,
    /// Numeric code (SMS).
    pub numeric: String,
    /// QR text (e-mail, app).
    pub qr: String,
    /// Policy of the parcel.
    pub policy: CodePolicy,
}

/// A signed manifest and the buyers' codes.
pub struct SampleDay {
    /// The signed manifest.
    pub manifest: SignedManifest,
    /// The codes of every parcel.
    pub codes: Vec<SampleCode>,
    /// The depot supervisor the manifest lists, with their badge and PIN.
    pub supervisor: SampleSupervisor,
}

/// The sample depot supervisor, as the demo prints them for the tester.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SampleSupervisor {
    /// Supervisor id.
    pub supervisor_id: String,
    /// Name.
    pub name: String,
    /// The badge QR's text (scan it, or paste it).
    pub badge_text: String,
    /// The PIN.
    pub pin: String,
}

/// Id of the sample supervisor.
pub const SAMPLE_SUPERVISOR_ID: &str = "SUP-ALGER-EST-1";
/// PIN of the sample supervisor (a demo value: a real one is the supervisor's own).
pub const SAMPLE_SUPERVISOR_PIN: &str = "135790";

/// The sample supervisor's credential (with the keys a server keeps), derived
/// from the demo secret so the badge the demo prints stays the same from run
/// to run.
pub fn sample_supervisor(
    iterations: u32,
) -> Result<(IssuedSupervisor, SampleSupervisor), ProtocolError> {
    let mut random = [0u8; 48];
    random[..32].copy_from_slice(&sha256(format!("{DEMO_SECRET}|supervisor|a").as_bytes()));
    random[32..].copy_from_slice(&sha256(format!("{DEMO_SECRET}|supervisor|b").as_bytes())[..16]);
    let name = "Samira Belkacem";
    let issued = issue_supervisor_from(
        &random,
        SAMPLE_SUPERVISOR_ID,
        name,
        true,
        Some(SAMPLE_SUPERVISOR_PIN),
        NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN),
        DEFAULT_SUPERVISOR_ATTEMPT_LIMIT,
    )
    .map_err(|e| ProtocolError::Json(e.to_string()))?;
    let sample = SampleSupervisor {
        supervisor_id: SAMPLE_SUPERVISOR_ID.to_owned(),
        name: name.to_owned(),
        badge_text: issued.badge_text.clone().unwrap_or_default(),
        pin: SAMPLE_SUPERVISOR_PIN.to_owned(),
    };
    Ok((issued, sample))
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct SampleSpec<'a> {
    /// Device the manifest is for.
    pub device_id: &'a str,
    /// Manifest version.
    pub version: u64,
    /// Issue time, ms.
    pub issued_at_ms: i64,
    /// Validity, ms.
    pub valid_for_ms: i64,
    /// Number of parcels.
    pub parcels: usize,
    /// PBKDF2 iterations for numeric codes.
    pub iterations: u32,
    /// Labels to mark withdrawn.
    pub withdrawn: &'a [String],
    /// Every parcel must be scanned into the vehicle at the morning load check.
    pub load_check: bool,
    /// Route positions (from 1) of plain deliveries made orders of two
    /// parcels under one code: the second labelled `<label>B`, the amount
    /// split in two (others are left as they are).
    pub two_parcel_orders: &'a [u32],
}

const STREETS: [(&str, &str, f64, f64); 20] = [
    ("12 rue Didouche Mourad", "Alger-Centre", 36.7640, 3.0510),
    (
        "5 boulevard Zighout Youcef",
        "Alger-Centre",
        36.7770,
        3.0620,
    ),
    ("23 rue Larbi Ben M'hidi", "Alger-Centre", 36.7740, 3.0580),
    ("8 rue Hassiba Ben Bouali", "Sidi M'Hamed", 36.7610, 3.0600),
    ("41 chemin Sfindja", "El Mouradia", 36.7480, 3.0450),
    (
        "2 rue des Frères Bouadou",
        "Bir Mourad Raïs",
        36.7360,
        3.0500,
    ),
    ("17 boulevard Krim Belkacem", "Télemly", 36.7600, 3.0420),
    ("9 rue Mohamed Belouizdad", "Belouizdad", 36.7510, 3.0700),
    ("30 avenue de l'ALN", "Hussein Dey", 36.7400, 3.0950),
    ("14 cité des Annassers", "Kouba", 36.7250, 3.0800),
    ("6 rue Ahmed Ouaked", "Dely Ibrahim", 36.7550, 2.9800),
    ("21 boulevard des Martyrs", "El Biar", 36.7690, 3.0280),
    ("3 place Émir Abdelkader", "Alger-Centre", 36.7750, 3.0570),
    ("45 rue Ali Amar", "Bab El Oued", 36.7900, 3.0480),
    ("11 cité Diar Es Saâda", "El Madania", 36.7450, 3.0680),
    ("27 rue Tripoli", "Hussein Dey", 36.7380, 3.1000),
    ("19 lotissement Ben Haddadi", "Chéraga", 36.7600, 2.9500),
    ("7 rue Colonel Amirouche", "Alger-Centre", 36.7700, 3.0560),
    ("33 boulevard Saïd Hamdine", "Hydra", 36.7420, 3.0230),
    ("10 rue Abane Ramdane", "Alger-Centre", 36.7720, 3.0600),
];

const NAMES: [&str; 12] = [
    "Amina Belkacem",
    "Yacine Haddad",
    "Sara Meziane",
    "Karim Boudiaf",
    "Nadia Cherif",
    "Rachid Bensalah",
    "Lina Ait Ahmed",
    "Sofiane Kaci",
    "Meriem Lounis",
    "Walid Saadi",
    "Imane Taleb",
    "Samir Ouali",
];

/// The two parcels of a sample order of `amount_minor`: the first under the
/// order's label (a pair of shoes), the second `<label>B` (a bag).
pub fn two_parcels(label: &str, amount_minor: i64) -> Vec<OrderParcel> {
    let first = amount_minor * 3 / 5;
    vec![
        OrderParcel {
            label: label.to_owned(),
            amount_minor: first,
            description: Some("Chaussures de sport".into()),
        },
        OrderParcel {
            label: format!("{label}B"),
            amount_minor: amount_minor - first,
            description: Some("Sac à main".into()),
        },
    ]
}

/// Builds and signs the sample day.
pub fn sample_day(spec: &SampleSpec<'_>, server: &dyn Signer) -> Result<SampleDay, ProtocolError> {
    let iterations = NonZeroU32::new(spec.iterations).unwrap_or(NonZeroU32::MIN);
    let mut parcels = Vec::with_capacity(spec.parcels);
    let mut codes = Vec::with_capacity(spec.parcels);
    for i in 0..spec.parcels {
        let n = i + 1;
        let label = format!("DZ{:08}", 40_000_000 + n * 37);
        let order_ref = format!("CMD-{:05}", 10_000 + n * 13);
        let kind = match n % 10 {
            4 => ParcelKind::Exchange,
            8 => ParcelKind::Pickup,
            _ => ParcelKind::Delivery,
        };
        let policy = if n % 9 == 0 {
            CodePolicy::OnlineOnly
        } else {
            CodePolicy::OfflineAllowed
        };
        let issued = issue_codes(
            &CodeSeed::demo(DEMO_SECRET, &order_ref),
            &order_ref,
            6,
            iterations,
            policy,
        )?;
        let (street, city, lat, lon) = STREETS[i % STREETS.len()];
        let jitter = (i / STREETS.len()) as f64 * 0.0007;
        let with_coords = n % 12 != 0;
        parcels.push(ManifestParcel {
            parcel_id: format!("P-{n:04}"),
            label: label.clone(),
            order_ref: order_ref.clone(),
            kind,
            route_order: n as u32,
            recipient: Recipient {
                name: NAMES[i % NAMES.len()].to_owned(),
                phone: format!(
                    "+213 5{:02} {:02} {:02} {:02}",
                    (n * 7) % 100,
                    (n * 3) % 100,
                    (n * 11) % 100,
                    n % 100
                ),
            },
            address: Address {
                text: street.to_owned(),
                city: city.to_owned(),
                lat_e7: with_coords.then(|| ((lat + jitter) * 1e7).round() as i64),
                lon_e7: with_coords.then(|| ((lon + jitter) * 1e7).round() as i64),
            },
            instructions: (n % 3 == 0).then(|| "Appeler avant de monter, 3e étage".to_owned()),
            amount_minor: ((1_500 + (n * 2_750) % 43_500) as i64) * 100,
            currency: "DZD".into(),
            collect: match kind {
                ParcelKind::Delivery => None,
                ParcelKind::Exchange => Some(Collect {
                    description: "Article à échanger (taille M)".into(),
                    label: Some(format!("RT{:08}", n)),
                }),
                ParcelKind::Pickup => Some(Collect {
                    description: "Retour client : chaussures".into(),
                    label: None,
                }),
            },
            policy,
            attempt_limit: DEFAULT_ATTEMPT_LIMIT,
            code: issued.material,
            withdrawn: spec.withdrawn.contains(&label),
            load_check: spec.load_check,
            order_parcels: if kind == ParcelKind::Delivery
                && spec.two_parcel_orders.contains(&(n as u32))
            {
                two_parcels(&label, ((1_500 + (n * 2_750) % 43_500) as i64) * 100)
            } else {
                Vec::new()
            },
            desk: None,
        });
        codes.push(SampleCode {
            label,
            order_ref,
            numeric: issued.numeric_code,
            qr: issued.qr_text,
            policy,
        });
    }
    let (issued, supervisor) = sample_supervisor(spec.iterations)?;
    let credential = issued.credential;
    let body = ManifestBody {
        schema: MANIFEST_SCHEMA.to_owned(),
        version: spec.version,
        device_id: spec.device_id.to_owned(),
        issued_at_ms: spec.issued_at_ms,
        expires_at_ms: spec.issued_at_ms + spec.valid_for_ms,
        depot: SAMPLE_DEPOT.into(),
        settings: ManifestSettings::default(),
        parcels,
        // No PIN verifier reaches a device; the sample depot allows the
        // badge as an offline factor (a PIN needs the server).
        supervisors: vec![credential.for_devices(true)],
        offline_badge: true,
        photos: Default::default(),
    };
    Ok(SampleDay {
        manifest: SignedManifest::sign(body, server)?,
        codes,
        supervisor,
    })
}
