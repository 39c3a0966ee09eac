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
//! sections) and the sections; each section has its own blake3, so a reader checks exactly
//! what it reads, with positioned reads.
//!
//! Why the head comes last: the sections are written as they are encoded, one at a time,
//! straight into the file, and hashed on the way (a whole projection held twice in memory, as
//! objects and as bytes, added a third to the peak of an import at 10^6 events). Only the
//! directory is kept until the end, when its size is known. A reader reads the end of the
//! file (one read: the trailer, the head and its directory), then the sections it needs.
//!
//! Layout: sections, back to back from offset 0 ‖ head ‖ head length u32 LE ‖ blake3 of the
//! head and its length (32) ‖ `CCMSNAP4`. The head: key length u16 LE ‖ key ‖ entries u64 LE
//! ‖ journal bytes u64 LE ‖ last frame u64 LE ‖ hash of entry `entries - 1` (32) ‖ section
//! count u32 LE ‖ for each section, in order of name: name length u16 LE ‖ name ‖ offset u64
//! LE ‖ length u64 LE ‖ blake3 of the section (32). The sections lie in the order they were
//! written, which need not be the directory's, and fill everything before the head.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::domain::EntryHash;

/// Bumped whenever the projection's stored form changes (4: terms carry the person, `replaces`
/// and stagger of schema version 2), so that an older snapshot reads as foreign and is refolded.
const MAGIC: &[u8; 8] = b"CCMSNAP4";

/// After the head: its length, its checksum, the magic.
const TRAILER: usize = 4 + 32 + MAGIC.len();

/// How much of the end of the file a reader takes in its first read: the whole head of any
/// but a very large ledger (the directory has one line per body).
const FIRST_READ: usize = 1 << 16;

/// The most a head may claim to be: a damaged length must not make a reader allocate much.
const MAX_HEAD: usize = 1 << 28;

/// How many bytes a writer gathers before it writes them to the file.
const WRITE_BUFFER: usize = 1 << 16;

/// Derived state that can be kept in a snapshot, as named sections that can be read apart.
pub trait Snapshotted: Sized {
    /// How many entries it holds: only a state at the head of the ledger is kept.
    fn entries_applied(&self) -> u64;
    /// Gives its sections to `out`, one at a time, each encoded as it is written: a section's
    /// bytes need not be held whole, and no two sections are held at once.
    fn write_sections(&self, out: &mut dyn SectionSink) -> io::Result<()>;
    /// Its sections, by name, in memory (what tests compare).
    fn sections(&self) -> Vec<(String, Vec<u8>)> {
        let mut sections = Vec::new();
        self.write_sections(&mut sections)
            .expect("writing to memory does not fail");
        sections
    }
    /// The state from its sections (`section(name)` gives a section's bytes, checked, or
    /// `None`). `FoldFor::Reading` may leave out what only further folding needs (the answer
    /// can then be read but not extended).
    fn from_sections(
        section: &mut dyn FnMut(&str) -> Option<Vec<u8>>,
        purpose: FoldFor,
    ) -> Option<Self>;
}

