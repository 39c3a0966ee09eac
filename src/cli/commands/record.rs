use serde_json::{Map, Value};

use crate::cli::{drafted, output, CliError, Context};
use crate::domain::jsonl::{self, Line};
use crate::domain::{Date, Event};
use crate::ledger::{Head, Ledger};

/// Append one event, typed as flags (for people at a terminal).
///
/// The event goes through exactly the checks of `import` (references, duplicates, continuity
/// rules); `--override "reason"` records it despite a rule finding, and the reason becomes
/// part of the hashed entry.
///
/// Examples:
///   ccm-ledger record coordinator-elected --body wg-cooperation --state IRL \
///       --start 2026-09-18 --end 2028-09-18 --meeting 3RC --date 2026-09-18
///   ccm-ledger record coordinator-left --body wg-clearance --state NOR \
///       --effective 2025-01-31 --reason resignation
///   ccm-ledger record entry-corrected --target 72 --reason "recorded in error" --retract
///   ccm-ledger record entry-corrected --target 58 --reason "the paragraph was left out" \
///       --set decision.document=CCM/MSP/2011/5 --set decision.paragraph=31
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    kind: Kind,
    /// Record despite an error finding of the continuity rules, for this reason (e.g. the
    /// decision of the MSP that made the exception)
    #[arg(long = "override", value_name = "REASON", global = true)]
    override_reason: Option<String>,
}

/// Where the thing was decided.
#[derive(Debug, Clone, clap::Args)]
struct DecisionArgs {
    /// The meeting that decided (e.g. 9MSP)
    #[arg(long)]
    meeting: String,
    /// The day of the decision (YYYY-MM-DD)
    #[arg(long)]
    date: Date,
    /// The document symbol of the decision
    #[arg(long)]
    document: Option<String>,
    /// The paragraph of the document
    #[arg(long)]
    paragraph: Option<String>,
}

