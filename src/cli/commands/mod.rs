//! One file per command: its `--help` text, its arguments, and its `run`.

pub mod check;
pub mod checkpoint;
pub mod committee;
pub mod completions;
pub mod demo;
pub mod export;
pub mod history;
pub mod import;
pub mod init;
pub mod keygen;
pub mod log;
pub mod man;
pub mod prove;
pub mod publish;
pub mod record;
pub mod report;
pub mod state;
pub mod timeline;
pub mod verify;
pub mod verify_proof;
pub mod who;
pub mod witness;
