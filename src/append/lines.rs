//! The line each entry of a draft came from.

/// The line each entry of an append came from, for messages. Lines are numbered from 1 and
/// blank lines are skipped, so the numbers run in long consecutive stretches: a stretch is
/// kept, not a number per entry (an import of 10^6 lines keeps a few).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LineNumbers {
    /// (index of an entry, its line), where a stretch of consecutive lines starts.
    pub(super) stretches: Vec<(usize, usize)>,
    len: usize,
}

impl LineNumbers {
    /// The line of the next entry.
    pub fn push(&mut self, line: usize) {
        let continues = self
            .stretches
            .last()
            .is_some_and(|&(index, first)| first + (self.len - index) == line);
        if !continues {
            self.stretches.push((self.len, line));
        }
        self.len += 1;
    }

    /// The line of entry `index` of the append.
    pub fn get(&self, index: usize) -> Option<usize> {
        if index >= self.len {
            return None;
        }
        let after = self.stretches.partition_point(|&(start, _)| start <= index);
        let (start, first) = self.stretches[after - 1];
        Some(first + (index - start))
    }
}

impl FromIterator<usize> for LineNumbers {
    fn from_iter<I: IntoIterator<Item = usize>>(lines: I) -> LineNumbers {
        let mut numbers = LineNumbers::default();
        for line in lines {
            numbers.push(line);
        }
        numbers
    }
}
