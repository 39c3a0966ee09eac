//! Verification from the journal and the head file alone: no sled, no lock, no trust in
//! anything derived. What an auditor (or an outside verifier) runs.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::domain::Seq;
use crate::merkle::{empty_root, TreeHash};

use super::entry::{DecodeError, Entry, Links, MAX_ENTRY_BYTES};
use super::journal::{self, FrameError, HeadError, FRAME_OVERHEAD, JOURNAL_FILE};
use crate::domain::EntryHash;
use crate::merkle::{aligned_subtrees, RootBuilder};

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

/// Bytes past the acknowledged size of the journal while no writer is at work. The journal
/// alone cannot say why: an interrupted write leaves them (the next writer cuts them off and
/// keeps them), and so do a head file rolled back or bytes appended to the journal. Whoever
/// holds more evidence (the index's absorbed mark, a signed checkpoint) tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tail {
    /// The first entry not acknowledged (the number of entries acknowledged).
    pub from_entry: u64,
    pub acknowledged_bytes: u64,
    pub journal_bytes: u64,
}

impl Tail {
    /// What the journal alone makes of it.
    pub fn as_tampering(&self) -> Tampering {
        Tampering::Unacknowledged {
            seq: Seq(self.from_entry),
            acknowledged: self.from_entry,
            acknowledged_bytes: self.acknowledged_bytes,
            journal_bytes: self.journal_bytes,
        }
    }
}

/// What [`verify`] does besides proving the chain. `VerifyOptions::default()` decodes every
/// entry ([`Decoding::Check`]), hashes no tree, looks at no entry and uses every core; set
/// the fields that differ:
///
/// ```no_run
/// # use ccm_ledger::ledger::{verify, Decoding, VerifyOptions};
/// # let dir = std::path::Path::new("ledger");
/// let checked = verify(dir, VerifyOptions { tree_at: Some(&[7]), ..VerifyOptions::default() });
/// let mut hashes = Vec::new();
/// let mut each = |c: &ccm_ledger::ledger::Checked| hashes.push(c.hash);
/// let linked = verify(dir, VerifyOptions {
///     decoding: Decoding::Links,
///     each: Some(&mut each),
///     ..VerifyOptions::default()
/// });
/// ```
#[derive(Default)]
pub struct VerifyOptions<'a> {
    /// How far each entry is decoded.
    pub decoding: Decoding,
    /// `Some(sizes)`: the Merkle tree of the entries is hashed too, on the worker threads,
    /// with the roots at each of `sizes` (a checkpoint given by the user, the ledger's own):
    /// [`Verification::tree`]. `None`: no tree is hashed.
    pub tree_at: Option<&'a [u64]>,
    /// Sees every good entry, in order, as verification read it.
    pub each: Option<&'a mut dyn FnMut(&Checked)>,
    /// Worker threads; `None`: one per core, at most 8. 1: everything on the calling thread.
    pub threads: Option<usize>,
    /// Told how far verification has got after each chunk whose entries have been checked
    /// in order (on the calling thread). The library prints nothing: the caller draws a
    /// progress line from it, or not (issue 17.3).
    pub progress: Option<&'a mut dyn FnMut(Checking)>,
}

/// How far a verification has got: `checked` of `of` in `phase` (of the chain's pass, the
/// entries the head file acknowledges).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checking {
    pub phase: Phase,
    pub checked: u64,
    pub of: u64,
}

/// What a verification is doing, in the order it does it: the chain's pass over the journal
/// ([`verify`]), then the re-derivation of the snapshot queries read
/// ([`super::Ledger::check_snapshot`]), each reported as it goes, so that a caller can show
/// how far the whole has got (at 10^6 entries the re-derivation takes many times the pass).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Every entry's frame, link and hash (and as far as it is decoded): of the entries.
    Chain,
    /// The snapshot's sections read back, each against the sum its directory lists: of the
    /// sections.
    SnapshotRead,
    /// The entries the snapshot covers folded again from the journal: of those entries.
    Fold,
    /// That fold's sections encoded and hashed, to compare with the snapshot's directory:
    /// of the sections the snapshot lists (a fold that differs may give more).
    Digest,
}

