//! Whether events may be appended: the step between reading input and writing entries
//! ("handle decides, apply only applies").

use crate::cli::moment;
use crate::cli::CliError;
use crate::domain::jsonl::Line;
use crate::ledger::{Ledger, Prepared};
use crate::projection::Projection;
use crate::rules::{self, Tolerances};
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
/// causes it, and the exit code is 4. `line_numbers[i]` is the line of the i-th entry.
pub fn keep_rules(
    base: &Projection,
    source: &str,
    line_numbers: &[usize],
    prepared: &Prepared,
) -> Result<(), CliError> {
    let tolerances = Tolerances::default();
    let mut after = base.clone();
    after.apply_all(prepared.entries.iter().map(|s| &s.entry));
    let added = rules::new_findings(
        &rules::check(base, &tolerances),
        &rules::check(&after, &tolerances),
    );
    let errors: Vec<_> = added.into_iter().filter(|f| f.is_error()).collect();
    if errors.is_empty() {
        return Ok(());
    }
    let first_new = base.entries_applied();
    let mut message = Vec::new();
    for f in &errors {
        // The newest entry involved is the one this append brings (seqs are sorted).
        let line = f
            .seqs
            .iter()
            .rev()
            .find(|s| s.0 >= first_new)
            .and_then(|s| line_numbers.get((s.0 - first_new) as usize))
            .map(|n| format!("{source}:{n}: "))
            .unwrap_or_else(|| format!("{source}: "));
        message.push(format!("{line}{f}"));
    }
    eprint!("{}", super::check::render(&errors, false));
    Err(CliError::Findings(format!(
        "refused: the events would break a continuity rule; nothing was recorded\n{}\nhint: if the decision was taken knowingly, record it with \"override\": \"reason\" on the line (or `record --override REASON`)",
        message.join("\n")
    )))
}
