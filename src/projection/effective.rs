//! The effective events by seq, in one vector.
//!
//! A fold holds the effective event of nearly every entry, and its seqs arrive in order: a
//! `BTreeMap<Seq, Event>` filled in key order leaves its nodes about half full, so it held
//! ~400 B per event for an `Event` of 208 (heaptrack, an import of 10^6 lines). Here an
//! event takes its own size, in one of two shapes:
//!
//! - **dense** (a fold of a ledger, from zero or from its snapshot): slot `i` holds entry
//!   `first + i`, empty for a correction (which has no effective event) or a retracted entry
//!   (its slot kept for a later replacement). A seq is found by subtraction: the galloping
//!   search of the sorted shape was ~14 % of an import's main thread at 54k (session 7's
//!   profile), and its seqs took 8 B a slot.
//! - **sparse** (a [`super::Slice`], which holds the events of a few topics scattered over
//!   the whole ledger): the seqs unique and increasing beside their events. A seq is found in
//!   a window of the vector: entry `seq` is at most `seq - first` slots in, and at least that
//!   less the seqs missing between the first and the last.
//!
//! Dense holds while its empty slots stay few (at most as many as its events, plus
//! [`SLACK`]); an insert that would leave more, or a seq before the first, makes it sparse.

use crate::domain::{Event, Seq};

/// The empty slots a dense vector may hold beyond one per event (a small fold's corrections).
const SLACK: usize = 64;

#[derive(Clone, Debug)]
pub(crate) enum Effective {
    Dense {
        /// The seq of the first slot.
        first: Seq,
        /// `None`: a correction, a retracted entry, or an entry not held.
        slots: Vec<Option<Event>>,
        /// How many slots hold an event.
        held: usize,
    },
    Sparse {
        /// Unique seqs, increasing; `None`: retracted (its slot kept for a later replacement).
        slots: Vec<(Seq, Option<Event>)>,
    },
}

impl Default for Effective {
    fn default() -> Effective {
        Effective::Dense {
            first: Seq(0),
            slots: Vec::new(),
            held: 0,
        }
    }
}

impl Effective {
    pub(crate) fn get(&self, seq: &Seq) -> Option<&Event> {
        match self {
            Effective::Dense { first, slots, .. } => {
                let at = usize::try_from(seq.0.checked_sub(first.0)?).ok()?;
                slots.get(at)?.as_ref()
            }
            Effective::Sparse { slots } => {
                let at = find(slots, *seq).ok()?;
                slots[at].1.as_ref()
            }
        }
    }

    pub(crate) fn contains_key(&self, seq: &Seq) -> bool {
        self.get(seq).is_some()
    }

    /// Puts `event` at `seq`; returns the event it replaces.
    pub(crate) fn insert(&mut self, seq: Seq, event: Event) -> Option<Event> {
        if let Effective::Dense { first, slots, held } = self {
            if slots.is_empty() {
                *first = seq;
            }
            if let Some(at) = seq
                .0
                .checked_sub(first.0)
                .and_then(|at| usize::try_from(at).ok())
                .filter(|at| *at < 2 * (*held + 1) + SLACK || *at < slots.len())
            {
                if at >= slots.len() {
                    slots.resize_with(at + 1, || None);
                }
                let before = slots[at].replace(event);
                if before.is_none() {
                    *held += 1;
                }
                return before;
            }
            self.make_sparse();
        }
        let Effective::Sparse { slots } = self else {
            unreachable!("made sparse above")
        };
        if slots.last().is_none_or(|(last, _)| *last < seq) {
            slots.push((seq, Some(event)));
            return None;
        }
        match find(slots, seq) {
            Ok(at) => slots[at].1.replace(event),
            Err(at) => {
                slots.insert(at, (seq, Some(event)));
                None
            }
        }
    }

    /// Takes the event at `seq` out, leaving its slot empty.
    pub(crate) fn remove(&mut self, seq: &Seq) -> Option<Event> {
        match self {
            Effective::Dense { first, slots, held } => {
                let at = usize::try_from(seq.0.checked_sub(first.0)?).ok()?;
                let taken = slots.get_mut(at)?.take();
                if taken.is_some() {
                    *held -= 1;
                }
                taken
            }
            Effective::Sparse { slots } => {
                let at = find(slots, *seq).ok()?;
                slots[at].1.take()
            }
        }
    }

