//! Witness cosignatures (c2sp.org/tlog-cosignature, the Ed25519 `cosignature/v1` type): a
//! witness's signature line on a log's checkpoint, saying that, at its timestamp, this is the
//! largest tree of that origin the witness has seen and checked to extend the ones before.
//!
//! ```text
//! witness verifier key:  <name>+<key id, 8 hex>+<base64(0x04 ‖ 32-byte public key)>
//! witness signer key:    PRIVATE+KEY+<name>+<key id>+<base64(0x04 ‖ 32-byte seed)>
//! key id:                first 4 bytes, big-endian, of SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)
//! signed message:        "cosignature/v1\n" ‖ "time <T, decimal>\n" ‖ the checkpoint's text
//! signature line:        — <name> <base64(key id ‖ u64 BE(T) ‖ 64-byte Ed25519 signature)>
//! ```
//!
//! The checkpoint's text is signed whole, extension lines included, as the spec asks.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

pub use super::note::COSIGNATURE_TYPE;
use super::note::{
    encode_typed_key, is_valid_key_name, parse_private_key, parse_typed_key, signature_line,
    split_note, typed_key_id, KeyError, NoteError,
};

/// The first line of the message a witness signs: domain separation.
const HEADER: &str = "cosignature/v1\n";
/// A cosignature's bytes after the key id: the timestamp, then the signature.
const COSIGNATURE_BYTES: usize = 8 + 64;

/// The message a `cosignature/v1` cosignature signs: the header, the time line and the
/// checkpoint's whole text (ending in a newline, without the blank line or any signature).
pub fn cosigned_message(timestamp: u64, text: &str) -> String {
    format!("{HEADER}time {timestamp}\n{text}")
}

/// The timestamp a line claims, if it is shaped as a timestamped Ed25519 cosignature (not
/// verified: for listing who cosigned; [`WitnessKey::verify`] checks).
pub fn cosignature_timestamp(line: &super::SignatureLine) -> Option<u64> {
    let bytes: &[u8; COSIGNATURE_BYTES] = line.signature.as_slice().try_into().ok()?;
    Some(u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes")))
}

/// A witness's private key. Its `Debug` form hides the secret.
#[derive(Clone)]
pub struct WitnessSigner {
    name: String,
    id: u32,
    key: SigningKey,
}

/// A witness's public key: what a verifier names with `--witness`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessKey {
    name: String,
    id: u32,
    key: VerifyingKey,
}

/// Why a witness's cosignature on a checkpoint does not count.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error("the witness {name} did not cosign it (no signature line with its name and key id)")]
    Absent { name: String },
    #[error("the cosignature by {name} does not verify")]
    Bad { name: String },
}

/// A new witness key pair named `name`, from the operating system's random number generator.
pub fn generate_witness_key(name: &str) -> Result<(WitnessSigner, WitnessKey), KeyError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
    let signer = WitnessSigner::from_seed(name, seed)?;
    let key = signer.verifier();
    Ok((signer, key))
}

