//! R2 (a term is the body's term length, §15) and R3 (at most `renew_per_year` new full terms a
//! year, §15), with their two exemptions:
//!
//! - **set-up terms**: a term that begins in the calendar year the body was established (on or
//!   after its establishment) sets up the stagger. It is exempt from R3, and from R2 if it is
//!   *not longer* than a full term: a first term shortened to one year is the stagger's point,
//!   a first term of six years is not.
//! - **replacements**: a term that begins on or after a holder of the same body left
//!   (`coordinator_left`), before that holder's term would have ended, and ends when it would
//!   have (within the tolerance) only completes the departed holder's term: exempt from both.
//! - **stagger terms**: an election marked `"stagger"` (the decision made the term shorter or
//!   longer on purpose, to set up or restore the stagger) is exempt from R2 if it lasts a
//!   whole number of years (within the tolerance), at least one and less than twice the body's
//!   term. R3 counts it as any term: a shortened one is not a new full term, a lengthened one
//!   is. This is what R3's hint leads to, so following it never trips R2.

use std::collections::BTreeMap;

use crate::domain::{Date, Seq};
use crate::projection::{Body, HowEnded, Projection, Term};

use super::{end_words, resolve, years, Finding, Period, Rule, Scope, Severity, Tolerances};

/// What R2 and R3 need to know of one term.
struct Reading<'a> {
    term: &'a Term,
    term_years: u32,
    /// The start plus the body's term length in force on the start.
    full_end: Date,
    /// The declared end, once it falls on a known day.
    planned: Option<Date>,
    set_up: bool,
    replacement: bool,
    /// Marked by its election as setting up or restoring the stagger.
    stagger: bool,
}

fn readings<'a>(projection: &Projection, body: &'a Body, tol: &Tolerances) -> Vec<Reading<'a>> {
    let est = body.established.effective;
    // Found once per body, not once per term: every term is compared with each of them (a
    // walk over all the body's terms for each term was most of R2's and R3's time).
    let departed = departed(projection, body);
    body.terms
        .iter()
        .map(|term| {
            let term_years = body.term_years_on(term.start);
            let planned = resolve(projection, &term.declared_end);
            Reading {
                term,
                term_years,
                full_end: body.full_end(term),
                planned,
                set_up: term.start >= est && term.start.year() == est.year(),
                replacement: completes_departed(&departed, term, planned, tol),
                stagger: term.stagger.is_some(),
            }
        })
        .collect()
}

/// A holder who left the body: the election's seq, the day it left and the day its term
/// would have ended.
type Departed = (Seq, Date, Date);

/// The body's holders who left before their term's declared end was reached (that end known).
fn departed(projection: &Projection, body: &Body) -> Vec<Departed> {
    body.terms
        .iter()
        .filter(|t| matches!(t.how_ended, HowEnded::Left { .. }))
        .filter_map(|t| Some((t.seq, t.end?, resolve(projection, &t.declared_end)?)))
        .collect()
}

/// Whether `term` only completes the term of a holder who left the body (`departed`).
fn completes_departed(
    departed: &[Departed],
    term: &Term,
    planned: Option<Date>,
    tol: &Tolerances,
) -> bool {
    let Some(planned) = planned else {
        return false;
    };
    departed.iter().any(|&(seq, left, would_end)| {
        seq != term.seq
            && left <= term.start
            && term.start < would_end
            && would_end.days_until(planned).abs() <= tol.term_days
    })
}

