//! The projection: a pure function of the entries, folded into the office-holder state over
//! valid time (bodies, their seats and terms, the Presidency, invitations, States Parties,
//! meetings), and the queries the CLI and the rules ask of it.
//!
//! **Invariant:** the projection of entries `0..=n` depends only on those entries: folding them
//! from zero, or applying the tail to a snapshot of a prefix, gives the same value.
//!
//! How it is kept: the *effective* event of every entry (its latest correction's replacement,
//! else its own; none once retracted) is held by seq, indexed by what it concerns (a State, an
//! institution, a meeting, a body, the Presidency). Every view is recomputed from its events
//! whenever one of them changes, so a correction at the tail costs one recomputation of the
//! views it touches, and the result is by construction the fold of the effective events.
//! Recording a meeting recomputes the bodies and the Presidency, whose terms may end at its
//! close.

mod derive;
mod effective;
mod model;
mod overrides;
mod query;
mod resolve;
mod sections;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::domain::{BodyId, Date, Event, InstitutionCode, MeetingId, Seq, SharedTexts, StateCode};
use crate::ledger::{event_fingerprint, Entry};
use effective::Effective;
use overrides::Overrides;

pub use model::{
    Body, BodyChange, Discontinuation, EndView, Establishment, HowEnded, Institution,
    InvitationChange, Meeting, Membership, Office, Parameters, PresidencyTerm, StateParty,
    Superseded, Term, Withdrawal,
};
pub use query::{
    Amendment, BodyHistory, BodyOnDate, CommitteeMember, CommitteeRole, Holder, Holders,
    MachineryState, MandateReceived, MembershipView, Presidency, PresidencyView, StateHistory,
    TermView,
};
pub use resolve::{Suggestion, Unknown};
#[cfg(test)]
pub(crate) use sections::FINEST_CUT;
pub use sections::{
    seats_section, state_names_section_of, state_section, Changes, Kept, Keys, Part, Question,
    Sections, Slice, Views,
};

/// The key of the projection's snapshot, bumped whenever the projection's stored shape or
/// its fold changes, so an old snapshot is never used for a new one (it is rebuilt instead).
pub const SNAPSHOT_KEY: &str = concat!("projection-", env!("CARGO_PKG_VERSION"), "-14");

/// What an event concerns: the view it feeds.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
enum Topic {
    State(StateCode),
    Institution(InstitutionCode),
    Meeting(MeetingId),
    Body(BodyId),
    Presidency,
}

impl Topic {
    fn of(event: &Event) -> Option<Topic> {
        Some(match event {
            Event::StateJoined(e) => Topic::State(e.state.clone()),
            Event::StateWithdrew(e) => Topic::State(e.state.clone()),
            Event::InstitutionRegistered(e) => Topic::Institution(e.institution.clone()),
            Event::StandingInvitationExtended(e) | Event::StandingInvitationWithdrawn(e) => {
                Topic::Institution(e.institution.clone())
            }
            Event::MeetingHeld(e) => Topic::Meeting(e.meeting.clone()),
            Event::BodyEstablished(e) => Topic::Body(e.body.clone()),
            Event::CoordinatorElected(e) => Topic::Body(e.body.clone()),
            Event::CoordinatorLeft(e) => Topic::Body(e.body.clone()),
            Event::MandateAmended(e) => Topic::Body(e.body.clone()),
            Event::BodyAmended(e) => Topic::Body(e.body.clone()),
            Event::BodyDiscontinued(e) => Topic::Body(e.body.clone()),
            Event::PresidentElected(_) | Event::PresidentDesignateElected(_) => Topic::Presidency,
            Event::EntryCorrected(_) => return None,
        })
    }
}

