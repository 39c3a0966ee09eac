use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::{output, CliError, Context};
use crate::merkle::{parse_and_verify, Checkpoint, Proof, ProofError, VerifierKey};

/// Check a Merkle proof against signed checkpoints, offline.
///
/// An inclusion proof (from `prove --seq`) is checked against --checkpoint: the entry with
/// that hash is in the ledger the checkpoint signed. A consistency proof (from `prove --from`)
/// is checked between --old-checkpoint and --checkpoint: the newer ledger only appended to
/// the older one, nothing in it was rewritten. Each checkpoint must be signed by --key and be
/// of the proof's size. Needs no ledger. Exit 0 when the proof holds, 3 when it does not.
///
/// Examples:
///   ccm-ledger verify-proof --proof entry42.proof --checkpoint today.checkpoint --key isu.pub
///   ccm-ledger verify-proof --proof since-last-year.proof --old-checkpoint 2025.checkpoint \
///       --checkpoint today.checkpoint --key isu.pub
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The proof (one line of JSON, from `prove`)
    #[arg(long, value_name = "FILE")]
    proof: PathBuf,

    /// The signed checkpoint the proof leads to
    #[arg(long, value_name = "FILE")]
    checkpoint: PathBuf,

    /// The older signed checkpoint, for a consistency proof
    #[arg(long, value_name = "FILE")]
    old_checkpoint: Option<PathBuf>,

    /// The verifier key that signed the checkpoints (NAME.pub from `keygen`)
    #[arg(long, value_name = "PUBKEY")]
    key: PathBuf,
}

#[derive(Serialize)]
struct Answer {
    ok: bool,
    kind: &'static str,
    origin: String,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
}

/// Reads a small text file named on the command line.
pub fn read_text(path: &Path, what: &str) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::input(format!("{what} {}: cannot read: {e}", path.display())))
}

pub fn read_verifier_key(path: &Path) -> Result<VerifierKey, CliError> {
    VerifierKey::parse(&read_text(path, "--key")?)
        .map_err(|e| CliError::input(format!("--key {}: {e}", path.display())))
}

/// Reads a checkpoint and checks its signature: a bad one is a failed verification.
pub fn read_checkpoint(path: &Path, key: &VerifierKey) -> Result<Checkpoint, CliError> {
    parse_and_verify(&read_text(path, "checkpoint")?, key)
        .map_err(|e| CliError::NotVerified(format!("checkpoint {}: {e}", path.display())))
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let key = read_verifier_key(&args.key)?;
    let text = read_text(&args.proof, "--proof")?;
    let proof = Proof::parse(text.trim_end())
        .map_err(|e| CliError::input(format!("--proof {}: {e}", args.proof.display())))?;
    let checkpoint = read_checkpoint(&args.checkpoint, &key)?;
    let (answer, outcome) = match &proof {
        Proof::Inclusion(p) => {
            if args.old_checkpoint.is_some() {
                return Err(CliError::Usage(
                    "--old-checkpoint is for a consistency proof; this is an inclusion proof"
                        .into(),
                ));
            }
            let outcome = checkpoint.verify_inclusion(p);
            let answer = Answer {
                ok: outcome.is_ok(),
                kind: "inclusion",
                origin: checkpoint.origin.clone(),
                size: checkpoint.size,
                seq: Some(p.seq),
                from: None,
                problem: None,
            };
            let said = format!(
                "ok: entry {} (hash {}) is in {} of {}",
                p.seq,
                p.entry_hash,
                checkpoint.origin,
                output::count(checkpoint.size, "entry", "entries")
            );
            (answer, outcome.map(|()| said))
        }
        Proof::Consistency(p) => {
            let Some(old) = &args.old_checkpoint else {
                return Err(CliError::Usage(
                    "a consistency proof is checked between two checkpoints: give --old-checkpoint too".into(),
                ));
            };
            let old = read_checkpoint(old, &key)?;
            let outcome = old.verify_consistency(&checkpoint, p);
            let answer = Answer {
                ok: outcome.is_ok(),
                kind: "consistency",
                origin: checkpoint.origin.clone(),
                size: checkpoint.size,
                seq: None,
                from: Some(old.size),
                problem: None,
            };
            let said = format!(
                "ok: {} of {} only appended to its {} of the older checkpoint",
                checkpoint.origin,
                output::count(checkpoint.size, "entry", "entries"),
                output::count(old.size, "entry", "entries")
            );
            (answer, outcome.map(|()| said))
        }
    };
    match outcome {
        Ok(said) => {
            if ctx.json {
                output::json(&answer)
            } else {
                output::text(&said)
            }
        }
        Err(problem) => {
            let problem = match &proof {
                Proof::Inclusion(p) => format!("entry {} is not proved in the checkpoint: {problem}", p.seq),
                Proof::Consistency(_) => match problem {
                    ProofError::SizeMismatch { .. } | ProofError::OriginMismatch { .. } => {
                        format!("the proof is not one between these two checkpoints: {problem}")
                    }
                    _ => format!(
                        "the newer checkpoint does not extend the older one (history was rewritten, or the proof is wrong): {problem}"
                    ),
                },
            };
            if ctx.json {
                output::json(&Answer {
                    ok: false,
                    problem: Some(problem.clone()),
                    ..answer
                })?;
            }
            Err(CliError::NotVerified(problem))
        }
    }
}
