use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::{output, CliError, Context};
use crate::domain::jsonl::{self, Line};
use crate::domain::{Draft, Seq};
use crate::ledger::{prepare_owned, Access, Head, Ledger, LedgerError, Prepared};

/// Append the events of a JSON Lines file, all or nothing.
///
/// Every line is parsed and validated first (dates, references to States, bodies, meetings
/// and entries recorded earlier or on an earlier line, duplicates, continuity rules); if any
/// line is bad, the errors name the file, the line and the field, nothing is appended, and
/// the exit code is 1 (4 for a rule finding without an "override"). The ledger is created if
/// it does not exist. Lines written by `export` keep their recorded_at and recorded_by, and
/// their seq and hash are checked.
///
/// Examples:
///   ccm-ledger import fixtures/ccm-machinery.jsonl
///   ccm-ledger export | ccm-ledger --ledger ./copy import -
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The JSON Lines file; `-` reads standard input
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

#[derive(Serialize)]
struct Answer {
    imported: usize,
    entries: u64,
    head: String,
}

/// Reads and parses a JSON Lines file (or stdin for `-`); every error names FILE:LINE.
pub fn read_file(file: &Path) -> Result<Vec<(usize, Line)>, CliError> {
    let name = file.display().to_string();
    let parsed = if name == "-" {
        jsonl::read_lines(io::stdin().lock())
    } else {
        let handle =
            File::open(file).map_err(|e| CliError::input(format!("{name}: cannot read: {e}")))?;
        jsonl::read_lines(BufReader::new(handle))
    };
    let lines = parsed.map_err(|errors| {
        CliError::Input(
            errors
                .iter()
                .map(|e| format!("{name}:{}: {}", e.line, e.problem))
                .collect(),
        )
    })?;
    if lines.is_empty() {
        return Err(CliError::input(format!(
            "{name}: no events to import (the file is empty)"
        )));
    }
    Ok(lines)
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let name = args.file.display().to_string();
    let (imported, head) = import_file(ctx, &args.file)?;
    let answer = Answer {
        imported,
        entries: head.entries,
        head: head.hash.to_hex(),
    };
    if ctx.json {
        output::json(&answer)
    } else {
        output::text(&format!(
            "imported {} entries from {name}; the ledger holds {} entries, head {}",
            answer.imported, answer.entries, answer.head
        ))
    }
}

/// What `ccm-ledger import FILE` does, printing aside: reads and parses FILE, validates every
/// line, checks claims and continuity rules, and appends all or nothing. Returns how many
/// events were imported and the new head.
pub fn import_file(ctx: &Context, file: &Path) -> Result<(usize, Head), CliError> {
    let name = file.display().to_string();
    let lines = read_file(file)?;
    let count = lines.len();
    Ok((count, append(ctx, &name, lines)?))
}

/// What `check_claims` needs of a line once its draft has moved into an entry.
struct Claim {
    number: usize,
    seq: Option<Seq>,
    hash: Option<String>,
}

/// Validates `lines` (from `source`) and appends them all, or nothing: what `import` and
/// `record` share. The lines are consumed: their drafts move into the entries, so the events
/// are held once, not once per stage.
pub fn append(ctx: &Context, name: &str, lines: Vec<(usize, Line)>) -> Result<Head, CliError> {
    // A missing ledger is created only once the whole file has passed, so a bad file
    // creates nothing.
    let mut existing = match Ledger::open(&ctx.ledger_dir, Access::Write) {
        Ok(ledger) => Some(ledger),
        Err(LedgerError::NotALedger(_)) => None,
        Err(e) => return Err(e.into()),
    };
    if let Some(ledger) = &existing {
        ctx.tell(ledger);
    }
    let base = super::admit::head_projection(existing.as_mut())?;
    // The projection with every line applied is not kept: the rules are checked on the
    // entries (which carry the overrides) below.
    drop(super::admit::validate_lines(&base, name, &lines)?);
    let head = existing.as_ref().map_or_else(Head::empty, Ledger::head);
    let mut claims = Vec::with_capacity(lines.len());
    let mut drafts: Vec<Draft> = Vec::with_capacity(lines.len());
    for (number, line) in lines {
        claims.push(Claim {
            number,
            seq: line.claimed_seq,
            hash: line.claimed_hash,
        });
        drafts.push(line.draft);
    }
    let prepared = prepare_owned(head, drafts, &ctx.recorder);
    check_claims(name, &claims, &prepared)?;
    let numbers: Vec<usize> = claims.into_iter().map(|c| c.number).collect();
    super::admit::keep_rules(&base, name, &numbers, &prepared)?;
    drop(base);
    let mut ledger = match existing {
        Some(ledger) => ledger,
        None => Ledger::init(&ctx.ledger_dir)?,
    };
    let seen = ledger.notices().len();
    let head = ledger.commit(prepared)?;
    // What went wrong with derived data after the append was durable (a checkpoint that
    // could not be signed, say): the append stands.
    for notice in &ledger.notices()[seen..] {
        eprintln!("warning: {notice}");
    }
    Ok(head)
}

/// Lines from `export` carry the seq and hash they had; an import must reproduce both, or the
/// line was altered (or the export belongs in an empty ledger).
fn check_claims(name: &str, claims: &[Claim], prepared: &Prepared) -> Result<(), CliError> {
    let mut errors = Vec::new();
    for (claim, stored) in claims.iter().zip(&prepared.entries) {
        let number = claim.number;
        if let Some(claimed) = claim.seq {
            if claimed != stored.entry.seq {
                errors.push(format!(
                    "{name}:{number}: field `seq`: the line is entry {claimed} of the ledger it was exported from, but would be entry {} here (import an export into an empty ledger)",
                    stored.entry.seq
                ));
                continue;
            }
        }
        if let Some(claimed) = &claim.hash {
            if *claimed != stored.hash.to_hex() {
                errors.push(format!(
                    "{name}:{number}: field `hash`: the line says {claimed} but the entry hashes to {} (the line was altered after export)",
                    stored.hash
                ));
            }
        }
        if errors.len() >= jsonl::MAX_REPORTED_ERRORS {
            break;
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CliError::Input(errors))
    }
}
