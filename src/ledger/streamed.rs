//! An append too large to hold in memory (an import of 10^6 lines), written a piece at a time
//! past the acknowledged head and acknowledged once, at the end.
//!
//! The frames of each piece go to the journal as soon as the piece is prepared, so the
//! importer drops its lines, entries and frames piece by piece. Until [`Appending::acknowledge`]
//! they are bytes past the head file: readers and `verify` ignore them while this writer holds
//! the lock, a crash leaves them as a torn tail that the next writer cuts (and keeps aside),
//! and [`Appending::abandon`] (or dropping an `Appending`) cuts them at once, leaving the
//! journal byte for byte as it was. The one acknowledgement is still
//! [`journal::sync_and_acknowledge`]: one `fdatasync` for all the pieces, then the head file.
//!
//! A ledger that does not exist yet is built the same way under its final name, but its
//! journal is written as `journal.tmp` and renamed into place only after the head file
//! acknowledges it: a directory is a ledger only once its journal exists, so a crash (or a
//! refusal) at any point leaves no ledger, never a partial one, and a completed import
//! appears whole.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::journal::{self, Head, HEAD_FILE, JOURNAL_FILE};
use super::{config, lock, offsets, sync, Ledger, LedgerError, Prepared, INDEX_DIR};
use crate::domain::EntryHash;

/// Where the pieces go.
enum Target<'l> {
    /// An open ledger, whose lock is held for the whole append; the pieces are written
    /// through its open journal, and the head file is re-read through its open head file.
    Ledger(&'l mut Ledger),
    /// A ledger made by this append: its journal is `journal.tmp` until acknowledged.
    New {
        dir: PathBuf,
        /// `journal.tmp`, open for appending.
        file: File,
        /// Held until the journal is in place.
        _lock: File,
        config: config::Config,
        /// What to remove if the append is abandoned, so a refused import leaves no trace:
        /// the directories it created (deepest last) and whether it created the lock file.
        made_dirs: Vec<PathBuf>,
        made_lock: bool,
    },
}

/// How many entries' hashes an append keeps for the Merkle tree (32 bytes each): a record or
/// a small import extends the derived data from what it wrote; a larger one lets them go and
/// the derived data catches up from the journal, as on open, so memory stays bounded.
pub(super) const KEEP_HASHES: usize = 1 << 16;

/// What the derived data needs of the pieces written, while they are few.
#[derive(Default)]
struct Written {
    /// (seq, offset) of each entry the sparse index holds.
    index_keys: Vec<(u64, u64)>,
    hashes: Vec<EntryHash>,
}

/// An append in progress: frames written past the acknowledged head, not yet acknowledged.
/// The one way entries are appended ([`Ledger::commit`] is an append of one piece).
pub struct Appending<'l> {
    target: Target<'l>,
    /// The journal (or `journal.tmp` for a new ledger), for messages.
    path: PathBuf,
    /// What the head file acknowledges: where an abandoned append cuts the journal back to.
    acknowledged: Head,
    /// The head after the pieces written so far.
    head: Head,
    /// `None` once more than [`KEEP_HASHES`] entries were written.
    written: Option<Written>,
    finished: bool,
}

impl Ledger {
    /// Starts an append to be written in pieces ([`Appending::write`]) and acknowledged once.
    pub fn append_in_pieces(&mut self) -> Result<Appending<'_>, LedgerError> {
        let Some(appender) = &mut self.appender else {
            return Err(LedgerError::ReadOnly);
        };
        // The next seq is the journal's length, checked again under the lock: through the
        // open head file, one read and no open.
        let on_disk = appender.head_file.reread();
        if !matches!(on_disk, Ok(Some(head)) if head == self.head) {
            return Err(self.corrupted(
                HEAD_FILE,
                "the head file changed while this process held the lock; nothing was appended",
            ));
        }
        super::interrupt::catch();
        let path = self.dir.join(JOURNAL_FILE);
        let head = self.head;
        Ok(Appending {
            target: Target::Ledger(self),
            path,
            acknowledged: head,
            head,
            written: Some(Written::default()),
            finished: false,
        })
    }

    /// Starts an append that creates the ledger in `dir` (which must hold none) when it is
    /// acknowledged; until then `dir` holds no ledger (see the module's documentation).
    pub fn create_in_pieces(dir: &Path) -> Result<Appending<'static>, LedgerError> {
        if dir.is_file() {
            return Err(LedgerError::NotADirectory(dir.to_owned()));
        }
        let config = config::Config::default_for(dir);
        let mut made_dirs = Vec::new();
        let mut missing = dir.to_owned();
        while !missing.as_os_str().is_empty() && !missing.exists() {
            made_dirs.push(missing.clone());
            match missing.parent() {
                Some(parent) => missing = parent.to_owned(),
                None => break,
            }
        }
        super::interrupt::catch();
        fs::create_dir_all(dir).map_err(LedgerError::io(dir))?;
        let made_lock = !dir.join(super::LOCK_FILE).exists();
        let lock = lock(dir)?.ok_or_else(|| LedgerError::InUse(dir.to_owned()))?;
        if dir.join(JOURNAL_FILE).exists() {
            return Err(LedgerError::AlreadyExists(dir.to_owned()));
        }
        // A `journal.tmp` left by a crash is an import that was never acknowledged.
        let path = dir.join(format!("{JOURNAL_FILE}.tmp"));
        let mut file = File::create(&path).map_err(LedgerError::io(&path))?;
        file.write_all(journal::MAGIC)
            .map_err(LedgerError::io(&path))?;
        let head = Head::empty();
        Ok(Appending {
            target: Target::New {
                dir: dir.to_owned(),
                file,
                _lock: lock,
                config,
                made_dirs,
                made_lock,
            },
            path,
            acknowledged: head,
            head,
            // A new ledger builds its derived data from its journal when first opened.
            written: None,
            finished: false,
        })
    }
}

