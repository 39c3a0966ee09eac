//! The journal (the canonical, append-only file of framed entries) and the head file that
//! acknowledges how much of it is durable.
//!
//! Journal layout: the 8-byte magic [`MAGIC`], then one frame per entry:
//! `len: u32 LE ‖ entry bytes (len) ‖ entry hash (32) ‖ crc32(len ‖ bytes ‖ hash): u32 LE`.
//! The head file is rewritten (one of its two slots, in place) only after the frames are
//! synced, so on open anything past the acknowledged size is the torn tail of a crashed
//! append, never an acknowledged entry.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::entry::MAX_ENTRY_BYTES;
use super::sync;
use crate::domain::EntryHash;

pub const MAGIC: &[u8; 8] = b"CCMJRNL1";
pub const JOURNAL_FILE: &str = "journal";
pub const HEAD_FILE: &str = "HEAD";
/// Bytes of a frame besides the entry: length, hash, checksum.
pub const FRAME_OVERHEAD: u64 = 4 + 32 + 4;

/// What the head file acknowledges: how many entries, how many journal bytes, the hash of the
/// last entry, and where its frame starts (so opening can check it without a scan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub entries: u64,
    pub bytes: u64,
    pub hash: EntryHash,
    pub last_frame: u64,
}

impl Head {
    pub fn empty() -> Head {
        Head {
            entries: 0,
            bytes: MAGIC.len() as u64,
            hash: EntryHash::GENESIS,
            last_frame: 0,
        }
    }

    /// The text head file of ledgers made before the slotted one (`ccm-ledger head v1`):
    /// still read, and converted by the first writer that opens the ledger.
    fn parse_text(text: &str) -> Option<Head> {
        let mut lines = text.lines();
        if lines.next()? != TEXT_HEAD_FIRST_LINE {
            return None;
        }
        let mut field = |name: &str| -> Option<String> {
            let line = lines.next()?;
            line.strip_prefix(name)?
                .strip_prefix(' ')
                .map(str::to_owned)
        };
        let entries = field("entries")?.parse().ok()?;
        let bytes = field("bytes")?.parse().ok()?;
        let last_frame = field("last-frame")?.parse().ok()?;
        let hash = EntryHash::from_hex(&field("hash")?)?;
        if lines.next().is_some() {
            return None;
        }
        Some(Head {
            entries,
            bytes,
            hash,
            last_frame,
        })
    }
}

const TEXT_HEAD_FIRST_LINE: &str = "ccm-ledger head v1";

/// The head file holds two slots, each alone in its own 512-byte sector, so rewriting one in
/// place can never tear the other: an append rewrites the slot that does not hold the newest
/// head, and a reader takes the valid slot of the higher generation.
pub const SLOT_BYTES: usize = 512;
/// The size of a slotted head file: two slots, nothing else.
pub const HEAD_FILE_BYTES: usize = 2 * SLOT_BYTES;
const SLOT_MAGIC: &[u8; 8] = b"CCMHEAD2";
/// Where a slot's checksum starts: its last four bytes cover everything before them.
const SLOT_CHECKSUM_AT: usize = SLOT_BYTES - 4;

/// One slot: a head and the generation that orders it against the other slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    generation: u64,
    head: Head,
}

