//! The Merkle tree of the ledger, wired to the journal and the derived database: kept up to
//! date at every append (no rebuild), caught up on open like the index, and used for roots,
//! proofs and signed checkpoints.
//!
//! The tree is derived data. The journal is the truth: whenever the stored tree is missing,
//! damaged or disagrees with the journal, the answer is computed from the journal and the
//! stored tree is rebuilt.

use super::store::{MerkleNodes, Store, StoreError};
use crate::merkle::{
    leaf_hash, Checkpoint, ConsistencyProof, InclusionProof, MemoryNodeStore, MerkleTree,
    RootBuilder, TreeError, TreeHash,
};

use crate::domain::Timestamp;

use super::config::{self, CHECKPOINT_FILE};
use super::journal::{self, FrameReader, JOURNAL_FILE};
use super::{Ledger, LedgerError};
use crate::domain::EntryHash;

/// Buffered nodes are written at least every this many leaves (a node is ~41 bytes; a leaf
/// puts two nodes on average).
const SAVE_EVERY: u64 = 1 << 16;

/// How a ledger is opened beyond its access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Keep the Merkle tree in the derived database at every append (the default). Off, the
    /// tree falls behind and catches up on the next open with it on; roots and proofs are
    /// then computed from the journal. A switch for measuring what the tree costs.
    pub merkle_tree: bool,
    /// The time checkpoints are signed at, pinned (as the record time of new entries can
    /// be, for reproducible ledgers); `None`, the default: the system clock when signing.
    pub clock: Option<Timestamp>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            merkle_tree: true,
            clock: None,
        }
    }
}

/// A checkpoint of the head, signed now with the ledger's key.
#[derive(Debug, Clone)]
pub struct SignedCheckpoint {
    /// The signed note.
    pub note: String,
    pub checkpoint: Checkpoint,
    /// The signing time of the checkpoint the ledger kept before, when it is later than this
    /// one's: the clock went back. Signed all the same (see [`Ledger::sign_head`]).
    pub earlier_than: Option<Timestamp>,
}

impl SignedCheckpoint {
    /// What to tell the signer when the clock went back.
    pub fn clock_warning(&self) -> Option<String> {
        let (before, now) = (self.earlier_than?, self.checkpoint.signed_at?);
        Some(format!(
            "this checkpoint is signed at {now}, earlier than the ledger's previous one ({before}): the clock went back; check it (the time is signed as the clock reads it)"
        ))
    }
}

/// What checking the stored tree against a root recomputed from the journal found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeCheck {
    /// The stored tree has the same root.
    Agrees,
    /// The stored tree disagreed (or could not be read): derived data was damaged, and the
    /// tree has been rebuilt from the journal.
    Rebuilt,
    /// No stored tree to check (another process holds the lock, or it is switched off).
    Unavailable,
}

/// Why a journal of `entries` entries, whose Merkle root at the checkpoint's size is
/// `root_at` (when known), does not extend `checkpoint`, the latest the ledger signed: it is
/// shorter (cut), or its first entries have another root (rewritten). `None`: it extends it,
/// as far as is known.
pub fn contradicts_checkpoint(
    checkpoint: &Checkpoint,
    entries: u64,
    root_at: Option<TreeHash>,
) -> Option<String> {
    if checkpoint.size > entries {
        return Some(format!(
            "the ledger signed a checkpoint of {} entries, but the journal holds {entries} (entries were cut off the journal)",
            checkpoint.size
        ));
    }
    let root = root_at?;
    (root != checkpoint.root).then(|| {
        format!(
            "the Merkle root of the journal's first {} entries is {root}, but the ledger signed {} for them (an entry before {} was rewritten)",
            checkpoint.size, checkpoint.root, checkpoint.size
        )
    })
}

