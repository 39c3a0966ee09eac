use std::path::PathBuf;

use crate::cli::{output, CliError, Context};
use crate::ledger::config::sign_checkpoint;
use crate::ledger::Access;
use crate::merkle::{merge_cosignatures, split_note, MergeError};

use super::verify_proof::read_text;

/// Print the ledger's latest signed checkpoint, or sign one now.
///
/// A checkpoint (c2sp.org/tlog-checkpoint) is a signed note of the ledger's origin, its size
/// and the Merkle root of its entries: hand it out, and anyone holding the verifier key can
/// later check an export (`verify --bundle`) or a proof (`verify-proof`) against it. Without
/// --key, prints the checkpoint signed after the last append (ledgers initialised with
/// --sign-with); with --key, signs one for the current head and prints it.
///
/// Examples:
///   ccm-ledger checkpoint > today.checkpoint
///   ccm-ledger checkpoint --key isu.key > today.checkpoint
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Sign a checkpoint of the current head with this signer key
    #[arg(long, value_name = "KEYFILE", conflicts_with = "add_cosignatures")]
    key: Option<PathBuf>,

    /// Merge these cosigned copies of the latest checkpoint into it
    #[arg(long, value_name = "FILE", num_args = 1..)]
    add_cosignatures: Vec<PathBuf>,
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    if !args.add_cosignatures.is_empty() {
        return add_cosignatures(ctx, &args.add_cosignatures);
    }
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

/// Merges the cosignatures of `files` into the ledger's latest checkpoint, under the writer's
/// lock (an append would replace the file meanwhile), and prints the result.
fn add_cosignatures(ctx: &Context, files: &[PathBuf]) -> Result<(), CliError> {
    let ledger = ctx.open(Access::Write)?;
    let note = ledger.latest_checkpoint()?.ok_or_else(|| {
        CliError::input(format!(
            "{} has no signed checkpoint to add cosignatures to (initialise it with --sign-with)",
            ledger.dir().display()
        ))
    })?;
    let copies = files
        .iter()
        .map(|path| read_text(path, "--add-cosignatures"))
        .collect::<Result<Vec<_>, _>>()?;
    for (copy, path) in copies.iter().zip(files) {
        split_note(copy).map_err(|e| {
            CliError::input(format!(
                "{}: not a signed checkpoint ({e}); nothing was added",
                path.display()
            ))
        })?;
    }
    let copies: Vec<&str> = copies.iter().map(String::as_str).collect();
    let (merged, added) = merge_cosignatures(&note, &copies).map_err(|e| match e {
        MergeError::OtherTree { index } => CliError::input(format!(
            "{}: not a copy of the ledger's latest checkpoint (another tree or size); nothing was added",
            files[index].display()
        )),
        MergeError::Note(e) => CliError::input(format!(
            "the ledger's checkpoint, or with the cosignatures added: {e}"
        )),
    })?;
    ledger.replace_checkpoint(&merged)?;
    eprintln!(
        "added {added} cosignatures to the checkpoint of {}",
        ledger.dir().display()
    );
    if ctx.json {
        output::json(&serde_json::json!({ "checkpoint": merged, "added": added }))
    } else {
        output::text(&merged)
    }
}
