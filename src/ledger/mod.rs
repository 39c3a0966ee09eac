//! The ledger: entries, their encoding and hash chain, the journal that is the truth, the
//! head file that acknowledges it, the lock, and the sled database of derived data behind it.
//!
//! **Invariant:** entries are never rewritten. The journal only grows, by whole frames that
//! are synced before the head file acknowledges them; only the unacknowledged torn tail of a
//! crashed write is ever cut, and its bytes are kept beside the journal.

#[cfg(test)]
pub(crate) mod arbitrary;
pub mod bundle;
pub mod config;
mod entry;
#[cfg(test)]
mod every_kind;
pub mod interrupt;
pub mod journal;
mod offsets;
mod readable;
mod schema_v1;
pub mod small_file;
pub mod snapshot;
mod store;
mod streamed;
pub mod sync;
mod tree;
mod verify;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub use entry::{
    event_fingerprint, DecodeError, Entry, Links, HASH_CONTEXT, MAX_ENTRY_BYTES, SCHEMA_VERSION,
};
pub use journal::{Frame, FrameError, Head};
pub use snapshot::{SectionSink, Snapshotted};
pub use streamed::Appending;
pub use tree::{contradicts_checkpoint, Options, SignedCheckpoint, TreeCheck};
pub use verify::{
    verify, Checked, Checking, Decoding, Phase, Tail, Tampering, TreeRoots, Verification, Verified,
    VerifyOptions,
};

use crate::domain::{Draft, EntryHash, Seq, Timestamp};
use crate::merkle::{MerkleTree, TreeError};
use journal::{FrameReader, HEAD_FILE, JOURNAL_FILE};
use offsets::INDEX_STRIDE;
use store::MerkleNodes;
use store::{Store, StoreError};

const LOCK_FILE: &str = "lock";
const INDEX_DIR: &str = "index.sled";

/// A snapshot is rewritten when a query had to fold at least this many entries past it:
/// folding a few hundred entries costs less than re-serializing a large projection.
pub const SNAPSHOT_EVERY: u64 = 1024;

/// How many entries a fold hands over at once.
const FOLD_BATCH: usize = 65_536;

/// What went wrong with the ledger, and where.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{0} is not a ledger (no journal in it)")]
    NotALedger(PathBuf),
    #[error("{0} is a file, not a ledger directory")]
    NotADirectory(PathBuf),
    #[error("{0} already holds a ledger")]
    AlreadyExists(PathBuf),
    #[error("ledger in use: another ccm-ledger process is writing to {0}")]
    InUse(PathBuf),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("corrupted ledger: {path}: {detail}")]
    Corrupted { path: PathBuf, detail: String },
    /// The journal no longer holds what the ledger's own evidence (the index's absorbed mark,
    /// the latest checkpoint it signed) says it acknowledged: it was rewritten or cut. Not
    /// derived damage: the evidence is kept, and nothing is appended or signed.
    #[error("the journal contradicts the ledger's own evidence in {path}: {detail}")]
    Contradicted { path: PathBuf, detail: String },
    #[error("the ledger was opened read-only")]
    ReadOnly,
    /// Ctrl-C during an append: what it had written was cut back off.
    #[error("interrupted: nothing was recorded")]
    Interrupted,
    #[error("these entries were prepared to follow entry {prepared_for} but the ledger now holds {head}; nothing was appended (prepare them again)")]
    Stale { prepared_for: u64, head: u64 },
    #[error("this append was already acknowledged or abandoned")]
    AppendFinished,
    #[error("{path}: {detail}")]
    Config { path: PathBuf, detail: String },
    #[error("signing key {path}: {detail}")]
    Key { path: PathBuf, detail: String },
    #[error(transparent)]
    Tree(#[from] TreeError),
}

impl LedgerError {
    fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> LedgerError {
        let path = path.into();
        move |source| LedgerError::Io { path, source }
    }
}

/// What checking the projection snapshot against a fresh derivation found
/// ([`Ledger::check_snapshot`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotCheck {
    /// No snapshot a reader would use (none, another version's, another chain's), and no
    /// slot of this version's damaged: nothing derived to check.
    NotUsed,
    /// It lists exactly the sections a fold of its `entries` from the journal gives, and
    /// neither slot is damaged.
    Agrees { entries: u64 },
    /// It did not (these `sections` differ, or are missing or extra), or readers passed over
    /// a damaged slot (`slots`) to the other's head (of `entries`) or to none (`entries` 0):
    /// derived data was wrong. It has been replaced by the fresh derivation at the head, or
    /// removed.
    Rebuilt {
        entries: u64,
        sections: Vec<String>,
        slots: Vec<snapshot::DamagedSlot>,
    },
}

/// A sink that tells `progress` of each section passed on to `sink` ([`Phase::Digest`], of
/// `of` sections): how `verify` shows the hashing of a fold's sections.
struct Counted<'a, F: FnMut(Checking)> {
    sink: &'a mut dyn snapshot::SectionSink,
    counted: u64,
    of: u64,
    progress: &'a mut F,
}

impl<F: FnMut(Checking)> snapshot::SectionSink for Counted<'_, F> {
    fn section(
        &mut self,
        name: &str,
        encode: &mut dyn FnMut(&mut dyn io::Write) -> io::Result<()>,
    ) -> io::Result<()> {
        self.sink.section(name, encode)?;
        self.counted += 1;
        (self.progress)(Checking {
            phase: Phase::Digest,
            checked: self.counted,
            of: self.of.max(self.counted),
        });
        Ok(())
    }
}

