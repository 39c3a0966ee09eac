//! The rules' own behaviour: what is in force on a day, what a proposal adds, how an override
//! reaches a finding. The findings of each rule are pinned by the golden ledgers of
//! `tests/data/rules/` (tests/rules.rs).

use super::*;
use crate::domain::jsonl::read_lines;
use crate::domain::EntryHash;
use crate::domain::{Seq, Timestamp};
use crate::ledger::Entry;

/// Entries from JSON Lines files, one after the other, numbered from 0.
fn ledger(files: &[&str]) -> Vec<Entry> {
    let mut entries = Vec::new();
    for file in files {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let text = std::fs::read(&path).expect("a fixture file");
        for (_, line) in read_lines(text.as_slice()).expect("a valid fixture") {
            entries.push(Entry {
                seq: Seq(entries.len() as u64),
                recorded_at: Timestamp::parse("2026-01-01T00:00:00Z").expect("a timestamp"),
                recorded_by: "test".into(),
                override_reason: line.draft.override_reason,
                prev_hash: EntryHash::GENESIS,
                event: line.draft.event,
            });
        }
    }
    entries
}

fn date(s: &str) -> Date {
    Date::parse(s).expect("a valid date")
}

const FIXTURE: &str = "fixtures/ccm-machinery.jsonl";

/// `R3 wg-cooperation ZAF 2026-09-04` for each finding.
fn brief(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| {
            let whom = f
                .body
                .as_ref()
                .map(ToString::to_string)
                .or(f.office.map(|o| o.title().to_owned()))
                .unwrap_or_else(|| "-".into());
            let state = f.state.as_ref().map_or("-".into(), ToString::to_string);
            format!("{} {} {whom} {state} {}", f.rule, f.severity, f.date)
        })
        .collect()
}

fn added_by(proposal: &str) -> Vec<String> {
    let tol = Tolerances::default();
    let before = check(&Projection::fold(&ledger(&[FIXTURE])), &tol);
    let after = check(&Projection::fold(&ledger(&[FIXTURE, proposal])), &tol);
    brief(&new_findings(&before, &after))
}

#[test]
fn breaking_the_stagger_adds_one_r3_error_and_nothing_else() {
    assert_eq!(
        added_by("fixtures/proposals/break-stagger.jsonl"),
        ["R3 error wg-cooperation ZAF 2026-09-18"]
    );
}

#[test]
fn the_other_proposals_of_the_seed_add_no_finding() {
    for proposal in [
        "discontinue-reporting",
        "gender-and-diversity",
        "lausanne-action-plan",
        "enlarge-committee",
    ] {
        let added = added_by(&format!("fixtures/proposals/{proposal}.jsonl"));
        assert!(added.is_empty(), "{proposal} adds {added:?}");
    }
}

#[test]
fn on_a_day_only_the_findings_that_hold_then_are_in_force() {
    let p = Projection::fold(&ledger(&[FIXTURE]));
    let tol = Tolerances::default();
    // 1 June 2019: the 2018-19 vacancies, the seats left empty since the 8MSP, the terms set
    // too long (AUT, ESP), and the stagger breaks of 2019 (a stagger break holds for its
    // calendar year); not BEL's long term, over since 2017.
    assert_eq!(
        brief(&check_on(&p, &tol, date("2019-06-01"))),
        [
            "R2 warning coord-nim NZL 2011-09-16",
            "R2 error wg-stockpile AUT 2018-09-05",
            "R2 error wg-victim-assistance ESP 2018-09-05",
            "R7 warning wg-clearance - 2018-09-05",
            "R7 warning wg-cooperation - 2018-09-05",
            "R7 warning wg-general-status - 2018-09-05",
            "R7 warning wg-general-status - 2018-09-05",
            "R7 warning wg-universalization - 2018-09-05",
            "R3 error wg-clearance SWE 2019-09-04",
            "R3 error wg-universalization PHL 2019-09-04",
        ]
    );
    // The same as filtering the whole history.
    assert_eq!(
        check_on(&p, &tol, date("2019-06-01")),
        in_force_on(&check(&p, &tol), date("2019-06-01"))
    );
}

