//! The ledger at 10^4, 10^5 and 10^6 events, measured in one run beside its limits (raw
//! blake3 chaining, raw sequential I/O, a raw fsync, raw sled inserts) and a SQLite peer.
//!
//!     cargo bench --features sqlite-peer --bench ledger    # 10^4, 10^5 and 10^6 events
//!     BENCH_SIZES=10000,100000 cargo bench --features sqlite-peer --bench ledger
//!
//! Prints a markdown table and writes it to `target/bench-results.md`. Nothing here asserts a
//! time: the numbers are for BENCHMARKS.md and for whoever makes them better.

#[path = "support/synthetic.rs"]
mod synthetic;

use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ccm_ledger::append;
use ccm_ledger::domain::{Draft, Event, MeetingHeld, MeetingId, MeetingType, Timestamp};
use ccm_ledger::ledger::{
    verify, Access, Decoding, FoldFor, Head, Ledger, Recorder, Verification, VerifyOptions,
    HASH_CONTEXT,
};
use ccm_ledger::projection::Projection;

const NOW: &str = "2026-01-01T00:00:00Z";
/// Durable single-event appends measured per size.
const APPENDS: usize = 200;
/// Small writes + fsync measured for the limit of an append.
const SMALL_SYNCS: usize = 200;
/// Spawns of each read command (the first is reported as well as the median).
const QUERY_RUNS: usize = 5;

/// The read commands measured as whole processes, one line each: (label, arguments after
/// `--ledger DIR`). `{mid}` is replaced by a seq in the middle of the ledger.
const QUERIES: &[(&str, &[&str])] = &[
    ("log --limit 1", &["log", "--limit", "1"]),
    (
        "log --from {mid} --limit 1",
        &["log", "--from", "{mid}", "--limit", "1"],
    ),
    ("who", &["who", "{body}", "--on", "2011-06-01"]),
    ("history --body", &["history", "--body", "{body}"]),
    ("state", &["state", "--on", "2011-06-01"]),
    ("history --state", &["history", "--state", "AAA"]),
    ("committee", &["committee", "--on", "2011-06-01"]),
];

/// A body of every synthetic ledger: the first established (2010), in force on 2011-06-01.
const BODY: &str = "wg-universalization-0";

/// The projection snapshot file the read commands keep beside the journal.
const SNAPSHOT_FILE: &str = "projection.snapshot";

fn main() {
    if std::env::var_os(LAUNCHER).is_some() {
        return launch();
    }
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .map(|s| {
            s.trim()
                .replace('_', "")
                .parse()
                .expect("BENCH_SIZES: numbers, comma-separated")
        })
        .collect();
    let scratch = scratch_dir();
    let mut report = String::new();
    let _ = writeln!(report, "{}", machine());
    for &n in &sizes {
        eprintln!("== {n} events");
        let before = loadavg();
        let rows = measure(n, &scratch.join(format!("n{n}")));
        let mut table = render(n, &rows);
        let _ = writeln!(
            table,
            "\nLoad average (1 min) before / after: {before} / {} — the machine is shared; a load above its core count makes every figure slower and parallel speed-ups smaller.",
            loadavg()
        );
        print!("{table}");
        report.push_str(&table);
        if std::env::var_os("BENCH_KEEP").is_none() {
            let _ = fs::remove_dir_all(scratch.join(format!("n{n}")));
        }
    }
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-results.md");
    fs::create_dir_all(out.parent().expect("a parent")).expect("target/ is writable");
    fs::write(&out, &report).expect("target/bench-results.md is writable");
    eprintln!("written to {}", out.display());
}

/// Where ledgers are built: on the disk of the target directory (not a tmpfs), so fsync costs
/// what it costs.
fn scratch_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("bench-scratch");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn machine() -> String {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let mem = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_owned())
        })
        .and_then(|kb| kb.parse::<u64>().ok())
        .unwrap_or(0);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!(
        "Machine: {cores} cores, {cpu}, {:.1} GiB RAM\n",
        mem as f64 / (1u64 << 20) as f64
    )
}

// ---------------------------------------------------------------------------------------
// What is measured

/// The append path without validation: encode, hash and frame in one batch, then one commit.
/// What the import costs beyond the ledger itself is the difference with [`import`].
fn append_only(dir: &Path, drafts: &[Draft], recorder: &Recorder) -> Head {
    let mut ledger = Ledger::open_or_init(dir).expect("a fresh ledger");
    let prepared = ledger.prepare(drafts, recorder);
    ledger.commit(prepared).expect("the import commits")
    // The ledger is dropped here: sled's flush is part of the import.
}