/// How a term ends: a day, the close of a meeting, or open.
#[derive(Debug, Clone, clap::Args)]
struct EndArgs {
    /// The term ends on this day (YYYY-MM-DD)
    #[arg(long, conflicts_with = "end_meeting")]
    end: Option<Date>,
    /// The term ends at the close of this meeting (e.g. 11MSP), resolved once it is recorded
    #[arg(long)]
    end_meeting: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
enum Kind {
    /// A State became a State Party (the Convention entered into force for it)
    #[command(alias = "state_joined")]
    StateJoined {
        #[arg(long)]
        state: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        effective: Date,
    },
    /// A State's withdrawal took effect
    #[command(alias = "state_withdrew")]
    StateWithdrew {
        #[arg(long)]
        state: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        effective: Date,
    },
    /// An institution (ISU, UN, ICRC, CMC, GICHD, …)
    #[command(alias = "institution_registered")]
    InstitutionRegistered {
        #[arg(long)]
        institution: String,
        #[arg(long)]
        name: String,
        /// A member of the Coordination Committee by right (§19)
        #[arg(long)]
        by_right: bool,
    },
    /// A meeting (MSP, Review Conference or intersessional)
    #[command(alias = "meeting_held")]
    MeetingHeld {
        #[arg(long)]
        meeting: String,
        /// msp, rc or intersessional
        #[arg(long = "type")]
        meeting_type: String,
        #[arg(long)]
        start: Date,
        #[arg(long)]
        end: Date,
        #[arg(long)]
        location: Option<String>,
        #[arg(long)]
        host: Option<String>,
    },
    /// A working group or coordinator post established
    #[command(alias = "body_established")]
    BodyEstablished {
        #[arg(long)]
        body: String,
        #[arg(long)]
        name: String,
        /// working_group or coordinator
        #[arg(long = "type")]
        body_type: Option<String>,
        #[arg(long)]
        seats: u32,
        #[arg(long)]
        term_years: u32,
        #[arg(long)]
        renew_per_year: u32,
        /// A task of the mandate (repeat for each)
        #[arg(long = "task")]
        mandate: Vec<String>,
        #[arg(long)]
        effective: Option<Date>,
        #[command(flatten)]
        decision: DecisionArgs,
    },
    /// A State elected (or renewed) to a body's seat
    #[command(alias = "coordinator_elected")]
    CoordinatorElected {
        #[arg(long)]
        body: String,
        #[arg(long)]
        state: String,
        /// Who holds the seat for the State
        #[arg(long)]
        person: Option<String>,
        #[arg(long)]
        start: Date,
        #[command(flatten)]
        end: EndArgs,
        /// The State this one succeeds on the body (its term ends on this start)
        #[arg(long)]
        replaces: Option<String>,
        /// The term is shorter or longer on purpose, to set up or restore the stagger
        #[arg(long, value_parser = ["set_up", "restore"])]
        stagger: Option<String>,
        #[command(flatten)]
        decision: DecisionArgs,
    },
    /// A coordinator left before the end of its term
    #[command(alias = "coordinator_left")]
    CoordinatorLeft {
        #[arg(long)]
        body: String,
        #[arg(long)]
        state: String,
        #[arg(long)]
        effective: Date,
        #[arg(long)]
        reason: String,
    },
    /// Tasks added to or removed from a body's mandate
    #[command(alias = "mandate_amended")]
    MandateAmended {
        #[arg(long)]
        body: String,
        #[arg(long)]
        add: Vec<String>,
        #[arg(long)]
        remove: Vec<String>,
        #[command(flatten)]
        decision: DecisionArgs,
    },
    /// A body renamed, or its seats, term length or stagger changed
    #[command(alias = "body_amended")]
    BodyAmended {
        #[arg(long)]
        body: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        seats: Option<u32>,
        #[arg(long)]
        term_years: Option<u32>,
        #[arg(long)]
        renew_per_year: Option<u32>,
        #[arg(long)]
        effective: Option<Date>,
        #[command(flatten)]
        decision: DecisionArgs,
    },
    /// A body discontinued, its mandate optionally moved to another
    #[command(alias = "body_discontinued")]
    BodyDiscontinued {
        #[arg(long)]
        body: String,
        #[arg(long)]
        effective: Date,
        #[arg(long)]
        transfer_to: Option<String>,
        #[command(flatten)]
        decision: DecisionArgs,
    },
    /// A President of the Convention
    #[command(alias = "president_elected")]
    PresidentElected {
        #[arg(long)]
        state: String,
        #[arg(long)]
        person: Option<String>,
        #[arg(long)]
        start: Date,
        #[command(flatten)]
        end: EndArgs,
        #[command(flatten)]
        decision: DecisionArgs,
    },
    /// A President-designate
    #[command(alias = "president_designate_elected")]
    PresidentDesignateElected {
        #[arg(long)]
        state: String,
        #[arg(long)]
        person: Option<String>,
        #[arg(long)]
        start: Date,
        #[command(flatten)]
        end: EndArgs,
        #[command(flatten)]
        decision: DecisionArgs,
    },
    /// A standing invitation to the Coordination Committee (§21)
    #[command(alias = "standing_invitation_extended")]
    StandingInvitationExtended {
        #[arg(long)]
        institution: String,
        #[arg(long)]
        effective: Date,
        #[command(flatten)]
        decision: DecisionArgs,
    },
    /// A standing invitation withdrawn
    #[command(alias = "standing_invitation_withdrawn")]
    StandingInvitationWithdrawn {
        #[arg(long)]
        institution: String,
        #[arg(long)]
        effective: Date,
        #[command(flatten)]
        decision: DecisionArgs,
    },
    /// A correction of an earlier entry: a replacement event, or a retraction
    #[command(alias = "entry_corrected")]
    EntryCorrected {
        /// The seq of the entry corrected
        #[arg(long)]
        target: u64,
        #[arg(long)]
        reason: String,
        /// The replacement event, as one JSON object of the import format
        #[arg(
            long,
            value_name = "JSON",
            required_unless_present_any = ["retract", "set"],
            conflicts_with = "set"
        )]
        replacement: Option<String>,
        /// Retract the entry without a replacement
        #[arg(long, conflicts_with_all = ["replacement", "set"])]
        retract: bool,
        /// Replace the target's event with this field changed, named as in the import format
        /// (`start`, `end`, `decision.date`; repeat for each). VALUE `null` drops an optional
        /// field; a VALUE starting with `{` or `[` is JSON; a number or `true`/`false` is one
        /// where the field is not text
        #[arg(long, value_name = "FIELD=VALUE", value_parser = parse_set)]
        set: Vec<(String, String)>,
    },
}

