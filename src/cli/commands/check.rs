use std::path::PathBuf;

use serde_json::Value;

use crate::append::Judgement;
use crate::cli::findings::{render, Cited};
use crate::cli::moment::{self, MomentArgs};
use crate::cli::output::{self};
use crate::cli::{drafted, CliError, Context};
use crate::ledger::Access;
use crate::rules::{self, Finding, Tolerances, TERM_TOLERANCE_DAYS, VACANCY_TOLERANCE_DAYS};

/// Check the continuity rules (R1–R9), over the whole history, on a day, or for a proposal.
///
/// R1 seats (§14) · R2 term length (§15) · R3 stagger (§15) · R4 State Party (§15) ·
/// R5 nominated by an MSP or Review Conference (§15) · R6 discontinued bodies (§18, §22) ·
/// R7 vacancies (§15, §16) · R8 one President, one President-designate (§19) ·
/// R9 a formal meeting every year (§4, §5).
///
/// Without --on: every finding over the whole history. With --on: the findings in force on
/// that day. With --proposed FILE: the findings the events in FILE would add if appended
/// (nothing is appended), each naming FILE:LINE for every event of FILE it involves; FILE
/// goes through exactly the checks of `import`, so a line that `import` would refuse is
/// refused here too, with the same message (exit 1). A finding recorded with an override is
/// listed as overridden, not as an error. Exit 4 when any finding is an error.
///
/// Examples:
///   ccm-ledger check
///   ccm-ledger check --on 2019-06-01
///   ccm-ledger check --proposed fixtures/proposals/break-stagger.jsonl   exits 4: it breaks R3
///   ccm-ledger check --vacancy-tolerance 180 --json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    moment: MomentArgs,
    /// Events to evaluate as if appended (JSON Lines, as `import` reads; `-` reads standard
    /// input)
    #[arg(long, value_name = "FILE")]
    proposed: Option<PathBuf>,
    /// How many days a term may differ from the body's term length (R2, R3), 0 to 36500
    #[arg(long, value_name = "DAYS", default_value_t = TERM_TOLERANCE_DAYS,
          value_parser = clap::value_parser!(i64).range(0..=MAX_TOLERANCE_DAYS))]
    term_tolerance: i64,
    /// How many days a seat or the Presidency may stay empty before it is reported (R7, R8),
    /// 0 to 36500
    #[arg(long, value_name = "DAYS", default_value_t = VACANCY_TOLERANCE_DAYS,
          value_parser = clap::value_parser!(i64).range(0..=MAX_TOLERANCE_DAYS))]
    vacancy_tolerance: i64,
    /// The table and the counts only, without each finding's message
    #[arg(long)]
    brief: bool,
}

/// A century: longer than any term or vacancy the rules measure, and small enough that every
/// day the rules add it to stays a day (a huge one overflowed the calendar).
const MAX_TOLERANCE_DAYS: i64 = 36_500;

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let tolerances = Tolerances {
        term_days: args.term_tolerance,
        vacancy_days: args.vacancy_tolerance,
    };
    let on = args.moment.on;
    let mut ledger = ctx.open(Access::Read)?;
    let known = args.moment.known_at(&ledger)?;
    match &args.proposed {
        None => {
            let base = moment::projection(&mut ledger, known)?;
            let findings = match on {
                Some(on) => rules::check_on(&base, &tolerances, on),
                None => rules::check(&base, &tolerances),
            };
            report(ctx, &findings, &Cited::Ledger, args.brief)
        }
        // "Would this be accepted?": the draft an import of FILE would make, looked at.
        Some(file) => {
            let judgement = Judgement {
                tolerances,
                on,
                whole: false,
            };
            let draft = drafted::look_at(ctx, &mut ledger, known.entries, file, &judgement)?;
            let findings: Vec<Finding> = draft.added().iter().map(|a| a.finding.clone()).collect();
            let cited = Cited::Proposal {
                source: draft.source(),
                lines: draft.lines(),
            };
            report(ctx, &findings, &cited, args.brief)
        }
    }
}

fn report(
    ctx: &Context,
    findings: &[Finding],
    cited: &Cited<'_>,
    brief: bool,
) -> Result<(), CliError> {
    let errors = findings.iter().filter(|f| f.is_error()).count();
    let proposed = matches!(cited, Cited::Proposal { .. });
    if ctx.json {
        // DESIGN.md's contract: the findings, as an array (an override shows in `overridden`).
        let values: Vec<Value> = findings.iter().map(|f| cited.json(f)).collect();
        output::json(&values)?;
    } else if proposed && findings.is_empty() {
        output::text("no new findings: the proposal keeps every continuity rule")?;
    } else {
        // Laid out with its ledger text escaped and then coloured: printed as it is.
        output::text_prepared(&render(findings, cited, brief))?;
    }
    if errors > 0 {
        Err(CliError::Findings(format!(
            "{errors} continuity-rule error{}",
            if errors == 1 { "" } else { "s" }
        )))
    } else {
        Ok(())
    }
}
