//! The projection, told as the story of a small convention: two working groups from 2011, a
//! stand-alone coordinator later discontinued, a Presidency, an institution with a standing
//! invitation, a resignation, corrections.

use super::*;
use crate::domain::jsonl::parse_line;
use crate::domain::Timestamp;
use crate::ledger::EntryHash;

/// Entries from JSON Lines, one per non-blank line, numbered from 0. For brevity a line may
/// say `"by":"2MSP 2011-09-16"` for `"decision":{"meeting":"2MSP","date":"2011-09-16"}`.
/// Hashes and record times do not matter to the projection; they are fixed.
pub(crate) fn entries(text: &str) -> Vec<Entry> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .enumerate()
        .map(|(i, line)| Entry {
            seq: Seq(i as u64),
            recorded_at: Timestamp::parse("2026-01-01T00:00:00Z").expect("a valid timestamp"),
            recorded_by: "test".into(),
            override_reason: None,
            prev_hash: EntryHash::GENESIS,
            event: parse_line(&expand(line))
                .unwrap_or_else(|e| panic!("line {i} does not parse: {e}\n{line}"))
                .draft
                .event,
        })
        .collect()
}

/// Expands every `"by":"MEETING DATE"` of a line to a decision.
pub(crate) fn expand(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(r#""by":""#) {
        out.push_str(&rest[..at]);
        let after = &rest[at + 6..];
        let close = after.find('"').expect("a closed \"by\"");
        let (meeting, date) = after[..close]
            .split_once(' ')
            .expect("\"by\" is \"MEETING DATE\"");
        out.push_str(&format!(
            r#""decision":{{"meeting":"{meeting}","date":"{date}"}}"#
        ));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

pub(crate) fn date(s: &str) -> Date {
    Date::parse(s).expect("a valid date in the test")
}

fn body(s: &str) -> BodyId {
    BodyId::new(s).expect("a valid body id in the test")
}

fn state(s: &str) -> StateCode {
    StateCode::new(s).expect("a valid State code in the test")
}

/// Who sits in each seat on a day, as `1:ECU 2:vacant`.
fn who(p: &Projection, b: &str, on: &str) -> String {
    let h = p.holders_on(&body(b), date(on)).expect("a known body");
    let mut seats: Vec<(u32, String)> = h
        .holders
        .iter()
        .map(|h| (h.seat, format!("{}:{}", h.seat, h.state)))
        .collect();
    seats.extend(h.vacant_seats.iter().map(|s| (*s, format!("{s}:vacant"))));
    seats.sort();
    seats
        .into_iter()
        .map(|(_, s)| s)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A body's terms, as `seat state start..end how_ended`.
fn terms(p: &Projection, b: &str) -> Vec<String> {
    p.body_history(&body(b))
        .expect("a known body")
        .terms
        .iter()
        .map(|t| {
            let by = t.ended_by.map(|s| format!(" #{s}")).unwrap_or_default();
            format!(
                "{} {} {}..{} {}{by}",
                t.seat.unwrap_or(0),
                t.state,
                t.start,
                t.end,
                t.how_ended
            )
        })
        .collect()
}

fn committee(p: &Projection, on: &str) -> Vec<String> {
    p.committee_on(date(on))
        .into_iter()
        .map(|m| format!("{}: {}", m.member, m.reason))
        .collect()
}

/// Eleven years of a small convention. Comments give each entry's seq.
const STORY: &str = r#"
// 0..=6
{"kind":"state_joined","state":"NOR","name":"Norway","effective":"2010-08-01"}
{"kind":"state_joined","state":"ECU","name":"Ecuador","effective":"2010-08-01"}
{"kind":"state_joined","state":"CHE","name":"Switzerland","effective":"2010-08-01"}
{"kind":"state_joined","state":"PHL","name":"Philippines","effective":"2010-08-01"}
{"kind":"state_joined","state":"AUS","name":"Australia","effective":"2010-08-01"}
{"kind":"state_joined","state":"IRQ","name":"Iraq","effective":"2010-08-01"}
{"kind":"meeting_held","meeting":"2MSP","type":"msp","start":"2011-09-12","end":"2011-09-16","location":"Beirut"}
// 7..=8: two working groups; 9..=12: the stagger, one seat of each for one year, the other for two
{"kind":"body_established","body":"wg-universalization","name":"Working Group on Universalization","seats":2,"term_years":2,"renew_per_year":1,"mandate":["promote universal adherence"],"by":"2MSP 2011-09-16"}
{"kind":"body_established","body":"wg-clearance","name":"Working Group on Clearance","seats":2,"term_years":2,"renew_per_year":1,"mandate":["clearance and risk reduction"],"by":"2MSP 2011-09-16"}
{"kind":"coordinator_elected","body":"wg-universalization","state":"ECU","start":"2011-09-16","end":{"meeting":"3MSP"},"by":"2MSP 2011-09-16"}
{"kind":"coordinator_elected","body":"wg-universalization","state":"NOR","start":"2011-09-16","end":{"meeting":"4MSP"},"by":"2MSP 2011-09-16"}
{"kind":"coordinator_elected","body":"wg-clearance","state":"AUS","start":"2011-09-16","end":{"meeting":"3MSP"},"by":"2MSP 2011-09-16"}
{"kind":"coordinator_elected","body":"wg-clearance","state":"CHE","start":"2011-09-16","end":{"meeting":"4MSP"},"by":"2MSP 2011-09-16"}
// 13..=15: the 3MSP renews one seat of each
{"kind":"meeting_held","meeting":"3MSP","type":"msp","start":"2012-09-11","end":"2012-09-14","location":"Oslo"}
{"kind":"coordinator_elected","body":"wg-universalization","state":"PHL","start":"2012-09-14","end":{"meeting":"5MSP"},"by":"3MSP 2012-09-14"}
{"kind":"coordinator_elected","body":"wg-clearance","state":"AUS","start":"2012-09-14","end":{"meeting":"5MSP"},"by":"3MSP 2012-09-14"}
// 16..=17: Switzerland resigns; Norway completes its term
{"kind":"coordinator_left","body":"wg-clearance","state":"CHE","effective":"2013-03-01","reason":"resignation"}
{"kind":"coordinator_elected","body":"wg-clearance","state":"NOR","start":"2013-04-02","end":{"meeting":"4MSP"},"by":"3MSP 2012-09-14"}
// 18..=20: the 4MSP renews the other seats
{"kind":"meeting_held","meeting":"4MSP","type":"msp","start":"2013-09-10","end":"2013-09-13","location":"Lusaka"}
{"kind":"coordinator_elected","body":"wg-universalization","state":"IRQ","start":"2013-09-13","end":{"meeting":"6MSP"},"by":"4MSP 2013-09-13"}
{"kind":"coordinator_elected","body":"wg-clearance","state":"ECU","start":"2013-09-13","end":{"meeting":"6MSP"},"by":"4MSP 2013-09-13"}
"#;

#[test]
fn two_working_groups_keep_their_stagger_seat_by_seat() {
    let p = Projection::fold(&entries(STORY));
    assert_eq!(who(&p, "wg-universalization", "2012-01-01"), "1:ECU 2:NOR");
    assert_eq!(who(&p, "wg-universalization", "2013-01-01"), "1:PHL 2:NOR");
    assert_eq!(who(&p, "wg-universalization", "2014-01-01"), "1:PHL 2:IRQ");
    assert_eq!(who(&p, "wg-clearance", "2012-01-01"), "1:AUS 2:CHE");
    assert_eq!(who(&p, "wg-clearance", "2014-01-01"), "1:AUS 2:ECU");
    assert_eq!(
        terms(&p, "wg-universalization"),
        [
            "1 ECU 2011-09-16..2012-09-14 succeeded #14",
            "2 NOR 2011-09-16..2013-09-13 succeeded #19",
            "1 PHL 2012-09-14..until the close of 5MSP running",
            "2 IRQ 2013-09-13..until the close of 6MSP running",
        ]
    );
}

#[test]
fn on_the_last_day_of_a_term_the_successor_holds_the_seat() {
    let p = Projection::fold(&entries(STORY));
    assert_eq!(who(&p, "wg-universalization", "2012-09-13"), "1:ECU 2:NOR");
    assert_eq!(who(&p, "wg-universalization", "2012-09-14"), "1:PHL 2:NOR");
}

#[test]
fn a_state_elected_again_to_its_own_seat_renewed_it() {
    let p = Projection::fold(&entries(STORY));
    assert_eq!(
        terms(&p, "wg-clearance")[..2],
        [
            "1 AUS 2011-09-16..2012-09-14 renewed #15",
            "2 CHE 2011-09-16..2013-03-01 left #16",
        ]
    );
    let history = p.body_history(&body("wg-clearance")).expect("known");
    let renewal = &history.terms[2];
    assert_eq!(
        (renewal.seat, renewal.predecessor),
        (Some(1), Some(Seq(11)))
    );
}

#[test]
fn a_resignation_leaves_the_seat_vacant_until_the_replacement_takes_it() {
    let p = Projection::fold(&entries(STORY));
    assert_eq!(who(&p, "wg-clearance", "2013-02-28"), "1:AUS 2:CHE");
    assert_eq!(who(&p, "wg-clearance", "2013-03-01"), "1:AUS 2:vacant");
    assert_eq!(who(&p, "wg-clearance", "2013-04-02"), "1:AUS 2:NOR");

    let history = p.body_history(&body("wg-clearance")).expect("known");
    let che = history
        .terms
        .iter()
        .find(|t| t.seq == Seq(12))
        .expect("CHE");
    assert_eq!(
        (che.how_ended, che.reason.as_deref()),
        ("left", Some("resignation"))
    );
    let nor = history
        .terms
        .iter()
        .find(|t| t.seq == Seq(17))
        .expect("NOR");
    assert_eq!(
        (nor.seat, nor.predecessor, nor.successor),
        (Some(2), Some(Seq(12)), Some(Seq(20)))
    );
    assert_eq!(nor.how_ended, "succeeded");
}

#[test]
fn a_term_until_the_close_of_a_meeting_is_pending_until_the_meeting_is_recorded() {
    let mut p = Projection::fold(&entries(STORY));
    let phl = |p: &Projection| {
        p.holders_on(&body("wg-universalization"), date("2014-09-10"))
            .expect("known")
            .holders
            .into_iter()
            .find(|h| h.state == state("PHL"))
    };
    let pending = phl(&p).expect("still in office: the end is not known yet");
    assert_eq!(
        pending.end,
        EndView::Pending(MeetingId::new("5MSP").expect("valid"))
    );
    assert_eq!(pending.end.to_string(), "until the close of 5MSP");
    assert_eq!(
        serde_json::to_string(&pending.end).expect("serializes"),
        r#"{"meeting":"5MSP"}"#
    );

    let next = entries(
        r#"{"kind":"meeting_held","meeting":"5MSP","type":"msp","start":"2014-09-02","end":"2014-09-05","location":"San José"}"#,
    );
    let mut entry = next[0].clone();
    entry.seq = Seq(p.entries_applied());
    p.apply(&entry);
    assert_eq!(phl(&p), None, "the term ended at the close of the 5MSP");
    assert_eq!(
        terms(&p, "wg-universalization")[2],
        "1 PHL 2012-09-14..2014-09-05 term expired"
    );
}

#[test]
fn holders_answer_in_the_json_of_the_contract() {
    let p = Projection::fold(&entries(STORY));
    let answer = p
        .holders_on(&body("wg-clearance"), date("2013-03-15"))
        .expect("known");
    let json = serde_json::to_value(&answer).expect("serializes");
    assert_eq!(
        json,
        serde_json::json!({
            "body": "wg-clearance",
            "name": "Working Group on Clearance",
            "on": "2013-03-15",
            "in_force": true,
            "seats": 2,
            "holders": [{
                "seat": 1, "state": "AUS", "name": "Australia", "start": "2012-09-14",
                "end": {"meeting": "5MSP"},
                "decision": {"meeting": "3MSP", "date": "2012-09-14", "document": null, "paragraph": null},
                "seq": 15
            }],
            "vacant_seats": [2]
        })
    );
}

/// The years after: a stand-alone coordinator discontinued, its mandate moved; amendments; the
/// Presidency; institutions. Seqs continue from [`STORY`]'s 21 entries.
const LATER: &str = r#"
// 21..=24
{"kind":"meeting_held","meeting":"9MSP","type":"msp","start":"2019-09-02","end":"2019-09-04","location":"Geneva"}
{"kind":"body_established","body":"coord-reporting","name":"Coordinator on Reporting","seats":1,"term_years":2,"renew_per_year":1,"by":"2MSP 2011-09-16"}
{"kind":"body_established","body":"wg-general-status","name":"Working Group on the General Status and Operation of the Convention","seats":2,"term_years":2,"renew_per_year":1,"by":"2MSP 2011-09-16"}
{"kind":"coordinator_elected","body":"coord-reporting","state":"IRQ","start":"2019-09-04","end":null,"by":"9MSP 2019-09-04"}
// 25..=28: the Second Review Conference amends, renames, discontinues
{"kind":"meeting_held","meeting":"2RC-2","type":"rc","start":"2021-09-20","end":"2021-09-21","location":"Geneva"}
{"kind":"mandate_amended","body":"wg-clearance","add":["gender and diversity"],"remove":["clearance and risk reduction"],"by":"2RC-2 2021-09-21"}
{"kind":"body_amended","body":"wg-clearance","name":"Working Group on Clearance and Risk Reduction Education","effective":"2021-09-21","by":"2RC-2 2021-09-21"}
{"kind":"body_discontinued","body":"coord-reporting","effective":"2021-09-21","transfer_to":"wg-general-status","by":"2RC-2 2021-09-21"}
// 29..=33: the Presidency
{"kind":"president_elected","state":"NOR","person":"Ambassador A","start":"2018-09-05","end":"2019-09-04","by":"9MSP 2019-09-04"}
{"kind":"president_elected","state":"CHE","person":"Félix Baumann","start":"2019-09-04","end":{"meeting":"2RC-2"},"by":"9MSP 2019-09-04"}
{"kind":"president_designate_elected","state":"IRQ","start":"2020-11-27","end":null,"by":"9MSP 2019-09-04"}
{"kind":"president_elected","state":"IRQ","start":"2021-09-21","end":{"meeting":"11MSP"},"by":"2RC-2 2021-09-21"}
{"kind":"institution_registered","institution":"ICRC","name":"International Committee of the Red Cross","by_right":true}
// 34..=36: a standing invitation, extended and withdrawn
{"kind":"institution_registered","institution":"GICHD","name":"Geneva International Centre for Humanitarian Demining","by_right":false}
{"kind":"standing_invitation_extended","institution":"GICHD","effective":"2021-09-21","by":"2RC-2 2021-09-21"}
{"kind":"standing_invitation_withdrawn","institution":"GICHD","effective":"2023-09-01","by":"2RC-2 2021-09-21"}
"#;

fn story() -> Vec<Entry> {
    entries(&format!("{STORY}\n{LATER}"))
}

#[test]
fn a_query_sees_the_mandate_and_name_in_force_on_its_day() {
    let p = Projection::fold(&story());
    let clearance = |on: &str| {
        p.state_on(date(on))
            .bodies
            .into_iter()
            .find(|b| b.body == body("wg-clearance"))
            .expect("in force")
    };
    let before = clearance("2021-09-20");
    assert_eq!(before.name, "Working Group on Clearance");
    assert_eq!(before.mandate, ["clearance and risk reduction"]);
    let after = clearance("2021-09-21");
    assert_eq!(
        after.name,
        "Working Group on Clearance and Risk Reduction Education"
    );
    assert_eq!(after.mandate, ["gender and diversity"]);

    let history = p.body_history(&body("wg-clearance")).expect("known");
    let kinds: Vec<_> = history.amendments.iter().map(|a| (a.kind, a.seq)).collect();
    assert_eq!(
        kinds,
        [("mandate_amended", Seq(26)), ("body_amended", Seq(27))]
    );
}

#[test]
fn a_discontinued_body_ends_its_terms_and_hands_on_its_mandate() {
    let p = Projection::fold(&story());
    assert_eq!(who(&p, "coord-reporting", "2021-09-20"), "1:IRQ");
    assert_eq!(who(&p, "coord-reporting", "2021-09-21"), "", "not in force");
    assert_eq!(
        terms(&p, "coord-reporting"),
        ["1 IRQ 2019-09-04..2021-09-21 body discontinued #28"]
    );
    let in_force = |on: &str| -> Vec<String> {
        p.state_on(date(on))
            .bodies
            .iter()
            .map(|b| b.body.to_string())
            .collect()
    };
    assert!(in_force("2021-09-20").contains(&"coord-reporting".to_owned()));
    assert!(!in_force("2021-09-21").contains(&"coord-reporting".to_owned()));

    let general = p.body_history(&body("wg-general-status")).expect("known");
    assert_eq!(
        general.mandates_received,
        [MandateReceived {
            from: body("coord-reporting"),
            effective: date("2021-09-21"),
            seq: Seq(28)
        }]
    );
}

#[test]
fn the_presidency_has_a_president_a_designate_and_an_outgoing_president() {
    let p = Projection::fold(&story());
    let on = |d: &str| {
        let pr = p.presidency_on(date(d));
        let code = |v: Option<PresidencyView>| v.map(|v| v.state.to_string()).unwrap_or_default();
        [
            code(pr.president),
            code(pr.president_designate),
            code(pr.outgoing_president),
        ]
    };
    assert_eq!(on("2019-01-01"), ["NOR", "", ""]);
    assert_eq!(on("2020-01-01"), ["CHE", "", "NOR"]);
    assert_eq!(on("2020-12-01"), ["CHE", "IRQ", "NOR"]);
    // The designate's open term ends when Iraq takes office at the close of the 2RC-2.
    assert_eq!(on("2021-09-21"), ["IRQ", "", "CHE"]);
    let designate = p
        .state_history(&state("IRQ"))
        .expect("known")
        .presidencies
        .into_iter()
        .find(|v| v.office == "President-designate")
        .expect("designated");
    assert_eq!(
        (designate.end, designate.how_ended, designate.ended_by),
        (
            EndView::On(date("2021-09-21")),
            "became President",
            Some(Seq(32))
        )
    );
}

#[test]
fn the_coordination_committee_is_derived_with_the_reason_each_member_sits() {
    let p = Projection::fold(&story());
    assert_eq!(
        committee(&p, "2021-09-20"),
        [
            "CHE: President",
            "IRQ: President-designate",
            "NOR: outgoing President",
            "IRQ: coordinator, Coordinator on Reporting",
            "AUS: coordinator, Working Group on Clearance",
            "ECU: coordinator, Working Group on Clearance",
            "PHL: coordinator, Working Group on Universalization",
            "IRQ: coordinator, Working Group on Universalization",
            "ICRC: member by right (§19)",
        ]
    );
    // The close of the 2RC-2: a new President, a renamed working group, a discontinued
    // coordinator, and the GICHD's standing invitation in force from that day.
    assert_eq!(
        committee(&p, "2021-09-21"),
        [
            "IRQ: President",
            "CHE: outgoing President",
            "AUS: coordinator, Working Group on Clearance and Risk Reduction Education",
            "ECU: coordinator, Working Group on Clearance and Risk Reduction Education",
            "PHL: coordinator, Working Group on Universalization",
            "IRQ: coordinator, Working Group on Universalization",
            "ICRC: member by right (§19)",
            "GICHD: standing invitation since 2021-09-21 (§21)",
        ]
    );
    let gichd = |on: &str| committee(&p, on).iter().any(|m| m.starts_with("GICHD"));
    assert!(gichd("2023-08-31"));
    assert!(!gichd("2023-09-01"), "withdrawn on that day");
    // Iraq sits twice, as President and as coordinator: one member, two roles.
    assert_eq!(p.state_on(date("2021-09-21")).committee_size, 7);
}

/// Corrections of [`story`]'s entries, from seq 37.
const CORRECTIONS: &str = r#"
// 37: it was Australia, not Iraq, that the 4MSP elected to Universalization (entry 19)
{"kind":"entry_corrected","target":19,"reason":"wrong State","replacement":{"kind":"coordinator_elected","body":"wg-universalization","state":"AUS","start":"2013-09-13","end":{"meeting":"6MSP"},"by":"4MSP 2013-09-13"}}
// 38: the GICHD's invitation was never withdrawn (entry 36)
{"kind":"entry_corrected","target":36,"reason":"recorded in error","replacement":null}
// 39: a correction of a correction is not applied (validation refuses it)
{"kind":"entry_corrected","target":38,"reason":"undo","replacement":null}
"#;

fn corrected_story() -> Vec<Entry> {
    entries(&format!("{STORY}\n{LATER}\n{CORRECTIONS}"))
}

#[test]
fn a_correction_replaces_an_entry_and_the_earlier_belief_stays_answerable() {
    let all = corrected_story();
    let now = Projection::fold(&all);
    let before = Projection::fold(&all[..=36]);
    assert_eq!(
        who(&before, "wg-universalization", "2014-01-01"),
        "1:PHL 2:IRQ"
    );
    assert_eq!(
        who(&now, "wg-universalization", "2014-01-01"),
        "1:PHL 2:AUS"
    );

    let history = now
        .body_history(&body("wg-universalization"))
        .expect("known");
    let corrected: Vec<_> = history
        .corrected_terms
        .iter()
        .map(|t| (t.state.to_string(), t.how_ended, t.ended_by, t.seq))
        .collect();
    assert_eq!(
        corrected,
        [("IRQ".to_owned(), "corrected", Some(Seq(37)), Seq(19))]
    );
    let replacement = history
        .terms
        .iter()
        .find(|t| t.seq == Seq(19))
        .expect("kept at 19");
    assert_eq!(
        (replacement.state.as_str(), replacement.seat),
        ("AUS", Some(2))
    );

    let iraq = now.state_history(&state("IRQ")).expect("known");
    assert!(iraq
        .terms
        .iter()
        .all(|t| t.body != body("wg-universalization")));
    assert_eq!(now.superseded(Seq(19)).len(), 1);
}

#[test]
fn a_retraction_removes_an_entry_from_the_projection_but_not_from_the_record() {
    let all = corrected_story();
    let now = Projection::fold(&all);
    let before = Projection::fold(&all[..=37]);
    let gichd = |p: &Projection| {
        committee(p, "2024-01-01")
            .iter()
            .any(|m| m.starts_with("GICHD"))
    };
    assert!(!gichd(&before));
    assert!(gichd(&now));
    assert_eq!(now.effective_event(Seq(36)), None);
    assert!(now.superseded(Seq(36))[0].retracted);
    assert_eq!(now.correction_target(Seq(39)), Some(Seq(38)));
    assert_eq!(
        now.superseded(Seq(38)),
        [],
        "a correction is never corrected"
    );
    assert_eq!(now.entries_applied(), 40);
}

#[test]
fn a_retracted_election_leaves_its_seat_vacant() {
    let mut all = story();
    all.extend(entries(
        r#"{"kind":"entry_corrected","target":17,"reason":"never took office","replacement":null}"#,
    ));
    all[37].seq = Seq(37);
    let p = Projection::fold(&all);
    assert_eq!(who(&p, "wg-clearance", "2013-04-02"), "1:AUS 2:vacant");
    let history = p.body_history(&body("wg-clearance")).expect("known");
    assert_eq!(history.corrected_terms[0].how_ended, "retracted");
    let ecu = history
        .terms
        .iter()
        .find(|t| t.seq == Seq(20))
        .expect("ECU");
    assert_eq!(
        ecu.predecessor,
        Some(Seq(12)),
        "ECU succeeds CHE directly now"
    );
}

#[test]
fn a_body_or_state_is_found_by_name_or_near_miss() {
    let p = Projection::fold(&story());
    assert_eq!(p.resolve_body("WG-Clearance"), Ok(body("wg-clearance")));
    assert_eq!(
        p.resolve_body("working group on clearance"),
        Ok(body("wg-clearance")),
        "a former name still finds the body"
    );
    assert_eq!(p.resolve_state("ecuador"), Ok(state("ECU")));
    assert_eq!(p.resolve_state("ecu"), Ok(state("ECU")));
    let unknown = p.resolve_body("universalisation").expect_err("a near miss");
    assert_eq!(
        unknown.to_string(),
        "unknown body 'universalisation'; did you mean wg-universalization \
         (Working Group on Universalization)?"
    );
    let none = p.resolve_state("Atlantis").expect_err("nothing near");
    assert_eq!(none.to_string(), "unknown State 'Atlantis'");
}

#[test]
fn an_election_beyond_the_seats_takes_an_overflow_seat_for_rule_r1_to_report() {
    let p = Projection::fold(&entries(&format!(
        "{STORY}\n{}",
        r#"{"kind":"coordinator_elected","body":"wg-universalization","state":"CHE","start":"2014-01-01","end":"2015-01-01","by":"4MSP 2013-09-13"}"#
    )));
    assert_eq!(
        who(&p, "wg-universalization", "2014-06-01"),
        "1:PHL 2:IRQ 3:CHE"
    );
}

#[test]
fn an_open_term_ends_when_the_state_leaves_or_is_elected_again() {
    let p = Projection::fold(&entries(&format!(
        "{STORY}\n{}",
        r#"
        {"kind":"body_established","body":"coord-ratification","name":"Coordinator on Ratification","seats":1,"term_years":2,"renew_per_year":1,"by":"4MSP 2013-09-13"}
        {"kind":"coordinator_elected","body":"coord-ratification","state":"NOR","start":"2013-09-13","end":null,"by":"4MSP 2013-09-13"}
        {"kind":"coordinator_elected","body":"coord-ratification","state":"NOR","start":"2015-09-13","end":null,"by":"4MSP 2013-09-13"}
        {"kind":"coordinator_left","body":"coord-ratification","state":"NOR","effective":"2016-02-01","reason":"withdrew its candidacy"}
        "#
    )));
    assert_eq!(
        terms(&p, "coord-ratification"),
        [
            "1 NOR 2013-09-13..2015-09-13 renewed #23",
            "1 NOR 2015-09-13..2016-02-01 left #24",
        ]
    );
}

#[test]
fn an_override_belongs_to_the_entry_that_supplied_the_effective_event() {
    let mut entries = entries(&format!(
        "{STORY}\n{}\n{}\n{}",
        r#"{"kind":"entry_corrected","target":15,"reason":"wrong date","replacement":{"kind":"coordinator_elected","body":"wg-clearance","state":"AUS","start":"2012-09-14","end":{"meeting":"4MSP"},"by":"3MSP 2012-09-14"}}"#,
        r#"{"kind":"entry_corrected","target":14,"reason":"never took office","replacement":null}"#,
        r#"{"kind":"entry_corrected","target":19,"reason":"typo","replacement":{"kind":"coordinator_elected","body":"wg-universalization","state":"IRQ","start":"2013-09-13","end":{"meeting":"6MSP"},"by":"4MSP 2013-09-13"}}"#,
    ));
    let reason = |s: &str| Some(s.to_owned());
    entries[14].override_reason = reason("R3: decided so");
    entries[15].override_reason = reason("R2: overridden at first");
    entries[19].override_reason = reason("R2: kept until corrected");
    entries[21].override_reason = reason("R2: the correction's own reason");
    let p = Projection::fold(&entries);
    // Replaced with an override: the correction's reason now stands for the target.
    assert_eq!(
        p.override_reason(Seq(15)),
        Some("R2: the correction's own reason")
    );
    // Retracted: nothing of it stands.
    assert_eq!(p.override_reason(Seq(14)), None);
    // Replaced by a correction without one: the old reason went with the old event.
    assert_eq!(p.override_reason(Seq(19)), None);
    assert_eq!(p.override_reason(Seq(0)), None);
}
