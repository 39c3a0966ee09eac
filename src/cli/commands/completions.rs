use clap::CommandFactory;

use crate::cli::{Cli, CliError};

/// Print shell completions.
///
/// Examples:
///   ccm-ledger completions bash > ccm-ledger.bash   then: source ccm-ledger.bash
///   ccm-ledger completions zsh > _ccm-ledger        then move it into a directory of $fpath
///   ccm-ledger completions fish > ccm-ledger.fish   then move it into ~/.config/fish/completions/
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The shell
    shell: clap_complete::Shell,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let mut command = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "ccm-ledger", &mut out);
    Ok(())
}
