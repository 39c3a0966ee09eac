//! R4 (the elected State is a State Party, §15), R5 (nominated by an MSP or Review Conference,
//! §15) and R6 (no election to a discontinued body; its mandate goes to a body in force, §18,
//! §22).
//!
//! R4 and the Presidency: §15 requires coordinators to be States Parties; §19 says nothing of
//! the President's standing, and a signatory has presided (Lebanon, chosen at the close of the
//! 1MSP, a party only from 2011-05-01). So a coordinator who is not a party on the first day of
//! the term is an error, a President or President-designate a warning. A coordinator whose
//! State withdraws from the Convention while in office is a warning dated the withdrawal.

use crate::domain::{Date, Decision, Seq, StateCode, SEED};
use crate::projection::{Office, Projection};

use super::{meeting_words, Finding, Period, Rule, Severity};

/// How many days after a meeting's close a decision may be dated: the final report is adopted
/// at the close but may be issued, and dated, a few weeks later. A decision dated before the
/// meeting opened, or more than a month after it closed, was not taken there.
pub const DECISION_AFTER_CLOSE_DAYS: i64 = 31;

/// An election of either kind, as these rules see it.
struct Election<'a> {
    office: Result<&'a crate::domain::BodyId, Office>,
    state: &'a StateCode,
    start: Date,
    end: Option<Date>,
    decision: &'a Decision,
    seq: Seq,
}

impl Election<'_> {
    fn finding(&self, rule: Rule, severity: Severity, message: String, seqs: Vec<Seq>) -> Finding {
        let f = Finding::new(
            rule,
            severity,
            self.start,
            Period {
                from: self.start,
                until: self.end,
            },
            seqs,
            message,
        )
        .state(self.state);
        match self.office {
            Ok(body) => f.body(body),
            Err(office) => f.office(office),
        }
    }

    fn what(&self) -> String {
        match self.office {
            Ok(body) => format!("coordinator of {body}"),
            Err(office) => office.title().to_owned(),
        }
    }
}

fn elections(projection: &Projection) -> Vec<Election<'_>> {
    let coordinators = projection.bodies().flat_map(|b| {
        b.terms.iter().map(|t| Election {
            office: Ok(&t.body),
            state: &t.state,
            start: t.start,
            end: t.end,
            decision: &t.decision,
            seq: t.seq,
        })
    });
    let presidency = projection.presidency_terms().iter().map(|t| Election {
        office: Err(t.office),
        state: &t.state,
        start: t.start,
        end: t.end,
        decision: &t.decision,
        seq: t.seq,
    });
    coordinators.chain(presidency).collect()
}

/// R4.
pub(super) fn parties(projection: &Projection) -> Vec<Finding> {
    let mut findings = Vec::new();
    for e in elections(projection) {
        // One lookup of the State for both questions (the rules ask it of every term).
        let party = projection.state(e.state);
        if !party.is_some_and(|p| p.is_party_on(e.start)) {
            let standing = match party {
                None => "has never joined the Convention (no state_joined)".to_owned(),
                Some(p) => match p.memberships.iter().find(|m| m.joined > e.start) {
                    Some(m) => format!("becomes a State Party only on {}", m.joined),
                    None => "is not a State Party then".to_owned(),
                },
            };
            let severity = match e.office {
                Ok(_) => Severity::Error,
                Err(_) => Severity::Warning,
            };
            let mut seqs = vec![e.seq];
            if let Some(p) = party {
                seqs.extend(p.memberships.iter().map(|m| m.joined_seq));
            }
            let rule = match e.office {
                Ok(_) => format!("coordinators are from States Parties ({SEED} §15)"),
                Err(_) => format!(
                    "{SEED} §15 requires it of coordinators, §19 says nothing of the Presidency, \
                     so a warning"
                ),
            };
            let message = format!(
                "{} takes office as {} on {}, but {standing}; {rule}: correct the start to a \
                 day it is a State Party, moving the end with it (the term keeps its length), \
                 or override with the decision's reason",
                e.state,
                e.what(),
                e.start,
            );
            findings.push(e.finding(Rule::R4, severity, message, seqs));
            continue;
        }
        let Some(party) = party else { continue };
        for m in &party.memberships {
            let Some(w) = &m.withdrew else { continue };
            if e.start < w.effective && e.end.is_none_or(|end| w.effective < end) {
                let message = format!(
                    "{} withdrew from the Convention on {} while {} (from {}): end the term \
                     (coordinator_left) on the day of withdrawal",
                    e.state,
                    w.effective,
                    e.what(),
                    e.start,
                );
                let mut f = e.finding(Rule::R4, Severity::Warning, message, vec![e.seq, w.seq]);
                f.date = w.effective;
                f.period.from = w.effective;
                findings.push(f);
            }
        }
    }
    findings
}