/// Range errors are the caller's; anything else means the stored tree cannot be trusted.
fn is_range_error(e: &TreeError) -> bool {
    matches!(
        e,
        TreeError::SizeOutOfRange { .. }
            | TreeError::IndexOutOfRange { .. }
            | TreeError::SizesOutOfOrder { .. }
    )
}

fn tree_open_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Open(format!("the Merkle tree: {e}"))
}

impl Ledger {
    /// Whether the stored Merkle tree was found to disagree with the journal (and was set to
    /// be rebuilt) since this ledger was opened: derived data was wrong.
    pub fn tree_rebuilt(&self) -> bool {
        self.tree_rebuilt
    }

    /// The checkpoint origin of this ledger (its `config`).
    pub fn origin(&self) -> &str {
        &self.config.origin
    }

    /// The ledger's configuration, as read on open.
    pub fn config(&self) -> &config::Config {
        &self.config
    }

    /// Catches up the index (see `catch_up`), then the Merkle tree when it is kept.
    pub(super) fn catch_up_with_tree(
        &self,
        store: Store,
    ) -> Result<(Store, bool, Option<MerkleTree<MerkleNodes>>), StoreError> {
        let (store, from_zero) = self.catch_up(store)?;
        if !self.options.merkle_tree {
            return Ok((store, from_zero, None));
        }
        let tree = self.catch_up_tree(&store)?;
        Ok((store, from_zero, Some(tree)))
    }

    /// Opens the stored tree at its recorded size, checks that its last leaf is the
    /// journal's entry, and appends the entries it has not absorbed yet. The index must be
    /// caught up first.
    fn catch_up_tree(&self, store: &Store) -> Result<MerkleTree<MerkleNodes>, StoreError> {
        let size = store.merkle_size()?.unwrap_or(0);
        if size > self.head.entries {
            return Err(tree_open_error(format!(
                "it holds {size} entries, the journal {}",
                self.head.entries
            )));
        }
        let mut tree = MerkleTree::open(store.merkle_nodes(), size).map_err(tree_open_error)?;
        let magic = journal::MAGIC.len() as u64;
        let (mut seq, offset) = match size {
            0 => (0, magic),
            _ => super::offsets::nearest(&self.dir, size - 1, &self.head).unwrap_or((0, magic)),
        };
        let path = self.dir.join(JOURNAL_FILE);
        let mut reader = FrameReader::open(&path, offset, self.head.bytes)
            .map_err(|e| StoreError::Open(e.to_string()))?;
        while let Some(frame) = reader.next_frame() {
            let frame = frame.map_err(|e| StoreError::Open(format!("entry {seq}: {e}")))?;
            if seq + 1 == size {
                if tree.leaf(seq).map_err(tree_open_error)? != leaf_hash(&frame.hash) {
                    return Err(tree_open_error(format!(
                        "its leaf {seq} is not the journal's entry {seq}"
                    )));
                }
            } else if seq >= size {
                tree.push(&frame.hash).map_err(tree_open_error)?;
                if tree.size().is_multiple_of(SAVE_EVERY) {
                    tree.store().save(tree.size())?;
                }
            }
            seq += 1;
        }
        if tree.size() != self.head.entries {
            return Err(tree_open_error(format!(
                "the journal ended at entry {seq}, the head file acknowledges {}",
                self.head.entries
            )));
        }
        tree.store().save(tree.size())?;
        Ok(tree)
    }

    /// Appends committed entries to the stored tree. A failure is derived-data damage: the
    /// tree is dropped for this process and catches up (or is rebuilt) on the next open.
    pub(super) fn extend_tree(&mut self, hashes: &[EntryHash]) {
        let Some(tree) = &mut self.tree else { return };
        let mut appended = Ok(());
        for hash in hashes {
            if let Err(e) = tree.push(hash) {
                appended = Err(e.to_string());
                break;
            }
            // A large import writes its nodes in batches rather than holding them all.
            if tree.size().is_multiple_of(SAVE_EVERY) {
                if let Err(e) = tree.store().save(tree.size()) {
                    appended = Err(e.to_string());
                    break;
                }
            }
        }
        let saved =
            appended.and_then(|()| tree.store().save(tree.size()).map_err(|e| e.to_string()));
        if let Err(e) = saved {
            tree.store().discard();
            self.tree = None;
            self.notices.push(format!(
                "the Merkle tree could not be updated ({e}); it catches up on the next open"
            ));
        }
    }

