use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::commands::admit::LineNumbers;
use crate::cli::{output, CliError, Context};
use crate::domain::jsonl::{self, Line};
use crate::domain::Seq;
use crate::ledger::{prepare_owned, Access, Head, Ledger, LedgerError, Prepared};
use crate::projection::Projection;
use crate::rules::{self, Tolerances};
use crate::validate::Batch;

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
            "imported {} from {name}; the ledger holds {}, head {}",
            output::count(answer.imported as u64, "entry", "entries"),
            output::count(answer.entries, "entry", "entries"),
            answer.head
        ))
    }
}

/// How many lines an import reads, validates and writes at a time. Big enough that the
/// per-piece costs (a channel message, a write call) vanish, small enough that the lines,
/// entries and frames in flight are a few megabytes whatever the size of the file.
const PIECE_LINES: usize = 4096;

/// Parsed pieces waiting for the validating thread: the parser runs at most this far ahead.
const PIECES_AHEAD: usize = 2;

/// What `ccm-ledger import FILE` does, printing aside: reads and parses FILE, validates every
/// line, checks claims and continuity rules, and appends all or nothing. Returns how many
/// events were imported and the new head.
///
/// The file is streamed: a second thread parses it a piece at a time (lines are independent
/// until validation) while this one validates each piece onto the projection, prepares its
/// entries and writes their frames past the acknowledged head (see [`append_pieces`]).
pub fn import_file(ctx: &Context, file: &Path) -> Result<(usize, Head), CliError> {
    let name = file.display().to_string();
    let input: Box<dyn BufRead + Send> = if name == "-" {
        Box::new(BufReader::new(io::stdin()))
    } else {
        let handle =
            File::open(file).map_err(|e| CliError::input(format!("{name}: cannot read: {e}")))?;
        Box::new(BufReader::with_capacity(1 << 20, handle))
    };
    let mut reader = jsonl::LineReader::new(input);
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<Piece>(PIECES_AHEAD);
        let parser = scope.spawn(move || {
            loop {
                let lines = reader.next_chunk(PIECE_LINES);
                if lines.is_empty() {
                    break;
                }
                let piece = Piece {
                    lines,
                    bad_line_seen: !reader.errors().is_empty(),
                };
                // The importer stopped listening: it failed for another reason.
                if send.send(piece).is_err() {
                    break;
                }
            }
            reader.into_errors()
        });
        let bad_lines = || {
            let errors = parser.join().expect("the parser does not panic");
            errors
                .iter()
                .map(|e| format!("{name}:{}: {}", e.line, e.problem))
                .collect()
        };
        append_pieces(ctx, open_for_append(ctx)?, &name, receive, bad_lines)
    })
}

/// Some lines of the input as parsed, and whether a bad line was met by then (the lines
/// after it are still parsed, for the report, but no longer imported).
struct Piece {
    lines: Vec<(usize, Line)>,
    bad_line_seen: bool,
}

/// What `check_claims` needs of a line once its draft has moved into an entry.
struct Claim {
    number: usize,
    seq: Option<Seq>,
    hash: Option<String>,
}

/// Validates `lines` (from `name`) and appends them all, or nothing, then keeps the snapshot:
/// what `record` does with its one line, as `import` does with a file.
pub fn append(ctx: &Context, name: &str, lines: Vec<(usize, Line)>) -> Result<Head, CliError> {
    let existing = open_for_append(ctx)?;
    append_lines(ctx, existing, name, lines)
}

/// [`append`] to a ledger the caller already holds open for writing (`demo`, which first
/// looks at what it holds, and keeps the lock meanwhile).
pub fn append_to(
    ctx: &Context,
    ledger: Ledger,
    name: &str,
    lines: Vec<(usize, Line)>,
) -> Result<Head, CliError> {
    append_lines(ctx, Some(ledger), name, lines)
}

fn append_lines(
    ctx: &Context,
    existing: Option<Ledger>,
    name: &str,
    lines: Vec<(usize, Line)>,
) -> Result<Head, CliError> {
    let piece = Piece {
        lines,
        bad_line_seen: false,
    };
    Ok(append_pieces(ctx, existing, name, std::iter::once(piece), Vec::new)?.1)
}

