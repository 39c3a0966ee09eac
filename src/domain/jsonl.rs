//! The interchange format: one event per line of JSON, tagged by `kind` (DESIGN.md's
//! contract). This module turns a line into a [`Draft`] and an entry back into a line.
//!
//! The events are one Rust enum for both encodings: serde's default (externally tagged) shape
//! is what bincode writes to the journal, and here a line's `{"kind": K, ...fields}` is
//! reshaped to `{K: {...fields}}` before serde sees it, so there is no second copy of the
//! event types to keep in step.

use serde_json::{Map, Value};

use super::{Draft, Event, Seq, Timestamp};

/// The longest line `import` reads. The largest real event is a few hundred bytes; the
/// limit is there so a runaway or hostile file fails fast instead of exhausting memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// The longest text (a name, a mandate task, a reason) an event may carry, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;
/// How deeply a line's JSON may nest. Valid events nest four levels at most (a correction's
/// replacement's decision); serde_json's own recursion limit stops deeper input well before
/// the stack is at risk, this makes the message clear.
pub const MAX_DEPTH: usize = 8;

/// Line-level fields, beside the event's own.
const LINE_FIELDS: [&str; 5] = ["override", "recorded_at", "recorded_by", "seq", "hash"];

/// What is wrong with one line, and in which field (a dotted path: `decision.date`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", field.as_deref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
pub struct FieldError {
    pub field: Option<String>,
    pub reason: String,
}

impl FieldError {
    fn at(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
        FieldError {
            field: Some(field.into()),
            reason: reason.into(),
        }
    }

    fn whole(reason: impl Into<String>) -> FieldError {
        FieldError {
            field: None,
            reason: reason.into(),
        }
    }
}

/// A parsed line: the draft, and the seq and hash the line claims (lines from `export`
/// carry them, and `import` checks them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub draft: Draft,
    pub claimed_seq: Option<Seq>,
    pub claimed_hash: Option<String>,
}

/// The most events one import takes (a guard against a runaway file; a 10^6-event ledger
/// imports in one go).
pub const MAX_EVENTS: usize = 10_000_000;
/// How many bad lines an import reports; past them, bad lines are only counted.
pub const MAX_REPORTED_ERRORS: usize = 20;

/// A bad line: its number (from 1) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct LineError {
    pub line: usize,
    pub problem: FieldError,
}

/// Reads every line of a JSON Lines input (blank lines are skipped). Returns the parsed lines
/// with their numbers, or every bad line (up to [`MAX_REPORTED_ERRORS`]). Never reads more
/// than [`MAX_LINE_BYTES`] of one line into memory.
pub fn read_lines(reader: impl std::io::BufRead) -> Result<Vec<(usize, Line)>, Vec<LineError>> {
    let mut reader = LineReader::new(reader);
    let mut lines = Vec::new();
    loop {
        let chunk = reader.next_chunk(usize::MAX);
        if chunk.is_empty() {
            break;
        }
        lines.extend(chunk);
    }
    let errors = reader.into_errors();
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors)
    }
}

/// A JSON Lines input read a chunk of lines at a time, so an import holds one chunk of parsed
/// lines, not the whole file. Bad lines are kept aside (up to [`MAX_REPORTED_ERRORS`]; past
/// them, only counted, so that the person can be told how many more there are) and the good
/// lines around them are still handed out: the caller decides what a bad line means for the
/// lines it already has. The same lines and errors as
/// [`read_lines`], which is this read to the end.
pub struct LineReader<R> {
    reader: R,
    buf: Vec<u8>,
    /// The number of the last line read (from 1).
    number: usize,
    events: usize,
    errors: Vec<LineError>,
    /// Bad lines past the first [`MAX_REPORTED_ERRORS`]: counted, not kept.
    more_errors: usize,
    done: bool,
}

impl<R: std::io::BufRead> LineReader<R> {
    pub fn new(reader: R) -> LineReader<R> {
        LineReader {
            reader,
            buf: Vec::new(),
            number: 0,
            events: 0,
            errors: Vec::new(),
            more_errors: 0,
            done: false,
        }
    }

    /// The bad lines found so far.
    pub fn errors(&self) -> &[LineError] {
        &self.errors
    }

    pub fn into_errors(self) -> Vec<LineError> {
        self.errors
    }

