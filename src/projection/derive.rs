//! Each view of the projection is a pure function of the effective events that concern it
//! (a State's, an institution's, a meeting's, a body's, the Presidency's), taken in the order
//! they were recorded. The projection recomputes a view whenever one of its events changes.

use std::collections::BTreeMap;

use crate::domain::{
    BodyId, CoordinatorElected, CoordinatorLeft, Date, Event, MeetingId, PresidencyElected, Seq,
    StateCode, TermEnd,
};

use super::model::{
    Body, BodyChange, Discontinuation, Establishment, HowEnded, Institution, InvitationChange,
    Meeting, Membership, Office, PresidencyTerm, StateParty, Term, Withdrawal,
};

pub(crate) type Meetings = BTreeMap<MeetingId, Meeting>;

pub(crate) fn state<'a>(
    code: &StateCode,
    events: impl Iterator<Item = (Seq, &'a Event)>,
) -> Option<StateParty> {
    let mut party: Option<StateParty> = None;
    for (seq, event) in events {
        match event {
            Event::StateJoined(e) => {
                let party = party.get_or_insert_with(|| StateParty {
                    code: code.clone(),
                    name: e.name.clone(),
                    memberships: Vec::new(),
                });
                if party.current_membership().is_none() {
                    party.name.clone_from(&e.name);
                    party.memberships.push(Membership {
                        joined: e.effective,
                        joined_seq: seq,
                        withdrew: None,
                    });
                }
            }
            Event::StateWithdrew(e) => {
                let open = party.as_mut().and_then(|p| {
                    p.memberships
                        .iter_mut()
                        .rev()
                        .find(|m| m.withdrew.is_none())
                });
                if let Some(m) = open {
                    m.withdrew = Some(Withdrawal {
                        effective: e.effective,
                        seq,
                    });
                }
            }
            _ => {}
        }
    }
    party
}

pub(crate) fn institution<'a>(
    events: impl Iterator<Item = (Seq, &'a Event)>,
) -> Option<Institution> {
    let mut registered = None;
    let mut invitations = Vec::new();
    for (seq, event) in events {
        match event {
            Event::InstitutionRegistered(e) if registered.is_none() => {
                registered = Some(Institution {
                    code: e.institution.clone(),
                    name: e.name.clone(),
                    by_right: e.by_right,
                    seq,
                    invitations: Vec::new(),
                });
            }
            Event::StandingInvitationExtended(e) | Event::StandingInvitationWithdrawn(e) => {
                invitations.push(InvitationChange {
                    effective: e.effective,
                    extended: matches!(event, Event::StandingInvitationExtended(_)),
                    decision: e.decision.clone(),
                    seq,
                });
            }
            _ => {}
        }
    }
    invitations.sort_by_key(|c| (c.effective, c.seq));
    registered.map(|i| Institution { invitations, ..i })
}

pub(crate) fn meeting<'a>(events: impl Iterator<Item = (Seq, &'a Event)>) -> Option<Meeting> {
    events.into_iter().find_map(|(seq, event)| match event {
        Event::MeetingHeld(e) => Some(Meeting {
            id: e.meeting.clone(),
            meeting_type: e.meeting_type,
            start: e.start,
            end: e.end,
            location: e.location.clone(),
            host: e.host.clone(),
            seq,
        }),
        _ => None,
    })
}

/// The day a declared end falls on, if it is known.
fn resolve(end: &Option<TermEnd>, meetings: &Meetings) -> Option<Date> {
    match end {
        Some(TermEnd::On(d)) => Some(*d),
        Some(TermEnd::CloseOf(m)) => meetings.get(m).map(|m| m.end),
        None => None,
    }
}

fn declared_how(end: Option<Date>) -> HowEnded {
    match end {
        Some(_) => HowEnded::TermExpired,
        None => HowEnded::Running,
    }
}

