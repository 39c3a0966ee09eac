//! A slice of the projection: the views of the keys a draft touches, read from the snapshot's
//! sections, so that a writer validates, judges and writes back what its draft changes at a
//! cost that does not grow with the ledger.
//!
//! What a slice holds, for the [`Keys`] of a draft's events: the shared views (institutions,
//! meetings, the Presidency) and every State (each small, and every election reads one); the
//! shards of events and of fingerprints its events fall in, whole (what the fold of an event
//! and the duplicate check read, and what is written back); the sections of overrides its new
//! entries fall in; the bodies its events name, and the bodies whose findings those can change
//! (a discontinuation's successor and the bodies whose mandate went to a named body: R6; the
//! bodies where a joining or withdrawing State holds seats: R4). The rules judged on a slice
//! are then those of every body a draft can change, measured to the ledger's present kept in
//! the `shared` section.
//!
//! A slice cannot hold a draft that reaches further: a meeting (a term may end at the close of
//! any body's meeting) or a correction (its target may lie anywhere): [`Keys::of`] says so, and
//! the writer reads the whole projection instead.

use super::*;

/// What a draft's events touch, by key, known from the events alone (before any is
/// validated): what a writer reads of the snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keys {
    bodies: BTreeSet<BodyId>,
    /// States that join or withdraw: the bodies where they hold seats are judged again (R4).
    states: BTreeSet<StateCode>,
    /// Every State an event names (an elected State, one replaced, a host).
    named: BTreeSet<StateCode>,
    /// The [`topic_prefix`] of each topic, and the [`fingerprint_prefix`] of each
    /// fingerprint: their shards are those of the snapshot's cut.
    topics: BTreeSet<u32>,
    fingerprints: BTreeSet<u32>,
    /// The States elected: the bodies in which they held a seat may change
    /// (`seats-by-state`).
    seated: BTreeSet<StateCode>,
    /// An establishment, amendment or discontinuation: a body's names or days may change
    /// (`catalogue`, `body-names`).
    cards: bool,
    /// Bodies read only to be judged: the present the draft moves to passes one of their
    /// present days (see [`Kept::watched`]).
    judged: BTreeSet<BodyId>,
    /// The `watch` is read: a body is written (its present days may change) or the draft
    /// moves the present.
    watch: bool,
    /// The draft will be written back: what only writing back needs is read too (the
    /// indexes of names, the catalogue, the watch of a body written).
    writing: bool,
}

impl Keys {
    /// The keys `events` touch; `None` when one of them reaches beyond its keys (a meeting, a
    /// correction): only the whole projection can take them.
    pub fn of<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<Keys> {
        let mut keys = Keys::default();
        for event in events {
            keys.fingerprints
                .insert(fingerprint_prefix(&event_fingerprint(event)));
            let topic = Topic::of(event)?;
            keys.topics.insert(topic_prefix(&topic));
            match event {
                Event::CoordinatorElected(e) => {
                    keys.seated.insert(e.state.clone());
                    keys.named.insert(e.state.clone());
                    keys.named.extend(e.replaces.iter().cloned());
                }
                Event::CoordinatorLeft(e) => {
                    keys.named.insert(e.state.clone());
                }
                Event::PresidentElected(e) | Event::PresidentDesignateElected(e) => {
                    keys.named.insert(e.state.clone());
                }
                // A body established anew may be one whose establishment a correction
                // retracted: its elections and discontinuation come back with it, and bodies
                // may have handed it their mandate. Rare, and only the whole knows.
                Event::BodyEstablished(_) => return None,
                Event::BodyAmended(_) | Event::BodyDiscontinued(_) => {
                    keys.cards = true;
                }
                _ => {}
            }
            match (&topic, event) {
                (Topic::Meeting(_), _) => return None,
                (Topic::Body(id), Event::BodyDiscontinued(d)) => {
                    keys.bodies.insert(id.clone());
                    keys.bodies.extend(d.transfer_to.iter().cloned());
                }
                (Topic::Body(id), _) => {
                    keys.bodies.insert(id.clone());
                }
                (Topic::State(code), _) => {
                    keys.states.insert(code.clone());
                }
                (Topic::Institution(_) | Topic::Presidency, _) => {}
            }
        }
        Some(keys)
    }

