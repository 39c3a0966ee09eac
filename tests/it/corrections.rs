//! Corrections by field (issue 16 item 5): `record entry-corrected --set FIELD=VALUE` builds
//! the replacement from the target's event with only those fields changed.

use crate::support::*;

#[test]
fn a_correction_by_field_changes_only_that_field_and_round_trips_through_export() {
    let env = TestEnv::new();
    env.import(SMALL);
    // Entry 9: CIV elected 2012-09-14 to 2014-09-05; the start was in fact a day later.
    let run = env
        .run(&[
            "record",
            "entry-corrected",
            "--target",
            "9",
            "--reason",
            "wrong start day",
            "--set",
            "start=2012-09-15",
            "--json",
        ])
        .ok()
        .json();
    let replacement = &run["event"]["replacement"];
    assert_eq!(replacement["start"], "2012-09-15");
    assert_eq!(replacement["state"], "CIV", "the fields not named are kept");
    assert_eq!(replacement["end"], "2014-09-05");
    assert_eq!(replacement["decision"]["meeting"], "3MSP");

    let original = env.run(&["verify", "--json"]).ok().json();
    let export = env.run(&["export"]).ok().stdout;
    let copy = env.dir.path().join("copy");
    let file = env.file("export.jsonl", &export);
    env.run_on(&copy, &["import", file.to_str().unwrap()]).ok();
    assert_eq!(
        env.run_on(&copy, &["verify", "--json"]).ok().json(),
        original,
        "the copy has the same head hash"
    );
}

