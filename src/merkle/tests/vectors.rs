//! The pinned test vectors of `tests/data/merkle-vectors.json`: any change to the hashing, the
//! proofs, their JSON form, the keys or the checkpoint note fails here. After a deliberate
//! change of format, `CCM_LEDGER_BLESS=1 cargo test` rewrites the file.

use serde::{Deserialize, Serialize};

use super::*;
use crate::merkle::{
    leaf_hash, parse_and_verify, sign, Checkpoint, ConsistencyProof, InclusionProof, SignerKey,
    VerifierKey,
};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/merkle-vectors.json"
);
const SIZE: u64 = 8;
/// The signing time of the timed checkpoint: 1767225600 POSIX seconds.
const SIGNED_AT: &str = "2026-01-01T00:00:00Z";

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vectors {
    about: Vec<String>,
    entry_hashes: Vec<String>,
    leaf_hashes: Vec<String>,
    roots: Vec<SizedRoot>,
    inclusion: Vec<InclusionProof>,
    consistency: Vec<ConsistencyProof>,
    checkpoint: CheckpointVector,
    timed_checkpoint: CheckpointVector,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SizedRoot {
    size: u64,
    root: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckpointVector {
    signer_key: String,
    verifier_key: String,
    note: String,
}

fn generate() -> Vectors {
    let e = entries(SIZE);
    let tree = tree_of(&e);
    let key = SignerKey::from_seed(
        "ccm-ledger/vectors",
        *blake3::hash(b"ccm-ledger merkle vectors key").as_bytes(),
    )
    .unwrap();
    let checkpoint = Checkpoint {
        origin: "ccm-ledger/vectors".into(),
        size: SIZE,
        root: tree.root(),
        signed_at: None,
    };
    let timed = Checkpoint {
        signed_at: Some(crate::domain::Timestamp::parse(SIGNED_AT).unwrap()),
        ..checkpoint.clone()
    };
    Vectors {
        about: [
            "ccm-ledger Merkle tree test vectors; see docs/FORMAT.md.",
            "entry_hashes[i] = blake3(i as u64 little-endian), i = 0..8.",
            "leaf = blake3(0x00 || entry hash); node = blake3(0x01 || left || right); root of size 0 = blake3(\"\").",
            "inclusion: every leaf of every size 1..=8; consistency: every 1 <= from <= to <= 8.",
            "checkpoint: the tree of size 8, signed by the key whose seed is blake3(\"ccm-ledger merkle vectors key\"), without a signing time (as before ccm-ledger recorded it).",
            "timed_checkpoint: the same, signed at 2026-01-01T00:00:00Z: the extension line \"time 1767225600\".",
        ]
        .map(String::from)
        .to_vec(),
        entry_hashes: e.iter().map(|h| h.to_hex()).collect(),
        leaf_hashes: e.iter().map(|h| leaf_hash(h).to_hex()).collect(),
        roots: (0..=SIZE)
            .map(|size| SizedRoot {
                size,
                root: tree.root_at(size).unwrap().to_hex(),
            })
            .collect(),
        inclusion: (1..=SIZE)
            .flat_map(|size| (0..size).map(move |seq| (seq, size)))
            .map(|(seq, size)| tree.prove_inclusion(seq, size, &e[seq as usize]).unwrap())
            .collect(),
        consistency: (1..=SIZE)
            .flat_map(|to| (1..=to).map(move |from| (from, to)))
            .map(|(from, to)| tree.prove_consistency(from, to).unwrap())
            .collect(),
        checkpoint: CheckpointVector {
            signer_key: key.to_text(),
            verifier_key: key.verifier().to_text(),
            note: sign(&checkpoint, &key).unwrap(),
        },
        timed_checkpoint: CheckpointVector {
            signer_key: key.to_text(),
            verifier_key: key.verifier().to_text(),
            note: sign(&timed, &key).unwrap(),
        },
    }
}

fn pinned() -> String {
    std::fs::read_to_string(PATH)
        .expect("tests/data/merkle-vectors.json is missing; CCM_LEDGER_BLESS=1 writes it")
}

#[test]
fn the_pinned_vectors_are_what_the_code_computes() {
    let text = serde_json::to_string_pretty(&generate()).unwrap() + "\n";
    if std::env::var_os("CCM_LEDGER_BLESS").is_some() {
        std::fs::write(PATH, &text).unwrap();
    }
    assert!(
        pinned() == text,
        "the Merkle format changed: tests/data/merkle-vectors.json no longer matches"
    );
}

/// What an outside verifier does with the file alone: every proof checks against the roots,
/// and the checkpoint against the verifier key.
#[test]
fn the_pinned_vectors_verify_on_their_own() {
    let v: Vectors = serde_json::from_str(&pinned()).unwrap();
    let root = |size: u64| TreeHash::from_hex(&v.roots[size as usize].root).unwrap();
    for (entry, leaf) in v.entry_hashes.iter().zip(&v.leaf_hashes) {
        let entry = EntryHash::from_hex(entry).unwrap();
        assert_eq!(leaf_hash(&entry).to_hex(), *leaf);
    }
    assert_eq!(v.inclusion.len(), 36);
    for proof in &v.inclusion {
        assert_eq!(proof.verify(&root(proof.size)), Ok(()), "{proof:?}");
    }
    assert_eq!(v.consistency.len(), 36);
    for proof in &v.consistency {
        assert_eq!(
            proof.verify(&root(proof.from), &root(proof.to)),
            Ok(()),
            "{proof:?}"
        );
    }
    let verifier = VerifierKey::parse(&v.checkpoint.verifier_key).unwrap();
    let checkpoint = parse_and_verify(&v.checkpoint.note, &verifier).unwrap();
    assert_eq!((checkpoint.size, checkpoint.root), (SIZE, root(SIZE)));
    assert_eq!(checkpoint.signed_at, None);
    let verifier = VerifierKey::parse(&v.timed_checkpoint.verifier_key).unwrap();
    let timed = parse_and_verify(&v.timed_checkpoint.note, &verifier).unwrap();
    assert_eq!((timed.size, timed.root), (SIZE, root(SIZE)));
    assert_eq!(
        timed.signed_at.map(|t| t.to_string()).as_deref(),
        Some(SIGNED_AT)
    );
    assert!(v.timed_checkpoint.note.contains("\ntime 1767225600\n\n"));
}
