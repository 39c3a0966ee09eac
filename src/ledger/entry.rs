//! An entry of the ledger, its frozen binary encoding, and the hash chain.
//!
//! **Invariant:** the bytes an entry was written with are the bytes that are hashed and kept;
//! nothing re-encodes an old entry, so a later encoder cannot change an old hash.

use serde::{Deserialize, Serialize};

use crate::domain::{EntryHash, Event, Seq, Timestamp};

use super::schema_v1::EventV1;

/// The schema version written as the first byte of every new entry. Version 2 appended
/// `person`, `replaces` and `stagger` to `coordinator_elected`; an entry of version 1 is read
/// as [`StoredEntryV1`] (its event a [`super::schema_v1::EventV1`]) and upcast in
/// [`Entry::decode`], its bytes kept as they are. A version 3 gets its own stored struct and an
/// upcast from version 2 the same way.
pub const SCHEMA_VERSION: u8 = 2;

/// The oldest schema version this build reads.
pub const OLDEST_SCHEMA_VERSION: u8 = 1;

/// The context string of blake3's derive-key mode for entry hashes. Fixed forever: changing it
/// changes every hash.
pub const HASH_CONTEXT: &str = "ccm-ledger 2026-11-30 entry hash v1";

/// The largest encoded entry accepted when decoding, a guard against a damaged length field.
pub const MAX_ENTRY_BYTES: usize = 1 << 22;

/// The pinned bincode configuration: little-endian, variable-length integers, a size limit.
fn config() -> impl bincode::config::Config {
    bincode::config::standard()
        .with_little_endian()
        .with_variable_int_encoding()
        .with_limit::<MAX_ENTRY_BYTES>()
}

/// How an entry's hash is computed is the ledger's format (the identifier itself is the
/// domain's, [`EntryHash`]).
impl EntryHash {
    /// `hash(n) = blake3_derive_key(HASH_CONTEXT, hash(n-1) ‖ seq as u64 LE ‖ entry bytes)`.
    pub fn chain(prev: &EntryHash, seq: Seq, bytes: &[u8]) -> EntryHash {
        // Deriving the key from the context is a compression of its own, the same for every
        // entry: done once (a third of `verify`'s hashing). A hasher is made from that key
        // for each entry rather than cloned: a `Hasher` is ~1.9 KB, copied whole by a clone.
        use blake3::hazmat::{hash_derive_key_context, ContextKey, HasherExt};
        static CONTEXT_KEY: std::sync::OnceLock<ContextKey> = std::sync::OnceLock::new();
        let key = CONTEXT_KEY.get_or_init(|| hash_derive_key_context(HASH_CONTEXT));
        let mut hasher = blake3::Hasher::new_from_context_key(key);
        // The predecessor's hash and the seq in one update: one copy into the block buffer.
        let mut links = [0u8; 40];
        links[..32].copy_from_slice(&prev.0);
        links[32..].copy_from_slice(&seq.0.to_le_bytes());
        hasher.update(&links);
        hasher.update(bytes);
        EntryHash(*hasher.finalize().as_bytes())
    }
}

/// One entry of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: Seq,
    pub recorded_at: Timestamp,
    pub recorded_by: String,
    /// The reason given for recording the event despite a continuity-rule finding.
    pub override_reason: Option<String>,
    pub prev_hash: EntryHash,
    pub event: Event,
}

/// Version 1 of the stored form. Field order is the format; never reorder.
#[derive(Serialize, Deserialize)]
struct StoredEntryV1 {
    schema: u8,
    seq: u64,
    recorded_at: Timestamp,
    recorded_by: String,
    override_reason: Option<String>,
    prev_hash: [u8; 32],
    event: EventV1,
}

/// Version 2 of the stored form: version 1's fields, the event of today's [`Event`] (whose
/// `coordinator_elected` ends with `person`, `replaces`, `stagger`). Never reorder.
#[derive(Deserialize)]
struct StoredEntryV2 {
    /// Matched on the first byte before decoding; kept for the layout.
    _schema: u8,
    seq: u64,
    recorded_at: Timestamp,
    recorded_by: String,
    override_reason: Option<String>,
    prev_hash: [u8; 32],
    event: Event,
}

