//! The sled database of what is derived from the journal: how far it has absorbed the journal
//! (the absorbed mark) and the nodes of the Merkle tree (the sparse seq → offset index is the
//! plain file `index.offsets`, which readers use without opening sled; projection snapshots
//! live in a file too: `ledger::snapshot`).
//! Nothing here is canonical; everything can be deleted and rebuilt.
//!
//! **Invariant:** this is the only module that names sled.

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::Mutex;

use super::journal::Head;
use crate::domain::EntryHash;
use crate::merkle::TreeHash;

/// sled's default cache is 1 GiB, which makes a process hold ~400 bytes per entry; what is
/// kept here is small and read sequentially, so a small cache loses nothing.
const CACHE_BYTES: u64 = 16 << 20;

/// How far the database has absorbed the journal: the journal's head it was brought up to,
/// stored as 56 bytes (entries, bytes, last frame as u64 big-endian, then the hash).
fn encode(head: &Head) -> Vec<u8> {
    let mut out = Vec::with_capacity(56);
    out.extend_from_slice(&head.entries.to_be_bytes());
    out.extend_from_slice(&head.bytes.to_be_bytes());
    out.extend_from_slice(&head.last_frame.to_be_bytes());
    out.extend_from_slice(&head.hash.0);
    out
}

fn decode(bytes: &[u8]) -> Option<Head> {
    if bytes.len() != 56 {
        return None;
    }
    let word = |i: usize| u64::from_be_bytes(bytes[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    Some(Head {
        entries: word(0),
        bytes: word(1),
        last_frame: word(2),
        hash: EntryHash(bytes[24..56].try_into().expect("32 bytes")),
    })
}
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the index database cannot be opened: {0}")]
    Open(String),
    #[error("the index database panicked on open: {0}")]
    Panicked(String),
    #[error("the index database failed: {0}")]
    Sled(#[from] sled::Error),
    #[error("the index database holds a malformed record under {0}")]
    Malformed(&'static str),
}

impl StoreError {
    /// The I/O failure beneath, when it says the disk refused (full, over quota, a file too
    /// large, read-only, an I/O error): an operational failure, not damage. Setting the
    /// database aside and rebuilding it would only fail again, leaving a copy each time.
    pub fn disk_failure(&self) -> Option<&std::io::Error> {
        let StoreError::Sled(sled::Error::Io(e)) = self else {
            return None;
        };
        use std::io::ErrorKind::*;
        /// EIO on Linux, which has no `ErrorKind` of its own.
        const EIO: i32 = 5;
        (matches!(
            e.kind(),
            StorageFull | QuotaExceeded | FileTooLarge | ReadOnlyFilesystem
        ) || e.raw_os_error() == Some(EIO))
        .then_some(e)
    }
}

pub struct Store {
    db: sled::Db,
    meta: sled::Tree,
    merkle: sled::Tree,
}

const ABSORBED: &[u8] = b"absorbed";
const MERKLE_SIZE: &[u8] = b"merkle-size";

/// The Merkle tree's nodes in the `merkle` tree of the database, in blocks of
/// [`NODES_PER_BLOCK`] neighbours of one level: key `level ‖ (index / 64) as u64 big-endian`,
/// value a presence bitmap (u64 little-endian) and 64 slots of 32 bytes.
///
/// Blocks, not one key per node: sled spends well over a hundred bytes on each key, which
/// made the tree cost ~500 bytes per entry on disk; a block spreads that over 64 nodes.
/// Puts are buffered and written by [`MerkleNodes::save`], block by block, then the tree's
/// size: an append of many entries rewrites each block it touches once. (Plain inserts, not a
/// sled batch: see [`Store::absorb`].)
pub struct MerkleNodes {
    nodes: sled::Tree,
    meta: sled::Tree,
    pending: Mutex<Vec<(u8, u64, TreeHash)>>,
}

/// Nodes of one level kept under one key.
pub const NODES_PER_BLOCK: u64 = 64;
const BLOCK_BYTES: usize = 8 + 32 * NODES_PER_BLOCK as usize;

fn block_key(level: u8, index: u64) -> [u8; 9] {
    let mut key = [0u8; 9];
    key[0] = level;
    key[1..].copy_from_slice(&(index / NODES_PER_BLOCK).to_be_bytes());
    key
}

/// The node in `slot` of a block, if the block holds one there.
fn slot_of(block: &[u8], slot: usize) -> Result<Option<TreeHash>, StoreError> {
    if block.len() != BLOCK_BYTES {
        return Err(StoreError::Malformed("merkle"));
    }
    let present = u64::from_le_bytes(block[..8].try_into().expect("8 bytes"));
    if present & (1 << slot) == 0 {
        return Ok(None);
    }
    let at = 8 + 32 * slot;
    Ok(Some(TreeHash(
        block[at..at + 32].try_into().expect("32 bytes"),
    )))
}

impl std::fmt::Debug for MerkleNodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MerkleNodes")
    }
}

impl MerkleNodes {
    /// Writes the buffered nodes, then records that the tree holds `size` entries. A crash
    /// between the two leaves the size behind; catching up puts the same nodes again.
    pub fn save(&self, size: u64) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut *self.pending.lock().expect("not poisoned"));
        let mut blocks: std::collections::BTreeMap<[u8; 9], Vec<u8>> = Default::default();
        for (level, index, hash) in pending {
            let key = block_key(level, index);
            let block = match blocks.entry(key) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let stored = match self.nodes.get(key)? {
                        Some(v) if v.len() == BLOCK_BYTES => v.to_vec(),
                        Some(_) => return Err(StoreError::Malformed("merkle")),
                        None => vec![0u8; BLOCK_BYTES],
                    };
                    e.insert(stored)
                }
            };
            let slot = (index % NODES_PER_BLOCK) as usize;
            let present = u64::from_le_bytes(block[..8].try_into().expect("8 bytes")) | (1 << slot);
            block[..8].copy_from_slice(&present.to_le_bytes());
            block[8 + 32 * slot..8 + 32 * slot + 32].copy_from_slice(&hash.0);
        }
        for (key, block) in blocks {
            self.nodes.insert(key, block)?;
        }
        self.meta.insert(MERKLE_SIZE, &size.to_be_bytes())?;
        Ok(())
    }

    /// Forgets the nodes put since the last save (their append failed).
    pub fn discard(&self) {
        self.pending.lock().expect("not poisoned").clear();
    }
}

