//! A progress line on stderr for long work (an import, an export), drawn by indicatif: only
//! when stderr is a terminal, never with `--json`, and only once the work has taken more than
//! a second, so that a short command prints nothing more than it did.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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
            let template = match total {
                Some(_) => format!("{what} {{bar:30}} {{pos}}/{{len}} {unit} ({{eta}} left)"),
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
        let Some(bar) = &self.bar else { return };
        if !self.shown && self.started.elapsed() >= self.delay {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        bar.inc(n);
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
