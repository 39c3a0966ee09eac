//! Output files (`export --out`, `report --html`, `timeline --svg`): written whole or not at
//! all, through one helper.
//!
//! The content goes to a temporary file in the target's directory whose name is unique to
//! this write, created exclusively (`O_EXCL`: an existing file or a planted symlink of that
//! name is never opened, let alone followed), and is renamed over the target only once it is
//! complete. Two commands writing beside each other (`x.jsonl` and `x.csv`) never share a
//! temporary file, a failure leaves the old target untouched, and the temporary file is
//! removed on every way out (the `NamedTempFile` deletes itself when dropped unpersisted).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::CliError;

/// Writes `path` through `write`, atomically: the file appears complete or not at all. The
/// data is fsynced before the rename and the directory after it, so a crash right after the
/// command leaves the old file or the new one, never an empty one.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let context = format!("cannot write {}", path.display());
    let dir = directory_of(path);
    let name = path
        .file_name()
        .ok_or_else(|| CliError::input(format!("{context}: not a file name")))?;
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    let temporary = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".partial")
        .tempfile_in(&dir)
        .map_err(CliError::io(&context))?;
    let mut out = BufWriter::new(temporary);
    write(&mut out).map_err(|e| match e {
        CliError::Io { source, .. } => CliError::io(&context)(source),
        other => other,
    })?;
    let temporary = out
        .into_inner()
        .map_err(|e| CliError::io(&context)(e.into_error()))?;
    temporary
        .as_file()
        .sync_all()
        .map_err(CliError::io(&context))?;
    temporary
        .persist(path)
        .map_err(|e| CliError::io(&context)(e.error))?;
    // Some filesystems refuse to sync a directory; the rename has happened by then, so that
    // is not a failure of the write.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
