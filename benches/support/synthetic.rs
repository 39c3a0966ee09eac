//! Realistic synthetic ledgers: every kind of event, many States and bodies, a century and
//! more of yearly meetings, staggered elections, departures and replacements, amendments,
//! discontinuations with transfers, presidencies, invitations and some corrections. The same
//! `n` always gives the same events.
//!
//! The shape: a founding year (States join, institutions register, bodies are established
//! with set-up terms of one and two years), then one year after another: a formal meeting
//! (a Review Conference every fifth year, an MSP otherwise) and an intersessional one, a
//! President and a President-designate, one seat of every body renewed, and a few of each
//! rarer event. The number of bodies grows with `n` (n / 250) so that 10^6 events still
//! span about two centuries.

use std::io::Write;
use std::path::Path;

use ccm_ledger::domain::jsonl::event_to_value;
use ccm_ledger::domain::*;

pub fn date(y: i32, m: u8, d: u8) -> Date {
    Date::from_ymd(y, m, d).expect("a valid date")
}

/// splitmix64: deterministic and good enough to pick things.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

const TOPICS: [&str; 10] = [
    "Universalization",
    "Victim Assistance",
    "Clearance and Risk Reduction",
    "Stockpile Destruction and Retention",
    "International Cooperation and Assistance",
    "Transparency Measures",
    "National Implementation Measures",
    "General Status and Operation of the Convention",
    "Gender and Diversity",
    "Reporting",
];

const TASKS: [&str; 8] = [
    "promote universal adherence to the Convention",
    "support States in meeting their clearance deadlines",
    "review the implementation of the Lausanne Action Plan",
    "integrate gender and diversity considerations",
    "establish baselines and annual reporting",
    "assist victims and their communities",
    "coordinate international cooperation and assistance",
    "monitor stockpile destruction and retention",
];

const NAMES: [&str; 8] = [
    "Félix Baumann",
    "Aidan Liddle",
    "Bakhyt Abdildin",
    "Maria Cristina Lucas",
    "Ahmad Ghaith",
    "Yann Hwang",
    "Chitsaka Chipaziwa",
    "Andrea Gaggiotti",
];

const STATE_NAMES: [&str; 6] = [
    "Republic of",
    "Kingdom of",
    "Federal Republic of",
    "Principality of",
    "United Republic of",
    "Commonwealth of",
];

fn state_code(i: usize) -> StateCode {
    let letters = [
        b'A' + (i / 676 % 26) as u8,
        b'A' + (i / 26 % 26) as u8,
        b'A' + (i % 26) as u8,
    ];
    StateCode::new(String::from_utf8(letters.to_vec()).expect("ASCII")).expect("a code")
}

/// The formal meeting of year `y`: a Review Conference every fifth year, an MSP otherwise.
fn formal(y: i32) -> (MeetingId, MeetingType) {
    let k = y - 2009;
    if k % 5 == 0 {
        (
            MeetingId::new(format!("{}RC", k / 5)).expect("an id"),
            MeetingType::Rc,
        )
    } else {
        (
            MeetingId::new(format!("{k}MSP")).expect("an id"),
            MeetingType::Msp,
        )
    }
}

struct Body {
    id: BodyId,
    /// The holder of each of the two seats, and when their term ends.
    /// (state, end, the year in whose September the term ends).
    holders: [Option<(StateCode, Option<TermEnd>, i32)>; 2],
    tasks: Vec<String>,
}

struct Gen {
    rng: Rng,
    events: Vec<Event>,
    states: Vec<StateCode>,
    next_state: usize,
    bodies: Vec<Body>,
    next_body: usize,
    institutions: Vec<InstitutionCode>,
    /// Institutions holding a standing invitation now.
    invited: std::collections::BTreeSet<InstitutionCode>,
    /// Entries already corrected (each is corrected at most once).
    corrected: std::collections::BTreeSet<usize>,
}

/// The override reason on every synthetic event.
pub const OVERRIDE: &str = "synthetic";

