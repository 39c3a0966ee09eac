//! The projection kept as snapshot sections, and read back whole or in part.
//!
//! A query about one body, one State or one day needs a small part of the projection of a
//! large ledger; the snapshot is cut so that it can read just that part, and look up what it
//! needs in a section without decoding the rest of it:
//!
//! - `shared`: the small views every question reads (entries applied, institutions, meetings,
//!   the Presidency);
//! - `states/XX`: every State, by code, in 256 shards by State (a lookup reads one);
//! - `body-names`, `state-names/XX`: every id, code and name in lower case → the body or
//!   State it finds exactly (what `resolve_body` and `resolve_state` would find first); the
//!   State names in 256 shards by name;
//! - `catalogue`: every body's id, names, and the days it came into and went out of force (to
//!   pick the bodies in force on a day, and to suggest near names);
//! - `seats-by-state/XX`: the bodies in which each State held a seat, by code, in 256 shards;
//! - `body/ID`: one per body, its view (each term encoded apart, after the days it holds, so
//!   that a question about one day decodes only the terms that hold then), the elections to it
//!   that corrections replaced or retracted, and the bodies whose mandate moved to it;
//! - `overrides`, `superseded`, `events`: what only whole-ledger commands and validation read.
//!
//! A section of records by key (`states/XX`, the names, `seats-by-state/XX`) is `count u32 LE ‖
//! offset u32 LE of each record ‖ records`, each `key length u32 LE ‖ key ‖ value`, in order
//! of key: a reader finds one by binary search. Everything else is bincode (standard).

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::ledger::SectionSink;

use super::resolve::{folded, resolve_body_among, resolve_state_among};
use super::*;

mod part;
mod slice;
pub use part::{Part, Views};
pub use slice::{Kept, Keys, Slice};

const SHARED: &str = "shared";
const BODY_NAMES: &str = "body-names";
const CATALOGUE: &str = "catalogue";
/// The bodies in which each State held a seat, cut into 256 shards by State (`seats-by-state/XX`):
/// at 10^6 events the whole index is ~27 MB, and a write reads and writes the shards of the
/// States it seats.
pub fn seats_section(code: &StateCode) -> String {
    format!("seats-by-state/{:02x}", state_shard(code))
}

/// The shard of a State's seats: the first byte of the blake3 of its code.
fn state_shard(code: &StateCode) -> usize {
    blake3::hash(code.as_str().as_bytes()).as_bytes()[0] as usize
}

fn seats_shard_section(shard: usize) -> String {
    format!("seats-by-state/{shard:02x}")
}

/// Every State, by code, cut into 256 shards by State as `seats-by-state` is (`states/XX`):
/// a write of one State reads and writes its shard, not the 0.45 MB of 10 000 States.
fn states_section(shard: usize) -> String {
    format!("states/{shard:02x}")
}

/// The index of State names, cut into 256 shards by name (`state-names/XX`, XX the first
/// byte of the blake3 of the name in lower case).
fn state_names_section(shard: usize) -> String {
    format!("state-names/{shard:02x}")
}

/// The `states/XX` section that holds the State of `code`.
pub fn state_section(code: &StateCode) -> String {
    states_section(state_shard(code))
}

/// The `state-names/XX` section a State's name or code (`name`) falls in.
pub fn state_names_section_of(name: &str) -> String {
    state_names_section(name_shard(folded(name).as_bytes()))
}

/// The shard of a key of the index of State names.
fn name_shard(key: &[u8]) -> usize {
    blake3::hash(key).as_bytes()[0] as usize
}

/// The `states/XX` shards, read as a question needs them, each once.
#[derive(Default)]
struct StateShards {
    read: BTreeMap<usize, Vec<u8>>,
}

impl StateShards {
    /// The shard holding `code`, read if it was not. `None`: missing or damaged.
    fn shard(&mut self, section: &mut Sections<'_>, shard: usize) -> Option<Keyed<'_>> {
        if let std::collections::btree_map::Entry::Vacant(slot) = self.read.entry(shard) {
            let bytes = section(&states_section(shard))?;
            Keyed::open(&bytes)?;
            slot.insert(bytes);
        }
        Keyed::open(&self.read[&shard])
    }

    /// The State of `code`, if there is one (`None`: its shard is missing or damaged).
    fn get(&mut self, section: &mut Sections<'_>, code: &StateCode) -> Option<Option<StateParty>> {
        let shard = self.shard(section, state_shard(code))?;
        match shard.get(code.as_str().as_bytes()) {
            None => Some(None),
            Some(value) => {
                let state: StateParty = decode(value)?;
                (state.code == *code).then_some(Some(state))
            }
        }
    }

    /// Every State, in order of code. `None`: a shard is missing, damaged, or holds a State
    /// of another.
    fn every(section: &mut Sections<'_>) -> Option<BTreeMap<StateCode, StateParty>> {
        let mut states = BTreeMap::new();
        for shard in 0..SHARDS {
            let bytes = section(&states_section(shard))?;
            for value in Keyed::open(&bytes)?.values() {
                let state: StateParty = decode(value)?;
                if state_shard(&state.code) != shard {
                    return None;
                }
                states.insert(state.code.clone(), state);
            }
        }
        Some(states)
    }
}
const SUPERSEDED: &str = "superseded";
const CORRECTIONS: &str = "corrections";
const WATCH: &str = "watch";

/// How far before the ledger's present the `watch` keeps a body's present days
/// ([`Body::present_days`]): a writer whose present moves judges again every body with one
/// from (old present − tolerance − 1) on, so a tolerance of up to this many days less one is
/// served by a slice (the defaults are 60 and 90).
pub const WATCH_WINDOW_DAYS: i64 = 366;

/// The `watch` entries of `body` for a ledger whose present is `horizon`: its present days
/// from the window's start on, each with its id.
fn watched(body: &Body, horizon: Date) -> impl Iterator<Item = (Date, BodyId)> + '_ {
    let from = horizon.add_days(-WATCH_WINDOW_DAYS);
    body.present_days(horizon)
        .filter(move |d| *d >= from)
        .map(|d| (d, body.id.clone()))
}

fn body_section(id: &BodyId) -> String {
    format!("body/{id}")
}

/// How many shards `seats-by-state` is cut into.
const SHARDS: usize = 256;

/// How finely the effective events (by topic) and the fingerprints are cut: into 16^`digits`
/// shards (`topics/` and two hex digits for 256 of them, three for 4096, four for 65,536),
/// `digits` growing with the entries applied so that a shard holds about
/// [`EVENTS_PER_SHARD`] events at most on average. A write rewrites the shards its events
/// fall in: their size, not the ledger's, is what it costs. The write whose entries pass a
/// threshold (2^18, 2^22 entries) cuts every shard again, once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cut {
    digits: u32,
}

