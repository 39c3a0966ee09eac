//! R9: a formal meeting every year (§4: one MSP annually; §5: held every year since the First
//! Review Conference; a Review Conference takes the MSP's place in its year). A calendar year,
//! from the first recorded formal meeting's to the last (or to the year checked up to), in
//! which no MSP or Review Conference opens or closes is a warning.

use std::collections::BTreeSet;

use crate::domain::{Date, SEED};
use crate::projection::{Meeting, Projection};

use super::{Finding, Period, Rule, Scope, Severity};

fn formal(projection: &Projection) -> impl Iterator<Item = &Meeting> {
    projection.meetings().filter(|m| m.meeting_type.is_formal())
}

pub(super) fn last_formal_year(projection: &Projection) -> Option<i32> {
    formal(projection).map(|m| m.end.year()).max()
}

pub(super) fn every_year(projection: &Projection, scope: Scope) -> Vec<Finding> {
    let meetings: Vec<&Meeting> = formal(projection).collect();
    let years: BTreeSet<i32> = meetings
        .iter()
        .flat_map(|m| [m.start.year(), m.end.year()])
        .collect();
    let (Some(first), Some(last)) = (years.first().copied(), scope.last_year) else {
        return Vec::new();
    };
    (first..=last)
        .filter(|y| !years.contains(y))
        .map(|year| {
            let previous = meetings
                .iter()
                .filter(|m| m.end.year() < year)
                .max_by_key(|m| (m.end, m.seq));
            let after = previous
                .map(|m| format!("; the last before was {} ({} to {})", m.id, m.start, m.end))
                .unwrap_or_default();
            Finding::new(
                Rule::R9,
                Severity::Warning,
                Date::from_ymd(year, 1, 1).expect("a year of the ledger's dates"),
                Period::year(year),
                previous.map(|m| m.seq),
                format!(
                    "no Meeting of States Parties or Review Conference recorded in {year}{after}; \
                     one MSP is held every year ({SEED} §4), a Review Conference in its place"
                ),
            )
        })
        .collect()
}
