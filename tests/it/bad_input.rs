//! Each kind of bad input: a message naming the file, the line and the field; exit 1; the
//! ledger byte-for-byte unchanged.

use crate::support::*;

#[track_caller]
fn refused(bad: &str, expected: &[&str]) -> String {
    assert_line_refused("bad.jsonl", bad.as_bytes(), expected)
}

#[test]
fn malformed_json() {
    refused(
        r#"{"kind":"state_joined","state":"NOR""#,
        &["not valid JSON"],
    );
}

#[test]
fn an_unknown_kind() {
    refused(
        r#"{"kind":"coordinator_appointed","body":"wg-universalization"}"#,
        &["field `kind`", "unknown kind"],
    );
}

#[test]
fn a_missing_field() {
    refused(
        r#"{"kind":"coordinator_elected","body":"wg-universalization","state":"NOR","start":"2013-09-13","decision":{"meeting":"3MSP"}}"#,
        &["field `decision.date`", "missing"],
    );
}

#[test]
fn an_impossible_date() {
    refused(
        r#"{"kind":"meeting_held","meeting":"4MSP","type":"msp","start":"2023-02-30","end":"2023-03-02"}"#,
        &["field `start`", "2023-02-30"],
    );
}

#[test]
fn an_unknown_field() {
    refused(
        r#"{"kind":"state_joined","state":"DEU","name":"Germany","effective":"2010-08-01","efective":"2010-08-01"}"#,
        &["field `efective`"],
    );
}

#[test]
fn an_empty_file_is_refused() {
    let env = TestEnv::new();
    let file = env.file("empty.jsonl", "");
    let run = env.run(&["import", file.to_str().unwrap()]).fails_with(1);
    assert!(
        run.stderr.contains("empty.jsonl: no events"),
        "{}",
        run.stderr
    );
    assert!(!env.ledger().exists(), "nothing was created");
}

#[test]
fn several_bad_lines_are_all_reported() {
    let env = TestEnv::new();
    let file = env.file("bad.jsonl", "{\n[]\n{\"kind\":1}\n");
    let run = env.run(&["import", file.to_str().unwrap()]).fails_with(1);
    for line in 1..=3 {
        assert!(
            run.stderr.contains(&format!("bad.jsonl:{line}:")),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn a_missing_ledger_is_an_error_for_read_commands() {
    let env = TestEnv::new();
    let run = env.run(&["log"]).fails_with(1);
    assert!(run.stderr.contains("is not a ledger"), "{}", run.stderr);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
}

#[test]
fn an_end_before_the_start() {
    refused(
        r#"{"kind":"coordinator_elected","body":"wg-universalization","state":"NOR","start":"2013-09-13","end":"2012-09-14","decision":{"meeting":"3MSP","date":"2012-09-14"}}"#,
        &["field `end`"],
    );
}

#[test]
fn an_unknown_body() {
    refused(
        r#"{"kind":"coordinator_elected","body":"wg-universalisation","state":"NOR","start":"2013-09-13","end":null,"decision":{"meeting":"3MSP","date":"2012-09-14"}}"#,
        &["field `body`", "wg-universalisation"],
    );
}

#[test]
fn an_unknown_state() {
    refused(
        r#"{"kind":"coordinator_elected","body":"wg-universalization","state":"ATL","start":"2013-09-13","end":null,"decision":{"meeting":"3MSP","date":"2012-09-14"}}"#,
        &["field `state`", "ATL"],
    );
}

#[test]
fn an_unknown_meeting() {
    refused(
        r#"{"kind":"coordinator_elected","body":"wg-universalization","state":"NOR","start":"2013-09-13","end":null,"decision":{"meeting":"9MSP","date":"2019-09-04"}}"#,
        &["field `decision.meeting`", "9MSP"],
    );
}

#[test]
fn a_duplicate_event_names_the_entry_that_holds_it() {
    let duplicate = SMALL.lines().nth(6).unwrap();
    refused(duplicate, &["already recorded", "entry 6"]);
}

#[test]
fn a_reference_to_a_later_line_is_refused() {
    let env = TestEnv::new();
    let file = env.file(
        "order.jsonl",
        "{\"kind\":\"coordinator_elected\",\"body\":\"wg-a\",\"state\":\"NOR\",\"start\":\"2013-09-13\",\"end\":null,\"decision\":{\"meeting\":\"3MSP\",\"date\":\"2012-09-14\"}}\n\
         {\"kind\":\"state_joined\",\"state\":\"NOR\",\"name\":\"Norway\",\"effective\":\"2010-08-01\"}\n",
    );
    let run = env.run(&["import", file.to_str().unwrap()]).fails_with(1);
    assert!(run.stderr.contains("order.jsonl:1:"), "{}", run.stderr);
    assert!(!env.ledger().exists());
}

/// Issue 13, item 9: serde_json keeps the last of two equal keys, so a line with a repeated key
/// reads one way here and another way in a reader that keeps the first.
#[test]
fn a_repeated_key_is_refused_naming_it() {
    refused(
        r#"{"kind":"state_joined","state":"SWE","name":"Sweden","state":"FIN","effective":"2010-08-01"}"#,
        &["field `state`", "appears twice"],
    );
}

#[test]
fn a_repeated_key_inside_a_nested_object_is_refused_naming_its_path() {
    refused(
        r#"{"kind":"coordinator_elected","body":"wg-universalization","state":"NOR","start":"2012-09-14","end":"2014-09-05","decision":{"meeting":"3MSP","date":"2012-09-14","date":"2012-09-13"}}"#,
        &["field `decision.date`", "appears twice"],
    );
}

#[test]
fn a_repeated_key_in_a_proposal_is_refused() {
    let env = TestEnv::new();
    env.import(SMALL);
    let file = env.file(
        "proposal.jsonl",
        "{\"kind\":\"state_joined\",\"state\":\"SWE\",\"name\":\"Sweden\",\"effective\":\"2010-08-01\",\"effective\":\"2030-01-01\"}\n",
    );
    let run = env
        .run(&["check", "--proposed", file.to_str().unwrap()])
        .fails_with(1);
    assert!(
        run.stderr.contains("proposal.jsonl:1:") && run.stderr.contains("`effective`"),
        "{}",
        run.stderr
    );
}

/// A genuine export line with a second, earlier `location`: its hash still verifies (the last
/// value is the genuine one), but a reader that keeps the first sees the forgery.
#[test]
fn a_repeated_key_in_a_verified_bundle_is_refused() {
    let env = TestEnv::new();
    env.import(SMALL);
    let export = env.run(&["export"]).ok().stdout;
    let forged = export.replacen(
        r#""location":"Beirut, Lebanon""#,
        r#""location":"Paris, France","location":"Beirut, Lebanon""#,
        1,
    );
    assert_ne!(forged, export);
    let bundle = env.file("bundle.jsonl", &forged);
    let run = env
        .run(&["verify", "--bundle", bundle.to_str().unwrap()])
        .fails_with(1);
    assert!(
        run.stderr.contains("bundle.jsonl:5:") && run.stderr.contains("`location`"),
        "{}",
        run.stderr
    );
}
