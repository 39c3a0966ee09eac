//! The continuity rules over golden ledgers: `tests/data/rules/<rule>/*.jsonl`, each a small
//! ledger in the import format, folded and checked with the default tolerances.
//!
//! - `ok.jsonl` (or `ok-*.jsonl`, `*-ok.jsonl`) must give no finding of the directory's rule;
//! - any other `NAME.jsonl` must give exactly the findings of `NAME.expected.json` beside it
//!   (compared on the keys each expected finding has: `rule`, `severity`, `body`, `office`,
//!   `state`, `date`, `seqs`, `overridden`, and `message` where it is written).
//!
//! Adding a case is adding two files. `UPDATE_EXPECT=1 cargo test --test rules` rewrites the
//! expected files from what the rules now say (review the diff before committing it).
//!
//! The real fixture, `fixtures/ccm-machinery.jsonl`, is checked against
//! `tests/data/rules/ccm-machinery.expected.json` the same way.

use std::fs;
use std::path::{Path, PathBuf};

use ccm_ledger::domain::EntryHash;
use ccm_ledger::domain::{jsonl, Seq, Timestamp};
use ccm_ledger::ledger::Entry;
use ccm_ledger::projection::Projection;
use ccm_ledger::rules::{self, Finding, Rule, Tolerances};
use serde_json::{Map, Value};

/// Entries with seq = the index of the event in the file (blank lines skipped).
fn ledger(path: &Path) -> Vec<Entry> {
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines = jsonl::read_lines(std::io::BufReader::new(file))
        .unwrap_or_else(|errors| panic!("{}: {errors:?}", path.display()));
    lines
        .into_iter()
        .enumerate()
        .map(|(i, (_, line))| Entry {
            seq: Seq(i as u64),
            recorded_at: Timestamp::parse("2026-01-01T00:00:00Z").expect("a valid timestamp"),
            recorded_by: "test".into(),
            override_reason: line.draft.override_reason,
            prev_hash: EntryHash::GENESIS,
            event: line.draft.event,
        })
        .collect()
}

fn findings(path: &Path) -> Vec<Finding> {
    rules::check(&Projection::fold(&ledger(path)), &Tolerances::default())
}

const KEYS: [&str; 8] = [
    "rule",
    "severity",
    "body",
    "office",
    "state",
    "date",
    "seqs",
    "overridden",
];

/// A finding as JSON, with only `keys`.
fn summary(finding: &Finding, keys: &[&str]) -> Value {
    let Value::Object(all) = serde_json::to_value(finding).expect("findings serialize") else {
        unreachable!("a finding serializes to an object")
    };
    Value::Object(
        keys.iter()
            .filter_map(|k| all.get(*k).map(|v| ((*k).to_owned(), v.clone())))
            .collect::<Map<_, _>>(),
    )
}

/// Compares the findings with the expected file (or rewrites it); returns what differs.
fn compare(found: &[Finding], expected_path: &Path, keys: &[&str]) -> Option<String> {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        let values: Vec<Value> = found.iter().map(|f| summary(f, keys)).collect();
        let text = serde_json::to_string_pretty(&values).expect("JSON") + "\n";
        fs::write(expected_path, text).expect("write the expected file");
        return None;
    }
    let text = fs::read_to_string(expected_path)
        .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
    let expected: Vec<Value> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
    let actual: Vec<Value> = found
        .iter()
        .zip(expected.iter().map(Some).chain(std::iter::repeat(None)))
        .map(|(f, e)| {
            let keys: Vec<&str> = match e {
                Some(Value::Object(e)) => e.keys().map(String::as_str).collect(),
                _ => keys.to_vec(),
            };
            summary(f, &keys)
        })
        .collect();
    (actual != expected).then(|| {
        format!(
            "{}:\nexpected {}\nfound    {}\n(all found: {found:#?})",
            expected_path.display(),
            serde_json::to_string_pretty(&expected).expect("JSON"),
            serde_json::to_string_pretty(&actual).expect("JSON"),
        )
    })
}

fn cases() -> Vec<(Rule, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rules");
    let mut cases = Vec::new();
    for dir in fs::read_dir(&root).expect("tests/data/rules") {
        let dir = dir.expect("a directory entry").path();
        if !dir.is_dir() {
            continue;
        }
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let rule = Rule::parse(name).unwrap_or_else(|| panic!("{name} is not a rule"));
        for file in fs::read_dir(&dir).expect("a rule's directory") {
            let path = file.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "jsonl") {
                cases.push((rule, path));
            }
        }
    }
    cases.sort();
    cases
}

#[test]
fn golden_ledgers_give_their_expected_findings() {
    let mut failures = Vec::new();
    let cases = cases();
    for rule in Rule::ALL {
        let of_rule: Vec<_> = cases.iter().filter(|(r, _)| *r == rule).collect();
        assert!(
            of_rule.iter().any(|(_, p)| is_ok(p)) && of_rule.iter().any(|(_, p)| !is_ok(p)),
            "{rule} needs an ok and an err case"
        );
    }
    for (rule, path) in &cases {
        let found = findings(path);
        let stem = stem(path);
        if is_ok(path) {
            let of_rule: Vec<&Finding> = found.iter().filter(|f| f.rule == *rule).collect();
            if !of_rule.is_empty() {
                failures.push(format!(
                    "{}: expected no {rule} finding, found {of_rule:#?}",
                    path.display()
                ));
            }
        } else {
            let expected = path.with_file_name(format!("{stem}.expected.json"));
            let exists = expected.exists() || std::env::var_os("UPDATE_EXPECT").is_some();
            if !exists {
                failures.push(format!("{}: no {}", path.display(), expected.display()));
            } else if !found.iter().any(|f| f.rule == *rule) {
                failures.push(format!("{}: no {rule} finding at all", path.display()));
            }
            if exists {
                failures.extend(compare(&found, &expected, &KEYS));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A case that must give no finding of its rule.
fn is_ok(path: &Path) -> bool {
    let stem = stem(path);
    stem == "ok" || stem.starts_with("ok-") || stem.ends_with("-ok")
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned()
}

/// The real machinery of the CCM, 2010–2026 (fixtures/README.md, "Findings that remain"):
/// every finding, with its message, pinned.
#[test]
fn the_ccm_machinery_gives_the_findings_the_fixture_documents() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = findings(&root.join("fixtures/ccm-machinery.jsonl"));
    let mut keys = KEYS.to_vec();
    keys.push("message");
    let expected = root.join("tests/data/rules/ccm-machinery.expected.json");
    if let Some(diff) = compare(&found, &expected, &keys) {
        panic!("{diff}");
    }
}
