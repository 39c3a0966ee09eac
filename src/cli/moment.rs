//! The two time axes every query takes: `--on DATE` (valid time) and `--known-at
//! SEQ|before:SEQ|TIME`
//! (record time), turned into domain values in one step; and the what-if a view may take
//! beside them, `--proposed FILE`: the ledger as it would stand after a proposal's events,
//! from the library's draft of them (nothing written).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::append::{Added, DraftLines, Judgement};
use crate::domain::{Date, Seq, Timestamp};
use crate::ledger::Ledger;
use crate::projection::{Fold, Projection, Question, Views, SNAPSHOT_KEY};

use super::{drafted, CliError};

#[derive(Debug, Clone, clap::Args)]
pub struct MomentArgs {
    /// The day asked about (valid time), YYYY-MM-DD [default: today]
    #[arg(long, value_name = "DATE")]
    pub on: Option<Date>,
    /// Answer as the ledger stood after entry SEQ, before it (before:SEQ), or at an RFC 3339
    /// time (record time) [default: the head]
    #[arg(long, value_name = "SEQ|before:SEQ|RFC3339")]
    pub known_at: Option<RecordPoint>,
}

/// A point in record time as `--known-at` gives it, parsed by clap (so a malformed one is a
/// usage error before anything is opened); whether the ledger reaches it is asked later
/// ([`known_at`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPoint {
    /// As typed, for the messages that name it.
    typed: String,
    at: Point,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Point {
    /// `SEQ`: the ledger after that entry.
    After(u64),
    /// `before:SEQ`: the ledger without that entry and what followed.
    Before(u64),
    /// An RFC 3339 time, or a date (its first instant, UTC).
    At(Timestamp),
}

impl RecordPoint {
    /// The ledger after entry `seq`.
    pub fn after(seq: u64) -> RecordPoint {
        RecordPoint {
            typed: seq.to_string(),
            at: Point::After(seq),
        }
    }
}

impl std::str::FromStr for RecordPoint {
    type Err = String;

    fn from_str(text: &str) -> Result<RecordPoint, String> {
        let at = if let Some(seq) = text.strip_prefix("before:") {
            // "As the ledger stood before entry N": what a correction or a late entry
            // changed, asked without working out the seq before it.
            Point::Before(
                seq.parse()
                    .map_err(|_| "expected before:SEQ, e.g. before:72".to_owned())?,
            )
        } else if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            Point::After(text.parse().map_err(|_| format!("{text} is too large"))?)
        } else {
            let at = match Date::parse(text) {
                Ok(date) => Timestamp::parse(&format!("{date}T00:00:00Z")),
                Err(_) => Timestamp::parse(text),
            }
            .map_err(|e| format!("expected a seq, a date or an RFC 3339 time: {e}"))?;
            Point::At(at)
        };
        Ok(RecordPoint {
            typed: text.to_owned(),
            at,
        })
    }
}

/// Up to where the ledger is read: its first `entries` entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownAt {
    pub entries: u64,
}

/// A question on both axes, resolved: the day asked about, and the projection as the ledger
/// stood at the record time asked about (with the proposal's events, when there is one):
/// whole, or the part of it read for the question.
pub struct Asked {
    pub on: Date,
    pub projection: Views,
    pub proposal: Option<Proposal>,
}

/// `--proposed FILE`, for the views that answer "what if": who, history, state, committee,
/// timeline, report.
#[derive(Debug, Clone, clap::Args)]
pub struct ProposedArgs {
    /// Answer as the ledger would stand after the events of FILE (JSON Lines, as `import`
    /// reads; `-` reads standard input). Nothing is written
    #[arg(long, value_name = "FILE")]
    pub proposed: Option<PathBuf>,
}

/// A proposal drafted onto the ledger for a view, once the draft is gone: where it comes
/// from, how many events it holds, the line each of its entries comes from, and the rule
/// findings it adds.
pub struct Proposal {
    pub source: String,
    pub events: usize,
    pub lines: DraftLines,
    pub added: Vec<Added>,
}

impl Proposal {
    /// The view's first line: `as proposed in FILE: 5 events, not recorded`, and, when the
    /// proposal adds rule findings, how many and where to see them.
    pub fn header(&self) -> String {
        let mut text = format!("{}\n", self.headline());
        let errors = self.added.iter().filter(|a| a.finding.is_error()).count();
        if !self.added.is_empty() {
            text.push_str(&format!(
                "(it adds {} continuity finding{}, {errors} of them error{}: ccm-ledger check --proposed {})\n",
                self.added.len(),
                if self.added.len() == 1 { "" } else { "s" },
                if errors == 1 { "" } else { "s" },
                self.source
            ));
        }
        text
    }

    /// `as proposed in FILE: 5 events, not recorded`.
    pub fn headline(&self) -> String {
        format!(
            "as proposed in {}: {} event{}, not recorded",
            self.source,
            self.events,
            if self.events == 1 { "" } else { "s" }
        )
    }