/// The office-holder state after folding a prefix of the ledger: its views, what every query
/// and rule reads. It takes no entries: a [`Fold`] does (it keeps the events the views are
/// made from), and gives its views.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Projection {
    applied: u64,
    /// What corrections replaced or retracted, by target, in order.
    superseded: BTreeMap<Seq, Vec<Superseded>>,
    states: BTreeMap<StateCode, StateParty>,
    institutions: BTreeMap<InstitutionCode, Institution>,
    meetings: BTreeMap<MeetingId, Meeting>,
    bodies: BTreeMap<BodyId, Body>,
    presidency: Vec<PresidencyTerm>,
    /// The override reason ("record despite a rule finding") of the entry that supplied each
    /// effective event: the entry's own, or, once corrected, the latest correction's.
    overrides: Overrides,
}

/// A projection with the events its views are made from: what folds entries, validates a
/// draft (the duplicate check, corrections) and is kept as the snapshot. Its views are a
/// [`Projection`] (it dereferences to them; [`Fold::into_projection`] keeps only them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fold {
    views: Projection,
    /// The effective event of every entry that is not a correction and not retracted.
    effective: Effective,
    topics: BTreeMap<Topic, BTreeSet<Seq>>,
    /// Fingerprint of each effective event and of each correction → the entry that holds it.
    fingerprints: BTreeMap<[u8; 32], Seq>,
    /// Every correction entry → the entry it targets.
    corrections: BTreeMap<Seq, Seq>,
    /// One allocation of each text the kept events (and the views made from them) hold.
    texts: Texts,
}

/// [`SharedTexts`] as a fold holds it: where its events' texts are allocated, not what they
/// say, so two folds of the same entries are equal whatever they share.
#[derive(Clone, Debug, Default)]
struct Texts(SharedTexts);

impl PartialEq for Texts {
    fn eq(&self, _: &Texts) -> bool {
        true
    }
}

impl std::ops::Deref for Fold {
    type Target = Projection;

    fn deref(&self) -> &Projection {
        &self.views
    }
}

/// Only this module's fold changes the views (their fields are private).
impl std::ops::DerefMut for Fold {
    fn deref_mut(&mut self) -> &mut Projection {
        &mut self.views
    }
}

impl Fold {
    /// Its views alone, for a caller done folding.
    pub fn into_projection(self) -> Projection {
        self.views
    }

    /// Its views.
    pub fn projection(&self) -> &Projection {
        &self.views
    }
}

/// An event's [`event_fingerprint`]: what the duplicate check looks up.
pub(crate) type Fingerprint = [u8; 32];

/// The views an applied batch has touched.
#[derive(Default)]
struct Touched(BTreeSet<Topic>);

/// Which stale views of bodies and of the Presidency [`Projection::settle`] recomputes.
enum Due {
    All,
    Nothing,
    /// These topics, where stale (looked up, not searched for).
    Only(Vec<Topic>),
}

/// Views of bodies and of the Presidency not yet recomputed after
/// [`Projection::apply_event_unsettled`].
#[derive(Default)]
pub(crate) struct Unsettled(Touched);

impl Projection {
    /// The views of entries (a prefix of the ledger, in order) folded from nothing.
    pub fn fold<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Projection {
        Fold::of(entries).into_projection()
    }
}

impl Fold {
    /// Folds entries (a prefix of the ledger, in order) from nothing.
    pub fn of<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Fold {
        let mut fold = Fold::default();
        fold.apply_all(entries);
        fold
    }

    /// Applies the next entry. Cannot fail: the event was validated before it was appended.
    pub fn apply(&mut self, entry: &Entry) {
        self.apply_all(std::iter::once(entry));
    }