/// The events a shard holds at most on average, before the next cut (16 times finer), and
/// the fewest digits.
const EVENTS_PER_SHARD: u64 = 1024;
const FEWEST_DIGITS: u32 = 2;

#[cfg(test)]
thread_local! {
    /// Set by a unit test on its own thread: the cut is then as fine as it can be (16 shards
    /// up to 16 entries, 256 up to 256, …), so that ledgers of a few dozen entries pass a
    /// threshold.
    pub(crate) static FINEST_CUT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// [`EVENTS_PER_SHARD`] and [`FEWEST_DIGITS`], or, in a unit test that asks, the finest cut.
fn cut_thresholds() -> (u64, u32) {
    #[cfg(test)]
    if FINEST_CUT.with(std::cell::Cell::get) {
        return (1, 1);
    }
    (EVENTS_PER_SHARD, FEWEST_DIGITS)
}

impl Cut {
    /// The cut of a projection of `applied` entries: 256 shards up to 2^18 entries, 4096 up
    /// to 2^22, and so on.
    pub(super) fn of(applied: u64) -> Cut {
        let (per_shard, fewest) = cut_thresholds();
        let mut digits = fewest;
        while digits < 8 && applied > per_shard << (4 * digits) {
            digits += 1;
        }
        Cut { digits }
    }

    /// The shard of a key whose hash starts with `prefix` (its first four bytes, big end
    /// first): its first `digits` hex digits.
    fn shard(self, prefix: u32) -> u32 {
        prefix >> (32 - 4 * self.digits)
    }

    fn count(self) -> u32 {
        1 << (4 * self.digits)
    }

    fn all(self) -> impl Iterator<Item = u32> {
        0..self.count()
    }

    /// The smallest fingerprint in `shard`.
    fn first_of(self, shard: u32) -> Fingerprint {
        let mut from: Fingerprint = [0; 32];
        from[..4].copy_from_slice(&(shard << (32 - 4 * self.digits)).to_be_bytes());
        from
    }

    fn topics_section(self, shard: u32) -> String {
        format!("topics/{shard:0width$x}", width = self.digits as usize)
    }

    fn fingerprints_section(self, shard: u32) -> String {
        format!(
            "fingerprints/{shard:0width$x}",
            width = self.digits as usize
        )
    }
}

/// The first four bytes of a hash, big end first: what [`Cut::shard`] cuts by.
fn prefix(hash: &[u8]) -> u32 {
    u32::from_be_bytes(hash[..4].try_into().expect("a hash has four bytes"))
}

/// What a topic's shard is cut by: the blake3 of its bincode, so that a topic always lies in
/// the same shard, and the shards are about even.
fn topic_prefix(topic: &Topic) -> u32 {
    prefix(blake3::hash(&encode_vec(topic)).as_bytes())
}

/// What a fingerprint's shard is cut by.
fn fingerprint_prefix(fingerprint: &Fingerprint) -> u32 {
    prefix(fingerprint)
}

/// How many entries' override reasons an `overrides/N` section holds (entries N × this on).
const OVERRIDES_PER_SECTION: u64 = 8192;

fn overrides_section(seq: Seq) -> String {
    format!("overrides/{:08}", seq.0 / OVERRIDES_PER_SECTION)
}

/// Every `overrides/N` section of a projection of `applied` entries (one at least).
fn override_sections(applied: u64) -> impl Iterator<Item = Seq> {
    (0..=applied.saturating_sub(1) / OVERRIDES_PER_SECTION).map(|n| Seq(n * OVERRIDES_PER_SECTION))
}

/// What a write changed, by key: the sections to write again are those it reaches (see
/// [`Projection::write_changed`]). Kept as shards and bodies, so it stays small however
/// large the write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// The [`topic_prefix`] of each topic changed, and the [`fingerprint_prefix`] of each
    /// fingerprint: cut into shards when written, by the cut of the projection then.
    topics: BTreeSet<u32>,
    fingerprints: BTreeSet<u32>,
    /// Every shard is written (a snapshot written whole).
    every_shard: bool,
    /// The first entry noted: the projection had that many entries applied before; when its
    /// cut differs from the one written, every shard is cut again.
    first: Option<u64>,
    override_sections: BTreeSet<u64>,
    bodies: BTreeSet<BodyId>,
    /// A meeting changed: every body's terms may have.
    every_body: bool,
}

impl Changes {
    /// Notes what folding `event` as entry `seq` may change, on `after` (the projection with
    /// it folded): its topic, its fingerprint and its entry's override; a correction's target
    /// (every event it ever held: their topics and fingerprints); a discontinuation's
    /// successor (the bodies whose mandate moved to it).
    pub fn note(&mut self, seq: Seq, event: &Event, after: &Fold) {
        self.first = Some(self.first.map_or(seq.0, |f| f.min(seq.0)));
        self.override_sections.insert(seq.0 / OVERRIDES_PER_SECTION);
        self.fingerprint(event);
        match event {
            Event::EntryCorrected(c) => {
                self.override_sections
                    .insert(c.target.0 / OVERRIDES_PER_SECTION);
                let held = after
                    .effective_event(c.target)
                    .into_iter()
                    .chain(after.superseded(c.target).iter().map(|s| &s.event))
                    .chain(c.replacement.as_deref());
                for old in held {
                    self.fingerprint(old);
                    self.topic(old, Some(after));
                }
            }
            // An establishment may bring back a body whose establishment was retracted, with
            // its discontinuation: its successor is written again too.
            Event::BodyEstablished(_) => self.topic(event, Some(after)),
            other => self.topic(other, None),
        }
    }

    fn fingerprint(&mut self, event: &Event) {
        self.fingerprints
            .insert(fingerprint_prefix(&event_fingerprint(event)));
    }

    /// The cut the shards were in before the first entry noted, if it is not `now`: every
    /// shard is then cut again (and those of that cut go).
    fn cut_before(&self, now: Cut) -> Option<Cut> {
        self.first.map(Cut::of).filter(|before| *before != now)
    }

    /// `corrected`: the projection after a correction that replaced or retracted `event`, or
    /// after `event` established a body (which may be one that comes back).
    fn topic(&mut self, event: &Event, corrected: Option<&Fold>) {
        let Some(topic) = Topic::of(event) else {
            return;
        };
        self.topics.insert(topic_prefix(&topic));
        match (&topic, event) {
            (Topic::Meeting(_), _) => self.every_body = true,
            (Topic::Body(id), _) => {
                self.bodies.insert(id.clone());
                // The bodies it hands its mandate to, by this event or, when a correction
                // took this one away, by one of its own that stays (a retracted
                // establishment takes the body away, and with it what the successor lists
                // as received).
                if let Event::BodyDiscontinued(d) = event {
                    self.bodies.extend(d.transfer_to.iter().cloned());
                }
                let stays = corrected
                    .into_iter()
                    .flat_map(|after| after.events_of(&topic));
                for (_, own) in stays {
                    if let Event::BodyDiscontinued(d) = own {
                        self.bodies.extend(d.transfer_to.iter().cloned());
                    }
                }
            }
            _ => {}
        }
    }
}

