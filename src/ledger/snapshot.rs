//! Snapshots of derived state (the projection), kept in a file of their own beside the journal.
//!
//! Why a file and not a sled tree: a query must not pay for opening sled (its open replays a
//! log and syncs; measured at 3–80 ms, more than the whole query), and sled admits one process
//! at a time, so a reader holding it would turn writers away. A snapshot file is read by path
//! with no lock; it is written to a unique temporary name and renamed into place, so readers
//! and writers never see half of one. It is derived: a missing, stale, damaged or foreign
//! snapshot is ignored and the fold starts from zero.
//!
//! Why sections: a query about one body must not read (nor checksum) the whole projection of a
//! large ledger. The file is a small head (what chain it belongs to, and a directory of named
//! sections) followed by the sections; each section has its own blake3, so a reader checks
//! exactly what it reads, with positioned reads.
//!
//! Layout: `CCMSNAP2` ‖ head length u32 LE ‖ head ‖ blake3 of everything before (32) ‖
//! sections. The head: key length u16 LE ‖ key ‖ entries u64 LE ‖ journal bytes u64 LE ‖ last
//! frame u64 LE ‖ hash of entry `entries - 1` (32) ‖ section count u32 LE ‖ for each section,
//! in order of name: name length u16 LE ‖ name ‖ offset u64 LE (from the start of the file) ‖
//! length u64 LE ‖ blake3 of the section (32). Sections follow the head in that order, with
//! nothing between them.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::entry::EntryHash;

const MAGIC: &[u8; 8] = b"CCMSNAP2";

/// How much of the file a reader takes in its first read: the whole head of any but a very
/// large ledger (the directory has one line per body).
const FIRST_READ: usize = 1 << 16;

/// The most a head may claim to be: a damaged length must not make a reader allocate much.
const MAX_HEAD: usize = 1 << 28;

/// Derived state that can be kept in a snapshot, as named sections that can be read apart.
pub trait Snapshotted: Sized {
    /// How many entries it holds: only a state at the head of the ledger is kept.
    fn entries_applied(&self) -> u64;
    /// Its sections, by name.
    fn sections(&self) -> Vec<(String, Vec<u8>)>;
    /// The state from its sections (`section(name)` gives a section's bytes, checked, or
    /// `None`). `FoldFor::Reading` may leave out what only further folding needs (the answer
    /// can then be read but not extended).
    fn from_sections(
        section: &mut dyn FnMut(&str) -> Option<Vec<u8>>,
        purpose: FoldFor,
    ) -> Option<Self>;
}

/// What a fold is for: reading the answer at once, or extending it (validating an append).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldFor {
    Reading,
    Extending,
}
pub const SNAPSHOT_FILE: &str = "projection.snapshot";

/// What ties a snapshot to a chain: made under `key` for the first `entries` entries of a
/// chain whose last hash is `hash`, whose last frame starts at `last_frame` and ends at
/// `journal_bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tie {
    pub key: String,
    pub entries: u64,
    pub journal_bytes: u64,
    pub last_frame: u64,
    pub hash: EntryHash,
}

/// Where a section lies and what it hashes to; its name is `name` in the head's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Place {
    name: std::ops::Range<usize>,
    offset: u64,
    length: u64,
    sum: [u8; 32],
}

/// An open snapshot whose head is whole: its sections are read (and checked) one at a time.
#[derive(Debug)]
pub struct Snapshot {
    pub tie: Tie,
    file: File,
    /// The head's bytes, which hold the names of the sections.
    head: Vec<u8>,
    /// In order of name (a reader finds a section by binary search, and a directory of many
    /// thousand sections costs one allocation).
    directory: Vec<Place>,
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join(SNAPSHOT_FILE)
}

/// The snapshot in `dir`, if there is one whose head is whole (its checksum holds and every
/// section it lists lies within the file).
pub fn open(dir: &Path) -> Option<Snapshot> {
    let file = File::open(path(dir)).ok()?;
    let size = file.metadata().ok()?.len();
    let first = read_at(&file, 0, FIRST_READ.min(usize::try_from(size).ok()?))?;
    let head_len = usize::try_from(u32::from_le_bytes(first.get(8..12)?.try_into().ok()?)).ok()?;
    let whole = 12 + head_len + 32;
    if head_len > MAX_HEAD || whole as u64 > size {
        return None;
    }
    let bytes = if whole <= first.len() {
        first
    } else {
        read_at(&file, 0, whole)?
    };
    let mut head = bytes;
    head.truncate(whole);
    let (tie, directory) = decode_head(&head, size)?;
    Some(Snapshot {
        tie,
        file,
        head,
        directory,
    })
}

