//! Issue 17, item 6: a checkpoint carries the time it was signed, as the extension line
//! `time <POSIX seconds>` of its signed text (docs/FORMAT.md, "Checkpoints"). Every signing
//! path stamps it; `checkpoint`, `verify --checkpoint`, `verify-proof` and the report show it
//! (the signer's claim); old checkpoints without it still verify; an altered
//! or malformed time line fails verification, naming the line.

use std::path::{Path, PathBuf};

use crate::support::*;

/// `NOW` (2026-01-01T00:00:00Z) in POSIX seconds: the time line of a checkpoint signed in tests.
const NOW_LINE: &str = "\ntime 1767225600\n\n";

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A ledger that signs after every append (origin `ccm-ledger/isu`, keys `isu.key`, `isu.pub`),
/// holding SMALL's 10 entries: (env, signer key, verifier key).
fn signing() -> (TestEnv, PathBuf, PathBuf) {
    let env = TestEnv::new();
    env.run(&["keygen", "isu"]).ok();
    let key = env.dir.path().join("isu.key");
    env.run(&["init", "--origin", "isu", "--sign-with", s(&key)])
        .ok();
    env.import(SMALL);
    let public = env.dir.path().join("isu.pub");
    (env, key, public)
}

/// The ledger's kept checkpoint.
fn kept(env: &TestEnv) -> String {
    std::fs::read_to_string(env.ledger().join("checkpoint")).unwrap()
}

/// `verify --bundle` of the ledger's export against the checkpoint `note` (written to a file).
fn verify_bundle(env: &TestEnv, note: &str, public: &Path) -> Run {
    let export = env.file("ccm.jsonl", &env.run(&["export"]).ok().stdout);
    let checkpoint = env.file("given.checkpoint", note);
    env.run(&[
        "verify",
        "--bundle",
        s(&export),
        "--checkpoint",
        s(&checkpoint),
        "--key",
        s(public),
    ])
}

/// `verify-proof` of entry 4's inclusion against the checkpoint `note`.
fn verify_proof(env: &TestEnv, note: &str, public: &Path) -> Run {
    let proof = env.file(
        "entry.proof",
        &env.run(&["prove", "--seq", "4"]).ok().stdout,
    );
    let checkpoint = env.file("given.checkpoint", note);
    env.run(&[
        "verify-proof",
        "--proof",
        s(&proof),
        "--checkpoint",
        s(&checkpoint),
        "--key",
        s(public),
    ])
}

#[test]
fn every_signing_path_stamps_the_time_as_a_signed_line_after_the_root() {
    let (env, key, public) = signing();
    // After an append, on a ledger that signs.
    let after_append = kept(&env);
    assert!(
        after_append.starts_with("ccm-ledger/isu\n10\n") && after_append.contains(NOW_LINE),
        "{after_append}"
    );
    assert_eq!(after_append.lines().nth(3), Some("time 1767225600"));
    verify_bundle(&env, &after_append, &public).ok();
    verify_proof(&env, &after_append, &public).ok();

    // `checkpoint --key`, at another time: the line is the clock's.
    let later = env
        .run(&[
            "--recorded-at",
            "2026-03-01T12:00:00Z",
            "checkpoint",
            "--key",
            s(&key),
        ])
        .ok();
    assert_eq!(later.stdout.lines().nth(3), Some("time 1772366400"));
    assert!(
        later.stderr.contains("signed at 2026-03-01T12:00:00Z"),
        "{}",
        later.stderr
    );
    assert_eq!(kept(&env), later.stdout, "kept as the ledger's latest");

    // `publish --key`.
    let public_dir = env.dir.path().join("public");
    env.run(&[
        "--recorded-at",
        "2026-04-01T00:00:00Z",
        "publish",
        s(&public_dir),
        "--key",
        s(&key),
    ])
    .ok();
    let published = std::fs::read_to_string(public_dir.join("checkpoint")).unwrap();
    assert_eq!(published.lines().nth(3), Some("time 1775001600"));
    let verified = env
        .run(&["verify", "--published", s(&public_dir), "--key", s(&public)])
        .ok();
    assert!(
        verified
            .stdout
            .contains("the checkpoint was signed at 2026-04-01T00:00:00Z"),
        "{}",
        verified.stdout
    );
}

