use std::io::Write;

use serde::Serialize;

use crate::cli::{output::Table, CliError, Context};
use crate::domain::jsonl::event_to_value;
use crate::ledger::Access;

/// List the entries: seq, short hash, record time, and what each recorded.
///
/// Examples:
///   ccm-ledger log
///   ccm-ledger log --from 100 --limit 20
///   ccm-ledger log --json | jq '.[] | select(.event.kind == "coordinator_elected")'
///   ccm-ledger log --no-pager                   on a terminal, without $PAGER
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The first seq to list
    #[arg(long, default_value_t = 0)]
    from: u64,
    /// List at most this many entries
    #[arg(long)]
    limit: Option<u64>,
}

#[derive(Serialize)]
struct LogLine {
    seq: u64,
    hash: String,
    recorded_at: String,
    recorded_by: String,
    #[serde(rename = "override")]
    override_reason: Option<String>,
    summary: String,
    event: serde_json::Value,
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let ledger = ctx.open(Access::Read)?;
    let to = args.limit.map_or(u64::MAX, |n| args.from.saturating_add(n));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let io = CliError::io("output");
    if ctx.json {
        // Streamed: a large ledger is never held in memory to be printed.
        out.write_all(b"[").map_err(CliError::io("output"))?;
        for (i, stored) in ledger.entries(args.from, to)?.enumerate() {
            let stored = stored?;
            let e = &stored.entry;
            let line = LogLine {
                seq: e.seq.0,
                hash: stored.hash.to_hex(),
                recorded_at: e.recorded_at.to_string(),
                recorded_by: e.recorded_by.clone(),
                override_reason: e.override_reason.clone(),
                summary: e.event.to_string(),
                event: event_to_value(&e.event),
            };
            if i > 0 {
                out.write_all(b",").map_err(CliError::io("output"))?;
            }
            out.write_all(b"\n  ").map_err(CliError::io("output"))?;
            let text =
                serde_json::to_string(&line).map_err(|e| CliError::io("output")(e.into()))?;
            out.write_all(crate::domain::text::json_escaped(&text).as_bytes())
                .map_err(CliError::io("output"))?;
        }
        out.write_all(b"\n]\n").map_err(io)?;
    } else {
        let mut table = Table::new(&["seq", "hash", "recorded at", "event"]);
        for stored in ledger.entries(args.from, to)? {
            let stored = stored?;
            let e = &stored.entry;
            let mut summary = e.event.to_string();
            if let Some(reason) = &e.override_reason {
                summary.push_str(&format!(" [override: {reason}]"));
            }
            table.row(vec![
                e.seq.to_string(),
                stored.hash.short(),
                e.recorded_at.to_string(),
                summary,
            ]);
        }
        drop(out);
        return crate::cli::pager::Paged::start(ctx.pager).finish_with(&table.render());
    }
    out.flush().map_err(CliError::io("output"))
}
