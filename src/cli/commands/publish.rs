use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::moment::{MomentArgs, RecordPoint};
use crate::cli::{outfile, output, CliError, Context};
use crate::ledger::Access;
use crate::merkle::{split_note, Checkpoint};
use crate::publication::{publish, PublishError, PublishedEntry};

use crate::cli::exported::{self, export_line, Export, Format};

/// Publish the ledger as static files any web server can host (C2SP tlog-tiles).
///
/// Writes into DIR the ledger's signed checkpoint (with the cosignatures merged into it),
/// `checkpoint`; the Merkle tree as hash tiles, `tile/<L>/<N>[.p/<W>]`; and the entries as
/// entry bundles, `tile/entries/<N>[.p/<W>]`, each entry its export line. Beside them,
/// `report.html`, `terms.csv` and `popolo.json`, so one directory is the whole publication.
/// Anyone can then check it all with `ccm-ledger verify --published DIR|URL --key isu.pub`.
///
/// Incremental: a second publish writes only new and partial tiles; a full tile, once
/// written, is never rewritten. Every file is replaced atomically, and the checkpoint last,
/// so a reader never sees a checkpoint whose tiles are missing. Without --key, publishes the
/// ledger's latest signed checkpoint (ledgers initialised with --sign-with); with --key, signs
/// one for the head now. The tiles hold this ledger's BLAKE3 tree hashes (docs/FORMAT.md).
///
/// Examples:
///   ccm-ledger --ledger ./ccm publish public/    a ledger that signs
///   ccm-ledger --ledger ./ccm publish public/ --key isu.key   signed now, with this key
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The publication directory (created if missing)
    #[arg(value_name = "DIR")]
    dir: PathBuf,

    /// Sign a checkpoint of the head with this signer key instead of publishing the stored one
    #[arg(long, value_name = "KEYFILE")]
    key: Option<PathBuf>,
}

#[derive(Serialize)]
struct Answer {
    dir: String,
    origin: String,
    size: u64,
    written: usize,
    kept: usize,
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let ledger = ctx.open(Access::Inspect)?;
    let (note, checkpoint) = match &args.key {
        Some(key) => {
            let signed = ledger.sign_head(key)?;
            if let Some(went_back) = signed.clock_warning() {
                eprintln!("warning: {went_back}");
            }
            (signed.note, signed.checkpoint)
        }
        None => {
            let note = ledger.latest_checkpoint()?.ok_or_else(|| {
                CliError::input(format!(
                    "{} has no signed checkpoint to publish: give --key KEYFILE, or initialise the ledger with --sign-with",
                    ledger.dir().display()
                ))
            })?;
            let checkpoint = read_body(&note).map_err(|e| {
                CliError::input(format!("the ledger's checkpoint file cannot be read: {e}"))
            })?;
            (note, checkpoint)
        }
    };
    // The checkpoint must be of this ledger's tree: its root recomputed at its size.
    let size = checkpoint.size;
    if size > ledger.head().entries || ledger.merkle_root(size)? != checkpoint.root {
        return Err(CliError::NotVerified(format!(
            "the ledger's checkpoint (size {size}) is not of this ledger's tree: run `ccm-ledger verify`"
        )));
    }
    std::fs::create_dir_all(&args.dir).map_err(CliError::io(format!(
        "cannot create {}",
        args.dir.display()
    )))?;
    let trusted = trusted_prefix(&args.dir, &checkpoint, |n| ledger.merkle_root(n).ok())?;
    let entries = ledger.entries(0, size)?.map(|stored| {
        stored.map(|stored| PublishedEntry {
            hash: stored.hash,
            line: serde_json::to_vec(&export_line(&stored)).expect("an export line serializes"),
        })
    });
    let done = publish(&args.dir, &note, size, trusted, entries).map_err(|e| match e {
        PublishError::Io { path, source } => CliError::Io {
            context: format!("cannot write {}", path.display()),
            source,
        },
        e @ PublishError::Foreign { .. } => CliError::input(e.to_string()),
        e => CliError::input(format!("nothing published: {e}")),
    })?;
    drop(ledger);
    write_beside(ctx, &args.dir, size)?;
    if ctx.json {
        return output::json(&Answer {
            dir: args.dir.display().to_string(),
            origin: checkpoint.origin,
            size,
            written: done.written,
            kept: done.kept,
        });
    }
    output::text(&format!(
        "published {} at size {size} in {}: {} tiles and bundles written, {} full ones kept as they were",
        checkpoint.origin,
        args.dir.display(),
        done.written,
        done.kept
    ))
}

/// The checkpoint text of a note, without verifying its signature (the ledger's own file).
fn read_body(note: &str) -> Result<Checkpoint, String> {
    let (text, _) = split_note(note).map_err(|e| e.to_string())?;
    Checkpoint::parse_body(text).map_err(|e| e.to_string())
}

/// How many leading entries the publication in `dir` already holds as this ledger does: the
/// size of its checkpoint when that is a prefix of this tree (its full tiles need not be read
/// again). A publication of another origin, or of a tree this one does not extend, is refused.
fn trusted_prefix(
    dir: &Path,
    ours: &Checkpoint,
    root_at: impl Fn(u64) -> Option<crate::merkle::TreeHash>,
) -> Result<u64, CliError> {
    let path = dir.join("checkpoint");
    let note = match std::fs::read_to_string(&path) {
        Ok(note) => note,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(CliError::io(format!("cannot read {}", path.display()))(e)),
    };
    let foreign = |why: String| {
        CliError::input(format!(
            "{} {why}; publish into an empty directory",
            path.display()
        ))
    };
    let theirs = read_body(&note).map_err(|e| foreign(format!("is not a checkpoint ({e})")))?;
    if theirs.origin != ours.origin {
        return Err(foreign(format!(
            "is of {}, not {}",
            theirs.origin, ours.origin
        )));
    }
    if theirs.size > ours.size || root_at(theirs.size) != Some(theirs.root) {
        return Err(foreign(format!(
            "(size {}) is not a prefix of this ledger's tree of size {}: publishing would roll back or rewrite what was published",
            theirs.size, ours.size
        )));
    }
    Ok(theirs.size)
}

/// The report and the CSV and Popolo exports, beside the tiles, each replaced atomically.
fn write_beside(ctx: &Context, dir: &Path, size: u64) -> Result<(), CliError> {
    let quiet = Context {
        ledger_dir: ctx.ledger_dir.clone(),
        json: false,
        recorder: ctx.recorder.clone(),
        pager: false,
    };
    let moment = MomentArgs {
        on: None,
        known_at: size.checked_sub(1).map(RecordPoint::after),
    };
    let (page, ..) = crate::cli::page::page(&quiet, &moment, None)?;
    outfile::write_atomically(&dir.join("report.html"), |out| {
        Ok(out.write_all(page.as_bytes())?)
    })?;
    exported::export(&quiet, &Export::to_file(dir.join("terms.csv"), Format::Csv))?;
    exported::export(
        &quiet,
        &Export::to_file(dir.join("popolo.json"), Format::Popolo),
    )
}