/// Reads a named section of a snapshot: its bytes, checked, or `None`.
pub type Sections<'a> = dyn FnMut(&str) -> Option<Vec<u8>> + 'a;

/// Enough of a body to pick it for a day and to suggest it for a name, without its terms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct BodyCard {
    id: BodyId,
    /// Every name it has had, the first first (as [`Body::names`]).
    names: Vec<String>,
    established: Date,
    discontinued: Option<Date>,
}

impl BodyCard {
    fn of(body: &Body) -> BodyCard {
        BodyCard {
            id: body.id.clone(),
            names: body.names().map(str::to_owned).collect(),
            established: body.established.effective,
            discontinued: body.discontinued.as_ref().map(|d| d.effective),
        }
    }

    /// As [`Body::in_force_on`].
    fn in_force_on(&self, on: Date) -> bool {
        self.established <= on && self.discontinued.is_none_or(|d| d > on)
    }
}

/// What a projection read in part knows besides its views: how it resolved the name its
/// question gave (the whole catalogue of names is not in its views).
#[derive(Clone, Debug, Default, PartialEq)]
struct Resolved {
    body: Option<Result<BodyId, Unknown>>,
    state: Option<Result<StateCode, Unknown>>,
}

/// A question, by what it needs of the projection. A projection read for a question
/// ([`Projection::read_part`]) answers it exactly as the whole projection does, and nothing
/// else is promised of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Question {
    /// `who BODY`: `resolve_body(BODY)`, then `holders_on` that body on any day.
    Holders(String),
    /// `history --body BODY`: `resolve_body(BODY)`, then `body_history`.
    BodyHistory(String),
    /// `history --state STATE`: `resolve_state(STATE)`, then `state_history`.
    StateHistory(String),
    /// `state --on DAY`, `committee --on DAY`: `state_on(DAY)`, `committee_on(DAY)`,
    /// `presidency_on(DAY)`.
    InForceOn(Date),
}

#[derive(Serialize)]
struct SharedOut<'a> {
    applied: u64,
    horizon: Date,
    institutions: &'a BTreeMap<InstitutionCode, Institution>,
    meetings: &'a BTreeMap<MeetingId, Meeting>,
    presidency: &'a Vec<PresidencyTerm>,
}

#[derive(Deserialize)]
struct SharedIn {
    applied: u64,
    horizon: Date,
    institutions: BTreeMap<InstitutionCode, Institution>,
    meetings: BTreeMap<MeetingId, Meeting>,
    presidency: Vec<PresidencyTerm>,
}

/// The elections to a body that corrections replaced or retracted, by the entry corrected:
/// kept with the body, for its history.
type Corrected = Vec<(Seq, Superseded)>;

/// A body's section: its view without its terms ([`BodyHead`]), its corrected elections, the
/// bodies whose mandate moved to it, then each term's start and end (to pick the terms that
/// hold on a day) and the term itself, encoded apart: what [`write_body`] writes.
type BodyIn<'a> = (Body, Corrected, Vec<BodyId>, Vec<TermDays>, Vec<&'a [u8]>);
type TermDays = (Date, Option<Date>);

/// A [`Body`] without its terms, by reference: encodes exactly as the body with no terms
/// (a body's section is written without cloning the body).
#[derive(Serialize)]
struct BodyHead<'a> {
    id: &'a BodyId,
    established: &'a Establishment,
    changes: &'a [BodyChange],
    discontinued: &'a Option<Discontinuation>,
    terms: &'a [Term],
}

impl<'a> BodyHead<'a> {
    fn of(body: &'a Body) -> BodyHead<'a> {
        // Every field named: a field added to `Body` must be added here.
        let Body {
            id,
            established,
            changes,
            discontinued,
            terms: _,
        } = body;
        BodyHead {
            id,
            established,
            changes,
            discontinued,
            terms: &[],
        }
    }
}

/// A body's section ([`BodyIn`]), piece by piece: bincode encodes a tuple as its fields one
/// after another, and a sequence as its length then its items (each term: its length and
/// bytes, encoded first in `term`, a buffer reused from body to body).
fn write_body(
    w: &mut dyn Write,
    body: &Body,
    corrected: &[(Seq, &Superseded)],
    received: &[&BodyId],
    term: &mut Vec<u8>,
) -> io::Result<()> {
    encode_into(w, &BodyHead::of(body))?;
    encode_into(w, &corrected)?;
    encode_into(w, &received)?;
    let days: Vec<TermDays> = body.terms.iter().map(|t| (t.start, t.end)).collect();
    encode_into(w, &days)?;
    encode_into(w, &(body.terms.len() as u64))?;
    for t in &body.terms {
        term.clear();
        bincode::serde::encode_into_std_write(t, term, bincode::config::standard())
            .expect("the projection serializes");
        encode_into(w, &(term.len() as u64))?;
        w.write_all(term)?;
    }
    Ok(())
}

/// A topic's effective events, as a `topics/XX` section holds them.
type TopicEvents = (Topic, Vec<(Seq, Event)>);

/// A value's bytes, whole (sections are written with [`encode_into`]; tests compare).
#[cfg(test)]
fn encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    encode_vec(value)
}

fn encode_vec<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, bincode::config::standard())
        .expect("the projection serializes")
}

/// [`encode`], into a section as it is written: only writing can fail.
fn encode_into<T: Serialize + ?Sized>(mut w: &mut dyn Write, value: &T) -> io::Result<()> {
    match bincode::serde::encode_into_std_write(value, &mut w, bincode::config::standard()) {
        Ok(_) => Ok(()),
        Err(bincode::error::EncodeError::Io { inner, .. }) => Err(inner),
        Err(other) => panic!("the projection serializes: {other}"),
    }
}

/// The value a whole section (or record) holds: trailing bytes mean it is not one.
fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let (value, read) =
        bincode::serde::decode_from_slice(bytes, bincode::config::standard()).ok()?;
    (read == bytes.len()).then_some(value)
}

/// [`decode`], for a value that borrows from the bytes.
fn decode_borrowed<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Option<T> {
    let (value, read) =
        bincode::serde::borrow_decode_from_slice(bytes, bincode::config::standard()).ok()?;
    (read == bytes.len()).then_some(value)
}

/// A record's value in a keyed section: its length (known before it is written, for the
/// offsets that come first) and its bytes.
trait Value {
    fn len(&self) -> usize;
    fn write(&self, w: &mut dyn Write) -> io::Result<()>;
}

/// Bytes as they are (the names' index: a body's id, a State's code).
impl Value for &[u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }

    fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        w.write_all(self)
    }
}

/// A value encoded with bincode: encoded twice, once to count its bytes, rather than held
/// encoded until the offsets are written.
struct Encoded<'a, T: ?Sized>(&'a T);

