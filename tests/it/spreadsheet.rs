//! `export --format csv` as one State's or one body's spreadsheet: `--state`, `--body`,
//! `--from`/`--to`, the Presidency's rows beside the bodies', and every term with the body's
//! name as it was when the term began.

use crate::support::*;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/ccm-machinery.jsonl");

fn fixture() -> TestEnv {
    let env = TestEnv::new();
    env.run(&["import", FIXTURE]).ok();
    env
}

/// The CSV's header and rows, each row as (column name → cell).
fn rows(env: &TestEnv, args: &[&str]) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut all = vec!["export", "--format", "csv"];
    all.extend_from_slice(args);
    let text = env.run(&all).ok().stdout;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .zip(r.unwrap().iter())
                .map(|(h, c)| (h.to_owned(), c.to_owned()))
                .collect()
        })
        .collect()
}

#[test]
fn a_states_spreadsheet_has_only_its_rows_with_its_presidency_and_the_names_of_the_time() {
    let env = fixture();
    let lao = rows(&env, &["--state", "LAO"]);
    assert!(lao.iter().all(|r| r["state"] == "LAO"), "{lao:#?}");
    // Three terms coordinating clearance, and two Presidencies (1MSP, and the 3RC's).
    let clearance: Vec<_> = lao.iter().filter(|r| r["body"] == "wg-clearance").collect();
    assert_eq!(clearance.len(), 3, "{lao:#?}");
    let presidents: Vec<_> = lao.iter().filter(|r| r["office"] == "President").collect();
    assert_eq!(presidents.len(), 2, "{lao:#?}");
    assert_eq!(lao.len(), 5, "{lao:#?}");
    let first = presidents
        .iter()
        .find(|r| r["start"] == "2010-11-09")
        .unwrap();
    assert_eq!(first["body"], "presidency");
    assert_eq!(first["person"], "Thongloun Sisoulith");
    assert_eq!(first["end"], "2011-09-13");
    assert_eq!(first["decision_meeting"], "1MSP");
    assert_eq!(first["seat"], "", "the Presidency has no seats");
    let running = presidents
        .iter()
        .find(|r| r["start"] == "2025-09-19")
        .unwrap();
    assert_eq!(running["decision_meeting"], "13MSP");
    // The body was renamed in 2021; Lao coordinated it before, under its first name.
    for r in &clearance {
        assert_eq!(r["office"], "Coordinator");
        assert_eq!(
            r["body_name_at_start"],
            "Working Group on Clearance and Risk Reduction"
        );
        assert_eq!(
            r["body_name"],
            "Working Group on Clearance and Risk Education"
        );
    }
    // By name, in any case, as the queries take it.
    assert_eq!(
        rows(&env, &["--state", "lao people's democratic republic"]),
        lao
    );
}

#[test]
fn a_bodys_spreadsheet_names_each_term_as_the_body_was_called_then() {
    let env = fixture();
    // By a name it had before its renamings.
    let reporting = rows(&env, &["--body", "Coordinator on Reporting"]);
    assert!(!reporting.is_empty());
    assert!(reporting.iter().all(|r| r["body"] == "coord-reporting"));
    let then = |start: &str| {
        reporting
            .iter()
            .find(|r| r["start"] == start)
            .unwrap_or_else(|| panic!("no term from {start}: {reporting:#?}"))["body_name_at_start"]
            .clone()
    };
    // Renamed at 3MSP (2012-09-14) and at 1RC (2015-09-11): Belgium's term began under the
    // first name, Zambia's under the last.
    assert_eq!(then("2011-09-16"), "Coordinator on Reporting");
    assert_eq!(then("2017-09-06"), "Coordinator on Transparency Measures");
    assert!(reporting
        .iter()
        .all(|r| r["body_name"] == "Coordinator on Transparency Measures"));
    assert!(
        reporting.iter().all(|r| r["office"] == "Coordinator"),
        "--body leaves out the Presidency"
    );
    // A term beginning on the day of a renaming carries the new name; the day before, the old.
    let cooperation = rows(&env, &["--body", "wg-cooperation"]);
    let named = |state: &str| {
        cooperation.iter().find(|r| r["state"] == state).unwrap()["body_name_at_start"].clone()
    };
    assert_eq!(named("CHL"), "Working Group on Cooperation and Assistance");
    assert_eq!(
        named("IRQ"),
        "Working Group on International Cooperation and Assistance"
    );
}