/// Builds a JSON object from the fields that were given.
struct Fields(Map<String, Value>);

impl Fields {
    fn new(kind: &str) -> Fields {
        let mut map = Map::new();
        map.insert("kind".into(), kind.into());
        Fields(map)
    }

    fn set(mut self, key: &str, value: impl Into<Value>) -> Fields {
        self.0.insert(key.into(), value.into());
        self
    }

    fn maybe(self, key: &str, value: Option<impl Into<Value>>) -> Fields {
        match value {
            Some(v) => self.set(key, v),
            None => self,
        }
    }

    fn decision(self, d: DecisionArgs) -> Fields {
        let decision = Fields(Map::new())
            .set("meeting", d.meeting)
            .set("date", d.date.to_string())
            .maybe("document", d.document)
            .maybe("paragraph", d.paragraph);
        self.set("decision", Value::Object(decision.0))
    }

    fn end(self, e: EndArgs) -> Fields {
        let end = match (e.end, e.end_meeting) {
            (Some(date), _) => Value::String(date.to_string()),
            (None, Some(meeting)) => serde_json::json!({ "meeting": meeting }),
            (None, None) => Value::Null,
        };
        self.set("end", end)
    }
}

/// `FIELD=VALUE` as typed; the value is read against the target's field later.
fn parse_set(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((field, value)) if !field.is_empty() => Ok((field.to_owned(), value.to_owned())),
        _ => Err(format!(
            "expected FIELD=VALUE (e.g. start=2011-09-16), got `{text}`"
        )),
    }
}

/// The event of entry `target` as it stands (its last correction's), as an object of the import format, with each `--set`
/// applied: the replacement a correction by field records. Everything not named is kept as
/// it was recorded, so the correction says exactly what changed.
fn changed_event(
    ledger: Option<&Ledger>,
    target: u64,
    sets: Vec<(String, String)>,
) -> Result<Value, CliError> {
    let ledger = ledger
        .ok_or_else(|| CliError::input(format!("--target {target}: there is no ledger yet")))?;
    let stored = ledger
        .entries(target, target.saturating_add(1))?
        .next()
        .transpose()?;
    let Some(stored) = stored else {
        return Err(CliError::input(format!(
            "--target {target}: the ledger has {} entries (seqs 0 to {})",
            ledger.head().entries,
            ledger.head().entries.saturating_sub(1)
        )));
    };
    if let Event::EntryCorrected(_) = stored.entry.event {
        return Err(CliError::input(format!(
            "--target {target}: entry {target} is itself a correction; correct the entry it \
             corrects instead"
        )));
    }
    // From the entry as it stands now: a second correction by field keeps what the first
    // one changed.
    let head = ledger.head().entries;
    let Some(recorded) = drafted::as_it_stood(ledger, target, head)? else {
        return Err(CliError::input(format!(
            "--target {target}: entry {target} is retracted; give the whole event with \
             --replacement"
        )));
    };
    let mut event = recorded.clone();
    for (field, value) in &sets {
        set_field(&mut event, field, value, Reading::AsTheTargetHasIt)?;
    }
    if jsonl::event_from_value(event.clone()).is_err() {
        // A field the target did not have (`decision.paragraph=12`) may be text that looks
        // like a number: read those as text before refusing.
        event = recorded;
        for (field, value) in &sets {
            set_field(&mut event, field, value, Reading::NewAsText)?;
        }
    }
    // Refused here with the field's name, before anything is written.
    jsonl::event_from_value(event.clone()).map_err(|e| {
        let named = e.field.clone().unwrap_or_else(|| "the event".into());
        CliError::input(format!("--set {named}: {}", e.reason))
    })?;
    Ok(event)
}

