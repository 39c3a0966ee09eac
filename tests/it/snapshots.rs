//! What users see, pinned: the human output of each read command on the CCM fixture, with the
//! clock and the recorder pinned (`support`) and stdout a pipe, so no colour and no terminal
//! width. A change of layout or wording fails here as a diff to review, where a `contains`
//! check would pass.
//!
//! When a change is meant, re-accept the snapshots and review the diff in
//! `tests/it/snapshots/` before committing:
//! `INSTA_UPDATE=always cargo test --test it snapshots::` (ARCHITECTURE.md, "Tests").

use crate::support::*;

const FIXTURE: &str = include_str!("../../fixtures/ccm-machinery.jsonl");

/// The fixture imported into a fresh ledger.
fn fixture() -> TestEnv {
    let env = TestEnv::new();
    env.import(FIXTURE);
    env
}

/// What the command printed, with its exit code when it is not 0 (`check` reports findings
/// with one), and what it said on stderr when anything.
fn seen(env: &TestEnv, args: &[&str]) -> String {
    let run = env.run(args);
    let mut out = format!("$ ccm-ledger {}\n", args.join(" "));
    if run.code != 0 {
        out.push_str(&format!("[exit {}]\n", run.code));
    }
    out.push_str(&run.stdout);
    if !run.stderr.is_empty() {
        out.push_str("[stderr]\n");
        out.push_str(&run.stderr);
    }
    out
}

#[test]
fn who() {
    let env = fixture();
    insta::assert_snapshot!(seen(
        &env,
        &["who", "wg-universalization", "--on", "2013-01-01"]
    ));
}

#[test]
fn history_of_a_body() {
    let env = fixture();
    insta::assert_snapshot!(seen(&env, &["history", "--body", "wg-universalization"]));
}

#[test]
fn history_of_a_state() {
    let env = fixture();
    insta::assert_snapshot!(seen(&env, &["history", "--state", "NOR"]));
}

#[test]
fn state() {
    let env = fixture();
    insta::assert_snapshot!(seen(&env, &["state", "--on", "2016-01-01"]));
}

#[test]
fn committee() {
    let env = fixture();
    insta::assert_snapshot!(seen(&env, &["committee", "--on", "2016-01-01"]));
}

#[test]
fn check() {
    let env = fixture();
    insta::assert_snapshot!(seen(&env, &["check"]));
}

#[test]
fn log() {
    let env = fixture();
    insta::assert_snapshot!(seen(&env, &["log"]));
}

#[test]
fn timeline_text() {
    let env = fixture();
    // The day pinned: running terms are drawn to it (issue 17.7), so today would move them.
    insta::assert_snapshot!(seen(
        &env,
        &["timeline", "--width", "100", "--on", "2026-06-01"]
    ));
}
