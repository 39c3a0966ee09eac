//! Proofs for outsiders (issue 7): keys, signed checkpoints, Merkle proofs, and verification
//! of an export without the ledger.

use std::path::{Path, PathBuf};

use crate::support::*;

/// A key pair made by `keygen NAME` in the test's directory: (signer, verifier) paths.
fn keygen(env: &TestEnv, name: &str) -> (PathBuf, PathBuf) {
    env.run(&["keygen", name]).ok();
    let dir = env.dir.path();
    (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.pub")),
    )
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// `verify --bundle BUNDLE --checkpoint CHECKPOINT --key KEY`: what an outsider runs.
fn verify_bundle(env: &TestEnv, bundle: &Path, checkpoint: &Path, key: &Path) -> Run {
    env.run(&[
        "verify",
        "--bundle",
        s(bundle),
        "--checkpoint",
        s(checkpoint),
        "--key",
        s(key),
    ])
}

/// The first `n` lines of SMALL.
fn small(n: usize) -> String {
    SMALL.lines().take(n).map(|l| format!("{l}\n")).collect()
}

/// A ledger at `ledger` with the origin `ccm-ledger/test`, holding `lines`.
fn ledger_of(env: &TestEnv, ledger: &Path, lines: &str) {
    env.run_on(ledger, &["init", "--origin", "test"]).ok();
    let file = env.file("lines.jsonl", lines);
    env.run_on(ledger, &["import", s(&file)]).ok();
}

/// Signs a checkpoint of `ledger`'s head with `key` into the file `name`.
fn checkpoint(env: &TestEnv, ledger: &Path, key: &Path, name: &str) -> PathBuf {
    let note = env.run_on(ledger, &["checkpoint", "--key", s(key)]).ok();
    env.file(name, &note.stdout)
}

fn prove(env: &TestEnv, ledger: &Path, args: &[&str], name: &str) -> PathBuf {
    let mut all = vec!["prove"];
    all.extend_from_slice(args);
    let proof = env.run_on(ledger, &all).ok();
    env.file(name, &proof.stdout)
}

#[test]
fn keygen_writes_a_secret_key_readable_only_by_its_owner_and_never_overwrites() {
    let env = TestEnv::new();
    let (key, public) = keygen(&env, "isu");
    let secret = std::fs::read_to_string(&key).unwrap();
    assert!(
        secret.starts_with("PRIVATE+KEY+ccm-ledger/isu+"),
        "{secret}"
    );
    assert!(std::fs::read_to_string(&public)
        .unwrap()
        .starts_with("ccm-ledger/isu+"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let run = env.run(&["keygen", "isu"]).fails_with(1);
    assert!(run.stderr.contains("never overwritten"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&key).unwrap(), secret);
}

#[test]
fn an_export_verifies_against_its_signed_checkpoint_without_the_ledger() {
    let env = TestEnv::new();
    let (key, public) = keygen(&env, "test");
    let ledger = env.ledger();
    ledger_of(&env, &ledger, SMALL);
    let cp = checkpoint(&env, &ledger, &key, "cp");
    env.run(&["export", "--out", "export.jsonl"]).ok();
    let bundle = env.dir.path().join("export.jsonl");
    // No ledger at all: the verifier has the export, the checkpoint and the public key.
    std::fs::remove_dir_all(&ledger).unwrap();

    let run = verify_bundle(&env, &bundle, &cp, &public).ok();
    assert!(
        run.stdout.contains("ok: bundle of 10 entries")
            && run
                .stdout
                .contains("matches the checkpoint of ccm-ledger/test at size 10"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_tampered_export_line_fails_naming_its_entry_and_line() {
    let env = TestEnv::new();
    let (key, public) = keygen(&env, "test");
    let ledger = env.ledger();
    ledger_of(&env, &ledger, SMALL);
    let cp = checkpoint(&env, &ledger, &key, "cp");
    let export = env.run(&["export"]).ok().stdout;
    let tampered = export.replacen("Beirut", "Beirun", 1);
    assert_ne!(tampered, export);
    let bundle = env.file("tampered.jsonl", &tampered);

    let args = [
        "verify",
        "--bundle",
        s(&bundle),
        "--checkpoint",
        s(&cp),
        "--key",
        s(&public),
    ];
    let run = env.run(&args).fails_with(3);
    assert!(run.stderr.contains(":5: entry 4:"), "{}", run.stderr);
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let json = env.run(&json_args).fails_with(3).json();
    assert_eq!(
        (json["seq"].as_u64(), json["line"].as_u64()),
        (Some(4), Some(5))
    );

    // A forger who recomputes every exported hash is caught by the signed root.
    let forged = rehash(&env, &tampered);
    let bundle = env.file("forged.jsonl", &forged);
    let run = verify_bundle(&env, &bundle, &cp, &public).fails_with(3);
    assert!(
        run.stderr.contains("differs from what was signed"),
        "{}",
        run.stderr
    );
}

/// The export of a fresh ledger of `lines`' events with their recorded_at and recorded_by:
/// the same lines with every seq and hash recomputed, as a careful forger would.
fn rehash(env: &TestEnv, lines: &str) -> String {
    let stripped: String = lines
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            let o = v.as_object_mut().unwrap();
            o.remove("seq");
            o.remove("hash");
            format!("{v}\n")
        })
        .collect();
    let forger = env.dir.path().join("forger");
    let file = env.file("stripped.jsonl", &stripped);
    env.run_on(&forger, &["import", s(&file)]).ok();
    env.run_on(&forger, &["export"]).ok().stdout
}

#[test]
fn a_longer_export_extends_the_checkpoint_and_a_shorter_one_fails() {
    let env = TestEnv::new();
    let (key, public) = keygen(&env, "test");
    let ledger = env.ledger();
    ledger_of(&env, &ledger, &small(6));
    let cp = checkpoint(&env, &ledger, &key, "cp6");
    let rest = env.file(
        "rest.jsonl",
        &SMALL
            .lines()
            .skip(6)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    );
    env.run(&["import", s(&rest)]).ok();
    let export = env.run(&["export"]).ok().stdout;
    let bundle = env.file("all.jsonl", &export);
    let run = verify_bundle(&env, &bundle, &cp, &public).ok();
    assert!(
        run.stdout
            .contains("at size 6: entries 0–5 are covered by it")
            && run.stdout.contains("entries 6–9 are not covered by it"),
        "{}",
        run.stdout
    );
    // The ledger itself, too.
    env.run(&["verify", "--checkpoint", s(&cp), "--key", s(&public)])
        .ok();

    let short: String = export.lines().take(5).map(|l| format!("{l}\n")).collect();
    let bundle = env.file("short.jsonl", &short);
    let run = verify_bundle(&env, &bundle, &cp, &public).fails_with(3);
    assert!(run.stderr.contains("are missing"), "{}", run.stderr);
}

/// Two ledgers of the same origin and size whose entry 2 differs; each signed at size 3.
#[test]
fn a_rewritten_history_fails_consistency_with_the_older_checkpoint_and_an_append_passes() {
    let env = TestEnv::new();
    let (key, public) = keygen(&env, "test");
    let honest = env.dir.path().join("honest");
    ledger_of(&env, &honest, &small(3));
    let last_year = checkpoint(&env, &honest, &key, "last-year");

    // The honest ledger only appends.
    let more = env.file(
        "more.jsonl",
        &SMALL
            .lines()
            .skip(3)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    );
    env.run_on(&honest, &["import", s(&more)]).ok();
    let this_year = checkpoint(&env, &honest, &key, "this-year");
    let proof = prove(&env, &honest, &["--from", "3"], "honest.proof");
    let run = env
        .run(&[
            "verify-proof",
            "--proof",
            s(&proof),
            "--old-checkpoint",
            s(&last_year),
            "--checkpoint",
            s(&this_year),
            "--key",
            s(&public),
        ])
        .ok();
    assert!(
        run.stdout.contains("only appended to its 3 entries"),
        "{}",
        run.stdout
    );

    // The rewritten one: same first two entries, a different third (Côte d'Ivoire joins a
    // day later), then the same appends. Same size at the old checkpoint, same origin.
    let rewritten = env.dir.path().join("rewritten");
    let lines = small(3).replace("2012-09-01", "2012-09-02");
    ledger_of(&env, &rewritten, &lines);
    env.run_on(&rewritten, &["import", s(&more)]).ok();
    let rewritten_now = checkpoint(&env, &rewritten, &key, "rewritten-now");
    let proof = prove(&env, &rewritten, &["--from", "3"], "rewritten.proof");
    let run = env
        .run(&[
            "verify-proof",
            "--proof",
            s(&proof),
            "--old-checkpoint",
            s(&last_year),
            "--checkpoint",
            s(&rewritten_now),
            "--key",
            s(&public),
        ])
        .fails_with(3);
    assert!(
        run.stderr.contains("does not extend the older one"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_inclusion_proof_holds_for_its_checkpoint_only() {
    let env = TestEnv::new();
    let (key, public) = keygen(&env, "test");
    let ledger = env.ledger();
    ledger_of(&env, &ledger, SMALL);
    let cp = checkpoint(&env, &ledger, &key, "cp");
    let proof = prove(&env, &ledger, &["--seq", "4"], "p4");
    env.run(&[
        "verify-proof",
        "--proof",
        s(&proof),
        "--checkpoint",
        s(&cp),
        "--key",
        s(&public),
    ])
    .ok();
    // A proof in the tree of 9 is not one for the checkpoint of 10.
    let proof9 = prove(&env, &ledger, &["--seq", "4", "--size", "9"], "p4-9");
    env.run(&[
        "verify-proof",
        "--proof",
        s(&proof9),
        "--checkpoint",
        s(&cp),
        "--key",
        s(&public),
    ])
    .fails_with(3);
    // A checkpoint signed by another key is refused.
    let (_, other) = keygen(&env, "other");
    let run = env
        .run(&[
            "verify-proof",
            "--proof",
            s(&proof),
            "--checkpoint",
            s(&cp),
            "--key",
            s(&other),
        ])
        .fails_with(3);
    assert!(
        run.stderr.contains("no signature by the key"),
        "{}",
        run.stderr
    );
    // Out of range is a usage error.
    env.run(&["prove", "--seq", "10"]).fails_with(2);
}

#[test]
fn a_ledger_configured_to_sign_writes_a_checkpoint_after_every_append() {
    let env = TestEnv::new();
    let (key, public) = keygen(&env, "isu");
    env.run(&["init", "--origin", "isu", "--sign-with", s(&key)])
        .ok();
    let config = std::fs::read_to_string(env.ledger().join("config")).unwrap();
    assert!(config.contains("origin ccm-ledger/isu\n"), "{config}");
    env.import(&small(4));
    let cp = env.ledger().join("checkpoint");
    let note = std::fs::read_to_string(&cp).unwrap();
    assert!(note.starts_with("ccm-ledger/isu\n4\n"), "{note}");
    assert_eq!(env.run(&["checkpoint"]).ok().stdout, note);
    env.import(
        &SMALL
            .lines()
            .skip(4)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    );
    let cp = env.file("cp", &env.run(&["checkpoint"]).ok().stdout);
    env.run(&["verify", "--checkpoint", s(&cp), "--key", s(&public)])
        .ok();

    // Without the key, an append would leave the head unsigned: it is refused before
    // anything is written (issue 17), and says why.
    std::fs::remove_file(&key).unwrap();
    let more = env.file(
        "more.jsonl",
        r#"{"kind":"state_joined","state":"FRA","name":"France","effective":"2011-09-01"}"#,
    );
    let before = env.canonical_bytes();
    let run = env.run(&["import", s(&more)]).fails_with(1);
    assert!(
        run.stderr.contains("isu.key") && run.stderr.contains("nothing was appended"),
        "{}",
        run.stderr
    );
    assert_eq!(env.canonical_bytes(), before);
    assert!(env
        .run(&["checkpoint"])
        .ok()
        .stdout
        .starts_with("ccm-ledger/isu\n10\n"));
}

#[test]
fn proofs_are_the_same_after_the_derived_database_is_deleted() {
    let env = TestEnv::new();
    env.import(SMALL);
    let before = env.run(&["prove", "--seq", "3", "--size", "7"]).ok().stdout;
    let consistency = env.run(&["prove", "--from", "3"]).ok().stdout;
    std::fs::remove_dir_all(env.ledger().join("index.sled")).unwrap();
    assert_eq!(
        env.run(&["prove", "--seq", "3", "--size", "7"]).ok().stdout,
        before
    );
    assert_eq!(env.run(&["prove", "--from", "3"]).ok().stdout, consistency);
}

/// Pinned: the fixture imported with CCM_LEDGER_NOW=2026-01-01T00:00:00Z and
/// CCM_LEDGER_RECORDER=test (docs/FORMAT.md, "Vectors of the fixture").
const FIXTURE_HEAD: &str = "7d03b4da3381509475ce9e358099c5a19a7ca55497fe83d6d971598dfef2cab3";
const FIXTURE_ROOT: &str = "33c61957c10b74d63fcc579dc87c05bd6fe9d75baeaf15c3a794a7cf5f9aa512";
const FIXTURE_VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/fixture-merkle.json"
);

#[test]
fn the_roots_and_proofs_of_the_fixture_are_pinned() {
    let env = TestEnv::new();
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/ccm-machinery.jsonl");
    env.run(&["import", fixture]).ok();
    let verified = env.run(&["verify", "--json"]).ok().json();
    assert_eq!(verified["entries"], 199);
    assert_eq!(verified["head"], FIXTURE_HEAD);
    assert_eq!(verified["root"], FIXTURE_ROOT);

    // The root of the first 100 entries, from a ledger of them alone.
    let first: String = std::fs::read_to_string(fixture)
        .unwrap()
        .lines()
        .take(100)
        .map(|l| format!("{l}\n"))
        .collect();
    let file = env.file("first.jsonl", &first);
    let older = env.dir.path().join("older");
    env.run_on(&older, &["import", s(&file)]).ok();
    let root_100 = env.run_on(&older, &["verify", "--json"]).ok().json()["root"].clone();

    let computed = serde_json::json!({
        "about": "fixtures/ccm-machinery.jsonl imported with CCM_LEDGER_NOW=2026-01-01T00:00:00Z and CCM_LEDGER_RECORDER=test; see docs/FORMAT.md",
        "entries": 199,
        "head": FIXTURE_HEAD,
        "root": FIXTURE_ROOT,
        "root_100": root_100,
        "inclusion": serde_json::from_str::<serde_json::Value>(&env.run(&["prove", "--seq", "42"]).ok().stdout).unwrap(),
        "consistency": serde_json::from_str::<serde_json::Value>(&env.run(&["prove", "--from", "100"]).ok().stdout).unwrap(),
    });
    let text = serde_json::to_string_pretty(&computed).unwrap() + "\n";
    if std::env::var_os("CCM_LEDGER_BLESS").is_some() {
        std::fs::write(FIXTURE_VECTORS, &text).unwrap();
    }
    let pinned = std::fs::read_to_string(FIXTURE_VECTORS)
        .expect("tests/data/fixture-merkle.json is missing; CCM_LEDGER_BLESS=1 writes it");
    assert!(
        pinned == text,
        "the fixture's Merkle vectors changed:\n{text}"
    );

    // And they verify with the library's verifier from the file alone.
    let v: serde_json::Value = serde_json::from_str(&pinned).unwrap();
    let root = |k: &str| ccm_ledger::merkle::TreeHash::from_hex(v[k].as_str().unwrap()).unwrap();
    let inclusion = ccm_ledger::merkle::InclusionProof::parse(&v["inclusion"].to_string()).unwrap();
    assert_eq!(inclusion.verify(&root("root")), Ok(()));
    let consistency =
        ccm_ledger::merkle::ConsistencyProof::parse(&v["consistency"].to_string()).unwrap();
    assert_eq!(consistency.verify(&root("root_100"), &root("root")), Ok(()));
}
