use clap::CommandFactory;

use crate::cli::{Cli, CliError};

/// Print shell completions.
///
/// Examples:
///   ccm-ledger completions bash > ~/.local/share/bash-completion/completions/ccm-ledger
///   ccm-ledger completions zsh > "${fpath[1]}/_ccm-ledger"
///   ccm-ledger completions fish > ~/.config/fish/completions/ccm-ledger.fish
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
