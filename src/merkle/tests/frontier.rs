//! The frontier alone: the same roots as the tree and the definition, pushed leaf by leaf
//! or as aligned subtrees.

use super::entries;
use crate::merkle::{aligned_subtrees, root_of, RootBuilder};

#[test]
fn the_root_builder_has_the_reference_root_at_every_size() {
    let hashes = entries(300);
    let mut roots = RootBuilder::new();
    assert_eq!(roots.root(), root_of(&[]));
    for (i, hash) in hashes.iter().enumerate() {
        roots.push(hash);
        assert_eq!(roots.size(), i as u64 + 1);
        assert_eq!(roots.root(), root_of(&hashes[..=i]), "at size {}", i + 1);
    }
}

/// The subtrees of any run of chunks, pushed whole, give the root of the leaves pushed one
/// by one, at every size from 0 to 2000 and for chunks of every alignment; and the builder
/// stops at the cut on its way, with the root there.
#[test]
fn aligned_subtrees_pushed_whole_give_the_root_of_their_leaves_at_every_size_and_cut() {
    let hashes = entries(2000);
    let mut one_by_one = RootBuilder::new();
    let mut roots = vec![one_by_one.root()];
    for hash in &hashes {
        one_by_one.push(hash);
        roots.push(one_by_one.root());
    }
    for chunk in [1usize, 2, 3, 7, 64, 97, 128, 1000, 2000] {
        // Every size in one chunking; in the others, the small ones, a sample, and each
        // side of every power of two.
        let every = |n: usize| {
            chunk == 97
                || n < 130
                || n.is_multiple_of(67)
                || [n - 1, n, n + 1].iter().any(|m| m.is_power_of_two())
        };
        for n in (0..=2000usize).filter(|&n| every(n)) {
            let cut = (n as u64 * 5 / 9).max(1);
            let mut whole = RootBuilder::new();
            let mut at_cut = None;
            let mut subtrees = Vec::new();
            for (i, entries) in hashes[..n].chunks(chunk).enumerate() {
                subtrees.clear();
                aligned_subtrees((i * chunk) as u64, entries, &[cut], &mut subtrees);
                for &(level, hash) in &subtrees {
                    whole.push_subtree(level, hash);
                    if whole.size() == cut {
                        at_cut = Some(whole.root());
                    }
                }
            }
            assert_eq!(whole.size(), n as u64);
            assert_eq!(whole.root(), roots[n], "{n} leaves in chunks of {chunk}");
            let expected_at_cut = (cut <= n as u64).then(|| roots[cut as usize]);
            assert_eq!(
                at_cut, expected_at_cut,
                "cut {cut} of {n} in chunks of {chunk}"
            );
        }
    }
}