impl Appending<'_> {
    /// The head after the pieces written so far: what the next piece is prepared to follow.
    pub fn head(&self) -> Head {
        self.head
    }

    /// Writes a piece's frames past the acknowledged head. The piece must have been prepared
    /// to follow [`Self::head`].
    pub fn write(&mut self, piece: &Prepared) -> Result<(), LedgerError> {
        if super::interrupt::requested() {
            return Err(LedgerError::Interrupted);
        }
        let Some(first) = piece.entries.first() else {
            return Ok(());
        };
        if first.entry.seq.0 != self.head.entries {
            return Err(LedgerError::Stale {
                prepared_for: first.entry.seq.0,
                head: self.head.entries,
            });
        }
        match &mut self.target {
            Target::Ledger(ledger) => ledger.write_frames(&piece.frames)?,
            Target::New { file, .. } => {
                #[cfg(debug_assertions)]
                injected_full_disk(file, &piece.frames).map_err(LedgerError::io(&self.path))?;
                file.write_all(&piece.frames)
                    .map_err(LedgerError::io(&self.path))?
            }
        }
        self.head = piece.head;
        if let Some(written) = &mut self.written {
            if written.hashes.len() + piece.entries.len() > KEEP_HASHES {
                self.written = None;
            } else {
                written.index_keys.extend_from_slice(&piece.index_keys);
                written
                    .hashes
                    .extend(piece.entries.iter().map(|stored| stored.hash));
            }
        }
        Ok(())
    }

    /// Makes every piece durable and acknowledges them, all at once; then brings the derived
    /// data along (for an existing ledger; a new one builds it when next opened).
    pub fn acknowledge(&mut self) -> Result<Head, LedgerError> {
        if self.finished {
            return Err(LedgerError::AppendFinished);
        }
        // The last moment Ctrl-C can still stop the append: dropped, it is cut back.
        if super::interrupt::requested() {
            return Err(LedgerError::Interrupted);
        }
        // Never cut back from here on: a failure part-way may already have acknowledged the
        // pieces (the head file renamed into place), and then they are the ledger.
        self.finished = true;
        let head = self.head;
        match &mut self.target {
            Target::Ledger(ledger) => {
                if head == self.acknowledged {
                    return Ok(head);
                }
                // Through the ledger's own descriptors: the journal it wrote the pieces
                // through, and the head's slot written through its open head file.
                ledger.acknowledge(&head)?;
                ledger.head = head;
                // Derived, after the head is durable: the index, the Merkle tree, then a
                // signed checkpoint.
                match self.written.take() {
                    Some(written) => ledger.absorb_written(&written.index_keys, &written.hashes),
                    None => ledger.absorb_acknowledged(),
                }
                ledger.sign_after_commit();
            }
            Target::New {
                dir, config, file, ..
            } => {
                // Config, then the head file, then the journal: as `Ledger::init`, with the
                // entries already in the journal when it appears.
                config.write(dir)?;
                journal::sync_and_create_head(dir, file, &head)
                    .map_err(LedgerError::io(&self.path))?;
                let journal_path = dir.join(JOURNAL_FILE);
                fs::rename(&self.path, &journal_path).map_err(LedgerError::io(&journal_path))?;
                sync::directory(dir).map_err(LedgerError::io(dir.as_path()))?;
            }
        }
        Ok(head)
    }

    /// The ledger appended to (`None` for one this append creates).
    pub fn ledger(&self) -> Option<&Ledger> {
        match &self.target {
            Target::Ledger(ledger) => Some(ledger),
            Target::New { .. } => None,
        }
    }

    /// The directory of the ledger this append creates (`None` for an existing one): it can
    /// be opened once this append is acknowledged and dropped (which lets go of its lock).
    pub fn created(&self) -> Option<&Path> {
        match &self.target {
            Target::Ledger(_) => None,
            Target::New { dir, .. } => Some(dir),
        }
    }

    /// Cuts what was written back off: the journal is again byte for byte what the head file
    /// acknowledges (synced, so a crash cannot bring the cut bytes back as a torn tail), or, for
    /// a new ledger, everything this append created is removed.
    pub fn abandon(mut self) -> Result<(), LedgerError> {
        self.undo()
    }

    fn undo(&mut self) -> Result<(), LedgerError> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        match &mut self.target {
            Target::Ledger(ledger) => {
                // By the file's length, not by the head: a piece that failed part-way (a full
                // disk in the first piece, as in every `record`) left bytes without moving it.
                if ledger.journal_len()? != self.acknowledged.bytes {
                    ledger.cut_journal_back(self.acknowledged.bytes)?;
                }
            }
            Target::New {
                dir,
                made_dirs,
                made_lock,
                ..
            } => {
                fs::remove_file(&self.path).map_err(LedgerError::io(&self.path))?;
                if *made_lock {
                    let lock = dir.join(super::LOCK_FILE);
                    fs::remove_file(&lock).map_err(LedgerError::io(&lock))?;
                }
                // Deepest first; a directory something else was put in meanwhile stays.
                for made in made_dirs {
                    if fs::remove_dir(made).is_err() {
                        break;
                    }
                }
            }
        }
        Ok(())
    }
}

