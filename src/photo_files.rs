//! Photo files on the device: `<data dir>/photos/<sha256>.jpg`, owner-only
//! (0600, in a 0700 directory), written durably (a temporary file synced,
//! renamed into place, the directory synced) before any event names them.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The photo directory of a data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoFiles {
    dir: PathBuf,
}

impl PhotoFiles {
    /// The photos of the data directory `data_dir`.
    pub fn of_data_dir(data_dir: &Path) -> Self {
        PhotoFiles {
            dir: data_dir.join("photos"),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the photo with this hash lives.
    pub fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(format!("{sha256}.jpg"))
    }

    /// Writes a photo durably; when it is already there (the same bytes,
    /// as the name is their hash) nothing is written.
    pub fn write_durably(&self, sha256: &str, bytes: &[u8]) -> io::Result<PathBuf> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)?;
        let path = self.path(sha256);
        if fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64) {
            return Ok(path);
        }
        let tmp = self.dir.join(format!(".{sha256}.tmp"));
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, &path)?;
        File::open(&self.dir)?.sync_all()?;
        Ok(path)
    }

    /// The bytes of a photo.
    pub fn read(&self, sha256: &str) -> io::Result<Vec<u8>> {
        fs::read(self.path(sha256))
    }

    /// Deletes a photo's file (already gone is fine).
    pub fn remove(&self, sha256: &str) -> io::Result<()> {
        match fs::remove_file(self.path(sha256)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_photo_is_written_owner_only_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = PhotoFiles::of_data_dir(dir.path());
        let path = files.write_durably("ab", b"jpeg").expect("written");
        let mode = fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = fs::metadata(files.dir())
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        assert_eq!(files.read("ab").expect("read"), b"jpeg");
        files.write_durably("ab", b"jpeg").expect("again");
        files.remove("ab").expect("removed");
        files.remove("ab").expect("already gone");
        assert!(files.read("ab").is_err());
        assert!(!files.dir().join(".ab.tmp").exists());
    }
}