impl<T: Serialize + ?Sized> Value for Encoded<'_, T> {
    fn len(&self) -> usize {
        let mut size = bincode::enc::write::SizeWriter::default();
        bincode::serde::encode_into_writer(self.0, &mut size, bincode::config::standard())
            .expect("the projection serializes");
        size.bytes_written
    }

    fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        encode_into(w, self.0)
    }
}

/// Records by key (`records` gives them in order of key, twice), written as a keyed section.
fn write_keyed<'k, V: Value>(
    w: &mut dyn Write,
    records: impl Iterator<Item = (&'k [u8], V)> + Clone,
) -> io::Result<()> {
    let count = records.clone().count();
    w.write_all(&(count as u32).to_le_bytes())?;
    let mut offset = 0usize;
    for (key, value) in records.clone() {
        w.write_all(&(offset as u32).to_le_bytes())?;
        offset += 4 + key.len() + value.len();
    }
    for (key, value) in records {
        w.write_all(&(key.len() as u32).to_le_bytes())?;
        w.write_all(key)?;
        value.write(w)?;
    }
    Ok(())
}

/// A keyed section, checked whole when opened: its records can then be taken by index.
struct Keyed<'a> {
    offsets: &'a [u8],
    records: &'a [u8],
    count: usize,
}

impl<'a> Keyed<'a> {
    fn open(bytes: &'a [u8]) -> Option<Keyed<'a>> {
        let count = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
        let records_at = count.checked_mul(4)?.checked_add(4)?;
        let keyed = Keyed {
            offsets: bytes.get(4..records_at)?,
            records: bytes.get(records_at..)?,
            count,
        };
        let mut previous: Option<&[u8]> = None;
        for i in 0..count {
            let (start, end) = keyed.bounds(i);
            let record = keyed.records.get(start..end)?;
            let key_len = u32::from_le_bytes(record.get(..4)?.try_into().ok()?) as usize;
            let key = record.get(4..4usize.checked_add(key_len)?)?;
            if previous.is_some_and(|p| p >= key) {
                return None;
            }
            previous = Some(key);
        }
        Some(keyed)
    }

    fn bounds(&self, i: usize) -> (usize, usize) {
        let at = |i: usize| {
            let word = &self.offsets[i * 4..i * 4 + 4];
            u32::from_le_bytes(word.try_into().expect("4 bytes")) as usize
        };
        let end = if i + 1 < self.count {
            at(i + 1)
        } else {
            self.records.len()
        };
        (at(i), end)
    }

    /// Record `i` (below `count`, checked by `open`): its key and value.
    fn record(&self, i: usize) -> (&'a [u8], &'a [u8]) {
        let (start, end) = self.bounds(i);
        let record = &self.records[start..end];
        let key_len = u32::from_le_bytes(record[..4].try_into().expect("4 bytes")) as usize;
        (&record[4..4 + key_len], &record[4 + key_len..])
    }

    fn get(&self, key: &[u8]) -> Option<&'a [u8]> {
        let (mut low, mut high) = (0, self.count);
        while low < high {
            let middle = low + (high - low) / 2;
            let (found, value) = self.record(middle);
            match found.cmp(key) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return Some(value),
            }
        }
        None
    }

    fn values(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.count).map(|i| self.record(i).1)
    }
}

/// Every folded id (or code) and name ([`folded`]) → the one candidate that has it, or `""`
/// when several do: `resolve` then answers with the candidates, never a silent pick, so a
/// reader seeing `""` asks the whole catalogue.
fn names_index<'a>(
    candidates: impl Iterator<Item = (&'a str, Vec<&'a str>)>,
) -> BTreeMap<String, &'a str> {
    let mut index: BTreeMap<String, &'a str> = BTreeMap::new();
    for (id, names) in candidates {
        for name in std::iter::once(id).chain(names) {
            let slot = index.entry(folded(name)).or_insert(id);
            if *slot != id {
                *slot = "";
            }
        }
    }
    index
}

/// The index of names as a keyed section.
fn write_names(w: &mut dyn Write, index: &BTreeMap<String, &str>) -> io::Result<()> {
    write_keyed(
        w,
        index
            .iter()
            .map(|(name, id)| (name.as_bytes(), id.as_bytes())),
    )
}

impl Fold {
    /// Writes the sections `changes` reaches (its shards of events, fingerprints and
    /// overrides, its bodies, every body if a meeting changed), and the sections of views
    /// over the whole ledger (shared, States, names, catalogue, seats by State, corrections,
    /// superseded events): a snapshot updated with them and without
    /// [`Self::sections_gone`] lists what one written whole would. (Updating skips a
    /// section whose bytes did not change.)
    pub fn write_changed(&self, changes: &Changes, out: &mut dyn SectionSink) -> io::Result<()> {
        let corrected = self.corrected_by_body();
        let mut received: BTreeMap<&BodyId, Vec<&BodyId>> = BTreeMap::new();
        // Gathered by hash, then put in order: a State's list is looked up for every term of
        // every body, and a B-tree of State codes compared strings ~8 times for each.
        let mut seats: std::collections::HashMap<&StateCode, Vec<&BodyId>> =
            std::collections::HashMap::new();
        for body in self.bodies.values() {
            if let Some(to) = body.transfer_to() {
                received.entry(to).or_default().push(&body.id);
            }
            for state in body.seated() {
                let bodies = seats.entry(state).or_default();
                // This body's, if it was put there already: the same id, by address.
                if !bodies
                    .last()
                    .is_some_and(|last| std::ptr::eq(*last, &body.id))
                {
                    bodies.push(&body.id);
                }
            }
        }
        let seats_by_state: BTreeMap<&StateCode, Vec<&BodyId>> = seats.into_iter().collect();
        self.write_states(out)?;
        let mut shards: BTreeMap<usize, Vec<(&StateCode, &Vec<&BodyId>)>> = BTreeMap::new();
        for (code, bodies) in &seats_by_state {
            shards
                .entry(state_shard(code))
                .or_default()
                .push((code, bodies));
        }
        for shard in 0..SHARDS {
            let records = shards.get(&shard).map_or(&[][..], Vec::as_slice);
            out.section(&seats_shard_section(shard), &mut |w| {
                let seats = records.iter();
                write_keyed(
                    w,
                    seats.map(|(code, b)| (code.as_str().as_bytes(), Encoded(*b))),
                )
            })?;
        }
        drop(seats_by_state);
        let body_names = names_index(
            self.bodies
                .values()
                .map(|b| (b.id.as_str(), b.names().collect())),
        );
        out.section(BODY_NAMES, &mut |w| write_names(w, &body_names))?;
        drop(body_names);
        let catalogue: Vec<BodyCard> = self.bodies.values().map(BodyCard::of).collect();
        out.section(CATALOGUE, &mut |w| encode_into(w, &catalogue))?;
        let horizon = self.horizon();
        self.write_shared(horizon, out)?;
        let mut watch: Vec<(Date, BodyId)> = self
            .bodies
            .values()
            .flat_map(|b| watched(b, horizon))
            .collect();
        watch.sort();
        watch.dedup();
        out.section(WATCH, &mut |w| encode_into(w, &watch))?;
        out.section(SUPERSEDED, &mut |w| encode_into(w, &self.superseded))?;
        out.section(CORRECTIONS, &mut |w| encode_into(w, &self.corrections))?;
        self.write_shards(changes, out)?;
        let bodies: Box<dyn Iterator<Item = &BodyId>> = if changes.every_body {
            Box::new(self.bodies.keys())
        } else {
            Box::new(changes.bodies.iter())
        };
        let none = Vec::new();
        self.write_bodies(
            bodies,
            &corrected,
            |id| received.get(id).unwrap_or(&none),
            out,
        )
    }
}

