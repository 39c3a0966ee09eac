//! Findings as people read them: the table and summary `check` prints (and a refused append
//! prints on stderr), and how a finding names the entries it involves, by seq or by the
//! proposal's `FILE:LINE` (`check`, `report`, the writing commands' refusals).

use serde_json::Value;

use crate::append::DraftLines;
use crate::cli::output::{self, Table};
use crate::cli::style::{self, Stream};
use crate::rules::{Finding, Severity};

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
