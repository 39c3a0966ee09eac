use super::*;
use crate::merkle::{
    generate_key, open_note, parse_and_verify, sign, sign_note, Checkpoint, CheckpointError,
    KeyError, NoteError, SignerKey, VerifierKey,
};

// The example of Go's golang.org/x/mod/sumdb/note documentation, an independent
// implementation of the signed-note format.
const GO_SIGNER: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_VERIFIER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                       then you don't know what your problem is.\n";
const GO_SIGNATURE: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

fn signer() -> SignerKey {
    SignerKey::from_seed("ccm-ledger/test", [7; 32]).unwrap()
}

fn checkpoint() -> Checkpoint {
    let e = entries(8);
    Checkpoint {
        origin: "ccm-ledger/test".into(),
        size: 8,
        root: root_of(&e),
        signed_at: None,
    }
}

#[test]
fn keys_and_signatures_match_the_go_note_package_byte_for_byte() {
    let signer = SignerKey::parse(GO_SIGNER).unwrap();
    assert_eq!(signer.to_text(), GO_SIGNER);
    assert_eq!(signer.key_id(), 0xc74f20a3);
    let verifier = VerifierKey::parse(GO_VERIFIER).unwrap();
    assert_eq!(signer.verifier(), verifier);
    assert_eq!(verifier.to_text(), GO_VERIFIER);

    let note = sign_note(GO_TEXT, &signer).unwrap();
    assert_eq!(note, format!("{GO_TEXT}\n{GO_SIGNATURE}"));
    assert_eq!(open_note(&note, &verifier), Ok(GO_TEXT));
}

#[test]
fn the_signed_note_spec_example_verifies() {
    let verifier =
        VerifierKey::parse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
            .unwrap();
    let note = "This is an example message.\n\n— example.com/foo \
                Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
    assert_eq!(
        open_note(note, &verifier),
        Ok("This is an example message.\n")
    );
}

#[test]
fn a_checkpoint_reads_back_from_its_signed_note() {
    let note = sign(&checkpoint(), &signer()).unwrap();
    let body = format!(
        "ccm-ledger/test\n8\n{}\n",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            checkpoint().root.0
        )
    );
    assert!(
        note.starts_with(&format!("{body}\n— ccm-ledger/test ")),
        "{note}"
    );
    assert_eq!(
        parse_and_verify(&note, &signer().verifier()),
        Ok(checkpoint())
    );
}

#[test]
fn generated_keys_sign_and_verify_and_their_text_forms_read_back() {
    let (signer, verifier) = generate_key("ccm-ledger/generated").unwrap();
    assert_eq!(
        SignerKey::parse(&signer.to_text()).unwrap().verifier(),
        verifier
    );
    assert_eq!(
        VerifierKey::parse(&format!("{verifier}\n")),
        Ok(verifier.clone())
    );
    let note = sign(&checkpoint(), &signer).unwrap();
    assert_eq!(parse_and_verify(&note, &verifier), Ok(checkpoint()));
    assert!(!format!("{signer:?}").contains(&signer.to_text()[30..]));
}

#[test]
fn a_note_signed_by_another_key_is_rejected() {
    let note = sign(&checkpoint(), &signer()).unwrap();
    let (_, other) = generate_key("ccm-ledger/test").unwrap();
    assert!(matches!(
        parse_and_verify(&note, &other),
        Err(CheckpointError::Note(NoteError::NotSigned { .. }))
    ));
    let renamed = SignerKey::from_seed("ccm-ledger/other", [7; 32]).unwrap();
    assert!(matches!(
        parse_and_verify(&note, &renamed.verifier()),
        Err(CheckpointError::Note(NoteError::NotSigned { .. }))
    ));
}

#[test]
fn signatures_of_unknown_keys_are_ignored_and_a_bad_known_one_rejects() {
    let note = sign(&checkpoint(), &signer()).unwrap();
    let witness = SignerKey::from_seed("witness.example", [9; 32]).unwrap();
    let cosigned = sign_note(&checkpoint().body().unwrap(), &witness).unwrap();
    let witness_line = cosigned.lines().last().unwrap();
    let both = format!("{note}{witness_line}\n");
    assert_eq!(
        parse_and_verify(&both, &signer().verifier()),
        Ok(checkpoint())
    );
    assert_eq!(
        parse_and_verify(&both, &witness.verifier()),
        Ok(checkpoint())
    );

    // A second, forged signature line with the known key's name and id.
    let line = note.lines().last().unwrap();
    let forged = line.replace(&line[line.len() - 8..], "AAAAAAA=");
    let with_forgery = format!("{note}{forged}\n");
    assert!(matches!(
        parse_and_verify(&with_forgery, &signer().verifier()),
        Err(CheckpointError::Note(NoteError::BadSignature { .. }))
    ));
}