impl Projection {
    /// The elections to each body that corrections replaced or retracted, by body.
    pub(super) fn corrected_by_body(&self) -> BTreeMap<&BodyId, Vec<(Seq, &Superseded)>> {
        let mut corrected: BTreeMap<&BodyId, Vec<(Seq, &Superseded)>> = BTreeMap::new();
        for (seq, list) in &self.superseded {
            for s in list {
                if let Event::CoordinatorElected(e) = &s.event {
                    corrected.entry(&e.body).or_default().push((*seq, s));
                }
            }
        }
        corrected
    }

    /// The `states/XX` and `state-names/XX` shards: every State.
    pub(super) fn write_states(&self, out: &mut dyn SectionSink) -> io::Result<()> {
        let mut states: Vec<Vec<(&StateCode, &StateParty)>> = vec![Vec::new(); SHARDS];
        for (code, state) in &self.states {
            states[state_shard(code)].push((code, state));
        }
        for (shard, records) in states.iter().enumerate() {
            out.section(&states_section(shard), &mut |w| {
                let records = records.iter();
                write_keyed(
                    w,
                    records.map(|(code, s)| (code.as_str().as_bytes(), Encoded(*s))),
                )
            })?;
        }
        let state_names = names_index(
            self.states
                .values()
                .map(|s| (s.code.as_str(), vec![s.name.as_str()])),
        );
        let mut names: Vec<BTreeMap<String, &str>> = vec![BTreeMap::new(); SHARDS];
        for (name, code) in state_names {
            names[name_shard(name.as_bytes())].insert(name, code);
        }
        for (shard, index) in names.iter().enumerate() {
            out.section(&state_names_section(shard), &mut |w| write_names(w, index))?;
        }
        Ok(())
    }

    /// The `shared` section, with the ledger's present (`horizon`, [`Self::horizon`] of the
    /// whole projection), which a writer reading only some bodies cannot compute.
    pub(super) fn write_shared(&self, horizon: Date, out: &mut dyn SectionSink) -> io::Result<()> {
        let shared = SharedOut {
            applied: self.applied,
            horizon,
            institutions: &self.institutions,
            meetings: &self.meetings,
            presidency: &self.presidency,
        };
        out.section(SHARED, &mut |w| encode_into(w, &shared))
    }
}

impl Fold {
    /// The shards of overrides, fingerprints and events `changes` reaches: each written whole
    /// from this projection, which must hold the whole of each. Many of them (a snapshot
    /// written whole) are encoded on two threads ([`write_in_two`]).
    pub(super) fn write_shards(
        &self,
        changes: &Changes,
        out: &mut dyn SectionSink,
    ) -> io::Result<()> {
        let cut = Cut::of(self.applied);
        let every = changes.every_shard || changes.cut_before(cut).is_some();
        let shards = |prefixes: &BTreeSet<u32>| -> BTreeSet<u32> {
            match every {
                true => cut.all().collect(),
                false => prefixes.iter().map(|p| cut.shard(*p)).collect(),
            }
        };
        let topic_shards = shards(&changes.topics);
        let mut by_shard: BTreeMap<u32, Vec<&Topic>> = BTreeMap::new();
        if !topic_shards.is_empty() {
            for topic in self.topics.keys() {
                let shard = cut.shard(topic_prefix(topic));
                if topic_shards.contains(&shard) {
                    by_shard.entry(shard).or_default().push(topic);
                }
            }
        }
        // In the order a single thread wrote them: overrides, fingerprints, topics.
        let mut jobs: Vec<ShardOut<'_>> = Vec::new();
        jobs.extend(
            changes
                .override_sections
                .iter()
                .map(|n| ShardOut::Overrides(*n)),
        );
        jobs.extend(
            shards(&changes.fingerprints)
                .into_iter()
                .map(ShardOut::Fingerprints),
        );
        jobs.extend(topic_shards.iter().map(|shard| {
            let topics = by_shard.get(shard).map_or(&[][..], Vec::as_slice);
            ShardOut::Topics(*shard, topics)
        }));
        let name = |job: &ShardOut<'_>| match job {
            ShardOut::Overrides(n) => overrides_section(Seq(n * OVERRIDES_PER_SECTION)),
            ShardOut::Fingerprints(shard) => cut.fingerprints_section(*shard),
            ShardOut::Topics(shard, _) => cut.topics_section(*shard),
        };
        let encode = |job: &ShardOut<'_>, w: &mut dyn Write| match job {
            ShardOut::Overrides(n) => {
                let from = Seq(n * OVERRIDES_PER_SECTION);
                let until = Seq((n + 1) * OVERRIDES_PER_SECTION);
                // Each entry's seq and reason, as the overrides give them.
                let overrides: Vec<_> = self.overrides.range(from..until).collect();
                encode_into(w, &overrides)
            }
            ShardOut::Fingerprints(shard) => {
                let in_shard = self
                    .fingerprints
                    .range(cut.first_of(*shard)..)
                    .take_while(|(fp, _)| cut.shard(fingerprint_prefix(fp)) == *shard);
                let fingerprints: Vec<(&Fingerprint, &Seq)> = in_shard.collect();
                encode_into(w, &fingerprints)
            }
            ShardOut::Topics(_, topics) => {
                let events: Vec<(&Topic, Vec<(Seq, &Event)>)> = topics
                    .iter()
                    .map(|t| (*t, self.events_of(t).collect()))
                    .collect();
                encode_into(w, &events)
            }
        };
        write_in_two(&jobs, name, encode, out)
    }
}

/// A section [`Fold::write_shards`] writes.
enum ShardOut<'a> {
    /// `overrides/N`, the reasons of entries N × [`OVERRIDES_PER_SECTION`] on.
    Overrides(u64),
    Fingerprints(u32),
    /// A shard of topics, and the topics in it.
    Topics(u32, &'a [&'a Topic]),
}

/// From how many sections [`write_in_two`] encodes on a second thread: a write of a few
/// sections (`record`) does not pay for starting one.
const IN_TWO_FROM: usize = 16;

