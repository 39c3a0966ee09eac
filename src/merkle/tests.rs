//! Tests of the Merkle module. Helpers here; one file per part under `tests/`.

mod checkpoint;
mod cosignature;
mod frontier;
mod proofs;
mod tiles;
mod tree;
mod vectors;

use super::{root_of, MemoryNodeStore, MerkleTree, TreeHash};
use crate::domain::EntryHash;

/// The deterministic ledger of the test vectors: `entry_hash_i = blake3(i as u64 LE)`.
fn entries(n: u64) -> Vec<EntryHash> {
    (0..n)
        .map(|i| EntryHash(*blake3::hash(&i.to_le_bytes()).as_bytes()))
        .collect()
}

/// A tree over `entries`, built by appends.
fn tree_of(entries: &[EntryHash]) -> MerkleTree<MemoryNodeStore> {
    let mut tree = MerkleTree::new(MemoryNodeStore::new());
    for e in entries {
        tree.append(e).unwrap();
    }
    tree
}

/// The largest power of two smaller than `n >= 2`, counted the slow way.
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// RFC 9162 §2.1.3.1 `PATH(m, D[n])`, from the definition.
fn reference_path(m: usize, entries: &[EntryHash]) -> Vec<TreeHash> {
    let n = entries.len();
    if n == 1 {
        return Vec::new();
    }
    let k = split(n);
    if m < k {
        let mut path = reference_path(m, &entries[..k]);
        path.push(root_of(&entries[k..]));
        path
    } else {
        let mut path = reference_path(m - k, &entries[k..]);
        path.push(root_of(&entries[..k]));
        path
    }
}

/// RFC 9162 §2.1.4.1 `SUBPROOF(m, D[n], b)`, from the definition.
fn reference_subproof(m: usize, entries: &[EntryHash], complete: bool) -> Vec<TreeHash> {
    let n = entries.len();
    if m == n {
        return if complete {
            Vec::new()
        } else {
            vec![root_of(entries)]
        };
    }
    let k = split(n);
    if m <= k {
        let mut path = reference_subproof(m, &entries[..k], complete);
        path.push(root_of(&entries[k..]));
        path
    } else {
        let mut path = reference_subproof(m - k, &entries[k..], false);
        path.push(root_of(&entries[..k]));
        path
    }
}

fn flip(hash: &TreeHash, byte: usize, mask: u8) -> TreeHash {
    let mut h = *hash;
    h.0[byte] ^= mask;
    h
}
