//! One self-contained HTML page for publication: the machinery on a day (bodies and holders,
//! the Presidency, the Coordination Committee), the timeline, every body's history, the
//! continuity findings, and what a reader needs to verify it all (the ledger's size, its head
//! hash, and a signed checkpoint when there is one).
//!
//! Pure: the caller reads the ledger and passes everything in; [`render`] returns the page.
//! The markup is XHTML-compatible (void elements self-closed, no named entities but the XML
//! ones), so the page is well-formed XML as well as HTML, with inline CSS and an inline SVG:
//! no scripts, no external assets.

pub mod tabular;

use std::fmt::Write;

use serde_json::Value;

use crate::domain::{Date, MeetingType};
use crate::projection::{EndView, Projection};
use crate::timeline::markup::escape;
use crate::timeline::{long_date, svg, Timeline};

/// The continuity findings of the rules, as the JSON objects of `check --json`
/// (`rule`, `severity`, `body`, `state`, `date`, `seqs`, `message`), or why there are none.
#[derive(Clone, Copy, Debug)]
pub enum Findings<'a> {
    /// The rules were not run (this build has none): the section says so.
    NotChecked,
    /// The findings of the rules; empty: every rule held.
    Checked(&'a [Value]),
}

/// Everything the page shows.
pub struct Report<'a> {
    pub projection: &'a Projection,
    /// The day the state and the committee are shown for.
    pub on: Date,
    pub timeline: &'a Timeline,
    /// How many entries the page is built from, and the hash of the last of them.
    pub entries: u64,
    pub hash: String,
    /// How many entries the ledger holds (more than `entries` for a report `--known-at`).
    pub ledger_entries: u64,
    /// The text of the ledger's signed checkpoint, if it has one.
    pub checkpoint: Option<String>,
    pub findings: Findings<'a>,
    /// Who made the page: `ccm-ledger 0.1.0`.
    pub generator: String,
    /// For a what-if page: the proposal drafted onto the ledger, as its view says it (`as
    /// proposed in FILE: 5 events, not recorded`). The page then says so at its top, and
    /// its findings are those the proposal adds.
    pub proposal: Option<String>,
    /// For a what-if page: the seq of the proposal's first entry (its terms are marked in the
    /// timeline).
    pub proposed_from: Option<crate::domain::Seq>,
}

