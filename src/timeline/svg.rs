//! The timeline as a standalone SVG: white background, a year axis above and below, a row
//! per seat under a header per body, a bar per term (the State's name inside where it fits,
//! else its code; a colour per State, [`palette`]), running terms drawn to the day asked
//! about with an arrow, hatched vacancies, meetings as thin vertical lines, renamings and
//! discontinuations as labelled markers, a legend above, and a key of the States' codes and
//! names below. Everything a reader needs is visible text (tooltips only repeat it), so it
//! reads the same on paper, and in grey.

use std::fmt::Write;

use super::markup::escape;
use super::palette::{self, Colour, Colours, PALETTE};
use super::{ended_phrase, long_date, Bar, MarkKind, Timeline};
use crate::domain::Seq;

/// How to draw.
#[derive(Clone, Debug)]
pub struct SvgOptions {
    /// Total width in px.
    pub width: f64,
    /// A heading above the chart.
    pub title: Option<String>,
    /// Start with an XML declaration (a file of its own); `false` to inline in HTML.
    pub standalone: bool,
    /// For a what-if picture: the entries from this seq on are a proposal's, not recorded.
    /// Their terms get a heavy orange outline and say so in their tooltip; the legend
    /// explains the mark.
    pub proposed_from: Option<Seq>,
}

impl Default for SvgOptions {
    fn default() -> SvgOptions {
        SvgOptions {
            width: 1400.0,
            title: None,
            standalone: true,
            proposed_from: None,
        }
    }
}

const MARGIN: f64 = 16.0;
const LABEL: f64 = 130.0;
const HEADER: f64 = 24.0;
const ROW: f64 = 22.0;
const BAR: f64 = 16.0;
const LANE: f64 = 15.0;
const FONT: &str = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif";

/// A rough width of `text` at `size` px in a sans-serif font (for collision checks only).
fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.6
}

fn mark_style(kind: MarkKind) -> (&'static str, &'static str) {
    match kind {
        MarkKind::Established => ("#2e7d32", "established"),
        MarkKind::Renamed => ("#1565c0", "renamed"),
        MarkKind::Amended => ("#6d4c41", "amended"),
        MarkKind::Discontinued => ("#c62828", "discontinued"),
    }
}

/// A marker symbol centred on (x, y).
fn symbol(out: &mut String, kind: MarkKind, x: f64, y: f64) {
    let (c, _) = mark_style(kind);
    match kind {
        MarkKind::Discontinued => {
            let _ = write!(
                out,
                r#"<path d="M{:.1},{:.1} l8,8 m0,-8 l-8,8" stroke="{c}" stroke-width="2.2" fill="none"/>"#,
                x - 4.0,
                y - 4.0
            );
        }
        MarkKind::Established => {
            let _ = write!(
                out,
                r#"<path d="M{:.1},{:.1} l8,5 l-8,5 z" fill="{c}"/>"#,
                x - 2.0,
                y - 5.0
            );
        }
        _ => {
            let _ = write!(
                out,
                r#"<path d="M{x:.1},{:.1} l5,5 l-5,5 l-5,-5 z" fill="{c}"/>"#,
                y - 5.0
            );
        }
    }
}

