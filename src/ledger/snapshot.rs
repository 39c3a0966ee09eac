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
//! Why keyed and appended to: a write changes a few sections (the bodies, States and shards
//! of events it touches), and must not cost the whole projection of a large ledger. The
//! file is an append-only region of sections and heads behind two fixed slots: a writer
//! holding the ledger's lock appends the sections that changed and a new head (the whole
//! directory: unchanged sections keep their place), then points the older slot at that
//! head. A reader reads both slots, takes the valid one of the higher generation, and falls
//! back to the other when a slot or its head does not check (a slot torn by a write in
//! progress, a crash): the older head still lies whole in the region, since nothing there
//! is ever written twice. When the dead bytes (sections and heads no slot reaches) would
//! outweigh the live ones, the writer rewrites the file whole instead (compaction: the live
//! sections copied as they are, to a temporary file renamed into place), so the file stays
//! below twice its live size and a write costs, amortised, what it changed.
//!
//! Why the head comes after its sections: the sections are written as they are encoded, one
//! at a time, straight into the file, and hashed on the way (a whole projection held twice in
//! memory, as objects and as bytes, added a third to the peak of an import at 10^6 events).
//! Only the directory is kept until the end, when its size is known.
//!
//! Layout: slot 0 (128 bytes) ‖ slot 1 (128) ‖ region. A slot: `CCMSNAP5` ‖ generation u64
//! LE ‖ head offset u64 LE ‖ head length u64 LE ‖ blake3 of the head (32) ‖ blake3 of the
//! slot's first 64 bytes (32) ‖ zeros; generation 0 (all zeros) is an empty slot. The head:
//! key length u16 LE ‖ key ‖ entries u64 LE ‖ journal bytes u64 LE ‖ last frame u64 LE ‖ hash
//! of entry `entries - 1` (32) ‖ section count u32 LE ‖ for each section, in order of name:
//! name length u16 LE ‖ name ‖ offset u64 LE ‖ length u64 LE ‖ blake3 of the section (32).
//! Every section lies in the region before its head; sections of other heads, and older
//! heads, may lie between them (dead bytes).

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::domain::EntryHash;

/// Bumped whenever the file's layout or the projection's stored form changes (5: two slots
/// and an append-only region of keyed sections), so that an older snapshot reads as foreign
/// and is refolded.
const MAGIC: &[u8; 8] = b"CCMSNAP5";

/// The size of each of the two slots at the start of the file.
const SLOT: usize = 128;

/// Where the region of sections and heads starts: after the two slots.
const REGION: u64 = 2 * SLOT as u64;

/// The bytes of a slot covered by its own checksum: magic, generation, head offset, head
/// length, head checksum.
const SLOT_SUMMED: usize = 8 + 8 + 8 + 8 + 32;

/// The most a head may claim to be: a damaged length must not make a reader allocate much.
const MAX_HEAD: usize = 1 << 28;

/// The most a section may claim to be. A head that checks can still be forged (its checksums
/// are not a signature), and a sparse file can be as long as any length it claims, so the
/// length alone must not decide how much a reader allocates. The writer never writes a
/// larger section (a projection that would need one is refolded instead); at 10^6 entries
/// the largest is a few megabytes.
const MAX_SECTION: usize = 1 << 28;

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
    /// `None`), able to take more entries.
    fn from_sections(section: &mut dyn FnMut(&str) -> Option<Vec<u8>>) -> Option<Self>;
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
    /// The slot that points at this head, and what it says.
    slot: usize,
    pointer: Pointer,
    /// The file's size when it was opened.
    size: u64,
}

/// What a slot says: which head is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pointer {
    generation: u64,
    offset: u64,
    length: u64,
    sum: [u8; 32],
}

impl Pointer {
    fn encode(&self) -> [u8; SLOT] {
        let mut slot = [0; SLOT];
        slot[..8].copy_from_slice(MAGIC);
        slot[8..16].copy_from_slice(&self.generation.to_le_bytes());
        slot[16..24].copy_from_slice(&self.offset.to_le_bytes());
        slot[24..32].copy_from_slice(&self.length.to_le_bytes());
        slot[32..64].copy_from_slice(&self.sum);
        let check = blake3::hash(&slot[..SLOT_SUMMED]);
        slot[SLOT_SUMMED..SLOT_SUMMED + 32].copy_from_slice(check.as_bytes());
        slot
    }

