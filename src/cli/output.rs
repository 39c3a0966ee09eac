//! Printing: tables that line up, JSON, and a quiet exit on a closed pipe.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;

use super::style::{self, Stream};
use super::CliError;

/// Prints `value` as pretty JSON on stdout.
pub fn json(value: &impl Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::io("output")(e.into()))?;
    let mut out = io::stdout().lock();
    out.write_all(crate::domain::text::json_escaped(&text).as_bytes())
        .map_err(CliError::io("output"))?;
    writeln!(out).map_err(CliError::io("output"))
}

/// Prints lines of text on stdout, with any control or bidi character but the line breaks
/// made visible ([`printable_lines`]).
pub fn text(text: &str) -> Result<(), CliError> {
    let text = printable_lines(text);
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .map_err(CliError::io("output"))?;
    if !text.ends_with('\n') {
        writeln!(out).map_err(CliError::io("output"))?;
    }
    Ok(())
}

/// Text whose every part from the ledger was made [`printable`] already and which may carry
/// the program's own colour (a styled table, findings): printed as it is, since escaping it
/// whole would show the colour codes as text.
pub fn text_prepared(text: &str) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .map_err(CliError::io("output"))?;
    if !text.ends_with('\n') {
        writeln!(out).map_err(CliError::io("output"))?;
    }
    Ok(())
}

/// A table whose columns line up (by characters, so "Côte d'Ivoire" aligns too).
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    /// A row's colour (an error finding, a vacant seat), applied after it is laid out.
    styles: Vec<Option<anstyle::Style>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
            styles: Vec::new(),
        }
    }

    /// Adds a row. Each cell is made [`printable`] first: a newline in a name cannot start a
    /// row of its own, an ESC cannot reach the terminal.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(
            cells
                .into_iter()
                .map(|cell| match printable(&cell) {
                    Cow::Borrowed(_) => cell,
                    Cow::Owned(escaped) => escaped,
                })
                .collect(),
        );
        self.styles.push(None);
    }

    /// A row shown in `style` where colour is on.
    pub fn row_styled(&mut self, cells: Vec<String>, style: anstyle::Style) {
        self.rows.push(
            cells
                .into_iter()
                .map(|cell| match printable(&cell) {
                    Cow::Borrowed(_) => cell,
                    Cow::Owned(escaped) => escaped,
                })
                .collect(),
        );
        self.styles.push(Some(style));
    }

    /// The table with every column as wide as its widest cell. On a terminal, the widest
    /// column is shortened (with "…") so that lines fit its width.
    pub fn render(&self) -> String {
        self.render_to(Stream::Stdout)
    }

    /// As [`Table::render`], coloured as `stream` allows.
    pub fn render_to(&self, stream: Stream) -> String {
        use std::io::IsTerminal;
        let forced = FIT_WIDTH.load(std::sync::atomic::Ordering::Relaxed);
        let width = if forced > 0 {
            Some(forced)
        } else {
            std::io::stdout()
                .is_terminal()
                .then(terminal_width)
                .flatten()
        };
        self.render_coloured(width, stream)
    }

    /// The table, shortening the widest columns' cells so lines fit `width` characters,
    /// coloured as `stream` allows.
    fn render_coloured(&self, width: Option<usize>, stream: Stream) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        if let Some(limit) = width {
            // Shave the widest column a character at a time until the line fits, so long
            // columns end up sharing the room (no column below 12 characters).
            let gaps = 2 * columns.saturating_sub(1);
            while widths.iter().sum::<usize>() + gaps > limit {
                let Some(widest) = (0..columns).max_by_key(|&i| widths[i]) else {
                    break;
                };
                if widths[widest] <= 12 {
                    break;
                }
                widths[widest] -= 1;
            }
        }
        let clip = |cell: &str, w: usize| -> String {
            if cell.chars().count() <= w {
                cell.to_owned()
            } else {
                let mut s: String = cell.chars().take(w.saturating_sub(1)).collect();
                s.push('…');
                s
            }
        };
        let mut out = String::new();
        let mut line = |cells: &[String], colour: Option<anstyle::Style>| {
            let mut s = String::new();
            for (i, cell) in cells.iter().enumerate().take(columns) {
                let cell = clip(cell, widths[i]);
                s.push_str(&cell);
                if i + 1 < columns {
                    s.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
                }
            }
            // Coloured once laid out, so the escape codes never count as width.
            match colour {
                Some(c) => out.push_str(&style::paint(s.trim_end(), c, stream)),
                None => out.push_str(s.trim_end()),
            }
            out.push('\n');
        };
        line(
            &self
                .header
                .iter()
                .map(|h| h.to_uppercase())
                .collect::<Vec<_>>(),
            Some(style::HEADER),
        );
        for (row, colour) in self.rows.iter().zip(&self.styles) {
            line(row, *colour);
        }
        out
    }
}

