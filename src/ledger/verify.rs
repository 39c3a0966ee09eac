//! Verification from the journal and the head file alone: no sled, no lock, no trust in
//! anything derived. What an auditor (or an outside verifier) runs.

use std::path::Path;

use crate::domain::Seq;

use super::entry::{DecodeError, Entry, EntryHash};
use super::journal::{self, FrameError, FrameReader, HeadError, JOURNAL_FILE};

/// A clean ledger: its size and head hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: u64,
    pub head: EntryHash,
}

/// The first thing found wrong, naming the entry where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tampering {
    #[error("the journal is missing or unreadable: {0}")]
    NoJournal(String),
    #[error("the journal does not start with the ccm-ledger magic (overwritten?)")]
    BadMagic,
    #[error("the head file: {0}")]
    Head(String),
    #[error("entry {seq}: its frame is damaged: {problem}")]
    Frame { seq: Seq, problem: FrameError },
    #[error("entry {seq}: its bytes do not decode: {problem}")]
    Undecodable { seq: Seq, problem: DecodeError },
    #[error("entry {seq}: the entry at this position says it is entry {found} (an entry was deleted, inserted or moved)")]
    WrongSeq { seq: Seq, found: Seq },
    #[error("entry {seq}: it links to {found}, but entry {prev}'s hash is {expected} (the chain is broken)", prev = seq.0.wrapping_sub(1) as i64)]
    BrokenLink {
        seq: Seq,
        expected: EntryHash,
        found: EntryHash,
    },
    #[error("entry {seq}: its bytes hash to {computed}, not the stored {stored} (the entry was altered)")]
    HashMismatch {
        seq: Seq,
        stored: EntryHash,
        computed: EntryHash,
    },
    #[error("entry {seq}: missing — the head file acknowledges {acknowledged} entries but the journal holds {found} (the journal was truncated or entries removed)")]
    Missing {
        seq: Seq,
        acknowledged: u64,
        found: u64,
    },
    #[error("entry {seq}: not acknowledged — the journal has {journal_bytes} bytes but the head file acknowledges only {acknowledged_bytes} ({acknowledged} entries), and no writer is at work (a crashed append or import leaves this, and the next write cuts it off and keeps the bytes beside the journal; otherwise the head file was rolled back or bytes were appended to the journal)")]
    Unacknowledged {
        seq: Seq,
        acknowledged: u64,
        acknowledged_bytes: u64,
        journal_bytes: u64,
    },
    #[error("entry {seq}: the head file records hash {head} for it, the journal {journal} (the head file or the journal was replaced)")]
    HeadMismatch {
        seq: Seq,
        head: EntryHash,
        journal: EntryHash,
    },
    #[error(
        "the head file acknowledges {acknowledged} journal bytes, the entries end at byte {found}"
    )]
    HeadBytes { acknowledged: u64, found: u64 },
}

impl Tampering {
    /// The first entry found bad, if the problem is located at one.
    pub fn seq(&self) -> Option<Seq> {
        match self {
            Tampering::Frame { seq, .. }
            | Tampering::Undecodable { seq, .. }
            | Tampering::WrongSeq { seq, .. }
            | Tampering::BrokenLink { seq, .. }
            | Tampering::HashMismatch { seq, .. }
            | Tampering::Missing { seq, .. }
            | Tampering::Unacknowledged { seq, .. }
            | Tampering::HeadMismatch { seq, .. } => Some(*seq),
            Tampering::NoJournal(_)
            | Tampering::BadMagic
            | Tampering::Head(_)
            | Tampering::HeadBytes { .. } => None,
        }
    }
}

/// One entry as verification read it.
pub struct Checked {
    pub entry: Entry,
    pub hash: EntryHash,
}

