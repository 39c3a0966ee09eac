//! The one error type of the command line, and the exit code of each failure.

use std::io;

use crate::ledger::{LedgerError, Tampering};
use crate::publication::{FetchError, PublishedError};

/// Why a command failed. Each maps to a documented exit code (see `--help`).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: the messages already say where (file:line: field …). Exit 1.
    #[error("{}", .0.join("\n"))]
    Input(Vec<String>),
    /// A usage problem clap could not see (e.g. an unknown body named on the command line).
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("verification failed: {0}")]
    Tampered(Tampering),
    /// An export, a checkpoint or a proof that does not verify. Exit 3.
    #[error("verification failed: {0}")]
    NotVerified(String),
    /// `verify`: the record verified, but a derived file disagreed with what the journal
    /// gives and has been rebuilt (the message names it). Exit 5.
    #[error("derived data was wrong and has been rebuilt from the journal (the record itself verified): {0}")]
    DerivedRebuilt(String),
    /// Rule findings of severity error; they were printed already. Exit 4.
    #[error("{0}")]
    Findings(String),
    #[error("{context}: {source}")]
    Io { context: String, source: io::Error },
    /// The reader went away (`ccm-ledger log | head`): not an error.
    #[error("broken pipe")]
    BrokenPipe,
    /// `error` and what to do about it, where only the command knows (the library's errors
    /// say what went wrong; the command line says what to run). Exits as `error` does.
    #[error("{error}")]
    Hinted { error: Box<CliError>, hint: String },
}

impl CliError {
    pub fn input(message: impl Into<String>) -> CliError {
        CliError::Input(vec![message.into()])
    }

    /// This error, with `hint` printed under it.
    pub fn with_hint(self, hint: impl Into<String>) -> CliError {
        CliError::Hinted {
            error: Box::new(self),
            hint: hint.into(),
        }
    }

    /// A publication that could not be read (rather than one that failed verification), with
    /// what to do where this build is the reason.
    pub fn unreadable_publication(e: &PublishedError) -> CliError {
        let error = CliError::input(format!("cannot read the publication: {e}"));
        match e {
            PublishedError::Fetch(FetchError::NoTls { .. }) => error.with_hint(
                "build ccm-ledger with `--features https` for TLS, or fetch the directory another way and verify it there",
            ),
            _ => error,
        }
    }

    pub fn io(context: impl Into<String>) -> impl FnOnce(io::Error) -> CliError {
        let context = context.into();
        move |source| {
            if source.kind() == io::ErrorKind::BrokenPipe {
                CliError::BrokenPipe
            } else {
                CliError::Io { context, source }
            }
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) | CliError::Io { .. } => 1,
            CliError::Usage(_) => 2,
            CliError::Ledger(LedgerError::Corrupted { .. })
            | CliError::Ledger(LedgerError::Contradicted { .. }) => 3,
            // 128 + SIGINT, as a shell reports a command stopped by Ctrl-C.
            CliError::Ledger(LedgerError::Interrupted) => 130,
            CliError::Ledger(_) => 1,
            CliError::Tampered(_) | CliError::NotVerified(_) => 3,
            CliError::Findings(_) => 4,
            CliError::DerivedRebuilt(_) => 5,
            CliError::BrokenPipe => 0,
            CliError::Hinted { error, .. } => error.exit_code(),
        }
    }

    /// Prints the error for a person, with a hint where one helps. `appends`: the command
    /// could have changed the ledger, so that it changed nothing is worth saying.
    pub fn report(&self, appends: bool) {
        if let CliError::Hinted { error, hint } = self {
            error.report(appends);
            eprintln!("hint: {}", super::output::printable_lines(hint));
            return;
        }
        if let CliError::Ledger(LedgerError::Interrupted) = self {
            eprintln!("{self}");
            return;
        }
        if let CliError::DerivedRebuilt(_) = self {
            // Not a failure of the command: what it found, and repaired.
            eprintln!(
                "warning: {}",
                super::output::printable_lines(&self.to_string())
            );
            eprintln!("hint: someone or something changed files in the ledger directory; the answers are right again, and `ccm-ledger verify` now exits 0");
            return;
        }
        // Messages quote input and ledger text: shown, never obeyed by the terminal.
        eprintln!(
            "error: {}",
            super::output::printable_lines(&self.to_string())
        );
        let hint = match self {
            CliError::Ledger(LedgerError::InUse(_)) => {
                Some("wait for the other process to finish, then run the command again")
            }
            CliError::Ledger(LedgerError::NotALedger(_)) => {
                Some("create one with `ccm-ledger init`, or point --ledger (or CCM_LEDGER) at an existing ledger")
            }
            CliError::Input(_) if appends => Some("nothing was changed in the ledger"),
            CliError::Ledger(LedgerError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::StorageFull =>
            {
                Some("the disk holding that file is full: free some space there, then run the command again")
            }
            // The damage found on opening is what a quick look sees; `verify` reads every
            // entry and names the first bad one.
            CliError::Ledger(LedgerError::Corrupted { .. }) => Some(
                "run `ccm-ledger verify`: it checks every entry and names the first that is wrong",
            ),
            CliError::Ledger(LedgerError::Contradicted { .. }) => Some(
                "nothing was appended or signed; restore the journal and the head file from a copy you trust, or, if this journal is the one to keep, move the evidence named above aside (keep it)",
            ),
            _ => None,
        };
        if let Some(hint) = hint {
            eprintln!("hint: {hint}");
        }
    }
}

impl From<io::Error> for CliError {
    fn from(source: io::Error) -> CliError {
        CliError::io("output")(source)
    }
}
