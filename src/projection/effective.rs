//! The effective events by seq, in one sorted vector.
//!
//! A fold holds the effective event of nearly every entry, and its seqs arrive in order: a
//! `BTreeMap<Seq, Event>` filled in key order leaves its nodes about half full, so it held
//! ~400 B per event for an `Event` of 208 (heaptrack, an import of 10^6 lines). Here an
//! event takes its own size and its seq: new seqs are pushed at the end; a retracted entry
//! leaves its slot empty (a correction that replaces it again fills it in place, so nothing
//! moves); the rare seq put before the end (a fold read from a snapshot, which holds no
//! retracted entry, given a replacement for one) is inserted.
//!
//! A seq is found in a window of the vector: the seqs are unique and increasing, so entry
//! `seq` is at most `seq - first` slots in, and at least that less the seqs missing between
//! the first and the last (the corrections, which have no effective event). In a fold from
//! zero the window is as wide as the corrections are many; in a [`super::Slice`], whose
//! seqs are sparse, it is the whole vector.

use crate::domain::{Event, Seq};

#[derive(Clone, Debug, Default)]
pub(crate) struct Effective {
    /// Unique seqs, increasing; `None`: retracted (its slot kept for a later replacement).
    slots: Vec<(Seq, Option<Event>)>,
}

impl Effective {
    pub(crate) fn get(&self, seq: &Seq) -> Option<&Event> {
        let at = self.find(*seq).ok()?;
        self.slots[at].1.as_ref()
    }

    pub(crate) fn contains_key(&self, seq: &Seq) -> bool {
        self.get(seq).is_some()
    }

    /// Puts `event` at `seq`; returns the event it replaces.
    pub(crate) fn insert(&mut self, seq: Seq, event: Event) -> Option<Event> {
        if self.slots.last().is_none_or(|(last, _)| *last < seq) {
            self.slots.push((seq, Some(event)));
            return None;
        }
        match self.find(seq) {
            Ok(at) => self.slots[at].1.replace(event),
            Err(at) => {
                self.slots.insert(at, (seq, Some(event)));
                None
            }
        }
    }

    /// Takes the event at `seq` out, leaving its slot empty.
    pub(crate) fn remove(&mut self, seq: &Seq) -> Option<Event> {
        let at = self.find(*seq).ok()?;
        self.slots[at].1.take()
    }

    /// Where `seq`'s slot is (`Ok`) or would go (`Err`).
    fn find(&self, seq: Seq) -> Result<usize, usize> {
        let (Some((first, _)), Some((last, _))) = (self.slots.first(), self.slots.last()) else {
            return Err(0);
        };
        if seq < *first {
            return Err(0);
        }
        if seq > *last {
            return Err(self.slots.len());
        }
        let offset = usize::try_from(seq.0 - first.0).expect("a seq within the vector's span");
        let span = usize::try_from(last.0 - first.0).expect("the vector's span fits") + 1;
        let missing = span - self.slots.len();
        let low = offset.saturating_sub(missing);
        let high = offset.min(self.slots.len() - 1);
        // The missing seqs taken as spread evenly: where `seq` would be, searched from there
        // outwards. A binary search of the whole window touched a cache line per step, and
        // cost more than the B-tree it replaced (profiled).
        let guess =
            u128::try_from(offset).expect("usize fits") * self.slots.len() as u128 / span as u128;
        let guess = usize::try_from(guess)
            .expect("at most offset")
            .clamp(low, high);
        self.gallop(seq, low, high, guess)
    }

    /// Finds `seq` in `slots[low..=high]`, which holds its place, looking first at `guess`,
    /// then at steps doubling away from it, then by binary search between the last two.
    fn gallop(&self, seq: Seq, low: usize, high: usize, guess: usize) -> Result<usize, usize> {
        let at = |i: usize| self.slots[i].0;
        let within = |from: usize, to: usize| match self.slots[from..=to]
            .binary_search_by_key(&seq, |(s, _)| *s)
        {
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

    /// The events held, in order of seq.
    fn iter(&self) -> impl Iterator<Item = (Seq, &Event)> {
        self.slots
            .iter()
            .filter_map(|(seq, event)| event.as_ref().map(|e| (*seq, e)))
    }

    /// Sorted by seq, the last of equal seqs kept (as a map's inserts would leave them).
    fn normalize(&mut self) {
        if self.slots.windows(2).all(|w| w[0].0 < w[1].0) {
            return;
        }
        let mut slots = std::mem::take(&mut self.slots);
        slots.sort_by_key(|(seq, _)| *seq);
        for (seq, event) in slots {
            match self.slots.last_mut() {
                Some((last, slot)) if *last == seq => *slot = event,
                _ => self.slots.push((seq, event)),
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
        self.slots
            .extend(events.into_iter().map(|(seq, event)| (seq, Some(event))));
        self.normalize();
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
        let sparse: BTreeMap<Seq, Event> = [3, 900_000, 900_001, 4_000_000]
            .map(|s| (Seq(s), joined(s)))
            .into();
        same_as(&sparse.clone().into_iter().collect(), &sparse, 10);
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