/// How many encoded sections the second thread may hold ahead of the writer.
const IN_TWO_AHEAD: usize = 4;

/// Whether the writer of [`write_in_two`] encodes section `i` itself: one in three. The
/// others are encoded on the second thread, since the writer also writes (and hashes) them
/// all, and encodes the sections of views before the shards and bodies.
fn writes_itself(i: usize) -> bool {
    i.is_multiple_of(3)
}

/// The sections `jobs` (each named by `name`, its bytes written by `encode`) written to `out`
/// in their order, most of them encoded on a second thread meanwhile and handed over
/// ([`writes_itself`]): writing a whole snapshot (an import into a new ledger) is encoding
/// thousands of independent sections, ~15 % of that import's time on one thread. What `out`
/// receives is what a single thread writes, and no more than [`IN_TWO_AHEAD`] sections are
/// held as bytes.
fn write_in_two<J: Sync>(
    jobs: &[J],
    name: impl Fn(&J) -> String,
    encode: impl Fn(&J, &mut dyn Write) -> io::Result<()> + Sync,
    out: &mut dyn SectionSink,
) -> io::Result<()> {
    let one_by_one = |out: &mut dyn SectionSink| {
        for job in jobs {
            out.section(&name(job), &mut |w| encode(job, w))?;
        }
        Ok(())
    };
    if jobs.len() < IN_TWO_FROM {
        return one_by_one(out);
    }
    std::thread::scope(|scope| {
        let (to_writer, from_second) = std::sync::mpsc::sync_channel(IN_TWO_AHEAD);
        let encode = &encode;
        let second = std::thread::Builder::new()
            .name("sections".into())
            .spawn_scoped(scope, move || {
                let theirs = jobs.iter().enumerate().filter(|(i, _)| !writes_itself(*i));
                for (_, job) in theirs {
                    let mut bytes = Vec::new();
                    let encoded = encode(job, &mut bytes).map(|()| bytes);
                    let failed = encoded.is_err();
                    // The writer stopped (it failed): so does this thread.
                    if to_writer.send(encoded).is_err() || failed {
                        break;
                    }
                }
            });
        if second.is_err() {
            return one_by_one(out);
        }
        // Returning early drops `from_second`: the second thread stops at its next section.
        for (i, job) in jobs.iter().enumerate() {
            if writes_itself(i) {
                out.section(&name(job), &mut |w| encode(job, w))?;
            } else {
                let bytes = from_second
                    .recv()
                    .map_err(|_| io::Error::other("the thread encoding sections stopped"))??;
                out.section(&name(job), &mut |w| w.write_all(&bytes))?;
            }
        }
        Ok(())
    })
}

impl Projection {
    /// The sections of the bodies `ids` this projection holds, with their corrected elections
    /// and the bodies whose mandate moved to each (`received`); many of them encoded on two
    /// threads ([`write_in_two`]).
    pub(super) fn write_bodies<'a>(
        &self,
        ids: impl Iterator<Item = &'a BodyId>,
        corrected: &BTreeMap<&BodyId, Vec<(Seq, &Superseded)>>,
        received: impl Fn(&BodyId) -> &'a Vec<&'a BodyId> + Sync,
        out: &mut dyn SectionSink,
    ) -> io::Result<()> {
        let bodies: Vec<(&BodyId, &Body)> =
            ids.filter_map(|id| self.bodies.get_key_value(id)).collect();
        let encode = |(id, body): &(&BodyId, &Body), w: &mut dyn Write| {
            let corrected = corrected.get(id).map_or(&[][..], Vec::as_slice);
            let mut term = Vec::new();
            write_body(w, body, corrected, received(id), &mut term)
        };
        write_in_two(&bodies, |(id, _)| body_section(id), encode, out)
    }

    /// The sections of bodies `changes` names that no longer exist (their establishment
    /// retracted): an updated snapshot drops them.
    pub fn sections_gone(&self, changes: &Changes) -> Vec<String> {
        let mut gone: Vec<String> = changes
            .bodies
            .iter()
            .filter(|id| !self.bodies.contains_key(*id))
            .map(body_section)
            .collect();
        // The shards of the cut before, when the entries written passed a threshold.
        if let Some(before) = changes.cut_before(Cut::of(self.applied)) {
            for shard in before.all() {
                gone.push(before.topics_section(shard));
                gone.push(before.fingerprints_section(shard));
            }
        }
        gone
    }
}

impl crate::ledger::Snapshotted for Fold {
    fn entries_applied(&self) -> u64 {
        self.applied
    }

    fn write_sections(&self, out: &mut dyn SectionSink) -> io::Result<()> {
        let every = Changes {
            every_shard: true,
            override_sections: override_sections(self.applied)
                .map(|s| s.0 / OVERRIDES_PER_SECTION)
                .collect(),
            every_body: true,
            ..Changes::default()
        };
        self.write_changed(&every, out)
    }

    fn from_sections(section: &mut Sections<'_>) -> Option<Fold> {
        let mut fold = Fold {
            views: Projection::read_views(section)?,
            ..Fold::default()
        };
        // Gathered, then sorted and built in bulk: inserted shard by shard, the events came
        // in the order of their topics, not of their seqs, and a million inserts at random
        // places in the map cost more than decoding them.
        let mut effective: Vec<(Seq, Event)> = Vec::new();
        let mut topics: Vec<(Topic, BTreeSet<Seq>)> = Vec::new();
        let mut fingerprints: Vec<(Fingerprint, Seq)> = Vec::new();
        let cut = Cut::of(fold.views.applied);
        for shard in cut.all() {
            for (topic, mut events) in read_topics(section, cut, shard)? {
                topics.push((topic, events.iter().map(|(seq, _)| *seq).collect()));
                // Their ids and texts shared as a fold from zero shares them, shard by shard
                // (each event read back held its own: ~150 B of small allocations per
                // election at 10^6).
                for (_, event) in &mut events {
                    event.share(&mut fold.texts.0);
                }
                effective.extend(events);
            }
            fingerprints.extend(read_fingerprints(section, cut, shard)?);
        }
        effective.sort_unstable_by_key(|(seq, _)| *seq);
        topics.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        fold.effective = effective.into_iter().collect();
        fold.topics = BTreeMap::from_iter(topics);
        // In order already: the shards are by leading digits, each in order.
        fold.fingerprints = BTreeMap::from_iter(fingerprints);
        fold.corrections = decode(&section(CORRECTIONS)?)?;
        Some(fold)
    }
}

