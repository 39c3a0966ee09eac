//! What the projection keeps: the office-holder state, as plain records that name the entry
//! (`seq`) they came from. They are stored in snapshots (bincode, serde), so every type here is
//! an ordinary struct or externally tagged enum.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::{
    BodyId, BodyType, Date, Decision, InstitutionCode, MeetingId, MeetingType, Seq, Stagger,
    StateCode, TermEnd, Text,
};

/// A State, and the periods it was a State Party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateParty {
    pub code: StateCode,
    /// The name given when it last joined.
    pub name: String,
    /// In the order recorded; a State may withdraw and join again.
    pub memberships: Vec<Membership>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub joined: Date,
    pub joined_seq: Seq,
    pub withdrew: Option<Withdrawal>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub effective: Date,
    pub seq: Seq,
}

impl StateParty {
    /// A State is a State Party on `on` iff it joined on or before `on` and has not withdrawn
    /// on or before `on`.
    pub fn is_party_on(&self, on: Date) -> bool {
        self.memberships
            .iter()
            .any(|m| m.joined <= on && m.withdrew.as_ref().is_none_or(|w| w.effective > on))
    }

    /// The membership not (yet) ended by a withdrawal, if any.
    pub fn current_membership(&self) -> Option<&Membership> {
        self.memberships.iter().rev().find(|m| m.withdrew.is_none())
    }

    pub fn joined(&self) -> Option<Date> {
        self.memberships.last().map(|m| m.joined)
    }

    pub fn withdrew(&self) -> Option<Date> {
        self.memberships
            .last()
            .and_then(|m| m.withdrew.as_ref().map(|w| w.effective))
    }
}

/// An institution that may sit on the Coordination Committee (§19, §21).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Institution {
    pub code: InstitutionCode,
    pub name: String,
    /// A member of the Coordination Committee by right (§19).
    pub by_right: bool,
    pub seq: Seq,
    /// Standing invitations extended and withdrawn, in order of their effective date.
    pub invitations: Vec<InvitationChange>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationChange {
    pub effective: Date,
    /// `true`: extended; `false`: withdrawn.
    pub extended: bool,
    pub decision: Decision,
    pub seq: Seq,
}

impl Institution {
    /// The day the standing invitation in force on `on` was extended, if one is.
    pub fn invited_since(&self, on: Date) -> Option<Date> {
        let mut since = None;
        for change in self.invitations.iter().take_while(|c| c.effective <= on) {
            since = match (change.extended, since) {
                (true, None) => Some(change.effective),
                (true, kept) => kept,
                (false, _) => None,
            };
        }
        since
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meeting {
    pub id: MeetingId,
    pub meeting_type: MeetingType,
    pub start: Date,
    pub end: Date,
    pub location: Option<String>,
    pub host: Option<StateCode>,
    pub seq: Seq,
}

/// A body as established, with its amendments, discontinuation and terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Body {
    pub id: BodyId,
    pub established: Establishment,
    /// Amendments of the name, parameters or mandate, in order of taking effect (then of
    /// recording).
    pub changes: Vec<BodyChange>,
    pub discontinued: Option<Discontinuation>,
    /// Every term ever held, in order of start (then of recording).
    pub terms: Vec<Term>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Establishment {
    pub name: String,
    pub body_type: Option<BodyType>,
    pub seats: u32,
    pub term_years: u32,
    pub renew_per_year: u32,
    pub mandate: Vec<String>,
    pub effective: Date,
    pub decision: Decision,
    pub seq: Seq,
}

/// A `body_amended` or a `mandate_amended`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyChange {
    pub effective: Date,
    pub name: Option<String>,
    pub seats: Option<u32>,
    pub term_years: Option<u32>,
    pub renew_per_year: Option<u32>,
    pub add: Vec<String>,
    pub remove: Vec<String>,
    pub decision: Decision,
    pub seq: Seq,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discontinuation {
    pub effective: Date,
    pub transfer_to: Option<BodyId>,
    pub decision: Decision,
    pub seq: Seq,
}

/// A body's name, parameters and mandate as in force on some day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Parameters {
    pub name: String,
    pub seats: u32,
    pub term_years: u32,
    pub renew_per_year: u32,
    pub mandate: Vec<String>,
}

impl Body {
    /// Name, parameters and mandate in force on `on`: the establishment with every change
    /// effective on or before `on` applied.
    pub fn parameters_on(&self, on: Date) -> Parameters {
        self.parameters_with(|c| c.effective <= on)
    }

