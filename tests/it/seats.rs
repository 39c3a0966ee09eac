//! Seats as a real body fills them (`tests/data/seats/court.jsonl`: a court of three judges,
//! all renewed on the same day, re-elections, a casual election that `replaces` a judge, and
//! terms with dated ends after the day asked about): labels that do not depend on the order
//! the elections were recorded in, terms running on the day asked about, the persons who held
//! the seats, and succession named by the decision.

use serde_json::Value;

use crate::support::*;

const COURT: &str = include_str!("../data/seats/court.jsonl");

fn court() -> TestEnv {
    let env = TestEnv::new();
    env.import(COURT);
    env
}

/// Each term of `court` as "STATE START how_ended", in the history's order.
fn labels(env: &TestEnv, on: &str) -> Vec<String> {
    let json = env
        .run(&["history", "--body", "court", "--on", on, "--json"])
        .ok()
        .json();
    json["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{} {} {}",
                t["state"].as_str().unwrap(),
                t["start"].as_str().unwrap(),
                t["how_ended"].as_str().unwrap()
            )
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The court up to its 2013 renewal (before the casual election), with the three elections of
/// 2013 in the order given.
fn renewal_of_2013_in_order(order: [&str; 3]) -> String {
    let lines: Vec<&str> = COURT.lines().take(16).collect();
    let (before, elections) = lines.split_at(13);
    let pick = |state: &str| {
        *elections
            .iter()
            .find(|l| l.contains(&format!("\"state\":\"{state}\"")))
            .unwrap()
    };
    let mut out: Vec<&str> = before.to_vec();
    out.extend(order.map(pick));
    out.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn a_state_elected_on_the_day_its_term_ends_is_renewed_whatever_the_line_order() {
    let mut seen = Vec::new();
    for order in [
        ["DNK", "CAN", "BRA"],
        ["BRA", "CAN", "DNK"],
        ["CAN", "DNK", "BRA"],
    ] {
        let env = TestEnv::new();
        env.import(&renewal_of_2013_in_order(order));
        let got = labels(&env, "2020-01-01");
        for expected in [
            "BRA 2010-01-15 renewed",
            "CAN 2010-01-15 renewed",
            "AUS 2010-01-15 succeeded",
        ] {
            assert!(got.contains(&expected.to_owned()), "{order:?}: {got:?}");
        }
        seen.push(got);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
}

#[test]
fn a_term_that_has_not_ended_on_the_day_asked_about_is_running_whatever_its_end() {
    let env = court();
    let during = labels(&env, "2017-06-01");
    for state in ["BRA", "DNK", "EGY"] {
        assert!(
            during.contains(&format!("{state} 2016-01-15 running")),
            "{during:?}"
        );
    }
    // Ended terms keep how they ended.
    assert!(during.contains(&"AUS 2010-01-15 succeeded".to_owned()));
    let after = labels(&env, "2020-01-01");
    assert!(
        after.contains(&"BRA 2016-01-15 term expired".to_owned()),
        "{after:?}"
    );
    let text = env
        .run(&["history", "--state", "DNK", "--on", "2017-06-01"])
        .ok()
        .stdout;
    assert!(text.contains("running"), "{text}");
}

/// The Egyptian judge elected to the rest of Canada's term: Canada's term ends that day as
/// "succeeded", Egypt takes its seat, and no rule finds two holders in one seat.
#[test]
fn an_election_that_replaces_a_state_ends_its_term_as_succeeded_on_its_seat() {
    let env = court();
    let json = env
        .run(&["history", "--body", "court", "--json"])
        .ok()
        .json();
    let terms = json["terms"].as_array().unwrap();
    let term = |state: &str, start: &str| {
        terms
            .iter()
            .find(|t| t["state"] == state && t["start"] == start)
            .unwrap()
            .clone()
    };
    let canada = term("CAN", "2013-01-15");
    let egypt = term("EGY", "2014-06-01");
    assert_eq!(canada["end"], "2014-06-01");
    assert_eq!(canada["how_ended"], "succeeded");
    assert_eq!(canada["ended_by"], egypt["seq"]);
    assert_eq!(canada["seat"], egypt["seat"]);
    let who = env
        .run(&["who", "court", "--on", "2015-01-01", "--json"])
        .ok()
        .json();
    let holders: Vec<&str> = who["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["state"].as_str().unwrap())
        .collect();
    assert_eq!(holders, ["BRA", "EGY", "DNK"]);
    let findings = env.run(&["check", "--json"]).ok().json();
    assert!(
        findings
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule"] != "R1"),
        "{findings}"
    );
}

#[test]
fn replaces_naming_a_state_not_in_office_is_refused_with_its_line_and_field() {
    for (replaces, why) in [("AUS", "holds no seat of court"), ("FRA", "FRA")] {
        let env = TestEnv::new();
        let text = COURT.replace(
            "\"replaces\":\"CAN\"",
            &format!("\"replaces\":\"{replaces}\""),
        );
        let file = env.file("court.jsonl", &text);
        let before = env.canonical_bytes();
        let run = env.run(&["import", file.to_str().unwrap()]).fails_with(1);
        assert!(run.stderr.contains("court.jsonl:18"), "{}", run.stderr);
        assert!(run.stderr.contains("replaces"), "{}", run.stderr);
        assert!(run.stderr.contains(why), "{}", run.stderr);
        assert_eq!(env.canonical_bytes(), before);
    }
}

/// The person who held a seat for the State, wherever a term is shown, named as on the
/// Presidency; a State's renewal with another person stays a renewal and shows the change.
#[test]
fn the_person_on_each_seat_is_shown_by_every_output() {
    let env = court();
    let who = env
        .run(&["who", "court", "--on", "2014-01-01", "--json"])
        .ok()
        .json();
    let person = |state: &str| -> Value {
        who["holders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["state"] == state)
            .unwrap()["person"]
            .clone()
    };
    assert_eq!(person("BRA"), "Bruno Lima");
    assert_eq!(person("CAN"), "Claire Martin");
    let text = env.run(&["who", "court", "--on", "2014-01-01"]).ok().stdout;
    assert!(text.contains("Brazil (Bruno Lima)"), "{text}");

    let history = env
        .run(&["history", "--body", "court", "--on", "2020-01-01", "--json"])
        .ok()
        .json();
    let brazil_2010 = history["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["state"] == "BRA" && t["start"] == "2010-01-15")
        .unwrap()
        .clone();
    assert_eq!(brazil_2010["person"], "Ana Souza");
    assert_eq!(brazil_2010["how_ended"], "renewed");
    assert_eq!(brazil_2010["renewed_with"], "Bruno Lima");
    let text = env
        .run(&["history", "--body", "court", "--on", "2020-01-01"])
        .ok()
        .stdout;
    assert!(text.contains("now Bruno Lima"), "{text}");

    let committee = env
        .run(&["committee", "--on", "2014-01-01", "--json"])
        .ok()
        .json();
    assert!(
        committee["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["member"] == "DNK" && m["person"] == "Dorte Holm"),
        "{committee}"
    );
    let state = env.run(&["state", "--on", "2014-01-01"]).ok().stdout;
    assert!(state.contains("Denmark (Dorte Holm)"), "{state}");

    let csv = env.run(&["export", "--format", "csv"]).ok().stdout;
    let header = csv.lines().next().unwrap();
    // `person` keeps its place after `seq`; the columns added since come after it.
    assert!(
        header.ends_with(",seq,person,office,body_name_at_start"),
        "{header}"
    );
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let person = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "person")
        .unwrap();
    assert!(reader
        .records()
        .map(Result::unwrap)
        .any(|r| &r[0] == "court" && &r[person] == "Omar Fahmy"));

    let popolo = env.run(&["export", "--format", "popolo"]).ok().json();
    assert!(
        popolo["memberships"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["person"]["name"] == "Ana Souza"),
        "no person in the Popolo memberships"
    );

    let log = env.run(&["log"]).ok().stdout;
    assert!(
        log.contains(
            "EGY (Omar Fahmy) elected to court from 2014-06-01 until 2016-01-15, succeeding CAN"
        ),
        "{log}"
    );

    let page = env.file("report.html", "");
    env.run(&["report", "--html", page.to_str().unwrap()]).ok();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("Omar Fahmy"));

    // And an entry recorded at a terminal carries it too.
    env.run(&[
        "record",
        "coordinator-elected",
        "--body",
        "court",
        "--state",
        "AUS",
        "--person",
        "Alan Reid",
        "--start",
        "2019-01-15",
        "--end",
        "2022-01-15",
        "--replaces",
        "DNK",
        "--meeting",
        "8AS",
        "--date",
        "2017-01-13",
        "--override",
        "R2, R5: a test",
    ])
    .ok();
}

/// A correction's replacement election carries the person too (and `replaces`): the corrected
/// person is shown, the superseded election keeps its own.
#[test]
fn a_correction_can_change_the_person_on_a_seat() {
    let env = court();
    let egypt = COURT
        .lines()
        .find(|l| l.contains("\"replaces\":\"CAN\""))
        .unwrap()
        .replace("Omar Fahmy", "Nabil Fahmy");
    let replacement = {
        let mut v: Value = serde_json::from_str(&egypt).unwrap();
        v.as_object_mut().unwrap().remove("override");
        v
    };
    let correction = serde_json::json!({
        "kind": "entry_corrected",
        "target": 17,
        "reason": "the Assembly elected Nabil Fahmy",
        "replacement": replacement,
        "override": "R2: elected for the rest of Canada's term",
    });
    env.import(&format!("{correction}\n"));
    let who = env
        .run(&["who", "court", "--on", "2015-01-01", "--json"])
        .ok()
        .json();
    let egypt = who["holders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["state"] == "EGY")
        .unwrap()
        .clone();
    assert_eq!(egypt["person"], "Nabil Fahmy");
    let history = env
        .run(&["history", "--body", "court", "--json"])
        .ok()
        .json();
    assert_eq!(history["corrected_terms"][0]["person"], "Omar Fahmy");
    let canada = history["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["state"] == "CAN" && t["start"] == "2013-01-15")
        .unwrap()
        .clone();
    assert_eq!(
        canada["how_ended"], "succeeded",
        "the replacement still replaces"
    );
}
