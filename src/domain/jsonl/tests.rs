use super::*;

fn err(line: &str) -> FieldError {
    parse_line(line).expect_err("the line should be refused")
}

fn round_trip(line: &str) {
    let parsed = parse_line(line).expect("the line parses");
    let back = event_to_value(&parsed.draft.event);
    let expected: Value = serde_json::from_str(line).unwrap();
    assert_eq!(back, expected);
}

/// A line of every kind of the contract, with its optional fields.
fn contract_lines() -> Vec<String> {
    let decision =
        r#"{"meeting":"9MSP","date":"2019-09-04","document":"CCM/MSP/2019/14","paragraph":"31"}"#;
    vec![
        r#"{"kind":"state_joined","state":"NOR","name":"Norway","effective":"2010-08-01"}"#.to_owned(),
        r#"{"kind":"state_withdrew","state":"LTU","name":"Lithuania","effective":"2025-03-06"}"#.to_owned(),
        r#"{"kind":"institution_registered","institution":"ICRC","name":"International Committee of the Red Cross","by_right":true}"#.to_owned(),
        r#"{"kind":"meeting_held","meeting":"2MSP","type":"msp","start":"2011-09-12","end":"2011-09-16","location":"Beirut"}"#.to_owned(),
        format!(r#"{{"kind":"body_established","body":"wg-universalization","name":"Working Group on Universalization","seats":2,"term_years":2,"renew_per_year":1,"mandate":["promote universal adherence"],"decision":{decision}}}"#),
        format!(r#"{{"kind":"coordinator_elected","body":"wg-universalization","state":"ECU","start":"2019-09-04","end":"2021-09-20","decision":{decision}}}"#),
        format!(r#"{{"kind":"coordinator_elected","body":"wg-universalization","state":"ECU","start":"2019-09-04","end":{{"meeting":"11MSP"}},"decision":{decision}}}"#),
        format!(r#"{{"kind":"coordinator_elected","body":"wg-universalization","state":"ECU","start":"2019-09-04","end":null,"decision":{decision}}}"#),
        r#"{"kind":"coordinator_left","body":"wg-clearance","state":"IRL","effective":"2020-01-01","reason":"resignation"}"#.to_owned(),
        format!(r#"{{"kind":"mandate_amended","body":"wg-clearance","add":["a"],"remove":["b"],"decision":{decision}}}"#),
        format!(r#"{{"kind":"body_amended","body":"coord-reporting","name":"Coordinator on Transparency Measures","term_years":1,"decision":{decision}}}"#),
        format!(r#"{{"kind":"body_discontinued","body":"coord-reporting","effective":"2021-09-20","transfer_to":"wg-general-status","decision":{decision}}}"#),
        format!(r#"{{"kind":"president_elected","state":"CHE","person":"Félix Baumann","start":"2019-09-04","end":{{"meeting":"2RC-2"}},"decision":{decision}}}"#),
        format!(r#"{{"kind":"president_designate_elected","state":"IRQ","start":"2021-09-21","end":null,"decision":{decision}}}"#),
        format!(r#"{{"kind":"standing_invitation_extended","institution":"GICHD","effective":"2021-09-21","decision":{decision}}}"#),
        format!(r#"{{"kind":"standing_invitation_withdrawn","institution":"GICHD","effective":"2022-09-21","decision":{decision}}}"#),
        r#"{"kind":"entry_corrected","target":12,"reason":"wrong State","replacement":{"kind":"coordinator_left","body":"wg-clearance","state":"IRL","effective":"2020-01-01","reason":"resignation"}}"#.to_owned(),
        r#"{"kind":"entry_corrected","target":12,"reason":"never happened","replacement":null}"#.to_owned(),
    ]
}

#[test]
fn every_kind_of_the_contract_round_trips() {
    for line in contract_lines() {
        round_trip(&line);
    }
}

/// The careful reader: the line's JSON value first, the event made from it, each refusal
/// with the field it names.
fn careful(text: &str) -> Result<Line, FieldError> {
    read_line(text, event_from_object)
}

/// `{"kind": …, …}` with the line's own fields added, and with `kind` moved last.
fn variants_of(line: &str) -> [String; 3] {
    let body = line.strip_suffix('}').expect("an object");
    let with_line_fields = format!(
        r#"{body},"override":"R2: decided so","recorded_at":"2022-03-01T00:00:00Z","recorded_by":"isu","seq":3,"hash":"ab"}}"#
    );
    let kind_end = line.find(',').expect("more than a kind");
    let kind_last = format!(
        "{{{},{}}}",
        &line[kind_end + 1..line.len() - 1],
        &line[1..kind_end]
    );
    [line.to_owned(), with_line_fields, kind_last]
}

#[test]
fn every_kind_but_a_correction_is_read_straight_into_its_types_as_the_careful_reader_reads_it() {
    for line in contract_lines() {
        for text in variants_of(&line) {
            let expected = careful(&text).expect("a line of the contract");
            match typed::read(&text) {
                Some(read) => assert_eq!(read, expected, "{text}"),
                None => assert_eq!(expected.draft.event.kind(), "entry_corrected", "{text}"),
            }
        }
    }
}

#[test]
fn the_typed_reader_leaves_every_refused_line_to_the_careful_one() {
    let joined = r#""kind":"state_joined","state":"NOR","name":"Norway","effective":"2010-08-01""#;
    let elected =
        r#""kind":"coordinator_elected","body":"wg-a","state":"ECU","start":"2019-09-04""#;
    for (text, field) in [
        // Keys repeated: the line's own, `kind` (first or not), the event's, a decision's, a
        // term end's.
        (format!(r#"{{{joined},"override":"a","override":"b"}}"#), Some("override")),
        (format!(r#"{{{joined},"seq":1,"seq":1}}"#), Some("seq")),
        (format!(r#"{{{joined},"kind":"state_joined"}}"#), Some("kind")),
        (
            r#"{"state":"NOR","kind":"state_joined","name":"Norway","kind":"state_joined","effective":"2010-08-01"}"#.to_owned(),
            Some("kind"),
        ),
        (format!(r#"{{{joined},"state":"NOR"}}"#), Some("state")),
        (
            format!(r#"{{{elected},"decision":{{"meeting":"2MSP","date":"2011-09-16","date":"2011-09-16"}}}}"#),
            Some("decision.date"),
        ),
        (
            format!(r#"{{{elected},"end":{{"meeting":"3MSP","meeting":"3MSP"}},"decision":{{"meeting":"2MSP","date":"2011-09-16"}}}}"#),
            Some("end.meeting"),
        ),
        // Texts: a refused character as it is and escaped; a text too long.
        (format!(r#"{{{joined},"recorded_by":"a{}b"}}"#, '\u{202E}'), Some("recorded_by")),
        (format!(r#"{{{joined},"recorded_by":"a\u202eb"}}"#), Some("recorded_by")),
        (
            format!(r#"{{{joined},"recorded_by":"{}"}}"#, "a".repeat(MAX_TEXT_CHARS + 1)),
            Some("recorded_by"),
        ),
        // The line's own fields, wrong.
        (format!(r#"{{{joined},"override":" "}}"#), Some("override")),
        (format!(r#"{{{joined},"recorded_at":"yesterday"}}"#), Some("recorded_at")),
        (format!(r#"{{{joined},"seq":-1}}"#), Some("seq")),
        (format!(r#"{{{joined},"hash":3}}"#), Some("hash")),
        // The event: unknown field, kind, shape.
        (format!(r#"{{{joined},"strat":"x"}}"#), Some("strat")),
        (r#"{"kind":"coordinator_appointed"}"#.to_owned(), Some("kind")),
        (r#"{"kind":7,"state":"NOR"}"#.to_owned(), Some("kind")),
        (r#"{"state":"NOR"}"#.to_owned(), Some("kind")),
        (format!("\u{feff}{{{joined}}}"), None),
        (format!("{{{joined}}} {{}}"), None),
        (format!("[{{{joined}}}]"), None),
    ] {
        assert_eq!(typed::read(&text), None, "{text}");
        let refused = careful(&text).expect_err("the careful reader refuses it");
        assert_eq!(refused.field.as_deref(), field, "{text}: {refused}");
        assert_eq!(parse_line(&text), Err(refused), "{text}");
    }
}

/// Values a mutated line may hold: odd, wrong, repeated keys within, refused characters.
const ODD_VALUES: [&str; 16] = [
    "null",
    "1",
    "-1",
    "2.0",
    r#""""#,
    r#"" ""#,
    r#""2019-09-04""#,
    r#""2023-02-30""#,
    r#""NOR""#,
    r#""\u202e""#,
    "\"a\u{202E}b\"",
    r#"{"meeting":"9MSP"}"#,
    r#"{"meeting":"9MSP","meeting":"10MSP"}"#,
    r#"{"meeting":"9MSP","date":"2019-09-04","date":"2019-09-05"}"#,
    r#"["a","a"]"#,
    r#""2022-03-01T00:00:00Z""#,
];

/// Keys a mutated line may gain: the line's own, `kind`, and one no event has.
const ADDED_KEYS: [&str; 8] = [
    "kind",
    "override",
    "recorded_at",
    "recorded_by",
    "seq",
    "hash",
    "end",
    "x",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 4000, ..Default::default() })]

    /// Lines of every kind with their keys reordered, repeated, dropped, added and given odd
    /// values: whatever the typed reader reads, the careful reader reads the same.
    #[test]
    fn the_typed_reader_reads_a_line_only_as_the_careful_one_does(
        which in proptest::prelude::any::<proptest::sample::Index>(),
        turn in proptest::prelude::any::<proptest::sample::Index>(),
        edits in proptest::collection::vec(
            (0u8..4, proptest::prelude::any::<(proptest::sample::Index, proptest::sample::Index, proptest::sample::Index)>()),
            0..3,
        ),
    ) {
        let lines = contract_lines();
        let line: Map<String, Value> =
            serde_json::from_str(which.get::<String>(&lines)).expect("a line of the contract");
        let mut pairs: Vec<(String, String)> =
            line.into_iter().map(|(k, v)| (k, v.to_string())).collect();
        let corrected = pairs.iter().any(|(_, v)| v == r#""entry_corrected""#);
        let turned = turn.index(pairs.len());
        pairs.rotate_left(turned);
        for (op, (i, j, k)) in &edits {
            match op {
                0 => pairs.insert(j.index(pairs.len() + 1), i.get(&pairs).clone()),
                1 => {
                    pairs.remove(i.index(pairs.len()));
                }
                2 => {
                    let at = i.index(pairs.len());
                    pairs[at].1 = k.get(&ODD_VALUES).to_string();
                }
                _ => pairs.insert(
                    j.index(pairs.len() + 1),
                    (i.get(&ADDED_KEYS).to_string(), k.get(&ODD_VALUES).to_string()),
                ),
            }
            if pairs.is_empty() {
                break;
            }
        }
        let text = format!(
            "{{{}}}",
            pairs.iter().map(|(k, v)| format!("{k:?}:{v}")).collect::<Vec<_>>().join(",")
        );
        match typed::read(&text) {
            Some(read) => proptest::prop_assert_eq!(Ok(read), careful(&text), "{}", text),
            None => proptest::prop_assert!(
                !edits.is_empty() || corrected,
                "a line of the contract is read by the typed reader: {}", text
            ),
        }
    }
}

#[test]
fn a_missing_field_is_named_with_its_path() {
    let e = err(
        r#"{"kind":"coordinator_elected","body":"wg-a","state":"ECU","start":"2019-09-04","decision":{"date":"2019-09-04"}}"#,
    );
    assert_eq!(e.field.as_deref(), Some("decision.meeting"), "{e}");
    let e = err(r#"{"kind":"state_joined","name":"Norway","effective":"2010-08-01"}"#);
    assert_eq!(e.field.as_deref(), Some("state"), "{e}");
}

#[test]
fn an_impossible_date_is_named_with_its_field() {
    let e =
        err(r#"{"kind":"state_joined","state":"NOR","name":"Norway","effective":"2023-02-30"}"#);
    assert_eq!(e.field.as_deref(), Some("effective"));
    assert!(e.reason.contains("2023-02-30"), "{e}");
}

#[test]
fn an_unknown_kind_lists_the_known_ones() {
    let e = err(r#"{"kind":"coordinator_appointed"}"#);
    assert_eq!(e.field.as_deref(), Some("kind"));
    assert!(e.reason.contains("coordinator_elected"), "{e}");
}

#[test]
fn an_unknown_field_is_refused_by_name() {
    let e = err(
        r#"{"kind":"state_joined","state":"NOR","name":"Norway","effective":"2010-08-01","strat":"x"}"#,
    );
    assert_eq!(e.field.as_deref(), Some("strat"), "{e}");
}

#[test]
fn a_malformed_id_is_refused() {
    let e =
        err(r#"{"kind":"state_joined","state":"Norway","name":"Norway","effective":"2010-08-01"}"#);
    assert_eq!(e.field.as_deref(), Some("state"), "{e}");
}

#[test]
fn errors_inside_a_replacement_name_the_replacement() {
    let e = err(
        r#"{"kind":"entry_corrected","target":1,"reason":"r","replacement":{"kind":"state_joined","state":"NOR","name":"Norway","effective":"2010-02-30"}}"#,
    );
    assert_eq!(e.field.as_deref(), Some("replacement.effective"), "{e}");
}

#[test]
fn line_fields_are_taken_off_the_event() {
    let line = parse_line(r#"{"kind":"state_joined","state":"NOR","name":"Norway","effective":"2010-08-01","override":"MSP decided","recorded_at":"2022-03-01T00:00:00Z","recorded_by":"isu","seq":3}"#).unwrap();
    assert_eq!(line.draft.override_reason.as_deref(), Some("MSP decided"));
    assert_eq!(line.draft.recorded_by.as_deref(), Some("isu"));
    assert_eq!(line.claimed_seq, Some(Seq(3)));
}

#[test]
fn deep_nesting_and_long_texts_are_refused() {
    let deep = format!(
        r#"{{"kind":"state_joined","x":{}1{}}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    assert!(err(&deep).reason.contains("nested"));
    let long = format!(
        r#"{{"kind":"state_joined","state":"NOR","name":"{}","effective":"2010-08-01"}}"#,
        "a".repeat(MAX_TEXT_CHARS + 1)
    );
    assert_eq!(err(&long).field.as_deref(), Some("name"));
    let long_task = format!(
        r#"{{"kind":"mandate_amended","body":"wg-x","add":["ok","{}"],"remove":[],"decision":{{"meeting":"2MSP","date":"2011-09-16"}}}}"#,
        "a".repeat(MAX_TEXT_CHARS + 1)
    );
    assert_eq!(err(&long_task).field.as_deref(), Some("add[1]"));
    let deep_field = format!(
        r#"{{"kind":"state_joined","x":{{"y":{}1{}}}}}"#,
        "[".repeat(7),
        "]".repeat(7)
    );
    let refused = err(&deep_field);
    assert_eq!(refused.field.as_deref(), Some("x.y[0][0][0][0][0][0]"));
    assert!(
        refused.reason.contains("nested deeper than 8"),
        "{refused:?}"
    );
}
