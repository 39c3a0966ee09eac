//! The real CCM machinery (fixtures/ccm-machinery.jsonl), pinned to the facts, and `demo`.

use serde_json::Value;

use crate::support::*;

const FIXTURE: &str = include_str!("../../fixtures/ccm-machinery.jsonl");

/// The head hash of the fixture as `demo` records it (at 2026-11-30T00:00:00Z, by "ccm-ledger
/// demo"). A change here means the fixture or the entry format changed.
const FIXTURE_HEAD: &str = "1d54493a740b5677e08e55a0471ebbc2ec96e26d80c7a031532cc913026187f4";

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
    assert!(
        has("ZMB", "president"),
        "Zambia presided over the 4MSP: {roles:?}"
    );
    assert!(has("NOR", "outgoing_president"), "{roles:?}");
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
    assert!(first.stdout.contains("ok: 194 entries"), "{}", first.stdout);
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
    assert_eq!(env.run(&["verify", "--json"]).ok().json()["entries"], 194);
}

#[test]
fn the_demo_leaves_a_ledger_of_other_entries_alone() {
    let env = TestEnv::new();
    env.import(SMALL);
    let before = env.canonical_bytes();
    let run = env.run(&["demo"]).fails_with(1);
    assert!(run.stderr.contains("left alone"), "{}", run.stderr);
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
