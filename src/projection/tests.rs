//! The projection, told as the story of a small convention: two working groups from 2011, a
//! stand-alone coordinator later discontinued, a Presidency, an institution with a standing
//! invitation, a resignation, corrections.

use super::*;
use crate::domain::jsonl::parse_line;
use crate::domain::Timestamp;
use crate::domain::{EntryHash, TermEnd};

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

// ---- the projection kept in a snapshot ---------------------------------------------------

use crate::ledger::Snapshotted;
use crate::projection::{seats_section, state_names_section_of, state_section};

/// The projection kept as snapshot sections, by name.
pub(crate) fn kept(p: &Fold) -> BTreeMap<String, Vec<u8>> {
    let sections = p.sections();
    let count = sections.len();
    let kept: BTreeMap<String, Vec<u8>> = sections.into_iter().collect();
    assert_eq!(kept.len(), count, "every section has a name of its own");
    kept
}

/// The projection read back whole from its sections, events and all.
pub(crate) fn read_whole(sections: &BTreeMap<String, Vec<u8>>) -> Option<Fold> {
    Fold::from_sections(&mut |name| sections.get(name).cloned())
}

/// Its views read back from its sections (what a whole-ledger question reads).
pub(crate) fn read_views(sections: &BTreeMap<String, Vec<u8>>) -> Option<Projection> {
    Projection::read_views(&mut |name| sections.get(name).cloned())
}

/// The projection read in part from its sections, for `question`.
fn read_part(sections: &BTreeMap<String, Vec<u8>>, question: &Question) -> Option<Part> {
    Projection::read_part(&mut |name| sections.get(name).cloned(), question)
}

/// Every question of `who`, `history --body`, `history --state`, `state` and `committee`, on
/// `days`, for `bodies` and `states` (by id or code, by name, and by names nothing has),
/// answered by the projection read in part for it exactly as by the whole: `Err` names the
/// first that differs.
fn parts_answer_as_the_whole(
    whole: &Fold,
    days: &[Date],
    bodies: &[BodyId],
    states: &[StateCode],
) -> Result<(), String> {
    let sections = kept(whole);
    let differ = |what: String| Err(format!("read in part, {what} differs"));
    for &on in days {
        let p = read_part(&sections, &Question::InForceOn(on)).ok_or("in force")?;
        if p.state_on(on) != whole.state_on(on) {
            return differ(format!("state --on {on}"));
        }
        if p.committee_on(on) != whole.committee_on(on) {
            return differ(format!("committee --on {on}"));
        }
        if p.presidency_on(on) != whole.presidency_on(on) {
            return differ(format!("the Presidency on {on}"));
        }
    }
    let mut typed_bodies: Vec<String> = vec!["universalisation".into(), "".into(), "wg".into()];
    for b in bodies {
        typed_bodies.push(b.to_string());
        typed_bodies.push(b.as_str().to_uppercase());
        if let Some(found) = whole.body(b) {
            typed_bodies.extend(found.names().map(|n| format!(" {} ", n.to_lowercase())));
        }
    }
    for typed in &typed_bodies {
        let resolved = whole.resolve_body(typed);
        let p = read_part(&sections, &Question::Holders(typed.clone())).ok_or("holders")?;
        if p.resolve_body(typed) != resolved {
            return differ(format!("who {typed:?}"));
        }
        if let Ok(id) = &resolved {
            for &on in days {
                if p.holders_on(id, on) != whole.holders_on(id, on) {
                    return differ(format!("who {id} --on {on}"));
                }
            }
        }
        let p = read_part(&sections, &Question::BodyHistory(typed.clone())).ok_or("body")?;
        if p.resolve_body(typed) != resolved {
            return differ(format!("history --body {typed:?}"));
        }
        if let Ok(id) = &resolved {
            if p.body_history(id) != whole.body_history(id) {
                return differ(format!("history --body {id}"));
            }
        }
    }
    let mut typed_states: Vec<String> = vec!["Atlantis".into(), "".into(), "nor way".into()];
    for code in states {
        typed_states.push(code.to_string());
        typed_states.push(code.as_str().to_lowercase());
        typed_states.extend(whole.state(code).map(|s| s.name.to_uppercase()));
    }
    for typed in &typed_states {
        let resolved = whole.resolve_state(typed);
        let p = read_part(&sections, &Question::StateHistory(typed.clone())).ok_or("state")?;
        if p.resolve_state(typed) != resolved {
            return differ(format!("history --state {typed:?}"));
        }
        if let Ok(code) = &resolved {
            if p.state_history(code) != whole.state_history(code) {
                return differ(format!("history --state {code}"));
            }
        }
    }
    Ok(())
}