/// R5: the decision an election cites is of a recorded MSP or Review Conference, dated from
/// its opening to [`DECISION_AFTER_CLOSE_DAYS`] after its close.
pub(super) fn nominations(projection: &Projection) -> Vec<Finding> {
    let mut findings = Vec::new();
    for e in elections(projection) {
        let d = e.decision;
        let problem = match projection.meeting(&d.meeting) {
            None => Some((
                format!("{} is not recorded (meeting_held)", d.meeting),
                vec![e.seq],
            )),
            Some(m) if !m.meeting_type.is_formal() => Some((
                format!(
                    "{} is an intersessional meeting, which takes no decisions; only an MSP \
                     or a Review Conference nominates",
                    meeting_words(&d.meeting, projection)
                ),
                vec![m.seq, e.seq],
            )),
            Some(m) if d.date < m.start || d.date > m.end.add_days(DECISION_AFTER_CLOSE_DAYS) => {
                Some((
                    format!(
                        "the decision is dated {}, outside {} (and the {} days after its close)",
                        d.date,
                        meeting_words(&d.meeting, projection),
                        DECISION_AFTER_CLOSE_DAYS
                    ),
                    vec![m.seq, e.seq],
                ))
            }
            Some(_) => None,
        };
        if let Some((why, seqs)) = problem {
            let message = format!(
                "{} as {} from {} cites a decision of {}: {why}; cite the MSP or Review \
                 Conference that made the nomination",
                e.state,
                e.what(),
                e.start,
                d.meeting
            );
            findings.push(e.finding(Rule::R5, Severity::Error, message, seqs));
        }
    }
    findings
}

/// R6: an election whose term begins on or after its body's discontinuation, and a mandate
/// transferred to a body that is unknown, is the body itself, or is not in force on the day.
pub(super) fn discontinued(projection: &Projection) -> Vec<Finding> {
    let mut findings = Vec::new();
    for body in projection.bodies() {
        let Some(d) = &body.discontinued else {
            continue;
        };
        for t in body.terms.iter().filter(|t| t.start >= d.effective) {
            let message = format!(
                "{} elected to {} from {}, but the body was discontinued on {} by {}: no \
                 election to a discontinued body; elect to the body its mandate went to{}",
                t.state,
                body.id,
                t.start,
                d.effective,
                d.decision.meeting,
                d.transfer_to
                    .as_ref()
                    .map(|to| format!(" ({to})"))
                    .unwrap_or_default(),
            );
            findings.push(
                Finding::new(
                    Rule::R6,
                    Severity::Error,
                    t.start,
                    Period {
                        from: t.start,
                        until: t.end,
                    },
                    [d.seq, t.seq],
                    message,
                )
                .body(&body.id)
                .state(&t.state),
            );
        }
        let Some(to) = &d.transfer_to else { continue };
        let target = projection.body(to);
        let problem = match target {
            _ if to == &body.id => Some(("is the body itself".to_owned(), vec![d.seq])),
            None => Some(("was never established".to_owned(), vec![d.seq])),
            Some(b) if b.established.effective > d.effective => Some((
                format!("is established only on {}", b.established.effective),
                vec![b.established.seq, d.seq],
            )),
            Some(b) => b
                .discontinued
                .as_ref()
                .filter(|x| x.effective <= d.effective)
                .map(|x| {
                    (
                        format!("was itself discontinued on {}", x.effective),
                        vec![x.seq, d.seq],
                    )
                }),
        };
        if let Some((why, seqs)) = problem {
            let message = format!(
                "{} is discontinued on {} and its mandate transferred to {to}, which {why}: \
                 transfer it to a body in force on that day",
                body.id, d.effective
            );
            findings.push(
                Finding::new(
                    Rule::R6,
                    Severity::Error,
                    d.effective,
                    Period {
                        from: d.effective,
                        until: None,
                    },
                    seqs,
                    message,
                )
                .body(&body.id),
            );
        }
    }
    findings
}
