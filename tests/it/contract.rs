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

/// The schemas, each checked once against every value handed to it.
struct Contract {
    registry: jsonschema::Registry<'static>,
}

impl Contract {
    fn load() -> Contract {
        let mut registry = jsonschema::Registry::new();
        for entry in std::fs::read_dir(schema_dir()).expect("docs/schema") {
            let path = entry.expect("a schema file").path();
            let schema = read_json(&path);
            let id = schema["$id"]
                .as_str()
                .unwrap_or_else(|| panic!("{} has no $id", path.display()))
                .to_string();
            registry = registry
                .add(id, schema)
                .expect("a schema the registry takes");
        }
        Contract {
            registry: registry.prepare().expect("the schemas' references resolve"),
        }
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

    fn errors(&self, schema: &str, value: &Value) -> Vec<String> {
        let validator = jsonschema::options()
            .with_registry(&self.registry)
            .build(&read_json(&schema_dir().join(schema)))
            .unwrap_or_else(|e| panic!("docs/schema/{schema} is not a schema: {e}"));
        validator
            .iter_errors(value)
            .map(|e| format!("  at {}: {e}", e.instance_path()))
            .collect()
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
    let views: [(&str, &[&str]); 5] = [
        ("who.json", &["who", "wg-cooperation", "--on", "2026-10-01"]),
        ("state.json", &["state", "--on", "2026-10-01"]),
        ("committee.json", &["committee", "--on", "2026-10-01"]),
        (
            "history-body.json",
            &["history", "--body", "wg-cooperation"],
        ),
        ("history-state.json", &["history", "--state", "IRL"]),
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