    /// The number of seats in force on `on`.
    pub fn seats_on(&self, on: Date) -> u32 {
        self.number_on(on, self.established.seats, |c| c.seats)
    }

    /// The term length in years in force on `on` (what [`Self::parameters_on`] says, without
    /// copying the name and mandate: the rules ask it for every term).
    pub fn term_years_on(&self, on: Date) -> u32 {
        self.number_on(on, self.established.term_years, |c| c.term_years)
    }

    /// The seats renewed a year in force on `on` (as [`Self::term_years_on`]).
    pub fn renew_per_year_on(&self, on: Date) -> u32 {
        self.number_on(on, self.established.renew_per_year, |c| c.renew_per_year)
    }

    /// One number of the body's parameters in force on `on`: as established, then as the
    /// latest amendment in force that changed it.
    fn number_on(
        &self,
        on: Date,
        established: u32,
        changed: impl Fn(&BodyChange) -> Option<u32>,
    ) -> u32 {
        self.changes
            .iter()
            .filter(|c| c.effective <= on)
            .fold(established, |n, c| changed(c).unwrap_or(n))
    }

    /// The most seats the body ever had, counting overflow seats a term was put in (R1): how
    /// many seat rows a picture or an export of its whole history needs.
    pub fn seats_ever(&self) -> u32 {
        self.changes
            .iter()
            .filter_map(|c| c.seats)
            .chain([self.established.seats])
            .chain(self.terms.iter().map(|t| t.seat))
            .max()
            .unwrap_or(0)
    }

    /// Name, parameters and mandate with every recorded change applied.
    pub fn latest(&self) -> Parameters {
        self.parameters_with(|_| true)
    }

    fn parameters_with(&self, include: impl Fn(&BodyChange) -> bool) -> Parameters {
        let e = &self.established;
        let mut p = Parameters {
            name: e.name.clone(),
            seats: e.seats,
            term_years: e.term_years,
            renew_per_year: e.renew_per_year,
            mandate: e.mandate.clone(),
        };
        for change in self.changes.iter().filter(|c| include(c)) {
            if let Some(name) = &change.name {
                p.name.clone_from(name);
            }
            p.seats = change.seats.unwrap_or(p.seats);
            p.term_years = change.term_years.unwrap_or(p.term_years);
            p.renew_per_year = change.renew_per_year.unwrap_or(p.renew_per_year);
            p.mandate.retain(|task| !change.remove.contains(task));
            for task in &change.add {
                if !p.mandate.contains(task) {
                    p.mandate.push(task.clone());
                }
            }
        }
        p
    }

    /// Established on or before `on` and not discontinued on or before it.
    pub fn in_force_on(&self, on: Date) -> bool {
        self.established.effective <= on
            && self.discontinued.as_ref().is_none_or(|d| d.effective > on)
    }

    /// Every name the body has had, the first first.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.established.name.as_str())
            .chain(self.changes.iter().filter_map(|c| c.name.as_deref()))
    }

    /// The days on which its holders or seats may change, in order, from its establishment
    /// (R1 and R7 walk them).
    pub fn change_days(&self) -> Vec<Date> {
        let mut days: Vec<Date> = std::iter::once(self.established.effective)
            .chain(
                self.terms
                    .iter()
                    .flat_map(|t| std::iter::once(t.start).chain(t.end)),
            )
            .chain(self.changes.iter().map(|c| c.effective))
            .chain(self.discontinued.iter().map(|d| d.effective))
            .filter(|d| *d >= self.established.effective)
            .collect();
        days.sort();
        days.dedup();
        days
    }

