//! R8: one President and at most one President-designate at a time (§19). Two terms of the
//! same office that overlap are an error; a stretch without any President longer than the
//! vacancy tolerance is a warning (the Presidency chairs the Coordination Committee, §19, so a
//! gap is a gap in continuity). A stretch without a President-designate is normal and not
//! reported.

use crate::domain::{Date, SEED};
use crate::projection::{Office, PresidencyTerm, Projection};

use super::{Finding, Period, Rule, Scope, Severity, Tolerances};

pub(super) fn overlaps(projection: &Projection, tol: &Tolerances, scope: Scope) -> Vec<Finding> {
    let mut findings = Vec::new();
    for office in [Office::President, Office::PresidentDesignate] {
        let mut terms: Vec<&PresidencyTerm> = projection
            .presidency_terms()
            .iter()
            .filter(|t| t.office == office)
            .collect();
        terms.sort_by_key(|t| (t.start, t.seq));
        for (i, a) in terms.iter().enumerate() {
            for b in &terms[i + 1..] {
                let until = match (a.end, b.end) {
                    (Some(x), Some(y)) => Some(x.min(y)),
                    (x, y) => x.or(y),
                };
                if until.is_some_and(|u| u <= b.start) {
                    continue;
                }
                let message = format!(
                    "two at once: {} is {} from {} to {}, and {} from {}; {SEED} §19 has one {}: end \
                     the first term before the second begins, or correct one of them",
                    a.state,
                    office.title(),
                    a.start,
                    a.end_view(),
                    b.state,
                    b.start,
                    office.title(),
                );
                findings.push(
                    Finding::new(
                        Rule::R8,
                        Severity::Error,
                        b.start,
                        Period {
                            from: b.start,
                            until,
                        },
                        [a.seq, b.seq],
                        message,
                    )
                    .office(office)
                    .state(&b.state),
                );
            }
        }
        if office == Office::President {
            findings.extend(gaps(&terms, tol, scope));
        }
    }
    findings
}

/// Stretches with no President, from the first President's start to `scope.until`.
fn gaps(terms: &[&PresidencyTerm], tol: &Tolerances, scope: Scope) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some(first) = terms.first() else {
        return findings;
    };
    let mut covered: Option<Date> = first.end;
    let mut last = *first;
    let mut report = |from: Date, until: Option<Date>, after: &PresidencyTerm| {
        let end = until.unwrap_or(scope.until);
        let days = from.days_until(end);
        if days <= tol.vacancy_days {
            return;
        }
        let span = match until {
            Some(u) => format!("from {from} to {u}"),
            None => format!("since {from}"),
        };
        findings.push(
            Finding::new(
                Rule::R8,
                Severity::Warning,
                from,
                Period { from, until },
                [after.seq],
                format!(
                    "no President {span} ({days} days) after {}'s term: elect the next \
                     President",
                    after.state
                ),
            )
            .office(Office::President),
        );
    };
    for t in &terms[1..] {
        let Some(c) = covered else { return findings };
        if t.start > c {
            report(c, Some(t.start), last);
        }
        covered = t.end.map(|e| e.max(c));
        if t.end.is_none_or(|e| e >= c) {
            last = t;
        }
    }
    if let Some(c) = covered.filter(|c| *c < scope.until) {
        report(c, None, last);
    }
    findings
}
