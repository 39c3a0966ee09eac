//! The binary format is frozen: a fixed event list always yields the same bytes and hashes.
//! If this test fails, an encoder change altered the format of entries: that breaks every
//! existing ledger. Bump the schema version and add an upcaster instead (src/ledger/entry.rs).

use crate::support::*;

/// The head hash of SMALL recorded at NOW by "test", in schema version 2. (In version 1 it
/// was deb558004993e5e4276f8d9ac7f747eaf29079eceb245d292459407cd90e1e85: version-1 ledgers
/// are pinned by `a_version_1_ledger_verifies_reads_and_grows_as_it_was_written` below.)
const SMALL_HEAD: &str = "468e3b356c4435dd745efded501a21aff36d2ecde59c972ce8476014d9d9ad98";
/// The bytes of entry 0 of SMALL: version 1's with the first byte, the schema version, 2.
const ENTRY_0_HEX: &str =
    "0200fc0072abd200047465737400000000000000000000000000000000000000000000000000000000000000000000034e4f52064e6f72776179fce4ee4a00";

/// The head of `tests/data/v1-ledger`, written by the schema-version-1 code (see its README).
const V1_LEDGER_HEAD: &str = "ae9186048c3ba7da160e2c305019068deaa75f1cd12496452964b4767c53a518";

#[test]
fn the_head_hash_and_entry_bytes_of_a_fixed_event_list_are_pinned() {
    let env = TestEnv::new();
    env.import(SMALL);
    let verified = env.run(&["verify", "--json"]).ok().json();
    assert_eq!(verified["head"], SMALL_HEAD);

    let journal = std::fs::read(env.ledger().join("journal")).unwrap();
    assert_eq!(&journal[..8], b"CCMJRNL1");
    let len = u32::from_le_bytes(journal[8..12].try_into().unwrap()) as usize;
    let entry0: String = journal[12..12 + len]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(entry0, ENTRY_0_HEX);
}

/// A copy of `tests/data/v1-ledger` (journal, HEAD, config as the version-1 code wrote them).
fn v1_ledger(env: &TestEnv) -> std::path::PathBuf {
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/v1-ledger");
    let to = env.dir.path().join("v1-ledger");
    std::fs::create_dir_all(&to).unwrap();
    for file in ["journal", "HEAD", "config"] {
        std::fs::copy(from.join(file), to.join(file)).unwrap();
    }
    to
}

/// The frames of a journal: each entry's bytes.
fn entries_of(journal: &[u8]) -> Vec<&[u8]> {
    let mut at = 8;
    let mut out = Vec::new();
    while at + 4 <= journal.len() {
        let len = u32::from_le_bytes(journal[at..at + 4].try_into().unwrap()) as usize;
        out.push(&journal[at + 4..at + 4 + len]);
        // length ‖ entry ‖ its hash ‖ CRC (docs/FORMAT.md)
        at += 4 + len + 32 + 4;
    }
    out
}

/// A ledger written before schema version 2 opens, verifies with the head it was written
/// with, answers as the same lines imported today do, and takes version-2 entries after its
/// own, which keep their bytes.
#[test]
fn a_version_1_ledger_verifies_reads_and_grows_as_it_was_written() {
    let env = TestEnv::new();
    let old = v1_ledger(&env);
    let old_journal = std::fs::read(old.join("journal")).unwrap();
    let old_entries = entries_of(&old_journal);
    assert_eq!(old_entries.len(), 34);
    assert!(old_entries.iter().all(|e| e[0] == 1), "all of version 1");

    let verified = env.run_on(&old, &["verify", "--json"]).ok().json();
    assert_eq!(verified["head"], V1_LEDGER_HEAD);
    assert_eq!(verified["entries"], 34);

    // The same lines imported today, as version 2.
    let today = env.dir.path().join("today");
    let lines = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/queries.jsonl");
    env.run_on(&today, &["import", lines]).ok();
    for question in [
        &["who", "wg-general-status", "--on", "2013-01-01"][..],
        &["who", "wg-universalization", "--on", "2012-10-01"],
        &["history", "--body", "wg-general-status"],
        &["history", "--body", "wg-universalization"],
        &["history", "--state", "IRL"],
        &["state", "--on", "2013-01-01"],
        &["committee", "--on", "2013-01-01"],
        &["check"],
        &["export", "--format", "csv"],
    ] {
        let ask = |ledger: &std::path::Path| {
            let mut args = question.to_vec();
            args.push("--json");
            if question[0] == "export" {
                args.pop();
            }
            let run = env.run_on(ledger, &args);
            (run.code, run.stdout)
        };
        assert_eq!(ask(&old), ask(&today), "{question:?}");
    }

    // New entries are version 2, after the old ones, which keep their bytes.
    let more = env.file(
        "more.jsonl",
        r#"{"kind":"coordinator_elected","body":"wg-universalization","state":"NOR","person":"Steffen Kongstad","start":"2014-09-05","end":"2016-09-05","decision":{"meeting":"5MSP","date":"2014-09-05"}}
"#,
    );
    // Recorded after the old entries (record time never goes backwards).
    env.run_on(
        &old,
        &[
            "--recorded-at",
            "2026-12-02T00:00:00Z",
            "import",
            more.to_str().unwrap(),
        ],
    )
    .ok();
    let grown = std::fs::read(old.join("journal")).unwrap();
    assert_eq!(&grown[..old_journal.len()], &old_journal[..]);
    let entries = entries_of(&grown);
    assert_eq!(entries.len(), 35);
    assert_eq!(entries[34][0], 2);
    let verified = env.run_on(&old, &["verify", "--json"]).ok().json();
    assert_eq!(verified["entries"], 35);
    let who = env
        .run_on(
            &old,
            &["who", "wg-universalization", "--on", "2015-01-01", "--json"],
        )
        .ok()
        .json();
    let norway = who["holders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["state"] == "NOR")
        .unwrap()
        .clone();
    assert_eq!(norway["person"], "Steffen Kongstad");
    assert_eq!(norway["seq"], 34);
}