/// Every day something begins or ends in `p`, the day before it, and the day after the last.
fn every_boundary(p: &Projection) -> Vec<Date> {
    let mut days = BTreeSet::new();
    for b in p.bodies() {
        days.insert(b.established.effective);
        days.extend(b.discontinued.as_ref().map(|d| d.effective));
        days.extend(b.changes.iter().map(|c| c.effective));
        for t in &b.terms {
            days.insert(t.start);
            days.extend(t.end);
        }
    }
    for t in p.presidency_terms() {
        days.insert(t.start);
        days.extend(t.end);
    }
    let last = days.last().map(|d| d.add_days(1));
    let before: Vec<Date> = days.iter().map(|d| d.add_days(-1)).collect();
    days.extend(before);
    days.extend(last);
    days.into_iter().collect()
}

fn parts_answer_as_the_whole_on(entries: &[Entry]) {
    let whole = Fold::of(entries);
    let bodies: Vec<BodyId> = whole.bodies().map(|b| b.id.clone()).collect();
    let mut states: Vec<StateCode> = whole.states().map(|s| s.code.clone()).collect();
    for b in whole.bodies() {
        states.extend(b.terms.iter().map(|t| t.state.clone()));
    }
    states.extend(whole.presidency_terms().iter().map(|t| t.state.clone()));
    states.sort();
    states.dedup();
    let days = every_boundary(&whole);
    assert!(!bodies.is_empty() && !states.is_empty() && days.len() > 10);
    parts_answer_as_the_whole(&whole, &days, &bodies, &states).unwrap();
}

/// The fixture's entries, as `import` would record them.
pub(crate) fn fixture() -> Vec<Entry> {
    recorded(include_str!("../../fixtures/ccm-machinery.jsonl"))
}

fn recorded(jsonl: &str) -> Vec<Entry> {
    let lines =
        crate::domain::jsonl::read_lines(std::io::Cursor::new(jsonl)).expect("the file parses");
    let drafts: Vec<_> = lines.into_iter().map(|(_, l)| l.draft).collect();
    let recorder = crate::ledger::Recorder {
        by: "test".into(),
        at: Some(Timestamp::parse("2026-01-01T00:00:00Z").expect("a time")),
    };
    crate::ledger::prepare(crate::ledger::Head::empty(), &drafts, &recorder)
        .entries
        .into_iter()
        .map(|s| s.entry)
        .collect()
}

#[test]
fn a_projection_kept_in_sections_reads_back_whole() {
    for entries in [story(), corrected_story(), fixture()] {
        let whole = Fold::of(&entries);
        let sections = kept(&whole);
        assert_eq!(read_whole(&sections), Some(whole.clone()));
        // Its views alone (a Projection, which takes no entries) are the whole's views.
        let views = read_views(&sections).expect("the views read back");
        assert_eq!(&views, whole.projection());
    }
}

#[test]
fn read_in_part_the_fixture_answers_every_query_as_the_whole_projection() {
    parts_answer_as_the_whole_on(&fixture());
}

#[test]
fn read_in_part_the_queries_ledger_answers_every_query_as_the_whole_projection() {
    parts_answer_as_the_whole_on(&recorded(include_str!("../../tests/data/queries.jsonl")));
}

#[test]
fn read_in_part_a_story_with_corrections_answers_every_query_as_the_whole_projection() {
    parts_answer_as_the_whole_on(&corrected_story());
}

