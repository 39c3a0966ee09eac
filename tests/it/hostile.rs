//! A catalogue of hostile input. Each case: the message names the file, the line and the
//! field; the exit code is the documented one; the ledger is byte-for-byte unchanged.
//! (The semantic refusals — unknown references, terms ending before they begin, corrections
//! — are in `hostile_semantic.rs`.)

use std::io::Write;
use std::process::Stdio;

use crate::support::*;

const GOOD: &str =
    r#"{"kind":"state_joined","state":"FRA","name":"France","effective":"2010-08-01"}"#;

#[track_caller]
fn refused(bad: &[u8], expected: &[&str]) -> String {
    assert_line_refused("hostile.jsonl", bad, expected)
}

#[test]
fn truncated_json() {
    refused(
        br#"{"kind":"state_joined","state":"NO"#,
        &["not valid JSON", "EOF"],
    );
}

#[test]
fn json_that_is_not_an_object() {
    for bad in [&b"[]"[..], b"\"state_joined\"", b"null", b"42"] {
        refused(bad, &["expected a JSON object"]);
    }
}

#[test]
fn nul_bytes_and_control_characters() {
    refused(
        b"{\"kind\":\"state_joined\",\0\"state\":\"NOR\"}",
        &["not valid JSON"],
    );
}

#[test]
fn a_byte_order_mark_is_refused_and_named_at_its_line() {
    // Not stripped: the contract is UTF-8 JSON Lines; the message names the line and the mark
    // (issue 17: "expected value at column 1" did not say what to fix).
    refused(
        format!("\u{feff}{GOOD}").as_bytes(),
        &["byte-order mark", "without a byte-order mark"],
    );
}

#[test]
fn non_utf8_bytes() {
    refused(
        b"{\"kind\":\"state_joined\",\"state\":\"NOR\",\"name\":\"Nor\xffway\",\"effective\":\"2010-08-01\"}",
        &["not UTF-8", "column 49"],
    );
}

#[test]
fn json_nested_deeper_than_the_limit() {
    let deep = format!(
        r#"{{"kind":"state_joined","state":"NOR","name":{}"x"{},"effective":"2010-08-01"}}"#,
        "[".repeat(9),
        "]".repeat(9)
    );
    refused(
        deep.as_bytes(),
        &["field `name", "nested deeper than 8 levels"],
    );
}

#[test]
fn json_nested_a_hundred_thousand_levels_deep_fails_without_overflowing_the_stack() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    refused(deep.as_bytes(), &["nested deeper than 8 levels"]);
}

#[test]
fn a_text_longer_than_the_limit() {
    let long = format!(
        r#"{{"kind":"state_joined","state":"NOR","name":"{}","effective":"2010-08-01"}}"#,
        "n".repeat(4097)
    );
    refused(
        long.as_bytes(),
        &["field `name`", "longer than 4096 characters"],
    );
}

#[test]
fn impossible_and_malformed_dates() {
    for (date, needle) in [
        ("0000-00-00", "0000-00-00"),
        ("2023-02-30", "2023-02-30"),
        ("2023-13-01", "2023-13-01"),
        ("2023-2-3", "2023-2-3"),
        ("20199-09-04", "20199-09-04"),
        ("0000-01-01", "outside the years"),
    ] {
        refused(
            format!(
                r#"{{"kind":"state_joined","state":"NOR","name":"Norway","effective":"{date}"}}"#
            )
            .as_bytes(),
            &["field `effective`", needle],
        );
    }
}

