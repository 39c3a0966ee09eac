//! Structural validation before append: may this event be recorded at the point the
//! projection stands? Every State, institution, meeting, body and entry it names must exist
//! there; ends come after starts; nothing is registered twice; no event is recorded twice.
//! (Whether the event keeps the continuity rules is the rules' question, not this one's.)
//!
//! "`handle` decides, `apply` only applies": the ledger appends an event only after
//! [`validate`] accepts it, so [`Projection::apply`] never fails. A batch (an import) is checked
//! line by line against a scratch projection that applies each accepted event before the next
//! is checked, so a line may name what an earlier line recorded: see [`validate_all`].

use std::borrow::Cow;

use crate::domain::{BodyId, Date, Event, InstitutionCode, MeetingId, Seq, StateCode, TermEnd};
use crate::ledger::event_fingerprint;
use crate::projection::{Fingerprint, Fold, Projection, Unsettled};

/// Why an event may not be appended, and which field says so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this exact event is already recorded, as entry {seq}")]
    Duplicate { seq: Seq },
    #[error("unknown State {state}{}: record its state_joined first", did_you_mean(.near))]
    UnknownState {
        field: &'static str,
        state: StateCode,
        /// The near matches recorded (codes), as a query would suggest them.
        near: Vec<String>,
    },
    #[error("unknown institution {institution}: record its institution_registered first")]
    UnknownInstitution {
        field: &'static str,
        institution: InstitutionCode,
    },
    #[error("unknown meeting {meeting}: record its meeting_held first")]
    UnknownMeeting {
        field: &'static str,
        meeting: MeetingId,
    },
    #[error("unknown body {body}{}: record its body_established first", did_you_mean(.near))]
    UnknownBody {
        field: &'static str,
        body: BodyId,
        /// The near matches recorded (ids), as a query would suggest them.
        near: Vec<String>,
    },
    #[error("no entry {seq} to correct: the ledger has {entries} entries")]
    UnknownSeq {
        field: &'static str,
        seq: Seq,
        entries: u64,
    },
    #[error("entry {seq} is itself a correction; correct the entry it targets instead")]
    CorrectsACorrection { field: &'static str, seq: Seq },
    #[error("a replacement may not itself be a correction")]
    NestedCorrection { field: &'static str },
    #[error("the replacement is what entry {seq} already says")]
    Unchanged { field: &'static str, seq: Seq },
    #[error("in the replacement: {0}")]
    InReplacement(Box<Refusal>),
    #[error("the end {end} does not come after the start {start}")]
    EndBeforeStart {
        field: &'static str,
        start: Date,
        end: Date,
    },
    #[error("{date} is before {what} ({limit})")]
    TooEarly {
        field: &'static str,
        date: Date,
        what: &'static str,
        limit: Date,
    },
    #[error("{what} {id} is already recorded, by entry {seq}")]
    AlreadyRecorded {
        field: &'static str,
        what: &'static str,
        id: String,
        seq: Seq,
    },
    #[error("{state} is already a State Party, since {since} (entry {seq})")]
    AlreadyStateParty {
        field: &'static str,
        state: StateCode,
        since: Date,
        seq: Seq,
    },
    #[error("{state} is not a State Party (it has withdrawn)")]
    NotAStateParty {
        field: &'static str,
        state: StateCode,
    },
    #[error("{body} is already discontinued, on {on} (entry {seq})")]
    AlreadyDiscontinued {
        field: &'static str,
        body: BodyId,
        on: Date,
        seq: Seq,
    },
    #[error("a body's mandate cannot be transferred to the body itself")]
    TransferToItself { field: &'static str },
    #[error("{state} holds no seat of {body} on {on}")]
    NotHolding {
        field: &'static str,
        body: BodyId,
        state: StateCode,
        on: Date,
    },
    #[error("must be at least 1")]
    Zero { field: &'static str },
    #[error("{value} is more than the most a body may have: at most {limit}")]
    TooLarge {
        field: &'static str,
        value: u32,
        limit: u32,
    },
    #[error("{renew_per_year} seats renewed a year is more than the {seats} seats")]
    StaggerExceedsSeats {
        field: &'static str,
        renew_per_year: u32,
        seats: u32,
    },
    #[error("task {task:?} is not in the mandate of {body} on {on}")]
    UnknownTask {
        field: &'static str,
        body: BodyId,
        task: String,
        on: Date,
    },
    #[error("the {what} changes nothing")]
    NothingChanged {
        field: &'static str,
        what: &'static str,
    },
    #[error("{institution} holds no standing invitation on {on}")]
    NoInvitation {
        field: &'static str,
        institution: InstitutionCode,
        on: Date,
    },
}

impl Refusal {
    /// The field of the event at fault (a dotted path: `decision.meeting`,
    /// `replacement.state`), where one is.
    pub fn field(&self) -> Option<Cow<'static, str>> {
        use Refusal::*;
        match self {
            Duplicate { .. } => None,
            InReplacement(inner) => Some(match inner.field() {
                Some(f) => Cow::Owned(format!("replacement.{f}")),
                None => Cow::Borrowed("replacement"),
            }),
            UnknownState { field, .. }
            | UnknownInstitution { field, .. }
            | UnknownMeeting { field, .. }
            | UnknownBody { field, .. }
            | UnknownSeq { field, .. }
            | CorrectsACorrection { field, .. }
            | NestedCorrection { field }
            | Unchanged { field, .. }
            | EndBeforeStart { field, .. }
            | TooEarly { field, .. }
            | AlreadyRecorded { field, .. }
            | AlreadyStateParty { field, .. }
            | NotAStateParty { field, .. }
            | AlreadyDiscontinued { field, .. }
            | TransferToItself { field }
            | NotHolding { field, .. }
            | Zero { field }
            | TooLarge { field, .. }
            | StaggerExceedsSeats { field, .. }
            | UnknownTask { field, .. }
            | NothingChanged { field, .. }
            | NoInvitation { field, .. } => Some(Cow::Borrowed(field)),
        }
    }
}

/// Whether `event` may be appended as the next entry after those `projection` has folded.
pub fn validate(projection: &Fold, event: &Event) -> Result<(), Refusal> {
    validate_at(projection, event, &event_fingerprint(event), true)
}

/// [`validate`], given the event's fingerprint (a batch computes it once, for this check and
/// for applying the event); with `check_replacement` false, a correction's replacement is not
/// checked (the caller checks it against the projection with the target retracted).
fn validate_at(
    projection: &Fold,
    event: &Event,
    fingerprint: &Fingerprint,
    check_replacement: bool,
) -> Result<(), Refusal> {
    if let Some(seq) = projection.recorded_as(fingerprint) {
        return Err(Refusal::Duplicate { seq });
    }
    if let Some(decision) = event.decision() {
        meeting(projection, "decision.meeting", &decision.meeting)?;
    }
    match event {
        Event::StateJoined(e) => {
            if let Some(m) = projection
                .state(&e.state)
                .and_then(|s| s.current_membership())
            {
                return Err(Refusal::AlreadyStateParty {
                    field: "state",
                    state: e.state.clone(),
                    since: m.joined,
                    seq: m.joined_seq,
                });
            }
        }
        Event::StateWithdrew(e) => {
            state(projection, "state", &e.state)?;
            let membership = projection
                .state(&e.state)
                .and_then(|s| s.current_membership())
                .ok_or_else(|| Refusal::NotAStateParty {
                    field: "state",
                    state: e.state.clone(),
                })?;
            not_before(
                "effective",
                e.effective,
                "the State joined",
                membership.joined,
            )?;
        }
        Event::InstitutionRegistered(e) => {
            if let Some(i) = projection.institution(&e.institution) {
                return Err(Refusal::AlreadyRecorded {
                    field: "institution",
                    what: "institution",
                    id: e.institution.to_string(),
                    seq: i.seq,
                });
            }
        }
        Event::MeetingHeld(e) => {
            if let Some(m) = projection.meeting(&e.meeting) {
                return Err(Refusal::AlreadyRecorded {
                    field: "meeting",
                    what: "meeting",
                    id: e.meeting.to_string(),
                    seq: m.seq,
                });
            }
            if e.end < e.start {
                return Err(Refusal::EndBeforeStart {
                    field: "end",
                    start: e.start,
                    end: e.end,
                });
            }
            if let Some(host) = &e.host {
                state(projection, "host", host)?;
            }
        }
        Event::BodyEstablished(e) => {
            if let Some(b) = projection.body(&e.body) {
                return Err(Refusal::AlreadyRecorded {
                    field: "body",
                    what: "body",
                    id: e.body.to_string(),
                    seq: b.established.seq,
                });
            }
            within("seats", e.seats, MAX_SEATS)?;
            within("term_years", e.term_years, MAX_TERM_YEARS)?;
            within("renew_per_year", e.renew_per_year, MAX_SEATS)?;
            stagger(e.renew_per_year, e.seats)?;
        }
        Event::CoordinatorElected(e) => {
            let b = body(projection, "body", &e.body)?;
            state(projection, "state", &e.state)?;
            term(projection, e.start, &e.end)?;
            if let Some(replaced) = &e.replaces {
                state(projection, "replaces", replaced)?;
                // The State succeeded must be in office on the body up to the new start
                // (its term may end on that very day).
                let holds = b.terms.iter().any(|t| {
                    t.state == *replaced
                        && t.start < e.start
                        && t.end.is_none_or(|end| end >= e.start)
                });
                if !holds {
                    return Err(Refusal::NotHolding {
                        field: "replaces",
                        body: e.body.clone(),
                        state: replaced.clone(),
                        on: e.start,
                    });
                }
            }
        }
        Event::CoordinatorLeft(e) => {
            let b = body(projection, "body", &e.body)?;
            state(projection, "state", &e.state)?;
            if !b.holders_on(e.effective).any(|t| t.state == e.state) {
                return Err(Refusal::NotHolding {
                    field: "state",
                    body: e.body.clone(),
                    state: e.state.clone(),
                    on: e.effective,
                });
            }
        }
        Event::MandateAmended(e) => {
            let b = body(projection, "body", &e.body)?;
            if e.add.is_empty() && e.remove.is_empty() {
                return Err(Refusal::NothingChanged {
                    field: "add",
                    what: "mandate amendment",
                });
            }
            let on = e.decision.date;
            let mandate = b.parameters_on(on).mandate;
            if let Some(task) = e.remove.iter().find(|t| !mandate.contains(t)) {
                return Err(Refusal::UnknownTask {
                    field: "remove",
                    body: e.body.clone(),
                    task: task.clone(),
                    on,
                });
            }
        }
        Event::BodyAmended(e) => {
            let b = body(projection, "body", &e.body)?;
            if e.name.is_none()
                && e.seats.is_none()
                && e.term_years.is_none()
                && e.renew_per_year.is_none()
            {
                return Err(Refusal::NothingChanged {
                    field: "name",
                    what: "body amendment",
                });
            }
            within("seats", e.seats.unwrap_or(1), MAX_SEATS)?;
            within("term_years", e.term_years.unwrap_or(1), MAX_TERM_YEARS)?;
            within("renew_per_year", e.renew_per_year.unwrap_or(1), MAX_SEATS)?;
            let in_force = b.parameters_on(e.effective.unwrap_or(e.decision.date));
            stagger(
                e.renew_per_year.unwrap_or(in_force.renew_per_year),
                e.seats.unwrap_or(in_force.seats),
            )?;
        }
        Event::BodyDiscontinued(e) => {
            let b = body(projection, "body", &e.body)?;
            if let Some(d) = &b.discontinued {
                return Err(Refusal::AlreadyDiscontinued {
                    field: "body",
                    body: e.body.clone(),
                    on: d.effective,
                    seq: d.seq,
                });
            }
            not_before(
                "effective",
                e.effective,
                "the body was established",
                b.established.effective,
            )?;
            if let Some(to) = &e.transfer_to {
                if *to == e.body {
                    return Err(Refusal::TransferToItself {
                        field: "transfer_to",
                    });
                }
                body(projection, "transfer_to", to)?;
            }
        }
        Event::PresidentElected(e) | Event::PresidentDesignateElected(e) => {
            state(projection, "state", &e.state)?;
            term(projection, e.start, &e.end)?;
        }
        Event::StandingInvitationExtended(e) => {
            institution(projection, &e.institution)?;
        }
        Event::StandingInvitationWithdrawn(e) => {
            let i = institution(projection, &e.institution)?;
            if i.invited_since(e.effective).is_none() {
                return Err(Refusal::NoInvitation {
                    field: "institution",
                    institution: e.institution.clone(),
                    on: e.effective,
                });
            }
        }
        Event::EntryCorrected(c) => {
            let entries = projection.entries_applied();
            if c.target.0 >= entries {
                return Err(Refusal::UnknownSeq {
                    field: "target",
                    seq: c.target,
                    entries,
                });
            }
            if projection.correction_target(c.target).is_some() {
                return Err(Refusal::CorrectsACorrection {
                    field: "target",
                    seq: c.target,
                });
            }
            if let Some(replacement) = c.replacement.as_deref() {
                if matches!(replacement, Event::EntryCorrected(_)) {
                    return Err(Refusal::NestedCorrection {
                        field: "replacement",
                    });
                }
                if projection.effective_event(c.target) == Some(replacement) {
                    return Err(Refusal::Unchanged {
                        field: "replacement",
                        seq: c.target,
                    });
                }
                // The replacement is checked as if it were recorded instead of the target.
                if check_replacement {
                    validate(&projection.retracting(c.target), replacement)
                        .map_err(|r| Refusal::InReplacement(Box::new(r)))?;
                }
            }
        }
    }
    Ok(())
}

/// Validates a batch in order, each event against the projection with the earlier ones
/// applied. Returns that projection, or the index of the first refused event and why.
pub fn validate_all<'a>(
    projection: &Fold,
    events: impl IntoIterator<Item = &'a Event>,
) -> Result<Fold, (usize, Refusal)> {
    let mut batch = Batch::onto(projection.clone());
    for (i, event) in events.into_iter().enumerate() {
        batch.admit(event, None).map_err(|r| (i, r))?;
    }
    Ok(batch.finish())
}

/// A batch being validated event by event onto a projection that it extends in place: what
/// an import streams its lines through. Each event is checked against the projection with
/// the earlier ones applied, so a line may name what an earlier line recorded; an accepted
/// event is applied with its override reason, so [`Batch::finish`] gives exactly the fold of
/// the entries the batch becomes, the projection the rules judge "after" (no second fold).
pub struct Batch {
    scratch: Fold,
    unsettled: Unsettled,
}

impl Batch {
    /// Starts a batch after the entries `projection` has folded. It takes the projection by
    /// value: a caller that needs "before" afterwards keeps what it needs of it first.
    pub fn onto(projection: Fold) -> Batch {
        Batch {
            scratch: projection,
            unsettled: Unsettled::default(),
        }
    }

    /// Checks `event` as the next entry and, if it may be appended, applies it. A refused
    /// event is not applied (and the batch is to be abandoned: later lines may depend on it).
    pub fn admit(&mut self, event: &Event, override_reason: Option<&str>) -> Result<(), Refusal> {
        self.admit_fingerprinted(event, event_fingerprint(event), override_reason)
    }

    /// [`Self::admit`], given the event's [`event_fingerprint`] (an import computes it on the
    /// thread that parses, beside this one).
    pub fn admit_fingerprinted(
        &mut self,
        event: &Event,
        fingerprint: Fingerprint,
        override_reason: Option<&str>,
    ) -> Result<(), Refusal> {
        debug_assert_eq!(fingerprint, event_fingerprint(event));
        let scratch = &mut self.scratch;
        scratch.settle_for(event, &mut self.unsettled);
        let check = |scratch: &mut Fold| -> Result<(), Refusal> {
            validate_at(scratch, event, &fingerprint, false)?;
            if let Event::EntryCorrected(c) = event {
                if let Some(replacement) = c.replacement.as_deref() {
                    // Checked against the scratch projection with the target retracted in
                    // place (and put back), not against a copy of it.
                    scratch
                        .with_retracted(c.target, replacement, |retracted| {
                            validate(retracted, replacement)
                        })
                        .map_err(|r| Refusal::InReplacement(Box::new(r)))?;
                }
            }
            Ok(())
        };
        if check(scratch).is_err() {
            // A refusal suggests near names among every body and State, which the views
            // settled for this event alone may not all hold yet: every view is settled,
            // and the event checked again, for the refusal a fold event by event words
            // (refusals are rare: this costs nothing the accepted lines pay for).
            scratch.settle_all(&mut self.unsettled);
            check(scratch)?;
        }
        scratch.apply_event_unsettled(event, fingerprint, override_reason, &mut self.unsettled);
        if let Event::EntryCorrected(_) = event {
            // What the correction changed (its target's body, State, Presidency, …) is
            // settled at once: a later line may ask whether it still exists.
            scratch.settle_for(event, &mut self.unsettled);
        }
        Ok(())
    }

    /// The projection with every admitted event applied, some views perhaps not settled yet:
    /// its events, corrections and fingerprints are exact.
    pub fn unsettled(&self) -> &Fold {
        &self.scratch
    }

    /// The projection with every admitted event applied, every view settled, for a look
    /// before more events are admitted.
    pub fn settled(&mut self) -> &Fold {
        self.scratch.settle_all(&mut self.unsettled);
        &self.scratch
    }

    /// The projection with every admitted event applied, every view settled.
    pub fn finish(mut self) -> Fold {
        self.scratch.settle_all(&mut self.unsettled);
        self.scratch
    }
}

fn state(p: &Projection, field: &'static str, code: &StateCode) -> Result<(), Refusal> {
    match p.state(code) {
        Some(_) => Ok(()),
        None => Err(Refusal::UnknownState {
            field,
            state: code.clone(),
            near: near_matches(p.resolve_state(code.as_str()).err()),
        }),
    }
}

fn meeting(p: &Projection, field: &'static str, id: &MeetingId) -> Result<(), Refusal> {
    match p.meeting(id) {
        Some(_) => Ok(()),
        None => Err(Refusal::UnknownMeeting {
            field,
            meeting: id.clone(),
        }),
    }
}

fn body<'p>(
    p: &'p Projection,
    field: &'static str,
    id: &BodyId,
) -> Result<&'p crate::projection::Body, Refusal> {
    p.body(id).ok_or_else(|| Refusal::UnknownBody {
        field,
        body: id.clone(),
        near: near_matches(p.resolve_body(id.as_str()).err()),
    })
}