    /// `FILE:LINE` for an entry the proposal brings; `None` for an entry of the ledger.
    pub fn cite(&self, seq: Seq) -> Option<String> {
        self.lines
            .line_of(seq)
            .map(|line| format!("{}:{line}", self.source))
    }

    /// A table's seq cell: the seq of a recorded entry, `FILE:LINE` for a proposed one.
    pub fn seq_cell(proposal: Option<&Proposal>, seq: Seq) -> String {
        proposal
            .and_then(|p| p.cite(seq))
            .unwrap_or_else(|| seq.to_string())
    }

    /// A mark after a proposed item in a table without a seq column: ` [proposed, line N]`
    /// (the header above the table names the file).
    pub fn mark(proposal: Option<&Proposal>, seq: Option<Seq>) -> String {
        proposal
            .zip(seq)
            .and_then(|(p, seq)| p.lines.line_of(seq))
            .map(|line| format!(" [proposed, line {line}]"))
            .unwrap_or_default()
    }

    /// Marks a view's JSON: every object whose `seq` is an entry of the proposal gets
    /// `"proposed_line": N` (its line in FILE), and the top-level object gets `"proposal":
    /// {"file", "events", "recorded": false}`. Objects of recorded entries are unchanged.
    pub fn mark_json(&self, value: &mut Value) {
        self.mark_entries(value);
        if let Value::Object(top) = value {
            top.insert(
                "proposal".into(),
                serde_json::json!({
                    "file": self.source,
                    "events": self.events,
                    "recorded": false,
                }),
            );
        }
    }

    fn mark_entries(&self, value: &mut Value) {
        match value {
            Value::Object(object) => {
                let line = object
                    .get("seq")
                    .and_then(Value::as_u64)
                    .and_then(|seq| self.lines.line_of(Seq(seq)));
                if let Some(line) = line {
                    object.insert("proposed_line".into(), line.into());
                }
                for (_, inner) in object.iter_mut() {
                    self.mark_entries(inner);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.mark_entries(v)),
            _ => {}
        }
    }
}

/// Prints a view's JSON, marked with the proposal if there is one.
pub fn json(value: &impl serde::Serialize, proposal: Option<&Proposal>) -> Result<(), CliError> {
    match proposal {
        None => super::output::json(value),
        Some(p) => {
            let mut value =
                serde_json::to_value(value).map_err(|e| CliError::io("output")(e.into()))?;
            p.mark_json(&mut value);
            super::output::json(&value)
        }
    }
}

/// A view's text, headed by the proposal's lines if there is one.
pub fn headed(text: &str, proposal: Option<&Proposal>) -> String {
    match proposal {
        None => text.to_owned(),
        Some(p) => format!("{}{text}", p.header()),
    }
}

/// Prints a view's text, headed by the proposal's lines if there is one.
pub fn text(text: &str, proposal: Option<&Proposal>) -> Result<(), CliError> {
    super::output::text(&headed(text, proposal))
}

/// [`text`] for a view whose ledger text was escaped piece by piece and which may carry the
/// program's own colour (see [`super::output::text_prepared`]).
pub fn text_prepared(text: &str, proposal: Option<&Proposal>) -> Result<(), CliError> {
    let header = proposal.map(|p| super::output::printable_lines(&p.header()).into_owned());
    super::output::text_prepared(&format!("{}{text}", header.unwrap_or_default()))
}

/// The projection a view answers from: the ledger's first `known.entries` entries, and with
/// `proposed`, the proposal's events drafted onto them (judged over the whole history; a
/// refused line is an error naming `FILE:LINE`, exit 1). Nothing is written either way.
pub fn view(
    ctx: &super::Context,
    ledger: &mut Ledger,
    known: KnownAt,
    proposed: Option<&Path>,
) -> Result<(Projection, Option<Proposal>), CliError> {
    let Some(file) = proposed else {
        return Ok((projection(ledger, known)?, None));
    };
    // The whole projection as it would stand: a view asks it anything.
    let judgement = Judgement {
        whole: true,
        ..Judgement::default()
    };
    let draft = drafted::look_at(ctx, ledger, known.entries, file, &judgement)?;
    let proposal = Proposal {
        source: draft.source().to_owned(),
        events: draft.events(),
        lines: draft.lines().clone(),
        added: draft.added().to_vec(),
    };
    let projection = draft
        .into_projection()
        .expect("a draft judged whole keeps its projection");
    Ok((projection, Some(proposal)))
}

impl MomentArgs {
    /// Turns the flags into the day and a projection that answers `question` (given the day),
    /// reading the ledger of `ctx`. When the snapshot covers exactly the entries asked about,
    /// only what that question needs is read from it (a query then costs little more than
    /// opening the ledger, however large it is); that projection answers the question, and
    /// only it, as the whole one does. Otherwise (`--known-at` before the snapshot, entries
    /// past it), or if a section it needs is damaged, the whole projection is folded.
    ///
    /// With `proposed`, the question is asked of the ledger as it would stand after the
    /// proposal's events (see [`view`]): the whole projection, drafted.
    pub fn ask_about(
        &self,
        ctx: &super::Context,
        proposed: &ProposedArgs,
        question: impl FnOnce(Date) -> Question,
    ) -> Result<Asked, CliError> {
        let on = self.on();
        let mut ledger = ctx.open(crate::ledger::Access::Read)?;
        let known = self.known_at(&ledger)?;
        if proposed.proposed.is_none() {
            if let Some(snapshot) = ledger.snapshot_of(SNAPSHOT_KEY, known.entries) {
                let mut section = |name: &str| snapshot.section(name);
                if let Some(part) = Projection::read_part(&mut section, &question(on)) {
                    return Ok(Asked {
                        on,
                        projection: Views::Part(part),
                        proposal: None,
                    });
                }
            }
        }
        let (projection, proposal) = view(ctx, &mut ledger, known, proposed.proposed.as_deref())?;
        Ok(Asked {
            on,
            projection: Views::Whole(projection),
            proposal,
        })
    }

