use std::path::{Path, PathBuf};

use crate::cli::{output, CliError, Context};
use crate::ledger::config;
use crate::ledger::Access;
use crate::merkle::{merge_cosignatures, split_note, Checkpoint, CheckpointError, MergeError};

use crate::cli::evidence::{read_text, signed_at_json};

/// Print the ledger's latest signed checkpoint, or sign one now.
///
/// A checkpoint (c2sp.org/tlog-checkpoint) is a signed note of the ledger's origin, its size,
/// the Merkle root of its entries and the time it was signed (a `time` line, by the signer's
/// clock: a claim of the key holder, not evidence of when the entries existed): hand it out,
/// and anyone holding the verifier key can later check an export (`verify --bundle`) or a
/// proof (`verify-proof`) against it. The note goes to stdout; when it was signed and how many
/// entries it covers, to stderr (all of it in --json). Without --key, prints the checkpoint
/// signed last (after an append, on ledgers that sign, or by `checkpoint --key`), and says
/// when it is older than the head. With --key, signs one for the current head, keeps it as
/// the ledger's latest (the file `checkpoint`) and prints it; the key must be named as the
/// ledger's origin. Nothing is signed over a journal that does not extend the last checkpoint
/// (exit 3). With --keep-signing as well, the ledger signs after every append from now on
/// (`sign-with` in its config): how signing is enabled on an existing ledger.
///
/// --add-cosignatures merges the witnesses' cosigned copies (from `ccm-ledger witness`) of the
/// latest signed checkpoint into it, so that it is published, and `report --html` shows it,
/// with their cosignatures. Copies of another checkpoint are refused; a cosignature already
/// there is not added twice. The next checkpoint signed replaces it, without them: signed
/// later, it is another text (its time line), which the witnesses have not cosigned.
///
/// Examples:
///   ccm-ledger --ledger ./ccm checkpoint > today.checkpoint   the latest it signed
///   ccm-ledger --ledger ./ccm checkpoint --add-cosignatures nor.cosigned ecu.cosigned
///   ccm-ledger --ledger ./ccm checkpoint --key isu.key > today.checkpoint   one signed now
///   ccm-ledger --ledger ./ccm checkpoint --key isu.key --keep-signing   and after every append
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Sign a checkpoint of the current head with this signer key
    #[arg(long, value_name = "KEYFILE", conflicts_with = "add_cosignatures")]
    key: Option<PathBuf>,

    /// Merge these cosigned copies of the latest checkpoint into it
    #[arg(long, value_name = "FILE", num_args = 1..)]
    add_cosignatures: Vec<PathBuf>,

    /// And sign after every append from now on, with the same key
    #[arg(long, requires = "key")]
    keep_signing: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    if !args.add_cosignatures.is_empty() {
        return add_cosignatures(ctx, &args.add_cosignatures);
    }
    let ledger = ctx.open(Access::Inspect)?;
    let note = match &args.key {
        Some(key) => {
            if let Some(exposed) = config::key_exposure(key) {
                eprintln!("warning: {exposed}");
            }
            let signed = ledger.sign_head(key)?;
            if let Some(went_back) = signed.clock_warning() {
                eprintln!("warning: {went_back}");
            }
            if ledger.holds_lock() {
                // Opening checked, under the lock, that the journal extends the checkpoint
                // kept before: this one extends it too.
                config::keep_checkpoint(ledger.dir(), &signed.note)?;
            } else {
                eprintln!("note: a writer is at work, so this checkpoint was not kept as the ledger's latest");
            }
            if args.keep_signing {
                let absolute = std::path::absolute(key)
                    .map_err(CliError::io(format!("cannot resolve {}", key.display())))?;
                let mut config = ledger.config().clone();
                config.sign_with = Some(absolute);
                config.write(ledger.dir())?;
                eprintln!(
                    "every append to {} is now signed with {}",
                    ledger.dir().display(),
                    key.display()
                );
            }
            signed.note
        }
        None => ledger.latest_checkpoint()?.ok_or_else(|| {
            CliError::input(format!(
                "{} has no signed checkpoint yet: sign one with `ccm-ledger checkpoint --key KEYFILE`, or initialise the ledger with --sign-with",
                ledger.dir().display()
            ))
        })?,
    };
    let checkpoint = read_kept(ledger.dir(), &note)?;
    show(ctx, &note, &checkpoint, ledger.head().entries, None)
}

