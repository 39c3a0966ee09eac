use std::path::PathBuf;

use serde_json::Value;

use crate::append::{DraftLines, Judgement};
use crate::cli::moment::{self, MomentArgs};
use crate::cli::output::{self, Table};
use crate::cli::style::{self, Stream};
use crate::cli::{drafted, CliError, Context};
use crate::ledger::Access;
use crate::rules::{
    self, Finding, Severity, Tolerances, TERM_TOLERANCE_DAYS, VACANCY_TOLERANCE_DAYS,
};

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
    /// How many days a term may differ from the body's term length (R2, R3)
    #[arg(long, value_name = "DAYS", default_value_t = TERM_TOLERANCE_DAYS)]
    term_tolerance: i64,
    /// How many days a seat or the Presidency may stay empty before it is reported (R7, R8)
    #[arg(long, value_name = "DAYS", default_value_t = VACANCY_TOLERANCE_DAYS)]
    vacancy_tolerance: i64,
    /// The table and the counts only, without each finding's message
    #[arg(long)]
    brief: bool,
}

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
            let judgement = Judgement { tolerances, on };
            let draft = drafted::look_at(ctx, &mut ledger, known, file, &judgement)?;
            let findings: Vec<Finding> = draft.added().iter().map(|a| a.finding.clone()).collect();
            let cited = Cited::Proposal {
                source: draft.source(),
                lines: draft.lines(),
            };
            report(ctx, &findings, &cited, args.brief)
        }
    }
}

/// What a finding's entries are named by: seqs of the ledger, or, for the events of a
/// proposal (`check --proposed`, a refused `import`), the proposal's `FILE:LINE`: the
/// person holding the file knows its lines, not the seqs they would get.
pub enum Cited<'a> {
    Ledger,
    Proposal {
        source: &'a str,
        lines: &'a DraftLines,
    },
}

impl Cited<'_> {
    /// The finding's entries, as the table's column shows them: `12, P:2`.
    fn entries(&self, finding: &Finding) -> String {
        let named: Vec<String> = finding
            .seqs
            .iter()
            .map(|&seq| match self {
                Cited::Proposal { source, lines } => match lines.line_of(seq) {
                    Some(line) => format!("{source}:{line}"),
                    None => seq.to_string(),
                },
                Cited::Ledger => seq.to_string(),
            })
            .collect();
        match self {
            Cited::Ledger => named.join(","),
            Cited::Proposal { .. } => named.join(", "),
        }
    }

    /// The finding as `check --json` gives it; for a proposal, with `proposed_lines`: the
    /// line of each of the proposal's events it involves, in the order of `seqs`.
    pub fn json(&self, finding: &Finding) -> Value {
        let mut value = serde_json::to_value(finding).expect("a finding serializes to JSON");
        if let (Cited::Proposal { lines, .. }, Value::Object(object)) = (self, &mut value) {
            let proposed: Vec<usize> = finding
                .seqs
                .iter()
                .filter_map(|&s| lines.line_of(s))
                .collect();
            object.insert("proposed_lines".into(), proposed.into());
        }
        value
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

/// Findings as a table and a summary, as `check` prints them.
pub fn render(findings: &[Finding], cited: &Cited<'_>, brief: bool) -> String {
    render_to(findings, cited, brief, Stream::Stdout)
}

/// Findings as a table and a summary, coloured as `stream` allows (a refused append prints
/// them on stderr).
pub fn render_to(findings: &[Finding], cited: &Cited<'_>, brief: bool, stream: Stream) -> String {
    if findings.is_empty() {
        return "no findings: every continuity rule holds\n".into();
    }
    let entries = match cited {
        Cited::Ledger => "entries",
        Cited::Proposal { .. } => "entries / lines",
    };
    let mut table = Table::new(&["date", "rule", "severity", "where", "state", entries]);
    let mut text = String::new();
    for f in findings {
        let severity = match (&f.overridden, f.severity) {
            (Some(_), s) => format!("{s} (overridden)"),
            (None, s) => s.to_string(),
        };
        let place = f
            .body
            .as_ref()
            .map(|b| b.to_string())
            .or(f.office.map(|o| o.title().to_owned()))
            .unwrap_or_default();
        let colour = match (&f.overridden, f.severity) {
            (Some(_), _) => style::OVERRIDDEN,
            (None, Severity::Error) => style::ERROR,
            (None, Severity::Warning) => style::WARNING,
        };
        table.row_styled(
            vec![
                f.date.to_string(),
                f.rule.to_string(),
                severity,
                place,
                f.state.as_ref().map(|s| s.to_string()).unwrap_or_default(),
                cited.entries(f),
            ],
            colour,
        );
    }
    text.push_str(&table.render_to(stream));
    if !brief {
        text.push('\n');
    }
    for f in findings.iter().filter(|_| !brief) {
        let width = output::fit_width();
        let line = format!(
            "{} {} {}: {} ({} {}, {})",
            f.date,
            f.rule,
            f.state.as_ref().map(|s| s.as_str()).unwrap_or(""),
            f.message,
            crate::rules::SEED,
            f.paragraph,
            f.rule.title()
        );
        text.push_str(&output::printable_lines(&output::wrap(&line, width, 4)));
        text.push('\n');
        if let Some(reason) = &f.overridden {
            let line = format!("    overridden: {reason}");
            text.push_str(&output::printable_lines(&output::wrap(&line, width, 8)));
            text.push('\n');
        }
    }
    let errors = findings.iter().filter(|f| f.is_error()).count();
    let overridden = findings.iter().filter(|f| f.overridden.is_some()).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    text.push_str(&format!(
        "\n{}: {}, {overridden} overridden, {}\n",
        plural(findings.len(), "finding"),
        plural(errors, "error"),
        plural(findings.len() - errors - overridden, "warning"),
    ));
    text
}
