use crate::cli::moment::{self, Asked, MomentArgs, Proposal, ProposedArgs};
use crate::cli::output::Table;
use crate::cli::{CliError, Context};
use crate::projection::Question;

/// The whole machinery on a day: bodies, holders, the Presidency.
///
/// Every body in force and its holders (vacant seats shown), the President, the
/// President-designate and the outgoing President, and the size of the Coordination Committee.
/// With --proposed FILE: as the ledger would stand after FILE's events (nothing is written),
/// each proposed term marked with its FILE:LINE.
///
/// Examples:
///   ccm-ledger state
///   ccm-ledger state --on 2019-06-01
///   ccm-ledger state --on 2016-01-01 --known-at 100 --json
///   ccm-ledger state --on 2026-10-01 --proposed fixtures/proposals/elect-cooperation.jsonl
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
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
    } = args
        .moment
        .ask_about(ctx, &args.proposed, Question::InForceOn)?;
    let proposal = proposal.as_ref();
    let state = projection.state_on(on);
    if ctx.json {
        return moment::json(&state, proposal);
    }
    let mut text = format!("The machinery on {on}\n\n");
    let p = &state.presidency;
    let mut presidency = Table::new(&["office", "state", "person", "from", "until"]);
    for (office, view) in [
        ("President", &p.president),
        ("President-designate", &p.president_designate),
        ("outgoing President", &p.outgoing_president),
    ] {
        match view {
            Some(v) => presidency.row(vec![
                office.into(),
                format!(
                    "{} {}{}",
                    v.state,
                    v.name.clone().unwrap_or_default(),
                    Proposal::mark(proposal, Some(v.seq))
                ),
                v.person.clone().unwrap_or_default(),
                v.start.to_string(),
                v.end.to_string(),
            ]),
            None => presidency.row(vec![office.into(), "— none recorded".into()]),
        }
    }
    text.push_str(&presidency.render());
    text.push('\n');
    let mut bodies = Table::new(&["body", "seat", "holder", "from", "until"]);
    for b in &state.bodies {
        let mut first = true;
        let mut label = || {
            let l = if first {
                b.body.to_string()
            } else {
                String::new()
            };
            first = false;
            l
        };
        for seat in 1..=b
            .seats
            .max(b.holders.iter().map(|h| h.seat).max().unwrap_or(0))
        {
            let held: Vec<_> = b.holders.iter().filter(|h| h.seat == seat).collect();
            if held.is_empty() {
                bodies.row_styled(
                    vec![label(), seat.to_string(), "vacant".into()],
                    crate::cli::style::VACANT,
                );
            }
            for h in held {
                bodies.row(vec![
                    label(),
                    seat.to_string(),
                    crate::cli::holder::with_person(
                        format!(
                            "{} {}{}",
                            h.state,
                            h.name.clone().unwrap_or_default(),
                            Proposal::mark(proposal, Some(h.seq))
                        ),
                        h.person.as_deref(),
                    ),
                    h.start.to_string(),
                    h.end.to_string(),
                ]);
            }
        }
    }
    text.push_str(&bodies.render());
    let vacant: usize = state.bodies.iter().map(|b| b.vacant_seats.len()).sum();
    text.push_str(&format!(
        "\n{} bodies in force, {vacant} vacant seats; the Coordination Committee has {} members\n(ccm-ledger committee --on {on})\n",
        state.bodies.len(),
        state.committee_size
    ));
    // Every ledger text in it is a table cell, escaped by the table: the colour stays.
    moment::text_prepared(&text, proposal)
}
