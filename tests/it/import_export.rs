use crate::support::*;

#[test]
fn an_export_imported_into_a_new_ledger_reproduces_the_head_hash() {
    let env = TestEnv::new();
    env.import(SMALL);
    let original = env.run(&["verify", "--json"]).ok().json();

    let export = env.run(&["export"]).ok().stdout;
    assert_eq!(export.lines().count(), SMALL.lines().count());
    let copy = env.dir.path().join("copy");
    let file = env.file("export.jsonl", &export);
    env.run_on(&copy, &["import", file.to_str().unwrap()]).ok();

    assert_eq!(
        env.run_on(&copy, &["verify", "--json"]).ok().json(),
        original
    );
    assert_eq!(
        env.run_on(&copy, &["export"]).ok().stdout,
        export,
        "the export of the copy is the same"
    );
}

#[test]
fn import_reads_standard_input() {
    let env = TestEnv::new();
    let run = env
        .run_with_stdin(&["import", "-", "--json"], SMALL.as_bytes())
        .ok();
    assert_eq!(run.json()["imported"], 10);
}

#[test]
fn an_export_line_altered_after_export_is_refused() {
    let env = TestEnv::new();
    env.import(SMALL);
    let export = env
        .run(&["export"])
        .ok()
        .stdout
        .replace("Oslo, Norway", "Oslo");
    let file = env.file("export.jsonl", &export);
    let copy = env.dir.path().join("copy");
    let run = env
        .run_on(&copy, &["import", file.to_str().unwrap()])
        .fails_with(1);
    assert!(run.stderr.contains(":9: field `hash`"), "{}", run.stderr);
    assert!(
        !copy.join("journal").exists(),
        "a refused import creates no ledger"
    );
}

#[test]
fn export_to_a_file_writes_the_same_lines() {
    let env = TestEnv::new();
    env.import(SMALL);
    let out = env.dir.path().join("out.jsonl");
    env.run(&["export", "--out", out.to_str().unwrap()]).ok();
    assert_eq!(
        std::fs::read_to_string(out).unwrap(),
        env.run(&["export"]).ok().stdout
    );
}

#[test]
fn log_lists_every_entry_with_its_hash_and_summary() {
    let env = TestEnv::new();
    env.import(SMALL);
    let log = env.run(&["log"]).ok().stdout;
    assert!(log.starts_with("SEQ  HASH"), "{log}");
    assert_eq!(log.lines().count(), 11);
    assert!(
        log.contains("CIV elected to wg-universalization from 2012-09-14 until 2014-09-05 by 3MSP"),
        "{log}"
    );
    let json = env.run(&["log", "--json", "--from", "9"]).ok().json();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["seq"], 9);
    assert_eq!(json[0]["event"]["state"], "CIV");
}

#[test]
fn a_deleted_or_damaged_index_database_is_rebuilt_with_the_same_answers() {
    let env = TestEnv::new();
    env.import(SMALL);
    let before = env.run(&["log", "--json"]).ok().stdout;

    let verified = env.run(&["verify", "--json"]).ok().stdout;

    // Read commands never need it; the next command that does (here verify, which checks
    // the stored Merkle tree) rebuilds it from the journal.
    std::fs::remove_dir_all(env.ledger().join("index.sled")).unwrap();
    assert_eq!(env.run(&["log", "--json"]).ok().stdout, before);
    assert_eq!(env.run(&["verify", "--json"]).ok().stdout, verified);
    assert!(env.ledger().join("index.sled").exists(), "rebuilt");

    // Garbage over sled's data file: set aside, rebuilt, and the user is told.
    let db = env.ledger().join("index.sled").join("db");
    std::fs::write(&db, vec![0xA5; 4096]).unwrap();
    let run = env.run(&["verify", "--json"]).ok();
    assert_eq!(run.stdout, verified);
    assert!(run.stderr.contains("rebuilt"), "{}", run.stderr);
    assert_eq!(env.run(&["log", "--json"]).ok().stdout, before);
}

/// `count` lines that each register a new institution: valid after anything, and a file of
/// them is many of the pieces an import reads, validates and writes at a time.
fn institutions(count: usize) -> String {
    (0..count)
        .map(|i| {
            format!("{{\"kind\":\"institution_registered\",\"institution\":\"INST{i}\",\"name\":\"Institution {i}\",\"by_right\":false}}\n")
        })
        .collect()
}

/// What an import may leave beside the journal if it forgot to clean up after a refusal.
fn leftovers(ledger: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(ledger)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("torn-tail") || name.ends_with(".tmp"))
        .collect()
}

