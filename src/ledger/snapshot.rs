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
//! Why the directory is in pages: at 10^6 events a snapshot has ~18 000 sections, and a
//! directory listing them all in the head (~1.5 MB) was read, hashed and decoded by every
//! reader and written again by every writer — most of what a write of one event cost. The
//! head lists pages of the directory instead (each page the places of up to
//! [`PAGE_MAX`] sections, in order of name), and a reader reads the pages of the sections it
//! reads, a writer writes again the pages of the sections it changed.
//!
//! Layout: slot 0 (128 bytes) ‖ slot 1 (128) ‖ region. A slot: `CCMSNAP6` ‖ generation u64
//! LE ‖ head offset u64 LE ‖ head length u64 LE ‖ blake3 of the head (32) ‖ blake3 of the
//! slot's first 64 bytes (32) ‖ zeros; generation 0 (all zeros) is an empty slot. The head:
//! key length u16 LE ‖ key ‖ entries u64 LE ‖ journal bytes u64 LE ‖ last frame u64 LE ‖ hash
//! of entry `entries - 1` (32) ‖ page count u32 LE ‖ for each page, in order of name: its
//! first section's name length u16 LE ‖ that name ‖ offset u64 LE ‖ length u64 LE ‖ blake3 of
//! the page (32) ‖ section count u32 LE ‖ the sections' bytes u64 LE. A page: for each of its
//! sections, in order of name: name length u16 LE ‖ name ‖ offset u64 LE ‖ length u64 LE ‖
//! blake3 of the section (32); its names are from its first on and before the next page's
//! first. Every section lies in the region before its page, every page before its head;
//! sections of other heads, and older pages and heads, may lie between them (dead bytes).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::domain::EntryHash;

/// Bumped whenever the file's layout or the projection's stored form changes (5: two slots
/// and an append-only region of keyed sections; 6: the directory in pages), so that an older
/// snapshot reads as foreign and is refolded.
const MAGIC: &[u8; 8] = b"CCMSNAP6";

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

/// How many sections a page of the directory is cut to hold when it is written whole, and
/// past how many a page a writer changed is cut again. A reader of one section reads its
/// page (~5 KB at 64 sections of ~70 bytes), and the head lists one page in 64.
const PAGE: usize = 64;
const PAGE_MAX: usize = 2 * PAGE;

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

/// Where a section (or a page of the directory) lies and what it hashes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Place {
    offset: u64,
    length: u64,
    sum: [u8; 32],
}

/// A section as a page of the directory lists it: its name and where it lies.
type Listed = (String, Place);

/// A page of the directory, as the head lists it.
#[derive(Debug)]
struct Page {
    /// The name of its first section, in the head's bytes.
    first: std::ops::Range<usize>,
    place: Place,
    count: u32,
    /// The bytes of its sections.
    bytes: u64,
    /// Its sections, read when a question first needs them (`None` inside: the page does not
    /// check, and the sections it lists cannot be read).
    read: OnceLock<Option<Vec<Listed>>>,
}

/// An open snapshot whose head is whole: its sections are read (and checked) one at a time,
/// each through the page of the directory that lists it.
#[derive(Debug)]
pub struct Snapshot {
    pub tie: Tie,
    file: File,
    /// The head's bytes, which hold the first name of each page.
    head: Vec<u8>,
    /// In order of name (a reader finds a section's page by binary search).
    pages: Vec<Page>,
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
    let (slot, pointer, head, tie, pages) = pointers.into_iter().find_map(|(slot, p)| {
        let (head, tie, pages) = head_at(&file, size, &p).ok()?;
        Some((slot, p, head, tie, pages))
    })?;
    Some(Snapshot {
        tie,
        file,
        head,
        pages,
        slot,
        pointer,
        size,
    })
}

