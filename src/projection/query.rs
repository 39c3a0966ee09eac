//! The questions the CLI and the rules ask, answered as plain values that serialize to the
//! JSON of DESIGN.md's contract.

use serde::Serialize;

use crate::domain::{BodyId, BodyType, Date, Decision, Event, Seq, StateCode, TermEnd, SEED};

use super::model::{
    Body, EndView, HowEnded, Institution, Office, PresidencyTerm, Superseded, Term,
};
use super::Projection;

/// Who held a body's seats on a day: `who BODY --on DATE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Holders {
    pub body: BodyId,
    /// The body's name as in force on that day.
    #[serde(rename = "body_name")]
    pub name: String,
    pub on: Date,
    /// Established on or before `on` and not discontinued.
    pub in_force: bool,
    pub seats: u32,
    /// In order of seat.
    pub holders: Vec<Holder>,
    /// Seats (1..=seats) nobody held that day.
    pub vacant_seats: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Holder {
    pub seat: u32,
    pub state: StateCode,
    /// The State's name, if the State is known.
    pub state_name: Option<String>,
    /// The same, under the name DESIGN.md's contract gives it in `who` (kept for the programs
    /// that read it; docs/JSON.md).
    pub name: Option<String>,
    /// Who held the seat for the State, if the election says (as on the Presidency).
    pub person: Option<String>,
    pub start: Date,
    /// `"2021-09-20"`, `{"meeting":"11MSP"}` while that meeting is not recorded, or `null`.
    pub end: EndView,
    pub decision: Decision,
    pub seq: Seq,
}

/// A body's whole story: `history --body BODY`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BodyHistory {
    pub body: BodyId,
    /// The name with every recorded amendment applied.
    #[serde(rename = "body_name")]
    pub name: String,
    pub body_type: Option<BodyType>,
    pub established: Amendment,
    /// Amendments of the name, parameters or mandate, in order of taking effect.
    pub amendments: Vec<Amendment>,
    pub discontinued: Option<DiscontinuationView>,
    /// Mandates moved here from discontinued bodies.
    pub mandates_received: Vec<MandateReceived>,
    /// Every term, in order of start.
    pub terms: Vec<TermView>,
    /// Elections to this body that a correction replaced or retracted, kept for the record.
    pub corrected_terms: Vec<TermView>,
}

/// One step in a body's parameters: its establishment (every field set) or an amendment
/// (only what changed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Amendment {
    /// `body_established`, `body_amended` or `mandate_amended`.
    pub kind: &'static str,
    pub effective: Date,
    /// The body's name, where this step set it.
    #[serde(rename = "body_name")]
    pub name: Option<String>,
    pub seats: Option<u32>,
    pub term_years: Option<u32>,
    pub renew_per_year: Option<u32>,
    pub add: Vec<String>,
    pub remove: Vec<String>,
    pub decision: Decision,
    pub seq: Seq,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiscontinuationView {
    pub effective: Date,
    pub transfer_to: Option<BodyId>,
    pub decision: Decision,
    pub seq: Seq,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MandateReceived {
    pub from: BodyId,
    pub effective: Date,
    pub seq: Seq,
}

/// One term, as histories show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TermView {
    pub body: BodyId,
    /// `null` for a corrected or retracted election, which held no seat.
    pub seat: Option<u32>,
    pub state: StateCode,
    #[serde(rename = "state_name")]
    pub name: Option<String>,
    /// Who held the seat for the State, if the election says (as on the Presidency).
    pub person: Option<String>,
    pub start: Date,
    pub end: EndView,
    /// `running`, `term expired`, `renewed`, `succeeded`, `left`, `body discontinued`,
    /// `corrected`, `retracted`.
    pub how_ended: &'static str,
    /// For a term renewed by the same State with another person: that person (the renewal
    /// is the State's; the person changed).
    pub renewed_with: Option<String>,
    /// The entry that ended it (a renewal, successor, departure, discontinuation, correction).
    pub ended_by: Option<Seq>,
    /// Why the State left.
    pub reason: Option<String>,
    pub decision: Decision,
    pub seq: Seq,
    pub predecessor: Option<Seq>,
    pub successor: Option<Seq>,
}