    /// A slot whose checksum holds and that points somewhere (`None`: empty, torn, damaged).
    fn decode(slot: &[u8]) -> Option<Pointer> {
        let word = |at: usize| u64::from_le_bytes(slot[at..at + 8].try_into().expect("8"));
        let check = blake3::hash(&slot[..SLOT_SUMMED]);
        let whole = &slot[..8] == MAGIC
            && check.as_bytes()[..] == slot[SLOT_SUMMED..SLOT_SUMMED + 32]
            && slot[SLOT_SUMMED + 32..].iter().all(|b| *b == 0);
        let pointer = Pointer {
            generation: word(8),
            offset: word(16),
            length: word(24),
            sum: slot[32..64].try_into().expect("32"),
        };
        (whole && pointer.generation > 0).then_some(pointer)
    }
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join(SNAPSHOT_FILE)
}

/// The snapshot in `dir`, if there is one whose head is whole: that of the slot of the higher
/// generation, or, when it does not check (torn by a write in progress, or damaged), the
/// other's.
pub fn open(dir: &Path) -> Option<Snapshot> {
    read_from(File::open(path(dir)).ok()?)
}

/// [`open`], of a file already open.
fn read_from(file: File) -> Option<Snapshot> {
    let size = file.metadata().ok()?.len();
    let slots = read_at(&file, 0, 2 * SLOT)?;
    let mut pointers: Vec<(usize, Pointer)> = (0..2)
        .filter_map(|i| Some((i, Pointer::decode(&slots[i * SLOT..(i + 1) * SLOT])?)))
        .collect();
    pointers.sort_by_key(|(_, p)| std::cmp::Reverse(p.generation));
    let (slot, pointer, head, tie, directory) = pointers.into_iter().find_map(|(slot, p)| {
        let (head, tie, directory) = head_at(&file, size, &p).ok()?;
        Some((slot, p, head, tie, directory))
    })?;
    Some(Snapshot {
        tie,
        file,
        head,
        directory,
        slot,
        pointer,
        size,
    })
}

/// The head a slot points at, its tie and its directory, or why a reader passes it over.
fn head_at(
    file: &File,
    size: u64,
    p: &Pointer,
) -> Result<(Vec<u8>, Tie, Vec<Place>), &'static str> {
    const OUTSIDE: &str = "it points at no head within the file";
    let length = usize::try_from(p.length)
        .ok()
        .filter(|l| *l <= MAX_HEAD)
        .ok_or(OUTSIDE)?;
    if p.offset < REGION || p.offset.checked_add(p.length).is_none_or(|end| end > size) {
        return Err(OUTSIDE);
    }
    let head = read_at(file, p.offset, length).ok_or("the head it points at cannot be read")?;
    if blake3::hash(&head).as_bytes() != &p.sum {
        return Err("the head it points at does not match its checksum");
    }
    let (tie, directory) =
        decode_head(&head, p.offset).ok_or("the head it points at does not decode")?;
    Ok((head, tie, directory))
}

/// A slot of the snapshot file that a reader passes over although it is not empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedSlot {
    /// 0 or 1: the slot at bytes 0–127 or 128–255.
    pub slot: usize,
    /// What is wrong with it.
    pub problem: &'static str,
}

