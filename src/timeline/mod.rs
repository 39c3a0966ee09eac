//! The machinery over time as a picture: a pure layout of the projection (one row per seat
//! of each body, a bar per term, the vacancies between them, the Presidency, the meetings,
//! renamings and discontinuations), and its renderings: SVG ([`svg`]), a character timeline
//! for the terminal ([`text`]), and the escaping both HTML and SVG need ([`markup`]).
//!
//! **Invariant:** the layout does no I/O and knows no pixels: it places things in time
//! (dates); each renderer maps dates to its own coordinates with [`Timeline::fraction`].

pub mod markup;
pub mod palette;
pub mod svg;
pub mod text;

use serde::Serialize;

use crate::domain::{BodyId, Date, MeetingId, MeetingType, Seq, StateCode};
use crate::projection::{Office, Projection};

/// What to lay out.
#[derive(Clone, Debug, Default)]
pub struct Window {
    /// The first day shown [default: 1 January of the year of the earliest date recorded].
    pub from: Option<Date>,
    /// The last day shown, as `--to` means it [default: 31 December of the year of the
    /// latest date recorded or `today`, whichever is later].
    pub to: Option<Date>,
    /// Only these bodies (and no Presidency); empty: every body and the Presidency.
    pub bodies: Vec<BodyId>,
    /// The day asked about (`--on`): drawn as a line, and what is still running (a term, a
    /// body in force, a vacancy) is drawn up to it, not beyond: the record says nothing of
    /// later days.
    pub today: Option<Date>,
}

/// The machinery laid out in time, from `from` to `to`, both days shown. Its spans are
/// half-open, so one that reaches the window's edge ends on [`Timeline::end`], the day after
/// `to`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Timeline {
    /// The first day shown.
    pub from: Date,
    /// The last day shown, as `--to` means it and the SVG's title says (issue 17.7 and the
    /// JSON's `to`: it was the day after).
    pub to: Date,
    pub today: Option<Date>,
    /// One group per body (by id), then the Presidency.
    pub groups: Vec<Group>,
    /// Meetings whose closing day falls in the window, in order.
    pub meetings: Vec<MeetingMark>,
}

/// A body (or the Presidency) and its rows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Group {
    /// The body id, or `presidency`.
    pub id: String,
    /// The name in force at the end of the window (or when the body ended, if earlier).
    pub name: String,
    pub rows: Vec<Row>,
    /// Establishment, renamings, other amendments, discontinuation, within the window.
    pub marks: Vec<Mark>,
}

/// One seat of a body, or one office of the Presidency.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// `seat 1`, `President`, `President-designate`.
    pub label: String,
    /// In order of start; they never overlap (an overlapping term, which only a rule
    /// finding allows, is laid out in an overflow seat by the projection).
    pub bars: Vec<Bar>,
    /// Spans in the window where the body was in force and nobody held the seat.
    pub vacancies: Vec<Span>,
}

/// A half-open span of days `[start, end)`, clipped to the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: Date,
    pub end: Date,
}

/// One term.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bar {
    /// Clipped to the window.
    pub span: Span,
    /// The term's own start and end (`None`: still running, or pending a meeting).
    pub start: Date,
    pub end: Option<Date>,
    pub state: StateCode,
    /// The State's name, if recorded.
    pub state_name: Option<String>,
    /// The President's name, for the Presidency.
    pub person: Option<String>,
    /// `running`, `renewed`, `succeeded`, …
    pub how_ended: &'static str,
    /// The meeting that decided it.
    pub decision: MeetingId,
    /// The entry that recorded the election.
    pub seq: Seq,
}

