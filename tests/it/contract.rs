//! The JSON contract (docs/JSON.md, docs/schema/*.json; issue 17) holds for what the binary
//! really prints: every `--json` output on the fixture, asked about many bodies, States and
//! days, and every line of the import format (the fixture, its proposals, an export), is valid
//! against its schema. The schemas refuse unknown fields, so a field renamed or added without
//! the contract fails here.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::TestEnv;

const BODIES: &[&str] = &[
    "wg-general-status",
    "wg-universalization",
    "wg-victim-assistance",
    "wg-clearance",
    "wg-stockpile",
    "wg-cooperation",
    "coord-reporting",
    "coord-nim",
    "coord-risk-education",
];
const STATES: &[&str] = &["NZL", "LAO", "LTU", "IRQ", "NOR", "ZMB", "PHL", "CHE"];
const DAYS: &[&str] = &[
    "2010-12-01",
    "2012-06-01",
    "2016-06-01",
    "2021-01-01",
    "2026-12-01",
];

fn schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/schema")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The schemas, compiled once (each checked against the draft's own metaschema on the way,
/// and their references between files resolved) and checked against every value handed to
/// them. The validator is boon: a standard draft 2020-12 validator that passes the JSON Schema
/// test suite, on a tenth of the dependencies of the `jsonschema` crate (which was a fifth of a
/// clean test build), so no hand-written subset that could itself be wrong.
struct Contract {
    schemas: boon::Schemas,
    compiled: std::collections::HashMap<String, boon::SchemaIndex>,
}

impl Contract {
    fn load() -> Contract {
        let mut compiler = boon::Compiler::new();
        let mut ids = Vec::new();
        for entry in std::fs::read_dir(schema_dir()).expect("docs/schema") {
            let path = entry.expect("a schema file").path();
            let schema = read_json(&path);
            let id = schema["$id"]
                .as_str()
                .unwrap_or_else(|| panic!("{} has no $id", path.display()))
                .to_string();
            let file = path
                .file_name()
                .and_then(|name| name.to_str())
                .expect("a schema file named in UTF-8")
                .to_string();
            compiler
                .add_resource(&id, schema)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            ids.push((file, id));
        }
        let mut schemas = boon::Schemas::new();
        let compiled = ids
            .into_iter()
            .map(|(file, id)| {
                let index = compiler
                    .compile(&id, &mut schemas)
                    .unwrap_or_else(|e| panic!("docs/schema/{file} is not a schema: {e:#}"));
                (file, index)
            })
            .collect();
        Contract { schemas, compiled }
    }

    /// Panics with every way `value` (printed by `what`) breaks `schema`.
    #[track_caller]
    fn check(&self, schema: &str, what: &str, value: &Value) {
        let errors = self.errors(schema, value);
        assert!(
            errors.is_empty(),
            "{what} breaks docs/schema/{schema}:\n{}",
            errors.join("\n")
        );
    }

    /// Every way `value` breaks `schema`, one line each, the value's path and the schema's
    /// keyword named (boon's tree of causes, indented); none when it holds.
    fn errors(&self, schema: &str, value: &Value) -> Vec<String> {
        let index = *self
            .compiled
            .get(schema)
            .unwrap_or_else(|| panic!("no docs/schema/{schema}"));
        match self.schemas.validate(value, index) {
            Ok(()) => Vec::new(),
            Err(error) => format!("{error:#}")
                .lines()
                .map(|line| format!("  {line}"))
                .collect(),
        }
    }
}

fn demo() -> TestEnv {
    let env = TestEnv::new();
    env.run(&["demo"]).ok();
    env
}