/// How a `--set` VALUE that is not JSON-looking is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Text where the target has text; otherwise a number or `true`/`false` if it is one.
    AsTheTargetHasIt,
    /// As above, and a field the target did not have as text too.
    NewAsText,
}

/// Sets `field` (a dotted path: `decision.date`) of `event` to `value`, read as the field's
/// kind of value: text stays text where the target had text.
fn set_field(
    event: &mut Value,
    field: &str,
    value: &str,
    reading: Reading,
) -> Result<(), CliError> {
    let refuse = |why: &str| CliError::input(format!("--set {field}={value}: {why}"));
    if field == "kind" {
        return Err(refuse(
            "the kind of event cannot change; retract the entry and record the right one",
        ));
    }
    let mut path: Vec<&str> = field.split('.').collect();
    let last = path.pop().expect("split yields at least one piece");
    let mut object = event;
    for step in path {
        object = object
            .get_mut(step)
            .filter(|v| v.is_object())
            .ok_or_else(|| refuse(&format!("the target's event has no object `{step}`")))?;
    }
    let Value::Object(map) = object else {
        unreachable!("only objects are walked into")
    };
    if value == "null" {
        map.remove(last);
        return Ok(());
    }
    let was_text = match map.get(last) {
        Some(current) => current.is_string(),
        None => reading == Reading::NewAsText,
    };
    let new = if value.starts_with(['{', '[']) {
        serde_json::from_str(value).map_err(|e| refuse(&format!("not valid JSON: {e}")))?
    } else if was_text {
        Value::String(value.to_owned())
    } else {
        serde_json::from_str::<Value>(value)
            .ok()
            .filter(|v| !v.is_string())
            .unwrap_or_else(|| Value::String(value.to_owned()))
    };
    map.insert(last.to_owned(), new);
    Ok(())
}

