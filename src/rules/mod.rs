//! The continuity rules (DESIGN.md, "Continuity rules"): pure functions of the projection that
//! return findings. No I/O, no printing: the CLI decides what a finding means for its exit code.
//!
//! Policy parameters (seats, term length, stagger) are read from the body's own events as in
//! force on the day in question, so a body other than a CCM working group (ten seats, five
//! renewed a year) is checked by its data alone. Only the tolerances are the checker's own:
//! [`Tolerances`], with named defaults.
//!
//! Every finding is dated, and is *in force* over a [`Period`]: the days on which the situation
//! it reports holds (a vacancy while the seat is empty, a stagger break for its calendar year,
//! a bad term for its span). [`check`] gives every finding over the whole history,
//! [`in_force_on`] (or [`check_on`]) those in force on one day, and [`new_findings`] what a
//! proposed decision adds.
//!
//! | rule | what | file |
//! |---|---|---|
//! | R1 | more holders than seats | `seats.rs` |
//! | R2, R3 | term length, stagger | `terms.rs` |
//! | R4, R5, R6 | party, nomination, discontinued body | `elections.rs` |
//! | R7 | a seat empty too long | `seats.rs` |
//! | R8 | one President, one President-designate | `presidency.rs` |
//! | R9 | a formal meeting every year | `meetings.rs` |

mod elections;
mod meetings;
mod presidency;
mod seats;
mod terms;

use std::fmt;

use serde::{Serialize, Serializer};

use crate::domain::{BodyId, Date, MeetingId, Seq, StateCode, TermEnd};
use crate::projection::{Office, Projection};

pub use crate::domain::SEED;

/// A continuity rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Rule {
    R1,
    R2,
    R3,
    R4,
    R5,
    R6,
    R7,
    R8,
    R9,
}

impl Rule {
    pub const ALL: [Rule; 9] = [
        Rule::R1,
        Rule::R2,
        Rule::R3,
        Rule::R4,
        Rule::R5,
        Rule::R6,
        Rule::R7,
        Rule::R8,
        Rule::R9,
    ];

    /// The rule's short name, as DESIGN.md's table gives it.
    pub fn title(self) -> &'static str {
        match self {
            Rule::R1 => "seats",
            Rule::R2 => "term",
            Rule::R3 => "stagger",
            Rule::R4 => "party",
            Rule::R5 => "nominated",
            Rule::R6 => "discontinued",
            Rule::R7 => "vacancy",
            Rule::R8 => "presidency",
            Rule::R9 => "meetings",
        }
    }

    /// The paragraph(s) of the seed ([`SEED`]) the rule rests on.
    pub fn paragraph(self) -> &'static str {
        match self {
            Rule::R1 => "§14",
            Rule::R2 | Rule::R3 | Rule::R4 | Rule::R5 => "§15",
            Rule::R6 => "§18, §22",
            Rule::R7 => "§15, §16",
            Rule::R8 => "§19",
            Rule::R9 => "§4, §5",
        }
    }

    /// `R3` → [`Rule::R3`] (any case). Every word of every override reason a finding may be
    /// excused by is tried ([`excuses`]): no text is formatted for it.
    pub fn parse(s: &str) -> Option<Rule> {
        Rule::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(s))
    }

    /// `R3`: the rule's name, as its `Debug` writes it.
    pub fn name(self) -> &'static str {
        match self {
            Rule::R1 => "R1",
            Rule::R2 => "R2",
            Rule::R3 => "R3",
            Rule::R4 => "R4",
            Rule::R5 => "R5",
            Rule::R6 => "R6",
            Rule::R7 => "R7",
            Rule::R8 => "R8",
            Rule::R9 => "R9",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The rule is broken: an append that adds it is refused unless overridden.
    Error,
    /// Continuity is at risk (a long vacancy, an open term running long, a year without a
    /// meeting): reported, never refused.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// The days on which a finding holds: `[from, until)`, `until` `None` while it still holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Period {
    pub from: Date,
    pub until: Option<Date>,
}

impl Period {
    pub fn covers(&self, on: Date) -> bool {
        self.from <= on && self.until.is_none_or(|until| on < until)
    }

    /// The calendar year `year`.
    fn year(year: i32) -> Period {
        Period {
            from: Date::from_ymd(year, 1, 1).expect("years of the ledger's dates are in range"),
            until: Date::from_ymd(year + 1, 1, 1),
        }
    }
}

