//! Damage to each file of a ledger, one at a time: a flipped byte, a zeroed 4 KiB block, a
//! truncation, garbage appended.
//!
//! - The journal and the head file are the truth: `verify` exits 3 (naming the first bad
//!   entry where the damage is inside one), and the commands that read entries fail with
//!   "corrupted ledger" naming the file (exit 3). Never a panic, never a silent answer.
//!   Garbage appended to the journal past the head is indistinguishable from the torn tail of
//!   a crashed append: readers do not see it, `verify` reports it as an interrupted write (a
//!   notice, exit 0), and the next writer cuts it off (keeping the bytes beside the journal).
//! - The index database (every file under `index.sled/`) is derived: whatever is done to it,
//!   the answers (`log --json`, `export`) are the same as before, and `verify` passes; when
//!   the damage is noticed it is set aside and rebuilt, with a note on stderr.
//! - `index.offsets` (the readers' sparse index) is derived too: readers check every offset
//!   they use against the journal, so whatever is done to it, `log` prints the same.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::support::*;

#[derive(Debug, Clone, Copy)]
enum Damage {
    FlipByte,
    /// A flipped byte near the start, where sled's first records are.
    FlipEarly,
    ZeroBlock,
    Truncate,
    AppendGarbage,
}

const DAMAGES: [Damage; 5] = [
    Damage::FlipByte,
    Damage::FlipEarly,
    Damage::ZeroBlock,
    Damage::Truncate,
    Damage::AppendGarbage,
];

fn damage(path: &Path, how: Damage) {
    let mut bytes = std::fs::read(path).unwrap();
    let mid = bytes.len() / 2;
    match how {
        Damage::FlipByte => bytes[mid] ^= 0x5A,
        Damage::FlipEarly => {
            let at = 40.min(bytes.len() - 1);
            bytes[at] ^= 0x5A;
        }
        Damage::ZeroBlock => {
            // The 4 KiB block holding the middle of the file, clamped to the file.
            let start = mid / 4096 * 4096;
            let end = (start + 4096).min(bytes.len());
            bytes[start..end].fill(0);
        }
        Damage::Truncate => bytes.truncate(mid),
        Damage::AppendGarbage => bytes.extend((0..61u8).map(|i| i.wrapping_mul(97) ^ 0xC3)),
    }
    std::fs::write(path, bytes).unwrap();
}

/// A ledger of 70 entries (a journal of a few KiB, so a 4 KiB block sits inside it) with its
/// index database, built once and copied for each case.
fn template() -> &'static Path {
    static TEMPLATE: OnceLock<(TestEnv, PathBuf)> = OnceLock::new();
    let (_, path) = TEMPLATE.get_or_init(|| {
        let env = TestEnv::new();
        let more: String = (0..60)
            .map(|i| format!("{{\"kind\":\"institution_registered\",\"institution\":\"INST{i}\",\"name\":\"Institution number {i} of the damage test\",\"by_right\":false}}\n"))
            .collect();
        // Created empty, then appended to: the head file's two slots then hold the empty head
        // and the 70 entries' (a ledger created by its first import holds one head in both).
        env.run(&["init"]).ok();
        env.import(&format!("{SMALL}{more}"));
        env.run(&["log", "--json"]).ok();
        let path = env.ledger();
        (env, path)
    });
    path
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A fresh copy of the template, and the template's answers.
/// `path`, or the file that took its place: sled names its snapshot files by offset
/// (`snap.00000000000001BB`), and each open may write a new one and remove the old.
fn present(path: &Path) -> PathBuf {
    if path.exists() {
        return path.to_owned();
    }
    let name = path.file_name().unwrap().to_string_lossy();
    let stem = name.split('.').next().unwrap().to_owned();
    std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(&stem))
        .unwrap_or_else(|| panic!("neither {} nor a {stem}.* beside it", path.display()))
}

fn fresh() -> (TestEnv, String, String) {
    let env = TestEnv::new();
    copy_dir(template(), &env.ledger());
    let log = env.run(&["log", "--json"]).ok().stdout;
    let export = env.run(&["export"]).ok().stdout;
    (env, log, export)
}

/// The first frame whose bytes include `offset` (frames as laid out in the template).
fn seq_at(journal: &[u8], offset: usize) -> u64 {
    let (mut at, mut seq) = (8, 0);
    loop {
        let len = u32::from_le_bytes(journal[at..at + 4].try_into().unwrap()) as usize;
        let end = at + 4 + len + 32 + 4;
        if offset < end {
            return seq;
        }
        at = end;
        seq += 1;
    }
}

#[track_caller]
fn no_panic(run: &Run) {
    assert!(
        run.code != 101 && !run.stderr.contains("panicked"),
        "a panic: {}",
        run.stderr
    );
}

