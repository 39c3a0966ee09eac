use std::path::Path;

use super::*;
use crate::domain::{Date, Draft, Event, StateCode, StateJoined, Timestamp};
use crate::ledger::{Access, Ledger, Recorder};

fn recorder() -> Recorder {
    Recorder {
        by: "test".into(),
        at: Some(Timestamp::parse("2026-01-01T00:00:00Z").unwrap()),
    }
}

fn drafts(n: usize) -> Vec<Draft> {
    (0..n)
        .map(|i| {
            Draft::new(Event::StateJoined(StateJoined {
                state: StateCode::new("NOR").unwrap(),
                name: "Norway".repeat(1 + i % 5),
                effective: Date::parse("2010-08-01").unwrap(),
            }))
        })
        .collect()
}

/// Appends entries in commits of these sizes: some end on a multiple of the stride, some
/// cross several.
fn append(dir: &Path, commits: &[usize]) {
    let mut ledger = Ledger::open_or_init(dir).unwrap();
    for &n in commits {
        let prepared = ledger.prepare(&drafts(n), &recorder());
        ledger.commit(prepared).unwrap();
    }
}

/// The offset of every `INDEX_STRIDE`-th frame, from reading the whole journal.
fn every_stride(dir: &Path) -> Vec<u64> {
    let head = journal::read_head(dir).unwrap();
    let mut reader = FrameReader::open(
        &dir.join(JOURNAL_FILE),
        journal::MAGIC.len() as u64,
        head.bytes,
    )
    .unwrap();
    let mut offsets = Vec::new();
    let mut seq = 0u64;
    while let Some(frame) = reader.next_frame() {
        if seq.is_multiple_of(INDEX_STRIDE) {
            offsets.push(frame.unwrap().offset);
        }
        seq += 1;
    }
    offsets
}

fn held(dir: &Path) -> Vec<u64> {
    let bytes = fs::read(dir.join(OFFSETS_FILE)).unwrap();
    assert_eq!(&bytes[..8], MAGIC);
    bytes[8..]
        .chunks(8)
        .map(|w| u64::from_le_bytes(w.try_into().unwrap()))
        .collect()
}

/// What `log --from FROM --limit 5` reads: seqs and hashes of entries `from..from + 5`.
fn log(dir: &Path, from: u64) -> Vec<(u64, String)> {
    let ledger = Ledger::open(dir, Access::Read).unwrap();
    ledger
        .entries(from, from + 5)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.entry.seq.0, e.hash.to_hex())
        })
        .collect()
}

const FROMS: [u64; 8] = [0, 1, 63, 64, 65, 200, 331, 332];

#[test]
fn every_commit_records_the_offset_of_every_64th_frame() {
    let dir = tempfile::tempdir().unwrap();
    append(dir.path(), &[1, 62, 1, 1, 130, 64, 5, 69]);
    assert_eq!(held(dir.path()), every_stride(dir.path()));
    assert_eq!(held(dir.path()).len(), 333usize.div_ceil(64));
}

#[test]
fn a_reader_starts_at_the_nearest_offset_that_checks_out() {
    let dir = tempfile::tempdir().unwrap();
    append(dir.path(), &[333]);
    let head = journal::read_head(dir.path()).unwrap();
    let stride = every_stride(dir.path());
    assert_eq!(
        nearest(dir.path(), 0, &head),
        None,
        "entry 0 needs no index"
    );
    assert_eq!(nearest(dir.path(), 63, &head), Some((0, stride[0])));
    assert_eq!(nearest(dir.path(), 200, &head), Some((192, stride[3])));
    assert_eq!(nearest(dir.path(), 10_000, &head), Some((320, stride[5])));
}

#[test]
fn deleting_or_damaging_the_offsets_file_changes_no_answer() {
    let dir = tempfile::tempdir().unwrap();
    append(dir.path(), &[100, 233]);
    let path = dir.path().join(OFFSETS_FILE);
    let good = fs::read(&path).unwrap();
    let answers: Vec<_> = FROMS.iter().map(|&from| log(dir.path(), from)).collect();
    assert_eq!(answers[5][0].0, 200);

    let mut shifted = good.clone();
    for word in shifted[8..].chunks_mut(8) {
        let offset = u64::from_le_bytes(word.try_into().unwrap()) + 1;
        word.copy_from_slice(&offset.to_le_bytes());
    }
    let mut swapped = good.clone();
    swapped[8 + 8 * 3..8 + 8 * 4].copy_from_slice(&good[8 + 8 * 4..8 + 8 * 5]);
    let mut wrong_magic = good.clone();
    wrong_magic[0] ^= 1;
    let damages: [(&str, Option<Vec<u8>>); 7] = [
        ("deleted", None),
        ("empty", Some(Vec::new())),
        ("every offset one byte off", Some(shifted)),
        ("two offsets swapped", Some(swapped)),
        (
            "cut inside an offset",
            Some(good[..good.len() - 3].to_vec()),
        ),
        ("another magic", Some(wrong_magic)),
        ("huge offsets", Some([&MAGIC[..], &[0xff; 64]].concat())),
    ];
    for (damage, bytes) in damages {
        match bytes {
            None => fs::remove_file(&path).unwrap(),
            Some(bytes) => fs::write(&path, bytes).unwrap(),
        }
        for (&from, answer) in FROMS.iter().zip(&answers) {
            assert_eq!(
                &log(dir.path(), from),
                answer,
                "offsets {damage}, from {from}"
            );
        }
    }
}

#[test]
fn a_writer_extends_a_short_file_and_rebuilds_a_damaged_one_telling_only_of_damage() {
    let dir = tempfile::tempdir().unwrap();
    append(dir.path(), &[333]);
    let path = dir.path().join(OFFSETS_FILE);
    let good = fs::read(&path).unwrap();

    // A crash between the head file and the offsets: short, which is no damage.
    fs::write(&path, &good[..8 + 8 * 2 + 5]).unwrap();
    let ledger = Ledger::open(dir.path(), Access::Write).unwrap();
    assert_eq!(fs::read(&path).unwrap(), good);
    assert!(ledger.notices().iter().all(|n| !n.contains(OFFSETS_FILE)));
    drop(ledger);

    fs::remove_file(&path).unwrap();
    drop(Ledger::open(dir.path(), Access::Write).unwrap());
    assert_eq!(fs::read(&path).unwrap(), good);

    let mut damaged = good.clone();
    let last = damaged.len() - 1;
    damaged[last - 7] ^= 0x10;
    fs::write(&path, &damaged).unwrap();
    let ledger = Ledger::open(dir.path(), Access::Write).unwrap();
    assert_eq!(fs::read(&path).unwrap(), good);
    assert!(
        ledger.notices().iter().any(|n| n.contains(OFFSETS_FILE)),
        "{:?}",
        ledger.notices()
    );
    drop(ledger);

    // A short file is extended by the next commit's open, then followed by the commit.
    fs::write(&path, &good[..8 + 8]).unwrap();
    append(dir.path(), &[70]);
    assert_eq!(held(dir.path()), every_stride(dir.path()));
}
