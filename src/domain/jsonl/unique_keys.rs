//! A JSON value read with every object's keys checked for repeats (issue 13, item 9).
//!
//! serde_json keeps the last of two equal keys, so `{"state":"NOR",…,"state":"FRA"}` would be
//! read one way here and another way by a reader that keeps the first: a line whose hash was
//! verified could still mean two things. The check is made while the object is built (a
//! lookup in the map being filled), so it costs no second walk over the line.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Parses `text` as JSON. A repeated key is `Err(Repeated(path))`, the dotted path of the
/// key's second appearance (`decision.date`; inside an array, the array's path).
pub fn parse(text: &str) -> Result<Value, Refusal> {
    let repeated = RefCell::new(None);
    let seed = Unique {
        at: Place::Root,
        repeated: &repeated,
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = seed
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    match (parsed, repeated.into_inner()) {
        (Ok(value), _) => Ok(value),
        (Err(_), Some(path)) => Err(Refusal::Repeated(path)),
        (Err(e), None) => Err(Refusal::Json(e)),
    }
}

/// Why [`parse`] refused its text.
#[derive(Debug)]
pub enum Refusal {
    /// The dotted path of a key that appears twice in one object.
    Repeated(String),
    Json(serde_json::Error),
}

/// Where a value sits in the line: only spelled out as a path when a repeat is found, so the
/// common case allocates nothing for it.
#[derive(Clone, Copy)]
enum Place<'a> {
    Root,
    Field(&'a Place<'a>, &'a str),
}

impl Place<'_> {
    fn path(&self) -> String {
        match self {
            Place::Root => String::new(),
            Place::Field(parent, key) => match parent.path() {
                p if p.is_empty() => (*key).to_owned(),
                p => format!("{p}.{key}"),
            },
        }
    }
}

#[derive(Clone, Copy)]
struct Unique<'a> {
    at: Place<'a>,
    repeated: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Unique<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = items.next_element_seed(self)? {
            out.push(item);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut fields: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = fields.next_key::<String>()? {
            let at = Place::Field(&self.at, &key);
            if out.contains_key(&key) {
                *self.repeated.borrow_mut() = Some(at.path());
                return Err(de::Error::custom(format!(
                    "key `{}` appears twice",
                    at.path()
                )));
            }
            let value = fields.next_value_seed(Unique {
                at,
                repeated: self.repeated,
            })?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}