/// Recomputes the whole chain from entry 0, checks every frame, seq, link and hash, and the
/// head file's agreement with the journal. `each` sees every good entry in order (the export
/// and the Merkle tree are built from the same pass).
///
/// What is verified is the acknowledged ledger: the journal up to the size the head file
/// records, as read at the start. Bytes past it are an append in flight when a writer holds
/// the lock (never reported: this runs beside writers), and otherwise the torn tail of a
/// crashed write — or a rolled-back head file, or bytes appended to the journal, which the
/// journal alone cannot tell apart from it — reported as [`Tampering::Unacknowledged`].
pub fn verify_dir(dir: &Path, mut each: impl FnMut(&Checked)) -> Result<Verified, Tampering> {
    let path = dir.join(JOURNAL_FILE);
    std::fs::metadata(&path)
        .map_err(|e| Tampering::NoJournal(format!("{}: {e}", path.display())))?;
    if !journal::check_magic(&path).map_err(|e| Tampering::NoJournal(e.to_string()))? {
        return Err(Tampering::BadMagic);
    }
    let read_head = || {
        journal::read_head(dir).map_err(|e| match e {
            HeadError::Io { .. } | HeadError::Malformed(_) => Tampering::Head(e.to_string()),
        })
    };
    let head = read_head()?;
    // Read after the head: a writer only ever makes the journal longer than its head.
    let len = std::fs::metadata(&path)
        .map_err(|e| Tampering::NoJournal(format!("{}: {e}", path.display())))?
        .len();

    let mut reader = FrameReader::open(&path, journal::MAGIC.len() as u64, head.bytes)
        .map_err(|e| Tampering::NoJournal(e.to_string()))?;
    let mut prev = EntryHash::GENESIS;
    let mut seq = 0u64;
    while let Some(frame) = reader.next_frame() {
        let at = Seq(seq);
        let frame = match frame {
            Ok(frame) => frame,
            // The journal ends at a frame boundary before the head: entries were removed.
            Err(FrameError::Truncated { offset }) if offset >= len => break,
            Err(problem) => return Err(Tampering::Frame { seq: at, problem }),
        };
        let entry = Entry::decode(&frame.bytes)
            .map_err(|problem| Tampering::Undecodable { seq: at, problem })?;
        if entry.seq != at {
            return Err(Tampering::WrongSeq {
                seq: at,
                found: entry.seq,
            });
        }
        if entry.prev_hash != prev {
            return Err(Tampering::BrokenLink {
                seq: at,
                expected: prev,
                found: entry.prev_hash,
            });
        }
        let computed = EntryHash::chain(&prev, at, &frame.bytes);
        if computed != frame.hash {
            return Err(Tampering::HashMismatch {
                seq: at,
                stored: frame.hash,
                computed,
            });
        }
        if seq + 1 == head.entries && computed != head.hash {
            return Err(Tampering::HeadMismatch {
                seq: at,
                head: head.hash,
                journal: computed,
            });
        }
        if seq + 1 == head.entries && frame.end() != head.bytes {
            return Err(Tampering::HeadBytes {
                acknowledged: head.bytes,
                found: frame.end(),
            });
        }
        each(&Checked {
            entry,
            hash: computed,
        });
        prev = computed;
        seq += 1;
    }
    if seq < head.entries {
        return Err(Tampering::Missing {
            seq: Seq(seq),
            acknowledged: head.entries,
            found: seq,
        });
    }
    if seq > head.entries
        || (head.entries == 0
            && (head.hash != EntryHash::GENESIS || head.bytes != journal::MAGIC.len() as u64))
    {
        return Err(Tampering::HeadBytes {
            acknowledged: head.bytes,
            found: reader.offset(),
        });
    }
    if len > head.bytes {
        check_tail(dir, &path, read_head)?;
    }
    Ok(Verified {
        entries: seq,
        head: prev,
    })
}

/// Bytes past the acknowledged size: fine while a writer holds the lock (its append is in
/// flight), reported when none does. Taken under the lock, so a writer that finished in the
/// meantime is seen by reading its new head. A directory where no lock can be taken (read
/// only) has no writer either.
fn check_tail(
    dir: &Path,
    path: &Path,
    read_head: impl Fn() -> Result<super::Head, Tampering>,
) -> Result<(), Tampering> {
    let _lock = match super::lock(dir) {
        Ok(Some(lock)) => Some(lock),
        Ok(None) => return Ok(()),
        Err(_) => None,
    };
    let head = read_head()?;
    let len = std::fs::metadata(path)
        .map_err(|e| Tampering::NoJournal(format!("{}: {e}", path.display())))?
        .len();
    if len > head.bytes {
        return Err(Tampering::Unacknowledged {
            seq: Seq(head.entries),
            acknowledged: head.entries,
            acknowledged_bytes: head.bytes,
            journal_bytes: len,
        });
    }
    Ok(())
}
