//! `index.offsets`: the sparse seq → offset index as a plain file, for readers.
//!
//! Readers (`Access::Read`) take no lock and never open sled, so without this file `log --from
//! MID` reads the journal from the start up to MID. The file is the 8-byte magic [`MAGIC`],
//! then the journal offset (u64 little-endian) of the frame of entry `k * INDEX_STRIDE`, for
//! `k = 0, 1, …`. A reader reads the one offset it needs.
//!
//! **Invariant:** derived and never trusted. The writer appends to it after the head file is
//! durable, and a writer that opens the ledger extends it (or rebuilds it, when its magic or
//! its last offset is wrong); a reader uses an offset only after reading a whole frame there
//! (its checksum holds) that says it is the expected entry, and otherwise reads from the
//! start. Deleting or damaging the file changes no answer, only how long it takes.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::entry::Links;
use super::journal::{self, FrameReader, Head, JOURNAL_FILE};
use super::sync;

pub const OFFSETS_FILE: &str = "index.offsets";

/// One offset per this many entries: the journal is read forward from the nearest one, so
/// the index costs 8 bytes per 64 entries instead of per entry.
pub const INDEX_STRIDE: u64 = 64;
pub const MAGIC: &[u8; 8] = b"CCMOFFS1";

/// Where to start reading the journal for entry `from`: the nearest indexed entry at or
/// before it, `(seq, offset)`, if the file has one that checks out against the journal
/// (up to what `head` acknowledges); otherwise `None`, and the caller reads from the start.
pub fn nearest(dir: &Path, from: u64, head: &Head) -> Option<(u64, u64)> {
    if from == 0 || head.entries == 0 {
        return None;
    }
    let mut file = File::open(dir.join(OFFSETS_FILE)).ok()?;
    let held = (file
        .metadata()
        .ok()?
        .len()
        .checked_sub(MAGIC.len() as u64)?)
        / 8;
    let last = (head.entries - 1) / INDEX_STRIDE;
    let k = (from.min(head.entries - 1) / INDEX_STRIDE).min(last);
    let k = k.min(held.checked_sub(1)?);
    let mut magic = [0u8; 8];
    file.read_exact(&mut magic).ok()?;
    if &magic != MAGIC {
        return None;
    }
    file.seek(SeekFrom::Start(MAGIC.len() as u64 + 8 * k))
        .ok()?;
    let mut word = [0u8; 8];
    file.read_exact(&mut word).ok()?;
    let offset = u64::from_le_bytes(word);
    let seq = k * INDEX_STRIDE;
    frame_is_entry(dir, offset, seq, head).then_some((seq, offset))
}

/// Whether a whole frame (its checksum holds) starts at `offset`, within what `head`
/// acknowledges, and its entry says it is entry `seq`.
fn frame_is_entry(dir: &Path, offset: u64, seq: u64, head: &Head) -> bool {
    if offset < journal::MAGIC.len() as u64 || offset >= head.bytes {
        return false;
    }
    journal::read_frame_at(&dir.join(JOURNAL_FILE), offset, head.bytes)
        .is_ok_and(|frame| Links::read(&frame.bytes).is_ok_and(|links| links.seq.0 == seq))
}

/// Appends the offsets of a commit (`keys`: (seq, offset) of each indexed entry it wrote),
/// if the file ends exactly where they begin; creates the file for the first entries. A file
/// that does not fit is left for the next writer's open to repair. Failing is harmless.
pub fn record(dir: &Path, keys: &[(u64, u64)]) {
    let Some(&(first, _)) = keys.first() else {
        return;
    };
    let path = dir.join(OFFSETS_FILE);
    let held = fs::metadata(&path)
        .ok()
        .and_then(|m| m.len().checked_sub(MAGIC.len() as u64));
    let mut out = Vec::with_capacity(MAGIC.len() + 8 * keys.len());
    let file = match held {
        Some(held) if held == 8 * (first / INDEX_STRIDE) => {
            OpenOptions::new().append(true).open(&path)
        }
        None if first == 0 => {
            out.extend_from_slice(MAGIC);
            File::create(&path)
        }
        _ => return,
    };
    for (_, offset) in keys {
        out.extend_from_slice(&offset.to_le_bytes());
    }
    if let Ok(mut file) = file {
        let _ = file.write_all(&out);
    }
}