impl crate::merkle::NodeStore for MerkleNodes {
    type Error = StoreError;

    fn get(&self, level: u8, index: u64) -> Result<Option<TreeHash>, StoreError> {
        let pending = self.pending.lock().expect("not poisoned");
        if let Some((_, _, hash)) = pending
            .iter()
            .rev()
            .find(|(l, i, _)| *l == level && *i == index)
        {
            return Ok(Some(*hash));
        }
        drop(pending);
        match self.nodes.get(block_key(level, index))? {
            None => Ok(None),
            Some(block) => slot_of(&block, (index % NODES_PER_BLOCK) as usize),
        }
    }

    fn put(&mut self, level: u8, index: u64, hash: TreeHash) -> Result<(), StoreError> {
        self.pending
            .get_mut()
            .expect("not poisoned")
            .push((level, index, hash));
        Ok(())
    }
}

impl Store {
    /// Opens (or creates) the database at `path`. sled 0.34 can panic on a damaged file; the
    /// panic is caught and reported as an error so the caller can rebuild.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        /// How long a lock on sled's files, left by a handle this process just dropped, is
        /// waited for.
        const SLED_LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);
        let config = sled::Config::new()
            .path(path)
            .cache_capacity(CACHE_BYTES)
            .flush_every_ms(None);
        // The panic hook is process-wide: swap it under a lock, so two threads opening stores
        // at once cannot leave the silent hook installed.
        static HOOK: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let open_once = || {
            let _guard = HOOK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let previous_hook = panic::take_hook();
            panic::set_hook(Box::new(|_| {}));
            let opened = panic::catch_unwind(AssertUnwindSafe(|| config.open()));
            panic::set_hook(previous_hook);
            opened
        };
        // Only the holder of the ledger's lock opens the store, so sled's own file lock, when
        // taken, is held by this process: a handle just dropped whose I/O threads have not let
        // go of the file yet. It is waited for, not taken for damage (which would set the
        // database aside and rebuild it).
        let deadline = std::time::Instant::now() + SLED_LOCK_PATIENCE;
        let opened = loop {
            match open_once() {
                // sled 0.34 reports it as `ErrorKind::Other` with this message (config.rs).
                Ok(Err(sled::Error::Io(e)))
                    if e.to_string().starts_with("could not acquire lock on")
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                other => break other,
            }
        };
        let db = match opened {
            Ok(Ok(db)) => db,
            Ok(Err(e @ sled::Error::Io(_))) => return Err(StoreError::Sled(e)),
            Ok(Err(e)) => return Err(StoreError::Open(e.to_string())),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "unknown panic".into());
                return Err(StoreError::Panicked(message));
            }
        };
        // Databases made before `index.offsets` became the one sparse index hold a second
        // one in the `index` tree: dropped, it is only space.
        db.drop_tree("index")?;
        Ok(Store {
            meta: db.open_tree("meta")?,
            merkle: db.open_tree("merkle")?,
            db,
        })
    }

    /// The journal's head as far as the database has absorbed it.
    pub fn absorbed(&self) -> Result<Option<Head>, StoreError> {
        match self.meta.get(ABSORBED)? {
            None => Ok(None),
            Some(v) => decode(&v)
                .map(Some)
                .ok_or(StoreError::Malformed("absorbed")),
        }
    }

    /// Records how far the journal is absorbed.
    ///
    /// Plain inserts, never `apply_batch`: a sled batch rolls sled's log buffer, which sled's
    /// threads then write and `sync_file_range` at once. Two batches per append put two disk
    /// writes in front of the next append's `fdatasync` (measured: ~300 µs a durable append with
    /// them, ~180 µs without). Inserts stay in sled's buffer until it fills, a flush, or the
    /// ledger is closed; a killed process loses them, and the next open catches up from the
    /// journal.
    pub fn absorb(&self, absorbed: Head) -> Result<(), StoreError> {
        self.meta.insert(ABSORBED, encode(&absorbed))?;
        Ok(())
    }

    /// The nodes of the Merkle tree, as a [`NodeStore`](crate::merkle::NodeStore).
    pub fn merkle_nodes(&self) -> MerkleNodes {
        MerkleNodes {
            nodes: self.merkle.clone(),
            meta: self.meta.clone(),
            pending: Mutex::new(Vec::new()),
        }
    }

    /// How many entries the stored Merkle tree holds (`None`: no tree was ever stored).
    /// Kept apart from the absorbed mark: a ledger opened without the tree (a benchmark's
    /// switch) absorbs entries the tree has not, and the tree catches up later.
    pub fn merkle_size(&self) -> Result<Option<u64>, StoreError> {
        match self.meta.get(MERKLE_SIZE)? {
            None => Ok(None),
            Some(v) => <[u8; 8]>::try_from(v.as_ref())
                .map(|b| Some(u64::from_be_bytes(b)))
                .map_err(|_| StoreError::Malformed("merkle-size")),
        }
    }

    /// Drops the Merkle tree (it is rebuilt from the journal).
    pub fn clear_merkle(&self) -> Result<(), StoreError> {
        self.meta.remove(MERKLE_SIZE)?;
        self.merkle.clear()?;
        Ok(())
    }

    /// Writes sled's buffers out. Derived data only: durability of the ledger never depends
    /// on this (see `ledger::sync`).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}
