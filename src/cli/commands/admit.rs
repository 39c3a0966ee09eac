//! Whether events may be appended: the step between reading input and writing entries
//! ("handle decides, apply only applies").

use crate::cli::moment;
use crate::cli::CliError;
use crate::domain::jsonl::Line;
use crate::ledger::Ledger;
use crate::projection::Projection;
use crate::rules::{self, Finding, Tolerances};
use crate::validate::validate_all;

/// The projection at the head of `ledger` (None: an empty ledger).
pub fn head_projection(ledger: Option<&mut Ledger>) -> Result<Projection, CliError> {
    match ledger {
        None => Ok(Projection::default()),
        Some(ledger) => moment::projection_to_extend(ledger),
    }
}

/// Validates `lines` in order as if appended to `base`: each line may name what an earlier
/// line recorded. The first refusal names the source, the line and the field (later lines may
/// depend on the refused one, so they are not judged). Returns the projection with every line
/// applied.
pub fn validate_lines(
    base: &Projection,
    source: &str,
    lines: &[(usize, Line)],
) -> Result<Projection, CliError> {
    validate_all(base, lines.iter().map(|(_, line)| &line.draft.event)).map_err(|(i, refusal)| {
        let field = refusal
            .field()
            .map(|f| format!("field `{f}`: "))
            .unwrap_or_default();
        CliError::input(format!("{source}:{}: {field}{refusal}", lines[i].0))
    })
}

/// Refuses the append if its entries would add a continuity-rule finding of severity error
/// that no override on its line excuses: the findings are printed, each with the line that
/// causes it, and the exit code is 4. `before` are the findings before the append, `after`
/// the projection with it applied (an import's validation folds the lines onto it),
/// `first_new` the seq of the append's first entry, `numbers` the line of each entry.
pub fn refuse_added_errors(
    before: &[Finding],
    first_new: u64,
    after: &Projection,
    source: &str,
    numbers: &LineNumbers,
) -> Result<(), CliError> {
    let tolerances = Tolerances::default();
    let added = rules::new_findings(before, &rules::check(after, &tolerances));
    let errors: Vec<_> = added.into_iter().filter(|f| f.is_error()).collect();
    if errors.is_empty() {
        return Ok(());
    }
    let mut message = Vec::new();
    for f in &errors {
        // The newest entry involved is the one this append brings (seqs are sorted).
        let line = f
            .seqs
            .iter()
            .rev()
            .find(|s| s.0 >= first_new)
            .and_then(|s| numbers.get((s.0 - first_new) as usize))
            .map(|n| format!("{source}:{n}: "))
            .unwrap_or_else(|| format!("{source}: "));
        message.push(format!("{line}{f}"));
    }
    eprint!(
        "{}",
        crate::cli::output::printable_lines(&super::check::render(&errors, false))
    );
    Err(CliError::Findings(format!(
        "refused: the events would break a continuity rule; nothing was recorded\n{}\nhint: if the decision was taken knowingly, record it with \"override\": \"reason\" on the line (or `record --override REASON`)",
        message.join("\n")
    )))
}

/// The line each entry of an append came from, for messages. Lines are numbered from 1 and
/// blank lines are skipped, so the numbers run in long consecutive stretches: a stretch is
/// kept, not a number per entry (an import of 10^6 lines keeps a few).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LineNumbers {
    /// (index of an entry, its line), where a stretch of consecutive lines starts.
    stretches: Vec<(usize, usize)>,
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

#[cfg(test)]
mod tests {
    use super::LineNumbers;

    #[test]
    fn line_numbers_skip_blank_lines_and_keep_only_where_a_stretch_starts() {
        let lines = [1, 2, 3, 5, 6, 9, 10, 11, 12];
        let numbers: LineNumbers = lines.into_iter().collect();
        assert_eq!(numbers.stretches.len(), 3);
        for (index, line) in lines.into_iter().enumerate() {
            assert_eq!(numbers.get(index), Some(line));
        }
        assert_eq!(numbers.get(lines.len()), None);
    }
}
