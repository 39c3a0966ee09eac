//! Signed notes (c2sp.org/signed-note) with Ed25519 keys, and the text forms of the keys
//! (those of Go's `golang.org/x/mod/sumdb/note`).
//!
//! ```text
//! verifier key:  <name>+<key id, 8 hex>+<base64(0x01 ‖ 32-byte public key)>
//! signer key:    PRIVATE+KEY+<name>+<key id, 8 hex>+<base64(0x01 ‖ 32-byte seed)>
//! key id:        first 4 bytes, big-endian, of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)
//! note:          <text ending in \n>\n— <name> <base64(key id BE ‖ 64-byte signature)>\n…
//! ```

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use super::hash::bytes_from_hex;

/// The signature type byte of Ed25519 in signed notes.
pub const ED25519_TYPE: u8 = 0x01;

/// The signature type byte of timestamped Ed25519 cosignatures in signed notes (kept with the
/// other key types, which messages name; `cosignature.rs` signs and verifies them).
pub const COSIGNATURE_TYPE: u8 = 0x04;
/// The largest note accepted.
pub const MAX_NOTE_BYTES: usize = 1 << 20;
/// The most signature lines accepted in one note (the spec asks for at least 16).
pub const MAX_SIGNATURES: usize = 100;

const SIGNATURE_PREFIX: &str = "\u{2014} ";
const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a key name must be non-empty, with no spaces, control characters or '+': {0:?}")]
    BadName(String),
    #[error("not a key in the form {0}")]
    Malformed(&'static str),
    #[error("the key's signature type is {found:#04x}, not {} ({wanted:#04x})", type_name(*.wanted))]
    WrongType { found: u8, wanted: u8 },
    #[error(
        "the key id {stated:08x} is not that of the key's name and public key ({computed:08x})"
    )]
    IdMismatch { stated: u32, computed: u32 },
    #[error("the public key is not a valid Ed25519 key")]
    InvalidPublicKey,
    #[error("the system's random number generator failed: {0}")]
    Random(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the note is larger than {MAX_NOTE_BYTES} bytes")]
    TooLarge,
    #[error("the note contains a control character other than newline")]
    ControlCharacter,
    #[error("the note text is empty or does not end with a newline")]
    BadText,
    #[error("the note is malformed: {0}")]
    Malformed(&'static str),
    #[error("the note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    #[error("the signature by {name} does not verify")]
    BadSignature { name: String },
    #[error("the note has no signature by the key {name}+{id:08x}")]
    NotSigned { name: String, id: u32 },
}

/// What a signature type byte means, for messages.
fn type_name(kind: u8) -> &'static str {
    match kind {
        ED25519_TYPE => "an Ed25519 log key",
        COSIGNATURE_TYPE => "an Ed25519 witness key (timestamped cosignature)",
        _ => "a known key type",
    }
}

/// Whether `name` may name a key: non-empty, no Unicode spaces, no `+`, no control characters.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '+')
}

/// `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[..4]`, big-endian.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    typed_key_id(name, ED25519_TYPE, public_key)
}

/// `SHA-256(name ‖ 0x0A ‖ type ‖ public key)[..4]`, big-endian: the key id of signed-note
/// keys of any signature type.
pub(super) fn typed_key_id(name: &str, kind: u8, public_key: &[u8; 32]) -> u32 {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update([b'\n', kind])
        .chain_update(public_key)
        .finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// A new key pair named `name`, from the operating system's random number generator.
pub fn generate_key(name: &str) -> Result<(SignerKey, VerifierKey), KeyError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
    let signer = SignerKey::from_seed(name, seed)?;
    let verifier = signer.verifier();
    Ok((signer, verifier))
}

/// A private key that signs notes. Its `Debug` form hides the secret.
#[derive(Clone)]
pub struct SignerKey {
    name: String,
    id: u32,
    key: SigningKey,
}

