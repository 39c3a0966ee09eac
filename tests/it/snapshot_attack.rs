//! Attacks on the keyed, incremental projection snapshot (issue 15): two checksummed slots and
//! an append-only region of sections and heads, a writer appending only what changed and
//! flipping the older slot, compaction when dead bytes outweigh live ones.
//!
//! Every attack goes through the real binary. The answer a query must give is always the one
//! a fold from the journal gives: the same queries run on a copy of the ledger with no
//! snapshot at all ([`folded`]). The file's layout is read and forged here from
//! docs/FORMAT.md alone (no use of the crate's own reader), as an attacker would.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

const SLOT: usize = 128;
const REGION: u64 = 2 * SLOT as u64;
const MAGIC: &[u8; 8] = b"CCMSNAP6";
/// How many sections a page of the directory lists when this file writes one.
const PAGE: usize = 64;

// ---- the file, as docs/FORMAT.md describes it ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    generation: u64,
    offset: u64,
    length: u64,
    sum: [u8; 32],
}

#[derive(Debug, Clone)]
pub(crate) struct Section {
    pub(crate) name: String,
    offset: u64,
    length: u64,
    sum: [u8; 32],
}

#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub(crate) key: Vec<u8>,
    entries: u64,
    /// Journal bytes, last frame, hash of the last entry: kept as they are.
    tie: Vec<u8>,
    /// Every section, from every page of the directory, in order of name.
    pub(crate) sections: Vec<Section>,
    /// Where each page of the directory lies: offset and length.
    pages: Vec<(u64, u64)>,
}

fn word(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

fn slot_at(bytes: &[u8], i: usize) -> Option<Slot> {
    let s = bytes.get(i * SLOT..(i + 1) * SLOT)?;
    let whole = &s[..8] == MAGIC && blake3::hash(&s[..64]).as_bytes()[..] == s[64..96];
    let slot = Slot {
        generation: word(s, 8),
        offset: word(s, 16),
        length: word(s, 24),
        sum: s[32..64].try_into().unwrap(),
    };
    (whole && slot.generation > 0).then_some(slot)
}

fn encode_slot(slot: &Slot) -> [u8; SLOT] {
    let mut s = [0; SLOT];
    s[..8].copy_from_slice(MAGIC);
    s[8..16].copy_from_slice(&slot.generation.to_le_bytes());
    s[16..24].copy_from_slice(&slot.offset.to_le_bytes());
    s[24..32].copy_from_slice(&slot.length.to_le_bytes());
    s[32..64].copy_from_slice(&slot.sum);
    let check = blake3::hash(&s[..64]);
    s[64..96].copy_from_slice(check.as_bytes());
    s
}

/// The head `b`, with the pages of the directory it lists read from the file `file`.
fn parse_head(file: &[u8], b: &[u8]) -> Option<Head> {
    let key_len = u16::from_le_bytes(b[0..2].try_into().unwrap()) as usize;
    let mut at = 2 + key_len;
    let key = b[2..at].to_vec();
    let entries = word(b, at);
    at += 8;
    let tie = b[at..at + 8 + 8 + 32].to_vec();
    at += 48;
    let count = u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    at += 4;
    let mut sections = Vec::new();
    let mut pages = Vec::new();
    for _ in 0..count {
        let n = u16::from_le_bytes(b.get(at..at + 2)?.try_into().unwrap()) as usize;
        at += 2 + n;
        let (offset, length) = (word(b, at), word(b, at + 8));
        let sum: [u8; 32] = b[at + 16..at + 48].try_into().unwrap();
        let listed = u32::from_le_bytes(b[at + 48..at + 52].try_into().unwrap());
        at += 48 + 4 + 8;
        let end = offset.checked_add(length)?;
        let page = file.get(offset as usize..end as usize)?;
        if blake3::hash(page).as_bytes() != &sum {
            return None;
        }
        pages.push((offset, length));
        let mut p = 0;
        for _ in 0..listed {
            let n = u16::from_le_bytes(page[p..p + 2].try_into().unwrap()) as usize;
            p += 2;
            let name = String::from_utf8(page[p..p + n].to_vec()).unwrap();
            p += n;
            sections.push(Section {
                name,
                offset: word(page, p),
                length: word(page, p + 8),
                sum: page[p + 16..p + 48].try_into().unwrap(),
            });
            p += 48;
        }
        assert_eq!(p, page.len(), "a page parses whole");
    }
    assert_eq!(at, b.len(), "the head parses whole");
    Some(Head {
        key,
        entries,
        tie,
        sections,
        pages,
    })
}

/// The pages of `h`'s directory (sections in chunks of [`PAGE`], in order of name), to lie at
/// `at`, then the head listing them (its page count written as `count`): the bytes, and where
/// the head lies in them.
fn encode_head(h: &Head, count: u32, at: u64) -> (Vec<u8>, u64, u64) {
    let mut sections = h.sections.clone();
    sections.sort_by(|a, b| a.name.cmp(&b.name));
    let mut b = Vec::new();
    let mut listed = Vec::new();
    for chunk in sections.chunks(PAGE) {
        let mut page = Vec::new();
        for s in chunk {
            page.extend_from_slice(&(s.name.len() as u16).to_le_bytes());
            page.extend_from_slice(s.name.as_bytes());
            page.extend_from_slice(&s.offset.to_le_bytes());
            page.extend_from_slice(&s.length.to_le_bytes());
            page.extend_from_slice(&s.sum);
        }
        let bytes = chunk.iter().fold(0u64, |a, s| a.wrapping_add(s.length));
        listed.push((
            chunk[0].name.clone(),
            at + b.len() as u64,
            page.len() as u64,
            *blake3::hash(&page).as_bytes(),
            chunk.len() as u32,
            bytes,
        ));
        b.extend_from_slice(&page);
    }
    let head_at = at + b.len() as u64;
    let start = b.len();
    b.extend_from_slice(&(h.key.len() as u16).to_le_bytes());
    b.extend_from_slice(&h.key);
    b.extend_from_slice(&h.entries.to_le_bytes());
    b.extend_from_slice(&h.tie);
    b.extend_from_slice(&count.to_le_bytes());
    for (first, offset, length, sum, n, bytes) in &listed {
        b.extend_from_slice(&(first.len() as u16).to_le_bytes());
        b.extend_from_slice(first.as_bytes());
        b.extend_from_slice(&offset.to_le_bytes());
        b.extend_from_slice(&length.to_le_bytes());
        b.extend_from_slice(sum);
        b.extend_from_slice(&n.to_le_bytes());
        b.extend_from_slice(&bytes.to_le_bytes());
    }
    let head_len = (b.len() - start) as u64;
    (b, head_at, head_len)
}

/// The slot a reader believes (the valid one of the higher generation whose head checks),
/// its index, and the head it points at.
pub(crate) fn current(bytes: &[u8]) -> (usize, Slot, Head) {
    believed(bytes).expect("a believed head")
}

fn believed(bytes: &[u8]) -> Option<(usize, Slot, Head)> {
    let mut slots: Vec<(usize, Slot)> = (0..2)
        .filter_map(|i| Some((i, slot_at(bytes, i)?)))
        .collect();
    slots.sort_by_key(|(_, s)| std::cmp::Reverse(s.generation));
    slots.into_iter().find_map(|(i, s)| {
        let end = s.offset.checked_add(s.length)? as usize;
        let head = bytes.get(s.offset as usize..end)?;
        if blake3::hash(head).as_bytes() != &s.sum {
            return None;
        }
        Some((i, s, parse_head(bytes, head)?))
    })
}

/// Appends the pages of `head`'s directory and `head` (its page count written as `count`, if
/// given: else as many as there are)
/// and points the slot the current head is not in at it, one generation on: what an honest
/// writer does, checksums and all.
pub(crate) fn append_head(bytes: &mut Vec<u8>, head: &Head, count: Option<u32>) {
    let (believed, slot, _) = current(bytes);
    let at = bytes.len() as u64;
    let pages = head.sections.len().div_ceil(PAGE) as u32;
    let (encoded, head_at, head_len) = encode_head(head, count.unwrap_or(pages), at);
    bytes.extend_from_slice(&encoded);
    let head_bytes = &bytes[head_at as usize..(head_at + head_len) as usize];
    let sum = *blake3::hash(head_bytes).as_bytes();
    point_slot(
        bytes,
        1 - believed,
        &Slot {
            generation: slot.generation + 1,
            offset: head_at,
            length: head_len,
            sum,
        },
    );
}

fn point_slot(bytes: &mut [u8], i: usize, slot: &Slot) {
    bytes[i * SLOT..(i + 1) * SLOT].copy_from_slice(&encode_slot(slot));
}

/// The snapshot with every section `change` gives new bytes for appended anew and a new head
/// listing them, checksums recomputed: a forgery no checksum can tell.
pub(crate) fn forge(
    bytes: &[u8],
    mut change: impl FnMut(&str, &[u8]) -> Option<Vec<u8>>,
) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let (_, _, mut head) = current(bytes);
    for s in &mut head.sections {
        let old = &bytes[s.offset as usize..(s.offset + s.length) as usize];
        if let Some(new) = change(&s.name, old) {
            s.offset = out.len() as u64;
            s.length = new.len() as u64;
            s.sum = *blake3::hash(&new).as_bytes();
            out.extend_from_slice(&new);
        }
    }
    append_head(&mut out, &head, None);
    out
}