/// What [`verify`] found: a clean acknowledged ledger, the tree if asked for, and any bytes
/// past the acknowledged size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub verified: Verified,
    /// The Merkle roots, with [`VerifyOptions::tree_at`]; `None` without.
    pub tree: Option<TreeRoots>,
    /// Bytes past the acknowledged size, no writer at work: reported here, not as
    /// [`Tampering`], for the caller to judge with the evidence it holds
    /// ([`Verification::journal_alone`] for the journal's own judgement).
    pub unacknowledged: Option<Tail>,
}

impl Verification {
    /// The verdict of the journal alone, which holds no evidence to tell an interrupted write
    /// from a rolled-back head file: bytes past the acknowledged size are
    /// [`Tampering::Unacknowledged`].
    pub fn journal_alone(self) -> Result<Verified, Tampering> {
        match self.unacknowledged {
            None => Ok(self.verified),
            Some(tail) => Err(tail.as_tampering()),
        }
    }
}

/// The Merkle roots of a verified ledger, hashed from the same pass as the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeRoots {
    /// The root of the tree of every entry.
    pub root: TreeHash,
    /// The root at the first size asked for; `None` when none was asked or the ledger is
    /// smaller.
    pub root_at: Option<TreeHash>,
    /// The roots at every size asked for that the ledger reaches, in the order asked.
    pub roots_at: Vec<(u64, TreeHash)>,
}

/// How much of each entry verification decodes. The chain itself needs only an entry's seq
/// and the hash it links to ([`Links::read`]); decoding the rest (strings, the event) costs
/// more than hashing, so it is done on the worker threads and only as far as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decoding {
    /// The links alone: the chain, the frames and the head are proven, not that every event
    /// decodes. For callers that need only hashes and will decode anything they use.
    Links,
    /// Every entry decoded in full, then dropped: the ledger is also proven readable (an entry
    /// that does not decode is [`Tampering::Undecodable`], as `ccm-ledger verify` reports it).
    #[default]
    Check,
    /// As `Check`, and each decoded entry is handed to `each` in [`Checked::entry`].
    Keep,
}

/// One entry as verification read it.
pub struct Checked {
    pub seq: Seq,
    pub hash: EntryHash,
    /// The decoded entry with [`Decoding::Keep`]; `None` otherwise.
    pub entry: Option<Entry>,
}

/// Recomputes the whole chain from entry 0, checks every frame, seq, link and hash, and the
/// head file's agreement with the journal; decodes each entry as far as
/// [`VerifyOptions::decoding`] says, shows each good entry to [`VerifyOptions::each`], and
/// hashes the Merkle tree if [`VerifyOptions::tree_at`] asks. The one entry point of
/// verification.
///
/// What is verified is the acknowledged ledger: the journal up to the size the head file
/// records, as read at the start. Bytes past it are an append in flight when a writer holds
/// the lock (never reported: this runs beside writers), and otherwise the torn tail of a
/// crashed write — or a rolled-back head file, or bytes appended to the journal, which the
/// journal alone cannot tell apart from it — reported in [`Verification::unacknowledged`].
///
/// Each entry carries its predecessor's hash, so every entry's hash can be recomputed on its
/// own, in parallel: `chain(links.prev_hash, seq, bytes)`. The links are then confirmed in
/// order on the calling thread (`prev_hash` equals the hash recomputed for the entry before),
/// and where a link holds, the hash computed in parallel is exactly the sequential chain's.
/// So the answer, and the first bad entry reported, are the same as a sequential pass.
///
/// One thread reads the journal in large chunks and splits them into frames by their length
/// fields (no copy per frame); the workers, started once, each take every `threads`-th chunk
/// and check its checksums, read or decode its entries and hash them; the calling thread
/// takes the results back in the same round-robin order, so in journal order.
///
/// The tree is hashed on the worker threads: each worker hashes the leaves of its chunk and
/// folds them into complete subtrees aligned on their size ([`aligned_subtrees`]), so the
/// calling thread, which checks the chain in order, only combines a few subtree roots per
/// chunk. Roots are only given for a ledger that verified, so the hashes they were built
/// from are the chain's.
pub fn verify(dir: &Path, options: VerifyOptions<'_>) -> Result<Verification, Tampering> {
    verify_in_chunks(dir, options, CHUNK_BYTES)
}