#[test]
fn a_tampered_checkpoint_is_rejected() {
    let note = sign(&checkpoint(), &signer()).unwrap();
    let verifier = signer().verifier();
    let root_b64 = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        checkpoint().root.0,
    );
    let other_root = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        root_of(&entries(7)).0,
    );
    for tampered in [
        note.replacen("\n8\n", "\n9\n", 1),
        note.replacen("\n8\n", "\n08\n", 1),
        note.replacen(&root_b64, &other_root, 1),
        note.replacen("ccm-ledger/test\n", "ccm-ledger/tesT\n", 1),
    ] {
        assert_ne!(tampered, note);
        assert!(matches!(
            parse_and_verify(&tampered, &verifier),
            Err(CheckpointError::Note(NoteError::BadSignature { .. }))
        ));
    }
}

#[test]
fn every_single_byte_change_of_a_signed_checkpoint_is_rejected() {
    let note = sign(&checkpoint(), &signer()).unwrap();
    let verifier = signer().verifier();
    let bytes = note.as_bytes();
    for i in 0..bytes.len() {
        for mask in [0x01, 0x02, 0x20, 0x40, 0x80] {
            let mut changed = bytes.to_vec();
            changed[i] ^= mask;
            if let Ok(text) = String::from_utf8(changed) {
                assert!(
                    parse_and_verify(&text, &verifier).is_err(),
                    "byte {i} ^ {mask:#04x}: {text:?}"
                );
            }
        }
        if note.is_char_boundary(i) {
            assert!(parse_and_verify(&note[..i], &verifier).is_err());
        }
    }
}

#[test]
fn malformed_notes_are_rejected_without_panicking() {
    let verifier = signer().verifier();
    let note = sign(&checkpoint(), &signer()).unwrap();
    let malformed = |text: &str| match parse_and_verify(text, &verifier) {
        Err(CheckpointError::Note(
            NoteError::Malformed(_)
            | NoteError::ControlCharacter
            | NoteError::TooLarge
            | NoteError::TooManySignatures,
        )) => {}
        other => panic!("{text:?}: {other:?}"),
    };
    malformed("");
    malformed("\n\n");
    malformed("ccm-ledger/test\n8\nroot\n");
    malformed(&note.replace('\u{2014}', "-"));
    malformed(&note.replace("\n\n", "\n\n\r"));
    malformed(&note[..note.len() - 1]);
    malformed(&format!("{note}junk\n"));
    malformed(&"x".repeat(2 << 20));
    let line = note.lines().last().unwrap();
    malformed(&format!("{note}{}", format!("{line}\n").repeat(100)));
}

#[test]
fn a_signed_body_must_be_exactly_a_checkpoint() {
    let key = signer();
    let verifier = key.verifier();
    let body = checkpoint().body().unwrap();
    let root_line = body.lines().nth(2).unwrap().to_owned();
    let short = root_line[..root_line.len() - 4].to_owned();
    let cases = [
        "ccm-ledger/test\n8\n".to_owned(),
        format!("\n8\n{root_line}\n"),
        format!("ccm-ledger/test\n+8\n{root_line}\n"),
        format!("ccm-ledger/test\n08\n{root_line}\n"),
        format!("ccm-ledger/test\n 8\n{root_line}\n"),
        format!("ccm-ledger/test\n18446744073709551616\n{root_line}\n"),
        format!("ccm-ledger/test\n8\n{short}\n"),
        format!("ccm-ledger/test\n8\n{}\n", root_line.trim_end_matches('=')),
    ];
    for text in cases {
        let note = sign_note(&text, &key).unwrap();
        assert!(
            matches!(
                parse_and_verify(&note, &verifier),
                Err(CheckpointError::Malformed(_))
            ),
            "{text:?}"
        );
    }
    let zero = Checkpoint {
        size: 0,
        root: crate::merkle::empty_root(),
        ..checkpoint()
    };
    assert_eq!(
        parse_and_verify(&sign(&zero, &key).unwrap(), &verifier),
        Ok(zero)
    );
}

