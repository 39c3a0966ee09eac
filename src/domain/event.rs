//! The events: everything the ledger records, as facts of a decision, never as derived state.
//!
//! The order of the variants and of the fields is part of the binary format of the journal
//! (bincode numbers variants by position): add new variants and new optional fields only at
//! the end, and bump [`crate::ledger::SCHEMA_VERSION`] with an upcaster when you must change
//! an existing one. The golden tests fail if you forget: `src/ledger/every_kind.rs` pins the
//! bytes of every variant, `tests/it/golden.rs` those of a whole ledger.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ids::{BodyId, InstitutionCode, MeetingId, Seq, SharedTexts, StateCode, Text};
use super::time::Date;

/// Where a thing was decided: a meeting, the day, and optionally the document and paragraph.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub meeting: MeetingId,
    pub date: Date,
    #[serde(default)]
    pub document: Option<Text>,
    #[serde(default)]
    pub paragraph: Option<Text>,
}

/// When a term ends, as the decision said it: on a day, or at the close of a meeting whose
/// dates may not be known yet ("until the close of the Eleventh MSP"). An open term is
/// `Option::None` around this.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TermEnd {
    On(Date),
    CloseOf(MeetingId),
}

/// How [`TermEnd`] is kept in the journal (an ordinary enum; JSON uses a string or an object).
#[derive(Deserialize)]
enum TermEndRepr {
    On(Date),
    CloseOf(MeetingId),
}

/// [`TermEndRepr`] borrowed, for serializing without cloning the meeting's id: the same
/// name, variants and fields, so the same bytes.
#[derive(Serialize)]
#[serde(rename = "TermEndRepr")]
enum TermEndReprRef<'a> {
    On(Date),
    CloseOf(&'a MeetingId),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MeetingRef {
    meeting: MeetingId,
}

/// [`MeetingRef`] borrowed, for serializing: the same name and field.
#[derive(Serialize)]
#[serde(rename = "MeetingRef")]
struct MeetingRefRef<'a> {
    meeting: &'a MeetingId,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TermEndJson {
    On(String),
    CloseOf(MeetingRef),
}

