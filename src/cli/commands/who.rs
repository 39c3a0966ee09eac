use crate::cli::moment::{self, Asked, MomentArgs, Proposal, ProposedArgs};
use crate::cli::output::Table;
use crate::cli::{CliError, Context};
use crate::projection::Question;

/// Who held a body's seats on a day.
///
/// BODY is an id (wg-universalization) or a name (Working Group on Universalization), in any
/// case. Terms are half-open: on the day a term ends, its successor holds the seat. An empty
/// seat shows as vacant; a term that ends at the close of a meeting not yet recorded shows as
/// "until the close of 11MSP". With --proposed FILE: as the ledger would stand after FILE's
/// events (nothing is written); a proposed term's seq column names its FILE:LINE.
///
/// Examples:
///   ccm-ledger who wg-universalization --on 2013-01-15
///   ccm-ledger who coord-reporting --on 2019-06-01 --known-at 150
///   ccm-ledger who coord-reporting --on 2019-06-01 --known-at before:150
///   ccm-ledger who "working group on victim assistance" --json
///   ccm-ledger who wg-cooperation --proposed fixtures/proposals/elect-cooperation.jsonl
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The body: its id or its name
    body: String,
    #[command(flatten)]
    moment: MomentArgs,
    #[command(flatten)]
    proposed: ProposedArgs,
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let Asked {
        on,
        projection,
        proposal,
    } = args.moment.ask_about(ctx, &args.proposed, |_| {
        Question::Holders(args.body.clone())
    })?;
    let proposal = proposal.as_ref();
    let body = projection
        .resolve_body(&args.body)
        .map_err(|e| CliError::input(e.to_string()))?;
    let holders = projection
        .holders_on(&body, on)
        .ok_or_else(|| CliError::input(format!("unknown body '{}'", args.body)))?;
    if ctx.json {
        return moment::json(&holders, proposal);
    }
    // The heading's names escaped here, the table's cells by the table: the colour stays.
    let mut text =
        crate::cli::output::printable(&format!("{} — {}, on {on}", holders.body, holders.name))
            .into_owned();
    if !holders.in_force {
        text.push_str(": not in force on that day\n");
        return moment::text(&text, proposal);
    }
    text.push_str(&format!(
        " ({})\n",
        crate::cli::output::count(holders.seats.into(), "seat", "seats")
    ));
    let mut table = Table::new(&["seat", "state", "name", "from", "until", "decision", "seq"]);
    let row = |seat: String, h: &crate::projection::Holder| {
        vec![
            seat,
            h.state.to_string(),
            crate::cli::holder::with_person(
                h.name.clone().unwrap_or_default(),
                h.person.as_deref(),
            ),
            h.start.to_string(),
            h.end.to_string(),
            h.decision.meeting.to_string(),
            Proposal::seq_cell(proposal, h.seq),
        ]
    };
    for seat in 1..=holders.seats {
        let held: Vec<_> = holders.holders.iter().filter(|h| h.seat == seat).collect();
        if held.is_empty() {
            table.row_styled(
                vec![seat.to_string(), "—".into(), "vacant".into()],
                crate::cli::style::VACANT,
            );
        }
        for h in held {
            table.row(row(seat.to_string(), h));
        }
    }
    // Holders beyond the seats (a broken R1) are shown too: the ledger records what was decided.
    for h in holders.holders.iter().filter(|h| h.seat > holders.seats) {
        table.row(row(format!("{} (over)", h.seat), h));
    }
    text.push_str(&table.render());
    moment::text_prepared(&text, proposal)
}
