//! Durability, through the library: an append reports success only after the journal reached
//! `fdatasync` and then the head file's older slot was rewritten in place and reached
//! `fdatasync`, in that order: two data syncs of files that exist, no rename, no directory
//! sync (docs/FORMAT.md, "The head file").
//!
//! Nothing canonical depends on sled's `flush()`: sled 0.34's flush ends in
//! `sync_file_range`, which makes no promise about metadata or the disk cache, so the journal
//! and the head file never wait for it. The index database is written after the head file is
//! synced and only ever holds what can be rebuilt from the journal: if its writes are lost,
//! the next open catches up or rebuilds. The tests below show both halves: the barriers an
//! append passes (none of them sled's), and an acknowledged append read back with sled's
//! buffers never flushed and its files deleted.
//!
//! To watch the same from outside (an experiment for ARCHITECTURE.md):
//! `strace -f -e trace=fdatasync,fsync,rename,pwrite64,sync_file_range ccm-ledger import one.jsonl`
//! shows `fdatasync(journal)`, `pwrite64(HEAD, 512 bytes)`, `fdatasync(HEAD)` from the main
//! thread, and sled's `sync_file_range` calls only after them.

use ccm_ledger::domain::jsonl::parse_line;
use ccm_ledger::domain::{Draft, Timestamp};
use ccm_ledger::ledger::sync::{trace_start, trace_take, Barrier};
use ccm_ledger::ledger::{
    journal, prepare, verify, Access, Ledger, LedgerError, Recorder, Verified, VerifyOptions,
};

use crate::support::*;

pub fn drafts(text: &str) -> Vec<Draft> {
    text.lines()
        .map(|l| parse_line(l).expect("a valid line").draft)
        .collect()
}

/// The ledger verified, every entry decoded, as the journal alone judges it.
fn journal_alone(env: &TestEnv) -> Result<Verified, ccm_ledger::ledger::Tampering> {
    verify(&env.ledger(), VerifyOptions::default())?.journal_alone()
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
fn an_append_syncs_the_journal_then_rewrites_the_head_file_in_place_before_it_returns() {
    use std::os::unix::fs::MetadataExt;
    let env = TestEnv::new();
    let mut ledger = Ledger::init(&env.ledger()).unwrap();
    let before = std::fs::metadata(env.ledger().join("HEAD")).unwrap();
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
            Barrier::Data("HEAD".into()),
        ],
        "one sync for all ten entries, then one for the head file's slot: nothing else"
    );
    // What the barriers made durable is what the head file now says.
    assert_eq!(journal::read_head(&env.ledger()).unwrap(), head);
    // The same file, the same size: a slot rewritten, no new file renamed into place.
    let after = std::fs::metadata(env.ledger().join("HEAD")).unwrap();
    assert_eq!((after.ino(), after.len()), (before.ino(), 1024));
    assert!(!env.ledger().join("HEAD.tmp").exists());
}

#[test]
fn appends_take_turns_between_the_two_slots_of_the_head_file() {
    let env = TestEnv::new();
    let mut ledger = Ledger::init(&env.ledger()).unwrap();
    let mut newest_slots = Vec::new();
    for line in SMALL.lines().take(3) {
        let head = ledger
            .commit(ledger.prepare(&drafts(line), &recorder()))
            .unwrap();
        let file = std::fs::read(env.ledger().join("HEAD")).unwrap();
        let entries =
            |slot: usize| u64::from_le_bytes(file[slot * 512 + 16..][..8].try_into().unwrap());
        newest_slots.push((0..2).find(|&slot| entries(slot) == head.entries).unwrap());
        // The other slot still holds the head before this append: a crash while this slot
        // was written would have left that one to read.
        assert_eq!(entries(1 - newest_slots.last().unwrap()), head.entries - 1);
    }
    assert_eq!(newest_slots, [1, 0, 1]);
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
            // Made whole, then renamed: a new file's name needs the directory synced.
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

    let verified = journal_alone(&env).unwrap();
    assert_eq!((verified.entries, verified.head), (head.entries, head.hash));
    let reader = Ledger::open(&env.ledger(), Access::Read).unwrap();
    assert_eq!(reader.head(), head);
    assert_eq!(reader.entries(0, u64::MAX).unwrap().count(), 10);
}

