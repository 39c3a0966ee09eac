//! Inclusion and consistency proofs: verification (RFC 9162 §2.1.3.2 and §2.1.4.2) and the
//! JSON text form.
//!
//! ```text
//! {"kind":"inclusion","seq":2,"size":3,"entry_hash":"<64 hex>","path":["<64 hex>",…]}
//! {"kind":"consistency","from":3,"to":7,"path":["<64 hex>",…]}
//! ```
//!
//! Hashes are 64 lowercase hex digits; `path` lists the RFC 9162 proof in its order (leaf
//! end first). Unknown fields are rejected. The JSON carries no root: a proof is checked
//! against the roots of checkpoints the verifier trusts.

use serde::{Deserialize, Serialize};

use super::hash::{empty_root, hash_from_hex, leaf_hash, node_hash};
use super::TreeHash;
use crate::domain::EntryHash;

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf {index} is not in a tree of {size} leaves")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error(
        "a consistency proof goes from a smaller size to a larger one, not from {from} to {to}"
    )]
    SizesOutOfOrder { from: u64, to: u64 },
    #[error("the path has more hashes than a proof between these sizes")]
    PathTooLong,
    #[error("the path has fewer hashes than a proof between these sizes")]
    PathTooShort,
    #[error("a consistency proof from size 0 or between equal sizes has an empty path")]
    PathNotEmpty,
    #[error("the proof leads to root {computed}, not to the expected {expected}")]
    RootMismatch {
        expected: TreeHash,
        computed: TreeHash,
    },
    #[error("the proof leads to old root {computed}, not to the expected {expected}")]
    OldRootMismatch {
        expected: TreeHash,
        computed: TreeHash,
    },
    #[error(
        "the proof is about a tree of {proof} leaves, the checkpoint about one of {checkpoint}"
    )]
    SizeMismatch { proof: u64, checkpoint: u64 },
    #[error("the checkpoints are of different logs: {old:?} and {new:?}")]
    OriginMismatch { old: String, new: String },
}

/// RFC 9162 §2.1.3.2: checks that `leaf` (a leaf hash, see [`leaf_hash`]) is leaf
/// `leaf_index` of the tree of `tree_size` leaves whose root is `root`.
pub fn verify_inclusion(
    leaf_index: u64,
    tree_size: u64,
    leaf: &TreeHash,
    path: &[TreeHash],
    root: &TreeHash,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion(leaf_index, tree_size, leaf, path)?;
    if computed != *root {
        return Err(ProofError::RootMismatch {
            expected: *root,
            computed,
        });
    }
    Ok(())
}

/// The root an inclusion path leads to, or why it cannot be a path for these sizes.
pub fn root_from_inclusion(
    leaf_index: u64,
    tree_size: u64,
    leaf: &TreeHash,
    path: &[TreeHash],
) -> Result<TreeHash, ProofError> {
    if leaf_index >= tree_size {
        return Err(ProofError::IndexOutOfRange {
            index: leaf_index,
            size: tree_size,
        });
    }
    let (mut f, mut s) = (leaf_index, tree_size - 1);
    let mut r = *leaf;
    for p in path {
        if s == 0 {
            return Err(ProofError::PathTooLong);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::PathTooShort);
    }
    Ok(r)
}

/// RFC 9162 §2.1.4.2: checks that the tree of `from` leaves with root `from_root` is a prefix
/// of the tree of `to` leaves with root `to_root`. Beyond the RFC, which defines proofs for
/// `0 < from < to`: from size 0 the path must be empty and `from_root` the empty root; between
/// equal sizes the path must be empty and the roots equal.
pub fn verify_consistency(
    from: u64,
    to: u64,
    from_root: &TreeHash,
    to_root: &TreeHash,
    path: &[TreeHash],
) -> Result<(), ProofError> {
    if from > to {
        return Err(ProofError::SizesOutOfOrder { from, to });
    }
    if from == 0 || from == to {
        if !path.is_empty() {
            return Err(ProofError::PathNotEmpty);
        }
        // The proof is empty, so what it "leads to" as the old root is the empty tree's root
        // or, between equal sizes, the new root itself.
        let computed = if from == 0 { empty_root() } else { *to_root };
        if *from_root != computed {
            return Err(ProofError::OldRootMismatch {
                expected: *from_root,
                computed,
            });
        }
        return Ok(());
    }
    let (mut path, rest) = match path.split_first() {
        None => return Err(ProofError::PathTooShort),
        Some((first, rest)) if from.is_power_of_two() => (vec![*from_root, *first], rest),
        Some((first, rest)) => (vec![*first], rest),
    };
    path.extend_from_slice(rest);

    let (mut f, mut s) = (from - 1, to - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return Err(ProofError::PathTooLong);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::PathTooShort);
    }
    if fr != *from_root {
        return Err(ProofError::OldRootMismatch {
            expected: *from_root,
            computed: fr,
        });
    }
    if sr != *to_root {
        return Err(ProofError::RootMismatch {
            expected: *to_root,
            computed: sr,
        });
    }
    Ok(())
}

/// That entry `seq`, whose hash is `entry_hash`, is in the ledger of `size` entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "WireProof", try_from = "WireProof")]
pub struct InclusionProof {
    pub seq: u64,
    pub size: u64,
    pub entry_hash: EntryHash,
    pub path: Vec<TreeHash>,
}

impl InclusionProof {
    /// Checks the proof against the root of the tree of `self.size` leaves.
    pub fn verify(&self, root: &TreeHash) -> Result<(), ProofError> {
        verify_inclusion(
            self.seq,
            self.size,
            &leaf_hash(&self.entry_hash),
            &self.path,
            root,
        )
    }

