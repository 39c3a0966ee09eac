//! `Entry::decode` on arbitrary bytes: refusals are fine, panics are not.
//!     cargo +nightly fuzz run entry_decode
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ccm_ledger::ledger::Entry::decode(data);
});
