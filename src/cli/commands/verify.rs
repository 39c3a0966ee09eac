use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::evidence::{
    read_checkpoint_note, read_verifier_key, signed_at_json, signed_at_line,
};
use crate::cli::progress::Phases;
use crate::cli::witnesses::{Cosigners, WitnessArgs};
use crate::cli::{moment, output, CliError, Context};
use crate::domain::jsonl;
use crate::ledger::bundle::verify_bundle;
use crate::ledger::config::read_own_checkpoint;
use crate::ledger::{
    contradicts_checkpoint, verify, Access, Checking, Decoding, Ledger, LedgerError, SnapshotCheck,
    Tail, TreeCheck, VerifyOptions,
};
use crate::merkle::{Checkpoint, TreeHash};

mod published;

/// Recompute the hash chain and the Merkle root: was anything altered?
///
/// From the journal alone, or (with --bundle) from an export.
///
/// Reads every entry from entry 0 and checks its frame, its bytes, its seq, its link to its
/// predecessor and its hash, and that the head file agrees with the journal. Then checks the
/// journal against the ledger's own evidence: the latest checkpoint it signed (the journal
/// must extend it: as long, and the same root at its size) and what its index had absorbed.
/// Then re-derives what queries read and compares: the projection snapshot (folded from the
/// journal) and the stored Merkle tree. Runs beside a writer. On a terminal, a pass that
/// takes more than a second shows its progress on stderr.
///
/// What it says, and its exit code:
///   0  ok: the size, the head hash and the Merkle root. Bytes past the acknowledged head
///      with no evidence they were ever acknowledged are an interrupted write: a notice
///      (the next writer cuts them off and keeps them in torn-tail-*.bin), still exit 0.
///   3  the record was altered: a bad frame, link or hash within the acknowledged entries
///      (named), a head file ahead of the journal or from another chain, or a journal that
///      is shorter than, or differs from, what the ledger's own checkpoint or index saw.
///   5  the record verified, but a derived file (named: projection.snapshot, the Merkle
///      tree in index.sled) disagreed with the journal: it has been rebuilt; run again for 0.
///
/// With --bundle, verifies an export instead, without any ledger: every line is turned back
/// into its entry, whose bytes and hash must be those exported, chained from entry 0. With
/// --checkpoint and --key, the Merkle root at the checkpoint's size must be the one it signed;
/// the entries it covers and those past it (which no signature vouches for) are named, and
/// with --exact entries past it fail (exit 3). When the checkpoint says it was signed is
/// shown as `checkpoint` shows it: the signer's clock, its claim, not evidence. --bundle - reads the export from stdin.
/// A line that is not an export line (bad JSON, a key repeated in one object) is bad input:
/// exit 1.
///
/// With --witness (repeatable), the checkpoint must also carry valid cosignatures from
/// --quorum of the named witnesses (default: all of them), or exit 3.
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
///   ccm-ledger verify --bundle ccm.jsonl --checkpoint today.checkpoint --key isu.pub --exact
///   ccm-ledger verify --bundle ccm.jsonl --checkpoint today.checkpoint --key isu.pub \
///       --witness nor.pub --witness ecu.pub --witness civ.pub --quorum 2
///   ccm-ledger verify --published public/ --key isu.pub --since 2025.checkpoint   (or https://…)
///   ccm-ledger verify --published public/ --key isu.pub --out ccm.jsonl
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Verify this export (from `ccm-ledger export`; `-` reads stdin) instead of the ledger
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
    /// Fail (exit 3) if there are entries past the checkpoint, which it does not cover
    #[arg(long, requires = "checkpoint")]
    exact: bool,
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
    /// Bytes past the acknowledged head, no writer at work, no evidence they were acknowledged.
    #[serde(skip_serializing_if = "Option::is_none")]
    interrupted: Option<Interrupted>,
    /// Derived files that disagreed with the journal and were rebuilt (exit 5).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rebuilt: Vec<Rebuilt>,
}

#[derive(Serialize)]
struct CheckpointAnswer {
    origin: String,
    size: u64,
    /// How many entries past the checkpoint's size.
    extends_by: u64,
    /// Entries 0..covered are covered by the checkpoint's signature.
    covered: u64,
    /// The entries past it, which no signature vouches for (as `extends_by`).
    not_covered: u64,
    /// When it says it was signed (the signer's claim); `None` for one from before the time
    /// line.
    signed_at: Option<String>,
}

#[derive(Serialize)]
struct Interrupted {
    from_entry: u64,
    bytes: u64,
}