impl Snapshot {
    fn place(&self, name: &str) -> Option<&Place> {
        let at = self
            .directory
            .binary_search_by(|p| self.head[p.name.clone()].cmp(name.as_bytes()))
            .ok()?;
        self.directory.get(at)
    }

    /// Where the section called `name` lies in the file: its offset and length.
    pub fn span(&self, name: &str) -> Option<(u64, u64)> {
        self.place(name).map(|p| (p.offset, p.length))
    }

    /// The section called `name`, if the snapshot has it and it is whole.
    pub fn section(&self, name: &str) -> Option<Vec<u8>> {
        let place = self.place(name)?;
        let bytes = read_at(
            &self.file,
            place.offset,
            usize::try_from(place.length).ok()?,
        )?;
        (blake3::hash(&bytes).as_bytes() == &place.sum).then_some(bytes)
    }
}

fn read_at(file: &File, offset: u64, len: usize) -> Option<Vec<u8>> {
    let mut bytes = vec![0; len];
    file.read_exact_at(&mut bytes, offset).ok()?;
    Some(bytes)
}

/// The tie and the directory, from the head (`bytes`: magic to checksum, nothing after) of a
/// file of `size` bytes.
fn decode_head(bytes: &[u8], size: u64) -> Option<(Tie, Vec<Place>)> {
    let body_len = bytes.len().checked_sub(32)?;
    let (body, sum) = bytes.split_at(body_len);
    if blake3::hash(body).as_bytes() != sum || !body.starts_with(MAGIC) {
        return None;
    }
    let mut at = MAGIC.len() + 4;
    let mut take = |n: usize| -> Option<std::ops::Range<usize>> {
        let end = at.checked_add(n).filter(|end| *end <= body.len())?;
        let range = at..end;
        at = end;
        Some(range)
    };
    let word = |r: std::ops::Range<usize>| u64::from_le_bytes(body[r].try_into().expect("8"));
    let short = |r: std::ops::Range<usize>| u16::from_le_bytes(body[r].try_into().expect("2"));
    let key_len = short(take(2)?) as usize;
    let key = String::from_utf8(body[take(key_len)?].to_vec()).ok()?;
    let entries = word(take(8)?);
    let journal_bytes = word(take(8)?);
    let last_frame = word(take(8)?);
    let hash = EntryHash(body[take(32)?].try_into().ok()?);
    let count = u32::from_le_bytes(body[take(4)?].try_into().ok()?);
    let mut directory: Vec<Place> = Vec::new();
    // Sections follow the head one after another, in the order listed, which is by name.
    let mut next = bytes.len() as u64;
    for _ in 0..count {
        let name_len = short(take(2)?) as usize;
        let name = take(name_len)?;
        std::str::from_utf8(&body[name.clone()]).ok()?;
        let offset = word(take(8)?);
        let length = word(take(8)?);
        let sum: [u8; 32] = body[take(32)?].try_into().ok()?;
        let in_order = directory
            .last()
            .is_none_or(|last| body[last.name.clone()] < body[name.clone()]);
        if offset != next || !in_order {
            return None;
        }
        next = offset.checked_add(length)?;
        directory.push(Place {
            name,
            offset,
            length,
            sum,
        });
    }
    let tie = Tie {
        key,
        entries,
        journal_bytes,
        last_frame,
        hash,
    };
    (at == body.len() && next == size).then_some((tie, directory))
}

/// The whole file: head, then the sections.
fn encode_head(tie: &Tie, sections: &[(String, Vec<u8>)]) -> Vec<u8> {
    let key = tie.key.as_bytes();
    let mut head = Vec::with_capacity(100 + sections.len() * 80);
    head.extend_from_slice(&(key.len() as u16).to_le_bytes());
    head.extend_from_slice(key);
    head.extend_from_slice(&tie.entries.to_le_bytes());
    head.extend_from_slice(&tie.journal_bytes.to_le_bytes());
    head.extend_from_slice(&tie.last_frame.to_le_bytes());
    head.extend_from_slice(&tie.hash.0);
    head.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    let directory_len: usize = sections.iter().map(|(name, _)| 2 + name.len() + 48).sum();
    let mut offset = (MAGIC.len() + 4 + head.len() + directory_len + 32) as u64;
    for (name, bytes) in sections {
        head.extend_from_slice(&(name.len() as u16).to_le_bytes());
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(&offset.to_le_bytes());
        head.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        head.extend_from_slice(blake3::hash(bytes).as_bytes());
        offset += bytes.len() as u64;
    }
    let mut out = Vec::with_capacity(MAGIC.len() + 4 + head.len() + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(head.len() as u32).to_le_bytes());
    out.extend_from_slice(&head);
    let sum = blake3::hash(&out);
    out.extend_from_slice(sum.as_bytes());
    out
}

