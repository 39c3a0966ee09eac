//! The write side, as one computation: a decision (lines of JSON) applied to a view of the
//! ledger — [`draft`] — and the same draft appended, durable and acknowledged —
//! [`Draft::commit`]. `import`, `record`, `demo` and `check --proposed` are its callers:
//! "would this be accepted?" is a draft looked at, "accept it" is a draft committed.
//!
//! A draft validates every line onto the projection at the head (structure, references,
//! duplicates), checks the claims of exported lines (seq and hash), then judges the
//! continuity rules on the projection validation built ("after") against the findings before
//! the first line. What it refuses and the findings it adds name the line they come from.
//!
//! A draft made for writing (on a ledger held with [`Access::Write`], or one that does not
//! exist yet) streams: each piece of lines is validated, prepared and its frames written past
//! the acknowledged head ([`Appending`]), then dropped, so memory does not grow with the
//! input. Those frames are invisible to readers and `verify` until [`Draft::commit`]
//! acknowledges them; a refused draft cuts them back off before it is returned, and a draft
//! dropped without a commit does too (the ledger is byte for byte what it was). A draft made
//! on a ledger opened for reading (or at an earlier entry) writes nothing and cannot be
//! committed.

use std::io::BufRead;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::domain::jsonl::{self, Line};
use crate::domain::{Date, Seq, Timestamp};
use crate::ledger::snapshot::Snapshot;
use crate::ledger::snapshot::Tie;
use crate::ledger::{
    event_fingerprint, prepare_owned, Appending, Head, Ledger, LedgerError, Prepared, Recorder,
    StoredEntry,
};
use crate::projection::{Changes, Fold, Kept, Keys, Projection, Slice, SNAPSHOT_KEY};
use crate::rules::{self, Finding, Tolerances};
use crate::validate::Batch;

mod lines;
pub use lines::LineNumbers;

#[cfg(test)]
mod tests;

/// How many lines a draft reads, validates and writes at a time. Big enough that the
/// per-piece costs (a channel message, a write call) vanish, small enough that the lines,
/// entries and frames in flight are a few megabytes whatever the size of the input.
const PIECE_LINES: usize = 4096;

/// The first piece of an import into a new ledger: what the validating thread waits for
/// before it starts (~2 ms of parsing, not the ~20 ms of a whole piece).
const FIRST_PIECE_LINES: usize = 256;

/// Parsed pieces waiting for the validating thread: the parser runs at most this far ahead.
const PIECES_AHEAD: usize = 2;

/// What a draft is applied to.
pub enum Onto<'l> {
    /// An open ledger: at its head, or (for a what-if at an earlier record time) after its
    /// first `entries` entries. Written to only when held for writing and at the head.
    Ledger {
        ledger: &'l mut Ledger,
        entries: Option<u64>,
    },
    /// A directory that holds no ledger yet: committing the draft creates it.
    New(&'l Path),
}

impl<'l> Onto<'l> {
    /// The head of `ledger`.
    pub fn head_of(ledger: &'l mut Ledger) -> Onto<'l> {
        Onto::Ledger {
            ledger,
            entries: None,
        }
    }
}

/// How the continuity rules judge a draft: with which tolerances, and over the whole history
/// or on one day (`check --proposed --on DAY`). An append is always judged with the defaults
/// over the whole history.
#[derive(Debug, Clone, Default)]
pub struct Judgement {
    pub tolerances: Tolerances,
    pub on: Option<Date>,
    /// The draft is wanted with the whole projection as it would stand (a what-if view), not
    /// only its verdict: it is never drafted onto a slice of the projection.
    pub whole: bool,
}

impl Judgement {
    /// The findings on `projection`; on a slice, measured to the ledger's present `horizon`
    /// (a slice is never used with `on`).
    fn findings(&self, projection: &Projection, horizon: Option<Date>) -> Vec<Finding> {
        match (self.on, horizon) {
            (Some(on), _) => rules::check_on(projection, &self.tolerances, on),
            (None, Some(horizon)) => rules::check_until(projection, &self.tolerances, horizon),
            (None, None) => rules::check(projection, &self.tolerances),
        }
    }
}

/// Why a line (or the input as a whole) is refused, and where: `source:line: field `f`:
/// reason`, the message a user acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub source: String,
    /// `None`: the input as a whole (it holds no events).
    pub line: Option<usize>,
    pub field: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        write!(f, "{}", self.reason)
    }
}

/// A continuity-rule finding the draft adds, with the lines of the input that bring the
/// entries it involves: the person holding the file knows its lines, not the seqs they would
/// get.
#[derive(Debug, Clone, PartialEq)]
pub struct Added {
    /// The line of the newest entry of the draft it involves (`None`: it involves none of
    /// the draft's entries, e.g. a seat left empty by the lines' absence of an election).
    pub line: Option<usize>,
    /// The line of every entry of the draft it involves, in the order of the finding's seqs
    /// (its entries already in the ledger are not here: they keep their seq).
    pub lines: Vec<usize>,
    pub finding: Finding,
}

