//! The real CCM machinery (fixtures/ccm-machinery.jsonl), pinned to the facts, and `demo`.

use serde_json::Value;

use crate::support::*;

const FIXTURE: &str = include_str!("../../fixtures/ccm-machinery.jsonl");

/// The head hash of the fixture as `demo` records it (at 2026-11-30T00:00:00Z, by "ccm-ledger
/// demo"). A change here means the fixture or the entry format changed.
const FIXTURE_HEAD: &str = "fbdb5b7d219ad2e016e138a6edaa81e7d0e2c4d547b67fb0abf04f4911c5e62a";

fn fixture() -> TestEnv {
    let env = TestEnv::new();
    env.import(FIXTURE);
    env
}

fn states(json: &Value, list: &str) -> Vec<String> {
    let mut out: Vec<String> = json[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            h["state"]
                .as_str()
                .or(h["member"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn portugal_and_ghana_coordinated_universalization_on_15_january_2013() {
    let env = fixture();
    let json = env
        .run(&["who", "wg-universalization", "--on", "2013-01-15", "--json"])
        .ok()
        .json();
    assert_eq!(states(&json, "holders"), ["GHA", "PRT"]);
}

#[test]
fn sri_lanka_held_the_presidency_on_1_june_2019() {
    let env = fixture();
    let json = env
        .run(&["state", "--on", "2019-06-01", "--json"])
        .ok()
        .json();
    assert_eq!(json["presidency"]["president"]["state"], "LKA");
    assert_eq!(json["presidency"]["president_designate"]["state"], "CHE");
}

#[test]
fn the_committee_on_1_december_2012() {
    let env = fixture();
    let json = env
        .run(&["committee", "--on", "2012-12-01", "--json"])
        .ok()
        .json();
    let roles: Vec<(String, String)> = json["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["member"].as_str().unwrap().into(),
                m["role"].as_str().unwrap().into(),
            )
        })
        .collect();
    let has = |member: &str, role: &str| roles.contains(&(member.into(), role.into()));
    // Until 2015 the President held office from the opening of the meeting presided to the
    // opening of the next: Norway from the 3MSP's opening, Zambia designated at its close.
    assert!(
        has("NOR", "president"),
        "Norway presided from the 3MSP's opening: {roles:?}"
    );
    assert!(has("ZMB", "president_designate"), "{roles:?}");
    assert!(has("LBN", "outgoing_president"), "{roles:?}");
    for coordinator in [
        "NZL", "BEL", "GHA", "PRT", "LAO", "IRL", "SWE", "MEX", "CRI", "ZMB", "ESP", "HRV", "AFG",
        "BIH",
    ] {
        assert!(
            has(coordinator, "coordinator"),
            "{coordinator} missing: {roles:?}"
        );
    }
    for institution in ["ISU", "UN", "ICRC", "CMC"] {
        assert!(
            has(institution, "by_right"),
            "{institution} missing: {roles:?}"
        );
    }
    assert!(
        has("UNDP", "standing_invitation"),
        "UNDP was the interim ISU: {roles:?}"
    );
}

/// The fixture is generated, not edited: its script rebuilds it byte for byte from the shared
/// data (`../shared/data` beside the repository). Where that directory or python3 is absent (a
/// clone on its own), there is nothing to compare with, and the test says so and passes.
#[test]
fn the_fixture_is_its_script_run_on_the_shared_data() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("../shared/data");
    if !data.join("presidencies.csv").exists() {
        eprintln!("no shared data at {}: not compared", data.display());
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let rebuilt = out.path().join("ccm-machinery.jsonl");
    let run = std::process::Command::new("python3")
        .arg(root.join("fixtures/tools/build_fixture.py"))
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&rebuilt)
        .output();
    let Ok(run) = run else {
        eprintln!("no python3: not compared");
        return;
    };
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        std::fs::read_to_string(&rebuilt).unwrap() == FIXTURE,
        "fixtures/ccm-machinery.jsonl differs from what its script builds: run \
         python3 fixtures/tools/build_fixture.py"
    );
}