/// How a command uses the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Appends: takes the exclusive lock (waiting briefly for a reader to let go) or fails
    /// with [`LedgerError::InUse`], and keeps the derived database up to date.
    Write,
    /// Reads: no lock and no derived database, only the journal up to what the head file
    /// acknowledges, the projection snapshot file, and the offsets file (each checked against
    /// the journal before use). Never waits, never blocks a writer.
    Read,
    /// Reads what the derived database holds (the Merkle tree: `verify`, `prove`): takes the
    /// lock if it is free, and then opens the database and brings it up to date; without the
    /// lock, answers from the journal alone.
    Inspect,
}

/// Who records, and when: pinned in tests so a fixture always yields the same hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorder {
    pub by: String,
    /// `None`: the clock at append.
    pub at: Option<Timestamp>,
}

/// One entry read back from the journal, with its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub entry: Entry,
    pub hash: EntryHash,
}

/// Entries ready to be appended: encoded, hashed and framed, not yet written.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub entries: Vec<StoredEntry>,
    frames: Vec<u8>,
    head: Head,
    index_keys: Vec<(u64, u64)>,
}

impl Prepared {
    /// The head after these entries are appended.
    pub fn head(&self) -> Head {
        self.head
    }
}

pub struct Ledger {
    dir: PathBuf,
    head: Head,
    access: Access,
    /// Held for the life of the ledger when this process has the lock.
    lock: Option<File>,
    store: Option<Store>,
    notices: Vec<String>,
    options: Options,
    config: config::Config,
    /// The Merkle tree kept in the store (see `tree.rs`); `None` without a store.
    tree: Option<MerkleTree<MerkleNodes>>,
    /// The journal and the head file, held open by a writer between appends.
    appender: Option<Appender>,
    /// The stored Merkle tree disagreed with the journal since open (see `tree.rs`).
    tree_rebuilt: bool,
}

/// What a writer keeps open between appends, so an append opens no file: the journal (for
/// appending) and the head file (rewritten in place).
struct Appender {
    journal: File,
    head_file: journal::HeadFile,
}

impl Ledger {
    /// Creates an empty ledger in `dir` (created if missing; must not hold a ledger already).
    pub fn init(dir: &Path) -> Result<Ledger, LedgerError> {
        Ledger::init_with(dir, &config::Config::default_for(dir))
    }

    /// Creates an empty ledger in `dir` with `config` (its origin, its signing key).
    pub fn init_with(dir: &Path, config: &config::Config) -> Result<Ledger, LedgerError> {
        if dir.is_file() {
            return Err(LedgerError::NotADirectory(dir.to_owned()));
        }
        fs::create_dir_all(dir).map_err(LedgerError::io(dir))?;
        let lock = lock(dir)?.ok_or_else(|| LedgerError::InUse(dir.to_owned()))?;
        if dir.join(JOURNAL_FILE).exists() {
            return Err(LedgerError::AlreadyExists(dir.to_owned()));
        }
        // Written first: creating the journal syncs the directory.
        config.write(dir)?;
        journal::create(dir).map_err(LedgerError::io(dir.join(JOURNAL_FILE)))?;
        drop(lock);
        Ledger::open(dir, Access::Write)
    }

    /// Opens the ledger in `dir`, creating an empty one first if `dir` holds none.
    pub fn open_or_init(dir: &Path) -> Result<Ledger, LedgerError> {
        match Ledger::open(dir, Access::Write) {
            Err(LedgerError::NotALedger(_)) => Ledger::init(dir),
            other => other,
        }
    }

    pub fn open(dir: &Path, access: Access) -> Result<Ledger, LedgerError> {
        Ledger::open_with(dir, access, Options::default())
    }

    pub fn open_with(dir: &Path, access: Access, options: Options) -> Result<Ledger, LedgerError> {
        if dir.is_file() {
            return Err(LedgerError::NotADirectory(dir.to_owned()));
        }
        let journal_path = dir.join(JOURNAL_FILE);
        if !journal_path.exists() {
            return Err(LedgerError::NotALedger(dir.to_owned()));
        }
        let lock = match access {
            Access::Read => None,
            Access::Write => match lock_for(dir, access)? {
                Some(lock) => Some(lock),
                None => return Err(LedgerError::InUse(dir.to_owned())),
            },
            // A read-only directory cannot hold a lock file; inspecting needs none.
            Access::Inspect => lock_for(dir, access).ok().flatten(),
        };
        let mut ledger = Ledger {
            dir: dir.to_owned(),
            head: Head::empty(),
            access,
            lock,
            store: None,
            notices: Vec::new(),
            options,
            config: config::Config::read(dir)?,
            tree: None,
            appender: None,
            tree_rebuilt: false,
        };
        if ledger.access == Access::Write {
            ledger.check_signing_key()?;
        }
        let read = ledger.check_journal()?;
        ledger.head = read.head;
        if ledger.access == Access::Write {
            ledger.appender = Some(ledger.open_appender(&read)?);
            snapshot::remove_abandoned(&ledger.dir);
            sync::remove_abandoned_temporaries(&ledger.dir);
        }
        if ledger.lock.is_some() {
            // The offsets first: catching the Merkle tree up reads the journal from them.
            let repaired = offsets::refresh(&ledger.dir, &ledger.head);
            ledger.notices.extend(repaired);
            ledger.open_store()?;
            ledger.check_own_checkpoint()?;
        }
        Ok(ledger)
    }

