//! Test vectors published in `docs/protocol.md`: the document and the code agree.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use courier_protocol::code_verifier::BuyerSecret;
use courier_protocol::envelope::{
    ClockStamp, EVENT_SCHEMA, EventBody, FixRecord, GENESIS_PREV_HASH, PositionRecord, SignedEvent,
    Verification,
};
use courier_protocol::keys::{Signer, sha256};
use courier_protocol::vocabulary::{
    CheckMode, CheckResult, EntryMode, EventKind, Liability, Outcome,
};
use ring::signature::Ed25519KeyPair;

fn device_key() -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(&[7u8; 32]).expect("seed")
}

fn vector_body() -> EventBody {
    EventBody {
        schema: EVENT_SCHEMA.into(),
        event_id: "0190f5d2-7a00-7000-8000-000000000001".into(),
        device_id: "CT-DEMO-0001".into(),
        seq: 1,
        prev_hash: GENESIS_PREV_HASH.into(),
        kind: EventKind::Outcome,
        parcel_id: Some("P-0001".into()),
        order_ref: Some("CMD-10013".into()),
        outcome: Some(Outcome::Delivered),
        reason: None,
        liability: Some(Liability::None),
        verification: Some(Verification {
            entry: EntryMode::Keypad,
            check: CheckMode::Offline,
            result: CheckResult::Match,
            attempt: 1,
            attempt_limit: 5,
        }),
        code_proof: None,
        inspection_offered: Some(true),
        corrects: None,
        detail: BTreeMap::new(),
        position: PositionRecord {
            status: "fix".into(),
            source: "gnss".into(),
            fix: Some(FixRecord {
                lat_e7: 367_640_000,
                lon_e7: 30_510_000,
                alt_cm: Some(4_250),
                hdop_centi: Some(90),
                satellites: Some(9),
                mode: "3d".into(),
                fix_utc_ms: Some(1_795_464_000_000),
                age_ms: 800,
            }),
            last_fix: None,
        },
        clock: ClockStamp {
            device_utc_ms: 1_795_464_000_420,
            monotonic_ms: 5_230_117,
            boot_id: "6f1c2a4e-0d7b-4a8e-9c55-3b2f1e0a9d11".into(),
        },
        gnss_utc_ms: Some(1_795_464_000_400),
        manifest_version: Some(1),
        app_version: "0.1.0".into(),
    }
}

struct Vectors {
    public_key: String,
    code_key: String,
    verifier: String,
    proof_digest: String,
    proof: String,
    canonical: String,
    hash: String,
    signature: String,
}

fn compute() -> Vectors {
    let key = device_key();
    let salt = hex::decode("000102030405060708090a0b0c0d0e0f").expect("hex");
    let k = BuyerSecret::numeric("482913", 6)
        .expect("code")
        .derive_key(&salt, NonZeroU32::new(1000).expect("nz"));
    let mut body = vector_body();
    let digest = body.proof_digest().expect("digest");
    body.code_proof = Some(hex::encode(k.proof(&digest)));
    let sealed = SignedEvent::seal(body.clone(), &key).expect("seal");
    Vectors {
        public_key: key.public_key().to_hex(),
        code_key: hex::encode(k.as_bytes()),
        verifier: hex::encode(k.verifier()),
        proof_digest: hex::encode(digest),
        proof: body.code_proof.clone().expect("proof"),
        canonical: String::from_utf8(body.canonical_bytes().expect("bytes")).expect("utf8"),
        hash: sealed.hash.clone(),
        signature: sealed.signature,
    }
}

#[test]
fn published_vectors_match_the_code() {
    let v = compute();
    assert_eq!(v.hash, hex::encode(sha256(v.canonical.as_bytes())));
    if std::env::var_os("PRINT_VECTORS").is_some() {
        println!(
            "public_key {}\nK {}\nV {}\nproof_digest {}\nproof {}\ncanonical {}\nhash {}\nsignature {}",
            v.public_key,
            v.code_key,
            v.verifier,
            v.proof_digest,
            v.proof,
            v.canonical,
            v.hash,
            v.signature
        );
    }
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/protocol.md"))
        .expect("docs/protocol.md");
    for (name, value) in [
        ("public key", &v.public_key),
        ("K", &v.code_key),
        ("V", &v.verifier),
        ("proof digest", &v.proof_digest),
        ("proof", &v.proof),
        ("canonical bytes", &v.canonical),
        ("hash", &v.hash),
        ("signature", &v.signature),
    ] {
        assert!(
            doc.contains(value.as_str()),
            "docs/protocol.md lacks the {name} vector {value}"
        );
    }
}
