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
            reason: None,
        },
        clock: ClockStamp {
            device_utc_ms: 1_795_464_000_420,
            monotonic_ms: 5_230_117,
            boot_id: "6f1c2a4e-0d7b-4a8e-9c55-3b2f1e0a9d11".into(),
        },
        gnss_utc_ms: Some(1_795_464_000_400),
        manifest_version: Some(1),
        app_version: "0.1.0".into(),
        supervisor: None,
        day: None,
        load: None,
        photos: Vec::new(),
        handover: None,
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

/// Vectors of the issuing side and the online check: the manifest's `code`
/// object, `K` of the QR form, the online-check digest over the raw nonce
/// bytes, and a server checkpoint.
struct MoreVectors {
    numeric_code: String,
    qr_text: String,
    code_object: String,
    k_numeric: String,
    k_qr: String,
    online_digest: String,
    online_proof: String,
    checkpoint_canonical: String,
    checkpoint_signature: String,
    server_public_key: String,
}

fn compute_more() -> MoreVectors {
    use courier_protocol::api::online_check_digest;
    use courier_protocol::checkpoint::SignedCheckpoint;
    use courier_protocol::envelope::ChainTip;
    use courier_protocol::issuing::{CodeSeed, issue_codes};
    use courier_protocol::vocabulary::CodePolicy;

    let seed = CodeSeed::demo("vector-secret", "CMD-10013");
    let it = NonZeroU32::new(1000).expect("nz");
    let codes = issue_codes(&seed, "CMD-10013", 6, it, CodePolicy::OfflineAllowed).expect("issue");
    // The QR form: K from the 22 ASCII characters of the token, as scanned.
    let (_, token) = courier_protocol::code_verifier::parse_qr(&codes.qr_text).expect("qr");
    let qr_salt = hex::decode(&codes.material.qr.as_ref().expect("qr").salt).expect("hex");
    let k_qr = BuyerSecret::from_qr(&codes.qr_text)
        .expect("qr")
        .1
        .derive_key(&qr_salt, it);
    assert_eq!(k_qr.as_bytes(), codes.qr_key.as_bytes());
    assert_eq!(token.len(), 22);
    let nonce: [u8; 16] = std::array::from_fn(|i| i as u8);
    let digest = online_check_digest(&nonce);
    let server = Ed25519KeyPair::from_seed_unchecked(&[9u8; 32]).expect("seed");
    let cp = SignedCheckpoint::sign(
        "CT-DEMO-0001",
        &ChainTip {
            seq: 1,
            hash: compute().hash,
        },
        1_795_464_001_000,
        &server,
    )
    .expect("sign");
    MoreVectors {
        numeric_code: codes.numeric_code.clone(),
        qr_text: codes.qr_text.clone(),
        code_object: String::from_utf8(
            courier_protocol::canonical::to_canonical_bytes(&codes.material).expect("bytes"),
        )
        .expect("utf8"),
        k_numeric: hex::encode(codes.numeric_key.as_bytes()),
        k_qr: hex::encode(k_qr.as_bytes()),
        online_digest: hex::encode(digest),
        online_proof: hex::encode(codes.numeric_key.proof(&digest)),
        checkpoint_canonical: String::from_utf8(
            courier_protocol::canonical::to_canonical_bytes(&cp.body).expect("bytes"),
        )
        .expect("utf8"),
        checkpoint_signature: cp.signature,
        server_public_key: server.public_key().to_hex(),
    }
}

#[test]
fn issuing_online_check_and_checkpoint_vectors_match_the_document() {
    let v = compute_more();
    if std::env::var_os("PRINT_VECTORS").is_some() {
        println!(
            "numeric_code {}\nqr_text {}\ncode {}\nK_numeric {}\nK_qr {}\nonline_digest {}\nonline_proof {}\ncheckpoint {}\ncheckpoint_sig {}\nserver_pk {}",
            v.numeric_code,
            v.qr_text,
            v.code_object,
            v.k_numeric,
            v.k_qr,
            v.online_digest,
            v.online_proof,
            v.checkpoint_canonical,
            v.checkpoint_signature,
            v.server_public_key
        );
    }
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/protocol.md"))
        .expect("docs/protocol.md");
    for (name, value) in [
        ("numeric code", &v.numeric_code),
        ("QR text", &v.qr_text),
        ("code object", &v.code_object),
        ("K numeric", &v.k_numeric),
        ("K QR", &v.k_qr),
        ("online-check digest", &v.online_digest),
        ("online-check proof", &v.online_proof),
        ("checkpoint canonical bytes", &v.checkpoint_canonical),
        ("checkpoint signature", &v.checkpoint_signature),
        ("server public key", &v.server_public_key),
    ] {
        assert!(
            doc.contains(value.as_str()),
            "docs/protocol.md lacks the {name} vector {value}"
        );
    }
}

/// A batch verifies each event with the key checked once: the same verdict
/// as the single check, and the bytes it returns make the same log leaf.
#[test]
fn a_key_checked_once_verifies_as_the_single_check_and_gives_the_same_leaf() {
    let key = device_key();
    let sealed = SignedEvent::seal(vector_body(), &key).expect("seal");
    let public = courier_protocol::keys::Signer::public_key(&key);
    let strong = public.strong().expect("strong key");
    let bytes = sealed.verify_strong(&strong).expect("verifies");
    sealed.verify(&public).expect("verifies");
    assert_eq!(
        courier_protocol::merkle_log::leaf_hash_of(bytes, &sealed.signature).expect("leaf"),
        courier_protocol::merkle_log::leaf_hash(&sealed).expect("leaf")
    );
    let mut forged = sealed.clone();
    forged.body.seq += 1;
    assert!(forged.verify_strong(&strong).is_err());
    assert!(forged.verify(&public).is_err());
    let mut bad_signature = sealed;
    bad_signature.signature = "00".repeat(64);
    assert!(bad_signature.verify_strong(&strong).is_err());
    // A small-order key is refused before any signature is looked at.
    assert!(
        courier_protocol::keys::PublicKey([0; 32]).strong().is_err(),
        "weak key accepted"
    );
}