/// The import that is measured: the library's write path that `ccm-ledger import FILE` takes
/// (parse every line, validate it against the projection, check claims and the continuity
/// rules, prepare, write in pieces, acknowledge once), until the ledger is dropped.
fn import(dir: &Path, jsonl: &Path, recorder: &Recorder) -> Head {
    let mut existing = match Ledger::open(dir, ccm_ledger::ledger::Access::Write) {
        Ok(ledger) => Some(ledger),
        Err(ccm_ledger::ledger::LedgerError::NotALedger(_)) => None,
        Err(e) => panic!("the ledger opens: {e}"),
    };
    let onto = match existing.as_mut() {
        Some(ledger) => append::Onto::head_of(ledger),
        None => append::Onto::New(dir),
    };
    let file = std::fs::File::open(jsonl).expect("the file opens");
    let input = std::io::BufReader::with_capacity(1 << 20, file);
    let name = jsonl.display().to_string();
    let draft = append::draft_reader(onto, &name, input, recorder, &append::Judgement::default())
        .expect("the draft is made");
    match draft.commit() {
        Ok(committed) => committed.head,
        Err(e) => panic!("the import is refused: {e:?}"),
    }
}

#[derive(Clone, Copy)]
enum Unit {
    PerSec,
    Latency,
    BytesPerEvent,
    Kib,
    Factor,
}

/// One figure of the table: ccm-ledger's (or a reference's), and what it is compared with.
struct Row {
    section: &'static str,
    figure: String,
    value: f64,
    unit: Unit,
    /// The limit it is compared with: (what, value).
    limit: Option<(String, f64)>,
    sqlite: Option<f64>,
    /// The target and whether it is met.
    target: Option<(String, bool)>,
}

impl Row {
    fn new(section: &'static str, figure: impl Into<String>, value: f64, unit: Unit) -> Row {
        Row {
            section,
            figure: figure.into(),
            value,
            unit,
            limit: None,
            sqlite: None,
            target: None,
        }
    }
    fn limit(mut self, what: impl Into<String>, value: f64) -> Row {
        self.limit = Some((what.into(), value));
        self
    }
    fn sqlite(mut self, value: f64) -> Row {
        self.sqlite = Some(value);
        self
    }
    fn target(mut self, what: impl Into<String>, met: bool) -> Row {
        self.target = Some((what.into(), met));
        self
    }
}