/// `n` events, deterministic.
pub fn ledger(n: usize) -> Vec<Draft> {
    let mut g = Gen {
        rng: Rng(0x5EED ^ n as u64),
        events: Vec::with_capacity(n + 64),
        states: Vec::new(),
        next_state: 0,
        bodies: Vec::new(),
        next_body: 0,
        institutions: Vec::new(),
        invited: Default::default(),
        corrected: Default::default(),
    };
    let bodies = (n / 250).clamp(10, 5000);
    let states = (n / 100).clamp(150, 17_000);
    g.founding(2010, states, bodies);
    let mut y = 2011;
    while g.events.len() < n {
        g.year(y);
        y += 1;
    }
    g.events.truncate(n);
    // Every line carries an override: the generator elects and replaces at random, so some
    // events break a continuity rule (a seat held twice, a term too long), which `import`
    // refuses without one. The override is recorded in each entry, as it would be for real.
    g.events
        .into_iter()
        .map(|event| Draft {
            override_reason: Some(OVERRIDE.into()),
            ..Draft::new(event)
        })
        .collect()
}

impl Gen {
    /// Records an event, and now and then a correction of an earlier one.
    fn push(&mut self, event: Event) {
        self.events.push(event);
        if self.rng.chance(0.004) {
            let target = self.rng.below(self.events.len());
            if !self.corrected.insert(target) {
                return;
            }
            // Only corrections that `import` accepts and that leave every later event valid:
            // a replacement that keeps what later events refer to, a retraction of what
            // nothing refers to.
            let replacement = match &self.events[target] {
                Event::CoordinatorElected(e) => {
                    let mut e = e.clone();
                    e.start = e.start.add_days(1);
                    Some(Box::new(Event::CoordinatorElected(e)))
                }
                Event::MeetingHeld(e) => {
                    let mut e = e.clone();
                    e.location = Some(format!("{} (corrected)", e.location.unwrap_or_default()));
                    Some(Box::new(Event::MeetingHeld(e)))
                }
                Event::PresidentElected(_)
                | Event::PresidentDesignateElected(_)
                | Event::BodyAmended(_) => None,
                _ => {
                    self.corrected.remove(&target);
                    return;
                }
            };
            let reason = if replacement.is_some() {
                "transcription error in the record of the decision"
            } else {
                "recorded in error: the decision was not adopted"
            };
            self.events.push(Event::EntryCorrected(EntryCorrected {
                target: Seq(target as u64),
                reason: reason.into(),
                replacement,
            }));
        }
    }

    fn decision(&mut self, y: i32) -> Decision {
        let (meeting, _) = formal(y);
        Decision {
            meeting,
            date: date(y, 9, 6),
            document: Some(format!("CCM/MSP/{y}/{}", 2 + self.rng.below(8)).into()),
            paragraph: Some(format!("{}", 10 + self.rng.below(40)).into()),
        }
    }

    fn join_state(&mut self, y: i32) {
        let code = state_code(self.next_state);
        let name = format!(
            "{} {}",
            STATE_NAMES[self.next_state % STATE_NAMES.len()],
            code.as_str().to_lowercase()
        );
        self.next_state += 1;
        let effective = date(
            y,
            1 + self.rng.below(12) as u8,
            1 + self.rng.below(28) as u8,
        );
        self.states.push(code.clone());
        self.push(Event::StateJoined(StateJoined {
            state: code,
            name,
            effective,
        }));
    }

    fn any_state(&mut self) -> StateCode {
        let i = self.rng.below(self.states.len());
        self.states[i].clone()
    }

    fn meetings(&mut self, y: i32) {
        let (meeting, meeting_type) = formal(y);
        let host = if self.rng.chance(0.3) {
            Some(self.any_state())
        } else {
            None
        };
        self.push(Event::MeetingHeld(MeetingHeld {
            meeting,
            meeting_type,
            start: date(y, 9, 2),
            end: date(y, 9, 6),
            location: Some(if host.is_some() { "Lausanne" } else { "Geneva" }.into()),
            host,
        }));
        self.push(Event::MeetingHeld(MeetingHeld {
            meeting: MeetingId::new(format!("IS{y}")).expect("an id"),
            meeting_type: MeetingType::Intersessional,
            start: date(y, 5, 10),
            end: date(y, 5, 12),
            location: Some("Geneva".into()),
            host: None,
        }));
    }

