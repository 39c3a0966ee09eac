use super::*;
use crate::merkle::{empty_root, leaf_hash, node_hash, NodeStore, TreeError};

#[test]
fn the_empty_tree_has_the_root_blake3_of_nothing() {
    let tree = MerkleTree::new(MemoryNodeStore::new());
    assert_eq!(tree.root(), TreeHash(*blake3::hash(b"").as_bytes()));
    assert_eq!(tree.root(), empty_root());
    assert_eq!(tree.root_at(0).unwrap(), empty_root());
}

#[test]
fn leaves_and_nodes_are_blake3_with_rfc_6962_prefixes() {
    let e = entries(2);
    let mut leaf = vec![0x00];
    leaf.extend_from_slice(&e[0].0);
    assert_eq!(leaf_hash(&e[0]).0, *blake3::hash(&leaf).as_bytes());
    let (l, r) = (leaf_hash(&e[0]), leaf_hash(&e[1]));
    let mut node = vec![0x01];
    node.extend_from_slice(&l.0);
    node.extend_from_slice(&r.0);
    assert_eq!(node_hash(&l, &r).0, *blake3::hash(&node).as_bytes());
    assert_eq!(root_of(&e), node_hash(&l, &r));
}

#[test]
fn the_incremental_root_is_the_rfc_root_at_every_size_up_to_300() {
    let e = entries(300);
    let mut tree = MerkleTree::new(MemoryNodeStore::new());
    assert_eq!(tree.root(), root_of(&[]));
    for n in 1..=300 {
        let root = tree.append(&e[n - 1]).unwrap();
        assert_eq!(root, root_of(&e[..n]), "size {n}");
        assert_eq!(tree.root(), root);
    }
    for n in 0..=300 {
        assert_eq!(
            tree.root_at(n as u64).unwrap(),
            root_of(&e[..n]),
            "size {n}"
        );
    }
}

#[test]
fn a_tree_of_n_leaves_stores_its_2n_minus_popcount_perfect_nodes() {
    for n in [1u64, 2, 3, 7, 8, 100, 255, 256] {
        let tree = tree_of(&entries(n));
        assert_eq!(
            tree.store().len() as u64,
            2 * n - u64::from(n.count_ones()),
            "size {n}"
        );
    }
}

#[test]
fn every_subtree_hash_is_the_rfc_hash_of_its_range() {
    let e = entries(40);
    let tree = tree_of(&e);
    for a in 0..40 {
        for b in a + 1..=40 {
            assert_eq!(
                tree.subtree_hash(a as u64, b as u64).unwrap(),
                root_of(&e[a..b]),
                "[{a}, {b})"
            );
        }
    }
    assert!(matches!(
        tree.subtree_hash(3, 3),
        Err(TreeError::BadRange { .. })
    ));
    assert!(matches!(
        tree.subtree_hash(0, 41),
        Err(TreeError::BadRange { .. })
    ));
}

#[test]
fn proofs_are_the_rfc_9162_paths_and_subproofs() {
    let e = entries(70);
    let tree = tree_of(&e);
    for n in 1..=70 {
        for m in 0..n {
            assert_eq!(
                tree.inclusion_path(m as u64, n as u64).unwrap(),
                reference_path(m, &e[..n]),
                "PATH({m}, D[{n}])"
            );
        }
        for m in 1..n {
            assert_eq!(
                tree.consistency_path(m as u64, n as u64).unwrap(),
                reference_subproof(m, &e[..n], true),
                "PROOF({m}, D[{n}])"
            );
        }
        assert_eq!(tree.consistency_path(0, n as u64).unwrap(), vec![]);
        assert_eq!(tree.consistency_path(n as u64, n as u64).unwrap(), vec![]);
    }
}

#[test]
fn a_reopened_tree_goes_on_where_it_stopped() {
    let e = entries(50);
    for n in 0..50 {
        let store = tree_of(&e[..n]).into_store();
        let mut tree = MerkleTree::open(store, n as u64).unwrap();
        assert_eq!(tree.root(), root_of(&e[..n]));
        for (i, entry) in e.iter().enumerate().skip(n) {
            assert_eq!(tree.append(entry).unwrap(), root_of(&e[..=i]));
        }
    }
}

#[test]
fn opening_a_store_that_lacks_a_node_fails() {
    let store = tree_of(&entries(5)).into_store();
    assert!(matches!(
        MerkleTree::open(store, 6),
        Err(TreeError::MissingNode { level: 1, index: 2 })
    ));
}