impl SignerKey {
    /// The key named `name` whose Ed25519 seed (RFC 8032 private key) is `seed`.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<SignerKey, KeyError> {
        if !is_valid_key_name(name) {
            return Err(KeyError::BadName(name.to_owned()));
        }
        let key = SigningKey::from_bytes(&seed);
        Ok(SignerKey {
            name: name.to_owned(),
            id: key_id(name, key.verifying_key().as_bytes()),
            key,
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<id>+<base64(0x01 ‖ seed)>` (one trailing newline allowed).
    pub fn parse(text: &str) -> Result<SignerKey, KeyError> {
        const FORM: &str = "PRIVATE+KEY+<name>+<8 hex>+<base64>";
        parse_private_key(text, FORM, ED25519_TYPE, SignerKey::from_seed, |s| s.id)
    }

    /// `PRIVATE+KEY+<name>+<id>+<base64(0x01 ‖ seed)>`, no newline.
    pub fn to_text(&self) -> String {
        format!(
            "{PRIVATE_KEY_PREFIX}{}+{:08x}+{}",
            self.name,
            self.id,
            encode_key(self.key.as_bytes())
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// The matching verifier key.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerKey")
            .field("name", &self.name)
            .field("id", &format_args!("{:08x}", self.id))
            .finish_non_exhaustive()
    }
}

/// A public key that verifies notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl VerifierKey {
    /// Parses `<name>+<id>+<base64(0x01 ‖ public key)>` (one trailing newline allowed).
    pub fn parse(text: &str) -> Result<VerifierKey, KeyError> {
        let (name, id, key) = parse_typed_key(text, "<name>+<8 hex>+<base64>", ED25519_TYPE)?;
        Ok(VerifierKey { name, id, key })
    }

    /// `<name>+<id>+<base64(0x01 ‖ public key)>`, no newline.
    pub fn to_text(&self) -> String {
        format!(
            "{}+{:08x}+{}",
            self.name,
            self.id,
            encode_key(self.key.as_bytes())
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.id
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

fn encode_key(key: &[u8; 32]) -> String {
    encode_typed_key(ED25519_TYPE, key)
}

/// `base64(type ‖ key)`, the last part of a key's text form.
pub(super) fn encode_typed_key(kind: u8, key: &[u8; 32]) -> String {
    let mut bytes = Vec::with_capacity(33);
    bytes.push(kind);
    bytes.extend_from_slice(key);
    BASE64.encode(bytes)
}

/// A public key's text `<name>+<id>+<base64(kind ‖ key)>` (one trailing newline allowed) of
/// signature type `kind`, checked: a valid name, the id its name and key give, a valid
/// Ed25519 point. What a log's and a witness's verifier keys share; `form` says which in errors.
pub(super) fn parse_typed_key(
    text: &str,
    form: &'static str,
    kind: u8,
) -> Result<(String, u32, VerifyingKey), KeyError> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let (name, stated, public) = split_key(text, form, kind)?;
    if !is_valid_key_name(name) {
        return Err(KeyError::BadName(name.to_owned()));
    }
    let computed = typed_key_id(name, kind, &public);
    if computed != stated {
        return Err(KeyError::IdMismatch { stated, computed });
    }
    let key = VerifyingKey::from_bytes(&public).map_err(|_| KeyError::InvalidPublicKey)?;
    Ok((name.to_owned(), computed, key))
}

/// A private key of signature type `kind`, `PRIVATE+KEY+<name>+<id>+<base64(kind ‖ seed)>`
/// (one trailing newline allowed): the signer `from_seed` makes, whose key id (`id`) must be
/// the one the text states. What a log's and a witness's private keys share.
pub(super) fn parse_private_key<T>(
    text: &str,
    form: &'static str,
    kind: u8,
    from_seed: impl FnOnce(&str, [u8; 32]) -> Result<T, KeyError>,
    id: impl FnOnce(&T) -> u32,
) -> Result<T, KeyError> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let rest = text
        .strip_prefix(PRIVATE_KEY_PREFIX)
        .ok_or(KeyError::Malformed(form))?;
    let (name, stated, seed) = split_key(rest, form, kind)?;
    let signer = from_seed(name, seed)?;
    let computed = id(&signer);
    if computed != stated {
        return Err(KeyError::IdMismatch { stated, computed });
    }
    Ok(signer)
}

/// Splits `<name>+<8 lowercase hex>+<base64(type ‖ 32 bytes)>` for a key of signature type
/// `wanted`; the base64 may hold `+`.
pub(super) fn split_key<'a>(
    text: &'a str,
    form: &'static str,
    wanted: u8,
) -> Result<(&'a str, u32, [u8; 32]), KeyError> {
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(KeyError::Malformed(form));
    };
    let id = bytes_from_hex::<4>(id).ok_or(KeyError::Malformed(form))?;
    let key = BASE64.decode(key).map_err(|_| KeyError::Malformed(form))?;
    match key.split_first() {
        Some((&kind, bytes)) if kind == wanted => {
            let bytes = bytes.try_into().map_err(|_| KeyError::Malformed(form))?;
            Ok((name, u32::from_be_bytes(id), bytes))
        }
        Some((&other, _)) => Err(KeyError::WrongType {
            found: other,
            wanted,
        }),
        None => Err(KeyError::Malformed(form)),
    }
}

fn check_characters(text: &str) -> Result<(), NoteError> {
    if text.len() > MAX_NOTE_BYTES {
        return Err(NoteError::TooLarge);
    }
    if text.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(NoteError::ControlCharacter);
    }
    Ok(())
}

/// Signs `text` (which ends with a newline): the text, a blank line, and the signature line.
pub fn sign_note(text: &str, key: &SignerKey) -> Result<String, NoteError> {
    check_characters(text)?;
    if !text.ends_with('\n') {
        return Err(NoteError::BadText);
    }
    let signature = key.key.sign(text.as_bytes());
    Ok(format!(
        "{text}\n{}",
        signature_line(&key.name, key.id, &signature.to_bytes())
    ))
}

/// One signature line of a note: `— <name> <base64(key id ‖ signature)>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureLine {
    pub name: String,
    pub id: u32,
    /// What follows the key id: the signature (for a cosignature, timestamp ‖ signature).
    pub signature: Vec<u8>,
    /// The line as written, without its newline.
    pub line: String,
}

/// Splits a note into its text (with the final newline, without the blank line) and its
/// signature lines, checking the note's form (characters, size, the blank line, each
/// signature line's form) but no signature.
pub fn split_note(note: &str) -> Result<(&str, Vec<SignatureLine>), NoteError> {
    check_characters(note)?;
    let split = note
        .rfind("\n\n")
        .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
    let (text, signatures) = (&note[..split + 1], &note[split + 2..]);
    let Some(signatures) = signatures.strip_suffix('\n') else {
        return Err(NoteError::Malformed(
            "the signatures do not end with a newline",
        ));
    };
    if signatures.split('\n').count() > MAX_SIGNATURES {
        return Err(NoteError::TooManySignatures);
    }
    let mut lines = Vec::new();
    for line in signatures.split('\n') {
        let rest = line
            .strip_prefix(SIGNATURE_PREFIX)
            .ok_or(NoteError::Malformed(
                "a signature line does not start with \"— \"",
            ))?;
        let (name, blob) = rest
            .split_once(' ')
            .ok_or(NoteError::Malformed("a signature line has no signature"))?;
        if !is_valid_key_name(name) {
            return Err(NoteError::Malformed("a signature line has a bad key name"));
        }
        let blob = BASE64
            .decode(blob)
            .map_err(|_| NoteError::Malformed("a signature is not base64"))?;
        if blob.len() < 5 {
            return Err(NoteError::Malformed("a signature is too short"));
        }
        lines.push(SignatureLine {
            name: name.to_owned(),
            id: u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]),
            signature: blob[4..].to_vec(),
            line: line.to_owned(),
        });
    }
    Ok((text, lines))
}

/// A signature line: `— <name> <base64(id ‖ signature)>` with its newline.
pub(super) fn signature_line(name: &str, id: u32, signature: &[u8]) -> String {
    let mut blob = Vec::with_capacity(4 + signature.len());
    blob.extend_from_slice(&id.to_be_bytes());
    blob.extend_from_slice(signature);
    format!("{SIGNATURE_PREFIX}{name} {}\n", BASE64.encode(blob))
}

/// Checks that `note` carries a valid signature by `key` and returns its text (with the final
/// newline, without the blank line). Signatures by other keys are ignored, as the spec asks;
/// a signature with `key`'s name and id that fails to verify rejects the note.
pub fn open_note<'a>(note: &'a str, key: &VerifierKey) -> Result<&'a str, NoteError> {
    let (text, lines) = split_note(note)?;
    let mut verified = false;
    for line in lines {
        if line.name != key.name || line.id != key.id {
            continue;
        }
        let bad = || NoteError::BadSignature {
            name: line.name.clone(),
        };
        let signature: [u8; 64] = line.signature.as_slice().try_into().map_err(|_| bad())?;
        key.key
            .verify_strict(text.as_bytes(), &Signature::from_bytes(&signature))
            .map_err(|_| bad())?;
        verified = true;
    }
    if !verified {
        return Err(NoteError::NotSigned {
            name: key.name.clone(),
            id: key.id,
        });
    }
    Ok(text)
}