#[derive(Serialize)]
struct Rebuilt {
    file: String,
    detail: String,
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
        return published::run(
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
        let checked = check_checkpoint(checkpoint, answer.entries, root_at).and_then(|past| {
            if args.exact && past > 0 {
                Err(format!(
                    "{} past the checkpoint of {} at size {}, which does not cover {} (--exact)",
                    entry_span(checkpoint.size, answer.entries),
                    checkpoint.origin,
                    checkpoint.size,
                    if past == 1 { "it" } else { "them" }
                ))
            } else {
                Ok(past)
            }
        });
        match checked {
            Ok(extends_by) => {
                answer.checkpoint = Some(CheckpointAnswer {
                    origin: checkpoint.origin.clone(),
                    size: checkpoint.size,
                    extends_by,
                    covered: checkpoint.size,
                    not_covered: extends_by,
                    signed_at: signed_at_json(checkpoint),
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
    if let Some(tail) = &answer.interrupted {
        eprintln!(
            "notice: interrupted write: {} journal bytes from entry {} on were written but never acknowledged (a write was interrupted before its head file was updated; no evidence says they were acknowledged). They are not part of the ledger; the next writer cuts them off and keeps them beside the journal in torn-tail-*.bin",
            tail.bytes, tail.from_entry
        );
    }
    let rebuilt = (!answer.rebuilt.is_empty()).then(|| {
        answer
            .rebuilt
            .iter()
            .map(|r| format!("{} ({})", r.file, r.detail))
            .collect::<Vec<_>>()
            .join("; ")
    });
    if ctx.json {
        output::json(&answer)?;
    } else {
        let what = if args.bundle.is_some() {
            "bundle of "
        } else {
            ""
        };
        let mut text = format!(
            "ok: {what}{}, every hash and link checked\nhead {}\nroot {}",
            output::count(answer.entries, "entry", "entries"),
            answer.head,
            answer.root
        );
        if let (Some(c), Some(checkpoint)) = (&answer.checkpoint, &checkpoint) {
            text.push_str(&format!(
                "\nmatches the checkpoint of {} at size {}: {} covered by it",
                c.origin,
                c.size,
                match c.size {
                    0 => "no entry is".to_owned(),
                    1 => "entry 0 is".to_owned(),
                    n => format!("entries 0–{} are", n - 1),
                }
            ));
            if c.extends_by > 0 {
                text.push_str(&format!(
                    "\n{} not covered by it: no signature vouches for {them} (--exact refuses {them})",
                    entry_span(c.size, answer.entries),
                    them = if c.extends_by == 1 { "it" } else { "them" }
                ));
            }
            text.push_str(&format!(
                "\n{}",
                signed_at_line("the checkpoint", checkpoint)
            ));
        }
        if let Some(c) = &answer.witnesses {
            text.push_str(&format!("\n{}", c.describe()));
        }
        output::text(&text)?;
    }
    match rebuilt {
        Some(files) => Err(CliError::DerivedRebuilt(files)),
        None => Ok(()),
    }
}

/// The entries `from..to` as a sentence's subject: "entry 10 is", "entries 10–12 are".
fn entry_span(from: u64, to: u64) -> String {
    if to == from + 1 {
        format!("entry {from} is")
    } else {
        format!("entries {from}–{} are", to - 1)
    }
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
    let failed = |seq: Option<u64>, error: CliError| {
        Box::new((
            Failure {
                ok: false,
                seq,
                line: None,
                problem: error.to_string(),
            },
            error,
        ))
    };
    // The ledger's own evidence: the latest checkpoint it signed.
    let own = match read_own_checkpoint(&ctx.ledger_dir) {
        Ok(own) => own,
        Err(problem) => {
            eprintln!("note: the ledger's checkpoint file is unreadable ({problem}): the journal was not checked against it");
            None
        }
    };
    let sizes: Vec<u64> = want
        .into_iter()
        .chain(own.as_ref().map(|c| c.size))
        .collect();
    // Every entry decoded (on the worker threads): `verify` proves the ledger readable too.
    // The Merkle root is hashed there as well, with the roots at the checkpoints' sizes.
    // A progress line on a terminal when the pass takes more than a second (issue 17.3), and
    // one for each phase of the re-derivation after it.
    let mut phases = Phases::new(!ctx.json);
    let mut reach = |c: Checking| phases.report(c);
    let rooted = verify(
        &ctx.ledger_dir,
        VerifyOptions {
            decoding: Decoding::Check,
            tree_at: Some(&sizes),
            progress: Some(&mut reach),
            ..VerifyOptions::default()
        },
    );
    phases.clear();
    let rooted = rooted
        .map_err(|tampering| failed(tampering.seq().map(|s| s.0), CliError::Tampered(tampering)))?;
    let entries = rooted.verified.entries;
    let tree = rooted.tree.as_ref().expect("the tree was asked for");
    let root_of = |size: u64| {
        tree.roots_at
            .iter()
            .find(|(at, _)| *at == size)
            .map(|r| r.1)
    };
    if let Some(own) = &own {
        if let Some(detail) = contradicts_checkpoint(own, entries, root_of(own.size)) {
            let seq = Some(entries.min(own.size));
            let path = ctx.ledger_dir.join(crate::ledger::config::CHECKPOINT_FILE);
            return Err(failed(
                seq,
                LedgerError::Contradicted { path, detail }.into(),
            ));
        }
    }
    // The index's evidence, then what is derived: checked against the journal, rebuilt.
    let rebuilt = check_derived(ctx, entries, &tree.root, &mut phases).map_err(|e| {
        let seq = rooted.unacknowledged.map(|t| t.from_entry);
        failed(seq, e)
    })?;
    Ok((
        Answer {
            entries,
            head: rooted.verified.head.to_hex(),
            root: tree.root.to_hex(),
            checkpoint: None,
            witnesses: None,
            interrupted: rooted.unacknowledged.map(|tail: Tail| Interrupted {
                from_entry: tail.from_entry,
                bytes: tail.journal_bytes - tail.acknowledged_bytes,
            }),
            rebuilt,
        },
        want.and_then(root_of),
    ))
}

/// Opens the ledger as an inspector: the index's absorbed mark and the ledger's checkpoint
/// are evidence, and a journal that contradicts them fails (exit 3). Then the derived files
/// queries read are re-derived from the journal and compared: the stored Merkle tree (its
/// root against `root`, recomputed by the chain's pass) and the projection snapshot (against
/// a fold of the journal). One that disagrees is rebuilt and named.
fn check_derived(
    ctx: &Context,
    entries: u64,
    root: &TreeHash,
    phases: &mut Phases,
) -> Result<Vec<Rebuilt>, CliError> {
    let mut ledger = match Ledger::open(&ctx.ledger_dir, Access::Inspect) {
        Ok(ledger) => ledger,
        Err(e @ LedgerError::Contradicted { .. }) => return Err(e.into()),
        Err(e) => {
            eprintln!("note: the derived files were not checked: {e}");
            return Ok(Vec::new());
        }
    };
    let mut rebuilt = Vec::new();
    let tree = ledger.check_stored_tree(entries, root);
    if tree == TreeCheck::Rebuilt || ledger.tree_rebuilt() {
        rebuilt.push(Rebuilt {
            file: "index.sled".into(),
            detail: "its Merkle tree had another root than the journal's".into(),
        });
    }
    // Only at the size verified: a writer may have appended since.
    if ledger.head().entries == entries {
        if let SnapshotCheck::Rebuilt {
            entries,
            sections,
            slots,
        } = moment::check_snapshot(&ledger, |c| phases.report(c))?
        {
            let mut said = Vec::new();
            // Each slot readers passed over, and what they read instead.
            for damaged in &slots {
                said.push(format!(
                    "its slot {} is damaged: {}",
                    damaged.slot, damaged.problem
                ));
            }
            if !slots.is_empty() {
                said.push(if entries > 0 {
                    format!("readers read the other slot's head, of the first {entries} entries")
                } else {
                    "readers read no head of it and folded the journal".to_owned()
                });
            }
            if !sections.is_empty() {
                let shown: Vec<&str> = sections.iter().take(5).map(String::as_str).collect();
                let more = sections.len().saturating_sub(shown.len());
                said.push(format!(
                    "its sections {}{} are not what the journal's first {entries} entries give",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ));
            }
            rebuilt.push(Rebuilt {
                file: crate::ledger::snapshot::SNAPSHOT_FILE.into(),
                detail: said.join("; "),
            });
        }
    }
    phases.clear();
    for notice in ledger.notices() {
        if !notice.contains("Merkle tree disagreed") {
            eprintln!("note: {notice}");
        }
    }
    Ok(rebuilt)
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
    let parsed = if name == "-" {
        jsonl::read_lines(std::io::stdin().lock())
    } else {
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
        jsonl::read_lines(BufReader::new(file))
    };
    // A line that is not an export line (bad JSON, a repeated key) is bad input, exit 1 as in
    // `import`: there is nothing to verify, not an entry that failed to verify.
    let lines = parsed.map_err(|errors| {
        let first = &errors[0];
        let problem = format!(
            "{name}:{}: not an export line: {}",
            first.line, first.problem
        );
        Box::new((
            Failure {
                ok: false,
                seq: None,
                line: Some(first.line),
                problem: problem.clone(),
            },
            CliError::input(problem),
        ))
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
            interrupted: None,
            rebuilt: Vec::new(),
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
