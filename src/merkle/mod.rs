//! The Merkle tree over entry hashes, its inclusion and consistency proofs, and signed
//! checkpoints of its root. Pure: no file I/O, no database; storage is behind [`NodeStore`].
//!
//! - [`hash`](leaf_hash): RFC 6962 / 9162 tree hashing with blake3 and `0x00` / `0x01`
//!   prefixes; the empty tree's root is `blake3("")`.
//! - [`MerkleTree`]: appends in amortised O(1) hashes, the root of any earlier size and the
//!   proofs from O(log n) stored nodes; its frontier is a [`RootBuilder`], which alone gives
//!   a root in one pass (with [`aligned_subtrees`], on several threads).
//! - [`verify_inclusion`], [`verify_consistency`]: RFC 9162 §2.1.3.2 and §2.1.4.2, and the JSON
//!   text form of proofs ([`Proof`]).
//! - [`Checkpoint`], [`sign`], [`parse_and_verify`]: C2SP tlog-checkpoint signed notes with
//!   Ed25519 keys ([`generate_key`], [`SignerKey`], [`VerifierKey`]), with the signing time
//!   as an extension line.
//! - [`WitnessSigner`], [`WitnessKey`]: C2SP tlog-cosignature `cosignature/v1` lines, the
//!   witnesses' timestamped cosignatures on checkpoints.
//!
//! `docs/FORMAT.md` describes every byte, for a verifier written elsewhere.
//!
//! **Invariant:** a leaf's index is its entry's `seq`; the tree of size `n` is the tree over
//! entries `0..n`.

mod checkpoint;
mod cosignature;
mod frontier;
mod hash;
mod note;
mod proof;
mod store;
pub mod tiles;
mod tree;

pub use checkpoint::{
    parse_and_verify, sign, Checkpoint, CheckpointError, MAX_SIGNED_AT, SIGNED_AT_CLAIM, TIME_LINE,
};
pub use cosignature::{
    cosignature_timestamp, cosigned_message, generate_witness_key, merge_cosignatures,
    CosignatureError, MergeError, WitnessKey, WitnessSigner, COSIGNATURE_TYPE,
};
pub use frontier::{aligned_subtrees, RootBuilder};
pub use hash::{empty_root, leaf_hash, node_hash, root_of, TreeHash, LEAF_PREFIX, NODE_PREFIX};
pub use note::{
    generate_key, is_valid_key_name, key_id, open_note, sign_note, split_note, KeyError, NoteError,
    SignatureLine, SignerKey, VerifierKey, ED25519_TYPE, MAX_NOTE_BYTES, MAX_SIGNATURES,
};
pub use proof::{
    root_from_inclusion, verify_consistency, verify_inclusion, ConsistencyProof, InclusionProof,
    Proof, ProofError, ProofParseError,
};
pub use store::{MemoryNodeStore, NodeStore};
pub use tree::{MerkleTree, TreeError};

#[cfg(test)]
mod tests;
