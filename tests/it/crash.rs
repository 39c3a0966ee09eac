//! Crash safety: the real binary is killed with SIGKILL at random moments while it appends
//! (one-line imports) and imports (multi-line files), and after every kill the ledger is
//! reopened and checked:
//!
//! - the acknowledged ledger verifies (journal and head file alone, from entry 0);
//! - every import that exited 0 before the kill is there, whole;
//! - every killed import is either wholly there or wholly absent, and no partial entry exists;
//! - a torn tail is what the journal alone (`verify`, `Verification::journal_alone`) reports as "not acknowledged" and
//!   nothing else (`ccm-ledger verify`, holding no evidence it was acknowledged, calls it an
//!   interrupted write: a notice, exit 0); the next writer open cuts it;
//! - every few trials: `log --json` and `export` give the same answers before and after the
//!   index database is deleted (it is derived data, rebuilt from the journal).
//!
//! The default run is a few hundred cheap trials on several ledgers at once (each append pays
//! two real `fdatasync`s). `CCM_SOAK_TRIALS=N` runs N trials per worker instead (a soak);
//! `CCM_SOAK_SEED` replays a run (the seed is printed).

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use ccm_ledger::ledger::{
    journal, verify, Access, Decoding, Ledger, Tampering, Verification, VerifyOptions,
};

use crate::support::*;

const WORKERS: u64 = 5;
const DEFAULT_TRIALS_PER_WORKER: u64 = 40;
/// A fresh ledger every this many trials, so crashes while a ledger is created are covered.
const TRIALS_PER_LEDGER: u64 = 20;
/// The derived-data comparison (with and without index.sled and the snapshot) every this many.
const DEEP_CHECK_EVERY: u64 = 20;

/// A small, seedable generator (xorshift64*): no dependency, and a run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// What one worker saw, summed into the report.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    trials: u64,
    /// Exited 0 before the kill: acknowledged.
    completed: u64,
    /// Killed; the import turned out wholly present (its head was synced before the kill).
    killed_present: u64,
    /// Killed; the import turned out wholly absent.
    killed_absent: u64,
    /// Killed while the ledger did not exist yet, before the journal appeared.
    killed_before_ledger: u64,
    /// The read-only `verify` reported an unacknowledged torn tail (cut by the next writer).
    torn_tails: u64,
    /// Writer opens that cut a torn tail (said so on stderr).
    tails_cut: u64,
    /// Opens that rebuilt the index database (said so on stderr).
    index_rebuilds: u64,
    deep_checks: u64,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.trials += o.trials;
        self.completed += o.completed;
        self.killed_present += o.killed_present;
        self.killed_absent += o.killed_absent;
        self.killed_before_ledger += o.killed_before_ledger;
        self.torn_tails += o.torn_tails;
        self.tails_cut += o.tails_cut;
        self.index_rebuilds += o.index_rebuilds;
        self.deep_checks += o.deep_checks;
    }
}

/// The institutions an import registers: unique codes, so every entry says which trial and
/// line wrote it (and so the imports stay valid under duplicate checks); every other one a
/// member of the Coordination Committee by right, so the projection has something to show.
fn lines_of(worker: u64, trial: u64, count: u64) -> String {
    (0..count)
        .map(|i| {
            format!(
                "{{\"kind\":\"institution_registered\",\"institution\":\"W{worker}T{trial}L{i}\",\"name\":\"trial {trial} line {i}\",\"by_right\":{}}}\n",
                i % 2 == 0
            )
        })
        .collect()
}

/// The institution codes of the acknowledged entries, in order (from the journal and the head
/// file alone), or what verification found wrong.
fn acknowledged(ledger: &Path) -> (Vec<String>, Option<Tampering>) {
    let Ok(head) = journal::read_head(ledger) else {
        panic!(
            "{}: the head file is unreadable after a crash",
            ledger.display()
        );
    };
    let mut codes = Vec::new();
    let mut each = |checked: &ccm_ledger::ledger::Checked| {
        if (codes.len() as u64) < head.entries {
            let value = ccm_ledger::domain::jsonl::event_to_value(
                &checked.entry.as_ref().expect("kept").event,
            );
            codes.push(value["institution"].as_str().unwrap_or("?").to_owned());
        }
    };
    let options = VerifyOptions {
        decoding: Decoding::Keep,
        each: Some(&mut each),
        ..VerifyOptions::default()
    };
    let result = verify(ledger, options).and_then(Verification::journal_alone);
    (codes, result.err())
}