/// Where a snapshot's sections go as they are encoded.
pub trait SectionSink {
    /// Adds the section `name`, whose bytes `encode` writes (in as many pieces as it likes).
    fn section(
        &mut self,
        name: &str,
        encode: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()>;
}

/// Sections gathered in memory, in the order given.
impl SectionSink for Vec<(String, Vec<u8>)> {
    fn section(
        &mut self,
        name: &str,
        encode: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut bytes = Vec::new();
        encode(&mut bytes)?;
        self.push((name.to_owned(), bytes));
        Ok(())
    }
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

/// The snapshot in `dir`, if there is one whose head is whole (its checksum holds and the
/// sections it lists fill the file before it).
pub fn open(dir: &Path) -> Option<Snapshot> {
    let file = File::open(path(dir)).ok()?;
    let size = usize::try_from(file.metadata().ok()?.len()).ok()?;
    let first = FIRST_READ.min(size);
    let mut tail = read_at(&file, (size - first) as u64, first)?;
    let trailer = tail.get(tail.len().checked_sub(TRAILER)?..)?;
    let head_len = usize::try_from(u32::from_le_bytes(trailer[..4].try_into().ok()?)).ok()?;
    let whole = head_len + TRAILER;
    if &trailer[TRAILER - MAGIC.len()..] != MAGIC || head_len > MAX_HEAD || whole > size {
        return None;
    }
    let head = if whole <= tail.len() {
        tail.drain(..tail.len() - whole);
        tail
    } else {
        read_at(&file, (size - whole) as u64, whole)?
    };
    let (tie, directory) = decode_head(&head, (size - whole) as u64)?;
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

    /// The names of the sections, in order of name, with the blake3 each claims: what a
    /// fresh derivation's [`digest`] is compared with (`verify`).
    pub fn sums(&self) -> Vec<(String, [u8; 32])> {
        self.directory
            .iter()
            .map(|p| {
                let name = String::from_utf8_lossy(&self.head[p.name.clone()]).into_owned();
                (name, p.sum)
            })
            .collect()
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

/// The tie and the directory, from the head and trailer (`bytes`: head to magic, nothing
/// after) of a file whose sections take its first `sections` bytes.
fn decode_head(bytes: &[u8], sections: u64) -> Option<(Tie, Vec<Place>)> {
    let body_len = bytes.len().checked_sub(TRAILER)?;
    let (body, trailer) = bytes.split_at(body_len);
    let sum = &trailer[4..4 + 32];
    let summed = &bytes[..body_len + 4];
    if blake3::hash(summed).as_bytes() != sum || &trailer[4 + 32..] != MAGIC {
        return None;
    }
    let mut at: usize = 0;
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
    // Every section lies before the head, and their lengths add up to all that lies there.
    let mut filled: u64 = 0;
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
        if offset.checked_add(length)? > sections || !in_order {
            return None;
        }
        filled = filled.checked_add(length)?;
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
    (at == body.len() && filled == sections).then_some((tie, directory))
}

/// A snapshot being written: the sections go to the file as they are encoded, through a
/// buffer, and only the directory stays in memory.
struct Writing {
    file: File,
    buffer: Vec<u8>,
    /// How much of `buffer` is hashed into the sections written so far.
    hashed: usize,
    /// How many bytes are in the file already (before `buffer`).
    flushed: u64,
    /// Name, offset, length and blake3 of each section, in the order written.
    directory: Vec<(String, u64, u64, [u8; 32])>,
}

/// A section being written: its bytes, hashed as they leave the buffer or the section ends.
struct SectionBytes<'a> {
    to: &'a mut Writing,
    hasher: blake3::Hasher,
}

impl Write for SectionBytes<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.write_all(bytes)?;
        Ok(bytes.len())
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let to = &mut *self.to;
        if to.buffer.len() + bytes.len() > WRITE_BUFFER {
            self.hasher.update(&to.buffer[to.hashed..]);
            to.empty_buffer()?;
        }
        if bytes.len() >= WRITE_BUFFER {
            self.hasher.update(bytes);
            to.file.write_all(bytes)?;
            to.flushed += bytes.len() as u64;
        } else {
            to.buffer.extend_from_slice(bytes);
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Writing {
    fn new(file: File) -> Writing {
        Writing {
            file,
            buffer: Vec::with_capacity(WRITE_BUFFER),
            hashed: 0,
            flushed: 0,
            directory: Vec::new(),
        }
    }

    fn position(&self) -> u64 {
        self.flushed + self.buffer.len() as u64
    }

    /// Writes the buffer to the file (all of it already hashed).
    fn empty_buffer(&mut self) -> io::Result<()> {
        self.file.write_all(&self.buffer)?;
        self.flushed += self.buffer.len() as u64;
        self.buffer.clear();
        self.hashed = 0;
        Ok(())
    }

    /// The head and trailer after the sections: the directory in order of name. A duplicate
    /// name (or one too long) is refused: a reader would refuse the file.
    fn finish(mut self, tie: &Tie) -> io::Result<()> {
        let mut directory = std::mem::take(&mut self.directory);
        directory.sort_by(|a, b| a.0.cmp(&b.0));
        let unique = directory.windows(2).all(|w| w[0].0 != w[1].0);
        let fits = directory.iter().all(|s| s.0.len() <= u16::MAX as usize);
        if !unique || !fits {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "snapshot sections with the same name, or too long a name",
            ));
        }
        let key = tie.key.as_bytes();
        let mut head = Vec::with_capacity(100 + directory.len() * 80 + TRAILER);
        head.extend_from_slice(&(key.len() as u16).to_le_bytes());
        head.extend_from_slice(key);
        head.extend_from_slice(&tie.entries.to_le_bytes());
        head.extend_from_slice(&tie.journal_bytes.to_le_bytes());
        head.extend_from_slice(&tie.last_frame.to_le_bytes());
        head.extend_from_slice(&tie.hash.0);
        head.extend_from_slice(&(directory.len() as u32).to_le_bytes());
        for (name, offset, length, sum) in &directory {
            head.extend_from_slice(&(name.len() as u16).to_le_bytes());
            head.extend_from_slice(name.as_bytes());
            head.extend_from_slice(&offset.to_le_bytes());
            head.extend_from_slice(&length.to_le_bytes());
            head.extend_from_slice(sum);
        }
        let head_len = u32::try_from(head.len())
            .ok()
            .filter(|len| *len as usize <= MAX_HEAD)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "too many sections"))?;
        head.extend_from_slice(&head_len.to_le_bytes());
        let sum = blake3::hash(&head);
        head.extend_from_slice(sum.as_bytes());
        head.extend_from_slice(MAGIC);
        self.empty_buffer()?;
        self.file.write_all(&head)
    }
}