/// A decision applied to a view of the ledger: what it refuses, the findings it adds, and the
/// projection as it would stand. See the module's documentation.
pub struct Draft<'l> {
    source: String,
    refusals: Vec<Refusal>,
    added: Vec<Added>,
    after: Fold,
    events: usize,
    /// The line each entry comes from.
    lines: DraftLines,
    /// How many of the ledger's notices were there before the draft (told on opening).
    told: usize,
    notices: Vec<String>,
    /// The frames written past the head, for a draft made for writing and not refused.
    appending: Option<Box<Appending<'l>>>,
    /// The snapshot the draft's projection extends (the ledger's at its head, when the draft
    /// was made on it with nothing folded after it) and what the draft changes in it: a
    /// commit then writes only those sections.
    extends: Option<(Tie, Changes)>,
    /// Drafted onto a slice of the projection: what writing its changes back needs. `after`
    /// then holds only the slice's views.
    kept: Option<Kept>,
}

/// The line of the input each entry of a draft comes from, without the draft.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftLines {
    first_new: u64,
    numbers: LineNumbers,
}

impl DraftLines {
    /// The seq the draft's first entry would get: every entry from it on is the draft's.
    pub fn first(&self) -> Seq {
        Seq(self.first_new)
    }

    /// The line of the input an entry comes from; `None` for an entry that was in the
    /// ledger already.
    pub fn line_of(&self, seq: Seq) -> Option<usize> {
        seq.0
            .checked_sub(self.first_new)
            .and_then(|index| self.numbers.get(usize::try_from(index).ok()?))
    }
}

/// A committed draft.
#[derive(Debug)]
pub struct Committed {
    /// How many events were appended.
    pub events: usize,
    /// The ledger's head after them.
    pub head: Head,
    /// What went wrong with derived data after the append was durable (the append stands).
    pub notices: Vec<String>,
}

/// Why a draft was not committed.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("the draft is refused ({0}); nothing was appended")]
    Refused(String),
    #[error("the draft was made to look at, not to append (the ledger is open for reading, or the draft is of an earlier entry)")]
    NotForWriting,
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// A draft is dropped with its projection freed aside (see [`free_aside`]): a draft looked at
/// (`check --proposed`) spent a tenth of its time at 10^6 freeing the events of the shards it
/// read.
impl Drop for Draft<'_> {
    fn drop(&mut self) {
        free_aside(std::mem::take(&mut self.after));
    }
}

impl<'l> Draft<'l> {
    /// The name of the input, as messages give it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Lines that do not parse, the first line refused by validation, wrong claims, or an
    /// input without events: each with its line. Empty: every line passed.
    pub fn refusals(&self) -> &[Refusal] {
        &self.refusals
    }

    /// Every finding the draft adds (errors, warnings, overridden), each with its line. Judged
    /// only when nothing is refused.
    pub fn added(&self) -> &[Added] {
        &self.added
    }

    /// The added findings of severity error that no override excuses: any of them refuses
    /// the draft.
    pub fn errors(&self) -> impl Iterator<Item = &Added> {
        self.added.iter().filter(|a| a.finding.is_error())
    }

    /// Whether a commit would append it: nothing refused, no error added.
    pub fn is_accepted(&self) -> bool {
        self.refusals.is_empty() && self.errors().next().is_none()
    }

    /// The projection as it would stand with the draft appended (overrides included); when a
    /// line is refused, with the lines before it. `None` for a draft judged on a slice of the
    /// projection (made without [`Judgement::whole`]), which holds only the views it touched.
    pub fn projection(&self) -> Option<&Projection> {
        self.kept.is_none().then_some(self.after.projection())
    }

    /// Whether the draft was judged on a slice of the projection (the views of the keys its
    /// lines touch) rather than on the whole of it: the answer is the same either way.
    pub fn on_slice(&self) -> bool {
        self.kept.is_some()
    }

    /// What went wrong beside the decision (a refused draft's frames that could not be cut
    /// back off: they stay past the head, a torn tail the next writer cuts).
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// How many events the draft holds.
    pub fn events(&self) -> usize {
        self.events
    }

    /// The line of the input each entry of the draft comes from (a what-if view marks the
    /// proposed terms with it; clone it to keep it past the draft).
    pub fn lines(&self) -> &DraftLines {
        &self.lines
    }

    /// The projection as it would stand (see [`Draft::projection`]), for a caller done with
    /// the draft: a what-if view. A draft made for writing that is given up this way cuts
    /// its frames back off, as a dropped one does.
    pub fn into_projection(mut self) -> Option<Projection> {
        let whole = self.kept.is_none();
        whole.then(|| std::mem::take(&mut self.after).into_projection())
    }