/// One thing a rule found. In JSON (the CLI's `--json`):
/// `{"rule":"R3","severity":"error","body":"wg-clearance","office":null,"state":"SWE",
/// "date":"2019-09-04","period":{"from":"2019-01-01","until":"2020-01-01"},"seqs":[118,119],
/// "message":"…","paragraph":"§15","overridden":null}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    pub body: Option<BodyId>,
    /// For the Presidency's findings (R4, R8): `"President"` or `"President-designate"`.
    #[serde(serialize_with = "office_title")]
    pub office: Option<Office>,
    pub state: Option<StateCode>,
    /// The day the finding is dated: the start of the term, vacancy or overlap concerned, the
    /// discontinuation, the 1 January of a year without a meeting.
    pub date: Date,
    /// The days on which it holds (see [`in_force_on`]).
    pub period: Period,
    /// The entries that cause it, oldest first: the newest, last, is usually the one to blame.
    pub seqs: Vec<Seq>,
    /// What is wrong and what would put it right, for a person.
    pub message: String,
    /// The seed paragraph, as [`Rule::paragraph`].
    pub paragraph: &'static str,
    /// The override reason recorded on one of `seqs` (the newest that has one): the finding
    /// was recorded knowingly and is not an error any more.
    pub overridden: Option<String>,
}

fn office_title<S: Serializer>(office: &Option<Office>, s: S) -> Result<S::Ok, S::Error> {
    match office {
        Some(o) => s.serialize_str(o.title()),
        None => s.serialize_none(),
    }
}

impl Finding {
    fn new(
        rule: Rule,
        severity: Severity,
        date: Date,
        period: Period,
        seqs: impl IntoIterator<Item = Seq>,
        message: String,
    ) -> Finding {
        let mut seqs: Vec<Seq> = seqs.into_iter().collect();
        seqs.sort();
        seqs.dedup();
        Finding {
            rule,
            severity,
            body: None,
            office: None,
            state: None,
            date,
            period,
            seqs,
            message,
            paragraph: rule.paragraph(),
            overridden: None,
        }
    }

    fn body(mut self, body: &BodyId) -> Finding {
        self.body = Some(body.clone());
        self
    }

    fn state(mut self, state: &StateCode) -> Finding {
        self.state = Some(state.clone());
        self
    }

    fn office(mut self, office: Office) -> Finding {
        self.office = Some(office);
        self
    }

    /// An error that no override excuses.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error && self.overridden.is_none()
    }

    /// What makes two findings the same finding, whatever their message says (a vacancy that
    /// a later election ends is the same vacancy, now with an end).
    fn identity(&self) -> Identity<'_> {
        (
            self.rule,
            &self.body,
            self.office,
            &self.state,
            self.date,
            &self.seqs,
        )
    }
}

/// What [`new_findings`] compares: rule, body, office, State, date and entries.
type Identity<'a> = (
    Rule,
    &'a Option<BodyId>,
    Option<Office>,
    &'a Option<StateCode>,
    Date,
    &'a [Seq],
);

impl fmt::Display for Finding {
    /// `2019-09-04 R3 error wg-clearance SWE: …`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.date, self.rule, self.severity)?;
        if let Some(b) = &self.body {
            write!(f, " {b}")?;
        }
        if let Some(o) = self.office {
            write!(f, " {}", o.title())?;
        }
        if let Some(s) = &self.state {
            write!(f, " {s}")?;
        }
        write!(f, ": {} ({SEED} {})", self.message, self.paragraph)?;
        if let Some(reason) = &self.overridden {
            write!(f, " [overridden: {reason}]")?;
        }
        Ok(())
    }
}

/// How far the checker lets the real world stray from the rules' arithmetic. Both are
/// overridable (the CLI's flags); the defaults are [`TERM_TOLERANCE_DAYS`] and
/// [`VACANCY_TOLERANCE_DAYS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Tolerances {
    /// R2, R3: how many days a term may differ from the body's term length.
    pub term_days: i64,
    /// R7 (and R8's gaps): how many days a seat or the Presidency may stay empty.
    pub vacancy_days: i64,
}

