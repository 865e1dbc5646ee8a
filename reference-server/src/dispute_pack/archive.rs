//! The pack as one file a bank opens with standard tools: a POSIX tar
//! (`tar -xf`) of one folder holding the files, `SHA256SUMS` over every
//! other file (`sha256sum -c`), and `SHA256SUMS.sig`, the server's raw
//! 64-byte Ed25519 signature over [`SUMS_SIGNED_PREFIX`] followed by the
//! `SHA256SUMS` bytes (`openssl pkeyutl -verify -rawin`). Entries are in
//! a fixed order with fixed owners, modes and times, so the same evidence
//! gives the same bytes.

use courier_protocol::keys::{Signer, sha256};

use crate::error::{ServerError, StorageError};

/// What precedes `SHA256SUMS` in the signed message: the signature cannot
/// be taken for one over a manifest, a receipt or a checkpoint.
pub const SUMS_SIGNED_PREFIX: &str = "courier.dispute-pack.v1\n";

/// One file of the pack, by its path inside the pack's folder.
pub struct PackFile {
    /// Relative path, `/`-separated.
    pub path: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// `SHA256SUMS` over `files`, in their order, as `sha256sum` writes it.
pub fn sums(files: &[PackFile]) -> String {
    files
        .iter()
        .map(|f| format!("{}  {}\n", hex::encode(sha256(&f.bytes)), f.path))
        .collect()
}

/// Writes the tar: `folder/` then the files, `SHA256SUMS` and its signature.
pub fn write_tar(
    folder: &str,
    files: Vec<PackFile>,
    signer: &dyn Signer,
    mtime_s: u64,
) -> Result<Vec<u8>, ServerError> {
    let sums = sums(&files);
    let mut signed = SUMS_SIGNED_PREFIX.as_bytes().to_vec();
    signed.extend_from_slice(sums.as_bytes());
    let signature = signer.sign(&signed);
    let mut all = files;
    all.push(PackFile {
        path: "SHA256SUMS".into(),
        bytes: sums.into_bytes(),
    });
    all.push(PackFile {
        path: "SHA256SUMS.sig".into(),
        bytes: signature.to_vec(),
    });
    let mut tar = tar::Builder::new(Vec::new());
    let mut dir = header(tar::EntryType::Directory, 0o755, 0, mtime_s);
    let failed =
        |e: std::io::Error| ServerError::from(StorageError::corrupt("dispute pack tar", e));
    tar.append_data(&mut dir, format!("{folder}/"), std::io::empty())
        .map_err(failed)?;
    for f in &all {
        let mut h = header(
            tar::EntryType::Regular,
            0o644,
            f.bytes.len() as u64,
            mtime_s,
        );
        tar.append_data(&mut h, format!("{folder}/{}", f.path), f.bytes.as_slice())
            .map_err(failed)?;
    }
    tar.into_inner().map_err(failed)
}

fn header(kind: tar::EntryType, mode: u32, size: u64, mtime_s: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(mtime_s);
    h.set_uid(0);
    h.set_gid(0);
    h
}

/// A name safe as one path component: ASCII letters, digits, `-`, `_`.
pub fn safe_name(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() { "_".into() } else { out }
}
