use super::LineNumbers;

#[test]
fn line_numbers_skip_blank_lines_and_keep_only_where_a_stretch_starts() {
    let lines = [1, 2, 3, 5, 6, 9, 10, 11, 12];
    let numbers: LineNumbers = lines.into_iter().collect();
    assert_eq!(numbers.stretches.len(), 3);
    for (index, line) in lines.into_iter().enumerate() {
        assert_eq!(numbers.get(index), Some(line));
    }
    assert_eq!(numbers.get(lines.len()), None);
}

use std::path::Path;

use super::{draft, draft_reader, CommitError, Judgement, Onto};
use crate::domain::jsonl;
use crate::domain::Timestamp;
use crate::ledger::{Access, Ledger, Recorder};
use crate::projection::{Fold, SNAPSHOT_KEY};

const FIXTURE: &str = include_str!("../../fixtures/ccm-machinery.jsonl");
const BREAK_STAGGER: &str = include_str!("../../fixtures/proposals/break-stagger.jsonl");

/// A judgement that keeps the whole projection as the draft would leave it (what a what-if
/// view asks for), for tests that look at it.
fn whole() -> Judgement {
    Judgement {
        whole: true,
        ..Judgement::default()
    }
}

fn recorder() -> Recorder {
    Recorder {
        by: "tests".into(),
        at: Some(Timestamp::parse("2026-11-30T12:00:00Z").expect("a valid time")),
    }
}

fn lines(text: &str) -> Vec<(usize, jsonl::Line)> {
    jsonl::read_lines(text.as_bytes()).expect("the lines parse")
}

/// A ledger holding the fixture, committed through the write path.
fn fixture_ledger(dir: &Path) {
    let made = draft(
        Onto::New(dir),
        "fixture",
        lines(FIXTURE),
        &recorder(),
        &Judgement::default(),
    )
    .expect("the draft is made");
    assert!(made.refusals().is_empty(), "{:?}", made.refusals());
    made.commit().expect("the fixture commits");
}

/// The ledger's files that are the truth, byte for byte.
fn canonical(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    let read = |name: &str| std::fs::read(dir.join(name)).expect("the file reads");
    (read("journal"), read("HEAD"))
}

fn fold_from_zero(dir: &Path) -> Fold {
    let _ = std::fs::remove_file(dir.join(crate::ledger::snapshot::SNAPSHOT_FILE));
    let mut ledger = Ledger::open(dir, Access::Read).expect("the ledger opens");
    let head = ledger.head().entries;
    ledger
        .fold(SNAPSHOT_KEY, head, |p: &mut Fold, batch| p.apply_all(batch))
        .expect("the ledger folds")
}

/// The sections of the snapshot in `dir` whose bytes differ from those a snapshot written whole
/// from a fold from zero would hold, or that only one of the two lists (the snapshot is
/// removed: the fold is made from the journal).
pub(super) fn sections_unlike_a_folds(dir: &Path) -> Vec<String> {
    let kept = crate::ledger::snapshot::open(dir).expect("a snapshot");
    let stored = kept.sums();
    drop(kept);
    let whole = fold_from_zero(dir);
    let fresh = crate::ledger::snapshot::digest(|out| {
        crate::ledger::Snapshotted::write_sections(&whole, out)
    })
    .unwrap();
    stored
        .iter()
        .filter(|s| !fresh.contains(s))
        .chain(fresh.iter().filter(|f| !stored.contains(f)))
        .map(|(name, _)| name.clone())
        .collect()
}

/// `lines` drafted onto the ledger in `dir` (created if there is none) and committed; they
/// must be accepted. Says whether the draft was judged on a slice.
fn committed(dir: &Path, lines: Vec<(usize, jsonl::Line)>) -> bool {
    let mut existing = Ledger::open(dir, Access::Write).ok();
    let onto = match existing.as_mut() {
        Some(ledger) => Onto::head_of(ledger),
        None => Onto::New(dir),
    };
    let made = draft(onto, "p", lines, &recorder(), &Judgement::default()).unwrap();
    assert!(made.is_accepted(), "{:?}", made.refusals());
    let on_slice = made.on_slice();
    made.commit().unwrap();
    on_slice
}