/// What a body's view is derived from, gathered from its events: the body without its terms
/// (its establishment, changes in order of taking effect, discontinuation), and the elections
/// and departures its terms come from. `None` before the body is established.
type Gathered<'a> = (
    Body,
    Vec<(Seq, &'a CoordinatorElected)>,
    Vec<(Seq, &'a CoordinatorLeft)>,
);

fn gather<'a>(id: &BodyId, events: impl Iterator<Item = (Seq, &'a Event)>) -> Option<Gathered<'a>> {
    let mut established = None;
    let mut changes = Vec::new();
    let mut discontinued = None;
    let mut elections: Vec<(Seq, &CoordinatorElected)> = Vec::new();
    let mut lefts = Vec::new();
    for (seq, event) in events {
        match event {
            Event::BodyEstablished(e) if established.is_none() => {
                established = Some(Establishment {
                    name: e.name.clone(),
                    body_type: e.body_type,
                    seats: e.seats,
                    term_years: e.term_years,
                    renew_per_year: e.renew_per_year,
                    mandate: e.mandate.clone(),
                    effective: e.effective.unwrap_or(e.decision.date),
                    decision: e.decision.clone(),
                    seq,
                });
            }
            Event::BodyAmended(e) => changes.push(BodyChange {
                effective: e.effective.unwrap_or(e.decision.date),
                name: e.name.clone(),
                seats: e.seats,
                term_years: e.term_years,
                renew_per_year: e.renew_per_year,
                add: Vec::new(),
                remove: Vec::new(),
                decision: e.decision.clone(),
                seq,
            }),
            Event::MandateAmended(e) => changes.push(BodyChange {
                effective: e.decision.date,
                name: None,
                seats: None,
                term_years: None,
                renew_per_year: None,
                add: e.add.clone(),
                remove: e.remove.clone(),
                decision: e.decision.clone(),
                seq,
            }),
            Event::BodyDiscontinued(e) if discontinued.is_none() => {
                discontinued = Some(Discontinuation {
                    effective: e.effective,
                    transfer_to: e.transfer_to.clone(),
                    decision: e.decision.clone(),
                    seq,
                });
            }
            Event::CoordinatorElected(e) => elections.push((seq, e)),
            Event::CoordinatorLeft(e) => lefts.push((seq, e)),
            _ => {}
        }
    }
    changes.sort_by_key(|c| (c.effective, c.seq));
    let body = Body {
        id: id.clone(),
        established: established?,
        changes,
        discontinued,
        terms: Vec::new(),
    };
    Some((body, elections, lefts))
}

/// Body `id` without its terms (`terms` empty): its establishment, changes and
/// discontinuation, exactly as [`body`] derives them. What validating an amendment or a
/// discontinuation reads, for a fraction of the cost of placing every term in its seat.
pub(crate) fn body_without_terms<'a>(
    id: &BodyId,
    events: impl Iterator<Item = (Seq, &'a Event)>,
) -> Option<Body> {
    gather(id, events).map(|(body, _, _)| body)
}

/// The view of body `id` from its events. `previous` is the body's former terms (or none):
/// a term whose election is unchanged takes its strings from there instead of copying them
/// from the event again. A body is recomputed many times while a batch is validated (at every
/// amendment to it, at the end); copying every term's ids and decision each time was the
/// largest part of it. What a term is derived from is compared, so the view is the same.
pub(crate) fn body<'a>(
    id: &BodyId,
    events: impl Iterator<Item = (Seq, &'a Event)>,
    meetings: &Meetings,
    previous: Vec<Term>,
) -> Option<Body> {
    let (mut body, mut elections, mut lefts) = gather(id, events)?;

    elections.sort_by_key(|(seq, e)| (e.start, *seq));
    // The former terms are in the same order (of start, then seq): walked alongside.
    let mut previous = previous.into_iter().peekable();
    let mut terms: Vec<Term> = elections
        .iter()
        .map(|(seq, e)| {
            while previous
                .peek()
                .is_some_and(|t| (t.start, t.seq) < (e.start, *seq))
            {
                previous.next();
            }
            let unchanged = previous.next_if(|t| {
                t.seq == *seq
                    && t.start == e.start
                    && t.body == *id
                    && t.state == e.state
                    && t.declared_end == e.end
                    && t.decision == e.decision
            });
            let (body, state, declared_end, decision) = match unchanged {
                Some(t) => (t.body, t.state, t.declared_end, t.decision),
                None => (
                    id.clone(),
                    e.state.clone(),
                    e.end.clone(),
                    e.decision.clone(),
                ),
            };
            let end = resolve(&e.end, meetings);
            Term {
                body,
                seat: 0,
                state,
                start: e.start,
                declared_end,
                end,
                how_ended: declared_how(end),
                decision,
                person: e.person.clone(),
                stagger: e.stagger,
                replaces: e.replaces.clone(),
                seq: *seq,
                predecessor: None,
                successor: None,
            }
        })
        .collect();

    // An election that `replaces` a State ends that State's term there on its start: the
    // decision says who is succeeded, so no departure is needed (validation made sure the
    // State was in office up to that day).
    for i in 0..terms.len() {
        let Some(replaced) = terms[i].replaces.clone() else {
            continue;
        };
        let (start, by) = (terms[i].start, terms[i].seq);
        let held = terms[..i].iter_mut().rev().find(|t| {
            t.state == replaced && t.start < start && t.end.is_none_or(|end| end >= start)
        });
        if let Some(term) = held {
            term.end = Some(start);
            term.how_ended = HowEnded::Succeeded { by };
        }
    }

    // An open term (or one until the close of a meeting not yet recorded) ends when the same
    // State is elected again: a renewal.
    for i in 0..terms.len() {
        if terms[i].end.is_some() {
            continue;
        }
        let next = terms[i + 1..]
            .iter()
            .find(|t| t.state == terms[i].state && t.start > terms[i].start)
            .map(|t| (t.start, t.seq));
        if let Some((start, by)) = next {
            terms[i].end = Some(start);
            terms[i].how_ended = HowEnded::Renewed { by };
        }
    }

    // A State that leaves ends the term it holds on the day it leaves.
    lefts.sort_by_key(|(seq, e)| (e.effective, *seq));
    for (seq, left) in lefts {
        let held = terms.iter_mut().rev().find(|t| {
            t.state == left.state
                && !matches!(t.how_ended, HowEnded::Left { .. })
                && t.start <= left.effective
                && t.end.is_none_or(|end| left.effective < end)
        });
        if let Some(term) = held {
            term.end = Some(left.effective);
            term.how_ended = HowEnded::Left {
                reason: left.reason.as_str().into(),
                seq,
            };
        }
    }

    // A discontinued body's terms end with it.
    if let Some(d) = &body.discontinued {
        for term in terms
            .iter_mut()
            .filter(|t| t.start < d.effective && t.end.is_none_or(|end| end > d.effective))
        {
            term.end = Some(d.effective);
            term.how_ended = HowEnded::BodyDiscontinued { seq: d.seq };
        }
    }

    assign_seats(&mut terms, |on| body.seats_on(on));
    body.terms = terms;
    Some(body)
}