impl TermView {
    /// The term as seen on `on`: one that has begun and not ended by then is "running",
    /// whatever the form of its end (a day after `on` too) and however it will end.
    fn as_on(&mut self, on: Date) {
        let ends_after = match self.end {
            EndView::On(end) => on < end,
            EndView::Pending(_) | EndView::Open => true,
        };
        if self.seat.is_some() && self.start <= on && ends_after {
            self.how_ended = HowEnded::Running.word();
            self.ended_by = None;
            self.reason = None;
            self.renewed_with = None;
        }
    }
}

impl BodyHistory {
    /// The history as seen on `on`: terms still running then are shown running.
    pub fn as_on(mut self, on: Date) -> BodyHistory {
        self.terms.iter_mut().for_each(|t| t.as_on(on));
        self
    }
}

impl StateHistory {
    /// The history as seen on `on`: terms still running then are shown running.
    pub fn as_on(mut self, on: Date) -> StateHistory {
        self.terms.iter_mut().for_each(|t| t.as_on(on));
        self
    }
}

/// A State's story: `history --state CODE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StateHistory {
    pub state: StateCode,
    #[serde(rename = "state_name")]
    pub name: Option<String>,
    pub memberships: Vec<MembershipView>,
    /// Every term in any body, in order of start.
    pub terms: Vec<TermView>,
    pub presidencies: Vec<PresidencyView>,
    /// Its elections that a correction replaced or retracted, kept for the record.
    pub corrected_terms: Vec<TermView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MembershipView {
    pub joined: Date,
    pub joined_seq: Seq,
    pub withdrew: Option<Date>,
    pub withdrew_seq: Option<Seq>,
}

/// The Presidency on a day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Presidency {
    pub on: Date,
    pub president: Option<PresidencyView>,
    pub president_designate: Option<PresidencyView>,
    /// The immediately preceding President, while the current one is in office.
    pub outgoing_president: Option<PresidencyView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PresidencyView {
    /// `President` or `President-designate`.
    pub office: &'static str,
    pub state: StateCode,
    #[serde(rename = "state_name")]
    pub name: Option<String>,
    pub person: Option<String>,
    pub start: Date,
    pub end: EndView,
    pub how_ended: &'static str,
    pub ended_by: Option<Seq>,
    pub decision: Decision,
    pub seq: Seq,
}

/// Why a member sits on the Coordination Committee.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitteeRole {
    President,
    PresidentDesignate,
    OutgoingPresident,
    Coordinator,
    ByRight,
    StandingInvitation,
}

/// A member of the Coordination Committee on a day (§19, §21), with the reason it sits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommitteeMember {
    /// A State code or an institution code.
    pub member: String,
    /// `state` or `institution`.
    #[serde(rename = "member_kind")]
    pub kind: &'static str,
    #[serde(rename = "member_name")]
    pub name: Option<String>,
    /// Who sits for a State, where the election says (as on the Presidency).
    pub person: Option<String>,
    pub role: CommitteeRole,
    /// "President", "coordinator, Working Group on Universalization", "member by right
    /// (§19)", "standing invitation since 2021-09-21 (§21)", …
    pub reason: String,
    /// For a coordinator: the body and seat.
    pub body: Option<BodyId>,
    pub seat: Option<u32>,
    /// Since when the member sits in this role, where a date says so.
    pub since: Option<Date>,
    /// The entry that gave the role, where one did.
    pub seq: Option<Seq>,
}