    /// The day `term` would end if it lasted the body's term length in force on its start.
    pub fn full_end(&self, term: &Term) -> Date {
        term.start.add_years(self.term_years_on(term.start) as i32)
    }

    /// The days from which the ledger's present, moving past them (plus at most a
    /// tolerance), can change what the rules find in this body, the present being `at`: its
    /// change days after `at` (a seat falls empty, a term starts or ends), its change days
    /// up to `at` if a seat is empty on `at` (a gap open since one of them may outlast the
    /// tolerance), and the full ends of its open terms (one may outrun its length). Between
    /// two of them the rules find the same in it, wherever the present lies.
    pub fn present_days(&self, at: Date) -> impl Iterator<Item = Date> + '_ {
        let days = self.change_days();
        let gap_open = self.in_force_on(at)
            && (self.holders_on(at).count() as u64) < u64::from(self.seats_on(at));
        let open = self.terms.iter().filter(|t| t.end.is_none());
        days.into_iter()
            .filter(move |d| gap_open || *d > at)
            .chain(open.map(|t| self.full_end(t)))
    }

    /// The body its mandate went to when it was discontinued, if it was and one was named.
    pub fn transfer_to(&self) -> Option<&BodyId> {
        self.discontinued.as_ref()?.transfer_to.as_ref()
    }

    /// The State of each of its terms, in the terms' order (a State may come more than once).
    pub fn seated(&self) -> impl Iterator<Item = &StateCode> {
        self.terms.iter().map(|t| &t.state)
    }

    /// The terms held on `on`, each with its seat.
    pub fn holders_on(&self, on: Date) -> impl Iterator<Item = &Term> {
        self.terms.iter().filter(move |t| t.holds_on(on))
    }
}

/// One State's term in one seat of a body: `[start, end)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    pub body: BodyId,
    /// 1..=seats; a higher number is an overflow seat (more holders than seats: rule R1).
    pub seat: u32,
    pub state: StateCode,
    pub start: Date,
    /// The end as the decision gave it.
    pub declared_end: Option<TermEnd>,
    /// The day the term ends (exclusive), once known: the declared end resolved, or the day
    /// a later event ended it. `None`: open, or until the close of a meeting not yet recorded.
    pub end: Option<Date>,
    pub how_ended: HowEnded,
    pub decision: Decision,
    /// Who held the seat for the State, if the election says.
    pub person: Option<Text>,
    /// The election's own word that the term's length sets up or restores the stagger.
    pub stagger: Option<Stagger>,
    /// The State the election said this term succeeds (its term ended on this start).
    pub replaces: Option<StateCode>,
    /// The entry that recorded the election.
    pub seq: Seq,
    /// The term this one took the seat from, and the term that took it from this one (by the
    /// seq of their elections).
    pub predecessor: Option<Seq>,
    pub successor: Option<Seq>,
}

impl Term {
    pub fn holds_on(&self, on: Date) -> bool {
        self.start <= on && self.end.is_none_or(|end| on < end)
    }

    /// The end as a reader should see it: a day, the close of a meeting not yet recorded, or
    /// open.
    pub fn end_view(&self) -> EndView {
        end_view(self.end, &self.declared_end)
    }
}

pub(crate) fn end_view(end: Option<Date>, declared: &Option<TermEnd>) -> EndView {
    match (end, declared) {
        (Some(d), _) => EndView::On(d),
        (None, Some(TermEnd::CloseOf(m))) => EndView::Pending(m.clone()),
        (None, _) => EndView::Open,
    }
}