impl Serialize for TermEnd {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match (serializer.is_human_readable(), self) {
            (true, TermEnd::On(date)) => date.serialize(serializer),
            (true, TermEnd::CloseOf(meeting)) => MeetingRefRef { meeting }.serialize(serializer),
            (false, TermEnd::On(date)) => TermEndReprRef::On(*date).serialize(serializer),
            (false, TermEnd::CloseOf(m)) => TermEndReprRef::CloseOf(m).serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for TermEnd {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TermEnd, D::Error> {
        use serde::de::Error;
        if deserializer.is_human_readable() {
            match TermEndJson::deserialize(deserializer).map_err(|_| {
                D::Error::custom(
                    "expected a date \"YYYY-MM-DD\", {\"meeting\": \"ID\"}, or null for an open term",
                )
            })? {
                TermEndJson::On(s) => Date::parse(&s).map(TermEnd::On).map_err(D::Error::custom),
                TermEndJson::CloseOf(r) => Ok(TermEnd::CloseOf(r.meeting)),
            }
        } else {
            Ok(match TermEndRepr::deserialize(deserializer)? {
                TermEndRepr::On(d) => TermEnd::On(d),
                TermEndRepr::CloseOf(m) => TermEnd::CloseOf(m),
            })
        }
    }
}

impl fmt::Display for TermEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TermEnd::On(d) => d.fmt(f),
            TermEnd::CloseOf(m) => write!(f, "the close of {m}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingType {
    /// A Meeting of States Parties.
    Msp,
    /// A Review Conference.
    Rc,
    Intersessional,
}

impl MeetingType {
    /// MSPs and Review Conferences take decisions (§15); intersessional meetings do not.
    pub fn is_formal(self) -> bool {
        matches!(self, MeetingType::Msp | MeetingType::Rc)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyType {
    WorkingGroup,
    Coordinator,
}

/// One thing that happened, as the decision recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    StateJoined(StateJoined),
    StateWithdrew(StateWithdrew),
    InstitutionRegistered(InstitutionRegistered),
    MeetingHeld(MeetingHeld),
    BodyEstablished(BodyEstablished),
    CoordinatorElected(CoordinatorElected),
    CoordinatorLeft(CoordinatorLeft),
    MandateAmended(MandateAmended),
    BodyAmended(BodyAmended),
    BodyDiscontinued(BodyDiscontinued),
    PresidentElected(PresidencyElected),
    PresidentDesignateElected(PresidencyElected),
    StandingInvitationExtended(StandingInvitation),
    StandingInvitationWithdrawn(StandingInvitation),
    EntryCorrected(EntryCorrected),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateJoined {
    pub state: StateCode,
    pub name: String,
    /// The day the Convention entered into force for the State.
    pub effective: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateWithdrew {
    pub state: StateCode,
    #[serde(default)]
    pub name: Option<String>,
    pub effective: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstitutionRegistered {
    pub institution: InstitutionCode,
    pub name: String,
    /// A member of the Coordination Committee by right (ISU, UN, ICRC, CMC: §19).
    pub by_right: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingHeld {
    pub meeting: MeetingId,
    #[serde(rename = "type")]
    pub meeting_type: MeetingType,
    pub start: Date,
    pub end: Date,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub host: Option<StateCode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyEstablished {
    pub body: BodyId,
    pub name: String,
    #[serde(rename = "type", default)]
    pub body_type: Option<BodyType>,
    pub seats: u32,
    pub term_years: u32,
    pub renew_per_year: u32,
    #[serde(default)]
    pub mandate: Vec<String>,
    /// Defaults to the decision's date.
    #[serde(default)]
    pub effective: Option<Date>,
    pub decision: Decision,
}

/// An election to a seat of a body. The last three fields came with schema version 2
/// (`ledger::entry`); an entry of version 1 reads with them `None`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoordinatorElected {
    pub body: BodyId,
    pub state: StateCode,
    pub start: Date,
    /// `None`: open, until a later event ends it.
    #[serde(default)]
    pub end: Option<TermEnd>,
    pub decision: Decision,
    /// Who holds the seat for the State (the ambassador, the judge), as on the Presidency.
    #[serde(default)]
    pub person: Option<Text>,
    /// The State this one succeeds on the body: its term there ends on this term's start
    /// ("succeeded"), without a `coordinator_left`.
    #[serde(default)]
    pub replaces: Option<StateCode>,
    /// The decision made this term shorter or longer than the body's term on purpose, to set
    /// up or restore the stagger: the term-length rule accepts it.
    #[serde(default)]
    pub stagger: Option<Stagger>,
}

/// Why a term's length differs from the body's on purpose (`"stagger"` on an election).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stagger {
    /// The first terms of a body, some shorter, so that seats are renewed in turn (the 2MSP
    /// gave one coordinator of each pair one year).
    SetUp,
    /// A term shortened or lengthened to bring the renewals back in turn.
    Restore,
}

impl Stagger {
    pub fn word(self) -> &'static str {
        match self {
            Stagger::SetUp => "set_up",
            Stagger::Restore => "restore",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoordinatorLeft {
    pub body: BodyId,
    pub state: StateCode,
    pub effective: Date,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MandateAmended {
    pub body: BodyId,
    #[serde(default)]
    pub add: Vec<String>,
    #[serde(default)]
    pub remove: Vec<String>,
    pub decision: Decision,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyAmended {
    pub body: BodyId,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub seats: Option<u32>,
    #[serde(default)]
    pub term_years: Option<u32>,
    #[serde(default)]
    pub renew_per_year: Option<u32>,
    /// Defaults to the decision's date.
    #[serde(default)]
    pub effective: Option<Date>,
    pub decision: Decision,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyDiscontinued {
    pub body: BodyId,
    pub effective: Date,
    #[serde(default)]
    pub transfer_to: Option<BodyId>,
    pub decision: Decision,
}

/// A President or a President-designate (§19).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresidencyElected {
    pub state: StateCode,
    #[serde(default)]
    pub person: Option<Text>,
    pub start: Date,
    #[serde(default)]
    pub end: Option<TermEnd>,
    pub decision: Decision,
}

/// A standing invitation to sit on the Coordination Committee, extended or withdrawn (§21).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandingInvitation {
    pub institution: InstitutionCode,
    pub effective: Date,
    pub decision: Decision,
}

/// A correction: the projection applies `replacement` in place of the entry `target`, or
/// retracts it when there is none. The corrected entry itself stays in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryCorrected {
    pub target: Seq,
    pub reason: String,
    #[serde(default)]
    pub replacement: Option<Box<Event>>,
}

impl Event {
    /// The `kind` of the JSON contract.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::StateJoined(_) => "state_joined",
            Event::StateWithdrew(_) => "state_withdrew",
            Event::InstitutionRegistered(_) => "institution_registered",
            Event::MeetingHeld(_) => "meeting_held",
            Event::BodyEstablished(_) => "body_established",
            Event::CoordinatorElected(_) => "coordinator_elected",
            Event::CoordinatorLeft(_) => "coordinator_left",
            Event::MandateAmended(_) => "mandate_amended",
            Event::BodyAmended(_) => "body_amended",
            Event::BodyDiscontinued(_) => "body_discontinued",
            Event::PresidentElected(_) => "president_elected",
            Event::PresidentDesignateElected(_) => "president_designate_elected",
            Event::StandingInvitationExtended(_) => "standing_invitation_extended",
            Event::StandingInvitationWithdrawn(_) => "standing_invitation_withdrawn",
            Event::EntryCorrected(_) => "entry_corrected",
        }
    }

    /// Every `kind`, in the order of the contract.
    pub const KINDS: [&'static str; 15] = [
        "state_joined",
        "state_withdrew",
        "institution_registered",
        "meeting_held",
        "body_established",
        "coordinator_elected",
        "coordinator_left",
        "mandate_amended",
        "body_amended",
        "body_discontinued",
        "president_elected",
        "president_designate_elected",
        "standing_invitation_extended",
        "standing_invitation_withdrawn",
        "entry_corrected",
    ];

    /// The decision the event cites, if it is one that does.
    pub fn decision(&self) -> Option<&Decision> {
        match self {
            Event::BodyEstablished(e) => Some(&e.decision),
            Event::CoordinatorElected(e) => Some(&e.decision),
            Event::MandateAmended(e) => Some(&e.decision),
            Event::BodyAmended(e) => Some(&e.decision),
            Event::BodyDiscontinued(e) => Some(&e.decision),
            Event::PresidentElected(e) | Event::PresidentDesignateElected(e) => Some(&e.decision),
            Event::StandingInvitationExtended(e) | Event::StandingInvitationWithdrawn(e) => {
                Some(&e.decision)
            }
            Event::StateJoined(_)
            | Event::StateWithdrew(_)
            | Event::InstitutionRegistered(_)
            | Event::MeetingHeld(_)
            | Event::CoordinatorLeft(_)
            | Event::EntryCorrected(_) => None,
        }
    }
}

impl Event {
    /// Makes the event's ids hold `texts`' allocations of their texts: what a fold does to
    /// every event it keeps, so that its millions of copies of a few thousand ids are one
    /// allocation each. The event is equal to what it was, and encodes to the same bytes.
    pub(crate) fn share(&mut self, texts: &mut SharedTexts) {
        match self {
            Event::StateJoined(e) => e.state.share(texts),
            Event::StateWithdrew(e) => e.state.share(texts),
            Event::InstitutionRegistered(e) => e.institution.share(texts),
            Event::MeetingHeld(e) => {
                e.meeting.share(texts);
                if let Some(host) = &mut e.host {
                    host.share(texts);
                }
            }
            Event::BodyEstablished(e) => {
                e.body.share(texts);
                e.decision.share(texts);
            }
            Event::CoordinatorElected(e) => {
                e.body.share(texts);
                e.state.share(texts);
                if let Some(TermEnd::CloseOf(meeting)) = &mut e.end {
                    meeting.share(texts);
                }
                e.decision.share(texts);
                if let Some(person) = &mut e.person {
                    person.share(texts);
                }
                if let Some(replaced) = &mut e.replaces {
                    replaced.share(texts);
                }
            }
            Event::CoordinatorLeft(e) => {
                e.body.share(texts);
                e.state.share(texts);
            }
            Event::MandateAmended(e) => {
                e.body.share(texts);
                e.decision.share(texts);
            }
            Event::BodyAmended(e) => {
                e.body.share(texts);
                e.decision.share(texts);
            }
            Event::BodyDiscontinued(e) => {
                e.body.share(texts);
                if let Some(to) = &mut e.transfer_to {
                    to.share(texts);
                }
                e.decision.share(texts);
            }
            Event::PresidentElected(e) | Event::PresidentDesignateElected(e) => {
                e.state.share(texts);
                if let Some(person) = &mut e.person {
                    person.share(texts);
                }
                if let Some(TermEnd::CloseOf(meeting)) = &mut e.end {
                    meeting.share(texts);
                }
                e.decision.share(texts);
            }
            Event::StandingInvitationExtended(e) | Event::StandingInvitationWithdrawn(e) => {
                e.institution.share(texts);
                e.decision.share(texts);
            }
            Event::EntryCorrected(e) => {
                if let Some(replacement) = &mut e.replacement {
                    replacement.share(texts);
                }
            }
        }
    }
}

impl Decision {
    fn share(&mut self, texts: &mut SharedTexts) {
        self.meeting.share(texts);
        for text in [&mut self.document, &mut self.paragraph]
            .into_iter()
            .flatten()
        {
            text.share(texts);
        }
    }
}

impl fmt::Display for Event {
    /// A one-line human summary, as `log` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::StateJoined(e) => {
                write!(
                    f,
                    "{} ({}) became a State Party on {}",
                    e.state, e.name, e.effective
                )
            }
            Event::StateWithdrew(e) => write!(f, "{} withdrew, effective {}", e.state, e.effective),
            Event::InstitutionRegistered(e) => write!(
                f,
                "institution {} ({}){}",
                e.institution,
                e.name,
                if e.by_right { ", member by right" } else { "" }
            ),
            Event::MeetingHeld(e) => write!(f, "{} held {} to {}", e.meeting, e.start, e.end),
            Event::BodyEstablished(e) => write!(
                f,
                "{} established ({}, {}-year terms) by {}",
                e.body,
                super::counted(e.seats, "seat", "seats"),
                e.term_years,
                e.decision.meeting
            ),
            Event::CoordinatorElected(e) => {
                write!(f, "{}", e.state)?;
                if let Some(person) = &e.person {
                    write!(f, " ({person})")?;
                }
                write!(f, " elected to {} from {}", e.body, e.start)?;
                match &e.end {
                    Some(end) => write!(f, " until {end}"),
                    None => write!(f, ", open-ended"),
                }?;
                if let Some(replaced) = &e.replaces {
                    write!(f, ", succeeding {replaced}")?;
                }
                if let Some(stagger) = e.stagger {
                    write!(f, " (stagger: {})", stagger.word())?;
                }
                write!(f, " by {}", e.decision.meeting)
            }
            Event::CoordinatorLeft(e) => {
                write!(
                    f,
                    "{} left {} on {} ({})",
                    e.state, e.body, e.effective, e.reason
                )
            }
            Event::MandateAmended(e) => write!(
                f,
                "mandate of {} amended (+{} -{} tasks) by {}",
                e.body,
                e.add.len(),
                e.remove.len(),
                e.decision.meeting
            ),
            Event::BodyAmended(e) => write!(f, "{} amended by {}", e.body, e.decision.meeting),
            Event::BodyDiscontinued(e) => {
                write!(f, "{} discontinued on {}", e.body, e.effective)?;
                if let Some(to) = &e.transfer_to {
                    write!(f, ", mandate to {to}")?;
                }
                Ok(())
            }
            Event::PresidentElected(e) => write!(f, "{} President from {}", e.state, e.start),
            Event::PresidentDesignateElected(e) => {
                write!(f, "{} President-designate from {}", e.state, e.start)
            }
            Event::StandingInvitationExtended(e) => {
                write!(
                    f,
                    "standing invitation to {} from {}",
                    e.institution, e.effective
                )
            }
            Event::StandingInvitationWithdrawn(e) => write!(
                f,
                "standing invitation to {} withdrawn on {}",
                e.institution, e.effective
            ),
            Event::EntryCorrected(e) => match &e.replacement {
                Some(r) => write!(f, "entry {} corrected to: {r}", e.target),
                None => write!(f, "entry {} retracted: {}", e.target, e.reason),
            },
        }
    }
}
