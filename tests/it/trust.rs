//! Issue 13: what someone who can write to the ledger directory can do, and what `verify` and
//! the writers say about it. Each test is an attack made as a careful forger would make it:
//! a snapshot with its checksums recomputed by the crate's own writer, a journal rewritten and
//! re-chained with a head file to match, a journal cut consistently, a backdated record time,
//! a line appended past a signed checkpoint.

use std::io::Write;
use std::path::{Path, PathBuf};

use ccm_ledger::ledger::snapshot;

use crate::support::*;

/// Lines `from..to` of SMALL.
fn small(from: usize, to: usize) -> String {
    SMALL
        .lines()
        .skip(from)
        .take(to - from)
        .map(|l| format!("{l}\n"))
        .collect()
}

const FRANCE: &str =
    r#"{"kind":"state_joined","state":"FRA","name":"France","effective":"2010-08-01"}"#;

/// A ledger that signs a checkpoint after every append (key `isu.key` beside it), holding SMALL.
fn signed() -> TestEnv {
    let env = TestEnv::new();
    env.run(&["keygen", "isu"]).ok();
    let key = env.dir.path().join("isu.key");
    env.run(&[
        "init",
        "--origin",
        "isu",
        "--sign-with",
        key.to_str().unwrap(),
    ])
    .ok();
    env.import(SMALL);
    env
}

/// Replaces the journal and the head file of `env`'s ledger by those of a ledger holding
/// `lines`: a chain whose every hash, link and frame is right, with a head file to match.
fn replace_chain_with(env: &TestEnv, lines: &str) {
    let other = TestEnv::new();
    other.import(lines);
    for file in ["journal", "HEAD"] {
        std::fs::copy(other.ledger().join(file), env.ledger().join(file)).unwrap();
    }
}

/// Rewrites every section of the projection snapshot with `from` replaced by `to` (same
/// length, so every record still decodes), through the crate's own snapshot writer: every
/// section's checksum and the head's are right for the forged bytes.
fn forge_snapshot(ledger: &Path, from: &str, to: &str) {
    let found = snapshot::open(ledger).expect("a snapshot");
    let sections: Vec<(String, Vec<u8>)> = found
        .sums()
        .into_iter()
        .map(|(name, _)| {
            let mut bytes = found.section(&name).expect("a whole section");
            let mut at = 0;
            while let Some(i) = bytes[at..]
                .windows(from.len())
                .position(|w| w == from.as_bytes())
            {
                bytes[at + i..at + i + to.len()].copy_from_slice(to.as_bytes());
                at += i + to.len();
            }
            (name, bytes)
        })
        .collect();
    let tie = found.tie.clone();
    drop(found);
    snapshot::write(ledger, &tie, |out| {
        for (name, bytes) in &sections {
            out.section(name, &mut |w: &mut dyn Write| w.write_all(bytes))?;
        }
        Ok(())
    })
    .unwrap();
}

fn who_norway(env: &TestEnv) -> String {
    env.run(&["who", "wg-universalization", "--on", "2012-01-01"])
        .ok()
        .stdout
}

#[test]
fn a_forged_snapshot_with_valid_checksums_is_found_by_verify_named_and_rebuilt() {
    let env = TestEnv::new();
    env.import(SMALL);
    forge_snapshot(&env.ledger(), "Norway", "Norwey");
    // The forgery is one a query would read: that is what makes it an attack.
    assert!(who_norway(&env).contains("Norwey"));

    let run = env.run(&["verify"]).fails_with(5);
    assert!(
        run.stderr.contains("projection.snapshot") && run.stderr.contains("derived data"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.starts_with("ok: 10 entries"), "{}", run.stdout);
    // Rebuilt: the queries answer from the journal's truth again, and verify is clean.
    assert!(who_norway(&env).contains("Norway"));
    let json = env.run(&["verify", "--json"]).ok().json();
    assert_eq!(json["entries"], 10);
}

#[test]
fn verify_json_names_the_rebuilt_derived_file() {
    let env = TestEnv::new();
    env.import(SMALL);
    forge_snapshot(&env.ledger(), "Norway", "Norwey");
    let json = env.run(&["verify", "--json"]).fails_with(5).json();
    assert_eq!(json["entries"], 10);
    assert_eq!(json["rebuilt"][0]["file"], "projection.snapshot");
}

#[test]
fn report_html_never_publishes_from_a_forged_snapshot() {
    let env = TestEnv::new();
    env.import(SMALL);
    forge_snapshot(&env.ledger(), "Norway", "Norwey");
    let page = env.dir.path().join("page.html");
    env.run(&[
        "report",
        "--html",
        page.to_str().unwrap(),
        "--on",
        "2012-01-01",
    ])
    .ok();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("Norway"), "the genuine name is published");
    assert!(!html.contains("Norwey"), "the forged name is not");
}

