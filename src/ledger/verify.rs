//! Verification from the journal and the head file alone: no sled, no lock, no trust in
//! anything derived. What an auditor (or an outside verifier) runs.

use std::path::Path;

use crate::domain::Seq;

use super::entry::{DecodeError, Entry, EntryHash};
use super::journal::{self, Frame, FrameError, FrameReader, HeadError, JOURNAL_FILE};

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
/// and the Merkle tree are built from the same pass). Uses every core: see [`verify_dir_with`].
///
/// What is verified is the acknowledged ledger: the journal up to the size the head file
/// records, as read at the start. Bytes past it are an append in flight when a writer holds
/// the lock (never reported: this runs beside writers), and otherwise the torn tail of a
/// crashed write — or a rolled-back head file, or bytes appended to the journal, which the
/// journal alone cannot tell apart from it — reported as [`Tampering::Unacknowledged`].
pub fn verify_dir(dir: &Path, each: impl FnMut(&Checked)) -> Result<Verified, Tampering> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS));
    verify_dir_with(dir, threads, each)
}

/// More threads than this gain nothing: reading the journal is then the bottleneck.
const MAX_THREADS: usize = 8;
/// Frames read, then decoded and hashed in parallel, per step.
const BATCH: usize = 8192;

/// [`verify_dir`] on `threads` threads (1: everything on the calling thread).
///
/// Each entry carries its predecessor's hash, so every entry's hash can be recomputed on its
/// own, in parallel: `chain(entry.prev_hash, seq, bytes)`. The links are then confirmed in
/// order on the calling thread (`entry.prev_hash` equals the hash recomputed for the entry
/// before), and where a link holds, the hash computed in parallel is exactly the sequential
/// chain's. So the answer, and the first bad entry reported, are the same as a sequential pass.
/// One thread reads the journal ahead while the others decode and hash.
pub fn verify_dir_with(
    dir: &Path,
    threads: usize,
    mut each: impl FnMut(&Checked),
) -> Result<Verified, Tampering> {
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
    let threads = threads.max(1);
    let mut chain = Chain {
        head,
        len,
        prev: EntryHash::GENESIS,
        seq: 0,
    };
    if threads == 1 {
        loop {
            let batch = read_batch(&mut reader);
            let done = batch.problem.is_some() || batch.frames.len() < BATCH;
            let hashed = hash_frames(batch.frames, chain.seq, 1);
            if chain.check(hashed, batch.problem, &mut each)? || done {
                break;
            }
        }
    } else {
        std::thread::scope(|scope| -> Result<(), Tampering> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(2);
            scope.spawn(move || loop {
                let batch = read_batch(&mut reader);
                let done = batch.problem.is_some() || batch.frames.len() < BATCH;
                if tx.send(batch).is_err() || done {
                    break;
                }
            });
            for batch in rx {
                let hashed = hash_frames(batch.frames, chain.seq, threads);
                if chain.check(hashed, batch.problem, &mut each)? {
                    break;
                }
            }
            Ok(())
        })?;
    }
    let verified = chain.finish()?;
    if len > head.bytes {
        check_tail(dir, &path, read_head)?;
    }
    Ok(verified)
}

/// Frames read in one step, and the problem that stopped the reading, if any.
struct Batch {
    frames: Vec<Frame>,
    problem: Option<FrameError>,
}

fn read_batch(reader: &mut FrameReader) -> Batch {
    let mut frames = Vec::with_capacity(BATCH);
    while frames.len() < BATCH {
        match reader.next_frame() {
            None => break,
            Some(Ok(frame)) => frames.push(frame),
            Some(Err(problem)) => {
                return Batch {
                    frames,
                    problem: Some(problem),
                }
            }
        }
    }
    Batch {
        frames,
        problem: None,
    }
}

/// An entry decoded, and its hash recomputed from the predecessor's hash it carries.
struct Hashed {
    decoded: Result<(Entry, EntryHash), DecodeError>,
    stored: EntryHash,
    end: u64,
}

