//! Files of evidence named on the command line, read bounded and checked: a verifier key, a
//! signed checkpoint (`verify`, `verify-proof`, `checkpoint`, `witness`).

use std::path::Path;

use crate::cli::CliError;
use crate::merkle::{parse_and_verify, Checkpoint, VerifierKey, SIGNED_AT_CLAIM};

/// Reads a small text file named on the command line.
pub fn read_text(path: &Path, what: &str) -> Result<String, CliError> {
    crate::ledger::small_file::read_small_text(path)
        .map_err(|e| CliError::input(format!("{what} {}: cannot read: {e}", path.display())))
}

pub fn read_verifier_key(path: &Path) -> Result<VerifierKey, CliError> {
    VerifierKey::parse(&read_text(path, "--key")?)
        .map_err(|e| CliError::input(format!("--key {}: {e}", path.display())))
}

/// Reads a checkpoint and checks its signature: a bad one is a failed verification.
pub fn read_checkpoint(path: &Path, key: &VerifierKey) -> Result<Checkpoint, CliError> {
    read_checkpoint_note(path, key).map(|(checkpoint, _)| checkpoint)
}

/// Reads a checkpoint, checks its signature, and returns it with its note (for cosignatures).
pub fn read_checkpoint_note(
    path: &Path,
    key: &VerifierKey,
) -> Result<(Checkpoint, String), CliError> {
    let note = read_text(path, "checkpoint")?;
    let checkpoint = parse_and_verify(&note, key)
        .map_err(|e| CliError::NotVerified(format!("checkpoint {}: {e}", path.display())))?;
    Ok((checkpoint, note))
}

/// The line that says when `which` checkpoint ("the checkpoint", "the older checkpoint") was
/// signed, worded as `checkpoint` words it, and what that time is: the signer's claim.
pub fn signed_at_line(which: &str, checkpoint: &Checkpoint) -> String {
    let shown = checkpoint.signed_at_shown();
    match checkpoint.signed_at {
        Some(_) => format!("{which} was {shown}, {SIGNED_AT_CLAIM}"),
        None => format!("{which} was {shown} (signed before ccm-ledger recorded the time)"),
    }
}

/// A checkpoint's signing time in `--json`: RFC 3339 UTC, or `null` when not recorded.
pub fn signed_at_json(checkpoint: &Checkpoint) -> Option<String> {
    checkpoint.signed_at.map(|at| at.to_string())
}