/// The Presidency as the sources give it (presidencies.csv of the shared data): until 2015 a
/// President took office at the opening of the meeting presided, with a President-designate
/// named a year ahead; Croatia presided to the end of 2015; from the 6MSP the Presidency passes
/// at the close.
#[test]
fn the_president_and_the_president_designate_on_the_days_the_sources_pin() {
    let env = fixture();
    let expected = [
        (
            "2011-06-01",
            Some(("LAO", Some("Thongloun Sisoulith"))),
            None,
        ),
        ("2012-06-01", Some(("LBN", Some("Adnan Mansour"))), None),
        (
            "2012-12-01",
            Some(("NOR", Some("Steffen Kongstad"))),
            Some("ZMB"),
        ),
        ("2013-09-11", Some(("ZMB", Some("Wylbur Simuusa"))), None),
        (
            "2014-12-01",
            Some(("CRI", Some("Manuel A. González Sanz"))),
            Some("HRV"),
        ),
        ("2015-10-15", Some(("HRV", None)), Some("NLD")),
        (
            "2016-03-01",
            Some(("NLD", Some("Henk Cor van der Kwast"))),
            None,
        ),
        ("2017-01-01", Some(("DEU", Some("Michael Biontino"))), None),
        ("2026-09-16", Some(("LAO", None)), None),
    ];
    for (on, president, designate) in expected {
        let json = env.run(&["state", "--on", on, "--json"]).ok().json();
        let presidency = &json["presidency"];
        let got = presidency["president"]["state"]
            .as_str()
            .map(|state| (state, presidency["president"]["person"].as_str()));
        assert_eq!(got, president, "President on {on}");
        assert_eq!(
            presidency["president_designate"]["state"].as_str(),
            designate,
            "President-designate on {on}"
        );
    }
}

/// The ISU's General Status page names the Czech Republic and Switzerland the 2015–2016
/// coordinators; Lebanon's term ends at the First Review Conference.
#[test]
fn the_czech_republic_and_switzerland_coordinated_general_status_on_1_january_2016() {
    let env = fixture();
    let json = env
        .run(&["who", "wg-general-status", "--on", "2016-01-01", "--json"])
        .ok()
        .json();
    assert_eq!(states(&json, "holders"), ["CHE", "CZE"]);
}

#[test]
fn the_third_review_conference_met_in_vientiane_on_14_to_18_september_2026() {
    let env = fixture();
    let export = env.run(&["export"]).ok().stdout;
    let third: Vec<Value> = export
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|e| e["kind"] == "meeting_held" && e["meeting"] == "3RC")
        .collect();
    assert_eq!(third.len(), 1);
    assert_eq!(third[0]["start"], "2026-09-14");
    assert_eq!(third[0]["end"], "2026-09-18");
    assert_eq!(third[0]["location"], "Vientiane, Lao PDR");
    // Laos presides to its close.
    let json = env
        .run(&["state", "--on", "2026-09-17", "--json"])
        .ok()
        .json();
    assert_eq!(json["presidency"]["president"]["state"], "LAO");
    let json = env
        .run(&["state", "--on", "2026-09-18", "--json"])
        .ok()
        .json();
    assert!(json["presidency"]["president"].is_null(), "{json}");
}