#[test]
fn a_bad_line_late_in_a_big_import_leaves_the_ledger_byte_for_byte_as_it_was() {
    // The pieces before the bad line were already validated and written past the head when
    // it is found: they are cut back off, and the ledger is as it was.
    let env = TestEnv::new();
    env.import(SMALL);
    let before = env.canonical_bytes();
    let unknown_body = r#"{"kind":"coordinator_elected","body":"wg-nowhere","state":"NOR","start":"2012-09-14","decision":{"meeting":"3MSP","date":"2012-09-14"}}"#;
    let not_json = "{\"kind\":";
    for (bad, says) in [
        (unknown_body, "9001: field `body`: unknown body wg-nowhere"),
        (not_json, "9001: not valid JSON"),
    ] {
        let text = format!("{}{bad}\n{}", institutions(9000), institutions(3));
        let file = env.file("big.jsonl", &text);
        let run = env.run(&["import", file.to_str().unwrap()]).fails_with(1);
        assert!(run.stderr.contains(says), "{}", run.stderr);
        assert_eq!(env.canonical_bytes(), before, "after {says}");
        assert_eq!(leftovers(&env.ledger()), Vec::<String>::new());
    }
    assert_eq!(env.run(&["verify", "--json"]).ok().json()["entries"], 10);
}

#[test]
fn a_rule_broken_by_the_last_line_of_a_big_import_is_refused_after_every_piece_was_written() {
    // The rules are judged once every line has passed: by then every piece is written (not
    // acknowledged); the refusal cuts them all.
    let env = TestEnv::new();
    env.import(SMALL);
    let before = env.canonical_bytes();
    let third_in_2012 = r#"{"kind":"coordinator_elected","body":"wg-universalization","state":"NOR","start":"2012-09-14","end":{"meeting":"5MSP"},"decision":{"meeting":"3MSP","date":"2012-09-14"}}"#;
    let file = env.file(
        "big.jsonl",
        &format!("{}\n{third_in_2012}\n", institutions(9000)),
    );
    let run = env.run(&["import", file.to_str().unwrap()]).fails_with(4);
    assert!(run.stderr.contains("big.jsonl:9002: "), "{}", run.stderr);
    assert!(run.stderr.contains("R1"), "{}", run.stderr);
    assert_eq!(env.canonical_bytes(), before);
    assert_eq!(leftovers(&env.ledger()), Vec::<String>::new());

    // The same file without the line is imported whole, blank line and all.
    let file = env.file("big.jsonl", &format!("{}\n", institutions(9000)));
    let run = env.run(&["import", file.to_str().unwrap(), "--json"]).ok();
    assert_eq!(run.json()["imported"], 9000);
    let verify = env.run(&["verify", "--json"]).ok();
    assert_eq!(verify.json()["entries"], 9010);
    assert!(
        !verify.stderr.contains("rebuilt"),
        "the index and the Merkle tree were brought along: {}",
        verify.stderr
    );
}

#[test]
fn a_big_import_refused_late_into_a_new_ledger_creates_nothing() {
    let env = TestEnv::new();
    let file = env.file(
        "big.jsonl",
        &format!("{}{{\"kind\":\"state_withdrew\"}}\n", institutions(9000)),
    );
    let run = env.run(&["import", file.to_str().unwrap()]).fails_with(1);
    assert!(run.stderr.contains("big.jsonl:9001: "), "{}", run.stderr);
    assert!(
        !env.ledger().exists(),
        "no directory, no journal.tmp, no lock"
    );
}

#[test]
fn a_big_import_into_a_new_ledger_is_the_same_ledger_as_one_made_in_small_imports() {
    let env = TestEnv::new();
    let text = format!("{SMALL}{}", institutions(9000));
    env.import(&text);
    let whole = env.run(&["verify", "--json"]).ok().json();

    let piecemeal = env.dir.path().join("piecemeal");
    for (i, chunk) in text.lines().collect::<Vec<_>>().chunks(3000).enumerate() {
        let file = env.file(&format!("chunk{i}.jsonl"), &(chunk.join("\n") + "\n"));
        env.run_on(&piecemeal, &["import", file.to_str().unwrap()])
            .ok();
    }
    assert_eq!(
        env.run_on(&piecemeal, &["verify", "--json"]).ok().json(),
        whole
    );
    assert_eq!(
        env.run_on(&piecemeal, &["log", "--json", "--from", "9005"])
            .ok()
            .stdout,
        env.run(&["log", "--json", "--from", "9005"]).ok().stdout,
    );
}