    /// Applies the next entries, recomputing each view they touch once.
    pub fn apply_all<'a>(&mut self, entries: impl IntoIterator<Item = &'a Entry>) {
        let mut touched = Touched::default();
        for entry in entries {
            self.record(
                entry.seq,
                &entry.event,
                event_fingerprint(&entry.event),
                entry.override_reason.as_deref(),
                &mut touched,
            );
        }
        self.recompute(touched);
    }

    /// Applies the next entry given by its event alone (seq = [`Self::entries_applied`]), as
    /// when checking a batch of events against a scratch copy before any is appended.
    pub fn apply_event(&mut self, event: &Event) {
        let mut touched = Touched::default();
        let fingerprint = event_fingerprint(event);
        self.record(Seq(self.applied), event, fingerprint, None, &mut touched);
        self.recompute(touched);
    }

    /// Applies the next event like [`Self::apply_event`], but leaves the views of bodies and
    /// of the Presidency it touches to be recomputed by [`Self::settle_for`] or
    /// [`Self::settle_all`]: checking a long batch of elections one by one then costs one
    /// recomputation of each body, not one per election.
    /// `override_reason` is the line's, so the projection a batch was validated on is the
    /// one the rules then judge (they read which findings an override excuses).
    /// `fingerprint` is the event's, as the duplicate check computed it before.
    pub(crate) fn apply_event_unsettled(
        &mut self,
        event: &Event,
        fingerprint: Fingerprint,
        override_reason: Option<&str>,
        unsettled: &mut Unsettled,
    ) {
        debug_assert_eq!(fingerprint, event_fingerprint(event));
        self.record(
            Seq(self.applied),
            event,
            fingerprint,
            override_reason,
            &mut unsettled.0,
        );
        self.settle(&mut unsettled.0, Due::Nothing);
    }

    /// Recomputes what validating `event` reads. An election reads only whether its body
    /// exists, which later elections do not change, unless it `replaces` a State, whose term
    /// it reads; an amendment or a discontinuation reads
    /// the body's parameters and whether it is discontinued, not its terms (so only those
    /// are recomputed, and the terms stay due); a departure reads the terms; a correction
    /// may read anything.
    pub(crate) fn settle_for(&mut self, event: &Event, unsettled: &mut Unsettled) {
        let mut bodies: Vec<&BodyId> = Vec::new();
        match event {
            Event::CoordinatorElected(e)
                if e.replaces.is_some() || !self.bodies.contains_key(&e.body) =>
            {
                bodies.push(&e.body)
            }
            Event::BodyEstablished(e) if !self.bodies.contains_key(&e.body) => bodies.push(&e.body),
            Event::CoordinatorLeft(e) => bodies.push(&e.body),
            Event::MandateAmended(e) => return self.settle_without_terms(&[&e.body], unsettled),
            Event::BodyAmended(e) => return self.settle_without_terms(&[&e.body], unsettled),
            Event::BodyDiscontinued(e) => {
                let named: Vec<&BodyId> = [&e.body].into_iter().chain(&e.transfer_to).collect();
                return self.settle_without_terms(&named, unsettled);
            }
            Event::EntryCorrected(c) => {
                // A correction reads what its target (as it stands, and as it stood before
                // earlier corrections) and its replacement concern, nothing else: settling
                // every stale body for each correction made a batch quadratic.
                let mut wanted: Vec<Topic> = self
                    .effective_event(c.target)
                    .into_iter()
                    .chain(self.superseded(c.target).iter().map(|s| &s.event))
                    .chain(c.replacement.as_deref())
                    .filter_map(Topic::of)
                    .collect();
                if let Some(Event::BodyDiscontinued(d)) = c.replacement.as_deref() {
                    wanted.extend(d.transfer_to.iter().map(|to| Topic::Body(to.clone())));
                }
                return self.settle(&mut unsettled.0, Due::Only(wanted));
            }
            _ => {}
        }
        let wanted = bodies
            .into_iter()
            .map(|id| Topic::Body(id.clone()))
            .collect();
        self.settle(&mut unsettled.0, Due::Only(wanted));
    }

    /// Recomputes the stale bodies `ids` but for their terms: their establishment, changes
    /// and discontinuation are then exact, their terms may be stale, and they stay due for
    /// a whole recomputation (by [`Self::settle_for`] when a departure or a correction reads
    /// them, or [`Self::settle_all`]). Recomputing every term at each amendment made
    /// validating a long-lived body's amendments cost its whole history each time.
    fn settle_without_terms(&mut self, ids: &[&BodyId], unsettled: &mut Unsettled) {
        self.settle(&mut unsettled.0, Due::Nothing);
        for id in ids {
            let topic = Topic::Body((*id).clone());
            if !unsettled.0 .0.contains(&topic) {
                continue;
            }
            match derive::body_without_terms(id, self.events_of(&topic)) {
                Some(fresh) => match self.bodies.get_mut(*id) {
                    Some(body) => {
                        body.established = fresh.established;
                        body.changes = fresh.changes;
                        body.discontinued = fresh.discontinued;
                    }
                    None => {
                        self.bodies.insert(fresh.id.clone(), fresh);
                    }
                },
                None => {
                    self.bodies.remove(*id);
                }
            }
        }
    }

    pub(crate) fn settle_all(&mut self, unsettled: &mut Unsettled) {
        self.settle(&mut unsettled.0, Due::All);
    }

    /// The projection as it would stand if entry `target` were retracted now: what a
    /// correction's replacement is checked against.
    pub fn retracting(&self, target: Seq) -> Fold {
        let mut scratch = self.clone();
        scratch.apply_event(&Event::EntryCorrected(crate::domain::EntryCorrected {
            target,
            reason: "checking a replacement".into(),
            replacement: None,
        }));
        scratch
    }

    /// Runs `f` on the projection as it would stand if entry `target` were retracted now, as
    /// far as validating `reads` (a correction's replacement) reads it, then puts this
    /// projection back exactly as it was. What `f` can read of it answers as
    /// `f(&self.retracting(target))` would, without a copy of the whole projection: validating
    /// a batch with corrections in it would otherwise copy it once per correction.
    ///
    /// The target's own view is recomputed, and what [`Self::settle_for`] recomputes for
    /// `reads`; the views a retraction changes only through a meeting (the bodies and the
    /// Presidency, whose terms may end at its close) stay as they were, unless validating
    /// `reads` reads them: recomputing every body twice for each corrected meeting was a sixth
    /// of an import of 10^6 lines, for four such corrections.
    pub(crate) fn with_retracted<R>(
        &mut self,
        target: Seq,
        reads: &Event,
        f: impl FnOnce(&Fold) -> R,
    ) -> R {
        let seq = Seq(self.applied);
        let retraction = Event::EntryCorrected(crate::domain::EntryCorrected {
            target,
            reason: "checking a replacement".into(),
            replacement: None,
        });
        // Everything the retraction may change (see `record` and `take`), saved key by key;
        // the views are derived from these and are recomputed afterwards.
        let applied = self.applied;
        let retraction_fp = event_fingerprint(&retraction);
        let saved_retraction_fp = self.fingerprints.get(&retraction_fp).copied();
        let saved_correction = self.corrections.get(&seq).copied();
        let saved_event = self.effective.get(&target).cloned();
        let target_fp = saved_event.as_ref().map(event_fingerprint);
        let saved_target_fp = target_fp.and_then(|fp| self.fingerprints.get(&fp).copied());
        let topic = saved_event.as_ref().and_then(Topic::of);
        let saved_topic = topic.as_ref().and_then(|t| self.topics.get(t).cloned());
        let saved_superseded = self.superseded.get(&target).cloned();
        let saved_override = self.overrides.saved(&target);

        let mut unsettled = Unsettled::default();
        self.record(seq, &retraction, retraction_fp, None, &mut unsettled.0);
        self.settle(&mut unsettled.0, Due::Only(topic.iter().cloned().collect()));
        // Stale now: the bodies and the Presidency a retracted meeting reaches (or nothing).
        let stale = unsettled.0 .0.clone();
        self.settle_for(reads, &mut unsettled);
        let answer = f(self);
        // What `settle_for` recomputed, whole or (a body but for its terms) in part.
        let named = Topic::of(reads).into_iter().chain(match reads {
            Event::BodyDiscontinued(d) => d.transfer_to.clone().map(Topic::Body),
            _ => None,
        });
        let recomputed: Vec<Topic> = stale
            .iter()
            .filter(|t| !unsettled.0 .0.contains(t))
            .cloned()
            .chain(named.filter(|t| stale.contains(t)))
            .collect();

        self.applied = applied;
        restore(&mut self.fingerprints, retraction_fp, saved_retraction_fp);
        if let Some(fp) = target_fp {
            restore(&mut self.fingerprints, fp, saved_target_fp);
        }
        restore(&mut self.corrections, seq, saved_correction);
        match saved_event {
            Some(event) => self.effective.insert(target, event),
            None => self.effective.remove(&target),
        };
        restore(&mut self.superseded, target, saved_superseded);
        self.overrides.restore(target, saved_override);
        // The views recomputed above are a function of the restored events: recomputing them
        // restores them. A meeting's view recomputed marks every body due again: only those
        // recomputed above are, the others never changed.
        let mut restoring = Touched::default();
        restoring.0.extend(recomputed.iter().cloned());
        if let Some(topic) = topic {
            restore(&mut self.topics, topic.clone(), saved_topic);
            restoring.0.insert(topic.clone());
            self.settle(
                &mut restoring,
                Due::Only(recomputed.into_iter().chain([topic]).collect()),
            );
        } else {
            self.settle(&mut restoring, Due::Only(recomputed));
        }
        answer
    }

    /// Folds entry `seq`; `fingerprint` is its event's (the caller may have computed it
    /// already, for the duplicate check).
    fn record(
        &mut self,
        seq: Seq,
        event: &Event,
        fingerprint: Fingerprint,
        override_reason: Option<&str>,
        touched: &mut Touched,
    ) {
        self.applied += 1;
        self.fingerprints.entry(fingerprint).or_insert(seq);
        let Event::EntryCorrected(correction) = event else {
            self.set_override(seq, override_reason);
            let kept = self.kept(event);
            self.put(seq, kept, touched);
            return;
        };
        self.corrections.insert(seq, correction.target);
        let target = correction.target;
        let replacement = correction.replacement.as_deref();
        let correctable = target < seq
            && !self.corrections.contains_key(&target)
            && (self.effective.contains_key(&target) || self.superseded.contains_key(&target))
            && !matches!(replacement, Some(Event::EntryCorrected(_)));
        if !correctable {
            return;
        }
        if let Some(old) = self.take(target, touched) {
            self.superseded.entry(target).or_default().push(Superseded {
                event: old,
                by: seq,
                retracted: replacement.is_none(),
            });
        }
        // The correction supplies the effective event now, and with it the override.
        self.set_override(target, override_reason.filter(|_| replacement.is_some()));
        if let Some(replacement) = replacement {
            self.fingerprints
                .entry(event_fingerprint(replacement))
                .or_insert(target);
            let kept = self.kept(replacement);
            self.put(target, kept, touched);
        }
    }

    /// A copy of `event` to keep, its texts shared with the events kept before it.
    fn kept(&mut self, event: &Event) -> Event {
        let mut kept = event.clone();
        kept.share(&mut self.texts.0);
        kept
    }

    fn set_override(&mut self, seq: Seq, reason: Option<&str>) {
        self.overrides.set(seq, reason);
    }

    fn put(&mut self, seq: Seq, event: Event, touched: &mut Touched) {
        if let Some(topic) = Topic::of(&event) {
            // Most events join a topic already known: its key is copied only when it is new.
            match self.topics.get_mut(&topic) {
                Some(seqs) => {
                    seqs.insert(seq);
                }
                None => {
                    self.topics.insert(topic.clone(), BTreeSet::from([seq]));
                }
            }
            touched.0.insert(topic);
        }
        self.effective.insert(seq, event);
    }

    fn take(&mut self, seq: Seq, touched: &mut Touched) -> Option<Event> {
        let event = self.effective.remove(&seq)?;
        let fingerprint = event_fingerprint(&event);
        if self.fingerprints.get(&fingerprint) == Some(&seq) {
            self.fingerprints.remove(&fingerprint);
        }
        if let Some(topic) = Topic::of(&event) {
            if let Some(seqs) = self.topics.get_mut(&topic) {
                seqs.remove(&seq);
                if seqs.is_empty() {
                    self.topics.remove(&topic);
                }
            }
            touched.0.insert(topic);
        }
        Some(event)
    }

    fn events_of<'a>(&'a self, topic: &Topic) -> impl Iterator<Item = (Seq, &'a Event)> + 'a {
        self.topics
            .get(topic)
            .into_iter()
            .flatten()
            .filter_map(|seq| self.effective.get(seq).map(|e| (*seq, e)))
    }

    fn recompute(&mut self, mut touched: Touched) {
        self.settle(&mut touched, Due::All);
    }

    /// Recomputes the touched views: States, institutions and meetings always (they are
    /// small, and bodies depend on meetings), bodies and the Presidency where `wanted` says
    /// so; the others stay in `touched` for later.
    fn settle(&mut self, touched: &mut Touched, due: Due) {
        let mut meetings_changed = false;
        // States, institutions and meetings sort first (the variants' order), so they are
        // found without walking the stale bodies: a batch calls this once per event.
        let small: Vec<Topic> = touched
            .0
            .iter()
            .take_while(|t| {
                matches!(
                    t,
                    Topic::State(_) | Topic::Institution(_) | Topic::Meeting(_)
                )
            })
            .cloned()
            .collect();
        for topic in small {
            touched.0.remove(&topic);
            match &topic {
                Topic::State(code) => {
                    let view = derive::state(code, self.events_of(&topic));
                    replace(&mut self.states, code, view);
                }
                Topic::Institution(code) => {
                    let view = derive::institution(self.events_of(&topic));
                    replace(&mut self.institutions, code, view);
                }
                Topic::Meeting(id) => {
                    let view = derive::meeting(self.events_of(&topic));
                    meetings_changed |= set(&mut self.meetings, id, view);
                }
                Topic::Body(_) | Topic::Presidency => {}
            }
        }
        if meetings_changed {
            // Terms may end at the close of a meeting: every body and the Presidency may change.
            // Most bodies are usually due already (a batch settles them at its end): both sets
            // are in order, so those missing are found walking them side by side, and only
            // they are copied (inserting a copy of every body's key at each meeting was a
            // tenth of a large import).
            let mut due_already = touched
                .0
                .iter()
                .filter(|t| matches!(t, Topic::Body(_)))
                .peekable();
            let mut missing = Vec::new();
            for body in self.topics.keys().filter(|t| matches!(t, Topic::Body(_))) {
                while due_already.next_if(|t| *t < body).is_some() {}
                if due_already.peek() != Some(&body) {
                    missing.push(body.clone());
                }
            }
            touched.0.extend(missing);
            touched.0.insert(Topic::Presidency);
        }
        let due: Vec<Topic> = match due {
            // Every one of them: the set is emptied at once rather than copied.
            Due::All => std::mem::take(&mut touched.0).into_iter().collect(),
            Due::Nothing => Vec::new(),
            Due::Only(wanted) => wanted
                .into_iter()
                .filter(|t| touched.0.contains(t))
                .collect(),
        };
        for topic in due {
            touched.0.remove(&topic);
            match &topic {
                Topic::Body(id) => {
                    // Its terms are taken: the new view reuses those that did not change.
                    let previous = self
                        .bodies
                        .get_mut(id)
                        .map(|b| std::mem::take(&mut b.terms))
                        .unwrap_or_default();
                    let view = derive::body(id, self.events_of(&topic), &self.meetings, previous);
                    replace(&mut self.bodies, id, view);
                }
                Topic::Presidency => {
                    self.presidency = derive::presidency(self.events_of(&topic), &self.meetings);
                }
                Topic::State(_) | Topic::Institution(_) | Topic::Meeting(_) => {}
            }
        }
    }

    // ---- lookups -------------------------------------------------------------------------

    /// The entry that recorded exactly this event (by [`event_fingerprint`]), if one did and
    /// it is still in effect (or is a correction).
    pub fn recorded(&self, event: &Event) -> Option<Seq> {
        self.recorded_as(&event_fingerprint(event))
    }

    /// [`Self::recorded`], given the event's fingerprint.
    pub(crate) fn recorded_as(&self, fingerprint: &Fingerprint) -> Option<Seq> {
        self.fingerprints.get(fingerprint).copied()
    }

    /// The event entry `seq` stands for now: its own, or its latest correction's replacement.
    /// `None` for a retracted entry, a correction, or a seq not folded.
    pub fn effective_event(&self, seq: Seq) -> Option<&Event> {
        self.effective.get(&seq)
    }

    /// Whether entry `seq` is a correction (and which entry it targets).
    pub fn correction_target(&self, seq: Seq) -> Option<Seq> {
        self.corrections.get(&seq).copied()
    }
}