#[test]
fn checkpoint_shows_when_it_was_signed_as_text_and_json() {
    let (env, _key, _public) = signing();
    let text = env.run(&["checkpoint"]).ok();
    assert_eq!(text.stdout, kept(&env), "stdout is the note, to hand out");
    assert!(
        text.stderr
            .contains("signed at 2026-01-01T00:00:00Z; it covers all the ledger's 10 entries"),
        "{}",
        text.stderr
    );
    let json = env.run(&["--json", "checkpoint"]).ok().json();
    assert_eq!(json["checkpoint"], kept(&env));
    assert_eq!(json["origin"], "ccm-ledger/isu");
    assert_eq!(json["signed_at"], "2026-01-01T00:00:00Z");
    assert_eq!(json["size"], 10);
    assert_eq!(json["entries"], 10);
    assert_eq!(json["not_covered"], 0);
}

#[test]
fn a_stale_checkpoint_says_when_it_was_signed_and_how_far_behind_the_head_it_is() {
    let env = TestEnv::new();
    env.import(SMALL);
    env.run(&["keygen", "ledger"]).ok();
    env.run(&["checkpoint", "--key", "ledger.key"]).ok();
    let more = env.file(
        "more.jsonl",
        r#"{"kind":"state_joined","state":"FRA","name":"France","effective":"2010-08-01"}
{"kind":"state_joined","state":"DEU","name":"Germany","effective":"2010-08-01"}
"#,
    );
    env.run(&["--recorded-at", "2026-02-01T00:00:00Z", "import", s(&more)])
        .ok();
    let stale = env.run(&["checkpoint"]).ok();
    assert!(
        stale.stderr.contains(
            "older than the head: signed at 2026-01-01T00:00:00Z, it covers the first 10 entries of the ledger's 12, 2 entries before the head"
        ),
        "{}",
        stale.stderr
    );
    let json = env.run(&["--json", "checkpoint"]).ok().json();
    assert_eq!(
        (json["size"].as_u64(), json["entries"].as_u64()),
        (Some(10), Some(12))
    );
    assert_eq!(json["not_covered"], 2);
    assert_eq!(json["signed_at"], "2026-01-01T00:00:00Z");
}