fn replaced(bytes: &[u8], from: &[u8], to: &[u8]) -> Option<Vec<u8>> {
    assert_eq!(from.len(), to.len());
    let mut out = bytes.to_vec();
    let mut found = false;
    for i in 0..out.len().saturating_sub(from.len() - 1) {
        if &out[i..i + from.len()] == from {
            out[i..i + from.len()].copy_from_slice(to);
            found = true;
        }
    }
    found.then_some(out)
}

/// The bytes the believed head reaches (its sections and itself), and the file's size.
fn live_and_size(path: &Path) -> (u64, u64) {
    let bytes = fs::read(path).unwrap();
    let (_, slot, head) = current(&bytes);
    let pages = head.pages.iter().map(|p| p.1).sum::<u64>();
    let live = head.sections.iter().map(|s| s.length).sum::<u64>() + pages + slot.length;
    (live, bytes.len() as u64)
}

// ---- the answers ----

fn snapshot_path(ledger: &Path) -> PathBuf {
    ledger.join("projection.snapshot")
}

/// The questions asked after each attack: each reads the snapshot when it is usable.
const QUESTIONS: &[&[&str]] = &[
    &["who", "wg-universalization", "--on", "2012-01-15", "--json"],
    &["history", "--state", "NOR", "--json"],
    &["history", "--body", "wg-universalization", "--json"],
    &["committee", "--on", "2013-01-15", "--json"],
    &["state", "--on", "2012-01-15", "--json"],
];

