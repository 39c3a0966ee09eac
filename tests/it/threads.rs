//! Several threads of one process appending through the library.
//!
//! The ledger's lock is an exclusive `flock` on an open file description, so a second
//! `Ledger::open(.., Write)` in the same process is refused with `InUse` exactly like a second
//! process. Threads therefore share one `Ledger` behind a `Mutex`, and prepare *and* commit
//! while holding it: `prepare` reads the head, and `commit` refuses a batch prepared against a
//! head that has moved since (nothing is written).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ccm_ledger::domain::jsonl::event_to_value;
use ccm_ledger::ledger::{verify, Access, Decoding, Ledger, LedgerError, VerifyOptions};

use crate::durability::{drafts, recorder};
use crate::support::*;

const THREADS: usize = 4;
const APPENDS: usize = 25;

fn line(thread: usize, i: usize) -> String {
    format!(
        r#"{{"kind":"institution_registered","institution":"T{thread}N{i}","name":"thread {thread} append {i}","by_right":false}}"#
    )
}

#[test]
fn threads_sharing_one_ledger_append_a_consistent_chain_with_nothing_lost_or_doubled() {
    let env = TestEnv::new();
    let ledger = Arc::new(Mutex::new(Ledger::init(&env.ledger()).unwrap()));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let ledger = Arc::clone(&ledger);
            std::thread::spawn(move || {
                for i in 0..APPENDS {
                    let mut ledger = ledger.lock().unwrap();
                    let prepared = ledger.prepare(&drafts(&line(t, i)), &recorder());
                    ledger.commit(prepared).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    drop(ledger);

    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut order: Vec<Vec<usize>> = vec![Vec::new(); THREADS];
    let mut each = |checked: &ccm_ledger::ledger::Checked| {
        let code = event_to_value(&checked.entry.as_ref().expect("kept").event)["institution"]
            .as_str()
            .unwrap()
            .to_owned();
        let (t, i) = code[1..].split_once('N').unwrap();
        order[t.parse::<usize>().unwrap()].push(i.parse().unwrap());
        *seen.entry(code).or_default() += 1;
    };
    let options = VerifyOptions {
        decoding: Decoding::Keep,
        each: Some(&mut each),
        ..VerifyOptions::default()
    };
    let verified = verify(&env.ledger(), options)
        .unwrap()
        .journal_alone()
        .unwrap();
    assert_eq!(verified.entries, (THREADS * APPENDS) as u64);
    assert_eq!(seen.len(), THREADS * APPENDS, "no entry lost");
    assert!(seen.values().all(|&n| n == 1), "no entry doubled");
    for appended in order {
        assert_eq!(
            appended,
            (0..APPENDS).collect::<Vec<_>>(),
            "each thread's order kept"
        );
    }
}

#[test]
fn a_second_writer_in_the_same_process_is_told_the_ledger_is_in_use() {
    let env = TestEnv::new();
    let _first = Ledger::init(&env.ledger()).unwrap();
    let second = std::thread::scope(|s| {
        s.spawn(|| Ledger::open(&env.ledger(), Access::Write))
            .join()
            .unwrap()
    });
    assert!(matches!(second, Err(LedgerError::InUse(_))));
}

#[test]
fn a_batch_prepared_against_an_old_head_is_refused_and_nothing_is_written() {
    let env = TestEnv::new();
    let mut ledger = Ledger::init(&env.ledger()).unwrap();
    let stale = ledger.prepare(&drafts(&line(0, 0)), &recorder());
    ledger
        .commit(ledger.prepare(&drafts(&line(1, 0)), &recorder()))
        .unwrap();
    let before = env.canonical_bytes();
    let refused = ledger.commit(stale);
    assert!(refused.is_err(), "a stale batch must not be appended");
    assert_eq!(env.canonical_bytes(), before);
}
