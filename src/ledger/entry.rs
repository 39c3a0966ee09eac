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
        let stored = StoredEntryV2Ref {
            schema: SCHEMA_VERSION,
            seq: self.seq.0,
            recorded_at: self.recorded_at,
            recorded_by: &self.recorded_by,
            override_reason: self.override_reason.as_deref(),
            prev_hash: &self.prev_hash.0,
            event: &self.event,
        };
        bincode::serde::encode_to_vec(&stored, config()).expect("entries always encode")
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

impl Links {
    /// Reads the seq and the predecessor's hash of an encoded entry of any known schema.
    ///
    /// Agrees with [`Entry::decode`]: when the entry decodes, these are its `seq` and
    /// `prev_hash`; when this fails, so does decoding (it is no stricter). It reads the fields
    /// before `prev_hash` as bincode does (varints, a string's length and UTF-8, an option's
    /// tag), but neither the event nor the fields after it, so an entry whose event is damaged
    /// can still have links: only decoding tells that (property-tested in this module).
    pub fn read(bytes: &[u8]) -> Result<Links, DecodeError> {
        match bytes.first() {
            None => Err(DecodeError::Empty),
            // Versions 1 and 2 differ only in the event, after the links.
            Some(&(OLDEST_SCHEMA_VERSION..=SCHEMA_VERSION)) => {
                let mut at = Cursor { bytes, at: 1 };
                let seq = at.varint()?;
                // Zigzag, as bincode writes a signed integer.
                // The record time (zigzag seconds, nanoseconds): checked only by decoding.
                at.varint()?;
                u32::try_from(at.varint()?).map_err(|_| {
                    DecodeError::Malformed(
                        "the record time's nanoseconds do not fit 32 bits".into(),
                    )
                })?;
                at.string()?;
                match at.take(1)?[0] {
                    0 => {}
                    1 => at.string()?,
                    tag => {
                        return Err(DecodeError::Malformed(format!(
                            "the override's option tag is {tag}, neither 0 nor 1"
                        )))
                    }
                }
                let prev_hash = EntryHash(at.take(32)?.try_into().expect("32 bytes"));
                Ok(Links {
                    seq: Seq(seq),
                    prev_hash,
                })
            }
            Some(&other) => Err(DecodeError::UnknownSchema(other)),
        }
    }
}

impl Entry {
    /// Whether `bytes` decode, and their links: exactly when [`Entry::decode`] succeeds, with
    /// its error otherwise, but without building the entry (its strings, vectors and event:
    /// allocation was most of what decoding cost `verify`). The bytes are walked by
    /// `readable`; only an entry that does not decode is decoded, for the decoder's own
    /// error. What `verify` runs on every entry to prove the ledger readable
    /// (property-tested to agree).
    pub fn check(bytes: &[u8]) -> Result<Links, DecodeError> {
        if let Some(links) = super::readable::links_if_readable(bytes) {
            return Ok(links);
        }
        Entry::decode(bytes).map(|entry| Links {
            seq: entry.seq,
            prev_hash: entry.prev_hash,
        })
    }
}

/// Reading bincode's encoding of the fields [`Links::read`] passes over.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let Some(end) = end else {
            return Err(DecodeError::Malformed(format!(
                "the entry ends at byte {} inside a field",
                self.bytes.len()
            )));
        };
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    /// bincode's variable-length integer: one byte below 251, else a marker (251, 252, 253)
    /// and 2, 4 or 8 bytes little-endian. Longer forms are not rejected, as bincode does not.
    fn varint(&mut self) -> Result<u64, DecodeError> {
        let word = |b: &[u8]| {
            let mut le = [0u8; 8];
            le[..b.len()].copy_from_slice(b);
            u64::from_le_bytes(le)
        };
        match self.take(1)?[0] {
            byte @ 0..=250 => Ok(u64::from(byte)),
            251 => Ok(word(self.take(2)?)),
            252 => Ok(word(self.take(4)?)),
            253 => Ok(word(self.take(8)?)),
            marker => Err(DecodeError::Malformed(format!(
                "a 64-bit integer has the varint marker {marker}"
            ))),
        }
    }

    /// A string: its length, then that many bytes of UTF-8.
    fn string(&mut self) -> Result<(), DecodeError> {
        let len = self.varint()?;
        let len = usize::try_from(len)
            .ok()
            .filter(|&len| len <= MAX_ENTRY_BYTES)
            .ok_or_else(|| DecodeError::Malformed(format!("a string claims {len} bytes")))?;
        std::str::from_utf8(self.take(len)?)
            .map_err(|e| DecodeError::Malformed(format!("a string is not UTF-8: {e}")))?;
        Ok(())
    }
}

