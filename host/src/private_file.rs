//! Files only their owner may read (mode 0600 on Unix): the tokens, the join
//! kit's pages, a self-signed certificate's key. One way to write them, so
//! that each keeps the same guarantees: an existing file is narrowed to 0600
//! before it is written, something in the way that is not a regular file is
//! refused (never chmodded), and the bytes are on disk when it returns.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// Writes `bytes` to `path`, replacing what was there, readable by the owner
/// only.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        // An existing file keeps its mode on open: narrow it first.
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_file() => std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("cannot protect {}", path.display()))?,
            Ok(_) => bail!("{} is in the way: not a regular file", path.display()),
            Err(_) => {}
        }
    }
    let mut file = options.open(path).with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes).and_then(|_| file.sync_all()).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_file_is_narrowed_and_a_directory_in_the_way_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "old").unwrap();
        write(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            let e = write(dir.path(), b"x").unwrap_err().to_string();
            assert!(e.contains("not a regular file"), "{e}");
            assert_ne!(std::fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
