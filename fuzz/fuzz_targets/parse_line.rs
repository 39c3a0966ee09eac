//! `jsonl::parse_line` on arbitrary input: refusals are fine, panics are not.
//!     cargo +nightly fuzz run parse_line
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ccm_ledger::domain::jsonl::parse_line(text);
    }
    // The whole reader too: line splitting, the length limit, UTF-8 checks.
    let _ = ccm_ledger::domain::jsonl::read_lines(data);
});