/// [`StoredEntryV2`] borrowed from an [`Entry`], for encoding without cloning the event.
/// Serde writes a reference exactly as the value, so the bytes are the same (the golden test
/// pins them).
#[derive(Serialize)]
struct StoredEntryV2Ref<'a> {
    schema: u8,
    seq: u64,
    recorded_at: Timestamp,
    recorded_by: &'a str,
    override_reason: Option<&'a str>,
    prev_hash: &'a [u8; 32],
    event: &'a Event,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the entry is empty")]
    Empty,
    #[error(
        "unknown schema version {0} (this build reads versions {OLDEST_SCHEMA_VERSION} to {SCHEMA_VERSION})"
    )]
    UnknownSchema(u8),
    #[error("the entry's bytes do not decode: {0}")]
    Malformed(String),
    #[error("{0} bytes are left over after the entry")]
    TrailingBytes(usize),
}

impl Entry {
    /// The bytes of this entry in the current schema. Only new entries are encoded; an old
    /// entry keeps the bytes it was read with.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        self.encode_into(&mut bytes);
        bytes
    }

    /// [`Self::encode`], appended to `out`: a writer frames its entries in one buffer
    /// instead of allocating (and growing) a vector for each.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let stored = StoredEntryV2Ref {
            schema: SCHEMA_VERSION,
            seq: self.seq.0,
            recorded_at: self.recorded_at,
            recorded_by: &self.recorded_by,
            override_reason: self.override_reason.as_deref(),
            prev_hash: &self.prev_hash.0,
            event: &self.event,
        };
        bincode::serde::encode_into_std_write(&stored, out, config())
            .expect("entries always encode");
    }

    /// Decodes an entry of any known schema version, upcast to the current one.
    pub fn decode(bytes: &[u8]) -> Result<Entry, DecodeError> {
        match bytes.first() {
            None => Err(DecodeError::Empty),
            Some(&1) => {
                let stored: StoredEntryV1 = decode_whole(bytes)?;
                Ok(Entry {
                    seq: Seq(stored.seq),
                    recorded_at: stored.recorded_at,
                    recorded_by: stored.recorded_by,
                    override_reason: stored.override_reason,
                    prev_hash: EntryHash(stored.prev_hash),
                    event: Event::from(stored.event),
                })
            }
            Some(&2) => {
                let stored: StoredEntryV2 = decode_whole(bytes)?;
                Ok(Entry {
                    seq: Seq(stored.seq),
                    recorded_at: stored.recorded_at,
                    recorded_by: stored.recorded_by,
                    override_reason: stored.override_reason,
                    prev_hash: EntryHash(stored.prev_hash),
                    event: stored.event,
                })
            }
            Some(&other) => Err(DecodeError::UnknownSchema(other)),
        }
    }

    /// The bytes of this entry as schema version 1 wrote them, when its event has a
    /// version-1 form: for tests of old ledgers.
    #[cfg(test)]
    pub(crate) fn encode_v1(&self) -> Option<Vec<u8>> {
        let stored = StoredEntryV1 {
            schema: 1,
            seq: self.seq.0,
            recorded_at: self.recorded_at,
            recorded_by: self.recorded_by.clone(),
            override_reason: self.override_reason.clone(),
            prev_hash: self.prev_hash.0,
            event: EventV1::downcast(&self.event)?,
        };
        Some(bincode::serde::encode_to_vec(&stored, config()).expect("entries always encode"))
    }
}

/// A stored entry of one version from the whole of `bytes`.
fn decode_whole<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let (stored, read): (T, usize) = bincode::serde::decode_from_slice(bytes, config())
        .map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if read != bytes.len() {
        return Err(DecodeError::TrailingBytes(bytes.len() - read));
    }
    Ok(stored)
}

/// What the chain needs of an entry: its seq and the hash it links to, read from its bytes
/// without decoding the rest (the strings and the event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Links {
    pub seq: Seq,
    pub prev_hash: EntryHash,
}