/// The ids a query for an unknown name would suggest (a typo's likely intent).
fn near_matches(unknown: Option<crate::projection::Unknown>) -> Vec<String> {
    unknown
        .map(|u| u.suggestions.into_iter().map(|s| s.id).collect())
        .unwrap_or_default()
}

/// "; did you mean wg-universalization?" (or nothing, when nothing is near).
fn did_you_mean(near: &[String]) -> String {
    match near {
        [] => String::new(),
        [one] => format!(" (did you mean {one}?)"),
        [first @ .., last] => format!(" (did you mean {} or {last}?)", first.join(", ")),
    }
}

fn institution<'p>(
    p: &'p Projection,
    code: &InstitutionCode,
) -> Result<&'p crate::projection::Institution, Refusal> {
    p.institution(code)
        .ok_or_else(|| Refusal::UnknownInstitution {
            field: "institution",
            institution: code.clone(),
        })
}

/// A term's end comes after its start; an end at the close of a meeting not yet recorded
/// resolves later and is accepted.
fn term(p: &Projection, start: Date, end: &Option<TermEnd>) -> Result<(), Refusal> {
    let (field, end) = match end {
        Some(TermEnd::On(d)) => ("end", *d),
        Some(TermEnd::CloseOf(m)) => match p.meeting(m) {
            Some(m) => ("end.meeting", m.end),
            None => return Ok(()),
        },
        None => return Ok(()),
    };
    if end <= start {
        return Err(Refusal::EndBeforeStart { field, start, end });
    }
    Ok(())
}