#[test]
fn a_missing_or_damaged_section_is_refused_not_misread() {
    let whole = Fold::of(&fixture());
    let sections = kept(&whole);
    for name in sections.keys() {
        let mut damaged = sections.clone();
        damaged.remove(name);
        assert!(read_whole(&damaged).is_none(), "without {name}");
        // A section taken for another (a directory pointing at the wrong bytes).
        if let Some(id) = name
            .strip_prefix("body/")
            .filter(|id| *id != "wg-clearance")
        {
            damaged.insert(name.clone(), sections["body/wg-clearance"].clone());
            assert!(read_views(&damaged).is_none(), "{name}");
            let ask = Question::Holders(id.to_owned());
            assert!(read_part(&damaged, &ask).is_none(), "{name}");
        }
    }
    // What each question reads, it needs whole; what it does not read, it does without.
    let needs = [
        (Question::Holders("wg-clearance".into()), "body-names"),
        (
            Question::Holders("wg-clearance".into()),
            "body/wg-clearance",
        ),
        (
            Question::StateHistory("NOR".into()),
            &state_section(&StateCode::new("NOR").unwrap()),
        ),
        (Question::Holders("wg-clearance".into()), "shared"),
        (Question::Holders("clearence".into()), "catalogue"),
        (
            Question::StateHistory("NOR".into()),
            &seats_section(&StateCode::new("NOR").unwrap()),
        ),
        (
            Question::StateHistory("NOR".into()),
            &state_names_section_of("NOR"),
        ),
        (Question::InForceOn(date("2019-06-01")), "catalogue"),
    ];
    for (question, name) in needs {
        assert!(read_part(&sections, &question).is_some(), "{question:?}");
        let mut without = sections.clone();
        assert!(without.remove(name).is_some(), "{name} is a section");
        assert!(
            read_part(&without, &question).is_none(),
            "{question:?} without {name}"
        );
    }
    let mut lean = sections.clone();
    lean.retain(|name, _| {
        let events = ["topics/", "fingerprints/", "overrides/"];
        !events.iter().any(|p| name.starts_with(p))
            && !name.starts_with("seats-by-state/")
            && !["corrections", "superseded", "catalogue"].contains(&&**name)
    });
    assert!(read_part(&lean, &Question::Holders("wg-clearance".into())).is_some());
}

/// A part answers the question it was read for, and refuses any other: it holds too little
/// to answer one (here, one body, asked about another).
#[test]
#[should_panic(expected = "was asked about")]
fn a_projection_read_in_part_answers_no_other_question() {
    let entries = fixture();
    let sections = kept(&Fold::of(&entries));
    let part = read_part(&sections, &Question::Holders("wg-clearance".into())).unwrap();
    let other = BodyId::new("wg-universalization").unwrap();
    part.holders_on(&other, date("2020-01-01"));
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
pub(crate) const STORY: &str = r#"
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
    let p = Fold::of(&entries(STORY));
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
    let p = Fold::of(&entries(STORY));
    assert_eq!(who(&p, "wg-universalization", "2012-09-13"), "1:ECU 2:NOR");
    assert_eq!(who(&p, "wg-universalization", "2012-09-14"), "1:PHL 2:NOR");
}