    /// How many bad lines were found past the ones kept (past [`MAX_REPORTED_ERRORS`]).
    pub fn more_errors(&self) -> usize {
        self.more_errors
    }

    /// Keeps a bad line, or only counts it once enough are kept.
    fn keep(&mut self, error: LineError) {
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(error);
        } else {
            self.more_errors += 1;
        }
    }

    /// The next good lines, at most `max` of them; empty at the end of the input (or once
    /// reading stopped: too many bad lines, too many events, a read error).
    pub fn next_chunk(&mut self, max: usize) -> Vec<(usize, Line)> {
        let mut lines = Vec::new();
        while !self.done && lines.len() < max {
            if let Some(line) = self.next_line() {
                lines.push(line);
            }
        }
        lines
    }

    /// Reads one line: `Some` if it is a good one, `None` if it was blank, bad, or not there.
    fn next_line(&mut self) -> Option<(usize, Line)> {
        self.number += 1;
        let number = self.number;
        self.buf.clear();
        let (read, too_long) = match read_bounded_line(&mut self.reader, &mut self.buf) {
            Ok(r) => r,
            Err(e) => {
                self.errors.push(LineError {
                    line: number,
                    problem: FieldError::whole(format!("cannot read: {e}")),
                });
                self.done = true;
                return None;
            }
        };
        if read == 0 {
            self.done = true;
            return None;
        }
        let fail = |reason: String| LineError {
            line: number,
            problem: FieldError::whole(reason),
        };
        let mut good = None;
        if too_long {
            self.keep(fail(format!(
                "longer than the limit of {MAX_LINE_BYTES} bytes"
            )));
        } else {
            match std::str::from_utf8(&self.buf) {
                Err(e) => self.keep(fail(format!(
                    "not UTF-8 text (invalid byte at column {})",
                    e.valid_up_to() + 1
                ))),
                Ok(text) if text.trim().is_empty() => {}
                Ok(text) => match parse_line(text.trim_end_matches(['\n', '\r'])) {
                    Ok(line) => {
                        self.events += 1;
                        good = Some((number, line));
                    }
                    Err(problem) => self.keep(LineError {
                        line: number,
                        problem,
                    }),
                },
            }
        }
        if self.events > MAX_EVENTS {
            self.errors.push(fail(format!(
                "more than {MAX_EVENTS} events in one import; split the file"
            )));
            self.done = true;
            // Not handed out: the input is refused as a whole.
            return None;
        }
        good
    }
}

