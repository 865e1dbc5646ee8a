//! Where the server keeps photo bytes: content-addressed by SHA-256 behind
//! a small trait, so an integrator can put them in object storage. The
//! reference implementation is a directory ([`FsPhotoBlobs`]): partial
//! uploads grow in `partial/`, a complete photo whose hash checks is
//! renamed to `<first two hex>/<sha256>.jpg`, owner-only, synced.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// How much of a photo the store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// The whole photo, hash checked, of this size.
    Complete(u64),
    /// The first bytes of an upload under way (0: nothing yet).
    Partial(u64),
}

/// Why the store refuses bytes.
#[derive(Debug, Error)]
pub enum BlobError {
    /// A chunk does not start where the partial copy ends.
    #[error("the server holds {held} bytes of this photo; send from there")]
    Offset {
        /// Bytes held.
        held: u64,
    },
    /// The bytes are more than the photo's size, or their hash is another.
    #[error("{0}")]
    Mismatch(String),
    /// The file system failed.
    #[error("photo store: {0}")]
    Io(#[from] io::Error),
}

/// A content-addressed store of photo bytes; each call is atomic.
pub trait PhotoBlobs: Send + Sync {
    /// How much of the photo is held.
    fn held(&self, sha256: &str) -> Result<Held, BlobError>;
    /// Appends a chunk at `offset` (which must be the partial length) of a
    /// photo of `total` bytes; when it completes the photo, checks its
    /// SHA-256 and keeps it. Returns what is held after.
    fn append(
        &self,
        sha256: &str,
        offset: u64,
        total: u64,
        chunk: &[u8],
    ) -> Result<Held, BlobError>;
    /// The bytes of a complete photo.
    fn read(&self, sha256: &str) -> Result<Vec<u8>, BlobError>;
}

/// Photos in a directory of the server's disk.
#[derive(Debug, Clone)]
pub struct FsPhotoBlobs {
    dir: PathBuf,
}

impl FsPhotoBlobs {
    /// A store in `dir` (created on first write, 0700).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FsPhotoBlobs { dir: dir.into() }
    }

    fn complete_path(&self, sha256: &str) -> PathBuf {
        self.dir
            .join(sha256.get(..2).unwrap_or("00"))
            .join(format!("{sha256}.jpg"))
    }

    fn partial_path(&self, sha256: &str) -> PathBuf {
        self.dir.join("partial").join(sha256)
    }
}

fn make_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

fn len_or_zero(path: &Path) -> io::Result<u64> {
    match fs::metadata(path) {
        Ok(m) => Ok(m.len()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e),
    }
}

impl PhotoBlobs for FsPhotoBlobs {
    fn held(&self, sha256: &str) -> Result<Held, BlobError> {
        let complete = self.complete_path(sha256);
        if complete.exists() {
            return Ok(Held::Complete(len_or_zero(&complete)?));
        }
        Ok(Held::Partial(len_or_zero(&self.partial_path(sha256))?))
    }

    fn append(
        &self,
        sha256: &str,
        offset: u64,
        total: u64,
        chunk: &[u8],
    ) -> Result<Held, BlobError> {
        if let Held::Complete(n) = self.held(sha256)? {
            return Ok(Held::Complete(n));
        }
        let partial = self.partial_path(sha256);
        let held = len_or_zero(&partial)?;
        if held != offset {
            return Err(BlobError::Offset { held });
        }
        let end = offset + chunk.len() as u64;
        if end > total {
            return Err(BlobError::Mismatch(format!(
                "{end} bytes sent of a photo of {total}"
            )));
        }
        make_dir(partial.parent().unwrap_or(&self.dir))?;
        let mut file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&partial)?;
        file.write_all(chunk)?;
        file.sync_data()?;
        drop(file);
        if end < total {
            return Ok(Held::Partial(end));
        }
        let bytes = fs::read(&partial)?;
        let hash = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
        if hash != sha256 {
            fs::remove_file(&partial)?;
            return Err(BlobError::Mismatch(format!(
                "the bytes uploaded hash to {hash}, not to the photo's {sha256}: upload it again"
            )));
        }
        let complete = self.complete_path(sha256);
        let parent = complete.parent().unwrap_or(&self.dir);
        make_dir(parent)?;
        fs::rename(&partial, &complete)?;
        File::open(parent)?.sync_all()?;
        Ok(Held::Complete(total))
    }

    fn read(&self, sha256: &str) -> Result<Vec<u8>, BlobError> {
        Ok(fs::read(self.complete_path(sha256))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(bytes: &[u8]) -> String {
        hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
    }

    #[test]
    fn chunks_resume_at_the_held_length_and_a_wrong_hash_is_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FsPhotoBlobs::new(dir.path());
        let photo = b"0123456789".to_vec();
        let h = sha(&photo);
        assert_eq!(store.held(&h).expect("held"), Held::Partial(0));
        assert_eq!(
            store.append(&h, 0, 10, &photo[..4]).expect("a"),
            Held::Partial(4)
        );
        assert!(matches!(
            store.append(&h, 2, 10, &photo[2..6]),
            Err(BlobError::Offset { held: 4 })
        ));
        assert_eq!(
            store.append(&h, 4, 10, &photo[4..]).expect("b"),
            Held::Complete(10)
        );
        assert_eq!(store.read(&h).expect("read"), photo);
        assert_eq!(
            store.append(&h, 0, 10, &photo).expect("again"),
            Held::Complete(10)
        );
        let other = sha(b"other");
        assert!(matches!(
            store.append(&other, 0, 10, &photo),
            Err(BlobError::Mismatch(_))
        ));
        assert_eq!(store.held(&other).expect("held"), Held::Partial(0));
    }
}