impl Slot {
    /// `magic ‖ generation ‖ entries ‖ bytes ‖ last-frame (u64 LE each) ‖ hash (32) ‖ zeros ‖
    /// crc32 of all before it (u32 LE)`.
    fn encode(&self) -> [u8; SLOT_BYTES] {
        let mut out = [0u8; SLOT_BYTES];
        out[..8].copy_from_slice(SLOT_MAGIC);
        out[8..16].copy_from_slice(&self.generation.to_le_bytes());
        out[16..24].copy_from_slice(&self.head.entries.to_le_bytes());
        out[24..32].copy_from_slice(&self.head.bytes.to_le_bytes());
        out[32..40].copy_from_slice(&self.head.last_frame.to_le_bytes());
        out[40..72].copy_from_slice(&self.head.hash.0);
        let crc = crc32fast::hash(&out[..SLOT_CHECKSUM_AT]);
        out[SLOT_CHECKSUM_AT..].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// The slot, or `None` when it fails its checksum: torn by a crash while it was being
    /// rewritten, or damaged.
    fn decode(bytes: &[u8]) -> Option<Slot> {
        let bytes: &[u8; SLOT_BYTES] = bytes.try_into().ok()?;
        let crc = u32::from_le_bytes(bytes[SLOT_CHECKSUM_AT..].try_into().expect("4 bytes"));
        if &bytes[..8] != SLOT_MAGIC || crc32fast::hash(&bytes[..SLOT_CHECKSUM_AT]) != crc {
            return None;
        }
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        Some(Slot {
            generation: word(8),
            head: Head {
                entries: word(16),
                bytes: word(24),
                last_frame: word(32),
                hash: EntryHash(bytes[40..72].try_into().expect("32 bytes")),
            },
        })
    }
}

/// A head file as read: the head it acknowledges, and what a writer needs to go on from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadRead {
    pub head: Head,
    /// The slot holding `head` and its generation; `None` for a text head file.
    newest: Option<(usize, Slot)>,
    /// The other slot failed its checksum (a torn rewrite, or damage).
    pub other_slot_unreadable: bool,
}

impl HeadRead {
    /// Whether the file is the text head file of older ledgers (converted by a writer).
    pub fn is_text(&self) -> bool {
        self.newest.is_none()
    }

    /// The head file's contents: the text of an older ledger, or two slots.
    fn parse(bytes: &[u8]) -> Option<HeadRead> {
        if bytes.starts_with(TEXT_HEAD_FIRST_LINE.as_bytes()) {
            let head = Head::parse_text(std::str::from_utf8(bytes).ok()?)?;
            return Some(HeadRead {
                head,
                newest: None,
                other_slot_unreadable: false,
            });
        }
        if bytes.len() != HEAD_FILE_BYTES {
            return None;
        }
        let slots = [
            Slot::decode(&bytes[..SLOT_BYTES]),
            Slot::decode(&bytes[SLOT_BYTES..]),
        ];
        let (at, newest) = match slots {
            [None, None] => return None,
            [Some(a), Some(b)] if a.generation == b.generation && a.head != b.head => {
                // Two different heads of one generation: no append writes that.
                return None;
            }
            [Some(a), Some(b)] if b.generation > a.generation => (1, b),
            [Some(a), _] => (0, a),
            [None, Some(b)] => (1, b),
        };
        Some(HeadRead {
            head: newest.head,
            newest: Some((at, newest)),
            other_slot_unreadable: slots.iter().any(Option::is_none),
        })
    }
}

/// Reads the head file of a ledger directory.
pub fn read_head(dir: &Path) -> Result<Head, HeadError> {
    read_head_file(dir).map(|read| read.head)
}

/// Reads the head file of a ledger directory, with what a writer needs besides the head.
pub fn read_head_file(dir: &Path) -> Result<HeadRead, HeadError> {
    let path = dir.join(HEAD_FILE);
    let bytes = fs::read(&path).map_err(|source| HeadError::Io {
        path: path.clone(),
        source,
    })?;
    HeadRead::parse(&bytes).ok_or(HeadError::Malformed(path))
}

#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{0} is not a ccm-ledger head file (damaged or overwritten)")]
    Malformed(PathBuf),
}

/// Replaces the head file atomically with a slotted one holding `head` in both slots: a
/// temporary file, synced, renamed over the head, the directory synced
/// ([`sync::write_atomically`]). For a new ledger, and for converting a text head file;
/// appends rewrite a slot in place ([`HeadFile`]).
pub fn write_head(dir: &Path, head: &Head) -> io::Result<()> {
    sync::write_atomically(
        &dir.join(HEAD_FILE),
        sync::Durability::DirectorySynced,
        |file| {
            // Generations 1 and 0: the first append rewrites the second slot.
            for generation in [1, 0] {
                file.write_all(
                    &Slot {
                        generation,
                        head: *head,
                    }
                    .encode(),
                )?;
            }
            Ok(())
        },
    )
}