    /// Appends the draft: one `fdatasync` for all its frames, then the head file; then the
    /// derived data (index, Merkle tree, checkpoint, and the projection as the snapshot, so
    /// the next query at the head reads it instead of folding the journal).
    pub fn commit(mut self) -> Result<Committed, CommitError> {
        if let Some(first) = self.refusals.first() {
            return Err(CommitError::Refused(first.to_string()));
        }
        if let Some(error) = self.errors().next() {
            return Err(CommitError::Refused(error.finding.to_string()));
        }
        let mut appending = self.appending.take().ok_or(CommitError::NotForWriting)?;
        let head = appending.acknowledge()?;
        let mut notices = Vec::new();
        let created = appending.created().map(Path::to_owned);
        if let Some(ledger) = appending.ledger() {
            notices.extend(ledger.notices().iter().skip(self.told).cloned());
            match (&self.extends, &self.kept) {
                (Some((from, changes)), Some(kept)) => {
                    let after = &self.after;
                    ledger.update_snapshot_in_place(SNAPSHOT_KEY, from, &[], |out| {
                        kept.write_changed(after, changes, out)
                    });
                }
                (Some((from, changes)), None) => {
                    let after = &self.after;
                    let gone = after.sections_gone(changes);
                    ledger.update_snapshot(SNAPSHOT_KEY, from, after, &gone, |out| {
                        after.write_changed(changes, out)
                    });
                }
                (None, _) => {
                    ledger.keep_snapshot(SNAPSHOT_KEY, &self.after);
                }
            }
        }
        drop(appending);
        if let Some(dir) = created {
            // The new ledger's derived data (index, Merkle tree) is built from its journal
            // when opened, on a thread of its own while this one keeps the projection as the
            // snapshot (which needs no lock): neither reads what the other writes. The
            // import is durable already, so a failure is only a notice.
            let after = &self.after;
            let opened = std::thread::scope(|scope| {
                let opening = std::thread::Builder::new()
                    .name("open-new-ledger".into())
                    .spawn_scoped(scope, || open_new(&dir));
                crate::ledger::keep_snapshot_at(&dir, &head, SNAPSHOT_KEY, after);
                match opening {
                    Ok(opening) => opening.join().unwrap_or_else(|_| {
                        vec![
                            "the import is durable, but opening it to build its index panicked"
                                .into(),
                        ]
                    }),
                    Err(_) => open_new(&dir),
                }
            });
            notices.extend(opened);
        }
        let committed = Committed {
            events: self.events,
            head,
            notices,
        };
        free_aside(std::mem::take(&mut self.after));
        Ok(committed)
    }
}

/// Opens the ledger an import just made in `dir`, which builds its index and Merkle tree from
/// its journal; says what the user should be told.
fn open_new(dir: &Path) -> Vec<String> {
    let mut notices = Vec::new();
    match Ledger::open(dir, crate::ledger::Access::Write) {
        Ok(ledger) => {
            notices.extend(ledger.notices().iter().cloned());
            drop(ledger);
            // Opened once more: sled replays the log of what the first opening wrote (the
            // whole Merkle tree) and records where it stands, so that the first write after
            // the import does not pay for the replay (~60 ms at 10^6).
            if let Err(e) = Ledger::open(dir, crate::ledger::Access::Write) {
                notices.push(format!("the import is durable, but its index: {e}"));
            }
        }
        Err(e) => notices.push(format!(
            "the import is durable, but its index was not built: {e}"
        )),
    }
    notices
}

/// The lines of `reader` (JSON Lines, named `source` in messages) as a draft onto `onto`: the
/// input is parsed a piece at a time on a second thread while this one validates and writes
/// (see the module's documentation). What `import FILE` and `check --proposed FILE` do.
pub fn draft_reader<'l>(
    onto: Onto<'l>,
    source: &str,
    reader: impl BufRead + Send,
    recorder: &Recorder,
    judgement: &Judgement,
) -> Result<Draft<'l>, LedgerError> {
    let mut reader = jsonl::LineReader::new(reader);
    // Into a new ledger, nothing is read before the first piece: the validating thread waits
    // for it, so it is a small one. (Onto a ledger, an input of one piece may be drafted on a
    // slice of the projection: its first piece is a whole one.)
    let mut piece_lines = match onto {
        Onto::New(_) => FIRST_PIECE_LINES,
        Onto::Ledger { .. } => PIECE_LINES,
    };
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<Piece>(PIECES_AHEAD);
        let parser = scope.spawn(move || {
            loop {
                let lines = reader.next_chunk(std::mem::replace(&mut piece_lines, PIECE_LINES));
                if lines.is_empty() {
                    break;
                }
                // Fingerprinted here, beside the validating thread, which looks them up.
                let fingerprints = lines
                    .iter()
                    .map(|(_, line)| event_fingerprint(&line.draft.event))
                    .collect();
                let piece = Piece {
                    lines,
                    fingerprints: Some(fingerprints),
                    bad_line_seen: !reader.errors().is_empty(),
                };
                // The drafter stopped listening: it failed for another reason.
                if send.send(piece).is_err() {
                    break;
                }
            }
            let more = reader.more_errors();
            (reader.into_errors(), more)
        });
        let bad_lines = || {
            let (errors, more) = parser.join().expect("the parser does not panic");
            let mut refusals: Vec<Refusal> = errors
                .into_iter()
                .map(|e| Refusal {
                    source: source.to_owned(),
                    line: Some(e.line),
                    field: e.problem.field,
                    reason: e.problem.reason,
                })
                .collect();
            // Past the first few, bad lines are counted, not kept: say how many more.
            if more > 0 {
                refusals.push(Refusal {
                    source: source.to_owned(),
                    line: None,
                    field: None,
                    reason: format!(
                        "and {more} more bad {} (only the first {} are shown)",
                        if more == 1 { "line" } else { "lines" },
                        jsonl::MAX_REPORTED_ERRORS
                    ),
                });
            }
            refusals
        };
        draft_pieces(onto, source, receive, bad_lines, recorder, judgement)
    })
}