#[test]
fn unknown_kinds_and_fields_at_any_depth() {
    refused(
        br#"{"kind":"StateJoined"}"#,
        &["field `kind`", "unknown kind"],
    );
    refused(br#"{"state":"NOR"}"#, &["field `kind`", "missing"]);
    refused(br#"{"kind":7}"#, &["field `kind`", "expected a string"]);
    refused(
        br#"{"kind":"meeting_held","meeting":"4MSP","type":"msp","start":"2013-09-09","end":"2013-09-13","decision":{"meeting":"3MSP","date":"2012-09-14"}}"#,
        &["field `decision`", "unknown field"],
    );
    refused(
        br#"{"kind":"body_established","body":"wg-a","name":"A","type":"working_group","seats":2,"term_years":2,"renew_per_year":1,"mandate":[],"decision":{"meeting":"3MSP","date":"2012-09-14","paragrph":"1"}}"#,
        &["field `decision", "paragrph"],
    );
}

#[test]
fn numbers_out_of_range() {
    refused(
        br#"{"kind":"body_established","body":"wg-a","name":"A","type":"working_group","seats":18446744073709551616,"term_years":2,"renew_per_year":1,"mandate":[],"decision":{"meeting":"3MSP","date":"2012-09-14"}}"#,
        &["field `seats`"],
    );
    refused(
        br#"{"kind":"entry_corrected","target":-1,"reason":"r","replacement":null}"#,
        &["field `target`"],
    );
}

#[test]
fn line_fields_inside_an_event_are_refused() {
    refused(
        br#"{"kind":"entry_corrected","target":1,"reason":"r","replacement":{"kind":"state_joined","state":"NOR","name":"N","effective":"2010-08-01","override":"x"}}"#,
        &["field `replacement.override`"],
    );
}

#[test]
fn an_empty_or_blank_input_is_refused() {
    let env = TestEnv::new();
    env.import(SMALL);
    let before = env.canonical_bytes();
    let blank = env.file("blank.jsonl", "\n   \n\r\n");
    let run = env.run(&["import", blank.to_str().unwrap()]).fails_with(1);
    assert!(
        run.stderr.contains("blank.jsonl: no events"),
        "{}",
        run.stderr
    );
    let run = env.run_with_stdin(&["import", "-"], b"").fails_with(1);
    assert!(run.stderr.contains("-: no events"), "{}", run.stderr);
    assert_eq!(env.canonical_bytes(), before);
}

#[test]
fn crlf_line_endings_are_accepted() {
    let env = TestEnv::new();
    env.import(&SMALL.replace('\n', "\r\n"));
    assert_eq!(env.run(&["verify", "--json"]).ok().json()["entries"], 10);
}

/// A 100 MB line through standard input fails with the line-length limit, without the
/// process holding the line in memory (its peak RSS stays far below 100 MB), and quickly.
#[test]
fn a_hundred_megabyte_line_fails_fast_with_the_line_length_limit() {
    let env = TestEnv::new();
    env.import(SMALL);
    let before = env.canonical_bytes();
    let started = std::time::Instant::now();
    let mut child = env
        .command(&env.ledger())
        .args(["import", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let chunk = vec![b'a'; 1 << 20];
        stdin.write_all(format!("{GOOD}\n").as_bytes())?;
        stdin.write_all(b"{\"kind\":\"state_joined\",\"name\":\"")?;
        for _ in 0..100 {
            stdin.write_all(&chunk)?;
        }
        stdin.write_all(b"\"}\n")
    });
    let pid = child.id() as libc::pid_t;
    let mut peak_kib = 0u64;
    // Sample the child's peak resident size while it runs (VmHWM, KiB).
    while child.try_wait().unwrap().is_none() {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
                let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
                peak_kib = peak_kib.max(kib);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    let _ = writer.join();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("-:2: longer than the limit of 1048576 bytes"),
        "{stderr}"
    );
    assert!(peak_kib < 64 * 1024, "peak RSS {peak_kib} KiB");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(env.canonical_bytes(), before);
}

#[test]
fn a_ledger_path_that_is_a_file() {
    let env = TestEnv::new();
    let file = env.file("not-a-dir", "hello");
    let input = env.file("one.jsonl", GOOD);
    for args in [
        &["log"][..],
        &["verify"][..],
        &["export"][..],
        &["init"][..],
        &["import", input.to_str().unwrap()][..],
    ] {
        let run = env.run_on(&file, args).fails_with(1);
        assert!(
            run.stderr.contains("is a file, not a ledger directory")
                || run.stderr.contains("not a ledger"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("not-a-dir"), "{args:?}: {}", run.stderr);
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "hello");
}

/// As root, `chmod` does not stop writes, so an unwritable ledger is made by putting its
/// path under a regular file: nothing can be created there, by anyone.
#[test]
fn a_ledger_path_that_cannot_be_created() {
    let env = TestEnv::new();
    env.file("blocker", "x");
    let ledger = env.dir.path().join("blocker").join("ledger");
    let input = env.file("one.jsonl", GOOD);
    for args in [&["init"][..], &["import", input.to_str().unwrap()][..]] {
        let run = env.run_on(&ledger, args).fails_with(1);
        assert!(run.stderr.contains("blocker"), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

#[test]
fn a_missing_ledger() {
    let env = TestEnv::new();
    for args in [&["log"][..], &["verify"][..], &["export"][..]] {
        let run = env.run(args).fails_with(1);
        assert!(
            run.stderr.contains("is not a ledger"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert!(!env.ledger().exists(), "reading creates nothing");
}

#[test]
fn a_journal_overwritten_with_garbage_or_a_missing_head_file() {
    let env = TestEnv::new();
    env.import(SMALL);
    std::fs::write(env.ledger().join("journal"), vec![0x5Au8; 3000]).unwrap();
    for args in [&["log"][..], &["export"][..], &["verify"][..]] {
        let run = env.run(args).fails_with(3);
        assert!(
            run.stderr.contains("journal") || run.stderr.contains("magic"),
            "{args:?}: {}",
            run.stderr
        );
    }

    let env = TestEnv::new();
    env.import(SMALL);
    std::fs::remove_file(env.ledger().join("HEAD")).unwrap();
    for args in [&["log"][..], &["export"][..], &["verify"][..]] {
        let run = env.run(args).fails_with(3);
        assert!(run.stderr.contains("HEAD"), "{args:?}: {}", run.stderr);
    }
}
