//! End-to-end tests through the binary: one module per command or concern, a fresh temporary
//! ledger per test, the clock and the recorder pinned so output is deterministic.

mod support;

mod bad_input;
mod concurrency;
mod crash;
mod damage;
mod durability;
mod golden;
mod hostile;
// Needs the validation step (admit); see the module's doc.
#[cfg(feature = "semantic-tests")]
mod hostile_semantic;
mod import_export;
mod properties;
mod tampering;
mod threads;
