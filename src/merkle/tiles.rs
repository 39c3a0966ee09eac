//! The tree as tiles (c2sp.org/tlog-tiles): the layout and paths of hash tiles and entry
//! bundles, and the hashes each tile holds. Pure: the publication writes and reads the files.
//!
//! A tile at level `l` holds up to 256 consecutive hashes of that level; level 0 holds leaf
//! hashes, and hash `i` of level `l + 1` is the root of the full tile `i` of level `l` (the
//! perfect subtree of `256^(l+1)` leaves it spans). The tiles carry this ledger's BLAKE3 tree
//! hashes (`docs/FORMAT.md`), not RFC 6962's SHA-256: the layout and paths are C2SP's.

use super::{node_hash, TreeHash};

/// Hashes in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Bytes of a full tile.
pub const FULL_TILE_BYTES: usize = TILE_WIDTH as usize * 32;

/// One tile of a tree of some size: its level (`None` for an entry bundle), its index within
/// the level and its width (256 for a full tile, 1 to 255 for a partial one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    pub level: Option<u8>,
    pub index: u64,
    pub width: u64,
}

impl Tile {
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// `tile/<L>/<N>[.p/<W>]`, or `tile/entries/<N>[.p/<W>]` for an entry bundle.
    pub fn path(&self) -> String {
        let level = match self.level {
            Some(level) => level.to_string(),
            None => "entries".to_owned(),
        };
        let mut path = format!("tile/{level}/{}", encode_index(self.index));
        if !self.is_full() {
            path.push_str(&format!(".p/{}", self.width));
        }
        path
    }

    /// The range of this tile's hashes among its level's (`index · 256 ..`).
    pub fn hashes(&self) -> std::ops::Range<u64> {
        self.index * TILE_WIDTH..self.index * TILE_WIDTH + self.width
    }
}

/// A tile index as path elements of three digits, all but the last prefixed with `x`:
/// 1234067 is `x001/x234/067`, 5 is `005`.
pub fn encode_index(mut index: u64) -> String {
    let mut parts = vec![format!("{:03}", index % 1000)];
    index /= 1000;
    while index > 0 {
        parts.push(format!("x{:03}", index % 1000));
        index /= 1000;
    }
    parts.reverse();
    parts.join("/")
}

/// How many hashes level `level` has in the tree of `size` leaves: `size / 256^level`.
pub fn hashes_at_level(size: u64, level: u8) -> u64 {
    match 8u32.checked_mul(u32::from(level)) {
        Some(shift) if shift < 64 => size >> shift,
        _ => 0,
    }
}

/// The tiles at `level` of the tree of `size` leaves: the full ones, then the partial one if
/// the level's count is not a multiple of 256. Lazily: a checkpoint may claim any size.
pub fn tiles_at_level(size: u64, level: u8) -> impl Iterator<Item = Tile> {
    tiles_of(hashes_at_level(size, level), Some(level))
}

/// The entry bundles of the tree of `size` leaves (laid out as level 0), lazily.
pub fn entry_bundles(size: u64) -> impl Iterator<Item = Tile> {
    tiles_of(size, None)
}

fn tiles_of(count: u64, level: Option<u8>) -> impl Iterator<Item = Tile> {
    (0..count.div_ceil(TILE_WIDTH)).map(move |index| Tile {
        level,
        index,
        width: (count - index * TILE_WIDTH).min(TILE_WIDTH),
    })
}

/// Every hash tile of the tree of `size` leaves, level by level from 0, lazily.
pub fn hash_tiles(size: u64) -> impl Iterator<Item = Tile> {
    (0u8..)
        .take_while(move |&level| hashes_at_level(size, level) > 0)
        .flat_map(move |level| tiles_at_level(size, level))
}

/// The hashes of the level above `hashes`: the root of each full group of 256.
pub fn level_above(hashes: &[TreeHash]) -> Vec<TreeHash> {
    hashes
        .chunks_exact(TILE_WIDTH as usize)
        .map(perfect_root)
        .collect()
}

/// The root of a perfect subtree whose level-`k` nodes are `hashes` (a power-of-two count).
pub fn perfect_root(hashes: &[TreeHash]) -> TreeHash {
    debug_assert!(hashes.len().is_power_of_two());
    let mut level = hashes.to_vec();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|pair| node_hash(&pair[0], &pair[1]))
            .collect();
    }
    level[0]
}

/// The bytes of a tile: its hashes, back to back.
pub fn tile_bytes(hashes: &[TreeHash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

/// An entry bundle: each entry as a big-endian u16 length and its bytes. `None` if one is
/// longer than 65,535 bytes, which the format cannot hold.
pub fn bundle_bytes<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    for entry in entries {
        let len = u16::try_from(entry.len()).ok()?;
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.extend_from_slice(entry);
    }
    Some(bytes)
}

/// The entries of a bundle, in order; `Err(offset)` where the bytes stop making sense.
pub fn split_bundle(mut bytes: &[u8]) -> Result<Vec<&[u8]>, usize> {
    let total = bytes.len();
    let mut entries = Vec::new();
    while !bytes.is_empty() {
        let at = total - bytes.len();
        let [a, b, rest @ ..] = bytes else {
            return Err(at);
        };
        let len = usize::from(u16::from_be_bytes([*a, *b]));
        if rest.len() < len {
            return Err(at);
        }
        entries.push(&rest[..len]);
        bytes = &rest[len..];
    }
    Ok(entries)
}