/// A term runs "until the close of the Eleventh MSP", and meetings do not fall on the same day
/// each year: in the record the MSPs close between 30 August and 21 September, a Review
/// Conference may move, and 2019 → 2021 (9MSP → 2RC-2) is two years and 17 days. Sixty days
/// absorbs a meeting held up to two months earlier or later than the year before, while a
/// term a whole year too long or short (365 days off) is still caught.
pub const TERM_TOLERANCE_DAYS: i64 = 60;

/// Seats are filled at the annual MSP, so a seat whose holder's term ends at one meeting and
/// whose successor is chosen at the same meeting is never empty. Ninety days leaves a quarter
/// of a year for a replacement after a resignation (an intersessional nomination, the
/// Presidency's consultations) before the seat counts as neglected; a seat not filled at the
/// MSP that freed it stays empty a whole year and is reported.
pub const VACANCY_TOLERANCE_DAYS: i64 = 90;

impl Default for Tolerances {
    fn default() -> Tolerances {
        Tolerances {
            term_days: TERM_TOLERANCE_DAYS,
            vacancy_days: VACANCY_TOLERANCE_DAYS,
        }
    }
}

/// What a check measures up to: open terms and open vacancies are measured to `until`, and
/// R9 looks at the years up to `last_year`.
#[derive(Clone, Copy, Debug)]
struct Scope {
    until: Date,
    last_year: Option<i32>,
}

/// Every finding over the whole history, sorted by (date, rule, body, state). Open terms and
/// vacancies still open are measured up to the ledger's [`horizon`]; R9 looks at the years
/// from the first recorded formal meeting's to the last one's.
pub fn check(projection: &Projection, tolerances: &Tolerances) -> Vec<Finding> {
    check_until(projection, tolerances, horizon(projection))
}

/// [`check`], with open terms and vacancies measured up to `horizon`, given rather than taken
/// from `projection`: what a writer judges on the views of the bodies a draft can change
/// (`projection::Slice`), which hold too few of the ledger's days to know its present.
pub fn check_until(
    projection: &Projection,
    tolerances: &Tolerances,
    horizon: Date,
) -> Vec<Finding> {
    let scope = Scope {
        until: horizon,
        last_year: meetings::last_formal_year(projection),
    };
    run(projection, tolerances, scope)
}

/// The findings in force on `on` ([`in_force_on`]), with open terms and vacancies measured up
/// to `on` if it is beyond the [`horizon`], and R9 looking at the years up to `on`'s.
pub fn check_on(projection: &Projection, tolerances: &Tolerances, on: Date) -> Vec<Finding> {
    let scope = Scope {
        until: horizon(projection).max(on),
        last_year: meetings::last_formal_year(projection)
            .map_or(Some(on.year()), |y| Some(y.max(on.year()))),
    };
    in_force_on(&run(projection, tolerances, scope), on)
}

/// The findings in force on `on`: those whose [`Period`] covers it. A vacancy or an overflow
/// of seats while it lasts; a bad term (R2, R4, R5, R6) while the term runs; an open term's
/// R2 warning from the day it outran its length until it ends; a stagger break (R3) or a year
/// without a meeting (R9) for the calendar year; a Presidency overlap while it lasts; a bad
/// transfer of mandate (R6) from the discontinuation on.
pub fn in_force_on(findings: &[Finding], on: Date) -> Vec<Finding> {
    findings
        .iter()
        .filter(|f| f.period.covers(on))
        .cloned()
        .collect()
}

/// The findings of `after` that are not in `before` (the same rule, body, office, State, date
/// and entries; the message may differ): what a proposed decision or an append would add.
/// Compare two checks made the same way (both [`check`], or both [`check_on`] the same day).
pub fn new_findings(before: &[Finding], after: &[Finding]) -> Vec<Finding> {
    let known: std::collections::BTreeSet<_> = before.iter().map(Finding::identity).collect();
    after
        .iter()
        .filter(|f| !known.contains(&f.identity()))
        .cloned()
        .collect()
}

/// The ledger's present ([`Projection::horizon`]): checks measure what is still open (an
/// open term, an empty seat) up to it.
pub fn horizon(projection: &Projection) -> Date {
    projection.horizon()
}

/// From how many bodies [`run`] checks on two threads: a check of a few bodies (a `record`
/// judged on a slice of the projection) does not pay for starting one.
const TWO_THREADS_FROM_BODIES: usize = 64;

