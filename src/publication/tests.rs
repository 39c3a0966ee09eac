//! The reader against hostile publications, without the binary.

use crate::merkle::{sign, Checkpoint, SignerKey, TreeHash};

use super::{verify_published, FetchError, PublishedError, Source};

fn key() -> SignerKey {
    SignerKey::from_seed("ccm-ledger/test", [5; 32]).unwrap()
}

/// A directory holding only `checkpoint`, of `size` with a made-up root, signed by `key()`.
fn publication_of_size(size: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = Checkpoint {
        origin: "ccm-ledger/test".into(),
        size,
        root: TreeHash([7; 32]),
        signed_at: None,
    };
    std::fs::write(
        dir.path().join("checkpoint"),
        sign(&checkpoint, &key()).unwrap(),
    )
    .unwrap();
    dir
}

#[test]
fn a_checkpoint_of_an_enormous_tree_costs_one_missing_bundle_not_memory_for_its_layout() {
    // A log (its key) claiming 2^60 entries: the reader must not lay out 2^52 bundles first.
    let dir = publication_of_size(1 << 60);
    let source = Source::new(dir.path().to_str().unwrap());
    match verify_published(&source, &key().verifier(), None, None) {
        Err(PublishedError::Fetch(FetchError::Missing { what })) => {
            assert!(what.ends_with("tile/entries/000"), "{what}")
        }
        other => panic!("expected the first bundle missing, got {other:?}"),
    }
}

#[test]
fn an_oversized_file_is_refused_at_its_limit() {
    let dir = publication_of_size(1);
    // One entry bundle may hold at most 256 · (2 + 65,535) bytes; this one is a byte more.
    std::fs::create_dir_all(dir.path().join("tile/entries/000.p")).unwrap();
    std::fs::write(
        dir.path().join("tile/entries/000.p/1"),
        vec![0u8; 256 * 65_537 + 1],
    )
    .unwrap();
    let source = Source::new(dir.path().to_str().unwrap());
    match verify_published(&source, &key().verifier(), None, None) {
        Err(PublishedError::Fetch(FetchError::TooLarge { limit, .. })) => {
            assert_eq!(limit, 256 * 65_537)
        }
        other => panic!("expected a refusal at the limit, got {other:?}"),
    }
}