/// The ledger's checkpoint of its 10 entries as a ccm-ledger from before the time line signed
/// it: three lines, signed with `key`.
fn untimed_checkpoint(env: &TestEnv, key: &Path) -> String {
    use ccm_ledger::merkle::{sign, Checkpoint, SignerKey, TreeHash};
    let root = env.run(&["verify", "--json"]).ok().json()["root"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = SignerKey::parse(&std::fs::read_to_string(key).unwrap()).unwrap();
    let checkpoint = Checkpoint {
        origin: "ccm-ledger/isu".into(),
        size: 10,
        root: TreeHash::from_hex(&root).unwrap(),
        signed_at: None,
    };
    sign(&checkpoint, &key).unwrap()
}

#[test]
fn a_checkpoint_from_before_the_time_line_still_verifies_and_its_time_is_not_recorded() {
    let (env, key, public) = signing();
    let old = untimed_checkpoint(&env, &key);
    assert_eq!(old.lines().count(), 5, "{old}");
    verify_bundle(&env, &old, &public).ok();
    verify_proof(&env, &old, &public).ok();

    // Kept as the ledger's latest (a ledger signed by an older ccm-ledger).
    std::fs::write(env.ledger().join("checkpoint"), &old).unwrap();
    let shown = env.run(&["checkpoint"]).ok();
    assert_eq!(shown.stdout, old);
    assert!(
        shown.stderr.contains("signed at: not recorded"),
        "{}",
        shown.stderr
    );
    let json = env.run(&["--json", "checkpoint"]).ok().json();
    assert_eq!(json["signed_at"], serde_json::Value::Null);
    assert_eq!(json["size"], 10);
}

#[test]
fn an_altered_time_line_breaks_the_signature_and_verification_fails_with_exit_3() {
    let (env, _key, public) = signing();
    let note = kept(&env);
    for forged in [
        note.replace("time 1767225600", "time 1767225601"),
        note.replace("time 1767225600", "time 1609459200"),
        note.replace("time 1767225600\n", ""),
    ] {
        assert_ne!(forged, note);
        for run in [
            verify_bundle(&env, &forged, &public),
            verify_proof(&env, &forged, &public),
        ] {
            let run = run.fails_with(3);
            assert!(
                run.stderr.contains("does not verify") && run.stderr.contains("ccm-ledger/isu"),
                "{}",
                run.stderr
            );
        }
    }
}

/// A checkpoint of the ledger's head whose fourth line is `line`, properly signed with `key`:
/// what a key holder (or a bug) could write, which signature checking alone lets through.
fn signed_with_line(env: &TestEnv, key: &Path, line: &str) -> String {
    use ccm_ledger::merkle::{sign_note, SignerKey};
    let old = untimed_checkpoint(env, key);
    let text = &old[..old.find("\n\n").unwrap() + 1];
    let key = SignerKey::parse(&std::fs::read_to_string(key).unwrap()).unwrap();
    sign_note(&format!("{text}{line}\n"), &key).unwrap()
}

#[test]
fn a_malformed_time_line_is_refused_naming_the_line() {
    let (env, key, public) = signing();
    for (line, why) in [
        ("time yesterday", "is not a decimal number of seconds"),
        ("time 01767225600", "has leading zeros"),
        (
            "time 99999999999999999999999999999",
            "later than 2999-12-31T23:59:59Z",
        ),
        (
            "Timestamp: 1767225600000000000",
            "an extension line ccm-ledger does not read",
        ),
    ] {
        let note = signed_with_line(&env, &key, line);
        for run in [
            verify_bundle(&env, &note, &public),
            verify_proof(&env, &note, &public),
        ] {
            let run = run.fails_with(3);
            assert!(
                run.stderr.contains("line 4") && run.stderr.contains(why),
                "{line}: {}",
                run.stderr
            );
        }
    }
    // A bounded message for an unbounded line.
    let huge = signed_with_line(&env, &key, &format!("time {}", "9".repeat(100_000)));
    let run = verify_bundle(&env, &huge, &public).fails_with(3);
    assert!(run.stderr.len() < 1000, "{}", run.stderr);

    // The ledger's own checkpoint file, altered so: `checkpoint` refuses to print it as is.
    let note = signed_with_line(&env, &key, "time yesterday");
    std::fs::write(env.ledger().join("checkpoint"), &note).unwrap();
    let run = env.run(&["checkpoint"]).fails_with(3);
    assert!(
        run.stderr.contains("line 4") && run.stderr.contains("checkpoint"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_clock_that_went_back_is_said_and_the_time_is_signed_as_it_reads() {
    let (env, key, public) = signing();
    let run = env
        .run(&[
            "--recorded-at",
            "2025-06-01T00:00:00Z",
            "checkpoint",
            "--key",
            s(&key),
        ])
        .ok();
    assert!(
        run.stderr
            .contains("earlier than the ledger's previous one (2026-01-01T00:00:00Z)")
            && run.stderr.contains("clock went back"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout.lines().nth(3), Some("time 1748736000"));
    verify_bundle(&env, &run.stdout, &public).ok();

    // An append on a signing ledger whose clock reads earlier than the checkpoint kept (but
    // not than the last record time, which never goes back): durable, signed, and said.
    env.run(&[
        "--recorded-at",
        "2026-03-01T00:00:00Z",
        "checkpoint",
        "--key",
        s(&key),
    ])
    .ok();
    let line = env.file(
        "fra.jsonl",
        r#"{"kind":"state_joined","state":"FRA","name":"France","effective":"2010-08-01"}"#,
    );
    let run = env
        .run(&["--recorded-at", "2026-02-01T00:00:00Z", "import", s(&line)])
        .ok();
    assert!(
        run.stderr.contains("clock went back") && run.stderr.contains("2026-03-01T00:00:00Z"),
        "{}",
        run.stderr
    );
    assert_eq!(kept(&env).lines().nth(3), Some("time 1769904000"));
    assert!(kept(&env).starts_with("ccm-ledger/isu\n11\n"));
}

#[test]
fn a_witness_cosigns_the_time_line_with_the_rest_and_refuses_it_altered() {
    let (env, key, public) = signing();
    env.run(&["keygen", "example.org/w1", "--witness"]).ok();
    let state = env.dir.path().join("w1-state");
    let cosign = |note: &str| {
        let checkpoint = env.file("offered.checkpoint", note);
        env.run(&[
            "witness",
            "--state",
            s(&state),
            "--key",
            "example.org_w1.key",
            "--log-key",
            s(&public),
            "--checkpoint",
            s(&checkpoint),
        ])
    };
    let note = kept(&env);
    let cosigned = cosign(&note).ok().stdout;
    assert!(cosigned.starts_with(&note), "{cosigned}");
    // Altered there, the cosigned note fails (the log's signature; the witness's covers the
    // line too: merkle::tests::cosignature::a_cosignature_covers_the_logs_time_line).
    let verify_witnessed = |text: &str| {
        let export = env.file("ccm.jsonl", &env.run(&["export"]).ok().stdout);
        let checkpoint = env.file("witnessed.checkpoint", text);
        env.run(&[
            "verify",
            "--bundle",
            s(&export),
            "--checkpoint",
            s(&checkpoint),
            "--key",
            s(&public),
            "--witness",
            "example.org_w1.pub",
        ])
    };
    verify_witnessed(&cosigned).ok();
    verify_witnessed(&cosigned.replace("time 1767225600", "time 1767225601")).fails_with(3);

    // An offer whose time line was altered is not the log's: refused, nothing kept.
    let latest = state.join("ccm-ledger_2fisu").join("latest");
    let before = std::fs::read(&latest).unwrap();
    let run = cosign(&note.replace("time 1767225600", "time 1767225601")).fails_with(3);
    assert!(run.stderr.contains("does not verify"), "{}", run.stderr);
    assert_eq!(std::fs::read(&latest).unwrap(), before);

    // The same tree signed again later is another text, and the witness cosigns it again: it
    // makes no statement about the log's clock.
    let later = env
        .run(&[
            "--recorded-at",
            "2026-05-01T00:00:00Z",
            "checkpoint",
            "--key",
            s(&key),
        ])
        .ok()
        .stdout;
    assert_ne!(later, note);
    let again = cosign(&later).ok().stdout;
    assert!(again.starts_with(&later), "{again}");
}

/// What every command that shows a checkpoint says of its time: the signer's claim.
const CLAIM: &str = "by the signer's clock: the key holder's claim, not evidence";

#[test]
fn verify_bundle_and_verify_proof_show_when_the_checkpoint_was_signed_as_the_signers_claim() {
    let (env, _key, public) = signing();
    let note = kept(&env);
    for run in [
        verify_bundle(&env, &note, &public),
        verify_proof(&env, &note, &public),
    ] {
        let run = run.ok();
        assert!(
            run.stdout
                .contains("the checkpoint was signed at 2026-01-01T00:00:00Z")
                && run.stdout.contains(CLAIM),
            "{}",
            run.stdout
        );
    }
    let export = env.file("ccm.jsonl", &env.run(&["export"]).ok().stdout);
    let given = env.file("given.checkpoint", &note);
    let bundle = env
        .run(&[
            "--json",
            "verify",
            "--bundle",
            s(&export),
            "--checkpoint",
            s(&given),
            "--key",
            s(&public),
        ])
        .ok()
        .json();
    assert_eq!(bundle["checkpoint"]["signed_at"], "2026-01-01T00:00:00Z");
    // The ledger checked against a checkpoint handed to it says the same.
    let ledger = env
        .run(&[
            "--json",
            "verify",
            "--checkpoint",
            s(&given),
            "--key",
            s(&public),
        ])
        .ok()
        .json();
    assert_eq!(ledger["checkpoint"]["signed_at"], "2026-01-01T00:00:00Z");
    let proof = env.file(
        "entry.proof",
        &env.run(&["prove", "--seq", "4"]).ok().stdout,
    );
    let proved = env
        .run(&[
            "--json",
            "verify-proof",
            "--proof",
            s(&proof),
            "--checkpoint",
            s(&given),
            "--key",
            s(&public),
        ])
        .ok()
        .json();
    assert_eq!(proved["signed_at"], "2026-01-01T00:00:00Z");
}

#[test]
fn a_consistency_proof_shows_when_each_checkpoint_was_signed() {
    let (env, _key, public) = signing();
    let old = env.file("old.checkpoint", &kept(&env));
    let more = env.file(
        "more.jsonl",
        r#"{"kind":"state_joined","state":"FRA","name":"France","effective":"2010-08-01"}"#,
    );
    env.run(&["--recorded-at", "2026-02-01T00:00:00Z", "import", s(&more)])
        .ok();
    let new = env.file("new.checkpoint", &kept(&env));
    let proof = env.file(
        "since.proof",
        &env.run(&["prove", "--from", "10"]).ok().stdout,
    );
    let args = [
        "verify-proof",
        "--proof",
        s(&proof),
        "--old-checkpoint",
        s(&old),
        "--checkpoint",
        s(&new),
        "--key",
        s(&public),
    ];
    let text = env.run(&args).ok().stdout;
    assert!(
        text.contains("the checkpoint was signed at 2026-02-01T00:00:00Z")
            && text.contains("the older checkpoint was signed at 2026-01-01T00:00:00Z")
            && text.contains(CLAIM),
        "{text}"
    );
    let json = env.run(&[&["--json"], &args[..]].concat()).ok().json();
    assert_eq!(json["signed_at"], "2026-02-01T00:00:00Z");
    assert_eq!(json["from_signed_at"], "2026-01-01T00:00:00Z");
}

#[test]
fn verify_and_verify_proof_say_an_old_checkpoints_time_is_not_recorded() {
    let (env, key, public) = signing();
    let old = untimed_checkpoint(&env, &key);
    for run in [
        verify_bundle(&env, &old, &public),
        verify_proof(&env, &old, &public),
    ] {
        let run = run.ok();
        assert!(
            run.stdout
                .contains("the checkpoint was signed at: not recorded"),
            "{}",
            run.stdout
        );
    }
    let given = env.file("old.checkpoint", &old);
    let json = env
        .run(&[
            "--json",
            "verify",
            "--checkpoint",
            s(&given),
            "--key",
            s(&public),
        ])
        .ok()
        .json();
    assert_eq!(json["checkpoint"]["signed_at"], serde_json::Value::Null);
}

#[test]
fn the_html_report_shows_when_the_ledgers_checkpoint_was_signed() {
    let (env, key, _public) = signing();
    let page = env.dir.path().join("ccm.html");
    env.run(&["report", "--html", s(&page)]).ok();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("It was signed at 2026-01-01T00:00:00Z") && html.contains(CLAIM),
        "{html}"
    );

    // A checkpoint kept from an older ccm-ledger.
    std::fs::write(
        env.ledger().join("checkpoint"),
        untimed_checkpoint(&env, &key),
    )
    .unwrap();
    env.run(&["report", "--html", s(&page)]).ok();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("It was signed at: not recorded"), "{html}");
}