/// [`verify`] reading chunks of `chunk_bytes`: small in tests, so that a small ledger spans
/// many chunks and every worker.
fn verify_in_chunks(
    dir: &Path,
    options: VerifyOptions<'_>,
    chunk_bytes: usize,
) -> Result<Verification, Tampering> {
    let VerifyOptions {
        decoding,
        tree_at,
        mut each,
        threads,
        mut progress,
    } = options;
    let threads = threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS))
    });
    let sizes = tree_at.unwrap_or_default();
    let mut cuts: Vec<u64> = sizes.to_vec();
    cuts.sort_unstable();
    cuts.dedup();
    let mut building = tree_at.map(|_| RootsBuilder {
        builder: RootBuilder::new(),
        at_cuts: cuts
            .iter()
            .filter(|&&size| size == 0)
            .map(|&size| (size, empty_root()))
            .collect(),
        cuts,
    });
    let (verified, unacknowledged) = verify_chunks(
        dir,
        threads,
        chunk_bytes,
        decoding,
        building.as_mut(),
        |checked| {
            if let Some(each) = each.as_mut() {
                each(checked);
            }
        },
        |checking| {
            if let Some(progress) = progress.as_mut() {
                progress(checking);
            }
        },
    )?;
    let tree = building.map(|roots| {
        let root_of = |size: u64| {
            roots
                .at_cuts
                .iter()
                .find(|(at, _)| *at == size)
                .map(|&(_, root)| root)
        };
        TreeRoots {
            root: roots.builder.root(),
            root_at: sizes.first().and_then(|&size| root_of(size)),
            roots_at: sizes
                .iter()
                .filter_map(|&size| root_of(size).map(|root| (size, root)))
                .collect(),
        }
    });
    Ok(Verification {
        verified,
        tree,
        unacknowledged,
    })
}

/// The Merkle tree as the calling thread builds it from the workers' subtrees.
struct RootsBuilder {
    builder: RootBuilder,
    /// The sizes whose roots are wanted, in increasing order.
    cuts: Vec<u64>,
    at_cuts: Vec<(u64, TreeHash)>,
}

impl RootsBuilder {
    fn push(&mut self, subtrees: &[(u32, TreeHash)]) {
        for &(level, hash) in subtrees {
            self.builder.push_subtree(level, hash);
            let size = self.builder.size();
            if self.cuts.binary_search(&size).is_ok() {
                self.at_cuts.push((size, self.builder.root()));
            }
        }
    }
}

/// More threads than this gain nothing: reading the journal is then the bottleneck.
const MAX_THREADS: usize = 8;
/// The journal is read in chunks of about this many bytes (whole frames: a frame cut by the
/// end of a read is carried into the next chunk). A chunk is one worker's unit of work.
const CHUNK_BYTES: usize = 1 << 20;