fn run(projection: &Projection, tolerances: &Tolerances, scope: Scope) -> Vec<Finding> {
    let many = projection.bodies().nth(TWO_THREADS_FROM_BODIES).is_some();
    run_on(projection, tolerances, scope, many)
}

/// [`run`], on two threads or on this one.
fn run_on(
    projection: &Projection,
    tolerances: &Tolerances,
    scope: Scope,
    two_threads: bool,
) -> Vec<Finding> {
    // The rules read the projection and nothing else: half of them (about half the time, at
    // any size) run on a second thread; the findings are put together in the order one
    // thread gives them (the sort below is stable).
    let first_half = || {
        let mut findings = seats::overfilled(projection);
        findings.extend(terms::lengths(projection, tolerances, scope));
        findings.extend(terms::stagger(projection, tolerances));
        findings
    };
    let second_half = || {
        let mut findings = elections::parties(projection);
        findings.extend(elections::nominations(projection));
        findings.extend(elections::discontinued(projection));
        findings.extend(seats::vacancies(projection, tolerances, scope));
        findings.extend(presidency::overlaps(projection, tolerances, scope));
        findings.extend(meetings::every_year(projection, scope));
        findings
    };
    let (mut findings, second) = match two_threads {
        true => std::thread::scope(|threads| {
            let second = std::thread::Builder::new()
                .name("rules".into())
                .spawn_scoped(threads, second_half);
            let first = first_half();
            let second = match second {
                Ok(thread) => thread
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
                Err(_) => second_half(),
            };
            (first, second)
        }),
        false => (first_half(), second_half()),
    };
    findings.extend(second);
    for f in &mut findings {
        excuse(f, |seq| projection.override_reason(seq));
    }
    findings.sort_by(|a, b| {
        (a.date, a.rule, &a.body, a.office, &a.state, &a.seqs)
            .cmp(&(b.date, b.rule, &b.body, b.office, &b.state, &b.seqs))
    });
    findings
}

/// Sets what excuses `finding`: the override reason (`reason_of` an entry) of the newest of its
/// entries whose reason excuses its rule, if any.
pub fn excuse<'a>(finding: &mut Finding, reason_of: impl Fn(Seq) -> Option<&'a str>) {
    let rule = finding.rule;
    finding.overridden = finding
        .seqs
        .iter()
        .rev()
        .filter_map(|seq| reason_of(*seq))
        .find(|reason| excuses(reason, rule))
        .map(str::to_owned);
}

/// Whether an override's reason excuses findings of `rule`. A reason that names rules ("R2,
/// R3: …") excuses only those, so an override given for a term's length does not silence a
/// vacancy the same entry left; a reason that names none excuses every finding of its entry.
pub fn excuses(reason: &str, rule: Rule) -> bool {
    let named: Vec<Rule> = reason
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter_map(Rule::parse)
        .collect();
    named.is_empty() || named.contains(&rule)
}

/// The day a declared end falls on, once its meeting is recorded.
fn resolve(projection: &Projection, end: &Option<TermEnd>) -> Option<Date> {
    match end {
        Some(TermEnd::On(d)) => Some(*d),
        Some(TermEnd::CloseOf(m)) => projection.meeting(m).map(|m| m.end),
        None => None,
    }
}

/// "about 3 years" for a number of days, for messages.
fn years(days: i64) -> String {
    let tenths = (days * 10 + 182) / 365;
    if tenths % 10 == 0 {
        let y = tenths / 10;
        format!("{y} year{}", if y == 1 { "" } else { "s" })
    } else {
        format!("{}.{} years", tenths / 10, tenths % 10)
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `the close of 11MSP (2023-09-14)` or `2023-09-14`.
fn end_words(declared: &Option<TermEnd>, resolved: Option<Date>) -> String {
    match (declared, resolved) {
        (Some(TermEnd::CloseOf(m)), Some(d)) => format!("the close of {m} ({d})"),
        (Some(TermEnd::CloseOf(m)), None) => format!("the close of {m}"),
        (_, Some(d)) => d.to_string(),
        (_, None) => "open".to_owned(),
    }
}

fn meeting_words(id: &MeetingId, projection: &Projection) -> String {
    match projection.meeting(id) {
        Some(m) => format!("{id} ({} to {})", m.start, m.end),
        None => id.to_string(),
    }
}

#[cfg(test)]
mod tests;
