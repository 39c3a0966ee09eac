//! The command line: arguments, output, exit codes. The only module that knows clap or prints.

mod commands;
mod context;
mod drafted;
mod error;
mod evidence;
mod exported;
mod findings;
mod holder;
mod moment;
mod outfile;
mod output;
mod page;
mod pager;
mod period;
mod progress;
mod style;
mod witnesses;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::domain::Timestamp;

pub use context::Context;
pub use error::CliError;

const AFTER_HELP: &str = "\
Exit codes:
  0  ok
  1  bad input or operational error (nothing was changed)
  2  usage error
  3  verification failed: the ledger was altered or is damaged, or contradicts its own
     checkpoint or index
  4  continuity-rule findings of severity error
  5  verify: the record verified, but a derived file was wrong and has been rebuilt
  130 interrupted (Ctrl-C) during import or record: nothing was recorded

Environment:
  CCM_LEDGER           the ledger directory, when --ledger is not given
  CCM_LEDGER_NOW       pin the record time of new entries and the signing time of checkpoints
                       (RFC 3339), for reproducible ledgers
  CCM_LEDGER_RECORDER  who records new entries (default: $USER, else the login name)
  NO_COLOR             if set (not empty), no colour unless --color always
  PAGER                the pager for log and history on a terminal (default: less -FRX)

Get started:
  ccm-ledger demo                       build the CCM fixture ledger and tour it
  ccm-ledger who wg-universalization --on 2013-01-15";

/// A tamper-evident ledger of the Convention on Cluster Munitions' machinery: who held which
/// office, when, by which decision, and whether the continuity rules held.
#[derive(Debug, Parser)]
#[command(name = "ccm-ledger", version, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    /// The ledger directory [default: $XDG_DATA_HOME/ccm-ledger/default, or
    /// ~/.local/share/ccm-ledger/default]
    #[arg(long, global = true, env = "CCM_LEDGER", value_name = "DIR")]
    pub ledger: Option<PathBuf>,

    /// Print machine-readable JSON instead of a table (read commands)
    #[arg(long, global = true)]
    pub json: bool,

    /// Pin the record time of new entries and checkpoints' signing time (RFC 3339 UTC)
    #[arg(
        long,
        global = true,
        env = "CCM_LEDGER_NOW",
        value_name = "RFC3339",
        value_parser = Timestamp::parse,
        hide_short_help = true
    )]
    pub recorded_at: Option<Timestamp>,

    /// Who records new entries [default: $USER, else the login name]
    #[arg(
        long,
        global = true,
        env = "CCM_LEDGER_RECORDER",
        value_name = "NAME",
        hide_short_help = true
    )]
    pub recorded_by: Option<String>,

    /// When to colour tables and findings
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t)]
    pub color: style::ColorWhen,

    /// Print long outputs (log, history) straight to the terminal, without $PAGER
    #[arg(long, global = true)]
    pub no_pager: bool,

    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    Demo(commands::demo::Args),
    Init(commands::init::Args),
    Import(commands::import::Args),
    Record(commands::record::Args),
    Export(commands::export::Args),
    Log(commands::log::Args),
    Verify(commands::verify::Args),
    Who(commands::who::Args),
    History(commands::history::Args),
    State(commands::state::Args),
    Committee(commands::committee::Args),
    Check(commands::check::Args),
    Timeline(commands::timeline::Args),
    Report(commands::report::Args),
    Keygen(commands::keygen::Args),
    Checkpoint(commands::checkpoint::Args),
    Prove(commands::prove::Args),
    VerifyProof(commands::verify_proof::Args),
    Publish(commands::publish::Args),
    Witness(commands::witness::Args),
    Completions(commands::completions::Args),
    Man(commands::man::Args),
}

impl Command {
    /// Whether the command can append to the ledger (or create one): only then is "nothing
    /// was changed in the ledger" news to the person reading the error.
    pub fn appends(&self) -> bool {
        matches!(
            self,
            Command::Demo(_) | Command::Init(_) | Command::Import(_) | Command::Record(_)
        )
    }
}

/// Parses `args`, runs the command, and maps the outcome to an exit code; what `main` calls.
pub fn main_with_args(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let appends = cli.command.appends();
    style::set(cli.color);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::BrokenPipe) => ExitCode::SUCCESS,
        Err(e) => {
            e.report(appends);
            ExitCode::from(e.exit_code())
        }
    }
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    let ctx = Context::from_cli(&cli)?;
    match cli.command {
        Command::Init(args) => commands::init::run(&ctx, args),
        Command::Import(args) => commands::import::run(&ctx, args),
        Command::Export(args) => commands::export::run(&ctx, args),
        Command::Record(args) => commands::record::run(&ctx, args),
        Command::Who(args) => commands::who::run(&ctx, args),
        Command::History(args) => commands::history::run(&ctx, args),
        Command::State(args) => commands::state::run(&ctx, args),
        Command::Committee(args) => commands::committee::run(&ctx, args),
        Command::Check(args) => commands::check::run(&ctx, args),
        Command::Log(args) => commands::log::run(&ctx, args),
        Command::Demo(args) => commands::demo::run_demo(&ctx, args),
        Command::Completions(args) => commands::completions::run(args),
        Command::Man(args) => commands::man::run(args),
        Command::Verify(args) => commands::verify::run(&ctx, args),
        Command::Keygen(args) => commands::keygen::run(&ctx, args),
        Command::Checkpoint(args) => commands::checkpoint::run(&ctx, args),
        Command::Prove(args) => commands::prove::run(&ctx, args),
        Command::VerifyProof(args) => commands::verify_proof::run(&ctx, args),
        Command::Publish(args) => commands::publish::run(&ctx, args),
        Command::Witness(args) => commands::witness::run(&ctx, args),
        Command::Timeline(args) => commands::timeline::run(&ctx, args),
        Command::Report(args) => commands::report::run(&ctx, args),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