#[test]
fn journal_damage_is_reported_at_the_first_bad_entry_and_read_commands_refuse() {
    let original = std::fs::read(template().join("journal")).unwrap();
    let mid = original.len() / 2;
    for how in DAMAGES {
        let (env, log, export) = fresh();
        damage(&env.ledger().join("journal"), how);
        let verify = env.run(&["verify", "--json"]);
        no_panic(&verify);
        if let Damage::AppendGarbage = how {
            // Past the head, and nothing says it was ever acknowledged: an interrupted write,
            // a notice (issue 13), not tampering.
            let json = verify.ok().json();
            assert_eq!(json["interrupted"]["from_entry"], 70);
        } else {
            let verify = verify.fails_with(3);
            let json = verify.json();
            let expected = match how {
                Damage::FlipByte => seq_at(&original, mid),
                Damage::FlipEarly => seq_at(&original, 40),
                Damage::ZeroBlock => seq_at(&original, mid / 4096 * 4096),
                // Cut inside the entry holding the middle byte.
                Damage::Truncate => seq_at(&original, mid),
                Damage::AppendGarbage => unreachable!("an interrupted write"),
            };
            assert_eq!(json["seq"], expected, "{how:?}: {}", verify.stderr);
        }

        for (args, answer) in [(&["log", "--json"][..], &log), (&["export"][..], &export)] {
            let run = env.run(args);
            no_panic(&run);
            if let Damage::AppendGarbage = how {
                // Past the head: not part of the ledger, invisible to readers.
                assert_eq!(&run.ok().stdout, answer);
                continue;
            }
            let run = run.fails_with(3);
            assert!(
                run.stderr.contains("corrupted ledger") && run.stderr.contains("journal"),
                "{how:?} {args:?}: {}",
                run.stderr
            );
            // The library says what is wrong; the command line says what to run, for every
            // damage (issue 18, item 5: before, some messages carried "run `ccm-ledger
            // verify`" inside the library's text, others nothing).
            let (error, hint) = run
                .stderr
                .split_once("\nhint: ")
                .unwrap_or_else(|| panic!("{how:?} {args:?}: no hint: {}", run.stderr));
            assert!(!error.contains("ccm-ledger"), "{how:?} {args:?}: {error}");
            assert!(
                hint.contains("`ccm-ledger verify`"),
                "{how:?} {args:?}: {hint}"
            );
        }
        if let Damage::AppendGarbage = how {
            // The next writer cuts it as a torn tail, keeps it aside, and says so.
            let run = env.import(
                r#"{"kind":"state_joined","state":"FRA","name":"France","effective":"2010-08-01"}"#,
            );
            assert!(
                run.stderr.contains("unacknowledged bytes"),
                "{}",
                run.stderr
            );
            assert_eq!(env.run(&["verify", "--json"]).ok().json()["entries"], 71);
            let prefix = format!("torn-tail-at-{}-", original.len());
            let kept = std::fs::read_dir(env.ledger())
                .unwrap()
                .filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().starts_with(&prefix));
            assert!(kept, "the cut tail is kept beside the journal");
        }
    }
}

/// The head file is two slots of 512 bytes (docs/FORMAT.md); the template's import wrote the
/// second, and the first still holds the empty ledger's head. Damage to the file as a whole —
/// zeroed, cut short, grown — is reported by every command. Damage inside one slot cannot be
/// told from a slot torn by a crash while an append rewrote it, so the other slot is read.
#[test]
fn head_file_damage_is_reported_or_leaves_the_other_slot_to_read() {
    for how in DAMAGES {
        let (env, log, export) = fresh();
        let before = env.canonical_bytes();
        damage(&env.ledger().join("HEAD"), how);
        let damaged = env.canonical_bytes();
        assert_ne!(damaged, before);
        let line = env.file(
            "one.jsonl",
            r#"{"kind":"state_joined","state":"FRA","name":"France","effective":"2010-08-01"}"#,
        );
        let import = ["import", line.to_str().unwrap()];
        let verify = env.run(&["verify", "--json"]);
        no_panic(&verify);
        match how {
            // A byte of the first slot: only the older head is lost, and nothing needed it.
            Damage::FlipEarly => {
                assert_eq!(verify.ok().json()["entries"], 70);
                assert_eq!(env.run(&["log", "--json"]).ok().stdout, log);
                assert_eq!(env.run(&["export"]).ok().stdout, export);
                // The next append rewrites the damaged slot.
                env.run(&import).ok();
                assert_eq!(env.run(&["verify", "--json"]).ok().json()["entries"], 71);
                continue;
            }
            // The newest slot: the ledger reads as the other slot's head (empty), like after a
            // crash before the append was acknowledged, and says so. But the index saw the
            // entries past it acknowledged: `verify` and a writer report the head file as
            // rolled back (exit 3), and nothing is cut.
            Damage::FlipByte => {
                let verify = verify.fails_with(3);
                assert_eq!(verify.json()["seq"], 0);
                assert!(
                    verify.stderr.contains("acknowledges only")
                        && verify.stderr.contains("rolled back"),
                    "{}",
                    verify.stderr
                );
                let read = env.run(&["log", "--json"]).ok();
                assert!(
                    read.stderr.contains("head file is unreadable"),
                    "{}",
                    read.stderr
                );
                let run = env.run(&import).fails_with(3);
                assert!(
                    run.stderr.contains("HEAD") && run.stderr.contains("rolled back"),
                    "{}",
                    run.stderr
                );
            }
            // Both slots, or the file's size: no head to read at all.
            Damage::ZeroBlock | Damage::Truncate | Damage::AppendGarbage => {
                verify.fails_with(3);
                for args in [&["log", "--json"][..], &["export"][..], &import[..]] {
                    let run = env.run(args);
                    no_panic(&run);
                    let run = run.fails_with(3);
                    assert!(
                        run.stderr.contains("corrupted ledger") && run.stderr.contains("HEAD"),
                        "{how:?} {args:?}: {}",
                        run.stderr
                    );
                }
            }
        }
        assert_eq!(
            env.canonical_bytes(),
            damaged,
            "{how:?}: nothing repaired silently"
        );
    }
}