/// How a term ended (or will end, for a term whose end is a known day).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HowEnded {
    /// Open, or until the close of a meeting not yet recorded: still running.
    Running,
    /// Reached its end (a day, or the close of a recorded meeting) with no direct successor.
    TermExpired,
    /// Followed at its end by the same State's next term (or, for an open term, ended by it).
    Renewed { by: Seq },
    /// Followed at its end by another State's term.
    Succeeded { by: Seq },
    /// A President-designate's term ended by becoming President.
    BecamePresident { by: Seq },
    /// Ended by a `coordinator_left`.
    Left { reason: Text, seq: Seq },
    /// Ended by the body's discontinuation.
    BodyDiscontinued { seq: Seq },
    /// Superseded: the election was corrected (replaced) by entry `by`.
    Corrected { by: Seq },
    /// Superseded: the election was retracted by entry `by`.
    Retracted { by: Seq },
}

impl HowEnded {
    /// The short word of the JSON answers.
    pub fn word(&self) -> &'static str {
        match self {
            HowEnded::Running => "running",
            HowEnded::TermExpired => "term expired",
            HowEnded::Renewed { .. } => "renewed",
            HowEnded::Succeeded { .. } => "succeeded",
            HowEnded::BecamePresident { .. } => "became President",
            HowEnded::Left { .. } => "left",
            HowEnded::BodyDiscontinued { .. } => "body discontinued",
            HowEnded::Corrected { .. } => "corrected",
            HowEnded::Retracted { .. } => "retracted",
        }
    }

    /// The entry that ended the term, where one did.
    pub fn ended_by(&self) -> Option<Seq> {
        match self {
            HowEnded::Running | HowEnded::TermExpired => None,
            HowEnded::Renewed { by }
            | HowEnded::Succeeded { by }
            | HowEnded::BecamePresident { by }
            | HowEnded::Corrected { by }
            | HowEnded::Retracted { by } => Some(*by),
            HowEnded::Left { seq, .. } | HowEnded::BodyDiscontinued { seq } => Some(*seq),
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            HowEnded::Left { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

impl fmt::Display for HowEnded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HowEnded::Left { reason, .. } => write!(f, "left: {reason}"),
            HowEnded::Corrected { by } => write!(f, "corrected by entry {by}"),
            HowEnded::Retracted { by } => write!(f, "retracted by entry {by}"),
            other => f.write_str(other.word()),
        }
    }
}

/// A term's end as shown: a day, "until the close of 11MSP" while that meeting is not
/// recorded, or open. In JSON: `"2021-09-20"`, `{"meeting":"11MSP"}` (as in the input
/// contract), or `null`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndView {
    On(Date),
    Pending(MeetingId),
    Open,
}

impl Serialize for EndView {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            EndView::On(d) => d.serialize(serializer),
            EndView::Pending(m) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("meeting", m)?;
                map.end()
            }
            EndView::Open => serializer.serialize_none(),
        }
    }
}

impl fmt::Display for EndView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndView::On(d) => d.fmt(f),
            EndView::Pending(m) => write!(f, "until the close of {m}"),
            EndView::Open => f.write_str("open"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Office {
    President,
    PresidentDesignate,
}

impl Office {
    pub fn title(self) -> &'static str {
        match self {
            Office::President => "President",
            Office::PresidentDesignate => "President-designate",
        }
    }
}

/// A President's or President-designate's term (§19).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresidencyTerm {
    pub office: Office,
    pub state: StateCode,
    pub person: Option<Text>,
    pub start: Date,
    pub declared_end: Option<TermEnd>,
    pub end: Option<Date>,
    pub how_ended: HowEnded,
    pub decision: Decision,
    pub seq: Seq,
}

impl PresidencyTerm {
    pub fn holds_on(&self, on: Date) -> bool {
        self.start <= on && self.end.is_none_or(|end| on < end)
    }

    pub fn end_view(&self) -> EndView {
        end_view(self.end, &self.declared_end)
    }
}

/// An entry's event as it stood before a correction replaced or retracted it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Superseded {
    pub event: crate::domain::Event,
    /// The correction.
    pub by: Seq,
    /// The correction had no replacement.
    pub retracted: bool,
}
