//! The terms as rows for spreadsheets (CSV), and the machinery in the Popolo data shape
//! (<https://www.popoloproject.com/specs/>): organizations, posts and memberships.

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::domain::{BodyId, BodyType, Date, StateCode, TermEnd};
use crate::projection::{Office, Projection};

/// One term, as a CSV row: a coordinator's term in a seat of a body, or a President's or a
/// President-designate's (`body` is then `presidency` and `seat` empty).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TermRow {
    pub body: String,
    /// The body's name with every recorded amendment applied (today's name).
    pub body_name: String,
    /// Empty for the Presidency, which has no seats.
    pub seat: Option<u32>,
    pub state: String,
    pub state_name: String,
    pub start: String,
    /// The day it ended (exclusive: the successor's first day); empty while running.
    pub end: String,
    /// For a term "until the close of" a meeting not yet recorded: that meeting.
    pub until_close_of: String,
    pub how_ended: String,
    pub decision_meeting: String,
    pub decision_date: String,
    pub seq: u64,
    /// Who held the seat for the State, if the election says. This and the columns after it
    /// come last, so that the columns before them keep their places in spreadsheets made
    /// before they existed.
    pub person: String,
    /// `Coordinator`, `President` or `President-designate`.
    pub office: String,
    /// The body's name as it was on the term's first day (amendments effective on or before
    /// it applied): what the term was called when it was held.
    pub body_name_at_start: String,
}

/// Which terms a spreadsheet holds. The default holds every term of every body and of the
/// Presidency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Only the terms of these States (empty: every State's).
    pub states: Vec<StateCode>,
    /// Only the terms of these bodies, and then none of the Presidency's (empty: every body's
    /// and the Presidency's).
    pub bodies: Vec<BodyId>,
    /// Only terms still held on or after this day.
    pub from: Option<Date>,
    /// Only terms begun before this day (the day after the window's last).
    pub to: Option<Date>,
}

impl Selection {
    fn holds_state(&self, state: &StateCode) -> bool {
        self.states.is_empty() || self.states.contains(state)
    }

    /// The term `[start, end)` overlaps the window `[from, to)`; a term whose end is not
    /// known yet runs on.
    fn overlaps(&self, start: Date, end: Option<Date>) -> bool {
        self.to.is_none_or(|to| start < to)
            && self
                .from
                .is_none_or(|from| end.is_none_or(|end| end > from))
    }
}

/// The terms `selection` holds: those of the bodies (bodies by id, terms in order of start),
/// then the Presidency's (in order of start). Every text cell is [`defused`]: the numbers
/// (`seat`, `seq`) and the dates the program writes itself (`YYYY-MM-DD`) cannot begin with a
/// formula character and are left as they are.
pub fn term_rows(projection: &Projection, selection: &Selection) -> Vec<TermRow> {
    let state_name = |code: &StateCode| {
        defused(
            projection
                .state(code)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
        )
    };
    let mut rows = Vec::new();
    let bodies = projection
        .bodies()
        .filter(|b| selection.bodies.is_empty() || selection.bodies.contains(&b.id));
    for body in bodies {
        let body_name = defused(body.latest().name);
        let terms = body
            .terms
            .iter()
            .filter(|t| selection.holds_state(&t.state) && selection.overlaps(t.start, t.end));
        for t in terms {
            rows.push(TermRow {
                body: defused(body.id.to_string()),
                body_name: body_name.clone(),
                seat: Some(t.seat),
                state: defused(t.state.to_string()),
                state_name: state_name(&t.state),
                start: t.start.to_string(),
                end: t.end.map(|d| d.to_string()).unwrap_or_default(),
                until_close_of: until_close_of(t.end, &t.declared_end),
                how_ended: defused(t.how_ended.to_string()),
                decision_meeting: defused(t.decision.meeting.to_string()),
                decision_date: t.decision.date.to_string(),
                seq: t.seq.0,
                person: defused(t.person.as_deref().unwrap_or_default().to_owned()),
                office: "Coordinator".to_owned(),
                body_name_at_start: defused(body.parameters_on(t.start).name),
            });
        }
    }
    if !selection.bodies.is_empty() {
        return rows;
    }
    let presidency = projection
        .presidency_terms()
        .iter()
        .filter(|t| selection.holds_state(&t.state) && selection.overlaps(t.start, t.end));
    for t in presidency {
        rows.push(TermRow {
            body: "presidency".to_owned(),
            body_name: PRESIDENCY.to_owned(),
            seat: None,
            state: defused(t.state.to_string()),
            state_name: state_name(&t.state),
            start: t.start.to_string(),
            end: t.end.map(|d| d.to_string()).unwrap_or_default(),
            until_close_of: until_close_of(t.end, &t.declared_end),
            how_ended: defused(t.how_ended.to_string()),
            decision_meeting: defused(t.decision.meeting.to_string()),
            decision_date: t.decision.date.to_string(),
            seq: t.seq.0,
            person: defused(t.person.as_deref().unwrap_or_default().to_owned()),
            office: t.office.title().to_owned(),
            body_name_at_start: PRESIDENCY.to_owned(),
        });
    }
    rows
}

