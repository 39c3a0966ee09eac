//! What the writing commands (`import`, `record`, `demo`) and `check --proposed` share around
//! the library's write path ([`crate::append`]): opening the input and the ledger, and
//! turning a draft's refusals into the messages and exit codes of the CLI. The decision
//! itself (validation, claims, rules, the append) is the library's.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use crate::append::{self, Added, Committed, Draft, Judgement, Onto};
use crate::cli::{CliError, Context};
use crate::domain::jsonl::Line;
use crate::ledger::{Access, Ledger, LedgerError};

/// FILE, or standard input for `-`, buffered for a draft to stream.
pub fn open_input(file: &Path) -> Result<Box<dyn BufRead + Send>, CliError> {
    let name = file.display().to_string();
    if name == "-" {
        return Ok(Box::new(BufReader::new(io::stdin())));
    }
    let handle =
        File::open(file).map_err(|e| CliError::input(format!("{name}: cannot read: {e}")))?;
    Ok(Box::new(BufReader::with_capacity(1 << 20, handle)))
}

/// The ledger of `ctx` opened for writing, or `None` when there is none yet (an append then
/// creates it, once everything has passed).
pub fn open_for_append(ctx: &Context) -> Result<Option<Ledger>, CliError> {
    match Ledger::open_with(&ctx.ledger_dir, Access::Write, ctx.options()) {
        Ok(ledger) => {
            ctx.tell(&ledger);
            Ok(Some(ledger))
        }
        Err(LedgerError::NotALedger(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Where a writer's draft goes: the ledger held open, or a new one in `ctx`'s directory.
pub fn onto<'l>(ctx: &'l Context, ledger: Option<&'l mut Ledger>) -> Onto<'l> {
    match ledger {
        Some(ledger) => Onto::head_of(ledger),
        None => Onto::New(&ctx.ledger_dir),
    }
}

/// The events of `file` (`-`: standard input) drafted onto the ledger as it stood after its
/// first `entries` entries (a `KnownAt`'s), to look at: what `check --proposed` and the what-if views
/// (`--proposed`) ask. Nothing is written. A refused line is an error naming `FILE:LINE`
/// (exit 1), as `import` would give it; the rule findings it adds are the caller's to show.
pub fn look_at<'l>(
    ctx: &Context,
    ledger: &'l mut Ledger,
    entries: u64,
    file: &Path,
    judgement: &Judgement,
) -> Result<Draft<'l>, CliError> {
    let onto = Onto::Ledger {
        ledger,
        entries: Some(entries),
    };
    let name = file.display().to_string();
    let input = open_input(file)?;
    let draft = append::draft_reader(onto, &name, input, &ctx.recorder, judgement)?;
    if !draft.refusals().is_empty() {
        return Err(CliError::Input(
            draft.refusals().iter().map(|r| r.to_string()).collect(),
        ));
    }
    Ok(draft)
}

/// Where a finding a draft adds comes from, as its holder knows it: `FILE:LINE` for each of
/// the draft's events it involves (`FILE:1, FILE:2`), or just `FILE` when it involves none.
pub fn cite(source: &str, added: &Added) -> String {
    if added.lines.is_empty() {
        return source.to_owned();
    }
    let lines: Vec<String> = added
        .lines
        .iter()
        .map(|line| format!("{source}:{line}"))
        .collect();
    lines.join(", ")
}

/// Drafts `lines` (from `name`) onto `ledger` (or a new ledger) and commits them, all or
/// nothing: what `record` does with its one line and `demo` with the fixture.
pub fn append_lines(
    ctx: &Context,
    ledger: Option<&mut Ledger>,
    name: &str,
    lines: Vec<(usize, Line)>,
) -> Result<Committed, CliError> {
    let draft = append::draft(
        onto(ctx, ledger),
        name,
        lines,
        &ctx.recorder,
        &Judgement::default(),
    )?;
    commit(draft)
}

/// Commits `draft`, or says why it is refused: bad or refused lines (exit 1), or the error
/// findings it would add, printed as `check` prints them (exit 4). Notices of derived data
/// that could not be updated after a durable append are warnings: the append stands.
pub fn commit(draft: Draft<'_>) -> Result<Committed, CliError> {
    if let Some(refused) = refusal(&draft) {
        return Err(refused);
    }
    let committed = draft.commit().map_err(|e| match e {
        append::CommitError::Ledger(e) => CliError::Ledger(e),
        other => CliError::input(other.to_string()),
    })?;
    for notice in &committed.notices {
        eprintln!("warning: {notice}");
    }
    Ok(committed)
}

/// Why `draft` may not be appended, as the CLI says it; `None`: it may.
pub fn refusal(draft: &Draft<'_>) -> Option<CliError> {
    for notice in draft.notices() {
        eprintln!("warning: {notice}");
    }
    if !draft.refusals().is_empty() {
        return Some(CliError::Input(
            draft.refusals().iter().map(|r| r.to_string()).collect(),
        ));
    }
    let errors: Vec<_> = draft.errors().collect();
    if errors.is_empty() {
        return None;
    }
    let source = draft.source();
    let message: Vec<String> = errors
        .iter()
        .map(|added| format!("{}: {}", cite(source, added), added.finding))
        .collect();
    let findings: Vec<_> = errors.iter().map(|a| a.finding.clone()).collect();
    let cited = super::findings::Cited::Proposal {
        source,
        lines: draft.lines(),
    };
    eprint!(
        "{}",
        super::findings::render_to(&findings, &cited, false, super::style::Stream::Stderr)
    );
    Some(CliError::Findings(format!(
        "refused: the events would break a continuity rule; nothing was recorded\n{}\nhint: if the decision was taken knowingly, record it with \"override\": \"reason\" on the line (or `record --override REASON`)",
        message.join("\n")
    )))
}

/// Entry `target`'s event as it stood before entry `before`: as recorded, or as the last
/// correction of it before then left it (`None`: retracted). The entries between are read in
/// order, streamed. What a correction by field starts from and what `log --seq` compares with.
pub fn as_it_stood(
    ledger: &Ledger,
    target: u64,
    before: u64,
) -> Result<Option<serde_json::Value>, CliError> {
    use crate::domain::{jsonl::event_to_value, Event};
    let mut standing = None;
    for stored in ledger.entries(target, before)? {
        let stored = stored?;
        match &stored.entry.event {
            Event::EntryCorrected(c) if c.target.0 == target => {
                standing = c.replacement.as_deref().map(event_to_value);
            }
            event if stored.entry.seq.0 == target => standing = Some(event_to_value(event)),
            _ => {}
        }
    }
    Ok(standing)
}