/// Ledgers made before the two-slot head file have a text one (`ccm-ledger head v1`). Readers
/// read it as it is and change nothing; the first writer to open the ledger replaces it,
/// atomically (a new file renamed into place), by a slotted one holding the same head.
#[test]
fn a_text_head_file_of_an_older_ledger_is_read_and_converted_by_the_first_writer() {
    let env = TestEnv::new();
    env.import(SMALL);
    let head = journal::read_head(&env.ledger()).unwrap();
    let text = format!(
        "ccm-ledger head v1\nentries {}\nbytes {}\nlast-frame {}\nhash {}\n",
        head.entries,
        head.bytes,
        head.last_frame,
        head.hash.to_hex()
    );
    std::fs::write(env.ledger().join("HEAD"), &text).unwrap();

    assert_eq!(env.run(&["verify", "--json"]).ok().json()["entries"], 10);
    let log = env.run(&["log", "--json"]).ok();
    assert_eq!(log.json().as_array().map(Vec::len), Some(10));
    assert_eq!(
        std::fs::read_to_string(env.ledger().join("HEAD")).unwrap(),
        text
    );

    env.import(r#"{"kind":"state_joined","state":"FRA","name":"France","effective":"2010-08-01"}"#);
    assert_eq!(
        std::fs::metadata(env.ledger().join("HEAD")).unwrap().len(),
        1024
    );
    assert_eq!(env.run(&["verify", "--json"]).ok().json()["entries"], 11);
}

#[test]
fn an_append_written_in_pieces_is_invisible_until_acknowledged_with_one_sync() {
    let env = TestEnv::new();
    let mut ledger = Ledger::init(&env.ledger()).unwrap();
    let lines: Vec<&str> = SMALL.lines().collect();
    let journal_path = env.ledger().join("journal");
    let empty = std::fs::read(&journal_path).unwrap();

    trace_start();
    let mut appending = ledger.append_in_pieces().unwrap();
    for piece in lines.chunks(4) {
        let prepared = prepare(appending.head(), &drafts(&piece.join("\n")), &recorder());
        appending.write(&prepared).unwrap();
    }
    let written = appending.head();
    // Written, not acknowledged: the bytes are past the head, and a reader sees nothing.
    assert!(std::fs::read(&journal_path).unwrap().len() > empty.len());
    let reader = Ledger::open(&env.ledger(), Access::Read).unwrap();
    assert_eq!(reader.head().entries, 0);
    assert_eq!(
        trace_take(),
        vec![],
        "no barrier while the pieces are written"
    );

    trace_start();
    let head = appending.acknowledge().unwrap();
    drop(appending);
    assert_eq!(
        trace_take(),
        vec![
            Barrier::Data("journal".into()),
            Barrier::Data("HEAD".into())
        ],
        "one sync for every piece, then the head file's older slot"
    );
    assert_eq!(head, written);
    assert_eq!(journal::read_head(&env.ledger()).unwrap(), head);
    // The same entries as one commit of the whole batch would have made.
    assert_eq!(
        head,
        prepare(
            ccm_ledger::ledger::Head::empty(),
            &drafts(SMALL),
            &recorder()
        )
        .head()
    );
    assert_eq!(ledger.head(), head);
    assert_eq!(ledger.merkle_root(10).unwrap(), {
        let mut root = ccm_ledger::merkle::RootBuilder::new();
        for stored in ledger.entries(0, 10).unwrap() {
            root.push(&stored.unwrap().hash);
        }
        root.root()
    });
}

#[test]
fn an_abandoned_append_is_cut_back_to_the_acknowledged_bytes() {
    let env = TestEnv::new();
    let mut ledger = Ledger::init(&env.ledger()).unwrap();
    ledger
        .commit(ledger.prepare(&drafts(SMALL), &recorder()))
        .unwrap();
    let journal_path = env.ledger().join("journal");
    let before = std::fs::read(&journal_path).unwrap();

    let mut appending = ledger.append_in_pieces().unwrap();
    let more = r#"{"kind":"state_joined","state":"FRA","name":"France","effective":"2010-08-01"}"#;
    appending
        .write(&prepare(appending.head(), &drafts(more), &recorder()))
        .unwrap();
    assert!(std::fs::read(&journal_path).unwrap().len() > before.len());
    trace_start();
    appending.abandon().unwrap();
    assert_eq!(
        trace_take(),
        vec![Barrier::Data("journal".into())],
        "the cut is synced: a crash cannot bring the bytes back"
    );
    assert_eq!(std::fs::read(&journal_path).unwrap(), before);

    // Dropped without a word (an early return): cut all the same.
    let mut appending = ledger.append_in_pieces().unwrap();
    appending
        .write(&prepare(appending.head(), &drafts(more), &recorder()))
        .unwrap();
    drop(appending);
    assert_eq!(std::fs::read(&journal_path).unwrap(), before);
    assert_eq!(journal_alone(&env).unwrap().entries, 10);
}

#[test]
fn a_new_ledger_built_in_pieces_is_no_ledger_until_its_journal_is_renamed_into_place() {
    let env = TestEnv::new();
    let mut appending = Ledger::create_in_pieces(&env.ledger()).unwrap();
    appending
        .write(&prepare(appending.head(), &drafts(SMALL), &recorder()))
        .unwrap();
    // A crash now: the process dies without cleaning up.
    std::mem::forget(appending);
    assert!(matches!(
        Ledger::open(&env.ledger(), Access::Read),
        Err(LedgerError::NotALedger(_))
    ));
    // The lock died with the process; the next import starts over.
    release_leaked_lock(&env);
    let mut appending = Ledger::create_in_pieces(&env.ledger()).unwrap();
    appending
        .write(&prepare(appending.head(), &drafts(SMALL), &recorder()))
        .unwrap();
    trace_start();
    let head = appending.acknowledge().unwrap();
    drop(appending);
    assert_eq!(
        trace_take(),
        vec![
            Barrier::Data("config.tmp".into()),
            Barrier::Data("journal.tmp".into()),
            Barrier::Data("HEAD.tmp".into()),
            Barrier::Directory(dir_name(&env)),
            Barrier::Directory(dir_name(&env)),
        ],
        "config, then the journal and the head file synced at once, then the journal renamed"
    );
    assert!(!env.ledger().join("journal.tmp").exists());
    let verified = journal_alone(&env).unwrap();
    assert_eq!((verified.entries, verified.head), (10, head.hash));
}

/// A leaked `Ledger`'s lock is an open file description this process still holds; a crashed
/// process's is released by the kernel. Taking the lock file away has the same effect here.
fn release_leaked_lock(env: &TestEnv) {
    std::fs::remove_file(env.ledger().join("lock")).unwrap();
}

/// A file is replaced through a temporary file of a unique name (`ledger::sync::
/// write_atomically`); a writer killed before its rename leaves one, which the next writer
/// removes under the lock, so repeated crashes cannot pile them up.
#[test]
fn a_writer_removes_the_temporary_files_a_killed_writer_left() {
    let env = TestEnv::new();
    env.import(SMALL);
    let left = env.ledger().join(".checkpoint.x1Y2z3.tmp");
    std::fs::write(&left, b"half a checkpoint").unwrap();
    drop(Ledger::open(&env.ledger(), Access::Read).unwrap());
    assert!(left.exists(), "a reader holds no lock: it must leave it");
    drop(Ledger::open(&env.ledger(), Access::Write).unwrap());
    assert!(!left.exists());
}