#[test]
fn origins_and_key_names_must_be_single_words() {
    for name in ["", "two words", "a+b", "line\nbreak", "tab\t", "nbsp\u{a0}"] {
        assert!(matches!(
            SignerKey::from_seed(name, [1; 32]),
            Err(KeyError::BadName(_))
        ));
        let cp = Checkpoint {
            origin: name.into(),
            ..checkpoint()
        };
        assert!(matches!(
            sign(&cp, &signer()),
            Err(CheckpointError::BadOrigin(_))
        ));
    }
}

#[test]
fn mangled_key_texts_are_rejected() {
    for key in [GO_SIGNER, GO_VERIFIER] {
        let parse = |text: &str| {
            if key == GO_SIGNER {
                SignerKey::parse(text).map(|_| ())
            } else {
                VerifierKey::parse(text).map(|_| ())
            }
        };
        assert_eq!(parse(key), Ok(()));
        let bytes = key.as_bytes();
        for i in 0..bytes.len() {
            for j in i + 1..=bytes.len() {
                if (i, j) != (0, bytes.len()) {
                    assert!(parse(&key[i..j]).is_err(), "{}", &key[i..j]);
                }
            }
            let mut changed = bytes.to_vec();
            changed[i] = changed[i].wrapping_add(1);
            if let Ok(text) = String::from_utf8(changed) {
                assert!(parse(&text).is_err(), "{text}");
            }
        }
    }
    // The right id for a key of the wrong length or of an unknown type.
    assert!(VerifierKey::parse(
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
    )
    .is_err());
    assert_eq!(
        VerifierKey::parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(KeyError::WrongType {
            found: 0x65,
            wanted: 0x01
        })
    );
}

#[test]
fn proofs_are_checked_against_checkpoints_of_their_own_sizes() {
    use crate::merkle::ProofError;
    let e = entries(14);
    let tree = tree_of(&e);
    let at = |size: u64| Checkpoint {
        origin: "ccm-ledger/test".into(),
        size,
        root: tree.root_at(size).unwrap(),
        signed_at: None,
    };
    let inclusion = tree.prove_inclusion(5, 13, &e[5]).unwrap();
    assert_eq!(at(13).verify_inclusion(&inclusion), Ok(()));
    let mut resized = inclusion.clone();
    resized.size = 14;
    assert_eq!(
        at(13).verify_inclusion(&resized),
        Err(ProofError::SizeMismatch {
            proof: 14,
            checkpoint: 13
        })
    );
    assert!(at(14).verify_inclusion(&resized).is_err());

    let consistency = tree.prove_consistency(5, 13).unwrap();
    assert_eq!(at(5).verify_consistency(&at(13), &consistency), Ok(()));
    assert!(matches!(
        at(5).verify_consistency(&at(14), &consistency),
        Err(ProofError::SizeMismatch { .. })
    ));
    let elsewhere = Checkpoint {
        origin: "ccm-ledger/other".into(),
        ..at(13)
    };
    assert!(matches!(
        at(5).verify_consistency(&elsewhere, &consistency),
        Err(ProofError::OriginMismatch { .. })
    ));
}

// Issue 17, item 6: checkpoints carry the time they were signed.

/// 2026-01-01T00:00:00Z, whole seconds.
fn new_year() -> crate::domain::Timestamp {
    crate::domain::Timestamp::parse("2026-01-01T00:00:00Z").unwrap()
}

fn timed() -> Checkpoint {
    Checkpoint {
        signed_at: Some(new_year()),
        ..checkpoint()
    }
}

/// The text of a checkpoint with `line` as its fourth line, signed by `signer()`.
fn signed_with_line(line: &str) -> String {
    let body = checkpoint().body().unwrap();
    sign_note(&format!("{body}{line}\n"), &signer()).unwrap()
}

#[test]
fn the_signing_time_is_the_fourth_line_of_the_signed_text_and_reads_back() {
    let note = sign(&timed(), &signer()).unwrap();
    let body = checkpoint().body().unwrap();
    assert!(
        note.starts_with(&format!(
            "{body}time 1767225600\n\n\u{2014} ccm-ledger/test "
        )),
        "{note}"
    );
    assert_eq!(parse_and_verify(&note, &signer().verifier()), Ok(timed()));
}

