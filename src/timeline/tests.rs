//! The layout of a small convention: bars, vacancies, marks and the window.

use super::*;
use crate::projection::tests::{date, entries};

const LEDGER: &str = r#"
{"kind":"state_joined","state":"NOR","name":"Norway","effective":"2010-08-01"}
{"kind":"state_joined","state":"CIV","name":"Côte d'Ivoire","effective":"2010-08-01"}
{"kind":"meeting_held","meeting":"2MSP","type":"msp","start":"2011-09-13","end":"2011-09-16"}
{"kind":"meeting_held","meeting":"3MSP","type":"msp","start":"2012-09-11","end":"2012-09-14"}
{"kind":"body_established","body":"coord-x","name":"Coordinator on X","seats":1,"term_years":2,"renew_per_year":1,"mandate":[],"by":"2MSP 2011-09-16"}
{"kind":"coordinator_elected","body":"coord-x","state":"NOR","start":"2011-09-16","end":{"meeting":"3MSP"},"by":"2MSP 2011-09-16"}
{"kind":"coordinator_elected","body":"coord-x","state":"CIV","start":"2013-01-01","end":null,"by":"3MSP 2012-09-14"}
{"kind":"body_amended","body":"coord-x","name":"Coordinator on Y","by":"3MSP 2012-09-14"}
{"kind":"body_discontinued","body":"coord-x","effective":"2014-01-01","by":"3MSP 2012-09-14"}
{"kind":"president_elected","state":"NOR","start":"2011-09-16","end":{"meeting":"3MSP"},"by":"2MSP 2011-09-16"}
"#;

fn timeline(window: Window) -> Timeline {
    let projection = Projection::fold(&entries(LEDGER));
    layout(&projection, &window)
}

fn span(a: &str, b: &str) -> Span {
    Span {
        start: date(a),
        end: date(b),
    }
}

#[test]
fn a_seat_has_a_bar_per_term_and_the_vacancy_between() {
    let t = timeline(Window::default());
    assert_eq!((t.from, t.to), (date("2011-01-01"), date("2014-12-31")));
    assert_eq!(t.end(), date("2015-01-01"), "the day after the last shown");
    let x = &t.groups[0];
    assert_eq!(x.name, "Coordinator on Y", "the name in force at the end");
    let seat = &x.rows[0];
    let bars: Vec<_> = seat
        .bars
        .iter()
        .map(|b| (b.state.as_str(), b.span))
        .collect();
    assert_eq!(
        bars,
        [
            ("NOR", span("2011-09-16", "2012-09-14")),
            ("CIV", span("2013-01-01", "2014-01-01")),
        ]
    );
    assert_eq!(seat.bars[1].state_name.as_deref(), Some("Côte d'Ivoire"));
    assert_eq!(seat.vacancies, [span("2012-09-14", "2013-01-01")]);
    let marks: Vec<_> = x.marks.iter().map(|m| (m.kind, m.date)).collect();
    assert_eq!(
        marks,
        [
            (MarkKind::Established, date("2011-09-16")),
            (MarkKind::Renamed, date("2012-09-14")),
            (MarkKind::Discontinued, date("2014-01-01")),
        ]
    );
    assert_eq!(t.groups[1].id, "presidency");
    assert_eq!(
        t.groups[1].rows.len(),
        1,
        "no President-designate was elected"
    );
    assert_eq!(t.meetings.len(), 2);
}

#[test]
fn the_window_clips_bars_and_drops_what_lies_outside() {
    let t = timeline(Window {
        from: Some(date("2013-06-01")),
        to: Some(date("2015-12-31")),
        bodies: vec![crate::domain::BodyId::new("coord-x").unwrap()],
        today: Some(date("2015-01-01")),
    });
    assert_eq!(t.groups.len(), 1, "a --body leaves out the Presidency");
    let seat = &t.groups[0].rows[0];
    assert_eq!(seat.bars.len(), 1);
    assert_eq!(seat.bars[0].span, span("2013-06-01", "2014-01-01"));
    assert!(seat.vacancies.is_empty(), "no vacancy after the body ended");
    assert!(t.meetings.is_empty());
    assert_eq!(t.today, Some(date("2015-01-01")));
}

#[test]
fn the_terminal_drawing_fits_its_width_and_the_svg_escapes_names() {
    let t = timeline(Window::default());
    let text = text::render(&t, 60);
    assert!(text.lines().all(|l| l.chars().count() <= 60), "{text}");
    assert!(text.contains("NOR━"), "{text}");
    let svg = svg::render(&t, &svg::SvgOptions::default());
    assert!(svg.contains("CIV — Côte d&#39;Ivoire"), "{svg}");
}

/// A what-if picture (`timeline --svg --proposed FILE`): the terms of the proposal's entries
/// (seqs from `proposed_from` on) are drawn apart from the recorded ones and say so in their
/// tooltip, and the legend explains the mark; a picture without a proposal has neither.
#[test]
fn the_svg_draws_a_proposal_s_terms_apart_from_the_recorded_ones() {
    let t = timeline(Window::default());
    let bar = |svg: &str, state: &str| -> String {
        let at = svg
            .find(&format!("data-state=\"{state}\""))
            .expect("the bar is drawn");
        let start = svg[..at].rfind("<g class=\"term").unwrap();
        svg[start..at].to_owned()
    };
    let proposed = svg::render(
        &t,
        &svg::SvgOptions {
            proposed_from: Some(Seq(6)),
            ..svg::SvgOptions::default()
        },
    );
    assert!(
        bar(&proposed, "CIV").contains("proposed, not recorded"),
        "{proposed}"
    );
    assert!(bar(&proposed, "CIV").contains("class=\"bar proposed\""));
    assert!(!bar(&proposed, "NOR").contains("proposed"));
    assert!(
        proposed.contains(">proposed, not recorded</text>"),
        "the legend"
    );

    let recorded = svg::render(&t, &svg::SvgOptions::default());
    assert!(!recorded.contains("proposed"));
}
