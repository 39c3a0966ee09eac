use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::verify_proof::{read_checkpoint_note, read_verifier_key};
use crate::cli::witnesses::{Cosigners, WitnessArgs};
use crate::cli::{output, CliError, Context};
use crate::domain::jsonl;
use crate::ledger::bundle::verify_bundle;
use crate::ledger::{verify_dir_rooted, Access, Decoding, Ledger, LedgerError};
use crate::merkle::{Checkpoint, TreeHash};

/// Recompute the hash chain and the Merkle root: was anything altered?
///
/// From the journal alone, or (with --bundle) from an export.
///
/// Reads every entry from entry 0 and checks its frame, its bytes, its seq, its link to its
/// predecessor and its hash, and that the head file agrees with the journal. Needs neither the
/// index database nor the lock, so it runs beside a writer. Exit 0 with the size, the head
/// hash and the Merkle root; exit 3 naming the first bad entry. When the index database is
/// at hand, its stored Merkle tree is checked against the recomputed root too; if it
/// disagrees, derived data was damaged (not the ledger): it is rebuilt, and you are told.
///
/// With --bundle, verifies an export instead, without any ledger: every line is turned back
/// into its entry, whose bytes and hash must be those exported, chained from entry 0. With
/// --checkpoint and --key, the Merkle root at the checkpoint's size must be the one it signed
/// (the export or ledger may be longer: then it extends the checkpoint). With --witness
/// (repeatable), the checkpoint must also carry valid cosignatures from --quorum of the named
/// witnesses (default: all of them), or exit 3.
///
/// With --published DIR|URL, verifies a publication (`ccm-ledger publish`) from a directory
/// or over HTTP: the checkpoint's signature by --key, every entry bundle's lines rebuilt and
/// chained from entry 0, every hash tile against the hashes the entries give, the root against
/// the checkpoint; with --since OLD, that the tree at OLD's size has OLD's root; --witness as
/// above. Every download is bounded in size. --out FILE keeps the verified entries as an
/// export (written only if everything holds).
///
/// Examples:
///   ccm-ledger verify
///   ccm-ledger verify --json        {"entries":N,"head":"<hex>","root":"<hex>"}
///   ccm-ledger verify --bundle ccm.jsonl --checkpoint today.checkpoint --key isu.pub
///   ccm-ledger verify --bundle ccm.jsonl --checkpoint today.checkpoint --key isu.pub \
///       --witness nor.pub --witness ecu.pub --witness civ.pub --quorum 2
///   ccm-ledger verify --published https://isu.example/ccm/ --key isu.pub --since 2026.checkpoint
///   ccm-ledger verify --published public/ --key isu.pub --out ccm.jsonl
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Verify this export (from `ccm-ledger export`) instead of the ledger
    #[arg(long, value_name = "EXPORT.jsonl")]
    bundle: Option<PathBuf>,

    /// A signed checkpoint the entries must match
    #[arg(long, value_name = "FILE", requires = "key")]
    checkpoint: Option<PathBuf>,

    /// The verifier key of the checkpoint (NAME.pub from `keygen`)
    #[arg(long, value_name = "PUBKEY")]
    key: Option<PathBuf>,

    /// Verify a publication (from `ccm-ledger publish`): a directory or an http:// URL
    #[arg(long, value_name = "DIR|URL", conflicts_with_all = ["bundle", "checkpoint"], requires = "key")]
    published: Option<String>,

    /// With --published: an older signed checkpoint the publication must extend
    #[arg(long, value_name = "FILE", requires = "published")]
    since: Option<PathBuf>,

    /// With --published: write the verified entries here, as an export
    #[arg(long, value_name = "FILE", requires = "published")]
    out: Option<PathBuf>,

    #[command(flatten)]
    witnesses: WitnessArgs,
}

#[derive(Serialize)]
struct Answer {
    entries: u64,
    head: String,
    root: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    checkpoint: Option<CheckpointAnswer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    witnesses: Option<Cosigners>,
}

#[derive(Serialize)]
struct CheckpointAnswer {
    origin: String,
    size: u64,
    /// How many entries past the checkpoint's size.
    extends_by: u64,
}

#[derive(Serialize)]
struct Failure {
    ok: bool,
    seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    problem: String,
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    if let (Some(location), Some(key)) = (&args.published, &args.key) {
        return super::verify_published::run(
            ctx,
            location,
            key,
            &args.witnesses,
            args.since.as_deref(),
            args.out.as_deref(),
        );
    }
    if args.key.is_some() != args.checkpoint.is_some() {
        return Err(CliError::Usage(
            "--checkpoint and --key go together (or --published DIR|URL with --key)".into(),
        ));
    }
    let (checkpoint, cosigners) = match (&args.checkpoint, &args.key) {
        (Some(file), Some(key)) => {
            let (checkpoint, note) = read_checkpoint_note(file, &read_verifier_key(key)?)?;
            let cosigners = args
                .witnesses
                .check(&note, &format!("checkpoint {}", file.display()))?;
            (Some(checkpoint), cosigners)
        }
        _ if !args.witnesses.is_empty() => return Err(CliError::Usage(
            "--witness counts the cosignatures of a checkpoint: give --checkpoint and --key too"
                .into(),
        )),
        _ => (None, None),
    };
    let want = checkpoint.as_ref().map(|c| c.size);
    let result = match &args.bundle {
        Some(bundle) => run_bundle(bundle, want),
        None => run_ledger(ctx, want),
    };
    let (answer, root_at) = match result {
        Ok(found) => found,
        Err(failed) => {
            let (failure, error) = *failed;
            if ctx.json {
                output::json(&failure)?;
            }
            return Err(error);
        }
    };
    let mut answer = answer;
    answer.witnesses = cosigners;
    if let Some(checkpoint) = &checkpoint {
        match check_checkpoint(checkpoint, answer.entries, root_at) {
            Ok(extends_by) => {
                answer.checkpoint = Some(CheckpointAnswer {
                    origin: checkpoint.origin.clone(),
                    size: checkpoint.size,
                    extends_by,
                })
            }
            Err(problem) => {
                if ctx.json {
                    output::json(&Failure {
                        ok: false,
                        seq: None,
                        line: None,
                        problem: problem.clone(),
                    })?;
                }
                return Err(CliError::NotVerified(problem));
            }
        }
    }
    if ctx.json {
        return output::json(&answer);
    }
    let what = if args.bundle.is_some() {
        "bundle of "
    } else {
        ""
    };
    let mut text = format!(
        "ok: {what}{} entries, every hash and link checked\nhead {}\nroot {}",
        answer.entries, answer.head, answer.root
    );
    if let Some(c) = &answer.checkpoint {
        text.push_str(&format!(
            "\nmatches the checkpoint of {} at size {}",
            c.origin, c.size
        ));
        if c.extends_by > 0 {
            text.push_str(&format!(" and extends it by {} entries", c.extends_by));
        }
    }
    if let Some(c) = &answer.witnesses {
        text.push_str(&format!("\n{}", c.describe()));
    }
    output::text(&text)
}

