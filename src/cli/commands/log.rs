use std::io::Write;

use serde::Serialize;

use serde_json::Value;

use crate::cli::{drafted, output, output::Table, CliError, Context};
use crate::domain::jsonl::event_to_value;
use crate::domain::Event;
use crate::ledger::{Access, Ledger};

/// List the entries: seq, short hash, record time, and what each recorded. With --seq N: that
/// one entry as recorded, and for a correction what it changed, field by field (old → new).
///
/// Examples:
///   ccm-ledger log
///   ccm-ledger log --from 100 --limit 20
///   ccm-ledger log --json | jq '.[] | select(.event.kind == "coordinator_elected")'
///   ccm-ledger log --seq 72
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
    /// Show this one entry, and for a correction what it changed
    #[arg(long, value_name = "SEQ", conflicts_with_all = ["from", "limit"])]
    seq: Option<u64>,
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
    /// With `--seq`, for a correction: what it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    corrects: Option<Corrects>,
}

/// What a correction changed in the entry it targets, against that entry as it stood just
/// before (as recorded, or as an earlier correction left it).
#[derive(Serialize)]
struct Corrects {
    target: u64,
    retracted: bool,
    changes: Vec<Change>,
}

/// One field a correction changed: `null` for a field absent on that side.
#[derive(Serialize)]
struct Change {
    field: String,
    old: Value,
    new: Value,
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let ledger = ctx.open(Access::Read)?;
    if let Some(seq) = args.seq {
        return one_entry(ctx, &ledger, seq);
    }
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
                corrects: None,
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

/// `log --seq N`: entry N as recorded and, for a correction, what it changed.
fn one_entry(ctx: &Context, ledger: &Ledger, seq: u64) -> Result<(), CliError> {
    let head = ledger.head().entries;
    let stored = ledger
        .entries(seq, seq.saturating_add(1))?
        .next()
        .transpose()?;
    let Some(stored) = stored else {
        return Err(CliError::Usage(format!(
            "--seq: the ledger has no entry {seq} (it holds entries 0 to {})",
            head.saturating_sub(1)
        )));
    };
    let e = &stored.entry;
    let corrects = match &e.event {
        Event::EntryCorrected(c) => Some(corrects(ledger, c.target.0, seq, &c.replacement)?),
        _ => None,
    };
    let line = LogLine {
        seq: e.seq.0,
        hash: stored.hash.to_hex(),
        recorded_at: e.recorded_at.to_string(),
        recorded_by: e.recorded_by.clone(),
        override_reason: e.override_reason.clone(),
        summary: e.event.to_string(),
        event: event_to_value(&e.event),
        corrects,
    };
    if ctx.json {
        // An array of one, as `log --json` gives: one schema for both.
        return output::json(&[line]);
    }
    let mut text = format!(
        "entry {}  {}
recorded at {} by {}
",
        line.seq, line.hash, line.recorded_at, line.recorded_by
    );
    if let Some(reason) = &line.override_reason {
        text.push_str(&format!(
            "override: {reason}
"
        ));
    }
    text.push_str(&format!(
        "{}
{}
",
        line.summary, line.event
    ));
    if let (Some(c), Event::EntryCorrected(corrected)) = (&line.corrects, &e.event) {
        text.push_str(&format!(
            "corrects entry {} ({}):
",
            c.target, corrected.reason
        ));
        if c.retracted {
            text.push_str(
                "  retracted
",
            );
        }
        for change in &c.changes {
            text.push_str(&format!(
                "  {}: {} → {}\n",
                change.field,
                shown(&change.old),
                shown(&change.new)
            ));
        }
        if !c.retracted && c.changes.is_empty() {
            text.push_str("  no field changed\n");
        }
    }
    output::text(&text)
}

/// A value of a change as a person reads it: text without its quotes, absent as `(none)`.
fn shown(value: &Value) -> String {
    match value {
        Value::Null => "(none)".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The correction at `seq` of entry `target`, against the target as it stood just before:
/// its event as recorded, or as the last correction of it before `seq` left it.
fn corrects(
    ledger: &Ledger,
    target: u64,
    seq: u64,
    replacement: &Option<Box<Event>>,
) -> Result<Corrects, CliError> {
    let before = drafted::as_it_stood(ledger, target, seq)?;
    let after = replacement.as_deref().map(event_to_value);
    let mut changes = Vec::new();
    if let Some(after) = &after {
        let before = before.unwrap_or(Value::Null);
        diff("", &before, after, &mut changes);
    }
    Ok(Corrects {
        target,
        retracted: after.is_none(),
        changes,
    })
}

/// The leaves that differ between `old` and `new`, named by dotted path (`decision.date`);
/// lists and values of different shapes compare whole.
fn diff(path: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    if let (Value::Object(o), Value::Object(n)) = (old, new) {
        let mut keys: Vec<&String> = o.keys().chain(n.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let field = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            diff(
                &field,
                o.get(key).unwrap_or(&Value::Null),
                n.get(key).unwrap_or(&Value::Null),
                out,
            );
        }
    } else if old != new {
        out.push(Change {
            // The whole event: the target had been retracted before this correction.
            field: if path.is_empty() { "event" } else { path }.to_owned(),
            old: old.clone(),
            new: new.clone(),
        });
    }
}