#[test]
fn a_rewritten_and_rechained_journal_contradicts_the_ledgers_own_checkpoint() {
    let env = signed();
    let checkpoint = std::fs::read(env.ledger().join("checkpoint")).unwrap();
    replace_chain_with(&env, &SMALL.replacen("Norway", "Norwey", 1));
    // The index would be evidence too: without it, the checkpoint alone must do.
    std::fs::remove_dir_all(env.ledger().join("index.sled")).unwrap();

    let run = env.run(&["verify"]).fails_with(3);
    assert!(run.stderr.contains("checkpoint"), "{}", run.stderr);
    let json = env.run(&["verify", "--json"]).fails_with(3).json();
    assert_eq!(json["ok"], false);

    // The writer signs no fork: nothing is appended, the checkpoint is the one it signed.
    let before = env.canonical_bytes();
    let line = env.file("more.jsonl", FRANCE);
    let run = env.run(&["import", line.to_str().unwrap()]).fails_with(3);
    assert!(run.stderr.contains("checkpoint"), "{}", run.stderr);
    assert_eq!(env.canonical_bytes(), before);
    assert_eq!(
        std::fs::read(env.ledger().join("checkpoint")).unwrap(),
        checkpoint
    );
    // Nor does `checkpoint --key` sign one.
    let key = env.dir.path().join("isu.key");
    env.run(&["checkpoint", "--key", key.to_str().unwrap()])
        .fails_with(3);
}

#[test]
fn an_index_that_absorbed_other_entries_is_evidence_not_damage_to_discard() {
    let env = TestEnv::new();
    env.import(SMALL);
    replace_chain_with(&env, &SMALL.replacen("Norway", "Norwey", 1));

    let run = env.run(&["verify"]).fails_with(3);
    assert!(run.stderr.contains("index.sled"), "{}", run.stderr);
    let before = env.canonical_bytes();
    let line = env.file("more.jsonl", FRANCE);
    env.run(&["import", line.to_str().unwrap()]).fails_with(3);
    assert_eq!(env.canonical_bytes(), before);
    // Kept where it is, for whoever looks into it.
    assert!(env.ledger().join("index.sled").is_dir());
    let aside = std::fs::read_dir(env.ledger())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().contains("damaged")
        })
        .count();
    assert_eq!(aside, 0, "the evidence was not set aside as damage");
}

#[test]
fn a_consistent_truncation_fails_verify_and_no_writer_appends_or_signs_a_smaller_tree() {
    let env = signed();
    replace_chain_with(&env, &small(0, 8));
    std::fs::remove_dir_all(env.ledger().join("index.sled")).unwrap();

    let run = env.run(&["verify"]).fails_with(3);
    assert!(
        run.stderr.contains("checkpoint") && run.stderr.contains("10"),
        "{}",
        run.stderr
    );
    let before = env.canonical_bytes();
    let line = env.file("more.jsonl", FRANCE);
    env.run(&["import", line.to_str().unwrap()]).fails_with(3);
    assert_eq!(env.canonical_bytes(), before);
    let key = env.dir.path().join("isu.key");
    env.run(&["checkpoint", "--key", key.to_str().unwrap()])
        .fails_with(3);
}