/// Where each seat stands while the terms are placed in order of start.
struct SeatTail {
    /// The index of the seat's last term.
    last: usize,
    /// When it ends; `None` while it is open or pending: the seat is not free.
    free_from: Option<Date>,
}

/// Gives each term a seat, in order of start: the seat of the State it `replaces`, or of a
/// departed holder whose term it completes (the same declared end), else the seat whose term
/// ended latest on or before the new start (the one it directly succeeds; the same State's
/// seat on a tie, then the lowest number), else a seat never used, else an overflow seat
/// above the body's number of seats in force on the start (so that rule R1 can report it).
/// Of the terms that start on the same day, those of a State whose own term there ends that
/// day are placed first: a State elected on the day its term ends continues on its seat
/// (renewed), whatever the order the elections were recorded in. Then links each seat's terms
/// to their predecessor and successor, and names how an expired term was followed.
fn assign_seats(terms: &mut [Term], seats_on: impl Fn(Date) -> u32) {
    let mut seats: BTreeMap<u32, SeatTail> = BTreeMap::new();
    // The index of each term's successor, for `label_followed`.
    let mut next: Vec<Option<usize>> = vec![None; terms.len()];
    let ending: std::collections::BTreeSet<(&StateCode, Date)> = terms
        .iter()
        .filter_map(|t| t.end.map(|end| (&t.state, end)))
        .collect();
    let continues: Vec<bool> = terms
        .iter()
        .map(|t| ending.contains(&(&t.state, t.start)))
        .collect();
    drop(ending);
    let mut order: Vec<usize> = (0..terms.len()).collect();
    // Stable: within a day and a kind, the order of recording.
    order.sort_by_key(|&i| (terms[i].start, !continues[i]));
    for i in order {
        let start = terms[i].start;
        let n = seats_on(start);
        let is_free =
            |tail: Option<&SeatTail>| tail.is_none_or(|t| t.free_from.is_some_and(|e| e <= start));
        let preference = |seat: u32| {
            let tail = seats.get(&seat);
            let ended = tail.and_then(|t| t.free_from);
            let same_state = tail.is_some_and(|t| terms[t.last].state == terms[i].state);
            // A replacement elected to complete a departed holder's term (the same declared
            // end) takes that holder's seat; so does the successor the decision names.
            let completes = tail.is_some_and(|t| {
                let departed = &terms[t.last];
                let named = terms[i].replaces.as_ref() == Some(&departed.state)
                    && departed.how_ended == HowEnded::Succeeded { by: terms[i].seq };
                named
                    || matches!(departed.how_ended, HowEnded::Left { .. })
                        && departed.declared_end.is_some()
                        && departed.declared_end == terms[i].declared_end
            });
            (!completes, std::cmp::Reverse(ended), !same_state, seat)
        };
        let seat = (1..=n)
            .filter(|s| is_free(seats.get(s)))
            .min_by_key(|s| preference(*s))
            .unwrap_or_else(|| {
                (n + 1..)
                    .find(|s| is_free(seats.get(s)))
                    .expect("a finite number of terms leaves a seat free")
            });
        if let Some(tail) = seats.get(&seat) {
            let before = tail.last;
            terms[before].successor = Some(terms[i].seq);
            terms[i].predecessor = Some(terms[before].seq);
            next[before] = Some(i);
        }
        terms[i].seat = seat;
        seats.insert(
            seat,
            SeatTail {
                last: i,
                free_from: terms[i].end,
            },
        );
    }
    label_followed(terms, &next);
}

