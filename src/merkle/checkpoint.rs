//! Checkpoints (c2sp.org/tlog-checkpoint): a signed statement of the tree's size and root,
//! and of when it was signed.
//!
//! ```text
//! <origin>\n<size, decimal>\n<base64 of the 32-byte root>\n
//! time <POSIX seconds, decimal>\n                  (the one extension line; optional)
//! \n
//! — <key name> <base64(key id ‖ Ed25519 signature)>\n
//! ```
//!
//! The signing time is an extension line of the note text, so the log's signature covers it;
//! it is written as the timestamp line of a `cosignature/v1` message (c2sp.org/tlog-cosignature)
//! so that a reader of C2SP recognises it. Extension lines are opaque to generic verifiers, and
//! a witness cosigns them without vouching for them: the time is the signer's clock, nothing
//! more. Checkpoints signed before ccm-ledger recorded the time have no such line and still
//! read. Any other extension line is refused: the root is a blake3 tree root (see
//! `docs/FORMAT.md`), which the origin, `ccm-ledger/<name>` by convention, tells a reader to
//! expect, and a line ccm-ledger cannot read is one it would sign or show without meaning.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::note::{is_valid_key_name, open_note, sign_note, NoteError, SignerKey, VerifierKey};
use super::{ConsistencyProof, InclusionProof, ProofError, TreeHash};
use crate::domain::Timestamp;

/// The keyword of the signing time's line, as in the timestamp line of tlog-cosignature.
const TIME_KEYWORD: &str = "time";
/// The line of the note text that may hold the signing time (counted from 1).
pub const TIME_LINE: usize = 4;
/// The latest signing time accepted, 2999-12-31T23:59:59Z in POSIX seconds: the last second
/// the ledger's timestamps name. It bounds the line to `time ` and 11 digits.
pub const MAX_SIGNED_AT: i64 = 32_503_679_999;
/// How much of a refused line an error quotes.
const QUOTED_CHARS: usize = 40;

/// The tree head a log signs: its origin, its size, the root at that size, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: TreeHash,
    /// When it was signed, by the signer's clock, in whole seconds: the extension line
    /// `time <POSIX seconds>`. `None`: signed before ccm-ledger recorded the time (no line).
    pub signed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error(
        "a checkpoint origin must be non-empty, with no spaces, control characters or '+': {0:?}"
    )]
    BadOrigin(String),
    #[error("the checkpoint is malformed: {0}")]
    Malformed(&'static str),
    #[error("the checkpoint's line {line}, its signing time, {reason}: {found:?} (the form is `time <seconds since 1970-01-01T00:00:00Z, decimal, no leading zeros>`, at most {MAX_SIGNED_AT})")]
    BadTime {
        line: usize,
        reason: &'static str,
        /// The line, cut to its first 40 characters.
        found: String,
    },
    #[error("the checkpoint's line {line} is an extension line ccm-ledger does not read: {found:?} (the only one it reads is the signing time, `time <seconds>`, on line {TIME_LINE})")]
    UnknownExtension {
        line: usize,
        /// The line, cut to its first 40 characters.
        found: String,
    },
    #[error(transparent)]
    Note(#[from] NoteError),
}

/// What a checkpoint's signing time is, said wherever one is shown beside it.
pub const SIGNED_AT_CLAIM: &str =
    "by the signer's clock: the key holder's claim, not evidence of when the entries existed";

impl Checkpoint {
    /// When it says it was signed, as every command shows it: `signed at <time>`, or
    /// `signed at: not recorded` for one signed before ccm-ledger wrote the time line.
    pub fn signed_at_shown(&self) -> String {
        match self.signed_at {
            Some(at) => format!("signed at {at}"),
            None => "signed at: not recorded".to_owned(),
        }
    }

    /// The note text: `origin\nsize\nbase64(root)\n`, then `time <seconds>\n` when it says
    /// when it was signed (the fraction of a second dropped).
    pub fn body(&self) -> Result<String, CheckpointError> {
        if !is_valid_key_name(&self.origin) {
            return Err(CheckpointError::BadOrigin(self.origin.clone()));
        }
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root.0)
        );
        if let Some(at) = self.signed_at {
            let line = format!("{TIME_KEYWORD} {}", at.unix_seconds());
            parse_time(&line)?;
            body.push_str(&line);
            body.push('\n');
        }
        Ok(body)
    }

    /// Parses the note text of a checkpoint (already verified): the three lines of the tree
    /// head, then at most the signing time's line.
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
        let (time, extension) = (lines.next(), lines.next());
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
        let signed_at = time.map(parse_time).transpose()?;
        if let Some(line) = extension {
            return Err(CheckpointError::UnknownExtension {
                line: TIME_LINE + 1,
                found: quoted(line),
            });
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root: TreeHash(root),
            signed_at,
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
    is_canonical_decimal(s).then(|| s.parse().ok()).flatten()
}

/// ASCII digits, no sign, no leading zeros (`0` alone is zero).
fn is_canonical_decimal(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
}

/// The signing time of the extension line `line` (the 4th of the text): `time <seconds>`,
/// bounded by [`MAX_SIGNED_AT`] before it is converted, so no length of digits costs more
/// than reading them. Any other extension line is refused.
fn parse_time(line: &str) -> Result<Timestamp, CheckpointError> {
    let (keyword, value) = line.split_once(' ').unwrap_or((line, ""));
    if keyword != TIME_KEYWORD {
        return Err(CheckpointError::UnknownExtension {
            line: TIME_LINE,
            found: quoted(line),
        });
    }
    let bad = |reason| CheckpointError::BadTime {
        line: TIME_LINE,
        reason,
        found: quoted(line),
    };
    if value.is_empty() {
        return Err(bad("has no value"));
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("is not a decimal number of seconds"));
    }
    if !is_canonical_decimal(value) {
        return Err(bad("has leading zeros"));
    }
    let too_late = bad("is later than 2999-12-31T23:59:59Z, the latest time accepted");
    let seconds: i64 = match value.len() <= 11 {
        true => value.parse().map_err(|_| bad("is not a number"))?,
        false => return Err(too_late),
    };
    if seconds > MAX_SIGNED_AT {
        return Err(too_late);
    }
    Timestamp::from_unix_seconds(seconds).ok_or(bad("is not a time the ledger can name"))
}

/// `line` cut to its first [`QUOTED_CHARS`] characters, for an error message.
fn quoted(line: &str) -> String {
    match line.char_indices().nth(QUOTED_CHARS) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_owned(),
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
