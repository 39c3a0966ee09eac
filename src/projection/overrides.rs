//! The override reasons by seq, kept as runs of consecutive entries with the same reason.
//!
//! A batch that overrides a finding usually gives many lines the same reason (every line of
//! the synthetic benchmark files says "synthetic"): a `String` each was a heap allocation per
//! entry, ~32 B at least, besides its 24 B in the map (session 5's heaptrack at 10^6: 52 MB
//! of map and as much of strings). Sharing the reason (`Arc<str>`) left the map: 40 MB at
//! 10^6 (session 7). A run of entries with an equal reason is now one entry of the map, its
//! first seq → its end and reason; most ledgers hold a few runs, not an entry per line.
//!
//! The runs are kept canonical (no empty run; two runs that touch never have equal reasons),
//! so two equal sets of reasons are equal maps, however they were set.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use crate::domain::Seq;

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Overrides(BTreeMap<Seq, Run>);

/// Entries `first..end` (the key of the map is `first`), each with `reason`.
#[derive(Clone, Debug, PartialEq)]
struct Run {
    end: Seq,
    reason: Arc<str>,
}

impl Overrides {
    pub(crate) fn get(&self, seq: &Seq) -> Option<&str> {
        self.run_of(*seq).map(|(_, run)| &*run.reason)
    }

    /// The reason of entry `seq` as held (shared), for putting it back with [`Self::restore`].
    pub(crate) fn saved(&self, seq: &Seq) -> Option<Arc<str>> {
        self.run_of(*seq).map(|(_, run)| Arc::clone(&run.reason))
    }

    /// Entry `seq`'s reason, or none.
    pub(crate) fn set(&mut self, seq: Seq, reason: Option<&str>) {
        if self.get(&seq) == reason {
            return;
        }
        self.cut_out(seq);
        if let Some(reason) = reason {
            self.put(seq, reason, None);
        }
    }

    /// Puts back what [`Self::saved`] gave.
    pub(crate) fn restore(&mut self, seq: Seq, saved: Option<Arc<str>>) {
        if self.get(&seq) == saved.as_deref() {
            return;
        }
        self.cut_out(seq);
        if let Some(reason) = saved {
            let text = Arc::clone(&reason);
            self.put(seq, &text, Some(reason));
        }
    }

    /// The reasons of the entries in `seqs`, in order, as a section holds them.
    pub(crate) fn range(&self, seqs: Range<Seq>) -> impl Iterator<Item = (Seq, &str)> {
        // The run that starts before `seqs` and reaches into it, then those that start in it.
        let before = self
            .0
            .range(..seqs.start)
            .next_back()
            .filter(|(_, run)| run.end > seqs.start);
        let within = self.0.range(seqs.clone());
        before
            .into_iter()
            .chain(within)
            .flat_map(move |(first, run)| {
                let from = (*first).max(seqs.start).0;
                let until = run.end.min(seqs.end).0;
                (from..until).map(move |seq| (Seq(seq), &*run.reason))
            })
    }

    /// The run holding entry `seq`, with its first seq.
    fn run_of(&self, seq: Seq) -> Option<(Seq, &Run)> {
        let (first, run) = self.0.range(..=seq).next_back()?;
        (seq < run.end).then_some((*first, run))
    }

    /// Takes entry `seq` out of its run (if any), leaving the run's other entries as they were.
    fn cut_out(&mut self, seq: Seq) {
        let Some((first, _)) = self.run_of(seq) else {
            return;
        };
        let run = self.0.remove(&first).expect("the run just found");
        if first < seq {
            self.0.insert(
                first,
                Run {
                    end: seq,
                    reason: Arc::clone(&run.reason),
                },
            );
        }
        let after = Seq(seq.0 + 1);
        if after < run.end {
            self.0.insert(after, run);
        }
    }

    /// Gives entry `seq`, which has no reason, `reason` (`held`: an allocation of it to keep),
    /// joining the runs that end just before it and start just after it if theirs is equal.
    fn put(&mut self, seq: Seq, reason: &str, held: Option<Arc<str>>) {
        let after = Seq(seq.0 + 1);
        let joins_before = self
            .0
            .range(..seq)
            .next_back()
            .filter(|(_, run)| run.end == seq && *run.reason == *reason)
            .map(|(first, _)| *first);
        let joins_after = self.0.get(&after).is_some_and(|run| *run.reason == *reason);
        let end = match joins_after {
            true => self.0.remove(&after).expect("the run just found").end,
            false => after,
        };
        match joins_before {
            Some(first) => {
                self.0.get_mut(&first).expect("the run just found").end = end;
            }
            None => {
                let reason = held.unwrap_or_else(|| Arc::from(reason));
                self.0.insert(seq, Run { end, reason });
            }
        }
    }

