use std::path::PathBuf;

use crate::cli::{output, CliError, Context};
use crate::ledger::config::sign_checkpoint;
use crate::ledger::Access;

/// Print the ledger's latest signed checkpoint, or sign one now.
///
/// A checkpoint (c2sp.org/tlog-checkpoint) is a signed note of the ledger's origin, its size
/// and the Merkle root of its entries: hand it out, and anyone holding the verifier key can
/// later check an export (`verify --bundle`) or a proof (`verify-proof`) against it. Without
/// --key, prints the checkpoint signed after the last append (ledgers initialised with
/// --sign-with); with --key, signs one for the current head and prints it.
///
/// Examples:
///   ccm-ledger --ledger ./ccm checkpoint > today.checkpoint   the latest, on a ledger that signs
///   ccm-ledger checkpoint --key isu.key > today.checkpoint   one signed now, for the head
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Sign a checkpoint of the current head with this signer key
    #[arg(long, value_name = "KEYFILE")]
    key: Option<PathBuf>,
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let ledger = ctx.open(Access::Inspect)?;
    let note = match &args.key {
        Some(key) => {
            let checkpoint = ledger.checkpoint_body(ledger.head().entries)?;
            sign_checkpoint(&checkpoint, key)?
        }
        None => ledger.latest_checkpoint()?.ok_or_else(|| {
            CliError::input(format!(
                "{} has no signed checkpoint yet: sign one with `ccm-ledger checkpoint --key KEYFILE`, or initialise the ledger with --sign-with",
                ledger.dir().display()
            ))
        })?,
    };
    if ctx.json {
        output::json(&serde_json::json!({ "checkpoint": note }))
    } else {
        output::text(&note)
    }
}
