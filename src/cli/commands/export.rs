use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use serde_json::Value;

use crate::cli::{CliError, Context};
use crate::domain::jsonl::event_to_value;
use crate::ledger::{Access, StoredEntry};

/// Write the ledger as JSON Lines that `import` accepts.
///
/// Every line is one entry's event in the import format, with the entry's `seq`, `hash`,
/// `recorded_at`, `recorded_by` and `override` beside it. Importing the export into an empty
/// ledger reproduces the same entries and the same head hash (import checks each line's seq
/// and hash).
///
/// Examples:
///   ccm-ledger export --out ccm.jsonl
///   ccm-ledger export | head -3
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Write to FILE instead of standard output (replaced only once complete)
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// One entry as an export line.
pub fn export_line(stored: &StoredEntry) -> Value {
    let e = &stored.entry;
    let Value::Object(mut line) = event_to_value(&e.event) else {
        unreachable!("events are objects")
    };
    line.insert("seq".into(), e.seq.0.into());
    line.insert("hash".into(), stored.hash.to_hex().into());
    line.insert("recorded_at".into(), e.recorded_at.to_string().into());
    line.insert("recorded_by".into(), e.recorded_by.clone().into());
    if let Some(reason) = &e.override_reason {
        line.insert("override".into(), reason.clone().into());
    }
    Value::Object(line)
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let ledger = ctx.open(Access::Read)?;
    match &args.out {
        Some(path) => {
            let tmp = path.with_extension("partial");
            let context = format!("cannot write {}", tmp.display());
            let file = File::create(&tmp).map_err(CliError::io(&context))?;
            let mut out = BufWriter::new(file);
            write_all(&ledger, &mut out).map_err(|e| match e {
                CliError::Io { source, .. } => CliError::io(&context)(source),
                other => other,
            })?;
            out.into_inner()
                .map_err(|e| CliError::io(&context)(e.into_error()))?
                .sync_all()
                .map_err(CliError::io(&context))?;
            std::fs::rename(&tmp, path)
                .map_err(CliError::io(format!("cannot write {}", path.display())))?;
            if !ctx.json {
                eprintln!(
                    "exported {} entries to {}",
                    ledger.head().entries,
                    path.display()
                );
            }
            Ok(())
        }
        None => {
            let mut out = BufWriter::new(std::io::stdout().lock());
            write_all(&ledger, &mut out)?;
            out.flush().map_err(CliError::io("output"))
        }
    }
}

fn write_all(ledger: &crate::ledger::Ledger, out: &mut impl Write) -> Result<(), CliError> {
    for stored in ledger.entries(0, u64::MAX)? {
        let line = export_line(&stored?);
        serde_json::to_writer(&mut *out, &line).map_err(|e| CliError::io("output")(e.into()))?;
        out.write_all(b"\n").map_err(CliError::io("output"))?;
    }
    Ok(())
}
