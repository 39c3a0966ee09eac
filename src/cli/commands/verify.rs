use serde::Serialize;

use crate::cli::{output, CliError, Context};
use crate::ledger::verify_dir;

/// Recompute the whole hash chain from the journal alone.
///
/// Reads every entry from entry 0 and checks its frame, its bytes, its seq, its link to its
/// predecessor and its hash, and that the head file agrees with the journal. Needs neither the
/// index database nor the lock, so it runs beside a writer. Exit 0 with the size and the head
/// hash; exit 3 naming the first bad entry.
///
/// Examples:
///   ccm-ledger verify
///   ccm-ledger verify --json        {"entries":N,"head":"<hex>"}
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {}

#[derive(Serialize)]
struct Answer {
    entries: u64,
    head: String,
}

#[derive(Serialize)]
struct Failure {
    ok: bool,
    seq: Option<u64>,
    problem: String,
}

pub fn run(ctx: &Context, _args: Args) -> Result<(), CliError> {
    if !ctx.ledger_dir.join("journal").exists() {
        return Err(crate::ledger::LedgerError::NotALedger(ctx.ledger_dir.clone()).into());
    }
    match verify_dir(&ctx.ledger_dir, |_| {}) {
        Ok(verified) => {
            let answer = Answer {
                entries: verified.entries,
                head: verified.head.to_hex(),
            };
            if ctx.json {
                output::json(&answer)
            } else {
                output::text(&format!(
                    "ok: {} entries, every hash and link checked\nhead {}",
                    answer.entries, answer.head
                ))
            }
        }
        Err(tampering) => {
            if ctx.json {
                output::json(&Failure {
                    ok: false,
                    seq: tampering.seq().map(|s| s.0),
                    problem: tampering.to_string(),
                })?;
            }
            Err(CliError::Tampered(tampering))
        }
    }
}
