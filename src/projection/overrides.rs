//! The override reasons by seq, an equal reason shared with the entry before it.
//!
//! A batch that overrides a finding usually gives many lines the same reason (every line of
//! the synthetic benchmark files says "synthetic"): a `String` each was a heap allocation per
//! entry, ~32 B at least, besides its 24 B in the map (session 5's heaptrack at 10^6: 52 MB
//! of map and as much of strings). A reason equal to the one of the entry before it is the
//! same `Arc<str>`.

use std::collections::BTreeMap;
use std::ops::RangeBounds;
use std::sync::Arc;

use crate::domain::Seq;

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Overrides(BTreeMap<Seq, Arc<str>>);

impl Overrides {
    pub(crate) fn get(&self, seq: &Seq) -> Option<&str> {
        self.0.get(seq).map(|reason| &**reason)
    }

    /// The reason of entry `seq` as held (shared), for putting it back with [`Self::restore`].
    pub(crate) fn saved(&self, seq: &Seq) -> Option<Arc<str>> {
        self.0.get(seq).cloned()
    }

    /// Entry `seq`'s reason, or none.
    pub(crate) fn set(&mut self, seq: Seq, reason: Option<&str>) {
        match reason {
            Some(reason) => {
                let shared = match self.0.range(..seq).next_back() {
                    Some((_, before)) if **before == *reason => Arc::clone(before),
                    _ => Arc::from(reason),
                };
                self.0.insert(seq, shared);
            }
            None => {
                self.0.remove(&seq);
            }
        }
    }

    /// Puts back what [`Self::saved`] gave.
    pub(crate) fn restore(&mut self, seq: Seq, saved: Option<Arc<str>>) {
        match saved {
            Some(reason) => self.0.insert(seq, reason),
            None => self.0.remove(&seq),
        };
    }

    /// The reasons of the entries in `seqs`, in order, as a section holds them.
    pub(crate) fn range(&self, seqs: impl RangeBounds<Seq>) -> impl Iterator<Item = (&Seq, &str)> {
        self.0.range(seqs).map(|(seq, reason)| (seq, &**reason))
    }
}

/// Reasons read back (from the snapshot's sections), shared as [`Overrides::set`] shares them.
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
    fn an_equal_reason_is_shared_with_the_entry_before_and_reads_the_same() {
        let mut overrides = Overrides::default();
        overrides.set(Seq(1), Some("synthetic"));
        overrides.set(Seq(2), Some("synthetic"));
        overrides.set(Seq(4), Some("R2: decided so"));
        overrides.extend([(Seq(5), "R2: decided so".to_owned())]);
        assert!(Arc::ptr_eq(&overrides.0[&Seq(1)], &overrides.0[&Seq(2)]));
        assert!(Arc::ptr_eq(&overrides.0[&Seq(4)], &overrides.0[&Seq(5)]));
        assert_eq!(overrides.get(&Seq(2)), Some("synthetic"));
        assert_eq!(overrides.get(&Seq(3)), None);
        let saved = overrides.saved(&Seq(2));
        overrides.set(Seq(2), None);
        assert_eq!(overrides.get(&Seq(2)), None);
        overrides.restore(Seq(2), saved);
        assert_eq!(
            overrides.range(Seq(2)..Seq(5)).collect::<Vec<_>>(),
            [(&Seq(2), "synthetic"), (&Seq(4), "R2: decided so")]
        );
    }
}