    /// These keys, with `bodies` read too, to be judged.
    pub fn judging(mut self, bodies: impl IntoIterator<Item = BodyId>) -> Keys {
        self.judged.extend(bodies);
        self
    }

    /// These keys, for a draft that will be written back (`true`) or only looked at.
    pub fn writing(mut self, writing: bool) -> Keys {
        self.writing = writing;
        self
    }

    /// These keys, with the `watch` read (the draft moves the present).
    pub fn watching(mut self) -> Keys {
        self.watch = true;
        self
    }

    /// Whether the `watch` is read with these keys.
    pub fn watches(&self) -> bool {
        self.watch || (self.writing && !self.bodies.is_empty())
    }
}

/// The views of some keys, read from a snapshot ([`Slice::read`]): a projection that holds only
/// them, and what writing back the sections over the whole ledger needs of those it left out.
/// Its projection is the base of one draft; nothing else may ask it a question.
pub struct Slice {
    views: Fold,
    kept: Kept,
}

/// What a slice keeps of the snapshot it was read from, to write its draft's changes back:
/// the sections over every body (patched for the bodies the slice holds) and the ledger's
/// present.
pub struct Kept {
    horizon: Date,
    /// What the draft's keys may change of the sections over the whole ledger.
    keys: Keys,
    states: Vec<u8>,
    state_names: Vec<u8>,
    /// The bodies the slice holds.
    held: BTreeSet<BodyId>,
    /// Each held body's bodies whose mandate moved to it, as its section had them.
    received: BTreeMap<BodyId, Vec<BodyId>>,
    /// The States seated in the held bodies before the draft.
    seated_before: BTreeSet<StateCode>,
    /// The shards of `seats-by-state` of the States that join, withdraw or are elected.
    seats_by_state: BTreeMap<usize, Vec<u8>>,
    /// The `watch`: every body's present days from the window's start on, in order (read
    /// only where [`Keys::watches`]: else empty).
    watch: Vec<(Date, BodyId)>,
    /// Read only where the keys may change it (`Keys::cards`, `Keys::seats`): else empty.
    catalogue: Vec<BodyCard>,
    body_names: Vec<u8>,
}