/// The effective events and fingerprints are cut into more shards as the ledger grows
/// (`projection::sections::Cut`): the write whose entries pass a threshold cuts every shard
/// again, whole, and the shards of the coarser cut go. Here the finest cut: 16 shards up to
/// 16 entries, 256 past them.
#[test]
fn the_write_that_passes_a_threshold_cuts_every_shard_again() {
    crate::projection::FINEST_CUT.with(|c| c.set(true));
    let dir = tempfile::tempdir().unwrap();
    let joined = |from: usize, to: usize| {
        let text: String = (from..to)
            .map(|i| {
                let code: String = [i / 26, i % 26].map(|d| (b'A' + d as u8) as char).iter().collect();
                format!(
                    "{{\"kind\":\"state_joined\",\"state\":\"S{code}\",\"name\":\"State {i}\",\"effective\":\"2010-01-01\"}}\n"
                )
            })
            .collect();
        lines(&text)
    };
    let shards = |dir: &Path| -> Vec<usize> {
        let kept = crate::ledger::snapshot::open(dir).expect("a snapshot");
        let names: Vec<String> = kept.sums().into_iter().map(|(n, _)| n).collect();
        [1, 2]
            .map(|digits| {
                let of = |prefix: &str| {
                    names
                        .iter()
                        .filter(|n| n.strip_prefix(prefix).is_some_and(|s| s.len() == digits))
                        .count()
                };
                assert_eq!(of("topics/"), of("fingerprints/"), "{digits} digits");
                of("topics/")
            })
            .to_vec()
    };
    for (from, to, want) in [
        (0, 10, [16, 0]),
        (10, 16, [16, 0]),
        (16, 17, [0, 256]),
        (17, 30, [0, 256]),
    ] {
        committed(dir.path(), joined(from, to));
        assert_eq!(shards(dir.path()), want, "after entries {from}..{to}");
        let differ = sections_unlike_a_folds(dir.path());
        assert!(differ.is_empty(), "after entries {from}..{to}: {differ:?}");
    }
}

#[test]
fn a_draft_to_look_at_writes_nothing_names_the_line_of_each_finding_and_cannot_be_committed() {
    let dir = tempfile::tempdir().unwrap();
    fixture_ledger(dir.path());
    let before = canonical(dir.path());
    let mut ledger = Ledger::open(dir.path(), Access::Read).unwrap();
    let looked = draft(
        Onto::head_of(&mut ledger),
        "break-stagger.jsonl",
        lines(BREAK_STAGGER),
        &recorder(),
        &Judgement::default(),
    )
    .unwrap();
    assert!(looked.refusals().is_empty());
    let errors: Vec<_> = looked.errors().collect();
    assert!(
        !errors.is_empty(),
        "breaking the stagger is an error finding"
    );
    let last_line = lines(BREAK_STAGGER).last().unwrap().0;
    for added in &errors {
        let line = added
            .line
            .expect("each error is brought by a line of the proposal");
        assert!((1..=last_line).contains(&line), "line {line}");
    }
    assert!(!looked.is_accepted());
    assert!(matches!(looked.commit(), Err(CommitError::Refused(_))));
    assert_eq!(canonical(dir.path()), before);
}

