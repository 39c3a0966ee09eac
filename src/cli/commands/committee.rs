use crate::cli::holder::with_person;
use crate::cli::moment::{self, Asked, MomentArgs, Proposal, ProposedArgs};
use crate::cli::output::Table;
use crate::cli::{CliError, Context};
use crate::projection::Question;

/// The Coordination Committee on a day, each member with the reason it sits.
///
/// Derived, never typed in (§19, §21): the President, the President-designate, the outgoing
/// President, every coordinator in office, the ISU, UN, ICRC and CMC by right, and the
/// institutions holding a standing invitation on that day. With --proposed FILE: as the
/// ledger would stand after FILE's events (nothing is written), each proposed member marked.
///
/// Examples:
///   ccm-ledger committee --on 2012-12-01
///   ccm-ledger committee --on 2023-09-01 --json
///   ccm-ledger committee --on 2026-10-01 --proposed fixtures/proposals/elect-cooperation.jsonl
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
    let members = projection.committee_on(on);
    if ctx.json {
        let answer = serde_json::json!({ "on": on, "members": members });
        return moment::json(&answer, proposal.as_ref());
    }
    moment::text(&render(on, &members, proposal.as_ref()), proposal.as_ref())
}

pub fn render(
    on: crate::domain::Date,
    members: &[crate::projection::CommitteeMember],
    proposal: Option<&Proposal>,
) -> String {
    let distinct: std::collections::BTreeSet<_> = members.iter().map(|m| &m.member).collect();
    let mut text = format!(
        "The Coordination Committee on {on}: {} members\n",
        distinct.len()
    );
    let mut table = Table::new(&["member", "name", "sits as"]);
    for m in members {
        table.row(vec![
            m.member.clone(),
            with_person(m.name.clone().unwrap_or_default(), m.person.as_deref()),
            format!("{}{}", m.reason, Proposal::mark(proposal, m.seq)),
        ]);
    }
    text.push_str(&table.render());
    text
}
