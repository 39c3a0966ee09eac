//! One number must not take the machine down (issue 13, item 7): every count, size and width
//! from input or flags has a documented bound and a clear refusal, and files named on the
//! command line are read with a size limit before they are parsed.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::*;

/// The most address space the child may map: far more than any command needs on these
/// small ledgers, far less than a vector of 4 294 967 295 seats.
const ADDRESS_SPACE: u64 = 1 << 30;

/// The most CPU time the child may use: a command that loops over 4 294 967 295 seats (as
/// `body_amended` did before the fix, for over ten minutes) is killed instead of hanging.
const CPU_SECONDS: u64 = 60;

/// The binary run with `args`, its address space limited to [`ADDRESS_SPACE`] and its CPU
/// time to [`CPU_SECONDS`]: an allocation for a huge count fails (and aborts the process), a
/// loop over one is killed, instead of exhausting the machine the tests share.
fn within_memory(env: &TestEnv, args: &[&str]) -> std::process::Command {
    let mut command = env.command(&env.ledger());
    command.args(args);
    // SAFETY: only async-signal-safe calls (setrlimit) between fork and exec.
    unsafe {
        command.pre_exec(|| {
            for (resource, value) in [
                (libc::RLIMIT_AS, ADDRESS_SPACE),
                (libc::RLIMIT_CPU, CPU_SECONDS),
            ] {
                let limit = libc::rlimit {
                    rlim_cur: value,
                    rlim_max: value,
                };
                if libc::setrlimit(resource, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    command
}

fn run_with_memory_limit(env: &TestEnv, args: &[&str]) -> Run {
    let output = within_memory(env, args).output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A body of `seats` seats renewed `renew` a year (SMALL's meetings give it a decision).
fn body_with(seats: &str, term_years: &str, renew: &str) -> String {
    format!(
        r#"{{"kind":"body_established","body":"wg-huge","name":"Huge","type":"working_group","seats":{seats},"term_years":{term_years},"renew_per_year":{renew},"mandate":[],"decision":{{"meeting":"3MSP","date":"2012-09-14"}}}}"#
    )
}

#[track_caller]
fn assert_refused_within_memory(env: &TestEnv, args: &[&str], field: &str) {
    let before = env.canonical_bytes();
    let run = run_with_memory_limit(env, args);
    assert_eq!(
        run.code, 1,
        "{args:?}: expected exit 1\nstdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr.contains(&format!("field `{field}`")) && run.stderr.contains("at most"),
        "{args:?}: {}",
        run.stderr
    );
    assert_eq!(env.canonical_bytes(), before, "{args:?} changed the ledger");
}

#[test]
fn a_huge_seat_count_is_refused_at_import_and_in_a_proposal_without_exhausting_memory() {
    let env = TestEnv::new();
    env.import(SMALL);
    let file = env.file(
        "huge.jsonl",
        &format!("{}\n", body_with("4294967295", "2", "1")),
    );
    let path = file.to_str().unwrap();
    assert_refused_within_memory(&env, &["import", path], "seats");
    assert_refused_within_memory(&env, &["check", "--proposed", path], "seats");
}

#[test]
fn huge_term_years_and_renewals_are_refused() {
    let env = TestEnv::new();
    env.import(SMALL);
    let file = env.file(
        "years.jsonl",
        &format!("{}\n", body_with("2", "4294967295", "1")),
    );
    assert_refused_within_memory(&env, &["import", file.to_str().unwrap()], "term_years");
    let file = env.file(
        "renew.jsonl",
        &format!("{}\n", body_with("4294967295", "2", "4294967295")),
    );
    assert_refused_within_memory(&env, &["import", file.to_str().unwrap()], "seats");
}

#[test]
fn a_body_amended_to_a_huge_seat_count_is_refused() {
    let env = TestEnv::new();
    env.import(SMALL);
    let amend = r#"{"kind":"body_amended","body":"wg-universalization","seats":4294967295,"decision":{"meeting":"3MSP","date":"2012-09-14"}}"#;
    let file = env.file("amend.jsonl", &format!("{amend}\n"));
    let path = file.to_str().unwrap();
    assert_refused_within_memory(&env, &["import", path], "seats");
    assert_refused_within_memory(&env, &["check", "--proposed", path], "seats");
}

#[test]
fn a_huge_timeline_width_is_a_usage_error_not_a_panic() {
    let env = TestEnv::new();
    env.import(SMALL);
    for width in ["18446744073709551615", "1001"] {
        let run = env.run(&["timeline", "--width", width]).fails_with(2);
        assert!(run.stderr.contains("1000"), "{width}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    env.run(&["timeline", "--width", "1000"]).ok();
}

/// `/dev/zero` never ends: read whole, it would fill the memory. Every file named on the
/// command line that is parsed whole (keys, checkpoints, proofs) is refused past its limit.
#[test]
fn endless_or_huge_files_given_as_keys_checkpoints_or_proofs_fail_fast() {
    let env = TestEnv::new();
    env.run(&["init", "--origin", "test"]).ok();
    env.import(SMALL);
    env.run(&["keygen", "test"]).ok();
    let checkpoint = env.run(&["checkpoint", "--key", "test.key"]).ok().stdout;
    let checkpoint = env.file("cp", &checkpoint);
    let proof = env.run(&["prove", "--seq", "3"]).ok().stdout;
    let proof = env.file("proof.json", &proof);
    let big = env.dir.path().join("big");
    std::fs::write(&big, vec![b' '; 3 << 20]).unwrap();
    let zero = Path::new("/dev/zero");
    for endless in [zero, big.as_path()] {
        let e = endless.to_str().unwrap();
        let cases: [Vec<&str>; 4] = [
            vec!["checkpoint", "--key", e],
            vec![
                "verify-proof",
                "--proof",
                proof.to_str().unwrap(),
                "--checkpoint",
                checkpoint.to_str().unwrap(),
                "--key",
                e,
            ],
            vec![
                "verify-proof",
                "--proof",
                proof.to_str().unwrap(),
                "--checkpoint",
                e,
                "--key",
                "test.pub",
            ],
            vec![
                "verify-proof",
                "--proof",
                e,
                "--checkpoint",
                checkpoint.to_str().unwrap(),
                "--key",
                "test.pub",
            ],
        ];
        for args in cases {
            let started = Instant::now();
            let mut child = within_memory(&env, &args)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            // Before the fix the child read /dev/zero until the memory ran out.
            while child.try_wait().unwrap().is_none() {
                if started.elapsed() > Duration::from_secs(20) {
                    child.kill().unwrap();
                    panic!("{args:?} still reading after 20 s");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
            assert!(
                stderr.contains(e) && stderr.contains("larger than"),
                "{args:?}: {stderr}"
            );
        }
    }
}