    /// How many runs are held (for the tests: equal neighbours are one run).
    #[cfg(test)]
    fn runs(&self) -> usize {
        self.0.len()
    }
}

/// Reasons read back (from the snapshot's sections), joined into runs as [`Overrides::set`]
/// joins them.
impl Extend<(Seq, String)> for Overrides {
    fn extend<I: IntoIterator<Item = (Seq, String)>>(&mut self, reasons: I) {
        for (seq, reason) in reasons {
            self.set(seq, Some(&reason));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_equal_reason_joins_the_run_of_the_entries_before_and_reads_the_same() {
        let mut overrides = Overrides::default();
        overrides.set(Seq(1), Some("synthetic"));
        overrides.set(Seq(2), Some("synthetic"));
        overrides.set(Seq(4), Some("R2: decided so"));
        overrides.extend([(Seq(5), "R2: decided so".to_owned())]);
        assert_eq!(overrides.runs(), 2);
        assert_eq!(overrides.get(&Seq(2)), Some("synthetic"));
        assert_eq!(overrides.get(&Seq(3)), None);
        let saved = overrides.saved(&Seq(2));
        overrides.set(Seq(2), None);
        assert_eq!(overrides.get(&Seq(2)), None);
        overrides.restore(Seq(2), saved);
        assert_eq!(
            overrides.range(Seq(2)..Seq(5)).collect::<Vec<_>>(),
            [(Seq(2), "synthetic"), (Seq(4), "R2: decided so")]
        );
        // A million lines that say the same are one run.
        let mut many = Overrides::default();
        for seq in 0..1_000_000 {
            many.set(Seq(seq), Some("synthetic"));
        }
        assert_eq!(many.runs(), 1);
        assert_eq!(many.range(Seq(999_998)..Seq(2_000_000)).count(), 2);
    }

    proptest::proptest! {
        /// Reasons set, cleared, saved and restored at any seq, in any order: every answer is
        /// a map's, and the runs are as few as the reasons allow (equal sets, equal runs).
        #[test]
        fn the_runs_answer_as_a_map_of_every_entry_would(
            ops in proptest::collection::vec((0u8..4, 0u64..40, 0u8..3), 0..120),
        ) {
            let reasons = ["synthetic", "R2: decided so", "R7"];
            let mut overrides = Overrides::default();
            let mut map: BTreeMap<Seq, &str> = BTreeMap::new();
            let mut saved: Option<(Seq, Option<Arc<str>>)> = None;
            for (op, seq, which) in ops {
                let seq = Seq(seq);
                match op {
                    0 | 1 => {
                        overrides.set(seq, Some(reasons[usize::from(which)]));
                        map.insert(seq, reasons[usize::from(which)]);
                    }
                    2 => {
                        overrides.set(seq, None);
                        map.remove(&seq);
                    }
                    _ => match saved.take() {
                        None => saved = Some((seq, overrides.saved(&seq))),
                        Some((at, reason)) => {
                            match &reason {
                                Some(r) => map.insert(at, reasons.iter().find(|x| **x == &**r).expect("one of them")),
                                None => map.remove(&at),
                            };
                            overrides.restore(at, reason);
                        }
                    },
                }
            }
            for seq in 0..42 {
                proptest::prop_assert_eq!(overrides.get(&Seq(seq)), map.get(&Seq(seq)).copied());
            }
            let all: Vec<(Seq, &str)> = map.iter().map(|(s, r)| (*s, *r)).collect();
            proptest::prop_assert_eq!(overrides.range(Seq(0)..Seq(42)).collect::<Vec<_>>(), all.clone());
            let middle: Vec<(Seq, &str)> =
                all.iter().copied().filter(|(s, _)| (Seq(7)..Seq(23)).contains(s)).collect();
            proptest::prop_assert_eq!(overrides.range(Seq(7)..Seq(23)).collect::<Vec<_>>(), middle);
            let mut rebuilt = Overrides::default();
            rebuilt.extend(map.iter().rev().map(|(s, r)| (*s, (*r).to_owned())));
            proptest::prop_assert_eq!(&rebuilt, &overrides);
        }
    }
}
