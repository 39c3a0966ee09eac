//! What a person at a terminal gets and a pipe does not (issue 17, item 3): colour in tables
//! and findings, `--color auto|always|never` and `NO_COLOR`; long outputs through `$PAGER`,
//! `--no-pager`. The terminal is a real pseudo-terminal, made by script(1).

use std::process::Command;

use crate::support::{TestEnv, SMALL};

const ESCAPE: &str = "\u{1b}[";

/// A small ledger, and a proposal (`proposal.jsonl`) that would break R1: a third holder of
/// two seats.
fn env() -> TestEnv {
    let env = TestEnv::new();
    env.import(SMALL);
    env.file(
        "proposal.jsonl",
        r#"{"kind":"coordinator_elected","body":"wg-universalization","state":"NOR","start":"2012-09-14","end":"2014-09-05","decision":{"meeting":"3MSP","date":"2012-09-14"}}"#,
    );
    env
}

const CHECK: &[&str] = &["check", "--proposed", "proposal.jsonl"];

/// Runs the binary with `args` with its stdout (and stderr) on a pseudo-terminal; `vars` are
/// set for it. Returns what the terminal showed.
fn on_terminal(env: &TestEnv, args: &[&str], vars: &[(&str, &str)]) -> String {
    on_terminal_after(env, "", args, vars)
}

/// As [`on_terminal`], with the shell command `setup` run on the terminal first (`stty rows 24 cols
/// 50;` makes it 50 columns wide).
fn on_terminal_after(env: &TestEnv, setup: &str, args: &[&str], vars: &[(&str, &str)]) -> String {
    let binary = env!("CARGO_BIN_EXE_ccm-ledger");
    let quoted: Vec<String> = std::iter::once(binary)
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    let mut command = Command::new("script");
    command
        .args(["-qec", &format!("{setup}{}", quoted.join(" ")), "/dev/null"])
        .env("CCM_LEDGER", env.ledger())
        .env("CCM_LEDGER_NOW", crate::support::NOW)
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .env_remove("PAGER")
        .env_remove("COLUMNS")
        .current_dir(env.dir.path());
    for (k, v) in vars {
        command.env(k, v);
    }
    let output = command.output().expect("run script(1)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn findings_and_tables_are_coloured_on_a_terminal_and_not_in_a_pipe() {
    let env = env();
    let shown = on_terminal(&env, CHECK, &[("PAGER", "cat")]);
    assert!(shown.contains(ESCAPE), "no colour on a terminal: {shown:?}");
    // The header is bold; the finding's row is coloured as its severity.
    assert!(shown.contains("\u{1b}[1mDATE"), "{shown:?}");
    assert!(
        shown.contains(&format!("{ESCAPE}31m")),
        "the error is not red: {shown:?}"
    );
    let piped = env.run(CHECK);
    assert!(!piped.stdout.contains(ESCAPE), "{:?}", piped.stdout);
    assert!(!piped.stderr.contains(ESCAPE), "{:?}", piped.stderr);
    let vacant = on_terminal(
        &env,
        &["who", "wg-universalization", "--on", "2014-10-01"],
        &[],
    );
    assert!(vacant.contains("vacant"), "{vacant:?}");
    assert!(vacant.contains(&format!("{ESCAPE}33")), "{vacant:?}");
}

#[test]
fn color_never_and_no_color_turn_it_off_and_color_always_forces_it() {
    let env = env();
    let never = on_terminal(&env, &[&["--color", "never"], CHECK].concat(), &[]);
    assert!(!never.contains(ESCAPE), "{never:?}");
    let no_color = on_terminal(&env, CHECK, &[("NO_COLOR", "1")]);
    assert!(!no_color.contains(ESCAPE), "{no_color:?}");
    // NO_COLOR set but empty does not count (no-color.org).
    let empty = on_terminal(&env, CHECK, &[("NO_COLOR", "")]);
    assert!(empty.contains(ESCAPE), "{empty:?}");
    let always = env.run(&[&["--color", "always"], CHECK].concat());
    assert!(always.stdout.contains(ESCAPE), "{:?}", always.stdout);
    let forced = on_terminal(
        &env,
        &[&["--color", "always"], CHECK].concat(),
        &[("NO_COLOR", "1")],
    );
    assert!(forced.contains(ESCAPE), "{forced:?}");
}

#[test]
fn log_and_history_go_through_the_pager_on_a_terminal_only() {
    let env = env();
    let pager = [("PAGER", "sed 's/^/paged: /'")];
    let paged = on_terminal(&env, &["log"], &pager);
    assert!(paged.contains("paged: "), "{paged:?}");
    let paged = on_terminal(&env, &["history", "--state", "NOR"], &pager);
    assert!(paged.contains("paged: "), "{paged:?}");
    let straight = on_terminal(&env, &["log", "--no-pager"], &pager);
    assert!(!straight.contains("paged: "), "{straight:?}");
    assert!(straight.contains("NOR"), "{straight:?}");
    // Not a terminal: never paged, whatever PAGER says.
    let piped = env
        .command(&env.ledger())
        .env("PAGER", "sed 's/^/paged: /'")
        .arg("log")
        .output()
        .unwrap();
    let piped = String::from_utf8_lossy(&piped.stdout);
    assert!(
        !piped.contains("paged: ") && piped.contains("NOR"),
        "{piped}"
    );
}

#[test]
fn long_work_shows_progress_on_a_terminal_and_nothing_in_a_pipe_or_with_json() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/ccm-machinery.jsonl");
    // Work is "long" from the first moment here; by default, after a second.
    let at_once = [("CCM_LEDGER_PROGRESS_AFTER_MS", "0")];
    let env = TestEnv::new();
    let shown = on_terminal(&env, &["import", fixture], &at_once);
    assert!(shown.contains("importing"), "{shown:?}");
    let shown = on_terminal(&env, &["export", "--out", "ccm.jsonl"], &at_once);
    assert!(shown.contains("exporting"), "{shown:?}");
    let json = on_terminal(
        &env,
        &["--json", "export", "--out", "again.jsonl"],
        &at_once,
    );
    assert!(!json.contains("exporting"), "{json:?}");

    let piped = TestEnv::new();
    let run = piped
        .command(&piped.ledger())
        .env("CCM_LEDGER_PROGRESS_AFTER_MS", "0")
        .args(["import", fixture])
        .output()
        .unwrap();
    assert!(run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!stderr.contains("importing"), "{stderr}");

    // A short import on a terminal, with the default second: nothing more than before.
    let quick = TestEnv::new();
    let shown = on_terminal(&quick, &["import", fixture], &[]);
    assert!(!shown.contains("importing"), "{shown:?}");
}