#[test]
fn looking_and_accepting_are_one_computation() {
    let dir = tempfile::tempdir().unwrap();
    fixture_ledger(dir.path());
    let proposal = lines(include_str!(
        "../../fixtures/proposals/lausanne-action-plan.jsonl"
    ));
    let mut reader = Ledger::open(dir.path(), Access::Read).unwrap();
    let looked = draft(
        Onto::head_of(&mut reader),
        "p",
        proposal.clone(),
        &recorder(),
        &whole(),
    )
    .unwrap();
    let looked_at = (looked.added().to_vec(), looked.projection().cloned());
    let looked_at_events = looked.events();
    drop(looked);
    drop(reader);

    let mut writer = Ledger::open(dir.path(), Access::Write).unwrap();
    let accepted = draft(
        Onto::head_of(&mut writer),
        "p",
        proposal,
        &recorder(),
        &whole(),
    )
    .unwrap();
    assert_eq!(
        (accepted.added().to_vec(), accepted.projection().cloned()),
        looked_at
    );
    assert!(
        accepted.is_accepted(),
        "{:?}",
        accepted.errors().collect::<Vec<_>>()
    );
    let committed = accepted.commit().unwrap();
    drop(writer);
    // What was looked at is what the ledger now folds to, from zero.
    assert_eq!(
        Some(fold_from_zero(dir.path()).into_projection()),
        looked_at.1
    );
    assert_eq!(committed.events, looked_at_events);
}

#[test]
fn a_refused_line_is_named_by_source_line_and_field_and_nothing_stays_written() {
    let dir = tempfile::tempdir().unwrap();
    fixture_ledger(dir.path());
    let before = canonical(dir.path());
    let text = concat!(
        r#"{"kind":"state_joined","state":"ZZA","name":"Zedland","effective":"2030-01-01"}"#,
        "\n\n",
        r#"{"kind":"coordinator_left","body":"no-such-body","state":"ZZA","effective":"2030-02-01","reason":"resignation"}"#,
        "\n",
    );
    let mut writer = Ledger::open(dir.path(), Access::Write).unwrap();
    let refused = draft_reader(
        Onto::head_of(&mut writer),
        "new.jsonl",
        text.as_bytes(),
        &recorder(),
        &Judgement::default(),
    )
    .unwrap();
    let refusals = refused.refusals();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert_eq!(refusals[0].line, Some(3));
    assert_eq!(refusals[0].field.as_deref(), Some("body"));
    assert!(refusals[0]
        .to_string()
        .starts_with("new.jsonl:3: field `body`: "));
    // Refused: its frames were cut back before the draft was returned.
    assert_eq!(canonical(dir.path()), before);
    drop(refused);
    drop(writer);
    assert_eq!(canonical(dir.path()), before);
}

#[test]
fn an_accepted_draft_dropped_without_a_commit_leaves_the_ledger_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    fixture_ledger(dir.path());
    let before = canonical(dir.path());
    let text = r#"{"kind":"state_joined","state":"ZZA","name":"Zedland","effective":"2030-01-01"}"#;
    let mut writer = Ledger::open(dir.path(), Access::Write).unwrap();
    let accepted = draft(
        Onto::head_of(&mut writer),
        "one",
        lines(text),
        &recorder(),
        &whole(),
    )
    .unwrap();
    assert!(accepted.is_accepted());
    assert_eq!(
        accepted.projection().unwrap().entries_applied(),
        writer_entries(dir.path()) + 1
    );
    drop(accepted);
    drop(writer);
    assert_eq!(canonical(dir.path()), before);
}

fn writer_entries(dir: &Path) -> u64 {
    Ledger::open(dir, Access::Read).unwrap().head().entries
}

#[test]
fn a_draft_of_an_earlier_entry_is_judged_there_and_cannot_be_committed() {
    let dir = tempfile::tempdir().unwrap();
    fixture_ledger(dir.path());
    let mut writer = Ledger::open(dir.path(), Access::Write).unwrap();
    let text = r#"{"kind":"state_joined","state":"ZZA","name":"Zedland","effective":"2030-01-01"}"#;
    let earlier = draft(
        Onto::Ledger {
            ledger: &mut writer,
            entries: Some(10),
        },
        "one",
        lines(text),
        &recorder(),
        &whole(),
    )
    .unwrap();
    assert_eq!(earlier.projection().unwrap().entries_applied(), 11);
    assert!(matches!(earlier.commit(), Err(CommitError::NotForWriting)));
}