/// What the program prints for readers cites sources by name: never the file names of the
/// project's data, the inference labels of fixtures/README.md, or "the seed" (a reader has
/// the document's symbol, CCM/CONF/2020/PM.2/WP.6, not our nickname for it).
#[test]
fn no_printed_text_names_our_data_files_or_internal_labels() {
    let env = TestEnv::new();
    let mut printed = vec![env.run(&["demo"]).ok().stdout];
    let mut ask = |args: &[&str]| printed.push(env.run(args).ok().stdout);
    ask(&["check"]);
    ask(&["log"]);
    ask(&["export"]);
    ask(&["timeline"]);
    let page = env.file("report.html", "");
    ask(&["report", "--html", page.to_str().unwrap()]);
    for on in ["2012-12-01", "2016-01-01", "2023-09-01"] {
        ask(&["committee", "--on", on]);
        ask(&["state", "--on", on]);
    }
    for body in [
        "wg-general-status",
        "wg-universalization",
        "wg-victim-assistance",
        "wg-clearance",
        "wg-stockpile",
        "wg-cooperation",
        "coord-reporting",
        "coord-nim",
        "coord-risk-education",
    ] {
        ask(&["history", "--body", body]);
    }
    printed.push(std::fs::read_to_string(&page).unwrap());
    // JSON carries the bare paragraph in its own field ("paragraph": "§15"), for programs:
    // only its texts are for readers.
    let json = env.run(&["check", "--json"]).ok().stdout;
    for finding in serde_json::from_str::<Value>(&json)
        .unwrap()
        .as_array()
        .unwrap()
    {
        printed.push(finding["message"].as_str().unwrap().to_owned());
        printed.extend(finding["overridden"].as_str().map(str::to_owned));
    }
    for text in &printed {
        for forbidden in [
            ".csv",
            "data/README",
            "README.md",
            "observed_holders",
            "the seed",
            "seed's",
        ] {
            assert!(
                !text.contains(forbidden),
                "{forbidden:?} printed in:\n{text}"
            );
        }
        assert_no_internal_label(text);
        assert_every_paragraph_names_its_document(text);
    }
}

/// "I-9" and the like: the labels of fixtures/README.md's inferences.
fn assert_no_internal_label(text: &str) {
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices("I-") {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + 2);
        let starts_a_word = before.is_none_or(|b| !b.is_ascii_alphanumeric());
        assert!(
            !(starts_a_word && after.is_some_and(u8::is_ascii_digit)),
            "an internal label: {:?}",
            around(text, at)
        );
    }
}

/// Every "§N" is part of a citation that names the document: "CCM/CONF/2020/PM.2/WP.6 §15"
/// or "…WP.6 §15, §16".
fn assert_every_paragraph_names_its_document(text: &str) {
    const DOCUMENT: &str = "CCM/CONF/2020/PM.2/WP.6 ";
    for (at, _) in text.match_indices('§') {
        let mut before = &text[..at];
        // Walk back over "§15, " links of a list to its first paragraph.
        while let Some(rest) = before.strip_suffix(", ") {
            let Some(start) = rest.rfind('§') else { break };
            if !rest[start + '§'.len_utf8()..]
                .bytes()
                .all(|b| b.is_ascii_digit())
            {
                break;
            }
            before = &rest[..start];
        }
        assert!(
            before.ends_with(DOCUMENT),
            "a paragraph cited without its document: {:?}",
            around(text, at)
        );
    }
}

/// Some 60 bytes of `text` either side of `at`, cut on characters.
fn around(text: &str, at: usize) -> &str {
    let mut from = at.saturating_sub(60);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = (at + 60).min(text.len());
    while !text.is_char_boundary(to) {
        to += 1;
    }
    &text[from..to]
}

#[test]
fn lithuania_is_no_state_party_after_its_withdrawal() {
    let env = fixture();
    let json = env
        .run(&["history", "--state", "Lithuania", "--json"])
        .ok()
        .json();
    assert_eq!(json["memberships"][0]["joined"], "2011-09-01");
    assert_eq!(json["memberships"][0]["withdrew"], "2025-03-06");
}

