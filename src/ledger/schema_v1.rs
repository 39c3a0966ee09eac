//! Schema version 1 of an entry's event, kept to read old entries: the `Event` of version 1
//! differs from today's only in `coordinator_elected`, which had no `person`, `replaces` or
//! `stagger` (version 2 appended them). Every other variant is today's struct, whose bytes
//! have not changed. Frozen: never edit, only upcast.

use serde::{Deserialize, Serialize};

use crate::domain::{
    BodyAmended, BodyDiscontinued, BodyEstablished, BodyId, CoordinatorElected, CoordinatorLeft,
    Date, Decision, EntryCorrected, Event, InstitutionRegistered, MandateAmended, MeetingHeld,
    PresidencyElected, Seq, StandingInvitation, StateCode, StateJoined, StateWithdrew, TermEnd,
};

/// `Event` as version 1 wrote it: the same variants in the same order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) enum EventV1 {
    StateJoined(StateJoined),
    StateWithdrew(StateWithdrew),
    InstitutionRegistered(InstitutionRegistered),
    MeetingHeld(MeetingHeld),
    BodyEstablished(BodyEstablished),
    CoordinatorElected(CoordinatorElectedV1),
    CoordinatorLeft(CoordinatorLeft),
    MandateAmended(MandateAmended),
    BodyAmended(BodyAmended),
    BodyDiscontinued(BodyDiscontinued),
    PresidentElected(PresidencyElected),
    PresidentDesignateElected(PresidencyElected),
    StandingInvitationExtended(StandingInvitation),
    StandingInvitationWithdrawn(StandingInvitation),
    EntryCorrected(EntryCorrectedV1),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct CoordinatorElectedV1 {
    pub body: BodyId,
    pub state: StateCode,
    pub start: Date,
    pub end: Option<TermEnd>,
    pub decision: Decision,
}

/// A correction of version 1: its replacement is a version-1 event too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct EntryCorrectedV1 {
    pub target: Seq,
    pub reason: String,
    pub replacement: Option<Box<EventV1>>,
}

impl From<EventV1> for Event {
    /// The upcast: a version-1 election has no person, no `replaces`, no stagger.
    fn from(event: EventV1) -> Event {
        match event {
            EventV1::StateJoined(e) => Event::StateJoined(e),
            EventV1::StateWithdrew(e) => Event::StateWithdrew(e),
            EventV1::InstitutionRegistered(e) => Event::InstitutionRegistered(e),
            EventV1::MeetingHeld(e) => Event::MeetingHeld(e),
            EventV1::BodyEstablished(e) => Event::BodyEstablished(e),
            EventV1::CoordinatorElected(e) => Event::CoordinatorElected(CoordinatorElected {
                body: e.body,
                state: e.state,
                start: e.start,
                end: e.end,
                decision: e.decision,
                person: None,
                replaces: None,
                stagger: None,
            }),
            EventV1::CoordinatorLeft(e) => Event::CoordinatorLeft(e),
            EventV1::MandateAmended(e) => Event::MandateAmended(e),
            EventV1::BodyAmended(e) => Event::BodyAmended(e),
            EventV1::BodyDiscontinued(e) => Event::BodyDiscontinued(e),
            EventV1::PresidentElected(e) => Event::PresidentElected(e),
            EventV1::PresidentDesignateElected(e) => Event::PresidentDesignateElected(e),
            EventV1::StandingInvitationExtended(e) => Event::StandingInvitationExtended(e),
            EventV1::StandingInvitationWithdrawn(e) => Event::StandingInvitationWithdrawn(e),
            EventV1::EntryCorrected(e) => Event::EntryCorrected(EntryCorrected {
                target: e.target,
                reason: e.reason,
                replacement: e.replacement.map(|r| Box::new(Event::from(*r))),
            }),
        }
    }
}

#[cfg(test)]
impl EventV1 {
    /// The version-1 form of `event`, when it has one (an election with none of the fields
    /// version 2 added): for writing version-1 bytes in tests.
    pub(super) fn downcast(event: &Event) -> Option<EventV1> {
        Some(match event.clone() {
            Event::StateJoined(e) => EventV1::StateJoined(e),
            Event::StateWithdrew(e) => EventV1::StateWithdrew(e),
            Event::InstitutionRegistered(e) => EventV1::InstitutionRegistered(e),
            Event::MeetingHeld(e) => EventV1::MeetingHeld(e),
            Event::BodyEstablished(e) => EventV1::BodyEstablished(e),
            Event::CoordinatorElected(e) => {
                if e.person.is_some() || e.replaces.is_some() || e.stagger.is_some() {
                    return None;
                }
                EventV1::CoordinatorElected(CoordinatorElectedV1 {
                    body: e.body,
                    state: e.state,
                    start: e.start,
                    end: e.end,
                    decision: e.decision,
                })
            }
            Event::CoordinatorLeft(e) => EventV1::CoordinatorLeft(e),
            Event::MandateAmended(e) => EventV1::MandateAmended(e),
            Event::BodyAmended(e) => EventV1::BodyAmended(e),
            Event::BodyDiscontinued(e) => EventV1::BodyDiscontinued(e),
            Event::PresidentElected(e) => EventV1::PresidentElected(e),
            Event::PresidentDesignateElected(e) => EventV1::PresidentDesignateElected(e),
            Event::StandingInvitationExtended(e) => EventV1::StandingInvitationExtended(e),
            Event::StandingInvitationWithdrawn(e) => EventV1::StandingInvitationWithdrawn(e),
            Event::EntryCorrected(e) => EventV1::EntryCorrected(EntryCorrectedV1 {
                target: e.target,
                reason: e.reason,
                replacement: match e.replacement {
                    Some(r) => Some(Box::new(EventV1::downcast(&r)?)),
                    None => None,
                },
            }),
        })
    }
}
