//! Every example a user is shown runs as written (issue 17): each command of the README's `sh`
//! blocks, top to bottom, and each example of every `--help` (`record <kind> --help`
//! included), run by bash in a fresh directory holding a copy of `fixtures/` and the ledger
//! `demo` builds at the default place, and each exits as documented: 0, unless its comment (or
//! the description beside it in the help) says "exits N". An example piped into another
//! program must give that program something: `log --json | jq '…'` printing nothing is a
//! broken example even though jq exits 0.
//!
//! `demo` runs once; every group of examples works on its own copy of what it left. `HOME` is
//! that copy, so the README's install steps (completions, manual pages) write there.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::bin;

/// README lines that are not `ccm-ledger` commands, and why they are not run here.
const NOT_RUN: &[(&str, &str)] = &[
    (
        "cargo run --release -- demo",
        "the demo this test runs first, through the binary under test",
    ),
    ("cargo test", "the test suite itself"),
    (
        "cargo install --path .",
        "installs into the user's cargo bin",
    ),
    (
        "cd fuzz && cargo +nightly fuzz run",
        "needs a nightly toolchain and cargo-fuzz",
    ),
];

/// What the `--help` examples take as at hand, made by the binary itself before they run, as
/// a user would have made it: a key (`isu.key`, `isu.pub`), a ledger that signs (`./ccm`,
/// holding the fixture, as the demo's), last year's checkpoint of it (when it held 100
/// entries) and today's, its export, and proofs of entry 42 and of growth since last year; its
/// publication (`public/`), and three States' witness keys (`nor`, `ecu`, `civ`), two of which
/// cosigned today's checkpoint (`nor.cosigned`, `ecu.cosigned`, merged into it).
const AT_HAND: &[&str] = &[
    "ccm-ledger keygen isu",
    "ccm-ledger --ledger ./ccm init --origin isu --sign-with isu.key",
    "ccm-ledger export | head -n 100 | ccm-ledger --ledger ./ccm import -",
    "ccm-ledger --ledger ./ccm checkpoint > 2025.checkpoint",
    "ccm-ledger export | tail -n +101 | ccm-ledger --ledger ./ccm import -",
    "ccm-ledger --ledger ./ccm checkpoint > today.checkpoint",
    "ccm-ledger --ledger ./ccm export --out ccm.jsonl",
    "ccm-ledger --ledger ./ccm prove --seq 42 > entry42.proof",
    "ccm-ledger --ledger ./ccm prove --from 100 > since-last-year.proof",
    "ccm-ledger --ledger ./ccm publish public/",
    "ccm-ledger keygen nor --witness",
    "ccm-ledger keygen ecu --witness",
    "ccm-ledger keygen civ --witness",
    "ccm-ledger witness --state nor-witness --key nor.key --log-key isu.pub --checkpoint today.checkpoint > nor.cosigned",
    "ccm-ledger witness --state ecu-witness --key ecu.key --log-key isu.pub --checkpoint today.checkpoint > ecu.cosigned",
    "ccm-ledger --ledger ./ccm checkpoint --add-cosignatures nor.cosigned ecu.cosigned",
    "ccm-ledger --ledger ./ccm checkpoint > today.checkpoint",
];

#[derive(Debug)]
struct Example {
    /// Where it is shown: "README.md:41" or "ccm-ledger log --help".
    shown_in: String,
    command: String,
    exit: i32,
}