/// The slots of the snapshot file in `dir` that a reader passes over although they are not
/// empty (torn by a write that stopped, or damaged): it falls back to the other slot, or to
/// a fold, and says nothing; `verify` names them. None for a file that is not this version's
/// (neither slot starts with its magic), or no file.
pub fn damaged_slots(dir: &Path) -> Vec<DamagedSlot> {
    let Ok(file) = File::open(path(dir)) else {
        return Vec::new();
    };
    let size = file.metadata().map_or(0, |m| m.len());
    let mut slots = vec![0; 2 * SLOT];
    let read = file.read_at(&mut slots, 0).unwrap_or(0);
    let slot = |i: usize| &slots[i * SLOT..(i + 1) * SLOT];
    if !(0..2).any(|i| &slot(i)[..8] == MAGIC) {
        return Vec::new();
    }
    (0..2)
        .filter_map(|i| {
            let problem = if read < (i + 1) * SLOT {
                "the file ends inside it"
            } else if slot(i).iter().all(|b| *b == 0) {
                return None;
            } else {
                match Pointer::decode(slot(i)) {
                    None => "its own checksum does not hold",
                    Some(p) => head_at(&file, size, &p).err()?,
                }
            };
            Some(DamagedSlot { slot: i, problem })
        })
        .collect()
}

impl Snapshot {
    fn place(&self, name: &str) -> Option<&Place> {
        let at = self
            .directory
            .binary_search_by(|p| self.head[p.name.clone()].cmp(name.as_bytes()))
            .ok()?;
        self.directory.get(at)
    }

    fn name(&self, place: &Place) -> &str {
        std::str::from_utf8(&self.head[place.name.clone()]).expect("checked by decode_head")
    }

    /// The names of the sections, in order of name, with the blake3 each claims: what a
    /// fresh derivation's [`digest`] is compared with (`verify`).
    pub fn sums(&self) -> Vec<(String, [u8; 32])> {
        self.directory
            .iter()
            .map(|p| (self.name(p).to_owned(), p.sum))
            .collect()
    }

    /// The blake3 the section called `name` claims, if the snapshot has one.
    pub fn sum(&self, name: &str) -> Option<[u8; 32]> {
        self.place(name).map(|p| p.sum)
    }

    /// Where the section called `name` lies in the file: its offset and length.
    pub fn span(&self, name: &str) -> Option<(u64, u64)> {
        self.place(name).map(|p| (p.offset, p.length))
    }

    /// The section called `name`, if the snapshot has it and it is whole.
    pub fn section(&self, name: &str) -> Option<Vec<u8>> {
        let place = self.place(name)?;
        let length = usize::try_from(place.length)
            .ok()
            .filter(|l| *l <= MAX_SECTION)?;
        let bytes = read_at(&self.file, place.offset, length)?;
        (blake3::hash(&bytes).as_bytes() == &place.sum).then_some(bytes)
    }

    /// The bytes the current head reaches: its sections and itself.
    fn live(&self) -> u64 {
        self.directory.iter().map(|p| p.length).sum::<u64>() + self.pointer.length
    }

    /// The bytes of the region no head reaches any more.
    fn dead(&self) -> u64 {
        (self.size - REGION).saturating_sub(self.live())
    }
}

/// `len` bytes at `offset`, or `None`, also when they cannot be allocated (a failed
/// allocation is damage to fall back from, never an abort).
fn read_at(file: &File, offset: u64, len: usize) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(len).ok()?;
    bytes.resize(len, 0);
    file.read_exact_at(&mut bytes, offset).ok()?;
    Some(bytes)
}