/// Renders the timeline as SVG markup.
pub fn render(t: &Timeline, options: &SvgOptions) -> String {
    let width = options.width.max(600.0);
    let x0 = MARGIN + LABEL;
    let x1 = width - MARGIN;
    let x = |d| x0 + (x1 - x0) * t.fraction(d);

    // Meeting labels in lanes, so that close meetings do not print over each other.
    let mut lanes: Vec<f64> = Vec::new();
    let mut meeting_lane = Vec::new();
    for m in &t.meetings {
        let mx = x(m.end);
        let w = text_width(m.id.as_str(), 11.0);
        let left = mx - w / 2.0;
        let lane = match lanes.iter().position(|end| *end + 4.0 < left) {
            Some(i) => i,
            None => {
                lanes.push(f64::MIN);
                lanes.len() - 1
            }
        };
        lanes[lane] = mx + w / 2.0;
        meeting_lane.push(lane);
    }

    let mut y = MARGIN;
    let mut body = String::new();
    if let Some(title) = &options.title {
        y += 18.0;
        let _ = write!(
            body,
            r#"<text x="{MARGIN}" y="{y}" font-size="18" font-weight="bold">{}</text>"#,
            escape(title)
        );
        y += 10.0;
    }
    // Legend.
    y += 14.0;
    y = legend(
        &mut body,
        MARGIN,
        width - MARGIN,
        y,
        t.today,
        options.proposed_from.is_some(),
    );
    y += 16.0;

    let meetings_top = y + 4.0;
    let axis_top = meetings_top + lanes.len().max(1) as f64 * LANE + 4.0;
    let chart_top = axis_top + 18.0;
    let rows: usize = t.groups.iter().map(|g| g.rows.len()).sum();
    let chart_bottom = chart_top + t.groups.len() as f64 * HEADER + rows as f64 * ROW + 4.0;
    let colours = palette::colours(t);
    let key_top = chart_bottom + 40.0 + if t.today.is_some() { 16.0 } else { 0.0 };
    // Drawn last (after the chart in reading order), but its height is needed now.
    let mut key_svg = String::new();
    let key_bottom = key(&mut key_svg, t, &colours, key_top, width);
    let height = key_bottom + MARGIN;

    // Year grid and axes.
    let _ = write!(body, r##"<g class="axis" font-size="12" fill="#333">"##);
    for (year, day) in t.years() {
        let gx = x(day);
        let _ = write!(
            body,
            r##"<line x1="{gx:.1}" y1="{axis_top:.1}" x2="{gx:.1}" y2="{:.1}" stroke="#e3e3e3"/><line x1="{gx:.1}" y1="{:.1}" x2="{gx:.1}" y2="{chart_top:.1}" stroke="#555"/><line x1="{gx:.1}" y1="{chart_bottom:.1}" x2="{gx:.1}" y2="{:.1}" stroke="#555"/>"##,
            chart_bottom,
            chart_top - 5.0,
            chart_bottom + 5.0,
        );
        // The year's label sits in the middle of its span when the span is wide enough.
        let next = crate::domain::Date::from_ymd(year + 1, 1, 1).map_or(x1, |d| x(d).min(x1));
        let (lx, anchor) = if next - gx > 40.0 {
            ((gx + next) / 2.0, "middle")
        } else {
            (gx + 2.0, "start")
        };
        if next - gx > 28.0 {
            let _ = write!(
                body,
                r#"<text x="{lx:.1}" y="{:.1}" text-anchor="{anchor}">{year}</text><text x="{lx:.1}" y="{:.1}" text-anchor="{anchor}">{year}</text>"#,
                chart_top - 6.0,
                chart_bottom + 18.0
            );
        }
    }
    let _ = write!(
        body,
        r##"<line x1="{x0}" y1="{chart_top:.1}" x2="{x1}" y2="{chart_top:.1}" stroke="#555"/><line x1="{x0}" y1="{chart_bottom:.1}" x2="{x1}" y2="{chart_bottom:.1}" stroke="#555"/></g>"##
    );

    // Groups, rows, vacancies, bars.
    let mut gy = chart_top;
    for group in &t.groups {
        let _ = write!(
            body,
            r##"<g class="group" data-body="{}"><rect x="{MARGIN}" y="{gy:.1}" width="{:.1}" height="{HEADER}" fill="#f3f5f8"/><text x="{MARGIN}" y="{:.1}" font-size="13" font-weight="bold" fill="#111">{}</text>"##,
            escape(&group.id),
            width - 2.0 * MARGIN,
            gy + 16.5,
            escape(&group.name)
        );
        // Marks: a symbol on the header, a thin line down the group's rows, and a label
        // where it fits (after the name and the previous label), else only a tooltip.
        let name_end = MARGIN + text_width(&group.name, 13.0) * 1.05 + 8.0;
        let mut taken = name_end;
        let group_bottom = gy + HEADER + group.rows.len() as f64 * ROW;
        for mark in &group.marks {
            let mx = x(mark.date);
            let (c, _) = mark_style(mark.kind);
            // Under the body's name there is no room for a symbol: the line alone marks it
            // (and its tooltip tells).
            let under_name = mx < name_end;
            let _ = write!(
                body,
                r#"<g class="mark" data-kind="{:?}"><title>{}: {}</title><line x1="{mx:.1}" y1="{:.1}" x2="{mx:.1}" y2="{group_bottom:.1}" stroke="{c}" stroke-width="1.2" stroke-dasharray="3,2"/>"#,
                mark.kind,
                mark.date,
                escape(&mark.detail),
                if under_name {
                    gy + HEADER
                } else {
                    gy + HEADER / 2.0
                },
            );
            if under_name {
                body.push_str("</g>");
                continue;
            }
            symbol(&mut body, mark.kind, mx, gy + HEADER / 2.0);
            let label = format!("{} {}", mark.label, mark.date.year());
            let w = text_width(&label, 11.0);
            if mx + 8.0 >= taken && mx + 8.0 + w <= x1 {
                let _ = write!(
                    body,
                    r#"<text x="{:.1}" y="{:.1}" font-size="11" fill="{c}">{}</text>"#,
                    mx + 8.0,
                    gy + 16.0,
                    escape(&label)
                );
                taken = mx + 8.0 + w + 6.0;
            } else if mx - 8.0 - w >= taken {
                let _ = write!(
                    body,
                    r#"<text x="{:.1}" y="{:.1}" font-size="11" fill="{c}" text-anchor="end">{}</text>"#,
                    mx - 8.0,
                    gy + 16.0,
                    escape(&label)
                );
                taken = mx + 6.0;
            }
            body.push_str("</g>");
        }
        gy += HEADER;
        for row in &group.rows {
            let _ = write!(
                body,
                r##"<text x="{:.1}" y="{:.1}" font-size="12" fill="#444">{}</text><line x1="{x0}" y1="{:.1}" x2="{x1}" y2="{:.1}" stroke="#eeeeee"/>"##,
                MARGIN + 10.0,
                gy + 15.0,
                escape(&row.label),
                gy + ROW,
                gy + ROW,
            );
            let by = gy + (ROW - BAR) / 2.0;
            let row_id = format!("{}/{}", group.id, row.label);
            for v in &row.vacancies {
                let vx = x(v.start);
                let _ = write!(
                    body,
                    r#"<rect class="vacancy" data-row="{}" x="{vx:.1}" y="{by:.1}" width="{:.1}" height="{BAR}" fill="url(#vacant)"><title>vacant {} – {}</title></rect>"#,
                    escape(&row_id),
                    (x(v.end) - vx).max(0.5),
                    v.start,
                    v.end
                );
            }
            for bar in &row.bars {
                bar_svg(
                    &mut body,
                    bar,
                    colours.of(&bar.state),
                    &row_id,
                    &group.name,
                    &row.label,
                    x(bar.span.start),
                    x(bar.span.end),
                    by,
                    options.proposed_from.is_some_and(|from| bar.seq >= from),
                );
            }
            gy += ROW;
        }
        body.push_str("</g>");
    }

    // Meetings over everything, so they read as a grid of decisions.
    let _ = write!(body, r##"<g class="meetings" font-size="11" fill="#333">"##);
    for (m, lane) in t.meetings.iter().zip(meeting_lane) {
        let mx = x(m.end);
        let ly = meetings_top + (lane as f64 + 1.0) * LANE - 3.0;
        let place = m
            .location
            .as_deref()
            .map(|l| format!(", {l}"))
            .unwrap_or_default();
        let _ = write!(
            body,
            r##"<g class="meeting" data-meeting="{id}"><title>{id}: {} – {}{}</title><line x1="{mx:.1}" y1="{:.1}" x2="{mx:.1}" y2="{chart_bottom:.1}" stroke="#5f6b7a" stroke-width="0.8" stroke-opacity="0.7"/><text x="{mx:.1}" y="{ly:.1}" text-anchor="middle">{id}</text></g>"##,
            m.start,
            m.end,
            escape(&place),
            ly + 2.0,
            id = escape(m.id.as_str()),
        );
    }
    body.push_str("</g>");
    if let Some(today) = t.today {
        let tx = x(today);
        let _ = write!(
            body,
            r##"<g class="today"><line x1="{tx:.1}" y1="{chart_top:.1}" x2="{tx:.1}" y2="{:.1}" stroke="#d32f2f" stroke-width="1.5"/><text x="{tx:.1}" y="{:.1}" font-size="11" fill="#d32f2f" text-anchor="{anchor}">{today}</text></g>"##,
            chart_bottom + 22.0,
            chart_bottom + 34.0,
            anchor = if tx > x1 - 40.0 { "end" } else { "middle" },
        );
    }

    body.push_str(&key_svg);

    let mut out = String::new();
    if options.standalone {
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    }
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="{FONT}" role="img"><title>{}</title><defs><pattern id="vacant" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fdecea"/><line x1="0" y1="0" x2="0" y2="6" stroke="#e57373" stroke-width="1.6"/></pattern></defs><rect width="100%" height="100%" fill="#ffffff"/>"##,
        escape(
            options
                .title
                .as_deref()
                .unwrap_or("The machinery over time")
        )
    );
    out.push_str(&body);
    out.push_str("</svg>\n");
    out
}

#[allow(clippy::too_many_arguments)]
fn bar_svg(
    out: &mut String,
    bar: &Bar,
    colour: Colour,
    row_id: &str,
    body: &str,
    row: &str,
    bx: f64,
    ex: f64,
    by: f64,
    proposed: bool,
) {
    // A hairline gap between consecutive bars so that a handover is visible.
    let w = (ex - bx - 1.0).max(1.5);
    let name = bar.state_name.as_deref().unwrap_or("(name not recorded)");
    let person = bar
        .person
        .as_deref()
        .map(|p| format!(" ({p})"))
        .unwrap_or_default();
    let recorded = if proposed {
        "proposed, not recorded".to_owned()
    } else {
        format!("entry {}", bar.seq)
    };
    let title = format!(
        "{} — {name}{person}\n{body}, {row}\n{}\nelected at {}, {recorded}",
        bar.state,
        ended_phrase(bar),
        bar.decision,
    );
    let (class, stroke) = if proposed {
        ("bar proposed", PROPOSED_STROKE)
    } else {
        ("bar", r##"stroke="#4a4a4a" stroke-width="0.6""##)
    };
    let dash = if bar.running() {
        r#" stroke-dasharray="4,2""#
    } else {
        ""
    };
    let _ = write!(
        out,
        r##"<g class="term"><title>{}</title><rect class="{class}" data-row="{}" data-seq="{}" data-state="{}" x="{bx:.1}" y="{by:.1}" width="{w:.1}" height="{BAR}" rx="2" fill="{}" {stroke}{dash}/>"##,
        escape(&title),
        escape(row_id),
        bar.seq,
        escape(bar.state.as_str()),
        colour.fill,
    );
    if bar.running() {
        // Still running on the day asked about: an arrow says it goes on past it.
        running_arrow(out, bx + w + 1.0, by);
    }
    // The State's name where it fits (on paper there is no tooltip), else its code (the key
    // below names it), else nothing.
    let code = bar.state.as_str();
    let label = bar
        .state_name
        .as_deref()
        .map(|name| format!("{name} ({code})"))
        .into_iter()
        .chain([code.to_owned()])
        .find(|label| w >= text_width(label, 11.0) + 6.0);
    if let Some(label) = label {
        let _ = write!(
            out,
            r##"<text class="state" x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#111">{}</text>"##,
            bx + w / 2.0,
            by + BAR - 4.0,
            escape(&label)
        );
    }
    out.push_str("</g>");
}

/// The arrow after a running term, its tip `ARROW` px right of `x`, on a bar whose top is `y`.
fn running_arrow(out: &mut String, x: f64, y: f64) {
    let _ = write!(
        out,
        r##"<path class="running" d="M{x:.1},{:.1} l{ARROW},{:.1} l-{ARROW},{:.1} z" fill="#333"/>"##,
        y + 2.0,
        BAR / 2.0 - 2.0,
        BAR / 2.0 - 2.0,
    );
}

/// How far the arrow of a running term reaches past its bar.
const ARROW: f64 = 6.0;

/// The outline of a proposed term: heavy and orange (a recorded one has a grey hairline).
const PROPOSED_STROKE: &str = r##"stroke="#c25e00" stroke-width="2""##;

/// A swatch of the legend.
#[derive(Clone, Copy)]
enum Swatch {
    Term,
    Running,
    Proposed,
    Vacant,
    Meeting,
    Mark(MarkKind),
    Today,
}

impl Swatch {
    /// The swatch drawn 18 px wide at `x`, on the line of text whose baseline is `y`.
    fn draw(self, x: f64, y: f64) -> String {
        let rect = |fill: &str, stroke: &str| {
            format!(
                r#"<rect x="{x:.1}" y="{:.1}" width="18" height="11" rx="2" fill="{fill}" {stroke}/>"#,
                y - 9.0
            )
        };
        let line = |colour: &str, width: f64| {
            format!(
                r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="{width}"/>"#,
                x + 9.0,
                y - 10.0,
                x + 9.0,
                y + 3.0
            )
        };
        match self {
            Swatch::Term => rect(PALETTE[5].fill, r##"stroke="#4a4a4a" stroke-width="0.6""##),
            Swatch::Running => {
                let mut s = rect(
                    PALETTE[1].fill,
                    r##"stroke="#4a4a4a" stroke-width="0.6" stroke-dasharray="4,2""##,
                );
                running_arrow(&mut s, x + 19.0, y - 11.5);
                s
            }
            Swatch::Proposed => rect(PALETTE[5].fill, PROPOSED_STROKE),
            Swatch::Vacant => rect("url(#vacant)", ""),
            Swatch::Meeting => line("#5f6b7a", 1.0),
            Swatch::Mark(kind) => {
                let mut s = String::new();
                symbol(&mut s, kind, x + 9.0, y - 4.0);
                s
            }
            Swatch::Today => line("#d32f2f", 1.5),
        }
    }
}

/// The legend from `x` to `right`, its first line's baseline at `y`, in as many lines as it
/// needs. Returns the baseline of its last line.
fn legend(
    out: &mut String,
    x: f64,
    right: f64,
    y: f64,
    today: Option<crate::domain::Date>,
    proposed: bool,
) -> f64 {
    let mut items = vec![(Swatch::Term, "term (name or code: see the key)".to_owned())];
    items.push((
        Swatch::Running,
        match today {
            Some(day) => format!("running on {}", long_date(day)),
            None => "running".to_owned(),
        },
    ));
    if proposed {
        items.push((Swatch::Proposed, "proposed, not recorded".to_owned()));
    }
    items.push((Swatch::Vacant, "vacant seat".to_owned()));
    items.push((Swatch::Meeting, "meeting (at its close)".to_owned()));
    for kind in [
        MarkKind::Established,
        MarkKind::Renamed,
        MarkKind::Amended,
        MarkKind::Discontinued,
    ] {
        items.push((Swatch::Mark(kind), mark_style(kind).1.to_owned()));
    }
    if let Some(day) = today {
        items.push((Swatch::Today, long_date(day)));
    }
    let _ = write!(out, r##"<g class="legend" font-size="11" fill="#333">"##);
    let (mut lx, mut y) = (x, y);
    for (swatch, label) in items {
        let w = 22.0 + ARROW + text_width(&label, 11.0);
        if lx > x && lx + w > right {
            lx = x;
            y += 17.0;
        }
        out.push_str(&swatch.draw(lx, y));
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            lx + 22.0 + ARROW,
            y + 1.0,
            escape(&label)
        );
        lx += w + 14.0;
    }
    out.push_str("</g>");
    y
}

/// The narrowest and the widest column of the key: as wide as its longest name needs, within
/// these (a longer name is cut).
const KEY_COLUMN: std::ops::RangeInclusive<f64> = 180.0..=330.0;
/// The room for a State's code in the key, before its name.
const KEY_CODE: f64 = 36.0;
/// The height of a line of the key.
const KEY_LINE: f64 = 17.0;

/// The key below the chart: every State on it, its colour, code and name, in columns read
/// down. A name too long for the widest column is cut with an ellipsis (its tooltip has it
/// whole). Returns where the key ends.
fn key(out: &mut String, t: &Timeline, colours: &Colours, top: f64, width: f64) -> f64 {
    let states = palette::states(t);
    if states.is_empty() {
        return top;
    }
    let longest = states
        .iter()
        .map(|(_, name)| text_width(name.unwrap_or("(name not recorded)"), 11.0))
        .fold(0.0, f64::max);
    let column = (22.0 + KEY_CODE + longest + 14.0).clamp(*KEY_COLUMN.start(), *KEY_COLUMN.end());
    let columns = (((width - 2.0 * MARGIN) / column).floor() as usize).max(1);
    let lines = states.len().div_ceil(columns);
    let _ = write!(
        out,
        r##"<g class="key" font-size="11" fill="#222"><text x="{MARGIN}" y="{:.1}" font-size="13" font-weight="bold" fill="#111">The States</text>"##,
        top + 12.0
    );
    for (i, (code, name)) in states.iter().enumerate() {
        let kx = MARGIN + (i / lines) as f64 * column;
        let ky = top + 32.0 + (i % lines) as f64 * KEY_LINE;
        let name = name.unwrap_or("(name not recorded)");
        // Bold codes are wider than the estimate: room for four bold capitals.
        let code_w = KEY_CODE.max(text_width(code.as_str(), 11.0) * 1.25);
        let room = ((column - 22.0 - code_w - 8.0) / (11.0 * 0.6)).floor() as usize;
        let shown: String = if name.chars().count() > room {
            name.chars()
                .take(room.saturating_sub(1))
                .chain(['…'])
                .collect()
        } else {
            name.to_owned()
        };
        let _ = write!(
            out,
            r##"<g class="key-state" data-state="{code}"><title>{code} — {full}</title><rect x="{kx:.1}" y="{:.1}" width="18" height="11" rx="2" fill="{}" stroke="#4a4a4a" stroke-width="0.6"/><text x="{:.1}" y="{ky:.1}" font-weight="bold">{code}</text><text x="{:.1}" y="{ky:.1}">{}</text></g>"##,
            ky - 9.0,
            colours.of(code).fill,
            kx + 22.0,
            kx + 22.0 + code_w,
            escape(&shown),
            code = escape(code.as_str()),
            full = escape(name),
        );
    }
    out.push_str("</g>");
    top + 32.0 + lines as f64 * KEY_LINE
}
