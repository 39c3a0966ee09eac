//! Every durability barrier the ledger relies on goes through here, so tests can see that an
//! append reached them, in order, before it reported success; and the one way a file is
//! replaced whole ([`write_atomically`]), which every tmp-and-rename in the crate goes through.
//!
//! Nothing canonical ever depends on sled's `flush()` (which on Linux calls
//! `sync_file_range`, not `fsync`): only these two calls make the journal and the head durable.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// One durability barrier, as a test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Barrier {
    /// `fdatasync` of a file, named by its file name.
    Data(String),
    /// `fsync` of a directory (after a rename in it).
    Directory(String),
}

thread_local! {
    static TRACE: RefCell<Option<Vec<Barrier>>> = const { RefCell::new(None) };
}

/// Starts recording the barriers this thread passes.
pub fn trace_start() {
    TRACE.with(|t| *t.borrow_mut() = Some(Vec::new()));
}

/// Stops recording and returns the barriers passed since [`trace_start`].
pub fn trace_take() -> Vec<Barrier> {
    TRACE.with(|t| t.borrow_mut().take().unwrap_or_default())
}

fn note(barrier: impl FnOnce() -> Barrier) {
    TRACE.with(|t| {
        if let Some(trace) = t.borrow_mut().as_mut() {
            trace.push(barrier());
        }
    });
}

/// `fdatasync`: the file's data (and the metadata needed to read it) is on disk.
pub fn data(file: &File) -> io::Result<()> {
    file.sync_data()?;
    note(|| Barrier::Data(file_name(file)));
    Ok(())
}

/// `fsync` of a directory, so a rename or a new file in it survives a crash.
pub fn directory(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()?;
    note(|| Barrier::Directory(dir.display().to_string()));
    Ok(())
}

/// How far a file replaced by [`write_atomically`] is on disk when the call returns. Readers
/// see the old file or the new whole one at every level: the levels differ only in what a
/// crash (a power loss, not a killed process) can leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Nothing synced: after a crash the file may be the old one, the new one, or empty. Only
    /// for a derived file that is checked whenever it is read and rebuilt when it is wrong.
    Unsynced,
    /// The new file's data synced before the rename: after a crash, the old file or the new
    /// whole one (the rename itself may be lost). For files that may lag, never be torn.
    FileSynced,
    /// As [`Durability::FileSynced`], and the directory synced after the rename: once the call
    /// returns, the new file survives a crash. For evidence and for what a user was told.
    DirectorySynced,
}

/// Replaces `path` with what `write` writes, whole or not at all.
///
/// The bytes go to a temporary file beside the target (so the rename stays in one
/// filesystem) whose name is unique to this write (the target's name between a dot and six random letters: `.HEAD.a8Zq3k.tmp` for `HEAD`) and which is created
/// exclusively (`O_EXCL`: an existing file or a planted symlink of that name is never opened,
/// let alone followed), with the permissions a new file gets (0666 less the umask). Two
/// writers beside each other never share a temporary file. It is synced as `durability`
/// asks, renamed over the target, then the directory synced if asked. On every failure,
/// including one of `write`, the temporary file is removed and the target is untouched.
///
/// In a trace ([`trace_start`]) the temporary file's data barrier is named `NAME.tmp`, its
/// unique part left out, so a trace reads the same on every run.
pub fn write_atomically<T, E: From<io::Error>>(
    path: &Path,
    durability: Durability,
    write: impl FnOnce(&mut dyn Write) -> Result<T, E>,
) -> Result<T, E> {
    let dir = directory_of(path);
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(&prefix)
        .suffix(".tmp")
        .rand_bytes(UNIQUE_CHARS);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    // Dropped unpersisted on any way out below, the temporary file deletes itself.
    let temporary = builder.tempfile_in(&dir)?;
    let mut out = BufWriter::new(temporary);
    let written = write(&mut out)?;
    let temporary = out.into_inner().map_err(|e| e.into_error())?;
    if durability != Durability::Unsynced {
        temporary.as_file().sync_data()?;
        note(|| Barrier::Data(format!("{}.tmp", name.to_string_lossy())));
    }
    temporary.persist(path).map_err(|e| e.error)?;
    if durability == Durability::DirectorySynced {
        directory(&dir)?;
    }
    Ok(written)
}

/// Removes from `dir` the temporary files of [`write_atomically`] (`.HEAD.a8Zq3k.tmp` beside `HEAD`) that a
/// killed writer left: nothing else would, and each crash could leave one more. Only for a
/// directory whose every writer holds its lock, called under that lock, so none of them is
/// being written. Best effort; says how many went.
pub fn remove_abandoned_temporaries(dir: &Path) -> usize {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return 0;
    };
    let abandoned = |name: &str| {
        let Some(middle) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
            return false;
        };
        middle.rsplit_once('.').is_some_and(|(target, unique)| {
            !target.is_empty()
                && unique.len() == UNIQUE_CHARS
                && unique.bytes().all(|b| b.is_ascii_alphanumeric())
        })
    };
    listing
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(abandoned))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

/// The length of the unique part of a temporary file's name (`tempfile`'s default).
const UNIQUE_CHARS: usize = 6;

/// The directory `path` is in (`.` for a bare file name).
fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn file_name(file: &File) -> String {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        if let Ok(path) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
            return path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
    }
    let _ = file;
    String::new()
}

#[cfg(test)]
mod tests;
