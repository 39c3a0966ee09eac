//! The projection read in part for one question, as a type that answers that question only.
//!
//! A projection read for `who BODY` holds one body and the States its answer names: asked
//! about another body, or for the committee, it would answer wrongly without knowing it. So
//! it is not a [`Projection`]: [`Part`] offers the queries of its [`Question`] alone, each
//! checking it is the one asked, and [`Views`] is what a command asks: the whole projection
//! or a part.

use super::*;
use crate::projection::query::StateHistory;
use crate::projection::query::{BodyHistory, CommitteeMember, Holders, MachineryState, Presidency};

/// The part of the projection read for one question ([`Projection::read_part`]): it answers
/// that question exactly as the whole projection does, and no other.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    views: Projection,
    question: Question,
    resolved: Resolved,
}

impl Part {
    pub(super) fn new(views: Projection, question: Question, resolved: Resolved) -> Part {
        Part {
            views,
            question,
            resolved,
        }
    }

    /// The question it was read for.
    pub fn question(&self) -> &Question {
        &self.question
    }

    /// `resolve_body` of the name its question gave (`who`, `history --body`).
    pub fn resolve_body(&self, query: &str) -> Result<BodyId, Unknown> {
        match (&self.question, &self.resolved.body) {
            (Question::Holders(asked) | Question::BodyHistory(asked), Some(found))
                if asked == query =>
            {
                found.clone()
            }
            _ => self.not_asked(&format!("the body {query:?}")),
        }
    }

    /// `resolve_state` of the name its question gave (`history --state`).
    pub fn resolve_state(&self, query: &str) -> Result<StateCode, Unknown> {
        match (&self.question, &self.resolved.state) {
            (Question::StateHistory(asked), Some(found)) if asked == query => found.clone(),
            _ => self.not_asked(&format!("the State {query:?}")),
        }
    }

    /// Who held the body its question named, on any day.
    pub fn holders_on(&self, body: &BodyId, on: Date) -> Option<Holders> {
        self.named_body(body, matches!(self.question, Question::Holders(_)));
        self.views.holders_on(body, on)
    }

    /// The history of the body its question named.
    pub fn body_history(&self, body: &BodyId) -> Option<BodyHistory> {
        self.named_body(body, matches!(self.question, Question::BodyHistory(_)));
        self.views.body_history(body)
    }

    /// The history of the State its question named.
    pub fn state_history(&self, state: &StateCode) -> Option<StateHistory> {
        let named = matches!(&self.resolved.state, Some(Ok(code)) if code == state);
        if !named {
            self.not_asked(&format!("the history of {state}"));
        }
        self.views.state_history(state)
    }

    /// The machinery on the day its question named.
    pub fn state_on(&self, on: Date) -> MachineryState {
        self.on_the_day(on);
        self.views.state_on(on)
    }

    /// The Coordination Committee on the day its question named.
    pub fn committee_on(&self, on: Date) -> Vec<CommitteeMember> {
        self.on_the_day(on);
        self.views.committee_on(on)
    }

    /// The Presidency on the day its question named.
    pub fn presidency_on(&self, on: Date) -> Presidency {
        self.on_the_day(on);
        self.views.presidency_on(on)
    }

    fn named_body(&self, body: &BodyId, asked: bool) {
        let named = matches!(&self.resolved.body, Some(Ok(id)) if id == body);
        if !(asked && named) {
            self.not_asked(&format!("that query about {body}"));
        }
    }

    fn on_the_day(&self, on: Date) {
        if self.question != Question::InForceOn(on) {
            self.not_asked(&format!("the machinery on {on}"));
        }
    }

    /// A query it was not read for: a caller's mistake, never the input's, which an answer
    /// from the views it holds would hide.
    fn not_asked(&self, what: &str) -> ! {
        panic!(
            "a projection read in part for {:?} was asked about {what}",
            self.question
        )
    }
}

/// What a command asks a question of: the whole projection (folded, or as a proposal would
/// leave it) or the part read for its question.
#[derive(Clone, Debug, PartialEq)]
pub enum Views {
    Whole(Projection),
    Part(Part),
}

impl Views {
    pub fn resolve_body(&self, query: &str) -> Result<BodyId, Unknown> {
        match self {
            Views::Whole(p) => p.resolve_body(query),
            Views::Part(p) => p.resolve_body(query),
        }
    }

    pub fn resolve_state(&self, query: &str) -> Result<StateCode, Unknown> {
        match self {
            Views::Whole(p) => p.resolve_state(query),
            Views::Part(p) => p.resolve_state(query),
        }
    }

    pub fn holders_on(&self, body: &BodyId, on: Date) -> Option<Holders> {
        match self {
            Views::Whole(p) => p.holders_on(body, on),
            Views::Part(p) => p.holders_on(body, on),
        }
    }

    pub fn body_history(&self, body: &BodyId) -> Option<BodyHistory> {
        match self {
            Views::Whole(p) => p.body_history(body),
            Views::Part(p) => p.body_history(body),
        }
    }

    pub fn state_history(&self, state: &StateCode) -> Option<StateHistory> {
        match self {
            Views::Whole(p) => p.state_history(state),
            Views::Part(p) => p.state_history(state),
        }
    }

    pub fn state_on(&self, on: Date) -> MachineryState {
        match self {
            Views::Whole(p) => p.state_on(on),
            Views::Part(p) => p.state_on(on),
        }
    }

    pub fn committee_on(&self, on: Date) -> Vec<CommitteeMember> {
        match self {
            Views::Whole(p) => p.committee_on(on),
            Views::Part(p) => p.committee_on(on),
        }
    }

    pub fn presidency_on(&self, on: Date) -> Presidency {
        match self {
            Views::Whole(p) => p.presidency_on(on),
            Views::Part(p) => p.presidency_on(on),
        }
    }
}
