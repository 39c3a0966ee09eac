//! Tiles (c2sp.org/tlog-tiles): paths and layout pinned against the spec's own examples, and
//! each tile's hashes against the tree's roots.

use super::entries;
use crate::merkle::tiles::{
    bundle_bytes, encode_index, entry_bundles, hash_tiles, level_above, perfect_root, split_bundle,
    tiles_at_level, Tile,
};
use crate::merkle::{leaf_hash, root_of};

#[test]
fn tile_indexes_are_three_digit_path_elements_all_but_the_last_prefixed_with_x() {
    // The spec's example: index 1234067 is x001/x234/067.
    assert_eq!(encode_index(1234067), "x001/x234/067");
    assert_eq!(encode_index(0), "000");
    assert_eq!(encode_index(5), "005");
    assert_eq!(encode_index(1000), "x001/000");
    assert_eq!(encode_index(u64::MAX), "x018/x446/x744/x073/x709/x551/615");
}

#[test]
fn full_and_partial_tiles_have_the_paths_of_the_spec() {
    let full = Tile {
        level: Some(0),
        index: 1234067,
        width: 256,
    };
    assert_eq!(full.path(), "tile/0/x001/x234/067");
    let partial = Tile {
        level: Some(2),
        index: 0,
        width: 1,
    };
    assert_eq!(partial.path(), "tile/2/000.p/1");
    let bundle = Tile {
        level: None,
        index: 3,
        width: 112,
    };
    assert_eq!(bundle.path(), "tile/entries/003.p/112");
}

#[test]
fn a_tree_of_70000_is_the_spec_s_example_layout() {
    // "273 full level 0 tiles, one partial level 0 tile of width 112, one full level 1 tile,
    // one partial level 1 tile of width 17, and one partial level 2 tile of width 1."
    let level0: Vec<_> = tiles_at_level(70_000, 0).collect();
    assert_eq!(level0.iter().filter(|t| t.is_full()).count(), 273);
    assert_eq!(level0.last().unwrap().width, 112);
    let level1: Vec<_> = tiles_at_level(70_000, 1).collect();
    assert_eq!(
        level1.iter().map(|t| t.width).collect::<Vec<_>>(),
        [256, 17]
    );
    assert_eq!(
        tiles_at_level(70_000, 2)
            .map(|t| t.width)
            .collect::<Vec<_>>(),
        [1]
    );
    assert_eq!(hash_tiles(70_000).count(), 274 + 2 + 1);
    assert_eq!(entry_bundles(70_000).count(), 274);
    // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1
    // tile of width 1."
    assert_eq!(
        hash_tiles(256).collect::<Vec<_>>(),
        [
            Tile {
                level: Some(0),
                index: 0,
                width: 256
            },
            Tile {
                level: Some(1),
                index: 0,
                width: 1
            }
        ]
    );
    assert_eq!(hash_tiles(0).count(), 0);
    // Any size a checkpoint may claim is laid out lazily.
    assert_eq!(
        entry_bundles(u64::MAX).nth(3),
        Some(Tile {
            level: None,
            index: 3,
            width: 256
        })
    );
}

#[test]
fn a_hash_of_level_one_is_the_root_of_a_full_tile_of_level_zero() {
    let entries = entries(1024);
    let leaves: Vec<_> = entries.iter().map(leaf_hash).collect();
    let level1 = level_above(&leaves);
    assert_eq!(level1.len(), 4);
    assert_eq!(level1[2], root_of(&entries[512..768]));
    assert_eq!(perfect_root(&level1), root_of(&entries));
    // A partial group makes no hash above it.
    assert_eq!(level_above(&leaves[..300]).len(), 1);
}

#[test]
fn bundles_are_u16_length_prefixed_entries() {
    let bytes = bundle_bytes([&b"ab"[..], &b""[..], &b"xyz"[..]]).unwrap();
    assert_eq!(bytes, b"\x00\x02ab\x00\x00\x00\x03xyz");
    assert_eq!(
        split_bundle(&bytes).unwrap(),
        [&b"ab"[..], &b""[..], &b"xyz"[..]]
    );
    assert_eq!(
        split_bundle(&bytes[..8]),
        Err(6),
        "a length longer than what follows"
    );
    assert_eq!(split_bundle(&bytes[..7]), Err(6), "half a length");
    assert_eq!(split_bundle(b"\x00"), Err(0));
    assert!(bundle_bytes([&vec![0u8; 65_536][..]]).is_none());
}
