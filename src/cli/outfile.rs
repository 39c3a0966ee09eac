//! Output files (`export --out`, `report --html`, `timeline --svg`, `publish`'s page,
//! `verify --published --out`): written whole or not at all, through one helper.
//!
//! The library's [`sync::write_atomically`] does the work: a temporary file beside the target
//! whose name is unique to this write, created exclusively (an existing file or a planted
//! symlink is never opened, let alone followed), renamed over the target only once complete,
//! removed on every way out. Here it is asked for full durability, since the user is told the
//! file was written, and its failures name the file.

use std::io::Write;
use std::path::Path;

use super::CliError;
use crate::ledger::sync::{self, Durability};

/// Writes `path` through `write`, atomically: the file appears complete or not at all. The
/// data is synced before the rename and the directory after it, so a crash right after the
/// command leaves the old file or the new one, never an empty one. Returns what `write`
/// returned.
pub fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<T, CliError>,
) -> Result<T, CliError> {
    let context = format!("cannot write {}", path.display());
    if path.file_name().is_none() {
        return Err(CliError::input(format!("{context}: not a file name")));
    }
    sync::write_atomically(path, Durability::DirectorySynced, write).map_err(|e| match e {
        CliError::Io { source, .. } => CliError::io(&context)(source),
        other => other,
    })
}