/// An expired term directly followed (its successor, `terms[next[i]]`, starts on its end)
/// was renewed or succeeded. By index: looking successors up by seq in a map of copies of
/// their States cost a string clone per term at every recomputation of a body.
fn label_followed(terms: &mut [Term], next: &[Option<usize>]) {
    for (i, j) in next.iter().enumerate() {
        let Some(j) = *j else {
            continue;
        };
        let (start, by) = (terms[j].start, terms[j].seq);
        if terms[i].how_ended == HowEnded::TermExpired && terms[i].end == Some(start) {
            terms[i].how_ended = if terms[j].state == terms[i].state {
                HowEnded::Renewed { by }
            } else {
                HowEnded::Succeeded { by }
            };
        }
    }
}

/// The Presidency: one President and one President-designate at a time. An open President's
/// term (or one until the close of a meeting not yet recorded) ends when the next President's
/// begins; an open President-designate's when the next designate's begins or when the same
/// State becomes President.
pub(crate) fn presidency<'a>(
    events: impl Iterator<Item = (Seq, &'a Event)>,
    meetings: &Meetings,
) -> Vec<PresidencyTerm> {
    let mut elected: Vec<(Office, Seq, &PresidencyElected)> = events
        .filter_map(|(seq, event)| match event {
            Event::PresidentElected(e) => Some((Office::President, seq, e)),
            Event::PresidentDesignateElected(e) => Some((Office::PresidentDesignate, seq, e)),
            _ => None,
        })
        .collect();
    elected.sort_by_key(|(office, seq, e)| (e.start, *office, *seq));
    let mut terms: Vec<PresidencyTerm> = elected
        .into_iter()
        .map(|(office, seq, e)| {
            let end = resolve(&e.end, meetings);
            PresidencyTerm {
                office,
                state: e.state.clone(),
                person: e.person.clone(),
                start: e.start,
                declared_end: e.end.clone(),
                end,
                how_ended: declared_how(end),
                decision: e.decision.clone(),
                seq,
            }
        })
        .collect();

    for i in 0..terms.len() {
        let (office, start) = (terms[i].office, terms[i].start);
        let next_same_office = terms
            .iter()
            .filter(|t| t.office == office && t.start > start)
            .min_by_key(|t| (t.start, t.seq));
        let took_office = terms
            .iter()
            .filter(|t| {
                office == Office::PresidentDesignate
                    && t.office == Office::President
                    && t.state == terms[i].state
                    && t.start >= start
            })
            .min_by_key(|t| (t.start, t.seq));
        let (successor, how) = match (next_same_office, took_office) {
            (_, Some(p)) if next_same_office.is_none_or(|n| p.start <= n.start) => {
                (Some(p.start), HowEnded::BecamePresident { by: p.seq })
            }
            (Some(n), _) if n.state == terms[i].state => {
                (Some(n.start), HowEnded::Renewed { by: n.seq })
            }
            (Some(n), _) => (Some(n.start), HowEnded::Succeeded { by: n.seq }),
            (None, _) => (None, HowEnded::TermExpired),
        };
        let term = &mut terms[i];
        match (term.end, successor) {
            (None, Some(next)) => {
                term.end = Some(next);
                term.how_ended = how;
            }
            (Some(end), Some(next)) if end == next => term.how_ended = how,
            _ => {}
        }
    }
    terms
}
