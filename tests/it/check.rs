//! `check`, proposals, and refusal at append with a recorded override (issue 4).

use crate::support::*;

const FIXTURE: &str = include_str!("../../fixtures/ccm-machinery.jsonl");
const BREAK_STAGGER: &str = include_str!("../../fixtures/proposals/break-stagger.jsonl");

/// A third coordinator of a two-seat working group elected in 2012: R1, and a stagger break.
const THIRD_IN_2012: &str = r#"{"kind":"coordinator_elected","body":"wg-universalization","state":"NOR","start":"2012-09-14","end":{"meeting":"5MSP"},"decision":{"meeting":"3MSP","date":"2012-09-14"}}"#;

#[test]
fn the_fixture_holds_no_error_that_is_not_overridden() {
    let env = TestEnv::new();
    env.import(FIXTURE);
    let json = env.run(&["check", "--json"]).ok().json();
    let errors = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error" && f["overridden"].is_null())
        .count();
    assert_eq!(errors, 0);
    for f in json.as_array().unwrap() {
        let explained = !f["overridden"].is_null() || f["rule"] == "R7";
        assert!(explained, "a finding neither overridden nor a vacancy: {f}");
    }
}

#[test]
fn check_on_a_day_lists_the_findings_in_force_then() {
    let env = TestEnv::new();
    env.import(FIXTURE);
    let json = env
        .run(&["check", "--on", "2019-06-01", "--json"])
        .ok()
        .json();
    let rules: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"R7"),
        "the vacancies of 2018-19 are in force: {rules:?}"
    );
    for f in json.as_array().unwrap() {
        let (from, until) = (
            f["period"]["from"].as_str().unwrap(),
            f["period"]["until"].as_str(),
        );
        assert!(
            from <= "2019-06-01" && until.is_none_or(|u| u > "2019-06-01"),
            "not in force: {f}"
        );
    }
}

