//! Whether events may be appended: the step between reading input and writing entries
//! ("handle decides, apply only applies").

use crate::cli::moment::{self, KnownAt};
use crate::cli::CliError;
use crate::domain::jsonl::{Line, MAX_REPORTED_ERRORS};
use crate::ledger::Ledger;
use crate::projection::Projection;
use crate::validate::validate;

/// The projection at the head of `ledger` (None: an empty ledger).
pub fn head_projection(ledger: Option<&mut Ledger>) -> Result<Projection, CliError> {
    match ledger {
        None => Ok(Projection::default()),
        Some(ledger) => {
            let known = KnownAt {
                entries: ledger.head().entries,
            };
            moment::projection(ledger, known)
        }
    }
}

/// Validates `lines` in order as if appended to `base`: each line may name what an earlier
/// line recorded. Every refusal names the source, the line and the field. Returns the
/// projection with every line applied.
pub fn validate_lines(
    base: &Projection,
    source: &str,
    lines: &[(usize, Line)],
) -> Result<Projection, CliError> {
    let mut scratch = base.clone();
    let mut errors = Vec::new();
    for (number, line) in lines {
        match validate(&scratch, &line.draft.event) {
            Ok(()) => scratch.apply_event(&line.draft.event),
            Err(refusal) => {
                let field = refusal
                    .field()
                    .map(|f| format!("field `{f}`: "))
                    .unwrap_or_default();
                errors.push(format!("{source}:{number}: {field}{refusal}"));
                if errors.len() >= MAX_REPORTED_ERRORS {
                    break;
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(scratch)
    } else {
        Err(CliError::Input(errors))
    }
}

/// Validates `lines` as if appended to `ledger` (None: an empty ledger).
pub fn admit(
    ledger: Option<&mut Ledger>,
    source: &str,
    lines: &[(usize, Line)],
) -> Result<(), CliError> {
    let base = head_projection(ledger)?;
    validate_lines(&base, source, lines)?;
    Ok(())
}
