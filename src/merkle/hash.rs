//! The hashes of the tree: leaves, interior nodes and the empty tree.
//!
//! The shape is RFC 6962 / RFC 9162 §2.1.1 with blake3 (plain hashing mode, 32-byte output)
//! in place of SHA-256; the one-byte prefixes keep leaves and nodes apart:
//!
//! ```text
//! MTH({})        = blake3("")
//! leaf(e)        = blake3(0x00 ‖ e)          e: the 32-byte entry hash
//! node(l, r)     = blake3(0x01 ‖ l ‖ r)
//! MTH(D[0:n])    = node(MTH(D[0:k]), MTH(D[k:n]))   k: the largest power of two < n
//! ```

use std::fmt;

use crate::domain::EntryHash;

/// The prefix byte of a leaf hash.
pub const LEAF_PREFIX: u8 = 0x00;
/// The prefix byte of an interior node hash.
pub const NODE_PREFIX: u8 = 0x01;

/// A hash of the Merkle tree: a leaf, an interior node or a root.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TreeHash(pub [u8; 32]);

impl TreeHash {
    /// Lowercase hex, 64 digits (blake3's own codec).
    pub fn to_hex(&self) -> String {
        blake3::Hash::from_bytes(self.0).to_hex().to_string()
    }

    /// Parses exactly 64 lowercase hex digits.
    pub fn from_hex(s: &str) -> Option<TreeHash> {
        hash_from_hex(s).map(TreeHash)
    }

    /// The first 12 hex digits.
    pub fn short(&self) -> String {
        self.to_hex()[..12].to_owned()
    }
}

impl fmt::Display for TreeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for TreeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TreeHash({})", self.short())
    }
}

/// `blake3(0x00 ‖ entry_hash)`: the leaf of the tree for one entry.
pub fn leaf_hash(entry: &EntryHash) -> TreeHash {
    // One contiguous input through `blake3::hash`, not a `Hasher` fed piece by piece: the
    // same bytes and hash, without the incremental hasher's bookkeeping (a third of the
    // tree's cost in `verify`, where every entry is a leaf).
    let mut input = [0u8; 33];
    input[0] = LEAF_PREFIX;
    input[1..].copy_from_slice(&entry.0);
    TreeHash(*blake3::hash(&input).as_bytes())
}

/// `blake3(0x01 ‖ left ‖ right)`: an interior node.
pub fn node_hash(left: &TreeHash, right: &TreeHash) -> TreeHash {
    // As `leaf_hash`: one contiguous input.
    let mut input = [0u8; 65];
    input[0] = NODE_PREFIX;
    input[1..33].copy_from_slice(&left.0);
    input[33..].copy_from_slice(&right.0);
    TreeHash(*blake3::hash(&input).as_bytes())
}

/// `blake3("")`: the root of the empty tree.
pub fn empty_root() -> TreeHash {
    TreeHash(*blake3::hash(b"").as_bytes())
}

/// The root of the tree over `entries`, straight from the recursive definition of RFC 9162
/// §2.1.1: the reference the incremental [`MerkleTree`](super::MerkleTree) is tested against,
/// and a verifier's way to check a whole ledger. O(n).
pub fn root_of(entries: &[EntryHash]) -> TreeHash {
    match entries.len() {
        0 => empty_root(),
        1 => leaf_hash(&entries[0]),
        n => {
            let k = split_point(n as u64) as usize;
            node_hash(&root_of(&entries[..k]), &root_of(&entries[k..]))
        }
    }
}

/// The largest power of two smaller than `n` (RFC 9162's `k`); `n` must be at least 2.
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Exactly `2 * N` lowercase hex digits: a key id (4 bytes), which blake3's codec, made for
/// 32-byte hashes, does not read.
pub(crate) fn bytes_from_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let s = s.as_bytes();
    if s.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        *byte = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

/// Exactly 64 lowercase hex digits, as the formats write hashes: blake3's own codec (which
/// also reads upper case) behind the case the formats fix.
pub(crate) fn hash_from_hex(s: &str) -> Option<[u8; 32]> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    blake3::Hash::from_hex(s).ok().map(|hash| *hash.as_bytes())
}