    /// After a durable append: signs a checkpoint of the new head and replaces the
    /// `checkpoint` file, when the configuration asks for it. Derived: a failure is a notice.
    pub(super) fn sign_after_commit(&mut self) {
        let Some(key_file) = self.config.sign_with.clone() else {
            return;
        };
        if let Some(exposed) = config::key_exposure(&key_file) {
            self.notices.push(exposed);
        }
        let signed = self.sign_head(&key_file).and_then(|signed| {
            config::replace_file(&self.dir, CHECKPOINT_FILE, signed.note.as_bytes())
                .map_err(LedgerError::io(self.dir.join(CHECKPOINT_FILE)))?;
            Ok(signed)
        });
        match signed {
            Ok(signed) => self.notices.extend(signed.clock_warning()),
            Err(e) => self.notices.push(format!(
                "the append is durable, but no checkpoint was signed: {e}"
            )),
        }
    }

    /// A checkpoint of the head, stamped with the ledger's clock and signed with the key in
    /// `key_file` (named as the origin); not kept. The time is the signer's clock as it reads,
    /// never moved: one earlier than the kept checkpoint's is signed all the same and said
    /// ([`SignedCheckpoint::clock_warning`]). Refusing would leave a durable append unsigned
    /// over a clock, and moving it forward would sign a time no clock read; the order of
    /// checkpoints is their sizes and the consistency proofs between them, not their times.
    pub fn sign_head(&self, key_file: &std::path::Path) -> Result<SignedCheckpoint, LedgerError> {
        let checkpoint = self.checkpoint_body(self.head.entries)?;
        let note = config::sign_checkpoint(&checkpoint, key_file)?;
        let kept = config::read_own_checkpoint(&self.dir).ok().flatten();
        let earlier_than = kept
            .and_then(|kept| kept.signed_at)
            .filter(|&before| checkpoint.signed_at.is_some_and(|now| now < before));
        Ok(SignedCheckpoint {
            note,
            checkpoint,
            earlier_than,
        })
    }

    /// The time a checkpoint signed now carries: the pinned clock, else the system's, in
    /// whole seconds (what the checkpoint's `time` line holds).
    pub fn signing_time(&self) -> Timestamp {
        let now = self.options.clock.unwrap_or_else(Timestamp::now);
        Timestamp::from_unix_seconds(now.unix_seconds())
            .expect("a timestamp's whole second is a timestamp")
    }

    /// A writer of a ledger that signs after every append must be able to sign: the key is
    /// read (and its name checked against the origin) before anything is written, so a
    /// missing or unreadable key refuses the append (exit 1) rather than leaving an unsigned
    /// head behind a warning.
    pub(super) fn check_signing_key(&self) -> Result<(), LedgerError> {
        let Some(path) = &self.config.sign_with else {
            return Ok(());
        };
        let refused = |detail: String| {
            LedgerError::Key {
            path: path.clone(),
            detail: format!(
                "{detail}; this ledger signs a checkpoint after every append (`sign-with` in {}), so nothing was appended: restore the key, or remove that line to stop signing",
                self.dir.join(config::CONFIG_FILE).display()
            ),
        }
        };
        let key = config::read_signer_key(path).map_err(|e| match e {
            LedgerError::Key { detail, .. } => refused(detail),
            other => other,
        })?;
        if key.name() != self.config.origin {
            return Err(refused(format!(
                "it is the key {}, not the origin's, {}",
                key.name(),
                self.config.origin
            )));
        }
        Ok(())
    }

