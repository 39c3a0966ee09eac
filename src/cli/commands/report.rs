use std::path::PathBuf;

use serde_json::Value;

use crate::cli::commands::check::Cited;
use crate::cli::moment::{self, MomentArgs, Proposal, ProposedArgs};
use crate::cli::outfile;
use crate::cli::{CliError, Context};
use crate::domain::Date;
use crate::ledger::Access;
use crate::projection::Projection;
use crate::report::{self, Findings, Report};
use crate::rules;
use crate::timeline;

/// One self-contained HTML page for publication.
///
/// The page shows the machinery on the --on day, by default today (bodies and their holders,
/// the Presidency, the Coordination Committee; on a day after the last meeting recorded, it
/// first says that the sources end with that meeting), the timeline with a key of the
/// States, every body's history, the continuity findings,
/// and what a reader needs to verify it: the number of entries, the head hash, and the
/// ledger's signed checkpoint (the file `checkpoint` in the ledger directory) if it has one.
/// Inline CSS and SVG: no scripts, no external files; it prints well. With --proposed FILE:
/// the page as the ledger would stand after FILE's events (nothing is written), saying so at
/// its top, with the continuity findings the proposal adds (each naming its lines).
///
/// Examples:
///   ccm-ledger report --html ccm.html
///   ccm-ledger report --html ccm-2019.html --on 2019-06-01 --known-at 150
///   ccm-ledger report --html proposed.html --proposed fixtures/proposals/elect-cooperation.jsonl
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Write the page to FILE
    #[arg(long, value_name = "FILE")]
    html: PathBuf,
    #[command(flatten)]
    moment: MomentArgs,
    #[command(flatten)]
    proposed: ProposedArgs,
}

/// Every continuity finding over the whole history (as `check --json` lists them): the
/// reader sees what was overridden, and why, beside what is still open. For a proposal, the
/// findings it adds, as `check --proposed --json` lists them.
fn findings(projection: &Projection, proposal: Option<&Proposal>) -> Option<Vec<Value>> {
    let Some(proposal) = proposal else {
        let findings = rules::check(projection, &rules::Tolerances::default());
        return Some(findings.iter().map(|f| Cited::Ledger.json(f)).collect());
    };
    let cited = Cited::Proposal {
        source: &proposal.source,
        lines: &proposal.lines,
    };
    Some(
        proposal
            .added
            .iter()
            .map(|a| cited.json(&a.finding))
            .collect(),
    )
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let (page, on, entries, page_hash, proposal) =
        page(ctx, &args.moment, args.proposed.proposed.as_deref())?;
    outfile::write_atomically(&args.html, |out| Ok(out.write_all(page.as_bytes())?))?;
    if ctx.json {
        return moment::json(
            &serde_json::json!({
                "html": args.html.display().to_string(),
                "on": on,
                "entries": entries,
                "head": page_hash,
            }),
            proposal.as_ref(),
        );
    }
    let proposed = proposal
        .as_ref()
        .map(|p| format!(", {}", p.headline()))
        .unwrap_or_default();
    eprintln!(
        "wrote {} (the machinery on {on}, from {}{proposed})",
        args.html.display(),
        crate::cli::output::count(entries, "entry", "entries")
    );
    Ok(())
}

/// What [`page`] gives: the page, the day it shows, how many entries it was built from, the
/// hash of the last of them, and the proposal it shows, if any.
pub type Page = (String, Date, u64, String, Option<Proposal>);

/// The page of the ledger at `moment` (with `proposed`: as it would stand after that file's
/// events, nothing written), the day it shows, how many entries it was built from and the
/// hash of the last of them (what `publish` writes beside the tiles, too).
pub fn page(
    ctx: &Context,
    moment: &MomentArgs,
    proposed: Option<&std::path::Path>,
) -> Result<Page, CliError> {
    let on = moment.on()?;
    let mut ledger = ctx.open(Access::Read)?;
    let known = moment.known_at(&ledger)?;
    let (projection, proposal) = match proposed {
        // A publication: folded from the journal, never from the snapshot file, which anyone
        // who can write the directory can forge with valid checksums (BENCHMARKS.md: the cost).
        None => (moment::projection_from_journal(&ledger, known)?, None),
        // A what-if page: the library's draft of the proposal, which starts from the
        // projection as queries read it (the snapshot and the tail).
        Some(file) => moment::view(ctx, &mut ledger, known, Some(file))?,
    };
    let page_hash = match known.entries.checked_sub(1) {
        Some(last) => match ledger.entries(last, known.entries)?.next() {
            Some(stored) => stored?.hash.to_hex(),
            None => ledger.head().hash.to_hex(),
        },
        None => ledger.head().hash.to_hex(),
    };
    let checkpoint_path = ledger.dir().join("checkpoint");
    let checkpoint = match crate::ledger::small_file::read_small_text(&checkpoint_path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(CliError::io(format!(
                "cannot read {}",
                checkpoint_path.display()
            ))(e))
        }
    };
    let layout = timeline::layout(
        &projection,
        &timeline::Window {
            today: Some(on),
            ..timeline::Window::default()
        },
    );
    let findings = findings(&projection, proposal.as_ref());
    let page = report::render(&Report {
        projection: &projection,
        on,
        timeline: &layout,
        entries: known.entries,
        hash: page_hash.clone(),
        ledger_entries: ledger.head().entries,
        checkpoint,
        findings: match &findings {
            Some(f) => Findings::Checked(f),
            None => Findings::NotChecked,
        },
        generator: concat!("ccm-ledger ", env!("CARGO_PKG_VERSION")).to_owned(),
        proposal: proposal.as_ref().map(Proposal::headline),
        proposed_from: proposal.as_ref().map(|p| p.lines.first()),
    });
    Ok((page, on, known.entries, page_hash, proposal))
}