fn measure(n: usize, dir: &Path) -> Vec<Row> {
    fs::create_dir_all(dir).expect("scratch");
    let bin = Path::new(env!("CARGO_BIN_EXE_ccm-ledger"));
    let recorder = Recorder {
        by: "bench".into(),
        at: Some(Timestamp::parse(NOW).expect("a timestamp")),
    };
    let mut rows = Vec::new();
    let ev = |d: Duration| n as f64 / d.as_secs_f64();

    let t = Instant::now();
    let drafts = synthetic::ledger(n);
    eprintln!("  generated {} events in {:?}", drafts.len(), t.elapsed());

    // The JSONL for both imports, written first.
    let jsonl = dir.join("events.jsonl");
    synthetic::write_jsonl(&jsonl, &drafts);
    let jsonl_bytes = fs::metadata(&jsonl).map_or(0, |m| m.len());

    // --- the limits, on the same entry bytes: the ledger is built once to get them.
    let lib = dir.join("lib");
    let t = Instant::now();
    let head = append_only(&lib, &drafts, &recorder);
    let append_only_time = t.elapsed();
    assert_eq!(head.entries, n as u64);
    eprintln!("  append path without validation {append_only_time:?}");
    // Freed before anything else is measured in this process (a large fragmented heap slows
    // what follows).
    drop(drafts);
    let real = dir.join("import");
    let import_time = (n <= validating_max()).then(|| {
        let t = Instant::now();
        let imported_head = import(&real, &jsonl, &recorder);
        let import_time = t.elapsed();
        eprintln!("  library import (validating) {import_time:?}");
        assert_eq!(
            imported_head, head,
            "the import and the bare append path build the same ledger"
        );
        let _ = fs::remove_dir_all(&real);
        import_time
    });
    let entries = Entries::from_journal(&lib.join("journal"));
    let encoded = entries.bytes.len() as f64;

    let t = Instant::now();
    let chain_head = entries.chain();
    let chain = t.elapsed();
    assert_eq!(
        chain_head, head.hash.0,
        "the raw chain is the ledger's chain"
    );
    let raw_file = dir.join("raw.bin");
    let raw_write = raw_write(&raw_file, &entries.bytes);
    let raw_read = raw_read(&raw_file);
    let _ = fs::remove_file(&raw_file);
    let (sync_median, sync_p99) = small_syncs(&dir.join("small.bin"));
    let raw_sled = dir.join("raw.sled");
    let sled_insert = raw_sled_inserts(&raw_sled, &entries);
    let sled_disk = disk_usage(&raw_sled);
    let sled_point = median((0..QUERY_RUNS).map(|_| raw_sled_point(&raw_sled, n as u64 / 2)));
    let _ = fs::remove_dir_all(&raw_sled);
    let spawn = median((0..QUERY_RUNS).map(|_| run(Command::new(bin).arg("--version")).time));
    let import_limit = n as f64 / (chain + raw_write).as_secs_f64();
    let verify_limit = n as f64 / (chain + raw_read).as_secs_f64();

    // --- the SQLite peer, on the same entry bytes.
    let db = dir.join("peer.sqlite");
    let sq_import = sqlite::import(&db, &entries);
    let sq_disk = disk_usage_of_files(dir, "peer.sqlite");
    let sq_verify = sqlite::verify(&db, &entries, chain_head);
    let sq_point = median((0..QUERY_RUNS).map(|_| sqlite::point(&db, n as u64 / 2)));

    // --- ccm-ledger, library.
    if let Some(import_time) = import_time {
        rows.push(
            Row::new(
                "ccm-ledger",
                "import, library (parse + validate + rules + prepare + commit)",
                ev(import_time),
                Unit::PerSec,
            )
            .limit("blake3 chain + write + fsync", import_limit)
            .sqlite(ev(sq_import))
            .target(
                "≥ 1× SQLite, ≥ 0.5× limit",
                ev(import_time) >= ev(sq_import) && ev(import_time) >= 0.5 * import_limit,
            ),
        );
    }
    rows.push(
        Row::new(
            "ccm-ledger",
            "append path without validation (prepare + commit)",
            ev(append_only_time),
            Unit::PerSec,
        )
        .limit("blake3 chain + write + fsync", import_limit)
        .sqlite(ev(sq_import)),
    );
    let disk_journal = fs::metadata(lib.join("journal")).map_or(0, |m| m.len()) as f64;
    let disk_sled = disk_usage(&lib.join("index.sled")) as f64;
    let disk_total = disk_usage(&lib) as f64;

    // A copy of the freshly built ledger, for the queries should the binary import be stopped.
    let lib_copy = dir.join("lib-copy");
    copy_dir(&lib, &lib_copy);
    let (append_median, append_p99) = appends(&lib, &recorder);
    rows.push(
        Row::new(
            "ccm-ledger",
            "durable append, 1 event, median",
            append_median,
            Unit::Latency,
        )
        .limit("200 B write + fdatasync, median", sync_median)
        .target("≤ 2× limit", append_median <= 2.0 * sync_median),
    );
    rows.push(
        Row::new(
            "ccm-ledger",
            "durable append, 1 event, p99",
            append_p99,
            Unit::Latency,
        )
        .limit("200 B write + fdatasync, p99", sync_p99),
    );
    let total = n + APPENDS;
    let evt = |d: Duration| total as f64 / d.as_secs_f64();

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // The chain alone (what the SQLite peer's verify-by-scan does), then with every entry
    // decoded as `ccm-ledger verify` does it.
    for (decoding, what) in [
        (Decoding::Links, ""),
        (Decoding::Check, ", every entry decoded"),
    ] {
        let t = Instant::now();
        let on = |threads| VerifyOptions {
            decoding,
            threads: Some(threads),
            ..VerifyOptions::default()
        };
        let verified = |threads| verify(&lib, on(threads)).and_then(Verification::journal_alone);
        let v1 = verified(1).expect("the ledger verifies");
        let verify1 = t.elapsed();
        let t = Instant::now();
        let vn = verified(threads).expect("the ledger verifies");
        let verify_n = t.elapsed();
        assert_eq!(v1, vn);
        rows.push(
            Row::new(
                "ccm-ledger",
                format!("verify, library{what}, 1 thread"),
                evt(verify1),
                Unit::PerSec,
            )
            .limit("read + blake3 chain", verify_limit)
            .sqlite(ev(sq_verify)),
        );
        rows.push(
            Row::new(
                "ccm-ledger",
                format!("verify, library{what}, {threads} threads"),
                evt(verify_n),
                Unit::PerSec,
            )
            .limit("read + blake3 chain", verify_limit)
            .sqlite(ev(sq_verify))
            .target(
                format!(
                    "≥ 1× SQLite, ≥ 1.5× 1 thread ({:.2}×)",
                    verify1.as_secs_f64() / verify_n.as_secs_f64()
                ),
                evt(verify_n) >= ev(sq_verify)
                    && verify1.as_secs_f64() >= 1.5 * verify_n.as_secs_f64(),
            ),
        );
    }
    // The projection rebuilt from zero: every entry read, decoded and folded (no snapshot
    // file), then the snapshot file written, as the first query after a deletion does.
    let _ = fs::remove_file(lib.join("projection.snapshot"));
    let mut reader = Ledger::open(&lib, Access::Read).expect("the ledger opens");
    let t = Instant::now();
    let projection: Projection = reader
        .fold(
            "bench-rebuild",
            u64::MAX,
            FoldFor::Extending,
            |p: &mut Projection, batch| p.apply_all(batch),
        )
        .expect("the ledger folds");
    let rebuild = t.elapsed();
    assert_eq!(projection.entries_applied(), total as u64);
    drop((projection, reader));
    rows.push(
        Row::new(
            "ccm-ledger",
            "projection rebuild from zero (library: read, decode, fold, write snapshot)",
            evt(rebuild),
            Unit::PerSec,
        )
        .limit("read + blake3 chain", verify_limit),
    );
    let _ = fs::remove_dir_all(&lib);

    // --- ccm-ledger, the binary as a whole process.
    let cli = dir.join("cli");
    let limit = import_timeout();
    let imported = run(ledger_cmd(bin, &cli)
        .env(KILL_AFTER, limit.as_secs().to_string())
        .arg("import")
        .arg(&jsonl));
    eprintln!("  binary import {:?}", imported.time);
    let stopped = !imported.ok && imported.time >= limit;
    if stopped {
        // Stopped: nothing was written (all or nothing). The ledger the queries read is the
        // one the append path built, which is the same ledger (asserted at smaller sizes).
        let _ = fs::remove_dir_all(&cli);
        copy_dir(&lib_copy, &cli);
    } else {
        assert!(imported.ok, "the binary imports: {}", imported.stderr);
    }
    let _ = fs::remove_dir_all(&lib_copy);
    if std::env::var_os("BENCH_KEEP").is_none() {
        let _ = fs::remove_file(&jsonl);
    }
    rows.push(
        Row::new(
            "ccm-ledger",
            if stopped {
                format!(
                    "import, binary, {:.0} MB JSONL: STOPPED after {} s, rate < ",
                    jsonl_bytes as f64 / 1e6,
                    limit.as_secs()
                )
            } else {
                format!("import, binary, {:.0} MB JSONL", jsonl_bytes as f64 / 1e6)
            },
            ev(imported.time),
            Unit::PerSec,
        )
        .limit("blake3 chain + write + fsync", import_limit)
        .sqlite(ev(sq_import))
        .target(
            "≥ 1× SQLite, ≥ 0.5× limit",
            !stopped
                && ev(imported.time) >= ev(sq_import)
                && ev(imported.time) >= 0.5 * import_limit,
        ),
    );
    // The binary import keeps the projection it validated as the snapshot (derived, a cache
    // for queries): its size apart from the ledger's own storage, before any query rewrites it.
    let disk_snapshot = fs::metadata(cli.join(SNAPSHOT_FILE)).map_or(0, |m| m.len()) as f64;
    let verified = run(ledger_cmd(bin, &cli).arg("verify"));
    assert!(verified.ok, "the binary verifies: {}", verified.stderr);
    rows.push(
        Row::new(
            "ccm-ledger",
            "verify, binary",
            ev(verified.time),
            Unit::PerSec,
        )
        .limit("read + blake3 chain", verify_limit)
        .sqlite(ev(sq_verify)),
    );
    let query_limit = spawn + sled_point;
    // Apart: a warm query reads the snapshot; a cold one folds the whole journal first.
    let (mut peak_warm, mut peak_cold) = (0, 0);
    for (label, args) in QUERIES {
        let mid = (n / 2).to_string();
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("{mid}", &mid).replace("{body}", BODY))
            .collect();
        // The first run is cold: no snapshot file (it folds the whole journal and writes
        // one); the median is of the runs after it.
        let _ = fs::remove_file(cli.join(SNAPSHOT_FILE));
        let runs: Vec<Run> = (0..=QUERY_RUNS)
            .map(|_| run(ledger_cmd(bin, &cli).args(&args)))
            .collect();
        assert!(
            runs.iter().all(|r| r.ok),
            "`{label}` runs: {}",
            runs[0].stderr
        );
        let first = runs[0].time;
        let med = median(runs[1..].iter().map(|r| r.time));
        peak_cold = peak_cold.max(runs[0].max_rss_kib);
        peak_warm = peak_warm.max(runs[1..].iter().map(|r| r.max_rss_kib).max().unwrap_or(0));
        rows.push(
            Row::new(
                "ccm-ledger",
                format!("`{label}`, process, first (no snapshot file)"),
                first.as_secs_f64(),
                Unit::Latency,
            )
            .limit("spawn + open sled + get 1 key", query_limit.as_secs_f64())
            .sqlite(spawn.as_secs_f64() + sq_point.as_secs_f64()),
        );
        rows.push(
            Row::new(
                "ccm-ledger",
                format!("`{label}`, process, median of the next {QUERY_RUNS}"),
                med.as_secs_f64(),
                Unit::Latency,
            )
            .limit("spawn + open sled + get 1 key", query_limit.as_secs_f64())
            .sqlite(spawn.as_secs_f64() + sq_point.as_secs_f64())
            // Issue 6: ≤ 2× opening the database and reading one key; the < 10 ms is asked of
            // the fixture's few hundred events (measured apart, see BENCHMARKS.md).
            .target("≤ 2× limit", med <= query_limit * 2),
        );
    }
    let mem_target = |kib: u64| ("≤ 150 MB", kib as f64 * 1024.0 <= 150e6);
    for (what, kib) in [
        ("peak RSS, import (binary)", imported.max_rss_kib),
        ("peak RSS, verify (binary)", verified.max_rss_kib),
        (
            "peak RSS, read commands with the snapshot (binary)",
            peak_warm,
        ),
        (
            "peak RSS, read commands without it: first run, folds the journal (binary)",
            peak_cold,
        ),
    ] {
        let (t, met) = mem_target(kib);
        rows.push(Row::new("ccm-ledger", what, kib as f64, Unit::Kib).target(t, met));
    }
    rows.push(
        Row::new(
            "ccm-ledger",
            "disk: journal / event",
            disk_journal / n as f64,
            Unit::BytesPerEvent,
        )
        .limit("encoded entry bytes / event", encoded / n as f64)
        .sqlite(sq_disk as f64 / n as f64),
    );
    rows.push(
        Row::new(
            "ccm-ledger",
            "disk: index.sled / event",
            disk_sled / n as f64,
            Unit::BytesPerEvent,
        )
        .limit("encoded entry bytes / event", encoded / n as f64),
    );
    rows.push(
        Row::new(
            "ccm-ledger",
            "disk: whole ledger / event",
            disk_total / n as f64,
            Unit::BytesPerEvent,
        )
        .limit("encoded entry bytes / event", encoded / n as f64)
        .sqlite(sq_disk as f64 / n as f64)
        .target("≤ 2.5× encoded", disk_total <= 2.5 * encoded),
    );
    rows.push(
        Row::new(
            "ccm-ledger",
            "disk: projection.snapshot / event (derived, kept by import)",
            disk_snapshot / n as f64,
            Unit::BytesPerEvent,
        )
        .limit("encoded entry bytes / event", encoded / n as f64),
    );
    if std::env::var_os("BENCH_KEEP").is_none() {
        let _ = fs::remove_dir_all(&cli);
    }

    // --- the references themselves.
    let lim = "limit";
    rows.push(Row::new(
        lim,
        "blake3 chain of the entry bytes",
        ev(chain),
        Unit::PerSec,
    ));
    rows.push(Row::new(
        lim,
        format!("sequential write of {:.0} MB + 1 fsync", encoded / 1e6),
        ev(raw_write),
        Unit::PerSec,
    ));
    rows.push(Row::new(
        lim,
        "sequential read (page cache)",
        ev(raw_read),
        Unit::PerSec,
    ));
    rows.push(Row::new(
        lim,
        "200 B write + fdatasync, median",
        sync_median,
        Unit::Latency,
    ));
    rows.push(Row::new(
        lim,
        "200 B write + fdatasync, p99",
        sync_p99,
        Unit::Latency,
    ));
    rows.push(Row::new(
        lim,
        "raw sled: insert 1 key per entry + flush",
        ev(sled_insert),
        Unit::PerSec,
    ));
    rows.push(Row::new(
        lim,
        "raw sled: disk / event",
        sled_disk as f64 / n as f64,
        Unit::BytesPerEvent,
    ));
    rows.push(Row::new(
        lim,
        "raw sled: open + get 1 key, median",
        sled_point.as_secs_f64(),
        Unit::Latency,
    ));
    rows.push(Row::new(
        lim,
        "spawn `ccm-ledger --version`, median",
        spawn.as_secs_f64(),
        Unit::Latency,
    ));
    rows.push(Row::new(
        lim,
        "encoded entry bytes / event",
        encoded / n as f64,
        Unit::BytesPerEvent,
    ));
    let sq = "SQLite";
    rows.push(Row::new(
        sq,
        "import: 1 transaction, WAL, synchronous=FULL, blake3 chain",
        ev(sq_import),
        Unit::PerSec,
    ));
    rows.push(Row::new(
        sq,
        "verify by scan (read all, recompute chain)",
        ev(sq_verify),
        Unit::PerSec,
    ));
    rows.push(Row::new(
        sq,
        "point query: open + select 1 row, median",
        sq_point.as_secs_f64(),
        Unit::Latency,
    ));
    rows.push(Row::new(
        sq,
        "disk / event",
        sq_disk as f64 / n as f64,
        Unit::BytesPerEvent,
    ));
    rows
}

