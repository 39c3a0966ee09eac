//! ccm-ledger: a tamper-evident, event-sourced ledger of the machinery of the Convention on
//! Cluster Munitions. See ARCHITECTURE.md for the map.

pub mod append;
pub mod cli;
pub mod domain;
#[cfg(test)]
mod layers;
pub mod ledger;
pub mod merkle;
pub mod projection;
pub mod publication;
pub mod report;
pub mod rules;
pub mod timeline;
pub mod validate;
pub mod witness;
