//! What-if views (issue 16): the queries answer as the ledger would stand after a proposal's
//! events, say so, mark what is proposed, and write nothing; findings cite the proposal's
//! `FILE:LINE`, not the seqs its events would get.

use crate::support::*;

const FIXTURE: &str = include_str!("../../fixtures/ccm-machinery.jsonl");
const ELECT_COOPERATION: &str = include_str!("../../fixtures/proposals/elect-cooperation.jsonl");
const BREAK_STAGGER: &str = include_str!("../../fixtures/proposals/break-stagger.jsonl");

/// Every file of the ledger directory, by name, with a hash of its bytes: the journal, HEAD
/// and the derived data alike (a hash, so that a failure names the file, not its bytes).
fn every_file(dir: &std::path::Path) -> Vec<(String, u64)> {
    use std::hash::{Hash, Hasher};
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                std::fs::read(&path).unwrap().hash(&mut hasher);
                files.push((path.display().to_string(), hasher.finish()));
            }
        }
    }
    files.sort();
    files
}

/// The seqs the proposal's first two events would get, as `check` used to list them: "199,200".
fn would_be_seqs() -> [String; 2] {
    let head = FIXTURE.lines().filter(|l| !l.trim().is_empty()).count();
    [
        format!("{head},{}", head + 1),
        format!("{head}, {}", head + 1),
    ]
}

fn fixture_with(name: &str, proposal: &str) -> (TestEnv, String) {
    let env = TestEnv::new();
    env.import(FIXTURE);
    let file = env.file(name, proposal);
    (env, file.display().to_string())
}

#[test]
fn committee_with_a_proposal_lists_the_proposed_member_and_without_it_does_not() {
    let (env, p) = fixture_with("elect.jsonl", ELECT_COOPERATION);
    let before = every_file(&env.ledger());
    let recorded = env.run(&["committee", "--on", "2026-10-01"]).ok();
    assert!(!recorded.stdout.contains("IRL"), "{}", recorded.stdout);

    let proposed = env
        .run(&["committee", "--on", "2026-10-01", "--proposed", &p])
        .ok();
    assert!(proposed.stdout.contains("IRL"), "{}", proposed.stdout);
    assert!(
        proposed
            .stdout
            .starts_with(&format!("as proposed in {p}: 1 event, not recorded\n")),
        "the header says it is a proposal: {}",
        proposed.stdout
    );
    assert_eq!(every_file(&env.ledger()), before, "nothing was written");
}

