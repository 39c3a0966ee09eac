//! One file per command: its `--help` text, its arguments, and its `run`.

mod admit;
pub mod completions;
pub mod export;
pub mod import;
pub mod init;
pub mod log;
pub mod record;
pub mod verify;
