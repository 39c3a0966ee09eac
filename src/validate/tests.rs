//! What may be appended where the ledger stands, told against the story of
//! `projection::tests` (37 entries: States, meetings 2MSP–4MSP, 9MSP, 2RC-2, two working
//! groups, a discontinued coordinator, a Presidency, the ICRC and the GICHD).

use super::*;
use crate::domain::jsonl::parse_line;
use crate::projection::tests::{date, expand, story};

fn event(line: &str) -> Event {
    parse_line(&expand(line))
        .unwrap_or_else(|e| panic!("the test line does not parse: {e}\n{line}"))
        .draft
        .event
}

/// `field: message` of the refusal of `line` after the story, or `accepted`.
fn check(line: &str) -> String {
    let projection = Fold::of(&story());
    match validate(&projection, &event(line)) {
        Ok(()) => "accepted".to_owned(),
        Err(refusal) => format!("{}: {refusal}", refusal.field().as_deref().unwrap_or("-")),
    }
}

#[test]
fn the_story_itself_is_valid_line_by_line() {
    let events: Vec<Event> = story().into_iter().map(|e| e.event).collect();
    let scratch = validate_all(&Fold::default(), &events).expect("every line is valid");
    assert_eq!(scratch, Fold::of(&story()));
}

#[test]
fn a_batch_validated_with_its_overrides_is_the_projection_the_rules_judge_after() {
    // An import folds its lines once: the projection validation builds must be the fold of
    // the entries the lines become, override reasons included (the rules read them).
    let mut entries = story();
    for entry in entries.iter_mut().step_by(5) {
        entry.override_reason = Some(format!("R2: recorded knowingly, entry {}", entry.seq));
    }
    let (before, tail) = entries.split_at(12);
    let mut batch = Batch::onto(Fold::of(before));
    for entry in tail {
        batch
            .admit(&entry.event, entry.override_reason.as_deref())
            .expect("every line of the story is valid");
    }
    assert_eq!(batch.finish(), Fold::of(&entries));
}

#[test]
fn a_line_may_name_what_an_earlier_line_of_the_batch_recorded() {
    let joined = event(
        r#"{"kind":"state_joined","state":"COL","name":"Colombia","effective":"2015-03-01"}"#,
    );
    let elected = event(
        r#"{"kind":"coordinator_elected","body":"wg-clearance","state":"COL","start":"2021-09-21","end":{"meeting":"11MSP"},"by":"2RC-2 2021-09-21"}"#,
    );
    let projection = Fold::of(&story());
    assert!(validate_all(&projection, [&joined, &elected]).is_ok());
    let (line, refusal) =
        validate_all(&projection, [&elected, &joined]).expect_err("COL is unknown at first");
    assert_eq!((line, refusal.field().as_deref()), (0, Some("state")));
}

#[test]
fn every_state_meeting_body_and_institution_named_must_be_recorded() {
    assert_eq!(
        check(
            r#"{"kind":"coordinator_elected","body":"wg-clearance","state":"COL","start":"2021-09-21","end":null,"by":"2RC-2 2021-09-21"}"#
        ),
        "state: unknown State COL: record its state_joined first"
    );
    assert_eq!(
        check(
            r#"{"kind":"coordinator_elected","body":"wg-clearance","state":"ECU","start":"2022-09-01","end":null,"by":"10MSP 2022-09-01"}"#
        ),
        "decision.meeting: unknown meeting 10MSP: record its meeting_held first"
    );
    assert_eq!(
        check(
            r#"{"kind":"coordinator_elected","body":"wg-victim-assistance","state":"ECU","start":"2021-09-21","end":null,"by":"2RC-2 2021-09-21"}"#
        ),
        "body: unknown body wg-victim-assistance: record its body_established first"
    );
    assert_eq!(
        check(
            r#"{"kind":"body_discontinued","body":"wg-clearance","effective":"2021-09-21","transfer_to":"wg-risk-education","by":"2RC-2 2021-09-21"}"#
        ),
        "transfer_to: unknown body wg-risk-education: record its body_established first"
    );
    assert_eq!(
        check(
            r#"{"kind":"standing_invitation_extended","institution":"UNDP","effective":"2021-09-21","by":"2RC-2 2021-09-21"}"#
        ),
        "institution: unknown institution UNDP: record its institution_registered first"
    );
    assert_eq!(
        check(
            r#"{"kind":"meeting_held","meeting":"10MSP","type":"msp","start":"2022-08-30","end":"2022-09-01","host":"CHL"}"#
        ),
        "host: unknown State CHL (did you mean CHE or PHL?): record its state_joined first"
    );
}