/// The Presidency's name, in the CSV as in the Popolo document.
const PRESIDENCY: &str = "Presidency of the Convention on Cluster Munitions";

/// For a term "until the close of" a meeting not yet recorded: that meeting, defused.
fn until_close_of(end: Option<Date>, declared_end: &Option<TermEnd>) -> String {
    defused(match (end, declared_end) {
        (None, Some(TermEnd::CloseOf(m))) => m.to_string(),
        _ => String::new(),
    })
}

/// A text cell a spreadsheet will not run: one beginning with `=`, `+`, `-`, `@`, a tab or a
/// carriage return (the OWASP CSV-injection rule: `=HYPERLINK(…)` would be a live link,
/// `+cmd|…` a command) gets a leading `'`, which spreadsheets show as text and do not
/// evaluate. Applied to text columns only, so a number or a date is never altered.
pub fn defused(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

fn state_id(code: &str) -> String {
    format!("state/{code}")
}

/// Inserts `key: value` unless the value is null (Popolo omits what is unknown).
fn put(map: &mut Map<String, Value>, key: &str, value: Value) {
    if !value.is_null() {
        map.insert(key.to_owned(), value);
    }
}

/// The machinery as Popolo JSON.
///
/// - **organizations**: every body (`body/ID`; classification `working group` or
///   `coordinator`; founding and dissolution dates; earlier names as `other_names` with the
///   day they were replaced as `end_date`), the Presidency (`presidency`), and every State
///   (`state/CODE`, classification `State Party`, its ISO 3166-1 alpha-3 code as an
///   identifier).
/// - **posts**: one per seat (`body/ID/seat-N`, "Coordinator, Working Group on X, seat 1"),
///   and `presidency/president`, `presidency/president-designate`.
/// - **memberships**: one per term (`term/SEQ`, SEQ the ledger entry of the election). A
///   coordinator is a State, not a person, so the member is given with Popolo's `member`
///   field as `{"@type": "Organization", "id": "state/CODE"}` (no `person_id`); a President's
///   name, when recorded, is in the membership's `label`. `start_date` and `end_date` are ISO
///   dates, `end_date` being the day the term ended (its successor's first day); it is omitted
///   while a term runs or waits for a meeting not yet recorded.
pub fn popolo(projection: &Projection) -> Value {
    let mut organizations = Vec::new();
    let mut posts = Vec::new();
    let mut memberships = Vec::new();
    let state_name = |code: &crate::domain::StateCode| {
        projection
            .state(code)
            .map_or_else(|| code.to_string(), |s| s.name.clone())
    };
    let source = |meeting: &dyn std::fmt::Display, date: &dyn std::fmt::Display, seq| json!([{ "note": format!("decision of {meeting} on {date}; ccm-ledger entry {seq}") }]);

    for body in projection.bodies() {
        let id = format!("body/{}", body.id);
        let latest = body.latest();
        let mut org = Map::new();
        put(&mut org, "id", json!(id));
        put(&mut org, "name", json!(latest.name));
        put(
            &mut org,
            "classification",
            match body.established.body_type {
                Some(BodyType::WorkingGroup) => json!("working group"),
                Some(BodyType::Coordinator) => json!("coordinator"),
                None => Value::Null,
            },
        );
        put(
            &mut org,
            "identifiers",
            json!([{ "scheme": "ccm-ledger body", "identifier": body.id.to_string() }]),
        );
        let mut names = Vec::new();
        let mut name = body.established.name.clone();
        let mut since = body.established.effective;
        for change in &body.changes {
            if let Some(new) = &change.name {
                names.push(json!({
                    "name": name,
                    "start_date": since.to_string(),
                    "end_date": change.effective.to_string(),
                }));
                name.clone_from(new);
                since = change.effective;
            }
        }
        if !names.is_empty() {
            put(&mut org, "other_names", Value::Array(names));
        }
        put(
            &mut org,
            "founding_date",
            json!(body.established.effective.to_string()),
        );
        if let Some(d) = &body.discontinued {
            put(&mut org, "dissolution_date", json!(d.effective.to_string()));
        }
        organizations.push(Value::Object(org));

        let seats = body.seats_ever();
        let label = |seat: u32| {
            if latest.name.starts_with("Coordinator") {
                format!("{}, seat {seat}", latest.name)
            } else {
                format!("Coordinator, {}, seat {seat}", latest.name)
            }
        };
        for seat in 1..=seats {
            posts.push(json!({
                "id": format!("{id}/seat-{seat}"),
                "label": label(seat),
                "role": "Coordinator",
                "organization_id": id,
            }));
        }
        for t in &body.terms {
            let mut m = Map::new();
            put(&mut m, "id", json!(format!("term/{}", t.seq)));
            put(&mut m, "organization_id", json!(id));
            put(&mut m, "post_id", json!(format!("{id}/seat-{}", t.seat)));
            put(
                &mut m,
                "member",
                json!({ "@type": "Organization", "id": state_id(t.state.as_str()) }),
            );
            put(&mut m, "role", json!("Coordinator"));
            // The person who held the seat for the State, where the election names one:
            // Popolo's `person`, embedded (the member is still the State).
            let holder = match &t.person {
                Some(person) => {
                    put(&mut m, "person", json!({ "name": person }));
                    format!("{} ({person})", state_name(&t.state))
                }
                None => state_name(&t.state),
            };
            put(
                &mut m,
                "label",
                json!(format!("{}: {holder}", label(t.seat))),
            );
            put(&mut m, "start_date", json!(t.start.to_string()));
            put(&mut m, "end_date", json!(t.end.map(|d| d.to_string())));
            put(
                &mut m,
                "sources",
                source(&t.decision.meeting, &t.decision.date, t.seq),
            );
            memberships.push(Value::Object(m));
        }
    }

    organizations.push(json!({
        "id": "presidency",
        "name": PRESIDENCY,
        "classification": "presidency",
    }));
    for office in [Office::President, Office::PresidentDesignate] {
        posts.push(json!({
            "id": post_of(office),
            "label": office.title(),
            "role": office.title(),
            "organization_id": "presidency",
        }));
    }
    for t in projection.presidency_terms() {
        let mut m = Map::new();
        put(&mut m, "id", json!(format!("term/{}", t.seq)));
        put(&mut m, "organization_id", json!("presidency"));
        put(&mut m, "post_id", json!(post_of(t.office)));
        put(
            &mut m,
            "member",
            json!({ "@type": "Organization", "id": state_id(t.state.as_str()) }),
        );
        put(&mut m, "role", json!(t.office.title()));
        let label = match &t.person {
            Some(person) => format!("{}: {person} ({})", t.office.title(), state_name(&t.state)),
            None => format!("{}: {}", t.office.title(), state_name(&t.state)),
        };
        put(&mut m, "label", json!(label));
        put(&mut m, "start_date", json!(t.start.to_string()));
        put(&mut m, "end_date", json!(t.end.map(|d| d.to_string())));
        put(
            &mut m,
            "sources",
            source(&t.decision.meeting, &t.decision.date, t.seq),
        );
        memberships.push(Value::Object(m));
    }

    // Every State named anywhere, recorded as a party or not.
    let mut codes: Vec<String> = projection.states().map(|s| s.code.to_string()).collect();
    codes.extend(
        projection
            .bodies()
            .flat_map(|b| b.terms.iter().map(|t| t.state.to_string())),
    );
    codes.extend(
        projection
            .presidency_terms()
            .iter()
            .map(|t| t.state.to_string()),
    );
    codes.sort();
    codes.dedup();
    for code in codes {
        let name = crate::domain::StateCode::new(&code)
            .ok()
            .and_then(|c| projection.state(&c).map(|s| s.name.clone()))
            .unwrap_or_else(|| code.clone());
        organizations.push(json!({
            "id": state_id(&code),
            "name": name,
            "classification": "State Party",
            "identifiers": [{ "scheme": "ISO 3166-1 alpha-3", "identifier": code }],
        }));
    }

    json!({
        "organizations": organizations,
        "posts": posts,
        "memberships": memberships,
    })
}

fn post_of(office: Office) -> &'static str {
    match office {
        Office::President => "presidency/president",
        Office::PresidentDesignate => "presidency/president-designate",
    }
}
