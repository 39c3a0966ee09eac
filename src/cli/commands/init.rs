use crate::cli::{output, CliError, Context};
use crate::ledger::Ledger;

/// Create an empty ledger.
///
/// The directory is created if missing; a directory that already holds a ledger is refused.
/// (`import` also creates the ledger when there is none.)
///
/// Example:
///   ccm-ledger --ledger ./ccm init
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {}

pub fn run(ctx: &Context, _args: Args) -> Result<(), CliError> {
    let ledger = Ledger::init(&ctx.ledger_dir)?;
    if ctx.json {
        output::json(&serde_json::json!({
            "ledger": ledger.dir().display().to_string(),
            "entries": 0,
        }))
    } else {
        output::text(&format!(
            "created an empty ledger in {}",
            ledger.dir().display()
        ))
    }
}
