//! Snapshots of derived state (the projection), kept in a file of their own beside the journal.
//!
//! Why a file and not a sled tree: a query must not pay for opening sled (its open replays a
//! log and syncs; measured at 3–80 ms, more than the whole query), and sled admits one process
//! at a time, so a reader holding it would turn writers away. A snapshot file is read by path
//! with no lock; it is written to a unique temporary name and renamed into place, so readers
//! and writers never see half of one. It is derived: a missing, stale, damaged or foreign
//! snapshot is ignored and the fold starts from zero.
//!
//! Layout: `CCMSNAP1` ‖ key length u16 LE ‖ key ‖ entries u64 LE ‖ journal bytes u64 LE ‖
//! last frame u64 LE ‖ hash of entry `entries - 1` (32) ‖ payload length u64 LE ‖ payload ‖
//! blake3 of everything before (32).

use std::fs;
use std::path::{Path, PathBuf};

use super::entry::EntryHash;

const MAGIC: &[u8; 8] = b"CCMSNAP1";

/// Derived state that can be kept in a snapshot. `decode(bytes, true)` may leave out what
/// only further folding needs (the answer can then be read but not extended).
pub trait Snapshotted: Sized {
    fn encode(&self) -> Vec<u8>;
    fn decode(bytes: &[u8], reading_only: bool) -> Option<Self>;
}

/// What a fold is for: reading the answer at once, or extending it (validating an append).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldFor {
    Reading,
    Extending,
}
pub const SNAPSHOT_FILE: &str = "projection.snapshot";

/// A snapshot valid for the first `entries` entries of a chain whose last hash is `hash`,
/// whose last frame starts at `last_frame` and ends at `journal_bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSnapshot {
    pub key: String,
    pub entries: u64,
    pub journal_bytes: u64,
    pub last_frame: u64,
    pub hash: EntryHash,
    pub payload: Vec<u8>,
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join(SNAPSHOT_FILE)
}

/// The snapshot in `dir`, if there is one that is whole (its checksum holds).
pub fn read(dir: &Path) -> Option<FileSnapshot> {
    let bytes = fs::read(path(dir)).ok()?;
    decode(&bytes)
}

fn decode(bytes: &[u8]) -> Option<FileSnapshot> {
    let body_len = bytes.len().checked_sub(32)?;
    let (body, sum) = bytes.split_at(body_len);
    if blake3::hash(body).as_bytes() != sum || !body.starts_with(MAGIC) {
        return None;
    }
    let mut at = MAGIC.len();
    let mut take = |n: usize| -> Option<&[u8]> {
        let slice = body.get(at..at.checked_add(n)?)?;
        at += n;
        Some(slice)
    };
    let key_len = u16::from_le_bytes(take(2)?.try_into().ok()?) as usize;
    let key = String::from_utf8(take(key_len)?.to_vec()).ok()?;
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("8 bytes"));
    let entries = word(take(8)?);
    let journal_bytes = word(take(8)?);
    let last_frame = word(take(8)?);
    let hash = EntryHash(take(32)?.try_into().ok()?);
    let payload_len = usize::try_from(word(take(8)?)).ok()?;
    let payload = take(payload_len)?.to_vec();
    (at == body.len()).then_some(FileSnapshot {
        key,
        entries,
        journal_bytes,
        last_frame,
        hash,
        payload,
    })
}

fn encode(snapshot: &FileSnapshot) -> Vec<u8> {
    let key = snapshot.key.as_bytes();
    let mut out = Vec::with_capacity(snapshot.payload.len() + key.len() + 100);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(key.len() as u16).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&snapshot.entries.to_le_bytes());
    out.extend_from_slice(&snapshot.journal_bytes.to_le_bytes());
    out.extend_from_slice(&snapshot.last_frame.to_le_bytes());
    out.extend_from_slice(&snapshot.hash.0);
    out.extend_from_slice(&(snapshot.payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&snapshot.payload);
    let sum = blake3::hash(&out);
    out.extend_from_slice(sum.as_bytes());
    out
}

/// Replaces the snapshot in `dir`. Not synced: a snapshot lost to a crash is only a lost
/// shortcut, and a torn one fails its checksum.
pub fn write(dir: &Path, snapshot: &FileSnapshot) -> std::io::Result<()> {
    let tmp = dir.join(format!(
        "{SNAPSHOT_FILE}.{}.{}.tmp",
        std::process::id(),
        time::OffsetDateTime::now_utc().unix_timestamp_nanos()
    ));
    fs::write(&tmp, encode(snapshot))?;
    fs::rename(&tmp, path(dir)).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> FileSnapshot {
        FileSnapshot {
            key: "projection-test".into(),
            entries: 7,
            journal_bytes: 1234,
            last_frame: 1100,
            hash: EntryHash([7; 32]),
            payload: b"state".to_vec(),
        }
    }

    #[test]
    fn a_snapshot_reads_back_and_any_damage_makes_it_unusable() {
        let bytes = encode(&snapshot());
        assert_eq!(decode(&bytes), Some(snapshot()));
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x10;
            assert_eq!(decode(&damaged), None, "byte {i}");
            assert_eq!(decode(&bytes[..i]), None, "cut at {i}");
        }
    }
}