/// Brings the file up to `head` when a writer opens the ledger: extends it from its last
/// offset, or rebuilds it from the journal when it is missing, is not this file, holds more
/// than the journal, or its last offset is not where its entry starts. Says what it repaired
/// (a missing or merely short file is not news). Failing is harmless: readers check.
pub fn refresh(dir: &Path, head: &Head) -> Option<String> {
    let path = dir.join(OFFSETS_FILE);
    let expected = head.entries.div_ceil(INDEX_STRIDE);
    let bytes = fs::read(&path).ok();
    let (kept, problem) = match &bytes {
        None => (0, None),
        Some(bytes) if !bytes.starts_with(MAGIC) => (0, Some("it is not an offsets file")),
        Some(bytes) => {
            let held = (bytes.len() - MAGIC.len()) as u64 / 8;
            let last = held
                .checked_sub(1)
                .map(|k| {
                    let at = MAGIC.len() + 8 * k as usize;
                    let offset = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8"));
                    (k, offset)
                })
                .filter(|&(k, offset)| frame_is_entry(dir, offset, k * INDEX_STRIDE, head));
            // A partial offset at the end is an append cut short: dropped, not news.
            let whole = (bytes.len() - MAGIC.len()).is_multiple_of(8);
            match last {
                _ if held > expected => (0, Some("it indexes entries the journal does not hold")),
                Some(_) if held == expected && whole => return None,
                Some((k, _)) => (k + 1, None),
                None if held == 0 => (0, None),
                None => (0, Some("its last offset is not where its entry starts")),
            }
        }
    };
    let keys = scan(dir, head, kept, bytes.as_deref())?;
    let mut out = if kept == 0 {
        MAGIC.to_vec()
    } else {
        bytes.expect("kept offsets were read")[..MAGIC.len() + 8 * kept as usize].to_vec()
    };
    for offset in keys {
        out.extend_from_slice(&offset.to_le_bytes());
    }
    // Replaced whole (by rename): a reader never sees a half-written file. Not synced: the
    // index is never trusted (an offset is used only where its frame lies), so a crash that
    // leaves it empty costs a rebuild, not a wrong answer.
    sync::write_atomically(&path, sync::Durability::Unsynced, |file| {
        file.write_all(&out)
    })
    .ok()?;
    problem.map(|why| format!("{OFFSETS_FILE} was damaged ({why}); rebuilt from the journal"))
}

/// The offsets of the indexed entries from `k * INDEX_STRIDE` on, read from the journal
/// (starting at the kept `k - 1`th offset, whose frame was checked, when there is one).
fn scan(dir: &Path, head: &Head, k: u64, bytes: Option<&[u8]>) -> Option<Vec<u64>> {
    let (mut seq, start) = match (k, bytes) {
        (0, _) | (_, None) => (0, journal::MAGIC.len() as u64),
        (k, Some(bytes)) => {
            let at = MAGIC.len() + 8 * (k - 1) as usize;
            let offset = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8"));
            ((k - 1) * INDEX_STRIDE, offset)
        }
    };
    let mut reader = FrameReader::open(&dir.join(JOURNAL_FILE), start, head.bytes).ok()?;
    let mut keys = Vec::new();
    while let Some(frame) = reader.next_frame() {
        let frame = frame.ok()?;
        if seq.is_multiple_of(INDEX_STRIDE) && seq >= k * INDEX_STRIDE {
            keys.push(frame.offset);
        }
        seq += 1;
    }
    Some(keys)
}

#[cfg(test)]
mod tests;
