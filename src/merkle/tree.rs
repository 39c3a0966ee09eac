//! The tree itself: appends in O(log n), roots of any earlier size, and the proofs.

use super::frontier::RootBuilder;
use super::hash::{empty_root, leaf_hash, node_hash, split_point};
use super::proof::{ConsistencyProof, InclusionProof};
use super::{NodeStore, TreeHash};
use crate::domain::EntryHash;

#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("size {size} is past the tree's {tree_size} leaves")]
    SizeOutOfRange { size: u64, tree_size: u64 },
    #[error("leaf {index} is not in a tree of {size} leaves")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error(
        "a consistency proof goes from a smaller size to a larger one, not from {from} to {to}"
    )]
    SizesOutOfOrder { from: u64, to: u64 },
    #[error("the leaf range [{start}, {end}) is empty or past the tree's {tree_size} leaves")]
    BadRange {
        start: u64,
        end: u64,
        tree_size: u64,
    },
    #[error("the node store has no node at level {level}, index {index}")]
    MissingNode { level: u8, index: u64 },
    #[error("leaf {index} of the tree is not the leaf of entry hash {entry_hash}")]
    LeafMismatch { index: u64, entry_hash: EntryHash },
    #[error("the tree is full")]
    Full,
    #[error("the node store failed")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A Merkle tree over entry hashes, kept in a [`NodeStore`].
///
/// It holds the *frontier* in memory (a [`RootBuilder`]: the roots of the perfect subtrees
/// that the binary decomposition of its size splits the leaves into, largest (leftmost)
/// first, at most 64) and every complete perfect-subtree node in the store. An append hashes and stores the new
/// leaf and the nodes it completes (amortised two hashes); the current root folds the
/// frontier; anything about an earlier size reads O(log n) stored nodes and never rehashes a
/// leaf.
#[derive(Debug)]
pub struct MerkleTree<S> {
    store: S,
    frontier: RootBuilder,
}

impl<S: NodeStore> MerkleTree<S> {
    /// An empty tree over an empty store.
    pub fn new(store: S) -> MerkleTree<S> {
        MerkleTree {
            store,
            frontier: RootBuilder::new(),
        }
    }