// ---------------------------------------------------------------------------------------
// ccm-ledger

fn appends(dir: &Path, recorder: &Recorder) -> (f64, f64) {
    let mut ledger =
        Ledger::open(dir, ccm_ledger::ledger::Access::Write).expect("the ledger opens");
    let mut times = Vec::with_capacity(APPENDS);
    for i in 0..APPENDS {
        let draft = Draft::new(Event::MeetingHeld(MeetingHeld {
            meeting: MeetingId::new(format!("IS-APPEND-{i}")).expect("an id"),
            meeting_type: MeetingType::Intersessional,
            start: synthetic::date(2300, 5, 10),
            end: synthetic::date(2300, 5, 12),
            location: Some("Geneva".into()),
            host: None,
        }));
        let t = Instant::now();
        let prepared = ledger.prepare(std::slice::from_ref(&draft), recorder);
        ledger.commit(prepared).expect("the append commits");
        times.push(t.elapsed().as_secs_f64());
    }
    percentiles(times)
}

/// The largest size at which the validating import is run in this process
/// (`BENCH_VALIDATING_MAX`, default 10^5): above, it takes more than minutes (see
/// BENCHMARKS.md); the binary import is still tried, for `BENCH_IMPORT_TIMEOUT` seconds.
fn validating_max() -> usize {
    std::env::var("BENCH_VALIDATING_MAX")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

/// How long the binary import may run before it is stopped (`BENCH_IMPORT_TIMEOUT`, seconds).
fn import_timeout() -> Duration {
    Duration::from_secs(
        std::env::var("BENCH_IMPORT_TIMEOUT")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(120),
    )
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("a copy");
    for entry in fs::read_dir(from).expect("a directory") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("a copy");
        }
    }
}

