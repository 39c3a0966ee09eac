use crate::cli::moment::{Asked, MomentArgs};
use crate::cli::output::{self, Table};
use crate::cli::{CliError, Context};
use crate::projection::Question;

/// The Coordination Committee on a day, each member with the reason it sits.
///
/// Derived, never typed in (§19, §21): the President, the President-designate, the outgoing
/// President, every coordinator in office, the ISU, UN, ICRC and CMC by right, and the
/// institutions holding a standing invitation on that day.
///
/// Examples:
///   ccm-ledger committee --on 2012-12-01
///   ccm-ledger committee --on 2023-09-01 --json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    moment: MomentArgs,
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let Asked { on, projection } = args.moment.ask_about(ctx, Question::InForceOn)?;
    let members = projection.committee_on(on);
    if ctx.json {
        return output::json(&serde_json::json!({ "on": on, "members": members }));
    }
    output::text(&render(on, &members))
}

/// "Norway (Steffen Kongstad)" where the election names who sits for the State.
pub fn with_person(name: String, person: Option<&str>) -> String {
    match person {
        Some(person) => format!("{name} ({person})"),
        None => name,
    }
}

pub fn render(on: crate::domain::Date, members: &[crate::projection::CommitteeMember]) -> String {
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
            m.reason.clone(),
        ]);
    }
    text.push_str(&table.render());
    text
}