/// The whole machinery on a day: `state --on DATE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MachineryState {
    pub on: Date,
    /// Every body in force on that day, by id.
    pub bodies: Vec<BodyOnDate>,
    pub presidency: Presidency,
    pub committee: Vec<CommitteeMember>,
    /// How many distinct members (a State in two roles counts once).
    pub committee_size: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BodyOnDate {
    pub body: BodyId,
    #[serde(rename = "body_name")]
    pub name: String,
    pub body_type: Option<BodyType>,
    pub seats: u32,
    pub term_years: u32,
    pub renew_per_year: u32,
    pub mandate: Vec<String>,
    pub holders: Vec<Holder>,
    pub vacant_seats: Vec<u32>,
}

impl Projection {
    /// The ledger's present: the latest day on which something it records happened (a meeting's
    /// close, a term's start, an effective date, a decision). Checks measure what is still open
    /// (an open term, an empty seat) up to it, so that they are a function of the ledger alone,
    /// not of today's date. The scheduled ends of terms do not count: a term ending in 2028 is not
    /// news of 2028, and an election far ahead must not make today's short vacancies look long.
    pub fn horizon(&self) -> Date {
        let mut days: Vec<Date> = Vec::new();
        for m in self.meetings() {
            days.push(m.end);
        }
        for b in self.bodies() {
            days.push(b.established.effective);
            days.push(b.established.decision.date);
            days.extend(b.changes.iter().map(|c| c.effective));
            days.extend(b.discontinued.iter().map(|d| d.effective));
            for t in &b.terms {
                days.push(t.start);
                days.push(t.decision.date);
                if let HowEnded::Left { .. } = t.how_ended {
                    days.extend(t.end);
                }
            }
        }
        for t in self.presidency_terms() {
            days.push(t.start);
            days.push(t.decision.date);
        }
        for s in self.states() {
            for m in &s.memberships {
                days.push(m.joined);
                days.extend(m.withdrew.as_ref().map(|w| w.effective));
            }
        }
        for i in self.institutions() {
            days.extend(i.invitations.iter().map(|c| c.effective));
        }
        days.into_iter()
            .max()
            .unwrap_or_else(|| Date::from_ymd(2008, 5, 30).expect("a valid date"))
    }

    fn state_name(&self, code: &StateCode) -> Option<String> {
        self.states.get(code).map(|s| s.name.clone())
    }

    fn holder(&self, term: &Term) -> Holder {
        Holder {
            seat: term.seat,
            state: term.state.clone(),
            state_name: self.state_name(&term.state),
            name: self.state_name(&term.state),
            person: term.person.as_deref().map(String::from),
            start: term.start,
            end: term.end_view(),
            decision: term.decision.clone(),
            seq: term.seq,
        }
    }

    /// Holders and vacant seats of a body in force on `on` (none if it is not in force).
    fn seats_on(&self, body: &Body, on: Date) -> (u32, Vec<Holder>, Vec<u32>) {
        let seats = body.parameters_on(on).seats;
        if !body.in_force_on(on) {
            return (seats, Vec::new(), Vec::new());
        }
        let mut holders: Vec<Holder> = body.holders_on(on).map(|t| self.holder(t)).collect();
        holders.sort_by_key(|h| (h.seat, h.start, h.seq));
        let vacant = (1..=seats)
            .filter(|s| !holders.iter().any(|h| h.seat == *s))
            .collect();
        (seats, holders, vacant)
    }

    /// Who held the body's seats on `on` (half-open terms: on a term's end day its successor
    /// holds the seat). `None` for a body never established.
    pub fn holders_on(&self, body: &BodyId, on: Date) -> Option<Holders> {
        let b = self.bodies.get(body)?;
        let (seats, holders, vacant_seats) = self.seats_on(b, on);
        Some(Holders {
            body: body.clone(),
            name: b.parameters_on(on).name,
            on,
            in_force: b.in_force_on(on),
            seats,
            holders,
            vacant_seats,
        })
    }

