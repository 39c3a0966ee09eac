//! Property tests (proptest, in the normal suite): the import parser and the entry decoder
//! never panic, whatever they are given; and any valid event list survives import → export →
//! import into a new ledger with the same head hash.

use proptest::prelude::*;
use serde_json::json;

use ccm_ledger::domain::jsonl::parse_line;
use ccm_ledger::ledger::Entry;

use crate::support::*;

const VALID: [&str; 4] = [
    r#"{"kind":"state_joined","state":"NOR","name":"Norway","effective":"2010-08-01"}"#,
    r#"{"kind":"coordinator_elected","body":"wg-universalization","state":"ECU","start":"2019-09-04","end":{"meeting":"11MSP"},"decision":{"meeting":"9MSP","date":"2019-09-04","document":"CCM/MSP/2019/14","paragraph":"31"}}"#,
    r#"{"kind":"entry_corrected","target":12,"reason":"wrong State","replacement":{"kind":"coordinator_left","body":"wg-clearance","state":"IRL","effective":"2020-01-01","reason":"resignation"}}"#,
    r#"{"kind":"body_established","body":"wg-universalization","name":"Working Group on Universalization","seats":2,"term_years":2,"renew_per_year":1,"mandate":["promote universal adherence"],"decision":{"meeting":"2MSP","date":"2011-09-16"},"override":"test","recorded_at":"2026-01-01T00:00:00Z","seq":3}"#,
];

/// The bytes of a valid entry (entry 0 of SMALL, as pinned in golden.rs).
fn valid_entry() -> Vec<u8> {
    let hex = "0100fc0072abd200047465737400000000000000000000000000000000000000000000000000000000000000000000034e4f52064e6f72776179fce4ee4a00";
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// A valid line changed in one place: a byte replaced, removed, or inserted.
fn mutated(line: &str, at: usize, op: u8, byte: u8) -> Vec<u8> {
    let mut bytes = line.as_bytes().to_vec();
    let at = at % (bytes.len() + 1);
    match op % 3 {
        0 if at < bytes.len() => bytes[at] = byte,
        1 if at < bytes.len() => {
            bytes.remove(at);
        }
        _ => bytes.insert(at, byte),
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn parse_line_never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
        let _ = parse_line(&text);
    }

    #[test]
    fn parse_line_never_panics_on_json_shaped_text(text in r#"[{}\[\]":,0-9a-z_ .\-\\]{0,120}"#) {
        let _ = parse_line(&text);
    }

    #[test]
    fn parse_line_never_panics_on_mutated_valid_lines(
        which in 0..VALID.len(), edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..4)
    ) {
        let mut bytes = VALID[which].as_bytes().to_vec();
        for (at, op, byte) in edits {
            bytes = mutated(&String::from_utf8_lossy(&bytes), at, op, byte);
        }
        let _ = parse_line(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn entry_decode_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = Entry::decode(&bytes);
    }

    #[test]
    fn entry_decode_never_panics_on_mutated_entries(
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6), cut in any::<usize>()
    ) {
        let mut bytes = valid_entry();
        for (at, byte) in edits {
            let n = bytes.len();
            bytes[at % n] = byte;
        }
        let cut = cut % (bytes.len() + 1);
        let _ = Entry::decode(&bytes[..cut]);
        let _ = Entry::decode(&bytes);
    }
}

/// One valid event; `line(i)` makes it unique by `i` (so duplicate checks never refuse it).
#[derive(Debug, Clone)]
enum Valid {
    State {
        name: String,
        date: String,
    },
    Institution {
        name: String,
        by_right: bool,
    },
    Meeting {
        start: String,
        days: i64,
        location: String,
    },
}

impl Valid {
    fn line(&self, i: usize) -> serde_json::Value {
        match self {
            Valid::State { name, date } => {
                let code: String = [i / 676 % 26, i / 26 % 26, i % 26]
                    .iter()
                    .map(|&n| (b'A' + n as u8) as char)
                    .collect();
                json!({"kind":"state_joined","state":code,"name":name,"effective":date})
            }
            Valid::Institution { name, by_right } => json!({
                "kind":"institution_registered","institution":format!("I{i}"),"name":name,"by_right":by_right
            }),
            Valid::Meeting {
                start,
                days,
                location,
            } => {
                let end = ccm_ledger::domain::Date::parse(start)
                    .unwrap()
                    .add_days(*days)
                    .to_string();
                json!({"kind":"meeting_held","meeting":format!("{i}MSP"),"type":"msp","start":start,"end":end,"location":location})
            }
        }
    }
}

fn valid_event() -> impl Strategy<Value = Valid> {
    let name = "[A-Za-z]\\PC{0,39}";
    let date =
        (1990i32..2100, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"));
    prop_oneof![
        (name, date.clone()).prop_map(|(name, date)| Valid::State { name, date }),
        (name, any::<bool>()).prop_map(|(name, by_right)| Valid::Institution { name, by_right }),
        (date, 0i64..10, name).prop_map(|(start, days, location)| Valid::Meeting {
            start,
            days,
            location
        }),
    ]
}

proptest! {
    // Each case runs the binary four times (two of them sync): few cases, small lists.
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn any_valid_event_list_survives_import_export_import_with_the_same_head(
        events in prop::collection::vec(valid_event(), 1..20)
    ) {
        let env = TestEnv::new();
        let text: String = events.iter().enumerate().map(|(i, e)| e.line(i).to_string() + "\n").collect();
        env.import(&text);
        let head = env.run(&["verify", "--json"]).ok().json();
        let export = env.run(&["export"]).ok().stdout;
        let copy = env.dir.path().join("copy");
        let file = env.file("export.jsonl", &export);
        env.run_on(&copy, &["import", file.to_str().unwrap()]).ok();
        prop_assert_eq!(env.run_on(&copy, &["verify", "--json"]).ok().json(), head);
        prop_assert_eq!(env.run_on(&copy, &["export"]).ok().stdout, export);
    }
}
