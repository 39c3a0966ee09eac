//! A line read straight into its [`Line`]: how nearly every line of an import is read.
//!
//! The careful reader (`read_line`, over [`super::unique_keys`]) first builds a
//! `serde_json::Value` of the line (an ordered map per object, a `String` per key and per
//! text) to refuse a repeated key and to check every text, then makes the event from it.
//! Profiled on a 54k-line import, that was the largest single cost of parsing. Here serde
//! reads the text into the event's own types in one pass, and the same refusals hold:
//!
//! - a repeated key: the line's own fields and `kind` are tracked here as they are read; an
//!   event's fields (and a decision's, a term end's `meeting`) by serde's derived visitors,
//!   which refuse a field met twice;
//! - the texts' checks hold for the whole line before it is read: no line longer than a text
//!   may be ([`MAX_TEXT_CHARS`] bytes), no `\` escape (which could spell a refused character),
//!   no refused character anywhere (`text::first_refused`);
//! - nesting: only the events' own fields are read (every event type denies unknown fields),
//!   so an accepted line nests three levels at most.
//!
//! It only ever says yes. A line it does not read — any refusal, and the shapes it leaves to
//! the careful reader (a correction, whose replacement nests a second `kind`; a line with an
//! escape, or longer than a text may be) — is read again by the careful reader, which gives the
//! message naming the field. So what it reads must be what the careful reader reads, and it must
//! never read a line the careful one refuses: `tests.rs` checks both on every kind of line and
//! on mutated ones.

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IgnoredAny, IntoDeserializer, MapAccess,
    VariantAccess, Visitor,
};
use serde::Deserialize;

use super::{Line, MAX_TEXT_CHARS};
use crate::domain::{text, Draft, Event, Seq, Timestamp};

/// `text` read as a line, or `None` if it is not one this reader reads (see the module).
pub(super) fn read(text: &str) -> Option<Line> {
    if text.len() > MAX_TEXT_CHARS || text.contains('\\') || text::first_refused(text).is_some() {
        return None;
    }
    // `kind` comes first in every line `export` writes and in most written by hand; when it
    // does not, a first pass finds it (the event's fields cannot be read before their kind).
    let kind_first = text
        .trim_start()
        .strip_prefix('{')
        .is_some_and(|rest| rest.trim_start().starts_with("\"kind\""));
    let kind = if kind_first {
        None
    } else {
        Some(kind_of(text)?)
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let line = deserializer.deserialize_map(LineVisitor { kind }).ok()?;
    deserializer.end().ok()?;
    Some(line)
}

/// The `kind` of a line whose `kind` is not its first key (`None` if it has none, or two).
fn kind_of(text: &str) -> Option<&str> {
    struct KindVisitor;

    impl<'de> Visitor<'de> for KindVisitor {
        type Value = &'de str;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object with a `kind`")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<&'de str, A::Error> {
            let mut kind = None;
            while let Some(key) = map.next_key::<&str>()? {
                if key != "kind" {
                    map.next_value::<IgnoredAny>()?;
                } else if kind.is_some() {
                    return Err(de::Error::custom("`kind` twice"));
                } else {
                    kind = Some(map.next_value::<&str>()?);
                }
            }
            kind.ok_or_else(|| de::Error::missing_field("kind"))
        }
    }

    serde_json::Deserializer::from_str(text)
        .deserialize_map(KindVisitor)
        .ok()
}

/// Reads the line's object: `kind`, then the event's fields, with the line's own fields
/// taken aside wherever they come.
struct LineVisitor<'de> {
    /// `None`: the first key is `kind`, read it. `Some`: found by [`kind_of`]; the key is
    /// skipped where it comes.
    kind: Option<&'de str>,
}