/// The head a slot points at, its tie and its pages, or why a reader passes it over.
fn head_at(file: &File, size: u64, p: &Pointer) -> Result<(Vec<u8>, Tie, Vec<Page>), &'static str> {
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
    let (tie, pages) =
        decode_head(&head, p.offset).ok_or("the head it points at does not decode")?;
    Ok((head, tie, pages))
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
    /// The page that would list the section called `name`: the last whose first name is not
    /// after it (`None`: the name comes before every page).
    fn page_of(&self, name: &str) -> Option<usize> {
        let after = self
            .pages
            .partition_point(|p| &self.head[p.first.clone()] <= name.as_bytes());
        after.checked_sub(1)
    }

    /// The sections page `i` lists, read and checked at the first call.
    fn listed(&self, i: usize) -> Option<&[Listed]> {
        let page = &self.pages[i];
        let read = page.read.get_or_init(|| {
            let first = &self.head[page.first.clone()];
            let next = self.pages.get(i + 1).map(|p| &self.head[p.first.clone()]);
            read_page(&self.file, page, first, next)
        });
        read.as_deref()
    }

    fn place(&self, name: &str) -> Option<Place> {
        let listed = self.listed(self.page_of(name)?)?;
        let at = listed
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()?;
        Some(listed[at].1)
    }

    /// The names of the sections, in order of name, with the blake3 each claims: what a
    /// fresh derivation's [`digest`] is compared with (`verify`). A page that does not check
    /// lists none: its sections are then missing from what this says.
    pub fn sums(&self) -> Vec<(String, [u8; 32])> {
        (0..self.pages.len())
            .filter_map(|i| self.listed(i))
            .flatten()
            .map(|(name, place)| (name.clone(), place.sum))
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

    /// The bytes the current head reaches: its sections, its pages and itself.
    fn live(&self) -> u64 {
        let pages: u64 = self.pages.iter().map(|p| p.bytes + p.place.length).sum();
        pages + self.pointer.length
    }

    /// The bytes of the region no head reaches any more.
    fn dead(&self) -> u64 {
        (self.size - REGION).saturating_sub(self.live())
    }
}

impl Snapshot {
    /// The pages of the directory once `written` (in order of name) replace or join the
    /// sections of their names and those `removed` go: the pages none of them falls in kept
    /// as they lie, the others read, changed, cut again past [`PAGE_MAX`] sections, dropped
    /// when empty. `None`: a page to change does not read.
    fn pages_changed(&self, written: Vec<Listed>, removed: &[String]) -> Option<Vec<PageOut>> {
        // Each change, by the page it falls in (a name before every page falls in the first).
        let mut changes: BTreeMap<usize, BTreeMap<String, Option<Place>>> = BTreeMap::new();
        let written_names: BTreeSet<&str> = written.iter().map(|(n, _)| n.as_str()).collect();
        for name in removed
            .iter()
            .filter(|n| !written_names.contains(n.as_str()))
        {
            if let Some(i) = self.page_of(name) {
                changes.entry(i).or_default().insert(name.clone(), None);
            }
        }
        drop(written_names);
        for (name, place) in written {
            let i = self.page_of(&name).unwrap_or(0);
            changes.entry(i).or_default().insert(name, Some(place));
        }
        if self.pages.is_empty() {
            let listed = changes.into_values().flatten();
            return Some(paged(listed.filter_map(|(n, p)| Some((n, p?))).collect()));
        }
        let mut pages = Vec::with_capacity(self.pages.len() + 1);
        for (i, page) in self.pages.iter().enumerate() {
            let Some(changed) = changes.remove(&i) else {
                let first = String::from_utf8_lossy(&self.head[page.first.clone()]).into_owned();
                pages.push(PageOut::Kept(first, page.place, page.count, page.bytes));
                continue;
            };
            let mut merged: BTreeMap<String, Place> = self.listed(i)?.iter().cloned().collect();
            for (name, place) in changed {
                match place {
                    Some(place) => merged.insert(name, place),
                    None => merged.remove(&name),
                };
            }
            let merged: Vec<Listed> = merged.into_iter().collect();
            match merged.len() {
                0 => {}
                n if n <= PAGE_MAX => pages.push(PageOut::New(merged)),
                _ => pages.extend(paged(merged)),
            }
        }
        Some(pages)
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

/// Reads bytes front to back: `None` past the end.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Some(taken)
    }