/// Reads one line into `buf`, keeping at most `MAX_LINE_BYTES + 1` bytes of it; returns the
/// bytes consumed and whether the line was longer than the limit.
fn read_bounded_line(
    reader: &mut impl std::io::BufRead,
    buf: &mut Vec<u8>,
) -> std::io::Result<(usize, bool)> {
    let mut consumed = 0;
    let mut too_long = false;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok((consumed, too_long));
        }
        let (chunk, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let n = chunk.len();
        if !too_long {
            if buf.len() + n > MAX_LINE_BYTES + 1 {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        reader.consume(n);
        consumed += n;
        if done {
            return Ok((consumed, too_long));
        }
    }
}

/// Parses one line of the interchange format.
pub fn parse_line(text: &str) -> Result<Line, FieldError> {
    // Nearly every line is read straight into its types (`typed.rs`); the rest, and every
    // line refused, by the careful reader, which builds the line's JSON value first. Of those,
    // most lines are good: their event is read without tracking where serde is in it (which
    // copies every key into a path: nearly half of reading a line, profiled, and an import of
    // 10^6 lines takes 7 % less CPU without it); a line refused is read again, tracked, for
    // the field its message names.
    if let Some(line) = typed::read(text) {
        return Ok(line);
    }
    read_line(text, event_untracked).or_else(|_| read_line(text, event_from_object))
}

/// [`parse_line`], its event read from the line's object by `event`.
fn read_line(
    text: &str,
    event: fn(Map<String, Value>) -> Result<Event, FieldError>,
) -> Result<Line, FieldError> {
    // Editors on some systems start a UTF-8 file with U+FEFF; JSON does not allow it, and
    // "expected value at column 1" would not tell the person what to fix.
    if text.starts_with('\u{feff}') {
        return Err(FieldError::whole(
            "the line starts with a byte-order mark (U+FEFF): save the file as UTF-8 without \
             a byte-order mark",
        ));
    }
    let value = unique_keys::parse(text).map_err(|refusal| match refusal {
        unique_keys::Refusal::Repeated(path) => FieldError::at(
            path,
            "the key appears twice in one object (which value is meant would depend on the reader)",
        ),
        unique_keys::Refusal::Json(e) if e.to_string().contains("recursion limit") => {
            FieldError::whole(format!("JSON nested deeper than {MAX_DEPTH} levels"))
        }
        unique_keys::Refusal::Json(e) => FieldError::whole(format!("not valid JSON: {e}")),
    })?;
    let Value::Object(mut map) = value else {
        return Err(FieldError::whole(
            "expected a JSON object, one event per line",
        ));
    };
    // The line itself is depth 1; its fields are checked in place, not on a copy.
    map.iter()
        .try_for_each(|(key, value)| check_shape(value, 2).map_err(|e| e.within_field(key)))
        .map_err(ShapeError::into_field_error)?;

    let override_reason = take_string(&mut map, "override")?;
    if override_reason
        .as_deref()
        .is_some_and(|r| r.trim().is_empty())
    {
        return Err(FieldError::at("override", "an override needs a reason"));
    }
    let recorded_at = take_string(&mut map, "recorded_at")?
        .map(|s| Timestamp::parse(&s).map_err(|e| FieldError::at("recorded_at", e.to_string())))
        .transpose()?;
    let recorded_by = take_string(&mut map, "recorded_by")?;
    let claimed_hash = take_string(&mut map, "hash")?;
    let claimed_seq = match map.remove("seq") {
        None | Some(Value::Null) => None,
        Some(v) => Some(Seq(v
            .as_u64()
            .ok_or_else(|| FieldError::at("seq", "expected a whole number"))?)),
    };
    let event = event(map)?;
    Ok(Line {
        draft: Draft {
            event,
            override_reason,
            recorded_at,
            recorded_by,
        },
        claimed_seq,
        claimed_hash,
    })
}

/// Parses an event given as a JSON object with a `kind`.
pub fn event_from_value(value: Value) -> Result<Event, FieldError> {
    match value {
        Value::Object(map) => event_from_object(map),
        _ => Err(FieldError::whole("expected a JSON object with a `kind`")),
    }
}

/// [`event_from_object`] without the field of a refusal (the error says only why).
fn event_untracked(map: Map<String, Value>) -> Result<Event, FieldError> {
    use serde::Deserialize;
    Event::deserialize(to_tagged(map)?).map_err(|e| FieldError::whole(e.to_string()))
}

fn event_from_object(map: Map<String, Value>) -> Result<Event, FieldError> {
    let tagged = to_tagged(map)?;
    serde_path_to_error::deserialize::<_, Event>(tagged).map_err(|e| {
        let path = untag_path(&e.path().to_string());
        let reason = e.inner().to_string();
        // serde names a missing or unknown field in its message, at the struct's path.
        let named = backticked(&reason);
        let field = match (path.is_empty(), named) {
            (true, Some(name)) => Some(name),
            (false, Some(name)) if reason.starts_with("missing field") => {
                Some(format!("{path}.{name}"))
            }
            (false, _) => Some(path),
            (true, None) => None,
        };
        FieldError { field, reason }
    })
}

/// `{"kind": K, ...}` → `{K: {...}}`, recursively for a correction's replacement.
fn to_tagged(mut map: Map<String, Value>) -> Result<Value, FieldError> {
    let kind = match map.remove("kind") {
        Some(Value::String(kind)) => kind,
        Some(_) => return Err(FieldError::at("kind", "expected a string")),
        None => return Err(FieldError::at("kind", "missing: every line needs a `kind`")),
    };
    if !Event::KINDS.contains(&kind.as_str()) {
        return Err(FieldError::at(
            "kind",
            format!(
                "unknown kind {kind:?}; known kinds: {}",
                Event::KINDS.join(", ")
            ),
        ));
    }
    for field in LINE_FIELDS {
        if map.contains_key(field) {
            return Err(FieldError::at(
                field,
                "allowed on the line, not inside an event",
            ));
        }
    }
    if kind == "entry_corrected" {
        if let Some(Value::Object(inner)) = map.remove("replacement") {
            let inner = to_tagged(inner).map_err(|e| FieldError {
                field: Some(match e.field {
                    Some(f) => format!("replacement.{f}"),
                    None => "replacement".into(),
                }),
                reason: e.reason,
            })?;
            map.insert("replacement".into(), inner);
        } else {
            map.entry("replacement").or_insert(Value::Null);
        }
    }
    let mut tagged = Map::new();
    tagged.insert(kind, Value::Object(map));
    Ok(Value::Object(tagged))
}

/// serde_path_to_error's path of a tagged value names the variants (`coordinator_elected.start`,
/// `entry_corrected.replacement.coordinator_elected.start`); the user wrote neither.
fn untag_path(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut skip_next = true;
    for segment in path.split('.') {
        if skip_next {
            skip_next = false;
            continue;
        }
        if segment == "replacement" {
            skip_next = true;
        }
        if segment != "?" {
            out.push(segment);
        }
    }
    out.join(".")
}

fn backticked(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_owned())
}