#[test]
fn sizes_and_indexes_past_the_tree_are_errors() {
    let e = entries(5);
    let tree = tree_of(&e);
    assert!(matches!(
        tree.root_at(6),
        Err(TreeError::SizeOutOfRange {
            size: 6,
            tree_size: 5
        })
    ));
    assert!(matches!(
        tree.inclusion_path(3, 3),
        Err(TreeError::IndexOutOfRange { index: 3, size: 3 })
    ));
    assert!(matches!(
        tree.inclusion_path(0, 6),
        Err(TreeError::SizeOutOfRange { .. })
    ));
    assert!(matches!(
        tree.consistency_path(4, 3),
        Err(TreeError::SizesOutOfOrder { from: 4, to: 3 })
    ));
    assert!(matches!(
        tree.consistency_path(2, 6),
        Err(TreeError::SizeOutOfRange { .. })
    ));
    assert!(matches!(
        tree.leaf(5),
        Err(TreeError::IndexOutOfRange { .. })
    ));
    assert!(matches!(
        tree.prove_inclusion(2, 5, &e[3]),
        Err(TreeError::LeafMismatch { index: 2, .. })
    ));
}

/// A store whose puts fail after a budget, to check that a failed append changes nothing.
#[derive(Default)]
struct FailingStore {
    inner: MemoryNodeStore,
    budget: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("disk full")]
struct DiskFull;

impl NodeStore for FailingStore {
    type Error = DiskFull;

    fn get(&self, level: u8, index: u64) -> Result<Option<TreeHash>, DiskFull> {
        Ok(self.inner.get(level, index).unwrap())
    }

    fn put(&mut self, level: u8, index: u64, hash: TreeHash) -> Result<(), DiskFull> {
        if self.budget == 0 {
            return Err(DiskFull);
        }
        self.budget -= 1;
        self.inner.put(level, index, hash).unwrap();
        Ok(())
    }
}

#[test]
fn a_failed_append_changes_nothing_and_can_be_retried() {
    let e = entries(8);
    let mut tree = MerkleTree::new(FailingStore {
        budget: 2 * 7 - 3 + 2, // the 7 first leaves, and 2 of the 4 puts of the 8th
        ..FailingStore::default()
    });
    for entry in &e[..7] {
        tree.append(entry).unwrap();
    }
    let err = tree.append(&e[7]).unwrap_err();
    assert!(matches!(err, TreeError::Store(_)), "{err:?}");
    assert_eq!(tree.size(), 7);
    assert_eq!(tree.root(), root_of(&e[..7]));

    let mut store = tree.into_store();
    store.budget = usize::MAX;
    let mut tree = MerkleTree::open(store, 7).unwrap();
    assert_eq!(tree.append(&e[7]).unwrap(), root_of(&e));
}

#[test]
fn a_tree_built_by_push_has_the_root_and_nodes_of_one_built_by_append() {
    let e = entries(300);
    let mut pushed = MerkleTree::new(MemoryNodeStore::new());
    let appended = tree_of(&e);
    for (i, entry) in e.iter().enumerate() {
        pushed.push(entry).unwrap();
        assert_eq!(pushed.root(), root_of(&e[..=i]), "size {}", i + 1);
    }
    assert_eq!(pushed.store().len(), appended.store().len());
    for n in 0..=300 {
        assert_eq!(pushed.root_at(n).unwrap(), appended.root_at(n).unwrap());
    }
}

#[test]
fn a_failed_push_changes_nothing_and_can_be_retried() {
    let e = entries(8);
    let mut tree = MerkleTree::new(FailingStore {
        budget: 2 * 7 - 3 + 2, // the 7 first leaves, and 2 of the 4 puts of the 8th
        ..FailingStore::default()
    });
    for entry in &e[..7] {
        tree.push(entry).unwrap();
    }
    assert!(matches!(tree.push(&e[7]), Err(TreeError::Store(_))));
    assert_eq!(tree.size(), 7);
    assert_eq!(tree.root(), root_of(&e[..7]));
    let mut store = tree.into_store();
    store.budget = usize::MAX;
    let mut tree = MerkleTree::open(store, 7).unwrap();
    tree.push(&e[7]).unwrap();
    assert_eq!(tree.root(), root_of(&e));
}

#[test]
fn a_tree_hash_is_written_and_read_as_64_lowercase_hex_digits() {
    let root = root_of(&entries(3));
    assert_eq!(TreeHash::from_hex(&root.to_hex()), Some(root));
    assert_eq!(root.to_hex().len(), 64);
    assert_eq!(TreeHash::from_hex(&root.to_hex().to_uppercase()), None);
    assert_eq!(TreeHash::from_hex(&"+f".repeat(32)), None);
    assert_eq!(TreeHash::from_hex(&root.to_hex()[1..]), None);
}
