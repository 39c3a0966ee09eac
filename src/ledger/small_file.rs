//! Files that are parsed whole — keys, checkpoints, proofs, the ledger's config — read with a
//! size limit first (issue 13, item 7): `/dev/zero` or a 2 GB file given as a key is refused
//! after 1 MiB, not read until the memory runs out.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The largest such file read. A key is about a hundred bytes, a checkpoint a few hundred, a
/// proof of a ledger of 2^64 entries about 4 KB; signed notes are capped at the same 1 MiB.
pub const MAX_SMALL_FILE_BYTES: u64 = 1 << 20;

/// The text of `path`, or an `InvalidData` error if it holds more than
/// [`MAX_SMALL_FILE_BYTES`] (or is not UTF-8). Never holds more than the limit in memory.
pub fn read_small_text(path: &Path) -> io::Result<String> {
    let mut text = String::new();
    File::open(path)?
        .take(MAX_SMALL_FILE_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_SMALL_FILE_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {MAX_SMALL_FILE_BYTES} bytes; not read"),
        ));
    }
    Ok(text)
}
