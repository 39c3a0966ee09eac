//! The projection kept as snapshot sections, and read back whole or in part.
//!
//! A query about one body, one State or one day needs a small part of the projection of a
//! large ledger; the snapshot is cut so that it can read just that part: a section of the
//! small views every query reads (with a catalogue of the bodies, to find a body by name and
//! to pick the bodies a question needs), one section per body, and sections for what only some
//! commands read (overrides, superseded events, the event store, which States held seats in
//! which bodies).

use serde::{Deserialize, Serialize};

use super::*;

const SHARED: &str = "shared";
const OVERRIDES: &str = "overrides";
const SUPERSEDED: &str = "superseded";
const EVENTS: &str = "events";
const SEATS_BY_STATE: &str = "seats-by-state";

fn body_section(id: &BodyId) -> String {
    format!("body/{id}")
}

/// Reads a named section of a snapshot: its bytes, checked, or `None`.
pub type Sections<'a> = dyn FnMut(&str) -> Option<Vec<u8>> + 'a;

/// Enough of a body to find it by name and to pick the bodies a question needs, without
/// reading its terms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct BodyCard {
    pub(super) id: BodyId,
    /// Every name it has had, the first first (as [`Body::names`]).
    pub(super) names: Vec<String>,
    established: Date,
    discontinued: Option<Date>,
    transfer_to: Option<BodyId>,
}

impl BodyCard {
    fn of(body: &Body) -> BodyCard {
        BodyCard {
            id: body.id.clone(),
            names: body.names().map(str::to_owned).collect(),
            established: body.established.effective,
            discontinued: body.discontinued.as_ref().map(|d| d.effective),
            transfer_to: body
                .discontinued
                .as_ref()
                .and_then(|d| d.transfer_to.clone()),
        }
    }

    /// As [`Body::in_force_on`].
    fn in_force_on(&self, on: Date) -> bool {
        self.established <= on && self.discontinued.is_none_or(|d| d > on)
    }
}

/// What a projection read in part holds besides its views: the catalogue of every body.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Part {
    pub(super) catalogue: Vec<BodyCard>,
}

/// A question, by what it needs of the projection: besides the shared views, the bodies it
/// names or picks. A projection read for a question answers it exactly as the whole
/// projection does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Question {
    /// `holders_on(body, any day)`.
    Holders(BodyId),
    /// `body_history(body)`: the body and those whose mandate moved to it.
    BodyHistory(BodyId),
    /// `state_history(state)`: the bodies in which the State held a seat.
    StateHistory(StateCode),
    /// `state_on(day)`, `committee_on(day)`, `holders_on(any body, day)`: the bodies in force
    /// on that day.
    InForceOn(Date),
}

#[derive(Serialize)]
struct SharedOut<'a> {
    applied: u64,
    states: &'a BTreeMap<StateCode, StateParty>,
    institutions: &'a BTreeMap<InstitutionCode, Institution>,
    meetings: &'a BTreeMap<MeetingId, Meeting>,
    presidency: &'a Vec<PresidencyTerm>,
    catalogue: Vec<BodyCard>,
}

#[derive(Deserialize)]
struct SharedIn {
    applied: u64,
    states: BTreeMap<StateCode, StateParty>,
    institutions: BTreeMap<InstitutionCode, Institution>,
    meetings: BTreeMap<MeetingId, Meeting>,
    presidency: Vec<PresidencyTerm>,
    catalogue: Vec<BodyCard>,
}

/// The elections to a body that corrections replaced or retracted, by the entry corrected:
/// kept with the body, for its history.
type Corrected = Vec<(Seq, Superseded)>;

/// What validation and further folding need, and queries do not.
type EventStore = (
    BTreeMap<Seq, Event>,
    BTreeMap<Topic, BTreeSet<Seq>>,
    BTreeMap<[u8; 32], Seq>,
    BTreeMap<Seq, Seq>,
);

fn encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, bincode::config::standard())
        .expect("the projection serializes")
}

/// The value a whole section holds (trailing bytes: not this section).
fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let (value, read) =
        bincode::serde::decode_from_slice(bytes, bincode::config::standard()).ok()?;
    (read == bytes.len()).then_some(value)
}

impl crate::ledger::Snapshotted for Projection {
    fn entries_applied(&self) -> u64 {
        self.applied
    }