#[test]
fn a_consistent_truncation_of_an_unsigned_ledger_is_caught_by_its_index() {
    let env = TestEnv::new();
    env.import(SMALL);
    replace_chain_with(&env, &small(0, 8));
    env.run(&["verify"]).fails_with(3);
    let before = env.canonical_bytes();
    let line = env.file("more.jsonl", FRANCE);
    env.run(&["import", line.to_str().unwrap()]).fails_with(3);
    assert_eq!(env.canonical_bytes(), before);
}

/// Entries 7..10 written past a head file that acknowledges 7, and no evidence that they were
/// ever acknowledged: what a write interrupted between its frames and its head leaves.
fn interrupted_write() -> TestEnv {
    let env = TestEnv::new();
    env.import(&small(0, 7));
    let head = std::fs::read(env.ledger().join("HEAD")).unwrap();
    let journal_len = std::fs::metadata(env.ledger().join("journal"))
        .unwrap()
        .len();
    env.import(&small(7, 10));
    std::fs::write(env.ledger().join("HEAD"), head).unwrap();
    std::fs::remove_dir_all(env.ledger().join("index.sled")).unwrap();
    let grown = std::fs::metadata(env.ledger().join("journal"))
        .unwrap()
        .len();
    assert!(grown > journal_len);
    env
}

