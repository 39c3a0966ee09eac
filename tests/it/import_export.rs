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