fn ledger_cmd(bin: &Path, dir: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.arg("--ledger")
        .arg(dir)
        .env_remove("CCM_LEDGER")
        .env("CCM_LEDGER_NOW", NOW)
        .env("CCM_LEDGER_RECORDER", "bench");
    cmd
}

/// One run of a process: its wall time from spawn to exit, and its own peak resident set.
struct Run {
    time: Duration,
    max_rss_kib: u64,
    ok: bool,
    stderr: String,
}

/// The environment variable that turns this binary into the launcher of one measured process.
const LAUNCHER: &str = "CCM_BENCH_LAUNCHER";
/// When set on a launched command: the launcher kills it after this many seconds.
const KILL_AFTER: &str = "CCM_BENCH_KILL_AFTER";

/// Runs `cmd` through a fresh copy of this binary acting as a launcher. Why: a child spawned
/// straight from here inherits this process's resident-set high-water mark across `exec`
/// (Linux keeps the old mm's peak in `ru_maxrss`), and this process holds a whole synthetic
/// ledger; the launcher is small, so its child's `ru_maxrss` is the child's own.
fn run(cmd: &mut Command) -> Run {
    let mut launcher = Command::new(std::env::current_exe().expect("this binary"));
    launcher
        .env(LAUNCHER, "1")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => launcher.env(k, v),
            None => launcher.env_remove(k),
        };
    }
    let out = launcher
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("the launcher runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut words = text
        .split_whitespace()
        .map(|w| w.parse::<u64>().expect("a number"));
    let (nanos, rss, code) = (
        words.next().expect("time"),
        words.next().expect("rss"),
        words.next().expect("code"),
    );
    Run {
        time: Duration::from_nanos(nanos),
        max_rss_kib: rss,
        ok: code == 0,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The launcher: runs its arguments as a command (stdout discarded, stderr passed on) and
/// prints `nanoseconds max_rss_kib exit_code`.
fn launch() {
    let mut args = std::env::args_os().skip(1);
    let program = args.next().expect("a program");
    let start = Instant::now();
    #[allow(
        clippy::zombie_processes,
        reason = "reaped by wait4 below, which gives its rusage"
    )]
    let child = Command::new(program)
        .args(args)
        .env_remove(LAUNCHER)
        .env_remove(KILL_AFTER)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("the command spawns");
    if let Some(secs) = std::env::var(KILL_AFTER)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        let pid = child.id() as libc::pid_t;
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(secs));
            // SAFETY: kill(2) on the child's pid; it is not reaped before wait4 returns, so
            // the pid still names it (a kill after it exited hits a zombie: harmless).
            unsafe { libc::kill(pid, libc::SIGKILL) };
        });
    }
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 reaps exactly this child and fills in its usage.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let time = start.elapsed();
    assert_eq!(pid, child.id() as libc::pid_t, "wait4");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status) as u64
    } else {
        255
    };
    println!("{} {} {code}", time.as_nanos(), usage.ru_maxrss);
}

