//! Errors and counts written for people (issue 17, item 5): a read-only command never claims
//! it changed nothing, a byte-order mark is named, dates are explained in the calendar's words
//! rather than a library's, an unknown id in an import gets the near matches a query gets,
//! more than 20 bad lines say how many more, one of a thing is singular, and the recorder
//! defaults to the login name.

use crate::support::{TestEnv, SMALL};

fn small() -> TestEnv {
    let env = TestEnv::new();
    env.import(SMALL);
    env
}

#[test]
fn a_read_only_command_does_not_say_nothing_was_changed() {
    let env = small();
    let run = env.run(&["who", "wg-universalisation"]).fails_with(1);
    assert!(run.stderr.contains("did you mean"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("nothing was changed"),
        "{}",
        run.stderr
    );
    let proposal = env.file("p.jsonl", "{\"kind\":\"bogus\"}\n");
    let run = env
        .run(&["check", "--proposed", proposal.to_str().unwrap()])
        .fails_with(1);
    assert!(
        !run.stderr.contains("nothing was changed"),
        "{}",
        run.stderr
    );
    // Where something could have changed, it still says so.
    let run = env
        .run(&["import", proposal.to_str().unwrap()])
        .fails_with(1);
    assert!(
        run.stderr.contains("nothing was changed in the ledger"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_byte_order_mark_is_named_as_such() {
    let env = TestEnv::new();
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend_from_slice(
        br#"{"kind":"state_joined","state":"FRA","name":"France","effective":"2010-08-01"}"#,
    );
    bytes.push(b'\n');
    let path = env.dir.path().join("bom.jsonl");
    std::fs::write(&path, bytes).unwrap();
    let run = env.run(&["import", path.to_str().unwrap()]).fails_with(1);
    assert!(run.stderr.contains("bom.jsonl:1:"), "{}", run.stderr);
    assert!(run.stderr.contains("byte-order mark"), "{}", run.stderr);
}

#[test]
fn dates_are_explained_in_the_calendars_words() {
    let env = small();
    let cases: &[(&[&str], &str)] = &[
        (&["--on", "2023-02-30"], "February 2023 has 28 days"),
        (&["--on", "2024-02-30"], "February 2024 has 29 days"),
        (&["--on", "2023-13-01"], "there is no month 13"),
        (&["--on", "1 March 2023"], "expected YYYY-MM-DD"),
        (
            &["--known-at", "2026-11-31T00:00:00Z"],
            "November 2026 has 30 days",
        ),
        (
            &["--known-at", "2026-11-30T25:00:00Z"],
            "e.g. 2022-03-01T00:00:00Z",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["who", "wg-universalization"];
        all.extend_from_slice(args);
        let run = env.run(&all).fails_with(2);
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
        for library in ["component", "in range", "could not be parsed"] {
            assert!(!run.stderr.contains(library), "{args:?}: {}", run.stderr);
        }
    }
    // In an import, too.
    let line = r#"{"kind":"state_joined","state":"FRA","name":"France","effective":"2011-02-29"}"#;
    let path = env.file("d.jsonl", &format!("{line}\n"));
    let run = env.run(&["import", path.to_str().unwrap()]).fails_with(1);
    assert!(
        run.stderr.contains("February 2011 has 28 days"),
        "{}",
        run.stderr
    );
}

/// A date or a time given as a flag is read by clap as a `Date` or a `Timestamp` (issue 18,
/// item 5), so every command refuses a bad one the same way: a usage error (exit 2) naming
/// the flag, in the calendar's words, before anything is opened. Before, `record` took the
/// text into a JSON line and refused it as bad input (exit 1) naming the line's field.
#[test]
fn a_bad_date_in_any_flag_is_a_usage_error_naming_the_flag() {
    let env = small();
    let journal = std::fs::read(env.ledger().join("journal")).unwrap();
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &[
                "record",
                "state-joined",
                "--state",
                "FRA",
                "--name",
                "France",
                "--effective",
                "2011-02-29",
            ],
            "--effective",
            "February 2011 has 28 days",
        ),
        (
            &[
                "record",
                "meeting-held",
                "--meeting",
                "3MSP",
                "--type",
                "msp",
                "--start",
                "2012-09-11",
                "--end",
                "2012-09-31",
            ],
            "--end",
            "September 2012 has 30 days",
        ),
        (
            &["export", "--format", "csv", "--from", "2016-13-01"],
            "--from",
            "there is no month 13",
        ),
        (
            &["--recorded-at", "2026-02-29T00:00:00Z", "log"],
            "--recorded-at",
            "February 2026 has 28 days",
        ),
    ];
    for (args, flag, why) in cases {
        let run = env.run(args).fails_with(2);
        assert!(run.stderr.contains(flag), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(why), "{args:?}: {}", run.stderr);
    }
    assert_eq!(
        std::fs::read(env.ledger().join("journal")).unwrap(),
        journal
    );
}

#[test]
fn an_unknown_id_in_an_import_gets_the_near_matches() {
    let env = small();
    let line = r#"{"kind":"coordinator_elected","body":"wg-universalisation","state":"NOR","start":"2014-09-05","end":"2016-09-05","decision":{"meeting":"3MSP","date":"2012-09-14"}}"#;
    let path = env.file("u.jsonl", &format!("{line}\n"));
    let run = env.run(&["import", path.to_str().unwrap()]).fails_with(1);
    assert!(run.stderr.contains("u.jsonl:1:"), "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean wg-universalization"),
        "{}",
        run.stderr
    );
    let line = r#"{"kind":"coordinator_elected","body":"wg-universalization","state":"NRO","start":"2014-09-05","end":"2016-09-05","decision":{"meeting":"3MSP","date":"2012-09-14"}}"#;
    let path = env.file("s.jsonl", &format!("{line}\n"));
    let run = env.run(&["import", path.to_str().unwrap()]).fails_with(1);
    assert!(run.stderr.contains("did you mean NOR"), "{}", run.stderr);
}

#[test]
fn more_than_twenty_bad_lines_say_how_many_more() {
    let env = TestEnv::new();
    let lines = "{\"kind\":\"bogus\"}\n".repeat(25);
    let path = env.file("many.jsonl", &lines);
    let run = env.run(&["import", path.to_str().unwrap()]).fails_with(1);
    assert!(run.stderr.contains("many.jsonl:20:"), "{}", run.stderr);
    assert!(!run.stderr.contains("many.jsonl:21:"), "{}", run.stderr);
    assert!(
        run.stderr.contains("and 5 more bad lines"),
        "{}",
        run.stderr
    );
}

#[test]
fn one_of_a_thing_is_singular() {
    let env = TestEnv::new();
    env.import(SMALL);
    let who = env
        .run(&["who", "wg-universalization", "--on", "2013-01-15"])
        .ok();
    assert!(who.stdout.contains("(2 seats)"), "{}", who.stdout);
    let one = TestEnv::new();
    one.import(r#"{"kind":"state_joined","state":"NOR","name":"Norway","effective":"2010-08-01"}"#);
    let verify = one.run(&["verify"]).ok();
    assert!(verify.stdout.contains("ok: 1 entry,"), "{}", verify.stdout);
    let export = one.run(&["export", "--out", "one.jsonl"]).ok();
    assert!(
        export.stderr.contains("exported 1 entry ") || export.stdout.contains("exported 1 entry "),
        "{}{}",
        export.stdout,
        export.stderr
    );
    let body = r#"{"kind":"meeting_held","meeting":"2MSP","type":"msp","start":"2011-09-13","end":"2011-09-16"}
{"kind":"body_established","body":"coord-x","name":"Coordinator X","type":"coordinator","seats":1,"term_years":2,"renew_per_year":1,"decision":{"meeting":"2MSP","date":"2011-09-16"}}"#;
    one.import(body);
    let who = one.run(&["who", "coord-x", "--on", "2012-01-01"]).ok();
    assert!(who.stdout.contains("(1 seat)"), "{}", who.stdout);
}

#[test]
fn the_recorder_defaults_to_the_login_name() {
    let env = TestEnv::new();
    let line = r#"{"kind":"state_joined","state":"NOR","name":"Norway","effective":"2010-08-01"}"#;
    let path = env.file("one.jsonl", &format!("{line}\n"));
    // No CCM_LEDGER_RECORDER and no USER: the login name, as the system knows it.
    let run = env
        .command(&env.ledger())
        .env_remove("CCM_LEDGER_RECORDER")
        .env_remove("USER")
        .env_remove("LOGNAME")
        .args(["import", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(run.status.success());
    let log = env.run(&["log", "--json"]).ok().json();
    let by = log[0]["recorded_by"].as_str().unwrap().to_string();
    assert_ne!(by, "unknown");
    assert_eq!(by, login_name());
}

/// Who the system says runs this test, asked of `id`.
fn login_name() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .expect("run id -un");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