#[test]
fn an_unacknowledged_tail_without_evidence_is_an_interrupted_write_not_tampering() {
    let env = interrupted_write();
    let run = env.run(&["verify"]).ok();
    assert!(run.stdout.starts_with("ok: 7 entries"), "{}", run.stdout);
    assert!(
        run.stderr.contains("interrupted write") && run.stderr.contains("next writer"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("tamper"), "{}", run.stderr);
    let json = env.run(&["verify", "--json"]).ok().json();
    assert_eq!(json["entries"], 7);
    assert_eq!(json["interrupted"]["from_entry"], 7);
}

#[test]
fn the_notice_of_a_cut_tail_is_printed_once() {
    let env = interrupted_write();
    let line = env.file("more.jsonl", FRANCE);
    let run = env.run(&["import", line.to_str().unwrap()]).ok();
    assert_eq!(
        run.stderr.matches("unacknowledged bytes").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.starts_with("imported 1 entry from"),
        "{}",
        run.stdout
    );
    env.run(&["verify"]).ok();
}

#[test]
fn record_time_never_goes_backwards() {
    let env = TestEnv::new();
    env.import(SMALL);
    let before = env.canonical_bytes();
    let run = env
        .run(&[
            "--recorded-at",
            "2001-01-01T00:00:00Z",
            "record",
            "state-joined",
            "--state",
            "FRA",
            "--name",
            "France",
            "--effective",
            "2010-08-01",
        ])
        .fails_with(1);
    assert!(
        run.stderr.contains("2026-01-01T00:00:00Z") && run.stderr.contains("2001-01-01T00:00:00Z"),
        "{}",
        run.stderr
    );
    assert_eq!(env.canonical_bytes(), before);
}

#[test]
fn an_imported_line_cannot_backdate_its_record_time() {
    let backdated = r#"{"kind":"state_joined","state":"DEU","name":"Germany","effective":"2010-08-01","recorded_at":"2001-01-01T00:00:00Z"}"#;
    let message = assert_line_refused("backdated.jsonl", backdated.as_bytes(), &["recorded_at"]);
    assert!(message.contains("2026-01-01T00:00:00Z"), "{message}");
}

/// A signed ledger's export and the checkpoint it signed at 10 entries, then one more entry
/// exported past it: (env, export, checkpoint, verifier key).
fn export_past_checkpoint() -> (TestEnv, PathBuf, PathBuf, PathBuf) {
    let env = signed();
    let checkpoint = env.dir.path().join("ten.checkpoint");
    std::fs::copy(env.ledger().join("checkpoint"), &checkpoint).unwrap();
    let line = env.file("more.jsonl", FRANCE);
    env.run(&["import", line.to_str().unwrap()]).ok();
    let export = env.dir.path().join("eleven.jsonl");
    let text = env.run(&["export"]).ok().stdout;
    std::fs::write(&export, text).unwrap();
    let key = env.dir.path().join("isu.pub");
    (env, export, checkpoint, key)
}

#[test]
fn verify_bundle_says_which_entries_the_checkpoint_covers_and_which_not() {
    let (env, export, checkpoint, key) = export_past_checkpoint();
    let args = [
        "verify",
        "--bundle",
        export.to_str().unwrap(),
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ];
    let run = env.run(&args).ok();
    assert!(
        run.stdout.contains("entries 0–9 are covered")
            && run.stdout.contains("entry 10 is not covered"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains(" 1 entries"), "{}", run.stdout);
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let json = env.run(&json_args).ok().json();
    assert_eq!(json["checkpoint"]["covered"], 10);
    assert_eq!(json["checkpoint"]["not_covered"], 1);

    let mut exact = args.to_vec();
    exact.push("--exact");
    let run = env.run(&exact).fails_with(3);
    assert!(run.stderr.contains("entry 10"), "{}", run.stderr);
}

#[test]
fn a_world_readable_signing_key_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let env = signed();
    let key = env.dir.path().join("isu.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let line = env.file("more.jsonl", FRANCE);
    let run = env.run(&["import", line.to_str().unwrap()]).ok();
    assert!(
        run.stderr.contains("warning") && run.stderr.contains("readable by others"),
        "{}",
        run.stderr
    );
}

#[test]
fn checkpoint_refuses_a_key_named_other_than_the_ledgers_origin() {
    let env = signed();
    env.run(&["keygen", "other"]).ok();
    let other = env.dir.path().join("other.key");
    let run = env
        .run(&["checkpoint", "--key", other.to_str().unwrap()])
        .fails_with(1);
    assert!(
        run.stderr.contains("ccm-ledger/other") && run.stderr.contains("ccm-ledger/isu"),
        "{}",
        run.stderr
    );
}

#[test]
fn keygen_that_cannot_write_the_pub_leaves_no_key_behind() {
    let env = TestEnv::new();
    // A dangling link where the .pub goes: the .pub cannot be created, and nothing is followed.
    std::os::unix::fs::symlink("/nonexistent/isu.pub", env.dir.path().join("isu.pub")).unwrap();
    env.run(&["keygen", "isu"]).fails_with(1);
    assert!(!env.dir.path().join("isu.key").exists());
    let leftovers: Vec<_> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_killed_writers_snapshot_temporary_file_is_cleaned_up_under_the_lock() {
    let env = TestEnv::new();
    env.import(SMALL);
    // The name a writer with a process id no process can have would have left.
    let left = env
        .ledger()
        .join("projection.snapshot.4294967295.1765000000000000000.tmp");
    std::fs::write(&left, b"half a snapshot").unwrap();
    let line = env.file("more.jsonl", FRANCE);
    env.run(&["import", line.to_str().unwrap()]).ok();
    assert!(!left.exists());
}

// The signing lifecycle (issue 17, item 6).

#[test]
fn checkpoint_key_keeps_what_it_signed_and_keep_signing_signs_every_later_append() {
    let env = TestEnv::new();
    env.import(SMALL);
    // The ledger's directory is `ledger`: its origin is ccm-ledger/ledger.
    env.run(&["keygen", "ledger"]).ok();
    let key = env.dir.path().join("ledger.key");
    let signed = env
        .run(&["checkpoint", "--key", key.to_str().unwrap()])
        .ok()
        .stdout;
    assert!(signed.starts_with("ccm-ledger/ledger\n10\n"), "{signed}");
    let printed = env.run(&["checkpoint"]).ok();
    assert_eq!(printed.stdout, signed, "kept as the ledger's latest");
    assert!(!printed.stderr.contains("older"), "{}", printed.stderr);

    // An append without signing: the kept checkpoint is older than the head, and says so.
    let line = env.file("more.jsonl", FRANCE);
    env.run(&["import", line.to_str().unwrap()]).ok();
    let stale = env.run(&["checkpoint"]).ok();
    assert_eq!(stale.stdout, signed);
    assert!(
        stale.stderr.contains("older than the head") && stale.stderr.contains("10 entries"),
        "{}",
        stale.stderr
    );

    // Enabling signing on an existing ledger: every later append signs.
    env.run(&[
        "checkpoint",
        "--key",
        key.to_str().unwrap(),
        "--keep-signing",
    ])
    .ok();
    let more = env.file(
        "germany.jsonl",
        r#"{"kind":"state_joined","state":"DEU","name":"Germany","effective":"2010-08-01"}"#,
    );
    env.run(&["import", more.to_str().unwrap()]).ok();
    let latest = env.run(&["checkpoint"]).ok();
    assert!(
        latest.stdout.starts_with("ccm-ledger/ledger\n12\n"),
        "{}",
        latest.stdout
    );
    assert!(!latest.stderr.contains("older"), "{}", latest.stderr);
}

#[test]
fn an_append_to_a_signing_ledger_whose_key_is_unreadable_fails_before_writing() {
    use std::os::unix::fs::PermissionsExt;
    let env = signed();
    let key = env.dir.path().join("isu.key");
    // Unreadable: a directory where the key was (root reads any file, whatever its mode).
    std::fs::remove_file(&key).unwrap();
    std::fs::create_dir(&key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o700)).unwrap();
    let before = env.canonical_bytes();
    let checkpoint = std::fs::read(env.ledger().join("checkpoint")).unwrap();
    let run = env
        .run(&[
            "record",
            "state-joined",
            "--state",
            "FRA",
            "--name",
            "France",
            "--effective",
            "2010-08-01",
        ])
        .fails_with(1);
    assert!(run.stderr.contains("isu.key"), "{}", run.stderr);
    assert_eq!(env.canonical_bytes(), before);
    assert_eq!(
        std::fs::read(env.ledger().join("checkpoint")).unwrap(),
        checkpoint
    );
}

#[test]
fn verify_bundle_reads_the_export_from_stdin() {
    let (env, _export, checkpoint, key) = export_past_checkpoint();
    let export = env.run(&["export"]).ok().stdout;
    let run = env.run_with_stdin(
        &[
            "verify",
            "--bundle",
            "-",
            "--checkpoint",
            checkpoint.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
        export.as_bytes(),
    );
    let run = run.ok();
    assert!(
        run.stdout.starts_with("ok: bundle of 11 entries"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_proof_with_its_entry_shows_what_the_entry_says_and_an_altered_line_fails() {
    let env = signed();
    let checkpoint = env.dir.path().join("cp");
    std::fs::copy(env.ledger().join("checkpoint"), &checkpoint).unwrap();
    let key = env.dir.path().join("isu.pub");
    for seq in ["0", "4"] {
        let proof = env
            .run(&["prove", "--seq", seq, "--with-entry"])
            .ok()
            .stdout;
        assert_eq!(proof.lines().count(), 2, "{proof}");
        let check = |text: &str| {
            let file = env.file("entry.proof", text);
            env.run(&[
                "verify-proof",
                "--proof",
                file.to_str().unwrap(),
                "--checkpoint",
                checkpoint.to_str().unwrap(),
                "--key",
                key.to_str().unwrap(),
            ])
        };
        let run = check(&proof).ok();
        assert!(
            run.stdout.contains(&format!("entry {seq} says: ")),
            "{}",
            run.stdout
        );
        if seq == "4" {
            assert!(run.stdout.contains("2MSP held"), "{}", run.stdout);
            let run = check(&proof.replace("Beirut", "Beirun")).fails_with(3);
            assert!(run.stderr.contains("altered"), "{}", run.stderr);
        }
    }
}