impl<'de> Visitor<'de> for LineVisitor<'de> {
    type Value = Line;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object, one event per line")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Line, A::Error> {
        let (kind, kind_seen) = match self.kind {
            Some(kind) => (kind, false),
            None => match map.next_key::<&str>()? {
                Some("kind") => (map.next_value::<&str>()?, true),
                _ => return Err(de::Error::custom("`kind` is not the first key")),
            },
        };
        if kind == "entry_corrected" {
            return Err(de::Error::custom(
                "a correction is read by the careful reader",
            ));
        }
        let mut line = LineFields::default();
        let event = Event::deserialize(EventFields {
            kind,
            fields: Fields {
                map,
                kind_seen,
                line: &mut line,
            },
        })?;
        let override_reason = line.override_reason.flatten();
        if override_reason
            .as_deref()
            .is_some_and(|r| r.trim().is_empty())
        {
            return Err(de::Error::custom("an override needs a reason"));
        }
        let recorded_at = line
            .recorded_at
            .flatten()
            .map(|s| Timestamp::parse(&s).map_err(de::Error::custom))
            .transpose()?;
        Ok(Line {
            draft: Draft {
                event,
                override_reason,
                recorded_at,
                recorded_by: line.recorded_by.flatten(),
            },
            claimed_seq: line.seq.flatten().map(Seq),
            claimed_hash: line.hash.flatten(),
        })
    }
}

/// The line's own fields: the outer `Option` says whether the key was met (a second meeting
/// is a repeated key), the inner one is JSON's `null`.
#[derive(Default)]
struct LineFields {
    override_reason: Option<Option<String>>,
    recorded_at: Option<Option<String>>,
    recorded_by: Option<Option<String>>,
    hash: Option<Option<String>>,
    seq: Option<Option<u64>>,
}

/// The rest of the line's object as the event of kind `kind`: serde's derived `Event` reads
/// it as its externally tagged enum, the variant named by `kind`, its fields from the line.
struct EventFields<'l, 'de, A> {
    kind: &'de str,
    fields: Fields<'l, A>,
}

/// The line's object past its `kind`, as the map of the event's fields: the line's own
/// fields and `kind` are taken off as they come.
struct Fields<'l, A> {
    map: A,
    kind_seen: bool,
    line: &'l mut LineFields,
}

fn repeated<E: de::Error>(key: &str) -> E {
    E::custom(format!("key `{key}` appears twice"))
}

/// Reads the value of a line field into `slot`, refusing a second one.
fn take_aside<'de, A, T>(map: &mut A, slot: &mut Option<T>, key: &str) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    T: Deserialize<'de>,
{
    if slot.is_some() {
        return Err(repeated(key));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Fields<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        loop {
            let Some(key) = self.map.next_key::<&'de str>()? else {
                return Ok(None);
            };
            let line = &mut *self.line;
            match key {
                "kind" if self.kind_seen => return Err(repeated(key)),
                "kind" => {
                    self.kind_seen = true;
                    self.map.next_value::<IgnoredAny>()?;
                }
                "override" => take_aside(&mut self.map, &mut line.override_reason, key)?,
                "recorded_at" => take_aside(&mut self.map, &mut line.recorded_at, key)?,
                "recorded_by" => take_aside(&mut self.map, &mut line.recorded_by, key)?,
                "hash" => take_aside(&mut self.map, &mut line.hash, key)?,
                "seq" => take_aside(&mut self.map, &mut line.seq, key)?,
                _ => return seed.deserialize(key.into_deserializer()).map(Some),
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for EventFields<'_, 'de, A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'l, 'de, A: MapAccess<'de>> EnumAccess<'de> for EventFields<'l, 'de, A> {
    type Error = A::Error;
    type Variant = Fields<'l, A>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), A::Error> {
        let variant = seed.deserialize(self.kind.into_deserializer())?;
        Ok((variant, self.fields))
    }
}

/// Every variant of `Event` holds a struct: its fields are the line's.
impl<'de, A: MapAccess<'de>> VariantAccess<'de> for Fields<'_, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        Err(de::Error::custom("no event is a unit variant"))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, A::Error> {
        Err(de::Error::custom("no event is a tuple variant"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_map(self)
    }
}

/// The event's struct, read from the line's fields.
impl<'de, A: MapAccess<'de>> Deserializer<'de> for Fields<'_, A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}