#[test]
fn checking_beyond_the_ledger_measures_what_is_open_up_to_that_day() {
    let p = Projection::fold(&ledger(&[FIXTURE]));
    let tol = Tolerances::default();
    let later = check_on(&p, &tol, date("2028-03-01"));
    // No meeting is recorded in 2027 or 2028, and no President after the 3RC.
    let tail: Vec<String> = brief(&later)
        .into_iter()
        .filter(|f| f.starts_with("R8") || f.starts_with("R9"))
        .collect();
    assert_eq!(
        tail,
        [
            "R8 warning President - 2026-09-18",
            "R9 warning - - 2028-01-01"
        ]
    );
    let vacancy = later
        .iter()
        .find(|f| {
            f.rule == Rule::R7
                && f.body
                    .as_ref()
                    .is_some_and(|b| b.as_str() == "coord-risk-education")
        })
        .expect("the risk education post is still empty");
    assert!(
        vacancy.message.contains("by 2028-03-01"),
        "{}",
        vacancy.message
    );
}

#[test]
fn an_override_on_the_newest_entry_of_a_finding_marks_it_overridden() {
    let tol = Tolerances::default();
    let mut entries = ledger(&[FIXTURE, "fixtures/proposals/break-stagger.jsonl"]);
    let last = entries.len() - 1;
    entries[last].override_reason = Some("R3: the 3RC decided to fill both seats".into());
    let findings = check(&Projection::fold(&entries), &tol);
    let r3 = findings
        .iter()
        .find(|f| f.rule == Rule::R3 && f.seqs.last() == Some(&Seq(last as u64)))
        .expect("the stagger break");
    assert_eq!(
        r3.overridden.as_deref(),
        Some("R3: the 3RC decided to fill both seats")
    );
    assert!(!r3.is_error());
}

#[test]
fn a_correction_carrying_an_override_overrides_the_finding_of_the_entry_it_replaces() {
    let tol = Tolerances::default();
    let mut entries = ledger(&[FIXTURE]);
    // PHL's 3-year term on wg-universalization (9MSP to 10MSP), restated with a reason.
    let (seq, event) = entries
        .iter()
        .find_map(|e| match &e.event {
            crate::domain::Event::CoordinatorElected(c)
                if c.state.as_str() == "PHL" && c.body.as_str() == "wg-universalization" =>
            {
                Some((e.seq, e.event.clone()))
            }
            _ => None,
        })
        .expect("the Philippines' election");
    let correction = crate::domain::Event::EntryCorrected(crate::domain::EntryCorrected {
        target: seq,
        reason: "restated with the reason for its length".into(),
        replacement: Some(Box::new(event)),
    });
    entries.push(Entry {
        seq: Seq(entries.len() as u64),
        override_reason: Some("R2: the term ran to the 10MSP by decision".into()),
        event: correction,
        ..entries[0].clone()
    });
    let findings = check(&Projection::fold(&entries), &tol);
    let r2 = findings
        .iter()
        .find(|f| f.rule == Rule::R2 && f.seqs == [seq])
        .expect("PHL's R2 finding");
    assert_eq!(
        r2.overridden.as_deref(),
        Some("R2: the term ran to the 10MSP by decision")
    );
}

#[test]
fn findings_serialize_to_the_json_of_the_contract() {
    let p = Projection::fold(&ledger(&[FIXTURE]));
    let findings = check(&p, &Tolerances::default());
    let nzl = findings
        .iter()
        .position(|f| f.rule == Rule::R2 && f.state.as_ref().is_some_and(|s| s.as_str() == "NZL"))
        .expect("New Zealand's open term");
    let json = serde_json::to_value(&findings[nzl]).expect("JSON");
    assert!(findings[nzl]
        .overridden
        .as_deref()
        .is_some_and(|r| r.contains("its renewals are not in the sources")));
    assert_eq!(
        json,
        serde_json::json!({
            "rule": "R2",
            "severity": "warning",
            "body": "coord-nim",
            "office": null,
            "state": "NZL",
            "date": "2011-09-16",
            "period": {"from": "2013-11-15", "until": null},
            "seqs": [71],
            "message": findings[nzl].message,
            "paragraph": "§15",
            "overridden": findings[nzl].overridden,
        })
    );
}