/// The head file, held open by the writer: an append rewrites one slot in place and syncs the
/// file's data. No new inode, no rename, no directory sync: the file keeps its size and its
/// blocks, so `fdatasync` has no metadata to commit.
#[derive(Debug)]
pub struct HeadFile {
    file: File,
    /// The slot holding the newest head, and its generation.
    newest: usize,
    generation: u64,
}

impl HeadFile {
    /// Opens the slotted head file of `dir` for appends; `read` is what it holds (read under
    /// the writer's lock).
    pub fn open(dir: &Path, read: &HeadRead) -> io::Result<HeadFile> {
        let Some((newest, slot)) = read.newest else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "a text head file is converted before it is written",
            ));
        };
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(dir.join(HEAD_FILE))?;
        Ok(HeadFile {
            file,
            newest,
            generation: slot.generation,
        })
    }

    /// The head as the file holds it now, read through the open file.
    pub fn reread(&self) -> io::Result<Option<Head>> {
        use std::os::unix::fs::FileExt;
        let mut bytes = [0u8; HEAD_FILE_BYTES];
        self.file.read_exact_at(&mut bytes, 0)?;
        Ok(HeadRead::parse(&bytes).map(|read| read.head))
    }

    /// Writes `head` into the slot that does not hold the newest head, one generation later,
    /// and syncs it. Until the sync returns, a crash leaves the newest head where it was.
    fn write(&mut self, head: &Head) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        let slot = 1 - self.newest;
        let generation = self.generation + 1;
        self.file.write_all_at(
            &Slot {
                generation,
                head: *head,
            }
            .encode(),
            (slot * SLOT_BYTES) as u64,
        )?;
        sync::data(&self.file)?;
        self.newest = slot;
        self.generation = generation;
        Ok(())
    }
}

/// Makes frames just written to `journal` durable and acknowledges them: the journal's data
/// is synced, and only once that has returned is the head written into its slot and synced.
/// So the head never acknowledges a frame that is not on disk. Two data syncs of files that
/// exist, in order; nothing else. The one place an append becomes acknowledged.
pub fn sync_and_acknowledge(
    head_file: &mut HeadFile,
    journal: &File,
    head: &Head,
) -> Result<(), AcknowledgeError> {
    sync::data(journal).map_err(AcknowledgeError::Journal)?;
    head_file.write(head).map_err(AcknowledgeError::Head)
}

/// Makes the frames of a ledger being created durable, then creates its head file whole
/// ([`write_head`]): for a journal written as `journal.tmp` and renamed into place only after
/// this, there is no head file to rewrite in place yet.
pub fn sync_and_create_head(dir: &Path, journal: &File, head: &Head) -> io::Result<()> {
    sync::data(journal)?;
    write_head(dir, head)
}

/// Which half of an acknowledgement failed. Either way the append is not reported as done;
/// unless the head's slot reached the disk, its frames are a torn tail for the next writer.
#[derive(Debug, thiserror::Error)]
pub enum AcknowledgeError {
    #[error("syncing the journal: {0}")]
    Journal(io::Error),
    #[error("writing the head file: {0}")]
    Head(io::Error),
}

/// One frame as read from the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Where the frame starts in the journal.
    pub offset: u64,
    pub bytes: Vec<u8>,
    pub hash: EntryHash,
}

impl Frame {
    pub fn end(&self) -> u64 {
        self.offset + FRAME_OVERHEAD + self.bytes.len() as u64
    }
}