    /// The events held, in order of seq.
    fn iter(&self) -> Box<dyn Iterator<Item = (Seq, &Event)> + '_> {
        match self {
            Effective::Dense { first, slots, .. } => {
                let first = first.0;
                Box::new(slots.iter().enumerate().filter_map(move |(i, event)| {
                    event.as_ref().map(|e| (Seq(first + i as u64), e))
                }))
            }
            Effective::Sparse { slots } => Box::new(
                slots
                    .iter()
                    .filter_map(|(seq, event)| event.as_ref().map(|e| (*seq, e))),
            ),
        }
    }

    /// The same events, sparse (a seq far past the last, or before the first, is coming).
    fn make_sparse(&mut self) {
        if let Effective::Dense { first, slots, .. } = self {
            let first = first.0;
            let sparse = std::mem::take(slots)
                .into_iter()
                .enumerate()
                .filter(|(_, event)| event.is_some())
                .map(|(i, event)| (Seq(first + i as u64), event))
                .collect();
            *self = Effective::Sparse { slots: sparse };
        }
    }

    /// The same events, dense if they are dense enough.
    fn make_dense_if_dense(&mut self) {
        let Effective::Sparse { slots } = self else {
            return;
        };
        let (Some((first, _)), Some((last, _))) = (slots.first(), slots.last()) else {
            *self = Effective::default();
            return;
        };
        let held = slots.iter().filter(|(_, event)| event.is_some()).count();
        let span = usize::try_from(last.0 - first.0).unwrap_or(usize::MAX);
        if span >= 2 * held + SLACK {
            return;
        }
        let first = *first;
        let mut dense = Vec::with_capacity(span + 1);
        for (seq, event) in std::mem::take(slots) {
            let at = usize::try_from(seq.0 - first.0).expect("within the span");
            dense.resize_with(at, || None);
            dense.push(event);
        }
        *self = Effective::Dense {
            first,
            slots: dense,
            held,
        };
    }

    /// Sorted by seq, the last of equal seqs kept (as a map's inserts would leave them).
    fn normalize(slots: &mut Vec<(Seq, Option<Event>)>) {
        if slots.windows(2).all(|w| w[0].0 < w[1].0) {
            return;
        }
        let mut unsorted = std::mem::take(slots);
        unsorted.sort_by_key(|(seq, _)| *seq);
        for (seq, event) in unsorted {
            match slots.last_mut() {
                Some((last, slot)) if *last == seq => *slot = event,
                _ => slots.push((seq, event)),
            }
        }
    }
}

/// Where `seq`'s slot is (`Ok`) or would go (`Err`) in sparse `slots`.
fn find(slots: &[(Seq, Option<Event>)], seq: Seq) -> Result<usize, usize> {
    let (Some((first, _)), Some((last, _))) = (slots.first(), slots.last()) else {
        return Err(0);
    };
    if seq < *first {
        return Err(0);
    }
    if seq > *last {
        return Err(slots.len());
    }
    let offset = usize::try_from(seq.0 - first.0).expect("a seq within the vector's span");
    let span = usize::try_from(last.0 - first.0).expect("the vector's span fits") + 1;
    let missing = span - slots.len();
    let low = offset.saturating_sub(missing);
    let high = offset.min(slots.len() - 1);
    // The missing seqs taken as spread evenly: where `seq` would be, searched from there
    // outwards. A binary search of the whole window touched a cache line per step, and
    // cost more than the B-tree it replaced (profiled).
    let guess = u128::try_from(offset).expect("usize fits") * slots.len() as u128 / span as u128;
    let guess = usize::try_from(guess)
        .expect("at most offset")
        .clamp(low, high);
    gallop(slots, seq, low, high, guess)
}

/// Finds `seq` in `slots[low..=high]`, which holds its place, looking first at `guess`,
/// then at steps doubling away from it, then by binary search between the last two.
fn gallop(
    slots: &[(Seq, Option<Event>)],
    seq: Seq,
    low: usize,
    high: usize,
    guess: usize,
) -> Result<usize, usize> {
    let at = |i: usize| slots[i].0;
    let within =
        |from: usize, to: usize| match slots[from..=to].binary_search_by_key(&seq, |(s, _)| *s) {
            Ok(i) => Ok(from + i),
            Err(i) => Err(from + i),
        };
    match at(guess).cmp(&seq) {
        std::cmp::Ordering::Equal => Ok(guess),
        std::cmp::Ordering::Less => {
            let mut step = 1;
            let mut from = guess + 1;
            loop {
                let probe = guess + step;
                if probe >= high {
                    return if from > high {
                        Err(high + 1)
                    } else {
                        within(from, high)
                    };
                }
                if at(probe) >= seq {
                    return within(from, probe);
                }
                from = probe + 1;
                step *= 2;
            }
        }
        std::cmp::Ordering::Greater => {
            let mut step = 1;
            let mut to = guess;
            loop {
                let Some(probe) = guess.checked_sub(step).filter(|p| *p > low) else {
                    return within(low, to);
                };
                if at(probe) <= seq {
                    return within(probe, to);
                }
                to = probe;
                step *= 2;
            }
        }
    }
}