    /// Each section in bincode's standard configuration.
    fn sections(&self) -> Vec<(String, Vec<u8>)> {
        assert!(
            self.part.is_none() && !self.views_only,
            "only a whole projection is kept"
        );
        let catalogue: Vec<BodyCard> = self.bodies.values().map(BodyCard::of).collect();
        let mut corrected: BTreeMap<&BodyId, Corrected> = BTreeMap::new();
        for (seq, list) in &self.superseded {
            for s in list {
                if let Event::CoordinatorElected(e) = &s.event {
                    corrected
                        .entry(&e.body)
                        .or_default()
                        .push((*seq, s.clone()));
                }
            }
        }
        let mut seats_by_state: BTreeMap<&StateCode, Vec<u32>> = BTreeMap::new();
        for (i, body) in self.bodies.values().enumerate() {
            for term in &body.terms {
                let bodies = seats_by_state.entry(&term.state).or_default();
                if bodies.last() != Some(&(i as u32)) {
                    bodies.push(i as u32);
                }
            }
        }
        let shared = SharedOut {
            applied: self.applied,
            states: &self.states,
            institutions: &self.institutions,
            meetings: &self.meetings,
            presidency: &self.presidency,
            catalogue,
        };
        let events = (
            &self.effective,
            &self.topics,
            &self.fingerprints,
            &self.corrections,
        );
        let mut sections = vec![
            (SHARED.to_owned(), encode(&shared)),
            (OVERRIDES.to_owned(), encode(&self.overrides)),
            (SUPERSEDED.to_owned(), encode(&self.superseded)),
            (EVENTS.to_owned(), encode(&events)),
            (SEATS_BY_STATE.to_owned(), encode(&seats_by_state)),
        ];
        for (id, body) in &self.bodies {
            let corrected = corrected.remove(id).unwrap_or_default();
            sections.push((body_section(id), encode(&(body, corrected))));
        }
        sections
    }

    fn from_sections(
        section: &mut Sections<'_>,
        purpose: crate::ledger::FoldFor,
    ) -> Option<Projection> {
        let mut projection = Projection::read_shared(section)?;
        let part = projection.part.take()?;
        for card in &part.catalogue {
            let (body, _): (Body, Corrected) = decode(&section(&body_section(&card.id))?)?;
            if body.id != card.id {
                return None;
            }
            projection.bodies.insert(card.id.clone(), body);
        }
        // Not needed whole, but checked: a damaged index found by `history --state` sends it
        // here, and only a snapshot refused here is rebuilt.
        section(SEATS_BY_STATE)?;
        projection.overrides = decode(&section(OVERRIDES)?)?;
        projection.superseded = decode(&section(SUPERSEDED)?)?;
        if purpose == crate::ledger::FoldFor::Extending {
            let events: EventStore = decode(&section(EVENTS)?)?;
            (
                projection.effective,
                projection.topics,
                projection.fingerprints,
                projection.corrections,
            ) = events;
            projection.views_only = false;
        }
        Some(projection)
    }
}

impl Projection {
    /// The shared views of a snapshot and the catalogue of its bodies, and no body yet: enough
    /// to resolve a body or a State by name, and to read what a question needs
    /// ([`Self::read_for`]). Cannot take entries.
    pub fn read_shared(section: &mut Sections<'_>) -> Option<Projection> {
        let shared: SharedIn = decode(&section(SHARED)?)?;
        Some(Projection {
            applied: shared.applied,
            states: shared.states,
            institutions: shared.institutions,
            meetings: shared.meetings,
            presidency: shared.presidency,
            part: Some(Box::new(Part {
                catalogue: shared.catalogue,
            })),
            views_only: true,
            ..Projection::default()
        })
    }

    /// Adds to a projection from [`Self::read_shared`] the bodies `question` needs, from the
    /// same snapshot. Afterwards it answers that question exactly as the whole projection
    /// does; nothing else is promised. `None`: a section is missing or damaged.
    pub fn read_for(&mut self, question: &Question, section: &mut Sections<'_>) -> Option<()> {
        let catalogue = &self.part.as_ref()?.catalogue;
        let wanted: Vec<BodyId> = match question {
            Question::Holders(id) => catalogue
                .iter()
                .filter(|c| c.id == *id)
                .map(|c| c.id.clone())
                .collect(),
            Question::BodyHistory(id) => catalogue
                .iter()
                .filter(|c| c.id == *id || c.transfer_to.as_ref() == Some(id))
                .map(|c| c.id.clone())
                .collect(),
            Question::InForceOn(on) => catalogue
                .iter()
                .filter(|c| c.in_force_on(*on))
                .map(|c| c.id.clone())
                .collect(),
            Question::StateHistory(code) => {
                let mut index: BTreeMap<StateCode, Vec<u32>> = decode(&section(SEATS_BY_STATE)?)?;
                let held = index.remove(code).unwrap_or_default();
                held.into_iter()
                    .map(|i| catalogue.get(i as usize).map(|c| c.id.clone()))
                    .collect::<Option<_>>()?
            }
        };
        for id in wanted {
            let (body, corrected): (Body, Corrected) = decode(&section(&body_section(&id))?)?;
            if body.id != id {
                return None;
            }
            for (seq, s) in corrected {
                self.superseded.entry(seq).or_default().push(s);
            }
            self.bodies.insert(id, body);
        }
        Some(())
    }
}
