//! The journal (the canonical, append-only file of framed entries) and the head file that
//! acknowledges how much of it is durable.
//!
//! Journal layout: the 8-byte magic [`MAGIC`], then one frame per entry:
//! `len: u32 LE ‖ entry bytes (len) ‖ entry hash (32) ‖ crc32(len ‖ bytes ‖ hash): u32 LE`.
//! The head file is replaced atomically after the frames are synced, so on open anything past
//! the acknowledged size is the torn tail of a crashed append, never an acknowledged entry.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::entry::{EntryHash, MAX_ENTRY_BYTES};
use super::sync;

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

    fn render(&self) -> String {
        format!(
            "ccm-ledger head v1\nentries {}\nbytes {}\nlast-frame {}\nhash {}\n",
            self.entries,
            self.bytes,
            self.last_frame,
            self.hash.to_hex()
        )
    }

    fn parse(text: &str) -> Option<Head> {
        let mut lines = text.lines();
        if lines.next()? != "ccm-ledger head v1" {
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

/// Reads the head file of a ledger directory.
pub fn read_head(dir: &Path) -> Result<Head, HeadError> {
    let path = dir.join(HEAD_FILE);
    let text = fs::read(&path).map_err(|source| HeadError::Io {
        path: path.clone(),
        source,
    })?;
    let text = String::from_utf8(text).map_err(|_| HeadError::Malformed(path.clone()))?;
    Head::parse(&text).ok_or(HeadError::Malformed(path))
}

#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{0} is not a ccm-ledger head file (damaged or overwritten)")]
    Malformed(PathBuf),
}

/// Replaces the head file atomically: write a temporary file, sync it, rename it over the
/// head, sync the directory.
pub fn write_head(dir: &Path, head: &Head) -> io::Result<()> {
    let tmp = dir.join(format!("{HEAD_FILE}.tmp"));
    {
        let mut file = File::create(&tmp)?;
        file.write_all(head.render().as_bytes())?;
        sync::data(&file)?;
    }
    fs::rename(&tmp, dir.join(HEAD_FILE))?;
    sync::directory(dir)
}

/// Makes frames just written to `journal` durable and acknowledges them: the journal and a
/// new head file are synced together (one wait for both barriers), and only after both have
/// returned is the head renamed into place and the directory synced. So the head never
/// acknowledges a frame that is not on disk, as with a sync of the journal then
/// [`write_head`], one fsync sooner.
pub fn sync_and_acknowledge(dir: &Path, journal: &File, head: &Head) -> io::Result<()> {
    let tmp = dir.join(format!("{HEAD_FILE}.tmp"));
    let mut file = File::create(&tmp)?;
    file.write_all(head.render().as_bytes())?;
    sync::data_both(journal, &file)?;
    drop(file);
    fs::rename(&tmp, dir.join(HEAD_FILE))?;
    sync::directory(dir)
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
    let len = u32::try_from(bytes.len()).expect("entries are smaller than 4 GiB");
    let mut out = Vec::with_capacity(bytes.len() + FRAME_OVERHEAD as usize);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(bytes);
    out.extend_from_slice(&hash.0);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
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
    let tmp = dir.join(format!("{JOURNAL_FILE}.tmp"));
    {
        let mut file = File::create(&tmp)?;
        file.write_all(MAGIC)?;
        sync::data(&file)?;
    }
    fs::rename(&tmp, &path)?;
    sync::directory(dir)
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