#[test]
fn every_query_answer_follows_its_schema() {
    let contract = Contract::load();
    let env = demo();
    let json = |args: &[&str]| {
        let mut with = vec!["--json"];
        with.extend_from_slice(args);
        let run = env.run(&with);
        assert!(
            run.code == 0 || run.code == 4,
            "{args:?} exited {}: {}",
            run.code,
            run.stderr
        );
        run.json()
    };
    for body in BODIES {
        contract.check(
            "history-body.json",
            &format!("history --body {body}"),
            &json(&["history", "--body", body]),
        );
        for day in DAYS {
            contract.check(
                "who.json",
                &format!("who {body} --on {day}"),
                &json(&["who", body, "--on", day]),
            );
        }
    }
    // Before the 3MSP was recorded, a term ended "at the close of 3MSP": `end` is an object.
    contract.check(
        "who.json",
        "who --known-at 80",
        &json(&[
            "who",
            "wg-universalization",
            "--on",
            "2012-01-01",
            "--known-at",
            "80",
        ]),
    );
    for state in STATES {
        contract.check(
            "history-state.json",
            &format!("history --state {state}"),
            &json(&["history", "--state", state]),
        );
    }
    for day in DAYS {
        contract.check("state.json", day, &json(&["state", "--on", day]));
        contract.check("committee.json", day, &json(&["committee", "--on", day]));
        contract.check("check.json", day, &json(&["check", "--on", day]));
    }
    contract.check("check.json", "check", &json(&["check"]));
    let proposals = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/proposals");
    for proposal in ["break-stagger.jsonl", "discontinue-reporting.jsonl"] {
        let file = proposals.join(proposal);
        contract.check(
            "check.json",
            proposal,
            &json(&["check", "--proposed", file.to_str().unwrap()]),
        );
    }
    contract.check("log.json", "log", &json(&["log"]));
    contract.check("timeline.json", "timeline", &json(&["timeline"]));
    for day in DAYS {
        let window = ["timeline", "--from", "2010-01-01", "--to", day, "--on", day];
        let timeline = json(&window);
        contract.check("timeline.json", &window.join(" "), &timeline);
        assert_eq!(timeline["to"], *day, "`to` is the last day shown, as --to");
    }
    contract.check(
        "timeline.json",
        "timeline --body",
        &json(&[
            "timeline",
            "--body",
            "coord-reporting",
            "--body",
            "wg-clearance",
        ]),
    );
    contract.check("verify.json", "verify", &json(&["verify"]));
    let page = env.dir.path().join("ccm.html");
    contract.check(
        "report.json",
        "report",
        &json(&["report", "--html", page.to_str().unwrap()]),
    );
    // Last, as it adds an entry: one correction, shown with what it changed.
    // The demo records at 2026-11-30; record time never goes backwards.
    let corrected = env
        .command(&env.ledger())
        .env("CCM_LEDGER_NOW", "2026-12-01T00:00:00Z")
        .args([
            "--json",
            "record",
            "entry-corrected",
            "--target",
            "58",
            "--reason",
            "the paragraph was left out",
            "--set",
            "decision.paragraph=31",
        ])
        .output()
        .expect("run ccm-ledger");
    assert!(corrected.status.success(), "{corrected:?}");
    let corrected: Value = serde_json::from_slice(&corrected.stdout).expect("JSON");
    let seq = corrected["seq"].to_string();
    let one = json(&["log", "--seq", &seq]);
    assert_eq!(
        one[0]["corrects"]["changes"][0]["field"],
        "decision.paragraph"
    );
    contract.check("log.json", "log --seq (a correction)", &one);
}