impl Projection {
    /// The views of a snapshot (not its events: what a whole-ledger question reads, and what
    /// takes no entries). `None`: a section is missing or damaged.
    pub fn read_views(section: &mut Sections<'_>) -> Option<Projection> {
        let mut projection = Projection::shared(section)?;
        projection.states = StateShards::every(section)?;
        let catalogue: Vec<BodyCard> = decode(&section(CATALOGUE)?)?;
        for card in &catalogue {
            projection.read_body(section, &card.id, None)?;
        }
        // Not needed whole, but checked: a damaged index sends its question here, and only a
        // snapshot refused here is rebuilt.
        for index in [BODY_NAMES.to_owned()]
            .into_iter()
            .chain((0..SHARDS).map(state_names_section))
            .chain((0..SHARDS).map(seats_shard_section))
        {
            Keyed::open(&section(&index)?)?;
        }
        decode::<Vec<(Date, BodyId)>>(&section(WATCH)?)?;
        for from in override_sections(projection.applied) {
            let overrides: Vec<(Seq, String)> = decode(&section(&overrides_section(from))?)?;
            projection.overrides.extend(overrides);
        }
        // Every superseded event, not only the elections kept with their bodies.
        projection.superseded = decode(&section(SUPERSEDED)?)?;
        Some(projection)
    }
}

/// A `topics/XX` shard of `cut`: each topic's effective events. `None`: missing, damaged, or
/// holding a topic of another shard.
fn read_topics(section: &mut Sections<'_>, cut: Cut, shard: u32) -> Option<Vec<TopicEvents>> {
    let in_shard: Vec<TopicEvents> = decode(&section(&cut.topics_section(shard))?)?;
    in_shard
        .iter()
        .all(|(topic, _)| cut.shard(topic_prefix(topic)) == shard)
        .then_some(in_shard)
}

/// A `fingerprints/XX` shard of `cut`. `None`: missing, damaged, or holding a fingerprint of
/// another shard.
fn read_fingerprints(
    section: &mut Sections<'_>,
    cut: Cut,
    shard: u32,
) -> Option<Vec<(Fingerprint, Seq)>> {
    let in_shard: Vec<(Fingerprint, Seq)> = decode(&section(&cut.fingerprints_section(shard))?)?;
    in_shard
        .iter()
        .all(|(fp, _)| cut.shard(fingerprint_prefix(fp)) == shard)
        .then_some(in_shard)
}

impl Projection {
    /// The shared views, and nothing else yet.
    fn shared(section: &mut Sections<'_>) -> Option<Projection> {
        Projection::shared_at(section).map(|(views, _)| views)
    }

    /// The shared views, and the ledger's present the `shared` section keeps.
    fn shared_at(section: &mut Sections<'_>) -> Option<(Projection, Date)> {
        let shared: SharedIn = decode(&section(SHARED)?)?;
        let views = Projection {
            applied: shared.applied,
            institutions: shared.institutions,
            meetings: shared.meetings,
            presidency: shared.presidency,
            ..Projection::default()
        };
        Some((views, shared.horizon))
    }

    /// The projection, read from a snapshot's sections, that answers `question` exactly as the
    /// whole projection does: the shared views, the bodies the question needs, and the States
    /// their answers name. Nothing else is promised of it, and it takes no entries. `None`: a
    /// section it needs is missing or damaged.
    pub fn read_part(section: &mut Sections<'_>, question: &Question) -> Option<Part> {
        let mut p = Projection::shared(section)?;
        let mut part = Resolved::default();
        // The States whose names the answer shows (`None`: every State).
        let mut named: Option<BTreeSet<StateCode>> = Some(BTreeSet::new());
        match question {
            Question::Holders(query) | Question::BodyHistory(query) => {
                let resolved = find_body(section, query)?;
                part.body = Some(resolved.clone());
                if let Ok(id) = resolved {
                    let received = p.read_body(section, &id, None)?;
                    if matches!(question, Question::BodyHistory(_)) {
                        for from in received {
                            p.read_body(section, &from, None)?;
                        }
                    }
                    let body = p.bodies.get(&id)?;
                    let elected = body.terms.iter().map(|t| t.state.clone());
                    let corrected =
                        p.superseded
                            .values()
                            .flatten()
                            .filter_map(|s| match &s.event {
                                Event::CoordinatorElected(e) => Some(e.state.clone()),
                                _ => None,
                            });
                    named = Some(elected.chain(corrected).collect());
                }
            }
            Question::StateHistory(query) => {
                let resolved = find_state(section, query)?;
                part.state = Some(resolved.clone());
                if let Ok(code) = resolved {
                    let index = section(&seats_section(&code))?;
                    if let Some(held) = Keyed::open(&index)?.get(code.as_str().as_bytes()) {
                        let bodies: Vec<BodyId> = decode(held)?;
                        for id in &bodies {
                            p.read_body(section, id, None)?;
                        }
                    }
                    // Its corrected elections may be to bodies it never held a seat in (the
                    // index's): every superseded event, as the whole projection has them.
                    p.superseded = decode(&section(SUPERSEDED)?)?;
                    named = Some(BTreeSet::from([code]));
                }
            }
            Question::InForceOn(on) => {
                let catalogue: Vec<BodyCard> = decode(&section(CATALOGUE)?)?;
                // Of each body in force, the terms that hold that day: what its holders, its
                // parameters and the committee are made of.
                for card in catalogue.iter().filter(|c| c.in_force_on(*on)) {
                    p.read_body(section, &card.id, Some(*on))?;
                }
                named = None;
            }
        }
        match named {
            None => p.states = StateShards::every(section)?,
            Some(codes) => {
                let mut states = StateShards::default();
                for code in codes {
                    if let Some(state) = states.get(section, &code)? {
                        p.states.insert(code, state);
                    }
                }
            }
        }
        Some(Part::new(p, question.clone(), part))
    }

    /// Adds a body from its section, with its corrected elections (`on`: and only the terms
    /// that hold that day); returns the bodies whose mandate moved to it.
    fn read_body(
        &mut self,
        section: &mut Sections<'_>,
        id: &BodyId,
        on: Option<Date>,
    ) -> Option<Vec<BodyId>> {
        // Once only (a body may have handed its mandate to itself): its corrected elections
        // would otherwise count twice.
        if self.bodies.contains_key(id) {
            return Some(Vec::new());
        }
        let bytes = section(&body_section(id))?;
        let (mut body, corrected, received, days, terms): BodyIn<'_> = decode_borrowed(&bytes)?;
        if body.id != *id || days.len() != terms.len() || !body.terms.is_empty() {
            return None;
        }
        let holds = |(start, end): &TermDays| {
            on.is_none_or(|on| *start <= on && end.is_none_or(|end| on < end))
        };
        for (span, term) in days.iter().zip(terms) {
            if holds(span) {
                body.terms.push(decode(term)?);
            }
        }
        for (seq, s) in corrected {
            self.superseded.entry(seq).or_default().push(s);
        }
        self.bodies.insert(id.clone(), body);
        Some(received)
    }
}