    /// Checks the journal against the latest checkpoint the ledger signed (the `checkpoint`
    /// file): a journal shorter than its size, or whose root at its size is another, was cut
    /// or rewritten since, and nothing may be appended to it or signed over it. A stored tree
    /// that disagrees with the checkpoint is asked again from the journal first (it is
    /// derived: a journal that agrees means the tree was damaged, and it is rebuilt).
    pub(super) fn check_own_checkpoint(&mut self) -> Result<(), LedgerError> {
        let checkpoint = match config::read_own_checkpoint(&self.dir) {
            Ok(Some(checkpoint)) => checkpoint,
            Ok(None) => return Ok(()),
            Err(problem) => {
                self.notices.push(format!(
                    "{} is unreadable ({problem}): the journal was not checked against it",
                    self.dir.join(CHECKPOINT_FILE).display()
                ));
                return Ok(());
            }
        };
        let contradicted = |detail: String| LedgerError::Contradicted {
            path: self.dir.join(CHECKPOINT_FILE),
            detail,
        };
        if let Some(detail) = contradicts_checkpoint(&checkpoint, self.head.entries, None) {
            return Err(contradicted(detail));
        }
        let stored = self
            .tree
            .as_ref()
            .and_then(|t| t.root_at(checkpoint.size).ok());
        if stored == Some(checkpoint.root) {
            return Ok(());
        }
        let journal = self.journal_roots(&[checkpoint.size, self.head.entries])?;
        let entries = self.head.entries;
        if let Some(detail) = contradicts_checkpoint(&checkpoint, entries, Some(journal[0])) {
            return Err(contradicted(detail));
        }
        if stored.is_some() {
            self.check_stored_tree(self.head.entries, &journal[1]);
        }
        Ok(())
    }

    /// The roots of the journal's first `sizes[i]` entries (in increasing order), from its
    /// frames alone, in O(log n) memory.
    fn journal_roots(&self, sizes: &[u64]) -> Result<Vec<TreeHash>, LedgerError> {
        let path = self.dir.join(JOURNAL_FILE);
        let mut reader = FrameReader::open(&path, journal::MAGIC.len() as u64, self.head.bytes)
            .map_err(LedgerError::io(&path))?;
        let mut builder = RootBuilder::new();
        let mut roots = Vec::with_capacity(sizes.len());
        for &size in sizes {
            while builder.size() < size {
                let frame = match reader.next_frame() {
                    Some(Ok(frame)) => frame,
                    Some(Err(e)) => {
                        return Err(LedgerError::Corrupted {
                            path: path.clone(),
                            detail: format!("entry {}: {e}", builder.size()),
                        })
                    }
                    None => {
                        return Err(LedgerError::Corrupted {
                            path: path.clone(),
                            detail: format!("entry {} is missing", builder.size()),
                        })
                    }
                };
                builder.push(&frame.hash);
            }
            roots.push(builder.root());
        }
        Ok(roots)
    }

    /// The checkpoint (unsigned) of the tree of `size` entries, to be signed now: stamped with
    /// [`Ledger::signing_time`].
    pub fn checkpoint_body(&self, size: u64) -> Result<Checkpoint, LedgerError> {
        Ok(Checkpoint {
            origin: self.config.origin.clone(),
            size,
            root: self.merkle_root(size)?,
            signed_at: Some(self.signing_time()),
        })
    }

    /// The latest signed checkpoint written after an append, if any.
    pub fn latest_checkpoint(&self) -> Result<Option<String>, LedgerError> {
        let path = self.dir.join(CHECKPOINT_FILE);
        match super::small_file::read_small_text(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(LedgerError::Io { path, source }),
        }
    }

    /// The Merkle root of the first `size` entries.
    pub fn merkle_root(&self, size: u64) -> Result<TreeHash, LedgerError> {
        self.with_tree(|tree| tree.root_at(size), |tree| tree.root_at(size))
    }

