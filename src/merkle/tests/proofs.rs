use proptest::prelude::*;
use proptest::sample::Index;

use super::*;
use crate::merkle::{
    empty_root, leaf_hash, verify_consistency, verify_inclusion, ConsistencyProof, InclusionProof,
    Proof, ProofError, ProofParseError,
};

fn random_ledger(hashes: &[[u8; 32]]) -> Vec<EntryHash> {
    hashes.iter().copied().map(EntryHash).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn inclusion_proofs_verify_and_fail_when_any_byte_changes(
        hashes in prop::collection::vec(any::<[u8; 32]>(), 1..2000),
        picks in prop::collection::vec((any::<Index>(), any::<Index>()), 4),
        flips in prop::collection::vec((any::<Index>(), 0usize..32, 1u8..=255), 3),
    ) {
        let e = random_ledger(&hashes);
        let tree = tree_of(&e);
        let n = e.len();
        for (leaf, size) in picks {
            let seq = leaf.index(n);
            let size = seq + 1 + size.index(n - seq);
            let root = tree.root_at(size as u64).unwrap();
            prop_assert_eq!(root, root_of(&e[..size]));
            let proof = tree.prove_inclusion(seq as u64, size as u64, &e[seq]).unwrap();
            prop_assert_eq!(proof.verify(&root), Ok(()));
            let leaf = leaf_hash(&e[seq]);
            for &(at, byte, mask) in &flips {
                if !proof.path.is_empty() {
                    let mut bad = proof.clone();
                    let i = at.index(bad.path.len());
                    bad.path[i] = flip(&bad.path[i], byte, mask);
                    prop_assert!(bad.verify(&root).is_err());
                }
                let mut bad = proof.clone();
                bad.entry_hash.0[byte] ^= mask;
                prop_assert!(bad.verify(&root).is_err());
                let bad_leaf = flip(&leaf, byte, mask);
                prop_assert!(
                    verify_inclusion(proof.seq, proof.size, &bad_leaf, &proof.path, &root).is_err()
                );
                prop_assert!(proof.verify(&flip(&root, byte, mask)).is_err());
            }
        }
    }

    #[test]
    fn consistency_proofs_verify_and_fail_when_any_byte_changes(
        hashes in prop::collection::vec(any::<[u8; 32]>(), 1..2000),
        picks in prop::collection::vec((any::<Index>(), any::<Index>()), 4),
        flips in prop::collection::vec((any::<Index>(), 0usize..32, 1u8..=255), 3),
    ) {
        let e = random_ledger(&hashes);
        let tree = tree_of(&e);
        for (to, from) in picks {
            let to = 1 + to.index(e.len());
            let from = 1 + from.index(to);
            let (old, new) = (root_of(&e[..from]), root_of(&e[..to]));
            let proof = tree.prove_consistency(from as u64, to as u64).unwrap();
            prop_assert_eq!(proof.verify(&old, &new), Ok(()));
            for &(at, byte, mask) in &flips {
                if !proof.path.is_empty() {
                    let mut bad = proof.clone();
                    let i = at.index(bad.path.len());
                    bad.path[i] = flip(&bad.path[i], byte, mask);
                    prop_assert!(bad.verify(&old, &new).is_err());
                }
                prop_assert!(proof.verify(&flip(&old, byte, mask), &new).is_err());
                prop_assert!(proof.verify(&old, &flip(&new, byte, mask)).is_err());
            }
        }
    }

    #[test]
    fn parsing_any_text_never_panics(text in ".{0,300}") {
        let _ = Proof::parse(&text);
    }

    #[test]
    fn a_damaged_proof_never_panics_the_parser_nor_verifies_for_its_size(
        at in any::<Index>(),
        replacement in any::<char>(),
    ) {
        let e = entries(13);
        let tree = tree_of(&e);
        let proof = tree.prove_inclusion(5, 13, &e[5]).unwrap();
        let mut chars: Vec<char> = proof.to_json().chars().collect();
        let i = at.index(chars.len());
        chars[i] = replacement;
        let text: String = chars.into_iter().collect();
        if let Ok(parsed) = InclusionProof::parse(&text) {
            if parsed != proof && parsed.size == proof.size {
                prop_assert!(parsed.verify(&tree.root()).is_err());
            }
        }
    }
}

/// RFC 9162 verification trusts that `root` is the root of the tree of the proof's size: the
/// proof of leaf 5 in the tree of 13 leaves also walks as one in the tree of 14. Whoever checks
/// a proof against a checkpoint must check that the sizes agree.
#[test]
fn a_proof_is_only_as_good_as_the_root_of_its_size() {
    let e = entries(13);
    let tree = tree_of(&e);
    let mut proof = tree.prove_inclusion(5, 13, &e[5]).unwrap();
    proof.size = 14;
    assert_eq!(proof.verify(&tree.root()), Ok(()));
}
#[test]
fn inclusion_proofs_fail_for_any_other_leaf_index() {
    let e = entries(16);
    let tree = tree_of(&e);
    for n in 1..=16u64 {
        let root = tree.root_at(n).unwrap();
        for m in 0..n {
            let path = tree.inclusion_path(m, n).unwrap();
            let leaf = leaf_hash(&e[m as usize]);
            assert_eq!(verify_inclusion(m, n, &leaf, &path, &root), Ok(()));
            for other in (0..n + 2).filter(|&o| o != m) {
                assert!(
                    verify_inclusion(other, n, &leaf, &path, &root).is_err(),
                    "leaf {m} of {n} passes as leaf {other}"
                );
            }
        }
    }
}