// ---------------------------------------------------------------------------------------
// The limits

/// The encoded entries of a journal, contiguous, as the references consume them.
struct Entries {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Entries {
    fn from_journal(path: &Path) -> Entries {
        let journal = fs::read(path).expect("the journal");
        let mut bytes = Vec::with_capacity(journal.len());
        let mut ends = Vec::new();
        let mut at = 8;
        while at < journal.len() {
            let len = u32::from_le_bytes(journal[at..at + 4].try_into().expect("4 bytes")) as usize;
            bytes.extend_from_slice(&journal[at + 4..at + 4 + len]);
            ends.push(bytes.len());
            at += 4 + len + 32 + 4;
        }
        Entries { bytes, ends }
    }

    fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let s = &self.bytes[start..end];
            start = end;
            s
        })
    }

    /// The raw blake3 chain: what the ledger's hashes must cost at least.
    fn chain(&self) -> [u8; 32] {
        let mut prev = [0u8; 32];
        for (seq, bytes) in self.iter().enumerate() {
            prev = link(&prev, seq as u64, bytes);
        }
        prev
    }
}

/// One link of the chain, as the ledger computes it (`EntryHash::chain`): the key derived from
/// the context once, its hasher cloned per entry, so the limit and the SQLite peer do no more
/// hashing than the ledger.
fn link(prev: &[u8; 32], seq: u64, bytes: &[u8]) -> [u8; 32] {
    static KEYED: std::sync::OnceLock<blake3::Hasher> = std::sync::OnceLock::new();
    let mut h = KEYED
        .get_or_init(|| blake3::Hasher::new_derive_key(HASH_CONTEXT))
        .clone();
    h.update(prev);
    h.update(&seq.to_le_bytes());
    h.update(bytes);
    *h.finalize().as_bytes()
}

