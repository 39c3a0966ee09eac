//! Who held what when, on both time axes, through the binary, on tests/data/queries.jsonl:
//! two working groups with staggered elections, a resignation and its replacement, a mandate
//! amendment, a discontinued body whose mandate moves, a President, a President-designate and
//! an outgoing President, a standing invitation, and one correction (entry 29 replaces 25).

use serde_json::Value;

use crate::support::*;

fn env() -> TestEnv {
    let env = TestEnv::new();
    env.import(include_str!("../data/queries.jsonl"));
    env
}

/// The States holding a body's seats, in seat order, as `who --json` answers.
fn holders(env: &TestEnv, body: &str, on: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["who", body, "--on", on, "--json"];
    args.extend_from_slice(extra);
    let json = env.run(&args).ok().json();
    json["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["state"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn who_answers_before_inside_on_the_boundary_of_and_after_each_term() {
    let env = env();
    assert!(
        holders(&env, "wg-universalization", "2011-09-15", &[]).is_empty(),
        "not yet established"
    );
    assert_eq!(
        holders(&env, "wg-universalization", "2011-09-16", &[]),
        ["NOR", "ECU"]
    );
    assert_eq!(
        holders(&env, "wg-universalization", "2012-09-13", &[]),
        ["NOR", "ECU"]
    );
    // Half-open terms: on the day Norway's term ends, its successor holds the seat.
    assert_eq!(
        holders(&env, "wg-universalization", "2012-09-14", &[]),
        ["GHA", "ECU"]
    );
    assert_eq!(
        holders(&env, "wg-universalization", "2013-09-13", &[]),
        ["GHA", "PRT"]
    );
    assert_eq!(
        holders(&env, "wg-universalization", "2015-01-01", &[]),
        ["PRT"]
    );
}

#[test]
fn an_empty_seat_shows_as_vacant() {
    let env = env();
    let json = env
        .run(&["who", "wg-general-status", "--on", "2012-06-01", "--json"])
        .ok()
        .json();
    assert_eq!(
        json["holders"].as_array().unwrap().len(),
        1,
        "Chile resigned on 2012-03-01"
    );
    assert_eq!(json["vacant_seats"], serde_json::json!([2]));
    let table = env
        .run(&["who", "wg-general-status", "--on", "2012-06-01"])
        .ok()
        .stdout;
    assert_eq!(
        table,
        "wg-general-status — Working Group on the General Status and Operation of the Convention, on 2012-06-01 (2 seats)\n\
         SEAT  STATE  NAME    FROM        UNTIL       DECISION  SEQ\n\
         1     MEX    Mexico  2011-09-16  2012-09-14  2MSP      16\n\
         2     —      vacant\n"
    );
}

#[test]
fn a_correction_changes_the_answer_and_known_at_shows_the_belief_before_it() {
    let env = env();
    // Seat order: Ireland succeeds Mexico in seat 1; Ecuador completes Chile's term in seat 2.
    assert_eq!(
        holders(&env, "wg-general-status", "2012-09-14", &[]),
        ["IRL", "ECU"]
    );
    assert_eq!(
        holders(
            &env,
            "wg-general-status",
            "2012-09-14",
            &["--known-at", "28"]
        ),
        ["NOR", "ECU"]
    );
    // The record time of every entry is the pinned NOW: a moment before it knows nothing,
    // and is told so rather than "unknown body" (issue 17).
    let before = env
        .run(&[
            "who",
            "wg-general-status",
            "--on",
            "2012-09-14",
            "--known-at",
            "2025-12-31T23:59:59Z",
            "--json",
        ])
        .fails_with(2);
    assert!(
        before.stderr.contains(
            "the ledger held no entries then; its first entry was recorded at 2026-01-01T00:00:00Z"
        ),
        "{}",
        before.stderr
    );
    let history = env
        .run(&["history", "--body", "wg-general-status", "--json"])
        .ok()
        .json();
    let corrected = &history["corrected_terms"][0];
    assert_eq!(corrected["state"], "NOR");
    assert_eq!(corrected["how_ended"], "corrected");
    assert_eq!(corrected["ended_by"], 29);
}

#[test]
fn a_term_ending_at_a_meeting_is_pending_until_the_meeting_is_recorded() {
    let env = env();
    // Before the 3MSP was recorded (entry 22), Norway's term ran "until the close of 3MSP".
    let before = env
        .run(&[
            "who",
            "wg-universalization",
            "--on",
            "2012-01-01",
            "--known-at",
            "21",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(
        before["holders"][0]["end"],
        serde_json::json!({"meeting": "3MSP"})
    );
    let after = env
        .run(&["who", "wg-universalization", "--on", "2012-01-01", "--json"])
        .ok()
        .json();
    assert_eq!(after["holders"][0]["end"], "2012-09-14");
    // The 6MSP is never recorded: Portugal's term stays pending.
    let table = env
        .run(&["who", "wg-universalization", "--on", "2015-01-01"])
        .ok()
        .stdout;
    assert!(table.contains("until the close of 6MSP"), "{table}");
}

#[test]
fn history_of_a_body_tells_its_establishment_amendments_discontinuation_and_terms() {
    let env = env();
    let json = env
        .run(&["history", "--body", "Coordinator on Reporting", "--json"])
        .ok()
        .json();
    assert_eq!(json["discontinued"]["effective"], "2013-09-13");
    assert_eq!(json["discontinued"]["transfer_to"], "wg-general-status");
    assert_eq!(json["terms"][0]["state"], "IRL");
    assert_eq!(
        json["terms"][0]["end"], "2013-09-13",
        "an open term ends with its body"
    );
    assert_eq!(json["terms"][0]["how_ended"], "body discontinued");

    let json = env
        .run(&["history", "--body", "wg-general-status", "--json"])
        .ok()
        .json();
    assert_eq!(json["mandates_received"][0]["from"], "coord-reporting");
    let chile = &json["terms"][1];
    assert_eq!(
        (chile["state"].as_str(), chile["how_ended"].as_str()),
        (Some("CHL"), Some("left"))
    );
    assert_eq!(chile["reason"], "resignation");
    // Its replacement, elected to complete the term, takes Chile's seat.
    assert_eq!(chile["successor"], 24);
    let ecuador = json["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["seq"] == 24)
        .unwrap();
    assert_eq!(
        (ecuador["seat"].as_u64(), ecuador["predecessor"].as_u64()),
        (chile["seat"].as_u64(), Some(17))
    );

    let json = env
        .run(&["history", "--body", "wg-universalization", "--json"])
        .ok()
        .json();
    let amendment = &json["amendments"][0];
    assert_eq!(amendment["kind"], "mandate_amended");
    assert_eq!(
        amendment["add"],
        serde_json::json!(["report annually on universalization"])
    );
    let states: Vec<&str> = json["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["NOR", "ECU", "GHA", "PRT"]);
}

#[test]
fn history_of_a_state_lists_its_terms_and_presidencies() {
    let env = env();
    let json = env
        .run(&["history", "--state", "mexico", "--json"])
        .ok()
        .json();
    assert_eq!(json["state"], "MEX");
    assert_eq!(json["terms"][0]["body"], "wg-general-status");
    let offices: Vec<&str> = json["presidencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["office"].as_str().unwrap())
        .collect();
    assert_eq!(offices, ["President-designate", "President"]);
}

#[test]
fn the_committee_is_derived_with_the_reason_each_member_sits() {
    let env = env();
    let json = env
        .run(&["committee", "--on", "2012-10-01", "--json"])
        .ok()
        .json();
    let members: Vec<(String, String)> = json["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["member"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for expected in [
        ("MEX", "president"),
        ("NOR", "outgoing_president"),
        ("GHA", "coordinator"),
        ("IRL", "coordinator"),
        ("ISU", "by_right"),
        ("ICRC", "by_right"),
        ("GICHD", "standing_invitation"),
    ] {
        assert!(
            members.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} not in {members:?}"
        );
    }
    // A year earlier: Norway presides, Mexico is President-designate, no invitation yet.
    let json = env
        .run(&["committee", "--on", "2011-10-01", "--json"])
        .ok()
        .json();
    let roles: Vec<(&str, &str)> = json["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["member"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert!(
        roles.contains(&("NOR", "president")) && roles.contains(&("MEX", "president_designate")),
        "{roles:?}"
    );
    assert!(!roles.iter().any(|(m, _)| *m == "GICHD"));
}

#[test]
fn state_shows_the_bodies_in_force_the_presidency_and_the_committee_size() {
    let env = env();
    let json = env
        .run(&["state", "--on", "2013-10-01", "--json"])
        .ok()
        .json();
    let bodies: Vec<&str> = json["bodies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["wg-general-status", "wg-universalization"],
        "coord-reporting was discontinued"
    );
    assert_eq!(
        json["presidency"]["president"],
        Value::Null,
        "Mexico presided until the close of the 4MSP"
    );
    assert_eq!(json["presidency"]["outgoing_president"], Value::Null);
    let json = env
        .run(&["state", "--on", "2013-01-01", "--json"])
        .ok()
        .json();
    assert_eq!(json["presidency"]["president"]["state"], "MEX");
    // MEX, NOR (outgoing), IRL twice, ECU twice, GHA, ISU, ICRC, GICHD: 8 distinct members.
    assert_eq!(json["committee_size"], 8);
    let text = env.run(&["state", "--on", "2013-10-01"]).ok().stdout;
    assert!(text.contains("2 bodies in force"), "{text}");
}

#[test]
fn bodies_and_states_are_found_by_name_and_unknown_ones_get_near_matches() {
    let env = env();
    assert_eq!(
        holders(&env, "WORKING GROUP ON UNIVERSALIZATION", "2012-01-01", &[]),
        ["NOR", "ECU"]
    );
    let run = env.run(&["who", "universalisation"]).fails_with(1);
    assert!(
        run.stderr.contains("did you mean wg-universalization"),
        "{}",
        run.stderr
    );
}

#[test]
fn deleting_the_snapshot_changes_no_answer() {
    let env = env();
    let asks: [&[&str]; 3] = [
        &["state", "--on", "2012-10-01", "--json"],
        &["history", "--body", "wg-general-status", "--json"],
        &["committee", "--on", "2013-01-01", "--json"],
    ];
    let before: Vec<Value> = asks.iter().map(|a| env.run(a).ok().json()).collect();
    assert!(
        env.ledger().join("projection.snapshot").exists(),
        "the first query wrote it"
    );
    std::fs::remove_file(env.ledger().join("projection.snapshot")).unwrap();
    std::fs::remove_dir_all(env.ledger().join("index.sled")).unwrap();
    let after: Vec<Value> = asks.iter().map(|a| env.run(a).ok().json()).collect();
    assert_eq!(before, after);
}

#[test]
fn bad_dates_on_the_command_line_are_usage_errors() {
    let env = env();
    let run = env
        .run(&["who", "wg-universalization", "--on", "2023-02-30"])
        .fails_with(2);
    assert!(run.stderr.contains("--on"), "{}", run.stderr);
    let run = env
        .run(&["who", "wg-universalization", "--known-at", "yesterday"])
        .fails_with(2);
    assert!(run.stderr.contains("--known-at"), "{}", run.stderr);
    env.run(&["who", "wg-universalization", "--known-at", "999"])
        .fails_with(2);
}

/// Everything the query commands ask, on a few days, of the bodies and States named.
fn questions(bodies: &[&str], states: &[&str], days: &[&str]) -> Vec<Vec<String>> {
    let mut asks: Vec<Vec<String>> = Vec::new();
    let mut ask = |words: &[&str]| asks.push(words.iter().map(|w| w.to_string()).collect());
    for on in days {
        ask(&["state", "--on", on, "--json"]);
        ask(&["committee", "--on", on, "--json"]);
        ask(&["state", "--on", on]);
        for body in bodies {
            ask(&["who", body, "--on", on, "--json"]);
        }
    }
    for body in bodies {
        ask(&["history", "--body", body, "--json"]);
        ask(&["history", "--body", body]);
    }
    for state in states {
        ask(&["history", "--state", state, "--json"]);
    }
    ask(&["who", "universalisation"]);
    ask(&["history", "--state", "Atlantis"]);
    asks
}

/// What the binary answers: its exit code, what it printed and what it said on stderr.
fn answer(env: &TestEnv, ask: &[String]) -> (i32, String, String) {
    let words: Vec<&str> = ask.iter().map(String::as_str).collect();
    let run = env.run(&words);
    (run.code, run.stdout, run.stderr)
}

/// Each question asked twice: first with no snapshot (the ledger is folded, and the fold
/// leaves a snapshot), then of the snapshot read in part.
fn folded_and_read_in_part_answer_alike(env: &TestEnv, asks: &[Vec<String>]) {
    let snapshot = env.ledger().join("projection.snapshot");
    for ask in asks {
        let _ = std::fs::remove_file(&snapshot);
        let folded = answer(env, ask);
        assert!(snapshot.exists(), "the fold left a snapshot ({ask:?})");
        let written = std::fs::read(&snapshot).unwrap();
        assert_eq!(answer(env, ask), folded, "{ask:?}");
        assert_eq!(
            std::fs::read(&snapshot).unwrap(),
            written,
            "read in part, the snapshot is left as it is"
        );
    }
}

#[test]
fn a_query_read_in_part_from_the_snapshot_answers_as_the_folded_ledger() {
    let env = env();
    let asks = questions(
        &[
            "wg-universalization",
            "wg-general-status",
            "Working Group on Universalization",
            "coord-reporting",
        ],
        &["NOR", "ECU", "Chile", "MEX", "IRL"],
        &[
            "2011-09-15",
            "2012-09-14",
            "2013-01-01",
            "2013-10-01",
            "2015-01-01",
        ],
    );
    folded_and_read_in_part_answer_alike(&env, &asks);
}

#[test]
fn on_the_fixture_a_query_read_in_part_answers_as_the_folded_ledger() {
    let env = TestEnv::new();
    env.import(include_str!("../../fixtures/ccm-machinery.jsonl"));
    let asks = questions(
        &[
            "wg-clearance",
            "wg-victim-assistance",
            "coord-nim",
            "coord-reporting",
        ],
        &["NOR", "IRL", "MEX", "Germany", "CHE"],
        &["2012-12-01", "2019-06-01", "2021-09-21", "2026-11-30"],
    );
    folded_and_read_in_part_answer_alike(&env, &asks);
}

#[test]
fn a_damaged_section_makes_the_query_fold_and_answer_the_same() {
    use ccm_ledger::ledger::snapshot;
    let env = env();
    let asks: [&[&str]; 3] = [
        &["who", "wg-universalization", "--on", "2013-01-01", "--json"],
        &["history", "--state", "NOR", "--json"],
        &["committee", "--on", "2013-01-01", "--json"],
    ];
    let before: Vec<Value> = asks.iter().map(|a| env.run(a).ok().json()).collect();
    let seats_of_nor =
        ccm_ledger::projection::seats_section(&ccm_ledger::domain::StateCode::new("NOR").unwrap());
    for section in ["shared", "body/wg-universalization", &seats_of_nor] {
        let found = snapshot::open(&env.ledger()).expect("a query left a whole snapshot");
        let (offset, length) = found.span(section).expect("the section is there");
        drop(found);
        let path = snapshot::path(&env.ledger());
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[(offset + length / 2) as usize] ^= 0x20;
        std::fs::write(&path, &bytes).unwrap();
        let after: Vec<Value> = asks.iter().map(|a| env.run(a).ok().json()).collect();
        assert_eq!(after, before, "{section} damaged");
        let rebuilt = snapshot::open(&env.ledger()).expect("the fold wrote a new snapshot");
        assert!(rebuilt.section(section).is_some(), "{section} whole again");
    }
}

#[test]
fn record_leaves_a_snapshot_of_the_new_head_for_the_next_query() {
    use ccm_ledger::ledger::snapshot;
    let env = env();
    let entries = |env: &TestEnv| {
        env.run(&["log", "--json"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .len()
    };
    env.run(&[
        "record",
        "state-joined",
        "--state",
        "ISL",
        "--name",
        "Iceland",
        "--effective",
        "2015-12-01",
    ])
    .ok();
    let kept = snapshot::open(&env.ledger()).expect("record kept a snapshot");
    assert_eq!(kept.tie.entries as usize, entries(&env));
    let asks: [&[&str]; 2] = [
        &["history", "--state", "Iceland", "--json"],
        &["state", "--on", "2016-01-01", "--json"],
    ];
    let read_in_part: Vec<Value> = asks.iter().map(|a| env.run(a).ok().json()).collect();
    std::fs::remove_file(snapshot::path(&env.ledger())).unwrap();
    let folded: Vec<Value> = asks.iter().map(|a| env.run(a).ok().json()).collect();
    assert_eq!(read_in_part, folded);
    assert_eq!(read_in_part[0]["memberships"][0]["joined"], "2015-12-01");
}

/// An import keeps, as the snapshot, the projection its rules judged: the sections, byte for
/// byte, that a fold of the whole journal writes, into a new ledger (written whole) and into
/// one that holds entries (updated in place: the file then holds them among dead bytes, so
/// the sections are compared, not the files). So the first query after an import is warm,
/// and answers as a fold from zero would.
#[test]
fn an_import_leaves_the_snapshot_a_fold_from_zero_writes() {
    use ccm_ledger::ledger::snapshot;
    let fixture = include_str!("../../fixtures/ccm-machinery.jsonl");
    let lines: Vec<&str> = fixture.lines().collect();
    let env = TestEnv::new();
    let halves = [lines[..100].join("\n"), lines[100..].join("\n")];
    for (i, half) in halves.iter().enumerate() {
        env.import(half).ok();
        let path = snapshot::path(&env.ledger());
        let sections = |found: snapshot::Snapshot| {
            let sums = found.sums();
            let bytes: Vec<Vec<u8>> = sums
                .iter()
                .map(|(name, _)| found.section(name).expect("a whole section"))
                .collect();
            (found.tie.clone(), sums, bytes)
        };
        let kept = sections(snapshot::open(&env.ledger()).expect("the import kept a snapshot"));
        std::fs::remove_file(&path).unwrap();
        env.run(&["who", "wg-universalization", "--on", "2013-01-15"])
            .ok();
        let folded = sections(snapshot::open(&env.ledger()).expect("the fold wrote a snapshot"));
        assert!(
            kept == folded,
            "import {i}: the kept snapshot differs from the fold's"
        );
    }
}

/// An import into a ledger that holds entries extends the readers' sparse index at once: the
/// offsets file covers every 64th entry of the new head.
#[test]
fn an_import_into_a_ledger_extends_the_readers_offsets() {
    let env = TestEnv::new();
    let fixture = include_str!("../../fixtures/ccm-machinery.jsonl");
    let lines: Vec<&str> = fixture.lines().collect();
    env.import(&lines[..10].join("\n")).ok();
    env.import(&lines[10..].join("\n")).ok();
    let offsets = std::fs::read(env.ledger().join("index.offsets")).unwrap();
    let entries = lines.len() as u64;
    assert_eq!((offsets.len() as u64 - 8) / 8, entries.div_ceil(64));
}

/// A `record` after an import updates the snapshot in place (issue 15): the sections its
/// event changed and a new head are appended, the older slot points at them, every other
/// section stays where the import wrote it; `verify` finds the updated snapshot agreeing with
/// the journal, and the queries answer as a fold from zero.
#[test]
fn a_record_updates_the_snapshot_in_place_and_it_agrees_with_a_fold_from_zero() {
    use ccm_ledger::ledger::snapshot;
    let env = TestEnv::new();
    env.import(include_str!("../../fixtures/ccm-machinery.jsonl"))
        .ok();
    let imported = snapshot::open(&env.ledger()).expect("the import kept a snapshot");
    let size = std::fs::metadata(snapshot::path(&env.ledger()))
        .unwrap()
        .len();
    env.run(&[
        "record",
        "state-joined",
        "--state",
        "ZZZ",
        "--name",
        "Zedland",
        "--effective",
        "2030-01-01",
    ])
    .ok();
    let updated = snapshot::open(&env.ledger()).expect("the snapshot after the record");
    assert_eq!(updated.tie.entries, imported.tie.entries + 1);
    let grown = std::fs::metadata(snapshot::path(&env.ledger()))
        .unwrap()
        .len();
    assert!(grown > size, "appended to ({size} → {grown} bytes)");
    // A body the State's joining does not touch keeps its place; the State's shard is rewritten.
    let untouched = "body/wg-clearance";
    assert_eq!(updated.span(untouched), imported.span(untouched));
    let zzz =
        ccm_ledger::projection::state_section(&ccm_ledger::domain::StateCode::new("ZZZ").unwrap());
    assert_ne!(updated.span(&zzz), imported.span(&zzz));
    drop((imported, updated));
    let run = env.run(&["verify"]).ok();
    assert!(!run.stderr.contains("derived data"), "{}", run.stderr);
    let asks: [&[&str]; 3] = [
        &["history", "--state", "ZZZ", "--json"],
        &["state", "--on", "2030-06-01", "--json"],
        &["check", "--json"],
    ];
    let updated: Vec<String> = asks.iter().map(|a| env.run(a).stdout).collect();
    std::fs::remove_file(snapshot::path(&env.ledger())).unwrap();
    let folded: Vec<String> = asks.iter().map(|a| env.run(a).stdout).collect();
    assert_eq!(updated, folded);
}