/// The pass itself; the workers also hash the Merkle tree when `roots` are asked for.
fn verify_chunks(
    dir: &Path,
    threads: usize,
    chunk_bytes: usize,
    decoding: Decoding,
    mut roots: Option<&mut RootsBuilder>,
    mut each: impl FnMut(&Checked),
    mut progress: impl FnMut(Checking),
) -> Result<(Verified, Option<Tail>), Tampering> {
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
    let mut reader = ChunkReader::open(&path, journal::MAGIC.len() as u64, head.bytes, chunk_bytes)
        .map_err(|e| Tampering::NoJournal(e.to_string()))?;
    let threads = threads.max(1);
    let mut chain = Chain {
        head,
        len,
        prev: EntryHash::GENESIS,
        seq: 0,
    };
    let cuts: Option<Vec<u64>> = roots.as_ref().map(|roots| roots.cuts.clone());
    let cut = cuts.as_deref();
    // The chain in order, then the chunk's subtrees (once its every entry has been checked).
    let mut take = |worked: Worked, problem: Option<FrameError>| {
        let ended = chain.check(worked.hashed, problem, &mut each)?;
        if let Some(roots) = roots.as_deref_mut() {
            roots.push(&worked.subtrees);
        }
        progress(Checking {
            phase: Phase::Chain,
            checked: chain.seq,
            of: chain.head.entries,
        });
        Ok::<bool, Tampering>(ended)
    };
    if threads == 1 {
        let mut spare = Vec::new();
        while let Some(chunk) = reader.next_chunk(spare) {
            let worked = hash_chunk(&chunk, decoding, cut);
            if take(worked, chunk.problem)? {
                break;
            }
            spare = chunk.buf;
        }
    } else {
        use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};
        std::thread::scope(|scope| -> Result<(), Tampering> {
            // Buffers come back from the checker to the reader: no fresh megabyte (and its
            // page faults) per chunk.
            let (give_back, take_back) = channel::<Vec<u8>>();
            let mut to_workers: Vec<SyncSender<Chunk>> = Vec::with_capacity(threads);
            let mut from_workers: Vec<Receiver<(Worked, Chunk)>> = Vec::with_capacity(threads);
            for _ in 0..threads {
                let (tx, rx) = sync_channel::<Chunk>(2);
                let (done_tx, done_rx) = sync_channel(2);
                scope.spawn(move || {
                    for chunk in rx {
                        let worked = hash_chunk(&chunk, decoding, cut);
                        if done_tx.send((worked, chunk)).is_err() {
                            break;
                        }
                    }
                });
                to_workers.push(tx);
                from_workers.push(done_rx);
            }
            scope.spawn(move || {
                for worker in to_workers.iter().cycle() {
                    let spare = take_back.try_recv().unwrap_or_default();
                    let Some(chunk) = reader.next_chunk(spare) else {
                        break;
                    };
                    if worker.send(chunk).is_err() {
                        break;
                    }
                }
            });
            // A worker that has hung up has no chunk left, and it was the next one's turn:
            // every chunk has been checked.
            for worker in from_workers.iter().cycle() {
                let Ok((worked, chunk)) = worker.recv() else {
                    break;
                };
                if take(worked, chunk.problem)? {
                    break;
                }
                let _ = give_back.send(chunk.buf);
            }
            Ok(())
        })?;
    }
    let verified = chain.finish()?;
    let tail = if len > head.bytes {
        check_tail(dir, &path, read_head)?
    } else {
        None
    };
    Ok((verified, tail))
}

/// Whole frames read in one step, and the problem that stopped the reading, if any.
struct Chunk {
    /// The bytes of the frames, back to back.
    buf: Vec<u8>,
    /// Where `buf` starts in the journal.
    offset: u64,
    /// Where each frame starts in `buf`.
    frames: Vec<usize>,
    /// The seq of the first frame.
    first: u64,
    problem: Option<FrameError>,
}

/// Reads the journal from `offset` up to `limit` in chunks of whole frames.
struct ChunkReader {
    file: File,
    /// The journal offset of the next byte to read.
    pos: u64,
    limit: u64,
    chunk_bytes: usize,
    /// The start of a frame that the last read cut, and where it is in the journal.
    carry: Vec<u8>,
    carry_offset: u64,
    seq: u64,
    done: bool,
}

