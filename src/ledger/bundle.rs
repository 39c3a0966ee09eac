//! Verification of an export ("a bundle") without the ledger: every line is turned back into
//! the entry it was exported from — the same encoding, so the same bytes and the same hash —
//! chained from entry 0, and the Merkle root computed over the hashes. What an outsider who
//! holds only the export and a signed checkpoint runs.

use crate::domain::jsonl::Line;
use crate::domain::Seq;
use crate::merkle::TreeHash;

use super::{prepare, Head, Recorder};
use crate::domain::EntryHash;
use crate::merkle::RootBuilder;

/// A bundle whose every line reproduces its exported hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleVerified {
    pub entries: u64,
    pub head: EntryHash,
    pub root: TreeHash,
    /// The root of the first `n` entries, for the `n` asked for (a checkpoint's size), when
    /// the bundle has that many.
    pub root_at: Option<(u64, TreeHash)>,
}

/// The first line of a bundle that does not reproduce its entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {seq} (line {line}): {problem}")]
pub struct BadEntry {
    pub line: usize,
    pub seq: Seq,
    pub problem: String,
}

/// Rebuilds every entry of `lines` (the parsed lines of an export, with their line numbers)
/// and checks its seq and hash; computes the head and the Merkle root, and the root of the
/// first `root_at` entries when asked.
pub fn verify_bundle(
    lines: &[(usize, Line)],
    root_at: Option<u64>,
) -> Result<BundleVerified, BadEntry> {
    let mut chain = Chain::new(root_at);
    for (number, line) in lines {
        chain.push(*number, line)?;
    }
    Ok(chain.finish())
}

/// An export checked one line at a time, chained from entry 0: what [`verify_bundle`] does,
/// for a reader that holds one line at a time (a publication's entry bundles).
pub struct Chain {
    head: Head,
    roots: RootBuilder,
    root_at: Option<u64>,
    at: Option<(u64, TreeHash)>,
}

impl Chain {
    /// An empty chain; the root of the first `root_at` entries is kept when they pass.
    pub fn new(root_at: Option<u64>) -> Chain {
        let roots = RootBuilder::new();
        let at = (root_at == Some(0)).then(|| (0, roots.root()));
        Chain {
            head: Head::empty(),
            roots,
            root_at,
            at,
        }
    }

    /// Rebuilds the next entry from `line` (line `number` of its file) and checks its seq and
    /// hash; returns its hash.
    pub fn push(&mut self, number: usize, line: &Line) -> Result<EntryHash, BadEntry> {
        let seq = Seq(self.head.entries);
        let bad = |problem: String| BadEntry {
            line: number,
            seq,
            problem,
        };
        let draft = &line.draft;
        let (Some(recorded_at), Some(recorded_by), Some(claimed_seq), Some(claimed_hash)) = (
            draft.recorded_at,
            draft.recorded_by.clone(),
            line.claimed_seq,
            line.claimed_hash.as_deref(),
        ) else {
            return Err(bad(
                "not an export line: seq, hash, recorded_at and recorded_by are all needed".into(),
            ));
        };
        if claimed_seq != seq {
            return Err(bad(format!(
                "the line says it is entry {claimed_seq} (a line was removed, added or moved)"
            )));
        }
        let recorder = Recorder {
            by: recorded_by,
            at: Some(recorded_at),
        };
        let prepared = prepare(self.head, std::slice::from_ref(draft), &recorder);
        let computed = prepared.head().hash;
        if claimed_hash != computed.to_hex() {
            return Err(bad(format!(
                "the line's entry hashes to {computed}, not the exported {claimed_hash} (the line was altered, or one before it)"
            )));
        }
        self.head = prepared.head();
        self.roots.push(&computed);
        if self.root_at == Some(self.head.entries) {
            self.at = Some((self.head.entries, self.roots.root()));
        }
        Ok(computed)
    }

    /// How many entries passed.
    pub fn entries(&self) -> u64 {
        self.head.entries
    }

    pub fn finish(self) -> BundleVerified {
        BundleVerified {
            entries: self.head.entries,
            head: self.head.hash,
            root: self.roots.root(),
            root_at: self.at,
        }
    }
}