/// Issue 17.3: `verify` draws its progress too, from the library's reports of how far the
/// chain's pass has got; nothing in a pipe or with `--json`.
#[test]
fn verify_shows_progress_on_a_terminal_and_nothing_in_a_pipe_or_with_json() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/ccm-machinery.jsonl");
    let at_once = [("CCM_LEDGER_PROGRESS_AFTER_MS", "0")];
    let env = TestEnv::new();
    env.run(&["import", fixture]).ok();
    let shown = on_terminal(&env, &["verify"], &at_once);
    assert!(shown.contains("verifying"), "{shown:?}");
    assert!(shown.contains("199/199 entries"), "{shown:?}");
    assert!(shown.contains("199 entries"), "the answer stays: {shown:?}");

    let json = on_terminal(&env, &["--json", "verify"], &at_once);
    assert!(!json.contains("verifying"), "{json:?}");
    let piped = env
        .command(&env.ledger())
        .env("CCM_LEDGER_PROGRESS_AFTER_MS", "0")
        .arg("verify")
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert!(
        !String::from_utf8_lossy(&piped.stderr).contains("verifying"),
        "{piped:?}"
    );
    // A quick verify on a terminal, with the default second: nothing more than before.
    let quick = on_terminal(&env, &["verify"], &[]);
    assert!(!quick.contains("verifying"), "{quick:?}");
}