/// The usual decision, an election at the meeting the sources end with, is judged on a slice
/// of the projection (the property tests compare slices with the whole only where one is
/// taken: this says one is), and says what the whole says.
/// A State joins on a slice (its shards of `states` and `state-names` patched); one that
/// joins again after it withdrew, under another name, goes the whole way (the index of names
/// may lose its old name, which only every State can say); the snapshot lists what a fold's
/// does after each.
#[test]
fn a_state_joins_on_a_slice_and_one_joining_again_under_another_name_goes_whole() {
    let dir = tempfile::tempdir().unwrap();
    fixture_ledger(dir.path());
    let steps = [
        (
            r#"{"kind":"state_joined","state":"ZZA","name":"Zedland","effective":"2026-09-18"}"#,
            true,
        ),
        (
            r#"{"kind":"state_withdrew","state":"ZZA","effective":"2026-10-01"}"#,
            true,
        ),
        (
            r#"{"kind":"state_joined","state":"ZZA","name":"New Zedland","effective":"2026-10-02"}"#,
            false,
        ),
    ];
    for (text, on_slice) in steps {
        assert_eq!(committed(dir.path(), lines(text)), on_slice, "{text}");
        let differ = sections_unlike_a_folds(dir.path());
        assert!(differ.is_empty(), "after {text}: {differ:?}");
    }
}

#[test]
fn an_election_of_the_present_is_judged_on_a_slice() {
    let dir = tempfile::tempdir().unwrap();
    fixture_ledger(dir.path());
    let text = r#"{"kind":"coordinator_elected","body":"wg-clearance","state":"IRL","start":"2026-09-18","end":{"meeting":"5RC"},"decision":{"meeting":"3RC","date":"2026-09-18"}}"#;
    let mut reader = Ledger::open(dir.path(), Access::Read).unwrap();
    let on_whole = draft(
        Onto::head_of(&mut reader),
        "one",
        lines(text),
        &recorder(),
        &whole(),
    )
    .unwrap();
    let mut writer = Ledger::open(dir.path(), Access::Write).unwrap();
    let on_slice = draft(
        Onto::head_of(&mut writer),
        "one",
        lines(text),
        &recorder(),
        &Judgement::default(),
    )
    .unwrap();
    assert!(on_slice.on_slice());
    assert!(!on_whole.on_slice());
    assert_eq!(on_slice.added(), on_whole.added());
    assert!(
        !on_slice.added().is_empty(),
        "a third holder overfills the seats"
    );
    assert!(
        on_slice.projection().is_none(),
        "a slice is no projection to ask"
    );
}

mod properties {
    use proptest::prelude::*;

    use super::{fold_from_zero, recorder};
    use crate::append::{draft, Judgement, Onto};
    use crate::domain::jsonl::Line;
    use crate::domain::{Draft, Event};
    use crate::ledger::arbitrary::a_ledger;
    use crate::ledger::{Access, Ledger};
    use crate::projection::Projection;
    use crate::validate::Batch;

