use std::path::PathBuf;

use crate::cli::{output, CliError, Context};
use crate::ledger::config::{origin_from_name, read_signer_key, Config};
use crate::ledger::Ledger;

/// Create an empty ledger.
///
/// The directory is created if missing; a directory that already holds a ledger is refused.
/// (`import` also creates the ledger when there is none, with the default origin.)
///
/// The ledger's name goes into its signed checkpoints as their origin, `ccm-ledger/NAME`
/// (NAME is the directory's name unless --origin says otherwise; a NAME with a `/` is taken
/// as the whole origin). With --sign-with, every append signs a checkpoint of the new head
/// into the file `checkpoint` of the ledger directory. Both are kept in the file `config`.
///
/// Examples:
///   ccm-ledger --ledger ./new init
///   ccm-ledger keygen ccm && ccm-ledger --ledger ./signed init --origin ccm --sign-with ccm.key
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The ledger's name in its checkpoints [default: the directory's name]
    #[arg(long, value_name = "NAME")]
    origin: Option<String>,

    /// Sign a checkpoint after every append with this signer key (from `keygen`)
    #[arg(long, value_name = "KEYFILE")]
    sign_with: Option<PathBuf>,
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let mut config = Config::default_for(&ctx.ledger_dir);
    if let Some(name) = &args.origin {
        config.origin =
            origin_from_name(name).map_err(|e| CliError::Usage(format!("--origin: {e}")))?;
    }
    if let Some(key) = &args.sign_with {
        // Refuse a key that cannot sign now rather than warn at every append.
        read_signer_key(key)?;
        let absolute = std::path::absolute(key)
            .map_err(CliError::io(format!("cannot resolve {}", key.display())))?;
        config.sign_with = Some(absolute);
    }
    let ledger = Ledger::init_with(&ctx.ledger_dir, &config)?;
    if ctx.json {
        output::json(&serde_json::json!({
            "ledger": ledger.dir().display().to_string(),
            "entries": 0,
            "origin": ledger.origin(),
            "sign_with": config.sign_with.as_ref().map(|p| p.display().to_string()),
        }))
    } else {
        output::text(&format!(
            "created an empty ledger in {} (origin {})",
            ledger.dir().display(),
            ledger.origin()
        ))
    }
}