fn spawn_import(env: &TestEnv, ledger: &Path, file: &Path) -> Child {
    env.command(ledger)
        .args(["import", file.to_str().expect("utf-8 path")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run ccm-ledger")
}

/// How long an uninterrupted one-line import takes here (fdatasync dominates).
fn typical_import(env: &TestEnv) -> Duration {
    let ledger = env.dir.path().join("calibration");
    let mut total = Duration::ZERO;
    for trial in 0..3 {
        let file = env.file("calibrate.jsonl", &lines_of(99, trial, 1));
        let started = Instant::now();
        let status = spawn_import(env, &ledger, &file).wait().expect("wait");
        assert!(status.success());
        total += started.elapsed();
    }
    total / 3
}

fn worker(worker: u64, seed: u64, trials: u64, mut typical: Duration) -> Tally {
    let env = TestEnv::new();
    let mut rng = Rng(seed ^ (worker + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut tally = Tally::default();
    let mut ledger = PathBuf::new();
    let mut expected: Vec<String> = Vec::new();
    for trial in 0..trials {
        if trial % TRIALS_PER_LEDGER == 0 {
            ledger = env.dir.path().join(format!("ledger-{trial}"));
            expected.clear();
        }
        tally.trials += 1;
        let count = if rng.below(10) < 7 {
            1
        } else {
            2 + rng.below(40)
        };
        let file = env.file("trial.jsonl", &lines_of(worker, trial, count));
        let codes: Vec<String> = (0..count)
            .map(|i| format!("W{worker}T{trial}L{i}"))
            .collect();

        // Kill anywhere from before the process starts its work to just after it would end.
        // How long an import takes here and now (under the other workers' load) is learnt as
        // the trials go: from the runs that finished, and from how long killed ones lived.
        let budget = typical.as_micros() as u64 * (10 + count / 8) / 8;
        let delay = Duration::from_micros(rng.below(budget));
        let started = Instant::now();
        let mut child = spawn_import(&env, &ledger, &file);
        std::thread::sleep(delay);
        let finished_first = child.try_wait().expect("try_wait").is_some();
        if !finished_first {
            child.kill().expect("SIGKILL");
        }
        let status = child.wait().expect("wait");
        let completed = status.success();
        if finished_first && count == 1 {
            typical = (typical * 4 + started.elapsed()) / 5;
        } else if !finished_first {
            typical = typical.max(delay);
        }
        assert!(
            completed || status.code().is_none(),
            "worker {worker} trial {trial}: the import failed on its own: {status}"
        );

        if !ledger.join("journal").exists() {
            assert!(!completed, "a completed import left no journal");
            tally.killed_before_ledger += 1;
            continue;
        }
        let (codes_now, problem) = acknowledged(&ledger);
        match &problem {
            None => {}
            Some(Tampering::Unacknowledged { .. }) => tally.torn_tails += 1,
            Some(other) => panic!(
                "worker {worker} trial {trial} (killed after {delay:?}): verify found {other}"
            ),
        }
        // Whole or nothing: the acknowledged entries are the earlier ones plus, possibly,
        // every line of this import.
        let mut with_trial = expected.clone();
        with_trial.extend(codes.iter().cloned());
        if codes_now == with_trial {
            if completed {
                tally.completed += 1;
            } else {
                tally.killed_present += 1;
            }
            expected = with_trial;
        } else {
            assert!(
                !completed,
                "worker {worker} trial {trial}: exit 0 but its {count} entries are not all acknowledged"
            );
            assert_eq!(
                codes_now, expected,
                "worker {worker} trial {trial} (killed after {delay:?}): entries lost or partly written"
            );
            tally.killed_absent += 1;
        }

        if problem.is_some() {
            // The next writer open cuts the torn tail (keeping it aside) and says so.
            let opened = Ledger::open(&ledger, Access::Write).expect("a writer opens");
            if opened
                .notices()
                .iter()
                .any(|n| n.contains("unacknowledged"))
            {
                tally.tails_cut += 1;
            }
            drop(opened);
            let (after, problem) = acknowledged(&ledger);
            assert!(problem.is_none(), "after the cut: {problem:?}");
            assert_eq!(after, expected);
        }

        if (trial + 1) % DEEP_CHECK_EVERY == 0 {
            tally.deep_checks += 1;
            deep_check(&env, &ledger, expected.len(), &mut tally);
        }
    }
    tally
}

/// Through the binary: `verify` (exit 0: any torn tail is an interrupted write, and the derived
/// data a crash leaves must agree with the journal, or it would exit 5), then `log --json`,
/// `export` and `committee --json` with the derived data as it is, and again after the index
/// database and the projection snapshot are deleted.
fn deep_check(env: &TestEnv, ledger: &Path, entries: usize, tally: &mut Tally) {
    let verified = env.run_on(ledger, &["verify", "--json"]).ok().json();
    assert_eq!(verified["entries"], entries as u64);

    let log = env.run_on(ledger, &["log", "--json"]).ok();
    let export = env.run_on(ledger, &["export"]).ok();
    for run in [&log, &export] {
        if run.stderr.contains("rebuilt") {
            tally.index_rebuilds += 1;
        }
    }
    // The projection as the snapshot file (written by earlier queries, possibly before the
    // crash) and the tail give it, then as a fold from zero.
    let state = env
        .run_on(ledger, &["committee", "--on", "2030-01-01", "--json"])
        .ok()
        .stdout;
    let _ = std::fs::remove_dir_all(ledger.join("index.sled"));
    let _ = std::fs::remove_file(ledger.join("projection.snapshot"));
    assert_eq!(
        env.run_on(ledger, &["log", "--json"]).ok().stdout,
        log.stdout
    );
    assert_eq!(env.run_on(ledger, &["export"]).ok().stdout, export.stdout);
    assert_eq!(
        env.run_on(ledger, &["committee", "--on", "2030-01-01", "--json"])
            .ok()
            .stdout,
        state,
        "the snapshot and the tail agree with a fold from zero"
    );
    assert_eq!(log.json().as_array().map(Vec::len), Some(entries));
}

#[test]
fn appends_and_imports_killed_at_random_moments_lose_nothing_acknowledged() {
    let trials: u64 = std::env::var("CCM_SOAK_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_TRIALS_PER_WORKER);
    let seed: u64 = std::env::var("CCM_SOAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    let calibration = TestEnv::new();
    let typical = typical_import(&calibration);
    eprintln!("crash harness: seed {seed} (CCM_SOAK_SEED), {WORKERS} workers × {trials} trials, a one-line import takes ~{typical:?}");

    let handles: Vec<_> = (0..WORKERS)
        .map(|w| std::thread::spawn(move || worker(w, seed, trials, typical)))
        .collect();
    let mut total = Tally::default();
    for handle in handles {
        match handle.join() {
            Ok(tally) => total += tally,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
    eprintln!("crash harness: {total:#?}");
    assert_eq!(total.trials, WORKERS * trials);
    assert_eq!(
        total.completed + total.killed_present + total.killed_absent + total.killed_before_ledger,
        total.trials
    );
}

/// Regression (issue 8): a ledger used to be created journal-first, so a kill between the
/// journal and the head file left a journal without a head file, refused by every command as
/// "corrupted ledger" forever. Now the journal appears last: this is what a crash leaves at
/// the worst moment, and the next import simply creates the ledger.
#[test]
fn a_crash_while_the_ledger_is_created_leaves_no_half_made_ledger() {
    let env = TestEnv::new();
    let ledger = env.ledger();
    std::fs::create_dir_all(&ledger).unwrap();
    // The head file was written, the journal was still `journal.tmp`.
    ccm_ledger::ledger::journal::create(&ledger).unwrap();
    std::fs::rename(ledger.join("journal"), ledger.join("journal.tmp")).unwrap();

    let run = env.run(&["log"]).fails_with(1);
    assert!(run.stderr.contains("is not a ledger"), "{}", run.stderr);
    env.import(SMALL);
    assert_eq!(env.run(&["verify", "--json"]).ok().json()["entries"], 10);
}

/// The moment the two-slot head file exists for: the append's frames are synced, and the crash
/// comes while the head's slot is rewritten, so that slot is torn. The other slot holds the head
/// before the append, and the frames past it are an unacknowledged torn tail, as after a crash
/// before the head file was touched: readers do not see them, `verify` reports them as an
/// interrupted write (a notice: no evidence says they were acknowledged), the next
/// writer cuts them (keeping the bytes) and its own append rewrites the torn slot.
#[test]
fn a_head_slot_torn_by_a_crash_leaves_the_previous_head_and_an_unacknowledged_tail() {
    let env = TestEnv::new();
    let ledger = env.ledger();
    let lines: Vec<String> = SMALL.lines().map(|l| format!("{l}\n")).collect();
    env.import(&lines[..7].concat());
    // The derived database as the crash leaves it: it is written only once the head is synced.
    let index = env.dir.path().join("index-before");
    crate::damage::copy_dir(&ledger.join("index.sled"), &index);
    env.import(&lines[7..].concat());
    let mut head = std::fs::read(ledger.join("HEAD")).unwrap();
    let generation = |head: &[u8], slot: usize| {
        u64::from_le_bytes(head[slot * 512 + 8..][..8].try_into().unwrap())
    };
    let newest = if generation(&head, 1) > generation(&head, 0) {
        1
    } else {
        0
    };
    // The second half of the slot never reached the disk.
    head[newest * 512 + 256..newest * 512 + 512].fill(0);
    std::fs::write(ledger.join("HEAD"), &head).unwrap();
    std::fs::remove_dir_all(ledger.join("index.sled")).unwrap();
    crate::damage::copy_dir(&index, &ledger.join("index.sled"));

    let log = env.run(&["log", "--json"]).ok();
    assert_eq!(log.json().as_array().map(Vec::len), Some(7));
    assert!(
        log.stderr.contains("head file is unreadable"),
        "{}",
        log.stderr
    );
    // Nothing says entries 7.. were ever acknowledged: an interrupted write (issue 13).
    let verify = env.run(&["verify", "--json"]).ok();
    assert_eq!(verify.json()["interrupted"]["from_entry"], 7);
    assert!(
        verify.stderr.contains("interrupted write"),
        "{}",
        verify.stderr
    );

    let next = env.import(&lines[7]);
    assert!(
        next.stderr.contains("unacknowledged bytes"),
        "{}",
        next.stderr
    );
    assert_eq!(env.run(&["verify", "--json"]).ok().json()["entries"], 8);
    let head = journal::read_head(&ledger).unwrap();
    assert_eq!(head.entries, 8);
    let rewritten = std::fs::read(ledger.join("HEAD")).unwrap();
    assert_eq!(
        generation(&rewritten, newest),
        generation(&rewritten, 1 - newest) + 1,
        "the torn slot holds the newest head again"
    );
}

/// An import of many pieces, each written past the head before the next is read, killed at
/// random moments (from before it starts to after it would end), into a new ledger and into
/// one that holds entries: afterwards the ledger holds all of it or none of it; what was
/// written past the head is a torn tail the next writer cuts; a new ledger killed before its
/// journal was renamed into place is no ledger, and the next import creates it.
#[test]
fn a_big_import_killed_while_its_pieces_are_written_is_all_or_nothing() {
    const LINES: u64 = 10_000;
    const TRIALS: u64 = 8;
    let env = TestEnv::new();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    eprintln!("big import kills: seed {seed}");
    let mut rng = Rng(seed | 1);
    let file = env.file("big.jsonl", &lines_of(0, 0, LINES));
    let imported: Vec<String> = (0..LINES).map(|i| format!("W0T0L{i}")).collect();

    let started = Instant::now();
    let whole = env.dir.path().join("whole");
    assert!(spawn_import(&env, &whole, &file).wait().unwrap().success());
    let takes = started.elapsed();

    // (no ledger yet, absent, present, torn tails cut): what the kills hit, for the log.
    let mut outcomes = [0u32; 4];
    for trial in 0..TRIALS {
        let ledger = env.dir.path().join(format!("ledger-{trial}"));
        let mut earlier = Vec::new();
        if trial % 2 == 1 {
            let small = env.file("small.jsonl", &lines_of(1, trial, 3));
            assert!(spawn_import(&env, &ledger, &small)
                .wait()
                .unwrap()
                .success());
            earlier = (0..3).map(|i| format!("W1T{trial}L{i}")).collect();
        }
        let delay = Duration::from_micros(rng.below(takes.as_micros() as u64 * 5 / 4));
        let mut child = spawn_import(&env, &ledger, &file);
        std::thread::sleep(delay);
        if child.try_wait().expect("try_wait").is_none() {
            child.kill().expect("SIGKILL");
        }
        let completed = child.wait().expect("wait").success();

        if !ledger.join("journal").exists() {
            assert!(
                !completed && earlier.is_empty(),
                "trial {trial}: no journal"
            );
            let small = env.file("small.jsonl", &lines_of(2, trial, 1));
            assert!(spawn_import(&env, &ledger, &small)
                .wait()
                .unwrap()
                .success());
            assert_eq!(acknowledged(&ledger), (vec![format!("W2T{trial}L0")], None));
            outcomes[0] += 1;
            continue;
        }
        let (codes, problem) = acknowledged(&ledger);
        let mut whole = earlier.clone();
        whole.extend(imported.iter().cloned());
        assert!(
            codes == earlier || codes == whole,
            "trial {trial} (killed after {delay:?}): {} entries acknowledged, neither {} nor {}",
            codes.len(),
            earlier.len(),
            whole.len()
        );
        if completed {
            assert_eq!(
                codes, whole,
                "trial {trial}: exit 0 but not all acknowledged"
            );
        }
        outcomes[if codes == earlier { 1 } else { 2 }] += 1;
        match problem {
            None => {}
            Some(Tampering::Unacknowledged { .. }) => outcomes[3] += 1,
            Some(other) => panic!("trial {trial} (killed after {delay:?}): verify found {other}"),
        }
        drop(Ledger::open(&ledger, Access::Write).expect("a writer opens and cuts the tail"));
        assert_eq!(acknowledged(&ledger), (codes, None), "trial {trial}");
    }
    eprintln!(
        "big import kills: {} before the ledger existed, {} absent, {} present, {} torn tails",
        outcomes[0], outcomes[1], outcomes[2], outcomes[3]
    );
}