/// Why a frame could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("the journal ends inside the frame at byte {offset}")]
    Truncated { offset: u64 },
    #[error("the frame at byte {offset} claims {len} bytes, more than any entry can have")]
    TooLong { offset: u64, len: u64 },
    #[error("the frame at byte {offset} fails its checksum (its bytes were altered)")]
    Checksum { offset: u64 },
    #[error("cannot read the journal: {0}")]
    Io(String),
}

/// Encodes one frame.
pub fn frame(bytes: &[u8], hash: &EntryHash) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + FRAME_OVERHEAD as usize);
    push_frame(&mut out, |out| out.extend_from_slice(bytes), |_| *hash);
    out
}

/// Appends a frame to `out`: the entry's bytes as `write` appends them, and its hash as
/// `hash_of` computes it from those bytes (returned). The same bytes as [`frame`], without a
/// vector for the entry and another for its frame.
pub fn push_frame(
    out: &mut Vec<u8>,
    write: impl FnOnce(&mut Vec<u8>),
    hash_of: impl FnOnce(&[u8]) -> EntryHash,
) -> EntryHash {
    let start = out.len();
    // The length, known once the bytes are written.
    out.extend_from_slice(&[0; 4]);
    write(out);
    let bytes = &out[start + 4..];
    let hash = hash_of(bytes);
    let len = u32::try_from(bytes.len()).expect("entries are smaller than 4 GiB");
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&hash.0);
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
    hash
}

/// Reads frames sequentially from `offset` up to `limit` bytes of the journal.
pub struct FrameReader {
    reader: BufReader<File>,
    offset: u64,
    limit: u64,
}

impl FrameReader {
    pub fn open(path: &Path, offset: u64, limit: u64) -> io::Result<FrameReader> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(FrameReader {
            reader: BufReader::with_capacity(1 << 20, file),
            offset,
            limit,
        })
    }

    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn read_exact(&mut self, buf: &mut [u8], frame_start: u64) -> Result<(), FrameError> {
        if self.offset + buf.len() as u64 > self.limit {
            return Err(FrameError::Truncated {
                offset: frame_start,
            });
        }
        self.reader.read_exact(buf).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => FrameError::Truncated {
                offset: frame_start,
            },
            _ => FrameError::Io(e.to_string()),
        })?;
        self.offset += buf.len() as u64;
        Ok(())
    }

    /// The next frame, or `None` at exactly `limit`.
    pub fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        if self.offset >= self.limit {
            return None;
        }
        let start = self.offset;
        Some(self.read_frame(start))
    }

    fn read_frame(&mut self, start: u64) -> Result<Frame, FrameError> {
        let mut len = [0u8; 4];
        self.read_exact(&mut len, start)?;
        let n = u32::from_le_bytes(len) as u64;
        if n > MAX_ENTRY_BYTES as u64 {
            return Err(FrameError::TooLong {
                offset: start,
                len: n,
            });
        }
        let mut bytes = vec![0u8; n as usize];
        self.read_exact(&mut bytes, start)?;
        let mut hash = [0u8; 32];
        self.read_exact(&mut hash, start)?;
        let mut crc = [0u8; 4];
        self.read_exact(&mut crc, start)?;
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&len);
        hasher.update(&bytes);
        hasher.update(&hash);
        if hasher.finalize() != u32::from_le_bytes(crc) {
            return Err(FrameError::Checksum { offset: start });
        }
        Ok(Frame {
            offset: start,
            bytes,
            hash: EntryHash(hash),
        })
    }
}

/// Reads the one frame at `offset`.
pub fn read_frame_at(path: &Path, offset: u64, limit: u64) -> Result<Frame, FrameError> {
    let mut reader =
        FrameReader::open(path, offset, limit).map_err(|e| FrameError::Io(e.to_string()))?;
    reader
        .next_frame()
        .unwrap_or(Err(FrameError::Truncated { offset }))
}

