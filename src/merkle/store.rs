//! Where the tree keeps its nodes: a small trait the sled-backed store implements, and an
//! in-memory store for tests and one-off verification.

use std::convert::Infallible;

use super::TreeHash;

/// Storage of the roots of *complete perfect subtrees*, keyed by `(level, index)`.
///
/// The node at `(level, index)` is `MTH(D[index·2^level : (index+1)·2^level])`: level 0 holds
/// the leaf hashes, level 1 the hashes of pairs of leaves, and so on. A tree of `n` leaves
/// has fewer than `2n` such nodes and never changes one once it is complete, so a store only
/// ever receives new keys (a retried append may put the same value again).
///
/// [`MerkleTree`](super::MerkleTree) puts the nodes of an append in increasing level order
/// and reads any node of the tree; nothing else is needed of a store.
pub trait NodeStore {
    type Error: std::error::Error + Send + Sync + 'static;

    /// The node at `(level, index)`, or `None` if it was never put.
    fn get(&self, level: u8, index: u64) -> Result<Option<TreeHash>, Self::Error>;

    /// Records the node at `(level, index)`.
    fn put(&mut self, level: u8, index: u64, hash: TreeHash) -> Result<(), Self::Error>;
}

/// A [`NodeStore`] in memory: one vector per level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryNodeStore {
    levels: Vec<Vec<Option<TreeHash>>>,
}

impl MemoryNodeStore {
    pub fn new() -> MemoryNodeStore {
        MemoryNodeStore::default()
    }

    /// How many nodes are stored.
    pub fn len(&self) -> usize {
        self.levels.iter().flatten().filter(|n| n.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl NodeStore for MemoryNodeStore {
    type Error = Infallible;

    fn get(&self, level: u8, index: u64) -> Result<Option<TreeHash>, Infallible> {
        let node = self
            .levels
            .get(usize::from(level))
            .and_then(|nodes| nodes.get(usize::try_from(index).ok()?))
            .copied()
            .flatten();
        Ok(node)
    }

    fn put(&mut self, level: u8, index: u64, hash: TreeHash) -> Result<(), Infallible> {
        let level = usize::from(level);
        let index = usize::try_from(index).expect("an in-memory tree fits in memory");
        if self.levels.len() <= level {
            self.levels.resize_with(level + 1, Vec::new);
        }
        let nodes = &mut self.levels[level];
        if nodes.len() <= index {
            nodes.resize(index + 1, None);
        }
        nodes[index] = Some(hash);
        Ok(())
    }
}
