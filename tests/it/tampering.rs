//! Whatever is done to the journal or the head file, `verify` exits 3 and names the entry.

use crate::support::*;

/// The byte ranges of the frames of a journal: (start, end) per entry.
fn frames(journal: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 8;
    while at + 4 <= journal.len() {
        let len = u32::from_le_bytes(journal[at..at + 4].try_into().unwrap()) as usize;
        let end = at + 4 + len + 32 + 4;
        out.push((at, end));
        at = end;
    }
    out
}

fn tampered(change: impl FnOnce(&TestEnv, &mut Vec<u8>)) -> Run {
    let env = TestEnv::new();
    env.import(SMALL);
    let path = env.ledger().join("journal");
    let mut journal = std::fs::read(&path).unwrap();
    change(&env, &mut journal);
    std::fs::write(&path, journal).unwrap();
    let run = env.run(&["verify"]).fails_with(3);
    // The JSON form names the same entry.
    let json = env.run(&["verify", "--json"]).fails_with(3).json();
    assert_eq!(json["ok"], false);
    Run {
        code: run.code,
        stdout: json["seq"].to_string(),
        stderr: run.stderr,
    }
}

#[test]
fn one_changed_byte_in_an_entry_is_found_at_that_entry() {
    let run = tampered(|_, journal| {
        let (start, end) = frames(journal)[6];
        journal[(start + end) / 2] ^= 0x01;
    });
    assert_eq!(run.stdout, "6");
    assert!(run.stderr.contains("entry 6"), "{}", run.stderr);
}

#[test]
fn a_changed_entry_with_a_recomputed_checksum_fails_its_hash() {
    let run = tampered(|_, journal| {
        let (start, end) = frames(journal)[4];
        // "Beirut" → "Beirun", and the frame's CRC recomputed as a careful forger would.
        let body = &mut journal[start..end];
        let at = body.windows(6).position(|w| w == b"Beirut").unwrap();
        body[at + 5] = b'n';
        let crc = crc32fast::hash(&body[..body.len() - 4]);
        let n = body.len();
        body[n - 4..].copy_from_slice(&crc.to_le_bytes());
    });
    assert_eq!(run.stdout, "4");
    assert!(run.stderr.contains("altered"), "{}", run.stderr);
}

#[test]
fn a_deleted_entry_is_found_where_it_was() {
    let run = tampered(|_, journal| {
        let (start, end) = frames(journal)[3];
        journal.drain(start..end);
    });
    assert_eq!(run.stdout, "3");
}

#[test]
fn two_swapped_entries_are_found_at_the_first() {
    let run = tampered(|_, journal| {
        let f = frames(journal);
        let (a, b) = (f[5], f[6]);
        let first = journal[a.0..a.1].to_vec();
        let second = journal[b.0..b.1].to_vec();
        let mut swapped = second;
        swapped.extend_from_slice(&first);
        journal.splice(a.0..b.1, swapped);
    });
    assert_eq!(run.stdout, "5");
}

#[test]
fn a_truncated_journal_is_found_at_the_first_missing_entry() {
    let run = tampered(|_, journal| {
        let (start, _) = frames(journal)[8];
        journal.truncate(start);
    });
    assert_eq!(run.stdout, "8");
    assert!(run.stderr.contains("missing"), "{}", run.stderr);
}

#[test]
fn a_rolled_back_head_file_is_found_at_the_first_entry_it_does_not_acknowledge() {
    let env = TestEnv::new();
    env.import(
        &SMALL
            .lines()
            .take(7)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    );
    let old_head = std::fs::read(env.ledger().join("HEAD")).unwrap();
    env.import(
        &SMALL
            .lines()
            .skip(7)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    );
    std::fs::write(env.ledger().join("HEAD"), old_head).unwrap();

    let json = env.run(&["verify", "--json"]).fails_with(3).json();
    assert_eq!(json["seq"], 7);
    // A writer refuses to cut entries the index saw acknowledged: the journal stays as it is.
    let before = env.canonical_bytes();
    env.run(&[
        "import",
        env.file(
            "more.jsonl",
            r#"{"kind":"state_joined","state":"FRA","name":"France","effective":"2010-08-01"}"#,
        )
        .to_str()
        .unwrap(),
    ])
    .fails_with(3);
    assert_eq!(env.canonical_bytes(), before);
}

#[test]
fn a_clean_ledger_says_its_size_and_head() {
    let env = TestEnv::new();
    env.import(SMALL);
    let run = env.run(&["verify"]).ok();
    assert!(run.stdout.contains("\nhead "), "{}", run.stdout);
    assert!(run.stdout.starts_with("ok: 10 entries"), "{}", run.stdout);
}

#[test]
fn a_head_file_from_another_ledger_is_found_at_the_last_entry_it_names() {
    let env = TestEnv::new();
    env.import(SMALL);
    // The same events with one letter changed: the same sizes, other hashes.
    let other = TestEnv::new();
    other.import(&SMALL.replacen("Norway", "Norwey", 1));
    std::fs::copy(other.ledger().join("HEAD"), env.ledger().join("HEAD")).unwrap();

    let run = env.run(&["verify", "--json"]).fails_with(3);
    assert_eq!(run.json()["seq"], 9);
    assert!(run.stderr.contains("replaced"), "{}", run.stderr);
    let before = env.canonical_bytes();
    let line = env.file(
        "more.jsonl",
        r#"{"kind":"state_joined","state":"FRA","name":"France","effective":"2010-08-01"}"#,
    );
    for args in [&["log"][..], &["import", line.to_str().unwrap()][..]] {
        let run = env.run(args).fails_with(3);
        assert!(run.stderr.contains("entry 9"), "{args:?}: {}", run.stderr);
    }
    assert_eq!(env.canonical_bytes(), before);
}