/// Creates an empty journal and head in `dir` (which must exist), durably.
///
/// The journal is what makes a directory a ledger, so it appears last and whole: the head
/// file first, then the journal written as `journal.tmp`, synced and renamed. A crash at any
/// point leaves either no ledger (and `init` or `import` starts again) or a complete empty
/// one — never a journal without its head file, which every command would have to refuse.
pub fn create(dir: &Path) -> io::Result<()> {
    let path = dir.join(JOURNAL_FILE);
    if path.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the journal exists",
        ));
    }
    write_head(dir, &Head::empty())?;
    sync::write_atomically(&path, sync::Durability::DirectorySynced, |file| {
        file.write_all(MAGIC)
    })
}

/// Checks the magic at the start of a journal.
pub fn check_magic(path: &Path) -> io::Result<bool> {
    let mut file = File::open(path)?;
    let mut magic = [0u8; 8];
    match file.read_exact(&mut magic) {
        Ok(()) => Ok(&magic == MAGIC),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(entries: u64) -> Head {
        Head {
            entries,
            bytes: 8 + 100 * entries,
            hash: EntryHash([entries as u8; 32]),
            last_frame: 8 + 100 * entries.saturating_sub(1),
        }
    }

    fn file(first: Slot, second: Slot) -> Vec<u8> {
        [first.encode(), second.encode()].concat()
    }

    #[test]
    fn the_head_is_the_valid_slot_of_the_higher_generation_wherever_it_is() {
        let older = Slot {
            generation: 6,
            head: head(3),
        };
        let newer = Slot {
            generation: 7,
            head: head(4),
        };
        assert_eq!(HeadRead::parse(&file(older, newer)).unwrap().head, head(4));
        assert_eq!(HeadRead::parse(&file(newer, older)).unwrap().head, head(4));
    }

    #[test]
    fn a_torn_slot_leaves_the_other_one_to_read() {
        let older = Slot {
            generation: 6,
            head: head(3),
        };
        let newer = Slot {
            generation: 7,
            head: head(4),
        };
        let mut bytes = file(older, newer);
        // The newer slot's last bytes never reached the disk.
        bytes[SLOT_BYTES + 300..].fill(0);
        let read = HeadRead::parse(&bytes).unwrap();
        assert_eq!(read.head, head(3));
        assert!(read.other_slot_unreadable);
    }

    #[test]
    fn no_valid_slot_a_wrong_size_or_two_heads_of_one_generation_is_no_head_file() {
        let one = Slot {
            generation: 7,
            head: head(3),
        };
        let other = Slot {
            generation: 7,
            head: head(4),
        };
        assert_eq!(HeadRead::parse(&[0u8; HEAD_FILE_BYTES]), None);
        assert_eq!(HeadRead::parse(&file(one, one)[..SLOT_BYTES]), None);
        assert_eq!(HeadRead::parse(&file(one, other)), None);
        assert_eq!(HeadRead::parse(&file(one, one)).unwrap().head, head(3));
    }

    #[test]
    fn a_new_ledgers_head_file_is_created_whole_after_its_frames_are_synced() {
        let dir = tempfile::tempdir().unwrap();
        let journal = File::create(dir.path().join("journal.tmp")).unwrap();
        sync::trace_start();
        sync_and_create_head(dir.path(), &journal, &head(4)).unwrap();
        let barriers = sync::trace_take();
        assert_eq!(
            barriers,
            [
                sync::Barrier::Data("journal.tmp".into()),
                sync::Barrier::Data("HEAD.tmp".into()),
                sync::Barrier::Directory(dir.path().display().to_string()),
            ]
        );
        assert_eq!(read_head(dir.path()).unwrap(), head(4));
    }

    #[test]
    fn the_text_head_of_older_ledgers_is_still_read() {
        let text = format!(
            "ccm-ledger head v1\nentries 4\nbytes 408\nlast-frame 308\nhash {}\n",
            head(4).hash.to_hex()
        );
        let read = HeadRead::parse(text.as_bytes()).unwrap();
        assert_eq!(read.head, head(4));
        assert!(read.is_text());
    }
}