#[test]
fn who_state_and_history_answer_as_proposed_and_json_marks_the_proposed_terms() {
    let (env, p) = fixture_with("elect.jsonl", ELECT_COOPERATION);
    let before = every_file(&env.ledger());
    let on = ["--on", "2026-10-01"];

    let who = |extra: &[&str]| {
        let mut args = vec!["who", "wg-cooperation", on[0], on[1]];
        args.extend_from_slice(extra);
        env.run(&args).ok()
    };
    assert!(!who(&[]).stdout.contains("IRL"));
    let text = who(&["--proposed", &p]).stdout;
    assert!(text.contains("as proposed in"), "{text}");
    assert!(text.contains("IRL"), "{text}");
    assert!(
        text.contains(&format!("{p}:1")),
        "the term cites its line: {text}"
    );

    let json = env
        .run(&[
            "--json",
            "who",
            "wg-cooperation",
            "--on",
            "2026-10-01",
            "--proposed",
            &p,
        ])
        .ok()
        .json();
    let holder = &json["holders"][0];
    assert_eq!(holder["state"], "IRL");
    assert_eq!(holder["proposed_line"], 1, "{json}");
    assert_eq!(json["proposal"]["file"], p.as_str());
    assert_eq!(json["proposal"]["events"], 1);
    assert_eq!(json["proposal"]["recorded"], false);

    let state = env.run(&["state", on[0], on[1], "--proposed", &p]).ok();
    assert!(state.stdout.contains("IRL Ireland"), "{}", state.stdout);
    assert!(!env
        .run(&["state", on[0], on[1]])
        .ok()
        .stdout
        .contains("IRL Ireland"));

    // A term recorded in the ledger is not marked.
    let json = env
        .run(&["--json", "state", on[0], on[1], "--proposed", &p])
        .ok()
        .json();
    let marked: Vec<_> = json["bodies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["holders"].as_array().unwrap())
        .filter(|h| h.get("proposed_line").is_some())
        .map(|h| h["state"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(marked, ["IRL"]);

    let history = env
        .run(&["history", "--state", "IRL", "--proposed", &p])
        .ok();
    assert!(
        history.stdout.contains("wg-cooperation"),
        "{}",
        history.stdout
    );
    assert_eq!(every_file(&env.ledger()), before, "nothing was written");
}

#[test]
fn timeline_svg_and_report_html_draw_the_proposal_and_say_so() {
    let (env, p) = fixture_with("elect.jsonl", ELECT_COOPERATION);
    let before = every_file(&env.ledger());
    let svg = env.dir.path().join("t.svg");
    let svg_recorded = env.dir.path().join("r.svg");
    env.run(&["timeline", "--svg", svg.to_str().unwrap(), "--proposed", &p])
        .ok();
    env.run(&["timeline", "--svg", svg_recorded.to_str().unwrap()])
        .ok();
    let drawn = std::fs::read_to_string(&svg).unwrap();
    let recorded = std::fs::read_to_string(&svg_recorded).unwrap();
    // Ireland held other seats before: the proposed term is one more bar with its name (in
    // its tooltip; on the bar too where it fits, and once in the key).
    assert_eq!(
        drawn.matches("IRL — Ireland").count(),
        recorded.matches("IRL — Ireland").count() + 1,
        "the proposed term is drawn"
    );
    assert!(drawn.contains("as proposed in"), "the picture says so");
    assert_eq!(
        drawn.matches("class=\"bar proposed\"").count(),
        1,
        "the proposed term is drawn apart from the recorded ones"
    );

    let text = env
        .run(&[
            "timeline",
            "--from",
            "2025-01-01",
            "--body",
            "wg-cooperation",
            "--proposed",
            &p,
        ])
        .ok();
    assert!(text.stdout.starts_with("as proposed in"), "{}", text.stdout);
    assert!(text.stdout.contains("IRL"), "{}", text.stdout);

    let html = env.dir.path().join("r.html");
    env.run(&[
        "report",
        "--html",
        html.to_str().unwrap(),
        "--on",
        "2026-10-01",
        "--proposed",
        &p,
    ])
    .ok();
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("Ireland"));
    assert!(page.contains("as proposed in"), "the page says so");
    assert!(page.contains("not recorded"));
    assert_eq!(every_file(&env.ledger()), before, "nothing was written");
}

#[test]
fn a_report_with_a_proposal_shows_the_findings_it_adds_only() {
    let (env, p) = fixture_with("break.jsonl", BREAK_STAGGER);
    let html = env.dir.path().join("r.html");
    env.run(&["report", "--html", html.to_str().unwrap(), "--proposed", &p])
        .ok();
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("R3"), "the finding the proposal adds");
    assert!(!page.contains("R7"), "not the vacancies already recorded");
}

#[test]
fn a_refused_proposal_is_an_error_naming_its_line_and_nothing_is_written() {
    let bad = format!(
        "{}{}\n",
        ELECT_COOPERATION,
        r#"{"kind":"coordinator_elected","body":"wg-nowhere","state":"IRL","start":"2026-09-18","end":"2028-09-18","decision":{"meeting":"3RC","date":"2026-09-18"}}"#
    );
    let (env, p) = fixture_with("bad.jsonl", &bad);
    let before = every_file(&env.ledger());
    for args in [
        vec!["committee", "--proposed", &p],
        vec!["who", "wg-cooperation", "--proposed", &p],
        vec!["state", "--proposed", &p],
    ] {
        let run = env.run(&args).fails_with(1);
        assert!(run.stderr.contains(&format!("{p}:2: ")), "{}", run.stderr);
    }
    assert_eq!(every_file(&env.ledger()), before);
}

#[test]
fn a_proposal_may_come_from_standard_input() {
    let env = TestEnv::new();
    env.import(FIXTURE);
    let run = env
        .run_with_stdin(
            &["committee", "--on", "2026-10-01", "--proposed", "-"],
            ELECT_COOPERATION.as_bytes(),
        )
        .ok();
    assert!(
        run.stdout.starts_with("as proposed in -: 1 event"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("IRL"));
}

#[test]
fn check_proposed_cites_the_lines_of_the_proposal_not_the_seqs_they_would_get() {
    let (env, p) = fixture_with("break.jsonl", BREAK_STAGGER);
    let run = env.run(&["check", "--proposed", &p]).fails_with(4);
    assert!(run.stdout.contains(&format!("{p}:2")), "{}", run.stdout);
    assert!(run.stdout.contains(&format!("{p}:1")), "{}", run.stdout);
    for seqs in would_be_seqs() {
        assert!(!run.stdout.contains(&seqs), "{}", run.stdout);
    }

    let json = env
        .run(&["check", "--proposed", &p, "--json"])
        .fails_with(4)
        .json();
    assert_eq!(json[0]["proposed_lines"], serde_json::json!([1, 2]));
}

#[test]
fn an_import_refused_for_a_rule_cites_every_line_the_finding_involves() {
    let (env, p) = fixture_with("break.jsonl", BREAK_STAGGER);
    let before = every_file(&env.ledger());
    let run = env.run(&["import", &p]).fails_with(4);
    assert!(
        run.stderr.contains(&format!("{p}:1, {p}:2: ")),
        "{}",
        run.stderr
    );
    for seqs in would_be_seqs() {
        assert!(!run.stderr.contains(&seqs), "{}", run.stderr);
    }
    // Opening the ledger for writing lets sled tidy its own files (index.sled/); everything
    // else, the journal and HEAD first, is as it was.
    let outside_sled = |files: Vec<(String, u64)>| -> Vec<(String, u64)> {
        files
            .into_iter()
            .filter(|(name, _)| !name.contains("index.sled"))
            .collect()
    };
    assert_eq!(
        outside_sled(every_file(&env.ledger())),
        outside_sled(before)
    );
}