/// The answers to [`QUESTIONS`] on `ledger`: each must succeed, without a panic.
#[track_caller]
fn answers(env: &TestEnv, ledger: &Path) -> Vec<String> {
    QUESTIONS
        .iter()
        .map(|q| {
            let run = env.run_on(ledger, q);
            assert!(
                run.code == 0 && !run.stderr.contains("panicked"),
                "{q:?}: exit {}\n{}",
                run.code,
                run.stderr
            );
            run.stdout
        })
        .collect()
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with("projection.snapshot") {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(&name));
        } else {
            fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

/// The answers a fold from the journal gives: the ledger copied without its snapshot.
fn folded(env: &TestEnv) -> Vec<String> {
    folded_on(env, &env.ledger())
}

fn folded_on(env: &TestEnv, ledger: &Path) -> Vec<String> {
    let copy = env.dir.path().join(format!(
        "folded-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    copy_dir(ledger, &copy);
    let answers = answers(env, &copy);
    fs::remove_dir_all(&copy).unwrap();
    answers
}

#[track_caller]
fn assert_answers_right(env: &TestEnv, right: &[String], what: &str) {
    let got = answers(env, &env.ledger());
    for (i, (got, want)) in got.iter().zip(right).enumerate() {
        assert!(
            got == want,
            "{what}: {:?} answered\n{got}\ninstead of\n{want}",
            QUESTIONS[i]
        );
    }
}

/// One line registering an institution that sits on the Coordination Committee by right:
/// every such write changes `committee`'s answer.
fn institution(code: &str) -> String {
    format!("{{\"kind\":\"institution_registered\",\"institution\":\"{code}\",\"name\":\"Institution {code}\",\"by_right\":true}}\n")
}

fn record(env: &TestEnv, code: &str) {
    let file = env.file(&format!("{code}.jsonl"), &institution(code));
    env.run(&["import", file.to_str().unwrap()]).ok();
}

fn entries_in_journal(env: &TestEnv) -> u64 {
    env.run(&["log", "--json"])
        .ok()
        .json()
        .as_array()
        .map(|a| a.len() as u64)
        .unwrap_or_else(|| panic!("log --json is not an array"))
}

// ---- 1. a forgery with valid checksums ----

#[test]
fn a_forged_snapshot_with_recomputed_checksums_is_named_by_verify_and_never_published() {
    let env = TestEnv::new();
    env.import(SMALL);
    let right = folded(&env);
    assert_answers_right(&env, &right, "before the forgery");
    let path = snapshot_path(&env.ledger());
    let bytes = fs::read(&path).unwrap();
    let mut changed = Vec::new();
    let forged = forge(&bytes, |name, section| {
        let new = replaced(section, b"Norway", b"Narway")?;
        changed.push(name.to_owned());
        Some(new)
    });
    assert!(!changed.is_empty(), "Norway is in no section");
    fs::write(&path, &forged).unwrap();

    // Queries trust a snapshot whose checksums hold (README: `verify` is what checks it
    // against the journal): the forged name is what they show.
    let seen = answers(&env, &env.ledger());
    assert!(
        seen.iter().any(|a| a.contains("Narway")),
        "no query read the forged sections {changed:?}"
    );

    // A publication folds from the journal: the forgery never reaches the page.
    let page = env.dir.path().join("report.html");
    env.run(&[
        "report",
        "--html",
        page.to_str().unwrap(),
        "--on",
        "2012-01-15",
    ])
    .ok();
    let html = fs::read_to_string(&page).unwrap();
    assert!(html.contains("Norway"), "the page names Norway");
    assert!(!html.contains("Narway"), "the forged name was published");

    // verify names the file and the sections, rebuilds it, and exits 5.
    let run = env.run(&["verify"]).fails_with(5);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(said.contains("projection.snapshot"), "{said}");
    assert!(
        changed.iter().any(|name| said.contains(name.as_str())),
        "none of {changed:?} named in {said}"
    );
    assert_answers_right(&env, &right, "after verify rebuilt the snapshot");
    env.run(&["verify"]).ok();
}

#[test]
fn a_forged_term_in_a_body_section_is_named_by_verify() {
    let env = TestEnv::new();
    env.import(SMALL);
    let right = folded(&env);
    let path = snapshot_path(&env.ledger());
    let bytes = fs::read(&path).unwrap();
    let mut changed = Vec::new();
    // ECU's term as coordinator, handed to NOR (same length codes) in the body's section.
    let forged = forge(&bytes, |name, section| {
        if !name.starts_with("body/") {
            return None;
        }
        let new = replaced(section, b"ECU", b"NOR")?;
        changed.push(name.to_owned());
        Some(new)
    });
    assert!(!changed.is_empty(), "ECU is in no body section");
    fs::write(&path, &forged).unwrap();
    // Queries trust it too, until verify.
    assert_ne!(
        answers(&env, &env.ledger()),
        right,
        "no query read the forgery"
    );
    let run = env.run(&["verify"]).fails_with(5);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(said.contains("projection.snapshot"), "{said}");
    assert_answers_right(&env, &right, "after verify");
}

/// Rot, not forgery: a byte of a section flips where it lies (its checksum now fails). Readers
/// check what they read, so no answer is wrong; what this documents is who notices and who
/// heals it.
/// A ledger imported from the small fixture whose snapshot has one byte flipped in the middle
/// of `body/wg-universalization`, the directory left as it was: the snapshot's path, its
/// bytes as rotted, and the section.
fn with_a_rotten_byte_in_a_body_section(env: &TestEnv) -> (PathBuf, Vec<u8>, Section) {
    env.import(SMALL);
    let path = snapshot_path(&env.ledger());
    let mut bytes = fs::read(&path).unwrap();
    let (_, _, head) = current(&bytes);
    let body = head
        .sections
        .iter()
        .find(|s| s.name == "body/wg-universalization")
        .expect("the body's section")
        .clone();
    bytes[(body.offset + body.length / 2) as usize] ^= 0x01;
    fs::write(&path, &bytes).unwrap();
    (path, bytes, body)
}

/// The directory is in pages (docs/FORMAT.md): a rotten byte in one leaves the head whole,
/// and the sections that page lists unreadable. Readers fold rather than read them, `verify`
/// names the snapshot and rebuilds it, and a writer that needs the page does not update
/// the snapshot in place.
#[test]
fn a_rotten_byte_in_a_page_of_the_directory_gives_no_wrong_answer_and_verify_heals_it() {
    let env = TestEnv::new();
    env.import(SMALL);
    let path = snapshot_path(&env.ledger());
    let bytes = fs::read(&path).unwrap();
    let (_, _, head) = current(&bytes);
    assert!(head.pages.len() >= 2, "{} pages", head.pages.len());
    let right = folded(&env);
    let rot = |page: usize| {
        let (offset, length) = head.pages[page];
        let mut rotten = bytes.clone();
        rotten[(offset + length / 2) as usize] ^= 0x01;
        fs::write(&path, &rotten).unwrap();
    };
    for page in 0..head.pages.len() {
        rot(page);
        let run = env.run(&["verify"]);
        assert_eq!(run.code, 5, "page {page}: {}{}", run.stdout, run.stderr);
        let said = format!("{}{}", run.stdout, run.stderr);
        assert!(said.contains("projection.snapshot"), "page {page}: {said}");
        let again = env.run(&["verify"]);
        assert_eq!(again.code, 0, "healed: {}{}", again.stdout, again.stderr);
        rot(page);
        assert_answers_right(&env, &right, &format!("page {page} rotten"));
    }
    rot(0);
    record(&env, "ROT2");
    assert_answers_right(&env, &folded(&env), "a write after a page rotted");
}

#[test]
fn a_rotten_byte_in_a_section_gives_no_wrong_answer_and_is_healed() {
    let env = TestEnv::new();
    let (path, bytes, body) = with_a_rotten_byte_in_a_body_section(&env);
    let right = folded(&env);
    assert_answers_right(&env, &right, "a rotten byte in the body's section");
    let read = fs::read(&path).unwrap();
    let (_, _, h) = current(&read);
    let b = h.sections.iter().find(|s| s.name == body.name).unwrap();
    eprintln!(
        "rot: after the queries the section is {} (file {} -> {} bytes)",
        if blake3::hash(&read[b.offset as usize..(b.offset + b.length) as usize]).as_bytes()
            == &b.sum
        {
            "whole"
        } else {
            "rotten"
        },
        bytes.len(),
        read.len()
    );

    // A write that does not touch the body (an institution): does the snapshot still hold
    // the rotten section afterwards?
    record(&env, "ROT1");
    let after = fs::read(&path).unwrap();
    let (_, _, head) = current(&after);
    let kept = head
        .sections
        .iter()
        .find(|s| s.name == body.name)
        .expect("the body's section");
    let rotten = blake3::hash(&after[kept.offset as usize..(kept.offset + kept.length) as usize])
        .as_bytes()
        != &kept.sum;
    let run = env.run(&["verify"]);
    eprintln!(
        "rot: after the next write the section is {}; verify exit {}: {}",
        if rotten { "still rotten" } else { "whole" },
        run.code,
        run.stdout
            .lines()
            .filter(|l| l.contains("snapshot"))
            .collect::<Vec<_>>()
            .join(" / ")
    );
    assert_answers_right(&env, &folded(&env), "after the next write");
    assert!(
        !rotten || run.stdout.contains("projection.snapshot"),
        "the rotten section outlived a write, and verify did not name it (exit {})",
        run.code
    );
}

// ---- 2. torn slots and torn appends ----

#[test]
fn a_torn_append_or_a_flipped_slot_byte_never_gives_a_wrong_answer_and_the_next_writer_repairs() {
    let env = TestEnv::new();
    env.import(SMALL);
    let path = snapshot_path(&env.ledger());
    let before = fs::read(&path).unwrap();
    record(&env, "TORN1");
    let after = fs::read(&path).unwrap();
    let (_, slot, head) = current(&after);
    assert!(
        after.len() > before.len() && after[2 * SLOT..before.len()] == before[2 * SLOT..],
        "the write appended ({} -> {} bytes)",
        before.len(),
        after.len()
    );
    assert!(slot.generation >= 2, "the write flipped a slot: {slot:?}");
    let right = folded(&env);
    assert_answers_right(&env, &right, "whole");

    // Every interesting place of the last append: its start, each appended section's first,
    // second, middle and last byte, the head's, the end.
    let old_end = before.len() as u64;
    let mut cuts = vec![old_end, old_end + 1];
    let appended_pages = head.pages.iter().filter(|p| p.0 >= old_end);
    let pages = appended_pages.map(|&(offset, length)| (offset, length));
    let sections = head.sections.iter().filter(|s| s.offset >= old_end);
    for (offset, length) in sections.map(|s| (s.offset, s.length)).chain(pages) {
        cuts.extend([offset, offset + 1, offset + length / 2]);
        cuts.push(offset + length.max(1) - 1);
    }
    cuts.extend([
        slot.offset,
        slot.offset + 1,
        slot.offset + slot.length / 2,
        slot.offset + slot.length - 1,
    ]);
    cuts.sort();
    cuts.dedup();
    eprintln!(
        "the append: {} bytes, {} sections and a head of {} bytes; {} cuts",
        after.len() - before.len(),
        head.sections.iter().filter(|s| s.offset >= old_end).count(),
        slot.length,
        cuts.len()
    );
    for cut in &cuts {
        fs::write(&path, &after[..*cut as usize]).unwrap();
        assert_answers_right(&env, &right, &format!("cut at {cut} of {}", after.len()));
    }

    // A byte flipped in either slot, anywhere: magic, generation, offset, length, sums, zeros.
    for i in 0..2 {
        for at in [0, 7, 8, 15, 16, 23, 24, 31, 32, 63, 64, 95, 96, 127] {
            let mut flipped = after.clone();
            flipped[i * SLOT + at] ^= 0x01;
            fs::write(&path, &flipped).unwrap();
            assert_answers_right(&env, &right, &format!("slot {i} byte {at} flipped"));
        }
    }

    // Torn half way into its head: the next writer brings the snapshot to the head again.
    fs::write(&path, &after[..(slot.offset + slot.length / 2) as usize]).unwrap();
    record(&env, "TORN2");
    let repaired = fs::read(&path).unwrap();
    let (_, _, head) = current(&repaired);
    assert_eq!(
        head.entries,
        entries_in_journal(&env),
        "the snapshot is at the head again"
    );
    let right = folded(&env);
    assert_answers_right(&env, &right, "after the next writer");
    let run = env.run(&["verify"]).ok();
    assert!(
        !run.stdout.contains("projection.snapshot"),
        "{}",
        run.stdout
    );
}

/// A slot readers pass over (issue: "seen and left alone" in session 5): they fall back to
/// the other slot silently, and rightly, but `verify` must not: it names the slot and what is
/// wrong with it, and rewrites the snapshot (exit 5), as it does for any derived damage.
#[test]
fn a_damaged_snapshot_slot_readers_pass_over_is_named_by_verify_and_rewritten() {
    let env = TestEnv::new();
    env.import(SMALL);
    record(&env, "SLOT1");
    let path = snapshot_path(&env.ledger());
    let bytes = fs::read(&path).unwrap();
    let (newest, slot, _) = current(&bytes);
    let older = 1 - newest;
    assert!(slot_at(&bytes, older).is_some(), "both slots hold a head");
    let right = folded(&env);
    // (what, the byte flipped, the slot named, what is said of it)
    let cases: [(&str, usize, usize, &str); 4] = [
        (
            "the newest slot's generation flipped",
            newest * SLOT + 8,
            newest,
            "its own checksum does not hold",
        ),
        (
            "the newest slot's checksum flipped",
            newest * SLOT + 70,
            newest,
            "its own checksum does not hold",
        ),
        (
            "a byte of the head the newest slot points at flipped",
            (slot.offset + slot.length / 2) as usize,
            newest,
            "the head it points at does not match its checksum",
        ),
        (
            "the older slot's offset flipped",
            older * SLOT + 16,
            older,
            "its own checksum does not hold",
        ),
    ];
    for (what, at, named, why) in &cases {
        let mut damaged = bytes.clone();
        damaged[*at] ^= 0x01;
        fs::write(&path, &damaged).unwrap();
        assert_answers_right(&env, &right, what);
        let run = env.run(&["verify"]).fails_with(5);
        assert!(
            run.stderr.contains("projection.snapshot")
                && run.stderr.contains(&format!("slot {named}"))
                && run.stderr.contains(why),
            "{what}: {}",
            run.stderr
        );
        // Rewritten at the head: every slot that holds a head checks, and verify says 0.
        let rewritten = fs::read(&path).unwrap();
        let (_, _, head) = current(&rewritten);
        assert_eq!(head.entries, entries_in_journal(&env), "{what}");
        for i in 0..2 {
            let empty = rewritten[i * SLOT..(i + 1) * SLOT].iter().all(|b| *b == 0);
            assert!(
                empty || slot_at(&rewritten, i).is_some(),
                "{what}: slot {i}"
            );
        }
        env.run(&["verify"]).ok();
        assert_answers_right(&env, &right, &format!("{what}, rewritten"));

        // The same in --json: the file, and the slot in its detail.
        fs::write(&path, &damaged).unwrap();
        let run = env.run(&["--json", "verify"]).fails_with(5);
        let rebuilt = &run.json()["rebuilt"][0];
        assert_eq!(rebuilt["file"], "projection.snapshot", "{what}");
        let detail = rebuilt["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("slot {named}")) && detail.contains(why),
            "{what}: {detail}"
        );
        env.run(&["verify"]).ok();
    }

    // While a writer is at work (it holds the lock) a slot may be read as it is written: what
    // a reader falls back from, not damage. verify then says nothing of slots, and leaves
    // the file to the writer.
    let mut damaged = bytes.clone();
    damaged[newest * SLOT + 8] ^= 0x01;
    fs::write(&path, &damaged).unwrap();
    let writer = ccm_ledger::ledger::Ledger::open(&env.ledger(), ccm_ledger::ledger::Access::Write)
        .expect("a writer opens");
    let run = env.run(&["verify"]).ok();
    assert!(!run.stderr.contains("slot"), "{}", run.stderr);
    assert_eq!(fs::read(&path).unwrap(), damaged, "left to the writer");
    drop(writer);
    env.run(&["verify"]).fails_with(5);
    env.run(&["verify"]).ok();

    // Both slots damaged: readers fold from the journal (and the first query keeps what it
    // folded, as for no snapshot at all); verify, asked first, names both and rewrites.
    let mut both = bytes.clone();
    both[8] ^= 0x01;
    both[SLOT + 8] ^= 0x01;
    fs::write(&path, &both).unwrap();
    let run = env.run(&["verify"]).fails_with(5);
    assert!(
        run.stderr.contains("slot 0")
            && run.stderr.contains("slot 1")
            && run.stderr.contains("readers read no head of it"),
        "{}",
        run.stderr
    );
    env.run(&["verify"]).ok();
    assert_answers_right(&env, &right, "both slots damaged, rewritten");
    let (_, _, head) = current(&fs::read(&path).unwrap());
    assert_eq!(head.entries, entries_in_journal(&env));

    // A file of another version (neither slot has this version's magic) is not damage:
    // readers ignore it, and verify says nothing of it.
    let mut foreign = bytes.clone();
    foreign[..8].copy_from_slice(b"CCMSNAP4");
    foreign[SLOT..SLOT + 8].copy_from_slice(b"CCMSNAP4");
    fs::write(&path, &foreign).unwrap();
    let run = env.run(&["verify"]).ok();
    assert!(!run.stderr.contains("slot"), "{}", run.stderr);
}

// ---- 3. readers while a writer appends and compacts ----

#[test]
fn a_reader_racing_a_writer_that_appends_and_compacts_sees_only_acknowledged_states() {
    let env = TestEnv::new();
    env.import(SMALL);
    let ledger = env.ledger();
    let path = snapshot_path(&ledger);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        let ledger = ledger.clone();
        let home = env.dir.path().to_owned();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for q in [
                    &["committee", "--on", "2013-01-15", "--json"][..],
                    &["who", "wg-universalization", "--on", "2012-01-15", "--json"][..],
                ] {
                    let out = bin()
                        .env_clear()
                        .env("CCM_LEDGER", &ledger)
                        .env("CCM_LEDGER_NOW", NOW)
                        .env("CCM_LEDGER_RECORDER", "test")
                        .env("HOME", &home)
                        .current_dir(&home)
                        .args(q)
                        .output()
                        .unwrap();
                    seen.push((
                        q[0],
                        out.status.code(),
                        String::from_utf8_lossy(&out.stdout).into_owned(),
                        String::from_utf8_lossy(&out.stderr).into_owned(),
                    ));
                }
            }
            seen
        })
    };
    let writes = 30;
    let mut compactions = 0;
    let mut size = fs::metadata(&path).unwrap().len();
    for k in 0..writes {
        record(&env, &format!("RACE{k:02}"));
        let now = fs::metadata(&path).unwrap().len();
        if now < size {
            compactions += 1;
        }
        size = now;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen = reader.join().unwrap();

    // Every acknowledged state: the ledger as it stood after each entry from SMALL's last on.
    let last = entries_in_journal(&env) - 1;
    let acknowledged: std::collections::HashSet<String> = (9..=last)
        .map(|seq| {
            env.run(&[
                "committee",
                "--on",
                "2013-01-15",
                "--json",
                "--known-at",
                &seq.to_string(),
            ])
            .ok()
            .stdout
        })
        .collect();
    assert_eq!(acknowledged.len() as u64, last - 9 + 1, "each write shows");
    let who = folded(&env)[0].clone();
    let mut distinct = std::collections::HashSet::new();
    for (q, code, stdout, stderr) in &seen {
        assert!(
            *code == Some(0) && !stderr.contains("panicked"),
            "{q}: exit {code:?}\n{stderr}"
        );
        if *q == "committee" {
            assert!(acknowledged.contains(stdout), "not acknowledged:\n{stdout}");
            distinct.insert(stdout.clone());
        } else {
            assert_eq!(stdout, &who);
        }
    }
    eprintln!(
        "{} answers read, {} distinct states seen, {compactions} compactions in {writes} writes",
        seen.len(),
        distinct.len()
    );
    assert!(
        compactions >= 1,
        "no compaction happened in {writes} writes"
    );
    assert!(distinct.len() >= 2, "the reader saw no write");
}

