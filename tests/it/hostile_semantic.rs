//! Hostile input that only the validation step (`cli/commands/admit.rs`) can refuse: unknown
//! States, bodies and meetings, terms that end before they begin, duplicates, corrections of
//! unknown or later entries. Each case: exit 1, the message names the file, the line and the field, the ledger is
//! byte-for-byte unchanged.

use crate::support::*;

#[track_caller]
fn refused(lines: &[&str], line: usize, field: &str) {
    let env = TestEnv::new();
    env.import(SMALL);
    let before = env.canonical_bytes();
    let file = env.file("semantic.jsonl", &(lines.join("\n") + "\n"));
    let run = env.run(&["import", file.to_str().unwrap()]).fails_with(1);
    assert!(
        run.stderr.contains(&format!("semantic.jsonl:{line}:")),
        "no file:line in: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("`{field}`")),
        "no field {field}: {}",
        run.stderr
    );
    assert_eq!(env.canonical_bytes(), before);
}

const DECISION: &str = r#"{"meeting":"3MSP","date":"2012-09-14"}"#;

#[test]
fn an_election_of_an_unknown_state() {
    refused(
        &[&format!(
            r#"{{"kind":"coordinator_elected","body":"wg-universalization","state":"XYZ","start":"2013-09-13","end":null,"decision":{DECISION}}}"#
        )],
        1,
        "state",
    );
}

#[test]
fn an_election_to_an_unknown_body() {
    refused(
        &[&format!(
            r#"{{"kind":"coordinator_elected","body":"wg-nothing","state":"NOR","start":"2013-09-13","end":null,"decision":{DECISION}}}"#
        )],
        1,
        "body",
    );
}

#[test]
fn a_decision_of_an_unknown_meeting() {
    refused(
        &[
            r#"{"kind":"coordinator_elected","body":"wg-universalization","state":"NOR","start":"2013-09-13","end":null,"decision":{"meeting":"99MSP","date":"2013-09-13"}}"#,
        ],
        1,
        "decision.meeting",
    );
}

#[test]
fn a_term_that_ends_before_it_begins() {
    refused(
        &[&format!(
            r#"{{"kind":"coordinator_elected","body":"wg-universalization","state":"NOR","start":"2014-09-05","end":"2013-09-13","decision":{DECISION}}}"#
        )],
        1,
        "end",
    );
}

#[test]
fn a_meeting_that_ends_before_it_begins() {
    refused(
        &[
            r#"{"kind":"meeting_held","meeting":"4MSP","type":"msp","start":"2013-09-13","end":"2013-09-09"}"#,
        ],
        1,
        "end",
    );
}

#[test]
fn a_duplicate_event_names_the_entry_that_holds_it() {
    let env = TestEnv::new();
    env.import(SMALL);
    let before = env.canonical_bytes();
    let line = r#"{"kind":"state_joined","state":"FRA","name":"France","effective":"2010-08-01"}"#;
    let file = env.file("semantic.jsonl", &format!("{line}\n{line}\n"));
    let run = env.run(&["import", file.to_str().unwrap()]).fails_with(1);
    // The first copy would be entry 10: the second is refused naming it.
    assert!(run.stderr.contains("semantic.jsonl:2:"), "{}", run.stderr);
    assert!(
        run.stderr.contains("already recorded, as entry 10"),
        "{}",
        run.stderr
    );
    assert_eq!(env.canonical_bytes(), before);
}

#[test]
fn a_correction_of_an_unknown_entry() {
    refused(
        &[r#"{"kind":"entry_corrected","target":999,"reason":"typo","replacement":null}"#],
        1,
        "target",
    );
}

#[test]
fn a_correction_of_a_later_entry() {
    // SMALL holds seqs 0..=9; this line would be entry 10 and targets itself / entry 11.
    refused(
        &[r#"{"kind":"entry_corrected","target":11,"reason":"typo","replacement":null}"#],
        1,
        "target",
    );
}

#[test]
fn a_correction_of_a_correction_of_an_unknown_entry() {
    refused(
        &[
            r#"{"kind":"entry_corrected","target":999,"reason":"typo","replacement":null}"#,
            r#"{"kind":"entry_corrected","target":10,"reason":"undo","replacement":null}"#,
        ],
        1,
        "target",
    );
}
