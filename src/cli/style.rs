//! Colour, as a layer of its own: text is built plain (escaped where `output` escapes it),
//! measured plain so columns line up, and coloured last, only when the stream it goes to is
//! a terminal (or `--color always`), never when `NO_COLOR` is set (unless `--color always`).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU8, Ordering};

use anstyle::{AnsiColor, Effects, Style};

/// `--color`: when to colour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// When the output is a terminal and NO_COLOR is not set
    #[default]
    Auto,
    Always,
    Never,
}

/// Where a text goes, for deciding whether it may be coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

static WHEN: AtomicU8 = AtomicU8::new(0);

/// Sets the choice for this process (from `--color`).
pub fn set(when: ColorWhen) {
    WHEN.store(when as u8, Ordering::Relaxed);
}

fn when() -> ColorWhen {
    match WHEN.load(Ordering::Relaxed) {
        1 => ColorWhen::Always,
        2 => ColorWhen::Never,
        _ => ColorWhen::Auto,
    }
}

/// Whether text for `stream` is coloured.
pub fn enabled(stream: Stream) -> bool {
    match when() {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            // no-color.org: set and not empty means no colour.
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
            let terminal = match stream {
                Stream::Stdout => std::io::stdout().is_terminal(),
                Stream::Stderr => std::io::stderr().is_terminal(),
            };
            terminal && !no_color && !dumb
        }
    }
}

/// A table's header.
pub const HEADER: Style = Style::new().effects(Effects::BOLD);
/// An error finding, or a refusal.
pub const ERROR: Style = AnsiColor::Red.on_default().effects(Effects::BOLD);
/// A warning finding.
pub const WARNING: Style = AnsiColor::Yellow.on_default();
/// A finding excused by an override: recorded knowingly, shown quietly.
pub const OVERRIDDEN: Style = Style::new().effects(Effects::DIMMED);
/// A seat nobody holds.
pub const VACANT: Style = AnsiColor::Yellow.on_default().effects(Effects::DIMMED);

/// `text` in `style` if `stream` is coloured, else as it is.
pub fn paint(text: &str, style: Style, stream: Stream) -> String {
    if enabled(stream) && !text.is_empty() {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_owned()
    }
}
