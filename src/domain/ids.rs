//! Identifiers of the things the ledger talks about. Each is validated once, when it is
//! made, so the rest of the code can trust it (and so a malformed id never reaches the journal).

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// One allocation of each text, for everything a long-lived view holds: an id read from a
/// line is a fresh `Arc<str>` per line, so the 10^6 events of an import each held their own
/// copies of the same few thousand ids (heaptrack, session 7: ~150 B of small allocations
/// per election). Events kept by a fold share their texts through it; it only grows (a text
/// no event holds any more stays until the fold is dropped: as many as there are distinct
/// texts, not events).
#[derive(Clone, Debug, Default)]
pub struct SharedTexts(HashSet<Arc<str>>);

impl SharedTexts {
    /// Points `text` at the allocation held here of an equal text, keeping `text`'s own
    /// if there is none yet.
    pub(crate) fn share(&mut self, text: &mut Arc<str>) {
        match self.0.get(&**text) {
            Some(held) => {
                if !Arc::ptr_eq(held, text) {
                    *text = Arc::clone(held);
                }
            }
            None => {
                self.0.insert(Arc::clone(text));
            }
        }
    }

    /// How many distinct texts are held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why a string is not a valid identifier of some kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {what}: {rule}")]
pub struct IdError {
    pub what: &'static str,
    pub value: String,
    pub rule: &'static str,
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $rule:literal, $check:expr) => {
        $(#[$doc])*
        ///
        /// Its text is shared (`Arc<str>`): an id is copied into every view made from its
        /// event (a body's terms, the topics, the effective events), and a `String` each was
        /// a heap allocation per copy (a third of an import's strings at 10^6, profiled).
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Arc<str>);

        /// Read from a string as the reader gives it (borrowed where it can), checked, and
        /// made one shared allocation: what `#[serde(try_from = "String")]` did, without the
        /// intermediate `String`. Refused with [`IdError`]'s message, as before.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Text;

                impl serde::de::Visitor<'_> for Text {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("a string")
                    }

                    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<$name, E> {
                        $name::checked(value).map_err(E::custom)
                    }
                }

                deserializer.deserialize_str(Text)
            }
        }

        /// Serialized as its string, exactly as `String` serializes (`serialize_str`), but
        /// by reference: `#[serde(into = "String")]` cloned the id each time, and every
        /// fingerprint, entry encoding and snapshot serializes a few ids per event.
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl $name {
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                Self::checked(&value.into())
            }

            fn checked(value: &str) -> Result<Self, IdError> {
                let check: fn(&str) -> bool = $check;
                if check(value) {
                    Ok(Self(Arc::from(value)))
                } else {
                    Err(IdError { what: $what, value: value.to_owned(), rule: $rule })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Makes this id hold `texts`' allocation of its text (adding it there if new).
            pub(crate) fn share(&mut self, texts: &mut SharedTexts) {
                texts.share(&mut self.0);
            }

            /// Whether `value` is a valid identifier of this kind, without making one: for
            /// checking that stored bytes decode without allocating.
            pub fn is_valid(value: &str) -> bool {
                let check: fn(&str) -> bool = $check;
                check(value)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, IdError> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                String::from(&*id.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }
    };
}

string_id!(
    /// A State, by its ISO 3166-1 alpha-3 code (`CHE`).
    StateCode,
    "State code",
    "three upper-case letters (ISO 3166-1 alpha-3, e.g. CHE)",
    |s| s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
);

string_id!(
    /// A body (working group, coordinator post, …), by its slug (`wg-universalization`).
    BodyId,
    "body id",
    "1 to 64 characters of a-z, 0-9 and '-', starting with a letter (e.g. wg-universalization)",
    |s| {
        !s.is_empty()
            && s.len() <= 64
            && s.as_bytes()[0].is_ascii_lowercase()
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }
);

string_id!(
    /// A meeting, by its conventional short name (`9MSP`, `2RC-2`).
    MeetingId,
    "meeting id",
    "1 to 32 characters of letters, digits and '-' (e.g. 9MSP, 2RC-2)",
    |s| {
        !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    }
);

string_id!(
    /// An institution, by its acronym (`ICRC`, `GICHD`).
    InstitutionCode,
    "institution code",
    "1 to 16 characters of upper-case letters, digits and '-' (e.g. ICRC)",
    |s| {
        !s.is_empty()
            && s.len() <= 16
            && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    }
);

/// A free text the views copy from their events (a decision's document and paragraph), its
/// allocation shared between the copies (`Arc<str>`) and, in a fold, between the events that
/// say the same ([`SharedTexts`]): the 10^6 elections of an import cite a few hundred
/// documents, and each held two `String`s of them, copied again into its term. Read, written
/// and compared as the `String` it replaces (the same bytes in the journal and in JSON).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(Arc<str>);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Makes this text hold `texts`' allocation of it (adding it there if new).
    pub(crate) fn share(&mut self, texts: &mut SharedTexts) {
        texts.share(&mut self.0);
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text(Arc::from(text))
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text(Arc::from(text))
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

/// As a `String` shows: quoted, escaped.
impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// As a `String` serializes (`serialize_str`): the same bytes.
impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// As a `String` reads (any string, borrowed or not; anything else refused with the same
/// message), without the intermediate `String` where the reader lends the text.
impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Words;

        impl serde::de::Visitor<'_> for Words {
            type Value = Text;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Text, E> {
                Ok(Text::from(value))
            }

            fn visit_string<E: serde::de::Error>(self, value: String) -> Result<Text, E> {
                Ok(Text::from(value))
            }
        }

        deserializer.deserialize_string(Words)
    }
}

