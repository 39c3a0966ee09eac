//! The frontier of a Merkle tree, pushed onto leaf by leaf or subtree by subtree, and the
//! split of a run of leaves into aligned complete subtrees: the pure algorithms that
//! [`MerkleTree`](super::MerkleTree) and `verify` share.

use std::convert::Infallible;

use super::hash::{empty_root, leaf_hash, node_hash};
use super::TreeHash;
use crate::domain::EntryHash;

/// The frontier of a Merkle tree: the roots of the complete subtrees that the binary
/// decomposition of its size splits the leaves into, largest (leftmost) first, and nothing
/// else. Enough for the root, in O(log n) memory.
///
/// The one implementation of pushing onto a tree: [`MerkleTree`](super::MerkleTree) keeps
/// one and stores the nodes a push completes as they are hashed; alone, it computes the root
/// of a ledger from its entry hashes in one pass (`verify`, an export's bundle). A push hashes
/// the leaf and the subtrees it completes (two node hashes on average); the fold over the
/// whole frontier (~log2 n node hashes) happens only in [`RootBuilder::root`], as a root
/// wanted only at the end once made `verify` spend more on the tree than on the chain.
#[derive(Debug, Default, Clone)]
pub struct RootBuilder {
    /// The roots of the complete subtrees, largest (leftmost) first.
    frontier: Vec<TreeHash>,
    size: u64,
}

impl RootBuilder {
    pub fn new() -> RootBuilder {
        RootBuilder::default()
    }

    /// The frontier of a tree of `size` leaves, its subtrees' roots given largest first.
    pub(super) fn from_frontier(frontier: Vec<TreeHash>, size: u64) -> RootBuilder {
        debug_assert_eq!(frontier.len(), size.count_ones() as usize);
        RootBuilder { frontier, size }
    }

    pub fn push(&mut self, entry: &EntryHash) {
        self.push_subtree(0, leaf_hash(entry));
    }

    /// Pushes a complete subtree of `2^level` leaves whose root is `hash`, as pushing its
    /// leaves one by one would. The size must be a multiple of `2^level` (the subtree is
    /// aligned), as [`aligned_subtrees`] gives them: then the subtrees it completes are the
    /// frontier's, smallest first.
    pub fn push_subtree(&mut self, level: u32, hash: TreeHash) {
        let Ok(()) = self.push_storing::<Infallible>(level, hash, |_, _, _| Ok(()));
    }

    /// [`Self::push_subtree`], handing `store` every node the push completes, in increasing
    /// level order, as `(level, index, hash)`. Nothing changes unless every `store` succeeds:
    /// the frontier is only read until then, so a retry pushes the same nodes again.
    pub(super) fn push_storing<E>(
        &mut self,
        level: u32,
        hash: TreeHash,
        mut store: impl FnMut(u8, u64, TreeHash) -> Result<(), E>,
    ) -> Result<(), E> {
        debug_assert!(self.size.is_multiple_of(1 << level), "an unaligned subtree");
        let mut hash = hash;
        // Each trailing one bit of the subtree's index is a frontier subtree it completes.
        let mut keep = self.frontier.len();
        let (mut up, mut at) = (level, self.size >> level);
        while at & 1 == 1 {
            keep -= 1;
            hash = node_hash(&self.frontier[keep], &hash);
            up += 1;
            at >>= 1;
            store(up as u8, at, hash)?;
        }
        self.frontier.truncate(keep);
        self.frontier.push(hash);
        self.size += 1 << level;
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the whole tree, folded from the frontier.
    pub fn root(&self) -> TreeHash {
        let mut from_the_right = self.frontier.iter().rev();
        match from_the_right.next() {
            None => empty_root(),
            Some(&last) => from_the_right.fold(last, |right, left| node_hash(left, &right)),
        }
    }
}

/// The entries `first..first + entries.len()` as complete subtrees, each of `2^level` leaves
/// aligned on a multiple of `2^level`, as large as can be, none crossing a size in `cuts`: their roots
/// in order, as `(level, root)`, into `out`. Pushed with [`RootBuilder::push_subtree`] onto a
/// builder of `first` leaves, they give the tree of the entries pushed one by one — and the
/// builder passes through every size in `cuts`, so the roots there can be taken.
///
/// Why: the hashing of the tree (a leaf and about one node per entry) can then be done where
/// the entries are hashed, on `verify`'s worker threads, each on its own chunk; only the
/// O(log n) subtrees of each chunk are combined in order.
pub fn aligned_subtrees(
    first: u64,
    entries: &[EntryHash],
    cuts: &[u64],
    out: &mut Vec<(u32, TreeHash)>,
) {
    let end = first + entries.len() as u64;
    let mut scratch: Vec<TreeHash> = Vec::new();
    let mut start = first;
    while start < end {
        let stop = cuts
            .iter()
            .copied()
            .filter(|&cut| start < cut && cut < end)
            .min()
            .unwrap_or(end);
        // The largest power of two that `start` is a multiple of (any, at 0) and that fits.
        let mut level = start.trailing_zeros().min(63);
        while start + (1u64 << level) > stop {
            level -= 1;
        }
        let from = (start - first) as usize;
        let width = 1usize << level;
        scratch.clear();
        scratch.extend(entries[from..from + width].iter().map(leaf_hash));
        let mut len = width;
        while len > 1 {
            for i in 0..len / 2 {
                scratch[i] = node_hash(&scratch[2 * i], &scratch[2 * i + 1]);
            }
            len /= 2;
        }
        out.push((level, scratch[0]));
        start += width as u64;
    }
}
