use crate::cli::moment::{self, Asked, MomentArgs, Proposal, ProposedArgs};
use crate::cli::output::Table;
use crate::cli::{CliError, Context};
use crate::domain::Event;
use crate::ledger::Access;
use crate::projection::{Question, TermView};

/// Every term of a body or of a State, in order, with how each ended.
///
/// For a body: its establishment, every amendment of its name, seats, term length, stagger or
/// mandate, its discontinuation (and where its mandate went), and every term with the
/// decision and the entry (seq) that recorded it. For a State: when it was a State Party,
/// every term in any body, and its presidencies. Elections a correction replaced or retracted
/// are listed apart, with the correction's reason. With --proposed FILE: as the ledger would
/// stand after FILE's events (nothing is written); a proposed entry's seq column names its
/// FILE:LINE.
///
/// Examples:
///   ccm-ledger history --body wg-victim-assistance
///   ccm-ledger history --state NZL
///   ccm-ledger history --body coord-reporting --known-at 150 --json
///   ccm-ledger history --body wg-cooperation --proposed fixtures/proposals/elect-cooperation.jsonl
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// A body: its id or its name
    #[arg(long, required_unless_present = "state", conflicts_with = "state")]
    body: Option<String>,
    /// A State: its code or its name
    #[arg(long)]
    state: Option<String>,
    #[command(flatten)]
    moment: MomentArgs,
    #[command(flatten)]
    proposed: ProposedArgs,
}

/// The columns of a body's terms (a State's add the body first).
const TERM_COLUMNS: [&str; 7] = [
    "seat",
    "state",
    "from",
    "until",
    "how it ended",
    "decision",
    "seq",
];

