//! Witness cosignatures (c2sp.org/tlog-cosignature), pinned against the spec's text and the
//! published keys and signatures of transparency-dev/formats (`note/note_cosigv1_test.go`).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signature, VerifyingKey};

use crate::merkle::{
    cosignature_timestamp, cosigned_message, merge_cosignatures, sign_note, split_note, KeyError,
    MergeError, SignerKey, VerifierKey, WitnessKey, WitnessSigner, COSIGNATURE_TYPE,
};

const TEXT: &str =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

fn witness(name: &str, seed: u8) -> WitnessSigner {
    WitnessSigner::from_seed(name, [seed; 32]).unwrap()
}

fn log_note() -> String {
    let log = SignerKey::from_seed("example.com/behind-the-sofa", [7; 32]).unwrap();
    sign_note(TEXT, &log).unwrap()
}

#[test]
fn the_signed_message_is_the_header_the_time_line_and_the_whole_checkpoint_text() {
    // The example of c2sp.org/tlog-cosignature, "Ed25519 signed message".
    assert_eq!(
        cosigned_message(1679315147, TEXT),
        "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    );
}

#[test]
fn a_cosignature_line_is_key_id_then_big_endian_timestamp_then_the_signature_of_that_message() {
    let signer = witness("witness.example/w1", 3);
    let line = signer.cosign(TEXT, 1679315147);
    let blob = BASE64
        .decode(line.trim_end().rsplit(' ').next().unwrap())
        .unwrap();
    assert!(line.starts_with("— witness.example/w1 "), "{line}");
    assert_eq!(blob.len(), 4 + 8 + 64);
    assert_eq!(
        u32::from_be_bytes(blob[..4].try_into().unwrap()),
        signer.verifier().key_id()
    );
    assert_eq!(
        u64::from_be_bytes(blob[4..12].try_into().unwrap()),
        1679315147
    );
    // Checked with plain Ed25519 over the message built by hand, not through our verifier.
    let public = VerifyingKey::from_bytes(
        BASE64
            .decode(signer.verifier().to_text().rsplit('+').next().unwrap())
            .unwrap()[1..]
            .try_into()
            .unwrap(),
    )
    .unwrap();
    let message = format!("cosignature/v1\ntime 1679315147\n{TEXT}");
    public
        .verify_strict(
            message.as_bytes(),
            &Signature::from_bytes(blob[12..].try_into().unwrap()),
        )
        .expect("the signature is over the cosignature/v1 message");
}

#[test]
fn the_key_id_of_a_witness_key_commits_to_signature_type_0x04() {
    // A native cosignature/v1 verifier key published by transparency-dev/formats: its key id
    // is SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4], which parsing recomputes.
    let key =
        WitnessKey::parse("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")
            .expect("a published cosignature/v1 key reads");
    assert_eq!(key.key_id(), 0xda77ade7);
    assert_eq!(key.name(), "remora.n621.de");
    assert_eq!(
        key.to_text(),
        "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
    );
    // The same bytes read as a log key are refused by type, and the other way round.
    assert_eq!(
        VerifierKey::parse("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"),
        Err(KeyError::WrongType {
            found: COSIGNATURE_TYPE,
            wanted: 0x01
        })
    );
    assert!(matches!(
        WitnessKey::parse("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"),
        Err(KeyError::WrongType { found: 0x01, .. })
    ));
    let signer = witness("w", 9);
    assert_eq!(
        WitnessSigner::parse(&signer.to_text()).unwrap().to_text(),
        signer.to_text()
    );
    assert_eq!(
        WitnessKey::parse(&signer.verifier().to_text()).unwrap(),
        signer.verifier()
    );
    assert!(
        SignerKey::parse(&signer.to_text()).is_err(),
        "a witness key cannot sign a log's checkpoints"
    );
}

#[test]
fn the_timestamp_of_a_published_cosignature_reads_back() {
    // transparency-dev/formats TestCosignatureTimestamp: this signature holds 1727964367.
    let note = format!(
        "{TEXT}\n— witness.example/w1 ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==\n"
    );
    let (_, lines) = split_note(&note).unwrap();
    assert_eq!(cosignature_timestamp(&lines[0]), Some(1727964367));
    // A log's plain Ed25519 signature is not shaped as a cosignature.
    let (_, lines) = split_note(&log_note()).unwrap();
    assert_eq!(cosignature_timestamp(&lines[0]), None);
}

#[test]
fn a_witness_verifies_its_cosignature_and_nothing_else() {
    let w1 = witness("witness.example/w1", 1);
    let w2 = witness("witness.example/w2", 2);
    let cosigned = format!("{}{}", log_note(), w1.cosign(TEXT, 1700000000));
    assert_eq!(w1.verifier().verify(&cosigned), Ok(1700000000));
    assert!(
        w2.verifier().verify(&cosigned).is_err(),
        "w2 never cosigned"
    );

    // Another tree's text: the cosignature does not carry over.
    let other = cosigned.replacen("20852163", "20852164", 1);
    assert!(w1.verifier().verify(&other).is_err());

    // A line with w1's name and id that fails rejects the note even beside a good one.
    let mut forged = w1.cosign(TEXT, 1700000001).into_bytes();
    let at = forged.len() - 10;
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert!(w1
        .verifier()
        .verify(&format!("{cosigned}{forged}"))
        .is_err());
}

#[test]
fn merging_adds_the_cosignatures_a_note_lacks_and_refuses_another_tree() {
    let w1 = witness("witness.example/w1", 1);
    let w2 = witness("witness.example/w2", 2);
    let base = log_note();
    let one = format!("{base}{}", w1.cosign(TEXT, 1));
    let two = format!("{base}{}", w2.cosign(TEXT, 2));
    let (merged, added) = merge_cosignatures(&base, &[&one, &two, &one]).unwrap();
    assert_eq!(added, 2);
    assert_eq!(w1.verifier().verify(&merged), Ok(1));
    assert_eq!(w2.verifier().verify(&merged), Ok(2));
    assert_eq!(split_note(&merged).unwrap().1.len(), 3);

    let other_tree = one.replacen("20852163", "20852164", 1);
    assert_eq!(
        merge_cosignatures(&base, &[&two, &other_tree]),
        Err(MergeError::OtherTree { index: 1 })
    );
}

/// A real checkpoint of a public log (a Certificate Transparency staging log), as published
/// with the cosignatures of public witnesses; the log's key and one witness's key, as
/// published. (Quoted in the tests of a third-party Python implementation of C2SP.)
const REAL_CHECKPOINT: &str = "arche2025h1.staging.ct.transparency.dev
1432088532
U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=

— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==
— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==
— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==
";

#[test]
fn a_real_witness_cosignature_on_a_public_log_verifies() {
    let log = VerifierKey::parse(
        "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f",
    )
    .unwrap();
    let remora =
        WitnessKey::parse("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")
            .unwrap();
    // The log's Ed25519 signature, beside its RFC 6962 one (type 0x05, ignored by key id).
    crate::merkle::open_note(REAL_CHECKPOINT, &log).expect("the log signed it");
    // The witness's cosignature/v1, made by an independent implementation, at 1779573024.
    assert_eq!(remora.verify(REAL_CHECKPOINT), Ok(1_779_573_024));
    // Another size in the same text: neither holds.
    let clobbered = REAL_CHECKPOINT.replacen("1432088532", "42", 1);
    assert!(remora.verify(&clobbered).is_err());
    assert!(crate::merkle::open_note(&clobbered, &log).is_err());
    // Merged into the bare log-signed note, the four cosignatures come along, the log's
    // RFC 6962 line (not a cosignature's shape) does not.
    let (text, lines) = split_note(REAL_CHECKPOINT).unwrap();
    let bare = format!("{text}\n{}\n", lines[1].line);
    let (merged, added) = merge_cosignatures(&bare, &[REAL_CHECKPOINT]).unwrap();
    assert_eq!(added, 4);
    assert_eq!(remora.verify(&merged), Ok(1_779_573_024));
}

/// Issue 17.6: a log's signing time is an extension line; the cosignature signs it with the
/// rest (tlog-cosignature: "MUST be included in the cosigned message"), so it cannot be
/// altered under a witness's cosignature either.
#[test]
fn a_cosignature_covers_the_logs_time_line() {
    let log = SignerKey::from_seed("example.com/behind-the-sofa", [7; 32]).unwrap();
    let timed = format!("{TEXT}time 1767225600\n");
    let note = sign_note(&timed, &log).unwrap();
    let signer = witness("witness.example/w1", 3);
    let cosigned = format!("{note}{}", signer.cosign(&timed, 1767225700));
    assert_eq!(signer.verifier().verify(&cosigned), Ok(1767225700));
    let altered = cosigned.replace("time 1767225600", "time 1767225601");
    assert!(matches!(
        signer.verifier().verify(&altered),
        Err(crate::merkle::CosignatureError::Bad { .. })
    ));
}