impl SectionSink for Writing {
    fn section(
        &mut self,
        name: &str,
        encode: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        let offset = self.position();
        let mut bytes = SectionBytes {
            to: self,
            hasher: blake3::Hasher::new(),
        };
        encode(&mut bytes)?;
        let mut hasher = bytes.hasher;
        hasher.update(&self.buffer[self.hashed..]);
        self.hashed = self.buffer.len();
        let length = self.position() - offset;
        let sum = *hasher.finalize().as_bytes();
        self.directory.push((name.to_owned(), offset, length, sum));
        Ok(())
    }
}

/// The blake3 of each section `encode` gives, in order of name: what the directory of a
/// snapshot of the same state lists ([`Snapshot::sums`]). Nothing is written, and no section
/// is held: each is hashed as it is encoded.
pub fn digest(
    encode: impl FnOnce(&mut dyn SectionSink) -> io::Result<()>,
) -> io::Result<Vec<(String, [u8; 32])>> {
    struct Sums(Vec<(String, [u8; 32])>);
    impl SectionSink for Sums {
        fn section(
            &mut self,
            name: &str,
            encode: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
        ) -> io::Result<()> {
            let mut hasher = blake3::Hasher::new();
            encode(&mut hasher)?;
            self.0
                .push((name.to_owned(), *hasher.finalize().as_bytes()));
            Ok(())
        }
    }
    let mut sums = Sums(Vec::new());
    encode(&mut sums)?;
    sums.0.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(sums.0)
}

/// Removes the temporary files of snapshots whose writer is gone (killed while writing:
/// nothing else removes them). A writer calls it under the lock; readers write snapshots too,
/// without the lock, so a file is removed only when the process named in it is not running
/// (on a system without `/proc`: when it is more than an hour old). Says how many went.
pub fn remove_abandoned(dir: &Path) -> usize {
    let Ok(listing) = fs::read_dir(dir) else {
        return 0;
    };
    let proc_fs = Path::new("/proc/self").exists();
    let mut removed = 0;
    for entry in listing.flatten() {
        let name = entry.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix(SNAPSHOT_FILE))
            .and_then(|n| n.strip_prefix('.'))
            .and_then(|n| n.strip_suffix(".tmp"))
        else {
            continue;
        };
        let Some(pid) = rest.split('.').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let abandoned = if proc_fs {
            pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists()
        } else {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 3600)
        };
        if abandoned && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Replaces the snapshot in `dir` with the sections `encode` gives. Not synced: a snapshot
