//! Reading a publication back and verifying all of it: the checkpoint's signature, every entry
//! rebuilt from its export line and chained from entry 0, every tile against the hashes
//! recomputed from the entries, and the root against the checkpoint.

use std::io::{self, Read as _, Write};
use std::path::PathBuf;
use std::time::Duration;

use crate::domain::jsonl::parse_line;
use crate::ledger::bundle::Chain;
use crate::merkle::tiles::{
    entry_bundles, level_above, split_bundle, tiles_at_level, Tile, FULL_TILE_BYTES, TILE_WIDTH,
};
use crate::merkle::{
    leaf_hash, parse_and_verify, Checkpoint, CheckpointError, TreeHash, VerifierKey,
};

/// The most bytes read for each kind of file: a download larger than this is refused.
pub struct Limits {
    pub checkpoint: u64,
    pub tile: u64,
    pub bundle: u64,
}

/// A checkpoint is a signed note (1 MiB at most); a tile 256 hashes; a bundle 256 entries of
/// at most 65,535 bytes, each with its 2-byte length.
pub const LIMITS: Limits = Limits {
    checkpoint: crate::merkle::MAX_NOTE_BYTES as u64,
    tile: FULL_TILE_BYTES as u64,
    bundle: TILE_WIDTH * (2 + u16::MAX as u64),
};

/// Where a publication is read from.
pub enum Source {
    Directory(PathBuf),
    /// `http://` (and `https://` when built with the `https` feature): the URL with a final `/`.
    Http {
        base: String,
        agent: ureq::Agent,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{what}: not found")]
    Missing { what: String },
    #[error("{what}: larger than {limit} bytes")]
    TooLarge { what: String, limit: u64 },
    #[error("{what}: {detail}")]
    Failed { what: String, detail: String },
    /// An `https://` location, and this build has no TLS (the `https` feature).
    #[error("{what}: this build reads http:// only")]
    NoTls { what: String },
}

impl Source {
    /// A directory, or an `http(s)://` URL.
    pub fn new(location: &str) -> Source {
        if location.starts_with("http://") || location.starts_with("https://") {
            let mut base = location.to_owned();
            if !base.ends_with('/') {
                base.push('/');
            }
            let config = ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(60)))
                .max_redirects(5)
                .http_status_as_error(false)
                .build();
            Source::Http {
                base,
                agent: config.new_agent(),
            }
        } else {
            Source::Directory(PathBuf::from(location))
        }
    }

    /// Where `path` is, for messages.
    pub fn name(&self, path: &str) -> String {
        match self {
            Source::Directory(dir) => dir.join(path).display().to_string(),
            Source::Http { base, .. } => format!("{base}{path}"),
        }
    }

    /// The bytes at `path` (relative to the publication), at most `limit` of them.
    pub fn get(&self, path: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        let what = self.name(path);
        let too_large = || FetchError::TooLarge {
            what: what.clone(),
            limit,
        };
        match self {
            Source::Directory(dir) => {
                let file = std::fs::File::open(dir.join(path)).map_err(|e| match e.kind() {
                    io::ErrorKind::NotFound => FetchError::Missing { what: what.clone() },
                    _ => FetchError::Failed {
                        what: what.clone(),
                        detail: e.to_string(),
                    },
                })?;
                let mut bytes = Vec::new();
                file.take(limit + 1)
                    .read_to_end(&mut bytes)
                    .map_err(|e| FetchError::Failed {
                        what: what.clone(),
                        detail: e.to_string(),
                    })?;
                if bytes.len() as u64 > limit {
                    return Err(too_large());
                }
                Ok(bytes)
            }
            Source::Http { base, .. }
                if base.starts_with("https://") && !cfg!(feature = "https") =>
            {
                Err(FetchError::NoTls { what })
            }
            Source::Http { base, agent } => {
                let failed = |detail: String| FetchError::Failed {
                    what: what.clone(),
                    detail,
                };
                let mut response = agent
                    .get(&format!("{base}{path}"))
                    .header("Accept-Encoding", "identity")
                    .call()
                    .map_err(|e| failed(e.to_string()))?;
                match response.status().as_u16() {
                    200 => {}
                    404 | 410 => return Err(FetchError::Missing { what }),
                    code => return Err(failed(format!("HTTP status {code}"))),
                }
                response
                    .body_mut()
                    .with_config()
                    .limit(limit)
                    .read_to_vec()
                    .map_err(|e| match e {
                        ureq::Error::BodyExceedsLimit(_) => too_large(),
                        e => failed(e.to_string()),
                    })
            }
        }
    }
}