fn event_object(kind: Kind, ledger: Option<&Ledger>) -> Result<Value, CliError> {
    let f = match kind {
        Kind::StateJoined {
            state,
            name,
            effective,
        } => Fields::new("state_joined")
            .set("state", state)
            .set("name", name)
            .set("effective", effective.to_string()),
        Kind::StateWithdrew {
            state,
            name,
            effective,
        } => Fields::new("state_withdrew")
            .set("state", state)
            .maybe("name", name)
            .set("effective", effective.to_string()),
        Kind::InstitutionRegistered {
            institution,
            name,
            by_right,
        } => Fields::new("institution_registered")
            .set("institution", institution)
            .set("name", name)
            .set("by_right", by_right),
        Kind::MeetingHeld {
            meeting,
            meeting_type,
            start,
            end,
            location,
            host,
        } => Fields::new("meeting_held")
            .set("meeting", meeting)
            .set("type", meeting_type)
            .set("start", start.to_string())
            .set("end", end.to_string())
            .maybe("location", location)
            .maybe("host", host),
        Kind::BodyEstablished {
            body,
            name,
            body_type,
            seats,
            term_years,
            renew_per_year,
            mandate,
            effective,
            decision,
        } => Fields::new("body_established")
            .set("body", body)
            .set("name", name)
            .maybe("type", body_type)
            .set("seats", seats)
            .set("term_years", term_years)
            .set("renew_per_year", renew_per_year)
            .set("mandate", mandate)
            .maybe("effective", effective.map(|d| d.to_string()))
            .decision(decision),
        Kind::CoordinatorElected {
            body,
            state,
            person,
            start,
            end,
            replaces,
            stagger,
            decision,
        } => Fields::new("coordinator_elected")
            .set("body", body)
            .set("state", state)
            .maybe("person", person)
            .set("start", start.to_string())
            .end(end)
            .maybe("replaces", replaces)
            .maybe("stagger", stagger)
            .decision(decision),
        Kind::CoordinatorLeft {
            body,
            state,
            effective,
            reason,
        } => Fields::new("coordinator_left")
            .set("body", body)
            .set("state", state)
            .set("effective", effective.to_string())
            .set("reason", reason),
        Kind::MandateAmended {
            body,
            add,
            remove,
            decision,
        } => Fields::new("mandate_amended")
            .set("body", body)
            .set("add", add)
            .set("remove", remove)
            .decision(decision),
        Kind::BodyAmended {
            body,
            name,
            seats,
            term_years,
            renew_per_year,
            effective,
            decision,
        } => Fields::new("body_amended")
            .set("body", body)
            .maybe("name", name)
            .maybe("seats", seats)
            .maybe("term_years", term_years)
            .maybe("renew_per_year", renew_per_year)
            .maybe("effective", effective.map(|d| d.to_string()))
            .decision(decision),
        Kind::BodyDiscontinued {
            body,
            effective,
            transfer_to,
            decision,
        } => Fields::new("body_discontinued")
            .set("body", body)
            .set("effective", effective.to_string())
            .maybe("transfer_to", transfer_to)
            .decision(decision),
        Kind::PresidentElected {
            state,
            person,
            start,
            end,
            decision,
        } => Fields::new("president_elected")
            .set("state", state)
            .maybe("person", person)
            .set("start", start.to_string())
            .end(end)
            .decision(decision),
        Kind::PresidentDesignateElected {
            state,
            person,
            start,
            end,
            decision,
        } => Fields::new("president_designate_elected")
            .set("state", state)
            .maybe("person", person)
            .set("start", start.to_string())
            .end(end)
            .decision(decision),
        Kind::StandingInvitationExtended {
            institution,
            effective,
            decision,
        } => Fields::new("standing_invitation_extended")
            .set("institution", institution)
            .set("effective", effective.to_string())
            .decision(decision),
        Kind::StandingInvitationWithdrawn {
            institution,
            effective,
            decision,
        } => Fields::new("standing_invitation_withdrawn")
            .set("institution", institution)
            .set("effective", effective.to_string())
            .decision(decision),
        Kind::EntryCorrected {
            target,
            reason,
            replacement,
            retract: _,
            set,
        } => {
            let replacement = match replacement {
                Some(text) => serde_json::from_str::<Value>(&text)
                    .map_err(|e| CliError::input(format!("--replacement: not valid JSON: {e}")))?,
                None if !set.is_empty() => changed_event(ledger, target, set)?,
                None => Value::Null,
            };
            Fields::new("entry_corrected")
                .set("target", target)
                .set("reason", reason)
                .set("replacement", replacement)
        }
    };
    Ok(Value::Object(f.0))
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let mut existing = drafted::open_for_append(ctx)?;
    let mut object = event_object(args.kind, existing.as_ref())?;
    if let (Some(reason), Value::Object(map)) = (args.override_reason, &mut object) {
        map.insert("override".into(), reason.into());
    }
    let line = jsonl::parse_line(&object.to_string())
        .map_err(|e| CliError::input(format!("record: {e}")))?;
    let summary = line.draft.event.to_string();
    let event = jsonl::event_to_value(&line.draft.event);
    let head = append(ctx, existing.as_mut(), line)?;
    if ctx.json {
        // As `log --json` names them: `summary` the sentence, `event` the event as imported.
        output::json(&serde_json::json!({
            "seq": head.entries - 1,
            "hash": head.hash.to_hex(),
            "summary": summary,
            "event": event,
        }))
    } else {
        output::text(&format!(
            "recorded entry {}: {summary}\nhead {}",
            head.entries - 1,
            head.hash
        ))
    }
}

/// Validates the line as `import` does (references, duplicates, continuity rules) and appends
/// it, creating the ledger if there is none, through the library's one write path (which then
/// keeps the snapshot, so the next query at the head reads it instead of folding the ledger).
fn append(ctx: &Context, existing: Option<&mut Ledger>, line: Line) -> Result<Head, CliError> {
    Ok(drafted::append_lines(ctx, existing, "record", vec![(1, line)])?.head)
}
