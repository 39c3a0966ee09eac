//! The report's page (`report --html`, and `publish` beside the tiles): the ledger at a
//! moment, or as a proposal would leave it, rendered whole.

use serde_json::Value;

use crate::cli::findings::Cited;
use crate::cli::moment::{self, MomentArgs, Proposal};
use crate::cli::{CliError, Context};
use crate::domain::Date;
use crate::ledger::Access;
use crate::projection::Projection;
use crate::report::{self, Findings, Report};
use crate::rules;
use crate::timeline;

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
    let on = moment.on();
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