/// The tie and the directory, from a head (checked against its slot's checksum before) that
/// lies at `at`: every section it lists lies in the region before it.
fn decode_head(body: &[u8], at_offset: u64) -> Option<(Tie, Vec<Place>)> {
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
        if offset < REGION || offset.checked_add(length)? > at_offset || !in_order {
            return None;
        }
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
    (at == body.len()).then_some((tie, directory))
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
    /// Writing into `file` from `at` (its end).
    fn new(file: File, at: u64) -> Writing {
        Writing {
            file,
            buffer: Vec::with_capacity(WRITE_BUFFER),
            hashed: 0,
            flushed: at,
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

    /// The head after the sections: the directory of the sections written and of `kept`
    /// (sections already in the file), in order of name. A duplicate name (or one too long)
    /// is refused: a reader would refuse the file. Gives what a slot points at.
    fn finish(
        mut self,
        tie: &Tie,
        kept: Vec<(String, u64, u64, [u8; 32])>,
        generation: u64,
    ) -> io::Result<(File, Pointer)> {
        let mut directory = std::mem::take(&mut self.directory);
        directory.extend(kept);
        directory.sort_by(|a, b| a.0.cmp(&b.0));
        let unique = directory.windows(2).all(|w| w[0].0 != w[1].0);
        let fits = directory
            .iter()
            .all(|s| s.0.len() <= u16::MAX as usize && s.2 <= MAX_SECTION as u64);
        if !unique || !fits {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "snapshot sections with the same name, too long a name, or too large a section",
            ));
        }
        let key = tie.key.as_bytes();
        let mut head = Vec::with_capacity(100 + directory.len() * 80);
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
        if head.len() > MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "too many sections",
            ));
        }
        self.empty_buffer()?;
        let offset = self.position();
        self.file.write_all(&head)?;
        let pointer = Pointer {
            generation,
            offset,
            length: head.len() as u64,
            sum: *blake3::hash(&head).as_bytes(),
        };
        Ok((self.file, pointer))
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

/// Replaces the snapshot in `dir` with the sections `encode` gives: a new file, written
/// under a unique temporary name and renamed into place (so anyone may write one, lock or
/// not). Not synced: a snapshot lost to a crash is only a lost shortcut, and a torn one fails
/// its checksums.
pub fn write(
    dir: &Path,
    tie: &Tie,
    encode: impl FnOnce(&mut dyn SectionSink) -> io::Result<()>,
) -> io::Result<()> {
    write_new(dir, tie, encode, Vec::new())
}

/// [`write`], with `kept`: sections the new file lists as they are (already written into it
/// by `encode`, by their raw bytes).
fn write_new(
    dir: &Path,
    tie: &Tie,
    encode: impl FnOnce(&mut dyn SectionSink) -> io::Result<()>,
    kept: Vec<(String, u64, u64, [u8; 32])>,
) -> io::Result<()> {
    let tmp = dir.join(format!(
        "{SNAPSHOT_FILE}.{}.{}.tmp",
        std::process::id(),
        time::OffsetDateTime::now_utc().unix_timestamp_nanos()
    ));
    let written = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(&[0; REGION as usize])?;
        let mut out = Writing::new(file, REGION);
        encode(&mut out)?;
        let (file, pointer) = out.finish(tie, kept, 1)?;
        file.write_all_at(&pointer.encode(), 0)?;
        drop(file);
        fs::rename(&tmp, path(dir))
    })();
    written.inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// What [`update`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Updated {
    /// The changed sections and a new head appended, the older slot pointed at it.
    Appended,
    /// Appended, then the file rewritten with its live sections only (the dead bytes would
    /// have outweighed them).
    Compacted,
    /// The snapshot in the directory is not tied to `from` (or there is none, or it does not
    /// read): nothing was written; the caller writes a whole one.
    NotThere,
}

