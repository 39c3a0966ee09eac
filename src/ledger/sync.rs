//! Every durability barrier the ledger relies on goes through here, so tests can see that an
//! append reached them, in order, before it reported success.
//!
//! Nothing canonical ever depends on sled's `flush()` (which on Linux calls
//! `sync_file_range`, not `fsync`): only these two calls make the journal and the head durable.

use std::cell::RefCell;
use std::fs::File;
use std::io;
use std::path::Path;

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