/// `resolve_body(query)` as the whole projection answers it: by the index of names, or, for a
/// name no body has (to suggest near ones), among every body of the catalogue.
fn find_body(section: &mut Sections<'_>, query: &str) -> Option<Result<BodyId, Unknown>> {
    let index = section(BODY_NAMES)?;
    if let Some(id) = Keyed::open(&index)?.get(folded(query).as_bytes()) {
        if !id.is_empty() {
            return Some(Ok(BodyId::new(std::str::from_utf8(id).ok()?).ok()?));
        }
    }
    let catalogue: Vec<BodyCard> = decode(&section(CATALOGUE)?)?;
    let bodies = catalogue
        .iter()
        .map(|c| (c.id.as_str(), c.names.iter().map(String::as_str).collect()));
    Some(resolve_body_among(bodies, query))
}

/// `resolve_state(query)` as the whole projection answers it.
fn find_state(section: &mut Sections<'_>, query: &str) -> Option<Result<StateCode, Unknown>> {
    let key = folded(query);
    let index = section(&state_names_section(name_shard(key.as_bytes())))?;
    if let Some(code) = Keyed::open(&index)?.get(key.as_bytes()) {
        if !code.is_empty() {
            return Some(Ok(StateCode::new(std::str::from_utf8(code).ok()?).ok()?));
        }
    }
    let every = StateShards::every(section)?;
    Some(resolve_state_among(every.values(), query))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::projection::tests::{fixture, kept};

    /// A body's section, written piece by piece from references, is the bincode of the tuple
    /// a reader decodes: the body without its terms, its corrected elections, the bodies whose
    /// mandate moved to it, the terms' days, and each term's bytes.
    #[test]
    fn a_body_section_is_the_tuple_its_reader_decodes() {
        let whole = Fold::of(&fixture());
        let sections = kept(&whole);
        assert!(whole.bodies.len() > 3, "the fixture has bodies");
        for (id, body) in &whole.bodies {
            let corrected: Corrected = whole
                .superseded
                .iter()
                .flat_map(|(seq, list)| list.iter().map(move |s| (*seq, s.clone())))
                .filter(|(_, s)| matches!(&s.event, Event::CoordinatorElected(e) if e.body == *id))
                .collect();
            let received: Vec<&BodyId> = whole
                .bodies
                .values()
                .filter(|b| {
                    b.discontinued.as_ref().and_then(|d| d.transfer_to.as_ref()) == Some(id)
                })
                .map(|b| &b.id)
                .collect();
            let days: Vec<TermDays> = body.terms.iter().map(|t| (t.start, t.end)).collect();
            let terms: Vec<Vec<u8>> = body.terms.iter().map(encode).collect();
            let without_terms = Body {
                terms: Vec::new(),
                ..body.clone()
            };
            let tuple = (without_terms, corrected, received, days, terms);
            assert_eq!(sections[&body_section(id)], encode(&tuple), "{id}");
        }
    }

    /// Sections encoded on two threads reach the sink exactly as one thread gives them: the
    /// same names, bytes and order (the snapshot file is then byte for byte the same).
    #[test]
    fn sections_encoded_on_two_threads_come_out_as_one_thread_writes_them() {
        for count in [0, 1, IN_TWO_FROM - 1, IN_TWO_FROM, IN_TWO_FROM + 1, 300] {
            let jobs: Vec<usize> = (0..count).collect();
            let name = |job: &usize| format!("section/{job:04}");
            // Of very different sizes, some past a writer's buffer.
            let encode = |job: &usize, w: &mut dyn Write| {
                let mut bytes = vec![(job % 251) as u8; job * job * 7];
                if let Some(last) = bytes.last_mut() {
                    *last = !*last;
                }
                w.write_all(&bytes)
            };
            let mut in_two: Vec<(String, Vec<u8>)> = Vec::new();
            write_in_two(&jobs, name, encode, &mut in_two).unwrap();
            let one_by_one: Vec<(String, Vec<u8>)> = jobs
                .iter()
                .map(|job| {
                    let mut bytes = Vec::new();
                    encode(job, &mut bytes).unwrap();
                    (name(job), bytes)
                })
                .collect();
            assert_eq!(in_two, one_by_one, "{count} sections");
        }
    }

    /// A section that fails to encode, on either thread, fails the write, and a sink that
    /// fails stops the second thread: neither hangs.
    #[test]
    fn a_failure_on_either_thread_or_in_the_sink_stops_the_write() {
        let jobs: Vec<usize> = (0..100).collect();
        for failing in [39, 40, 41] {
            let mut out: Vec<(String, Vec<u8>)> = Vec::new();
            let written = write_in_two(
                &jobs,
                |job| format!("s{job}"),
                |job, w| match *job == failing {
                    true => Err(io::Error::other("cannot encode")),
                    false => w.write_all(&[*job as u8]),
                },
                &mut out,
            );
            assert_eq!(written.unwrap_err().to_string(), "cannot encode");
            assert_eq!(out.len(), failing, "the sections before it, in order");
        }

        struct FullAfter(usize);
        impl SectionSink for FullAfter {
            fn section(
                &mut self,
                _: &str,
                encode: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
            ) -> io::Result<()> {
                if self.0 == 0 {
                    return Err(io::Error::other("disk full"));
                }
                self.0 -= 1;
                encode(&mut Vec::new())
            }
        }
        let written = write_in_two(
            &jobs,
            |job| format!("s{job}"),
            |job, w| w.write_all(&[*job as u8]),
            &mut FullAfter(7),
        );
        assert_eq!(written.unwrap_err().to_string(), "disk full");
    }

    /// `seats-by-state/XX` lists, for each State, every body it held a seat in, once, in the
    /// bodies' order: as gathered one term after another.
    #[test]
    fn the_seats_by_state_list_each_body_once_in_order() {
        let whole = Fold::of(&fixture());
        let sections = kept(&whole);
        let mut expected: BTreeMap<StateCode, Vec<BodyId>> = BTreeMap::new();
        for body in whole.bodies.values() {
            for state in body.seated() {
                let bodies = expected.entry(state.clone()).or_default();
                if !bodies.contains(&body.id) {
                    bodies.push(body.id.clone());
                }
            }
        }
        assert!(
            expected.values().any(|b| b.len() > 1),
            "a State in several bodies"
        );
        let mut listed = 0;
        for shard in 0..SHARDS {
            let section = &sections[&seats_shard_section(shard)];
            let keyed = Keyed::open(section).expect("a keyed section");
            for bytes in keyed.values() {
                let _: Vec<BodyId> = decode(bytes).expect("a list of bodies");
                listed += 1;
            }
        }
        assert_eq!(listed, expected.len(), "one record per State");
        for (state, bodies) in &expected {
            let section = &sections[&seats_shard_section(state_shard(state))];
            let keyed = Keyed::open(section).expect("a keyed section");
            let found: Vec<BodyId> = decode(keyed.get(state.as_str().as_bytes()).expect("listed"))
                .expect("a list of bodies");
            assert_eq!(&found, bodies, "{state}");
        }
    }
}