/// A publication that verified.
#[derive(Debug, Clone)]
pub struct Verified {
    pub checkpoint: Checkpoint,
    /// The checkpoint as published (with any cosignatures).
    pub note: String,
    pub head: crate::domain::EntryHash,
    pub tiles: usize,
    pub bundles: usize,
    /// Every entry's hash, in order (a witness computes its consistency proof from them).
    pub entry_hashes: Vec<crate::domain::EntryHash>,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishedError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{what}: {source}")]
    Checkpoint {
        what: String,
        source: CheckpointError,
    },
    #[error("{what}: not an entry bundle: the bytes stop making sense at byte {offset}")]
    BundleForm { what: String, offset: usize },
    #[error("{what}: holds {found} entries, the checkpoint's tree needs {expected} there")]
    BundleCount {
        what: String,
        found: usize,
        expected: u64,
    },
    #[error("{what}: entry {seq}: {problem}")]
    Entry {
        what: String,
        seq: u64,
        problem: String,
    },
    #[error("{what}: {problem}")]
    Tile { what: String, problem: String },
    #[error("the entries' Merkle root at size {size} is {computed}, but {what} signed {signed}")]
    Root {
        what: String,
        size: u64,
        computed: TreeHash,
        signed: TreeHash,
    },
    #[error("the older checkpoint (size {old}) is larger than the published one (size {new}): the publication rolled back")]
    SinceLarger { old: u64, new: u64 },
    #[error("the published entries' root at size {size} is {computed}, but the older checkpoint signed {signed}: history was rewritten since")]
    SinceRewritten {
        size: u64,
        computed: TreeHash,
        signed: TreeHash,
    },
    #[error("the older checkpoint is of {old}, the published one of {new}")]
    SinceOrigin { old: String, new: String },
    #[error("writing the verified entries: {0}")]
    Out(io::Error),
}

impl PublishedError {
    /// Whether the publication failed to verify (rather than could not be read at all).
    pub fn is_verification(&self) -> bool {
        !matches!(
            self,
            PublishedError::Fetch(FetchError::Failed { .. } | FetchError::NoTls { .. })
                | PublishedError::Out(_)
        )
    }
}

