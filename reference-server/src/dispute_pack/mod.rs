//! The dispute pack of one order (issue 23, point 3): one file a bank or an
//! arbiter verifies with standard tools and none of our code
//! (`docs/protocol.md`, "Dispute pack"). [`evidence`] reads what it holds,
//! [`timeline`] and [`timeline_pdf`] tell it in words (fr, ar, en),
//! [`archive`] writes the signed tar.

pub mod archive;
pub mod evidence;
pub mod timeline;
pub mod timeline_pdf;
pub mod timeline_words;

use courier_protocol::keys::Signer;
use courier_protocol::photo::PhotoRef;
use courier_protocol::rules::operator_role::DepotScope;
use serde::Serialize;

use crate::error::ServerError;
use crate::operator_rows::NewAudit;
use crate::photo_store::PhotoBlobs;
use crate::storage::Storage;
use archive::{PackFile, safe_name, write_tar};
use evidence::{Evidence, PackDevice, PackEvent, PackManifestEntry};
use timeline_words::TimelineLang;

/// The schema of `pack.json`.
pub const PACK_SCHEMA: &str = "courier.dispute-pack.v1";

/// The media type the API answers a pack with.
pub const PACK_MEDIA_TYPE: &str = "application/x-tar";

/// A written pack.
pub struct DisputePack {
    /// Its file name: `dispute-pack-<order>.tar`.
    pub file_name: String,
    /// The tar's bytes.
    pub bytes: Vec<u8>,
}

impl axum::response::IntoResponse for DisputePack {
    /// The pack as a download (`Content-Disposition: attachment`).
    fn into_response(self) -> axum::response::Response {
        use axum::http::header;
        (
            [
                (header::CONTENT_TYPE, PACK_MEDIA_TYPE.to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", self.file_name),
                ),
            ],
            self.bytes,
        )
            .into_response()
    }
}

/// A photo as `pack.json` lists it.
#[derive(Serialize)]
struct PackPhoto<'a> {
    #[serde(flatten)]
    photo: &'a PhotoRef,
    /// Its file in the pack, or null when the device has not uploaded it yet.
    file: Option<String>,
}

/// `pack.json`: what the pack holds and where, the proofs, the keys.
#[derive(Serialize)]
struct PackIndex<'a> {
    schema: &'static str,
    order_ref: &'a str,
    created_at_ms: i64,
    utc_offset: String,
    server_public_key: &'a str,
    log_origin: &'a str,
    checkpoint_file: &'static str,
    tree_size: u64,
    devices: &'a [PackDevice],
    event_files: Vec<String>,
    events: &'a [PackEvent],
    manifest_entries: &'a [PackManifestEntry],
    photos: Vec<PackPhoto<'a>>,
    timeline_files: Vec<String>,
}

/// Builds the pack of `order_ref` from the evidence `scope` may see, its
/// times told at `utc_offset_min`, dated `now_ms`.
pub async fn build(
    store: &dyn Storage,
    photos: &dyn PhotoBlobs,
    signer: &(dyn Signer + Sync),
    order_ref: &str,
    scope: &DepotScope,
    utc_offset_min: i32,
    now_ms: i64,
) -> Result<DisputePack, ServerError> {
    let ev = evidence::gather(store, photos, signer, order_ref, scope).await?;
    let folder = format!("dispute-pack-{}", safe_name(order_ref));
    let files = files(&ev, utc_offset_min, now_ms)?;
    let bytes = write_tar(&folder, files, signer, (now_ms.max(0) / 1000) as u64)?;
    Ok(DisputePack {
        file_name: format!("{folder}.tar"),
        bytes,
    })
}

/// [`build`] for a named operator (or `command-line`), with a line in the
/// audit log: who took which order's evidence, and when.
#[allow(clippy::too_many_arguments)]
pub async fn build_for(
    store: &dyn Storage,
    photos: &dyn PhotoBlobs,
    signer: &(dyn Signer + Sync),
    operator: &str,
    order_ref: &str,
    scope: &DepotScope,
    utc_offset_min: i32,
    now_ms: i64,
) -> Result<DisputePack, ServerError> {
    let pack = build(
        store,
        photos,
        signer,
        order_ref,
        scope,
        utc_offset_min,
        now_ms,
    )
    .await?;
    store
        .add_audit(&NewAudit {
            at_ms: now_ms,
            operator: operator.to_owned(),
            action: "dispute_pack_made",
            subject: order_ref.to_owned(),
            detail: format!("{} ({} bytes)", pack.file_name, pack.bytes.len()),
        })
        .await?;
    tracing::info!(%operator, %order_ref, bytes = pack.bytes.len(), "dispute pack made");
    Ok(pack)
}

