//! Hostile text (issue 13, item 6): control characters and bidi overrides are refused at the
//! door, and whatever a ledger already holds is neutralised on every output — terminals,
//! spreadsheets, SVG and HTML.

use ccm_ledger::domain::jsonl::event_from_value;
use ccm_ledger::domain::Draft;
use ccm_ledger::ledger::{Ledger, Recorder};
use serde_json::json;

use crate::support::*;

/// Clears the screen and prints a fake green "verified" line, then forges a table row.
const SCREEN: &str = "\u{1b}[2J\u{1b}[1;32mverification ok\u{1b}[0m\n9999  forged row";
/// Shown as "Norway", stored reversed.
const BIDI: &str = "\u{202e}yawroN";
/// A live link once a spreadsheet opens the CSV.
const FORMULA: &str = "=HYPERLINK(\"http://evil.example\",\"click\")";
/// An OSC 8 terminal hyperlink and a C1 CSI.
const LINK: &str = "-2+3 \u{1b}]8;;http://evil.example\u{7}x\u{1b}]8;;\u{7} \u{9b}31m";

#[test]
fn control_characters_and_bidi_overrides_are_refused_in_every_text_field() {
    let cases = [
        (
            format!(r#"{{"kind":"state_joined","state":"SWE","name":"a{}b","effective":"2010-08-01"}}"#, "\\u001b[2J"),
            "name",
        ),
        (
            r#"{"kind":"state_joined","state":"SWE","name":"Sweden\nforged","effective":"2010-08-01"}"#.to_owned(),
            "name",
        ),
        (
            r#"{"kind":"meeting_held","meeting":"4MSP","type":"msp","start":"2013-09-10","end":"2013-09-13","location":"\u202eyawroN"}"#.to_owned(),
            "location",
        ),
        (
            r#"{"kind":"state_joined","state":"SWE","name":"Sweden","effective":"2010-08-01","override":"ok\u0085"}"#.to_owned(),
            "override",
        ),
        (
            r#"{"kind":"state_joined","state":"SWE","name":"Sweden","effective":"2010-08-01","recorded_by":"\u2066mallory"}"#.to_owned(),
            "recorded_by",
        ),
        (
            r#"{"kind":"state_joined","state":"SWE","name":"Sweden","effective":"2010-08-01","recorded_by":"x\u007f"}"#.to_owned(),
            "recorded_by",
        ),
    ];
    for (line, field) in cases {
        let message = assert_line_refused(
            "hostile.jsonl",
            line.as_bytes(),
            &[
                &format!("field `{field}`"),
                "control characters and bidirectional",
            ],
        );
        assert_terminal_safe(&message);
    }
}

#[test]
fn a_recorder_with_control_characters_is_refused() {
    let env = TestEnv::new();
    let run = env.run_on(
        &env.ledger(),
        &["--recorded-by", "\u{1b}[31mmallory", "init"],
    );
    let run = run.fails_with(2);
    assert!(run.stderr.contains("U+001B"), "{}", run.stderr);
    assert_terminal_safe(&run.stderr);
}

/// No raw ESC, C1 control or bidi override reaches the terminal.
#[track_caller]
fn assert_terminal_safe(text: &str) {
    for c in text.chars() {
        let hostile = (c.is_control() && c != '\n')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        assert!(!hostile, "raw {c:?} in terminal output:\n{text}");
    }
}

/// A ledger as one written before text was checked could be: SMALL, then entries appended
/// through the library (which does not read JSON lines) carrying hostile text everywhere a
/// person reads it.
fn old_hostile_ledger() -> TestEnv {
    let env = TestEnv::new();
    env.import(SMALL);
    let events = [
        json!({"kind":"state_joined","state":"HOS","name":SCREEN,"effective":"2010-08-01"}),
        json!({"kind":"state_joined","state":"BID","name":BIDI,"effective":"2010-08-01"}),
        json!({"kind":"state_joined","state":"FRM","name":FORMULA,"effective":"2010-08-01"}),
        json!({"kind":"meeting_held","meeting":"4MSP","type":"msp","start":"2013-09-10","end":"2013-09-13","location":LINK}),
        json!({"kind":"body_established","body":"wg-hostile","name":LINK,"type":"working_group","seats":3,"term_years":2,"renew_per_year":1,"mandate":[SCREEN],"decision":{"meeting":"3MSP","date":"2012-09-14"}}),
        json!({"kind":"coordinator_elected","body":"wg-hostile","state":"HOS","start":"2012-09-14","end":null,"decision":{"meeting":"3MSP","date":"2012-09-14"}}),
        json!({"kind":"coordinator_elected","body":"wg-hostile","state":"BID","start":"2012-09-14","end":null,"decision":{"meeting":"3MSP","date":"2012-09-14"}}),
        json!({"kind":"coordinator_elected","body":"wg-hostile","state":"FRM","start":"2012-09-14","end":null,"person":format!("@SUM(1+1) {SCREEN}"),"decision":{"meeting":"3MSP","date":"2012-09-14"}}),
    ];
    let drafts: Vec<Draft> = events
        .into_iter()
        .map(|e| {
            let mut draft = Draft::new(event_from_value(e).expect("a well-formed event"));
            draft.override_reason = Some(format!("because {BIDI}"));
            draft
        })
        .collect();
    let mut ledger = Ledger::open(&env.ledger(), ccm_ledger::ledger::Access::Write).unwrap();
    let recorder = Recorder {
        by: format!("\u{1b}[31mmallory{BIDI}"),
        at: None,
    };
    let prepared = ledger.prepare(&drafts, &recorder);
    ledger.commit(prepared).unwrap();
    env
}

#[test]
fn hostile_text_in_a_ledger_is_shown_escaped_on_every_terminal_output() {
    let env = old_hostile_ledger();
    let commands: [&[&str]; 10] = [
        &["who", "wg-hostile", "--on", "2013-01-01"],
        &["history", "--body", "wg-hostile"],
        &["history", "--state", "HOS"],
        &["history", "--state", "BID"],
        &["state", "--on", "2013-01-01"],
        &["committee", "--on", "2013-01-01"],
        &["check"],
        &["log"],
        &["timeline", "--width", "120"],
        &["verify"],
    ];
    for args in commands {
        let run = env.run(args);
        assert!(run.code == 0 || run.code == 4, "{args:?}: {}", run.stderr);
        assert_terminal_safe(&run.stdout);
        assert_terminal_safe(&run.stderr);
    }
    // The escapes are visible, not dropped: what is shown is what is stored.
    let log = env.run(&["log"]).ok().stdout;
    assert!(log.contains("\\u{1b}[2J"), "{log}");
    assert!(log.contains("\\u{202e}yawroN"), "{log}");
    // A newline in a name does not make a row of its own.
    assert!(!log.lines().any(|l| l.starts_with("9999")), "{log}");
}

#[test]
fn formula_cells_in_a_csv_export_are_prefixed_but_numbers_and_dates_are_not() {
    let env = old_hostile_ledger();
    let csv = env.run(&["export", "--format", "csv"]).ok().stdout;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let hostile: Vec<&csv::StringRecord> = rows
        .iter()
        .filter(|r| &r[column("body")] == "wg-hostile")
        .collect();
    assert_eq!(hostile.len(), 3, "{csv}");
    for row in &rows {
        for cell in row.iter() {
            let live = cell.starts_with(['=', '+', '@', '\t', '\r'])
                || (cell.starts_with('-') && cell.parse::<f64>().is_err());
            assert!(!live, "a live formula cell {cell:?} in:\n{csv}");
        }
    }
    let frm = hostile
        .iter()
        .find(|r| &r[column("state")] == "FRM")
        .unwrap();
    assert_eq!(&frm[column("state_name")], format!("'{FORMULA}"));
    assert_eq!(&frm[column("body_name")], format!("'{LINK}"));
    assert!(frm[column("person")].starts_with("'@SUM"), "{csv}");
    assert_eq!(&frm[column("start")], "2012-09-14");
    assert_eq!(&frm[column("seat")], "3");
}

#[test]
fn svg_and_html_stay_well_formed_xml_without_bidi_overrides() {
    let env = old_hostile_ledger();
    env.run(&["timeline", "--svg", "t.svg", "--on", "2013-01-01"])
        .ok();
    let report = env.run(&["report", "--html", "r.html", "--on", "2013-01-01"]);
    assert!(report.code == 0 || report.code == 4, "{}", report.stderr);
    for name in ["t.svg", "r.html"] {
        let text = std::fs::read_to_string(env.dir.path().join(name)).unwrap();
        // The HTML starts with a doctype.
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        if let Err(e) = roxmltree::Document::parse_with_options(&text, options) {
            panic!("{name} is not well-formed XML: {e}");
        }
        assert!(
            !text.contains(|c: char| c == '\u{1b}'
                || matches!(c, '\u{80}'..='\u{9f}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')),
            "{name} holds a raw control or bidi character"
        );
    }
}

/// Names a reader cannot tell apart — by case, Unicode normalisation (a precomposed "ô" and
/// "o" with a combining circumflex) or an invisible character (a zero-width space) — never
/// resolve to one of them silently: the answer is the candidates.
#[test]
fn names_that_differ_only_by_case_normalisation_or_invisible_characters_are_ambiguous() {
    let env = TestEnv::new();
    let decomposed = "Co\u{302}te d'Ivoire";
    let invisible = "Working Group on Universal\u{200b}ization";
    env.import(&format!(
        "{SMALL}{}\n{}\n{}\n{}\n",
        r#"{"kind":"state_joined","state":"SWE","name":"Sweden","effective":"2010-08-01"}"#,
        r#"{"kind":"state_joined","state":"SWF","name":"SWEDEN","effective":"2010-08-01"}"#,
        json!({"kind":"state_joined","state":"CIW","name":decomposed,"effective":"2012-09-01"}),
        json!({"kind":"body_established","body":"wg-lookalike","name":invisible,"type":"working_group","seats":1,"term_years":2,"renew_per_year":1,"mandate":[],"decision":{"meeting":"3MSP","date":"2012-09-14"}}),
    ));
    let cases: [(&[&str], &[&str]); 3] = [
        (&["history", "--state", "sweden"], &["SWE", "SWF"]),
        (&["history", "--state", "Côte d'Ivoire"], &["CIV", "CIW"]),
        (
            &["who", "working group on universalization"],
            &["wg-universalization", "wg-lookalike"],
        ),
    ];
    // Through the snapshot's index of names, and through a fold of the journal.
    for snapshot in [true, false] {
        if !snapshot {
            let _ = std::fs::remove_file(env.ledger().join("projection.snapshot"));
        }
        for (args, candidates) in cases {
            let run = env.run(args).fails_with(1);
            assert!(
                run.stderr.contains("more than one"),
                "{args:?}: {}",
                run.stderr
            );
            for id in candidates {
                assert!(
                    run.stderr.contains(id),
                    "{args:?}: {id} not in {}",
                    run.stderr
                );
            }
        }
        // The id (or code) still names one.
        env.run(&["history", "--state", "SWF"]).ok();
        env.run(&["who", "wg-lookalike"]).ok();
    }
}

#[test]
fn json_outputs_and_exports_carry_no_raw_control_or_bidi_character_and_keep_the_value() {
    let env = old_hostile_ledger();
    let commands: [&[&str]; 6] = [
        &["who", "wg-hostile", "--on", "2013-01-01", "--json"],
        &["history", "--state", "BID", "--json"],
        &["log", "--json"],
        &["check", "--json"],
        &["export"],
        &["export", "--format", "popolo"],
    ];
    for args in commands {
        let run = env.run(args);
        assert!(run.code == 0 || run.code == 4, "{args:?}: {}", run.stderr);
        // JSON's own line breaks stay; every other refused character is a \u escape.
        let raw: Vec<char> = run
            .stdout
            .chars()
            .filter(|&c| ccm_ledger::domain::text::is_refused(c) && c != '\n')
            .collect();
        assert!(raw.is_empty(), "{args:?} printed {raw:?}");
    }
    // The value is the one stored: the name read back holds the override character itself.
    let history = env
        .run(&["history", "--state", "BID", "--json"])
        .ok()
        .json();
    assert!(history.to_string().contains('\u{202E}'), "{history}");
}
