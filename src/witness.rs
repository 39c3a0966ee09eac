//! A witness's state and its one decision (c2sp.org/tlog-witness, as a command rather than an
//! HTTP service): cosign a log's checkpoint only if it extends, by a verified consistency
//! proof, the latest checkpoint of that origin the witness cosigned, never two different
//! trees of one size and never a smaller tree; keep the evidence when it does not.
//!
//! The state directory holds, for each origin, `<origin, escaped>/latest` (the latest
//! cosigned checkpoint, as printed) and `<origin, escaped>/evidence/` (what was refused, beside
//! what it contradicted). `lock` serialises witnesses on one directory: the check against the
//! latest and the replacement of the latest are one step (the race tlog-witness warns about).
//!
//! The log's signing time (the checkpoint's `time` line) is cosigned with the rest of the text,
//! as tlog-cosignature requires, and not judged: a cosignature speaks of the tree, at the
//! witness's own timestamp, never of the log's clock.

use std::fs::{self, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use crate::domain::EntryHash;
use crate::ledger::sync;
use crate::merkle::{
    empty_root, parse_and_verify, split_note, Checkpoint, CheckpointError, ConsistencyProof,
    MemoryNodeStore, MerkleTree, ProofError, VerifierKey, WitnessSigner,
};

/// What the witness was asked to cosign.
pub struct Offer<'a> {
    /// The checkpoint as received (a signed note, possibly with other cosignatures).
    pub note: &'a str,
    /// How the witness learns that it extends its latest checkpoint of that origin.
    pub proof: ProofFrom<'a>,
    /// The time of the cosignature, POSIX seconds.
    pub now: u64,
}

/// Where the consistency proof comes from.
pub enum ProofFrom<'a> {
    /// None was given: enough for a first checkpoint or the same tree again.
    Nothing,
    /// A proof from `ccm-ledger prove --from OLD --to NEW`.
    Given(&'a ConsistencyProof),
    /// The entry hashes of the offered tree, all of them (from a verified publication): the
    /// proof from whatever size the witness holds is computed from them, under the lock.
    Entries(&'a [EntryHash]),
}

/// A cosigned checkpoint: the offered note with the witness's cosignature line appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigned {
    pub note: String,
    pub checkpoint: Checkpoint,
    /// The size of the latest checkpoint cosigned before, if any.
    pub previous: Option<u64>,
}

/// Why the witness did not cosign.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    #[error("the checkpoint is not signed by the log's key {key}: {source}")]
    WrongKey {
        key: String,
        source: CheckpointError,
    },
    #[error("a checkpoint of size 0 must have the empty tree's root")]
    BadEmptyTree,
    #[error("a fork: {origin} at size {size} was cosigned with root {cosigned}, and this checkpoint has root {offered} (evidence kept in {})", evidence.display())]
    Fork {
        origin: String,
        size: u64,
        cosigned: String,
        offered: String,
        evidence: PathBuf,
    },
    #[error("a rollback: {origin} was cosigned at size {cosigned}, and this checkpoint is smaller, of size {offered} (evidence kept in {})", evidence.display())]
    Rollback {
        origin: String,
        cosigned: u64,
        offered: u64,
        evidence: PathBuf,
    },
    #[error("the consistency proof from the cosigned size {from} to {to} does not hold: {source} (evidence kept in {})", evidence.display())]
    BadProof {
        from: u64,
        to: u64,
        source: ProofError,
        evidence: PathBuf,
    },
    #[error(
        "{origin} was cosigned at size {from}: a consistency proof from {from} to {to} is needed"
    )]
    ProofNeeded { origin: String, from: u64, to: u64 },
    #[error("the witness state {}: {detail}", path.display())]
    State { path: PathBuf, detail: String },
}

impl WitnessError {
    /// Whether the log (or whoever holds its key or its disk) misbehaved, or the offer does not
    /// verify: what `ccm-ledger witness` reports with exit 3.
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            WitnessError::ProofNeeded { .. } | WitnessError::State { .. }
        )
    }
}

