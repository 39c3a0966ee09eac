//! The write side as whole processes, side by side in one run (issue 15): `import` of a
//! synthetic JSON Lines file into a new ledger, the Python + SQLite peer on the same file
//! (`benches/sqlite_peer.py`, if `python3` is there), then `record` of one event (on a copy
//! of the imported ledger, three times) and `check --proposed` of a one-line decision (three
//! times). CPU seconds (user + system: on a shared machine the steadier figure), wall seconds
//! and peak RSS of each process, from `wait4`.
//!
//!     cargo bench --bench write_side                          # 10^3 and 10^5 events
//!     WRITE_SIDE_SIZES=1000,54000,1000000 cargo bench --bench write_side
//!     WRITE_SIDE_BINARIES=/tmp/ccm-before,target/release/ccm-ledger cargo bench --bench write_side
//!
//! Without `WRITE_SIDE_BINARIES`, the binary cargo built for this bench is measured. The
//! largest sizes are heavy (10^6: about a minute of CPU per binary); they run only when
//! named. Prints a markdown table per size (and the cost of `record` and `check --proposed`
//! at each size over that at the smallest); nothing asserts a time.

#[path = "support/synthetic.rs"]
mod synthetic;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// A day far past any synthetic ledger's present: a decision dated then moves the present
/// by decades, and every body's open terms and vacancies grow into findings.
const FAR_AHEAD: &str = "2300-01-01";
const RUNS: usize = 3;

/// What one process cost.
#[derive(Clone, Copy, Debug)]
struct Cost {
    cpu: f64,
    wall: f64,
    rss_mb: f64,
}

fn main() {
    let sizes: Vec<usize> = std::env::var("WRITE_SIDE_SIZES")
        .unwrap_or_else(|_| "1000,100000".into())
        .split(',')
        .map(|s| {
            s.trim()
                .replace('_', "")
                .parse()
                .expect("WRITE_SIDE_SIZES: numbers")
        })
        .collect();
    let binaries: Vec<PathBuf> = match std::env::var("WRITE_SIDE_BINARIES") {
        Ok(list) => list.split(',').map(PathBuf::from).collect(),
        Err(_) => vec![PathBuf::from(env!("CARGO_BIN_EXE_ccm-ledger"))],
    };
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let one = scratch.path().join("one.jsonl");
    let python = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let peer = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/sqlite_peer.py");
    // (binary, size) → (record, check) medians, for the ratios to the smallest size.
    let mut medians: Vec<(usize, usize, Cost, Cost)> = Vec::new();
    for &n in &sizes {
        let file = scratch.path().join(format!("s{n}.jsonl"));
        let drafts = synthetic::ledger(n);
        synthetic::write_jsonl(&file, &drafts);
        let events = drafts.len();
        drop(drafts);
        // The decision measured is of the ledger's present: a State joining on the day the
        // last meeting closed, a State no synthetic ledger holds (they are coded AAA, AAB, …).
        let present = latest_day(&file);
        let joined = |code: &str, day: &str| {
            format!(
                r#"{{"kind":"state_joined","state":"{code}","name":"Zedland","effective":"{day}"}}"#
            )
        };
        std::fs::write(&one, joined("ZZZ", &present)).expect("the one-line decision is written");
        let mut table = String::new();
        let _ = writeln!(
            table,
            "\n{events} events (load average before: {})\n",
            loadavg()
        );
        let _ = writeln!(
            table,
            "| what | CPU s | wall s | peak RSS MB | events/s (CPU) |"
        );
        let _ = writeln!(table, "|---|---:|---:|---:|---:|");
        let mut row = |label: &str, cost: Cost, per: Option<usize>| {
            let rate = per.map_or(String::new(), |k| format!("{:.0}", k as f64 / cost.cpu));
            let _ = writeln!(
                table,
                "| {label} | {:.3} | {:.3} | {:.1} | {rate} |",
                cost.cpu, cost.wall, cost.rss_mb
            );
        };
        if python {
            let db = scratch.path().join("peer.sqlite");
            let mut peer_run = Command::new("python3");
            peer_run.arg(&peer).arg(&file).arg(&db);
            row("python+sqlite peer", run(peer_run), Some(events));
            let _ = std::fs::remove_file(&db);
        }
        for (b, binary) in binaries.iter().enumerate() {
            let name = binary.display();
            let ledger = scratch.path().join("ledger");
            let _ = std::fs::remove_dir_all(&ledger);
            let import = run(ccm(
                binary,
                &ledger,
                &["import", &file.display().to_string()],
            ));
            row(&format!("{name} import"), import, Some(events));
            // `record` of a State joining on `day`, on a fresh copy of the imported ledger.
            let record_on = |day: &str| {
                let copy = scratch.path().join("copy");
                let _ = std::fs::remove_dir_all(&copy);
                copy_dir(&ledger, &copy);
                let args = [
                    "record",
                    "state-joined",
                    "--state",
                    "ZZZ",
                    "--name",
                    "Zedland",
                    "--effective",
                    day,
                ];
                run(ccm(binary, &copy, &args))
            };
            let records: Vec<Cost> = (0..RUNS).map(|_| record_on(&present)).collect();
            // Once: the same record dated far ahead, which moves the present: every body whose
            // open terms or vacancies that turns into findings is read too.
            let far = record_on(FAR_AHEAD);
            let mut checks = Vec::new();
            for _ in 0..RUNS {
                let args = ["check", "--proposed", &one.display().to_string()];
                checks.push(run(ccm(binary, &ledger, &args)));
            }
            for (i, cost) in records.iter().enumerate() {
                row(&format!("{name} record ({})", i + 1), *cost, None);
            }
            row(&format!("{name} record dated {FAR_AHEAD}"), far, None);
            for (i, cost) in checks.iter().enumerate() {
                row(&format!("{name} check --proposed ({})", i + 1), *cost, None);
            }
            medians.push((b, events, median(&records), median(&checks)));
            let _ = std::fs::remove_dir_all(&ledger);
        }
        print!("{table}");
    }
    let mut ratios =
        String::from("\nrecord and check --proposed, median CPU s over the smallest size's:\n\n");
    for (b, binary) in binaries.iter().enumerate() {
        let rows: Vec<_> = medians.iter().filter(|m| m.0 == b).collect();
        let Some(first) = rows.first() else { continue };
        for m in &rows {
            let _ = writeln!(
                ratios,
                "- {}: {} events: record {:.3} s ({:.1}×, {:.0} MB), check --proposed {:.3} s ({:.1}×, {:.0} MB)",
                binary.display(),
                m.1,
                m.2.cpu,
                m.2.cpu / first.2.cpu.max(1e-3),
                m.2.rss_mb,
                m.3.cpu,
                m.3.cpu / first.3.cpu.max(1e-3),
                m.3.rss_mb,
            );
        }
    }
    print!("{ratios}");
}