    fn term_view(&self, term: &Term) -> TermView {
        TermView {
            body: term.body.clone(),
            seat: Some(term.seat),
            state: term.state.clone(),
            name: self.state_name(&term.state),
            person: term.person.as_deref().map(String::from),
            start: term.start,
            end: term.end_view(),
            how_ended: term.how_ended.word(),
            renewed_with: self.renewed_with(term),
            ended_by: term.how_ended.ended_by(),
            reason: term.how_ended.reason().map(str::to_owned),
            decision: term.decision.clone(),
            seq: term.seq,
            predecessor: term.predecessor,
            successor: term.successor,
        }
    }

    /// The person on the renewed seat, when a State's renewal brought another person.
    fn renewed_with(&self, term: &Term) -> Option<String> {
        let HowEnded::Renewed { by } = term.how_ended else {
            return None;
        };
        let next = self
            .bodies
            .get(&term.body)?
            .terms
            .iter()
            .find(|t| t.seq == by)?;
        next.person
            .as_ref()
            .filter(|p| term.person.as_ref() != Some(*p))
            .map(|p| p.to_string())
    }

    /// Elections to `body` that corrections replaced or retracted.
    fn corrected_terms(&self, body: Option<&BodyId>, state: Option<&StateCode>) -> Vec<TermView> {
        let mut views: Vec<TermView> = self
            .superseded
            .iter()
            .flat_map(|(seq, list)| list.iter().map(move |s| (*seq, s)))
            .filter_map(|(seq, s): (Seq, &Superseded)| {
                let Event::CoordinatorElected(e) = &s.event else {
                    return None;
                };
                if body.is_some_and(|b| *b != e.body) || state.is_some_and(|c| *c != e.state) {
                    return None;
                }
                let how = if s.retracted {
                    HowEnded::Retracted { by: s.by }
                } else {
                    HowEnded::Corrected { by: s.by }
                };
                let end = match &e.end {
                    Some(TermEnd::On(d)) => Some(*d),
                    Some(TermEnd::CloseOf(m)) => self.meetings.get(m).map(|m| m.end),
                    None => None,
                };
                Some(TermView {
                    body: e.body.clone(),
                    seat: None,
                    state: e.state.clone(),
                    name: self.state_name(&e.state),
                    person: e.person.as_deref().map(String::from),
                    start: e.start,
                    end: super::model::end_view(end, &e.end),
                    how_ended: how.word(),
                    renewed_with: None,
                    ended_by: how.ended_by(),
                    reason: None,
                    decision: e.decision.clone(),
                    seq,
                    predecessor: None,
                    successor: None,
                })
            })
            .collect();
        views.sort_by_key(|v| (v.start, v.seq, v.ended_by));
        views
    }

    /// Establishment, amendments, discontinuation and every term of a body.
    pub fn body_history(&self, body: &BodyId) -> Option<BodyHistory> {
        let b = self.bodies.get(body)?;
        let e = &b.established;
        let established = Amendment {
            kind: "body_established",
            effective: e.effective,
            name: Some(e.name.clone()),
            seats: Some(e.seats),
            term_years: Some(e.term_years),
            renew_per_year: Some(e.renew_per_year),
            add: e.mandate.clone(),
            remove: Vec::new(),
            decision: e.decision.clone(),
            seq: e.seq,
        };
        let amendments = b
            .changes
            .iter()
            .map(|c| {
                let mandate_only = c.name.is_none()
                    && c.seats.is_none()
                    && c.term_years.is_none()
                    && c.renew_per_year.is_none();
                Amendment {
                    kind: if mandate_only {
                        "mandate_amended"
                    } else {
                        "body_amended"
                    },
                    effective: c.effective,
                    name: c.name.clone(),
                    seats: c.seats,
                    term_years: c.term_years,
                    renew_per_year: c.renew_per_year,
                    add: c.add.clone(),
                    remove: c.remove.clone(),
                    decision: c.decision.clone(),
                    seq: c.seq,
                }
            })
            .collect();
        let mut mandates_received: Vec<MandateReceived> = self
            .bodies
            .values()
            .filter_map(|other| {
                let d = other.discontinued.as_ref()?;
                (d.transfer_to.as_ref() == Some(body)).then(|| MandateReceived {
                    from: other.id.clone(),
                    effective: d.effective,
                    seq: d.seq,
                })
            })
            .collect();
        mandates_received.sort_by_key(|m| (m.effective, m.seq));
        Some(BodyHistory {
            body: body.clone(),
            name: b.latest().name,
            body_type: e.body_type,
            established,
            amendments,
            discontinued: b.discontinued.as_ref().map(|d| DiscontinuationView {
                effective: d.effective,
                transfer_to: d.transfer_to.clone(),
                decision: d.decision.clone(),
                seq: d.seq,
            }),
            mandates_received,
            terms: b.terms.iter().map(|t| self.term_view(t)).collect(),
            corrected_terms: self.corrected_terms(Some(body), None),
        })
    }

