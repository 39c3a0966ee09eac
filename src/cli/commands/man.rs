use std::path::PathBuf;

use clap::CommandFactory;

use crate::cli::{Cli, CliError};

/// Print the manual page, or write one page per command.
///
/// Without --out-dir, prints ccm-ledger(1) in roff to standard output. With it, writes
/// ccm-ledger.1 and one page per command (ccm-ledger-who.1, ccm-ledger-record-coordinator-elected.1,
/// …) into DIR, created if missing: put DIR on MANPATH, or copy the pages into
/// ~/.local/share/man/man1.
///
/// Examples:
///   ccm-ledger man > ccm-ledger.1            then: man ./ccm-ledger.1
///   ccm-ledger man --out-dir man/man1        then: MANPATH=./man man ccm-ledger-who
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Write a page per command into DIR instead of printing the main page
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let command = Cli::command();
    match args.out_dir {
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(command)
                .render(&mut out)
                .map_err(CliError::io("output"))
        }
        Some(dir) => {
            let context = format!("cannot write the manual pages into {}", dir.display());
            std::fs::create_dir_all(&dir).map_err(CliError::io(&context))?;
            clap_mangen::generate_to(command, &dir).map_err(CliError::io(&context))?;
            eprintln!("wrote the manual pages into {}", dir.display());
            Ok(())
        }
    }
}