#[test]
fn every_readme_example_runs_as_written() {
    let demo = Demo::build();
    let dir = demo.fresh_copy();
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("read README.md");
    let examples = readme_examples(&readme);
    assert!(
        examples.len() >= 30,
        "only {} README examples found",
        examples.len()
    );
    let failures: Vec<String> = examples
        .iter()
        .filter_map(|example| run_example(dir.path(), example))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_help_example_runs_as_written() {
    let demo = Demo::build();
    let at_hand = demo.fresh_copy();
    for command in AT_HAND {
        let prepared = Example {
            shown_in: "the files at hand".into(),
            command: command.to_string(),
            exit: 0,
        };
        if let Some(failure) = run_example(at_hand.path(), &prepared) {
            panic!("{failure}");
        }
    }
    let pages = help_examples(at_hand.path());
    let found: usize = pages.iter().map(Vec::len).sum();
    assert!(found >= 40, "only {found} help examples found");
    // Each help page's examples run in order, in a copy of their own.
    let failures: Vec<String> = pages
        .iter()
        .flat_map(|examples| {
            let dir = tempfile::tempdir().expect("a temporary directory");
            copy_dir(at_hand.path(), dir.path());
            examples
                .iter()
                .filter_map(|example| run_example(dir.path(), example))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn examples_are_found_where_they_are_written() {
    let readme = "intro\n\
                  ```sh\n\
                  ccm-ledger who x --on 2013-01-15     # Portugal\n\
                  # a comment alone\n\
                  ccm-ledger verify-proof --proof a \\\n    --key b\n\
                  ccm-ledger import bad.jsonl          # exits 1: refused\n\
                  ```\n\
                  ```json\n\
                  ccm-ledger not-a-shell-block\n\
                  ```\n";
    let found: Vec<(String, i32)> = readme_examples(readme)
        .into_iter()
        .map(|e| (e.command, e.exit))
        .collect();
    assert_eq!(
        found,
        [
            (
                "ccm-ledger who x --on 2013-01-15     # Portugal".to_string(),
                0
            ),
            (
                "ccm-ledger verify-proof --proof a \\\n    --key b".into(),
                0
            ),
            (
                "ccm-ledger import bad.jsonl          # exits 1: refused".into(),
                1
            ),
        ]
    );

    let help =
        "Print things.\n\nExamples:\n  ccm-ledger keygen isu                writes isu.key\n  \
                ccm-ledger record x --a \"two  spaces\" \\\n      --b 2\n  \
                ccm-ledger check --proposed p.jsonl   exits 4: the findings\n\nOptions:\n  \
                ccm-ledger not-an-example\n";
    let found: Vec<(String, i32)> = examples_in_help(help, "h")
        .into_iter()
        .map(|e| (e.command, e.exit))
        .collect();
    assert_eq!(
        found,
        [
            ("ccm-ledger keygen isu".to_string(), 0),
            ("ccm-ledger record x --a \"two  spaces\" --b 2".into(), 0),
            ("ccm-ledger check --proposed p.jsonl".into(), 4),
        ]
    );
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A directory where `demo` ran (its ledger at the default place under `HOME`) beside a copy
/// of `fixtures/`.
struct Demo {
    dir: tempfile::TempDir,
}

impl Demo {
    fn build() -> Demo {
        let dir = tempfile::tempdir().expect("a temporary directory");
        copy_dir(&repo().join("fixtures"), &dir.path().join("fixtures"));
        let demo = Example {
            shown_in: "the demo every example follows".into(),
            command: "ccm-ledger demo".into(),
            exit: 0,
        };
        if let Some(failure) = run_example(dir.path(), &demo) {
            panic!("{failure}");
        }
        Demo { dir }
    }

    fn fresh_copy(&self) -> tempfile::TempDir {
        let copy = tempfile::tempdir().expect("a temporary directory");
        copy_dir(self.dir.path(), copy.path());
        copy
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a directory");
    for entry in std::fs::read_dir(from).expect("read a directory") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// Runs `example` with bash in `dir` (its `HOME`, so the default ledger is the demo's), the
/// binary under test first on `PATH`. Returns what went wrong, if anything.
fn run_example(dir: &Path, example: &Example) -> Option<String> {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_ccm-ledger"));
    let bin_dir = binary.parent().expect("the binary's directory");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
    );
    let output = Command::new("bash")
        .args(["-o", "pipefail", "-c", &example.command])
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir)
        .env("USER", "example")
        .current_dir(dir)
        .output()
        .expect("run bash");
    let code = output.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let wrong = if code != example.exit {
        Some(format!("exited {code}, documented {}", example.exit))
    } else if example.command.contains(" | ") && code == 0 && stdout.trim().is_empty() {
        Some("its pipe printed nothing".to_string())
    } else {
        None
    };
    wrong.map(|wrong| {
        format!(
            "{}: `{}` {wrong}\nstdout: {}\nstderr: {}",
            example.shown_in,
            example.command,
            stdout.chars().take(600).collect::<String>(),
            stderr.chars().take(600).collect::<String>()
        )
    })
}

/// The exit code an example's comment or description documents ("exits 4"), else 0.
fn documented_exit(text: &str) -> i32 {
    let words: Vec<&str> = text.split_whitespace().collect();
    words
        .windows(2)
        .find(|pair| pair[0] == "exits")
        .and_then(|pair| pair[1].trim_end_matches([':', ',', ')']).parse().ok())
        .unwrap_or(0)
}

/// The commands of the README's `sh` blocks, a line ending in `\` joined with the next, bash's
/// comments left in place. A line that is not a `ccm-ledger` command must be one of
/// [`NOT_RUN`].
fn readme_examples(readme: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut in_sh = false;
    let mut pending: Option<(usize, String)> = None;
    for (i, line) in readme.lines().enumerate() {
        let number = i + 1;
        if line.starts_with("```") {
            in_sh = line.trim() == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let (start, command) = match pending.take() {
            Some((start, so_far)) => (start, format!("{so_far}\n{line}")),
            None => (number, line.to_string()),
        };
        if command.ends_with('\\') {
            pending = Some((start, command));
            continue;
        }
        let trimmed = command.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        // Setup a user types before an example (`mkdir -p DIR`) runs too.
        if !trimmed.starts_with("ccm-ledger ") && !trimmed.starts_with("mkdir -p ") {
            assert!(
                NOT_RUN
                    .iter()
                    .any(|(prefix, _)| trimmed.starts_with(prefix)),
                "README.md:{start}: `{trimmed}` is neither a ccm-ledger command nor one this \
                 test knows it cannot run"
            );
            continue;
        }
        let exit = trimmed
            .split_once(" #")
            .map_or(0, |(_, comment)| documented_exit(comment));
        examples.push(Example {
            shown_in: format!("README.md:{start}"),
            command: trimmed.to_string(),
            exit,
        });
    }
    examples
}

/// The examples of every help text, page by page: the top level's, every command's, and every
/// `record` kind's.
fn help_examples(dir: &Path) -> Vec<Vec<Example>> {
    let mut examples = Vec::new();
    let mut pages: Vec<Vec<String>> = vec![vec![]];
    for command in subcommands(&help(dir, &[])) {
        pages.push(vec![command.clone()]);
        if command == "record" {
            for kind in subcommands(&help(dir, &["record"])) {
                pages.push(vec!["record".into(), kind]);
            }
        }
    }
    for page in pages {
        let args: Vec<&str> = page.iter().map(String::as_str).collect();
        let shown_in = format!("ccm-ledger {} --help", args.join(" "));
        examples.push(examples_in_help(&help(dir, &args), &shown_in));
    }
    examples
}

fn help(dir: &Path, args: &[&str]) -> String {
    let output = bin()
        .args(args)
        .arg("--help")
        .env_clear()
        .env("HOME", dir)
        .output()
        .expect("run ccm-ledger --help");
    assert!(output.status.success(), "{args:?} --help failed");
    String::from_utf8(output.stdout).expect("help is UTF-8")
}

/// The names listed under "Commands:" (but `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| line.trim() != "Commands:")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        // A description wrapped onto the next line is indented further.
        .filter(|line| !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// The commands under "Examples:" or "Get started:", a line ending in `\` joined with the
/// next; what follows a command after two spaces (outside quotes) describes it.
fn examples_in_help(help: &str, shown_in: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut in_examples = false;
    let mut pending = String::new();
    for line in help.lines() {
        let trimmed = line.trim();
        if trimmed == "Examples:" || trimmed == "Get started:" {
            in_examples = true;
            continue;
        }
        if !in_examples {
            continue;
        }
        if trimmed.is_empty() || !line.starts_with(' ') {
            in_examples = false;
            continue;
        }
        if pending.is_empty() && !trimmed.starts_with("ccm-ledger ") {
            continue;
        }
        if let Some(start) = trimmed.strip_suffix('\\') {
            pending.push_str(start.trim_end());
            pending.push(' ');
            continue;
        }
        let whole = std::mem::take(&mut pending) + trimmed;
        let (command, description) = split_description(&whole);
        examples.push(Example {
            shown_in: shown_in.to_string(),
            command: command.to_string(),
            exit: documented_exit(description),
        });
    }
    examples
}

/// Splits "ccm-ledger keygen isu      writes isu.key" at the first two spaces outside quotes.
fn split_description(line: &str) -> (&str, &str) {
    let mut quote = None;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b' ') if bytes.get(i + 1) == Some(&b' ') => {
                return (&line[..i], line[i..].trim());
            }
            _ => {}
        }
    }
    (line, "")
}
