use std::path::PathBuf;

use serde::Serialize;

use crate::cli::evidence::{read_text, read_verifier_key};
use crate::cli::{output, CliError, Context};
use crate::merkle::{ConsistencyProof, WitnessSigner};
use crate::publication::{verify_published, Source};
use crate::witness::{witness, Offer, ProofFrom, WitnessError};

/// Witness the ledger: cosign a checkpoint only if it extends the last one this witness cosigned.
///
/// Checks that --checkpoint is signed by the log's key (--log-key); if --state already holds a
/// checkpoint of that origin, checks with --proof (from `ccm-ledger prove --from OLD --to NEW`)
/// that the new tree extends it. Then stores it as the latest seen and prints it with this
/// witness's cosignature added (a C2SP tlog-cosignature `cosignature/v1` line, timestamped).
/// A witness never cosigns two different trees of one size, nor a smaller tree than the last:
/// a fork, a rollback, a bad proof or a wrong key fails with exit 3, and the checkpoint it
/// contradicts and the refused one are kept in --state as evidence. The witness key is made
/// by `ccm-ledger keygen NAME --witness`. Two witnesses on one --state take turns (a lock).
///
/// With --published DIR|URL instead of --checkpoint and --proof, the witness fetches the ISU's
/// publication (`ccm-ledger publish`), verifies all of it as `verify --published` does, and
/// computes the consistency proof itself from the published entries.
///
/// Examples:
///   ccm-ledger keygen example.org/witness --witness     writes example.org_witness.key/.pub
///   ccm-ledger witness --state wstate --key example.org_witness.key --log-key isu.pub \
///       --checkpoint 2025.checkpoint > cosigned.checkpoint
///   ccm-ledger witness --state wstate --key example.org_witness.key --log-key isu.pub \
///       --checkpoint today.checkpoint --proof since-last-year.proof > cosigned.checkpoint
///   ccm-ledger witness --state wstate --key example.org_witness.key --log-key isu.pub \
///       --published public/ > cosigned.checkpoint      (or the publication's https://… address)
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The witness's state directory (created if missing): the latest cosigned checkpoint of
    /// each log, and the evidence of refusals
    #[arg(long, value_name = "DIR")]
    state: PathBuf,

    /// The witness's signer key (from `keygen NAME --witness`)
    #[arg(long, value_name = "KEYFILE")]
    key: PathBuf,

    /// The log's verifier key (the ISU's NAME.pub)
    #[arg(long, value_name = "PUBKEY")]
    log_key: PathBuf,

    /// The new signed checkpoint to cosign
    #[arg(long, value_name = "FILE", required_unless_present = "published")]
    checkpoint: Option<PathBuf>,

    /// The consistency proof from the last cosigned size to the new one
    #[arg(long, value_name = "FILE", requires = "checkpoint")]
    proof: Option<PathBuf>,

    /// Cosign the checkpoint of this publication (a directory or an http:// URL), verified whole
    #[arg(long, value_name = "DIR|URL", conflicts_with = "checkpoint")]
    published: Option<String>,
}

#[derive(Serialize)]
struct Answer<'a> {
    origin: &'a str,
    size: u64,
    previous: Option<u64>,
    checkpoint: &'a str,
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let key_text = read_text(&args.key, "--key")?;
    let signer = WitnessSigner::parse(&key_text)
        .map_err(|e| CliError::input(format!("--key {}: {e}", args.key.display())))?;
    let log_key = read_verifier_key(&args.log_key)?;
    let (note, entries) = match (&args.checkpoint, &args.published) {
        (Some(path), _) => (read_text(path, "--checkpoint")?, None),
        (None, Some(location)) => {
            let source = Source::new(location);
            let verified = verify_published(&source, &log_key, None, None).map_err(|e| {
                if e.is_verification() {
                    CliError::NotVerified(format!("not cosigned: {e}"))
                } else {
                    CliError::unreadable_publication(&e)
                }
            })?;
            (verified.note, Some(verified.entry_hashes))
        }
        (None, None) => unreachable!("clap requires --checkpoint or --published"),
    };
    let proof = match &args.proof {
        Some(path) => Some(
            ConsistencyProof::parse(read_text(path, "--proof")?.trim_end())
                .map_err(|e| CliError::input(format!("--proof {}: {e}", path.display())))?,
        ),
        None => None,
    };
    let offer = Offer {
        note: &note,
        proof: match (&proof, &entries) {
            (Some(proof), _) => ProofFrom::Given(proof),
            (None, Some(entries)) => ProofFrom::Entries(entries),
            (None, None) => ProofFrom::Nothing,
        },
        now: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    };
    let cosigned = witness(&args.state, &signer, &log_key, &offer).map_err(|e| match e {
        WitnessError::ProofNeeded { from, to, .. } => {
            let hint = format!(
                "the log's operator makes the proof with `ccm-ledger prove --from {from} --to {to}`; give it with --proof"
            );
            CliError::input(format!("not cosigned: {e}")).with_hint(hint)
        }
        e if e.is_refusal() => CliError::NotVerified(format!("not cosigned: {e}")),
        e => CliError::input(e.to_string()),
    })?;
    if !ctx.json {
        let since = match cosigned.previous {
            Some(size) => format!("extends the cosigned size {size}"),
            None => "the first checkpoint of this log seen".to_owned(),
        };
        eprintln!(
            "cosigned {} at size {} as {} ({since})",
            cosigned.checkpoint.origin,
            cosigned.checkpoint.size,
            signer.name()
        );
        return output::text(&cosigned.note);
    }
    output::json(&Answer {
        origin: &cosigned.checkpoint.origin,
        size: cosigned.checkpoint.size,
        previous: cosigned.previous,
        checkpoint: &cosigned.note,
    })
}