    fn range(&mut self, n: usize) -> Option<std::ops::Range<usize>> {
        let from = self.at;
        self.take(n).map(|_| from..self.at)
    }

    fn word(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn half(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn short(&mut self) -> Option<usize> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?) as usize)
    }

    fn sum(&mut self) -> Option<[u8; 32]> {
        self.take(32)?.try_into().ok()
    }

    /// A name: its length u16 LE and its bytes, UTF-8.
    fn name(&mut self) -> Option<std::ops::Range<usize>> {
        let len = self.short()?;
        let range = self.range(len)?;
        std::str::from_utf8(&self.bytes[range.clone()]).ok()?;
        Some(range)
    }

    fn place(&mut self) -> Option<Place> {
        Some(Place {
            offset: self.word()?,
            length: self.word()?,
            sum: self.sum()?,
        })
    }

    fn done(&self) -> bool {
        self.at == self.bytes.len()
    }
}

/// Whether `place` lies in the region before `before`.
fn lies_before(place: &Place, before: u64) -> bool {
    place.offset >= REGION
        && place
            .offset
            .checked_add(place.length)
            .is_some_and(|end| end <= before)
}

/// The tie and the pages of the directory, from a head (checked against its slot's checksum
/// before) that lies at `at_offset`: every page it lists lies in the region before it, in
/// order of first name.
fn decode_head(body: &[u8], at_offset: u64) -> Option<(Tie, Vec<Page>)> {
    let mut c = Cursor { bytes: body, at: 0 };
    let key_len = c.short()?;
    let key = String::from_utf8(c.take(key_len)?.to_vec()).ok()?;
    let entries = c.word()?;
    let journal_bytes = c.word()?;
    let last_frame = c.word()?;
    let hash = EntryHash(c.sum()?);
    let count = c.half()?;
    let mut pages: Vec<Page> = Vec::new();
    for _ in 0..count {
        let first = c.name()?;
        let place = c.place()?;
        let count = c.half()?;
        let bytes = c.word()?;
        let in_order = pages
            .last()
            .is_none_or(|last| body[last.first.clone()] < body[first.clone()]);
        if !lies_before(&place, at_offset) || !in_order || count == 0 {
            return None;
        }
        pages.push(Page {
            first,
            place,
            count,
            bytes,
            read: OnceLock::new(),
        });
    }
    let tie = Tie {
        key,
        entries,
        journal_bytes,
        last_frame,
        hash,
    };
    c.done().then_some((tie, pages))
}

/// The sections `page` lists, read from `file` and checked: its checksum, its count and
/// bytes as the head says, its names in order from `first` on and before `next`, each section
/// in the region before the page.
fn read_page(file: &File, page: &Page, first: &[u8], next: Option<&[u8]>) -> Option<Vec<Listed>> {
    let length = usize::try_from(page.place.length)
        .ok()
        .filter(|l| *l <= MAX_HEAD)?;
    let body = read_at(file, page.place.offset, length)?;
    if blake3::hash(&body).as_bytes() != &page.place.sum {
        return None;
    }
    let mut c = Cursor {
        bytes: &body,
        at: 0,
    };
    // A count the page's bytes cannot hold (each section takes 50 bytes at least) is damage,
    // and must not be allocated for.
    let count = page.count as usize;
    if count > body.len() / 50 {
        return None;
    }
    let mut listed: Vec<Listed> = Vec::with_capacity(count);
    let mut bytes: u64 = 0;
    for _ in 0..page.count {
        let name = c.name()?;
        let place = c.place()?;
        let name = &body[name];
        let in_order = match listed.last() {
            Some((last, _)) => last.as_bytes() < name,
            None => name == first,
        };
        if !in_order || next.is_some_and(|next| name >= next) {
            return None;
        }
        if !lies_before(&place, page.place.offset) {
            return None;
        }
        bytes = bytes.checked_add(place.length)?;
        let name = String::from_utf8(name.to_vec()).ok()?;
        listed.push((name, place));
    }
    (c.done() && bytes == page.bytes).then_some(listed)
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
    /// Each section written, in the order written.
    directory: Vec<Listed>,
}