/// R2: an error for a term whose declared end is further than the tolerance from its start
/// plus the body's term length in force on its start; a warning for an open term (or one
/// until a meeting not yet recorded) that has run past that length and the tolerance.
pub(super) fn lengths(projection: &Projection, tol: &Tolerances, scope: Scope) -> Vec<Finding> {
    let mut findings = Vec::new();
    for body in projection.bodies() {
        for r in readings(projection, body, tol) {
            let t = r.term;
            match r.planned {
                Some(planned) => {
                    let off = r.full_end.days_until(planned);
                    let short_set_up = r.set_up && off <= tol.term_days;
                    let whole_years = (1..2 * r.term_years as i32)
                        .any(|n| t.start.add_years(n).days_until(planned).abs() <= tol.term_days);
                    if off.abs() <= tol.term_days
                        || short_set_up
                        || r.replacement
                        || (r.stagger && whole_years)
                    {
                        continue;
                    }
                    let days = t.start.days_until(planned);
                    let message = format!(
                        "{}'s term on {} from {} to {} lasts {days} days (about {}); the body's \
                         term in force on {} is {} years, so it should end near {} (± {} days); \
                         correct the end; if the decision made it shorter or longer on purpose to \
                         set up or restore the stagger, mark the election \"stagger\": \"restore\" \
                         (a whole number of years); or override with the decision's reason",
                        t.state,
                        body.id,
                        t.start,
                        end_words(&t.declared_end, Some(planned)),
                        years(days),
                        t.start,
                        r.term_years,
                        r.full_end,
                        tol.term_days,
                    );
                    findings.push(
                        Finding::new(
                            Rule::R2,
                            Severity::Error,
                            t.start,
                            Period {
                                from: t.start,
                                until: Some(t.end.unwrap_or(planned)),
                            },
                            [t.seq],
                            message,
                        )
                        .body(&body.id)
                        .state(&t.state),
                    );
                }
                None => {
                    let limit = r.full_end.add_days(tol.term_days);
                    let reached = t.end.unwrap_or(scope.until);
                    if reached <= limit {
                        continue;
                    }
                    let days = t.start.days_until(reached);
                    let so_far = match t.end {
                        Some(end) => format!("ran until {end} ({})", t.how_ended),
                        None => format!("has run {days} days by {reached}"),
                    };
                    let what = match &t.declared_end {
                        None => "open term".to_owned(),
                        Some(_) => format!(
                            "term until {} (not recorded)",
                            end_words(&t.declared_end, None)
                        ),
                    };
                    let message = format!(
                        "{}'s {what} on {} from {} {so_far} (about {}); the body's term in force \
                         on {} is {} years (± {} days): record its end or the next election",
                        t.state,
                        body.id,
                        t.start,
                        years(days),
                        t.start,
                        r.term_years,
                        tol.term_days,
                    );
                    findings.push(
                        Finding::new(
                            Rule::R2,
                            Severity::Warning,
                            t.start,
                            Period {
                                from: limit,
                                until: t.end,
                            },
                            [t.seq],
                            message,
                        )
                        .body(&body.id)
                        .state(&t.state),
                    );
                }
            }
        }
    }
    findings
}

/// R3: within one body and one calendar year, the new full terms (not set-up, not
/// replacements; open, or declared at least the term length less the tolerance) are counted in
/// order of start; each beyond the `renew_per_year` in force on its start is an error, naming
/// its State and every new full term of that year so far.
pub(super) fn stagger(projection: &Projection, tol: &Tolerances) -> Vec<Finding> {
    let mut findings = Vec::new();
    for body in projection.bodies() {
        let mut by_year: BTreeMap<i32, Vec<Reading>> = BTreeMap::new();
        for r in readings(projection, body, tol) {
            let full = r
                .planned
                .is_none_or(|p| r.full_end.days_until(p) >= -tol.term_days);
            if full && !r.set_up && !r.replacement {
                by_year.entry(r.term.start.year()).or_default().push(r);
            }
        }
        for (year, mut terms) in by_year {
            terms.sort_by_key(|r| (r.term.start, r.term.seq));
            for (k, r) in terms.iter().enumerate() {
                let allowed = body.renew_per_year_on(r.term.start);
                if k < allowed as usize {
                    continue;
                }
                let t = r.term;
                let earlier: Vec<String> = terms[..k]
                    .iter()
                    .map(|e| format!("{} from {}", e.term.state, e.term.start))
                    .collect();
                let message = format!(
                    "{}'s term on {} from {} is the {} new full term to begin in {year} \
                     (after {}); the stagger in force allows {allowed} a year, so that seats are \
                     renewed in turn: shorten one of these terms by a whole number of years and \
                     mark its election \"stagger\": \"restore\", move it to another year, or \
                     override with the decision's reason",
                    t.state,
                    body.id,
                    t.start,
                    ordinal(k + 1),
                    earlier.join(", "),
                );
                findings.push(
                    Finding::new(
                        Rule::R3,
                        Severity::Error,
                        t.start,
                        Period::year(year),
                        terms[..=k].iter().map(|e| e.term.seq),
                        message,
                    )
                    .body(&body.id)
                    .state(&t.state),
                );
            }
        }
    }
    findings
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}