impl Projection {
    /// How many entries have been folded.
    pub fn entries_applied(&self) -> u64 {
        self.applied
    }

    /// The reason recorded for entry `seq`'s event despite a rule finding: the entry's own
    /// override, or, once a correction replaced its event, the correction's. `None` for an
    /// entry recorded without one, a retracted entry, or a correction.
    pub fn override_reason(&self, seq: Seq) -> Option<&str> {
        self.overrides.get(&seq)
    }

    /// What corrections replaced or retracted of entry `seq`, oldest first.
    pub fn superseded(&self, seq: Seq) -> &[Superseded] {
        self.superseded.get(&seq).map_or(&[], Vec::as_slice)
    }

    pub fn body(&self, id: &BodyId) -> Option<&Body> {
        self.bodies.get(id)
    }

    pub fn bodies(&self) -> impl Iterator<Item = &Body> {
        self.bodies.values()
    }

    pub fn state(&self, code: &StateCode) -> Option<&StateParty> {
        self.states.get(code)
    }

    pub fn states(&self) -> impl Iterator<Item = &StateParty> {
        self.states.values()
    }

    /// Joined on or before `on` and not withdrawn on or before `on`.
    pub fn is_state_party(&self, code: &StateCode, on: Date) -> bool {
        self.states.get(code).is_some_and(|s| s.is_party_on(on))
    }