#[test]
fn a_proposal_is_checked_without_appending_anything() {
    let env = TestEnv::new();
    env.import(FIXTURE);
    let before = env.canonical_bytes();
    let file = env.file("break-stagger.jsonl", BREAK_STAGGER);
    let run = env
        .run(&["check", "--proposed", file.to_str().unwrap(), "--json"])
        .fails_with(4);
    let json = run.json();
    let findings = json.as_array().unwrap();
    assert_eq!(
        findings.len(),
        1,
        "only the finding the proposal adds: {findings:?}"
    );
    assert_eq!(findings[0]["rule"], "R3");
    assert_eq!(findings[0]["body"], "wg-cooperation");
    assert_eq!(findings[0]["seqs"], serde_json::json!([199, 200]));
    assert_eq!(
        env.canonical_bytes(),
        before,
        "check --proposed appends nothing"
    );

    for name in [
        "discontinue-reporting",
        "gender-and-diversity",
        "lausanne-action-plan",
        "enlarge-committee",
    ] {
        let text = std::fs::read_to_string(format!(
            "{}/fixtures/proposals/{name}.jsonl",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let file = env.file("p.jsonl", &text);
        let run = env
            .run(&["check", "--proposed", file.to_str().unwrap(), "--json"])
            .ok();
        assert_eq!(run.json(), serde_json::json!([]), "{name}");
    }
}

#[test]
fn an_import_that_breaks_a_rule_is_refused_and_changes_nothing() {
    let env = TestEnv::new();
    env.import(SMALL);
    let before = env.canonical_bytes();
    let file = env.file("third.jsonl", &format!("{THIRD_IN_2012}\n"));
    let run = env.run(&["import", file.to_str().unwrap()]).fails_with(4);
    assert!(run.stderr.contains("third.jsonl:1: "), "{}", run.stderr);
    assert!(run.stderr.contains("R1"), "{}", run.stderr);
    assert!(
        run.stderr.contains("override"),
        "the hint says how to record it anyway: {}",
        run.stderr
    );
    assert_eq!(env.canonical_bytes(), before);
}

#[test]
fn an_override_is_recorded_in_the_hashed_entry_and_survives_export() {
    let env = TestEnv::new();
    env.import(SMALL);
    let overridden = THIRD_IN_2012.replacen(
        '{',
        r#"{"override":"R1, R3: the 3MSP decided a third coordinator for one year","#,
        1,
    );
    env.import(&format!("{overridden}\n"));

    let check = env.run(&["check", "--json"]).ok().json();
    let r1 = check
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "R1")
        .expect("an R1 finding");
    assert_eq!(
        r1["overridden"],
        "R1, R3: the 3MSP decided a third coordinator for one year"
    );
    assert!(check
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["severity"] != "error" || !f["overridden"].is_null()));

    let log = env.run(&["log", "--json", "--from", "10"]).ok().json();
    assert_eq!(
        log[0]["override"],
        "R1, R3: the 3MSP decided a third coordinator for one year"
    );
    let export = env.run(&["export"]).ok().stdout;
    assert!(export
        .lines()
        .last()
        .unwrap()
        .contains(r#""override":"R1, R3: the 3MSP"#));

    let copy = env.dir.path().join("copy");
    let file = env.file("export.jsonl", &export);
    env.run_on(&copy, &["import", file.to_str().unwrap()]).ok();
    assert_eq!(
        env.run_on(&copy, &["verify", "--json"]).ok().json(),
        env.run(&["verify", "--json"]).ok().json()
    );
}

#[test]
fn record_refuses_a_rule_break_unless_overridden() {
    let env = TestEnv::new();
    env.import(SMALL);
    let args = [
        "record",
        "coordinator-elected",
        "--body",
        "wg-universalization",
        "--state",
        "NOR",
        "--start",
        "2012-09-14",
        "--end-meeting",
        "5MSP",
        "--meeting",
        "3MSP",
        "--date",
        "2012-09-14",
    ];
    env.run(&args).fails_with(4);
    let mut with_override = args.to_vec();
    // An override names the rules it excuses: R1 alone leaves the stagger break an error.
    let mut r1_only = args.to_vec();
    r1_only.extend(["--override", "R1: decided by the 3MSP"]);
    let run = env.run(&r1_only).fails_with(4);
    assert!(run.stderr.contains("R3"), "{}", run.stderr);
    with_override.extend(["--override", "R1, R3: decided by the 3MSP"]);
    let run = env.run(&with_override).ok();
    assert!(run.stdout.contains("recorded entry 10"), "{}", run.stdout);
    let log = env.run(&["log"]).ok().stdout;
    assert!(
        log.contains("[override: R1, R3: decided by the 3MSP]"),
        "{log}"
    );
}

#[test]
fn tolerances_can_be_widened_from_the_command_line() {
    let env = TestEnv::new();
    env.import(FIXTURE);
    let strict = env.run(&["check", "--json"]).ok().json();
    let lax = env
        .run(&["check", "--json", "--vacancy-tolerance", "4000"])
        .ok()
        .json();
    let vacancies = |j: &serde_json::Value| {
        j.as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "R7")
            .count()
    };
    assert!(vacancies(&strict) > 0);
    assert_eq!(vacancies(&lax), 0);
}

/// "Would this be accepted?" and "accept it" are one computation (issue 15): a line whose
/// claimed seq (as `export` writes it) is not the seq it would get is refused by `import`, so
/// `check --proposed` says so too, with the same message. It used to answer "no new
/// findings" for a line the import then refused.
#[test]
fn check_proposed_refuses_what_import_refuses_with_the_same_message() {
    let env = TestEnv::new();
    env.import(FIXTURE);
    let claimed = r#"{"seq":3,"kind":"state_joined","state":"ZZA","name":"Zedland","effective":"2030-01-01"}"#;
    let unknown = r#"{"kind":"coordinator_left","body":"no-such-body","state":"NOR","effective":"2030-02-01","reason":"resignation"}"#;
    for (name, text) in [("claimed.jsonl", claimed), ("unknown.jsonl", unknown)] {
        let file = env.file(name, &format!("{text}\n"));
        let path = file.to_str().unwrap();
        let checked = env.run(&["check", "--proposed", path]).fails_with(1);
        let imported = env.run(&["import", path]).fails_with(1);
        let first_error = |stderr: &str| {
            stderr
                .lines()
                .find(|l| l.starts_with("error: "))
                .map(str::to_owned)
                .unwrap_or_default()
        };
        assert!(
            first_error(&checked.stderr).contains(&format!("{name}:1: field `")),
            "{}",
            checked.stderr
        );
        assert_eq!(first_error(&checked.stderr), first_error(&imported.stderr));
    }
}

/// The errors `check --proposed` finds in `proposal` on the fixture, as "RULE STATE", and
/// whether the ledger was left as it was.
fn errors_proposed(proposal: &str) -> Vec<String> {
    let env = TestEnv::new();
    env.import(FIXTURE);
    let before = env.canonical_bytes();
    let file = env.file("proposal.jsonl", proposal);
    let run = env.run(&["check", "--proposed", file.to_str().unwrap(), "--json"]);
    assert!(run.code == 0 || run.code == 4, "{}", run.stderr);
    assert_eq!(env.canonical_bytes(), before);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error" && f["overridden"].is_null())
        .map(|f| {
            format!(
                "{} {}",
                f["rule"].as_str().unwrap(),
                f["state"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

/// The message of the one error `proposal` adds (warnings aside), checked to be of `rule`.
fn the_hint_of(rule: &str, proposal: &str) -> String {
    let env = TestEnv::new();
    env.import(FIXTURE);
    let file = env.file("proposal.jsonl", proposal);
    let json = env
        .run(&["check", "--proposed", file.to_str().unwrap(), "--json"])
        .fails_with(4)
        .json();
    let errors: Vec<&serde_json::Value> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["rule"], rule);
    errors[0]["message"].as_str().unwrap().to_owned()
}

/// R3's hint, followed as written: South Africa's term shortened by a year and its
/// election marked as restoring the stagger. The result breaks no other rule (R2 above all,
/// which a shortened term used to break).
#[test]
fn following_r3s_hint_gives_a_proposal_no_rule_refuses() {
    let hint = the_hint_of("R3", BREAK_STAGGER);
    assert!(
        hint.contains(
            "shorten one of these terms by a whole number of years and mark its \
             election \"stagger\": \"restore\""
        ),
        "{hint}"
    );
    let followed = BREAK_STAGGER.replace(
        r#""state":"ZAF","start":"2026-09-18","end":"2028-09-18","#,
        r#""state":"ZAF","start":"2026-09-18","end":"2027-09-18","stagger":"restore","#,
    );
    assert_ne!(followed, BREAK_STAGGER);
    assert_eq!(errors_proposed(&followed), Vec::<String>::new());
    // Unmarked, the same one-year term is still an R2 error.
    let unmarked = followed.replace(r#","stagger":"restore""#, "");
    assert_eq!(errors_proposed(&unmarked), ["R2 ZAF"]);
}

/// R2's hint, followed as written on a one-year term the decision gave on purpose.
#[test]
fn following_r2s_hint_gives_a_proposal_no_rule_refuses() {
    let one_year = r#"{"kind":"coordinator_elected","body":"wg-cooperation","state":"IRL","start":"2026-09-18","end":"2027-09-18","decision":{"meeting":"3RC","date":"2026-09-18"}}
"#;
    let hint = the_hint_of("R2", one_year);
    assert!(
        hint.contains("mark the election \"stagger\": \"restore\""),
        "{hint}"
    );
    let followed = one_year.replace(
        r#""end":"2027-09-18","#,
        r#""end":"2027-09-18","stagger":"restore","#,
    );
    assert_eq!(errors_proposed(&followed), Vec::<String>::new());
    // A marked term must still be a whole number of years: seven months is not a stagger.
    let odd = followed.replace("2027-09-18", "2027-04-18");
    assert_eq!(errors_proposed(&odd), ["R2 IRL"]);
}

/// R1's hint, followed as written: the newcomer names the State it succeeds, whose term then
/// ends as "succeeded" instead of the seat being counted twice.
#[test]
fn following_r1s_hint_gives_a_proposal_no_rule_refuses() {
    let third = r#"{"kind":"coordinator_elected","body":"wg-clearance","state":"ZAF","start":"2026-09-18","end":"2028-09-18","decision":{"meeting":"3RC","date":"2026-09-18"}}
"#;
    let hint = the_hint_of("R1", third);
    assert!(hint.contains("(\"replaces\" on its election)"), "{hint}");
    let followed = third.replace(
        r#""end":"2028-09-18","#,
        r#""end":"2028-09-18","replaces":"NOR","#,
    );
    assert_eq!(errors_proposed(&followed), Vec::<String>::new());
}

/// R5's hint, followed as written: the election cites the Review Conference that made it.
#[test]
fn following_r5s_hint_gives_a_proposal_no_rule_refuses() {
    let misdated = r#"{"kind":"coordinator_elected","body":"wg-cooperation","state":"IRL","start":"2026-09-18","end":"2028-09-18","decision":{"meeting":"13MSP","date":"2026-09-18"}}
"#;
    let hint = the_hint_of("R5", misdated);
    assert!(
        hint.contains("cite the MSP or Review Conference that made the nomination"),
        "{hint}"
    );
    let followed = misdated.replace(r#""meeting":"13MSP""#, r#""meeting":"3RC""#);
    assert_eq!(errors_proposed(&followed), Vec::<String>::new());
}

/// R8's hint, followed as written: the second of two Presidents at once is corrected to begin
/// when the first one's term ends.
#[test]
fn following_r8s_hint_gives_a_proposal_no_rule_refuses() {
    let overlapping = r#"{"kind":"president_elected","state":"AUT","start":"2026-09-16","end":"2027-09-10","decision":{"meeting":"3RC","date":"2026-09-16"}}
"#;
    let hint = the_hint_of("R8", overlapping);
    assert!(
        hint.contains("end the first term before the second begins, or correct one of them"),
        "{hint}"
    );
    let followed = overlapping.replace("2026-09-16", "2026-09-18");
    assert_eq!(errors_proposed(&followed), Vec::<String>::new());
}

/// R4's hint, followed as written: a State elected before the Convention enters into force
/// for it takes office on that day instead, its term moved whole.
#[test]
fn following_r4s_hint_gives_a_proposal_no_rule_refuses() {
    let early = r#"{"kind":"state_joined","state":"NAM","name":"Namibia","effective":"2027-01-01"}
{"kind":"coordinator_elected","body":"wg-cooperation","state":"NAM","start":"2026-09-18","end":"2028-09-18","decision":{"meeting":"3RC","date":"2026-09-18"}}
"#;
    let hint = the_hint_of("R4", early);
    assert!(
        hint.contains("correct the start to a day it is a State Party, moving the end with it"),
        "{hint}"
    );
    let followed = early.replace(
        r#""start":"2026-09-18","end":"2028-09-18""#,
        r#""start":"2027-01-01","end":"2029-01-01""#,
    );
    assert_eq!(errors_proposed(&followed), Vec::<String>::new());
}

/// R6's hint, followed as written: the State elected to a body discontinued that day is
/// elected instead to the body its mandate went to, for that body's term.
#[test]
fn following_r6s_hint_gives_a_proposal_no_rule_refuses() {
    let to_a_discontinued_body = r#"{"kind":"body_discontinued","body":"coord-risk-education","effective":"2026-09-18","transfer_to":"wg-cooperation","decision":{"meeting":"3RC","date":"2026-09-18"}}
{"kind":"coordinator_elected","body":"coord-risk-education","state":"IRL","start":"2026-09-18","end":"2027-09-18","decision":{"meeting":"3RC","date":"2026-09-18"}}
"#;
    let hint = the_hint_of("R6", to_a_discontinued_body);
    assert!(
        hint.contains("elect to the body its mandate went to (wg-cooperation)"),
        "{hint}"
    );
    let followed = to_a_discontinued_body.replace(
        r#""body":"coord-risk-education","state":"IRL","start":"2026-09-18","end":"2027-09-18""#,
        r#""body":"wg-cooperation","state":"IRL","start":"2026-09-18","end":"2028-09-18""#,
    );
    assert_ne!(followed, to_a_discontinued_body);
    assert_eq!(errors_proposed(&followed), Vec::<String>::new());
}

/// The findings of `rule` (warnings too) that `proposal` adds, as "RULE DATE: message".
fn added_of(rule: &str, proposal: &str) -> Vec<String> {
    let env = TestEnv::new();
    env.import(FIXTURE);
    let file = env.file("proposal.jsonl", proposal);
    let run = env.run(&["check", "--proposed", file.to_str().unwrap(), "--json"]);
    assert!(run.code == 0 || run.code == 4, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| format!("{} {}: {}", rule, f["date"], f["message"]))
        .collect()
}

/// R9's hint, followed as written: a meeting recorded in 2028 but none in 2027 adds a
/// warning for 2027; recording the 2027 MSP, as the hint says, adds none.
#[test]
fn following_r9s_hint_gives_a_proposal_no_rule_warns() {
    let skipping_a_year = r#"{"kind":"meeting_held","meeting":"15MSP","type":"msp","start":"2028-09-05","end":"2028-09-08","location":"Geneva"}
"#;
    let added = added_of("R9", skipping_a_year);
    assert_eq!(added.len(), 1, "{added:?}");
    assert!(
        added[0].contains("no Meeting of States Parties or Review Conference recorded in 2027")
            && added[0].contains("one MSP is held every year"),
        "{added:?}"
    );
    let followed = format!(
        "{}{skipping_a_year}",
        r#"{"kind":"meeting_held","meeting":"14MSP","type":"msp","start":"2027-09-07","end":"2027-09-10","location":"Geneva"}
"#
    );
    assert_eq!(added_of("R9", &followed), Vec::<String>::new());
    assert_eq!(errors_proposed(&followed), Vec::<String>::new());
}

/// R7's hint, followed as written: the seat Norway leaves between meetings is filled by the
/// next MSP. The gap until that meeting is still longer than tolerated (a warning that says
/// so), but following the hint breaks no other rule.
#[test]
fn following_r7s_hint_gives_a_proposal_no_rule_refuses() {
    let leaving = r#"{"kind":"coordinator_left","body":"wg-clearance","state":"NOR","effective":"2025-01-31","reason":"resignation"}
"#;
    let added = added_of("R7", leaving);
    assert!(
        added
            .iter()
            .any(|w| w.contains("an MSP or Review Conference should fill it")),
        "{added:?}"
    );
    let followed = format!(
        "{leaving}{}",
        r#"{"kind":"coordinator_elected","body":"wg-clearance","state":"ZAF","start":"2025-09-19","end":"2027-09-19","decision":{"meeting":"13MSP","date":"2025-09-19"}}
"#
    );
    assert_eq!(errors_proposed(&followed), Vec::<String>::new());
    // The seat is held again from the meeting on: the warning ends there.
    let after = added_of("R7", &followed);
    assert!(
        after.iter().all(|w| w.contains("to 2025-09-19")),
        "{after:?}"
    );
}