impl WitnessSigner {
    /// The witness key named `name` whose Ed25519 seed is `seed`.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<WitnessSigner, KeyError> {
        if !is_valid_key_name(name) {
            return Err(KeyError::BadName(name.to_owned()));
        }
        let key = SigningKey::from_bytes(&seed);
        Ok(WitnessSigner {
            name: name.to_owned(),
            id: typed_key_id(name, COSIGNATURE_TYPE, key.verifying_key().as_bytes()),
            key,
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<id>+<base64(0x04 ‖ seed)>` (one trailing newline allowed).
    pub fn parse(text: &str) -> Result<WitnessSigner, KeyError> {
        const FORM: &str = "PRIVATE+KEY+<name>+<8 hex>+<base64(0x04 ‖ seed)>";
        parse_private_key(
            text,
            FORM,
            COSIGNATURE_TYPE,
            WitnessSigner::from_seed,
            |s| s.id,
        )
    }

    /// `PRIVATE+KEY+<name>+<id>+<base64(0x04 ‖ seed)>`, no newline.
    pub fn to_text(&self) -> String {
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            encode_typed_key(COSIGNATURE_TYPE, self.key.as_bytes())
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn verifier(&self) -> WitnessKey {
        WitnessKey {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// The cosignature line (with its newline) on the checkpoint text `text`, at `timestamp`
    /// (POSIX seconds, at most 2^63 - 1 as the spec asks: larger values are clamped).
    pub fn cosign(&self, text: &str, timestamp: u64) -> String {
        let timestamp = timestamp.min(i64::MAX as u64);
        let signature = self.key.sign(cosigned_message(timestamp, text).as_bytes());
        let mut bytes = Vec::with_capacity(COSIGNATURE_BYTES);
        bytes.extend_from_slice(&timestamp.to_be_bytes());
        bytes.extend_from_slice(&signature.to_bytes());
        signature_line(&self.name, self.id, &bytes)
    }
}

impl std::fmt::Debug for WitnessSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WitnessSigner")
            .field("name", &self.name)
            .field("id", &format_args!("{:08x}", self.id))
            .finish_non_exhaustive()
    }
}

impl WitnessKey {
    /// Parses `<name>+<id>+<base64(0x04 ‖ public key)>` (one trailing newline allowed).
    pub fn parse(text: &str) -> Result<WitnessKey, KeyError> {
        let (name, id, key) = parse_typed_key(
            text,
            "<name>+<8 hex>+<base64(0x04 ‖ public key)>",
            COSIGNATURE_TYPE,
        )?;
        Ok(WitnessKey { name, id, key })
    }

    /// `<name>+<id>+<base64(0x04 ‖ public key)>`, no newline.
    pub fn to_text(&self) -> String {
        format!(
            "{}+{:08x}+{}",
            self.name,
            self.id,
            encode_typed_key(COSIGNATURE_TYPE, self.key.as_bytes())
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// The timestamp of this witness's valid cosignature on `note`. As signed-note asks, a
    /// line with this witness's name and key id that does not verify rejects the note, even
    /// beside one that does.
    pub fn verify(&self, note: &str) -> Result<u64, CosignatureError> {
        let (text, lines) = split_note(note)?;
        let mut newest = None;
        for line in lines {
            if line.name != self.name || line.id != self.id {
                continue;
            }
            let bad = || CosignatureError::Bad {
                name: self.name.clone(),
            };
            let bytes: &[u8; COSIGNATURE_BYTES] =
                line.signature.as_slice().try_into().map_err(|_| bad())?;
            let (timestamp, signature) = bytes.split_at(8);
            let timestamp = u64::from_be_bytes(timestamp.try_into().expect("8 bytes"));
            let signature = Signature::from_bytes(signature.try_into().expect("64 bytes"));
            if timestamp > i64::MAX as u64 {
                return Err(bad());
            }
            self.key
                .verify_strict(cosigned_message(timestamp, text).as_bytes(), &signature)
                .map_err(|_| bad())?;
            newest = newest.max(Some(timestamp));
        }
        newest.ok_or_else(|| CosignatureError::Absent {
            name: self.name.clone(),
        })
    }
}

impl std::fmt::Display for WitnessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// `note` with the signature lines of `others` (notes of the same text) that it does not
/// hold yet, in order. Only lines shaped as timestamped Ed25519 cosignatures are taken, and
/// never one with the name and key id of a line already there: merging cannot add a second
/// signature under the log's key, nor replace anyone's. Fails if another note's text differs
/// (a cosignature of another tree) or the result would exceed the signature limit.
pub fn merge_cosignatures(note: &str, others: &[&str]) -> Result<(String, usize), MergeError> {
    let (text, lines) = split_note(note)?;
    let mut merged = note.to_owned();
    let mut held: Vec<(String, u32)> = lines.into_iter().map(|l| (l.name, l.id)).collect();
    let mut added = 0;
    for (index, other) in others.iter().enumerate() {
        let (other_text, other_lines) = split_note(other)?;
        if other_text != text {
            return Err(MergeError::OtherTree { index });
        }
        for line in other_lines {
            let is_cosignature = line.signature.len() == COSIGNATURE_BYTES;
            if !is_cosignature || held.contains(&(line.name.clone(), line.id)) {
                continue;
            }
            merged.push_str(&line.line);
            merged.push('\n');
            held.push((line.name, line.id));
            added += 1;
        }
    }
    split_note(&merged)?;
    Ok((merged, added))
}

/// Why cosigned copies could not be merged into a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error("cosigned copy {} is of another checkpoint text (another tree, or another size)", .index + 1)]
    OtherTree { index: usize },
}
