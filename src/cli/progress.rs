//! A progress line on stderr for long work (an import, an export, a verification), drawn by indicatif: only
//! when stderr is a terminal, never with `--json`, and only once the work has taken more than
//! a second, so that a short command prints nothing more than it did.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::ledger::{Checking, Phase};

/// How long work runs before its progress is shown. `CCM_LEDGER_PROGRESS_AFTER_MS` changes it
/// (the tests show it at once).
fn delay() -> Duration {
    let ms = std::env::var("CCM_LEDGER_PROGRESS_AFTER_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    Duration::from_millis(ms)
}

/// The progress of one piece of work; nothing is drawn until it has run a while.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    delay: Duration,
    shown: bool,
}

impl Progress {
    /// Progress over `total` items (`None`: a count without an end), described as `what`
    /// ("imported", "exported"); `allowed` is false for `--json`.
    pub fn start(what: &str, total: Option<u64>, unit: &str, allowed: bool) -> Progress {
        let bar = (allowed && std::io::stderr().is_terminal()).then(|| {
            let bar = match total {
                Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::hidden()),
                None => ProgressBar::hidden(),
            };
            // A longer description takes from the bar, so that the line, with counts of up to
            // eight digits, fits 80 columns.
            let bar_width = 30usize
                .saturating_sub(what.chars().count().saturating_sub(10))
                .max(10);
            let template = match total {
                Some(_) => {
                    format!("{what} {{bar:{bar_width}}} {{pos}}/{{len}} {unit} ({{eta}} left)")
                }
                None => format!("{{spinner}} {what} {{pos}} {unit} ({{per_sec}})"),
            };
            if let Ok(style) = ProgressStyle::with_template(&template) {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
            delay: delay(),
            shown: false,
        }
    }

    /// `n` more items done.
    pub fn advance(&mut self, n: u64) {
        if let Some(bar) = self.due() {
            bar.inc(n);
        }
    }

    /// `done` of `total` items done (work whose size is learnt as it goes: `verify` learns
    /// the ledger's size from its head file).
    pub fn reach(&mut self, done: u64, total: u64) {
        if let Some(bar) = self.due() {
            bar.set_length(total);
            bar.set_position(done);
        }
    }

    /// The bar, drawn from now on once the work has run longer than the delay.
    fn due(&mut self) -> Option<&ProgressBar> {
        let bar = self.bar.as_ref()?;
        if !self.shown && self.started.elapsed() >= self.delay {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        Some(bar)
    }
}

impl Drop for Progress {
    /// The line goes away when the work ends, however it ends: the result is what stays.
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `verify`'s progress: a line for the phase the library last reported (the chain's pass, then
/// the re-derivation of the snapshot), each replacing the one before and shown, as any, once
/// it has run longer than the delay.
pub struct Phases {
    allowed: bool,
    current: Option<(Phase, Progress)>,
}

impl Phases {
    /// `allowed` is false for `--json`.
    pub fn new(allowed: bool) -> Phases {
        Phases {
            allowed,
            current: None,
        }
    }

    /// What the library reported: the line of its phase moved, or started.
    pub fn report(&mut self, c: Checking) {
        if self.current.as_ref().map(|(phase, _)| *phase) != Some(c.phase) {
            // The line before goes first (dropped, it clears itself).
            self.current = None;
            let (what, unit) = match c.phase {
                Phase::Chain => ("verifying", "entries"),
                Phase::SnapshotRead => ("reading the snapshot back", "sections"),
                Phase::Fold => ("folding the journal again", "entries"),
                Phase::Digest => ("hashing the fold's sections", "sections"),
            };
            let line = Progress::start(what, Some(0), unit, self.allowed);
            self.current = Some((c.phase, line));
        }
        if let Some((_, line)) = &mut self.current {
            line.reach(c.checked, c.of);
        }
    }

    /// The line cleared, before something else is said on stderr.
    pub fn clear(&mut self) {
        self.current = None;
    }
}

/// An input read through a progress line: each byte consumed advances it. How `import` shows
/// its progress while the library reads the file (the reading is the library's, the line is
/// the CLI's).
pub struct Reading<R> {
    inner: R,
    progress: Progress,
}

impl<R: std::io::BufRead> Reading<R> {
    /// `inner` of `total` bytes (`None`: standard input), shown as `what` when `allowed`.
    pub fn new(inner: R, what: &str, total: Option<u64>, allowed: bool) -> Reading<R> {
        Reading {
            inner,
            progress: Progress::start(what, total, "bytes", allowed),
        }
    }
}

impl<R: std::io::BufRead> std::io::Read for Reading<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for Reading<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.progress.advance(amt as u64);
    }
}
