use std::io::{BufWriter, Write};
use std::path::PathBuf;

use serde_json::Value;

use crate::cli::{moment, outfile};
use crate::cli::{CliError, Context};
use crate::domain::jsonl::event_to_value;
use crate::domain::Date;
use crate::ledger::{Access, StoredEntry};
use crate::projection::Projection;
use crate::report::tabular::{popolo, term_rows, Selection};

/// Write the ledger as JSON Lines that `import` accepts, or its terms as CSV or Popolo.
///
/// jsonl (the default): every line is one entry's event in the import format, with the
/// entry's `seq`, `hash`, `recorded_at`, `recorded_by` and `override` beside it. Importing the
/// export into an empty ledger reproduces the same entries and the same head hash (import
/// checks each line's seq and hash).
///
/// csv: one row per term of every body and of the Presidency, for spreadsheets (RFC 4180):
/// body (`presidency` for the Presidency), body_name (today's), seat (empty for the
/// Presidency), state, state_name, start, end (empty while running), until_close_of,
/// how_ended, decision_meeting, decision_date, seq, person (who held the office for the
/// State, if the election says), office (Coordinator, President or President-designate),
/// body_name_at_start (the body's name on the term's first day). --state and --body (an id
/// or a name, repeatable) keep only those States' or those bodies' terms (--body leaves out
/// the Presidency); --from and --to keep the terms that overlap [FROM, TO). A text cell
/// beginning with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so a
/// spreadsheet shows it instead of running it.
///
/// popolo: the bodies, the Presidency and the States as Popolo organizations, a post per
/// seat, and a membership per term (the State as the member organization).
///
/// Examples:
///   ccm-ledger export --out ccm.jsonl
///   ccm-ledger export | head -3
///   ccm-ledger export --format csv --out terms.csv
///   ccm-ledger export --format csv --state LAO --out lao.csv
///   ccm-ledger export --format csv --body coord-reporting --from 2012-01-01 --to 2016-01-01
///   ccm-ledger export --format popolo --out ccm-popolo.json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Write to FILE instead of standard output (replaced only once complete)
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// What to write
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    format: Format,
    /// csv: only the terms of this State (its code or name); repeat for several
    #[arg(long, value_name = "STATE")]
    state: Vec<String>,
    /// csv: only the terms of this body (its id or a name it has had), and none of the
    /// Presidency's; repeat for several
    #[arg(long, value_name = "BODY")]
    body: Vec<String>,
    /// csv: only terms still held on or after this day, YYYY-MM-DD
    #[arg(long, value_name = "DATE")]
    from: Option<Date>,
    /// csv: only terms begun before this day, YYYY-MM-DD
    #[arg(long, value_name = "DATE")]
    to: Option<Date>,
}

impl Args {
    /// An export into `out` (what `publish` writes beside the tiles).
    pub fn to_file(out: PathBuf, format: Format) -> Args {
        Args {
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

/// What `--state`, `--body`, `--from` and `--to` ask for, resolved as the queries resolve
/// them (an unknown name is bad input, with the near matches).
fn selection(projection: &Projection, args: &Args) -> Result<Selection, CliError> {
    let unknown = |e: crate::projection::Unknown| CliError::input(e.to_string());
    let (from, to) = super::timeline::dates(args.from, args.to)?;
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

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
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
        Some(p) if args.format == Format::Csv => selection(p, &args)?,
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