/// Every file of the pack but the sums and their signature.
fn files(ev: &Evidence, offset_min: i32, now_ms: i64) -> Result<Vec<PackFile>, ServerError> {
    let mut files = Vec::new();
    let mut event_files = Vec::new();
    for d in &ev.devices {
        let path = format!("events/{}.jsonl", safe_name(&d.device_id));
        let mut text = String::new();
        for e in ev.events.iter().filter(|e| e.body.device_id == d.device_id) {
            text += &serde_json::to_string(e).map_err(json_err)?;
            text.push('\n');
        }
        event_files.push(path.clone());
        files.push(PackFile {
            path,
            bytes: text.into_bytes(),
        });
    }
    let mut listed = Vec::new();
    for (p, bytes) in &ev.photos {
        let file = bytes.as_ref().map(|b| {
            let path = format!("photos/{}.jpg", safe_name(&p.sha256));
            files.push(PackFile {
                path: path.clone(),
                bytes: b.clone(),
            });
            path
        });
        listed.push(PackPhoto { photo: p, file });
    }
    let mut timeline_files = Vec::new();
    for lang in TimelineLang::ALL {
        let path = format!("timeline/timeline.{}.html", lang.code());
        files.push(PackFile {
            path: path.clone(),
            bytes: timeline::html(ev, lang, offset_min, now_ms).into_bytes(),
        });
        timeline_files.push(path);
        let path = format!("timeline/timeline.{}.pdf", lang.code());
        let pdf = timeline_pdf::pdf(ev, lang, offset_min, now_ms)
            .map_err(|e| crate::error::StorageError::corrupt("dispute pack timeline", e))?;
        files.push(PackFile {
            path: path.clone(),
            bytes: pdf,
        });
        timeline_files.push(path);
    }
    files.push(PackFile {
        path: "checkpoint.txt".into(),
        bytes: ev.checkpoint.clone().into_bytes(),
    });
    files.push(PackFile {
        path: "server-public-key.pem".into(),
        bytes: public_key_pem(&ev.server_public_key)?.into_bytes(),
    });
    let index = PackIndex {
        schema: PACK_SCHEMA,
        order_ref: &ev.order_ref,
        created_at_ms: now_ms,
        utc_offset: courier_protocol::day_window::offset_text(offset_min),
        server_public_key: &ev.server_public_key,
        log_origin: &ev.log_origin,
        checkpoint_file: "checkpoint.txt",
        tree_size: ev.tree_size,
        devices: &ev.devices,
        event_files,
        events: &ev.proofs,
        manifest_entries: &ev.manifests,
        photos: listed,
        timeline_files,
    };
    let mut index_json = serde_json::to_string_pretty(&index).map_err(json_err)?;
    index_json.push('\n');
    files.push(PackFile {
        path: "pack.json".into(),
        bytes: index_json.into_bytes(),
    });
    files.push(PackFile {
        path: "README.txt".into(),
        bytes: README.as_bytes().to_vec(),
    });
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The server key as a PEM SubjectPublicKeyInfo (what `openssl` reads).
fn public_key_pem(hex_key: &str) -> Result<String, ServerError> {
    use base64::Engine;
    let key = hex::decode(hex_key)
        .map_err(|e| crate::error::StorageError::corrupt("server public key", e))?;
    // DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410).
    let mut der = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    der.extend_from_slice(&key);
    Ok(format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(der)
    ))
}

fn json_err(e: serde_json::Error) -> ServerError {
    crate::error::StorageError::corrupt("dispute pack JSON", e).into()
}

/// The pack's own short recipe; the full one is docs/protocol.md, "Dispute pack".
const README: &str = "\
Dispute pack of one order (courier escrow, schema courier.dispute-pack.v1).

1. Compare the fingerprint of server-public-key.pem (SHA-256 of the 32-byte
   key) with the one the escrow operator publishes.
2. The pack is whole and from the server:
     (printf 'courier.dispute-pack.v1\\n'; cat SHA256SUMS) > signed.txt
     openssl pkeyutl -verify -pubin -inkey server-public-key.pem -rawin \\
       -in signed.txt -sigfile SHA256SUMS.sig
     sha256sum -c --strict SHA256SUMS
3. Each event in events/ is signed by its device (key in pack.json), and is
   a leaf of the server's one event log under checkpoint.txt (RFC 6962
   inclusion proofs in pack.json): the recipe of docs/protocol.md,
   \"Dispute pack\"; tests/external/verify_dispute_pack.py does all of it.
4. timeline/ tells the events in words (fr, ar, en); the signed events are
   the evidence, the timeline only reads them.
";