/// A page of the directory a writer lists in its head: one the file has already, kept as it
/// lies (its first name, place, count and bytes), or the sections of one to write.
enum PageOut {
    Kept(String, Place, u32, u64),
    New(Vec<Listed>),
}

/// `listed` (in order of name) cut into pages of [`PAGE`] sections.
fn paged(listed: Vec<Listed>) -> Vec<PageOut> {
    let mut pages = Vec::new();
    let mut listed = listed.into_iter().peekable();
    while listed.peek().is_some() {
        pages.push(PageOut::New(listed.by_ref().take(PAGE).collect()));
    }
    pages
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

    /// Appends `bytes` as they are (a page of the directory), after what is written so far.
    fn append(&mut self, bytes: &[u8]) -> io::Result<Place> {
        self.empty_buffer()?;
        let offset = self.position();
        self.file.write_all(bytes)?;
        self.flushed += bytes.len() as u64;
        Ok(Place {
            offset,
            length: bytes.len() as u64,
            sum: *blake3::hash(bytes).as_bytes(),
        })
    }

    /// The sections written, in order of name. Two with the same name (or one with too long
    /// a name, or too large) are refused: a reader would refuse the file.
    fn written(&mut self) -> io::Result<Vec<Listed>> {
        let mut directory = std::mem::take(&mut self.directory);
        directory.sort_by(|a, b| a.0.cmp(&b.0));
        let unique = directory.windows(2).all(|w| w[0].0 != w[1].0);
        let fits = directory
            .iter()
            .all(|s| s.0.len() <= u16::MAX as usize && s.1.length <= MAX_SECTION as u64);
        if !unique || !fits {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "snapshot sections with the same name, too long a name, or too large a section",
            ));
        }
        Ok(directory)
    }

    /// The pages of the directory the new ones of `pages` are, then the head listing them
    /// all, in order. Gives what a slot points at.
    fn finish(
        mut self,
        tie: &Tie,
        pages: Vec<PageOut>,
        generation: u64,
    ) -> io::Result<(File, Pointer)> {
        let mut listed: Vec<(String, Place, u32, u64)> = Vec::with_capacity(pages.len());
        let mut page = Vec::new();
        for out in pages {
            match out {
                PageOut::Kept(first, place, count, bytes) => {
                    listed.push((first, place, count, bytes))
                }
                PageOut::New(sections) => {
                    page.clear();
                    let mut bytes: u64 = 0;
                    for (name, place) in &sections {
                        page.extend_from_slice(&(name.len() as u16).to_le_bytes());
                        page.extend_from_slice(name.as_bytes());
                        page.extend_from_slice(&place.offset.to_le_bytes());
                        page.extend_from_slice(&place.length.to_le_bytes());
                        page.extend_from_slice(&place.sum);
                        bytes += place.length;
                    }
                    let place = self.append(&page)?;
                    let count = sections.len() as u32;
                    let first = sections.into_iter().next().expect("a page lists one").0;
                    listed.push((first, place, count, bytes));
                }
            }
        }
        let key = tie.key.as_bytes();
        let mut head = Vec::with_capacity(100 + listed.len() * 100);
        head.extend_from_slice(&(key.len() as u16).to_le_bytes());
        head.extend_from_slice(key);
        head.extend_from_slice(&tie.entries.to_le_bytes());
        head.extend_from_slice(&tie.journal_bytes.to_le_bytes());
        head.extend_from_slice(&tie.last_frame.to_le_bytes());
        head.extend_from_slice(&tie.hash.0);
        let count = u32::try_from(listed.len()).map_err(|_| too_many())?;
        head.extend_from_slice(&count.to_le_bytes());
        for (first, place, count, bytes) in &listed {
            head.extend_from_slice(&(first.len() as u16).to_le_bytes());
            head.extend_from_slice(first.as_bytes());
            head.extend_from_slice(&place.offset.to_le_bytes());
            head.extend_from_slice(&place.length.to_le_bytes());
            head.extend_from_slice(&place.sum);
            head.extend_from_slice(&count.to_le_bytes());
            head.extend_from_slice(&bytes.to_le_bytes());
        }
        if head.len() > MAX_HEAD {
            return Err(too_many());
        }
        let place = self.append(&head)?;
        let pointer = Pointer {
            generation,
            offset: place.offset,
            length: place.length,
            sum: place.sum,
        };
        Ok((self.file, pointer))
    }
}