/// Lines already parsed (`record`'s one line, `demo`'s fixture) as a draft onto `onto`.
pub fn draft<'l>(
    onto: Onto<'l>,
    source: &str,
    lines: Vec<(usize, Line)>,
    recorder: &Recorder,
    judgement: &Judgement,
) -> Result<Draft<'l>, LedgerError> {
    let piece = Piece {
        lines,
        fingerprints: None,
        bad_line_seen: false,
    };
    draft_pieces(
        onto,
        source,
        std::iter::once(piece),
        Vec::new,
        recorder,
        judgement,
    )
}

/// Some lines of the input as parsed, and whether a bad line was met by then (the lines
/// after it are still parsed, for the report, but no longer drafted).
struct Piece {
    lines: Vec<(usize, Line)>,
    /// Each line's [`event_fingerprint`], when the parser computed them.
    fingerprints: Option<Vec<[u8; 32]>>,
    bad_line_seen: bool,
}

/// A draft's one piece validated onto a slice of the projection (see [`Slice`]), the rules
/// judged on the slice before it: the draft then goes on as any other, from its claims on.
struct Sliced {
    snapshot: Snapshot,
    kept: Kept,
    /// The slice with the piece admitted (taken by the draft).
    batch: Option<Batch>,
    /// The findings it adds (judged on the slice with the piece admitted).
    added: Vec<Finding>,
    first_new: u64,
}

impl Sliced {
    /// The slice of the snapshot at `ledger`'s head for `lines`, with them validated onto
    /// it; `None` when only the whole projection can take them: no snapshot at the head, a
    /// line that reaches further than its keys (a meeting, a correction), a line refused (the
    /// whole projection words the refusal: near names, say), or a draft that moves the
    /// ledger's present (open terms and vacancies of any body may then grow into findings).
    fn try_draft(
        ledger: &Ledger,
        source: &str,
        lines: &[(usize, Line)],
        judgement: &Judgement,
        writing: bool,
    ) -> Option<Sliced> {
        let keys = Keys::of(lines.iter().map(|(_, line)| &line.draft.event))?;
        let mut keys = keys.writing(writing);
        let snapshot = ledger.snapshot_of(SNAPSHOT_KEY, ledger.head().entries)?;
        let exists = |name: &str| snapshot.sum(name).is_some();
        // Three times at most: when the draft moves the present, the watch is read (if it was
        // not), then the bodies whose findings that can change, and the draft judged again
        // with them.
        for _ in 0..3 {
            let slice = Slice::read(
                &mut |name| snapshot.section(name),
                &exists,
                &keys,
                lines.len() as u64,
            )?;
            let (views, kept) = slice.into_parts();
            let horizon = kept.horizon();
            // The days of the views the slice holds: a draft that took one of them away (none
            // of the events a slice takes should) could move the present back.
            let held_days = views.horizon();
            let before = judgement.findings(&views, Some(horizon));
            let first_new = views.entries_applied();
            let mut batch = Batch::onto(views);
            validate_piece(&mut batch, source, lines, None).ok()?;
            let after = batch.settled();
            let moved_to = kept.horizon_after(after);
            if after.horizon() < held_days {
                return None;
            }
            if moved_to != horizon && !keys.watches() {
                keys = keys.watching();
                continue;
            }
            if moved_to != horizon {
                let tolerances = [
                    judgement.tolerances.term_days,
                    judgement.tolerances.vacancy_days,
                ];
                // A negative tolerance puts a finding's day before the present day it
                // comes from, where the watch does not look.
                if tolerances.iter().any(|t| *t < 0) {
                    return None;
                }
                let tolerance = tolerances[0].max(tolerances[1]);
                let judged = kept.watched(moved_to, tolerance)?;
                if !judged.is_empty() {
                    keys = keys.judging(judged);
                    continue;
                }
            }
            // The findings it adds, judged here: what excuses them may lie in sections of
            // overrides the slice does not hold, and one that cannot be read is damage.
            let mut added =
                rules::new_findings(&before, &judgement.findings(after, Some(moved_to)));
            // The draft's own entries' reasons are in `after` (their sections may not exist
            // yet in the snapshot).
            let seqs = added.iter().flat_map(|f| f.seqs.iter().copied());
            let seqs = seqs.filter(|seq| seq.0 < first_new);
            let read = Slice::overrides_of(&mut |name| snapshot.section(name), seqs)?;
            for finding in &mut added {
                rules::excuse(finding, |seq| {
                    after
                        .override_reason(seq)
                        .or_else(|| read.get(&seq).map(String::as_str))
                });
            }
            return Some(Sliced {
                snapshot,
                kept,
                batch: Some(batch),
                added,
                first_new,
            });
        }
        // Judged again with the bodies it reads, the draft moved the present past more.
        None
    }
}