/// The checkpoint a note of the ledger's holds: its text must read as one (an altered time
/// line, say, is named: exit 3, as for any altered evidence of the ledger).
fn read_kept(dir: &Path, note: &str) -> Result<Checkpoint, CliError> {
    split_note(note)
        .map_err(CheckpointError::from)
        .and_then(|(text, _)| Checkpoint::parse_body(text))
        .map_err(|e| {
            CliError::NotVerified(format!(
                "the ledger's checkpoint ({}) cannot be read: {e}; run `ccm-ledger verify`",
                dir.join(config::CHECKPOINT_FILE).display()
            ))
        })
}

/// Prints the note (stdout: what is handed out), what it covers and when it was signed
/// (stderr, as text; in the answer, as JSON), and says when it is older than the head.
fn show(
    ctx: &Context,
    note: &str,
    checkpoint: &Checkpoint,
    entries: u64,
    added: Option<usize>,
) -> Result<(), CliError> {
    let size = checkpoint.size;
    let entry = |n| output::count(n, "entry", "entries");
    if size < entries {
        eprintln!(
            "note: this checkpoint is older than the head: {}, it covers the first {} of the ledger's {}, {} before the head; `ccm-ledger checkpoint --key KEYFILE` signs one for the head",
            checkpoint.signed_at_shown(),
            entry(size),
            entries,
            entry(entries - size)
        );
    } else if size > entries {
        eprintln!(
            "note: this checkpoint ({}) covers {}, more than the ledger's {entries}: run `ccm-ledger verify`",
            checkpoint.signed_at_shown(),
            entry(size)
        );
    } else if !ctx.json {
        eprintln!(
            "note: {}; it covers all the ledger's {}",
            checkpoint.signed_at_shown(),
            entry(size)
        );
    }
    if ctx.json {
        let mut answer = serde_json::json!({
            "checkpoint": note,
            "origin": checkpoint.origin,
            "size": size,
            "signed_at": signed_at_json(checkpoint),
            "entries": entries,
            "not_covered": entries.saturating_sub(size),
        });
        if let Some(added) = added {
            answer["added"] = added.into();
        }
        output::json(&answer)
    } else {
        output::text(note)
    }
}

/// Merges the cosignatures of `files` into the ledger's latest checkpoint, under the writer's
/// lock (an append would replace the file meanwhile), and prints the result.
fn add_cosignatures(ctx: &Context, files: &[PathBuf]) -> Result<(), CliError> {
    let ledger = ctx.open(Access::Write)?;
    let note = ledger.latest_checkpoint()?.ok_or_else(|| {
        CliError::input(format!(
            "{} has no signed checkpoint to add cosignatures to (initialise it with --sign-with)",
            ledger.dir().display()
        ))
    })?;
    let copies = files
        .iter()
        .map(|path| read_text(path, "--add-cosignatures"))
        .collect::<Result<Vec<_>, _>>()?;
    for (copy, path) in copies.iter().zip(files) {
        split_note(copy).map_err(|e| {
            CliError::input(format!(
                "{}: not a signed checkpoint ({e}); nothing was added",
                path.display()
            ))
        })?;
    }
    let copies: Vec<&str> = copies.iter().map(String::as_str).collect();
    let (merged, added) = merge_cosignatures(&note, &copies).map_err(|e| match e {
        MergeError::OtherTree { index } => CliError::input(format!(
            "{}: not a copy of the ledger's latest checkpoint (another tree or size); nothing was added",
            files[index].display()
        )),
        MergeError::Note(e) => CliError::input(format!(
            "the ledger's checkpoint, or with the cosignatures added: {e}"
        )),
    })?;
    // Under the writer's lock: no append re-signs the file meanwhile.
    config::keep_checkpoint(ledger.dir(), &merged)?;
    eprintln!(
        "added {added} cosignatures to the checkpoint of {}",
        ledger.dir().display()
    );
    let checkpoint = read_kept(ledger.dir(), &merged)?;
    show(
        ctx,
        &merged,
        &checkpoint,
        ledger.head().entries,
        Some(added),
    )
}
