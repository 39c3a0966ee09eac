fn main() -> std::process::ExitCode {
    ccm_ledger::cli::main_with_args(std::env::args_os())
}