impl Slice {
    /// The slice of the snapshot whose sections `section` gives for `keys`, before `new`
    /// more entries are drafted onto it. `None`: a section it needs is missing or damaged.
    pub fn read(
        section: &mut Sections<'_>,
        exists: &dyn Fn(&str) -> bool,
        keys: &Keys,
        new: u64,
    ) -> Option<Slice> {
        let (shared, horizon) = Projection::shared_at(section)?;
        let mut views = Fold {
            views: shared,
            ..Fold::default()
        };
        // The draft's entries would pass a threshold of the cut: every shard is cut again,
        // which only the whole projection can write.
        let cut = Cut::of(views.applied);
        if Cut::of(views.applied + new) != cut {
            return None;
        }
        let topic_shards: BTreeSet<u32> = keys.topics.iter().map(|p| cut.shard(*p)).collect();
        for shard in topic_shards {
            for (topic, events) in read_topics(section, cut, shard)? {
                views
                    .topics
                    .insert(topic, events.iter().map(|(seq, _)| *seq).collect());
                views.effective.extend(events);
            }
        }
        let fingerprint_shards: BTreeSet<u32> =
            keys.fingerprints.iter().map(|p| cut.shard(*p)).collect();
        for shard in fingerprint_shards {
            views
                .fingerprints
                .extend(read_fingerprints(section, cut, shard)?);
        }
        // The sections the new entries' overrides go to, as far as they exist already.
        let kept_sections = views.applied.div_ceil(OVERRIDES_PER_SECTION);
        let first = views.applied / OVERRIDES_PER_SECTION;
        let last = (views.applied + new.max(1) - 1) / OVERRIDES_PER_SECTION;
        for n in (first..=last).filter(|n| *n < kept_sections) {
            let from = Seq(n * OVERRIDES_PER_SECTION);
            let overrides: Vec<(Seq, String)> = decode(&section(&overrides_section(from))?)?;
            views.overrides.extend(overrides);
        }
        let read_if = |wanted: bool, name: &str, section: &mut Sections<'_>| match wanted {
            true => section(name),
            false => Some(Vec::new()),
        };
        let mut kept = Kept {
            horizon,
            keys: keys.clone(),
            states: section(STATES)?,
            state_names: read_if(
                keys.writing && !keys.states.is_empty(),
                STATE_NAMES,
                section,
            )?,
            watch: match keys.watches() {
                true => decode(&section(WATCH)?)?,
                false => Vec::new(),
            },
            held: BTreeSet::new(),
            received: BTreeMap::new(),
            seated_before: BTreeSet::new(),
            catalogue: Vec::new(),
            body_names: read_if(keys.writing && keys.cards, BODY_NAMES, section)?,
            seats_by_state: BTreeMap::new(),
        };
        for code in keys.states.iter().chain(&keys.seated) {
            let shard = state_shard(code);
            if let std::collections::btree_map::Entry::Vacant(slot) =
                kept.seats_by_state.entry(shard)
            {
                let bytes = section(&seats_shard_section(shard))?;
                Keyed::open(&bytes)?;
                slot.insert(bytes);
            }
        }
        if keys.writing && keys.cards {
            kept.catalogue = decode(&section(CATALOGUE)?)?;
        }
        for bytes in [&kept.state_names, &kept.body_names] {
            if !bytes.is_empty() {
                Keyed::open(bytes)?;
            }
        }
        // Every body a slice reads exists: the events it takes name bodies that do (else they
        // are refused, and the whole words why), and the others come from its sections. One
        // without a section is damage, which only a fold reads past.
        let exists = |id: &BodyId| exists(&body_section(id));
        // The bodies named, then those whose findings they can change.
        let mut context: BTreeSet<BodyId> = keys.judged.clone();
        if !keys.bodies.iter().all(exists) {
            return None;
        }
        for id in &keys.bodies {
            let received = views.read_body(section, id, None)?;
            context.extend(received.iter().cloned());
            context.extend(views.bodies.get(id)?.transfer_to().cloned());
            kept.received.insert(id.clone(), received);
        }
        for code in &keys.states {
            let shard = &kept.seats_by_state[&state_shard(code)];
            if let Some(held) = Keyed::open(shard)?.get(code.as_str().as_bytes()) {
                context.extend(decode::<Vec<BodyId>>(held)?);
            }
        }
        if !context.iter().all(exists) {
            return None;
        }
        for id in &context {
            if !kept.received.contains_key(id) {
                let received = views.read_body(section, id, None)?;
                kept.received.insert(id.clone(), received);
            }
        }
        kept.held = views.bodies.keys().cloned().collect();
        kept.seated_before = views
            .bodies
            .values()
            .flat_map(Body::seated)
            .cloned()
            .collect();
        // The States the draft and the rules read: those its events name, those seated in
        // the bodies held (R4), those of the Presidency (R4, R8).
        let states = Keyed::open(&kept.states)?;
        let wanted = keys
            .states
            .iter()
            .chain(&keys.named)
            .chain(&kept.seated_before)
            .chain(views.views.presidency.iter().map(|t| &t.state));
        for code in wanted {
            if views.views.states.contains_key(code) {
                continue;
            }
            if let Some(value) = states.get(code.as_str().as_bytes()) {
                let state: StateParty = decode(value)?;
                if state.code != *code {
                    return None;
                }
                views.views.states.insert(code.clone(), state);
            }
        }
        Some(Slice { views, kept })
    }

    /// The override reasons of the entries `seqs` that have one, read from the sections that
    /// hold them. `None`: one of those sections is missing or damaged.
    pub fn overrides_of(
        section: &mut Sections<'_>,
        seqs: impl IntoIterator<Item = Seq>,
    ) -> Option<BTreeMap<Seq, String>> {
        let wanted: BTreeSet<Seq> = seqs.into_iter().collect();
        let sections: BTreeSet<u64> = wanted.iter().map(|s| s.0 / OVERRIDES_PER_SECTION).collect();
        let mut found = BTreeMap::new();
        for n in sections {
            let name = overrides_section(Seq(n * OVERRIDES_PER_SECTION));
            let overrides: Vec<(Seq, String)> = decode(&section(&name)?)?;
            found.extend(
                overrides
                    .into_iter()
                    .filter(|(seq, _)| wanted.contains(seq)),
            );
        }
        Some(found)
    }

    /// The slice's views, as the base of a draft, and what writing it back needs.
    pub fn into_parts(self) -> (Fold, Kept) {
        (self.views, self.kept)
    }
}

