//! Durability, through the library: an append reports success only after the journal reached
//! `fdatasync` and the head file was replaced atomically (data sync of `HEAD.tmp`, rename,
//! directory sync), in that order.
//!
//! Nothing canonical depends on sled's `flush()`: sled 0.34's flush ends in
//! `sync_file_range`, which makes no promise about metadata or the disk cache, so the journal
//! and the head file never wait for it. The index database is written after the head file is
//! replaced and only ever holds what can be rebuilt from the journal: if its writes are lost,
//! the next open catches up or rebuilds. The tests below show both halves: the barriers an
//! append passes (none of them sled's), and an acknowledged append read back with sled's
//! buffers never flushed and its files deleted.
//!
//! To watch the same from outside (an experiment for ARCHITECTURE.md):
//! `strace -f -e trace=fdatasync,fsync,rename,sync_file_range ccm-ledger import one.jsonl`
//! shows `fdatasync(journal)`, `fdatasync(HEAD.tmp)`, `rename(HEAD.tmp, HEAD)`, `fsync(dir)`
//! from the main thread, and sled's `sync_file_range` calls only after them.

use ccm_ledger::domain::jsonl::parse_line;
use ccm_ledger::domain::{Draft, Timestamp};
use ccm_ledger::ledger::sync::{trace_start, trace_take, Barrier};
use ccm_ledger::ledger::{journal, verify_dir, Access, Decoding, Ledger, Recorder};

use crate::support::*;

pub fn drafts(text: &str) -> Vec<Draft> {
    text.lines()
        .map(|l| parse_line(l).expect("a valid line").draft)
        .collect()
}

pub fn recorder() -> Recorder {
    Recorder {
        by: "test".into(),
        at: Some(Timestamp::parse(NOW).unwrap()),
    }
}

fn dir_name(env: &TestEnv) -> String {
    env.ledger().display().to_string()
}

#[test]
fn an_append_syncs_the_journal_then_replaces_the_head_atomically_before_it_returns() {
    let env = TestEnv::new();
    let mut ledger = Ledger::init(&env.ledger()).unwrap();
    let prepared = ledger.prepare(&drafts(SMALL), &recorder());
    let expected = prepared.head();

    trace_start();
    let head = ledger.commit(prepared).unwrap();
    let barriers = trace_take();

    assert_eq!(head, expected);
    assert_eq!(
        barriers,
        vec![
            Barrier::Data("journal".into()),
            Barrier::Data("HEAD.tmp".into()),
            Barrier::Directory(dir_name(&env)),
        ],
        "one sync for all ten entries, then the head file's atomic replacement"
    );
    // What the barriers made durable is what the head file now says.
    assert_eq!(journal::read_head(&env.ledger()).unwrap(), head);
    assert!(!env.ledger().join("HEAD.tmp").exists(), "renamed over HEAD");
}

#[test]
fn a_new_ledger_has_its_head_file_before_its_journal_appears() {
    let env = TestEnv::new();
    trace_start();
    let ledger = Ledger::init(&env.ledger()).unwrap();
    let barriers = trace_take();
    assert_eq!(
        barriers,
        vec![
            // The config (origin, signing) first: without a journal it is no ledger yet.
            Barrier::Data("config.tmp".into()),
            Barrier::Data("HEAD.tmp".into()),
            Barrier::Directory(dir_name(&env)),
            Barrier::Data("journal.tmp".into()),
            Barrier::Directory(dir_name(&env)),
        ]
    );
    assert_eq!(ledger.head().entries, 0);
}

#[test]
fn an_acknowledged_append_does_not_depend_on_the_index_database_being_flushed() {
    let env = TestEnv::new();
    let mut ledger = Ledger::init(&env.ledger()).unwrap();
    let head = ledger
        .commit(ledger.prepare(&drafts(SMALL), &recorder()))
        .unwrap();
    // Leak the ledger: its Drop (the only place sled is flushed) never runs, as if the
    // process died here. The leaked lock also keeps every later open a lock-less reader.
    std::mem::forget(ledger);
    std::fs::remove_dir_all(env.ledger().join("index.sled")).unwrap();

    let verified = verify_dir(&env.ledger(), Decoding::Check, |_| {}).unwrap();
    assert_eq!((verified.entries, verified.head), (head.entries, head.hash));
    let reader = Ledger::open(&env.ledger(), Access::Read).unwrap();
    assert_eq!(reader.head(), head);
    assert_eq!(reader.entries(0, u64::MAX).unwrap().count(), 10);
}