#[test]
fn a_state_elected_again_to_its_own_seat_renewed_it() {
    let p = Fold::of(&entries(STORY));
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
    let p = Fold::of(&entries(STORY));
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
    let mut p = Fold::of(&entries(STORY));
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
    let p = Fold::of(&entries(STORY));
    let answer = p
        .holders_on(&body("wg-clearance"), date("2013-03-15"))
        .expect("known");
    let json = serde_json::to_value(&answer).expect("serializes");
    assert_eq!(
        json,
        serde_json::json!({
            "body": "wg-clearance",
            "body_name": "Working Group on Clearance",
            "on": "2013-03-15",
            "in_force": true,
            "seats": 2,
            "holders": [{
                "seat": 1, "state": "AUS", "state_name": "Australia", "name": "Australia",
                "person": null,
                "start": "2012-09-14",
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
pub(crate) const LATER: &str = r#"
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

pub(crate) fn story() -> Vec<Entry> {
    entries(&format!("{STORY}\n{LATER}"))
}

#[test]
fn a_query_sees_the_mandate_and_name_in_force_on_its_day() {
    let p = Fold::of(&story());
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
    let p = Fold::of(&story());
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
    let p = Fold::of(&story());
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
    let p = Fold::of(&story());
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
            "ICRC: member by right (CCM/CONF/2020/PM.2/WP.6 §19)",
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
            "ICRC: member by right (CCM/CONF/2020/PM.2/WP.6 §19)",
            "GICHD: standing invitation since 2021-09-21 (CCM/CONF/2020/PM.2/WP.6 §21)",
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
    let now = Fold::of(&all);
    let before = Fold::of(&all[..=36]);
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

/// Where each text the terms of `p` hold is allocated, by text: one place each when shared.
fn allocations_of_terms_texts(p: &Projection) -> BTreeMap<String, BTreeSet<usize>> {
    let mut at: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    let mut note = |text: &str| {
        at.entry(text.to_owned())
            .or_default()
            .insert(text.as_ptr() as usize);
    };
    for b in p.bodies() {
        note(b.id.as_str());
        for t in &b.terms {
            note(t.body.as_str());
            note(t.state.as_str());
            note(t.decision.meeting.as_str());
            for text in [&t.decision.document, &t.decision.paragraph, &t.person]
                .into_iter()
                .flatten()
            {
                note(text);
            }
            if let Some(TermEnd::CloseOf(m)) = &t.declared_end {
                note(m.as_str());
            }
        }
    }
    at
}

#[test]
fn a_fold_holds_one_allocation_of_each_id_however_many_lines_named_it() {
    // Each line is read on its own, so each has its own copy of "wg-universalization",
    // "PHL", "2MSP"; a million elections held a million copies (issue 15, memory).
    // So were the decisions' documents and paragraphs and the persons, in the events and in
    // their terms.
    let cited = r#"{"kind":"coordinator_elected","body":"wg-universalization","state":"NOR","person":"Kari Nordmann","start":"2014-09-04","decision":{"meeting":"4MSP","date":"2013-09-13","document":"CCM/MSP/2013/9","paragraph":"31"}}
        {"kind":"coordinator_elected","body":"wg-universalization","state":"NOR","person":"Kari Nordmann","start":"2015-09-04","decision":{"meeting":"4MSP","date":"2013-09-13","document":"CCM/MSP/2013/9","paragraph":"31"}}"#;
    let fold = Fold::of(&entries(&format!(
        "{STORY}\n{LATER}\n{CORRECTIONS}\n{cited}"
    )));
    let allocations = allocations_of_terms_texts(&fold);
    for held in [
        "wg-universalization",
        "CCM/MSP/2013/9",
        "31",
        "Kari Nordmann",
    ] {
        assert!(allocations.contains_key(held), "{held}");
    }
    for (text, places) in &allocations {
        assert_eq!(
            places.len(),
            1,
            "{text:?} is held in {} places",
            places.len()
        );
    }
    let document = |seq| match fold.effective_event(Seq(seq)) {
        Some(Event::CoordinatorElected(e)) => e.decision.document.clone().expect("cited"),
        other => panic!("entry {seq} is {other:?}"),
    };
    let last = fold.entries_applied() - 1;
    assert_eq!(document(last).as_ptr(), document(last - 1).as_ptr());
    // And so are the events of a fold read back from its snapshot (a `record` of a meeting
    // reads every one of them).
    let read = read_whole(&kept(&fold)).expect("read back");
    let document = |seq| match read.effective_event(Seq(seq)) {
        Some(Event::CoordinatorElected(e)) => e.decision.document.clone().expect("cited"),
        other => panic!("entry {seq} is {other:?}"),
    };
    assert_eq!(document(last).as_ptr(), document(last - 1).as_ptr());
}

#[test]
fn a_body_answers_its_numbers_on_a_day_as_its_parameters_on_that_day() {
    let p = Fold::of(&fixture());
    for day in every_boundary(&p) {
        for b in p.bodies() {
            let parameters = b.parameters_on(day);
            assert_eq!(b.seats_on(day), parameters.seats, "{} {day}", b.id);
            assert_eq!(
                b.term_years_on(day),
                parameters.term_years,
                "{} {day}",
                b.id
            );
            assert_eq!(b.renew_per_year_on(day), parameters.renew_per_year);
        }
    }
}

#[test]
fn a_body_recomputed_after_each_entry_is_the_body_folded_at_once_even_across_corrections() {
    // Entry by entry, each body is recomputed from its former terms (those whose election
    // did not change are reused); folded at once, from nothing. The corrections replace and
    // retract elections whose terms were already derived.
    for all in [corrected_story(), fixture()] {
        let mut stepwise = Fold::default();
        for entry in &all {
            stepwise.apply(entry);
        }
        assert_eq!(stepwise, Fold::of(&all));
    }
}

#[test]
fn a_retraction_removes_an_entry_from_the_projection_but_not_from_the_record() {
    let all = corrected_story();
    let now = Fold::of(&all);
    let before = Fold::of(&all[..=37]);
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
    let p = Fold::of(&all);
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
    let p = Fold::of(&story());
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
    let p = Fold::of(&entries(&format!(
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
    let p = Fold::of(&entries(&format!(
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

/// The fold over random ledgers of the crate's small world (`ledger::arbitrary::a_ledger`): a
/// few States, bodies, meetings and institutions, events valid or not, corrections of
/// anything (even of corrections, which are ignored).
pub(crate) mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::ledger::arbitrary::{a_ledger, BODIES, STATES};

    /// The projection kept as snapshot sections and read back whole, to be extended.
    fn snapshot(p: &Fold) -> Fold {
        read_whole(&kept(p)).expect("a snapshot reads back")
    }

    /// Asks every question on a few days, so that a panic anywhere shows.
    pub(crate) fn answers(p: &Projection) -> Vec<String> {
        let mut out = Vec::new();
        for day in ["2010-06-01", "2012-01-01", "2014-09-05", "2017-03-01"] {
            let on = date(day);
            for b in BODIES {
                out.push(format!("{:?}", p.holders_on(&body(b), on)));
            }
            out.push(format!("{:?}", p.state_on(on)));
            out.push(format!("{:?}", p.committee_on(on)));
        }
        for b in BODIES {
            out.push(format!("{:?}", p.body_history(&body(b))));
            out.push(format!("{:?}", p.resolve_body(b)));
        }
        for s in STATES {
            out.push(format!("{:?}", p.state_history(&state(s))));
            out.push(format!("{:?}", p.resolve_state(&s.to_lowercase())));
        }
        out
    }

    /// The effective events, worked out from DESIGN.md's rule directly: the effective event
    /// of entry k is the replacement of the latest correction targeting it, else its own;
    /// corrections of corrections, of entries not yet recorded, and by corrections are ignored.
    fn effective_entries(entries: &[Entry]) -> Vec<Entry> {
        let mut effective: Vec<Option<Event>> = Vec::new();
        let mut is_correction = Vec::new();
        for entry in entries {
            match &entry.event {
                Event::EntryCorrected(c) => {
                    effective.push(None);
                    is_correction.push(true);
                    let t = c.target.0 as usize;
                    let nested = matches!(c.replacement.as_deref(), Some(Event::EntryCorrected(_)));
                    if c.target < entry.seq && !is_correction[t] && !nested {
                        effective[t] = c.replacement.as_deref().cloned();
                    }
                }
                event => {
                    effective.push(Some(event.clone()));
                    is_correction.push(false);
                }
            }
        }
        entries
            .iter()
            .zip(effective)
            .filter_map(|(entry, event)| {
                Some(Entry {
                    event: event?,
                    ..entry.clone()
                })
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn a_snapshot_and_its_tail_answer_as_a_fold_from_zero(
            entries in a_ledger(),
            split in any::<prop::sample::Index>(),
        ) {
            crate::projection::FINEST_CUT.with(|c| c.set(true));
            let whole = Fold::of(&entries);
            let k = split.index(entries.len() + 1);
            let mut resumed = snapshot(&Fold::of(&entries[..k]));
            for entry in &entries[k..] {
                resumed.apply(entry);
            }
            prop_assert_eq!(&resumed, &whole);
            prop_assert_eq!(answers(&resumed), answers(&whole));
            prop_assert_eq!(whole.entries_applied(), entries.len() as u64);
            let days = ["2010-06-01", "2012-01-01", "2014-09-05", "2017-03-01"].map(date);
            let bodies = BODIES.map(body);
            let states = STATES.map(state);
            prop_assert_eq!(parts_answer_as_the_whole(&whole, &days, &bodies, &states), Ok(()));
        }

        #[test]
        fn corrections_give_the_fold_of_the_effective_events(entries in a_ledger()) {
            let corrected = Fold::of(&entries);
            let direct = Fold::of(&effective_entries(&entries));
            prop_assert_eq!(&corrected.states, &direct.states);
            prop_assert_eq!(&corrected.institutions, &direct.institutions);
            prop_assert_eq!(&corrected.meetings, &direct.meetings);
            prop_assert_eq!(&corrected.bodies, &direct.bodies);
            prop_assert_eq!(&corrected.presidency, &direct.presidency);
        }

        #[test]
        fn entry_by_entry_equals_all_at_once(entries in a_ledger()) {
            let mut one_by_one = Fold::default();
            for entry in &entries {
                one_by_one.apply(entry);
            }
            prop_assert_eq!(one_by_one, Fold::of(&entries));
        }
    }
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
    let p = Fold::of(&entries);
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