    fn establish(&mut self, y: i32) {
        let k = self.next_body;
        self.next_body += 1;
        let topic = TOPICS[k % TOPICS.len()];
        let slug: String = topic
            .to_lowercase()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join("-");
        let id = BodyId::new(format!("wg-{slug}-{k}")).expect("a body id");
        let mut tasks: Vec<String> = Vec::new();
        for _ in 0..2 + self.rng.below(3) {
            let task = TASKS[self.rng.below(TASKS.len())].to_owned();
            if !tasks.contains(&task) {
                tasks.push(task);
            }
        }
        let decision = self.decision(y);
        self.push(Event::BodyEstablished(BodyEstablished {
            body: id.clone(),
            name: format!("Working Group on {topic} ({k})"),
            body_type: Some(BodyType::WorkingGroup),
            seats: 2,
            term_years: 2,
            renew_per_year: 1,
            mandate: tasks.clone(),
            effective: None,
            decision,
        }));
        let mut body = Body {
            id,
            holders: [None, None],
            tasks,
        };
        // The set-up terms: one of one year and one of two, so one seat is renewed a year.
        for (seat, years) in [(0, 1), (1, 2)] {
            let state = self.any_state();
            let end = Some(TermEnd::CloseOf(formal(y + years).0));
            let decision = self.decision(y);
            self.push(Event::CoordinatorElected(CoordinatorElected {
                body: body.id.clone(),
                state: state.clone(),
                start: date(y, 9, 6),
                end: end.clone(),
                decision,
                person: None,
                replaces: None,
                stagger: None,
            }));
            body.holders[seat] = Some((state, end, y + years));
        }
        self.bodies.push(body);
    }

    fn founding(&mut self, y: i32, states: usize, bodies: usize) {
        for _ in 0..states {
            self.join_state(y - 1);
        }
        for (code, name, by_right) in [
            ("ISU", "Implementation Support Unit", true),
            ("UN", "United Nations", true),
            ("ICRC", "International Committee of the Red Cross", true),
            ("CMC", "Cluster Munition Coalition", true),
            (
                "GICHD",
                "Geneva International Centre for Humanitarian Demining",
                false,
            ),
            ("UNDP", "United Nations Development Programme", false),
            ("UNMAS", "United Nations Mine Action Service", false),
        ] {
            let institution = InstitutionCode::new(code).expect("a code");
            if !by_right {
                self.institutions.push(institution.clone());
            }
            self.push(Event::InstitutionRegistered(InstitutionRegistered {
                institution,
                name: name.into(),
                by_right,
            }));
        }
        self.meetings(y);
        for _ in 0..bodies {
            self.establish(y);
        }
        self.presidency(y);
    }

    fn presidency(&mut self, y: i32) {
        for designate in [false, true] {
            let state = self.any_state();
            let person = Some(format!("Ambassador {}", NAMES[self.rng.below(NAMES.len())]));
            let decision = self.decision(y);
            let (start, end) = if designate {
                (date(y, 9, 6), Some(TermEnd::CloseOf(formal(y + 1).0)))
            } else {
                (date(y, 9, 6), Some(TermEnd::On(date(y + 1, 9, 6))))
            };
            let e = PresidencyElected {
                state,
                person: person.map(Into::into),
                start,
                end,
                decision,
            };
            self.push(if designate {
                Event::PresidentDesignateElected(e)
            } else {
                Event::PresidentElected(e)
            });
        }
    }

