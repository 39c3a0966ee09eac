//! The domain: identifiers, dates, decisions and the events the ledger records.
//! No I/O here; everything else depends on this module and it depends on nothing of ours.

mod event;
mod ids;
pub mod jsonl;
pub mod text;
mod time;

pub use event::{
    BodyAmended, BodyDiscontinued, BodyEstablished, BodyType, CoordinatorElected, CoordinatorLeft,
    Decision, EntryCorrected, Event, InstitutionRegistered, MandateAmended, MeetingHeld,
    MeetingType, PresidencyElected, Stagger, StandingInvitation, StateJoined, StateWithdrew,
    TermEnd,
};
pub use ids::{
    BodyId, EntryHash, IdError, InstitutionCode, MeetingId, Seq, SharedTexts, StateCode, Text,
};
pub use time::{Date, DateError, Timestamp, YEARS};

/// `1 seat`, `2 seats`: a number and its noun, singular for one.
pub fn counted(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The document that describes the machinery and that the continuity rules rest on (the
/// "seed" of DESIGN.md), named as a reader can look it up: every printed citation of one of its
/// paragraphs reads "CCM/CONF/2020/PM.2/WP.6 §15", never "§15" alone or "the seed".
pub const SEED: &str = "CCM/CONF/2020/PM.2/WP.6";

/// An event someone asks the ledger to record, with what the request says about it: the
/// override of a rule finding, and (for lines that came from `export`) when and by whom it
/// was first recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub event: Event,
    pub override_reason: Option<String>,
    pub recorded_at: Option<Timestamp>,
    pub recorded_by: Option<String>,
}

impl Draft {
    pub fn new(event: Event) -> Draft {
        Draft {
            event,
            override_reason: None,
            recorded_at: None,
            recorded_by: None,
        }
    }
}