#[test]
fn index_database_damage_is_rebuilt_from_the_journal_with_the_same_answers() {
    let mut files = Vec::new();
    collect_files(&template().join("index.sled"), &mut files);
    let files: Vec<PathBuf> = files
        .into_iter()
        .map(|f| f.strip_prefix(template()).unwrap().to_owned())
        .collect();
    assert!(files.iter().any(|f| f.ends_with("db")) && files.iter().any(|f| f.ends_with("conf")));
    let mut noted = Vec::new();
    for file in &files {
        for how in DAMAGES {
            let (env, log, export) = fresh();
            damage(&present(&env.ledger().join(file)), how);
            let run = env.run(&["log", "--json"]);
            no_panic(&run);
            let run = run.ok();
            assert_eq!(run.stdout, log, "{file:?} {how:?}");
            if run.stderr.contains("rebuilt") {
                noted.push(format!("{}:{how:?}", file.display()));
            }
            // And again, from whatever the first open left behind.
            assert_eq!(env.run(&["export"]).ok().stdout, export, "{file:?} {how:?}");
            assert_eq!(
                env.run(&["log", "--json"]).ok().stdout,
                log,
                "{file:?} {how:?}"
            );
            env.run(&["verify"]).ok();
        }
    }
    eprintln!(
        "index damage: {} cases over {files:?}; noticed and rebuilt: {noted:?}",
        files.len() * DAMAGES.len()
    );
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            collect_files(&entry.path(), out);
        } else {
            out.push(entry.path());
        }
    }
}

/// A ledger created by an import starts with its head in both slots of the head file, so
/// damage to either slot loses nothing: every entry still reads and verifies.
#[test]
fn a_ledger_created_by_an_import_loses_nothing_to_a_damaged_head_slot() {
    for slot in [0usize, 1] {
        let env = TestEnv::new();
        env.import(SMALL);
        let path = env.ledger().join("HEAD");
        let mut head = std::fs::read(&path).unwrap();
        head[slot * 512 + 20] ^= 0x40;
        std::fs::write(&path, &head).unwrap();
        assert_eq!(env.run(&["verify", "--json"]).ok().json()["entries"], 10);
        let log = env.run(&["log", "--json"]).ok();
        assert_eq!(log.json().as_array().map(Vec::len), Some(10), "slot {slot}");
    }
}

#[test]
fn whatever_is_done_to_the_offsets_file_log_prints_the_same() {
    use ccm_ledger::domain::{Date, Draft, Event, StateCode, StateJoined};
    use ccm_ledger::ledger::{Ledger, Recorder};

    let env = TestEnv::new();
    let mut ledger = Ledger::init(&env.ledger()).unwrap();
    let drafts: Vec<Draft> = (0..300)
        .map(|i| {
            Draft::new(Event::StateJoined(StateJoined {
                state: StateCode::new("NOR").unwrap(),
                name: format!("Norway {i}"),
                effective: Date::parse("2010-08-01").unwrap(),
            }))
        })
        .collect();
    let recorder = Recorder {
        by: "test".into(),
        at: None,
    };
    for batch in drafts.chunks(70) {
        let prepared = ledger.prepare(batch, &recorder);
        ledger.commit(prepared).unwrap();
    }
    drop(ledger);
    let offsets = env.ledger().join("index.offsets");
    let logs = |env: &TestEnv| -> Vec<String> {
        ["0", "63", "64", "200", "299"]
            .iter()
            .map(|from| {
                let run = env.run(&["log", "--from", from, "--limit", "3", "--json"]);
                no_panic(&run);
                run.ok().stdout
            })
            .collect()
    };
    let before = logs(&env);
    assert!(before[3].contains("Norway 200"), "{}", before[3]);
    let good = std::fs::read(&offsets).unwrap();
    for how in DAMAGES {
        std::fs::write(&offsets, &good).unwrap();
        damage(&offsets, how);
        assert_eq!(logs(&env), before, "index.offsets: {how:?}");
    }
    std::fs::remove_file(&offsets).unwrap();
    assert_eq!(logs(&env), before, "index.offsets deleted");
}