    /// One decision dated the day the fixture's sources end (the close of the 3RC), as a line
    /// of JSON: about the fixture's bodies and States, or new ones, with names that may be
    /// another's, sometimes with an override.
    fn a_decision_of_the_present() -> impl Strategy<Value = String> {
        let bodies = prop::sample::select(vec![
            "coord-nim",
            "coord-reporting",
            "coord-risk-education",
            "wg-clearance",
            "wg-cooperation",
            "wg-general-status",
            "wg-stockpile",
            "wg-universalization",
            "wg-victim-assistance",
            "wg-new-a",
            "wg-new-b",
        ]);
        let states = prop::sample::select(vec![
            "IRL", "NOR", "LAO", "AUT", "MEX", "ESP", "DEU", "JPN", "ZMB", "LKA", "PHL", "CHE",
            "GBR", "ZZA", "ZZB",
        ]);
        let names = prop::sample::select(vec![
            "Working Group on Universalization",
            "Working Group on Something New",
            "Zedland",
            "Ireland",
            "Another Land",
        ]);
        let by = r#""decision":{"meeting":"3RC","date":"2026-09-18"}"#;
        // The present, or later: then the present moves, and open terms and vacancies of
        // bodies the decision does not name may grow into findings.
        let days = prop::sample::select(vec![
            "2026-07-01",
            "2026-09-18",
            "2026-09-18",
            "2026-12-01",
            "2027-02-20",
            "2028-01-10",
        ]);
        let decision = (
            (0..10u8, days),
            bodies.clone(),
            bodies,
            states.clone(),
            states,
            names,
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(move |((kind, day), body, other, state, replaced, name, flag, overridden)| {
                let line = match kind {
                    0 | 1 => {
                        let end = if flag { r#"{"meeting":"5RC"}"#.to_owned() } else { r#""2028-09-18""#.to_owned() };
                        let replaces = if flag && kind == 1 { format!(r#","replaces":"{replaced}""#) } else { String::new() };
                        format!(r#"{{"kind":"coordinator_elected","body":"{body}","state":"{state}","start":"{day}","end":{end},{by}{replaces}}}"#)
                    }
                    2 => format!(r#"{{"kind":"coordinator_left","body":"{body}","state":"{state}","effective":"{day}","reason":"resigned"}}"#),
                    3 => format!(r#"{{"kind":"state_joined","state":"{state}","name":"{name}","effective":"{day}"}}"#),
                    4 => format!(r#"{{"kind":"state_withdrew","state":"{state}","effective":"{day}"}}"#),
                    5 => format!(r#"{{"kind":"body_established","body":"{body}","name":"{name}","seats":2,"term_years":2,"renew_per_year":1,"effective":"{day}",{by}}}"#),
                    6 => {
                        let renamed = if flag { format!(r#","name":"{name}""#) } else { r#","seats":3"#.to_owned() };
                        format!(r#"{{"kind":"body_amended","body":"{body}"{renamed},"effective":"{day}",{by}}}"#)
                    }
                    7 => {
                        let to = if flag { format!(r#","transfer_to":"{other}""#) } else { String::new() };
                        format!(r#"{{"kind":"body_discontinued","body":"{body}","effective":"{day}"{to},{by}}}"#)
                    }
                    8 => format!(r#"{{"kind":"mandate_amended","body":"{body}","add":["a task"],{by}}}"#),
                    _ => format!(r#"{{"kind":"president_designate_elected","state":"{state}","start":"{day}","end":{{"meeting":"4MSP-next"}},{by}}}"#),
                };
                if overridden {
                    format!(r#"{}, "override":"proptest"}}"#, &line[..line.len() - 1])
                } else {
                    line
                }
            });
        decision
    }

    /// The generated events validation accepts, one by one, as lines with an override (the
    /// generator elects at random, so some break a continuity rule).
    fn accepted_lines(events: Vec<Event>) -> Vec<(usize, Line)> {
        let mut batch = Batch::onto(crate::projection::Fold::default());
        events
            .into_iter()
            .filter(|event| batch.admit(event, Some("proptest")).is_ok())
            .enumerate()
            .map(|(i, event)| {
                let draft = Draft {
                    override_reason: Some("proptest".into()),
                    ..Draft::new(event)
                };
                let line = Line {
                    draft,
                    claimed_seq: None,
                    claimed_hash: None,
                };
                (i + 1, line)
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// After any sequence of appends, split anywhere into two committed drafts, what the
        /// last draft said the projection would be is what the ledger folds to from zero.
        #[test]
        fn drafts_committed_at_any_split_leave_the_projection_a_fold_from_zero_gives(
            entries in a_ledger(),
            split in any::<prop::sample::Index>(),
        ) {
            crate::projection::FINEST_CUT.with(|c| c.set(true));
            let lines = accepted_lines(entries.into_iter().map(|e| e.event).collect());
            prop_assume!(!lines.is_empty());
            let k = split.index(lines.len() + 1);
            let (first, second) = lines.split_at(k);
            let dir = tempfile::tempdir().unwrap();
            let mut expected = Projection::default();
            for part in [first, second].into_iter().filter(|p| !p.is_empty()) {
                let mut existing = Ledger::open(dir.path(), Access::Write).ok();
                let onto = match existing.as_mut() {
                    Some(ledger) => Onto::head_of(ledger),
                    None => Onto::New(dir.path()),
                };
                let made = draft(onto, "p", part.to_vec(), &recorder(), &super::whole())
                    .unwrap();
                prop_assert!(made.is_accepted(), "{:?}", made.refusals());
                expected = made.projection().unwrap().clone();
                made.commit().unwrap();
            }
            prop_assert_eq!(fold_from_zero(dir.path()).into_projection(), expected);
        }

        /// A draft of one line onto the head, judged on a slice of the projection where it
        /// can be, says what the same draft judged on the whole says (its refusals, the
        /// findings it adds, what excuses them, the lines they name); committed one by one,
        /// the slices' write-backs leave the snapshot listing what one written whole from a
        /// fold from zero lists, and answers equal to that fold.
        #[test]
        fn a_draft_on_a_slice_says_and_leaves_what_one_on_the_whole_does(
            entries in a_ledger(),
            split in any::<prop::sample::Index>(),
        ) {
            let lines = accepted_lines(entries.into_iter().map(|e| e.event).collect());
            prop_assume!(lines.len() > 2);
            let k = 1 + split.index(lines.len() - 1);
            let dir = tempfile::tempdir().unwrap();
            let made = draft(Onto::New(dir.path()), "p", lines[..k].to_vec(), &recorder(), &Judgement::default()).unwrap();
            made.commit().unwrap();
            for (number, line) in &lines[k..] {
                // Without its override too: a rule finding then refuses it, on both.
                let mut bare = line.clone();
                bare.draft.override_reason = None;
                for one in [bare, line.clone()] {
                    let one = vec![(*number, one)];
                    let mut reader = Ledger::open(dir.path(), Access::Read).unwrap();
                    let on_whole = draft(Onto::head_of(&mut reader), "p", one.clone(), &recorder(), &super::whole()).unwrap();
                    let mut reader = Ledger::open(dir.path(), Access::Read).unwrap();
                    let on_slice = draft(Onto::head_of(&mut reader), "p", one.clone(), &recorder(), &Judgement::default()).unwrap();
                    prop_assert_eq!(on_slice.refusals(), on_whole.refusals());
                    prop_assert_eq!(on_slice.added(), on_whole.added());
                }
                let mut writer = Ledger::open(dir.path(), Access::Write).unwrap();
                let made = draft(Onto::head_of(&mut writer), "p", vec![(*number, line.clone())], &recorder(), &Judgement::default()).unwrap();
                prop_assert!(made.is_accepted(), "{:?}", made.refusals());
                made.commit().unwrap();
            }
            let differ = super::sections_unlike_a_folds(dir.path());
            prop_assert!(differ.is_empty(), "sections differ: {differ:?}");
        }

        /// Decisions of the day the fixture's sources end (elections, departures, States
        /// joining and leaving, bodies established, renamed, discontinued, the Presidency),
        /// drafted one at a time: on a slice of the projection each says what it says on the
        /// whole (refusals, findings added, what excuses them), and the slices' write-backs
        /// leave the snapshot listing what one written whole from a fold from zero lists.
        #[test]
        fn decisions_of_the_present_on_a_slice_say_and_leave_what_they_do_on_the_whole(
            decisions in prop::collection::vec(a_decision_of_the_present(), 1..10),
        ) {
            let dir = tempfile::tempdir().unwrap();
            super::fixture_ledger(dir.path());
            for (i, text) in decisions.iter().enumerate() {
                let one = super::lines(text);
                let mut reader = Ledger::open(dir.path(), Access::Read).unwrap();
                let on_whole = draft(Onto::head_of(&mut reader), "p", one.clone(), &recorder(), &super::whole()).unwrap();
                let mut reader = Ledger::open(dir.path(), Access::Read).unwrap();
                let on_slice = draft(Onto::head_of(&mut reader), "p", one.clone(), &recorder(), &Judgement::default()).unwrap();
                prop_assert_eq!(on_slice.refusals(), on_whole.refusals(), "{}", text);
                prop_assert_eq!(on_slice.added(), on_whole.added(), "{}", text);
                let mut writer = Ledger::open(dir.path(), Access::Write).unwrap();
                let made = draft(Onto::head_of(&mut writer), "p", one, &recorder(), &Judgement::default()).unwrap();
                if made.is_accepted() {
                    made.commit().unwrap();
                }
                let _ = i;
            }
            let differ = super::sections_unlike_a_folds(dir.path());
            prop_assert!(differ.is_empty(), "sections differ: {differ:?}");
        }

        /// Each commit after the first updates the snapshot in place with the sections its
        /// draft changed (`Changes`): after any number of them, at any splits, the snapshot
        /// lists every section, with the bytes, that one written whole from a fold from zero
        /// lists.
        #[test]
        fn a_snapshot_updated_by_each_commit_lists_what_one_written_whole_does(
            entries in a_ledger(),
            splits in prop::collection::vec(any::<prop::sample::Index>(), 1..5),
        ) {
            // The finest cut of events into shards: a ledger of 17 entries or more passes a
            // threshold, and the commit that does cuts every shard again.
            crate::projection::FINEST_CUT.with(|c| c.set(true));
            let lines = accepted_lines(entries.into_iter().map(|e| e.event).collect());
            prop_assume!(lines.len() > 1);
            let mut cuts: Vec<usize> = splits.iter().map(|s| 1 + s.index(lines.len() - 1)).collect();
            cuts.push(0);
            cuts.push(lines.len());
            cuts.sort();
            cuts.dedup();
            let dir = tempfile::tempdir().unwrap();
            for part in cuts.windows(2).map(|w| &lines[w[0]..w[1]]) {
                let mut existing = Ledger::open(dir.path(), Access::Write).ok();
                let onto = match existing.as_mut() {
                    Some(ledger) => Onto::head_of(ledger),
                    None => Onto::New(dir.path()),
                };
                let made = draft(onto, "p", part.to_vec(), &recorder(), &Judgement::default())
                    .unwrap();
                prop_assert!(made.is_accepted(), "{:?}", made.refusals());
                made.commit().unwrap();
            }
            let differ = super::sections_unlike_a_folds(dir.path());
            prop_assert!(differ.is_empty(), "sections differ: {differ:?}");
        }
    }
}

/// A finding names every line of the draft it involves (issue 16): breaking the stagger with
/// lines 1 and 2 involves both, and each entry of the draft maps back to its line; the
/// ledger's own entries map to none. Blank lines are not events, so they shift the numbers.
#[test]
fn a_finding_names_every_line_of_the_draft_it_involves() {
    let dir = tempfile::tempdir().unwrap();
    fixture_ledger(dir.path());
    let mut ledger = Ledger::open(dir.path(), Access::Read).unwrap();
    let head = ledger.head().entries;
    let with_a_blank = BREAK_STAGGER.replacen('\n', "\n\n", 1);
    let looked = draft(
        Onto::head_of(&mut ledger),
        "p.jsonl",
        lines(&with_a_blank),
        &recorder(),
        &whole(),
    )
    .unwrap();
    let r3: Vec<_> = looked
        .added()
        .iter()
        .filter(|a| a.finding.rule.to_string() == "R3")
        .collect();
    assert_eq!(r3.len(), 1, "{:?}", looked.added());
    assert_eq!(r3[0].lines, [1, 3]);
    assert_eq!(r3[0].line, Some(3), "the newest of them");
    let drafted = looked.lines();
    assert_eq!(drafted.first(), crate::domain::Seq(head));
    assert_eq!(drafted.line_of(crate::domain::Seq(head)), Some(1));
    assert_eq!(drafted.line_of(crate::domain::Seq(head + 1)), Some(3));
    assert_eq!(drafted.line_of(crate::domain::Seq(head - 1)), None);
    assert_eq!(drafted.line_of(crate::domain::Seq(head + 2)), None);
    let projection = looked.into_projection().unwrap();
    assert_eq!(projection.entries_applied(), head + 2);
}

mod attack;

/// `lines` cut into pieces of `size` lines, as the parser hands them over.
fn in_pieces(lines: Vec<(usize, jsonl::Line)>, size: usize) -> Vec<super::Piece> {
    let mut pieces = Vec::new();
    let mut lines = lines.into_iter().peekable();
    while lines.peek().is_some() {
        pieces.push(super::Piece {
            lines: lines.by_ref().take(size).collect(),
            fingerprints: None,
            bad_line_seen: false,
        });
    }
    pieces
}

/// An import of several pieces is framed (encoded, hashed, written) on a thread of its own
/// while the next piece is validated: the ledger it makes is byte for byte the one a single
/// piece makes, and its snapshot is the fold's.
#[test]
fn an_import_framed_beside_its_validation_writes_what_one_piece_writes() {
    let one = tempfile::tempdir().unwrap();
    let one = one.path().join("ledger");
    fixture_ledger(&one);
    let many = tempfile::tempdir().unwrap();
    let many = many.path().join("ledger");
    let made = super::draft_pieces(
        Onto::New(&many),
        "fixture",
        in_pieces(lines(FIXTURE), 7),
        Vec::new,
        &recorder(),
        &Judgement::default(),
    )
    .unwrap();
    assert!(made.is_accepted(), "{:?}", made.refusals());
    made.commit().unwrap();
    assert_eq!(canonical(&many), canonical(&one));
    assert_eq!(sections_unlike_a_folds(&many), Vec::<String>::new());
}

/// Framed beside the validation, a piece refused by its framing (a record time before the
/// head's) is still the refusal reported, though validation may have gone on meanwhile to a
/// later line it refuses: as read one piece after the other, the first refusal stops the rest.
/// Nothing stays written.
#[test]
fn a_refusal_found_framing_a_piece_comes_before_one_validation_finds_later() {
    let dir = tempfile::tempdir().unwrap();
    fixture_ledger(dir.path());
    let before = canonical(dir.path());
    let text = concat!(
        r#"{"kind":"state_joined","state":"ZZA","name":"Zedland","effective":"2030-01-01"}"#,
        "\n",
        // Recorded before the fixture's entries (2026-11-30).
        r#"{"kind":"state_joined","state":"ZZB","name":"Zedbia","effective":"2030-01-01","recorded_at":"2020-01-01T00:00:00Z"}"#,
        "\n",
        r#"{"kind":"coordinator_left","body":"no-such-body","state":"ZZA","effective":"2030-02-01","reason":"resignation"}"#,
        "\n",
        r#"{"kind":"state_joined","state":"ZZC","name":"Zedcia","effective":"2030-01-01"}"#,
        "\n",
    );
    for _ in 0..20 {
        let mut writer = Ledger::open(dir.path(), Access::Write).unwrap();
        let refused = super::draft_pieces(
            Onto::head_of(&mut writer),
            "new.jsonl",
            in_pieces(lines(text), 1),
            Vec::new,
            &recorder(),
            &Judgement::default(),
        )
        .unwrap();
        let refusals = refused.refusals();
        assert_eq!(refusals.len(), 1, "{refusals:?}");
        assert_eq!(refusals[0].line, Some(2), "{refusals:?}");
        assert_eq!(refusals[0].field.as_deref(), Some("recorded_at"));
        drop(refused);
        drop(writer);
        assert_eq!(canonical(dir.path()), before);
    }
}