fn ccm(binary: &Path, ledger: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(binary);
    command
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env("CCM_LEDGER_RECORDER", "bench")
        .env_remove("NO_COLOR");
    command
}

/// Runs `command` to its end (it must succeed) and says what it cost: its CPU time, wall time
/// and peak RSS.
fn run(command: Command) -> Cost {
    // Through GNU time where there is one: a child started from this process records this
    // process's peak RSS as its own when it execs (the kernel keeps the high-water mark of the
    // memory it leaves), and this process held the synthetic ledger; started from `time`, it
    // leaves a small one.
    if Path::new(GNU_TIME).exists() {
        return run_timed(command);
    }
    run_waited(command)
}

const GNU_TIME: &str = "/usr/bin/time";

fn run_timed(command: Command) -> Cost {
    let report = tempfile::NamedTempFile::new().expect("a file for time's report");
    let mut timed = Command::new(GNU_TIME);
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(report.path())
        .arg(command.get_program())
        .args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    // CPU and wall from `wait4` on `time` (its own few hundred microseconds, and the
    // command's, which it waited for, to the microsecond); the peak RSS from `time`'s report
    // (`wait4`'s is the high-water mark above).
    let waited = run_waited(timed);
    let text = std::fs::read_to_string(report.path()).expect("time's report");
    let kb: f64 = text
        .split_whitespace()
        .last()
        .and_then(|f| f.parse().ok())
        .unwrap_or_else(|| panic!("time's report: {text}"));
    Cost {
        cpu: waited.cpu,
        wall: waited.wall,
        rss_mb: kb / 1024.0,
    }
}

/// `command` run and waited for by `wait4`, which gives the CPU time and peak RSS of that one
/// child (and of the children it waited for). Its stderr goes to a file (a pipe left unread
/// could fill and stall it).
// Waited for by `wait4`, which `Child` does not know of.
#[allow(clippy::zombie_processes)]
fn run_waited(mut command: Command) -> Cost {
    let mut err = tempfile::tempfile().expect("a file for stderr");
    let started = Instant::now();
    let child = command
        .stdout(Stdio::null())
        .stderr(err.try_clone().expect("the file again"))
        .spawn()
        .expect("the command starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `usage` is a plain C struct the kernel fills; `pid` is this process's child,
    // not waited for yet.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed().as_secs_f64();
    assert_eq!(waited, pid, "wait4");
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        use std::io::{Read, Seek};
        let mut stderr = String::new();
        let _ = err.rewind();
        let _ = err.read_to_string(&mut stderr);
        panic!("{command:?} failed ({status}): {stderr}");
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Cost {
        cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        wall,
        rss_mb: usage.ru_maxrss as f64 / 1024.0,
    }
}

fn median(costs: &[Cost]) -> Cost {
    let mut sorted = costs.to_vec();
    sorted.sort_by(|a, b| a.cpu.total_cmp(&b.cpu));
    sorted[sorted.len() / 2]
}

fn copy_dir(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-r")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp runs");
    assert!(status.success(), "cp -r {from:?} {to:?}");
    // The copy's pages written out now: else the measured command's first fdatasync of a
    // copied file (the snapshot's, ~300 MB at 10^6) writes them, a cost of this setup.
    let _ = Command::new("sync").status();
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// The day the last meeting of a JSON Lines file closed (`"end":"YYYY-MM-DD"` of its
/// `meeting_held` lines): a day of the ledger's present (the present is its latest recorded
/// day, a meeting's close at least), so a decision dated then does not move it.
fn latest_day(file: &Path) -> String {
    let text = std::fs::read_to_string(file).expect("the synthetic file reads");
    let mut latest = String::from("2009-01-01");
    for line in text
        .lines()
        .filter(|l| l.contains(r#""kind":"meeting_held""#))
    {
        let Some(at) = line.find(r#""end":""#) else {
            continue;
        };
        if let Some(day) = line.get(at + 7..at + 17) {
            if day > latest.as_str() {
                latest = day.to_owned();
            }
        }
    }
    latest
}