/// What the claims check needs of a line once its draft has moved into an entry.
struct Claim {
    number: usize,
    seq: Option<Seq>,
    hash: Option<String>,
    /// Whether the line carries its own record time (as `export` writes it), rather than
    /// taking the recorder's.
    own_time: bool,
}

/// Where the prepared frames go: past the head of a ledger held for writing, nowhere for a
/// draft to look at (prepared all the same, for the claims), or not prepared at all for a
/// draft of an earlier entry (whose entries would follow an entry that is not the head).
enum Sink<'l> {
    Write(Box<Appending<'l>>),
    Discard(Head),
    Nowhere,
}

/// The draft, a piece at a time. The refusals reported are those the input would get read
/// whole: bad lines (all of them, up to the limit) before the first refused line, before
/// wrong claims, before rule findings. A refusal does not stop the reading: the rest is still
/// parsed, and still validated and checked for claims while nothing worse was found.
fn draft_pieces<'l>(
    mut onto: Onto<'l>,
    source: &str,
    pieces: impl IntoIterator<Item = Piece>,
    bad_lines: impl FnOnce() -> Vec<Refusal>,
    recorder: &Recorder,
    judgement: &Judgement,
) -> Result<Draft<'l>, LedgerError> {
    // What opening the ledger said has been told; only what the append adds is new.
    let mut told = 0;
    // Record time never goes backwards (`--known-at` reads the ledger as it stood at a time):
    // the seq and record time of the entry the draft follows.
    let mut last_recorded = None;
    // The snapshot at the head the projection is read from, for a writer.
    let mut extends: Option<Tie> = None;
    let mut pieces = pieces.into_iter();
    // A draft of one piece onto the head of a ledger whose snapshot is there is tried on a
    // slice of the projection first: the views of the keys its lines touch.
    // Only a draft onto a ledger can be tried on a slice: one into a new ledger starts with
    // its first piece.
    let probed = match onto {
        Onto::Ledger { .. } => 2,
        Onto::New(_) => 0,
    };
    let first: Vec<Piece> = pieces.by_ref().take(probed).collect();
    // Framed beside the validation: any draft into a new ledger, and one of several pieces.
    let several = probed == 0 || first.len() > 1;
    let mut sliced = match (&mut onto, first.as_slice()) {
        (Onto::Ledger { ledger, entries }, [piece])
            if entries.is_none_or(|e| e >= ledger.head().entries)
                && !piece.bad_line_seen
                && judgement.on.is_none()
                && !judgement.whole =>
        {
            let writing = ledger.is_writer();
            Sliced::try_draft(ledger, source, &piece.lines, judgement, writing)
        }
        _ => None,
    };
    let pieces = first.into_iter().chain(pieces);
    let (base, sink) = match onto {
        Onto::New(dir) => (
            Some(Fold::default()),
            Sink::Write(Box::new(Ledger::create_in_pieces(dir)?)),
        ),
        Onto::Ledger { ledger, entries } => {
            told = ledger.notices().len();
            let head = ledger.head();
            if head.entries > 0 {
                let last = head.entries - 1;
                let stored = ledger.entries(last, last + 1)?.next().transpose()?;
                last_recorded = stored.map(|s| (s.entry.seq, s.entry.recorded_at));
            }
            let upto = entries.unwrap_or(head.entries).min(head.entries);
            let base = match &sliced {
                Some(slice) => {
                    extends = Some(slice.snapshot.tie.clone());
                    None
                }
                None => {
                    if upto == head.entries && ledger.is_writer() {
                        extends = ledger.snapshot_tie(SNAPSHOT_KEY);
                    }
                    let apply = |p: &mut Fold, batch: &[crate::ledger::Entry]| p.apply_all(batch);
                    Some(ledger.fold(SNAPSHOT_KEY, upto, apply)?)
                }
            };
            let sink = if upto < head.entries {
                Sink::Nowhere
            } else if ledger.is_writer() {
                Sink::Write(Box::new(ledger.append_in_pieces()?))
            } else {
                Sink::Discard(head)
            };
            (base, sink)
        }
    };
    let mut changes = extends.as_ref().map(|_| Changes::default());
    // "Before" is kept as its findings: the projection itself becomes "after". A slice was
    // judged before its one piece was validated.
    let (before, first_new, mut batch) = match (base, &mut sliced) {
        (Some(base), _) => (
            judgement.findings(&base, None),
            base.entries_applied(),
            Batch::onto(base),
        ),
        (None, Some(slice)) => (
            Vec::new(),
            slice.first_new,
            slice.batch.take().expect("taken once"),
        ),
        (None, None) => unreachable!("a base is folded unless a slice was read"),
    };
    let mut validated = sliced.is_some();

    let mut events = 0;
    let mut numbers = LineNumbers::default();
    let mut refused: Option<Refusal> = None;
    let mut interrupted = false;
    let mut parse_failed = false;
    let framing = Framing {
        sink,
        last_recorded,
        refused: None,
        wrong_claims: Vec::new(),
        write_failed: None,
    };
    // An input of several pieces written to the ledger is framed on a thread of its own
    // (a draft to look at keeps its exact projection at a refusal: framed here).
    let beside = several && matches!(framing.sink, Sink::Write(_));
    let stopped = AtomicBool::new(false);
    let framing = std::thread::scope(|scope| {
        let mut framer = Framer::start(framing, beside, scope, source, recorder, &stopped);
        for piece in pieces {
            // Ctrl-C: stop reading; the pieces written are cut back when the sink is dropped.
            if crate::ledger::interrupt::requested() {
                interrupted = true;
                break;
            }
            parse_failed |= piece.bad_line_seen;
            if parse_failed || refused.is_some() || stopped.load(Ordering::Relaxed) {
                continue;
            }
            // The slice's one piece was validated when the slice was tried.
            if !std::mem::take(&mut validated) {
                let fingerprints = piece.fingerprints.as_deref();
                if let Err(refusal) = validate_piece(&mut batch, source, &piece.lines, fingerprints)
                {
                    refused = Some(refusal);
                    continue;
                }
            }
            if let Some(changes) = &mut changes {
                for (i, (_, line)) in piece.lines.iter().enumerate() {
                    let seq = Seq(first_new + (events + i) as u64);
                    changes.note(seq, &line.draft.event, batch.unsettled());
                }
            }
            events += piece.lines.len();
            let mut claims = Vec::with_capacity(piece.lines.len());
            let mut drafts = Vec::with_capacity(piece.lines.len());
            for (number, line) in piece.lines {
                numbers.push(number);
                claims.push(Claim {
                    number,
                    seq: line.claimed_seq,
                    hash: line.claimed_hash,
                    own_time: line.draft.recorded_at.is_some(),
                });
                drafts.push(line.draft);
            }
            framer.frame(claims, drafts);
        }
        // Every view settled while the framer writes the last pieces, unless the draft is
        // refused or interrupted already (then it is settled, if at all, after).
        let settled = match interrupted || parse_failed || refused.is_some() {
            true => Err(batch),
            false => Ok(batch.finish()),
        };
        (framer.finish(), settled)
    });
    let (framing, settled) = framing;
    let Framing {
        sink,
        refused: refused_framing,
        wrong_claims,
        write_failed,
        ..
    } = framing;
    let write_failed = match interrupted {
        true => Some(LedgerError::Interrupted),
        false => write_failed,
    };
    // Framing refuses only pieces validation passed, which come before a piece validation
    // refused: its refusal is the first.
    let refused = refused_framing.or(refused);
    let bad = bad_lines();
    let refusals = if !bad.is_empty() {
        bad
    } else if let Some(e) = write_failed {
        // Dropping the sink cuts back what was written.
        return Err(e);
    } else if let Some(refusal) = refused {
        vec![refusal]
    } else if events == 0 {
        vec![Refusal {
            source: source.to_owned(),
            line: None,
            field: None,
            reason: "no events to import (the file is empty)".into(),
        }]
    } else {
        wrong_claims
    };
    let after = settled.unwrap_or_else(Batch::finish);
    let added = if refusals.is_empty() {
        let added = match &mut sliced {
            Some(slice) => std::mem::take(&mut slice.added),
            None => rules::new_findings(&before, &judgement.findings(&after, None)),
        };
        drop(before);
        added
            .into_iter()
            .map(|finding| {
                let lines = lines_of(&finding, first_new, &numbers);
                Added {
                    line: lines.last().copied(),
                    lines,
                    finding,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut draft = Draft {
        source: source.to_owned(),
        refusals,
        added,
        after,
        events,
        lines: DraftLines { first_new, numbers },
        told,
        notices: Vec::new(),
        appending: None,
        extends: extends.zip(changes),
        kept: sliced.map(|s| s.kept),
    };
    if let Sink::Write(appending) = sink {
        if draft.is_accepted() {
            draft.appending = Some(appending);
        } else {
            // Cut back at once: a refused draft leaves the ledger as it was. If the cut
            // fails, what was written stays past the head, a torn tail the next writer cuts.
            if let Err(undo) = appending.abandon() {
                draft.notices.push(format!(
                    "could not cut the refused entries back off: {undo}"
                ));
            }
        }
    }
    Ok(draft)
}

/// A draft's pieces, once validated: prepared (encoded, hashed, framed), their record times
/// and claims checked, and written to the sink. What it finds wrong stops the writing; the
/// draft puts it together with what validation found.
struct Framing<'l> {
    sink: Sink<'l>,
    /// The seq and record time of the entry the next piece follows.
    last_recorded: Option<(Seq, Timestamp)>,
    /// A record time before the one of the entry before it: nothing more is framed.
    refused: Option<Refusal>,
    /// Claims (seq, hash) the entries do not bear out: nothing more is written, the rest is
    /// still checked.
    wrong_claims: Vec<Refusal>,
    write_failed: Option<LedgerError>,
}

impl Framing<'_> {
    /// Whether pieces are still framed: nothing refused, no write failed.
    fn goes_on(&self) -> bool {
        self.refused.is_none() && self.write_failed.is_none()
    }

    /// Frames a piece validated: `drafts`, and what the claims check needs of their lines.
    fn frame(
        &mut self,
        source: &str,
        recorder: &Recorder,
        claims: Vec<Claim>,
        drafts: Vec<crate::domain::Draft>,
    ) {
        let follows = match &self.sink {
            Sink::Write(appending) => appending.head(),
            Sink::Discard(head) => *head,
            Sink::Nowhere => return,
        };
        let prepared = prepare_owned(follows, drafts, recorder);
        // A draft to look at is recorded, if ever, when it is committed: only the record
        // times its lines carry are judged.
        let looking = matches!(self.sink, Sink::Discard(_));
        let judged = claims
            .iter()
            .zip(&prepared.entries)
            .filter(|(c, _)| !looking || c.own_time);
        if let Err(refusal) = check_record_time(source, judged, &mut self.last_recorded) {
            self.refused = Some(refusal);
            return;
        }
        if self.wrong_claims.len() < jsonl::MAX_REPORTED_ERRORS {
            check_claims(source, &claims, &prepared, &mut self.wrong_claims);
        }
        match &mut self.sink {
            // Once a claim is wrong nothing more is written; the rest is still checked.
            Sink::Write(appending) if self.wrong_claims.is_empty() => {
                if let Err(e) = appending.write(&prepared) {
                    self.write_failed = Some(e);
                }
            }
            Sink::Discard(head) => *head = prepared.head(),
            _ => {}
        }
    }
}

/// A validated piece, on its way to be framed.
type Validated = (Vec<Claim>, Vec<crate::domain::Draft>);

/// Where the drafting loop sends each piece it validated: framed on this thread, or on a
/// thread of its own while the next piece is validated (an import: encoding, hashing and
/// writing the entries was ~9 % of the validating thread's time, which sets the import's).
enum Framer<'scope, 'l> {
    Here {
        framing: Box<Framing<'l>>,
        source: &'scope str,
        recorder: &'scope Recorder,
    },
    Beside {
        to_framer: std::sync::mpsc::SyncSender<Validated>,
        framer: std::thread::ScopedJoinHandle<'scope, Framing<'l>>,
    },
}

impl<'scope, 'l: 'scope> Framer<'scope, 'l> {
    /// Framing here, or, `beside`, on a thread of `scope`, which sets `stopped` once it
    /// frames no more (the drafting loop then validates no more).
    fn start<'env>(
        framing: Framing<'l>,
        beside: bool,
        scope: &'scope std::thread::Scope<'scope, 'env>,
        source: &'scope str,
        recorder: &'scope Recorder,
        stopped: &'scope AtomicBool,
    ) -> Framer<'scope, 'l> {
        if !beside {
            return Framer::Here {
                framing: Box::new(framing),
                source,
                recorder,
            };
        }
        let (to_framer, pieces) = std::sync::mpsc::sync_channel::<Validated>(PIECES_AHEAD);
        let framer = scope.spawn(move || {
            let mut framing = framing;
            for (claims, drafts) in pieces {
                if framing.goes_on() {
                    framing.frame(source, recorder, claims, drafts);
                    if !framing.goes_on() {
                        stopped.store(true, Ordering::Relaxed);
                    }
                }
            }
            framing
        });
        Framer::Beside { to_framer, framer }
    }

    fn frame(&mut self, claims: Vec<Claim>, drafts: Vec<crate::domain::Draft>) {
        match self {
            Framer::Here {
                framing,
                source,
                recorder,
            } => {
                if framing.goes_on() {
                    framing.frame(source, recorder, claims, drafts);
                }
            }
            Framer::Beside { to_framer, .. } => {
                // The framer keeps receiving until it is told there is no more.
                let _ = to_framer.send((claims, drafts));
            }
        }
    }

    /// Every piece framed: the framing, back.
    fn finish(self) -> Framing<'l> {
        match self {
            Framer::Here { framing, .. } => *framing,
            Framer::Beside { to_framer, framer } => {
                drop(to_framer);
                framer
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            }
        }
    }
}