#[test]
fn consistency_proofs_fail_for_any_other_old_size() {
    let e = entries(16);
    let tree = tree_of(&e);
    for n in 2..=16u64 {
        for m in 1..n {
            let path = tree.consistency_path(m, n).unwrap();
            let (old, new) = (tree.root_at(m).unwrap(), tree.root_at(n).unwrap());
            assert_eq!(verify_consistency(m, n, &old, &new, &path), Ok(()));
            // (As with inclusion, only the root of `n` binds the proof to `n`.)
            for m2 in (0..=n).filter(|&m2| m2 != m) {
                assert!(
                    verify_consistency(m2, n, &old, &new, &path).is_err(),
                    "{m}→{n} passes as {m2}→{n}"
                );
            }
            let mut longer = path.clone();
            longer.push(old);
            assert!(verify_consistency(m, n, &old, &new, &longer).is_err());
            assert!(verify_consistency(m, n, &old, &new, &path[1..]).is_err());
        }
    }
}

#[test]
fn consistency_from_the_empty_tree_or_to_the_same_size_has_an_empty_path() {
    let e = entries(5);
    let tree = tree_of(&e);
    let root = tree.root();
    assert_eq!(verify_consistency(0, 5, &empty_root(), &root, &[]), Ok(()));
    assert_eq!(
        verify_consistency(0, 0, &empty_root(), &empty_root(), &[]),
        Ok(())
    );
    assert_eq!(verify_consistency(5, 5, &root, &root, &[]), Ok(()));
    assert!(verify_consistency(0, 5, &root, &root, &[]).is_err());
    assert!(verify_consistency(5, 5, &root, &empty_root(), &[]).is_err());
    assert_eq!(
        verify_consistency(5, 5, &root, &root, &[root]),
        Err(ProofError::PathNotEmpty)
    );
    assert_eq!(
        verify_consistency(3, 2, &root, &root, &[]),
        Err(ProofError::SizesOutOfOrder { from: 3, to: 2 })
    );
    assert_eq!(
        verify_consistency(2, 5, &root, &root, &[]),
        Err(ProofError::PathTooShort)
    );
}

#[test]
fn proofs_read_back_what_they_write() {
    let e = entries(7);
    let tree = tree_of(&e);
    let inclusion = tree.prove_inclusion(2, 7, &e[2]).unwrap();
    let text = inclusion.to_json();
    assert!(text.starts_with(r#"{"kind":"inclusion","seq":2,"size":7,"entry_hash":""#));
    assert_eq!(InclusionProof::parse(&text), Ok(inclusion.clone()));
    assert_eq!(Proof::parse(&text), Ok(Proof::Inclusion(inclusion.clone())));
    assert_eq!(serde_json::to_string(&inclusion).unwrap(), text);

    let consistency = tree.prove_consistency(3, 7).unwrap();
    let text = consistency.to_json();
    assert!(text.starts_with(r#"{"kind":"consistency","from":3,"to":7,"path":[""#));
    assert_eq!(ConsistencyProof::parse(&text), Ok(consistency.clone()));
    assert_eq!(
        serde_json::from_str::<ConsistencyProof>(&text).unwrap(),
        consistency
    );
    assert_eq!(
        InclusionProof::parse(&text),
        Err(ProofParseError::WrongKind {
            expected: "inclusion",
            found: "consistency"
        })
    );
}

#[test]
fn malformed_proofs_are_rejected_with_a_reason() {
    let h = "ab".repeat(32);
    let cases = [
        ("", "not a proof"),
        ("{}", "not a proof"),
        (r#"{"kind":"inclusion"}"#, "not a proof"),
        (
            r#"{"kind":"audit","from":1,"to":2,"path":[]}"#,
            "not a proof",
        ),
        (
            r#"{"kind":"consistency","from":1,"to":2,"path":[],"root":"x"}"#,
            "not a proof",
        ),
        (
            r#"{"kind":"consistency","from":-1,"to":2,"path":[]}"#,
            "not a proof",
        ),
        (
            r#"{"kind":"consistency","from":1,"to":18446744073709551616,"path":[]}"#,
            "not a proof",
        ),
        (
            &format!(
                r#"{{"kind":"consistency","from":1,"to":2,"path":["{}"]}}"#,
                h.to_uppercase()
            ),
            "path[0] is not",
        ),
        (
            &format!(
                r#"{{"kind":"consistency","from":1,"to":2,"path":["{h}","{}"]}}"#,
                &h[1..]
            ),
            "path[1] is not",
        ),
        (
            &format!(r#"{{"kind":"inclusion","seq":1,"size":2,"entry_hash":"{h}0","path":[]}}"#),
            "entry_hash is not",
        ),
    ];
    for (text, reason) in cases {
        let err = Proof::parse(text).unwrap_err().to_string();
        assert!(err.starts_with(reason), "{text}: {err}");
    }
}