/// A width every table fits, set by `demo` (whose output is read on a terminal even when it
/// is piped through `less`); 0 = fit only on a terminal.
static FIT_WIDTH: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

pub fn fit_tables_to(width: usize) {
    FIT_WIDTH.store(width, std::sync::atomic::Ordering::Relaxed);
}

/// The width text should fit: the one `demo` set, else the terminal's, else none (piped).
pub fn fit_width() -> Option<usize> {
    use std::io::IsTerminal;
    let forced = FIT_WIDTH.load(std::sync::atomic::Ordering::Relaxed);
    if forced > 0 {
        Some(forced)
    } else {
        std::io::stdout()
            .is_terminal()
            .then(terminal_width)
            .flatten()
    }
}

/// `text` broken at spaces into lines of at most `width` characters (a longer word stands
/// alone), every line after the first indented by `indent` spaces.
pub fn wrap(text: &str, width: Option<usize>, indent: usize) -> String {
    let Some(width) = width else {
        return text.to_owned();
    };
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let fresh = line.trim().is_empty();
        if !fresh && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::replace(&mut line, " ".repeat(indent)));
        } else if !fresh {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines.join("\n")
}

/// The terminal's width: `COLUMNS` where it is set (a user's or a script's choice wins, as in
/// `ls` and clap), else the width of the terminal that stdout, stderr or stdin is on (measured
/// by `terminal_size`, so a window that was never exported into `COLUMNS` is still fitted),
/// else 80. A width below 40 is taken as 80: no table is laid out narrower.
pub fn terminal_width() -> Option<usize> {
    let measured = || terminal_size::terminal_size().map(|(width, _)| usize::from(width.0));
    Some(
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .or_else(measured)
            .filter(|&c: &usize| c >= 40)
            .unwrap_or(80),
    )
}

/// `n` and the word for it: "1 entry", "2 entries", "0 entries".
pub fn count(n: u64, one: &str, many: &str) -> String {
    crate::domain::counted(n, one, many)
}

/// `text` with every character the ledger refuses in text (control characters — C0 with
/// newline and tab, DEL, C1 — and bidi overrides and isolates; `domain::text`) written as a
/// visible escape, `\u{1b}`: what a terminal shows is what is stored, and text cannot clear
/// the screen, forge a line or reorder what is around it. A ledger written before the rule
/// may hold such text; every terminal output passes through here. Kept apart from colour
/// (added after escaping) so the two never mix.
pub fn printable(text: &str) -> Cow<'_, str> {
    escape_refused(text, false)
}

/// [`printable`], keeping line breaks: for whole blocks of output, whose lines are the
/// program's own.
pub fn printable_lines(text: &str) -> Cow<'_, str> {
    escape_refused(text, true)
}

fn escape_refused(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let refused = |c: char| crate::domain::text::is_refused(c) && !(keep_newlines && c == '\n');
    if crate::domain::text::first_refused(text).is_none() || !text.contains(refused) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if refused(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::{printable, printable_lines};

    #[test]
    fn control_and_bidi_characters_are_shown_not_obeyed() {
        assert_eq!(printable("\u{1b}[2Jok"), "\\u{1b}[2Jok");
        assert_eq!(printable("a\nb"), "a\\u{a}b");
        assert_eq!(printable_lines("a\nb\u{202e}c"), "a\nb\\u{202e}c");
        assert_eq!(printable("Côte d'Ivoire"), "Côte d'Ivoire");
    }
}
