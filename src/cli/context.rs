//! What every command gets: where the ledger is, how to print, who records.

use std::path::PathBuf;

use crate::ledger::{Access, Ledger, Options, Recorder};

use super::{Cli, CliError};

pub struct Context {
    pub ledger_dir: PathBuf,
    pub json: bool,
    pub recorder: Recorder,
    /// Long outputs may go through `$PAGER` (not `--no-pager`).
    pub pager: bool,
}

impl Context {
    pub fn from_cli(cli: &Cli) -> Result<Context, CliError> {
        let at = cli.recorded_at;
        // Who records: as asked, else the login name (USER, else the system's account of the
        // running user: cron and containers often set no USER), "unknown" only if nothing says.
        let by = cli
            .recorded_by
            .clone()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| std::env::var("USER").ok().filter(|s| !s.trim().is_empty()))
            .or_else(|| whoami::username().ok().filter(|s| !s.trim().is_empty()))
            .unwrap_or_else(|| "unknown".into());
        // The recorder is stored in every entry it records, as any other text of the ledger.
        if let Some(c) = crate::domain::text::first_refused(&by) {
            return Err(CliError::Usage(format!(
                "--recorded-by / CCM_LEDGER_RECORDER / $USER holds the character U+{:04X}: \
                 control characters and bidirectional overrides are not accepted",
                u32::from(c)
            )));
        }
        Ok(Context {
            ledger_dir: cli.ledger.clone().unwrap_or_else(default_ledger_dir),
            json: cli.json,
            recorder: Recorder { by, at },
            pager: !cli.no_pager,
        })
    }

    pub fn open(&self, access: Access) -> Result<Ledger, CliError> {
        let ledger = Ledger::open_with(&self.ledger_dir, access, self.options())?;
        self.tell(&ledger);
        Ok(ledger)
    }

    /// How ledgers are opened: with the clock pinned as the record time is (`--recorded-at`,
    /// `CCM_LEDGER_NOW`), so checkpoints are signed at that time too.
    pub fn options(&self) -> Options {
        Options {
            clock: self.recorder.at,
            ..Options::default()
        }
    }

    /// Prints what the ledger repaired on open (on stderr: never mixed into --json output).
    pub fn tell(&self, ledger: &Ledger) {
        for notice in ledger.notices() {
            eprintln!("note: {}", super::output::printable_lines(notice));
        }
    }
}

/// `$XDG_DATA_HOME/ccm-ledger/default`, else `~/.local/share/ccm-ledger/default`, else
/// `.ccm-ledger` in the working directory.
pub fn default_ledger_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".local/share"))
        });
    match base {
        Some(base) => base.join("ccm-ledger").join("default"),
        None => PathBuf::from(".ccm-ledger"),
    }
}