#[test]
fn a_nested_field_and_a_number_are_read_as_the_target_has_them() {
    let env = TestEnv::new();
    env.import(SMALL);
    let run = env
        .run(&[
            "record",
            "entry-corrected",
            "--target",
            "5",
            "--reason",
            "three seats",
            "--set",
            "seats=3",
            "--set",
            "decision.paragraph=12",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(run["event"]["replacement"]["seats"], 3);
    assert_eq!(run["event"]["replacement"]["decision"]["paragraph"], "12");
}

#[test]
fn an_unknown_field_or_a_bad_value_is_named_and_nothing_is_written() {
    let env = TestEnv::new();
    env.import(SMALL);
    let before = env.canonical_bytes();
    for (set, named) in [
        ("colour=blue", "colour"),
        ("start=2012-13-45", "start"),
        ("decision.when=2012-09-14", "when"),
        ("kind=coordinator_left", "kind"),
    ] {
        let run = env
            .run(&[
                "record",
                "entry-corrected",
                "--target",
                "9",
                "--reason",
                "r",
                "--set",
                set,
            ])
            .fails_with(1);
        assert!(
            run.stderr.contains(named) && run.stderr.contains("--set"),
            "{set}: {}",
            run.stderr
        );
        assert_eq!(
            env.canonical_bytes(),
            before,
            "{set}: the ledger is unchanged"
        );
    }
    let run = env
        .run(&[
            "record",
            "entry-corrected",
            "--target",
            "99",
            "--reason",
            "r",
            "--set",
            "start=2012-09-15",
        ])
        .fails_with(1);
    assert!(run.stderr.contains("--target 99"), "{}", run.stderr);
    let run = env
        .run(&[
            "record",
            "entry-corrected",
            "--target",
            "9",
            "--reason",
            "r",
            "--set",
            "start",
        ])
        .fails_with(2);
    assert!(run.stderr.contains("FIELD=VALUE"), "{}", run.stderr);
    assert_eq!(env.canonical_bytes(), before);
}

#[test]
fn known_at_before_an_entry_answers_as_the_ledger_stood_without_it() {
    let env = TestEnv::new();
    env.import(SMALL);
    env.run(&[
        "record",
        "entry-corrected",
        "--target",
        "9",
        "--reason",
        "wrong State",
        "--set",
        "state=NOR",
    ])
    .ok();
    let holders = |known_at: &str| -> Vec<String> {
        let run = env
            .run(&[
                "who",
                "wg-universalization",
                "--on",
                "2013-01-01",
                "--known-at",
                known_at,
                "--json",
            ])
            .ok()
            .json();
        let mut states: Vec<String> = run["holders"]
            .as_array()
            .expect("holders")
            .iter()
            .map(|h| h["state"].as_str().unwrap().to_owned())
            .collect();
        states.sort();
        states
    };
    assert_eq!(
        holders("before:10"),
        ["CIV", "ECU"],
        "before the correction"
    );
    assert_eq!(
        holders("9"),
        holders("before:10"),
        "before:N is the seq N-1"
    );
    assert_eq!(holders("10"), ["ECU", "NOR"], "after it");
    for (bad, says) in [
        ("before:0", "before:0"),
        ("before:11", "no entry 11"),
        ("before:x", "before:x"),
    ] {
        let run = env
            .run(&["who", "wg-universalization", "--known-at", bad])
            .fails_with(2);
        assert!(run.stderr.contains(says), "{bad}: {}", run.stderr);
    }
}

#[test]
fn log_seq_prints_one_entry_and_what_a_correction_changed_field_by_field() {
    let env = TestEnv::new();
    env.import(SMALL);
    env.run(&[
        "record",
        "entry-corrected",
        "--target",
        "9",
        "--reason",
        "wrong State",
        "--set",
        "state=NOR",
        "--set",
        "end=2014-09-06",
    ])
    .ok();
    env.run(&[
        "record",
        "entry-corrected",
        "--target",
        "9",
        "--reason",
        "it was ECU after all",
        "--set",
        "state=ECU",
    ])
    .ok();

    let text = env.run(&["log", "--seq", "10"]).ok().stdout;
    assert!(text.contains("entry 10"), "{text}");
    assert!(text.contains("corrects entry 9 (wrong State)"), "{text}");
    assert!(text.contains("state: CIV → NOR"), "{text}");
    assert!(text.contains("end: 2014-09-05 → 2014-09-06"), "{text}");
    assert!(
        !text.contains("start:"),
        "an unchanged field is not listed: {text}"
    );

    // A second correction changes what the first one made, not the entry as first recorded.
    let json = env.run(&["log", "--seq", "11", "--json"]).ok().json();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["seq"], 11);
    assert_eq!(
        json[0]["corrects"],
        serde_json::json!({
            "target": 9,
            "retracted": false,
            "changes": [{"field": "state", "old": "NOR", "new": "ECU"}],
        })
    );

    // An entry that is not a correction: just the entry; past the head: exit 2.
    let plain = env.run(&["log", "--seq", "9", "--json"]).ok().json();
    assert_eq!(plain[0]["event"]["state"], "CIV", "as recorded");
    assert!(plain[0].get("corrects").is_none());
    let run = env.run(&["log", "--seq", "12"]).fails_with(2);
    assert!(run.stderr.contains("no entry 12"), "{}", run.stderr);
}

#[test]
fn history_of_a_state_shows_its_corrected_terms_with_the_correction_s_reason() {
    let env = TestEnv::new();
    env.import(SMALL);
    env.run(&[
        "record",
        "entry-corrected",
        "--target",
        "9",
        "--reason",
        "elected a day later",
        "--set",
        "start=2012-09-15",
    ])
    .ok();
    let text = env.run(&["history", "--state", "CIV"]).ok().stdout;
    assert!(text.contains("elections corrected or retracted"), "{text}");
    assert!(
        text.contains("2012-09-14"),
        "the term as first recorded: {text}"
    );
    assert!(text.contains("elected a day later"), "{text}");
    let json = env
        .run(&["history", "--state", "CIV", "--json"])
        .ok()
        .json();
    assert_eq!(json["corrected_terms"][0]["start"], "2012-09-14");
    assert_eq!(json["corrected_terms"][0]["ended_by"], 10);
    assert_eq!(json["corrected_terms"][0]["reason"], "elected a day later");
    assert_eq!(json["terms"][0]["start"], "2012-09-15");
    // The body's history gives the same reason.
    let body = env
        .run(&["history", "--body", "wg-universalization", "--json"])
        .ok()
        .json();
    assert_eq!(body["corrected_terms"][0]["reason"], "elected a day later");
}