/// The ledger of `ctx` opened for writing, or `None` when there is none yet (an append then
/// creates it, once everything has passed).
fn open_for_append(ctx: &Context) -> Result<Option<Ledger>, CliError> {
    match Ledger::open(&ctx.ledger_dir, Access::Write) {
        Ok(ledger) => {
            ctx.tell(&ledger);
            Ok(Some(ledger))
        }
        Err(LedgerError::NotALedger(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The import, all or nothing, a piece at a time. Each piece is validated onto the
/// projection (which then holds it), prepared (encoded, hashed, framed), its claims checked,
/// and its frames written past the acknowledged head; then its lines, entries and frames are
/// dropped. Once every piece has passed, the continuity rules are checked on the projection
/// validation built, against the findings taken before the first piece, and only then is the
/// whole append synced and acknowledged. Any refusal cuts what was written
/// ([`crate::ledger::Appending`]): the ledger is byte for byte what it was, and a new ledger
/// is not created.
///
/// The errors reported are those the file would get read whole: bad lines (all of them, up to
/// the limit) before the first refused line, before wrong claims, before rule findings. So a
/// refusal does not stop the reading: the rest is still parsed, and still validated and
/// checked for claims while nothing worse was found.
fn append_pieces(
    ctx: &Context,
    mut existing: Option<Ledger>,
    name: &str,
    pieces: impl IntoIterator<Item = Piece>,
    bad_lines: impl FnOnce() -> Vec<String>,
) -> Result<(usize, Head), CliError> {
    // Record time never goes backwards: `--known-at` reads the ledger as it stood at a time.
    let mut last_recorded = match existing.as_ref() {
        Some(ledger) if ledger.head().entries > 0 => {
            let last = ledger.head().entries - 1;
            let stored = ledger.entries(last, last + 1)?.next().transpose()?;
            stored.map(|s| (s.entry.seq, s.entry.recorded_at))
        }
        _ => None,
    };
    // What opening said has been told (`open_for_append`); only what the append adds is new.
    let told = existing.as_ref().map_or(0, |ledger| ledger.notices().len());
    let base = super::admit::head_projection(existing.as_mut())?;
    // "Before" is kept as its findings: the projection itself becomes "after".
    let before = rules::check(&base, &Tolerances::default());
    let first_new = base.entries_applied();
    let mut batch = Batch::onto(base);
    let mut appending = match existing.as_mut() {
        Some(ledger) => ledger.append_in_pieces()?,
        None => Ledger::create_in_pieces(&ctx.ledger_dir)?,
    };

    let mut imported = 0;
    let mut numbers = LineNumbers::default();
    let mut refused: Option<CliError> = None;
    let mut wrong_claims: Vec<String> = Vec::new();
    let mut parse_failed = false;
    for piece in pieces {
        parse_failed |= piece.bad_line_seen;
        if parse_failed || refused.is_some() {
            continue;
        }
        if let Err(e) = validate_piece(&mut batch, name, &piece.lines) {
            refused = Some(e);
            continue;
        }
        imported += piece.lines.len();
        let mut claims = Vec::with_capacity(piece.lines.len());
        let mut drafts = Vec::with_capacity(piece.lines.len());
        for (number, line) in piece.lines {
            numbers.push(number);
            claims.push(Claim {
                number,
                seq: line.claimed_seq,
                hash: line.claimed_hash,
            });
            drafts.push(line.draft);
        }
        let prepared = prepare_owned(appending.head(), drafts, &ctx.recorder);
        if let Err(e) = check_record_time(name, &claims, &prepared, &mut last_recorded) {
            refused = Some(e);
            continue;
        }
        if wrong_claims.len() < jsonl::MAX_REPORTED_ERRORS {
            check_claims(name, &claims, &prepared, &mut wrong_claims);
        }
        // Once a claim is wrong nothing more is written; the rest is still checked.
        if wrong_claims.is_empty() {
            if let Err(e) = appending.write(&prepared) {
                refused = Some(e.into());
            }
        }
    }
    let failure = {
        let bad = bad_lines();
        if !bad.is_empty() {
            Some(CliError::Input(bad))
        } else if let Some(refusal) = refused {
            Some(refusal)
        } else if imported == 0 {
            Some(CliError::input(format!(
                "{name}: no events to import (the file is empty)"
            )))
        } else if !wrong_claims.is_empty() {
            Some(CliError::Input(wrong_claims))
        } else {
            None
        }
    };
    let (judged, after) = match failure {
        Some(e) => (Err(e), None),
        None => {
            let after = batch.finish();
            let judged =
                super::admit::refuse_added_errors(&before, first_new, &after, name, &numbers);
            (judged, Some(after))
        }
    };
    if let Err(e) = judged {
        if let Err(undo) = appending.abandon() {
            // What was written stays past the head: a torn tail the next writer cuts.
            eprintln!("warning: could not cut the refused entries back off: {undo}");
        }
        return Err(e);
    }
    drop(before);
    let head = appending.acknowledge()?;
    let (ledger, told) = match existing {
        Some(ledger) => (Some(ledger), told),
        // The new ledger's derived data (index, Merkle tree) is built from its journal; the
        // import is durable already, so a failure here is only a warning.
        None => match Ledger::open(&ctx.ledger_dir, Access::Write) {
            Ok(ledger) => (Some(ledger), 0),
            Err(e) => {
                eprintln!("warning: the import is durable, but its index was not built: {e}");
                (None, 0)
            }
        },
    };
    // What went wrong with derived data after the append was durable (a checkpoint that
    // could not be signed, say): the append stands.
    for notice in ledger.iter().flat_map(|l| l.notices().iter().skip(told)) {
        eprintln!("warning: {notice}");
    }
    // The projection the rules judged is the ledger's at the new head: kept as the snapshot,
    // the first query after an import reads it instead of folding the whole journal.
    if let (Some(ledger), Some(after)) = (&ledger, &after) {
        crate::cli::moment::keep_snapshot(ledger, after);
    }
    if let Some(after) = after {
        free_aside(after);
    }
    Ok((imported, head))
}

/// Frees the projection on a thread of its own: the command is done with it, and freeing
/// every event, term and string of a large projection one by one was ~5 % of an import
/// (that of 10^6 lines holds ~1.2 GB in small allocations). The process usually exits before
/// that thread is done (the kernel takes the memory back whole); a library caller gets it
/// back in the background. Nothing is leaked either way. If no thread can be started, the
/// projection is freed here, as before.
fn free_aside(projection: Projection) {
    let _detached = std::thread::Builder::new()
        .name("free-projection".into())
        .spawn(move || drop(projection));
}

/// Validates a piece onto `batch`: the first refusal names the source, the line and the
/// field (later lines may depend on the refused one, so they are not judged).
fn validate_piece(
    batch: &mut Batch,
    source: &str,
    lines: &[(usize, Line)],
) -> Result<(), CliError> {
    for (number, line) in lines {
        let draft = &line.draft;
        batch
            .admit(&draft.event, draft.override_reason.as_deref())
            .map_err(|refusal| {
                let field = refusal
                    .field()
                    .map(|f| format!("field `{f}`: "))
                    .unwrap_or_default();
                CliError::input(format!("{source}:{number}: {field}{refusal}"))
            })?;
    }
    Ok(())
}

/// Refuses an entry recorded before the entry it follows (`last`: that entry's seq and record
/// time, updated as the entries pass): a backdated record time would make `--known-at` show
/// a belief the ledger never held at that time.
fn check_record_time(
    name: &str,
    claims: &[Claim],
    prepared: &Prepared,
    last: &mut Option<(Seq, crate::domain::Timestamp)>,
) -> Result<(), CliError> {
    for (claim, stored) in claims.iter().zip(&prepared.entries) {
        let at = stored.entry.recorded_at;
        if let Some((seq, before)) = *last {
            if at < before {
                let place = if name == "record" {
                    "record: the record time".to_owned()
                } else {
                    format!("{name}:{}: field `recorded_at`", claim.number)
                };
                return Err(CliError::input(format!(
                    "{place}: {at} is before {before}, the record time of entry {seq} (the head): record time never goes backwards"
                )));
            }
        }
        *last = Some((stored.entry.seq, at));
    }
    Ok(())
}

/// Lines from `export` carry the seq and hash they had; an import must reproduce both, or the
/// line was altered (or the export belongs in an empty ledger). Adds what is wrong to
/// `errors`, up to the limit.
fn check_claims(name: &str, claims: &[Claim], prepared: &Prepared, errors: &mut Vec<String>) {
    for (claim, stored) in claims.iter().zip(&prepared.entries) {
        if errors.len() >= jsonl::MAX_REPORTED_ERRORS {
            break;
        }
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
    }
}
