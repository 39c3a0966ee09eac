//! The two time axes every query takes: `--on DATE` (valid time) and `--known-at SEQ|TIME`
//! (record time), turned into domain values in one step.

use crate::domain::{Date, Timestamp};
use crate::ledger::{FoldFor, Ledger};
use crate::projection::{Projection, Question, SNAPSHOT_KEY};

use super::CliError;

#[derive(Debug, Clone, clap::Args)]
pub struct MomentArgs {
    /// The day asked about (valid time), YYYY-MM-DD [default: today]
    #[arg(long, value_name = "DATE")]
    pub on: Option<String>,
    /// Answer as the ledger stood after entry SEQ, or at an RFC 3339 time (record time)
    /// [default: the head]
    #[arg(long, value_name = "SEQ|RFC3339")]
    pub known_at: Option<String>,
}

/// Up to where the ledger is read: its first `entries` entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownAt {
    pub entries: u64,
}

/// A question on both axes, resolved: the day asked about, and the projection as the ledger
/// stood at the record time asked about.
pub struct Asked {
    pub on: Date,
    pub projection: Projection,
}

impl MomentArgs {
    /// Turns the flags into the day and a projection that answers `question` (given the day),
    /// reading the ledger of `ctx`. When the snapshot covers exactly the entries asked about,
    /// only what that question needs is read from it (a query then costs little more than
    /// opening the ledger, however large it is); that projection answers the question, and
    /// only it, as the whole one does. Otherwise (`--known-at` before the snapshot, entries
    /// past it), or if a section it needs is damaged, the whole projection is folded.
    pub fn ask_about(
        &self,
        ctx: &super::Context,
        question: impl FnOnce(Date) -> Question,
    ) -> Result<Asked, CliError> {
        let on = self.on()?;
        let mut ledger = ctx.open(crate::ledger::Access::Read)?;
        let known = self.known_at(&ledger)?;
        if let Some(snapshot) = ledger.snapshot_of(SNAPSHOT_KEY, known.entries) {
            let mut section = |name: &str| snapshot.section(name);
            if let Some(projection) = Projection::read_part(&mut section, &question(on)) {
                return Ok(Asked { on, projection });
            }
        }
        Ok(Asked {
            on,
            projection: projection(&mut ledger, known)?,
        })
    }

    pub fn on(&self) -> Result<Date, CliError> {
        match &self.on {
            None => Ok(Date::today()),
            Some(s) => Date::parse(s).map_err(|e| CliError::Usage(format!("--on: {e}"))),
        }
    }

    pub fn known_at(&self, ledger: &Ledger) -> Result<KnownAt, CliError> {
        known_at(self.known_at.as_deref(), ledger)
    }
}

/// `SEQ` (the ledger after that entry), an RFC 3339 time, or a date (its first instant, UTC).
pub fn known_at(text: Option<&str>, ledger: &Ledger) -> Result<KnownAt, CliError> {
    let head = ledger.head().entries;
    let Some(text) = text else {
        return Ok(KnownAt { entries: head });
    };
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let seq: u64 = text
            .parse()
            .map_err(|_| CliError::Usage(format!("--known-at: {text} is too large")))?;
        if seq >= head {
            return Err(CliError::Usage(format!(
                "--known-at: the ledger has no entry {seq} (it holds entries 0 to {})",
                head.saturating_sub(1)
            )));
        }
        return Ok(KnownAt { entries: seq + 1 });
    }
    let at = match Date::parse(text) {
        Ok(date) => Timestamp::parse(&format!("{date}T00:00:00Z")),
        Err(_) => Timestamp::parse(text),
    }
    .map_err(|e| {
        CliError::Usage(format!(
            "--known-at: expected a seq, a date or an RFC 3339 time: {e}"
        ))
    })?;
    Ok(KnownAt {
        entries: ledger.entries_known_at(at)?,
    })
}

/// The projection of the ledger's first `known.entries` entries, to answer a question: from
/// the stored snapshot (only its views, when nothing follows it) and the entries after it.
pub fn projection(ledger: &mut Ledger, known: KnownAt) -> Result<Projection, CliError> {
    fold(ledger, known, FoldFor::Reading)
}

/// The projection of the ledger's first `known.entries` entries folded from the journal
/// alone, never from the snapshot: what a publication is made from (`report --html`).
pub fn projection_from_journal(ledger: &Ledger, known: KnownAt) -> Result<Projection, CliError> {
    let apply = |p: &mut Projection, batch: &[crate::ledger::Entry]| p.apply_all(batch);
    Ok(ledger.fold_from_journal(known.entries, apply)?)
}

/// Checks the projection snapshot queries read against a fold of the journal (`verify`).
pub fn check_snapshot(ledger: &Ledger) -> Result<crate::ledger::SnapshotCheck, CliError> {
    let apply = |p: &mut Projection, batch: &[crate::ledger::Entry]| p.apply_all(batch);
    Ok(ledger.check_snapshot::<Projection>(SNAPSHOT_KEY, apply)?)
}

fn fold(ledger: &mut Ledger, known: KnownAt, purpose: FoldFor) -> Result<Projection, CliError> {
    let apply = |p: &mut Projection, batch: &[crate::ledger::Entry]| p.apply_all(batch);
    Ok(ledger.fold(SNAPSHOT_KEY, known.entries, purpose, apply)?)
}