#[test]
fn a_term_ends_after_it_starts_even_at_the_close_of_a_meeting_once_recorded() {
    assert_eq!(
        check(
            r#"{"kind":"coordinator_elected","body":"wg-clearance","state":"ECU","start":"2021-09-21","end":"2021-09-21","by":"2RC-2 2021-09-21"}"#
        ),
        "end: the end 2021-09-21 does not come after the start 2021-09-21"
    );
    assert_eq!(
        check(
            r#"{"kind":"coordinator_elected","body":"wg-clearance","state":"ECU","start":"2021-09-21","end":{"meeting":"9MSP"},"by":"2RC-2 2021-09-21"}"#
        ),
        "end.meeting: the end 2019-09-04 does not come after the start 2021-09-21"
    );
    assert_eq!(
        check(
            r#"{"kind":"coordinator_elected","body":"wg-clearance","state":"ECU","start":"2021-09-21","end":{"meeting":"11MSP"},"by":"2RC-2 2021-09-21"}"#
        ),
        "accepted",
        "the 11MSP is not recorded yet: the end resolves later"
    );
    assert_eq!(
        check(
            r#"{"kind":"meeting_held","meeting":"10MSP","type":"msp","start":"2022-08-30","end":"2022-08-29"}"#
        ),
        "end: the end 2022-08-29 does not come after the start 2022-08-30"
    );
}