const CSS: &str = "
body { font-family: 'DejaVu Sans', Verdana, Arial, Helvetica, sans-serif; color: #1a1a1a;
  background: #fff; margin: 2em auto; max-width: 1440px; padding: 0 1.5em; line-height: 1.4;
  font-size: 15px; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; border-bottom: 2px solid #d0d7e2; padding-bottom: 0.2em; margin-top: 2em; }
h3 { font-size: 1.05em; margin: 1.4em 0 0.4em; }
.lead { color: #444; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.92em; }
th, td { text-align: left; padding: 0.25em 0.8em 0.25em 0; border-bottom: 1px solid #e4e4e4;
  vertical-align: top; white-space: nowrap; }
td.wrap { white-space: normal; }
th { font-weight: bold; border-bottom: 1px solid #999; }
td.num, th.num { text-align: right; }
code, pre, .hash { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 0.9em; }
.hash { word-break: break-all; }
pre { background: #f6f8fa; border: 1px solid #d0d7e2; padding: 0.8em; overflow-x: auto; }
.verify { background: #f3f7fc; border: 1px solid #c9d6e8; padding: 0.6em 1em; }
.vacant { color: #b3261e; }
.note { color: #555; font-style: italic; }
.sources-end { border-left: 4px solid #5f6b7a; background: #f3f5f8; padding: 0.5em 0.9em; }
.proposal { border: 2px dashed #b26a00; background: #fff7e6; padding: 0.6em 0.9em; }
.error { color: #b3261e; font-weight: bold; }
.warning { color: #8a5a00; font-weight: bold; }
figure { margin: 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
nav ol { columns: 2; }
@media print { body { margin: 0; max-width: none; font-size: 11pt; } h2 { break-after: avoid; }
  table, figure { break-inside: avoid; } }
";

fn cell(text: &str) -> String {
    format!("<td>{}</td>", escape(text))
}

fn table(out: &mut String, header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) {
    out.push_str("<table><thead><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        // Short rows ("vacant") are padded, so every row's rule runs the table's width.
        let padding = header.len().saturating_sub(row.len());
        for c in row {
            out.push_str(&c);
        }
        out.push_str(&"<td></td>".repeat(padding));
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

/// A cell whose text may wrap (a long mandate, a finding's message).
fn wrap(text: &str) -> String {
    format!("<td class=\"wrap\">{}</td>", escape(text))
}

fn state_label(code: &str, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{name} ({code})"),
        None => code.to_owned(),
    }
}

fn end_text(end: &EndView) -> String {
    end.to_string()
}

/// Renders the page.
/// "Norway (NOR) — Steffen Kongstad" where the election names who sat for the State.
fn with_person(label: String, person: Option<&str>) -> String {
    match person {
        Some(person) => format!("{label} — {person}"),
        None => label,
    }
}

pub fn render(r: &Report) -> String {
    let p = r.projection;
    let state = p.state_on(r.on);
    let mut out = String::new();
    let title = format!(
        "The machinery of the Convention on Cluster Munitions on {}",
        r.on
    );
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head><meta charset=\"utf-8\"/><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><meta name=\"generator\" content=\"{}\"/><title>{}</title><style>{CSS}</style></head><body>",
        escape(&r.generator),
        escape(&title)
    );
    let _ = write!(out, "<h1>{}</h1>", escape(&title));
    let known = if r.entries < r.ledger_entries {
        format!(
            " as the ledger stood after its first {} of {} entries",
            r.entries, r.ledger_entries
        )
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "<p class=\"lead\">From a tamper-evident ledger of {} entries{}. Every term names the decision that made it and the ledger entry (seq) that recorded it.</p>",
        r.entries,
        escape(&known)
    );
    if let Some((meeting, day)) = sources_end(p, r.on) {
        let _ = write!(
            out,
            "<p class=\"sources-end\"><strong>The sources end with {}, {}.</strong> No later meeting is recorded: the machinery on {} is shown as the decisions up to that meeting left it.</p>",
            escape(&meeting),
            long_date(day),
            long_date(r.on)
        );
    }
    if let Some(proposal) = &r.proposal {
        let _ = write!(
            out,
            "<p class=\"proposal\"><strong>Not recorded: {}.</strong> This page shows the machinery as the ledger would stand after these events; they are in no ledger, and the verification below is of the recorded entries only. The continuity findings are those the proposal would add.</p>",
            escape(proposal)
        );
    }
    out.push_str("<nav><ol><li><a href=\"#verify\">Verifying this page</a></li><li><a href=\"#state\">The machinery on the day</a></li><li><a href=\"#committee\">The Coordination Committee</a></li><li><a href=\"#timeline\">The timeline</a></li><li><a href=\"#findings\">Continuity findings</a></li><li><a href=\"#bodies\">Every body's history</a></li><li><a href=\"#presidency\">The Presidency's history</a></li></ol></nav>");

    // Verification.
    out.push_str("<h2 id=\"verify\">Verifying this page</h2><div class=\"verify\">");
    let _ = write!(
        out,
        "<p>Built from <strong>{}</strong> entries; the hash of the last of them (the head of the hash chain) is</p><p class=\"hash\">{}</p>",
        r.entries,
        escape(&r.hash)
    );
    out.push_str("<p>To check: <code>ccm-ledger verify</code> on a copy of the ledger prints the same number of entries and the same head hash; <code>ccm-ledger export</code> gives the entries themselves.</p>");
    match &r.checkpoint {
        Some(text) => {
            let _ = write!(
                out,
                "<p>The ledger's signed checkpoint:</p><pre>{}</pre>",
                escape(text)
            );
            out.push_str(&signed_at(text));
            out.push_str(&cosigners(text));
        }
        None => out.push_str("<p class=\"note\">The ledger has no signed checkpoint.</p>"),
    }
    out.push_str("</div>");

    // The state on the day.
    let _ = write!(
        out,
        "<h2 id=\"state\">The machinery on {}</h2><h3>The Presidency</h3>",
        r.on
    );
    let pres = &state.presidency;
    if pres.president.is_none()
        && pres.president_designate.is_none()
        && pres.outgoing_president.is_none()
    {
        // Three rows of "none recorded" say less than one sentence.
        let _ = write!(
            out,
            "<p class=\"note\">No President, President-designate or outgoing President is recorded on {}.</p>",
            long_date(r.on)
        );
    } else {
        presidency_on(&mut out, &state.presidency);
    }
    out.push_str("<h3>Bodies and their coordinators</h3>");
    let mut rows = Vec::new();
    for b in &state.bodies {
        let seats = b
            .seats
            .max(b.holders.iter().map(|h| h.seat).max().unwrap_or(0));
        for seat in 1..=seats {
            let label = if seat == 1 {
                cell(&b.name)
            } else {
                "<td></td>".into()
            };
            let held: Vec<_> = b.holders.iter().filter(|h| h.seat == seat).collect();
            if held.is_empty() {
                rows.push(vec![
                    label,
                    cell(&seat.to_string()),
                    "<td class=\"vacant\">vacant</td>".into(),
                ]);
                continue;
            }
            for (i, h) in held.into_iter().enumerate() {
                rows.push(vec![
                    if i == 0 {
                        label.clone()
                    } else {
                        "<td></td>".into()
                    },
                    cell(&seat.to_string()),
                    cell(&with_person(
                        state_label(h.state.as_str(), h.name.as_deref()),
                        h.person.as_deref(),
                    )),
                    cell(&h.start.to_string()),
                    cell(&end_text(&h.end)),
                    cell(&format!("{} (entry {})", h.decision.meeting, h.seq)),
                ]);
            }
        }
    }
    table(
        &mut out,
        &["body", "seat", "holder", "from", "until", "decision"],
        rows,
    );

    // Committee.
    let _ = write!(
        out,
        "<h2 id=\"committee\">The Coordination Committee on {}</h2><p>{} members (a State in two roles counts once).</p>",
        r.on, state.committee_size
    );
    table(
        &mut out,
        &["member", "why it sits", "since"],
        state.committee.iter().map(|m| {
            vec![
                cell(&with_person(
                    state_label(&m.member, m.name.as_deref()),
                    m.person.as_deref(),
                )),
                cell(&m.reason),
                cell(&m.since.map(|d| d.to_string()).unwrap_or_default()),
            ]
        }),
    );

    // Timeline.
    out.push_str("<h2 id=\"timeline\">The timeline</h2><p>One row per seat; a bar per term, with the State's name where it fits, else its code (the key below the chart names every State); an arrow: still running on the day shown; hatched: a vacant seat; vertical lines: the close of each meeting.</p><figure>");
    out.push_str(&svg::render(
        r.timeline,
        &svg::SvgOptions {
            width: 1400.0,
            title: None,
            standalone: false,
            proposed_from: r.proposed_from,
        },
    ));
    out.push_str("</figure>");

    // Findings.
    out.push_str("<h2 id=\"findings\">Continuity findings</h2>");
    match r.findings {
        Findings::NotChecked => out
            .push_str("<p class=\"note\">The continuity rules were not checked for this page.</p>"),
        Findings::Checked([]) => out.push_str("<p>Every continuity rule held.</p>"),
        Findings::Checked(findings) => {
            let text = |v: &Value, key: &str| match v.get(key) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            table(
                &mut out,
                &[
                    "rule", "severity", "date", "body", "State", "entries", "finding",
                ],
                findings.iter().map(|f| {
                    let overridden = text(f, "overridden");
                    let severity = match (text(f, "severity"), overridden.is_empty()) {
                        (s, true) => s,
                        (s, false) => format!("{s} (overridden)"),
                    };
                    let message = match overridden.is_empty() {
                        true => text(f, "message"),
                        false => format!("{} — overridden: {overridden}", text(f, "message")),
                    };
                    let seqs = f
                        .get("seqs")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .map(|s| s.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .unwrap_or_default();
                    // A proposal's events have no seq yet: its holder knows them by line.
                    let seqs = match f.get("proposed_lines").and_then(Value::as_array) {
                        Some(lines) if !lines.is_empty() => {
                            let lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                            format!("{seqs} (the proposal's line {})", lines.join(", "))
                        }
                        _ => seqs,
                    };
                    vec![
                        cell(&text(f, "rule")),
                        format!(
                            "<td class=\"{}\">{}</td>",
                            if severity == "error" {
                                "error"
                            } else {
                                "warning"
                            },
                            escape(&severity)
                        ),
                        cell(&text(f, "date")),
                        cell(&text(f, "body")),
                        cell(&text(f, "state")),
                        cell(&seqs),
                        wrap(&message),
                    ]
                }),
            );
        }
    }

    // Every body's history.
    out.push_str("<h2 id=\"bodies\">Every body's history</h2>");
    for body in p.bodies() {
        let Some(h) = p.body_history(&body.id).map(|h| h.as_on(r.on)) else {
            continue;
        };
        let _ = write!(
            out,
            "<h3 id=\"body-{id}\">{} <code>{id}</code></h3>",
            escape(&h.name),
            id = escape(h.body.as_str())
        );
        let mut changes = Vec::new();
        for a in std::iter::once(&h.established).chain(&h.amendments) {
            let mut what = Vec::new();
            if a.kind == "body_established" {
                what.push(format!(
                    "established as \u{201c}{}\u{201d}",
                    a.name.as_deref().unwrap_or("")
                ));
            } else if let Some(name) = &a.name {
                what.push(format!("renamed \u{201c}{name}\u{201d}"));
            }
            if let Some(s) = a.seats {
                what.push(format!("{s} seat{}", if s == 1 { "" } else { "s" }));
            }
            if let Some(y) = a.term_years {
                what.push(format!("{y}-year terms"));
            }
            if let Some(n) = a.renew_per_year {
                what.push(format!("{n} renewed a year"));
            }
            for t in &a.add {
                what.push(format!("+ {t}"));
            }
            for t in &a.remove {
                what.push(format!("\u{2212} {t}"));
            }
            changes.push(vec![
                cell(&a.effective.to_string()),
                wrap(&what.join("; ")),
                cell(&format!("{} (entry {})", a.decision.meeting, a.seq)),
            ]);
        }
        for m in &h.mandates_received {
            changes.push(vec![
                cell(&m.effective.to_string()),
                cell(&format!("received the mandate of {}", m.from)),
                cell(&format!("entry {}", m.seq)),
            ]);
        }
        if let Some(d) = &h.discontinued {
            let to = d
                .transfer_to
                .as_ref()
                .map(|t| format!("; mandate to {t}"))
                .unwrap_or_default();
            changes.push(vec![
                cell(&d.effective.to_string()),
                cell(&format!("discontinued{to}")),
                cell(&format!("{} (entry {})", d.decision.meeting, d.seq)),
            ]);
        }
        table(&mut out, &["effective", "change", "decision"], changes);
        if h.terms.is_empty() {
            out.push_str("<p class=\"note\">No term recorded.</p>");
            continue;
        }
        table(
            &mut out,
            &[
                "seat",
                "State",
                "from",
                "until",
                "how it ended",
                "decision",
                "entry",
            ],
            h.terms.iter().map(|t| {
                let mut how = t.how_ended.to_owned();
                if let Some(reason) = &t.reason {
                    how.push_str(&format!(": {reason}"));
                }
                if let Some(next) = &t.renewed_with {
                    how.push_str(&format!(", now {next}"));
                }
                vec![
                    cell(&t.seat.map(|s| s.to_string()).unwrap_or_default()),
                    cell(&with_person(
                        state_label(t.state.as_str(), t.name.as_deref()),
                        t.person.as_deref(),
                    )),
                    cell(&t.start.to_string()),
                    cell(&end_text(&t.end)),
                    cell(&how),
                    cell(&format!("{} {}", t.decision.meeting, t.decision.date)),
                    format!("<td class=\"num\">{}</td>", t.seq),
                ]
            }),
        );
    }

    // The Presidency's history.
    out.push_str("<h2 id=\"presidency\">The Presidency's history</h2>");
    table(
        &mut out,
        &[
            "office", "State", "person", "from", "until", "decision", "entry",
        ],
        p.presidency_terms().iter().map(|t| {
            vec![
                cell(t.office.title()),
                cell(&state_label(
                    t.state.as_str(),
                    p.state(&t.state).map(|s| s.name.as_str()),
                )),
                cell(t.person.as_deref().unwrap_or("")),
                cell(&t.start.to_string()),
                cell(&end_text(&t.end_view())),
                cell(&format!("{} {}", t.decision.meeting, t.decision.date)),
                format!("<td class=\"num\">{}</td>", t.seq),
            ]
        }),
    );
    let _ = writeln!(
        out,
        "<p class=\"note\">Made by {} from {} ledger entries, head {}.</p></body></html>",
        escape(&r.generator),
        r.entries,
        escape(&r.hash)
    );
    out
}

/// When the checkpoint says it was signed, as `checkpoint` says it, and what that is: the
/// signer's claim. A text that does not read as a checkpoint is said to be so (`verify`, not
/// the page, names what is wrong with it).
fn signed_at(checkpoint: &str) -> String {
    let read = crate::merkle::split_note(checkpoint)
        .map_err(crate::merkle::CheckpointError::from)
        .and_then(|(text, _)| crate::merkle::Checkpoint::parse_body(text));
    match read {
        Ok(c) if c.signed_at.is_some() => format!(
            "<p>It was {}, {}.</p>",
            escape(&c.signed_at_shown()),
            crate::merkle::SIGNED_AT_CLAIM
        ),
        Ok(c) => format!(
            "<p class=\"note\">It was {} (signed before ccm-ledger recorded the time).</p>",
            escape(&c.signed_at_shown())
        ),
        Err(e) => format!(
            "<p class=\"note\">Its text does not read as a checkpoint: {}.</p>",
            escape(&e.to_string())
        ),
    }
}

/// Who cosigned the checkpoint, as its signature lines claim (name and time): the page lists
/// them; `verify --witness` checks them.
fn cosigners(checkpoint: &str) -> String {
    let Ok((_, lines)) = crate::merkle::split_note(checkpoint) else {
        return String::new();
    };
    let cosigned: Vec<String> = lines
        .iter()
        .filter_map(|line| {
            let at = crate::merkle::cosignature_timestamp(line)?;
            let when = time::OffsetDateTime::from_unix_timestamp(at as i64)
                .ok()
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_else(|| at.to_string());
            Some(format!(
                "<li><code>{}</code>, {}</li>",
                escape(&line.name),
                escape(&when)
            ))
        })
        .collect();
    if cosigned.is_empty() {
        return "<p class=\"note\">No witness has cosigned this checkpoint.</p>".to_owned();
    }
    format!(
        "<p>Cosigned by {} witnesses (as the checkpoint's signature lines say; check them with <code>ccm-ledger verify --witness W.pub</code>):</p><ul class=\"cosigners\">{}</ul>",
        cosigned.len(),
        cosigned.join("")
    )
}

/// The Presidency on the day, as a table of its three offices.
fn presidency_on(out: &mut String, pres: &crate::projection::Presidency) {
    table(
        out,
        &["office", "State", "person", "from", "until", "decision"],
        [
            ("President", &pres.president),
            ("President-designate", &pres.president_designate),
            ("outgoing President", &pres.outgoing_president),
        ]
        .into_iter()
        .map(|(office, view)| match view {
            Some(v) => vec![
                cell(office),
                cell(&state_label(v.state.as_str(), v.name.as_deref())),
                cell(v.person.as_deref().unwrap_or("")),
                cell(&v.start.to_string()),
                cell(&end_text(&v.end)),
                cell(&format!("{} (entry {})", v.decision.meeting, v.seq)),
            ],
            None => vec![cell(office), "<td class=\"note\">none recorded</td>".into()],
        }),
    );
}

/// The last meeting recorded, named, and its closing day, when `on` is after it: past that
/// day the sources say nothing, and the page says so rather than show empty offices
/// unexplained (issue 17.7).
fn sources_end(p: &Projection, on: Date) -> Option<(String, Date)> {
    let last = p.meetings().max_by_key(|m| (m.end, m.seq))?;
    (on > last.end).then(|| (meeting_name(last.id.as_str(), last.meeting_type), last.end))
}

/// A meeting as prose names it: "the Third Review Conference (3RC)", "the Thirteenth Meeting
/// of States Parties (13MSP)", from its type and the number its id starts with.
pub fn meeting_name(id: &str, meeting_type: MeetingType) -> String {
    let kind = match meeting_type {
        MeetingType::Msp => "Meeting of States Parties",
        MeetingType::Rc => "Review Conference",
        MeetingType::Intersessional => "intersessional meeting",
    };
    let digits: String = id.chars().take_while(char::is_ascii_digit).collect();
    match digits.parse::<u32>().ok().filter(|&n| n > 0) {
        Some(n) => format!("the {} {kind} ({id})", ordinal(n)),
        None => format!("the {kind} {id}"),
    }
}

/// "First" … "Twentieth", then "21st", "22nd", …
fn ordinal(n: u32) -> String {
    const WORDS: [&str; 20] = [
        "First",
        "Second",
        "Third",
        "Fourth",
        "Fifth",
        "Sixth",
        "Seventh",
        "Eighth",
        "Ninth",
        "Tenth",
        "Eleventh",
        "Twelfth",
        "Thirteenth",
        "Fourteenth",
        "Fifteenth",
        "Sixteenth",
        "Seventeenth",
        "Eighteenth",
        "Nineteenth",
        "Twentieth",
    ];
    if let Some(word) = (n as usize).checked_sub(1).and_then(|i| WORDS.get(i)) {
        return (*word).to_owned();
    }
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meetings_are_named_as_prose_names_them() {
        assert_eq!(
            meeting_name("3RC", MeetingType::Rc),
            "the Third Review Conference (3RC)"
        );
        assert_eq!(
            meeting_name("13MSP", MeetingType::Msp),
            "the Thirteenth Meeting of States Parties (13MSP)"
        );
        assert_eq!(
            meeting_name("2RC-2", MeetingType::Rc),
            "the Second Review Conference (2RC-2)"
        );
        assert_eq!(
            meeting_name("22MSP", MeetingType::Msp),
            "the 22nd Meeting of States Parties (22MSP)"
        );
        assert_eq!(
            meeting_name("ISM-2019", MeetingType::Intersessional),
            "the intersessional meeting ISM-2019"
        );
    }
}
