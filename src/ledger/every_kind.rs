//! The bytes of every kind of event, pinned. `tests/it/golden.rs` pins a whole ledger of a
//! few kinds through the binary; this pins one entry of each variant of [`Event`] (and each
//! shape of [`TermEnd`] and of a correction), in both schema versions, so that any change to
//! an encoder, a field or the order of variants fails here, loudly, before it ships.
//!
//! If a test here fails after you changed `src/domain/event.rs`, the format of the journal
//! changed: existing ledgers would no longer read. Add fields and variants only at the end,
//! bump `SCHEMA_VERSION` with an upcaster (`schema_v1.rs` is the example), and only then pin
//! the new bytes. A new variant does not compile in [`position`] below until it is given a
//! position there, and then fails `every_variant_of_the_enum_has_an_example` until it has an
//! example with pinned bytes, and `every_kind_of_event_is_read_by_the_walk_without_decoding`
//! until `readable.rs` walks it.

use super::entry::Entry;
use crate::domain::EntryHash;
use crate::domain::*;

/// The position of `event`'s variant in [`Event`], which is its tag in the bytes. Exhaustive,
/// without a wildcard, on purpose: see the module's doc.
fn position(event: &Event) -> u32 {
    match event {
        Event::StateJoined(_) => 0,
        Event::StateWithdrew(_) => 1,
        Event::InstitutionRegistered(_) => 2,
        Event::MeetingHeld(_) => 3,
        Event::BodyEstablished(_) => 4,
        Event::CoordinatorElected(_) => 5,
        Event::CoordinatorLeft(_) => 6,
        Event::MandateAmended(_) => 7,
        Event::BodyAmended(_) => 8,
        Event::BodyDiscontinued(_) => 9,
        Event::PresidentElected(_) => 10,
        Event::PresidentDesignateElected(_) => 11,
        Event::StandingInvitationExtended(_) => 12,
        Event::StandingInvitationWithdrawn(_) => 13,
        Event::EntryCorrected(_) => 14,
    }
}

