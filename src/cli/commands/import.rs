use std::path::PathBuf;

use serde::Serialize;

use crate::append::{self, Judgement};
use crate::cli::{drafted, output, CliError, Context};

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
///   ccm-ledger --ledger ./new import fixtures/ccm-machinery.jsonl   a new ledger
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

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let name = args.file.display().to_string();
    let input = drafted::open_input(&args.file)?;
    // A progress line on a terminal once the import has run a second (never with --json).
    let size = std::fs::metadata(&args.file)
        .ok()
        .map(|m| m.len())
        .filter(|_| name != "-");
    let input = crate::cli::progress::Reading::new(input, "importing", size, !ctx.json);
    // The file is streamed: the library parses it a piece at a time on a second thread while
    // this one validates each piece and writes its frames past the acknowledged head.
    let mut existing = drafted::open_for_append(ctx)?;
    let draft = append::draft_reader(
        drafted::onto(ctx, existing.as_mut()),
        &name,
        input,
        &ctx.recorder,
        &Judgement::default(),
    )?;
    let committed = drafted::commit(draft)?;
    let answer = Answer {
        imported: committed.events,
        entries: committed.head.entries,
        head: committed.head.hash.to_hex(),
    };
    if ctx.json {
        output::json(&answer)
    } else {
        output::text(&format!(
            "imported {} from {name}; the ledger holds {}, head {}",
            output::count(answer.imported as u64, "entry", "entries"),
            output::count(answer.entries, "entry", "entries"),
            answer.head
        ))
    }
}