/// Changes the snapshot in `dir`, whose head must be tied to `from`, into one tied to `tie`:
/// the sections `encode` gives replace those of the same name (or are added), those named in
/// `removed` go, every other stays where it lies; the new head is appended after them and the
/// older slot pointed at it. A reader meanwhile keeps reading the head it found (nothing it
/// reaches is written over) or, reading a slot being written, the other. Only the holder of
/// the ledger's lock may call it: two writers would write the same slot.
pub fn update(
    dir: &Path,
    from: &Tie,
    tie: &Tie,
    removed: &[String],
    encode: impl FnOnce(&mut dyn SectionSink) -> io::Result<()>,
) -> io::Result<Updated> {
    // One handle for reading the current head and writing the new one: a snapshot renamed
    // into place meanwhile (by a reader's fold) is then left alone, and this update is lost
    // with the file it was made for, rather than pointing into another file's bytes.
    let file = match fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path(dir))
    {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Updated::NotThere),
        Err(e) => return Err(e),
    };
    let Some(current) = read_from(file.try_clone()?) else {
        return Ok(Updated::NotThere);
    };
    if current.tie != *from {
        return Ok(Updated::NotThere);
    }
    // Appended past what the slots reach: a write before this one that stopped half way
    // left bytes no slot reaches, which stay dead.
    let end = file.metadata()?.len();
    let mut out = Writing::new(file, end);
    {
        use std::io::Seek;
        out.file.seek(io::SeekFrom::Start(end))?;
    }
    encode(&mut Changed {
        out: &mut out,
        current: &current,
    })?;
    let replaced: std::collections::BTreeSet<&str> = out
        .directory
        .iter()
        .map(|d| d.0.as_str())
        .chain(removed.iter().map(String::as_str))
        .collect();
    let kept: Vec<(String, u64, u64, [u8; 32])> = current
        .directory
        .iter()
        .filter(|p| !replaced.contains(current.name(p)))
        .map(|p| (current.name(p).to_owned(), p.offset, p.length, p.sum))
        .collect();
    let generation = current.pointer.generation + 1;
    let (file, pointer) = out.finish(tie, kept, generation)?;
    let older = 1 - current.slot;
    file.write_all_at(&pointer.encode(), (older * SLOT) as u64)?;
    drop((file, current));
    let Some(now) = open(dir) else {
        return Ok(Updated::Appended);
    };
    if now.dead() <= now.live() {
        return Ok(Updated::Appended);
    }
    compact(dir, &now)?;
    Ok(Updated::Compacted)
}

/// The sections of an update, each hashed first: one whose bytes are those the snapshot
/// has already is not written again (it stays where it lies).
struct Changed<'a> {
    out: &'a mut Writing,
    current: &'a Snapshot,
}

impl SectionSink for Changed<'_> {
    fn section(
        &mut self,
        name: &str,
        encode: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        if let Some(sum) = self.current.sum(name) {
            let mut hasher = blake3::Hasher::new();
            encode(&mut hasher)?;
            if *hasher.finalize().as_bytes() == sum {
                return Ok(());
            }
        }
        self.out.section(name, encode)
    }
}