/// Fetches and verifies the publication at `source` against the log's `key`: the checkpoint,
/// every entry bundle (each line rebuilt and chained from entry 0), every hash tile (against
/// the hashes recomputed from the entries), the root. With `since` (a verified older
/// checkpoint), the tree at its size must have its root. Each verified export line is written
/// to `out`, with a newline, as it passes (the caller keeps it only if everything does).
pub fn verify_published(
    source: &Source,
    key: &VerifierKey,
    since: Option<&Checkpoint>,
    mut out: Option<&mut dyn Write>,
) -> Result<Verified, PublishedError> {
    let what = source.name("checkpoint");
    let note = source.get("checkpoint", LIMITS.checkpoint)?;
    let note = String::from_utf8(note).map_err(|_| PublishedError::Checkpoint {
        what: what.clone(),
        source: CheckpointError::Malformed("not UTF-8"),
    })?;
    let checkpoint = parse_and_verify(&note, key).map_err(|source| PublishedError::Checkpoint {
        what: what.clone(),
        source,
    })?;
    if let Some(old) = since {
        if old.origin != checkpoint.origin {
            return Err(PublishedError::SinceOrigin {
                old: old.origin.clone(),
                new: checkpoint.origin.clone(),
            });
        }
        if old.size > checkpoint.size {
            return Err(PublishedError::SinceLarger {
                old: old.size,
                new: checkpoint.size,
            });
        }
    }
    let size = checkpoint.size;

    // Every entry, bundle by bundle: rebuilt from its line, chained, its leaf kept.
    let mut chain = Chain::new(since.map(|c| c.size));
    let mut leaves: Vec<TreeHash> = Vec::new();
    let mut entry_hashes = Vec::new();
    let mut bundles = 0;
    for tile in entry_bundles(size) {
        bundles += 1;
        let path = tile.path();
        let what = source.name(&path);
        let bytes = source.get(&path, LIMITS.bundle)?;
        let entries = split_bundle(&bytes).map_err(|offset| PublishedError::BundleForm {
            what: what.clone(),
            offset,
        })?;
        if entries.len() as u64 != tile.width {
            return Err(PublishedError::BundleCount {
                what,
                found: entries.len(),
                expected: tile.width,
            });
        }
        for (i, entry) in entries.iter().enumerate() {
            let seq = tile.index * TILE_WIDTH + i as u64;
            let bad = |problem: String| PublishedError::Entry {
                what: what.clone(),
                seq,
                problem,
            };
            let text = std::str::from_utf8(entry).map_err(|_| bad("not UTF-8".into()))?;
            let line = parse_line(text).map_err(|e| bad(format!("not an export line: {e}")))?;
            let hash = chain
                .push(i + 1, &line)
                .map_err(|e| bad(e.problem.clone()))?;
            leaves.push(leaf_hash(&hash));
            entry_hashes.push(hash);
            if let Some(out) = out.as_deref_mut() {
                out.write_all(entry)
                    .and_then(|()| out.write_all(b"\n"))
                    .map_err(PublishedError::Out)?;
            }
        }
    }
    let verified = chain.finish();

    // Every hash tile, level by level, against the hashes the entries give.
    let mut tiles = 0;
    let mut hashes = leaves;
    let mut level = 0u8;
    while !hashes.is_empty() {
        for tile in tiles_at_level(size, level) {
            check_tile(source, &tile, &hashes)?;
            tiles += 1;
        }
        hashes = level_above(&hashes);
        level += 1;
    }
    if verified.root != checkpoint.root {
        return Err(PublishedError::Root {
            what,
            size,
            computed: verified.root,
            signed: checkpoint.root,
        });
    }
    if let Some(old) = since {
        let computed = verified
            .root_at
            .map(|(_, root)| root)
            .expect("old size <= size");
        if computed != old.root {
            return Err(PublishedError::SinceRewritten {
                size: old.size,
                computed,
                signed: old.root,
            });
        }
    }
    Ok(Verified {
        checkpoint,
        note,
        head: verified.head,
        tiles,
        bundles,
        entry_hashes,
    })
}

/// Fetches `tile` and checks it holds exactly the hashes its range of `hashes` gives.
fn check_tile(source: &Source, tile: &Tile, hashes: &[TreeHash]) -> Result<(), PublishedError> {
    let path = tile.path();
    let what = source.name(&path);
    let bytes = source.get(&path, LIMITS.tile)?;
    let range = tile.hashes();
    let expected = &hashes[range.start as usize..range.end as usize];
    if bytes.len() != expected.len() * 32 {
        return Err(PublishedError::Tile {
            what,
            problem: format!(
                "{} bytes, a tile of width {} has {}",
                bytes.len(),
                tile.width,
                expected.len() * 32
            ),
        });
    }
    for (i, (got, want)) in bytes.chunks_exact(32).zip(expected).enumerate() {
        if got != want.0 {
            return Err(PublishedError::Tile {
                what,
                problem: format!(
                    "hash {i} (level {}, index {}) is not the one the entries give ({want})",
                    tile.level.unwrap_or(0),
                    range.start + i as u64
                ),
            });
        }
    }
    Ok(())
}
