//! The export: the ledger as JSON Lines that `import` accepts, or its terms as CSV or Popolo
//! (`export`, and `publish` beside the tiles); an entry as a line of it (also `prove
//! --with-entry`, `publish`'s bundles).

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use serde_json::Value;

use crate::cli::period::dates;
use crate::cli::{moment, outfile};
use crate::cli::{CliError, Context};
use crate::domain::jsonl::event_to_value;
use crate::domain::Date;
use crate::ledger::{Access, StoredEntry};
use crate::projection::Projection;
use crate::report::tabular::{popolo, term_rows, Selection};

/// What to export and where: `export`'s arguments, as values.
#[derive(Debug)]
pub struct Export {
    /// The file to write (replaced only once complete); standard output without one.
    pub out: Option<PathBuf>,
    pub format: Format,
    /// csv: only these States' terms (codes or names).
    pub state: Vec<String>,
    /// csv: only these bodies' terms (ids or names), none of the Presidency's.
    pub body: Vec<String>,
    /// csv: only terms still held on or after this day.
    pub from: Option<Date>,
    /// csv: only terms begun before this day.
    pub to: Option<Date>,
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

impl Export {
    /// An export into `out` (what `publish` writes beside the tiles).
    pub fn to_file(out: PathBuf, format: Format) -> Export {
        Export {
            out: Some(out),
            format,
            state: Vec::new(),
            body: Vec::new(),
            from: None,
            to: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The entries, as JSON Lines that `import` accepts
    Jsonl,
    /// One row per term, for spreadsheets
    Csv,
    /// Organizations, posts and memberships in the Popolo JSON shape
    Popolo,
}

/// What `--state`, `--body`, `--from` and `--to` ask for, resolved as the queries resolve
/// them (an unknown name is bad input, with the near matches).
fn selection(projection: &Projection, args: &Export) -> Result<Selection, CliError> {
    let unknown = |e: crate::projection::Unknown| CliError::input(e.to_string());
    let (from, to) = dates(args.from, args.to)?;
    Ok(Selection {
        states: args
            .state
            .iter()
            .map(|q| projection.resolve_state(q).map_err(unknown))
            .collect::<Result<_, _>>()?,
        bodies: args
            .body
            .iter()
            .map(|q| projection.resolve_body(q).map_err(unknown))
            .collect::<Result<_, _>>()?,
        from,
        to,
    })
}

/// Writes the export `args` asks for (`export`'s work, and `publish`'s CSV and Popolo).
pub fn export(ctx: &Context, args: &Export) -> Result<(), CliError> {
    let narrowed =
        !args.state.is_empty() || !args.body.is_empty() || args.from.is_some() || args.to.is_some();
    if narrowed && args.format != Format::Csv {
        // The JSON Lines must stay importable and the Popolo document whole.
        return Err(CliError::Usage(
            "--state, --body, --from and --to narrow --format csv only".into(),
        ));
    }
    let mut ledger = ctx.open(Access::Read)?;
    let projection = match args.format {
        Format::Jsonl => None,
        Format::Csv | Format::Popolo => {
            let known = moment::known_at(None, &ledger)?;
            Some(moment::projection(&mut ledger, known)?)
        }
    };
    let selection = match &projection {
        Some(p) if args.format == Format::Csv => selection(p, args)?,
        _ => Selection::default(),
    };
    // Not when the export itself goes to the terminal: the line would mix into it.
    let show_progress =
        !ctx.json && (args.out.is_some() || !std::io::IsTerminal::is_terminal(&std::io::stdout()));
    let write_all = |out: &mut dyn Write| match &projection {
        None => write_jsonl(&ledger, out, show_progress),
        Some(p) if args.format == Format::Csv => write_csv(p, &selection, out),
        Some(p) => write_popolo(p, out),
    };
    match &args.out {
        Some(path) => {
            outfile::write_atomically(path, write_all)?;
            if !ctx.json {
                let entries = ledger.head().entries;
                let what = match args.format {
                    Format::Jsonl => crate::cli::output::count(entries, "entry", "entries"),
                    Format::Csv | Format::Popolo => {
                        format!(
                            "the terms of {}",
                            crate::cli::output::count(entries, "entry", "entries")
                        )
                    }
                };
                eprintln!("exported {what} to {}", path.display());
            }
            Ok(())
        }
        None => {
            let mut out = BufWriter::new(std::io::stdout().lock());
            write_all(&mut out)?;
            out.flush().map_err(CliError::io("output"))
        }
    }
}

fn write_jsonl(
    ledger: &crate::ledger::Ledger,
    out: &mut dyn Write,
    show_progress: bool,
) -> Result<(), CliError> {
    let total = ledger.head().entries;
    let mut progress =
        crate::cli::progress::Progress::start("exporting", Some(total), "entries", show_progress);
    for stored in ledger.entries(0, u64::MAX)? {
        progress.advance(1);
        let line = export_line(&stored?);
        let text = serde_json::to_string(&line).map_err(|e| CliError::io("output")(e.into()))?;
        out.write_all(crate::domain::text::json_escaped(&text).as_bytes())
            .map_err(CliError::io("output"))?;
        out.write_all(b"\n").map_err(CliError::io("output"))?;
    }
    Ok(())
}

fn write_csv(
    projection: &Projection,
    selection: &Selection,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let mut writer = csv::Writer::from_writer(out);
    for row in term_rows(projection, selection) {
        writer.serialize(row).map_err(csv_error)?;
    }
    writer.flush().map_err(CliError::io("output"))
}

fn csv_error(e: csv::Error) -> CliError {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => CliError::io("output")(e),
        other => CliError::io("output")(std::io::Error::other(format!("{other:?}"))),
    }
}

fn write_popolo(projection: &Projection, out: &mut dyn Write) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(&popolo(projection))
        .map_err(|e| CliError::io("output")(e.into()))?;
    out.write_all(crate::domain::text::json_escaped(&text).as_bytes())
        .map_err(CliError::io("output"))?;
    out.write_all(b"\n").map_err(CliError::io("output"))
}
