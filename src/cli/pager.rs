//! Long outputs (`log`, `history`) through a pager on a terminal, as git and jj do: `$PAGER`
//! (default `less -FRX`: it quits at once when the text fits the screen, keeps colours, and
//! leaves the text on the screen), never when stdout is not a terminal or with `--no-pager`.

use std::io::{IsTerminal, Write};
use std::process::{Child, Command, Stdio};

use super::CliError;

/// Where a long output is written: the pager's input, or stdout.
pub struct Paged {
    pager: Option<Child>,
}

impl Paged {
    /// Starts the pager if one should run (stdout a terminal, `use_pager`, `$PAGER` not empty
    /// or `cat`); if it cannot start, the text goes to stdout.
    pub fn start(use_pager: bool) -> Paged {
        if !use_pager || !std::io::stdout().is_terminal() {
            return Paged { pager: None };
        }
        let pager = std::env::var("PAGER").unwrap_or_else(|_| "less".to_owned());
        if pager.trim().is_empty() || pager.trim() == "cat" {
            return Paged { pager: None };
        }
        let mut command = Command::new("sh");
        command.args(["-c", &pager]).stdin(Stdio::piped());
        if std::env::var_os("LESS").is_none() {
            command.env("LESS", "FRX");
        }
        Paged {
            pager: command.spawn().ok(),
        }
    }

    /// Writes all of `text`, then waits for the pager (the person reading) to finish.
    pub fn finish_with(mut self, text: &str) -> Result<(), CliError> {
        match self.pager.as_mut() {
            None => super::output::text(text),
            Some(child) => {
                let written = child
                    .stdin
                    .take()
                    .expect("the pager's input was piped")
                    .write_all(text.as_bytes());
                let _ = child.wait();
                match written {
                    // The reader quit the pager before the end: not an error.
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                    other => other.map_err(CliError::io("the pager")),
                }
            }
        }
    }
}