fn raw_write(path: &Path, bytes: &[u8]) -> Duration {
    let t = Instant::now();
    let mut file = File::create(path).expect("a raw file");
    for chunk in bytes.chunks(1 << 20) {
        file.write_all(chunk).expect("write");
    }
    file.sync_data().expect("fsync");
    t.elapsed()
}

fn raw_read(path: &Path) -> Duration {
    let t = Instant::now();
    let mut file = File::open(path).expect("the raw file");
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    std::hint::black_box(total);
    t.elapsed()
}

fn small_syncs(path: &Path) -> (f64, f64) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("a small file");
    let record = [7u8; 200];
    let times = (0..SMALL_SYNCS)
        .map(|_| {
            let t = Instant::now();
            file.write_all(&record).expect("write");
            file.sync_data().expect("fdatasync");
            t.elapsed().as_secs_f64()
        })
        .collect();
    let _ = fs::remove_file(path);
    percentiles(times)
}

fn sled_config(path: &Path) -> sled::Config {
    sled::Config::new()
        .path(path)
        .cache_capacity(16 << 20)
        .flush_every_ms(None)
}

/// One insert per entry, big-endian seq → offset, as the probe did, and one flush.
fn raw_sled_inserts(path: &Path, entries: &Entries) -> Duration {
    let t = Instant::now();
    let db = sled_config(path).open().expect("raw sled");
    let tree = db.open_tree("index").expect("a tree");
    let mut offset = 8u64;
    for (seq, &end) in entries.ends.iter().enumerate() {
        tree.insert((seq as u64).to_be_bytes(), &offset.to_be_bytes())
            .expect("insert");
        offset = 8 + end as u64 + 40 * (seq as u64 + 1);
    }
    db.flush().expect("flush");
    drop(tree);
    drop(db);
    t.elapsed()
}

fn raw_sled_point(path: &Path, seq: u64) -> Duration {
    let t = Instant::now();
    let db = sled_config(path).open().expect("raw sled");
    let tree = db.open_tree("index").expect("a tree");
    let v = tree.get(seq.to_be_bytes()).expect("get").expect("the key");
    std::hint::black_box(v);
    let elapsed = t.elapsed();
    drop(tree);
    drop(db);
    elapsed
}

// ---------------------------------------------------------------------------------------
// The SQLite peer

mod sqlite {
    use super::*;
    use rusqlite::{params, Connection};

    fn open(path: &Path) -> Connection {
        let conn = Connection::open(path).expect("sqlite opens");
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .expect("WAL");
        assert_eq!(mode, "wal");
        conn.pragma_update(None, "synchronous", "FULL")
            .expect("synchronous");
        conn
    }

    /// All entries in one transaction, with their hash chain, durable at commit.
    pub fn import(path: &Path, entries: &Entries) -> Duration {
        let t = Instant::now();
        let mut conn = open(path);
        conn.execute(
            "CREATE TABLE entries (seq INTEGER PRIMARY KEY, bytes BLOB NOT NULL, hash BLOB NOT NULL)",
            [],
        )
        .expect("create");
        let tx = conn.transaction().expect("begin");
        {
            let mut insert = tx
                .prepare("INSERT INTO entries (seq, bytes, hash) VALUES (?1, ?2, ?3)")
                .expect("prepare");
            let mut prev = [0u8; 32];
            for (seq, bytes) in entries.iter().enumerate() {
                prev = link(&prev, seq as u64, bytes);
                insert
                    .execute(params![seq as i64, bytes, &prev[..]])
                    .expect("insert");
            }
        }
        tx.commit().expect("commit");
        drop(conn);
        t.elapsed()
    }