/// `verify`'s re-derivation after the chain's pass shows its progress too: the snapshot's
/// sections read back, the journal folded again, the fold's sections hashed. At 10^6 entries
/// it took half a minute with nothing on the screen after the chain's line (BENCHMARKS.md).
/// Nothing in a pipe or with `--json`.
#[test]
fn verify_shows_the_progress_of_re_deriving_the_snapshot_after_the_chain() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/ccm-machinery.jsonl");
    let at_once = [("CCM_LEDGER_PROGRESS_AFTER_MS", "0")];
    let env = TestEnv::new();
    env.run(&["import", fixture]).ok();
    let sections = |shown: &str| {
        PHASES
            .iter()
            .filter(|phase| shown.contains(*phase))
            .copied()
            .collect::<Vec<_>>()
    };
    let shown = on_terminal(&env, &["verify"], &at_once);
    assert_eq!(sections(&shown), PHASES, "{shown:?}");
    assert!(shown.contains("199/199 entries"), "{shown:?}");
    assert!(shown.contains("199 entries"), "the answer stays: {shown:?}");
    // Each line fits 80 columns: a longer description takes from the bar.
    for line in drawn_lines(&shown) {
        assert!(line.chars().count() <= 80, "{line:?}");
    }

    let json = on_terminal(&env, &["--json", "verify"], &at_once);
    assert!(sections(&json).is_empty(), "{json:?}");
    let piped = env
        .command(&env.ledger())
        .env("CCM_LEDGER_PROGRESS_AFTER_MS", "0")
        .arg("verify")
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert!(
        sections(&String::from_utf8_lossy(&piped.stderr)).is_empty(),
        "{piped:?}"
    );
    let quick = on_terminal(&env, &["verify"], &[]);
    assert!(sections(&quick).is_empty(), "{quick:?}");
}

/// The lines a terminal was given, without the escapes that move the cursor or clear a line,
/// nor trailing spaces.
fn drawn_lines(shown: &str) -> Vec<String> {
    let mut lines = vec![String::new()];
    let mut chars = shown.chars();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                // CSI: `ESC [`, parameters, a final letter.
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
                lines.push(String::new());
            }
            '\r' | '\n' => lines.push(String::new()),
            c => lines.last_mut().expect("one line at least").push(c),
        }
    }
    lines
        .into_iter()
        .map(|line| line.trim_end().to_owned())
        .filter(|line| !line.is_empty())
        .collect()
}

/// What `verify` says it is doing after the chain's pass, in order.
const PHASES: [&str; 3] = [
    "reading the snapshot back",
    "folding the journal again",
    "hashing the fold's sections",
];

/// Tables fit the terminal they are shown on, measured (issue 18, item 5): before, only
/// `$COLUMNS` was read, so a 50-column terminal without it got lines of 80. `COLUMNS`, where
/// set, still wins, as in `ls` and clap.
#[test]
fn tables_fit_the_width_of_a_real_terminal_and_columns_overrides_it() {
    let env = env();
    let args = ["--color", "never", "log", "--no-pager"];
    let widest = |shown: &str| {
        shown
            .lines()
            .map(|line| line.trim_end_matches('\r').chars().count())
            .max()
            .unwrap_or(0)
    };
    let narrow = on_terminal_after(&env, "stty rows 24 cols 50; ", &args, &[]);
    assert!(narrow.contains("SEQ"), "{narrow:?}");
    assert!(narrow.contains('…'), "nothing was shortened: {narrow:?}");
    assert!(widest(&narrow) <= 50, "{narrow}");
    // Set on the command line: a shell such as bash rewrites an exported COLUMNS to the
    // terminal's width after each command it runs (checkwinsize).
    let told = on_terminal_after(&env, "stty rows 24 cols 50; COLUMNS=120 ", &args, &[]);
    assert!((51..=120).contains(&widest(&told)), "{told}");
}

#[test]
fn the_terminal_timeline_fits_a_real_terminal_without_being_told_its_width() {
    let env = env();
    let widest = |shown: &str| {
        shown
            .lines()
            .map(|line| line.trim_end_matches('\r').chars().count())
            .max()
            .unwrap_or(0)
    };
    let args = ["--color", "never", "timeline", "--on", "2020-01-01"];
    let narrow = on_terminal_after(&env, "stty rows 24 cols 60; unset COLUMNS; ", &args, &[]);
    assert!(narrow.contains("Presidency"), "{narrow:?}");
    assert!(widest(&narrow) <= 60, "{narrow}");
    let wide = on_terminal_after(&env, "stty rows 24 cols 140; unset COLUMNS; ", &args, &[]);
    assert!((81..=140).contains(&widest(&wide)), "{wide}");
}