impl ChunkReader {
    fn open(
        path: &Path,
        offset: u64,
        limit: u64,
        chunk_bytes: usize,
    ) -> std::io::Result<ChunkReader> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(ChunkReader {
            file,
            pos: offset,
            limit,
            chunk_bytes,
            carry: Vec::new(),
            carry_offset: offset,
            seq: 0,
            done: false,
        })
    }

    /// The next chunk (in `buf`, reused), or `None` once the last has been given out.
    fn next_chunk(&mut self, mut buf: Vec<u8>) -> Option<Chunk> {
        if self.done {
            return None;
        }
        buf.clear();
        buf.extend_from_slice(&self.carry);
        let offset = self.carry_offset;
        let mut frames = Vec::with_capacity(self.chunk_bytes / 128);
        let mut at = 0;
        let mut want = self.chunk_bytes;
        let problem = loop {
            let ended = match self.fill(&mut buf, want) {
                Ok(ended) => ended,
                Err(e) => break Some(FrameError::Io(e.to_string())),
            };
            // Split what was read into frames by their length fields.
            let mut short = None;
            let mut too_long = None;
            while at < buf.len() {
                if buf.len() - at < 4 {
                    short = Some(4);
                    break;
                }
                let len = u32::from_le_bytes(buf[at..at + 4].try_into().expect("4 bytes"));
                if len as usize > MAX_ENTRY_BYTES {
                    too_long = Some(len);
                    break;
                }
                let whole = FRAME_OVERHEAD as usize + len as usize;
                if buf.len() - at < whole {
                    short = Some(whole);
                    break;
                }
                frames.push(at);
                at += whole;
            }
            if let Some(len) = too_long {
                break Some(FrameError::TooLong {
                    offset: offset + at as u64,
                    len: len.into(),
                });
            }
            match short {
                // The journal (or the acknowledged part) ends inside this frame.
                Some(_) if ended => {
                    break Some(FrameError::Truncated {
                        offset: offset + at as u64,
                    })
                }
                // A frame longer than a chunk: read on until it is whole.
                Some(whole) if frames.is_empty() => want = whole - (buf.len() - at),
                _ if ended && at == buf.len() => break None,
                _ => {
                    self.carry.clear();
                    self.carry.extend_from_slice(&buf[at..]);
                    self.carry_offset = offset + at as u64;
                    buf.truncate(at);
                    let first = self.seq;
                    self.seq += frames.len() as u64;
                    return Some(Chunk {
                        buf,
                        offset,
                        frames,
                        first,
                        problem: None,
                    });
                }
            }
        };
        self.done = true;
        buf.truncate(at);
        let first = self.seq;
        self.seq += frames.len() as u64;
        Some(Chunk {
            buf,
            offset,
            frames,
            first,
            problem,
        })
    }

    /// Appends up to `want` more bytes (never past `limit`); says whether reading has ended
    /// (the limit or the end of the file reached).
    fn fill(&mut self, buf: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
        let want = want.min(usize::try_from(self.limit - self.pos).unwrap_or(usize::MAX));
        // Into the buffer's spare capacity: a recycled buffer is not zeroed again first.
        buf.reserve(want);
        let got = (&mut self.file).take(want as u64).read_to_end(buf)?;
        self.pos += got as u64;
        Ok(got < want || self.pos == self.limit)
    }
}

/// An entry checked on a worker: its frame's checksum, its links (or its full decoding), and
/// its hash recomputed from the predecessor's hash it carries.
enum Hashed {
    Damaged(FrameError),
    Undecodable(DecodeError),
    Linked {
        links: Links,
        /// Boxed: a result is moved twice, and most are `None`.
        entry: Option<Box<Entry>>,
        computed: EntryHash,
        stored: EntryHash,
        end: u64,
    },
}

/// What a worker made of a chunk.
struct Worked {
    /// Each frame, in order.
    hashed: Vec<Hashed>,
    /// The roots of the chunk's aligned subtrees of the Merkle tree, when asked for and
    /// every entry was hashed (otherwise the chain fails at this chunk and no root is given).
    subtrees: Vec<(u32, TreeHash)>,
}

/// Checks and hashes the frames of `chunk`, in order, and, when the tree is asked for (`cut`
/// is `Some`: the sizes of earlier roots wanted, if any), its subtrees.
fn hash_chunk(chunk: &Chunk, decoding: Decoding, cut: Option<&[u64]>) -> Worked {
    let hashed: Vec<Hashed> = chunk
        .frames
        .iter()
        .zip(chunk.first..)
        .map(|(&at, seq)| {
            let offset = chunk.offset + at as u64;
            let len = u32::from_le_bytes(chunk.buf[at..at + 4].try_into().expect("4 bytes"));
            let frame = &chunk.buf[at..at + FRAME_OVERHEAD as usize + len as usize];
            hash_frame(frame, offset, seq, decoding)
        })
        .collect();
    let mut subtrees = Vec::new();
    if let Some(cut) = cut {
        let hashes: Option<Vec<EntryHash>> = hashed
            .iter()
            .map(|h| match h {
                Hashed::Linked { computed, .. } => Some(*computed),
                Hashed::Damaged(_) | Hashed::Undecodable(_) => None,
            })
            .collect();
        if let Some(hashes) = hashes {
            aligned_subtrees(chunk.first, &hashes, cut, &mut subtrees);
        }
    }
    Worked { hashed, subtrees }
}