    fn year(&mut self, y: i32) {
        for _ in 0..self.rng.below(3) {
            if self.next_state < 17_576 {
                self.join_state(y);
            }
        }
        if self.rng.chance(0.1) && self.states.len() > 100 {
            let i = self.rng.below(self.states.len());
            let state = self.states.swap_remove(i);
            self.push(Event::StateWithdrew(StateWithdrew {
                state,
                name: None,
                effective: date(y, 12, 31),
            }));
        }
        self.meetings(y);
        self.presidency(y);
        let institution = self.institutions[self.rng.below(self.institutions.len())].clone();
        let decision = self.decision(y);
        let invitation = StandingInvitation {
            institution: institution.clone(),
            effective: date(y, 9, 6),
            decision,
        };
        // Withdrawn only if extended before.
        let event = if self.invited.remove(&institution) {
            Event::StandingInvitationWithdrawn(invitation)
        } else {
            self.invited.insert(institution);
            Event::StandingInvitationExtended(invitation)
        };
        self.push(event);

        let mut discontinued = 0;
        let mut i = 0;
        while i < self.bodies.len() {
            // One seat renewed a year.
            let seat = (y % 2) as usize;
            let state = self.any_state();
            let end = if self.rng.chance(0.2) {
                Some(TermEnd::On(date(y + 2, 9, 6)))
            } else {
                Some(TermEnd::CloseOf(formal(y + 2).0))
            };
            let decision = self.decision(y);
            let body = self.bodies[i].id.clone();
            self.push(Event::CoordinatorElected(CoordinatorElected {
                body: body.clone(),
                state: state.clone(),
                start: date(y, 9, 6),
                end: end.clone(),
                decision,
                person: None,
                replaces: None,
                stagger: None,
            }));
            self.bodies[i].holders[seat] = Some((state, end, y + 2));

            // A departure, and a replacement who completes the term.
            if self.rng.chance(0.06) {
                let other = 1 - seat;
                // Only a holder whose term runs past the departure (March of next year).
                if let Some((leaving, end, until)) = self.bodies[i].holders[other]
                    .clone()
                    .filter(|h| h.2 > y + 1)
                {
                    let effective = date(y + 1, 3, 1 + self.rng.below(28) as u8);
                    self.push(Event::CoordinatorLeft(CoordinatorLeft {
                        body: body.clone(),
                        state: leaving,
                        effective,
                        reason: "resignation".into(),
                    }));
                    let state = self.any_state();
                    // Decided at this year's meeting (next year's is not recorded yet).
                    let decision = self.decision(y);
                    self.push(Event::CoordinatorElected(CoordinatorElected {
                        body: body.clone(),
                        state: state.clone(),
                        start: effective.add_days(30),
                        end: end.clone(),
                        decision,
                        person: None,
                        replaces: None,
                        stagger: None,
                    }));
                    self.bodies[i].holders[other] = Some((state, end, until));
                }
            }
            if self.rng.chance(0.03) {
                let task = TASKS[self.rng.below(TASKS.len())].to_owned();
                let add = if self.bodies[i].tasks.contains(&task) {
                    Vec::new()
                } else {
                    vec![task]
                };
                let remove = if self.bodies[i].tasks.len() > 2 {
                    vec![self.bodies[i].tasks.remove(0)]
                } else {
                    Vec::new()
                };
                self.bodies[i].tasks.extend(add.iter().cloned());
                if !(add.is_empty() && remove.is_empty()) {
                    let decision = self.decision(y);
                    self.push(Event::MandateAmended(MandateAmended {
                        body: body.clone(),
                        add,
                        remove,
                        decision,
                    }));
                }
            }
            if self.rng.chance(0.01) {
                let decision = self.decision(y);
                let term_years = if self.rng.chance(0.5) { Some(2) } else { None };
                self.push(Event::BodyAmended(BodyAmended {
                    body: body.clone(),
                    name: Some(format!("Working Group {} (renamed {y})", body.as_str())),
                    seats: None,
                    term_years,
                    renew_per_year: None,
                    effective: None,
                    decision,
                }));
            }
            if self.rng.chance(0.015) && self.bodies.len() > 1 {
                // Discontinued, its mandate moved to another body, and a new body set up.
                let to = self.bodies[(i + 1) % self.bodies.len()].id.clone();
                let decision = self.decision(y);
                self.push(Event::BodyDiscontinued(BodyDiscontinued {
                    body,
                    effective: date(y, 9, 6),
                    transfer_to: Some(to),
                    decision,
                }));
                self.bodies.swap_remove(i);
                discontinued += 1;
                continue;
            }
            i += 1;
        }
        for _ in 0..discontinued {
            self.establish(y);
        }
    }
}

/// Writes `drafts` as the JSON Lines `ccm-ledger import` reads, each with its override.
pub fn write_jsonl(path: &Path, drafts: &[Draft]) {
    let file = std::fs::File::create(path).expect("a writable JSONL file");
    let mut out = std::io::BufWriter::new(file);
    for draft in drafts {
        let mut value = event_to_value(&draft.event);
        if let (Some(reason), serde_json::Value::Object(map)) = (&draft.override_reason, &mut value)
        {
            map.insert("override".into(), reason.clone().into());
        }
        serde_json::to_writer(&mut out, &value).expect("JSON");
        out.write_all(b"\n").expect("write");
    }
    out.flush().expect("flush");
}