impl Bar {
    /// Still running (open, or until the close of a meeting not yet recorded).
    pub fn running(&self) -> bool {
        self.end.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mark {
    pub date: Date,
    pub kind: MarkKind,
    /// A short label: `renamed`, `1-year terms`, `discontinued → wg-general-status`.
    pub label: String,
    /// The whole story, for a tooltip: `renamed "A" → "B" (1RC, entry 120)`.
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkKind {
    Established,
    Renamed,
    Amended,
    Discontinued,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeetingMark {
    #[serde(rename = "meeting")]
    pub id: MeetingId,
    pub meeting_type: MeetingType,
    pub start: Date,
    /// The closing day: where terms hand over; the line is drawn here.
    pub end: Date,
    pub location: Option<String>,
}

impl Timeline {
    /// The day after the last day shown: where the window ends, and its spans with it.
    pub fn end(&self) -> Date {
        self.to.add_days(1)
    }

    /// Days in the window.
    pub fn days(&self) -> i64 {
        self.from.days_until(self.end()).max(1)
    }

    /// Where `date` falls in the window: 0.0 at `from`, 1.0 at [`Timeline::end`].
    pub fn fraction(&self, date: Date) -> f64 {
        self.from.days_until(date) as f64 / self.days() as f64
    }

    /// The years whose 1 January falls in the window (the axis ticks).
    pub fn years(&self) -> impl Iterator<Item = (i32, Date)> + '_ {
        (self.from.year()..=self.end().year()).filter_map(move |y| {
            let d = Date::from_ymd(y, 1, 1)?;
            (self.from <= d && d <= self.end()).then_some((y, d))
        })
    }

    /// Every bar in every row.
    pub fn bars(&self) -> impl Iterator<Item = &Bar> {
        self.groups
            .iter()
            .flat_map(|g| g.rows.iter().flat_map(|r| r.bars.iter()))
    }
}

/// Lays out the projection over `window`. Pure: no I/O, no clock (`today` comes in).
pub fn layout(projection: &Projection, window: &Window) -> Timeline {
    let (first, last) = extent(projection);
    let latest = window.today.map_or(last, |t| t.max(last));
    let from = window
        .from
        .unwrap_or_else(|| Date::from_ymd(first.year(), 1, 1).unwrap_or(first));
    // The window's end, the day after its last day: what its half-open spans are cut at.
    let to = window
        .to
        .map(|last| last.add_days(1))
        .unwrap_or_else(|| Date::from_ymd(latest.year() + 1, 1, 1).unwrap_or(latest))
        .max(from.add_days(1));
    // Where what is still running stops: the day asked about, kept inside the window (a
    // term that starts after it is a sliver at its start).
    let open_end = window.today.map_or(to, |t| t.clamp(from, to));
    let clip = |start: Date, end: Option<Date>| -> Option<Span> {
        let end = end.unwrap_or(open_end.max(start)).min(to);
        let start = start.max(from);
        // A term that ends the day it starts still shows (as a sliver) when it is inside.
        (start < end || (start == end && start < to)).then_some(Span { start, end })
    };
    let state_name = |code: &StateCode| projection.state(code).map(|s| s.name.clone());

    let mut groups = Vec::new();
    for body in projection.bodies() {
        if !window.bodies.is_empty() && !window.bodies.contains(&body.id) {
            continue;
        }
        let ended = body.discontinued.as_ref().map(|d| d.effective);
        let Some(life) = clip(body.established.effective, ended) else {
            continue;
        };
        let name_day = life.end.add_days(-1).max(life.start);
        let name = body.parameters_on(name_day).name;
        let seats = body.seats_ever();
        let mut rows: Vec<Row> = (1..=seats)
            .map(|seat| Row {
                label: format!("seat {seat}"),
                bars: Vec::new(),
                vacancies: Vec::new(),
            })
            .collect();
        for term in &body.terms {
            let Some(span) = clip(term.start, term.end) else {
                continue;
            };
            rows[term.seat as usize - 1].bars.push(Bar {
                span,
                start: term.start,
                end: term.end,
                state: term.state.clone(),
                state_name: state_name(&term.state),
                person: None,
                how_ended: term.how_ended.word(),
                decision: term.decision.meeting.clone(),
                seq: term.seq,
            });
        }
        for (i, row) in rows.iter_mut().enumerate() {
            let seat = i as u32 + 1;
            row.bars.sort_by_key(|b| (b.span.start, b.seq));
            // A seat exists while the body has at least that many seats; vacancies are
            // counted only then.
            let mut cursor = life.start;
            for bar in &row.bars {
                if bar.span.start > cursor {
                    push_vacancy(&mut row.vacancies, body, seat, cursor, bar.span.start);
                }
                cursor = cursor.max(bar.span.end);
            }
            if cursor < life.end {
                push_vacancy(&mut row.vacancies, body, seat, cursor, life.end);
            }
        }
        let mut marks = Vec::new();
        let e = &body.established;
        marks.push(Mark {
            date: e.effective,
            kind: MarkKind::Established,
            label: "established".into(),
            detail: format!(
                "established as \"{}\" ({}, entry {})",
                e.name, e.decision.meeting, e.seq
            ),
        });
        let mut previous = e.name.clone();
        for c in &body.changes {
            if let Some(new) = &c.name {
                marks.push(Mark {
                    date: c.effective,
                    kind: MarkKind::Renamed,
                    label: "renamed".into(),
                    detail: format!(
                        "renamed \"{previous}\" → \"{new}\" ({}, entry {})",
                        c.decision.meeting, c.seq
                    ),
                });
                previous.clone_from(new);
            }
            let mut what = Vec::new();
            if let Some(s) = c.seats {
                what.push(format!("{s} seat{}", if s == 1 { "" } else { "s" }));
            }
            if let Some(y) = c.term_years {
                what.push(format!("{y}-year terms"));
            }
            if let Some(n) = c.renew_per_year {
                what.push(format!("{n} renewed a year"));
            }
            if what.is_empty() && c.name.is_none() {
                what.push("mandate amended".into());
            }
            if !what.is_empty() {
                let label = what.join(", ");
                marks.push(Mark {
                    date: c.effective,
                    kind: MarkKind::Amended,
                    detail: format!("{label} ({}, entry {})", c.decision.meeting, c.seq),
                    label,
                });
            }
        }
        if let Some(d) = &body.discontinued {
            let label = match &d.transfer_to {
                Some(to) => format!("discontinued → {to}"),
                None => "discontinued".into(),
            };
            marks.push(Mark {
                date: d.effective,
                kind: MarkKind::Discontinued,
                detail: format!("{label} ({}, entry {})", d.decision.meeting, d.seq),
                label,
            });
        }
        marks.retain(|m| from <= m.date && m.date < to);
        marks.sort_by_key(|m| m.date);
        groups.push(Group {
            id: body.id.to_string(),
            name,
            rows,
            marks,
        });
    }

    if window.bodies.is_empty() {
        let mut rows: Vec<Row> = [Office::President, Office::PresidentDesignate]
            .into_iter()
            .map(|office| {
                let mut bars: Vec<Bar> = projection
                    .presidency_terms()
                    .iter()
                    .filter(|t| t.office == office)
                    .filter_map(|t| {
                        Some(Bar {
                            span: clip(t.start, t.end)?,
                            start: t.start,
                            end: t.end,
                            state: t.state.clone(),
                            state_name: state_name(&t.state),
                            person: t.person.as_deref().map(String::from),
                            how_ended: t.how_ended.word(),
                            decision: t.decision.meeting.clone(),
                            seq: t.seq,
                        })
                    })
                    .collect();
                bars.sort_by_key(|b| (b.span.start, b.seq));
                Row {
                    label: office.title().to_owned(),
                    bars,
                    // The Presidency is not a seat that must be filled: no vacancies.
                    vacancies: Vec::new(),
                }
            })
            .collect();
        // No President-designate row when none was ever elected in the window.
        rows.retain(|r| r.label == Office::President.title() || !r.bars.is_empty());
        groups.push(Group {
            id: "presidency".into(),
            name: "Presidency".into(),
            rows,
            marks: Vec::new(),
        });
    }

    let meetings = projection
        .meetings()
        .filter(|m| from <= m.end && m.end < to)
        .map(|m| MeetingMark {
            id: m.id.clone(),
            meeting_type: m.meeting_type,
            start: m.start,
            end: m.end,
            location: m.location.clone(),
        })
        .collect();

    Timeline {
        from,
        to: to.add_days(-1),
        today: window.today.filter(|t| from <= *t && *t < to),
        groups,
        meetings,
    }
}

/// Records `[start, end)` as vacant in seat `seat`, keeping only the days on which the body
/// had at least that many seats.
fn push_vacancy(
    out: &mut Vec<Span>,
    body: &crate::projection::Body,
    seat: u32,
    start: Date,
    end: Date,
) {
    // Seat counts change only at amendments: split the span at each.
    let mut cuts: Vec<Date> = body
        .changes
        .iter()
        .filter(|c| c.seats.is_some() && start < c.effective && c.effective < end)
        .map(|c| c.effective)
        .collect();
    cuts.sort();
    let mut from = start;
    for until in cuts.into_iter().chain([end]) {
        if body.parameters_on(from).seats >= seat {
            match out.last_mut() {
                Some(last) if last.end == from => last.end = until,
                _ => out.push(Span {
                    start: from,
                    end: until,
                }),
            }
        }
        from = until;
    }
}

/// The earliest and the latest day the projection mentions (establishments, terms,
/// meetings, the Presidency).
fn extent(projection: &Projection) -> (Date, Date) {
    let mut days: Vec<Date> = Vec::new();
    for b in projection.bodies() {
        days.push(b.established.effective);
        days.extend(b.changes.iter().map(|c| c.effective));
        days.extend(b.discontinued.as_ref().map(|d| d.effective));
        for t in &b.terms {
            days.push(t.start);
            days.extend(t.end);
        }
    }
    for m in projection.meetings() {
        days.extend([m.start, m.end]);
    }
    for t in projection.presidency_terms() {
        days.push(t.start);
        days.extend(t.end);
    }
    let first = days.iter().min().copied();
    let last = days.iter().max().copied();
    match (first, last) {
        (Some(f), Some(l)) => (f, l),
        _ => {
            let d = Date::from_ymd(2010, 1, 1).expect("a valid date");
            (d, d)
        }
    }
}

/// A day as people write it in prose: "7 December 2026" (legends and notes; tables keep ISO).
pub fn long_date(date: Date) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    // From the ISO form, which `Date` guarantees: YYYY-MM-DD.
    let iso = date.to_string();
    let number =
        |range: std::ops::Range<usize>| iso.get(range).and_then(|s| s.parse::<usize>().ok());
    match (
        number(5..7).and_then(|m| MONTHS.get(m.checked_sub(1)?)),
        number(8..10),
    ) {
        (Some(month), Some(day)) => format!("{day} {month} {}", date.year()),
        _ => iso,
    }
}

/// A word for how a term ended, for tooltips: "succeeded", "running", …
pub fn ended_phrase(bar: &Bar) -> String {
    match bar.end {
        Some(end) => format!("{} – {} ({})", bar.start, end, bar.how_ended),
        None => format!("{} – (running)", bar.start),
    }
}

#[cfg(test)]
mod tests;