/// `frame`: one whole frame (length, bytes, hash, checksum) that starts at `offset`.
fn hash_frame(frame: &[u8], offset: u64, seq: u64, decoding: Decoding) -> Hashed {
    let (covered, crc) = frame.split_at(frame.len() - 4);
    if crc32fast::hash(covered) != u32::from_le_bytes(crc.try_into().expect("4 bytes")) {
        return Hashed::Damaged(FrameError::Checksum { offset });
    }
    let (bytes, stored) = covered[4..].split_at(covered.len() - 4 - 32);
    let decoded = match decoding {
        Decoding::Links => Links::read(bytes).map(|links| (links, None)),
        Decoding::Check => Entry::check(bytes).map(|links| (links, None)),
        Decoding::Keep => Entry::decode(bytes).map(|entry| {
            let links = Links {
                seq: entry.seq,
                prev_hash: entry.prev_hash,
            };
            (links, Some(Box::new(entry)))
        }),
    };
    match decoded {
        Err(problem) => Hashed::Undecodable(problem),
        Ok((links, entry)) => Hashed::Linked {
            computed: EntryHash::chain(&links.prev_hash, Seq(seq), bytes),
            links,
            entry,
            stored: EntryHash(stored.try_into().expect("32 bytes")),
            end: offset + frame.len() as u64,
        },
    }
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
        let (links, entry, computed, stored, end) = match h {
            Hashed::Damaged(problem) => return Err(Tampering::Frame { seq: at, problem }),
            Hashed::Undecodable(problem) => {
                return Err(Tampering::Undecodable { seq: at, problem })
            }
            Hashed::Linked {
                links,
                entry,
                computed,
                stored,
                end,
            } => (links, entry, computed, stored, end),
        };
        if links.seq != at {
            return Err(Tampering::WrongSeq {
                seq: at,
                found: links.seq,
            });
        }
        if links.prev_hash != self.prev {
            return Err(Tampering::BrokenLink {
                seq: at,
                expected: self.prev,
                found: links.prev_hash,
            });
        }
        // The link holds, so `computed` is chain(prev, seq, bytes): the sequential hash.
        if computed != stored {
            return Err(Tampering::HashMismatch {
                seq: at,
                stored,
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
        if self.seq + 1 == head.entries && end != head.bytes {
            return Err(Tampering::HeadBytes {
                acknowledged: head.bytes,
                found: end,
            });
        }
        each(&Checked {
            seq: at,
            hash: computed,
            entry: entry.map(|entry| *entry),
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
) -> Result<Option<Tail>, Tampering> {
    let _lock = match super::lock(dir) {
        Ok(Some(lock)) => Some(lock),
        Ok(None) => return Ok(None),
        Err(_) => None,
    };
    let head = read_head()?;
    let len = std::fs::metadata(path)
        .map_err(|e| Tampering::NoJournal(format!("{}: {e}", path.display())))?
        .len();
    Ok((len > head.bytes).then_some(Tail {
        from_entry: head.entries,
        acknowledged_bytes: head.bytes,
        journal_bytes: len,
    }))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::domain::{Date, Draft, Event, StateCode, StateJoined, Timestamp};
    use crate::ledger::{Ledger, Recorder};

    /// [`verify`] on `threads` threads reading chunks of `chunk` bytes, judged by the journal
    /// alone, `each` shown every entry.
    fn chained(
        dir: &Path,
        threads: usize,
        chunk: usize,
        decoding: Decoding,
        mut each: impl FnMut(&Checked),
    ) -> Result<Verified, Tampering> {
        let options = VerifyOptions {
            decoding,
            each: Some(&mut each),
            threads: Some(threads),
            ..VerifyOptions::default()
        };
        verify_in_chunks(dir, options, chunk).and_then(Verification::journal_alone)
    }

    /// [`verify`] on `threads` threads reading chunks of `chunk` bytes, with the tree hashed
    /// and its roots at `sizes`.
    fn rooted(
        dir: &Path,
        threads: usize,
        chunk: usize,
        decoding: Decoding,
        sizes: &[u64],
    ) -> Result<(Verified, TreeRoots), Tampering> {
        let options = VerifyOptions {
            decoding,
            tree_at: Some(sizes),
            threads: Some(threads),
            ..VerifyOptions::default()
        };
        let verification = verify_in_chunks(dir, options, chunk)?;
        let tree = verification.tree.expect("the tree was asked for");
        Ok((verification.verified, tree))
    }

    /// A ledger of `n` entries of different lengths, appended in a few commits.
    fn ledger(dir: &Path, n: u64) {
        let mut ledger = Ledger::init(dir).unwrap();
        let recorder = Recorder {
            by: "test".into(),
            at: Some(Timestamp::parse("2026-01-01T00:00:00Z").unwrap()),
        };
        let drafts: Vec<Draft> = (0..n)
            .map(|i| {
                Draft::new(Event::StateJoined(StateJoined {
                    state: StateCode::new("NOR").unwrap(),
                    name: "Norway".repeat(1 + i as usize % 7),
                    effective: Date::parse("2010-08-01").unwrap(),
                }))
            })
            .collect();
        for batch in drafts.chunks(40) {
            let prepared = ledger.prepare(batch, &recorder);
            ledger.commit(prepared).unwrap();
        }
    }

    /// Every way of reading: one thread and one chunk (a plain sequential pass), then chunks
    /// smaller than a frame, a few frames, many frames, on one to three threads.
    const WAYS: [(usize, usize); 6] =
        [(1, 1 << 20), (1, 1), (1, 500), (2, 97), (2, 4000), (3, 300)];

    fn every_way(dir: &Path, decoding: Decoding) -> Vec<Result<(Verified, Vec<u64>), Tampering>> {
        WAYS.iter()
            .map(|&(threads, chunk)| {
                let mut seen = Vec::new();
                chained(dir, threads, chunk, decoding, |c| seen.push(c.seq.0)).map(|v| (v, seen))
            })
            .collect()
    }

    fn all_same<T: PartialEq + std::fmt::Debug>(answers: &[T]) {
        for (answer, way) in answers.iter().zip(WAYS) {
            assert_eq!(answer, &answers[0], "read {way:?}");
        }
    }

    #[test]
    fn a_clean_ledger_verifies_the_same_every_way_and_shows_every_entry_in_order() {
        let dir = tempfile::tempdir().unwrap();
        ledger(dir.path(), 150);
        for decoding in [Decoding::Links, Decoding::Check, Decoding::Keep] {
            let answers = every_way(dir.path(), decoding);
            all_same(&answers);
            let (verified, seen) = answers[0].as_ref().unwrap();
            assert_eq!(verified.entries, 150);
            assert_eq!(seen, &(0..150).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_root_hashed_on_the_workers_is_the_root_of_every_entry_pushed_in_order() {
        let dir = tempfile::tempdir().unwrap();
        ledger(dir.path(), 150);
        let mut one_by_one = RootBuilder::new();
        let mut roots = vec![one_by_one.root()];
        chained(dir.path(), 1, 1 << 20, Decoding::Links, |c| {
            one_by_one.push(&c.hash);
            roots.push(one_by_one.root());
        })
        .unwrap();
        for (threads, chunk) in WAYS {
            for cut in [
                None,
                Some(0),
                Some(1),
                Some(64),
                Some(99),
                Some(150),
                Some(151),
            ] {
                let (verified, tree) =
                    rooted(dir.path(), threads, chunk, Decoding::Check, cut.as_slice()).unwrap();
                let way = format!("{threads} threads, chunks of {chunk}, cut {cut:?}");
                assert_eq!(verified.entries, 150, "{way}");
                assert_eq!(tree.root, roots[150], "{way}");
                assert_eq!(
                    tree.root_at,
                    cut.and_then(|cut| roots.get(cut as usize).copied()),
                    "{way}"
                );
            }
            // Several sizes at once (a checkpoint given and the ledger's own), in any order.
            let sizes = [99, 1, 151, 64, 0, 150, 99];
            let (_, tree) = rooted(dir.path(), threads, chunk, Decoding::Check, &sizes).unwrap();
            let expected: Vec<(u64, TreeHash)> = sizes
                .iter()
                .filter(|&&size| size <= 150)
                .map(|&size| (size, roots[size as usize]))
                .collect();
            assert_eq!(
                tree.roots_at, expected,
                "{threads} threads, chunks of {chunk}"
            );
            assert_eq!(tree.root_at, Some(roots[99]));
        }
    }

    /// Issue 17.3: `verify` draws a progress line from these reports.
    #[test]
    fn progress_is_reported_in_order_up_to_every_entry_every_way() {
        let dir = tempfile::tempdir().unwrap();
        ledger(dir.path(), 150);
        for (threads, chunk) in WAYS {
            let mut seen = Vec::new();
            let mut progress = |c: Checking| seen.push(c);
            let options = VerifyOptions {
                threads: Some(threads),
                progress: Some(&mut progress),
                ..VerifyOptions::default()
            };
            verify_in_chunks(dir.path(), options, chunk).unwrap();
            let way = format!("{threads} threads, chunks of {chunk}");
            assert!(
                seen.iter().all(|c| c.of == 150 && c.phase == Phase::Chain),
                "{way}: {seen:?}"
            );
            assert!(
                seen.windows(2).all(|w| w[0].checked <= w[1].checked),
                "{way}: {seen:?}"
            );
            assert_eq!(seen.last().map(|c| c.checked), Some(150), "{way}");
            // Small chunks: reported more than once, so a line can move.
            if chunk < 1 << 20 {
                assert!(seen.len() > 1, "{way}: {seen:?}");
            }
        }
    }

    #[test]
    fn a_ledger_that_fails_has_no_root_and_fails_as_without_one() {
        let dir = tempfile::tempdir().unwrap();
        ledger(dir.path(), 60);
        let journal = dir.path().join(JOURNAL_FILE);
        let clean = std::fs::read(&journal).unwrap();
        for at in (journal::MAGIC.len()..clean.len()).step_by(53) {
            let mut damaged = clean.clone();
            damaged[at] ^= 0x41;
            std::fs::write(&journal, &damaged).unwrap();
            for (threads, chunk) in WAYS {
                let without = chained(dir.path(), threads, chunk, Decoding::Check, |_| {});
                let with = rooted(dir.path(), threads, chunk, Decoding::Check, &[7]);
                assert_eq!(with.map(|(v, _)| v), without, "byte {at} damaged");
            }
        }
    }

    #[test]
    fn the_first_bad_entry_is_the_same_every_way_whatever_byte_is_damaged() {
        let dir = tempfile::tempdir().unwrap();
        ledger(dir.path(), 60);
        let journal = dir.path().join(JOURNAL_FILE);
        let clean = std::fs::read(&journal).unwrap();
        for at in (journal::MAGIC.len()..clean.len()).step_by(17) {
            let mut damaged = clean.clone();
            damaged[at] ^= 0x41;
            std::fs::write(&journal, &damaged).unwrap();
            let answers = every_way(dir.path(), Decoding::Check);
            all_same(&answers);
            assert!(answers[0].is_err(), "byte {at} damaged, yet verified");
        }
        for cut in (journal::MAGIC.len()..clean.len()).step_by(37) {
            std::fs::write(&journal, &clean[..cut]).unwrap();
            let answers = every_way(dir.path(), Decoding::Links);
            all_same(&answers);
            assert!(answers[0].is_err(), "cut at {cut}, yet verified");
        }
    }

    #[test]
    fn an_entry_that_does_not_decode_is_found_only_by_decoding() {
        // Entry 3 carries a byte after its event, and is hashed and framed with it: a chain
        // whose every link and checksum holds, as only a faulty writer could leave it.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path()).unwrap();
        let mut journal = journal::MAGIC.to_vec();
        let mut head = journal::Head::empty();
        for seq in 0..10u64 {
            let entry = Entry {
                seq: Seq(seq),
                recorded_at: Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
                recorded_by: "test".into(),
                override_reason: None,
                prev_hash: head.hash,
                event: Event::StateJoined(StateJoined {
                    state: StateCode::new("NOR").unwrap(),
                    name: "Norway".into(),
                    effective: Date::parse("2010-08-01").unwrap(),
                }),
            };
            let mut bytes = entry.encode();
            if seq == 3 {
                bytes.push(0);
            }
            let hash = EntryHash::chain(&head.hash, Seq(seq), &bytes);
            let frame = journal::frame(&bytes, &hash);
            head = journal::Head {
                entries: seq + 1,
                bytes: journal.len() as u64 + frame.len() as u64,
                hash,
                last_frame: journal.len() as u64,
            };
            journal.extend_from_slice(&frame);
        }
        std::fs::write(dir.path().join(JOURNAL_FILE), &journal).unwrap();
        journal::write_head(dir.path(), &head).unwrap();

        let links = every_way(dir.path(), Decoding::Links);
        all_same(&links);
        assert_eq!(links[0].as_ref().unwrap().0.entries, 10);
        for decoding in [Decoding::Check, Decoding::Keep] {
            let decoded = every_way(dir.path(), decoding);
            all_same(&decoded);
            assert!(matches!(
                decoded[0],
                Err(Tampering::Undecodable { seq: Seq(3), .. })
            ));
        }
    }
}
