//! Ctrl-C and a full disk during an append (issue 13, item 4): the unacknowledged bytes are
//! cut back before the command exits, so the ledger is byte for byte what it was and
//! `verify` has nothing to say about it.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::*;

fn institutions(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|i| {
            format!("{{\"kind\":\"institution_registered\",\"institution\":\"INST{i}\",\"name\":\"Institution {i}\",\"by_right\":false}}\n")
        })
        .collect()
}

/// What only a writer that did not clean up leaves beside the journal.
fn leftovers(ledger: &Path) -> Vec<String> {
    std::fs::read_dir(ledger)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("torn-tail") || name.contains("damaged"))
        .collect()
}

/// The ledger is as it was, `verify` says nothing but ok, and the lock is free.
#[track_caller]
fn assert_untouched(env: &TestEnv, before: &(Vec<u8>, Vec<u8>)) {
    let after = env.canonical_bytes();
    assert!(
        after.0 == before.0,
        "journal changed: {} -> {} bytes",
        before.0.len(),
        after.0.len()
    );
    assert!(after.1 == before.1, "the head file changed");
    let verify = env.run(&["verify"]).ok();
    assert!(
        !verify.stderr.contains("acknowledged") && !verify.stderr.contains("torn"),
        "{}",
        verify.stderr
    );
    assert_eq!(leftovers(&env.ledger()), Vec::<String>::new());
    // The lock was released: the next writer goes ahead (a new institution each time).
    env.import(&institutions(1_000_000 + before.0.len(), 1));
}

#[test]
fn ctrl_c_during_a_big_import_cuts_its_bytes_back_and_exits_130() {
    let env = TestEnv::new();
    env.import(SMALL);
    let before = env.canonical_bytes();
    let journal = env.ledger().join("journal");
    let file = env.file("big.jsonl", &institutions(100, 300_000));
    let mut command = env.command(&env.ledger());
    command
        .args(["import", file.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: only an async-signal-safe call (signal) between fork and exec. A CI runner
    // may start processes with SIGINT ignored, which exec would keep.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    // Wait until pieces are being written past the head: the import is under way.
    let started = Instant::now();
    while std::fs::metadata(&journal).unwrap().len() <= before.0.len() as u64 + 100_000 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it could be interrupted"
        );
        assert!(started.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(2));
    }
    // SAFETY: a signal to our own child, by its pid.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: nothing was recorded"),
        "{stderr}"
    );
    assert_untouched(&env, &before);
}

/// The failure in the first (and only) piece, as in every `record`: before the fix the undo
/// cut only when the head had moved, so the part of the frame that was written stayed. The
/// full disk is injected at the journal write (`CCM_LEDGER_TEST_FULL_DISK_AFTER`, debug
/// builds only), so this runs wherever the tests run.
#[test]
fn a_full_disk_part_way_through_the_first_piece_leaves_the_ledger_as_it_was() {
    let env = TestEnv::new();
    env.import(SMALL);
    let file = env.file("some.jsonl", &institutions(500, 20));
    let record: &[&str] = &[
        "record",
        "state-joined",
        "--state",
        "SWE",
        "--name",
        "Sweden",
        "--effective",
        "2010-08-01",
    ];
    for args in [record, &["import", file.to_str().unwrap()][..]] {
        let before = env.canonical_bytes();
        let out = env
            .command(&env.ledger())
            .env("CCM_LEDGER_TEST_FULL_DISK_AFTER", "40")
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("journal") && stderr.contains("No space left on device"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("disk"), "{args:?}: {stderr}");
        assert_untouched(&env, &before);
    }
}

#[test]
fn a_full_disk_during_record_or_import_exits_1_naming_the_file_and_changes_nothing() {
    let Some(disk) = SmallDisk::mount("2m") else {
        eprintln!("skipped: cannot mount a tmpfs here (the file-size-limit test covers this)");
        return;
    };
    let env = TestEnv::new();
    let ledger = disk.dir.path().join("ledger");
    let small = env.file("small.jsonl", SMALL);
    env.run_on(&ledger, &["import", small.to_str().unwrap()])
        .ok();
    let canonical = || {
        (
            std::fs::read(ledger.join("journal")).unwrap(),
            std::fs::read(ledger.join("HEAD")).unwrap(),
        )
    };
    let mut before = canonical();
    disk.fill();
    let big = env.file("big.jsonl", &institutions(0, 20_000));
    for args in [
        &[
            "record",
            "state-joined",
            "--state",
            "SWE",
            "--name",
            "Sweden",
            "--effective",
            "2010-08-01",
        ][..],
        &["import", big.to_str().unwrap()][..],
    ] {
        let run = env.run_on(&ledger, args);
        if args[0] == "record" && run.code == 0 {
            // One small frame can fit in the last page the journal already holds (a slice's
            // write allocates nothing else first): then it is acknowledged, and durable.
            assert!(
                canonical().0.len() > before.0.len(),
                "{args:?}: acknowledged"
            );
            before = canonical();
            continue;
        }
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("No space left on device") && run.stderr.contains("disk"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            canonical() == before,
            "{args:?} changed the journal or the head"
        );
        assert_eq!(leftovers(&ledger), Vec::<String>::new(), "{args:?}");
    }
    disk.empty();
    let verify = env.run_on(&ledger, &["verify"]).ok();
    assert!(!verify.stderr.contains("acknowledged"), "{}", verify.stderr);
}
