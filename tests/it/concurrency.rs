use std::time::{Duration, Instant};

use ccm_ledger::ledger::{Access, Ledger};

use crate::support::*;

#[test]
fn a_second_writer_is_told_the_ledger_is_in_use_at_once() {
    let env = TestEnv::new();
    env.import(SMALL);
    let holder = Ledger::open(&env.ledger(), Access::Write).expect("the first writer opens");

    let started = Instant::now();
    let file = env.file(
        "one.jsonl",
        r#"{"kind":"state_joined","state":"FRA","name":"France","effective":"2010-08-01"}"#,
    );
    let run = env.run(&["import", file.to_str().unwrap()]).fails_with(1);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert!(run.stderr.contains("ledger in use"), "{}", run.stderr);

    // Readers are not blocked: they read what the head file acknowledges.
    let log = env.run(&["log", "--json"]).ok().json();
    assert_eq!(log.as_array().unwrap().len(), 10);
    drop(holder);
    env.run(&["import", file.to_str().unwrap()]).ok();
}