    /// Opens the journal and the head file for appends, under the lock. A text head file (a
    /// ledger made before the slotted one) is first replaced by a slotted one holding the same
    /// head, atomically: a crash leaves one or the other, and both read the same.
    fn open_appender(&self, read: &journal::HeadRead) -> Result<Appender, LedgerError> {
        let head_path = self.dir.join(HEAD_FILE);
        let read = if read.is_text() {
            journal::write_head(&self.dir, &read.head).map_err(LedgerError::io(&head_path))?;
            journal::read_head_file(&self.dir)
                .map_err(|e| self.corrupted(HEAD_FILE, e.to_string()))?
        } else {
            *read
        };
        let head_file =
            journal::HeadFile::open(&self.dir, &read).map_err(LedgerError::io(&head_path))?;
        let path = self.dir.join(JOURNAL_FILE);
        let journal = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(LedgerError::io(&path))?;
        Ok(Appender { journal, head_file })
    }

    /// Whether this process holds the ledger for writing (opened with [`Access::Write`]).
    pub fn is_writer(&self) -> bool {
        self.access == Access::Write && self.lock.is_some()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn head(&self) -> Head {
        self.head
    }

    /// Whether this process holds the ledger's lock (a writer always does; an inspector when
    /// no writer was at work): only then may it replace the ledger's own files.
    pub fn holds_lock(&self) -> bool {
        self.lock.is_some()
    }

    /// What the user should be told about repairs made on open (a rebuilt index, a cut tail).
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    fn corrupted(&self, file: &str, detail: impl Into<String>) -> LedgerError {
        LedgerError::Corrupted {
            path: self.dir.join(file),
            detail: detail.into(),
        }
    }

    /// Reads the head file and checks the journal against it: the magic, the length, and the
    /// last acknowledged frame. A full check of every entry is `verify`'s job.
    fn check_journal(&mut self) -> Result<journal::HeadRead, LedgerError> {
        let path = self.dir.join(JOURNAL_FILE);
        let read = journal::read_head_file(&self.dir)
            .map_err(|e| self.corrupted(HEAD_FILE, e.to_string()))?;
        let head = read.head;
        if !journal::check_magic(&path).map_err(LedgerError::io(&path))? {
            return Err(self.corrupted(JOURNAL_FILE, "not a ccm-ledger journal (overwritten?)"));
        }
        let len = fs::metadata(&path).map_err(LedgerError::io(&path))?.len();
        if len < head.bytes {
            return Err(self.corrupted(
                JOURNAL_FILE,
                format!(
                    "the journal has {len} bytes but the head file acknowledges {} (entries were removed)",
                    head.bytes
                ),
            ));
        }
        if head.entries > 0 {
            let last = journal::read_frame_at(&path, head.last_frame, head.bytes);
            match last {
                Ok(frame) if frame.end() == head.bytes && frame.hash == head.hash => {}
                Ok(_) => {
                    return Err(self.corrupted(
                        JOURNAL_FILE,
                        format!("entry {} does not match the head file", head.entries - 1),
                    ))
                }
                Err(e) => {
                    return Err(
                        self.corrupted(JOURNAL_FILE, format!("entry {}: {e}", head.entries - 1))
                    )
                }
            }
        }
        // A crash while an append rewrote its slot leaves exactly this; so does damage to the
        // newest slot. Either way the other slot's head is the last one synced whole. But a
        // reader can also catch a writer's slot half written: no note while one is at work.
        let no_writer_at_work = || self.lock.is_some() || !matches!(lock(&self.dir), Ok(None));
        if len > head.bytes && read.other_slot_unreadable && no_writer_at_work() {
            self.notices.push(format!(
                "one slot of the head file is unreadable (an append torn by a crash, or damage); the ledger is read at the other slot's head, {} entries, and the {} journal bytes past it are not acknowledged; run `ccm-ledger verify`",
                head.entries,
                len - head.bytes
            ));
        }
        if len > head.bytes && self.access == Access::Write {
            self.cut_torn_tail(&path, &head, len)?;
        }
        Ok(read)
    }

    /// Frames past the acknowledged size were never acknowledged to anyone: a crash hit
    /// between their sync and the head's. They are cut, and kept in a side file as evidence,
    /// unless the index shows they had been acknowledged, in which case the head file was
    /// rolled back and nothing is touched.
    fn cut_torn_tail(&mut self, path: &Path, head: &Head, len: u64) -> Result<(), LedgerError> {
        if let Ok(store) = Store::open(&self.dir.join(INDEX_DIR)) {
            if let Ok(Some(absorbed)) = store.absorbed() {
                if absorbed.entries > head.entries {
                    return Err(self.corrupted(
                        HEAD_FILE,
                        format!(
                            "the head file acknowledges {} entries but {} had been acknowledged (the head file was rolled back)",
                            head.entries, absorbed.entries
                        ),
                    ));
                }
            }
        }
        // Named by offset and time: two crashes at the same size keep both tails. At most
        // MAX_KEPT_TAIL_BYTES of it are kept (streamed, not held in memory): the evidence is
        // the first frames; a crashed import of 10^6 lines would otherwise copy hundreds of MB.
        let kept = self.dir.join(format!(
            "torn-tail-at-{}-{}.bin",
            head.bytes,
            time::OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        let copied = {
            use std::io::{Read, Seek, SeekFrom};
            let mut file = File::open(path).map_err(LedgerError::io(path))?;
            file.seek(SeekFrom::Start(head.bytes))
                .map_err(LedgerError::io(path))?;
            let mut out = File::create(&kept).map_err(LedgerError::io(&kept))?;
            std::io::copy(&mut file.take(MAX_KEPT_TAIL_BYTES), &mut out)
                .map_err(LedgerError::io(&kept))?
        };
        prune_kept(&self.dir, "torn-tail-at-");
        let tail_len = len - head.bytes;
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(LedgerError::io(path))?;
        file.set_len(head.bytes).map_err(LedgerError::io(path))?;
        sync::data(&file).map_err(LedgerError::io(path))?;
        self.notices.push(format!(
            "cut {tail_len} unacknowledged bytes (len {len}) off the journal, left by an interrupted write; kept {copied} of them in {}",
            kept.display()
        ));
        Ok(())
    }

    /// Opens the derived database and brings it up to the head; if it is missing, damaged,
    /// panics, or disagrees with the journal, it is set aside and rebuilt.
    fn open_store(&mut self) -> Result<(), LedgerError> {
        let path = self.dir.join(INDEX_DIR);
        let existed = path.exists();
        let opened = Store::open(&path);
        if let Some(detail) = opened
            .as_ref()
            .ok()
            .and_then(|s| self.index_contradiction(s))
        {
            return Err(LedgerError::Contradicted { path, detail });
        }
        match opened.and_then(|store| self.catch_up_with_tree(store)) {
            Ok((store, from_zero, tree)) => {
                if existed && from_zero && self.head.entries > 0 {
                    self.notices.push(
                        "the index database held nothing of the journal (damaged or emptied); rebuilt from the journal".into(),
                    );
                }
                self.store = Some(store);
                self.tree = tree;
                Ok(())
            }
            Err(problem) => {
                // A full disk is not damage: say so (exit 1) and leave the database as it is.
                if let Some(e) = problem.disk_failure() {
                    return Err(LedgerError::Io {
                        path,
                        source: std::io::Error::new(e.kind(), e.to_string()),
                    });
                }
                if existed {
                    let aside = self.dir.join(format!(
                        "{INDEX_DIR}.damaged-{}",
                        time::OffsetDateTime::now_utc().unix_timestamp_nanos()
                    ));
                    fs::rename(&path, &aside).map_err(LedgerError::io(&path))?;
                    prune_kept(&self.dir, &format!("{INDEX_DIR}.damaged-"));
                    self.notices.push(format!(
                        "the index database was unusable ({problem}); set aside as {} and rebuilt from the journal",
                        aside.display()
                    ));
                }
                let (store, _, tree) = Store::open(&path)
                    .and_then(|store| self.catch_up_with_tree(store))
                    .map_err(|e| match e.disk_failure() {
                        Some(io) => LedgerError::Io {
                            path: path.clone(),
                            source: std::io::Error::new(io.kind(), io.to_string()),
                        },
                        None => self.corrupted(INDEX_DIR, e.to_string()),
                    })?;
                self.store = Some(store);
                self.tree = tree;
                Ok(())
            }
        }
    }

    /// What the index's absorbed mark says the journal held and it no longer holds: more
    /// entries than the head acknowledges (cut off, or the head file rolled back), or another
    /// entry where its last absorbed one was (rewritten). A mark that cannot be read is
    /// damage, not evidence (`None`: the caller rebuilds as for any damage).
    fn index_contradiction(&self, store: &Store) -> Option<String> {
        let absorbed = store.absorbed().ok()??;
        if absorbed.entries > self.head.entries {
            return Some(format!(
                "it had absorbed {} acknowledged entries, but the head file acknowledges only {} (the head file was rolled back, or entries were cut off the journal)",
                absorbed.entries, self.head.entries
            ));
        }
        let journal = self.dir.join(JOURNAL_FILE);
        let holds = absorbed.entries == 0
            || journal::read_frame_at(&journal, absorbed.last_frame, self.head.bytes)
                .is_ok_and(|f| f.hash == absorbed.hash && f.end() == absorbed.bytes);
        (!holds).then(|| {
            format!(
                "it had absorbed entry {} with hash {}, which the journal no longer holds there (the journal was rewritten)",
                absorbed.entries - 1,
                absorbed.hash
            )
        })
    }

    /// Brings the database up to the head; says whether it had to start from nothing.
    fn catch_up(&self, store: Store) -> Result<(Store, bool), StoreError> {
        let journal = self.dir.join(JOURNAL_FILE);
        let recorded = store.absorbed()?;
        let from_zero = recorded.is_none();
        let absorbed = match recorded {
            Some(a) => a,
            None => Head::empty(),
        };
        let agrees = absorbed.entries <= self.head.entries
            && (absorbed.entries == 0
                || journal::read_frame_at(&journal, absorbed.last_frame, self.head.bytes)
                    .is_ok_and(|f| f.hash == absorbed.hash && f.end() == absorbed.bytes));
        if !agrees {
            return Err(StoreError::Open(format!(
                "it had absorbed {} entries that do not match the journal",
                absorbed.entries
            )));
        }
        if absorbed.entries == self.head.entries {
            if from_zero {
                // A new database says at once what it holds: appends only insert into sled's
                // buffer (see `Store::absorb`), and a writer killed before closing must not
                // leave a database that looks emptied.
                store.absorb(absorbed)?;
                store.flush()?;
            }
            return Ok((store, from_zero));
        }
        // The mark moves to the journal's last acknowledged frame, checked to be whole.
        let frame = journal::read_frame_at(&journal, self.head.last_frame, self.head.bytes)
            .map_err(|e| StoreError::Open(format!("entry {}: {e}", self.head.entries - 1)))?;
        store.absorb(Head {
            entries: self.head.entries,
            bytes: frame.end(),
            last_frame: frame.offset,
            hash: frame.hash,
        })?;
        // Written out now: this work is done once, not again after a writer is killed.
        store.flush()?;
        Ok((store, from_zero))
    }

    /// The entries with seq in `from..to` (to capped at the head), decoded, in order.
    pub fn entries(
        &self,
        from: u64,
        to: u64,
    ) -> Result<impl Iterator<Item = Result<StoredEntry, LedgerError>> + '_, LedgerError> {
        // The offsets file, if it checks out; otherwise from the start.
        let start = offsets::nearest(&self.dir, from, &self.head)
            .unwrap_or((0, journal::MAGIC.len() as u64));
        self.entries_starting(start, from, to)
    }

    /// The entries with seq in `from..to`, reading the journal from `start`: a (seq, offset)
    /// at which a frame begins, at or before `from`.
    fn entries_starting(
        &self,
        start: (u64, u64),
        from: u64,
        to: u64,
    ) -> Result<impl Iterator<Item = Result<StoredEntry, LedgerError>> + '_, LedgerError> {
        let to = to.min(self.head.entries);
        let path = self.dir.join(JOURNAL_FILE);
        let (mut seq, offset) = start;
        let mut reader =
            FrameReader::open(&path, offset, self.head.bytes).map_err(LedgerError::io(&path))?;
        let mut failed = false;
        Ok(std::iter::from_fn(move || {
            while !failed && seq < to {
                let at = seq;
                let frame = match reader.next_frame() {
                    Some(Ok(frame)) => frame,
                    Some(Err(e)) => {
                        failed = true;
                        return Some(Err(self.corrupted(JOURNAL_FILE, format!("entry {at}: {e}"))));
                    }
                    None => {
                        failed = true;
                        return Some(Err(
                            self.corrupted(JOURNAL_FILE, format!("entry {at} is missing"))
                        ));
                    }
                };
                seq += 1;
                if at < from {
                    continue;
                }
                return Some(match Entry::decode(&frame.bytes) {
                    Ok(entry) if entry.seq == Seq(at) => Ok(StoredEntry {
                        entry,
                        hash: frame.hash,
                    }),
                    Ok(entry) => {
                        failed = true;
                        Err(self.corrupted(
                            JOURNAL_FILE,
                            format!("entry {at} says it is entry {}", entry.seq),
                        ))
                    }
                    Err(e) => {
                        failed = true;
                        Err(self.corrupted(JOURNAL_FILE, format!("entry {at}: {e}")))
                    }
                });
            }
            None
        }))
    }

    /// The number of entries recorded at or before `at` (record time).
    pub fn entries_known_at(&self, at: Timestamp) -> Result<u64, LedgerError> {
        // recorded_at is not monotonic across imports of old exports, so this is a scan.
        let mut count = 0;
        for (i, entry) in self.entries(0, u64::MAX)?.enumerate() {
            if entry?.entry.recorded_at <= at {
                count = i as u64 + 1;
            }
        }
        Ok(count)
    }

    /// Encodes, hashes and frames `drafts` as the next entries, without writing anything.
    pub fn prepare(&self, drafts: &[Draft], recorder: &Recorder) -> Prepared {
        prepare(self.head, drafts, recorder)
    }

    /// Appends prepared entries: writes their frames, syncs the journal once, then rewrites
    /// the head file's older slot and syncs it. Only then is the append acknowledged; the
    /// derived data is brought along afterwards and is rebuilt if that fails. An append of one
    /// piece through [`Appending`], the one append path.
    pub fn commit(&mut self, prepared: Prepared) -> Result<Head, LedgerError> {
        let mut appending = self.append_in_pieces()?;
        appending.write(&prepared)?;
        appending.acknowledge()
    }

    /// Writes frames at the end of the journal: neither durable nor acknowledged yet.
    fn write_frames(&mut self, frames: &[u8]) -> Result<(), LedgerError> {
        let appender = self.appender.as_mut().ok_or(LedgerError::ReadOnly)?;
        let path = self.dir.join(JOURNAL_FILE);
        #[cfg(debug_assertions)]
        streamed::injected_full_disk(&mut &appender.journal, frames)
            .map_err(LedgerError::io(&path))?;
        (&appender.journal)
            .write_all(frames)
            .map_err(LedgerError::io(path))
    }

    /// Makes the frames written so far durable and acknowledges them as `head`, through
    /// [`journal::sync_and_acknowledge`]: once this returns, the append is done.
    fn acknowledge(&mut self, head: &Head) -> Result<(), LedgerError> {
        let appender = self.appender.as_mut().ok_or(LedgerError::ReadOnly)?;
        journal::sync_and_acknowledge(&mut appender.head_file, &appender.journal, head).map_err(
            |e| match e {
                journal::AcknowledgeError::Journal(source) => LedgerError::Io {
                    path: self.dir.join(JOURNAL_FILE),
                    source,
                },
                journal::AcknowledgeError::Head(source) => LedgerError::Io {
                    path: self.dir.join(HEAD_FILE),
                    source,
                },
            },
        )
    }

    /// Folds the first `upto` entries into `P` (in batches, in order), starting from the
    /// snapshot file when it holds a valid one under `key`, and refreshes the snapshot when
    /// the fold went far past it. The answer is the same with or without a snapshot (tested):
    /// snapshots are derived.
    pub fn fold<P>(
        &mut self,
        key: &str,
        upto: u64,
        mut apply: impl FnMut(&mut P, &[Entry]),
    ) -> Result<P, LedgerError>
    where
        P: Default + Snapshotted,
    {
        let upto = upto.min(self.head.entries);
        let start = (0, journal::MAGIC.len() as u64);
        let (mut state, start) = match self.usable_snapshot(key, upto) {
            Some(found) => match P::from_sections(&mut |name| found.section(name)) {
                Some(state) => (state, (found.tie.entries, found.tie.journal_bytes)),
                None => (P::default(), start),
            },
            None => (P::default(), start),
        };
        let from = start.0;
        self.fold_onto(&mut state, start, upto, &mut apply)?;
        let refresh =
            upto == self.head.entries && upto > 0 && (from == 0 || upto - from >= SNAPSHOT_EVERY);
        if refresh {
            self.keep_snapshot(key, &state);
        }
        Ok(state)
    }

    /// Folds the first `upto` entries into `P` from the journal alone: the snapshot is
    /// neither read nor written. What a publication (`report --html`) and `verify` use, so
    /// that no derived file they have not checked drives what they say.
    pub fn fold_from_journal<P: Default>(
        &self,
        upto: u64,
        mut apply: impl FnMut(&mut P, &[Entry]),
    ) -> Result<P, LedgerError> {
        let upto = upto.min(self.head.entries);
        let mut state = P::default();
        self.fold_onto(
            &mut state,
            (0, journal::MAGIC.len() as u64),
            upto,
            &mut apply,
        )?;
        Ok(state)
    }

    /// Applies entries `start.0..upto` to `state` (the fold of the entries before them, whose
    /// frames end at byte `start.1`). In batches: a fold may do per-batch work (the projection
    /// recomputes each touched view once per batch), while memory stays bounded on a large
    /// ledger.
    fn fold_onto<P>(
        &self,
        state: &mut P,
        start: (u64, u64),
        upto: u64,
        apply: &mut impl FnMut(&mut P, &[Entry]),
    ) -> Result<(), LedgerError> {
        let from = start.0;
        let mut batch = Vec::with_capacity(FOLD_BATCH.min(upto.saturating_sub(from) as usize));
        for stored in self.entries_starting(start, from, upto)? {
            batch.push(stored?.entry);
            if batch.len() == FOLD_BATCH {
                apply(state, &batch);
                batch.clear();
            }
        }
        if !batch.is_empty() {
            apply(state, &batch);
        }
        Ok(())
    }

    /// Checks the snapshot readers would use (made under `key`, tied to this chain) against
    /// a fresh derivation: the entries it covers folded from the journal, its sections
    /// hashed as a snapshot of that fold would list them. A snapshot that disagrees — a
    /// forgery with its checksums recomputed, or a bug — is replaced by the fresh one (at
    /// the head) or removed, and named. Readers check each section's bytes against the
    /// directory whenever they read it; this checks the directory against the journal. A
    /// slot readers pass over (torn, or damaged: they fall back to the other without a
    /// word) is named and the snapshot replaced too. `progress` is told how far each phase
    /// has got ([`Phase::SnapshotRead`], [`Phase::Fold`], [`Phase::Digest`]), as `verify`'s
    /// pass tells it of the chain.
    pub fn check_snapshot<P: Default + Snapshotted>(
        &self,
        key: &str,
        mut apply: impl FnMut(&mut P, &[Entry]),
        mut progress: impl FnMut(Checking),
    ) -> Result<SnapshotCheck, LedgerError> {
        // A slot is judged only under the lock: a writer at work may be writing one as it is
        // read, and a slot half written is what a reader falls back from, not damage.
        let slots = match self.holds_lock() {
            true => snapshot::damaged_slots(&self.dir),
            false => Vec::new(),
        };
        let Some(found) = self.usable_snapshot(key, self.head.entries) else {
            if slots.is_empty() {
                return Ok(SnapshotCheck::NotUsed);
            }
            let fresh: P = self.fold_reported(self.head.entries, &mut apply, &mut progress)?;
            self.replace_snapshot(key, &fresh)?;
            return Ok(SnapshotCheck::Rebuilt {
                entries: 0,
                sections: Vec::new(),
                slots,
            });
        };
        let entries = found.tie.entries;
        let end = (entries, found.tie.journal_bytes);
        let stored = found.sums();
        let of = stored.len() as u64;
        // A directory can agree with the journal while the bytes where it points do not
        // (rot, a wrong offset or length): readers would fall back to a fold each time, so
        // such a section is named and rebuilt too.
        let mut unreadable = Vec::new();
        for (read, (name, _)) in stored.iter().enumerate() {
            if found.section(name).is_none() {
                unreadable.push(name.clone());
            }
            progress(Checking {
                phase: Phase::SnapshotRead,
                checked: read as u64 + 1,
                of,
            });
        }
        drop(found);
        let mut fresh: P = self.fold_reported(entries, &mut apply, &mut progress)?;
        let derived = snapshot::digest(|out| {
            fresh.write_sections(&mut Counted {
                sink: out,
                counted: 0,
                of,
                progress: &mut progress,
            })
        })
        .expect("hashing in memory does not fail");
        if stored == derived && unreadable.is_empty() && slots.is_empty() {
            return Ok(SnapshotCheck::Agrees { entries });
        }
        let mut sections: Vec<String> = stored
            .iter()
            .filter(|s| !derived.contains(s))
            .chain(derived.iter().filter(|d| !stored.contains(d)))
            .map(|(name, _)| name.clone())
            .chain(unreadable)
            .collect();
        sections.sort();
        sections.dedup();
        // Brought to the head (the entries after the snapshot's are few), and kept there.
        self.fold_onto(&mut fresh, end, self.head.entries, &mut apply)?;
        self.replace_snapshot(key, &fresh)?;
        Ok(SnapshotCheck::Rebuilt {
            entries,
            sections,
            slots,
        })
    }

    /// [`Self::fold_from_journal`] of the first `upto` entries, telling `progress` after each
    /// batch ([`Phase::Fold`]).
    fn fold_reported<P: Default>(
        &self,
        upto: u64,
        apply: &mut impl FnMut(&mut P, &[Entry]),
        progress: &mut impl FnMut(Checking),
    ) -> Result<P, LedgerError> {
        let mut state = P::default();
        let mut folded = 0;
        let mut reported = |state: &mut P, batch: &[Entry]| {
            apply(state, batch);
            folded += batch.len() as u64;
            progress(Checking {
                phase: Phase::Fold,
                checked: folded,
                of: upto,
            });
        };
        let start = (0, journal::MAGIC.len() as u64);
        self.fold_onto(&mut state, start, upto, &mut reported)?;
        Ok(state)
    }

    /// Replaces the snapshot with `fresh`, the fold of every entry, or removes it when that
    /// cannot be written: what [`Self::check_snapshot`] leaves in place of a wrong one.
    fn replace_snapshot<P: Snapshotted>(&self, key: &str, fresh: &P) -> Result<(), LedgerError> {
        if !self.keep_snapshot(key, fresh) {
            let path = snapshot::path(&self.dir);
            match fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(LedgerError::io(&path)(e))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Keeps `state` (the fold of every entry the ledger holds, made under `key`) as the
    /// snapshot, so the next query at the head reads it instead of folding: what a writer
    /// calls after a commit with the projection it validated against, the new entries applied.
    /// Says whether it was written; a state of any other length is refused (it would tie the
    /// wrong answer to this head), and a snapshot that cannot be written (a read-only
    /// directory) is only a lost shortcut.
    pub fn keep_snapshot<P: Snapshotted>(&self, key: &str, state: &P) -> bool {
        keep_snapshot_at(&self.dir, &self.head, key, state)
    }

    /// The tie of the snapshot made under `key` at this ledger's head, if there is a usable
    /// one: what a writer that folded from it (with nothing after it) later updates in
    /// place ([`Self::update_snapshot`]).
    pub fn snapshot_tie(&self, key: &str) -> Option<snapshot::Tie> {
        self.snapshot_of(key, self.head.entries)
            .map(|found| found.tie)
    }

    /// Brings the snapshot tied to `from` up to `state` (the fold of every entry the ledger
    /// holds) by writing only the sections `write` gives and dropping those in `gone`: what a
    /// writer calls after a commit when it extended that snapshot, so a write costs what it
    /// changed, not the whole projection. When the snapshot is not the one expected (a
    /// reader replaced it meanwhile, it was removed or damaged), `state` is kept whole
    /// instead ([`Self::keep_snapshot`]). Only a writer (holding the lock) updates in place;
    /// says whether a snapshot was written.
    pub fn update_snapshot<P: Snapshotted>(
        &self,
        key: &str,
        from: &snapshot::Tie,
        state: &P,
        gone: &[String],
        write: impl FnOnce(&mut dyn SectionSink) -> io::Result<()>,
    ) -> bool {
        if state.entries_applied() != self.head.entries {
            return false;
        }
        self.update_snapshot_in_place(key, from, gone, write) || self.keep_snapshot(key, state)
    }

    /// [`Self::update_snapshot`] without a whole state to fall back on: a writer that holds
    /// only some of the views (`projection::Slice`). When the snapshot is not the one
    /// expected, nothing is written: it stays tied to an earlier entry, and readers fold the
    /// entries after it. Says whether it was updated.
    pub fn update_snapshot_in_place(
        &self,
        key: &str,
        from: &snapshot::Tie,
        gone: &[String],
        write: impl FnOnce(&mut dyn SectionSink) -> io::Result<()>,
    ) -> bool {
        let entries = self.head.entries;
        if !self.is_writer() || entries == 0 {
            return false;
        }
        let tie = snapshot::Tie {
            key: key.to_owned(),
            entries,
            journal_bytes: self.head.bytes,
            last_frame: self.head.last_frame,
            hash: self.head.hash,
        };
        matches!(
            snapshot::update(&self.dir, from, &tie, gone, write),
            Ok(snapshot::Updated::Appended | snapshot::Updated::Compacted)
        )
    }

    /// The snapshot made under `key` of exactly the first `entries` entries of this chain, to
    /// be read in part (a query that needs a few sections of it). `None`: there is none, and
    /// the answer must be folded ([`Self::fold`]).
    pub fn snapshot_of(&self, key: &str, entries: u64) -> Option<snapshot::Snapshot> {
        self.usable_snapshot(key, entries)
            .filter(|found| found.tie.entries == entries)
    }

    /// The snapshot file, if it was made under `key` from this chain (its last entry's frame
    /// is where it says, with the hash it says) and covers no more than `upto` entries.
    fn usable_snapshot(&self, key: &str, upto: u64) -> Option<snapshot::Snapshot> {
        let found = snapshot::open(&self.dir)?;
        let tie = &found.tie;
        if tie.key != key || tie.entries == 0 || tie.entries > upto {
            return None;
        }
        let frame = journal::read_frame_at(
            &self.dir.join(JOURNAL_FILE),
            tie.last_frame,
            self.head.bytes,
        )
        .ok()?;
        (frame.hash == tie.hash && frame.end() == tie.journal_bytes).then_some(found)
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        if let Some(store) = &self.store {
            let _ = store.flush();
        }
    }
}

/// [`Ledger::keep_snapshot`] for the ledger in `dir` at `head`, without opening it: a
/// snapshot needs no lock (see [`snapshot::write`]), so the writer that made a new ledger
/// keeps its projection while the ledger is opened (its index and Merkle tree built) beside.
pub fn keep_snapshot_at<P: Snapshotted>(dir: &Path, head: &Head, key: &str, state: &P) -> bool {
    let entries = head.entries;
    if entries == 0 || state.entries_applied() != entries {
        return false;
    }
    let tie = snapshot::Tie {
        key: key.to_owned(),
        entries,
        journal_bytes: head.bytes,
        last_frame: head.last_frame,
        hash: head.hash,
    };
    snapshot::write(dir, &tie, |out| state.write_sections(out)).is_ok()
}

/// Encodes, hashes and frames `drafts` as the entries that would follow `head`, without
/// writing anything (so an import can check a new ledger's hashes before creating it).
pub fn prepare(head: Head, drafts: &[Draft], recorder: &Recorder) -> Prepared {
    prepare_owned(head, drafts.iter().cloned(), recorder)
}

/// [`prepare`], taking the drafts by value: their events move into the entries instead of
/// being copied (an import of 10^6 lines then holds one copy of its events, not two).
pub fn prepare_owned(
    head: Head,
    drafts: impl IntoIterator<Item = Draft>,
    recorder: &Recorder,
) -> Prepared {
    let now = recorder.at.unwrap_or_else(Timestamp::now);
    let drafts = drafts.into_iter();
    let mut head = head;
    let mut entries = Vec::with_capacity(drafts.size_hint().0);
    let mut frames = Vec::new();
    let mut index_keys = Vec::new();
    for draft in drafts {
        let seq = Seq(head.entries);
        let entry = Entry {
            seq,
            recorded_at: draft.recorded_at.unwrap_or(now),
            recorded_by: draft.recorded_by.unwrap_or_else(|| recorder.by.clone()),
            override_reason: draft.override_reason,
            prev_hash: head.hash,
            event: draft.event,
        };
        let offset = head.bytes;
        if seq.0.is_multiple_of(INDEX_STRIDE) {
            index_keys.push((seq.0, offset));
        }
        // Encoded, hashed and framed in place, in the buffer of the piece's frames.
        let start = frames.len();
        let hash = journal::push_frame(
            &mut frames,
            |out| entry.encode_into(out),
            |bytes| EntryHash::chain(&head.hash, seq, bytes),
        );
        head = Head {
            entries: seq.0 + 1,
            bytes: offset + (frames.len() - start) as u64,
            hash,
            last_frame: offset,
        };
        entries.push(StoredEntry { entry, hash });
    }
    Prepared {
        entries,
        frames,
        head,
        index_keys,
    }
}

/// How long a writer waits for the lock. Readers hold it for milliseconds (to bring the
/// derived database along); a writer holds it for a whole import. Waiting this long lets a
/// writer pass a reader and still tells a second writer "ledger in use" within a second.
const WRITER_PATIENCE: std::time::Duration = std::time::Duration::from_millis(750);

/// The lock for `access`: a reader tries once (it can read without it); a writer retries
/// for up to [`WRITER_PATIENCE`].
fn lock_for(dir: &Path, access: Access) -> Result<Option<File>, LedgerError> {
    let deadline = std::time::Instant::now() + WRITER_PATIENCE;
    loop {
        match lock(dir)? {
            Some(file) => return Ok(Some(file)),
            None if access != Access::Write || std::time::Instant::now() >= deadline => {
                return Ok(None)
            }
            None => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
    }
}

/// Takes the exclusive lock of a ledger directory: `Some` if taken, `None` if another process
/// (or another open ledger in this one) holds it. Never waits.
fn lock(dir: &Path) -> Result<Option<File>, LedgerError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(LedgerError::io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(fs::TryLockError::WouldBlock) => Ok(None),
        Err(fs::TryLockError::Error(e)) => Err(LedgerError::Io { path, source: e }),
    }
}

/// How many set-aside copies of each kind (`torn-tail-at-*`, `index.sled.damaged-*`) a ledger
/// keeps: the newest, as evidence of what happened; older ones are deleted when a new one is
/// made, so repeated failures cannot fill the disk.
pub const KEPT_COPIES: usize = 3;
/// The most bytes of a torn tail kept aside.
pub const MAX_KEPT_TAIL_BYTES: u64 = 16 << 20;

/// Deletes all but the newest [`KEPT_COPIES`] entries of `dir` whose names start with
/// `prefix` (their names end with a creation time in nanoseconds). Best effort.
fn prune_kept(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut kept: Vec<(u128, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let rest = name.strip_prefix(prefix)?;
            let stamp = rest
                .trim_end_matches(".bin")
                .rsplit('-')
                .next()?
                .parse()
                .ok()?;
            Some((stamp, e.path()))
        })
        .collect();
    kept.sort_by_key(|k| std::cmp::Reverse(k.0));
    for (_, old) in kept.into_iter().skip(KEPT_COPIES) {
        let _ = if old.is_dir() {
            fs::remove_dir_all(&old)
        } else {
            fs::remove_file(&old)
        };
    }
}