    fn presidency_view(&self, term: &PresidencyTerm) -> PresidencyView {
        PresidencyView {
            office: term.office.title(),
            state: term.state.clone(),
            name: self.state_name(&term.state),
            person: term.person.as_deref().map(String::from),
            start: term.start,
            end: term.end_view(),
            how_ended: term.how_ended.word(),
            ended_by: term.how_ended.ended_by(),
            decision: term.decision.clone(),
            seq: term.seq,
        }
    }

    /// A State's memberships, terms in any body, and presidencies. `None` for a State never
    /// recorded anywhere.
    pub fn state_history(&self, state: &StateCode) -> Option<StateHistory> {
        let party = self.states.get(state);
        let mut terms: Vec<TermView> = self
            .bodies
            .values()
            .flat_map(|b| b.terms.iter())
            .filter(|t| t.state == *state)
            .map(|t| self.term_view(t))
            .collect();
        terms.sort_by(|a, b| (a.start, &a.body, a.seq).cmp(&(b.start, &b.body, b.seq)));
        let presidencies: Vec<PresidencyView> = self
            .presidency
            .iter()
            .filter(|p| p.state == *state)
            .map(|p| self.presidency_view(p))
            .collect();
        if party.is_none() && terms.is_empty() && presidencies.is_empty() {
            // (A State known only from a corrected election has no history to give.)
            return None;
        }
        Some(StateHistory {
            state: state.clone(),
            name: party.map(|p| p.name.clone()),
            memberships: party
                .map(|p| {
                    p.memberships
                        .iter()
                        .map(|m| MembershipView {
                            joined: m.joined,
                            joined_seq: m.joined_seq,
                            withdrew: m.withdrew.as_ref().map(|w| w.effective),
                            withdrew_seq: m.withdrew.as_ref().map(|w| w.seq),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            terms,
            presidencies,
            corrected_terms: self.corrected_terms(None, Some(state)),
        })
    }

    /// The term of `office` in office on `on` (the latest begun, if several overlap).
    fn in_office(&self, office: Office, on: Date) -> Option<&PresidencyTerm> {
        self.presidency
            .iter()
            .filter(|t| t.office == office && t.holds_on(on))
            .max_by_key(|t| (t.start, t.seq))
    }

    /// The President, the President-designate and the outgoing President on `on`. The
    /// outgoing President is the President whose term ended most recently on or before `on`,
    /// while a President is in office.
    pub fn presidency_on(&self, on: Date) -> Presidency {
        let president = self.in_office(Office::President, on);
        let outgoing = president.and_then(|current| {
            self.presidency
                .iter()
                .filter(|t| t.office == Office::President && t.seq != current.seq)
                .filter_map(|t| t.end.filter(|end| *end <= on).map(|end| (end, t)))
                .max_by_key(|(end, t)| (*end, t.start, t.seq))
                .map(|(_, t)| t)
        });
        Presidency {
            on,
            president: president.map(|t| self.presidency_view(t)),
            president_designate: self
                .in_office(Office::PresidentDesignate, on)
                .map(|t| self.presidency_view(t)),
            outgoing_president: outgoing.map(|t| self.presidency_view(t)),
        }
    }

    /// The Coordination Committee on `on` (§19, §21): the President, the President-designate,
    /// the outgoing President, every coordinator in office, the institutions that are members
    /// by right, and those with a standing invitation in force. A State in two roles appears
    /// once per role; an institution by right is not listed again for an invitation.
    pub fn committee_on(&self, on: Date) -> Vec<CommitteeMember> {
        let mut members = Vec::new();
        let presidency = self.presidency_on(on);
        for (role, view) in [
            (CommitteeRole::President, &presidency.president),
            (
                CommitteeRole::PresidentDesignate,
                &presidency.president_designate,
            ),
            (
                CommitteeRole::OutgoingPresident,
                &presidency.outgoing_president,
            ),
        ] {
            let Some(view) = view else { continue };
            let reason = match role {
                CommitteeRole::OutgoingPresident => "outgoing President",
                _ => view.office,
            };
            members.push(CommitteeMember {
                member: view.state.to_string(),
                kind: "state",
                name: view.name.clone(),
                person: view.person.clone(),
                role,
                reason: reason.to_owned(),
                body: None,
                seat: None,
                since: Some(view.start),
                seq: Some(view.seq),
            });
        }
        for body in self.bodies.values().filter(|b| b.in_force_on(on)) {
            let name = body.parameters_on(on).name;
            let mut holders: Vec<&Term> = body.holders_on(on).collect();
            holders.sort_by_key(|t| (t.seat, t.start, t.seq));
            for term in holders {
                members.push(CommitteeMember {
                    member: term.state.to_string(),
                    kind: "state",
                    name: self.state_name(&term.state),
                    person: term.person.as_deref().map(String::from),
                    role: CommitteeRole::Coordinator,
                    reason: format!("coordinator, {name}"),
                    body: Some(body.id.clone()),
                    seat: Some(term.seat),
                    since: Some(term.start),
                    seq: Some(term.seq),
                });
            }
        }
        let institution = |i: &Institution, role, reason: String, since, seq| CommitteeMember {
            member: i.code.to_string(),
            kind: "institution",
            name: Some(i.name.clone()),
            person: None,
            role,
            reason,
            body: None,
            seat: None,
            since,
            seq,
        };
        for i in self.institutions.values().filter(|i| i.by_right) {
            members.push(institution(
                i,
                CommitteeRole::ByRight,
                format!("member by right ({SEED} §19)"),
                None,
                Some(i.seq),
            ));
        }
        for i in self.institutions.values().filter(|i| !i.by_right) {
            let Some(since) = i.invited_since(on) else {
                continue;
            };
            let seq = i
                .invitations
                .iter()
                .find(|c| c.extended && c.effective == since)
                .map(|c| c.seq);
            members.push(institution(
                i,
                CommitteeRole::StandingInvitation,
                format!("standing invitation since {since} ({SEED} §21)"),
                Some(since),
                seq,
            ));
        }
        members
    }

    /// Every body in force on `on` with its name and parameters as then in force and its
    /// holders, the Presidency, and the Coordination Committee.
    pub fn state_on(&self, on: Date) -> MachineryState {
        let bodies = self
            .bodies
            .values()
            .filter(|b| b.in_force_on(on))
            .map(|b| {
                let p = b.parameters_on(on);
                let (seats, holders, vacant_seats) = self.seats_on(b, on);
                BodyOnDate {
                    body: b.id.clone(),
                    name: p.name,
                    body_type: b.established.body_type,
                    seats,
                    term_years: p.term_years,
                    renew_per_year: p.renew_per_year,
                    mandate: p.mandate,
                    holders,
                    vacant_seats,
                }
            })
            .collect();
        let committee = self.committee_on(on);
        MachineryState {
            on,
            bodies,
            presidency: self.presidency_on(on),
            committee_size: committee
                .iter()
                .map(|m| &m.member)
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            committee,
        }
    }
}