/// The lines of the draft's entries that `finding` involves, in the order of its seqs
/// (sorted: the last is the newest).
fn lines_of(finding: &Finding, first_new: u64, numbers: &LineNumbers) -> Vec<usize> {
    finding
        .seqs
        .iter()
        .filter_map(|s| s.0.checked_sub(first_new))
        .filter_map(|index| numbers.get(usize::try_from(index).ok()?))
        .collect()
}

/// Validates a piece onto `batch`: the first refusal names the source, the line and the
/// field (later lines may depend on the refused one, so they are not judged).
/// `fingerprints`: each line's event's, if computed already.
fn validate_piece(
    batch: &mut Batch,
    source: &str,
    lines: &[(usize, Line)],
    fingerprints: Option<&[[u8; 32]]>,
) -> Result<(), Refusal> {
    for (i, (number, line)) in lines.iter().enumerate() {
        let draft = &line.draft;
        let fingerprint = match fingerprints {
            Some(computed) => computed[i],
            None => event_fingerprint(&draft.event),
        };
        batch
            .admit_fingerprinted(&draft.event, fingerprint, draft.override_reason.as_deref())
            .map_err(|refusal| Refusal {
                source: source.to_owned(),
                line: Some(*number),
                field: refusal.field().map(|f| f.into_owned()),
                reason: refusal.to_string(),
            })?;
    }
    Ok(())
}