/// lost to a crash is only a lost shortcut, and a torn one fails its checksums.
pub fn write(
    dir: &Path,
    tie: &Tie,
    encode: impl FnOnce(&mut dyn SectionSink) -> io::Result<()>,
) -> io::Result<()> {
    let tmp = dir.join(format!(
        "{SNAPSHOT_FILE}.{}.{}.tmp",
        std::process::id(),
        time::OffsetDateTime::now_utc().unix_timestamp_nanos()
    ));
    let written = (|| {
        let mut out = Writing::new(File::create(&tmp)?);
        encode(&mut out)?;
        out.finish(tie)?;
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

    /// Not in order of name: the writer orders the directory, not the sections.
    fn sections() -> Vec<(String, Vec<u8>)> {
        vec![
            ("shared".into(), b"states and meetings".to_vec()),
            ("body/wg-clearance".into(), b"terms".to_vec()),
            ("empty".into(), Vec::new()),
            // Written in pieces, past the writer's buffer.
            (
                "events".into(),
                (0..3 * WRITE_BUFFER).map(|i| i as u8).collect(),
            ),
        ]
    }

    fn write_sections(dir: &Path, sections: &[(String, Vec<u8>)]) -> io::Result<()> {
        write(dir, &tie(), |out| {
            for (name, bytes) in sections {
                out.section(name, &mut |w| {
                    for piece in bytes.chunks(1000) {
                        w.write_all(piece)?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })
    }

    /// The snapshot written to a fresh directory, with `damage` done to its bytes first.
    fn written(damage: impl FnOnce(&mut Vec<u8>)) -> (tempfile::TempDir, Option<Snapshot>) {
        let dir = tempfile::tempdir().unwrap();
        write_sections(dir.path(), &sections()).unwrap();
        let mut bytes = fs::read(path(dir.path())).unwrap();
        damage(&mut bytes);
        fs::write(path(dir.path()), &bytes).unwrap();
        let found = open(dir.path());
        (dir, found)
    }

    fn sections_len() -> usize {
        sections().iter().map(|s| s.1.len()).sum()
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
    fn sections_with_the_same_name_are_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let twice = [("shared".into(), vec![1]), ("shared".into(), vec![2])];
        assert!(write_sections(dir.path(), &twice).is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "nothing left");
    }

    #[test]
    fn any_damage_to_the_head_or_its_directory_makes_the_snapshot_unusable() {
        let (_dir, whole) = written(|_| {});
        let size = fs::metadata(path(_dir.path())).unwrap().len() as usize;
        drop(whole);
        for i in sections_len()..size {
            let (_dir, found) = written(|b| b[i] ^= 0x10);
            assert!(found.is_none(), "byte {i} flipped");
        }
        for cut in (0..size).step_by(1009).chain(sections_len()..size) {
            let (_dir, found) = written(|b| b.truncate(cut));
            assert!(found.is_none(), "cut at {cut}");
        }
        let (_dir, found) = written(|b| b.push(0));
        assert!(found.is_none(), "a byte past the trailer");
        let (_dir, found) = written(|b| b.insert(0, 0));
        assert!(found.is_none(), "a byte before the first section");
    }

    #[test]
    fn damage_to_a_section_makes_that_section_alone_unusable() {
        let all = sections();
        let (_dir, whole) = written(|_| {});
        let whole = whole.expect("a whole snapshot opens");
        for (name, bytes) in &all {
            let (at, length) = whole.span(name).expect("listed");
            assert_eq!(length as usize, bytes.len());
            // Every byte of the small sections, a few of the large one.
            let step = (bytes.len() / 64).max(1);
            for i in (at as usize..at as usize + bytes.len()).step_by(step) {
                let (_dir, found) = written(|b| b[i] ^= 0x01);
                let found = found.expect("the head is whole");
                assert_eq!(found.section(name), None, "byte {i} of {name}");
                for (other, other_bytes) in all.iter().filter(|s| s.0 != *name) {
                    assert_eq!(found.section(other).as_ref(), Some(other_bytes));
                }
            }
        }
    }
}