    /// The tree of `size` leaves whose nodes are in `store` (the caller knows the size: the
    /// ledger records up to which entry its derived data has absorbed the journal). Reads the
    /// frontier, O(log n) nodes; a node missing from the store is an error.
    pub fn open(store: S, size: u64) -> Result<MerkleTree<S>, TreeError> {
        let mut tree = MerkleTree {
            store,
            frontier: RootBuilder::new(),
        };
        let mut frontier = Vec::new();
        let mut start = 0u64;
        for level in (0..64u8).rev() {
            let width = 1u64 << level;
            if size & width != 0 {
                frontier.push(tree.node(level, start >> level)?);
                start += width;
            }
        }
        tree.frontier = RootBuilder::from_frontier(frontier, size);
        Ok(tree)
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn into_store(self) -> S {
        self.store
    }

    /// Appends the leaf of `entry` and returns the new root. Nothing changes in memory unless
    /// every node was stored; a retry after a store failure puts the same nodes again.
    pub fn append(&mut self, entry: &EntryHash) -> Result<TreeHash, TreeError> {
        self.push(entry)?;
        Ok(self.root())
    }

    /// Appends the leaf of `entry` without computing the new root: what a caller appending
    /// many leaves and asking for the root (if at all) once at the end uses. The root is a
    /// fold over the whole frontier, ~log2 n node hashes, against two on average for the
    /// append itself (building a tree of 10^6 leaves spent most of its hashing on roots
    /// nobody read). Same guarantee as [`Self::append`]: nothing changes in memory unless
    /// every node was stored.
    pub fn push(&mut self, entry: &EntryHash) -> Result<(), TreeError> {
        let index = self.size();
        index.checked_add(1).ok_or(TreeError::Full)?;
        let leaf = leaf_hash(entry);
        self.store.put(0, index, leaf).map_err(store_error)?;
        // Each node the leaf completes is stored as it is hashed; the frontier changes only
        // once all are stored.
        let store = &mut self.store;
        self.frontier
            .push_storing(0, leaf, |level, at, hash| store.put(level, at, hash))
            .map_err(store_error)
    }

    /// The root of the whole tree, folded from the frontier with no store access.
    pub fn root(&self) -> TreeHash {
        self.frontier.root()
    }

    /// The root the tree had when it was `size` leaves large.
    pub fn root_at(&self, size: u64) -> Result<TreeHash, TreeError> {
        self.check_size(size)?;
        match size {
            0 => Ok(empty_root()),
            s if s == self.size() => Ok(self.root()),
            s => self.range(0, s),
        }
    }

    /// `MTH(D[start:end])`, the RFC 9162 hash of the leaves `start..end`.
    pub fn subtree_hash(&self, start: u64, end: u64) -> Result<TreeHash, TreeError> {
        if start >= end || end > self.size() {
            return Err(TreeError::BadRange {
                start,
                end,
                tree_size: self.size(),
            });
        }
        self.range(start, end)
    }

    /// The leaf hash at `index`, as stored.
    pub fn leaf(&self, index: u64) -> Result<TreeHash, TreeError> {
        if index >= self.size() {
            return Err(TreeError::IndexOutOfRange {
                index,
                size: self.size(),
            });
        }
        self.node(0, index)
    }

    /// RFC 9162 §2.1.3.1 `PATH(index, D[0:size])`: the audit path of leaf `index` in the tree
    /// of `size` leaves, from the leaf's sibling up to the root's child.
    pub fn inclusion_path(&self, index: u64, size: u64) -> Result<Vec<TreeHash>, TreeError> {
        self.check_size(size)?;
        if index >= size {
            return Err(TreeError::IndexOutOfRange { index, size });
        }
        let mut path = Vec::new();
        self.path(index, 0, size, &mut path)?;
        Ok(path)
    }

    /// RFC 9162 §2.1.4.1 `PROOF(from, D[0:to])`: the consistency path from the tree of `from`
    /// leaves to the tree of `to`. Empty when `from` is 0 or equal to `to`.
    pub fn consistency_path(&self, from: u64, to: u64) -> Result<Vec<TreeHash>, TreeError> {
        if from > to {
            return Err(TreeError::SizesOutOfOrder { from, to });
        }
        self.check_size(to)?;
        let mut path = Vec::new();
        if from != 0 && from != to {
            self.subproof(from, 0, to, true, &mut path)?;
        }
        Ok(path)
    }

    /// The inclusion proof of entry `seq`, whose hash is `entry_hash`, in the tree of `size`
    /// leaves; fails with [`TreeError::LeafMismatch`] if the stored leaf is not that entry's.
    pub fn prove_inclusion(
        &self,
        seq: u64,
        size: u64,
        entry_hash: &EntryHash,
    ) -> Result<InclusionProof, TreeError> {
        let path = self.inclusion_path(seq, size)?;
        if self.node(0, seq)? != leaf_hash(entry_hash) {
            return Err(TreeError::LeafMismatch {
                index: seq,
                entry_hash: *entry_hash,
            });
        }
        Ok(InclusionProof {
            seq,
            size,
            entry_hash: *entry_hash,
            path,
        })
    }

    /// The consistency proof from the tree of `from` leaves to the tree of `to`.
    pub fn prove_consistency(&self, from: u64, to: u64) -> Result<ConsistencyProof, TreeError> {
        Ok(ConsistencyProof {
            from,
            to,
            path: self.consistency_path(from, to)?,
        })
    }

    fn check_size(&self, size: u64) -> Result<(), TreeError> {
        if size > self.size() {
            return Err(TreeError::SizeOutOfRange {
                size,
                tree_size: self.size(),
            });
        }
        Ok(())
    }

    fn node(&self, level: u8, index: u64) -> Result<TreeHash, TreeError> {
        self.store
            .get(level, index)
            .map_err(store_error)?
            .ok_or(TreeError::MissingNode { level, index })
    }

    /// `MTH(D[start:end])` for `start < end <= size`. When `start` is aligned to a power of
    /// two at least `end - start` (as in every proof), this reads one stored node per one bit
    /// of `end - start`.
    fn range(&self, start: u64, end: u64) -> Result<TreeHash, TreeError> {
        let n = end - start;
        if n.is_power_of_two() && start.is_multiple_of(n) {
            let level = n.trailing_zeros() as u8;
            return self.node(level, start >> level);
        }
        let k = split_point(n);
        Ok(node_hash(
            &self.range(start, start + k)?,
            &self.range(start + k, end)?,
        ))
    }

    /// `PATH(m, D[start:end])`, appended to `out`.
    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<TreeHash>) -> Result<(), TreeError> {
        let n = end - start;
        if n == 1 {
            return Ok(());
        }
        let k = split_point(n);
        if m < k {
            self.path(m, start, start + k, out)?;
            out.push(self.range(start + k, end)?);
        } else {
            self.path(m - k, start + k, end, out)?;
            out.push(self.range(start, start + k)?);
        }
        Ok(())
    }

    /// `SUBPROOF(m, D[start:end], complete)`, appended to `out`.
    fn subproof(
        &self,
        m: u64,
        start: u64,
        end: u64,
        complete: bool,
        out: &mut Vec<TreeHash>,
    ) -> Result<(), TreeError> {
        let n = end - start;
        if m == n {
            if !complete {
                out.push(self.range(start, end)?);
            }
            return Ok(());
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, start, start + k, complete, out)?;
            out.push(self.range(start + k, end)?);
        } else {
            self.subproof(m - k, start + k, end, false, out)?;
            out.push(self.range(start, start + k)?);
        }
        Ok(())
    }
}

fn store_error(e: impl std::error::Error + Send + Sync + 'static) -> TreeError {
    TreeError::Store(Box::new(e))
}
