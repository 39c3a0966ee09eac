use std::path::PathBuf;

use crate::cli::moment::{self, MomentArgs, ProposedArgs};
use crate::cli::outfile;
use crate::cli::period::dates;
use crate::cli::{CliError, Context};
use crate::domain::{BodyId, Date};
use crate::ledger::Access;
use crate::projection::Projection;
use crate::timeline::{self, svg::SvgOptions, Window};

/// The machinery over time as a picture: a row per seat of each body, a bar per term.
///
/// Without --svg, draws a character timeline that fits the terminal: one line per seat,
/// the State's code where it fits, `━` for the rest of a term, `·` for a vacancy, `▸` for a
/// term still running, a line of meetings (`╵`, at their close) and a year axis. With
/// --svg FILE, writes a standalone SVG (for a browser or a printed document): terms with the
/// State's name where it fits (else its code), a key of every State's code and name below,
/// a colour per State (neighbours differ, in grey too), hatched vacancies, meetings,
/// renamings and discontinuations, the Presidency, and a legend. --on (default: today) draws
/// its date as a line; terms still running, and vacancies, are drawn up to it, with an
/// arrow. With --proposed FILE: as the ledger would stand after FILE's events (nothing is
/// written), and the drawing's first line (the SVG's title) says so.
///
/// Examples:
///   ccm-ledger timeline
///   ccm-ledger timeline --from 2019-01-01 --body wg-universalization --body coord-reporting
///   ccm-ledger timeline --svg seats.svg --on 2026-01-01
///   ccm-ledger timeline --known-at 100 --width 120
///   ccm-ledger timeline --svg proposed.svg --proposed fixtures/proposals/elect-cooperation.jsonl
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Write a standalone SVG to FILE instead of drawing in the terminal
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// The first day shown, YYYY-MM-DD [default: 1 January of the first year recorded]
    #[arg(long, value_name = "DATE")]
    from: Option<Date>,
    /// The last day shown, YYYY-MM-DD [default: 31 December of the last year recorded, or
    /// of the --on day's year if later]
    #[arg(long, value_name = "DATE")]
    to: Option<Date>,
    /// Only this body (its id or a name it has had); repeat for several. Leaves out the
    /// Presidency
    #[arg(long, value_name = "BODY")]
    body: Vec<String>,
    /// Columns of the terminal drawing (40 to 1000; narrower is drawn 40 wide) [default:
    /// $COLUMNS, else the terminal's width, else 80]
    #[arg(
        long,
        env = "COLUMNS",
        value_name = "N",
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_WIDTH)
    )]
    width: Option<usize>,
    #[command(flatten)]
    moment: MomentArgs,
    #[command(flatten)]
    proposed: ProposedArgs,
}

/// The widest terminal drawing: wider than any real terminal, small enough that a line of it
/// is a few KB (an unchecked `usize` asked for 2^64 columns and panicked).
const MAX_WIDTH: u64 = 1000;

/// The window asked for, in domain values.
pub(crate) fn window(
    projection: &Projection,
    from: Option<Date>,
    to: Option<Date>,
    bodies: &[String],
    today: Date,
) -> Result<Window, CliError> {
    // `--to` is the last day shown, as the window's `to` is (issue 17.7: the window ended on
    // `--to`, and a picture asked to 31 December said 30 December).
    let (from, to) = dates(from, to)?;
    let bodies = bodies
        .iter()
        .map(|q| {
            projection
                .resolve_body(q)
                .map_err(|e| CliError::input(e.to_string()))
        })
        .collect::<Result<Vec<BodyId>, _>>()?;
    Ok(Window {
        from,
        to,
        bodies,
        today: Some(today),
    })
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let on = args.moment.on();
    let mut ledger = ctx.open(Access::Read)?;
    let known = args.moment.known_at(&ledger)?;
    let (projection, proposal) =
        moment::view(ctx, &mut ledger, known, args.proposed.proposed.as_deref())?;
    let proposal = proposal.as_ref();
    let window = window(&projection, args.from, args.to, &args.body, on)?;
    let layout = timeline::layout(&projection, &window);
    if let Some(path) = &args.svg {
        let svg = timeline::svg::render(
            &layout,
            &SvgOptions {
                title: Some(format!(
                    "The CCM machinery, {} to {}{}",
                    layout.from,
                    layout.to,
                    proposal
                        .map(|p| format!(" — {}", p.headline()))
                        .unwrap_or_default()
                )),
                proposed_from: proposal.map(|p| p.lines.first()),
                ..SvgOptions::default()
            },
        );
        outfile::write_atomically(path, |out| Ok(out.write_all(svg.as_bytes())?))?;
        if !ctx.json {
            eprintln!(
                "wrote {} ({}, {})",
                path.display(),
                crate::cli::output::count(layout.bars().count() as u64, "term", "terms"),
                crate::cli::output::count(layout.meetings.len() as u64, "meeting", "meetings")
            );
        }
    }
    if ctx.json {
        return moment::json(&layout, proposal);
    }
    if args.svg.is_none() {
        // The tables' width (a real terminal measured), bounded as the flag is.
        let width = args
            .width
            .or_else(crate::cli::output::terminal_width)
            .map_or(80, |w| w.min(MAX_WIDTH as usize));
        return moment::text(&timeline::text::render(&layout, width), proposal);
    }
    Ok(())
}