/// Rewrites the snapshot `found` (in `dir`) with its live sections only, copied as they are
/// (each checked against its sum on the way: a damaged one is not carried over, the file is
/// then not rewritten).
fn compact(dir: &Path, found: &Snapshot) -> io::Result<()> {
    write_new(
        dir,
        &found.tie,
        |out| {
            for place in &found.directory {
                let name = found.name(place);
                let bytes = found.section(name).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidData, format!("section {name}"))
                })?;
                out.section(name, &mut |w| w.write_all(&bytes))?;
            }
            Ok(())
        },
        Vec::new(),
    )
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
    fn any_damage_to_the_slot_or_the_head_makes_the_snapshot_unusable() {
        let (_dir, whole) = written(|_| {});
        let size = fs::metadata(path(_dir.path())).unwrap().len() as usize;
        drop(whole);
        let head_at = REGION as usize + sections_len();
        for i in (0..SLOT).chain(head_at..size) {
            let (_dir, found) = written(|b| b[i] ^= 0x10);
            assert!(found.is_none(), "byte {i} flipped");
        }
        for cut in (0..size).step_by(1009).chain(head_at..size) {
            let (_dir, found) = written(|b| b.truncate(cut));
            assert!(found.is_none(), "cut at {cut}");
        }
        let (_dir, found) = written(|b| b.insert(0, 0));
        assert!(found.is_none(), "a byte before the first slot");
        // Bytes past the head are what a write in progress leaves: not read.
        let (_dir, found) = written(|b| b.extend_from_slice(b"half a section"));
        assert_eq!(found.expect("still readable").tie, tie());
    }

    fn update_with(
        dir: &Path,
        from: &Tie,
        to: &Tie,
        removed: &[&str],
        changed: &[(&str, &[u8])],
    ) -> Updated {
        let removed: Vec<String> = removed.iter().map(|s| s.to_string()).collect();
        update(dir, from, to, &removed, |out| {
            for (name, bytes) in changed {
                out.section(name, &mut |w| w.write_all(bytes))?;
            }
            Ok(())
        })
        .unwrap()
    }

    fn next(tie: &Tie) -> Tie {
        Tie {
            entries: tie.entries + 1,
            journal_bytes: tie.journal_bytes + 100,
            last_frame: tie.journal_bytes,
            hash: EntryHash([tie.entries as u8 + 1; 32]),
            ..tie.clone()
        }
    }

    #[test]
    fn an_update_replaces_adds_and_removes_sections_and_keeps_the_others_where_they_lie() {
        let dir = tempfile::tempdir().unwrap();
        write_sections(dir.path(), &sections()).unwrap();
        let before = open(dir.path()).unwrap();
        let to = next(&tie());
        let done = update_with(
            dir.path(),
            &tie(),
            &to,
            &["empty"],
            &[
                ("shared", b"states, meetings, one more"),
                ("body/new", b"x"),
            ],
        );
        assert_eq!(done, Updated::Appended);
        let after = open(dir.path()).expect("the updated snapshot opens");
        assert_eq!(after.tie, to);
        assert_eq!(
            after.section("shared").unwrap(),
            b"states, meetings, one more"
        );
        assert_eq!(after.section("body/new").unwrap(), b"x");
        assert_eq!(after.section("empty"), None);
        for kept in ["events", "body/wg-clearance"] {
            assert_eq!(after.span(kept), before.span(kept), "{kept} not rewritten");
            assert_eq!(after.section(kept), before.section(kept));
        }
        // A reader that opened the file before still reads the head it found.
        assert_eq!(before.section("shared").unwrap(), b"states and meetings");
        // Only a snapshot tied to `from` is updated.
        let stale = update_with(dir.path(), &tie(), &next(&to), &[], &[("shared", b"no")]);
        assert_eq!(stale, Updated::NotThere);
        assert_eq!(open(dir.path()).unwrap().tie, to);
    }

    #[test]
    fn a_torn_slot_leaves_the_previous_head_readable() {
        let dir = tempfile::tempdir().unwrap();
        write_sections(dir.path(), &sections()).unwrap();
        let to = next(&tie());
        update_with(dir.path(), &tie(), &to, &[], &[("shared", b"newer")]);
        // The update wrote slot 1; tear it as a crash (or a reader racing it) would see it.
        let mut bytes = fs::read(path(dir.path())).unwrap();
        bytes[SLOT + 40..2 * SLOT].fill(0xAA);
        fs::write(path(dir.path()), &bytes).unwrap();
        let found = open(dir.path()).expect("the other slot's head");
        assert_eq!(found.tie, tie());
        assert_eq!(found.section("shared").unwrap(), b"states and meetings");
    }

    #[test]
    fn updates_alternate_slots_and_compact_when_dead_bytes_outweigh_live_ones() {
        let dir = tempfile::tempdir().unwrap();
        write_sections(dir.path(), &sections()).unwrap();
        let mut tie = tie();
        let mut compacted = 0;
        for round in 0..6 {
            let to = next(&tie);
            // The largest section changed each time: one update leaves about half dead.
            let big: Vec<u8> = (0..3 * WRITE_BUFFER).map(|i| (i * round) as u8).collect();
            let done = update_with(dir.path(), &tie, &to, &[], &[("events", &big)]);
            let found = open(dir.path()).unwrap();
            assert_eq!(found.tie, to, "round {round}");
            assert_eq!(found.section("events").unwrap(), big);
            assert_eq!(found.section("shared").unwrap(), b"states and meetings");
            assert!(found.dead() <= found.live(), "round {round}");
            let unchanged = update_with(dir.path(), &to, &to, &[], &[("events", &big)]);
            let again = open(dir.path()).unwrap();
            // The same bytes are not written again (unless the update compacted the file).
            match unchanged {
                Updated::Appended => assert_eq!(again.span("events"), found.span("events")),
                _ => compacted += 1,
            }
            assert_eq!(again.section("events").unwrap(), big);
            if done == Updated::Compacted {
                compacted += 1;
                assert_eq!(found.dead(), 0);
            }
            tie = to;
        }
        assert!(compacted >= 2, "{compacted} compactions");
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