fn not_before(
    field: &'static str,
    date: Date,
    what: &'static str,
    limit: Date,
) -> Result<(), Refusal> {
    if date < limit {
        return Err(Refusal::TooEarly {
            field,
            date,
            what,
            limit,
        });
    }
    Ok(())
}

/// The most seats a body may have. The largest CCM body has a handful; a seat per State of
/// the world is under 200. Each seat costs memory in the projection and the rules (a row per
/// seat), so an unchecked `u32` (4 294 967 295 seats) would take the machine down.
pub const MAX_SEATS: u32 = 1000;
/// The longest term, in years. Terms are one or two years in practice; the bound keeps the
/// date arithmetic and the renewal schedule small.
pub const MAX_TERM_YEARS: u32 = 100;

/// `n` is at least 1 and at most `limit`.
fn within(field: &'static str, n: u32, limit: u32) -> Result<(), Refusal> {
    if n == 0 {
        return Err(Refusal::Zero { field });
    }
    if n > limit {
        return Err(Refusal::TooLarge {
            field,
            value: n,
            limit,
        });
    }
    Ok(())
}

fn stagger(renew_per_year: u32, seats: u32) -> Result<(), Refusal> {
    if renew_per_year > seats {
        return Err(Refusal::StaggerExceedsSeats {
            field: "renew_per_year",
            renew_per_year,
            seats,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