/// Checks `offer` against the latest checkpoint of its origin in `state` and, if it extends it,
/// stores it as the latest and returns it cosigned by `witness`. Holds the directory's lock
/// from the check to the store.
pub fn witness(
    state: &Path,
    witness: &WitnessSigner,
    log_key: &VerifierKey,
    offer: &Offer,
) -> Result<Cosigned, WitnessError> {
    let checkpoint =
        parse_and_verify(offer.note, log_key).map_err(|source| WitnessError::WrongKey {
            key: log_key.to_text(),
            source,
        })?;
    if checkpoint.size == 0 && checkpoint.root != empty_root() {
        return Err(WitnessError::BadEmptyTree);
    }
    let state_error = |path: &Path| {
        let path = path.to_owned();
        move |e: io::Error| WitnessError::State {
            path,
            detail: e.to_string(),
        }
    };
    fs::create_dir_all(state).map_err(state_error(state))?;
    let lock_path = state.join("lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(state_error(&lock_path))?;
    lock.lock().map_err(state_error(&lock_path))?;

    let log_dir = state.join(escape_origin(&checkpoint.origin));
    let latest_path = log_dir.join("latest");
    let latest = match fs::read_to_string(&latest_path) {
        Ok(text) => Some(read_latest(&text).map_err(|detail| WitnessError::State {
            path: latest_path.clone(),
            detail,
        })?),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(state_error(&latest_path)(e)),
    };
    if let Some((old_note, old)) = &latest {
        let keep = |kind: &str| keep_evidence(&log_dir, kind, old_note, offer, None);
        if checkpoint.size < old.size {
            return Err(WitnessError::Rollback {
                origin: checkpoint.origin,
                cosigned: old.size,
                offered: checkpoint.size,
                evidence: keep("rollback")?,
            });
        }
        if checkpoint.size == old.size && checkpoint.root != old.root {
            return Err(WitnessError::Fork {
                origin: checkpoint.origin,
                size: old.size,
                cosigned: old.root.to_hex(),
                offered: checkpoint.root.to_hex(),
                evidence: keep("fork")?,
            });
        }
        if checkpoint.size > old.size && old.size > 0 {
            let proof = match offer.proof {
                ProofFrom::Nothing => {
                    return Err(WitnessError::ProofNeeded {
                        origin: checkpoint.origin,
                        from: old.size,
                        to: checkpoint.size,
                    })
                }
                ProofFrom::Given(proof) => proof.clone(),
                ProofFrom::Entries(entries) => proof_from(entries, old.size, checkpoint.size),
            };
            if let Err(source) = old.verify_consistency(&checkpoint, &proof) {
                return Err(WitnessError::BadProof {
                    from: old.size,
                    to: checkpoint.size,
                    source,
                    evidence: keep_evidence(&log_dir, "bad-proof", old_note, offer, Some(&proof))?,
                });
            }
        }
    }
    let (text, _) = split_note(offer.note).expect("a verified note splits");
    let mut note = offer.note.to_owned();
    note.push_str(&witness.cosign(text, offer.now));
    fs::create_dir_all(&log_dir).map_err(state_error(&log_dir))?;
    write_durably(&log_dir, "latest", note.as_bytes()).map_err(state_error(&latest_path))?;
    drop(lock);
    Ok(Cosigned {
        note,
        checkpoint,
        previous: latest.map(|(_, old)| old.size),
    })
}

/// The consistency proof from `from` to `to` computed over `entries` (the first `to` of them;
/// fewer, and the proof is empty, which fails to verify: the publication is short).
fn proof_from(entries: &[EntryHash], from: u64, to: u64) -> ConsistencyProof {
    let mut tree = MerkleTree::new(MemoryNodeStore::new());
    for entry in entries.iter().take(to as usize) {
        tree.push(entry).expect("a tree in memory grows");
    }
    tree.prove_consistency(from, to)
        .unwrap_or(ConsistencyProof {
            from,
            to,
            path: Vec::new(),
        })
}

/// The latest cosigned checkpoint, as stored: the witness verified it before storing it, so
/// only its form is read here (the log's key may have been rotated since).
fn read_latest(note: &str) -> Result<(String, Checkpoint), String> {
    let (text, _) = split_note(note).map_err(|e| e.to_string())?;
    let checkpoint = Checkpoint::parse_body(text).map_err(|e| e.to_string())?;
    Ok((note.to_owned(), checkpoint))
}

/// Keeps the cosigned checkpoint and the refused one (and its proof) side by side in a new
/// directory `evidence/<time>-<kind>[-n]`, and returns it.
fn keep_evidence(
    log_dir: &Path,
    kind: &str,
    cosigned: &str,
    offer: &Offer,
    proof: Option<&ConsistencyProof>,
) -> Result<PathBuf, WitnessError> {
    let base = log_dir.join("evidence");
    let kept = (|| -> io::Result<PathBuf> {
        fs::create_dir_all(&base)?;
        let mut n = 0;
        let dir = loop {
            let name = match n {
                0 => format!("{}-{kind}", offer.now),
                n => format!("{}-{kind}-{n}", offer.now),
            };
            let dir = base.join(name);
            match fs::create_dir(&dir) {
                Ok(()) => break dir,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => n += 1,
                Err(e) => return Err(e),
            }
        };
        write_durably(&dir, "cosigned.checkpoint", cosigned.as_bytes())?;
        write_durably(&dir, "refused.checkpoint", offer.note.as_bytes())?;
        if let Some(proof) = proof {
            write_durably(
                &dir,
                "refused.proof",
                format!("{}\n", proof.to_json()).as_bytes(),
            )?;
        }
        Ok(dir)
    })();
    kept.map_err(|e| WitnessError::State {
        path: base,
        detail: format!("the evidence could not be kept: {e}"),
    })
}

/// The directory name of an origin: bytes other than ASCII letters, digits, `.` and `-` are
/// written `_` and two hex digits, so distinct origins never share a directory.
pub fn escape_origin(origin: &str) -> String {
    let mut name = String::with_capacity(origin.len());
    for byte in origin.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'-' {
            name.push(byte as char);
        } else {
            name.push_str(&format!("_{byte:02x}"));
        }
    }
    name
}

/// Writes `dir/name` whole or not at all: a temporary file, synced, renamed, the directory
/// synced — the witness's state must survive a crash once it has answered.
fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    sync::write_atomically(&dir.join(name), sync::Durability::DirectorySynced, |file| {
        file.write_all(bytes)
    })
}