    /// The inclusion proof of entry `seq` in the tree of `size` entries.
    pub fn prove_inclusion(&self, seq: u64, size: u64) -> Result<InclusionProof, LedgerError> {
        let hash = match self.entries(seq, seq + 1)?.next() {
            Some(stored) => stored?.hash,
            None => {
                return Err(TreeError::IndexOutOfRange {
                    index: seq,
                    size: self.head.entries,
                }
                .into())
            }
        };
        self.with_tree(
            |tree| tree.prove_inclusion(seq, size, &hash),
            |tree| tree.prove_inclusion(seq, size, &hash),
        )
    }

    /// The consistency proof from the tree of `from` entries to the tree of `to` entries.
    pub fn prove_consistency(&self, from: u64, to: u64) -> Result<ConsistencyProof, LedgerError> {
        self.with_tree(
            |tree| tree.prove_consistency(from, to),
            |tree| tree.prove_consistency(from, to),
        )
    }

    /// Asks the stored tree, or, when there is none or it fails, a tree built from the
    /// journal. Both take the same question; two closures because the stores differ.
    fn with_tree<T>(
        &self,
        stored: impl FnOnce(&MerkleTree<MerkleNodes>) -> Result<T, TreeError>,
        rebuilt: impl FnOnce(&MerkleTree<MemoryNodeStore>) -> Result<T, TreeError>,
    ) -> Result<T, LedgerError> {
        if let Some(tree) = &self.tree {
            match stored(tree) {
                Ok(answer) => return Ok(answer),
                Err(e) if is_range_error(&e) => return Err(e.into()),
                // Damaged derived data: answer from the journal instead.
                Err(_) => {}
            }
        }
        Ok(rebuilt(&self.journal_tree()?)?)
    }

    /// The whole tree, in memory, from the journal's frames (no decoding).
    fn journal_tree(&self) -> Result<MerkleTree<MemoryNodeStore>, LedgerError> {
        let path = self.dir.join(JOURNAL_FILE);
        let mut reader = FrameReader::open(&path, journal::MAGIC.len() as u64, self.head.bytes)
            .map_err(LedgerError::io(&path))?;
        let mut tree = MerkleTree::new(MemoryNodeStore::new());
        while let Some(frame) = reader.next_frame() {
            let frame = frame.map_err(|e| LedgerError::Corrupted {
                path: path.clone(),
                detail: format!("entry {}: {e}", tree.size()),
            })?;
            tree.push(&frame.hash)?;
        }
        Ok(tree)
    }

    /// Checks the stored tree's root of the first `size` entries against `root`, recomputed
    /// from the journal by `verify`. A disagreement is damage to derived data, not
    /// tampering: the stored tree is dropped and rebuilt from the journal.
    pub fn check_stored_tree(&mut self, size: u64, root: &TreeHash) -> TreeCheck {
        let Some(tree) = &self.tree else {
            return TreeCheck::Unavailable;
        };
        if size > tree.size() {
            return TreeCheck::Unavailable;
        }
        if tree.root_at(size).is_ok_and(|stored| stored == *root) {
            return TreeCheck::Agrees;
        }
        self.tree = None;
        self.tree_rebuilt = true;
        let Some(store) = &self.store else {
            return TreeCheck::Unavailable;
        };
        let rebuilt = store
            .clear_merkle()
            .and_then(|()| self.catch_up_tree(store));
        match rebuilt {
            Ok(tree) => {
                self.tree = Some(tree);
                self.notices.push(
                    "the stored Merkle tree disagreed with the journal (derived data was damaged); rebuilt from the journal".into(),
                );
            }
            Err(e) => self.notices.push(format!(
                "the stored Merkle tree disagreed with the journal and could not be rebuilt ({e}); it is rebuilt on the next open"
            )),
        }
        TreeCheck::Rebuilt
    }
}

#[cfg(test)]
mod tests;