// ---- 4. SIGKILL during the snapshot update ----

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn spawn_record(env: &TestEnv, code: &str) -> Child {
    let file = env.file(&format!("{code}.jsonl"), &institution(code));
    env.command(&env.ledger())
        .args(["import", file.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn a_writer_killed_at_random_moments_leaves_answers_equal_to_a_fold_from_zero() {
    let env = TestEnv::new();
    env.import(SMALL);
    let started = Instant::now();
    for i in 0..3 {
        assert!(spawn_record(&env, &format!("CAL{i}"))
            .wait()
            .unwrap()
            .success());
    }
    let typical = started.elapsed() / 3;
    let trials: u64 = std::env::var("CCM_SOAK_TRIALS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("seed {seed}, {trials} trials, a write takes {typical:?}");
    let mut rng = Rng(seed);
    let head_path = env.ledger().join("HEAD");
    let path = snapshot_path(&env.ledger());
    // What each kill left: the write not committed, committed with the snapshot behind (or
    // torn past its believed head), committed with the snapshot at the head.
    let (mut uncommitted, mut behind, mut torn, mut at_head) = (0, 0, 0, 0);
    for trial in 0..trials {
        let entries = entries_in_journal(&env);
        let head_file = fs::read(&head_path).unwrap();
        let mut child = spawn_record(&env, &format!("KILL{trial:03}"));
        if trial % 2 == 0 {
            // Anywhere in the write.
            let micros = typical.as_micros() as u64;
            std::thread::sleep(Duration::from_micros(rng.next() % (micros + 1)));
        } else {
            // The snapshot is updated after the commit: wait for the head file to change,
            // then kill within a few milliseconds.
            let deadline = Instant::now() + 4 * typical;
            while fs::read(&head_path).unwrap() == head_file
                && child.try_wait().unwrap().is_none()
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_micros(50));
            }
            std::thread::sleep(Duration::from_micros(rng.next() % 5_000));
        }
        let _ = child.kill();
        child.wait().unwrap();
        let now = entries_in_journal(&env);
        let bytes = fs::read(&path).unwrap_or_default();
        match believed(&bytes) {
            _ if now == entries => uncommitted += 1,
            Some((_, slot, head)) if head.entries == now => {
                at_head += 1;
                if slot.offset + slot.length < bytes.len() as u64 {
                    torn += 1;
                }
            }
            Some((_, slot, _)) => {
                behind += 1;
                if slot.offset + slot.length < bytes.len() as u64 {
                    torn += 1;
                }
            }
            None => behind += 1,
        }
        let right = folded(&env);
        assert_answers_right(&env, &right, &format!("trial {trial} (seed {seed})"));
        let run = env.run(&["verify"]);
        assert!(
            run.code == 0 && !run.stdout.contains("projection.snapshot"),
            "trial {trial} (seed {seed}): verify exit {}\n{}{}",
            run.code,
            run.stdout,
            run.stderr
        );
    }
    eprintln!(
        "kills: {uncommitted} before the commit, {behind} with the snapshot behind the head, \
         {at_head} with it at the head; {torn} left bytes past the believed head"
    );
}

// ---- 5. a full disk during the snapshot append ----

/// A file-size limit that the snapshot's append alone crosses: the snapshot is padded past
/// what the other files reach (bytes past the last head are what an interrupted append leaves,
/// and are not read), and no file may grow past that. The journal's and the index's writes
/// fit; the snapshot's append fails part way (EFBIG, a short write then an error, as ENOSPC).
#[test]
fn a_file_size_limit_during_the_snapshot_append_still_acknowledges_the_write_and_answers_stay_right(
) {
    let env = TestEnv::new();
    env.import(SMALL);
    let path = snapshot_path(&env.ledger());
    let mut padded = fs::read(&path).unwrap();
    padded.resize(padded.len() + (16 << 20), 0xAA);
    fs::write(&path, &padded).unwrap();
    let right_before = folded(&env);
    assert_answers_right(&env, &right_before, "padded");
    let limit = padded.len() as u64 + 64;
    let file = env.file("full.jsonl", &institution("FULL1"));
    let mut command = env.command(&env.ledger());
    command.args(["import", file.to_str().unwrap()]);
    // SAFETY: only async-signal-safe calls (signal, setrlimit) between fork and exec.
    unsafe {
        command.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let rlimit = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &rlimit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = command.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the write is acknowledged: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(entries_in_journal(&env), 11);
    assert_believed_head_checks(&path);
    let right = folded(&env);
    assert_ne!(right, right_before, "the write shows");
    assert_answers_right(&env, &right, "after the limit");
    let run = env.run(&["verify"]).ok();
    assert!(
        !run.stdout.contains("projection.snapshot"),
        "{}",
        run.stdout
    );
    record(&env, "FULL2");
    let (_, _, head) = current(&fs::read(&path).unwrap());
    assert_eq!(
        head.entries, 12,
        "the next writer keeps the snapshot at the head"
    );
    assert_answers_right(&env, &folded(&env), "after the next writer");
}

/// Whatever head a reader believes, every section it reaches checks.
#[track_caller]
fn assert_believed_head_checks(path: &Path) {
    let bytes = fs::read(path).unwrap();
    let (_, _, head) = current(&bytes);
    for s in &head.sections {
        let b = &bytes[s.offset as usize..(s.offset + s.length) as usize];
        assert_eq!(blake3::hash(b).as_bytes(), &s.sum, "section {}", s.name);
    }
}

fn copy_all(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_all(&entry.path(), &to.join(entry.file_name()));
        } else {
            fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// A real full disk, with a few pages left, then two pages more each round: somewhere the
/// journal's append fits and the snapshot's does not. Whatever each write did, an
/// acknowledged write shows in every answer, a refused one changed nothing, the snapshot a
/// reader believes checks whole.
#[test]
fn a_full_disk_at_every_size_around_the_snapshot_append_never_gives_a_wrong_answer() {
    let Some(disk) = SmallDisk::mount("8m") else {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    };
    let env = TestEnv::new();
    let pristine = env.dir.path().join("pristine");
    let small = env.file("small.jsonl", SMALL);
    env.run_on(&pristine, &["import", small.to_str().unwrap()])
        .ok();
    let ledger = disk.dir.path().join("ledger");
    let file = env.file("full.jsonl", &institution("FULL1"));
    let (mut refused, mut stale, mut at_head) = (0, 0, 0);
    // A slice's write needs a few pages (its frame, the index database's log, the snapshot's
    // append of tens of KiB): the rounds start with almost no room and step past them.
    for pages in (2..=160u64).step_by(2) {
        disk.empty();
        let _ = fs::remove_dir_all(&ledger);
        copy_all(&pristine, &ledger);
        let journal_before = fs::read(ledger.join("journal")).unwrap();
        disk.fill_but(pages * 4096);
        let run = env.run_on(&ledger, &["import", file.to_str().unwrap()]);
        let snapshot = fs::read(snapshot_path(&ledger)).unwrap();
        disk.empty();
        match run.code {
            0 => {
                let (_, _, head) = current(&snapshot);
                if head.entries == 11 {
                    at_head += 1;
                } else {
                    stale += 1;
                }
                assert_believed_head_checks(&snapshot_path(&ledger));
            }
            1 => {
                refused += 1;
                assert!(
                    fs::read(ledger.join("journal")).unwrap() == journal_before,
                    "{pages} pages: a refused write changed the journal"
                );
            }
            code => panic!("{pages} pages free: exit {code}\n{}", run.stderr),
        }
        let right = folded_on(&env, &ledger);
        let got = answers(&env, &ledger);
        assert!(
            got == right,
            "{pages} pages free: {got:?}\ninstead of\n{right:?}"
        );
        let verify = env.run_on(&ledger, &["verify"]);
        assert!(
            verify.code == 0 && !verify.stdout.contains("projection.snapshot"),
            "{pages} pages free: verify exit {}\n{}{}",
            verify.code,
            verify.stdout,
            verify.stderr
        );
        if at_head > 0 && stale > 0 {
            break;
        }
    }
    eprintln!("full disk: {refused} refused, {stale} acknowledged with the snapshot left behind, {at_head} with it at the head");
    assert!(
        stale >= 1,
        "no round acknowledged the write and failed the snapshot's append"
    );
}

// ---- 6. huge numbers ----

/// Runs the questions with the address space capped, so that an allocation the file's
/// numbers ask for fails the test instead of the machine.
#[track_caller]
fn assert_answers_right_in_bounded_memory(env: &TestEnv, right: &[String], what: &str) {
    const CAP: u64 = 2 << 30;
    for (q, want) in QUESTIONS.iter().zip(right) {
        let mut command = env.command(&env.ledger());
        command.args(*q);
        // SAFETY: only an async-signal-safe call (setrlimit) between fork and exec.
        unsafe {
            command.pre_exec(|| {
                let rlimit = libc::rlimit {
                    rlim_cur: CAP,
                    rlim_max: CAP,
                };
                libc::setrlimit(libc::RLIMIT_AS, &rlimit);
                Ok(())
            });
        }
        let started = Instant::now();
        let out = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.code() == Some(0) && stdout == *want,
            "{what}: {q:?} exit {:?} after {:?}\n{}\n{stdout}",
            out.status.code(),
            started.elapsed(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn huge_numbers_in_a_slot_or_a_head_cost_no_memory_and_give_no_wrong_answer() {
    let env = TestEnv::new();
    env.import(SMALL);
    let path = snapshot_path(&env.ledger());
    let whole = fs::read(&path).unwrap();
    let right = folded(&env);
    let (believed, slot, head) = current(&whole);

    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    // A slot pointing far past the end, or claiming a head of u64::MAX bytes.
    for (what, offset, length) in [
        ("a slot pointing far past the end", 1u64 << 62, slot.length),
        ("a slot at u64::MAX", u64::MAX - 4, slot.length),
        ("a head of u64::MAX bytes", slot.offset, u64::MAX),
        ("a head of 2^28 bytes", slot.offset, 1 << 28),
    ] {
        let mut b = whole.clone();
        point_slot(
            &mut b,
            1 - believed,
            &Slot {
                generation: slot.generation + 1,
                offset,
                length,
                ..slot
            },
        );
        cases.push((what, b));
    }
    // A head whose section lengths or offsets are huge, checksums recomputed.
    for (what, offset, length) in [
        ("a section of u64::MAX bytes", None, u64::MAX),
        ("a section at u64::MAX", Some(u64::MAX - 1), 16),
    ] {
        let mut b = whole.clone();
        let mut h = head.clone();
        for s in &mut h.sections {
            s.offset = offset.unwrap_or(s.offset);
            s.length = length;
        }
        append_head(&mut b, &h, None);
        cases.push((what, b));
    }
    // A page count of 2^32-1 with the few pages there are.
    let mut b = whole.clone();
    append_head(&mut b, &head, Some(u32::MAX));
    cases.push(("a page count of 2^32-1", b));

    for (what, bytes) in cases {
        fs::write(&path, &bytes).unwrap();
        assert_answers_right_in_bounded_memory(&env, &right, what);
        let run = env.run(&["verify"]);
        assert!(
            run.code == 0 || run.code == 5,
            "{what}: verify exit {}\n{}",
            run.code,
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
        eprintln!(
            "{what}: verify exit {} {}",
            run.code,
            format!("{}{}", run.stdout, run.stderr)
                .lines()
                .filter(|l| l.contains("snapshot"))
                .collect::<Vec<_>>()
                .join(" / ")
        );
    }
    let _ = fs::remove_file(&path);
}

/// A sparse file: the head lies 64 GiB in, and its sections reach from where they lie to
/// the head (all zeros but the real bytes): every length is within the file, and no
/// checksum is wrong until the bytes are read. A reader must not allocate what a section
/// claims before it knows the file really holds it.
#[test]
fn a_sparse_snapshot_claiming_sections_of_64_gib_costs_no_memory() {
    let env = TestEnv::new();
    env.import(SMALL);
    let path = snapshot_path(&env.ledger());
    let whole = fs::read(&path).unwrap();
    let right = folded(&env);
    let (believed, slot, head) = current(&whole);
    let far: u64 = 1 << 36;
    let mut h = head.clone();
    for s in &mut h.sections {
        s.length = far - s.offset;
    }
    // The pages of the directory lie at 64 GiB too, the head after them.
    let pages = h.sections.len().div_ceil(PAGE) as u32;
    let (encoded, head_at, head_len) = encode_head(&h, pages, far);
    let head_bytes = &encoded[(head_at - far) as usize..];
    let mut bytes = whole.clone();
    point_slot(
        &mut bytes,
        1 - believed,
        &Slot {
            generation: slot.generation + 1,
            offset: head_at,
            length: head_len,
            sum: *blake3::hash(head_bytes).as_bytes(),
        },
    );
    {
        use std::io::Write;
        use std::os::unix::fs::FileExt;
        let mut file = fs::File::create(&path).unwrap();
        file.write_all(&bytes).unwrap();
        // The bytes between are a hole: no disk, and 64 GiB to a reader.
        file.write_all_at(&encoded, far).unwrap();
    }
    assert_answers_right_in_bounded_memory(&env, &right, "a sparse file");
    let run = env.run(&["verify"]);
    assert!(
        (run.code == 0 || run.code == 5) && !run.stderr.contains("panicked"),
        "verify exit {}\n{}",
        run.code,
        run.stderr
    );
    let _ = fs::remove_file(&path);
}

// ---- 7. compaction ----

#[test]
fn many_writes_compact_the_snapshot_and_keep_it_below_twice_its_live_bytes() {
    let env = TestEnv::new();
    env.import(SMALL);
    let path = snapshot_path(&env.ledger());
    let writes = 40;
    let mut compactions = 0;
    let mut worst: f64 = 0.0;
    let (_, mut size) = live_and_size(&path);
    let mut appended = Vec::new();
    for k in 0..writes {
        record(&env, &format!("COMP{k:02}"));
        let (live, now) = live_and_size(&path);
        let dead = now - REGION - live;
        assert!(
            dead <= live,
            "write {k}: {dead} dead bytes outweigh {live} live ones"
        );
        if now < size {
            compactions += 1;
        } else {
            appended.push(now - size);
        }
        worst = worst.max(now as f64 / (live + REGION) as f64);
        size = now;
    }
    let (live, _) = live_and_size(&path);
    eprintln!(
        "{writes} writes: {compactions} compactions, file at most {worst:.2}x its live bytes \
         (live {live}), appends of {:?} bytes",
        appended
    );
    assert!(compactions >= 1, "no compaction in {writes} writes");
    assert!(worst <= 2.0 + 1e-9);
    assert_answers_right(&env, &folded(&env), "after many writes");
}

/// A section whose bytes rotted where the directory points (the directory itself agreeing
/// with the journal) would make every reader of it fold from the journal, silently: `verify`
/// reads every section, names the rotten one, and rebuilds the snapshot.
#[test]
fn verify_names_a_section_whose_bytes_rotted_under_a_directory_that_agrees() {
    let env = TestEnv::new();
    with_a_rotten_byte_in_a_body_section(&env);
    let run = env.run(&["verify"]);
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.stderr.contains("body/wg-universalization")
            || run.stdout.contains("body/wg-universalization"),
        "the rotten section is named: {} {}",
        run.stdout,
        run.stderr
    );
    let again = env.run(&["verify"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
}

// ---- 8. forged pages of the directory (CCMSNAP6), checksums recomputed ----

/// One page as the head lists it: first name, offset, length, blake3, section count, bytes.
type Listing = (String, u64, u64, [u8; 32], u32, u64);

/// Appends the pages of `head`'s directory (in chunks of [`PAGE`]) as an honest writer does,
/// lets `tweak` change the pages' bytes and what the head says of them (checksums are then
/// recomputed for pages whose bytes it changed, unless it set them itself), and points the
/// other slot at the new head: a forgery every checksum agrees with.
fn append_head_tweaked(
    bytes: &mut Vec<u8>,
    head: &Head,
    tweak: impl FnOnce(&mut Vec<Vec<u8>>, &mut Vec<Listing>),
) {
    let (believed, slot, _) = current(bytes);
    let mut sections = head.sections.clone();
    sections.sort_by(|a, b| a.name.cmp(&b.name));
    let encode = |s: &Section| {
        let mut e = Vec::new();
        e.extend_from_slice(&(s.name.len() as u16).to_le_bytes());
        e.extend_from_slice(s.name.as_bytes());
        e.extend_from_slice(&s.offset.to_le_bytes());
        e.extend_from_slice(&s.length.to_le_bytes());
        e.extend_from_slice(&s.sum);
        e
    };
    let mut pages: Vec<Vec<u8>> = Vec::new();
    let mut listed: Vec<Listing> = Vec::new();
    for chunk in sections.chunks(PAGE) {
        let page: Vec<u8> = chunk.iter().flat_map(encode).collect();
        listed.push((
            chunk[0].name.clone(),
            0,
            page.len() as u64,
            *blake3::hash(&page).as_bytes(),
            chunk.len() as u32,
            chunk.iter().map(|s| s.length).sum(),
        ));
        pages.push(page);
    }
    let honest: Vec<[u8; 32]> = listed.iter().map(|l| l.3).collect();
    tweak(&mut pages, &mut listed);
    // Each page lies where it is appended; a checksum the tweak left as it was follows the
    // page's bytes.
    let mut at = bytes.len() as u64;
    let mut laid: Vec<(u64, u64)> = Vec::new();
    for page in &pages {
        laid.push((at, page.len() as u64));
        bytes.extend_from_slice(page);
        at += page.len() as u64;
    }
    for (i, l) in listed.iter_mut().enumerate() {
        if let Some(&(offset, length)) = laid.get(i) {
            if l.1 == 0 {
                l.1 = offset;
            }
            if honest.get(i) == Some(&l.3) {
                l.2 = length;
                l.3 = *blake3::hash(&pages[i]).as_bytes();
            }
        }
    }
    let head_at = bytes.len() as u64;
    let mut b = Vec::new();
    b.extend_from_slice(&(head.key.len() as u16).to_le_bytes());
    b.extend_from_slice(&head.key);
    b.extend_from_slice(&head.entries.to_le_bytes());
    b.extend_from_slice(&head.tie);
    b.extend_from_slice(&(listed.len() as u32).to_le_bytes());
    for (first, offset, length, sum, n, total) in &listed {
        b.extend_from_slice(&(first.len() as u16).to_le_bytes());
        b.extend_from_slice(first.as_bytes());
        b.extend_from_slice(&offset.to_le_bytes());
        b.extend_from_slice(&length.to_le_bytes());
        b.extend_from_slice(sum);
        b.extend_from_slice(&n.to_le_bytes());
        b.extend_from_slice(&total.to_le_bytes());
    }
    bytes.extend_from_slice(&b);
    point_slot(
        bytes,
        1 - believed,
        &Slot {
            generation: slot.generation + 1,
            offset: head_at,
            length: b.len() as u64,
            sum: *blake3::hash(&b).as_bytes(),
        },
    );
}

/// The length of the `i`-th section entry of an encoded page, from its name's length.
fn entry_len(page: &[u8], at: usize) -> usize {
    2 + u16::from_le_bytes(page[at..at + 2].try_into().unwrap()) as usize + 48
}

type Tweak = Box<dyn FnOnce(&mut Vec<Vec<u8>>, &mut Vec<Listing>)>;

/// Each forgery of [`forged_pages`], then every answer checked against a fold's in bounded
/// memory, `verify` (0 or 5, no panic), and `verify` again (0): what went wrong, if anything.
fn forged_pages(cases: Vec<(&str, Tweak)>) {
    let env = TestEnv::new();
    env.import(SMALL);
    let path = snapshot_path(&env.ledger());
    let whole = fs::read(&path).unwrap();
    let right = folded(&env);
    let (_, _, head) = current(&whole);
    assert!(
        head.sections.len() > 2 * PAGE,
        "the small ledger's snapshot lists {} sections: too few for three pages",
        head.sections.len()
    );
    let mut failures = Vec::new();
    for (what, tweak) in cases {
        let mut bytes = whole.clone();
        append_head_tweaked(&mut bytes, &head, tweak);
        fs::write(&path, &bytes).unwrap();
        let result = std::panic::catch_unwind(|| {
            assert_answers_right_in_bounded_memory(&env, &right, what);
        });
        if let Err(e) = result {
            let said = e
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| "?".into());
            failures.push(said);
        }
        let run = env.run(&["verify"]);
        if !((run.code == 0 || run.code == 5) && !run.stderr.contains("panicked")) {
            failures.push(format!("{what}: verify exit {}\n{}", run.code, run.stderr));
        }
        let again = env.run(&["verify"]);
        if again.code != 0 {
            failures.push(format!(
                "{what}: verify after verify exit {}\n{}",
                again.code, again.stderr
            ));
        }
        fs::write(&path, &whole).unwrap();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}

/// Forged pages of the directory, every checksum recomputed: whatever a reader makes of
/// them, every answer is a fold's, in bounded memory, without a panic; `verify` exits 0 or
/// names the damage (5), and after it exits 0.
#[test]
fn forged_pages_of_the_directory_give_no_wrong_answer() {
    forged_pages(vec![
        (
            "a page claiming one section fewer than it lists",
            Box::new(|_, l| l[0].4 -= 1),
        ),
        (
            "a page claiming one section more than it lists",
            Box::new(|_, l| l[1].4 += 1),
        ),
        (
            "a page whose bytes the head misstates",
            Box::new(|_, l| l[0].5 += 1),
        ),
        (
            "a page listed twice",
            Box::new(|p, l| {
                p.insert(1, p[0].clone());
                l.insert(1, l[0].clone());
            }),
        ),
        (
            "a page left out",
            Box::new(|p, l| {
                p.remove(1);
                l.remove(1);
            }),
        ),
        (
            "a page of 0 sections",
            Box::new(|p, l| {
                let mut empty = l[1].clone();
                empty.0.push('\u{0}');
                empty.4 = 0;
                empty.5 = 0;
                l.insert(2, empty);
                p.insert(2, Vec::new());
            }),
        ),
        (
            "a page whose names are out of order",
            Box::new(|p, _| {
                let page = &mut p[0];
                let a = entry_len(page, 0);
                let b = entry_len(page, a);
                let second = page[a..a + b].to_vec();
                let first = page[..a].to_vec();
                page.splice(0..a + b, second.into_iter().chain(first));
            }),
        ),
        (
            "a page listing the next page's first section too",
            Box::new(|p, l| {
                let first_of_next = p[1][..entry_len(&p[1], 0)].to_vec();
                p[0].extend_from_slice(&first_of_next);
                l[0].4 += 1;
                let n = first_of_next.len();
                l[0].5 += u64::from_le_bytes(first_of_next[n - 40..n - 32].try_into().unwrap());
            }),
        ),
        (
            "a page whose first name is not the one the head gives",
            Box::new(|_, l| l[1].0.push('~')),
        ),
        (
            "a page pointing past itself",
            Box::new(|_, l| l[0].1 = u64::MAX - 8),
        ),
        (
            "a page whose sections' bytes sum past u64::MAX",
            Box::new(|_, l| l[2].5 = u64::MAX),
        ),
    ]);
}

/// A page's section count is a u32 from the file: a reader must not reserve room for what it
/// claims before the page's bytes show the sections are there.
#[test]
fn a_page_claiming_2_pow_32_sections_costs_no_memory() {
    forged_pages(vec![(
        "a page claiming 2^32-1 sections",
        Box::new(|_, l| l.iter_mut().for_each(|l| l.4 = u32::MAX)),
    )]);
}

/// The same, at a count whose room (about 5 GiB) a capped address space refuses.
#[test]
fn a_page_claiming_2_pow_26_sections_costs_no_memory() {
    forged_pages(vec![(
        "a page claiming 2^26 sections",
        Box::new(|_, l| l.iter_mut().for_each(|l| l.4 = 1 << 26)),
    )]);
}

// ---- 9. States and their names after writes on a slice ----

/// What `args` says on `ledger`: exit code, stdout, stderr (a panic is never an answer).
fn said(env: &TestEnv, ledger: &Path, args: &[&str]) -> (i32, String, String) {
    let run = env.run_on(ledger, args);
    assert!(!run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
    (run.code, run.stdout, run.stderr)
}

/// After States join under names other States have, withdraw, and join again under their old
/// name or a new one (each write on its own, as `import` makes it: on a slice where it can
/// be), `history --state` and `state` by code, by name, in other case and by near names say
/// what a fold from the journal says (the snapshot removed), word for word.
#[test]
fn states_named_after_slice_writes_answer_as_a_fold_does() {
    let env = TestEnv::new();
    env.import(SMALL);
    let join = |code: &str, name: &str, on: &str| {
        format!(r#"{{"kind":"state_joined","state":"{code}","name":"{name}","effective":"{on}"}}"#)
    };
    let withdraw = |code: &str, on: &str| {
        format!(r#"{{"kind":"state_withdrew","state":"{code}","effective":"{on}"}}"#)
    };
    let writes = [
        join("ZZB", "Norway", "2013-01-01"),
        join("ZZC", "nor", "2013-01-01"),
        join("ZYA", "Ayland", "2013-01-01"),
        withdraw("ZYA", "2013-02-01"),
        join("ZYB", "Ayland", "2013-03-01"),
        join("ZYA", "Ayland", "2013-04-01"),
        join("ZYC", "Ceeland", "2013-04-01"),
        withdraw("ZYC", "2013-05-01"),
        join("ZYC", "New Ceeland", "2013-06-01"),
        join("ZYD", "Ceeland", "2013-06-02"),
    ];
    let queries: Vec<Vec<&str>> = [
        "Norway",
        "norway",
        "NOR",
        "nor",
        "Norwa",
        "ZZB",
        "zzb",
        "ZZC",
        "Ayland",
        "ayland",
        "ZYA",
        "ZYB",
        "Aylan",
        "Ceeland",
        "New Ceeland",
        "new ceeland",
        "ZYC",
        "ZYD",
        "Ceelan",
    ]
    .iter()
    .map(|q| vec!["history", "--state", q])
    .chain([
        vec!["state", "--on", "2013-04-15", "--json"],
        vec!["state", "--on", "2013-07-01", "--json"],
        vec!["check"],
    ])
    .collect();
    let mut differ = Vec::new();
    for (k, line) in writes.iter().enumerate() {
        let file = env.file(&format!("w{k}.jsonl"), &format!("{line}\n"));
        env.run(&["import", file.to_str().unwrap()]).ok();
        let copy = env.dir.path().join(format!("fold-{k}"));
        copy_dir(&env.ledger(), &copy);
        for q in &queries {
            let got = said(&env, &env.ledger(), q);
            let want = said(&env, &copy, q);
            if got != want {
                differ.push(format!(
                    "after {line}: {q:?}\n{got:?}\ninstead of\n{want:?}"
                ));
            }
        }
        fs::remove_dir_all(&copy).unwrap();
    }
    assert!(differ.is_empty(), "{}", differ.join("\n---\n"));
    env.run(&["verify"]).ok();
}

// ---- 10. compaction with a rotten section ----

/// 40 writes of institutions (coded `prefix` and a number) to the ledger whose snapshot is
/// `path`: each one after which the file's dead bytes outweighed its live ones.
fn writes_past_twice_the_live_bytes(env: &TestEnv, path: &Path, prefix: &str) -> Vec<String> {
    let mut worst = Vec::new();
    for k in 0..40 {
        record(env, &format!("{prefix}{k:02}"));
        let (live, now) = live_and_size(path);
        let dead = now - REGION - live;
        if dead > live {
            worst.push(format!("write {k}: {dead} dead bytes, {live} live"));
        }
    }
    worst
}

/// A rotten section no write touches (a body's, under writes of institutions): compaction
/// copies live sections, checking each, and will not carry a rotten one over. Whatever it
/// does then, the file must not grow without end: dead bytes stay within live ones (as
/// `many_writes_compact_the_snapshot_and_keep_it_below_twice_its_live_bytes` promises), and
/// every answer stays a fold's.
#[test]
fn a_rotten_section_no_write_touches_does_not_stop_compaction() {
    let env = TestEnv::new();
    let (path, _, _) = with_a_rotten_byte_in_a_body_section(&env);
    let worst = writes_past_twice_the_live_bytes(&env, &path, "RC");
    assert_answers_right(&env, &folded(&env), "after the writes");
    assert!(
        worst.is_empty(),
        "the snapshot grew past twice its live bytes:\n{}",
        worst.join("\n")
    );
}

/// A writer under a page claiming 2^32-1 sections: derived damage must never refuse a good
/// write (it folds from the journal instead), so the write is accepted (exit 0) and in the log.
#[test]
fn a_writer_under_a_page_claiming_2_pow_32_sections_acknowledges_its_write() {
    let env = TestEnv::new();
    env.import(SMALL);
    let path = snapshot_path(&env.ledger());
    let mut bytes = fs::read(&path).unwrap();
    let (_, _, head) = current(&bytes);
    append_head_tweaked(&mut bytes, &head, |_, l| {
        l.iter_mut().for_each(|l| l.4 = u32::MAX)
    });
    fs::write(&path, &bytes).unwrap();
    let file = env.file("w.jsonl", &institution("HUGE"));
    let run = env.run(&["import", file.to_str().unwrap()]);
    let journal = fs::read(env.ledger().join("journal")).unwrap();
    let appended = journal.windows(4).any(|w| w == b"HUGE");
    assert_eq!(
        run.code,
        0,
        "the write was {} the journal\n{}",
        if appended { "appended to" } else { "not in" },
        run.stderr
    );
    fs::remove_file(&path).unwrap();
    let log = env.run(&["log", "--json"]).ok();
    assert!(log.stdout.contains("HUGE"), "the write is in the log");
}

/// A rotten page of the directory, then writes: whether or not a write needs the page, the
/// snapshot keeps up with the journal (the head's entries are the journal's after each write:
/// else every reader folds the entries after it, more with each write) and its dead bytes stay
/// within its live ones.
#[test]
fn a_rotten_page_of_the_directory_does_not_leave_the_snapshot_behind_for_good() {
    let env = TestEnv::new();
    env.import(SMALL);
    let path = snapshot_path(&env.ledger());
    let mut bytes = fs::read(&path).unwrap();
    let (_, _, head) = current(&bytes);
    // The page that lists the body's section: institutions' writes do not touch it.
    let body = head
        .sections
        .iter()
        .position(|s| s.name == "body/wg-universalization")
        .unwrap();
    let (offset, length) = head.pages[body / PAGE];
    bytes[(offset + length / 2) as usize] ^= 0x01;
    fs::write(&path, &bytes).unwrap();
    let mut behind = Vec::new();
    for k in 0..12 {
        record(&env, &format!("RP{k:02}"));
        let now = fs::read(&path).unwrap();
        let (_, _, head) = current(&now);
        let journal = entries_in_journal(&env);
        let (live, size) = live_and_size(&path);
        if head.entries != journal || size - REGION - live > live {
            behind.push(format!(
                "write {k}: snapshot at entry {} of {journal}, {} dead bytes, {live} live",
                head.entries,
                size - REGION - live
            ));
        }
    }
    assert_answers_right(&env, &folded(&env), "after the writes");
    assert!(behind.is_empty(), "{}", behind.join("\n"));
}

// ---- 11. a page's claimed bytes, kept by writers that do not read the page ----

/// The snapshot with the page that lists `body/wg-universalization` (a page institutions'
/// writes do not touch) claiming `bytes` section bytes: a forgery every checksum agrees with.
fn with_a_page_claiming_bytes(env: &TestEnv, bytes: impl Fn(u64) -> u64) -> PathBuf {
    env.import(SMALL);
    let path = snapshot_path(&env.ledger());
    let mut file = fs::read(&path).unwrap();
    let (_, _, head) = current(&file);
    let body = head
        .sections
        .iter()
        .position(|s| s.name == "body/wg-universalization")
        .unwrap();
    append_head_tweaked(&mut file, &head, |_, l| {
        let page = &mut l[body / PAGE];
        page.5 = bytes(page.5);
    });
    fs::write(&path, &file).unwrap();
    path
}

/// A page claiming 2^40 section bytes more than it lists (readers pass it over: its bytes do
/// not add up), then writes that do not read it: the file's dead bytes stay within its live
/// ones (`update` judges compaction by what the pages claim).
#[test]
fn a_page_claiming_more_bytes_than_it_lists_does_not_stop_compaction() {
    let env = TestEnv::new();
    let path = with_a_page_claiming_bytes(&env, |b| b + (1 << 40));
    let worst = writes_past_twice_the_live_bytes(&env, &path, "PB");
    assert_answers_right(&env, &folded(&env), "after the writes");
    assert!(worst.is_empty(), "{}", worst.join("\n"));
}

/// A page claiming u64::MAX section bytes: a write that does not read it is still
/// acknowledged (exit 0, no panic), and answers stay a fold's.
#[test]
fn a_page_claiming_u64_max_bytes_does_not_fail_a_write() {
    let env = TestEnv::new();
    with_a_page_claiming_bytes(&env, |_| u64::MAX);
    for k in 0..3 {
        let file = env.file(&format!("pm{k}.jsonl"), &institution(&format!("PM{k}")));
        let run = env.run(&["import", file.to_str().unwrap()]);
        let logged = env
            .run(&["log", "--json"])
            .ok()
            .stdout
            .contains(&format!("PM{k}"));
        assert!(
            run.code == 0 && !run.stderr.contains("panicked"),
            "write {k}: exit {} (the entry {} in the log)\n{}",
            run.code,
            if logged { "is" } else { "is not" },
            run.stderr
        );
    }
    assert_answers_right(&env, &folded(&env), "after the writes");
}