/// Refuses an entry recorded before the entry it follows (`last`: that entry's seq and record
/// time, updated as the entries pass): a backdated record time would make `--known-at` show
/// a belief the ledger never held at that time. `record`'s one event has no line to name.
fn check_record_time<'a>(
    source: &str,
    entries: impl Iterator<Item = (&'a Claim, &'a StoredEntry)>,
    last: &mut Option<(Seq, Timestamp)>,
) -> Result<(), Refusal> {
    for (claim, stored) in entries {
        let at = stored.entry.recorded_at;
        if let Some((seq, before)) = *last {
            if at < before {
                let reason = format!(
                    "{at} is before {before}, the record time of entry {seq} (the head): record time never goes backwards"
                );
                return Err(if source == "record" {
                    Refusal {
                        source: source.to_owned(),
                        line: None,
                        field: None,
                        reason: format!("the record time: {reason}"),
                    }
                } else {
                    Refusal {
                        source: source.to_owned(),
                        line: Some(claim.number),
                        field: Some("recorded_at".into()),
                        reason,
                    }
                });
            }
        }
        *last = Some((stored.entry.seq, at));
    }
    Ok(())
}

/// Lines from `export` carry the seq and hash they had; an append must reproduce both, or the
/// line was altered (or the export belongs in an empty ledger). Adds what is wrong to
/// `errors`, up to the limit.
fn check_claims(source: &str, claims: &[Claim], prepared: &Prepared, errors: &mut Vec<Refusal>) {
    for (claim, stored) in claims.iter().zip(&prepared.entries) {
        if errors.len() >= jsonl::MAX_REPORTED_ERRORS {
            break;
        }
        let wrong = |field: &str, reason: String| Refusal {
            source: source.to_owned(),
            line: Some(claim.number),
            field: Some(field.into()),
            reason,
        };
        if let Some(claimed) = claim.seq {
            if claimed != stored.entry.seq {
                errors.push(wrong("seq", format!(
                    "the line is entry {claimed} of the ledger it was exported from, but would be entry {} here (import an export into an empty ledger)",
                    stored.entry.seq
                )));
                continue;
            }
        }
        if let Some(claimed) = &claim.hash {
            if *claimed != stored.hash.to_hex() {
                errors.push(wrong("hash", format!(
                    "the line says {claimed} but the entry hashes to {} (the line was altered after export)",
                    stored.hash
                )));
            }
        }
    }
}

/// Frees the projection on a thread of its own: the writer is done with it, and freeing every
/// event, term and string of a large projection one by one was ~5 % of an import (that of
/// 10^6 lines holds ~1.2 GB in small allocations). The process usually exits before that
/// thread is done (the kernel takes the memory back whole); a library caller gets it back in
/// the background. Nothing is leaked either way. If no thread can be started, the projection
/// is freed here.
fn free_aside(projection: Fold) {
    // Nothing to free (a draft's projection already taken): no thread.
    if projection.entries_applied() == 0 {
        return;
    }
    let _detached = std::thread::Builder::new()
        .name("free-projection".into())
        .spawn(move || drop(projection));
}