impl Kept {
    /// The ledger's present when the slice was read ([`Projection::horizon`] of the whole).
    pub fn horizon(&self) -> Date {
        self.horizon
    }

    /// The bodies the slice does not hold whose findings may change when the present moves
    /// from [`Self::horizon`] to `to`, with tolerances up to `tolerance` days: those with a
    /// present day from (present − tolerance − 1) to `to`. `None`: the tolerance is beyond
    /// what the `watch` keeps ([`WATCH_WINDOW_DAYS`]).
    pub fn watched(&self, to: Date, tolerance: i64) -> Option<BTreeSet<BodyId>> {
        if tolerance.saturating_add(1) >= WATCH_WINDOW_DAYS || !self.keys.watches() {
            return None;
        }
        let from = self.horizon.add_days(-tolerance - 1);
        let start = self.watch.partition_point(|(d, _)| *d < from);
        Some(
            self.watch[start..]
                .iter()
                .take_while(|(d, _)| *d <= to)
                .filter(|(_, id)| !self.held.contains(id))
                .map(|(_, id)| id.clone())
                .collect(),
        )
    }

    /// Whether the ledger's present moves with `after` (the slice's views with a draft
    /// applied): then open terms and vacancies of bodies the slice does not hold may grow
    /// into findings, and only the whole projection can judge the draft.
    pub fn horizon_after(&self, after: &Fold) -> Date {
        self.horizon.max(after.horizon())
    }

    /// Writes what [`Projection::write_changed`] writes for the whole projection with
    /// `changes`, from `after` (the slice's views with the draft applied): the sections of
    /// every State (the slice holds them all), the shards and bodies `changes` reaches (held
    /// whole), and the sections over every body patched where the held bodies changed them.
    pub fn write_changed(
        &self,
        after: &Fold,
        changes: &Changes,
        out: &mut dyn SectionSink,
    ) -> io::Result<()> {
        assert!(!changes.every_body, "a slice holds no draft with a meeting");
        assert!(
            self.keys.writing,
            "a slice read to look at is not written back"
        );
        if !self.keys.states.is_empty() {
            self.write_states(after, out)?;
        }
        if !self.keys.seated.is_empty() {
            self.write_seats_by_state(after, out)?;
        }
        if self.keys.cards {
            self.write_body_names(after, out)?;
            let mut catalogue: Vec<&BodyCard> = self
                .catalogue
                .iter()
                .filter(|c| !self.held.contains(&c.id))
                .collect();
            let fresh: Vec<BodyCard> = after.bodies.values().map(BodyCard::of).collect();
            catalogue.extend(&fresh);
            catalogue.sort_by(|a, b| a.id.cmp(&b.id));
            out.section(CATALOGUE, &mut |w| encode_into(w, &catalogue))?;
        }
        let horizon = self.horizon_after(after);
        after.write_shared(horizon, out)?;
        if !self.keys.watches() {
            // Neither a body written nor the present moved: the watch is as it was.
            debug_assert_eq!(horizon, self.horizon);
            after.write_shards(changes, out)?;
            return self.write_bodies(after, changes, out);
        }
        // The watch: the entries of every body held made again at the present (a body judged
        // because the present passed one of its days has others now), those before the
        // window of the present dropped.
        let from = horizon.add_days(-WATCH_WINDOW_DAYS);
        let held = |id: &BodyId| self.held.contains(id) || after.bodies.contains_key(id);
        let mut watch: Vec<(Date, BodyId)> = self
            .watch
            .iter()
            .filter(|(d, id)| *d >= from && !held(id))
            .cloned()
            .collect();
        for body in after.bodies.values() {
            watch.extend(watched(body, horizon));
        }
        watch.sort();
        watch.dedup();
        out.section(WATCH, &mut |w| encode_into(w, &watch))?;
        after.write_shards(changes, out)?;
        self.write_bodies(after, changes, out)
    }

