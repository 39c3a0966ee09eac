//! The crate's one set of proptest generators of events and entries, for every property test
//! (the entry's bytes and their walk here in `ledger`; the fold in `projection`; validation;
//! drafts in `append`).
//!
//! The events are drawn from a [`World`]: the identifiers, days, texts and counts they may
//! hold. [`World::small`] names a few States, bodies and meetings, so that events meet (a
//! term in a body that exists, a correction of an entry that is there): what the fold's
//! properties need. [`World::every_shape`] gives each field every shape bincode writes it in
//! (any Unicode, strings past a one-byte length, integers across their varint forms, the
//! first and last years): what the byte walk's properties need. Either way [`an_event`] gives
//! every variant, with every optional field present and absent
//! (`generators_give_every_kind_of_event` fails on a variant it never gives).

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::Entry;
use crate::domain::*;

/// What the fields of generated events are drawn from.
#[derive(Clone)]
pub(crate) struct World {
    pub date: BoxedStrategy<Date>,
    pub state: BoxedStrategy<StateCode>,
    pub body: BoxedStrategy<BodyId>,
    pub meeting: BoxedStrategy<MeetingId>,
    pub institution: BoxedStrategy<InstitutionCode>,
    /// Names, reasons, persons, documents.
    pub text: BoxedStrategy<String>,
    /// A mandate's tasks.
    pub task: BoxedStrategy<String>,
    /// Seats, term years, renewals per year.
    pub count: BoxedStrategy<u32>,
    /// The entry a correction targets.
    pub target: BoxedStrategy<u64>,
}

/// The few identifiers of [`World::small`], for tests that ask about them.
pub(crate) const STATES: [&str; 4] = ["AAA", "BBB", "CCC", "DDD"];
pub(crate) const BODIES: [&str; 3] = ["wg-a", "wg-b", "coord-c"];
const MEETINGS: [&str; 4] = ["1MSP", "2MSP", "3MSP", "4MSP"];
const INSTITUTIONS: [&str; 2] = ["ISU", "GICHD"];
const TASKS: [&str; 3] = ["one", "two", "three"];

impl World {
    /// A few States, bodies, meetings and institutions, days from 2010 over eight years,
    /// one to three seats and years, corrections of the first 50 entries.
    pub fn small() -> World {
        let start = Date::from_ymd(2010, 1, 1).expect("a day");
        World {
            date: (0i64..3000).prop_map(move |n| start.add_days(n)).boxed(),
            state: prop::sample::select(&STATES[..])
                .prop_map(|s| StateCode::new(s).expect("valid"))
                .boxed(),
            body: prop::sample::select(&BODIES[..])
                .prop_map(|b| BodyId::new(b).expect("valid"))
                .boxed(),
            meeting: prop::sample::select(&MEETINGS[..])
                .prop_map(|m| MeetingId::new(m).expect("valid"))
                .boxed(),
            institution: prop::sample::select(&INSTITUTIONS[..])
                .prop_map(|i| InstitutionCode::new(i).expect("valid"))
                .boxed(),
            text: "[A-Za-z ]{1,12}".boxed(),
            task: prop::sample::select(&TASKS[..])
                .prop_map(str::to_owned)
                .boxed(),
            count: (1u32..4).boxed(),
            target: (0u64..50).boxed(),
        }
    }

    /// Every shape a field takes in bincode: any Unicode, now and then longer than a
    /// one-byte varint length; any day the decoder accepts; counts across their varint forms.
    pub fn every_shape() -> World {
        let text = || prop_oneof![4 => ".{0,12}", 1 => ".{240,300}"].boxed();
        World {
            date: (1900i32..=2999, 1u8..=12, 1u8..=28)
                .prop_map(|(y, m, d)| Date::from_ymd(y, m, d).expect("a valid day"))
                .boxed(),
            state: "[A-Z]{3}"
                .prop_map(|s| StateCode::new(s).expect("valid"))
                .boxed(),
            body: "[a-z][a-z0-9-]{0,63}"
                .prop_map(|s| BodyId::new(s).expect("valid"))
                .boxed(),
            meeting: "[A-Za-z0-9-]{1,32}"
                .prop_map(|s| MeetingId::new(s).expect("valid"))
                .boxed(),
            institution: "[A-Z0-9-]{1,16}"
                .prop_map(|s| InstitutionCode::new(s).expect("valid"))
                .boxed(),
            text: text(),
            task: text(),
            count: prop_oneof![0u32..300, any::<u32>()].boxed(),
            target: any::<u64>().boxed(),
        }
    }
}

fn a_decision(w: &World) -> impl Strategy<Value = Decision> {
    (
        w.meeting.clone(),
        w.date.clone(),
        prop::option::of(w.text.clone()),
        prop::option::of(w.text.clone()),
    )
        .prop_map(|(meeting, date, document, paragraph)| Decision {
            meeting,
            date,
            document: document.map(Into::into),
            paragraph: paragraph.map(Into::into),
        })
}

