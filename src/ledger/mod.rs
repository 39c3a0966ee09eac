//! The ledger: entries, their encoding and hash chain, the journal that is the truth, the
//! head file that acknowledges it, and verification.

mod entry;

pub use entry::{
    event_fingerprint, DecodeError, Entry, EntryHash, HASH_CONTEXT, MAX_ENTRY_BYTES, SCHEMA_VERSION,
};