    /// The day asked about: `--on`, else today.
    pub fn on(&self) -> Date {
        self.on.unwrap_or_else(Date::today)
    }

    pub fn known_at(&self, ledger: &Ledger) -> Result<KnownAt, CliError> {
        known_at(self.known_at.as_ref(), ledger)
    }
}

/// How many entries the ledger had at `point` (the head without one): after entry SEQ,
/// before it, or at a time; a usage error if the ledger does not reach it.
pub fn known_at(point: Option<&RecordPoint>, ledger: &Ledger) -> Result<KnownAt, CliError> {
    let head = ledger.head().entries;
    let Some(RecordPoint { typed: text, at }) = point else {
        return Ok(KnownAt { entries: head });
    };
    let at = match *at {
        Point::Before(seq) => {
            if seq >= head {
                return Err(CliError::Usage(format!(
                    "--known-at {text}: the ledger has no entry {seq} (it holds entries 0 to {})",
                    head.saturating_sub(1)
                )));
            }
            if seq == 0 {
                return Err(CliError::Usage(format!(
                    "--known-at {text}: before entry 0 the ledger held nothing"
                )));
            }
            return Ok(KnownAt { entries: seq });
        }
        Point::After(seq) => {
            if seq >= head {
                return Err(CliError::Usage(format!(
                    "--known-at: the ledger has no entry {seq} (it holds entries 0 to {})",
                    head.saturating_sub(1)
                )));
            }
            return Ok(KnownAt { entries: seq + 1 });
        }
        Point::At(at) => at,
    };
    let entries = ledger.entries_known_at(at)?;
    if entries == 0 && head > 0 {
        // An empty answer would read as "no such body"; the question was asked of a moment
        // before the record began, and that is what the person needs to hear.
        let first = ledger
            .entries(0, 1)?
            .next()
            .transpose()?
            .map(|stored| stored.entry.recorded_at.to_string())
            .unwrap_or_default();
        return Err(CliError::Usage(format!(
            "--known-at {text}: the ledger held no entries then; its first entry was recorded \
             at {first}"
        )));
    }
    Ok(KnownAt { entries })
}

/// The projection of the ledger's first `known.entries` entries, to answer a question: from
/// the stored snapshot (only its views, when nothing follows it) and the entries after it.
pub fn projection(ledger: &mut Ledger, known: KnownAt) -> Result<Projection, CliError> {
    if let Some(snapshot) = ledger.snapshot_of(SNAPSHOT_KEY, known.entries) {
        if let Some(views) = Projection::read_views(&mut |name| snapshot.section(name)) {
            return Ok(views);
        }
    }
    Ok(fold(ledger, known)?.into_projection())
}

/// The projection of the ledger's first `known.entries` entries folded from the journal
/// alone, never from the snapshot: what a publication is made from (`report --html`).
pub fn projection_from_journal(ledger: &Ledger, known: KnownAt) -> Result<Projection, CliError> {
    let apply = |p: &mut Fold, batch: &[crate::ledger::Entry]| p.apply_all(batch);
    Ok(ledger
        .fold_from_journal(known.entries, apply)?
        .into_projection())
}

/// Checks the projection snapshot queries read against a fold of the journal (`verify`),
/// telling `progress` how far it has got.
pub fn check_snapshot(
    ledger: &Ledger,
    progress: impl FnMut(crate::ledger::Checking),
) -> Result<crate::ledger::SnapshotCheck, CliError> {
    let apply = |p: &mut Fold, batch: &[crate::ledger::Entry]| p.apply_all(batch);
    Ok(ledger.check_snapshot::<Fold>(SNAPSHOT_KEY, apply, progress)?)
}

fn fold(ledger: &mut Ledger, known: KnownAt) -> Result<Fold, CliError> {
    let apply = |p: &mut Fold, batch: &[crate::ledger::Entry]| p.apply_all(batch);
    Ok(ledger.fold(SNAPSHOT_KEY, known.entries, apply)?)
}