/// Encodes an event alone, with the entry's configuration: the identity used to find
/// duplicates.
pub fn event_fingerprint(event: &Event) -> [u8; 32] {
    // Encoded into a buffer kept per thread: every line of an import is fingerprinted, and a
    // vector allocated and grown for each was most of the cost.
    thread_local! {
        static BYTES: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BYTES.with_borrow_mut(|bytes| {
        bytes.clear();
        bincode::serde::encode_into_std_write(event, bytes, config())
            .expect("events always encode");
        *blake3::hash(bytes).as_bytes()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Date, StateCode, StateJoined};

    fn entry() -> Entry {
        Entry {
            seq: Seq(0),
            recorded_at: Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
            recorded_by: "test".into(),
            override_reason: None,
            prev_hash: EntryHash::GENESIS,
            event: Event::StateJoined(StateJoined {
                state: StateCode::new("NOR").unwrap(),
                name: "Norway".into(),
                effective: Date::parse("2010-08-01").unwrap(),
            }),
        }
    }

    #[test]
    fn an_entry_decodes_to_itself_and_starts_with_its_schema_version() {
        let bytes = entry().encode();
        assert_eq!(bytes[0], SCHEMA_VERSION);
        assert_eq!(Entry::decode(&bytes).unwrap(), entry());
    }

    #[test]
    fn damaged_bytes_never_panic_the_decoder() {
        let bytes = entry().encode();
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut damaged = bytes.clone();
                damaged[i] ^= flip;
                let _ = Entry::decode(&damaged);
            }
            let _ = Entry::decode(&bytes[..i]);
        }
        assert_eq!(
            Entry::decode(&[9, 1, 2]),
            Err(DecodeError::UnknownSchema(9))
        );
    }

    /// Version 2 appended three fields to `coordinator_elected`; an election of version 1
    /// reads with none of them, and one of version 2 keeps them.
    #[test]
    fn an_election_of_version_1_reads_without_the_fields_version_2_added() {
        use crate::domain::{BodyId, CoordinatorElected, Decision, MeetingId, Stagger};
        let election = |person: Option<&str>, stagger| {
            let mut e = entry();
            e.event = Event::CoordinatorElected(CoordinatorElected {
                body: BodyId::new("wg-a").unwrap(),
                state: StateCode::new("NOR").unwrap(),
                start: Date::parse("2011-09-16").unwrap(),
                end: None,
                decision: Decision {
                    meeting: MeetingId::new("2MSP").unwrap(),
                    date: Date::parse("2011-09-16").unwrap(),
                    document: None,
                    paragraph: None,
                },
                person: person.map(Into::into),
                replaces: StateCode::new("ECU").ok().filter(|_| person.is_some()),
                stagger,
            });
            e
        };
        let old = election(None, None);
        let v1 = old.encode_v1().expect("a version-1 form");
        assert_eq!(v1[0], 1);
        assert_eq!(Entry::decode(&v1).unwrap(), old);
        // Version 2 writes the three absent fields as three "none" bytes after version 1's.
        let v2 = old.encode();
        assert_eq!((v2[0], &v2[1..v2.len() - 3]), (2, &v1[1..]));
        assert_eq!(&v2[v2.len() - 3..], [0, 0, 0]);
        let new = election(Some("Steffen Kongstad"), Some(Stagger::Restore));
        assert_eq!(new.encode_v1(), None, "version 1 cannot hold them");
        assert_eq!(Entry::decode(&new.encode()).unwrap(), new);
    }

    #[test]
    fn the_hash_covers_the_predecessor_the_seq_and_the_bytes() {
        let bytes = entry().encode();
        let h = EntryHash::chain(&EntryHash::GENESIS, Seq(0), &bytes);
        assert_ne!(h, EntryHash::chain(&EntryHash([1; 32]), Seq(0), &bytes));
        assert_ne!(h, EntryHash::chain(&EntryHash::GENESIS, Seq(1), &bytes));
        assert_ne!(
            h,
            EntryHash::chain(&EntryHash::GENESIS, Seq(0), &bytes[1..])
        );
        assert_eq!(EntryHash::from_hex(&h.to_hex()), Some(h));
    }
}
