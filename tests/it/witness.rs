//! Witnesses (issue 19): a State cosigns the ISU's checkpoints only when each extends the last
//! one it cosigned, and verifiers count cosignatures (`--witness`, `--quorum`).

use std::path::{Path, PathBuf};

use crate::support::*;

pub fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// `keygen NAME [--witness]` in the test's directory: (signer, verifier) paths.
pub fn keygen(env: &TestEnv, name: &str, witness: bool) -> (PathBuf, PathBuf) {
    let mut args = vec!["keygen", name];
    if witness {
        args.push("--witness");
    }
    env.run(&args).ok();
    let stem = name.replace('/', "_");
    let dir = env.dir.path();
    (
        dir.join(format!("{stem}.key")),
        dir.join(format!("{stem}.pub")),
    )
}

/// Lines that extend SMALL: States joining, one a line.
pub fn more_states(codes: &[&str]) -> String {
    codes
        .iter()
        .map(|code| {
            format!(
                r#"{{"kind":"state_joined","state":"{code}","name":"State {code}","effective":"2015-01-01"}}"#
            ) + "\n"
        })
        .collect()
}

/// Appends `lines` to the ledger at `ledger` (made with the origin `ccm-ledger/test` if new).
pub fn append(env: &TestEnv, ledger: &Path, lines: &str) {
    if !ledger.join("journal").exists() {
        env.run_on(ledger, &["init", "--origin", "test"]).ok();
    }
    let file = env.file("lines.jsonl", lines);
    env.run_on(ledger, &["import", s(&file)]).ok();
}

/// A checkpoint of `ledger`'s head signed with `key`, in the file `name`.
pub fn checkpoint(env: &TestEnv, ledger: &Path, key: &Path, name: &str) -> PathBuf {
    let note = env.run_on(ledger, &["checkpoint", "--key", s(key)]).ok();
    env.file(name, &note.stdout)
}

/// The consistency proof of `ledger` from size `from` to its head, in the file `name`.
pub fn prove_from(env: &TestEnv, ledger: &Path, from: u64, name: &str) -> PathBuf {
    let proof = env
        .run_on(ledger, &["prove", "--from", &from.to_string()])
        .ok();
    env.file(name, &proof.stdout)
}

/// One witness: its keys and its state directory.
pub struct Witness {
    pub key: PathBuf,
    pub public: PathBuf,
    pub state: PathBuf,
}

impl Witness {
    pub fn new(env: &TestEnv, name: &str) -> Witness {
        let (key, public) = keygen(env, name, true);
        let state = env
            .dir
            .path()
            .join(format!("{}-state", name.replace('/', "_")));
        Witness { key, public, state }
    }

    /// `witness --checkpoint CP [--proof P]` against the log key `log`; the cosigned
    /// checkpoint is in stdout.
    pub fn cosign(&self, env: &TestEnv, log: &Path, cp: &Path, proof: Option<&Path>) -> Run {
        let mut args = vec![
            "witness",
            "--state",
            s(&self.state),
            "--key",
            s(&self.key),
            "--log-key",
            s(log),
            "--checkpoint",
            s(cp),
        ];
        if let Some(proof) = proof {
            args.extend(["--proof", s(proof)]);
        }
        env.run(&args)
    }
}

/// The ISU's ledger at size 4, witnessed once by `w`: (log key, log public key, ledger).
fn first_cosigned(env: &TestEnv, w: &Witness) -> (PathBuf, PathBuf, PathBuf) {
    let (isu, isu_pub) = keygen(env, "test", false);
    let ledger = env.ledger();
    append(
        env,
        &ledger,
        &SMALL
            .lines()
            .take(4)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    );
    let cp = checkpoint(env, &ledger, &isu, "cp4");
    w.cosign(env, &isu_pub, &cp, None).ok();
    (isu, isu_pub, ledger)
}