#[test]
fn every_writer_and_proof_answer_follows_its_schema() {
    let contract = Contract::load();
    let env = TestEnv::new();
    let dir = env.dir.path();
    let json = |args: &[&str]| env.run(&[&["--json"], args].concat()).ok().json();
    contract.check("keygen.json", "keygen", &json(&["keygen", "isu"]));
    contract.check(
        "init.json",
        "init",
        &json(&["init", "--origin", "isu", "--sign-with", "isu.key"]),
    );
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/ccm-machinery.jsonl");
    contract.check(
        "import.json",
        "import",
        &json(&["import", fixture.to_str().unwrap()]),
    );
    contract.check(
        "record.json",
        "record",
        &json(&[
            "record",
            "coordinator-left",
            "--body",
            "wg-clearance",
            "--state",
            "NOR",
            "--effective",
            "2025-01-31",
            "--reason",
            "resignation",
        ]),
    );
    let checkpoint = json(&["checkpoint"]);
    contract.check("checkpoint.json", "checkpoint", &checkpoint);
    std::fs::write(
        dir.join("today.checkpoint"),
        checkpoint["checkpoint"].as_str().expect("the note"),
    )
    .expect("write the checkpoint");
    env.run(&["export", "--out", "ccm.jsonl"]).ok();
    contract.check(
        "verify.json",
        "verify --bundle",
        &json(&[
            "verify",
            "--bundle",
            "ccm.jsonl",
            "--checkpoint",
            "today.checkpoint",
            "--key",
            "isu.pub",
        ]),
    );
    let proof = env.run(&["prove", "--seq", "42"]).ok().stdout;
    std::fs::write(dir.join("entry42.proof"), proof).expect("write the proof");
    contract.check(
        "verify-proof.json",
        "verify-proof",
        &json(&[
            "verify-proof",
            "--proof",
            "entry42.proof",
            "--checkpoint",
            "today.checkpoint",
            "--key",
            "isu.pub",
        ]),
    );

    // Cosigned by a witness, and checked with --witness: the answers name who cosigned.
    env.run(&["keygen", "example.org/w1", "--witness"]).ok();
    let cosigned = env
        .run(&[
            "witness",
            "--state",
            "w1-state",
            "--key",
            "example.org_w1.key",
            "--log-key",
            "isu.pub",
            "--checkpoint",
            "today.checkpoint",
        ])
        .ok()
        .stdout;
    std::fs::write(dir.join("cosigned.checkpoint"), cosigned).expect("write the checkpoint");
    let witnessed = |command: &[&str]| {
        let mut args = command.to_vec();
        args.extend([
            "--checkpoint",
            "cosigned.checkpoint",
            "--key",
            "isu.pub",
            "--witness",
            "example.org_w1.pub",
        ]);
        let answer = json(&args);
        assert_eq!(answer["witnesses"]["cosigned_by"][0], "example.org/w1");
        answer
    };
    contract.check(
        "verify.json",
        "verify --bundle --witness",
        &witnessed(&["verify", "--bundle", "ccm.jsonl"]),
    );
    contract.check(
        "verify-proof.json",
        "verify-proof --witness",
        &witnessed(&["verify-proof", "--proof", "entry42.proof"]),
    );
}

#[test]
fn every_line_of_the_import_format_follows_its_schema() {
    let contract = Contract::load();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let env = demo();
    let export = env.run(&["export"]).ok().stdout;
    let mut files = vec![("export".to_string(), export)];
    let mut paths = vec![root.join("fixtures/ccm-machinery.jsonl")];
    for entry in std::fs::read_dir(root.join("fixtures/proposals")).expect("the proposals") {
        let path = entry.expect("a proposal").path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            paths.push(path);
        }
    }
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("read a fixture");
        files.push((path.display().to_string(), text));
    }
    for (name, text) in files {
        for (i, line) in text.lines().enumerate() {
            let value: Value = serde_json::from_str(line).expect("a JSON line");
            contract.check("import-line.json", &format!("{name}:{}", i + 1), &value);
        }
    }
}

#[test]
fn the_contract_refuses_a_renamed_or_unknown_field() {
    let contract = Contract::load();
    let env = demo();
    let who = env
        .run(&["--json", "who", "wg-universalization", "--on", "2013-01-15"])
        .ok()
        .json();
    assert!(contract.errors("who.json", &who).is_empty());
    let mut renamed = who.clone();
    let holder = renamed["holders"][0].as_object_mut().expect("a holder");
    let name = holder.remove("state_name").expect("the State's name");
    holder.insert("country_name".into(), name);
    assert!(!contract.errors("who.json", &renamed).is_empty());

    let line: Value = serde_json::from_str(
        r#"{"kind":"state_joined","state":"NOR","name":"Norway","efective":"2010-08-01"}"#,
    )
    .unwrap();
    assert!(!contract.errors("import-line.json", &line).is_empty());
}