/// Sorts the sections by name and refuses duplicate names (a reader would refuse the file).
fn in_order(mut sections: Vec<(String, Vec<u8>)>) -> Option<Vec<(String, Vec<u8>)>> {
    sections.sort_by(|a, b| a.0.cmp(&b.0));
    let unique = sections.windows(2).all(|w| w[0].0 != w[1].0);
    let fits = sections
        .iter()
        .all(|(name, _)| name.len() <= u16::MAX as usize);
    (unique && fits).then_some(sections)
}

/// Replaces the snapshot in `dir`. Not synced: a snapshot lost to a crash is only a lost
/// shortcut, and a torn one fails its checksums.
pub fn write(dir: &Path, tie: &Tie, sections: Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    let sections = in_order(sections).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "snapshot sections with the same name",
        )
    })?;
    let tmp = dir.join(format!(
        "{SNAPSHOT_FILE}.{}.{}.tmp",
        std::process::id(),
        time::OffsetDateTime::now_utc().unix_timestamp_nanos()
    ));
    let written = (|| {
        let mut out = BufWriter::new(File::create(&tmp)?);
        out.write_all(&encode_head(tie, &sections))?;
        for (_, bytes) in &sections {
            out.write_all(bytes)?;
        }
        out.into_inner().map_err(|e| e.into_error())?;
        fs::rename(&tmp, path(dir))
    })();
    written.inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tie() -> Tie {
        Tie {
            key: "projection-test".into(),
            entries: 7,
            journal_bytes: 1234,
            last_frame: 1100,
            hash: EntryHash([7; 32]),
        }
    }

    fn sections() -> Vec<(String, Vec<u8>)> {
        vec![
            ("shared".into(), b"states and meetings".to_vec()),
            ("body/wg-clearance".into(), b"terms".to_vec()),
            ("empty".into(), Vec::new()),
        ]
    }

    /// The snapshot written to a fresh directory, with `damage` done to its bytes first.
    fn written(damage: impl FnOnce(&mut Vec<u8>)) -> (tempfile::TempDir, Option<Snapshot>) {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &tie(), sections()).unwrap();
        let mut bytes = fs::read(path(dir.path())).unwrap();
        damage(&mut bytes);
        fs::write(path(dir.path()), &bytes).unwrap();
        let found = open(dir.path());
        (dir, found)
    }

    fn head_len() -> usize {
        let sorted = in_order(sections()).unwrap();
        encode_head(&tie(), &sorted).len()
    }

    #[test]
    fn a_snapshot_reads_back_section_by_section() {
        let (_dir, found) = written(|_| {});
        let found = found.expect("a whole snapshot opens");
        assert_eq!(found.tie, tie());
        for (name, bytes) in sections() {
            assert_eq!(found.section(&name), Some(bytes), "{name}");
        }
        assert_eq!(found.section("body/wg-victim-assistance"), None);
    }

    #[test]
    fn any_damage_to_the_head_or_its_directory_makes_the_snapshot_unusable() {
        for i in 0..head_len() {
            let (_dir, found) = written(|b| b[i] ^= 0x10);
            assert!(found.is_none(), "byte {i} flipped");
        }
        let size = head_len() + sections().iter().map(|s| s.1.len()).sum::<usize>();
        for cut in 0..size {
            let (_dir, found) = written(|b| b.truncate(cut));
            assert!(found.is_none(), "cut at {cut}");
        }
        let (_dir, found) = written(|b| b.push(0));
        assert!(found.is_none(), "a byte past the last section");
    }

    #[test]
    fn damage_to_a_section_makes_that_section_alone_unusable() {
        let sorted = in_order(sections()).unwrap();
        let mut at = head_len();
        for (name, bytes) in &sorted {
            for i in at..at + bytes.len() {
                let (_dir, found) = written(|b| b[i] ^= 0x01);
                let found = found.expect("the head is whole");
                assert_eq!(found.section(name), None, "byte {i} of {name}");
                for (other, other_bytes) in sorted.iter().filter(|s| s.0 != *name) {
                    assert_eq!(found.section(other).as_ref(), Some(other_bytes));
                }
            }
            at += bytes.len();
        }
    }
}