#[test]
fn from_and_to_keep_the_terms_overlapping_the_window() {
    let env = fixture();
    let all = rows(&env, &[]);
    let window = rows(&env, &["--from", "2015-01-01", "--to", "2016-01-01"]);
    assert!(!window.is_empty());
    let overlaps = |r: &std::collections::BTreeMap<String, String>| {
        r["start"].as_str() < "2016-01-01"
            && (r["end"].is_empty() || r["end"].as_str() > "2015-01-01")
    };
    let expected: Vec<_> = all.iter().filter(|r| overlaps(r)).cloned().collect();
    assert_eq!(window, expected);
    assert!(window.len() < all.len());
    assert!(window.iter().any(|r| r["body"] == "presidency"));
    // A term ending on --from (its last day the day before) is outside; one starting on --to too.
    assert!(
        all.iter()
            .any(|r| r["end"] == "2015-01-01" || r["start"] == "2016-01-01")
            || window.iter().all(overlaps)
    );
    // Filters combine.
    let lao_2017 = rows(
        &env,
        &[
            "--state",
            "LAO",
            "--from",
            "2017-01-01",
            "--to",
            "2018-01-01",
        ],
    );
    assert_eq!(lao_2017.len(), 1, "{lao_2017:#?}");
    assert_eq!(lao_2017[0]["start"], "2017-09-06");
}

#[test]
fn every_row_of_the_whole_export_has_an_office_and_the_presidency_is_in_it() {
    let env = fixture();
    let all = rows(&env, &[]);
    let presidency = all.iter().filter(|r| r["body"] == "presidency").count();
    let fixture = std::fs::read_to_string(FIXTURE).unwrap();
    let elected = fixture.matches("\"kind\":\"president_elected\"").count()
        + fixture
            .matches("\"kind\":\"president_designate_elected\"")
            .count();
    assert!(presidency > 0);
    assert_eq!(presidency, elected);
    assert!(all.iter().all(
        |r| ["Coordinator", "President", "President-designate"].contains(&r["office"].as_str())
    ));
}

#[test]
fn an_unknown_state_or_body_is_refused_with_near_matches_and_bad_windows_are_usage_errors() {
    let env = fixture();
    let before = env.canonical_bytes();
    let run = env
        .run(&["export", "--format", "csv", "--state", "LOA"])
        .fails_with(1);
    assert!(run.stderr.contains("unknown State 'LOA'"), "{}", run.stderr);
    assert!(run.stderr.contains("LAO"), "{}", run.stderr);
    let run = env
        .run(&["export", "--format", "csv", "--body", "wg-clearence"])
        .fails_with(1);
    assert!(
        run.stderr.contains("did you mean wg-clearance"),
        "{}",
        run.stderr
    );
    let run = env
        .run(&[
            "export",
            "--format",
            "csv",
            "--from",
            "2016-01-01",
            "--to",
            "2015-01-01",
        ])
        .fails_with(2);
    assert!(run.stderr.contains("--to"), "{}", run.stderr);
    env.run(&["export", "--format", "csv", "--from", "2016-13-01"])
        .fails_with(2);
    // The filters shape a spreadsheet; the other formats are whole by design.
    let run = env.run(&["export", "--state", "LAO"]).fails_with(2);
    assert!(run.stderr.contains("--format csv"), "{}", run.stderr);
    assert_eq!(env.canonical_bytes(), before);
}