    pub fn meeting(&self, id: &MeetingId) -> Option<&Meeting> {
        self.meetings.get(id)
    }

    /// In order of start.
    pub fn meetings(&self) -> impl Iterator<Item = &Meeting> {
        let mut meetings: Vec<&Meeting> = self.meetings.values().collect();
        meetings.sort_by_key(|m| (m.start, m.seq));
        meetings.into_iter()
    }

    pub fn institution(&self, code: &InstitutionCode) -> Option<&Institution> {
        self.institutions.get(code)
    }

    pub fn institutions(&self) -> impl Iterator<Item = &Institution> {
        self.institutions.values()
    }

    /// Every President's and President-designate's term, in order of start.
    pub fn presidency_terms(&self) -> &[PresidencyTerm] {
        &self.presidency
    }
}

/// Puts back what `map` held at `key` (`None`: nothing).
fn restore<K: Ord, V>(map: &mut BTreeMap<K, V>, key: K, saved: Option<V>) {
    match saved {
        Some(v) => {
            map.insert(key, v);
        }
        None => {
            map.remove(&key);
        }
    }
}

/// Puts or removes a view, without asking whether it changed: comparing a body's view (every
/// term) with the one it replaces cost as much as deriving it, for an answer only meetings need.
fn replace<K: Ord + Clone, V>(map: &mut BTreeMap<K, V>, key: &K, view: Option<V>) {
    match view {
        Some(v) => match map.get_mut(key) {
            Some(slot) => *slot = v,
            None => {
                map.insert(key.clone(), v);
            }
        },
        None => {
            map.remove(key);
        }
    }
}

/// Puts or removes a view; says whether it changed (a changed meeting may end terms).
fn set<K: Ord + Clone, V: PartialEq>(map: &mut BTreeMap<K, V>, key: &K, view: Option<V>) -> bool {
    match view {
        Some(v) => {
            if map.get(key) == Some(&v) {
                return false;
            }
            map.insert(key.clone(), v);
            true
        }
        None => map.remove(key).is_some(),
    }
}

#[cfg(test)]
pub(crate) mod tests;