fn take_string(map: &mut Map<String, Value>, key: &str) -> Result<Option<String>, FieldError> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(FieldError::at(key, "expected a string")),
    }
}

/// Refuses input that no event has the shape of: texts beyond [`MAX_TEXT_CHARS`], nesting
/// beyond [`MAX_DEPTH`]. Every line passes through here, so the path to the offending value
/// is spelled out only on the way back from one, not for every field of every line.
fn check_shape(value: &Value, depth: usize) -> Result<(), ShapeError> {
    if depth > MAX_DEPTH {
        return Err(ShapeError::at(format!(
            "JSON nested deeper than {MAX_DEPTH} levels"
        )));
    }
    match value {
        Value::String(s) if s.chars().count() > MAX_TEXT_CHARS => Err(ShapeError::at(format!(
            "text longer than {MAX_TEXT_CHARS} characters"
        ))),
        Value::String(s) => match super::text::first_refused(s) {
            Some(c) => Err(ShapeError::at(format!(
                "holds the character U+{:04X}: control characters and bidirectional overrides \
                 are not accepted in any text",
                u32::from(c)
            ))),
            None => Ok(()),
        },
        Value::Array(items) => items.iter().enumerate().try_for_each(|(i, v)| {
            check_shape(v, depth + 1).map_err(|mut e| {
                e.path.insert_str(0, &format!("[{i}]"));
                e
            })
        }),
        Value::Object(map) => map
            .iter()
            .try_for_each(|(k, v)| check_shape(v, depth + 1).map_err(|e| e.within_field(k))),
        _ => Ok(()),
    }
}

/// What [`check_shape`] found, and where: the path from the value it was asked about
/// (`.decision.document`, `.add[2]`).
struct ShapeError {
    path: String,
    reason: String,
}

impl ShapeError {
    fn at(reason: String) -> ShapeError {
        ShapeError {
            path: String::new(),
            reason,
        }
    }

    fn within_field(mut self, key: &str) -> ShapeError {
        self.path.insert_str(0, &format!(".{key}"));
        self
    }

    fn into_field_error(self) -> FieldError {
        FieldError::at(self.path.trim_start_matches('.'), self.reason)
    }
}

/// An event as a JSON object with its `kind`, in the contract's shape. Absent optional fields
/// are left out, except `end` (null is an open term) and `replacement` (null is a retraction).
pub fn event_to_value(event: &Event) -> Value {
    let tagged = serde_json::to_value(event).expect("events serialize to JSON");
    let Value::Object(tagged) = tagged else {
        unreachable!("an externally tagged enum serializes to an object")
    };
    let (kind, fields) = tagged.into_iter().next().expect("one variant");
    let Value::Object(fields) = fields else {
        unreachable!("every variant holds a struct")
    };
    let mut out = Map::new();
    out.insert("kind".into(), Value::String(kind.clone()));
    for (key, value) in fields {
        let value = match (key.as_str(), value) {
            ("replacement", Value::Object(inner)) => {
                let (kind, fields) = inner.into_iter().next().expect("one variant");
                let event = serde_json::from_value::<Event>(Value::Object(Map::from_iter([(
                    kind, fields,
                )])))
                .expect("a serialized event deserializes");
                event_to_value(&event)
            }
            (_, value) => value,
        };
        if value.is_null() && key != "end" && key != "replacement" {
            continue;
        }
        out.insert(key, strip_nulls(value));
    }
    Value::Object(out)
}

fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests;
mod typed;
mod unique_keys;
