//! End-to-end tests through the binary: one module per command or concern, a fresh temporary
//! ledger per test, the clock and the recorder pinned so output is deterministic.

mod support;

mod bad_input;
mod bounds;
mod check;
mod concurrency;
mod contract;
mod corrections;
mod crash;
mod damage;
mod durability;
mod examples;
mod fixture;
mod golden;
mod hostile;
mod hostile_semantic;
mod hostile_text;
mod import_export;
mod interrupted;
mod manual;
mod messages;
mod outputs;
mod pictures;
mod proofs;
mod properties;
mod publish;
mod queries;
mod seats;
mod signing_time;
mod slice_attack;
mod snapshot_attack;
mod snapshots;
mod spreadsheet;
mod tampering;
mod terminal;
mod threads;
mod trust;
mod whatif;
mod witness;