#[test]
fn new_zealand_coordinated_national_implementation_measures_without_a_break() {
    let env = fixture();
    for on in ["2011-09-16", "2014-01-01", "2018-06-01", "2022-05-01"] {
        let json = env
            .run(&["who", "coord-nim", "--on", on, "--json"])
            .ok()
            .json();
        assert_eq!(states(&json, "holders"), ["NZL"], "on {on}");
    }
    let history = env
        .run(&["history", "--body", "coord-nim", "--json"])
        .ok()
        .json();
    let terms = history["terms"].as_array().unwrap();
    assert_eq!(terms.len(), 1, "one unbroken term");
    assert_eq!(terms[0]["start"], "2011-09-16");
}

#[test]
fn the_demo_builds_the_fixture_ledger_and_is_safe_to_rerun() {
    let env = TestEnv::new();
    let first = env.run(&["demo"]).ok();
    assert!(
        first.stdout.contains("Built the fixture ledger"),
        "{}",
        first.stdout
    );
    assert!(first.stdout.contains("ok: 199 entries"), "{}", first.stdout);
    assert!(
        first.stdout.contains(&format!("head {FIXTURE_HEAD}")),
        "{}",
        first.stdout
    );
    for heading in [
        "$ ccm-ledger",
        "state --on",
        "committee --on",
        "history --body",
        "verify",
    ] {
        assert!(first.stdout.contains(heading), "{heading} missing");
    }
    let longest = first
        .stdout
        .lines()
        .map(|l| l.chars().count())
        .max()
        .unwrap();
    assert!(
        longest <= 80,
        "a line of {longest} characters in an 80-column terminal"
    );

    let again = env.run(&["demo"]).ok();
    assert!(again.stdout.contains("already built"), "{}", again.stdout);
    assert_eq!(env.run(&["verify", "--json"]).ok().json()["entries"], 199);
}

#[test]
fn the_demo_leaves_a_ledger_of_other_entries_alone() {
    let env = TestEnv::new();
    env.import(SMALL);
    let before = env.canonical_bytes();
    let run = env.run(&["demo"]).fails_with(1);
    assert!(run.stderr.contains("left alone"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains(" entries that are not the demo's fixture;"),
        "{}",
        run.stderr
    );
    assert_eq!(env.canonical_bytes(), before);
}

/// A demo ledger built before the fixture's facts were corrected is not overwritten, and the
/// user is told what it is.
#[test]
fn the_demo_tells_an_older_demo_ledger_from_other_entries() {
    let env = TestEnv::new();
    let older = env.file("older.jsonl", SMALL);
    let status = env
        .command(&env.ledger())
        .env("CCM_LEDGER_RECORDER", "ccm-ledger demo")
        .args(["import", older.to_str().unwrap()])
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    let before = env.canonical_bytes();
    let run = env.run(&["demo"]).fails_with(1);
    assert!(
        run.stderr
            .contains(" entries built from an earlier version of the demo's fixture"),
        "{}",
        run.stderr
    );
    assert_eq!(env.canonical_bytes(), before);
}

#[test]
fn the_demo_uses_the_default_location_from_any_directory() {
    let env = TestEnv::new();
    let mut cmd = bin();
    let run = cmd
        .env_clear()
        .env("HOME", env.dir.path())
        .current_dir("/")
        .arg("demo")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(env
        .dir
        .path()
        .join(".local/share/ccm-ledger/default/journal")
        .exists());
}

#[test]
fn every_command_has_help_with_an_example() {
    // Every subcommand clap knows of, so a new command without an example fails here.
    let cli = <ccm_ledger::cli::Cli as clap::CommandFactory>::command();
    let commands: Vec<String> = cli
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    assert!(commands.len() >= 19, "{commands:?}");
    for command in commands {
        let run = bin().args([command.as_str(), "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&run.stdout);
        assert!(run.status.success(), "{command} --help");
        assert!(
            help.contains("Example"),
            "{command} --help has no example:\n{help}"
        );
    }
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let run = bin().args(["completions", shell]).output().unwrap();
        assert!(run.status.success());
        assert!(
            String::from_utf8_lossy(&run.stdout).contains("ccm-ledger"),
            "{shell}"
        );
    }
}
