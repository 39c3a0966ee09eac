//! R1 (never more holders than seats, §14) and R7 (no seat empty longer than the tolerance,
//! §15, §16), both by walking a body's days on which something changes: a term begins or ends,
//! the number of seats is amended.

use std::collections::BTreeMap;

use crate::domain::{Date, Seq};
use crate::projection::{Body, HowEnded, Projection, Term};

use super::{plural, Finding, Period, Rule, Scope, Severity, Tolerances};

/// The entry that changed the number of seats on `day`, if one did.
fn seats_change_on(body: &Body, day: Date) -> Option<Seq> {
    body.changes
        .iter()
        .filter(|c| c.effective == day && c.seats.is_some())
        .map(|c| c.seq)
        .next_back()
}

/// R1: each stretch of days on which a body has more holders than seats in force is one error,
/// dated its first day, naming the State whose term began then (if one did) and every holder.
pub(super) fn overfilled(projection: &Projection) -> Vec<Finding> {
    let mut findings = Vec::new();
    for body in projection.bodies() {
        let days = body.change_days();
        let mut i = 0;
        while i < days.len() {
            let day = days[i];
            let seats = body.seats_on(day);
            let holders: Vec<&Term> = body.holders_on(day).collect();
            if holders.len() <= seats as usize {
                i += 1;
                continue;
            }
            // The stretch lasts until the first change day with no overflow.
            let mut seqs: Vec<Seq> = holders.iter().map(|t| t.seq).collect();
            seqs.extend(seats_change_on(body, day));
            let mut j = i + 1;
            while j < days.len() {
                let held: Vec<&Term> = body.holders_on(days[j]).collect();
                if held.len() <= body.seats_on(days[j]) as usize {
                    break;
                }
                seqs.extend(held.iter().map(|t| t.seq));
                j += 1;
            }
            let until = days.get(j).copied();
            let newcomer = holders
                .iter()
                .filter(|t| t.start == day)
                .max_by_key(|t| t.seq);
            let names: Vec<String> = holders
                .iter()
                .map(|t| format!("{} (from {})", t.state, t.start))
                .collect();
            let mut message = format!(
                "{} of {} on {day}: {}, for {}",
                plural(holders.len() as u32, "holder", "holders"),
                body.id,
                names.join(", "),
                plural(seats, "seat", "seats"),
            );
            message.push_str(match newcomer {
                // Naming the State succeeded ends its term on the newcomer's start as
                // "succeeded"; a departure would show it as "left".
                Some(_) => {
                    "; name the State the newcomer succeeds (\"replaces\" on its election), end a \
                     term first (coordinator_left), or correct the election"
                }
                None => "; the number of seats was reduced below the holders in office",
            });
            let mut finding = Finding::new(
                Rule::R1,
                Severity::Error,
                day,
                Period { from: day, until },
                seqs,
                message,
            )
            .body(&body.id);
            if let Some(t) = newcomer {
                finding = finding.state(&t.state);
            }
            findings.push(finding);
            i = j;
        }
    }
    findings
}

/// A seat's empty stretch, while it is being walked.
struct Gap {
    from: Date,
    /// The entries that emptied it: the term that ended (and the departure), or the
    /// establishment or amendment that created the seat.
    seqs: Vec<Seq>,
    /// Who held it last, for the message.
    after: Option<String>,
}

/// R7: every stretch in which one seat of a body in force stays empty longer than the
/// tolerance is a warning, dated the day it fell empty. Its entries are those that emptied it,
/// never the election that fills it: filling a seat late is the cure, not a new finding.
pub(super) fn vacancies(
    projection: &Projection,
    tolerances: &Tolerances,
    scope: Scope,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for body in projection.bodies() {
        let stop = body
            .discontinued
            .as_ref()
            .map_or(scope.until, |d| d.effective.min(scope.until));
        let ended_with_body = body
            .discontinued
            .as_ref()
            .is_some_and(|d| d.effective <= scope.until);
        let mut gaps: BTreeMap<u32, Gap> = BTreeMap::new();
        let mut report = |seat: u32, gap: Gap, until: Option<Date>| {
            let end = until.unwrap_or(scope.until);
            let days = gap.from.days_until(end);
            if days <= tolerances.vacancy_days {
                return;
            }
            let after = gap.after.map(|a| format!(" after {a}")).unwrap_or_default();
            let span = match until {
                Some(until) => format!("from {} to {until} ({days} days)", gap.from),
                None => format!("since {} ({days} days by {end})", gap.from),
            };
            let message = format!(
                "seat {seat} of {} empty {span}{after}, longer than the {} days tolerated; \
                 an MSP or Review Conference should fill it",
                body.id, tolerances.vacancy_days
            );
            findings.push(
                Finding::new(
                    Rule::R7,
                    Severity::Warning,
                    gap.from,
                    Period {
                        from: gap.from,
                        until,
                    },
                    gap.seqs,
                    message,
                )
                .body(&body.id),
            );
        };
        for day in body.change_days().into_iter().filter(|d| *d < stop) {
            let seats = body.seats_on(day);
            let held = seats_held(body, day, seats);
            // Seats filled, or abolished, end their gaps.
            let closed: Vec<u32> = gaps
                .keys()
                .copied()
                .filter(|s| *s > seats || held.contains(s))
                .collect();
            for seat in closed {
                let gap = gaps.remove(&seat).expect("a key just listed");
                report(seat, gap, Some(day));
            }
            for seat in (1..=seats).filter(|s| !held.contains(s)) {
                gaps.entry(seat).or_insert_with(|| opened(body, seat, day));
            }
        }
        for (seat, gap) in gaps {
            report(seat, gap, ended_with_body.then_some(stop));
        }
    }
    findings
}

/// The seats (1..=seats) held on `day`. A holder in a seat above the number in force (an
/// overflow, R1's business, or a seat abolished under a sitting holder) counts as holding the
/// lowest seat otherwise empty: a seat is vacant only while there are fewer holders than seats.
fn seats_held(body: &Body, day: Date, seats: u32) -> Vec<u32> {
    let all: Vec<u32> = body.holders_on(day).map(|t| t.seat).collect();
    let mut held: Vec<u32> = all.iter().copied().filter(|s| *s <= seats).collect();
    for _ in all.iter().filter(|s| **s > seats) {
        if let Some(free) = (1..=seats).find(|s| !held.contains(s)) {
            held.push(free);
        }
    }
    held
}

/// Why `seat` of `body` is empty from `day`.
fn opened(body: &Body, seat: u32, day: Date) -> Gap {
    let last = body
        .terms
        .iter()
        .filter(|t| t.seat == seat && t.end.is_some_and(|end| end <= day))
        .max_by_key(|t| (t.end, t.seq));
    match last {
        Some(t) if t.end == Some(day) => {
            let mut seqs = vec![t.seq];
            let how = match &t.how_ended {
                HowEnded::Left { reason, seq } => {
                    seqs.push(*seq);
                    format!("left: {reason}")
                }
                _ => "term ended".to_owned(),
            };
            Gap {
                from: day,
                seqs,
                after: Some(format!("{} ({how})", t.state)),
            }
        }
        _ => {
            let seq = seats_change_on(body, day)
                .filter(|_| day != body.established.effective)
                .unwrap_or(body.established.seq);
            let after = if day == body.established.effective {
                "the body's establishment"
            } else {
                "the seat was created"
            };
            Gap {
                from: day,
                seqs: vec![seq],
                after: Some(after.to_owned()),
            }
        }
    }
}