fn too_many() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "too many sections")
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
        self.directory.push((
            name.to_owned(),
            Place {
                offset,
                length,
                sum,
            },
        ));
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
    write_new(dir, tie, encode)
}

/// [`write`]: a new file, its directory in pages of [`PAGE`] sections.
fn write_new(
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
        let mut file = File::create(&tmp)?;
        file.write_all(&[0; REGION as usize])?;
        let mut out = Writing::new(file, REGION);
        encode(&mut out)?;
        let pages = paged(out.written()?);
        let (file, pointer) = out.finish(tie, pages, 1)?;
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
    let written = out.written()?;
    let Some(pages) = current.pages_changed(written, removed) else {
        // A page the update would change does not read: the caller writes a whole one.
        return Ok(Updated::NotThere);
    };
    let generation = current.pointer.generation + 1;
    let (file, pointer) = out.finish(tie, pages, generation)?;
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
/// (each checked against its sum on the way: a damaged one is not carried over).
fn compact(dir: &Path, found: &Snapshot) -> io::Result<()> {
    write_new(dir, &found.tie, |out| {
        for i in 0..found.pages.len() {
            // A page or a section that does not check is left out: a reader takes a missing
            // section as it takes a damaged one (it folds), and `verify` names it either way;
            // carried over, it would stop every compaction after this one.
            for (name, _) in found.listed(i).unwrap_or_default() {
                if let Some(bytes) = found.section(name) {
                    out.section(name, &mut |w| w.write_all(&bytes))?;
                }
            }
        }
        Ok(())
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
        let whole = whole.expect("a whole snapshot opens");
        let head_at = whole.pointer.offset as usize;
        drop(whole);
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

    #[test]
    fn damage_to_a_page_of_the_directory_makes_the_sections_it_lists_unusable() {
        let (_dir, whole) = written(|_| {});
        let whole = whole.expect("a whole snapshot opens");
        assert_eq!(whole.pages.len(), 1, "four sections fit one page");
        let page = whole.pages[0].place;
        drop(whole);
        for i in page.offset as usize..(page.offset + page.length) as usize {
            let (_dir, found) = written(|b| b[i] ^= 0x10);
            let found = found.expect("the head is whole");
            for (name, _) in sections() {
                assert_eq!(found.section(&name), None, "byte {i} flipped: {name}");
            }
            assert!(found.sums().is_empty(), "byte {i} flipped");
        }
    }

    /// `n` sections named so that they sort in the order of `i`, each its name's bytes.
    fn many(n: usize) -> Vec<(String, Vec<u8>)> {
        (0..n)
            .map(|i| {
                let name = format!("body/{i:05}");
                let bytes = name.as_bytes().to_vec();
                (name, bytes)
            })
            .collect()
    }

    #[test]
    fn a_reader_of_one_section_reads_its_page_of_the_directory_and_no_other() {
        let dir = tempfile::tempdir().unwrap();
        write_sections(dir.path(), &many(20 * PAGE)).unwrap();
        let found = open(dir.path()).unwrap();
        assert_eq!(found.pages.len(), 20);
        // The head lists pages, not sections: it stays small however many sections.
        assert!(found.pointer.length < 20 * 100, "{}", found.pointer.length);
        assert_eq!(found.section("body/00130").unwrap(), b"body/00130");
        let read: Vec<usize> = (0..found.pages.len())
            .filter(|i| found.pages[*i].read.get().is_some())
            .collect();
        assert_eq!(read, [130 / PAGE]);
        assert_eq!(found.section("body/99999"), None);
        assert_eq!(found.section("a section before every page"), None);
    }

    /// Updates of random sections (written anew, added, removed) agree with a map of what
    /// they should leave, keep the pages no change falls in where they lie, and keep every
    /// page at most [`PAGE_MAX`] sections.
    #[test]
    fn updates_change_only_the_pages_their_sections_fall_in() {
        // A small deterministic generator (xorshift): the test needs spread, not quality.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut below = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let dir = tempfile::tempdir().unwrap();
        let mut model: BTreeMap<String, Vec<u8>> = many(6 * PAGE).into_iter().collect();
        write_sections(dir.path(), &model.clone().into_iter().collect::<Vec<_>>()).unwrap();
        let mut tie = tie();
        for round in 0..60 {
            let before = open(dir.path()).unwrap();
            let mut written: Vec<(String, Vec<u8>)> = Vec::new();
            let mut removed: Vec<String> = Vec::new();
            // Mostly a few changes; now and then a burst into one stretch of names, to
            // make a page grow past its limit, or empty one.
            let burst = round % 10 == 9;
            let changes = if burst { 3 * PAGE } else { 1 + below(5) };
            let at = below(8 * PAGE);
            for k in 0..changes {
                let i = if burst { at + k } else { below(8 * PAGE) };
                let name = format!("body/{i:05}");
                if round % 20 == 19 || below(10) < 3 {
                    model.remove(&name);
                    removed.push(name);
                } else {
                    let bytes = format!("{name} in round {round}").into_bytes();
                    model.insert(name.clone(), bytes.clone());
                    written.push((name, bytes));
                }
            }
            written.sort();
            written.dedup_by(|a, b| a.0 == b.0);
            written.retain(|(n, _)| model.contains_key(n));
            removed.retain(|n| !model.contains_key(n));
            let to = next(&tie);
            let changed: Vec<(&str, &[u8])> = written
                .iter()
                .map(|(n, b)| (n.as_str(), b.as_slice()))
                .collect();
            let removed_names: Vec<&str> = removed.iter().map(String::as_str).collect();
            update_with(dir.path(), &tie, &to, &removed_names, &changed);
            tie = to;
            let after = open(dir.path()).unwrap();
            let listed: BTreeMap<String, Vec<u8>> = after
                .sums()
                .into_iter()
                .map(|(name, _)| {
                    let bytes = after.section(&name).expect("every section listed reads");
                    (name, bytes)
                })
                .collect();
            assert_eq!(listed, model, "round {round}");
            for i in 0..after.pages.len() {
                let count = after.listed(i).unwrap().len();
                assert!((1..=PAGE_MAX).contains(&count), "round {round}: {count}");
            }
            // A page no change fell in lies where it lay (unless the file was compacted).
            let touched: BTreeSet<String> = written
                .iter()
                .map(|(n, _)| n.clone())
                .chain(removed.iter().cloned())
                .collect();
            if after.size >= before.size {
                for (i, page) in before.pages.iter().enumerate() {
                    let names = before.listed(i).unwrap();
                    let last = &names.last().unwrap().0;
                    let first = &names[0].0;
                    let next_first = before
                        .pages
                        .get(i + 1)
                        .map(|p| before.head[p.first.clone()].to_vec());
                    let untouched = !touched.iter().any(|n| {
                        (i == 0 || n >= first)
                            && next_first.as_ref().is_none_or(|nf| n.as_bytes() < &nf[..])
                    });
                    if untouched {
                        assert!(
                            after.pages.iter().any(|p| p.place == page.place),
                            "round {round}: page {first}..{last} was written again"
                        );
                    }
                }
            }
        }
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
