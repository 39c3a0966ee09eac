//! Finding a body or a State by what a person typed: its id or code, or its name, in any case;
//! and, when nothing matches, the near matches to suggest.

use std::fmt;

use crate::domain::{BodyId, StateCode};

use super::Projection;

/// Nothing is called that; perhaps one of the suggestions was meant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Unknown {
    /// `body` or `State`.
    pub what: &'static str,
    pub query: String,
    /// The nearest first; at most three. When [`Self::ambiguous`], every candidate.
    pub suggestions: Vec<Suggestion>,
    /// The query names several: they differ only by case, Unicode normalisation or invisible
    /// characters, and none is picked.
    pub ambiguous: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub id: String,
    pub name: String,
}

impl fmt::Display for Unknown {
    /// `unknown body 'universalisation'; did you mean wg-universalization (Working Group on
    /// Universalization)?`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ambiguous {
            write!(f, "'{}' names more than one {}:", self.query, self.what)?;
            for (i, s) in self.suggestions.iter().enumerate() {
                let joint = if i == 0 { " " } else { ", " };
                write!(f, "{joint}{} ({})", s.id, s.name)?;
            }
            return f.write_str("; give the id");
        }
        write!(f, "unknown {} '{}'", self.what, self.query)?;
        let n = self.suggestions.len();
        for (i, s) in self.suggestions.iter().enumerate() {
            let joint = match i {
                0 => "; did you mean ",
                _ if i + 1 == n => " or ",
                _ => ", ",
            };
            write!(f, "{joint}{} ({})", s.id, s.name)?;
        }
        if n > 0 {
            f.write_str("?")?;
        }
        Ok(())
    }
}

/// One thing that may be meant: its id and every name it has had.
struct Candidate<'a> {
    id: &'a str,
    names: Vec<&'a str>,
}

fn resolve<'a>(
    what: &'static str,
    query: &str,
    candidates: impl Iterator<Item = Candidate<'a>> + Clone,
) -> Result<&'a str, Unknown> {
    let wanted = folded(query);
    let exact: Vec<Candidate<'a>> = candidates
        .clone()
        .filter(|c| folded(c.id) == wanted || c.names.iter().any(|n| folded(n) == wanted))
        .collect();
    match exact.as_slice() {
        [one] => return Ok(one.id),
        [] => {}
        several => {
            return Err(Unknown {
                what,
                query: query.to_owned(),
                suggestions: several
                    .iter()
                    .map(|c| Suggestion {
                        id: c.id.to_owned(),
                        name: c.names.last().copied().unwrap_or(c.id).to_owned(),
                    })
                    .collect(),
                ambiguous: true,
            })
        }
    }
    let mut near: Vec<(usize, Suggestion)> = candidates
        .filter_map(|c| {
            let score = nearness(&wanted, &c)?;
            Some((
                score,
                Suggestion {
                    id: c.id.to_owned(),
                    name: c.names.last().copied().unwrap_or(c.id).to_owned(),
                },
            ))
        })
        .collect();
    near.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
    Err(Unknown {
        what,
        query: query.to_owned(),
        suggestions: near.into_iter().take(3).map(|(_, s)| s).collect(),
        ambiguous: false,
    })
}

/// How far the query is from a candidate (smaller is nearer), or `None` if it is not near:
/// a substring of its id or a name (or the other way round), or a few edits away from its
/// id, a name, or a word of either.
fn nearness(query: &str, c: &Candidate<'_>) -> Option<usize> {
    if query.is_empty() {
        return None;
    }
    let whole: Vec<String> = std::iter::once(c.id)
        .chain(c.names.iter().copied())
        .map(str::to_lowercase)
        .collect();
    if query.chars().count() >= 3
        && whole
            .iter()
            .any(|w| w.contains(query) || (w.chars().count() >= 3 && query.contains(w.as_str())))
    {
        return Some(0);
    }
    let words = whole
        .iter()
        .flat_map(|w| w.split(|ch: char| !ch.is_alphanumeric()))
        .filter(|w| w.chars().count() >= 4)
        .map(str::to_owned);
    let best = whole
        .iter()
        .cloned()
        .chain(words)
        // The optimal string alignment distance, by characters: two letters swapped count as
        // one edit, so `NRO` is one slip away from `NOR`, as a person types it.
        .map(|w| strsim::osa_distance(query, &w))
        .min()?;
    let allowed = (query.chars().count() / 4).max(1);
    (best <= allowed).then_some(best)
}

/// What a person typed (or a name), as names are compared: in compatibility normal form
/// (NFKC: "ﬁ" is "fi", a precomposed "é" is "e" with its accent), without invisible
/// characters (zero-width spaces and joiners, soft hyphens, direction marks, variation
/// selectors), trimmed, in lower case. Two names that fold alike cannot be told apart by a
/// reader, so a query that matches both gets both, not one of them.
pub(super) fn folded(query: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let visible: String = query.nfkc().filter(|&c| !is_invisible(c)).collect();
    visible.trim().to_lowercase()
}

/// Unicode's default-ignorable code points: drawn as nothing.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{34F}'
            | '\u{61C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

impl Projection {
    /// A body by its id or any name it has had, in any case.
    pub fn resolve_body(&self, query: &str) -> Result<BodyId, Unknown> {
        resolve_body_among(
            self.bodies
                .values()
                .map(|b| (b.id.as_str(), b.names().collect())),
            query,
        )
    }

    /// A State by its code or its name, in any case.
    pub fn resolve_state(&self, query: &str) -> Result<StateCode, Unknown> {
        resolve_state_among(self.states.values(), query)
    }
}

/// A body among `bodies` (each: id, every name it has had, the first first; in order of id).
pub(super) fn resolve_body_among<'a>(
    bodies: impl Iterator<Item = (&'a str, Vec<&'a str>)> + Clone,
    query: &str,
) -> Result<BodyId, Unknown> {
    let candidates = bodies.map(|(id, names)| Candidate { id, names });
    let id = resolve("body", query, candidates)?;
    Ok(BodyId::new(id).expect("a stored body id is valid"))
}

/// A State among `states` (in order of code).
pub(super) fn resolve_state_among<'a>(
    states: impl Iterator<Item = &'a crate::projection::StateParty> + Clone,
    query: &str,
) -> Result<StateCode, Unknown> {
    let candidates = states.map(|s| Candidate {
        id: s.code.as_str(),
        names: vec![s.name.as_str()],
    });
    let code = resolve("State", query, candidates)?;
    Ok(StateCode::new(code).expect("a stored State code is valid"))
}