impl Drop for Appending<'_> {
    /// An append neither acknowledged nor abandoned (an error returned early, a panic) is
    /// abandoned: best effort, since what is left is a torn tail the next writer cuts anyway.
    fn drop(&mut self) {
        let _ = self.undo();
    }
}

impl Ledger {
    /// After an acknowledged append whose index keys and hashes this process still holds:
    /// the readers' sparse index, the absorbed mark and the Merkle tree extended from them.
    fn absorb_written(&mut self, index_keys: &[(u64, u64)], hashes: &[EntryHash]) {
        offsets::record(&self.dir, index_keys);
        if let Some(store) = &self.store {
            if store.absorb(self.head).is_err() {
                self.store = None;
                self.tree = None;
                self.notices.push(
                    "the index database could not be updated; it is rebuilt on the next open"
                        .into(),
                );
                let _ = fs::remove_dir_all(self.dir.join(INDEX_DIR));
            }
        }
        self.extend_tree(hashes);
    }

    /// Cuts the journal back to `bytes` (what the head file acknowledges) and syncs it, so a
    /// crash cannot bring the cut bytes back as a torn tail.
    /// How long the journal is now (what was written through it, acknowledged or not).
    fn journal_len(&self) -> Result<u64, LedgerError> {
        let appender = self.appender.as_ref().ok_or(LedgerError::ReadOnly)?;
        let path = self.dir.join(JOURNAL_FILE);
        Ok(appender
            .journal
            .metadata()
            .map_err(LedgerError::io(&path))?
            .len())
    }

    fn cut_journal_back(&mut self, bytes: u64) -> Result<(), LedgerError> {
        let path = self.dir.join(JOURNAL_FILE);
        let appender = self.appender.as_mut().ok_or(LedgerError::ReadOnly)?;
        appender
            .journal
            .set_len(bytes)
            .map_err(LedgerError::io(&path))?;
        sync::data(&appender.journal).map_err(LedgerError::io(&path))
    }

    /// After an acknowledged append whose entries this process no longer holds: the index
    /// and the Merkle tree catch up from the journal, in batches, as they do on open.
    fn absorb_acknowledged(&mut self) {
        // The readers' sparse index, extended from the journal past what it held.
        let repaired = super::offsets::refresh(&self.dir, &self.head);
        self.notices.extend(repaired);
        let Some(store) = self.store.take() else {
            return;
        };
        // The tree's nodes are saved after every append; it is reopened from the store.
        self.tree = None;
        match self.catch_up_with_tree(store) {
            Ok((store, _, tree)) => {
                self.store = Some(store);
                self.tree = tree;
            }
            Err(e) => {
                self.notices.push(format!(
                    "the index database could not be updated ({e}); it is rebuilt on the next open"
                ));
                let _ = fs::remove_dir_all(self.dir.join(INDEX_DIR));
            }
        }
    }
}

/// A full disk in the middle of a piece, for the tests (debug builds only, never in a
/// release): with `CCM_LEDGER_TEST_FULL_DISK_AFTER=N` in the environment, a piece's write
/// puts its first N bytes into the journal and then fails with ENOSPC, exactly where a full
/// disk fails it. A mount of a small filesystem reaches this point too, but is not allowed
/// everywhere the tests run, and on it the index database may fill the disk first.
#[cfg(debug_assertions)]
pub(super) fn injected_full_disk(file: &mut impl Write, frames: &[u8]) -> std::io::Result<()> {
    let Some(after) = std::env::var("CCM_LEDGER_TEST_FULL_DISK_AFTER")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return Ok(());
    };
    if frames.len() <= after {
        return Ok(());
    }
    file.write_all(&frames[..after])?;
    /// ENOSPC on Linux.
    const ENOSPC: i32 = 28;
    Err(std::io::Error::from_raw_os_error(ENOSPC))
}
