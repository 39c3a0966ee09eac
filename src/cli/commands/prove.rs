use crate::cli::{output, CliError, Context};
use crate::ledger::Access;
use crate::merkle::Proof;

/// Print a Merkle proof: that an entry is in the ledger, or that the ledger only grew.
///
/// --seq N proves that entry N is in the ledger of S entries (default: all of them). --from S1
/// proves that the ledger of S1 entries is a prefix of the ledger of S2 entries (default: all):
/// nothing in the first S1 entries changed since. The proof is one line of JSON
/// (docs/FORMAT.md); check it with `verify-proof` against signed checkpoints of those sizes.
/// With --with-entry, a second line carries entry N itself (its export line, and the hash of
/// the entry before it), so whoever checks the proof also sees, and checks, what entry N says.
///
/// Examples:
///   ccm-ledger prove --seq 42 > entry42.proof
///   ccm-ledger prove --seq 42 --with-entry > entry42.proof
///   ccm-ledger prove --seq 42 --size 100
///   ccm-ledger prove --from 100 > since-last-year.proof
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["seq", "from"])))]
pub struct Args {
    /// The entry to prove included
    #[arg(long, value_name = "N")]
    seq: Option<u64>,

    /// The size of the tree the entry is proved in [default: the head]
    #[arg(long, value_name = "S", requires = "seq")]
    size: Option<u64>,

    /// The older size of a consistency proof
    #[arg(long, value_name = "S1", conflicts_with = "seq")]
    from: Option<u64>,

    /// The newer size of a consistency proof [default: the head]
    #[arg(long, value_name = "S2", requires = "from")]
    to: Option<u64>,

    /// Add entry N itself (its export line) as a second line, for `verify-proof` to check
    #[arg(long, requires = "seq")]
    with_entry: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let ledger = ctx.open(Access::Inspect)?;
    let entries = ledger.head().entries;
    let too_big = |what: &str, n: u64| {
        CliError::Usage(format!("{what} {n}: the ledger holds {entries} entries"))
    };
    let proof = if let Some(seq) = args.seq {
        let size = args.size.unwrap_or(entries);
        if size > entries {
            return Err(too_big("--size", size));
        }
        if seq >= size {
            return Err(CliError::Usage(format!(
                "--seq {seq}: a tree of {size} entries holds entries 0 to {}",
                size as i128 - 1
            )));
        }
        let proof = Proof::Inclusion(ledger.prove_inclusion(seq, size)?);
        if args.with_entry {
            let mut read = ledger.entries(seq.saturating_sub(1), seq + 1)?;
            let prev = match seq {
                0 => crate::domain::EntryHash::GENESIS,
                _ => match read.next().transpose()? {
                    Some(before) => before.hash,
                    None => return Err(CliError::Usage(format!("--seq {seq}: no such entry"))),
                },
            };
            let stored = read
                .next()
                .transpose()?
                .ok_or_else(|| CliError::Usage(format!("--seq {seq}: no such entry")))?;
            let entry = serde_json::json!({
                "prev_hash": prev.to_hex(),
                "entry": crate::cli::exported::export_line(&stored),
            });
            return output::text(&format!("{}\n{entry}", proof.to_json()));
        }
        proof
    } else {
        let from = args.from.expect("clap requires --seq or --from");
        let to = args.to.unwrap_or(entries);
        if to > entries {
            return Err(too_big("--to", to));
        }
        if from > to {
            return Err(CliError::Usage(format!(
                "--from {from} is larger than --to {to}: a consistency proof goes from an older, smaller ledger to a newer one"
            )));
        }
        Proof::Consistency(ledger.prove_consistency(from, to)?)
    };
    // The text form is JSON already: --json changes nothing.
    let _ = ctx.json;
    output::text(&proof.to_json())
}
