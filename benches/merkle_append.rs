//! What the Merkle tree costs an append: N durable single-event appends (each its own commit:
//! journal fdatasync, then the head file's slot and its fdatasync, derived data) with the tree
//! kept in the derived database, and with it switched off (`ledger::Options { merkle_tree: false }`); and, for
//! information, with a checkpoint signed after every append. Prints the median per append, and
//! its ratio to the floor measured in the same rounds: a raw 200-byte append + `fdatasync`.
//!
//!   cargo bench --bench merkle_append                 N = 300, 3 rounds
//!   cargo bench --bench merkle_append -- 1000 5       N = 1000, 5 rounds
//!
//! The ledgers are made in CCM_BENCH_DIR (default: the system's temporary directory): point it
//! at the disk you care about, since fdatasync dominates.
//!
//! CCM_BENCH_BUSY=1 keeps one thread spinning meanwhile. On a virtual machine whose CPUs halt
//! while a process waits for the disk, waking can take the host's scheduler tick (seen here:
//! every fdatasync ~4 ms instead of ~0.1 ms when the machine was otherwise idle-ish); a busy
//! CPU measures the disk instead of that wake-up. It applies to the raw floor alike.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ccm_ledger::domain::{Date, Draft, Event, StateCode, StateJoined, Timestamp};
use ccm_ledger::ledger::config::Config;
use ccm_ledger::ledger::{Access, Ledger, Options, Recorder};
use ccm_ledger::merkle::generate_key;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    WithoutTree,
    WithTree,
    WithTreeAndSigning,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::WithoutTree => "without tree",
            Mode::WithTree => "with tree",
            Mode::WithTreeAndSigning => "with tree + signed checkpoint",
        }
    }
}

fn draft(i: u64) -> Draft {
    Draft::new(Event::StateJoined(StateJoined {
        state: StateCode::new("NOR").expect("a state code"),
        name: format!("Norway {i}"),
        effective: Date::parse("2010-08-01").expect("a date"),
    }))
}

/// The duration of each of `n` single-event appends to a fresh ledger in `dir`.
fn run(dir: &Path, mode: Mode, n: u64) -> Vec<Duration> {
    let mut config = Config::default_for(dir);
    if mode == Mode::WithTreeAndSigning {
        let (signer, _) = generate_key("ccm-ledger/bench").expect("a key");
        let key = dir.with_extension("key");
        std::fs::write(&key, signer.to_text()).expect("write the key");
        config.sign_with = Some(key);
    }
    drop(Ledger::init_with(dir, &config).expect("a new ledger"));
    let options = Options {
        merkle_tree: mode != Mode::WithoutTree,
        ..Options::default()
    };
    let mut ledger = Ledger::open_with(dir, Access::Write, options).expect("open");
    let recorder = Recorder {
        by: "bench".into(),
        at: Some(Timestamp::parse("2026-01-01T00:00:00Z").expect("a time")),
    };
    (0..n)
        .map(|i| {
            let start = Instant::now();
            let prepared = ledger.prepare(&[draft(i)], &recorder);
            ledger.commit(prepared).expect("append");
            start.elapsed()
        })
        .collect()
}

/// The floor: `n` appends of 200 bytes to one open file, each followed by `fdatasync`.
fn raw_appends(dir: &Path, n: u64) -> Vec<Duration> {
    std::fs::create_dir_all(dir).expect("a directory");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("raw"))
        .expect("a file");
    let record = [0x5Au8; 200];
    (0..n)
        .map(|_| {
            let start = Instant::now();
            file.write_all(&record).expect("write");
            file.sync_data().expect("fdatasync");
            start.elapsed()
        })
        .collect()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    // `cargo bench` passes --bench; only the numbers are ours.
    let numbers: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = numbers.first().copied().unwrap_or(300);
    let rounds = numbers.get(1).copied().unwrap_or(3);
    let base = std::env::var_os("CCM_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let busy = std::env::var("CCM_BENCH_BUSY").is_ok_and(|v| v == "1");
    let modes = [Mode::WithoutTree, Mode::WithTree, Mode::WithTreeAndSigning];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); modes.len()];
    let mut raw = Vec::new();
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        if busy {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            });
        }
        // Rounds interleave the modes and the floor, so drift in the machine's load hits them
        // alike.
        for round in 0..rounds {
            let dir = tempfile::tempdir_in(&base).expect("a temporary directory");
            raw.extend(raw_appends(&dir.path().join("raw"), n));
            for (m, mode) in modes.iter().enumerate() {
                let dir = tempfile::tempdir_in(&base).expect("a temporary directory");
                let ledger = dir.path().join(format!("ledger-{round}-{m}"));
                times[m].extend(run(&ledger, *mode, n));
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    let raw_median = median(raw).as_secs_f64();
    let medians: Vec<Duration> = times.into_iter().map(median).collect();
    let base_median = medians[0].as_secs_f64();
    let busy = if busy { ", one CPU kept busy" } else { "" };
    println!(
        "merkle_append: {n} appends x {rounds} rounds in {}{busy}, {:<30} median {:>9.1} µs/append",
        base.display(),
        "raw 200 B append + fdatasync",
        raw_median * 1e6,
    );
    for (mode, median) in modes.iter().zip(&medians) {
        println!(
            "merkle_append: {n} appends x {rounds} rounds in {}{busy}, {:<30} median {:>9.1} µs/append  ({:.2}x, {:.2}x raw)",
            base.display(),
            mode.name(),
            median.as_secs_f64() * 1e6,
            median.as_secs_f64() / base_median,
            median.as_secs_f64() / raw_median
        );
    }
}