/// The position of an entry in the ledger: 0, 1, 2, …
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Seq(pub u64);

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The blake3 hash of an entry, chained to its predecessor's: what identifies an entry, and
/// what the Merkle tree's leaves are made of. How it is computed is the ledger's
/// (`ledger::entry`, `EntryHash::chain`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntryHash(pub [u8; 32]);

impl EntryHash {
    /// `hash(-1)`: what entry 0 links to.
    pub const GENESIS: EntryHash = EntryHash([0; 32]);

    /// Lowercase hex, 64 digits (blake3's own codec).
    pub fn to_hex(&self) -> String {
        blake3::Hash::from_bytes(self.0).to_hex().to_string()
    }

    /// Exactly 64 hex digits, either case (blake3's own codec: no sign, no space).
    pub fn from_hex(s: &str) -> Option<EntryHash> {
        blake3::Hash::from_hex(s)
            .ok()
            .map(|hash| EntryHash(*hash.as_bytes()))
    }

    /// The first 12 hex digits, as `log` shows them.
    pub fn short(&self) -> String {
        self.to_hex()[..12].to_owned()
    }
}

impl fmt::Display for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryHash({})", self.short())
    }
}

#[cfg(test)]
mod tests {
    use super::EntryHash;

    #[test]
    fn an_entry_hash_reads_back_its_hex_and_nothing_that_is_not_64_hex_digits() {
        let hash = EntryHash(*blake3::hash(b"an entry").as_bytes());
        assert_eq!(EntryHash::from_hex(&hash.to_hex()), Some(hash));
        assert_eq!(
            EntryHash::from_hex(&hash.to_hex().to_uppercase()),
            Some(hash)
        );
        assert_eq!(hash.to_hex().len(), 64);
        assert_eq!(hash.short(), hash.to_hex()[..12]);
        // The hand-written codec this replaced read each pair with `u8::from_str_radix`,
        // which takes a sign: `+f` was the byte 0x0f.
        assert_eq!(EntryHash::from_hex(&"+f".repeat(32)), None);
        assert_eq!(EntryHash::from_hex(&"0".repeat(63)), None);
        assert_eq!(EntryHash::from_hex(&"0".repeat(65)), None);
        assert_eq!(EntryHash::from_hex(&"g".repeat(64)), None);
        assert_eq!(EntryHash::from_hex(&"é".repeat(32)), None);
    }
}