#[test]
fn nothing_is_registered_twice() {
    assert_eq!(
        check(r#"{"kind":"state_joined","state":"NOR","name":"Norway","effective":"2011-01-01"}"#),
        "state: NOR is already a State Party, since 2010-08-01 (entry 0)"
    );
    assert_eq!(
        check(
            r#"{"kind":"meeting_held","meeting":"2MSP","type":"msp","start":"2011-09-13","end":"2011-09-16"}"#
        ),
        "meeting: meeting 2MSP is already recorded, by entry 6"
    );
    assert_eq!(
        check(
            r#"{"kind":"body_established","body":"wg-clearance","name":"Clearance","seats":2,"term_years":2,"renew_per_year":1,"by":"2MSP 2011-09-16"}"#
        ),
        "body: body wg-clearance is already recorded, by entry 8"
    );
    assert_eq!(
        check(
            r#"{"kind":"institution_registered","institution":"ICRC","name":"ICRC","by_right":false}"#
        ),
        "institution: institution ICRC is already recorded, by entry 33"
    );
    assert_eq!(
        check(
            r#"{"kind":"body_discontinued","body":"coord-reporting","effective":"2022-01-01","by":"2RC-2 2021-09-21"}"#
        ),
        "body: coord-reporting is already discontinued, on 2021-09-21 (entry 28)"
    );
}

#[test]
fn an_event_recorded_twice_is_refused_naming_the_entry_that_holds_it() {
    assert_eq!(
        check(
            r#"{"kind":"coordinator_elected","body":"wg-universalization","state":"PHL","start":"2012-09-14","end":{"meeting":"5MSP"},"by":"3MSP 2012-09-14"}"#
        ),
        "-: this exact event is already recorded, as entry 14"
    );
}

#[test]
fn a_state_that_withdrew_may_join_again_but_not_withdraw_twice() {
    let mut projection = Fold::of(&story());
    let withdrew = event(r#"{"kind":"state_withdrew","state":"AUS","effective":"2025-03-06"}"#);
    assert_eq!(validate(&projection, &withdrew), Ok(()));
    projection.apply_event(&withdrew);
    let again = event(r#"{"kind":"state_withdrew","state":"AUS","effective":"2025-04-01"}"#);
    assert_eq!(
        validate(&projection, &again),
        Err(Refusal::NotAStateParty {
            field: "state",
            state: StateCode::new("AUS").expect("valid")
        })
    );
    let rejoined = event(
        r#"{"kind":"state_joined","state":"AUS","name":"Australia","effective":"2026-01-01"}"#,
    );
    assert_eq!(validate(&projection, &rejoined), Ok(()));
    projection.apply_event(&rejoined);
    assert!(!projection.is_state_party(&StateCode::new("AUS").expect("valid"), date("2025-12-31")));
    assert!(projection.is_state_party(&StateCode::new("AUS").expect("valid"), date("2026-01-01")));
}

#[test]
fn a_state_leaves_only_a_seat_it_holds() {
    assert_eq!(
        check(
            r#"{"kind":"coordinator_left","body":"wg-clearance","state":"NOR","effective":"2020-01-01","reason":"resignation"}"#
        ),
        "state: NOR holds no seat of wg-clearance on 2020-01-01"
    );
    assert_eq!(
        check(
            r#"{"kind":"coordinator_left","body":"wg-clearance","state":"ECU","effective":"2020-01-01","reason":"resignation"}"#
        ),
        "accepted"
    );
}

#[test]
fn a_body_has_seats_and_a_stagger_it_can_keep_and_a_mandate_it_can_lose() {
    assert_eq!(
        check(
            r#"{"kind":"body_established","body":"wg-x","name":"X","seats":0,"term_years":2,"renew_per_year":1,"by":"2MSP 2011-09-16"}"#
        ),
        "seats: must be at least 1"
    );
    assert_eq!(
        check(
            r#"{"kind":"body_amended","body":"wg-clearance","renew_per_year":3,"by":"2RC-2 2021-09-21"}"#
        ),
        "renew_per_year: 3 seats renewed a year is more than the 2 seats"
    );
    assert_eq!(
        check(r#"{"kind":"mandate_amended","body":"wg-clearance","remove":["clearance and risk reduction"],"by":"2RC-2 2021-09-21"}"#),
        "remove: task \"clearance and risk reduction\" is not in the mandate of wg-clearance on 2021-09-21"
    );
    assert_eq!(
        check(r#"{"kind":"body_amended","body":"wg-clearance","by":"2RC-2 2021-09-21"}"#),
        "name: the body amendment changes nothing"
    );
}

#[test]
fn a_correction_targets_an_earlier_entry_that_is_not_a_correction() {
    assert_eq!(
        check(r#"{"kind":"entry_corrected","target":37,"reason":"r","replacement":null}"#),
        "target: no entry 37 to correct: the ledger has 37 entries"
    );
    let mut projection = Fold::of(&story());
    projection.apply_event(&event(
        r#"{"kind":"entry_corrected","target":36,"reason":"recorded in error","replacement":null}"#,
    ));
    let refusal = validate(
        &projection,
        &event(r#"{"kind":"entry_corrected","target":37,"reason":"undo","replacement":null}"#),
    )
    .expect_err("37 is a correction");
    assert_eq!(
        refusal.to_string(),
        "entry 37 is itself a correction; correct the entry it targets instead"
    );
    assert_eq!(
        check(
            r#"{"kind":"entry_corrected","target":3,"reason":"r","replacement":{"kind":"entry_corrected","target":2,"reason":"r","replacement":null}}"#
        ),
        "replacement: a replacement may not itself be a correction"
    );
}

#[test]
fn a_replacement_is_checked_as_if_recorded_instead_of_its_target() {
    // Norway's date of joining, corrected: not a second state_joined of Norway.
    assert_eq!(
        check(
            r#"{"kind":"entry_corrected","target":0,"reason":"date","replacement":{"kind":"state_joined","state":"NOR","name":"Norway","effective":"2010-08-02"}}"#
        ),
        "accepted"
    );
    assert_eq!(
        check(
            r#"{"kind":"entry_corrected","target":19,"reason":"State","replacement":{"kind":"coordinator_elected","body":"wg-universalization","state":"COL","start":"2013-09-13","end":null,"by":"4MSP 2013-09-13"}}"#
        ),
        "replacement.state: in the replacement: unknown State COL: record its state_joined first"
    );
    assert_eq!(
        check(
            r#"{"kind":"entry_corrected","target":0,"reason":"none","replacement":{"kind":"state_joined","state":"NOR","name":"Norway","effective":"2010-08-01"}}"#
        ),
        "replacement: the replacement is what entry 0 already says"
    );
}

#[test]
fn a_retraction_in_place_validates_a_replacement_as_a_copy_and_puts_everything_back() {
    // Every entry of the story retracted in place, with every event of it (and, for
    // elections, the same with another person, so that it is no duplicate) as the
    // replacement, and two that read a body whose terms end at the close of the retracted
    // 4MSP (entry 18): validated inside, each gets the answer it gets on `retracting`'s copy,
    // and afterwards the projection is what it was. (Inside, the bodies a retracted meeting
    // reaches are recomputed only where the replacement's validation reads them.)
    let left_after_the_4msp = event(
        r#"{"kind":"coordinator_left","body":"wg-universalization","state":"NOR","effective":"2014-01-01","reason":"4MSP never held"}"#,
    );
    let replaces_after_the_4msp = event(
        r#"{"kind":"coordinator_elected","body":"wg-universalization","state":"ECU","start":"2014-01-01","replaces":"NOR","by":"3MSP 2012-09-14"}"#,
    );
    {
        let entries = story();
        let p = Fold::of(&entries);
        let replacements: Vec<Event> = entries
            .iter()
            .filter(|e| !matches!(e.event, Event::EntryCorrected(_)))
            .flat_map(|e| [e.event.clone(), someone_else(&e.event)])
            .chain([left_after_the_4msp.clone(), replaces_after_the_4msp.clone()])
            .collect();
        for target in 0..=p.entries_applied() {
            let target = Seq(target);
            let copy = p.retracting(target);
            let mut q = p.clone();
            for replacement in &replacements {
                let inside = q.with_retracted(target, replacement, |r| validate(r, replacement));
                let on_copy = validate(&copy, replacement);
                assert_eq!(
                    inside, on_copy,
                    "entry {target} replaced by {replacement:?}"
                );
            }
            assert_eq!(q, p, "entry {target} put back");
        }
        let four_msp = Seq(18);
        let copy = p.retracting(four_msp);
        for read in [&left_after_the_4msp, &replaces_after_the_4msp] {
            assert_eq!(
                validate(&copy, read),
                Ok(()),
                "NOR holds on while 4MSP is not held"
            );
            assert!(
                validate(&p, read).is_err(),
                "NOR's term ended at the close of 4MSP"
            );
        }
    }
}

/// The same event with another person in office, so that it is not a duplicate of itself.
fn someone_else(event: &Event) -> Event {
    let mut other = event.clone();
    match &mut other {
        Event::CoordinatorElected(e) => e.person = Some("someone else".into()),
        Event::PresidentElected(e) | Event::PresidentDesignateElected(e) => {
            e.person = Some("someone else".into())
        }
        Event::CoordinatorLeft(e) => e.reason = "another reason".into(),
        _ => {}
    }
    other
}

#[test]
fn in_a_batch_an_amendment_is_judged_on_the_amendments_before_it_while_terms_wait() {
    // An amendment settles its body's parameters but not its terms (they stay due): a later
    // amendment in the same batch still sees what the earlier ones changed, a departure
    // still sees the terms, and the batch ends as the fold of its lines.
    let lines = [
        r#"{"kind":"mandate_amended","body":"wg-clearance","add":["mine action data"],"by":"2RC-2 2021-09-21"}"#,
        r#"{"kind":"body_amended","body":"wg-clearance","seats":3,"by":"2RC-2 2021-09-21"}"#,
        r#"{"kind":"mandate_amended","body":"wg-clearance","remove":["mine action data"],"by":"2RC-2 2021-09-22"}"#,
        r#"{"kind":"body_amended","body":"wg-clearance","renew_per_year":4,"by":"2RC-2 2021-09-22"}"#,
    ];
    let events: Vec<Event> = lines.iter().map(|l| event(l)).collect();
    let base = Fold::of(&story());
    let mut batch = Batch::onto(base.clone());
    let mut step = base;
    for (line, event) in lines.iter().zip(&events) {
        let whole = validate(&step, event);
        assert_eq!(batch.admit(event, None), whole, "{line}");
        if whole.is_ok() {
            step.apply_event(event);
        }
    }
    assert!(matches!(
        validate(&step, &events[3]),
        Err(Refusal::StaggerExceedsSeats { seats: 3, .. })
    ));
    assert_eq!(batch.finish(), step);
}

/// Validation over random ledgers of the crate's small world (`ledger::arbitrary`).
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::ledger::arbitrary::a_ledger;
    use crate::projection::tests::properties::answers;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn validation_never_panics_and_accepted_events_apply(entries in a_ledger()) {
            let mut projection = Fold::default();
            for entry in &entries {
                let _ = validate(&projection, &entry.event);
                projection.apply(entry);
            }
            let events: Vec<Event> = entries.iter().map(|e| e.event.clone()).collect();
            let mut accepted = Fold::default();
            for event in &events {
                if validate(&accepted, event).is_ok() {
                    accepted.apply_event(event);
                }
            }
            prop_assert_eq!(answers(&accepted).len(), answers(&projection).len());
        }

        #[test]
        fn a_batch_is_validated_as_event_by_event(entries in a_ledger()) {
            let events: Vec<Event> = entries.iter().map(|e| e.event.clone()).collect();
            let mut one_by_one = Fold::default();
            let mut refused = None;
            for (i, event) in events.iter().enumerate() {
                if let Err(r) = validate(&one_by_one, event) {
                    refused = Some((i, r));
                    break;
                }
                one_by_one.apply_event(event);
            }
            match (validate_all(&Fold::default(), &events), refused) {
                (Ok(batch), None) => prop_assert_eq!(batch, one_by_one),
                (Err(batch), Some(single)) => prop_assert_eq!(batch, single),
                (batch, single) => prop_assert!(false, "{:?} but {:?}", batch.map(|_| ()), single),
            }

            // The events a one-by-one check accepts are accepted as a batch, with the same result.
            let mut accepted = Vec::new();
            let mut projection = Fold::default();
            for event in &events {
                if validate(&projection, event).is_ok() {
                    projection.apply_event(event);
                    accepted.push(event.clone());
                }
            }
            let batch = validate_all(&Fold::default(), &accepted);
            prop_assert_eq!(batch.map_err(|(i, r)| format!("{i}: {r}")), Ok(projection));
        }
    }
}
