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

#[test]
fn every_kind_of_the_contract_round_trips() {
    let decision =
        r#"{"meeting":"9MSP","date":"2019-09-04","document":"CCM/MSP/2019/14","paragraph":"31"}"#;
    for line in [
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
    ] {
        round_trip(&line);
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
