use std::path::PathBuf;

use crate::cli::moment::{self, MomentArgs, ProposedArgs};
use crate::cli::outfile;
use crate::cli::page;
use crate::cli::{CliError, Context};

/// One self-contained HTML page for publication.
///
/// The page shows the machinery on the --on day (bodies and their holders, the Presidency,
/// the Coordination Committee), the timeline, every body's history, the continuity findings,
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

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let (page, on, entries, page_hash, proposal) =
        page::page(ctx, &args.moment, args.proposed.proposed.as_deref())?;
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
