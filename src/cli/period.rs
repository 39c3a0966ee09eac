//! `--from` and `--to`: the period a drawing or an export covers (`timeline`, `report`,
//! `export`).

use crate::cli::CliError;
use crate::domain::Date;

/// `--from` and `--to` (days, parsed by clap), `--to` after `--from` (a usage error
/// otherwise: exit 2).
pub(crate) fn dates(
    from: Option<Date>,
    to: Option<Date>,
) -> Result<(Option<Date>, Option<Date>), CliError> {
    if let (Some(f), Some(t)) = (from, to) {
        if t <= f {
            return Err(CliError::Usage(format!(
                "--to ({t}) must be after --from ({f})"
            )));
        }
    }
    Ok((from, to))
}
