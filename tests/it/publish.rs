//! Static publication (issue 19): `publish DIR` writes the C2SP tlog-tiles layout, and
//! `verify --published DIR|URL` checks all of it, from a directory or over HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use crate::support::*;
use crate::witness::{keygen, more_states, s, Witness};

/// `n` distinct three-letter State codes: AAA, AAB, …
fn codes(n: usize, first: usize) -> Vec<String> {
    (first..first + n)
        .map(|i| {
            let letter = |k: usize| (b'A' + (k % 26) as u8) as char;
            format!("{}{}{}", letter(i / 676), letter(i / 26), letter(i))
        })
        .collect()
}

fn states(n: usize, first: usize) -> String {
    let codes = codes(n, first);
    more_states(&codes.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A ledger that signs its checkpoint after every append, holding `n` entries.
fn signed_ledger(env: &TestEnv, n: usize) -> (PathBuf, PathBuf) {
    let (isu, isu_pub) = keygen(env, "test", false);
    env.run(&["init", "--origin", "test", "--sign-with", s(&isu)])
        .ok();
    env.import(&states(n, 0));
    (isu, isu_pub)
}

/// Without the `https` feature an https:// publication cannot be read: the error says so,
/// the hint what to do (issue 18, item 5: the advice was inside the library's message).
#[cfg(not(feature = "https"))]
#[test]
fn an_https_publication_without_tls_says_so_and_the_hint_says_how_to_get_it() {
    let env = TestEnv::new();
    let (_, isu_pub) = keygen(&env, "test", false);
    let run = verify_published(&env, "https://example.org/ccm/", &isu_pub, &[]).fails_with(1);
    let (error, hint) = run.stderr.split_once("\nhint: ").expect("a hint");
    assert!(error.contains("this build reads http:// only"), "{error}");
    assert!(!error.contains("--features"), "{error}");
    assert!(hint.contains("--features https"), "{hint}");
}

fn publish(env: &TestEnv, dir: &Path) -> Run {
    env.run(&["publish", s(dir)]).ok()
}

fn verify_published(env: &TestEnv, location: &str, key: &Path, more: &[&str]) -> Run {
    let mut args = vec!["verify", "--published", location, "--key", s(key)];
    args.extend_from_slice(more);
    env.run(&args)
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.push(path.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn publish_writes_the_tlog_tiles_layout_and_it_verifies() {
    let env = TestEnv::new();
    let (_, isu_pub) = signed_ledger(&env, 300);
    let dir = env.dir.path().join("public");
    let run = publish(&env, &dir);
    assert!(run.stdout.contains("at size 300"), "{}", run.stdout);
    // 300 entries: one full tile of 256 leaf hashes and a partial one of 44; level 1 holds the
    // root of the full tile; the entry bundles are laid out as level 0.
    assert_eq!(
        files(&dir),
        [
            "checkpoint",
            "popolo.json",
            "report.html",
            "terms.csv",
            "tile/0/000",
            "tile/0/001.p/44",
            "tile/1/000.p/1",
            "tile/entries/000",
            "tile/entries/001.p/44",
        ]
    );
    assert_eq!(std::fs::read(dir.join("tile/0/000")).unwrap().len(), 8192);
    assert_eq!(
        std::fs::read(dir.join("tile/0/001.p/44")).unwrap().len(),
        44 * 32
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("checkpoint")).unwrap(),
        env.run(&["checkpoint"]).ok().stdout
    );
    // An entry bundle is u16-length-prefixed export lines.
    let bundle = std::fs::read(dir.join("tile/entries/001.p/44")).unwrap();
    let len = u16::from_be_bytes([bundle[0], bundle[1]]) as usize;
    let first: serde_json::Value = serde_json::from_slice(&bundle[2..2 + len]).unwrap();
    assert_eq!(first["seq"], 256);
    assert_eq!(first["kind"], "state_joined");

    let run = verify_published(&env, s(&dir), &isu_pub, &[]).ok();
    assert!(
        run.stdout
            .contains("ok: the publication of ccm-ledger/test at size 300")
            && run.stdout.contains("3 tiles and 2 entry bundles checked"),
        "{}",
        run.stdout
    );
}

#[test]
fn one_changed_byte_in_any_tile_or_entry_bundle_fails_naming_it() {
    let env = TestEnv::new();
    let (_, isu_pub) = signed_ledger(&env, 300);
    let dir = env.dir.path().join("public");
    publish(&env, &dir);
    let tiles: Vec<String> = files(&dir)
        .into_iter()
        .filter(|f| f.starts_with("tile/"))
        .collect();
    assert_eq!(tiles.len(), 5);
    for tile in &tiles {
        let path = dir.join(tile);
        let original = std::fs::read(&path).unwrap();
        for at in [0, original.len() / 2, original.len() - 1] {
            let mut changed = original.clone();
            changed[at] ^= 0x01;
            std::fs::write(&path, &changed).unwrap();
            let run = verify_published(&env, s(&dir), &isu_pub, &[]).fails_with(3);
            assert!(
                run.stderr.contains(s(&path)),
                "byte {at} of {tile} changed; the error does not name it: {}",
                run.stderr
            );
        }
        std::fs::write(&path, &original).unwrap();
    }
    // A missing tile fails too, and names what is missing.
    std::fs::remove_file(dir.join("tile/1/000.p/1")).unwrap();
    let run = verify_published(&env, s(&dir), &isu_pub, &[]).fails_with(3);
    assert!(
        run.stderr.contains("tile/1/000.p/1: not found"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_second_publish_rewrites_no_full_tile() {
    let env = TestEnv::new();
    let (_, isu_pub) = signed_ledger(&env, 300);
    let dir = env.dir.path().join("public");
    publish(&env, &dir);
    let stamp = |f: &str| {
        let path = dir.join(f);
        (
            std::fs::read(&path).unwrap(),
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            std::fs::metadata(&path).unwrap().ino_or_zero(),
        )
    };
    let full = ["tile/0/000", "tile/entries/000"];
    let before: Vec<_> = full.iter().map(|f| stamp(f)).collect();
    let old_checkpoint = env.file(
        "old.checkpoint",
        &std::fs::read_to_string(dir.join("checkpoint")).unwrap(),
    );

    std::thread::sleep(std::time::Duration::from_millis(20));
    env.import(&states(300, 300));
    let run = publish(&env, &dir);
    assert!(
        run.stdout.contains("at size 600") && run.stdout.contains("2 full ones kept as they were"),
        "{}",
        run.stdout
    );
    let after: Vec<_> = full.iter().map(|f| stamp(f)).collect();
    assert_eq!(before, after, "a full tile was rewritten");
    let listed = files(&dir);
    for new in [
        "tile/0/001",
        "tile/0/002.p/88",
        "tile/1/000.p/2",
        "tile/entries/001",
        "tile/entries/002.p/88",
    ] {
        assert!(
            listed.contains(&new.to_owned()),
            "{new} missing from {listed:?}"
        );
    }
    verify_published(&env, s(&dir), &isu_pub, &["--since", s(&old_checkpoint)]).ok();

    // A publication of another history in the directory is never overwritten.
    let other = TestEnv::new();
    signed_ledger(&other, 5);
    let run = other.run(&["publish", s(&dir)]).fails_with(1);
    assert!(
        run.stderr.contains("publish into an empty directory"),
        "{}",
        run.stderr
    );
    assert_eq!(full.iter().map(|f| stamp(f)).collect::<Vec<_>>(), after);
}

trait Inode {
    fn ino_or_zero(&self) -> u64;
}

impl Inode for std::fs::Metadata {
    #[cfg(unix)]
    fn ino_or_zero(&self) -> u64 {
        std::os::unix::fs::MetadataExt::ino(self)
    }
    #[cfg(not(unix))]
    fn ino_or_zero(&self) -> u64 {
        0
    }
}

/// Serves the files of `dir` over HTTP/1.1 on 127.0.0.1 (an ephemeral port), one request per
/// connection, for at most `max` connections; returns the base URL. Loopback only; requests
/// larger than 8 KiB or naming `..` get 400.
fn serve(dir: PathBuf, max: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new((&stream).take(8192));
            let mut request = String::new();
            let _ = reader.read_line(&mut request);
            let mut header = String::new();
            while reader
                .read_line(&mut header)
                .map(|n| n > 2)
                .unwrap_or(false)
            {
                header.clear();
            }
            let path = request
                .split(' ')
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/');
            let (status, body) = if path.contains("..") {
                ("400 Bad Request", Vec::new())
            } else {
                match std::fs::read(dir.join(path)) {
                    Ok(bytes) if dir.join(path).is_file() => ("200 OK", bytes),
                    _ => ("404 Not Found", Vec::new()),
                }
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    format!("http://127.0.0.1:{port}/")
}

#[test]
fn a_publication_served_over_http_verifies_with_its_witnesses_and_keeps_the_entries() {
    let env = TestEnv::new();
    let (_, isu_pub) = signed_ledger(&env, 300);
    let w1 = Witness::new(&env, "example.org/w1");
    let w2 = Witness::new(&env, "example.org/w2");
    let cp = env.file("cp", &env.run(&["checkpoint"]).ok().stdout);
    let by1 = env.file("by1", &w1.cosign(&env, &isu_pub, &cp, None).ok().stdout);
    env.run(&["checkpoint", "--add-cosignatures", s(&by1)]).ok();
    let dir = env.dir.path().join("public");
    publish(&env, &dir);
    let url = serve(dir.clone(), 64);

    let out = env.dir.path().join("verified.jsonl");
    let run = verify_published(
        &env,
        &url,
        &isu_pub,
        &["--witness", s(&w1.public), "--out", s(&out)],
    )
    .ok();
    assert!(
        run.stdout
            .contains("ok: the publication of ccm-ledger/test at size 300")
            && run
                .stdout
                .contains("cosigned by 1 of 1 named witnesses (example.org/w1)"),
        "{}",
        run.stdout
    );
    // The verified entries are the ledger's export, byte for byte.
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        env.run(&["export"]).ok().stdout
    );

    // A witness that never cosigned: not verified, and nothing kept.
    std::fs::remove_file(&out).unwrap();
    let run = verify_published(
        &env,
        &url,
        &isu_pub,
        &[
            "--witness",
            s(&w1.public),
            "--witness",
            s(&w2.public),
            "--out",
            s(&out),
        ],
    )
    .fails_with(3);
    assert!(
        run.stderr.contains("example.org/w2 did not cosign it"),
        "{}",
        run.stderr
    );
    // Neither the file nor its temporary one (whatever its unique name) is left.
    let left: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("verified"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // A server that sends more than a tile can hold is cut off at the limit.
    std::fs::write(dir.join("tile/1/000.p/1"), vec![0u8; 8193]).unwrap();
    let run = verify_published(&env, &url, &isu_pub, &[]).fails_with(3);
    assert!(
        run.stderr
            .contains("tile/1/000.p/1: larger than 8192 bytes"),
        "{}",
        run.stderr
    );

    // Nothing at that address: a missing checkpoint, named.
    let run = verify_published(&env, &format!("{url}nothing/"), &isu_pub, &[]).fails_with(3);
    assert!(
        run.stderr.contains("nothing/checkpoint: not found"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_witness_cosigns_from_the_publication_alone_computing_its_own_proof() {
    let env = TestEnv::new();
    let (isu, isu_pub) = signed_ledger(&env, 300);
    let w = Witness::new(&env, "example.org/w1");
    let dir = env.dir.path().join("public");
    publish(&env, &dir);
    let witness = |dir: &Path| {
        env.run(&[
            "witness",
            "--state",
            s(&w.state),
            "--key",
            s(&w.key),
            "--log-key",
            s(&isu_pub),
            "--published",
            s(dir),
        ])
    };
    let first = witness(&dir).ok();
    assert!(first
        .stdout
        .starts_with(&std::fs::read_to_string(dir.join("checkpoint")).unwrap()));

    // The ISU appends and republishes: the witness proves the extension from the tiles.
    env.import(&states(300, 300));
    publish(&env, &dir);
    let run = witness(&dir).ok();
    assert!(
        run.stderr.contains("extends the cosigned size 300"),
        "{}",
        run.stderr
    );

    // Another history of 600 entries signed by the same key, published elsewhere: a fork.
    let other = env.dir.path().join("other-ledger");
    other_history(&env, &other, &isu);
    let forked = env.dir.path().join("forked");
    env.run_on(&other, &["publish", s(&forked)]).ok();
    let run = witness(&forked).fails_with(3);
    assert!(
        run.stderr.contains("a fork: ccm-ledger/test at size 600"),
        "{}",
        run.stderr
    );

    // A tampered publication is refused before anything is compared or kept.
    let tile = dir.join("tile/0/001");
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&tile, bytes).unwrap();
    let run = witness(&dir).fails_with(3);
    assert!(run.stderr.contains("tile/0/001"), "{}", run.stderr);
}

/// A ledger at `ledger` of origin `ccm-ledger/test` signed by `key`, 600 entries unlike
/// `signed_ledger`'s.
fn other_history(env: &TestEnv, ledger: &Path, key: &Path) {
    env.run_on(ledger, &["init", "--origin", "test", "--sign-with", s(key)])
        .ok();
    let file = env.file("other.jsonl", &states(600, 1000));
    env.run_on(ledger, &["import", s(&file)]).ok();
}