    /// Reads every row in seq order and recomputes the chain.
    pub fn verify(path: &Path, entries: &Entries, head: [u8; 32]) -> Duration {
        let t = Instant::now();
        let conn = open(path);
        let mut select = conn
            .prepare("SELECT seq, bytes, hash FROM entries ORDER BY seq")
            .expect("prepare");
        let mut rows = select.query([]).expect("query");
        let mut prev = [0u8; 32];
        let mut count = 0u64;
        while let Some(row) = rows.next().expect("a row") {
            let seq: i64 = row.get(0).expect("seq");
            assert_eq!(seq as u64, count, "seq");
            let bytes = row.get_ref(1).expect("bytes").as_blob().expect("a blob");
            let hash = row.get_ref(2).expect("hash").as_blob().expect("a blob");
            prev = link(&prev, seq as u64, bytes);
            assert_eq!(&prev[..], hash, "hash of {seq}");
            count += 1;
        }
        let elapsed = t.elapsed();
        assert_eq!(count as usize, entries.ends.len());
        assert_eq!(prev, head);
        elapsed
    }

    /// Open the database and read one row: the whole open-to-answer time.
    pub fn point(path: &Path, seq: u64) -> Duration {
        let t = Instant::now();
        let conn = Connection::open(path).expect("sqlite opens");
        let bytes: Vec<u8> = conn
            .query_row(
                "SELECT bytes FROM entries WHERE seq = ?1",
                params![seq as i64],
                |r| r.get(0),
            )
            .expect("the row");
        std::hint::black_box(bytes);
        t.elapsed()
    }
}

// ---------------------------------------------------------------------------------------
// Helpers

fn disk_usage(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = fs::symlink_metadata(path) else {
        return 0;
    };
    if meta.is_dir() {
        fs::read_dir(path)
            .map(|rd| rd.flatten().map(|e| disk_usage(&e.path())).sum())
            .unwrap_or(0)
    } else {
        meta.blocks() * 512
    }
}

/// The disk usage of every file in `dir` whose name starts with `prefix` (a database and
/// its WAL).
fn disk_usage_of_files(dir: &Path, prefix: &str) -> u64 {
    fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
                .map(|e| disk_usage(&e.path()))
                .sum()
        })
        .unwrap_or(0)
}

fn median(times: impl Iterator<Item = Duration>) -> Duration {
    let mut v: Vec<Duration> = times.collect();
    v.sort();
    v[v.len() / 2]
}

/// (median, p99) of seconds.
fn percentiles(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let p99 = ((v.len() * 99).div_ceil(100)).clamp(1, v.len()) - 1;
    (v[v.len() / 2], v[p99])
}

fn show(value: f64, unit: Unit) -> String {
    match unit {
        Unit::PerSec if value >= 1e6 => format!("{:.2} M ev/s", value / 1e6),
        Unit::PerSec => format!("{:.0} k ev/s", value / 1e3),
        Unit::Latency if value >= 1.0 => format!("{value:.2} s"),
        Unit::Latency if value >= 1e-3 => format!("{:.2} ms", value * 1e3),
        Unit::Latency => format!("{:.0} µs", value * 1e6),
        Unit::BytesPerEvent => format!("{value:.0} B/ev"),
        Unit::Kib => format!("{:.1} MB", value * 1024.0 / 1e6),
        Unit::Factor => format!("{value:.2}×"),
    }
}

fn render(n: usize, rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n### {n} events\n");
    let _ = writeln!(
        out,
        "| | figure | value | limit (what) | limit | ÷ limit | SQLite | ÷ SQLite | target | met |"
    );
    let _ = writeln!(out, "|---|---|---:|---|---:|---:|---:|---:|---|---|");
    for r in rows {
        let (lw, lv, lr) = match &r.limit {
            Some((what, v)) => (
                what.clone(),
                show(*v, r.unit),
                show(r.value / v, Unit::Factor),
            ),
            None => (String::new(), String::new(), String::new()),
        };
        let (sv, sr) = match r.sqlite {
            Some(v) => (show(v, r.unit), show(r.value / v, Unit::Factor)),
            None => (String::new(), String::new()),
        };
        let (tw, met) = match &r.target {
            Some((what, met)) => (what.clone(), if *met { "yes" } else { "**no**" }.to_owned()),
            None => (String::new(), String::new()),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {lw} | {lv} | {lr} | {sv} | {sr} | {tw} | {met} |",
            r.section,
            r.figure,
            show(r.value, r.unit)
        );
    }
    out
}