/// What the checks above rely on the validator for, each shown refused on a real answer
/// changed in one place: a wrong type, a required field missing, a value outside an enum, and
/// a date that breaks its pattern behind a `$ref` into another file (log.json's events are
/// import-line.json's). A validator that skipped any of these would pass every check above.
#[test]
fn the_contract_refuses_a_wrong_type_a_missing_field_an_unknown_value_and_a_bad_date() {
    let contract = Contract::load();
    let env = demo();
    let log = env.run(&["--json", "log"]).ok().json();
    assert!(contract.errors("log.json", &log).is_empty());
    let refused = |what: &str, change: &dyn Fn(&mut Value), keyword: &str| {
        let mut changed = log.clone();
        change(&mut changed);
        let errors = contract.errors("log.json", &changed).join("\n");
        assert!(
            errors.contains(keyword),
            "{what}: expected a '{keyword}' error, got: {errors:?}"
        );
    };
    let joined = log
        .as_array()
        .and_then(|entries| {
            entries
                .iter()
                .position(|entry| entry["event"]["kind"] == "state_joined")
        })
        .expect("the demo records a State joining");
    refused(
        "seq as text",
        &|log| log[0]["seq"] = "0".into(),
        "but got string",
    );
    refused(
        "no hash",
        &|log| {
            log[0].as_object_mut().expect("an entry").remove("hash");
        },
        "missing properties 'hash'",
    );
    refused(
        "a date without its zeros",
        &|log| log[joined]["event"]["effective"] = "2010-8-1".into(),
        "does not match pattern",
    );

    let mut findings = env.run(&["--json", "check"]).json();
    assert!(
        findings.as_array().is_some_and(|all| !all.is_empty()),
        "the demo has findings"
    );
    assert!(contract.errors("check.json", &findings).is_empty());
    findings[0]["severity"] = "fatal".into();
    let errors = contract.errors("check.json", &findings).join("\n");
    assert!(errors.contains("must be one of"), "{errors:?}");
}

/// The what-if views (issue 16): with `--proposed`, each answer follows its view's schema,
/// with `proposal` at the top and `proposed_line` on the records the proposal brings.
#[test]
fn every_what_if_answer_follows_its_schema_and_marks_what_is_proposed() {
    let contract = Contract::load();
    let env = demo();
    let proposal = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/proposals/elect-cooperation.jsonl")
        .display()
        .to_string();
    let views: [(&str, &[&str]); 6] = [
        ("who.json", &["who", "wg-cooperation", "--on", "2026-10-01"]),
        ("state.json", &["state", "--on", "2026-10-01"]),
        ("committee.json", &["committee", "--on", "2026-10-01"]),
        (
            "history-body.json",
            &["history", "--body", "wg-cooperation"],
        ),
        ("history-state.json", &["history", "--state", "IRL"]),
        ("timeline.json", &["timeline", "--on", "2026-10-01"]),
    ];
    for (schema, args) in views {
        let mut with = vec!["--json"];
        with.extend_from_slice(args);
        with.extend(["--proposed", proposal.as_str()]);
        let run = env.run(&with);
        assert!(
            run.code == 0,
            "{with:?} exited {}: {}",
            run.code,
            run.stderr
        );
        let value = run.json();
        contract.check(schema, &with.join(" "), &value);
        assert_eq!(value["proposal"]["recorded"], false, "{with:?}");
        assert!(
            value.to_string().contains("\"proposed_line\":1"),
            "{with:?} marks no proposed record: {value}"
        );
    }
}
