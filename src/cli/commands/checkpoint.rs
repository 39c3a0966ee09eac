use std::path::PathBuf;

use crate::cli::{output, CliError, Context};
use crate::ledger::config::{self, sign_checkpoint};
use crate::ledger::Access;

/// Print the ledger's latest signed checkpoint, or sign one now.
///
/// A checkpoint (c2sp.org/tlog-checkpoint) is a signed note of the ledger's origin, its size
/// and the Merkle root of its entries: hand it out, and anyone holding the verifier key can
/// later check an export (`verify --bundle`) or a proof (`verify-proof`) against it. Without
/// --key, prints the checkpoint signed last (after an append, on ledgers that sign, or by
/// `checkpoint --key`), and says so on stderr when it is older than the head. With --key,
/// signs one for the current head, keeps it as the ledger's latest (the file `checkpoint`)
/// and prints it; the key must be named as the ledger's origin. Nothing is signed over a
/// journal that does not extend the last checkpoint (exit 3). With --keep-signing as well,
/// the ledger signs after every append from now on (`sign-with` in its config): how signing
/// is enabled on an existing ledger.
///
/// Examples:
///   ccm-ledger --ledger ./ccm checkpoint > today.checkpoint   the latest it signed
///   ccm-ledger --ledger ./ccm checkpoint --key isu.key > today.checkpoint   one signed now
///   ccm-ledger --ledger ./ccm checkpoint --key isu.key --keep-signing   and after every append
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Sign a checkpoint of the current head with this signer key
    #[arg(long, value_name = "KEYFILE")]
    key: Option<PathBuf>,

    /// And sign after every append from now on, with the same key
    #[arg(long, requires = "key")]
    keep_signing: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let ledger = ctx.open(Access::Inspect)?;
    let note = match &args.key {
        Some(key) => {
            if let Some(exposed) = config::key_exposure(key) {
                eprintln!("warning: {exposed}");
            }
            let checkpoint = ledger.checkpoint_body(ledger.head().entries)?;
            let note = sign_checkpoint(&checkpoint, key)?;
            if ledger.holds_lock() {
                // Opening checked, under the lock, that the journal extends the checkpoint
                // kept before: this one extends it too.
                config::keep_checkpoint(ledger.dir(), &note)?;
            } else {
                eprintln!("note: a writer is at work, so this checkpoint was not kept as the ledger's latest");
            }
            if args.keep_signing {
                let absolute = std::path::absolute(key)
                    .map_err(CliError::io(format!("cannot resolve {}", key.display())))?;
                let mut config = ledger.config().clone();
                config.sign_with = Some(absolute);
                config.write(ledger.dir())?;
                eprintln!(
                    "every append to {} is now signed with {}",
                    ledger.dir().display(),
                    key.display()
                );
            }
            note
        }
        None => {
            let note = ledger.latest_checkpoint()?.ok_or_else(|| {
                CliError::input(format!(
                    "{} has no signed checkpoint yet: sign one with `ccm-ledger checkpoint --key KEYFILE`, or initialise the ledger with --sign-with",
                    ledger.dir().display()
                ))
            })?;
            if let Ok(Some(kept)) = config::read_own_checkpoint(ledger.dir()) {
                let head = ledger.head().entries;
                if kept.size < head {
                    eprintln!(
                        "note: this checkpoint covers the first {} of the ledger's {}: it is older than the head; `ccm-ledger checkpoint --key KEYFILE` signs one for the head",
                        output::count(kept.size, "entry", "entries"),
                        output::count(head, "entry", "entries")
                    );
                }
            }
            note
        }
    };
    if ctx.json {
        output::json(&serde_json::json!({ "checkpoint": note }))
    } else {
        output::text(&note)
    }
}
