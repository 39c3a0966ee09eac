//! The walk against the decoder, both ways: over entries of every shape
//! (`ledger::arbitrary::an_entry`), damaged, cut, in both schema versions, and garbage.

use proptest::prelude::*;

use super::{links_if_readable, Links};
use crate::domain::*;
use crate::ledger::arbitrary::an_entry;
use crate::ledger::entry::{OLDEST_SCHEMA_VERSION, SCHEMA_VERSION};
use crate::ledger::Entry;

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

/// The one-way agreement `verify` relies on: a decodable entry has the links it
/// decodes to, and links that cannot be read mean an entry that cannot be decoded.
/// And `check` is `decode` without the entry: the same success, the same links.
fn agrees_with_decode(bytes: &[u8]) -> Result<(), TestCaseError> {
    let decoded = Entry::decode(bytes);
    // The walk alone, without `check`'s fallback to decoding: it must say yes exactly
    // when decoding succeeds, or `verify` would pass an unreadable entry (or decode
    // a readable one for nothing).
    let walked = links_if_readable(bytes);
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
        prop_assert!(links_if_readable(&bytes).is_some());
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
        prop_assert!(links_if_readable(&bytes).is_some());
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
        let mut entry = entry();
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
            links_if_readable(&bytes).is_some(),
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

/// An entry whose event is damaged still has its links (the chain reads on; decoding tells
/// the event is bad), and links that do not read say why as the decoder does.
#[test]
fn the_links_read_past_a_damaged_event_and_fail_with_the_decoders_error() {
    let entry = entry();
    let mut bytes = entry.encode();
    let last = bytes.len() - 1;
    bytes[last] = 0xff;
    assert!(Entry::decode(&bytes).is_err());
    assert_eq!(
        Links::read(&bytes),
        Ok(Links {
            seq: entry.seq,
            prev_hash: entry.prev_hash
        })
    );
    let cut = &entry.encode()[..5];
    assert_eq!(Links::read(cut), Err(Entry::decode(cut).unwrap_err()));
    assert_eq!(Links::read(&[]), Err(crate::ledger::DecodeError::Empty));
    assert_eq!(
        Links::read(&[9, 0]),
        Err(crate::ledger::DecodeError::UnknownSchema(9))
    );
}
