//! Checkpoints (c2sp.org/tlog-checkpoint): a signed statement of the tree's size and root.
//!
//! ```text
//! <origin>\n<size, decimal>\n<base64 of the 32-byte root>\n
//! \n
//! — <key name> <base64(key id ‖ Ed25519 signature)>\n
//! ```
//!
//! ccm-ledger writes no extension lines and rejects a checkpoint that has any: the root is a
//! blake3 tree root (see `docs/FORMAT.md`), which the origin, `ccm-ledger/<name>` by
//! convention, tells a reader to expect.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::note::{is_valid_key_name, open_note, sign_note, NoteError, SignerKey, VerifierKey};
use super::{ConsistencyProof, InclusionProof, ProofError, TreeHash};

/// The tree head a log signs: its origin, its size and the root at that size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: TreeHash,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error(
        "a checkpoint origin must be non-empty, with no spaces, control characters or '+': {0:?}"
    )]
    BadOrigin(String),
    #[error("the checkpoint is malformed: {0}")]
    Malformed(&'static str),
    #[error(transparent)]
    Note(#[from] NoteError),
}

impl Checkpoint {
    /// The note text: `origin\nsize\nbase64(root)\n`.
    pub fn body(&self) -> Result<String, CheckpointError> {
        if !is_valid_key_name(&self.origin) {
            return Err(CheckpointError::BadOrigin(self.origin.clone()));
        }
        Ok(format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root.0)
        ))
    }

    /// Parses the note text of a checkpoint (already verified): exactly three lines.
    pub fn parse_body(text: &str) -> Result<Checkpoint, CheckpointError> {
        let malformed = CheckpointError::Malformed;
        let text = text
            .strip_suffix('\n')
            .ok_or(malformed("the text does not end with a newline"))?;
        let mut lines = text.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(malformed("fewer than three lines"));
        };
        if lines.next().is_some() {
            return Err(malformed("extension lines are not accepted"));
        }
        if origin.is_empty() {
            return Err(malformed("the origin is empty"));
        }
        let size = parse_size(size).ok_or(malformed(
            "the size is not a decimal number without leading zeros",
        ))?;
        let root = BASE64
            .decode(root)
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or(malformed("the root is not the base64 of 32 bytes"))?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root: TreeHash(root),
        })
    }

    /// Checks `proof` against this (verified) checkpoint: the proof must be about a tree of
    /// exactly this size, since RFC 9162 verification alone does not bind the size.
    pub fn verify_inclusion(&self, proof: &InclusionProof) -> Result<(), ProofError> {
        if proof.size != self.size {
            return Err(ProofError::SizeMismatch {
                proof: proof.size,
                checkpoint: self.size,
            });
        }
        proof.verify(&self.root)
    }

    /// Checks that `newer` (a verified checkpoint of the same origin) extends this one.
    pub fn verify_consistency(
        &self,
        newer: &Checkpoint,
        proof: &ConsistencyProof,
    ) -> Result<(), ProofError> {
        if self.origin != newer.origin {
            return Err(ProofError::OriginMismatch {
                old: self.origin.clone(),
                new: newer.origin.clone(),
            });
        }
        for (proof_size, checkpoint) in [(proof.from, self.size), (proof.to, newer.size)] {
            if proof_size != checkpoint {
                return Err(ProofError::SizeMismatch {
                    proof: proof_size,
                    checkpoint,
                });
            }
        }
        proof.verify(&self.root, &newer.root)
    }
}

fn parse_size(s: &str) -> Option<u64> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if canonical {
        s.parse().ok()
    } else {
        None
    }
}

/// The signed note of `checkpoint`, signed by `key`.
pub fn sign(checkpoint: &Checkpoint, key: &SignerKey) -> Result<String, CheckpointError> {
    Ok(sign_note(&checkpoint.body()?, key)?)
}

/// Verifies that `note` is a checkpoint signed by `key` and returns it. Rejects a malformed
/// note or body, a bad signature by `key`, and a note `key` did not sign; signatures by other
/// keys (witnesses, say) are ignored. Never panics.
pub fn parse_and_verify(note: &str, key: &VerifierKey) -> Result<Checkpoint, CheckpointError> {
    Checkpoint::parse_body(open_note(note, key)?)
}