    /// The sections of the bodies `changes` reaches, with the mandates each received.
    fn write_bodies(
        &self,
        after: &Fold,
        changes: &Changes,
        out: &mut dyn SectionSink,
    ) -> io::Result<()> {
        // Each body's bodies whose mandate moved to it: those the slice holds, as they stand
        // now, and the others as its section had them.
        let mut received: BTreeMap<&BodyId, Vec<&BodyId>> = BTreeMap::new();
        for (id, from) in &self.received {
            let others = from.iter().filter(|b| !after.bodies.contains_key(*b));
            received.entry(id).or_default().extend(others);
        }
        for body in after.bodies.values() {
            if let Some(to) = body.transfer_to() {
                received.entry(to).or_default().push(&body.id);
            }
        }
        for list in received.values_mut() {
            list.sort();
        }
        let corrected = after.corrected_by_body();
        let none = Vec::new();
        after.write_bodies(
            changes.bodies.iter(),
            &corrected,
            |id| received.get(id).unwrap_or(&none),
            out,
        )
    }

    /// The shards of `seats-by-state` of the States elected, with each one's list made again:
    /// its bodies the slice does not hold, as they were, and those it holds where the State
    /// has a term now. (Only an election seats a State in a body; a slice takes no event that
    /// unseats one.)
    fn write_seats_by_state(&self, after: &Fold, out: &mut dyn SectionSink) -> io::Result<()> {
        let mut by_shard: BTreeMap<usize, BTreeMap<&[u8], Vec<u8>>> = BTreeMap::new();
        for code in &self.keys.seated {
            let shard = state_shard(code);
            let old = Keyed::open(&self.seats_by_state[&shard]).expect("checked when read");
            let was: Vec<BodyId> = old
                .get(code.as_str().as_bytes())
                .and_then(decode)
                .unwrap_or_default();
            let mut bodies: BTreeSet<&BodyId> = was
                .iter()
                .filter(|b| !self.held.contains(*b) && !after.bodies.contains_key(*b))
                .collect();
            for body in after.bodies.values() {
                if body.seated().any(|s| s == code) {
                    bodies.insert(&body.id);
                }
            }
            let bodies: Vec<&BodyId> = bodies.into_iter().collect();
            by_shard
                .entry(shard)
                .or_default()
                .insert(code.as_str().as_bytes(), encode_vec(&bodies));
        }
        for (shard, changed) in &by_shard {
            let old = Keyed::open(&self.seats_by_state[shard]).expect("checked when read");
            out.section(&seats_shard_section(*shard), &mut |w| {
                patch_keyed(w, &old, changed, |value| value.is_empty() || value == [0u8])
            })?;
        }
        Ok(())
    }