/// Encodes an event alone, with the entry's configuration: the identity used to find
/// duplicates.
pub fn event_fingerprint(event: &Event) -> [u8; 32] {
    let bytes = bincode::serde::encode_to_vec(event, config()).expect("events always encode");
    *blake3::hash(&bytes).as_bytes()
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
                person: person.map(str::to_owned),
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

    mod links {
        use proptest::prelude::*;

        use super::super::*;
        use crate::domain::*;

        /// Strings of any Unicode, now and then longer than a one-byte varint length.
        fn text() -> impl Strategy<Value = String> {
            prop_oneof![4 => ".{0,12}", 1 => ".{240,300}"]
        }

        /// Any day the decoder accepts, the first and last years included.
        fn a_date() -> impl Strategy<Value = Date> {
            (1900i32..=2999, 1u8..=12, 1u8..=28)
                .prop_map(|(y, m, d)| Date::from_ymd(y, m, d).expect("a valid day"))
        }

        fn a_state() -> impl Strategy<Value = StateCode> {
            "[A-Z]{3}".prop_map(|s| StateCode::new(s).unwrap())
        }
        fn a_body() -> impl Strategy<Value = BodyId> {
            "[a-z][a-z0-9-]{0,63}".prop_map(|s| BodyId::new(s).unwrap())
        }
        fn a_meeting() -> impl Strategy<Value = MeetingId> {
            "[A-Za-z0-9-]{1,32}".prop_map(|s| MeetingId::new(s).unwrap())
        }
        fn an_institution() -> impl Strategy<Value = InstitutionCode> {
            "[A-Z0-9-]{1,16}".prop_map(|s| InstitutionCode::new(s).unwrap())
        }
        fn a_decision() -> impl Strategy<Value = Decision> {
            (
                a_meeting(),
                a_date(),
                prop::option::of(text()),
                prop::option::of(text()),
            )
                .prop_map(|(meeting, date, document, paragraph)| Decision {
                    meeting,
                    date,
                    document,
                    paragraph,
                })
        }
        fn an_end() -> impl Strategy<Value = Option<TermEnd>> {
            prop::option::of(prop_oneof![
                a_date().prop_map(TermEnd::On),
                a_meeting().prop_map(TermEnd::CloseOf),
            ])
        }
        fn a_count() -> impl Strategy<Value = u32> {
            prop_oneof![0u32..300, any::<u32>()]
        }
        fn texts() -> impl Strategy<Value = Vec<String>> {
            prop::collection::vec(text(), 0..4)
        }

        /// Every variant of `Event`, every optional field present and absent, integers
        /// across their varint forms: what the walk in `readable` must read as bincode does.
        fn an_event() -> impl Strategy<Value = Event> {
            let leaf = prop_oneof![
                (a_state(), text(), a_date()).prop_map(|(state, name, effective)| {
                    Event::StateJoined(StateJoined {
                        state,
                        name,
                        effective,
                    })
                }),
                (a_state(), prop::option::of(text()), a_date()).prop_map(
                    |(state, name, effective)| {
                        Event::StateWithdrew(StateWithdrew {
                            state,
                            name,
                            effective,
                        })
                    }
                ),
                (an_institution(), text(), any::<bool>()).prop_map(
                    |(institution, name, by_right)| {
                        Event::InstitutionRegistered(InstitutionRegistered {
                            institution,
                            name,
                            by_right,
                        })
                    }
                ),
                (
                    a_meeting(),
                    prop::sample::select(vec![
                        MeetingType::Msp,
                        MeetingType::Rc,
                        MeetingType::Intersessional
                    ]),
                    (a_date(), a_date()),
                    prop::option::of(text()),
                    prop::option::of(a_state()),
                )
                    .prop_map(
                        |(meeting, meeting_type, (start, end), location, host)| {
                            Event::MeetingHeld(MeetingHeld {
                                meeting,
                                meeting_type,
                                start,
                                end,
                                location,
                                host,
                            })
                        }
                    ),
                (
                    (a_body(), text()),
                    prop::option::of(prop::sample::select(vec![
                        BodyType::WorkingGroup,
                        BodyType::Coordinator
                    ])),
                    (a_count(), a_count(), a_count()),
                    texts(),
                    prop::option::of(a_date()),
                    a_decision(),
                )
                    .prop_map(
                        |(
                            (body, name),
                            body_type,
                            (seats, term_years, renew),
                            mandate,
                            effective,
                            decision,
                        )| {
                            Event::BodyEstablished(BodyEstablished {
                                body,
                                name,
                                body_type,
                                seats,
                                term_years,
                                renew_per_year: renew,
                                mandate,
                                effective,
                                decision,
                            })
                        }
                    ),
                (
                    (a_body(), a_state(), a_date(), an_end(), a_decision()),
                    (
                        prop::option::of(text()),
                        prop::option::of(a_state()),
                        prop::option::of(prop::sample::select(vec![
                            Stagger::SetUp,
                            Stagger::Restore
                        ])),
                    ),
                )
                    .prop_map(
                        |((body, state, start, end, decision), (person, replaces, stagger))| {
                            Event::CoordinatorElected(CoordinatorElected {
                                body,
                                state,
                                start,
                                end,
                                decision,
                                person,
                                replaces,
                                stagger,
                            })
                        }
                    ),
                (a_body(), a_state(), a_date(), text()).prop_map(
                    |(body, state, effective, reason)| {
                        Event::CoordinatorLeft(CoordinatorLeft {
                            body,
                            state,
                            effective,
                            reason,
                        })
                    }
                ),
                (a_body(), texts(), texts(), a_decision()).prop_map(
                    |(body, add, remove, decision)| {
                        Event::MandateAmended(MandateAmended {
                            body,
                            add,
                            remove,
                            decision,
                        })
                    }
                ),
                (
                    (a_body(), prop::option::of(text())),
                    (
                        prop::option::of(a_count()),
                        prop::option::of(a_count()),
                        prop::option::of(a_count())
                    ),
                    prop::option::of(a_date()),
                    a_decision(),
                )
                    .prop_map(
                        |(
                            (body, name),
                            (seats, term_years, renew_per_year),
                            effective,
                            decision,
                        )| {
                            Event::BodyAmended(BodyAmended {
                                body,
                                name,
                                seats,
                                term_years,
                                renew_per_year,
                                effective,
                                decision,
                            })
                        }
                    ),
                (a_body(), a_date(), prop::option::of(a_body()), a_decision()).prop_map(
                    |(body, effective, transfer_to, decision)| {
                        Event::BodyDiscontinued(BodyDiscontinued {
                            body,
                            effective,
                            transfer_to,
                            decision,
                        })
                    }
                ),
                (
                    any::<bool>(),
                    a_state(),
                    prop::option::of(text()),
                    (a_date(), an_end()),
                    a_decision()
                )
                    .prop_map(
                        |(president, state, person, (start, end), decision)| {
                            let elected = PresidencyElected {
                                state,
                                person,
                                start,
                                end,
                                decision,
                            };
                            if president {
                                Event::PresidentElected(elected)
                            } else {
                                Event::PresidentDesignateElected(elected)
                            }
                        }
                    ),
                (any::<bool>(), an_institution(), a_date(), a_decision()).prop_map(
                    |(extended, institution, effective, decision)| {
                        let invitation = StandingInvitation {
                            institution,
                            effective,
                            decision,
                        };
                        if extended {
                            Event::StandingInvitationExtended(invitation)
                        } else {
                            Event::StandingInvitationWithdrawn(invitation)
                        }
                    }
                ),
            ];
            // Corrections, retracting or replacing, nested a few deep.
            leaf.prop_recursive(3, 8, 1, |inner| {
                (any::<u64>(), text(), prop::option::of(inner)).prop_map(
                    |(target, reason, replacement)| {
                        Event::EntryCorrected(EntryCorrected {
                            target: Seq(target),
                            reason,
                            replacement: replacement.map(Box::new),
                        })
                    },
                )
            })
        }

        /// Entries whose fields take every shape bincode gives them: seqs and record times
        /// across the varint forms, names past 250 bytes, any Unicode, with and without an
        /// override, and any event.
        fn an_entry() -> impl Strategy<Value = Entry> {
            let seq = prop_oneof![0u64..300, 250u64..70_000, any::<u64>()];
            let secs = prop_oneof![0i64..100, -2_208_988_800i64..32_503_680_000];
            let by = prop_oneof![".{0,8}", ".{240,300}"];
            (
                seq,
                secs,
                0u32..1_000_000_000,
                by,
                prop::option::of(".{0,300}"),
                any::<[u8; 32]>(),
                an_event(),
            )
                .prop_filter_map(
                    "a record time in range",
                    |(seq, secs, nanos, by, reason, prev, event)| {
                        Some(Entry {
                            seq: Seq(seq),
                            recorded_at: Timestamp::from_parts(secs, nanos)?,
                            recorded_by: by,
                            override_reason: reason,
                            prev_hash: EntryHash(prev),
                            event,
                        })
                    },
                )
        }

        /// The one-way agreement `verify` relies on: a decodable entry has the links it
        /// decodes to, and links that cannot be read mean an entry that cannot be decoded.
        /// And `check` is `decode` without the entry: the same success, the same links.
        fn agrees_with_decode(bytes: &[u8]) -> Result<(), TestCaseError> {
            let decoded = Entry::decode(bytes);
            // The walk alone, without `check`'s fallback to decoding: it must say yes exactly
            // when decoding succeeds, or `verify` would pass an unreadable entry (or decode
            // a readable one for nothing).
            let walked = crate::ledger::readable::links_if_readable(bytes);
            prop_assert_eq!(
                walked.is_some(),
                decoded.is_ok(),
                "walk {:?}, decode {:?}",
                &walked,
                &decoded
            );
            if let (Some(links), Ok(entry)) = (&walked, &decoded) {
                prop_assert_eq!(links.seq, entry.seq);
                prop_assert_eq!(links.prev_hash, entry.prev_hash);
            }
            let checked = Entry::check(bytes);
            prop_assert_eq!(
                checked.is_ok(),
                decoded.is_ok(),
                "check {:?}, decode {:?}",
                &checked,
                &decoded
            );
            if let (Ok(links), Ok(entry)) = (&checked, &decoded) {
                prop_assert_eq!(links.seq, entry.seq);
                prop_assert_eq!(links.prev_hash, entry.prev_hash);
            }
            match (Links::read(bytes), Entry::decode(bytes)) {
                (Ok(links), Ok(entry)) => {
                    prop_assert_eq!(links.seq, entry.seq);
                    prop_assert_eq!(links.prev_hash, entry.prev_hash);
                }
                (Err(links), Ok(_)) => {
                    prop_assert!(false, "links failed ({links}) where decoding did not")
                }
                (_, Err(_)) => {}
            }
            Ok(())
        }

        proptest! {
            #[test]
            fn the_links_of_an_entry_are_its_seq_and_prev_hash(entry in an_entry()) {
                let links = Links::read(&entry.encode()).unwrap();
                prop_assert_eq!(links, Links { seq: entry.seq, prev_hash: entry.prev_hash });
            }

            #[test]
            fn a_damaged_entry_never_panics_and_never_has_links_it_does_not_decode_to(
                entry in an_entry(),
                damage in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
                cut in any::<prop::sample::Index>(),
            ) {
                let mut bytes = entry.encode();
                for (at, flip) in damage {
                    let i = at.index(bytes.len());
                    bytes[i] ^= flip;
                }
                agrees_with_decode(&bytes)?;
                agrees_with_decode(&bytes[..cut.index(bytes.len() + 1)])?;
            }

            #[test]
            fn an_entry_reads_without_decoding_exactly_when_it_decodes(entry in an_entry()) {
                let bytes = entry.encode();
                agrees_with_decode(&bytes)?;
                prop_assert!(crate::ledger::readable::links_if_readable(&bytes).is_some());
            }

            /// Entries of schema version 1 (a ledger written before version 2): read by the
            /// walk exactly when they decode, even damaged, and upcast to the entry they were.
            #[test]
            fn a_version_1_entry_reads_as_it_decodes_and_upcasts_to_what_it_was(
                entry in an_entry(),
                damage in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
                cut in any::<prop::sample::Index>(),
            ) {
                let Some(bytes) = entry.encode_v1() else {
                    return Ok(());
                };
                prop_assert_eq!(bytes[0], 1);
                agrees_with_decode(&bytes)?;
                prop_assert!(crate::ledger::readable::links_if_readable(&bytes).is_some());
                prop_assert_eq!(Entry::decode(&bytes).unwrap(), entry);
                let mut damaged = bytes.clone();
                for (at, flip) in damage {
                    let i = at.index(damaged.len());
                    damaged[i] ^= flip;
                }
                agrees_with_decode(&damaged)?;
                agrees_with_decode(&bytes[..cut.index(bytes.len() + 1)])?;
            }

            #[test]
            fn garbage_never_panics_and_never_has_links_it_does_not_decode_to(
                bytes in prop::collection::vec(any::<u8>(), 0..400),
            ) {
                agrees_with_decode(&bytes)?;
                for version in OLDEST_SCHEMA_VERSION..=SCHEMA_VERSION {
                    let mut versioned = bytes.clone();
                    versioned.insert(0, version);
                    agrees_with_decode(&versioned)?;
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(24))]

            /// Every byte of an entry damaged in turn, and every length it can be cut to:
            /// each field's every check is met by some damage.
            #[test]
            fn every_single_damage_to_an_entry_reads_as_the_decoder_says(entry in an_entry()) {
                let bytes = entry.encode();
                for i in 0..bytes.len() {
                    for flip in [0x01u8, 0x02, 0x80, 0xfe, 0xff] {
                        let mut damaged = bytes.clone();
                        damaged[i] ^= flip;
                        agrees_with_decode(&damaged)?;
                    }
                    agrees_with_decode(&bytes[..i])?;
                }
            }
        }

        /// bincode counts what it reads against its limit as the full width of each integer
        /// (eight bytes for a string's length) and a string's bytes: a mandate of many short
        /// tasks passes the limit long before its bytes do. The walk counts the same way.
        #[test]
        fn an_entry_near_the_decoders_limit_reads_as_the_decoder_says() {
            let mandate = |tasks: usize, task: &str| {
                let mut entry = super::entry();
                entry.event = Event::MandateAmended(MandateAmended {
                    body: BodyId::new("wg-a").unwrap(),
                    add: vec![task.to_owned(); tasks],
                    remove: Vec::new(),
                    decision: Decision {
                        meeting: MeetingId::new("1MSP").unwrap(),
                        date: Date::parse("2010-11-12").unwrap(),
                        document: None,
                        paragraph: None,
                    },
                });
                entry.encode()
            };
            let walks_as_it_decodes = |tasks: usize, task: &str| {
                let bytes = mandate(tasks, task);
                let decodes = Entry::decode(&bytes).is_ok();
                assert_eq!(
                    crate::ledger::readable::links_if_readable(&bytes).is_some(),
                    decodes,
                    "{tasks} tasks of {task:?}"
                );
                decodes
            };
            // 8 bytes are counted for an empty task and 9 for "a" against 4 MiB (4 194 304),
            // less the rest of the entry: the most tasks that decode. Found once by bisection;
            // only the two sides of the limit are tested (each side is a 4 MiB entry encoded,
            // decoded and walked, slow in a debug build). Should the entry's other fields
            // change size, these move and this test says so.
            for (task, most) in [("", 524_273), ("a", 466_020)] {
                assert!(
                    walks_as_it_decodes(most, task),
                    "{most} tasks of {task:?} fit"
                );
                assert!(!walks_as_it_decodes(most + 1, task), "one more does not");
            }
        }
    }
}