/// No end, a day, or the close of a meeting: every shape of `TermEnd`.
fn an_end(w: &World) -> impl Strategy<Value = Option<TermEnd>> {
    prop::option::of(prop_oneof![
        w.date.clone().prop_map(TermEnd::On),
        w.meeting.clone().prop_map(TermEnd::CloseOf),
    ])
}

/// An end, half the time moved past `start` when it is a day: a term that can be valid.
fn an_end_after(w: &World) -> impl Strategy<Value = (Date, Option<TermEnd>)> {
    (w.date.clone(), an_end(w), any::<bool>()).prop_map(|(start, end, after)| {
        let end = match end {
            Some(TermEnd::On(day)) if after => Some(TermEnd::On(day.max(start.add_days(1)))),
            end => end,
        };
        (start, end)
    })
}

fn tasks(w: &World) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(w.task.clone(), 0..4)
}

/// Any event but a correction, of every other variant, every optional field present and
/// absent.
pub(crate) fn an_event(w: &World) -> BoxedStrategy<Event> {
    let w = w.clone();
    prop_oneof![
        (w.state.clone(), w.text.clone(), w.date.clone()).prop_map(|(state, name, effective)| {
            Event::StateJoined(StateJoined {
                state,
                name,
                effective,
            })
        }),
        (
            w.state.clone(),
            prop::option::of(w.text.clone()),
            w.date.clone()
        )
            .prop_map(|(state, name, effective)| {
                Event::StateWithdrew(StateWithdrew {
                    state,
                    name,
                    effective,
                })
            }),
        (w.institution.clone(), w.text.clone(), any::<bool>()).prop_map(
            |(institution, name, by_right)| {
                Event::InstitutionRegistered(InstitutionRegistered {
                    institution,
                    name,
                    by_right,
                })
            }
        ),
        (
            w.meeting.clone(),
            prop::sample::select(vec![
                MeetingType::Msp,
                MeetingType::Rc,
                MeetingType::Intersessional
            ]),
            (w.date.clone(), 0i64..6, w.date.clone(), any::<bool>()),
            prop::option::of(w.text.clone()),
            prop::option::of(w.state.clone()),
        )
            .prop_map(
                |(meeting, meeting_type, (start, days, other, span), location, host)| {
                    // A meeting of a few days, or any two days (even backwards).
                    let end = if span { start.add_days(days) } else { other };
                    Event::MeetingHeld(MeetingHeld {
                        meeting,
                        meeting_type,
                        start,
                        end: end.min(Date::from_ymd(2999, 12, 31).expect("a day")),
                        location,
                        host,
                    })
                }
            ),
        (
            (w.body.clone(), w.text.clone()),
            prop::option::of(prop::sample::select(vec![
                BodyType::WorkingGroup,
                BodyType::Coordinator
            ])),
            (w.count.clone(), w.count.clone(), w.count.clone()),
            tasks(&w),
            prop::option::of(w.date.clone()),
            a_decision(&w),
        )
            .prop_map(
                |(
                    (body, name),
                    body_type,
                    (seats, term_years, renew),
                    mandate,
                    effective,
                    decision,
                )| {
                    Event::BodyEstablished(BodyEstablished {
                        body,
                        name,
                        body_type,
                        seats,
                        term_years,
                        renew_per_year: renew,
                        mandate,
                        effective,
                        decision,
                    })
                }
            ),
        (
            (
                w.body.clone(),
                w.state.clone(),
                an_end_after(&w),
                a_decision(&w)
            ),
            (
                prop::option::of(w.text.clone()),
                prop::option::of(w.state.clone()),
                prop::option::of(prop::sample::select(vec![Stagger::SetUp, Stagger::Restore])),
            ),
        )
            .prop_map(
                |((body, state, (start, end), decision), (person, replaces, stagger))| {
                    Event::CoordinatorElected(CoordinatorElected {
                        body,
                        state,
                        start,
                        end,
                        decision,
                        person: person.map(Into::into),
                        replaces,
                        stagger,
                    })
                }
            ),
        (
            w.body.clone(),
            w.state.clone(),
            w.date.clone(),
            w.text.clone()
        )
            .prop_map(|(body, state, effective, reason)| {
                Event::CoordinatorLeft(CoordinatorLeft {
                    body,
                    state,
                    effective,
                    reason,
                })
            }),
        (w.body.clone(), tasks(&w), tasks(&w), a_decision(&w)).prop_map(
            |(body, add, remove, decision)| {
                Event::MandateAmended(MandateAmended {
                    body,
                    add,
                    remove,
                    decision,
                })
            }
        ),
        (
            (w.body.clone(), prop::option::of(w.text.clone())),
            (
                prop::option::of(w.count.clone()),
                prop::option::of(w.count.clone()),
                prop::option::of(w.count.clone())
            ),
            prop::option::of(w.date.clone()),
            a_decision(&w),
        )
            .prop_map(
                |((body, name), (seats, term_years, renew_per_year), effective, decision)| {
                    Event::BodyAmended(BodyAmended {
                        body,
                        name,
                        seats,
                        term_years,
                        renew_per_year,
                        effective,
                        decision,
                    })
                }
            ),
        (
            w.body.clone(),
            w.date.clone(),
            prop::option::of(w.body.clone()),
            a_decision(&w)
        )
            .prop_map(|(body, effective, transfer_to, decision)| {
                Event::BodyDiscontinued(BodyDiscontinued {
                    body,
                    effective,
                    transfer_to,
                    decision,
                })
            }),
        (
            any::<bool>(),
            w.state.clone(),
            prop::option::of(w.text.clone()),
            an_end_after(&w),
            a_decision(&w)
        )
            .prop_map(|(president, state, person, (start, end), decision)| {
                let elected = PresidencyElected {
                    state,
                    person: person.map(Into::into),
                    start,
                    end,
                    decision,
                };
                if president {
                    Event::PresidentElected(elected)
                } else {
                    Event::PresidentDesignateElected(elected)
                }
            }),
        (
            any::<bool>(),
            w.institution.clone(),
            w.date.clone(),
            a_decision(&w)
        )
            .prop_map(|(extended, institution, effective, decision)| {
                let invitation = StandingInvitation {
                    institution,
                    effective,
                    decision,
                };
                if extended {
                    Event::StandingInvitationExtended(invitation)
                } else {
                    Event::StandingInvitationWithdrawn(invitation)
                }
            }),
    ]
    .boxed()
}