    /// `states` and `state-names`, with the States that joined or withdrew put in. A State's
    /// name index is patched like a body's ([`Self::write_body_names`]) unless a State took
    /// another name: then it is made again from every State.
    fn write_states(&self, after: &Fold, out: &mut dyn SectionSink) -> io::Result<()> {
        let old = Keyed::open(&self.states).expect("checked when read");
        let mut renamed = false;
        let mut changed: BTreeMap<&[u8], Vec<u8>> = BTreeMap::new();
        for code in &self.keys.states {
            let Some(state) = after.states.get(code) else {
                continue;
            };
            let before: Option<StateParty> = old.get(code.as_str().as_bytes()).and_then(decode);
            renamed |= before.is_some_and(|b| b.name != state.name);
            changed.insert(code.as_str().as_bytes(), encode_vec(state));
        }
        out.section(STATES, &mut |w| patch_keyed(w, &old, &changed, |_| false))?;
        let names = Keyed::open(&self.state_names).expect("checked when read");
        if renamed {
            let mut every: BTreeMap<StateCode, StateParty> = BTreeMap::new();
            for i in 0..old.count {
                let (_, value) = old.record(i);
                let state: StateParty = decode(value).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidData, "a damaged State's record")
                })?;
                every.insert(state.code.clone(), state);
            }
            for code in &self.keys.states {
                if let Some(state) = after.states.get(code) {
                    every.insert(code.clone(), state.clone());
                }
            }
            let index = names_index(
                every
                    .values()
                    .map(|s| (s.code.as_str(), vec![s.name.as_str()])),
            );
            return out.section(STATE_NAMES, &mut |w| write_names(w, &index));
        }
        let named = self.keys.states.iter().filter_map(|code| {
            let state = after.states.get(code)?;
            Some((code.as_str(), vec![state.name.as_str()]))
        });
        let changed = added_names(&names, named);
        let changed: BTreeMap<&[u8], Vec<u8>> = changed
            .iter()
            .map(|(k, v)| (k.as_slice(), v.clone()))
            .collect();
        out.section(STATE_NAMES, &mut |w| {
            patch_keyed(w, &names, &changed, |_| false)
        })
    }

    /// `body-names`, with the names of the held bodies added: a name no body had points at
    /// its body, one another body has too points at none (`""`). Names are only ever added by
    /// the events a slice takes (a correction could take one away: it never comes here).
    fn write_body_names(&self, after: &Fold, out: &mut dyn SectionSink) -> io::Result<()> {
        let old = Keyed::open(&self.body_names).expect("checked when read");
        let named = after
            .bodies
            .values()
            .map(|b| (b.id.as_str(), b.names().collect()));
        let changed = added_names(&old, named);
        let changed: BTreeMap<&[u8], Vec<u8>> = changed
            .iter()
            .map(|(k, v)| (k.as_slice(), v.clone()))
            .collect();
        out.section(BODY_NAMES, &mut |w| {
            patch_keyed(w, &old, &changed, |_| false)
        })
    }
}

/// The records an index of names (`old`, as [`names_index`] makes it) takes for the names of
/// `candidates` (each an id and its names) added: a name no candidate had points at the one
/// that has it, a name two candidates have points at none (`""`).
fn added_names<'a>(
    old: &Keyed<'_>,
    candidates: impl Iterator<Item = (&'a str, Vec<&'a str>)>,
) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut changed: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    for (id, names) in candidates {
        for name in std::iter::once(id).chain(names) {
            let key = folded(name).into_bytes();
            let now = changed
                .get(&key)
                .map(Vec::as_slice)
                .or_else(|| old.get(&key));
            let value = match now {
                None => id.as_bytes().to_vec(),
                Some(found) if found == id.as_bytes() => continue,
                Some(_) => Vec::new(),
            };
            changed.insert(key, value);
        }
    }
    changed
}

/// A keyed section `old` with the records of `changed` put in (replacing those of the same
/// key; dropped where `gone` says of the new value), written as a keyed section.
fn patch_keyed(
    w: &mut dyn Write,
    old: &Keyed<'_>,
    changed: &BTreeMap<&[u8], Vec<u8>>,
    gone: impl Fn(&[u8]) -> bool,
) -> io::Result<()> {
    let mut merged: Vec<(&[u8], &[u8])> = Vec::with_capacity(old.count + changed.len());
    let mut news = changed.iter().peekable();
    for i in 0..old.count {
        let (key, value) = old.record(i);
        while let Some((k, v)) = news.next_if(|(k, _)| **k < key) {
            merged.push((k, v.as_slice()));
        }
        match news.next_if(|(k, _)| **k == key) {
            Some((k, v)) => merged.push((k, v.as_slice())),
            None => merged.push((key, value)),
        }
    }
    merged.extend(news.map(|(k, v)| (*k, v.as_slice())));
    merged.retain(|(_, v)| !gone(v));
    write_keyed(w, merged.into_iter())
}
