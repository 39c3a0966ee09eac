//! The ledger's small text configuration (`config` in the ledger directory) and the signed
//! checkpoint it may ask for after every append.
//!
//! ```text
//! # ccm-ledger configuration
//! origin ccm-ledger/isu
//! sign-with /home/isu/keys/isu.key
//! ```
//!
//! `origin` names the ledger in its checkpoints (c2sp.org/tlog-checkpoint); `sign-with` is a
//! signer key file (relative paths are relative to the ledger directory). A ledger without
//! the file has the origin `ccm-ledger/<directory name>` and signs nothing.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use crate::merkle::{is_valid_key_name, sign, Checkpoint, SignerKey};

use super::{sync, LedgerError};

pub const CONFIG_FILE: &str = "config";
/// The latest signed checkpoint, replaced atomically after each append when `sign-with` is set.
pub const CHECKPOINT_FILE: &str = "checkpoint";
/// The prefix of origins given as a bare name.
pub const ORIGIN_PREFIX: &str = "ccm-ledger/";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The checkpoint origin, a valid signed-note key name.
    pub origin: String,
    /// The signer key to sign a checkpoint with after every append.
    pub sign_with: Option<PathBuf>,
}

impl Config {
    /// The configuration of a ledger in `dir` that has no `config` file.
    pub fn default_for(dir: &Path) -> Config {
        let absolute = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
        let name = absolute
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name: String = name
            .chars()
            .map(|c| {
                if c.is_whitespace() || c.is_control() || c == '+' {
                    '-'
                } else {
                    c
                }
            })
            .collect();
        let name = if name.is_empty() {
            "ledger".to_owned()
        } else {
            name
        };
        Config {
            origin: format!("{ORIGIN_PREFIX}{name}"),
            sign_with: None,
        }
    }

    /// Reads `dir/config`, or the default when there is none.
    pub fn read(dir: &Path) -> Result<Config, LedgerError> {
        let path = dir.join(CONFIG_FILE);
        match super::small_file::read_small_text(&path) {
            Ok(text) => Config::parse(&text, dir).map_err(|detail| LedgerError::Config {
                path: path.clone(),
                detail,
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Config::default_for(dir)),
            Err(source) => Err(LedgerError::Io { path, source }),
        }
    }

    fn parse(text: &str, dir: &Path) -> Result<Config, String> {
        let mut config = Config::default_for(dir);
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = line.split_once(' ').unwrap_or((line, ""));
            let value = value.trim();
            match key {
                "origin" => config.origin = origin_from_name(value)?,
                "sign-with" if !value.is_empty() => {
                    config.sign_with = Some(dir.join(value));
                }
                "sign-with" => return Err(format!("line {}: sign-with needs a path", i + 1)),
                other => {
                    return Err(format!(
                        "line {}: unknown setting {other:?} (known: origin, sign-with)",
                        i + 1
                    ))
                }
            }
        }
        Ok(config)
    }

    fn render(&self) -> String {
        let mut text = format!("# ccm-ledger configuration\norigin {}\n", self.origin);
        if let Some(key) = &self.sign_with {
            text.push_str(&format!("sign-with {}\n", key.display()));
        }
        text
    }

    /// Writes `dir/config`, replacing it atomically.
    pub fn write(&self, dir: &Path) -> Result<(), LedgerError> {
        replace_file(dir, CONFIG_FILE, self.render().as_bytes())
            .map_err(LedgerError::io(dir.join(CONFIG_FILE)))
    }
}

/// The origin for a ledger name: `ccm-ledger/NAME`, or NAME itself when it has a `/` in it
/// already (`example.org/ccm`). It must be a valid signed-note key name.
pub fn origin_from_name(name: &str) -> Result<String, String> {
    let origin = if name.contains('/') {
        name.to_owned()
    } else {
        format!("{ORIGIN_PREFIX}{name}")
    };
    if name.is_empty() || !is_valid_key_name(&origin) {
        return Err(format!(
            "{name:?} cannot name a ledger: it must be non-empty, without spaces, '+' or control characters"
        ));
    }
    Ok(origin)
}

/// The most a checkpoint file may hold: a note of four lines and a few signatures.
pub const MAX_CHECKPOINT_BYTES: u64 = 64 * 1024;

/// The checkpoint in the ledger's `checkpoint` file, as the ledger last signed it: its body
/// parsed, the signature not checked. What it is used for — does the journal still extend it?
/// — holds whoever signed it (a key changed since still signed this tree), and a forged file
/// can only stop writers, never make a rewritten journal pass. `Ok(None)`: there is none.
/// `Err`: it is there but unreadable or malformed, so it cannot serve as evidence.
pub fn read_own_checkpoint(dir: &Path) -> Result<Option<Checkpoint>, String> {
    use std::io::Read;
    let path = dir.join(CHECKPOINT_FILE);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let mut text = String::new();
    file.take(MAX_CHECKPOINT_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    if text.len() as u64 > MAX_CHECKPOINT_BYTES {
        return Err(format!("larger than {MAX_CHECKPOINT_BYTES} bytes"));
    }
    let body = text
        .find("\n\n")
        .map(|at| &text[..at + 1])
        .ok_or("no blank line before the signatures")?;
    Checkpoint::parse_body(body)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Reads a signer key file.
pub fn read_signer_key(path: &Path) -> Result<SignerKey, LedgerError> {
    let key = |detail: String| LedgerError::Key {
        path: path.to_owned(),
        detail,
    };
    let text = super::small_file::read_small_text(path).map_err(|e| key(e.to_string()))?;
    SignerKey::parse(&text).map_err(|e| key(e.to_string()))
}

/// Why the signer key file at `path` is exposed, if it is: readable or writable by its group
/// or by others (anyone who can read it can sign checkpoints as the ledger), as ssh warns.
pub fn key_exposure(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "the signing key {} is readable by others (mode {mode:04o}): whoever can read it can sign checkpoints as this ledger; `chmod 600` it",
            path.display()
        )
    })
}

/// The signed note of `checkpoint` by the key in `key_file`, which must be named as the
/// checkpoint's origin: a verifier checks a checkpoint's signature under the origin's name,
/// so a key of another name signs what no one will find.
pub fn sign_checkpoint(checkpoint: &Checkpoint, key_file: &Path) -> Result<String, LedgerError> {
    let key = read_signer_key(key_file)?;
    if key.name() != checkpoint.origin {
        return Err(LedgerError::Key {
            path: key_file.to_owned(),
            detail: format!(
                "it is the key {}, but this ledger's origin (the name its checkpoints are signed under) is {}; sign with the ledger's own key",
                key.name(),
                checkpoint.origin
            ),
        });
    }
    sign(checkpoint, &key).map_err(|e| LedgerError::Key {
        path: key_file.to_owned(),
        detail: e.to_string(),
    })
}

/// Keeps `note` (a checkpoint signed for the ledger in `dir`) as its latest checkpoint, which
/// `checkpoint`, `report --html` and the writers' consistency check read.
pub fn keep_checkpoint(dir: &Path, note: &str) -> Result<(), LedgerError> {
    replace_file(dir, CHECKPOINT_FILE, note.as_bytes())
        .map_err(LedgerError::io(dir.join(CHECKPOINT_FILE)))
}

/// Replaces `dir/name` atomically: a temporary file, synced, renamed over it. Derived files
/// only, so the directory is not synced: after a crash the old file or the new one is there.
pub(super) fn replace_file(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    sync::write_atomically(&dir.join(name), sync::Durability::FileSynced, |file| {
        file.write_all(bytes)
    })
}
