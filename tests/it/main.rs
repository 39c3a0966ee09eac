//! End-to-end tests through the binary: one module per command or concern, a fresh temporary
//! ledger per test, the clock and the recorder pinned so output is deterministic.

mod support;

mod bad_input;
mod concurrency;
mod golden;
mod import_export;
mod pictures;
mod queries;
mod tampering;