/// The answer and the root at the checkpoint's size, or the failure in both forms.
type Outcome = Result<(Answer, Option<TreeHash>), Box<(Failure, CliError)>>;

fn run_ledger(ctx: &Context, want: Option<u64>) -> Outcome {
    if !ctx.ledger_dir.join("journal").exists() {
        let e = LedgerError::NotALedger(ctx.ledger_dir.clone());
        return Err(Box::new((
            Failure {
                ok: false,
                seq: None,
                line: None,
                problem: e.to_string(),
            },
            e.into(),
        )));
    }
    // Every entry decoded (on the worker threads): `verify` proves the ledger readable too.
    // The Merkle root is hashed there as well, with the root at the checkpoint's size.
    let rooted =
        verify_dir_rooted(&ctx.ledger_dir, Decoding::Check, want).map_err(|tampering| {
            Box::new((
                Failure {
                    ok: false,
                    seq: tampering.seq().map(|s| s.0),
                    line: None,
                    problem: tampering.to_string(),
                },
                CliError::Tampered(tampering),
            ))
        })?;
    let (verified, root, root_at) = (rooted.verified, rooted.root, rooted.root_at);
    check_stored_tree(&ctx.ledger_dir, verified.entries, &root);
    Ok((
        Answer {
            entries: verified.entries,
            head: verified.head.to_hex(),
            root: root.to_hex(),
            checkpoint: None,
            witnesses: None,
        },
        root_at,
    ))
}

/// The journal is the truth: a stored tree that disagrees is derived-data damage, rebuilt.
fn check_stored_tree(dir: &Path, entries: u64, root: &TreeHash) {
    match Ledger::open(dir, Access::Inspect) {
        Ok(mut ledger) => {
            // What opening repaired (a rebuilt index), then what checking the tree did.
            ledger.check_stored_tree(entries, root);
            for notice in ledger.notices() {
                eprintln!("note: {notice}");
            }
        }
        Err(e) => eprintln!("note: the stored Merkle tree was not checked: {e}"),
    }
}

fn run_bundle(bundle: &Path, want: Option<u64>) -> Outcome {
    let name = bundle.display().to_string();
    let fail = |seq: Option<u64>, line: Option<usize>, problem: String| {
        Box::new((
            Failure {
                ok: false,
                seq,
                line,
                problem: problem.clone(),
            },
            CliError::NotVerified(problem),
        ))
    };
    let file = File::open(bundle).map_err(|e| {
        let problem = format!("{name}: cannot read: {e}");
        Box::new((
            Failure {
                ok: false,
                seq: None,
                line: None,
                problem: problem.clone(),
            },
            CliError::input(problem),
        ))
    })?;
    let lines = jsonl::read_lines(BufReader::new(file)).map_err(|errors| {
        let first = &errors[0];
        fail(
            None,
            Some(first.line),
            format!(
                "{name}:{}: not an export line: {}",
                first.line, first.problem
            ),
        )
    })?;
    let verified = verify_bundle(&lines, want).map_err(|bad| {
        fail(
            Some(bad.seq.0),
            Some(bad.line),
            format!("{name}:{}: entry {}: {}", bad.line, bad.seq, bad.problem),
        )
    })?;
    Ok((
        Answer {
            entries: verified.entries,
            head: verified.head.to_hex(),
            root: verified.root.to_hex(),
            checkpoint: None,
            witnesses: None,
        },
        verified.root_at.map(|(_, root)| root),
    ))
}

/// How far the entries extend the checkpoint, or why they do not match it.
fn check_checkpoint(
    checkpoint: &Checkpoint,
    entries: u64,
    root_at: Option<TreeHash>,
) -> Result<u64, String> {
    let Some(root) = root_at.filter(|_| entries >= checkpoint.size) else {
        return Err(format!(
            "there are {entries} entries but the checkpoint of {} signed {}: entries it covers are missing",
            checkpoint.origin, checkpoint.size
        ));
    };
    if root != checkpoint.root {
        return Err(format!(
            "the Merkle root of the first {} entries is {root}, but the checkpoint of {} signed {}: some entry before {} differs from what was signed",
            checkpoint.size, checkpoint.origin, checkpoint.root, checkpoint.size
        ));
    }
    Ok(entries - checkpoint.size)
}