fn term_rows(table: &mut Table, terms: &[TermView], with_body: bool, proposal: Option<&Proposal>) {
    for t in terms {
        let mut how = t.how_ended.to_owned();
        if let Some(by) = t.ended_by {
            how.push_str(&format!(" ({by})"));
        }
        if let Some(next) = &t.renewed_with {
            how.push_str(&format!(", now {next}"));
        }
        if let Some(reason) = &t.reason {
            how.push_str(&format!(": {reason}"));
        }
        let mut row = Vec::new();
        if with_body {
            row.push(t.body.to_string());
        }
        row.extend([
            t.seat.map_or("—".into(), |s| s.to_string()),
            match &t.person {
                Some(person) => format!("{} ({person})", t.state),
                None => t.state.to_string(),
            },
            t.start.to_string(),
            t.end.to_string(),
            how,
            t.decision.meeting.to_string(),
            Proposal::seq_cell(proposal, t.seq),
        ]);
        table.row(row);
    }
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let question = match (&args.body, &args.state) {
        (Some(body), _) => Question::BodyHistory(body.clone()),
        (None, state) => Question::StateHistory(state.clone().unwrap_or_default()),
    };
    let Asked {
        projection,
        proposal,
        on,
    } = args.moment.ask_about(ctx, &args.proposed, |_| question)?;
    let proposal = proposal.as_ref();
    if let Some(query) = &args.body {
        let body = projection
            .resolve_body(query)
            .map_err(|e| CliError::input(e.to_string()))?;
        let history = projection
            .body_history(&body)
            .ok_or_else(|| CliError::input(format!("unknown body '{query}'")))?
            .as_on(on);
        let mut history = history;
        correction_reasons(ctx, &mut history.corrected_terms)?;
        if ctx.json {
            return moment::json(&history, proposal);
        }
        let mut text = format!("{} — {}\n\n", history.body, history.name);
        let mut changes = Table::new(&["effective", "change", "decision", "seq"]);
        for a in std::iter::once(&history.established).chain(&history.amendments) {
            let mut what = Vec::new();
            if let Some(name) = a.name.as_ref().filter(|_| a.kind != "body_established") {
                what.push(format!("renamed \"{name}\""));
            }
            if let Some(seats) = a.seats {
                what.push(format!("{seats} seat{}", if seats == 1 { "" } else { "s" }));
            }
            if let Some(years) = a.term_years {
                what.push(format!("{years}-year terms"));
            }
            if let Some(n) = a.renew_per_year {
                what.push(format!("{n} renewed a year"));
            }
            let what = match (a.kind == "body_established", what.is_empty()) {
                (true, _) => format!("established: {}", what.join(", ")),
                (false, true) => "mandate amended".to_owned(),
                (false, false) => what.join(", "),
            };
            changes.row(vec![
                a.effective.to_string(),
                what,
                a.decision.meeting.to_string(),
                Proposal::seq_cell(proposal, a.seq),
            ]);
            // One task a row, so a long mandate stays readable in 80 columns.
            for (sign, task) in a
                .add
                .iter()
                .map(|t| ("+", t))
                .chain(a.remove.iter().map(|t| ("-", t)))
            {
                changes.row(vec![String::new(), format!("  {sign} {task}")]);
            }
        }
        for r in &history.mandates_received {
            changes.row(vec![
                r.effective.to_string(),
                format!("received the mandate of {}", r.from),
                String::new(),
                Proposal::seq_cell(proposal, r.seq),
            ]);
        }
        if let Some(d) = &history.discontinued {
            let to = d
                .transfer_to
                .as_ref()
                .map(|t| format!(", mandate to {t}"))
                .unwrap_or_default();
            changes.row(vec![
                d.effective.to_string(),
                format!("discontinued{to}"),
                d.decision.meeting.to_string(),
                Proposal::seq_cell(proposal, d.seq),
            ]);
        }
        text.push_str(&changes.render());
        text.push('\n');
        let mut terms = Table::new(&TERM_COLUMNS);
        term_rows(&mut terms, &history.terms, false, proposal);
        text.push_str(&terms.render());
        if !history.corrected_terms.is_empty() {
            text.push_str("\nelections corrected or retracted:\n");
            let mut corrected = Table::new(&TERM_COLUMNS);
            term_rows(&mut corrected, &history.corrected_terms, false, proposal);
            text.push_str(&corrected.render());
        }
        return crate::cli::pager::Paged::start(ctx.pager)
            .finish_with(&moment::headed(&text, proposal));
    }
    let query = args.state.as_deref().unwrap_or_default();
    let state = projection
        .resolve_state(query)
        .map_err(|e| CliError::input(e.to_string()))?;
    let history = projection
        .state_history(&state)
        .ok_or_else(|| CliError::input(format!("unknown State '{query}'")))?
        .as_on(on);
    let mut history = history;
    correction_reasons(ctx, &mut history.corrected_terms)?;
    if ctx.json {
        return moment::json(&history, proposal);
    }
    let mut text = format!(
        "{} — {}\n",
        history.state,
        history.name.as_deref().unwrap_or("(name not recorded)")
    );
    for m in &history.memberships {
        match m.withdrew {
            Some(w) => text.push_str(&format!("State Party from {} to {w}\n", m.joined)),
            None => text.push_str(&format!("State Party since {}\n", m.joined)),
        }
    }
    text.push('\n');
    let mut terms = Table::new(&[
        "body",
        "seat",
        "state",
        "from",
        "until",
        "how it ended",
        "decision",
        "seq",
    ]);
    term_rows(&mut terms, &history.terms, true, proposal);
    for p in &history.presidencies {
        terms.row(vec![
            p.office.to_owned(),
            "—".into(),
            p.state.to_string(),
            p.start.to_string(),
            p.end.to_string(),
            p.how_ended.to_owned(),
            p.decision.meeting.to_string(),
            Proposal::seq_cell(proposal, p.seq),
        ]);
    }
    text.push_str(&terms.render());
    if !history.corrected_terms.is_empty() {
        text.push_str("\nelections corrected or retracted:\n");
        let mut corrected = Table::new(&[
            "body",
            "seat",
            "state",
            "from",
            "until",
            "how it ended",
            "decision",
            "seq",
        ]);
        term_rows(&mut corrected, &history.corrected_terms, true, proposal);
        text.push_str(&corrected.render());
    }
    crate::cli::pager::Paged::start(ctx.pager).finish_with(&moment::headed(&text, proposal))
}

/// Gives each corrected term the reason its correction gave, read from the correction's
/// entry in the ledger (the projection keeps which entry corrected it, not why). A
/// correction that is only proposed (its seq past the ledger's head) keeps none.
fn correction_reasons(ctx: &Context, terms: &mut [TermView]) -> Result<(), CliError> {
    if terms.is_empty() {
        return Ok(());
    }
    let ledger = ctx.open(Access::Read)?;
    for term in terms {
        let Some(by) = term.ended_by else { continue };
        let stored = ledger
            .entries(by.0, by.0.saturating_add(1))?
            .next()
            .transpose()?;
        if let Some(Event::EntryCorrected(c)) = stored.map(|s| s.entry.event) {
            term.reason = Some(c.reason);
        }
    }
    Ok(())
}