fn evidence_dirs(w: &Witness) -> Vec<PathBuf> {
    let dir = w.state.join("ccm-ledger_2ftest").join("evidence");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

#[test]
fn a_witness_cosigns_a_first_checkpoint_and_an_honest_extension() {
    let env = TestEnv::new();
    let w = Witness::new(&env, "example.org/w1");
    let (isu, isu_pub) = keygen(&env, "test", false);
    let ledger = env.ledger();
    append(
        &env,
        &ledger,
        &SMALL
            .lines()
            .take(4)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    );
    let cp4 = checkpoint(&env, &ledger, &isu, "cp4");

    let run = w.cosign(&env, &isu_pub, &cp4, None).ok();
    let original = std::fs::read_to_string(&cp4).unwrap();
    assert!(run.stdout.starts_with(&original), "{}", run.stdout);
    let added = &run.stdout[original.len()..];
    assert!(
        added.starts_with("— example.org/w1 ") && added.ends_with('\n'),
        "{added:?}"
    );
    assert_eq!(added.lines().count(), 1);
    assert!(
        run.stderr.contains("the first checkpoint of this log seen"),
        "{}",
        run.stderr
    );
    // What was cosigned is the witness's latest, as printed.
    let latest = w.state.join("ccm-ledger_2ftest").join("latest");
    assert_eq!(std::fs::read_to_string(&latest).unwrap(), run.stdout);

    // The log grows; the witness checks the proof from 4 and cosigns 10.
    append(
        &env,
        &ledger,
        &SMALL
            .lines()
            .skip(4)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    );
    let cp10 = checkpoint(&env, &ledger, &isu, "cp10");
    let proof = prove_from(&env, &ledger, 4, "4-10.proof");
    let run = w.cosign(&env, &isu_pub, &cp10, Some(&proof)).ok();
    assert!(
        run.stderr.contains("extends the cosigned size 4"),
        "{}",
        run.stderr
    );
    assert!(run
        .stdout
        .starts_with(&std::fs::read_to_string(&cp10).unwrap()));

    // The same tree again is cosigned again (nothing to prove); no evidence anywhere.
    w.cosign(&env, &isu_pub, &cp10, None).ok();
    assert!(evidence_dirs(&w).is_empty());
}

#[test]
fn a_witness_refuses_a_fork_of_the_same_size_and_keeps_both_checkpoints() {
    let env = TestEnv::new();
    let w = Witness::new(&env, "example.org/w1");
    let (isu, isu_pub, _) = first_cosigned(&env, &w);
    // The same key signs another history of 4 entries, shown to this witness.
    let fork = env.dir.path().join("fork");
    append(&env, &fork, &more_states(&["FRA", "DEU", "ITA", "ESP"]));
    let forked = checkpoint(&env, &fork, &isu, "fork4");

    let run = w.cosign(&env, &isu_pub, &forked, None).fails_with(3);
    assert!(
        run.stderr.contains("a fork: ccm-ledger/test at size 4"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "nothing cosigned: {}", run.stdout);
    let kept = evidence_dirs(&w);
    assert_eq!(kept.len(), 1);
    assert!(run.stderr.contains(s(&kept[0])), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(kept[0].join("refused.checkpoint")).unwrap(),
        std::fs::read_to_string(&forked).unwrap()
    );
    assert!(std::fs::read_to_string(kept[0].join("cosigned.checkpoint"))
        .unwrap()
        .contains("— example.org/w1 "));
}

#[test]
fn a_witness_refuses_a_smaller_tree() {
    let env = TestEnv::new();
    let w = Witness::new(&env, "example.org/w1");
    let (isu, isu_pub, ledger) = first_cosigned(&env, &w);
    let cp4 = env.dir.path().join("cp4");
    append(&env, &ledger, &more_states(&["FRA"]));
    let cp5 = checkpoint(&env, &ledger, &isu, "cp5");
    let proof = prove_from(&env, &ledger, 4, "4-5.proof");
    w.cosign(&env, &isu_pub, &cp5, Some(&proof)).ok();

    let run = w.cosign(&env, &isu_pub, &cp4, None).fails_with(3);
    assert!(
        run.stderr
            .contains("a rollback: ccm-ledger/test was cosigned at size 5, and this checkpoint is smaller, of size 4"),
        "{}",
        run.stderr
    );
    assert_eq!(evidence_dirs(&w).len(), 1);
}

#[test]
fn a_witness_refuses_a_bad_proof_and_asks_for_a_missing_one() {
    let env = TestEnv::new();
    let w = Witness::new(&env, "example.org/w1");
    let (isu, isu_pub, ledger) = first_cosigned(&env, &w);
    append(&env, &ledger, &more_states(&["FRA", "DEU"]));
    let cp6 = checkpoint(&env, &ledger, &isu, "cp6");

    let run = w.cosign(&env, &isu_pub, &cp6, None).fails_with(1);
    // What is missing in the error, what to run in the hint (issue 18, item 5): the
    // witness library knows nothing of the command line.
    let (error, hint) = run.stderr.split_once("\nhint: ").expect("a hint");
    assert!(
        error.contains("a consistency proof from 4 to 6 is needed"),
        "{error}"
    );
    assert!(!error.contains("prove"), "{error}");
    assert!(hint.contains("ccm-ledger prove --from 4 --to 6"), "{hint}");
    assert!(
        evidence_dirs(&w).is_empty(),
        "a missing proof is no evidence"
    );

    let proof = std::fs::read_to_string(prove_from(&env, &ledger, 4, "good.proof")).unwrap();
    // One hash of the proof changed: the first hex digit of the first path element.
    let at = proof.find("\"path\":[\"").unwrap() + 9;
    let mut bad = proof.into_bytes();
    bad[at] = if bad[at] == b'0' { b'1' } else { b'0' };
    let bad = env.file("bad.proof", std::str::from_utf8(&bad).unwrap());
    let run = w.cosign(&env, &isu_pub, &cp6, Some(&bad)).fails_with(3);
    assert!(
        run.stderr
            .contains("the consistency proof from the cosigned size 4 to 6 does not hold"),
        "{}",
        run.stderr
    );
    let kept = evidence_dirs(&w);
    assert_eq!(kept.len(), 1);
    assert!(kept[0].join("refused.proof").exists());
}

#[test]
fn a_witness_refuses_a_checkpoint_not_signed_by_the_log_key() {
    let env = TestEnv::new();
    let w = Witness::new(&env, "example.org/w1");
    let (_, isu_pub, ledger) = first_cosigned(&env, &w);
    // Another key of the same name: the name alone proves nothing.
    std::fs::create_dir(env.dir.path().join("mallory")).unwrap();
    env.run(&["keygen", "test", "--out-dir", "mallory"]).ok();
    let mallory = env.dir.path().join("mallory/test.key");
    append(&env, &ledger, &more_states(&["FRA"]));
    let cp = checkpoint(&env, &ledger, &mallory, "cp-mallory");
    let proof = prove_from(&env, &ledger, 4, "4-5.proof");

    let run = w.cosign(&env, &isu_pub, &cp, Some(&proof)).fails_with(3);
    assert!(
        run.stderr
            .contains("is not signed by the log's key ccm-ledger/test+"),
        "{}",
        run.stderr
    );
    // And a log key where the witness key belongs is a bad key file, not a cosignature.
    let run = env
        .run(&[
            "witness",
            "--state",
            s(&w.state),
            "--key",
            s(&w.public),
            "--log-key",
            s(&isu_pub),
            "--checkpoint",
            s(&cp),
        ])
        .fails_with(1);
    assert!(run.stderr.contains("--key"), "{}", run.stderr);
}

#[test]
fn two_witness_processes_on_one_state_never_both_cosign_a_fork() {
    // Each process offers a different first tree of size 4: without the lock both could find
    // no latest checkpoint and cosign both sides of the fork.
    let env = TestEnv::new();
    let w = Witness::new(&env, "example.org/w1");
    let (isu, isu_pub) = keygen(&env, "test", false);
    let a = env.dir.path().join("a");
    let b = env.dir.path().join("b");
    append(&env, &a, &more_states(&["FRA", "DEU", "ITA", "ESP"]));
    append(&env, &b, &more_states(&["FRA", "DEU", "ITA", "PRT"]));
    let cp_a = checkpoint(&env, &a, &isu, "a4");
    let cp_b = checkpoint(&env, &b, &isu, "b4");
    let spawn = |cp: &Path| {
        env.command(&env.ledger())
            .args([
                "witness",
                "--state",
                s(&w.state),
                "--key",
                s(&w.key),
                "--log-key",
                s(&isu_pub),
                "--checkpoint",
                s(cp),
            ])
            .output()
            .expect("run the witness")
    };
    let (ra, rb) = std::thread::scope(|scope| {
        let ha = scope.spawn(|| spawn(&cp_a));
        let hb = scope.spawn(|| spawn(&cp_b));
        (ha.join().unwrap(), hb.join().unwrap())
    });
    let mut codes = [ra.status.code(), rb.status.code()];
    codes.sort();
    assert_eq!(
        codes,
        [Some(0), Some(3)],
        "exactly one side of the fork is cosigned"
    );
}

#[test]
fn verification_counts_the_named_witnesses_cosignatures() {
    let env = TestEnv::new();
    let w1 = Witness::new(&env, "example.org/w1");
    let w2 = Witness::new(&env, "example.org/w2");
    let w3 = Witness::new(&env, "example.org/w3");
    let (isu, isu_pub) = keygen(&env, "test", false);
    let ledger = env.ledger();
    env.run(&["init", "--origin", "test", "--sign-with", s(&isu)])
        .ok();
    env.import(SMALL);
    // The ledger signed its checkpoint after the import; each witness cosigns a copy.
    let cp = env.file("cp", &env.run(&["checkpoint"]).ok().stdout);
    let by1 = env.file("by1", &w1.cosign(&env, &isu_pub, &cp, None).ok().stdout);
    let by2 = env.file("by2", &w2.cosign(&env, &isu_pub, &cp, None).ok().stdout);
    // The ledger's own checkpoint gathers both cosignatures, once each.
    let run = env
        .run(&[
            "checkpoint",
            "--add-cosignatures",
            s(&by1),
            s(&by2),
            s(&by1),
        ])
        .ok();
    assert!(
        run.stderr.contains("added 2 cosignatures"),
        "{}",
        run.stderr
    );
    let stored = std::fs::read_to_string(ledger.join("checkpoint")).unwrap();
    assert_eq!(stored.matches("— example.org/w").count(), 2, "{stored}");
    // A copy of another checkpoint, or no checkpoint at all: refused, naming it, nothing added.
    let other = env.file(
        "other",
        &std::fs::read_to_string(&by1)
            .unwrap()
            .replacen("\n10\n", "\n9\n", 1),
    );
    let junk = env.file("junk", "not a note\n");
    for (bad, says) in [
        (&other, "not a copy of the ledger's latest checkpoint"),
        (&junk, "not a signed checkpoint"),
    ] {
        let run = env
            .run(&["checkpoint", "--add-cosignatures", s(&by2), s(bad)])
            .fails_with(1);
        assert!(
            run.stderr.contains(s(bad)) && run.stderr.contains(says),
            "{}",
            run.stderr
        );
        assert_eq!(
            std::fs::read_to_string(ledger.join("checkpoint")).unwrap(),
            stored
        );
    }
    // The report lists who cosigned the ledger's checkpoint.
    env.run(&["report", "--html", "report.html"]).ok();
    let page = std::fs::read_to_string(env.dir.path().join("report.html")).unwrap();
    assert!(
        page.contains("Cosigned by 2 witnesses")
            && page.contains("<code>example.org/w1</code>")
            && page.contains("<code>example.org/w2</code>"),
        "{page}"
    );
    let both = env.run(&["checkpoint"]).ok().stdout;
    let both = env.file("both", &both);
    env.run(&["export", "--out", "export.jsonl"]).ok();
    let bundle = env.dir.path().join("export.jsonl");
    let proof = env.file("p", &env.run(&["prove", "--seq", "3"]).ok().stdout);

    let verify_bundle = |witnesses: &[&Witness], quorum: Option<&str>| {
        let mut args = vec![
            "verify",
            "--bundle",
            s(&bundle),
            "--checkpoint",
            s(&both),
            "--key",
            s(&isu_pub),
        ];
        for w in witnesses {
            args.extend(["--witness", s(&w.public)]);
        }
        if let Some(k) = quorum {
            args.extend(["--quorum", k]);
        }
        env.run(&args)
    };
    let run = verify_bundle(&[&w1, &w2], None).ok();
    assert!(
        run.stdout.contains("cosigned by 2 of 2 named witnesses"),
        "{}",
        run.stdout
    );
    verify_bundle(&[&w1, &w2, &w3], Some("2")).ok();
    let run = verify_bundle(&[&w1, &w2, &w3], None).fails_with(3);
    assert!(
        run.stderr
            .contains("2 of the 3 named witnesses cosigned, 3 needed")
            && run.stderr.contains("example.org/w3 did not cosign it"),
        "{}",
        run.stderr
    );
    verify_bundle(&[&w3], Some("1")).fails_with(3);
    let run = verify_bundle(&[&w1], Some("2")).fails_with(2);
    assert!(run.stderr.contains("--quorum 2"), "{}", run.stderr);

    // verify-proof counts them the same way; one cosignature is not a quorum of two.
    let verify_proof = |checkpoint: &Path, quorum: &str| {
        env.run(&[
            "verify-proof",
            "--proof",
            s(&proof),
            "--checkpoint",
            s(checkpoint),
            "--key",
            s(&isu_pub),
            "--witness",
            s(&w1.public),
            "--witness",
            s(&w2.public),
            "--quorum",
            quorum,
        ])
    };
    verify_proof(&both, "2").ok();
    verify_proof(&by1, "1").ok();
    let run = verify_proof(&by1, "2").fails_with(3);
    assert!(
        run.stderr.contains("example.org/w2 did not cosign it"),
        "{}",
        run.stderr
    );
}
