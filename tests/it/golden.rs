//! The binary format is frozen: a fixed event list always yields the same bytes and hashes.
//! If this test fails, an encoder change altered the format of entries: that breaks every
//! existing ledger. Bump the schema version and add an upcaster instead (src/ledger/entry.rs).

use crate::support::*;

/// The head hash of SMALL recorded at NOW by "test".
const SMALL_HEAD: &str = "deb558004993e5e4276f8d9ac7f747eaf29079eceb245d292459407cd90e1e85";
/// The bytes of entry 0 of SMALL.
const ENTRY_0_HEX: &str =
    "0100fc0072abd200047465737400000000000000000000000000000000000000000000000000000000000000000000034e4f52064e6f72776179fce4ee4a00";

#[test]
fn the_head_hash_and_entry_bytes_of_a_fixed_event_list_are_pinned() {
    let env = TestEnv::new();
    env.import(SMALL);
    let verified = env.run(&["verify", "--json"]).ok().json();
    assert_eq!(verified["head"], SMALL_HEAD);

    let journal = std::fs::read(env.ledger().join("journal")).unwrap();
    assert_eq!(&journal[..8], b"CCMJRNL1");
    let len = u32::from_le_bytes(journal[8..12].try_into().unwrap()) as usize;
    let entry0: String = journal[12..12 + len]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(entry0, ENTRY_0_HEX);
}