#[test]
fn tolerances_are_the_named_defaults_and_can_be_widened() {
    let p = Projection::fold(&ledger(&[FIXTURE]));
    let wide = Tolerances {
        term_days: 400,
        vacancy_days: 3000,
    };
    let findings = check(&p, &wide);
    // A year too long is within 400 days; two years too long is not.
    let r2_errors: Vec<String> = brief(&findings)
        .into_iter()
        .filter(|f| f.starts_with("R2 error"))
        .collect();
    assert_eq!(
        r2_errors,
        [
            "R2 error coord-reporting BEL 2011-09-16",
            "R2 error wg-clearance SWE 2019-09-04",
            "R2 error wg-victim-assistance MEX 2019-09-04",
        ]
    );
    assert!(findings.iter().all(|f| f.rule != Rule::R7));
    assert_eq!(Tolerances::default().term_days, TERM_TOLERANCE_DAYS);
}

#[test]
fn an_override_naming_rules_excuses_only_those() {
    assert!(excuses(
        "R2, R3: the Review Conference met in two parts",
        Rule::R3
    ));
    assert!(!excuses("R2: the term ran to the second part", Rule::R7));
    assert!(excuses("decided by the 9MSP as an exception", Rule::R7));
}

#[test]
fn a_snapshot_read_for_its_views_only_answers_every_query_as_the_whole_projection() {
    use crate::projection::tests::{kept, read_views, read_whole};
    use crate::projection::Fold;
    let whole = Fold::of(&ledger(&[FIXTURE]));
    let sections = kept(&whole);
    assert_eq!(read_whole(&sections).as_ref(), Some(&whole));
    let views = read_views(&sections).expect("the views read back");
    let tol = Tolerances::default();
    assert_eq!(check(&views, &tol), check(&whole, &tol));
    for on in ["2012-12-01", "2019-06-01", "2026-11-30"] {
        let on = Date::parse(on).unwrap();
        assert_eq!(views.state_on(on), whole.state_on(on));
        assert_eq!(views.committee_on(on), whole.committee_on(on));
    }
    for body in whole.bodies() {
        assert_eq!(views.body_history(&body.id), whole.body_history(&body.id));
    }
    for state in whole.states() {
        assert_eq!(
            views.state_history(&state.code),
            whole.state_history(&state.code)
        );
    }
    assert_eq!(
        views.resolve_body("universalization"),
        whole.resolve_body("universalization")
    );
}

/// The rules run on two threads for a projection of many bodies: what they find, and its
/// order, is what one thread finds.
#[test]
fn the_rules_on_two_threads_find_what_one_thread_finds() {
    // The fixture with every body copied under other ids (the copies' elections and
    // vacancies with them): enough bodies for two threads, and findings of every kind.
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE))
            .expect("the fixture");
    let mut lines = text.clone();
    for copy in 0..8 {
        for line in text.lines().filter(|l| l.contains("\"body\":\"")) {
            lines.push_str(&line.replace("\"body\":\"", &format!("\"body\":\"copy{copy}-")));
            lines.push('\n');
        }
    }
    let entries: Vec<Entry> = read_lines(lines.as_bytes())
        .expect("valid lines")
        .into_iter()
        .enumerate()
        .map(|(seq, (_, line))| Entry {
            seq: Seq(seq as u64),
            recorded_at: Timestamp::parse("2026-01-01T00:00:00Z").expect("a timestamp"),
            recorded_by: "test".into(),
            override_reason: line.draft.override_reason,
            prev_hash: EntryHash::GENESIS,
            event: line.draft.event,
        })
        .collect();
    let p = Projection::fold(&entries);
    assert!(
        p.bodies().count() > TWO_THREADS_FROM_BODIES,
        "two threads are used"
    );
    let tol = Tolerances::default();
    let scope = Scope {
        until: horizon(&p),
        last_year: meetings::last_formal_year(&p),
    };
    let one = run_on(&p, &tol, scope, false);
    let two = run_on(&p, &tol, scope, true);
    let rules: std::collections::BTreeSet<Rule> = one.iter().map(|f| f.rule).collect();
    assert!(rules.len() >= 3, "findings of several rules: {rules:?}");
    assert_eq!(one, two);
    assert_eq!(check(&p, &tol), one, "check takes two threads here");
}

#[test]
fn a_rule_is_named_in_an_override_by_its_debug_name_in_any_case() {
    for rule in Rule::ALL {
        assert_eq!(rule.name(), format!("{rule:?}"));
        assert_eq!(Rule::parse(&rule.name().to_lowercase()), Some(rule));
    }
    assert_eq!(Rule::parse("R10"), None);
    assert!(super::excuses("nominated late, see r5", Rule::R5));
    assert!(!super::excuses("nominated late, see r5", Rule::R3));
    assert!(super::excuses("no rule named", Rule::R3));
}