#[test]
fn a_checkpoint_without_a_time_line_still_verifies_and_says_none() {
    let note = sign(&checkpoint(), &signer()).unwrap();
    assert_eq!(
        note.lines().count(),
        5,
        "three lines, the blank, the signature"
    );
    let read = parse_and_verify(&note, &signer().verifier()).unwrap();
    assert_eq!(read.signed_at, None);
}

#[test]
fn changing_the_time_line_breaks_the_signature() {
    let verifier = signer().verifier();
    let note = sign(&timed(), &signer()).unwrap();
    for forged in [
        note.replace("time 1767225600", "time 1767225601"),
        note.replace("time 1767225600", "time 1767225500"),
        note.replace("time 1767225600\n", ""),
    ] {
        assert_ne!(forged, note);
        assert_eq!(
            parse_and_verify(&forged, &verifier),
            Err(CheckpointError::Note(NoteError::BadSignature {
                name: "ccm-ledger/test".into()
            })),
            "{forged}"
        );
    }
}

#[test]
fn a_malformed_time_line_is_refused_naming_the_line_and_why() {
    let verifier = signer().verifier();
    let refused = |line: &str, why: &str| match parse_and_verify(&signed_with_line(line), &verifier)
    {
        Err(e @ CheckpointError::BadTime { line: 4, .. }) => {
            let message = e.to_string();
            assert!(
                message.contains("line 4") && message.contains(why),
                "{line:?}: {message}"
            );
        }
        other => panic!("{line:?}: {other:?}"),
    };
    refused("time", "has no value");
    refused("time ", "has no value");
    refused("time abc", "not a decimal number");
    refused("time -1", "not a decimal number");
    refused("time 1.5", "not a decimal number");
    refused("time +5", "not a decimal number");
    refused("time  5", "not a decimal number");
    refused("time 5 ", "not a decimal number");
    refused("time 0x10", "not a decimal number");
    refused("time ١٢٣", "not a decimal number");
    refused("time 01767225600", "leading zeros");
    refused("time 32503680000", "later than 2999-12-31T23:59:59Z");
    refused(
        "time 18446744073709551616",
        "later than 2999-12-31T23:59:59Z",
    );
    // The latest second accepted, and the first.
    for (line, at) in [
        ("time 32503679999", "2999-12-31T23:59:59Z"),
        ("time 0", "1970-01-01T00:00:00Z"),
    ] {
        let read = parse_and_verify(&signed_with_line(line), &verifier).unwrap();
        assert_eq!(read.signed_at.unwrap().to_string(), at);
    }
}

#[test]
fn a_huge_time_line_is_refused_quoting_only_its_start() {
    let line = format!("time {}", "9".repeat(500_000));
    let error = parse_and_verify(&signed_with_line(&line), &signer().verifier()).unwrap_err();
    let CheckpointError::BadTime { found, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(found.chars().count(), 41, "40 characters and an ellipsis");
    assert!(error.to_string().len() < 400, "{error}");
}

#[test]
fn other_extension_lines_are_refused_naming_the_line() {
    let verifier = signer().verifier();
    let unknown = |text: String, at: usize| {
        let note = sign_note(&text, &signer()).unwrap();
        match parse_and_verify(&note, &verifier) {
            Err(e @ CheckpointError::UnknownExtension { line, .. }) if line == at => {
                assert!(e.to_string().contains(&format!("line {at}")), "{e}");
            }
            other => panic!("{text:?}: {other:?}"),
        }
    };
    let body = checkpoint().body().unwrap();
    unknown(format!("{body}extension\n"), 4);
    unknown(format!("{body}Time 1767225600\n"), 4);
    unknown(format!("{body}timestamp 1767225600\n"), 4);
    unknown(format!("{body}Timestamp: 1767225600000000000\n"), 4);
    unknown(format!("{body}time 1767225600\ntime 1767225600\n"), 5);
    unknown(format!("{body}time 1767225600\nextension\n"), 5);
    // An empty fourth line is not an extension line (C2SP: they are non-empty).
    unknown(format!("{body}\ntime 1767225600\n"), 4);
}

#[test]
fn a_time_the_line_cannot_hold_is_not_signed() {
    let before_1970 = crate::domain::Timestamp::parse("1969-12-31T23:59:59Z").unwrap();
    let checkpoint = Checkpoint {
        signed_at: Some(before_1970),
        ..checkpoint()
    };
    assert!(matches!(
        sign(&checkpoint, &signer()),
        Err(CheckpointError::BadTime { .. })
    ));
}
