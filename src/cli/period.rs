//! `--from` and `--to`: the period a drawing or an export covers (`timeline`, `report`,
//! `export`).

use crate::cli::CliError;
use crate::domain::Date;

/// `--from` and `--to` as days, `--to` after `--from` (a usage error otherwise: exit 2).
pub(crate) fn dates(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(Option<Date>, Option<Date>), CliError> {
    let date = |flag: &str, s: Option<&str>| {
        s.map(|s| Date::parse(s).map_err(|e| CliError::Usage(format!("{flag}: {e}"))))
            .transpose()
    };
    let from = date("--from", from)?;
    let to = date("--to", to)?;
    if let (Some(f), Some(t)) = (from, to) {
        if t <= f {
            return Err(CliError::Usage(format!(
                "--to ({t}) must be after --from ({f})"
            )));
        }
    }
    Ok((from, to))
}