/// The names serde derives from [`Event`]'s declaration, read from the error it gives for a
/// kind that does not exist ("expected one of `state_joined`, …"): the list of variants as
/// the enum declares them, not as this file remembers them.
fn declared_kinds() -> Vec<String> {
    let error = serde_json::from_str::<Event>(r#""no_such_kind""#)
        .expect_err("no variant is called no_such_kind")
        .to_string();
    let (_, list) = error
        .split_once("expected one of ")
        .unwrap_or_else(|| panic!("serde names the variants it expected: {error}"));
    list.split(", ")
        .map(|name| name.split('`').nth(1).expect("a quoted name").to_owned())
        .collect()
}

fn date(s: &str) -> Date {
    Date::parse(s).expect("a valid date")
}

fn meeting(id: &str) -> MeetingId {
    MeetingId::new(id).expect("a valid meeting id")
}

fn state(code: &str) -> StateCode {
    StateCode::new(code).expect("a valid state code")
}

fn body(id: &str) -> BodyId {
    BodyId::new(id).expect("a valid body id")
}

/// A decision with every optional field given.
fn decision() -> Decision {
    Decision {
        meeting: meeting("2MSP"),
        date: date("2011-09-16"),
        document: Some("CCM/MSP/2011/5".into()),
        paragraph: Some("32".into()),
    }
}

/// A decision with no optional field.
fn bare_decision() -> Decision {
    Decision {
        meeting: meeting("1MSP"),
        date: date("2010-11-12"),
        document: None,
        paragraph: None,
    }
}

fn election(end: Option<TermEnd>) -> CoordinatorElected {
    CoordinatorElected {
        body: body("wg-universalization"),
        state: state("NOR"),
        start: date("2011-09-16"),
        end,
        decision: decision(),
        person: None,
        replaces: None,
        stagger: None,
    }
}

fn presidency(end: Option<TermEnd>) -> PresidencyElected {
    PresidencyElected {
        state: state("LBN"),
        person: Some("Najla Riachi Assaker".into()),
        start: date("2011-09-16"),
        end,
        decision: bare_decision(),
    }
}

/// One example of every variant, and of every shape of what varies inside one: a term's end
/// (open, on a day, at a meeting's close), a correction (replacing, retracting), the fields
/// schema version 2 added to an election (absent, present).
fn examples() -> Vec<(&'static str, Event)> {
    let invitation = StandingInvitation {
        institution: InstitutionCode::new("CMC").expect("a valid institution code"),
        effective: date("2011-09-16"),
        decision: decision(),
    };
    vec![
        (
            "state_joined",
            Event::StateJoined(StateJoined {
                state: state("NOR"),
                name: "Norway".into(),
                effective: date("2010-08-01"),
            }),
        ),
        (
            "state_withdrew",
            Event::StateWithdrew(StateWithdrew {
                state: state("NOR"),
                name: Some("Norway".into()),
                effective: date("2030-01-01"),
            }),
        ),
        (
            "institution_registered",
            Event::InstitutionRegistered(InstitutionRegistered {
                institution: InstitutionCode::new("ISU").expect("a valid institution code"),
                name: "Implementation Support Unit".into(),
                by_right: true,
            }),
        ),
        (
            "meeting_held",
            Event::MeetingHeld(MeetingHeld {
                meeting: meeting("2MSP"),
                meeting_type: MeetingType::Msp,
                start: date("2011-09-12"),
                end: date("2011-09-16"),
                location: Some("Beirut".into()),
                host: Some(state("LBN")),
            }),
        ),
        (
            "body_established",
            Event::BodyEstablished(BodyEstablished {
                body: body("wg-universalization"),
                name: "Universalization".into(),
                body_type: Some(BodyType::WorkingGroup),
                seats: 2,
                term_years: 2,
                renew_per_year: 1,
                mandate: vec!["promote adherence".into()],
                effective: Some(date("2011-09-16")),
                decision: decision(),
            }),
        ),
        (
            "coordinator_elected, open",
            Event::CoordinatorElected(election(None)),
        ),
        (
            "coordinator_elected, ending on a day",
            Event::CoordinatorElected(election(Some(TermEnd::On(date("2013-09-13"))))),
        ),
        (
            "coordinator_elected, ending at a meeting's close",
            Event::CoordinatorElected(election(Some(TermEnd::CloseOf(meeting("4MSP"))))),
        ),
        (
            "coordinator_elected, with the fields of version 2",
            Event::CoordinatorElected(CoordinatorElected {
                person: Some("Steffen Kongstad".into()),
                replaces: Some(state("ECU")),
                stagger: Some(Stagger::SetUp),
                ..election(None)
            }),
        ),
        (
            "coordinator_left",
            Event::CoordinatorLeft(CoordinatorLeft {
                body: body("wg-universalization"),
                state: state("NOR"),
                effective: date("2012-06-30"),
                reason: "resigned".into(),
            }),
        ),
        (
            "mandate_amended",
            Event::MandateAmended(MandateAmended {
                body: body("wg-universalization"),
                add: vec!["report to the MSP".into()],
                remove: vec!["promote adherence".into()],
                decision: decision(),
            }),
        ),
        (
            "body_amended",
            Event::BodyAmended(BodyAmended {
                body: body("wg-universalization"),
                name: Some("Universalization and Outreach".into()),
                seats: Some(3),
                term_years: Some(2),
                renew_per_year: None,
                effective: None,
                decision: bare_decision(),
            }),
        ),
        (
            "body_discontinued",
            Event::BodyDiscontinued(BodyDiscontinued {
                body: body("wg-universalization"),
                effective: date("2015-09-11"),
                transfer_to: Some(body("coord-universalization")),
                decision: decision(),
            }),
        ),
        (
            "president_elected, ending at a meeting's close",
            Event::PresidentElected(presidency(Some(TermEnd::CloseOf(meeting("3MSP"))))),
        ),
        (
            "president_designate_elected, open",
            Event::PresidentDesignateElected(presidency(None)),
        ),
        (
            "standing_invitation_extended",
            Event::StandingInvitationExtended(invitation.clone()),
        ),
        (
            "standing_invitation_withdrawn",
            Event::StandingInvitationWithdrawn(invitation),
        ),
        (
            "entry_corrected, replacing",
            Event::EntryCorrected(EntryCorrected {
                target: Seq(5),
                reason: "the wrong State".into(),
                replacement: Some(Box::new(Event::CoordinatorElected(election(None)))),
            }),
        ),
        (
            "entry_corrected, retracting",
            Event::EntryCorrected(EntryCorrected {
                target: Seq(6),
                reason: "never happened".into(),
                replacement: None,
            }),
        ),
    ]
}

/// The header every example's entry has after its schema version: seq 7, recorded at
/// 2026-12-01T12:00:00Z, by "golden", override reason "accepted", previous hash `ab`×32.
const HEADER: &str = "07fc806d1dd60006676f6c64656e01086163636570746564\
                      abababababababababababababababababababababababababababababababab";

/// Every example, as an entry with the same header: only the event differs.
fn entry_of(event: Event) -> Entry {
    Entry {
        seq: Seq(7),
        recorded_at: Timestamp::parse("2026-12-01T12:00:00Z").expect("a valid timestamp"),
        recorded_by: "golden".into(),
        override_reason: Some("accepted".into()),
        prev_hash: EntryHash([0xab; 32]),
        event,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of each example's event in schema version 2 (today's), in the order of
/// [`examples`]: its tag (the variant's position), then its fields. The entry's bytes are
/// `02`, [`HEADER`], these.
const PINNED_V2: &[&str] = &[
    // state_joined
    "00034e4f52064e6f72776179fce4ee4a00",
    // state_withdrew
    "01034e4f5201064e6f72776179fc4e264b00",
    // institution_registered
    "02034953551b496d706c656d656e746174696f6e20537570706f727420556e697401",
    // meeting_held
    "0304324d535000fc12f24a00fc1af24a00010642656972757401034c424e",
    // body_established
    "041377672d756e6976657273616c697a6174696f6e10556e6976657273616c697a6174696f6e0100020201011170726f6d6f7465206164686572656e636501fc1af24a0004324d5350fc1af24a00010e43434d2f4d53502f323031312f3501023332",
    // coordinator_elected, open
    "051377672d756e6976657273616c697a6174696f6e034e4f52fc1af24a000004324d5350fc1af24a00010e43434d2f4d53502f323031312f3501023332000000",
    // coordinator_elected, ending on a day
    "051377672d756e6976657273616c697a6174696f6e034e4f52fc1af24a000100fccaf74a0004324d5350fc1af24a00010e43434d2f4d53502f323031312f3501023332000000",
    // coordinator_elected, ending at a meeting's close
    "051377672d756e6976657273616c697a6174696f6e034e4f52fc1af24a00010104344d535004324d5350fc1af24a00010e43434d2f4d53502f323031312f3501023332000000",
    // coordinator_elected, with the fields of version 2
    "051377672d756e6976657273616c697a6174696f6e034e4f52fc1af24a000004324d5350fc1af24a00010e43434d2f4d53502f323031312f350102333201105374656666656e204b6f6e677374616401034543550100",
    // coordinator_left
    "061377672d756e6976657273616c697a6174696f6e034e4f52fc5af44a000872657369676e6564",
    // mandate_amended
    "071377672d756e6976657273616c697a6174696f6e01117265706f727420746f20746865204d5350011170726f6d6f7465206164686572656e636504324d5350fc1af24a00010e43434d2f4d53502f323031312f3501023332",
    // body_amended
    "081377672d756e6976657273616c697a6174696f6e011d556e6976657273616c697a6174696f6e20616e64204f7574726561636801030102000004314d5350fcb2ef4a000000",
    // body_discontinued
    "091377672d756e6976657273616c697a6174696f6efc7afd4a000116636f6f72642d756e6976657273616c697a6174696f6e04324d5350fc1af24a00010e43434d2f4d53502f323031312f3501023332",
    // president_elected, ending at a meeting's close
    "0a034c424e01144e616a6c612052696163686920417373616b6572fc1af24a00010104334d535004314d5350fcb2ef4a000000",
    // president_designate_elected, open
    "0b034c424e01144e616a6c612052696163686920417373616b6572fc1af24a000004314d5350fcb2ef4a000000",
    // standing_invitation_extended
    "0c03434d43fc1af24a0004324d5350fc1af24a00010e43434d2f4d53502f323031312f3501023332",
    // standing_invitation_withdrawn
    "0d03434d43fc1af24a0004324d5350fc1af24a00010e43434d2f4d53502f323031312f3501023332",
    // entry_corrected, replacing
    "0e050f7468652077726f6e6720537461746501051377672d756e6976657273616c697a6174696f6e034e4f52fc1af24a000004324d5350fc1af24a00010e43434d2f4d53502f323031312f3501023332000000",
    // entry_corrected, retracting
    "0e060e6e657665722068617070656e656400",
];

/// The bytes of the events version 1 wrote differently, by the examples' names: an election
/// had no `person`, `replaces` or `stagger` (and a correction may carry an election). The
/// entry's bytes are `01`, [`HEADER`], these. Every other event version 1 wrote as version 2.
const PINNED_V1: &[(&str, &str)] = &[
    (
        "coordinator_elected, open",
        "051377672d756e6976657273616c697a6174696f6e034e4f52fc1af24a000004324d5350fc1af24a00010e43434d2f4d53502f323031312f3501023332",
    ),
    (
        "coordinator_elected, ending on a day",
        "051377672d756e6976657273616c697a6174696f6e034e4f52fc1af24a000100fccaf74a0004324d5350fc1af24a00010e43434d2f4d53502f323031312f3501023332",
    ),
    (
        "coordinator_elected, ending at a meeting's close",
        "051377672d756e6976657273616c697a6174696f6e034e4f52fc1af24a00010104344d535004324d5350fc1af24a00010e43434d2f4d53502f323031312f3501023332",
    ),
    (
        "entry_corrected, replacing",
        "0e050f7468652077726f6e6720537461746501051377672d756e6976657273616c697a6174696f6e034e4f52fc1af24a000004324d5350fc1af24a00010e43434d2f4d53502f323031312f3501023332",
    ),
];

#[test]
fn every_variant_of_the_enum_has_an_example() {
    let declared = declared_kinds();
    assert_eq!(
        declared,
        Event::KINDS,
        "Event::KINDS lists the variants in order"
    );
    let mut covered: Vec<u32> = examples().iter().map(|(_, e)| position(e)).collect();
    covered.dedup();
    let all: Vec<u32> = (0..declared.len() as u32).collect();
    assert_eq!(
        covered, all,
        "one example of each variant, in order: {declared:?}"
    );
    for (name, event) in examples() {
        assert!(
            name.starts_with(event.kind()),
            "{name} is an example of {}",
            event.kind()
        );
    }
}

#[test]
fn every_kind_of_event_encodes_to_its_pinned_bytes() {
    let examples = examples();
    assert_eq!(
        examples.len(),
        PINNED_V2.len(),
        "one pinned entry per example"
    );
    for ((name, event), pinned) in examples.into_iter().zip(PINNED_V2) {
        let entry = entry_of(event);
        let bytes = entry.encode();
        assert_eq!(
            hex(&bytes),
            format!("02{HEADER}{pinned}"),
            "the bytes of {name}"
        );
        assert_eq!(
            Entry::decode(&bytes).as_ref(),
            Ok(&entry),
            "{name} reads back"
        );
    }
}

#[test]
fn every_kind_of_event_version_1_could_hold_has_its_version_1_bytes_pinned() {
    for (name, event) in examples() {
        let entry = entry_of(event);
        let Some(v1) = entry.encode_v1() else {
            assert!(
                name.contains("version 2"),
                "{name}: only the fields version 2 added have no version-1 form"
            );
            continue;
        };
        let pinned = PINNED_V1.iter().find(|(n, _)| *n == name).map(|(_, h)| *h);
        match pinned {
            Some(pinned) => assert_eq!(
                hex(&v1),
                format!("01{HEADER}{pinned}"),
                "the version-1 bytes of {name}"
            ),
            // Not an election: version 1's bytes are version 2's but for the first byte.
            None => assert_eq!(
                (v1[0], &v1[1..]),
                (1, &entry.encode()[1..]),
                "{name} is written alike in both versions"
            ),
        }
        assert_eq!(
            Entry::decode(&v1).as_ref(),
            Ok(&entry),
            "{name} reads back from version 1"
        );
    }
    for (name, _) in PINNED_V1 {
        let known = examples().iter().any(|(n, _)| n == name);
        assert!(known, "{name} is pinned in version 1 and is an example");
    }
}

/// `verify` walks every entry's bytes (`readable.rs`) rather than decoding them; a kind the
/// walk does not know would be decoded instead (correct, slower). So every example is read
/// by the walk, in both versions, to the links it decodes to.
#[test]
fn every_kind_of_event_is_read_by_the_walk_without_decoding() {
    for (name, event) in examples() {
        let entry = entry_of(event);
        let links = super::Links {
            seq: entry.seq,
            prev_hash: entry.prev_hash,
        };
        for bytes in [Some(entry.encode()), entry.encode_v1()]
            .into_iter()
            .flatten()
        {
            assert_eq!(
                super::readable::links_if_readable(&bytes),
                Some(links),
                "the walk reads {name} (version {})",
                bytes[0]
            );
        }
    }
}