/// An event, or now and then a correction (retracting or replacing, by a correction now and
/// then: nested a few deep) of some entry, earlier, later or none.
pub(crate) fn an_event_or_correction(w: &World) -> BoxedStrategy<Event> {
    let (target, reason) = (w.target.clone(), w.text.clone());
    let leaf = an_event(w);
    prop_oneof![
        5 => leaf.clone(),
        1 => leaf.prop_recursive(3, 8, 1, move |inner| {
            (target.clone(), reason.clone(), prop::option::of(inner)).prop_map(
                |(target, reason, replacement)| {
                    Event::EntryCorrected(EntryCorrected {
                        target: Seq(target),
                        reason,
                        replacement: replacement.map(Box::new),
                    })
                },
            )
        }),
    ]
    .boxed()
}

/// Entries whose fields take every shape bincode gives them: seqs and record times across the
/// varint forms, recorders past 250 bytes, any Unicode, with and without an override, any
/// previous hash, and any event of [`World::every_shape`].
pub(crate) fn an_entry() -> impl Strategy<Value = Entry> {
    let seq = prop_oneof![0u64..300, 250u64..70_000, any::<u64>()];
    let secs = prop_oneof![0i64..100, -2_208_988_800i64..32_503_680_000];
    let by = prop_oneof![".{0,8}", ".{240,300}"];
    (
        seq,
        secs,
        0u32..1_000_000_000,
        by,
        prop::option::of(".{0,300}"),
        any::<[u8; 32]>(),
        an_event_or_correction(&World::every_shape()),
    )
        .prop_filter_map(
            "a record time in range",
            |(seq, secs, nanos, by, reason, prev, event)| {
                Some(Entry {
                    seq: Seq(seq),
                    recorded_at: Timestamp::from_parts(secs, nanos)?,
                    recorded_by: by,
                    override_reason: reason,
                    prev_hash: EntryHash(prev),
                    event,
                })
            },
        )
}

/// A ledger of up to 50 entries of [`World::small`], events valid or not, corrections of
/// anything (even of corrections, which are ignored), seqs in order.
pub(crate) fn a_ledger() -> impl Strategy<Value = Vec<Entry>> {
    prop::collection::vec(an_event_or_correction(&World::small()), 0..50).prop_map(|events| {
        events
            .into_iter()
            .enumerate()
            .map(|(i, event)| Entry {
                seq: Seq(i as u64),
                recorded_at: Timestamp::from_parts(1_600_000_000 + i as i64, 0)
                    .expect("a time in range"),
                recorded_by: "test".into(),
                override_reason: None,
                prev_hash: EntryHash::GENESIS,
                event,
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    use super::*;

    /// Every kind of event comes out of both worlds: a new variant without a generator
    /// fails here, not silently untested.
    #[test]
    fn generators_give_every_kind_of_event() {
        for (name, world) in [
            ("small", World::small()),
            ("every shape", World::every_shape()),
        ] {
            let events = an_event_or_correction(&world);
            let mut runner = TestRunner::deterministic();
            let mut seen = BTreeSet::new();
            for _ in 0..2000 {
                let event = events.new_tree(&mut runner).expect("a value").current();
                seen.insert(event.kind());
            }
            let missing: Vec<&str> = Event::KINDS
                .iter()
                .copied()
                .filter(|kind| !seen.contains(kind))
                .collect();
            assert!(
                missing.is_empty(),
                "the {name} world never gives {missing:?}"
            );
        }
    }
}
