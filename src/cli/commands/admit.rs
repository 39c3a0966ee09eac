//! Whether events may be appended: the step between reading input and writing entries
//! ("handle decides, apply only applies").

use crate::cli::moment::{self, KnownAt};
use crate::cli::CliError;
use crate::domain::jsonl::Line;
use crate::ledger::Ledger;
use crate::projection::Projection;
use crate::validate::validate_all;

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
