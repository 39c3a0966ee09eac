//! The ledger as a static publication (c2sp.org/tlog-tiles layout): `checkpoint`, the hash
//! tiles `tile/<L>/<N>[.p/<W>]` and the entry bundles `tile/entries/<N>[.p/<W>]`, files any web
//! server can serve; and the reader that verifies one, from a directory or over HTTP.
//!
//! **Invariant:** a full tile is written once and never rewritten; the checkpoint is written
//! last, after every tile it needs is durable, so a reader never sees a checkpoint whose tiles
//! are missing.

mod read;

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

use crate::domain::EntryHash;
use crate::ledger::sync::{self, Durability};
use crate::merkle::tiles::{
    bundle_bytes, entry_bundles, level_above, tile_bytes, Tile, TILE_WIDTH,
};
use crate::merkle::{leaf_hash, TreeHash};

pub use read::{verify_published, FetchError, PublishedError, Source, Verified, LIMITS};

/// What a publication run wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Published {
    pub size: u64,
    /// Tiles and bundles written (new full ones and every partial one).
    pub written: usize,
    /// Full tiles and bundles already there, left untouched.
    pub kept: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("entry {seq}'s export line is {len} bytes; an entry bundle holds at most 65,535")]
    EntryTooLong { seq: u64, len: usize },
    #[error("{} holds a full tile unlike this ledger's (a publication of another history?): {path}; publish into an empty directory", dir.display())]
    Foreign { dir: PathBuf, path: String },
    #[error("the ledger gave {got} entries, {size} were to be published")]
    Short { got: u64, size: u64 },
    #[error("reading the ledger: {0}")]
    Ledger(String),
}

/// One entry to publish: its hash and its export line (without the newline).
pub struct PublishedEntry {
    pub hash: EntryHash,
    pub line: Vec<u8>,
}

/// Writes the tiles and bundles of the first `size` entries into `dir`, then `checkpoint`
/// (`note`, a signed checkpoint of exactly that tree). Full tiles and bundles wholly within
/// the first `trusted` entries (a checkpoint already published there, found to be a prefix of
/// this tree) are left as they are if present; other full ones already present are compared
/// byte for byte and left, or the publication is refused. Partial ones are always written.
pub fn publish<E: std::fmt::Display>(
    dir: &Path,
    note: &str,
    size: u64,
    trusted: u64,
    entries: impl Iterator<Item = Result<PublishedEntry, E>>,
) -> Result<Published, PublishError> {
    let mut writer = Writer {
        dir,
        trusted,
        done: Published {
            size,
            ..Published::default()
        },
        dirs: BTreeSet::new(),
    };
    let mut leaves: Vec<TreeHash> = Vec::with_capacity(size.min(1 << 24) as usize);
    let mut lines: Vec<Vec<u8>> = Vec::with_capacity(TILE_WIDTH as usize);
    let mut bundle = entry_bundles(size);
    for entry in entries.take(size as usize) {
        let entry = entry.map_err(|e| PublishError::Ledger(e.to_string()))?;
        let seq = leaves.len() as u64;
        if entry.line.len() > usize::from(u16::MAX) {
            return Err(PublishError::EntryTooLong {
                seq,
                len: entry.line.len(),
            });
        }
        leaves.push(leaf_hash(&entry.hash));
        lines.push(entry.line);
        if lines.len() as u64 == TILE_WIDTH || leaves.len() as u64 == size {
            let tile = bundle.next().expect("a bundle for every 256 entries");
            let bytes =
                bundle_bytes(lines.iter().map(Vec::as_slice)).expect("lengths checked above");
            writer.tile(&tile, &bytes)?;
            lines.clear();
        }
    }
    if leaves.len() as u64 != size {
        return Err(PublishError::Short {
            got: leaves.len() as u64,
            size,
        });
    }
    let mut hashes = leaves;
    let mut level = 0u8;
    while !hashes.is_empty() {
        for chunk_start in (0..hashes.len()).step_by(TILE_WIDTH as usize) {
            let chunk = &hashes[chunk_start..(chunk_start + TILE_WIDTH as usize).min(hashes.len())];
            let tile = Tile {
                level: Some(level),
                index: chunk_start as u64 / TILE_WIDTH,
                width: chunk.len() as u64,
            };
            writer.tile(&tile, &tile_bytes(chunk))?;
        }
        hashes = level_above(&hashes);
        level += 1;
    }
    // Every tile durable (files synced as written, their directories now), then the
    // checkpoint that points at them.
    for d in std::mem::take(&mut writer.dirs) {
        sync_dir(&d).map_err(|source| PublishError::Io { path: d, source })?;
    }
    write_atomically(&dir.join("checkpoint"), note.as_bytes()).map_err(|source| {
        PublishError::Io {
            path: dir.join("checkpoint"),
            source,
        }
    })?;
    Ok(writer.done)
}

struct Writer<'a> {
    dir: &'a Path,
    trusted: u64,
    done: Published,
    /// Directories written into, synced before the checkpoint.
    dirs: BTreeSet<PathBuf>,
}

impl Writer<'_> {
    fn tile(&mut self, tile: &Tile, bytes: &[u8]) -> Result<(), PublishError> {
        let relative = tile.path();
        let path = self.dir.join(&relative);
        let io_error = |source| PublishError::Io {
            path: path.clone(),
            source,
        };
        if tile.is_full() {
            let level = u32::from(tile.level.unwrap_or(0));
            // The entries a full tile spans end at (index + 1) · 256^(level + 1).
            let end = (tile.index + 1)
                .saturating_mul(TILE_WIDTH.checked_pow(level + 1).unwrap_or(u64::MAX));
            if end <= self.trusted && path.exists() {
                self.done.kept += 1;
                return Ok(());
            }
            match read_if_present(&path, bytes.len()).map_err(io_error)? {
                Some(existing) if existing == bytes => {
                    self.done.kept += 1;
                    return Ok(());
                }
                Some(_) => {
                    return Err(PublishError::Foreign {
                        dir: self.dir.to_owned(),
                        path: relative,
                    })
                }
                None => {}
            }
        }
        let parent = path.parent().expect("a tile path has a directory");
        fs::create_dir_all(parent).map_err(io_error)?;
        let name = path.file_name().expect("a tile path has a name");
        write_atomically(&parent.join(name), bytes).map_err(io_error)?;
        self.dirs.insert(parent.to_owned());
        self.done.written += 1;
        Ok(())
    }
}

/// The bytes of `path` if it exists (reading at most `expected + 1` bytes).
fn read_if_present(path: &Path, expected: usize) -> io::Result<Option<Vec<u8>>> {
    match File::open(path) {
        Ok(file) => {
            let mut bytes = Vec::with_capacity(expected);
            file.take(expected as u64 + 1).read_to_end(&mut bytes)?;
            Ok(Some(bytes))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes `path` whole or not at all: a temporary file beside it, synced, renamed over. A
/// reader (a web server) sees the old file or the new one, never a part; the directories are
/// synced together before the checkpoint is written.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    sync::write_atomically(path, Durability::FileSynced, |file| file.write_all(bytes))
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests;