/// Equal when they hold the same events: an empty slot is not an event.
impl PartialEq for Effective {
    fn eq(&self, other: &Effective) -> bool {
        self.iter().eq(other.iter())
    }
}

impl FromIterator<(Seq, Event)> for Effective {
    fn from_iter<I: IntoIterator<Item = (Seq, Event)>>(events: I) -> Effective {
        let mut effective = Effective::default();
        effective.extend(events);
        effective
    }
}

impl Extend<(Seq, Event)> for Effective {
    fn extend<I: IntoIterator<Item = (Seq, Event)>>(&mut self, events: I) {
        self.make_sparse();
        let Effective::Sparse { slots } = self else {
            unreachable!("made sparse above")
        };
        slots.extend(events.into_iter().map(|(seq, event)| (seq, Some(event))));
        Effective::normalize(slots);
        self.make_dense_if_dense();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Date, StateCode, StateJoined};
    use std::collections::BTreeMap;

    fn joined(n: u64) -> Event {
        Event::StateJoined(StateJoined {
            state: StateCode::new("NOR").expect("a State's code"),
            name: format!("Norway {n}"),
            effective: Date::parse("2010-08-01").expect("a date"),
        })
    }

    /// What the vector must answer as: a map.
    fn same_as(effective: &Effective, map: &BTreeMap<Seq, Event>, seqs: u64) {
        for seq in 0..seqs + 2 {
            assert_eq!(effective.get(&Seq(seq)), map.get(&Seq(seq)), "seq {seq}");
            assert_eq!(
                effective.contains_key(&Seq(seq)),
                map.contains_key(&Seq(seq))
            );
        }
        assert!(effective.iter().eq(map.iter().map(|(s, e)| (*s, e))));
    }

    #[test]
    fn a_seq_is_found_however_unevenly_the_missing_seqs_fall() {
        // Gaps every 7th seq, a run of 300 missing, then none: the guess is off both ways.
        let seqs = (0..5000u64).filter(|s| s % 7 != 3 && !(2000..2300).contains(s));
        let map: BTreeMap<Seq, Event> = seqs.map(|s| (Seq(s), joined(s))).collect();
        let mut effective = Effective::default();
        for (seq, event) in &map {
            effective.insert(*seq, event.clone());
        }
        same_as(&effective, &map, 5000);
        // A ledger's seqs, a few missing: found by subtraction, not searched for.
        assert!(matches!(effective, Effective::Dense { .. }));
        let sparse: BTreeMap<Seq, Event> = [3, 900_000, 900_001, 4_000_000]
            .map(|s| (Seq(s), joined(s)))
            .into();
        same_as(&sparse.clone().into_iter().collect(), &sparse, 10);
        // A slice's seqs, scattered over a ledger: a dense vector would hold 4 million slots.
        assert!(matches!(effective_of(&sparse), Effective::Sparse { .. }));
        assert!(sparse
            .keys()
            .all(|s| effective_of(&sparse).get(s) == sparse.get(s)));
    }

    fn effective_of(map: &BTreeMap<Seq, Event>) -> Effective {
        map.clone().into_iter().collect()
    }

    proptest::proptest! {
        /// Seqs pushed in order with gaps (corrections), taken out, put back, and put before
        /// the end: every lookup answers as a `BTreeMap`'s would.
        #[test]
        fn the_effective_events_answer_as_a_map_would(
            ops in proptest::collection::vec((0u8..4, 0u64..60), 0..80),
        ) {
            let mut effective = Effective::default();
            let mut map = BTreeMap::new();
            let mut next = 0u64;
            for (op, n) in ops {
                match op {
                    0 => {
                        // The next entry, perhaps after a correction (no effective event).
                        next += n % 3;
                        proptest::prop_assert_eq!(
                            effective.insert(Seq(next), joined(n)),
                            map.insert(Seq(next), joined(n))
                        );
                        next += 1;
                    }
                    1 => proptest::prop_assert_eq!(
                        effective.remove(&Seq(n)),
                        map.remove(&Seq(n))
                    ),
                    _ => proptest::prop_assert_eq!(
                        effective.insert(Seq(n), joined(n + 100)),
                        map.insert(Seq(n), joined(n + 100))
                    ),
                }
                next = next.max(map.keys().last().map_or(0, |s| s.0 + 1));
            }
            same_as(&effective, &map, next.max(60));
            let collected: Effective = map.clone().into_iter().rev().collect();
            same_as(&collected, &map, next.max(60));
            proptest::prop_assert_eq!(&collected, &effective);
        }
    }
}
