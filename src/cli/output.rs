//! Printing: tables that line up, JSON, and a quiet exit on a closed pipe.

use std::io::{self, Write};

use serde::Serialize;

use super::CliError;

/// Prints `value` as pretty JSON on stdout.
pub fn json(value: &impl Serialize) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| CliError::io("output")(e.into()))?;
    writeln!(out).map_err(CliError::io("output"))
}

/// Prints lines of text on stdout.
pub fn text(text: &str) -> Result<(), CliError> {
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
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let mut line = |cells: &[String]| {
            let mut s = String::new();
            for (i, cell) in cells.iter().enumerate().take(columns) {
                if i + 1 == columns {
                    s.push_str(cell);
                } else {
                    s.push_str(cell);
                    s.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
                }
            }
            out.push_str(s.trim_end());
            out.push('\n');
        };
        line(
            &self
                .header
                .iter()
                .map(|h| h.to_uppercase())
                .collect::<Vec<_>>(),
        );
        for row in &self.rows {
            line(row);
        }
        out
    }
}