    /// The JSON text form, one line.
    pub fn to_json(&self) -> String {
        Proof::Inclusion(self.clone()).to_json()
    }

    /// Parses the JSON text form; never panics.
    pub fn parse(text: &str) -> Result<InclusionProof, ProofParseError> {
        match Proof::parse(text)? {
            Proof::Inclusion(p) => Ok(p),
            Proof::Consistency(_) => Err(ProofParseError::WrongKind {
                expected: "inclusion",
                found: "consistency",
            }),
        }
    }
}

/// That the ledger of `from` entries is a prefix of the ledger of `to` entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "WireProof", try_from = "WireProof")]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub path: Vec<TreeHash>,
}

impl ConsistencyProof {
    /// Checks the proof against the roots of the trees of `self.from` and `self.to` leaves.
    pub fn verify(&self, from_root: &TreeHash, to_root: &TreeHash) -> Result<(), ProofError> {
        verify_consistency(self.from, self.to, from_root, to_root, &self.path)
    }

    /// The JSON text form, one line.
    pub fn to_json(&self) -> String {
        Proof::Consistency(self.clone()).to_json()
    }

    /// Parses the JSON text form; never panics.
    pub fn parse(text: &str) -> Result<ConsistencyProof, ProofParseError> {
        match Proof::parse(text)? {
            Proof::Consistency(p) => Ok(p),
            Proof::Inclusion(_) => Err(ProofParseError::WrongKind {
                expected: "consistency",
                found: "inclusion",
            }),
        }
    }
}

/// Either proof, as read from its JSON text form (tagged by `kind`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "WireProof", try_from = "WireProof")]
pub enum Proof {
    Inclusion(InclusionProof),
    Consistency(ConsistencyProof),
}

impl Proof {
    /// The JSON text form, one line, fields in the documented order.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&WireProof::from(self.clone())).expect("proofs always serialize")
    }

    /// Parses the JSON text form; never panics.
    pub fn parse(text: &str) -> Result<Proof, ProofParseError> {
        let wire: WireProof =
            serde_json::from_str(text).map_err(|e| ProofParseError::Json(e.to_string()))?;
        Proof::try_from(wire)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofParseError {
    #[error("not a proof: {0}")]
    Json(String),
    #[error("{field} is not 64 lowercase hex digits")]
    BadHash { field: String },
    #[error("expected an {expected} proof, found a {found} proof")]
    WrongKind {
        expected: &'static str,
        found: &'static str,
    },
}

/// The JSON layout, field order included.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum WireProof {
    Inclusion {
        seq: u64,
        size: u64,
        entry_hash: String,
        path: Vec<String>,
    },
    Consistency {
        from: u64,
        to: u64,
        path: Vec<String>,
    },
}

fn hashes_to_hex(path: &[TreeHash]) -> Vec<String> {
    path.iter().map(TreeHash::to_hex).collect()
}

fn hashes_from_hex(path: &[String]) -> Result<Vec<TreeHash>, ProofParseError> {
    path.iter()
        .enumerate()
        .map(|(i, h)| {
            TreeHash::from_hex(h).ok_or_else(|| ProofParseError::BadHash {
                field: format!("path[{i}]"),
            })
        })
        .collect()
}

impl From<Proof> for WireProof {
    fn from(proof: Proof) -> WireProof {
        match proof {
            Proof::Inclusion(p) => WireProof::Inclusion {
                seq: p.seq,
                size: p.size,
                entry_hash: p.entry_hash.to_hex(),
                path: hashes_to_hex(&p.path),
            },
            Proof::Consistency(p) => WireProof::Consistency {
                from: p.from,
                to: p.to,
                path: hashes_to_hex(&p.path),
            },
        }
    }
}

impl TryFrom<WireProof> for Proof {
    type Error = ProofParseError;

    fn try_from(wire: WireProof) -> Result<Proof, ProofParseError> {
        Ok(match wire {
            WireProof::Inclusion {
                seq,
                size,
                entry_hash,
                path,
            } => Proof::Inclusion(InclusionProof {
                seq,
                size,
                entry_hash: hash_from_hex(&entry_hash).map(EntryHash).ok_or(
                    ProofParseError::BadHash {
                        field: "entry_hash".into(),
                    },
                )?,
                path: hashes_from_hex(&path)?,
            }),
            WireProof::Consistency { from, to, path } => Proof::Consistency(ConsistencyProof {
                from,
                to,
                path: hashes_from_hex(&path)?,
            }),
        })
    }
}

impl From<InclusionProof> for WireProof {
    fn from(proof: InclusionProof) -> WireProof {
        Proof::Inclusion(proof).into()
    }
}

impl From<ConsistencyProof> for WireProof {
    fn from(proof: ConsistencyProof) -> WireProof {
        Proof::Consistency(proof).into()
    }
}

impl TryFrom<WireProof> for InclusionProof {
    type Error = ProofParseError;

    fn try_from(wire: WireProof) -> Result<InclusionProof, ProofParseError> {
        match Proof::try_from(wire)? {
            Proof::Inclusion(p) => Ok(p),
            Proof::Consistency(_) => Err(ProofParseError::WrongKind {
                expected: "inclusion",
                found: "consistency",
            }),
        }
    }
}

impl TryFrom<WireProof> for ConsistencyProof {
    type Error = ProofParseError;

    fn try_from(wire: WireProof) -> Result<ConsistencyProof, ProofParseError> {
        match Proof::try_from(wire)? {
            Proof::Consistency(p) => Ok(p),
            Proof::Inclusion(_) => Err(ProofParseError::WrongKind {
                expected: "consistency",
                found: "inclusion",
            }),
        }
    }
}