fn hash_one(frame: Frame, seq: u64) -> Hashed {
    let decoded = Entry::decode(&frame.bytes).map(|entry| {
        let computed = EntryHash::chain(&entry.prev_hash, Seq(seq), &frame.bytes);
        (entry, computed)
    });
    Hashed {
        decoded,
        stored: frame.hash,
        end: frame.end(),
    }
}

/// Decodes and hashes `frames` (the first is entry `first`) on `threads` threads, in order.
fn hash_frames(frames: Vec<Frame>, first: u64, threads: usize) -> Vec<Hashed> {
    if threads <= 1 || frames.len() < 2 * threads {
        return frames
            .into_iter()
            .zip(first..)
            .map(|(frame, seq)| hash_one(frame, seq))
            .collect();
    }
    let per = frames.len().div_ceil(threads);
    let mut parts = Vec::with_capacity(threads);
    let mut rest = frames;
    let mut at = first;
    while !rest.is_empty() {
        let tail = rest.split_off(per.min(rest.len()));
        let n = rest.len() as u64;
        parts.push((std::mem::replace(&mut rest, tail), at));
        at += n;
    }
    std::thread::scope(|scope| {
        let mut parts = parts.into_iter();
        let (mine, mine_at) = parts.next().expect("at least one part");
        let handles: Vec<_> = parts
            .map(|(part, at)| scope.spawn(move || hash_frames(part, at, 1)))
            .collect();
        let mut out = hash_frames(mine, mine_at, 1);
        for handle in handles {
            out.extend(handle.join().expect("hashing does not panic"));
        }
        out
    })
}

/// The sequential part of verification: links, seqs, hashes and the head, in order.
struct Chain {
    head: journal::Head,
    /// The journal's length when verification began.
    len: u64,
    prev: EntryHash,
    seq: u64,
}

impl Chain {
    /// Checks one batch in order, then the problem that ended its reading; says whether the
    /// journal ended there (a torn frame past the acknowledged size).
    fn check(
        &mut self,
        hashed: Vec<Hashed>,
        problem: Option<FrameError>,
        each: &mut impl FnMut(&Checked),
    ) -> Result<bool, Tampering> {
        for h in hashed {
            self.entry(h, each)?;
        }
        match problem {
            None => Ok(false),
            // The journal ends at a frame boundary before the head: entries were removed,
            // which `finish` reports as missing.
            Some(FrameError::Truncated { offset }) if offset >= self.len => Ok(true),
            Some(problem) => Err(Tampering::Frame {
                seq: Seq(self.seq),
                problem,
            }),
        }
    }

    fn entry(&mut self, h: Hashed, each: &mut impl FnMut(&Checked)) -> Result<(), Tampering> {
        let at = Seq(self.seq);
        let (entry, computed) = h
            .decoded
            .map_err(|problem| Tampering::Undecodable { seq: at, problem })?;
        if entry.seq != at {
            return Err(Tampering::WrongSeq {
                seq: at,
                found: entry.seq,
            });
        }
        if entry.prev_hash != self.prev {
            return Err(Tampering::BrokenLink {
                seq: at,
                expected: self.prev,
                found: entry.prev_hash,
            });
        }
        // The link holds, so `computed` is chain(prev, seq, bytes): the sequential hash.
        if computed != h.stored {
            return Err(Tampering::HashMismatch {
                seq: at,
                stored: h.stored,
                computed,
            });
        }
        let head = &self.head;
        if self.seq + 1 == head.entries && computed != head.hash {
            return Err(Tampering::HeadMismatch {
                seq: at,
                head: head.hash,
                journal: computed,
            });
        }
        if self.seq + 1 == head.entries && h.end != head.bytes {
            return Err(Tampering::HeadBytes {
                acknowledged: head.bytes,
                found: h.end,
            });
        }
        each(&Checked {
            entry,
            hash: computed,
        });
        self.prev = computed;
        self.seq += 1;
        Ok(())
    }

    fn finish(self) -> Result<Verified, Tampering> {
        let (head, seq) = (self.head, self.seq);
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
                found: journal::MAGIC.len() as u64,
            });
        }
        Ok(Verified {
            entries: seq,
            head: self.prev,
        })
    }
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
