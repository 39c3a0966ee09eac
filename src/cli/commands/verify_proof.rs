use std::path::PathBuf;

use serde::Serialize;

use crate::cli::evidence::{
    read_checkpoint, read_checkpoint_note, read_text, read_verifier_key, signed_at_json,
    signed_at_line,
};
use crate::cli::witnesses::{Cosigners, WitnessArgs};
use crate::cli::{output, CliError, Context};
use crate::merkle::{Proof, ProofError};

/// Check a Merkle proof against signed checkpoints, offline.
///
/// An inclusion proof (from `prove --seq`) is checked against --checkpoint: the entry with
/// that hash is in the ledger the checkpoint signed. A consistency proof (from `prove --from`)
/// is checked between --old-checkpoint and --checkpoint: the newer ledger only appended to
/// the older one, nothing in it was rewritten. Each checkpoint must be signed by --key and be
/// of the proof's size. An inclusion proof made with `prove --with-entry` carries the entry's
/// export line too: it must hash, after the hash of the entry before it, to the entry hash the
/// proof proves, and what the entry says is printed. With --witness (repeatable), --checkpoint
/// must also carry valid cosignatures from --quorum of the named witnesses (default: all).
/// When each checkpoint says it was signed is shown as `checkpoint` shows it: the signer's
/// clock, its claim, not evidence.
/// Needs no ledger. Exit 0 when the proof holds, 3 when it does not.
///
/// Examples:
///   ccm-ledger verify-proof --proof entry42.proof --checkpoint today.checkpoint --key isu.pub
///   ccm-ledger verify-proof --proof since-last-year.proof --old-checkpoint 2025.checkpoint \
///       --checkpoint today.checkpoint --key isu.pub
///   ccm-ledger verify-proof --proof entry42.proof --checkpoint today.checkpoint --key isu.pub \
///       --witness nor.pub --witness ecu.pub --quorum 1
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

    #[command(flatten)]
    witnesses: WitnessArgs,
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
    /// When --checkpoint says it was signed (the signer's claim); `None` if not recorded.
    signed_at: Option<String>,
    /// Consistency: when --old-checkpoint says it was signed (`Some(None)`: not recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    from_signed_at: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    witnesses: Option<Cosigners>,
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let key = read_verifier_key(&args.key)?;
    let text = read_text(&args.proof, "--proof")?;
    let mut lines = text.trim_end().splitn(2, '\n');
    let proof = Proof::parse(lines.next().unwrap_or_default())
        .map_err(|e| CliError::input(format!("--proof {}: {e}", args.proof.display())))?;
    let with_entry = lines.next();
    let (checkpoint, note) = read_checkpoint_note(&args.checkpoint, &key)?;
    let cosigners = args
        .witnesses
        .check(&note, &format!("checkpoint {}", args.checkpoint.display()))?;
    let (answer, outcome) = match &proof {
        Proof::Inclusion(p) => {
            if args.old_checkpoint.is_some() {
                return Err(CliError::Usage(
                    "--old-checkpoint is for a consistency proof; this is an inclusion proof"
                        .into(),
                ));
            }
            let mut outcome = checkpoint
                .verify_inclusion(p)
                .map_err(|e| format!("entry {} is not proved in the checkpoint: {e}", p.seq));
            let mut says = None;
            if let (Ok(()), Some(line)) = (&outcome, with_entry) {
                match check_entry_line(line, p) {
                    Ok(summary) => says = Some(summary),
                    Err(problem) => outcome = Err(problem),
                }
            }
            let answer = Answer {
                ok: outcome.is_ok(),
                kind: "inclusion",
                origin: checkpoint.origin.clone(),
                size: checkpoint.size,
                seq: Some(p.seq),
                from: None,
                signed_at: signed_at_json(&checkpoint),
                from_signed_at: None,
                problem: None,
                witnesses: cosigners.clone(),
            };
            let mut said = format!(
                "ok: entry {} (hash {}) is in {} of {}",
                p.seq,
                p.entry_hash,
                checkpoint.origin,
                output::count(checkpoint.size, "entry", "entries")
            );
            if let Some(says) = says {
                said.push_str(&format!("\nentry {} says: {says}", p.seq));
            }
            said.push_str(&format!(
                "\n{}",
                signed_at_line("the checkpoint", &checkpoint)
            ));
            (answer, outcome.map(|()| said))
        }
        Proof::Consistency(p) => {
            let Some(old) = &args.old_checkpoint else {
                return Err(CliError::Usage(
                    "a consistency proof is checked between two checkpoints: give --old-checkpoint too".into(),
                ));
            };
            let old = read_checkpoint(old, &key)?;
            let outcome = old.verify_consistency(&checkpoint, p).map_err(|e| match e {
                ProofError::SizeMismatch { .. } | ProofError::OriginMismatch { .. } => {
                    format!("the proof is not one between these two checkpoints: {e}")
                }
                _ => format!(
                    "the newer checkpoint does not extend the older one (history was rewritten, or the proof is wrong): {e}"
                ),
            });
            let answer = Answer {
                ok: outcome.is_ok(),
                kind: "consistency",
                origin: checkpoint.origin.clone(),
                size: checkpoint.size,
                seq: None,
                from: Some(old.size),
                signed_at: signed_at_json(&checkpoint),
                from_signed_at: Some(signed_at_json(&old)),
                problem: None,
                witnesses: cosigners.clone(),
            };
            let said = format!(
                "ok: {} of {} only appended to its {} of the older checkpoint\n{}\n{}",
                checkpoint.origin,
                output::count(checkpoint.size, "entry", "entries"),
                output::count(old.size, "entry", "entries"),
                signed_at_line("the checkpoint", &checkpoint),
                signed_at_line("the older checkpoint", &old)
            );
            (answer, outcome.map(|()| said))
        }
    };
    match outcome {
        Ok(mut said) => {
            if let Some(c) = &cosigners {
                said.push_str(&format!("\n{}", c.describe()));
            }
            if ctx.json {
                output::json(&answer)
            } else {
                output::text(&said)
            }
        }
        Err(problem) => {
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

/// Checks the second line of a proof made with `prove --with-entry`: the entry's export line
/// and the hash of the entry before it. The entry is rebuilt from the line (the bytes the
/// ledger hashed) and must hash to the proved entry hash. Gives what the entry says.
fn check_entry_line(line: &str, proof: &crate::merkle::InclusionProof) -> Result<String, String> {
    let bad = |why: String| format!("the entry line given with the proof: {why}");
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| bad(format!("not JSON: {e}")))?;
    let prev = value["prev_hash"]
        .as_str()
        .and_then(crate::domain::EntryHash::from_hex)
        .ok_or_else(|| bad("no prev_hash of 64 hex digits".into()))?;
    let entry = value
        .get("entry")
        .ok_or_else(|| bad("no entry".into()))?
        .to_string();
    let parsed = crate::domain::jsonl::parse_line(&entry).map_err(|e| bad(e.to_string()))?;
    if parsed.claimed_seq != Some(crate::domain::Seq(proof.seq)) {
        return Err(bad(format!("it is not entry {}", proof.seq)));
    }
    let draft = parsed.draft;
    let (Some(at), Some(by)) = (draft.recorded_at, draft.recorded_by.clone()) else {
        return Err(bad("recorded_at and recorded_by are needed".into()));
    };
    let head = crate::ledger::Head {
        entries: proof.seq,
        bytes: 0,
        hash: prev,
        last_frame: 0,
    };
    let recorder = crate::ledger::Recorder { by, at: Some(at) };
    let summary = draft.event.to_string();
    let computed = crate::ledger::prepare(head, &[draft], &recorder)
        .head()
        .hash;
    if computed != proof.entry_hash {
        return Err(bad(format!(
            "it hashes to {computed}, not to the proved entry's hash {} (the line was altered)",
            proof.entry_hash
        )));
    }
    Ok(summary)
}
