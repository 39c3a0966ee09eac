use std::path::PathBuf;

use crate::cli::exported::{self, Export, Format};
use crate::cli::{CliError, Context};
use crate::domain::Date;

/// Write the ledger as JSON Lines that `import` accepts, or its terms as CSV or Popolo.
///
/// jsonl (the default): every line is one entry's event in the import format, with the
/// entry's `seq`, `hash`, `recorded_at`, `recorded_by` and `override` beside it. Importing the
/// export into an empty ledger reproduces the same entries and the same head hash (import
/// checks each line's seq and hash).
///
/// csv: one row per term of every body and of the Presidency, for spreadsheets (RFC 4180):
/// body (`presidency` for the Presidency), body_name (today's), seat (empty for the
/// Presidency), state, state_name, start, end (empty while running), until_close_of,
/// how_ended, decision_meeting, decision_date, seq, person (who held the office for the
/// State, if the election says), office (Coordinator, President or President-designate),
/// body_name_at_start (the body's name on the term's first day). --state and --body (an id
/// or a name, repeatable) keep only those States' or those bodies' terms (--body leaves out
/// the Presidency); --from and --to keep the terms that overlap [FROM, TO). A text cell
/// beginning with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so a
/// spreadsheet shows it instead of running it.
///
/// popolo: the bodies, the Presidency and the States as Popolo organizations, a post per
/// seat, and a membership per term (the State as the member organization).
///
/// Examples:
///   ccm-ledger export --out ccm.jsonl
///   ccm-ledger export | head -3
///   ccm-ledger export --format csv --out terms.csv
///   ccm-ledger export --format csv --state LAO --out lao.csv
///   ccm-ledger export --format csv --body coord-reporting --from 2012-01-01 --to 2016-01-01
///   ccm-ledger export --format popolo --out ccm-popolo.json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Write to FILE instead of standard output (replaced only once complete)
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// What to write
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    format: Format,
    /// csv: only the terms of this State (its code or name); repeat for several
    #[arg(long, value_name = "STATE")]
    state: Vec<String>,
    /// csv: only the terms of this body (its id or a name it has had), and none of the
    /// Presidency's; repeat for several
    #[arg(long, value_name = "BODY")]
    body: Vec<String>,
    /// csv: only terms still held on or after this day, YYYY-MM-DD
    #[arg(long, value_name = "DATE")]
    from: Option<Date>,
    /// csv: only terms begun before this day, YYYY-MM-DD
    #[arg(long, value_name = "DATE")]
    to: Option<Date>,
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    exported::export(
        ctx,
        &Export {
            out: args.out,
            format: args.format,
            state: args.state,
            body: args.body,
            from: args.from,
            to: args.to,
        },
    )
}
