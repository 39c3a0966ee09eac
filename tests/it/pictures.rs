//! `timeline`, `report --html` and `export --format csv|popolo` on the CCM fixture, read back
//! as a reader's tools would read them: the SVG and the page parsed as XML, the CSV through a
//! CSV reader, the Popolo as JSON.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::*;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/ccm-machinery.jsonl");

fn fixture() -> TestEnv {
    let env = TestEnv::new();
    env.run(&["import", FIXTURE]).ok();
    env
}

/// The fixture's lines of one `kind`.
fn fixture_lines(kind: &str) -> Vec<Value> {
    std::fs::read_to_string(FIXTURE)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["kind"] == kind)
        .collect()
}

/// Every term of every body, from `history --body ID --json` (the body ids from the fixture).
fn history_terms(env: &TestEnv) -> Vec<Value> {
    fixture_lines("body_established")
        .iter()
        .flat_map(|b| {
            let id = b["body"].as_str().unwrap();
            let history = env.run(&["history", "--body", id, "--json"]).ok().json();
            history["terms"].as_array().unwrap().clone()
        })
        .collect()
}

fn presidency_terms() -> usize {
    fixture_lines("president_elected").len() + fixture_lines("president_designate_elected").len()
}

/// Whether a term (from `--json`) overlaps `[from, to)`: an end that is not a date is open.
fn overlaps(term: &Value, from: &str, to: &str) -> bool {
    let start = term["start"].as_str().unwrap();
    let end = term["end"].as_str();
    start < to && end.is_none_or(|e| e > from)
}

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn attr(node: roxmltree::Node, name: &str) -> f64 {
    node.attribute(name)
        .unwrap_or_else(|| panic!("no {name} on {node:?}"))
        .parse()
        .unwrap()
}

fn has_class(node: &roxmltree::Node, class: &str) -> bool {
    node.attribute("class") == Some(class)
}

/// The bars of an SVG document by row, each `(x, width, seq)`, in document order.
fn bars_by_row(doc: &roxmltree::Document) -> BTreeMap<String, Vec<(f64, f64, u64)>> {
    let mut rows: BTreeMap<String, Vec<(f64, f64, u64)>> = BTreeMap::new();
    for bar in doc.descendants().filter(|n| has_class(n, "bar")) {
        rows.entry(bar.attribute("data-row").unwrap().to_owned())
            .or_default()
            .push((
                attr(bar, "x"),
                attr(bar, "width"),
                bar.attribute("data-seq").unwrap().parse().unwrap(),
            ));
    }
    rows
}

#[track_caller]
fn assert_no_overlap(rows: &BTreeMap<String, Vec<(f64, f64, u64)>>) {
    for (row, bars) in rows {
        let mut bars = bars.clone();
        bars.sort_by(|a, b| a.0.total_cmp(&b.0));
        for pair in bars.windows(2) {
            let ((x, w, a), (next, _, b)) = (pair[0], pair[1]);
            // Terms shorter than a pixel are drawn 1.5 px wide and may touch.
            assert!(
                x + w <= next + 1.6,
                "{row}: the bars of entries {a} and {b} overlap ({x} + {w} > {next})"
            );
        }
    }
}

#[test]
fn the_svg_timeline_has_a_bar_per_term_and_none_overlap_in_a_seat() {
    let env = fixture();
    let out = env.dir.path().join("seats.svg");
    let run = env
        .run(&[
            "timeline",
            "--svg",
            out.to_str().unwrap(),
            "--on",
            "2026-01-01",
        ])
        .ok();
    let svg = read(&out);
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );

    let terms = history_terms(&env);
    let rows = bars_by_row(&doc);
    let bars: usize = rows.values().map(Vec::len).sum();
    assert_eq!(bars, terms.len() + presidency_terms());
    assert!(
        run.stderr.contains(&format!("{bars} terms")),
        "{}",
        run.stderr
    );
    assert_no_overlap(&rows);

    // Every bar lies within the drawing, and every term's State is in its tooltip.
    let width = attr(root, "width");
    for bar in doc.descendants().filter(|n| has_class(n, "bar")) {
        assert!(attr(bar, "x") >= 0.0 && attr(bar, "x") + attr(bar, "width") <= width);
        let title = bar.parent().unwrap().first_child().unwrap().text().unwrap();
        assert!(
            title.starts_with(bar.attribute("data-state").unwrap()),
            "{title}"
        );
    }
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    for label in [
        "Working Group on Universalization",
        "Coordinator on Transparency Measures",
        "Presidency",
        "President-designate",
        "seat 2",
        "9MSP",
        "2RC-2",
        "renamed 2015",
        "2019",
        "MWI",
    ] {
        assert!(texts.contains(&label), "no text {label:?} in the SVG");
    }
    assert!(texts
        .iter()
        .any(|t| t.starts_with("LAO — Lao People's Democratic Republic")));
    let vacancies = doc
        .descendants()
        .filter(|n| has_class(n, "vacancy"))
        .count();
    assert!(vacancies > 0, "the fixture has vacant seats");
}

#[test]
fn a_narrower_svg_timeline_has_the_terms_of_its_window_and_bodies() {
    let env = fixture();
    let out = env.dir.path().join("window.svg");
    env.run(&[
        "timeline",
        "--svg",
        out.to_str().unwrap(),
        "--from",
        "2016-01-01",
        "--to",
        "2020-01-01",
        "--body",
        "wg-universalization",
        "--body",
        "Coordinator on Reporting",
    ])
    .ok();
    let doc_text = read(&out);
    let doc = roxmltree::Document::parse(&doc_text).unwrap();
    let expected: usize = ["wg-universalization", "coord-reporting"]
        .iter()
        .map(|b| {
            let h = env.run(&["history", "--body", b, "--json"]).ok().json();
            h["terms"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| overlaps(t, "2016-01-01", "2020-01-01"))
                .count()
        })
        .sum();
    let rows = bars_by_row(&doc);
    assert_eq!(rows.values().map(Vec::len).sum::<usize>(), expected);
    assert!(rows.keys().all(|r| !r.starts_with("presidency")));
    assert_no_overlap(&rows);
}

#[test]
fn the_terminal_timeline_fits_the_width_asked() {
    let env = fixture();
    for (args, width) in [
        (vec!["timeline", "--on", "2026-01-01"], 80),
        (
            vec!["timeline", "--on", "2026-01-01", "--width", "132"],
            132,
        ),
    ] {
        let text = env.run(&args).ok().stdout;
        for line in text.lines() {
            assert!(line.chars().count() <= width, "{width}: {line}");
        }
        assert!(
            text.contains("Working Group on Victim Assistance"),
            "{text}"
        );
        assert!(text.contains("  seat 2"), "{text}");
        assert!(text.contains("  President "), "{text}");
        assert!(text.contains('·'), "vacancies: {text}");
        assert!(text.contains("2020"), "the axis: {text}");
    }
    let wide = env
        .command(&env.ledger())
        .env("COLUMNS", "160")
        .args(["timeline", "--on", "2026-01-01"])
        .output()
        .unwrap();
    let wide = String::from_utf8(wide.stdout).unwrap();
    assert!(wide.lines().any(|l| l.chars().count() > 132), "{wide}");

    let json = env
        .run(&[
            "timeline",
            "--json",
            "--from",
            "2020-01-01",
            "--to",
            "2021-01-01",
        ])
        .ok()
        .json();
    assert_eq!(json["from"], "2020-01-01");
    assert!(json["groups"].as_array().unwrap().len() > 1);
}

#[test]
fn the_html_report_is_well_formed_self_contained_and_verifiable() {
    let env = fixture();
    std::fs::write(
        env.ledger().join("checkpoint"),
        "ccm-ledger/test\n199\nROOT=\n\n— test SIG=\n",
    )
    .unwrap();
    let out = env.dir.path().join("report.html");
    env.run(&[
        "report",
        "--html",
        out.to_str().unwrap(),
        "--on",
        "2026-01-01",
    ])
    .ok();
    let html = read(&out);
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .expect("the page is well-formed XHTML");
    let ids: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("id"))
        .collect();
    for id in [
        "verify",
        "state",
        "committee",
        "timeline",
        "findings",
        "bodies",
        "presidency",
        "body-wg-universalization",
    ] {
        assert!(ids.contains(&id), "no section {id}");
    }
    // No scripts and nothing fetched: the only links are to the page itself.
    assert!(doc
        .descendants()
        .all(|n| !matches!(n.tag_name().name(), "script" | "link" | "img" | "iframe")));
    for n in doc.descendants() {
        for a in ["href", "src"] {
            if let Some(v) = n.attribute(a) {
                assert!(v.starts_with('#'), "{a}={v}");
            }
        }
    }
    let head = env.run(&["verify", "--json"]).ok().json();
    assert!(html.contains(head["head"].as_str().unwrap()));
    let pre = doc
        .descendants()
        .find(|n| n.tag_name().name() == "pre")
        .expect("the checkpoint");
    assert!(pre.text().unwrap().contains("ccm-ledger/test\n199\n"));

    // The inline timeline has a bar per term; the histories a row per term.
    let bars = doc.descendants().filter(|n| has_class(n, "bar")).count();
    let terms = history_terms(&env);
    assert_eq!(bars, terms.len() + presidency_terms());
    let text: String = doc.descendants().filter_map(|n| n.text()).collect();
    // The continuity findings, with the reason of each override.
    let findings = env.run(&["check", "--json"]).ok().json();
    let rows = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "td" && n.text() == Some("R7"))
        .count();
    let vacancies = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "R7")
        .count();
    assert_eq!(rows, vacancies);
    assert!(
        text.contains("overridden: R2"),
        "override reasons are shown"
    );
    assert!(text.contains("Lao People's Democratic Republic (LAO)"));
    assert!(text.contains("16 members"));
}

#[test]
fn the_csv_has_a_row_per_term_and_round_trips() {
    let env = fixture();
    let csv_text = env.run(&["export", "--format", "csv"]).ok().stdout;
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "body",
            "body_name",
            "seat",
            "state",
            "state_name",
            "start",
            "end",
            "until_close_of",
            "how_ended",
            "decision_meeting",
            "decision_date",
            "seq",
            "person",
            "office",
            "body_name_at_start"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let terms = history_terms(&env);
    assert_eq!(rows.len(), terms.len() + presidency_terms());
    let by_seq: BTreeMap<String, &csv::StringRecord> =
        rows.iter().map(|r| (r[11].to_owned(), r)).collect();
    for t in &terms {
        let row = by_seq[&t["seq"].to_string()];
        assert_eq!(&row[3], t["state"].as_str().unwrap());
        assert_eq!(&row[5], t["start"].as_str().unwrap());
        assert_eq!(&row[6], t["end"].as_str().unwrap_or(""));
        assert_eq!(&row[9], t["decision"]["meeting"].as_str().unwrap());
    }
    assert!(rows
        .iter()
        .any(|r| &r[3] == "LAO" && &r[4] == "Lao People's Democratic Republic"));

    let out = env.dir.path().join("terms.csv");
    env.run(&["export", "--format", "csv", "--out", out.to_str().unwrap()])
        .ok();
    assert_eq!(read(&out), csv_text);
}

#[test]
fn popolo_has_every_membership_post_and_organization() {
    let env = fixture();
    let popolo = env.run(&["export", "--format", "popolo"]).ok().json();
    let memberships = popolo["memberships"].as_array().unwrap();
    let terms = history_terms(&env);
    assert_eq!(memberships.len(), terms.len() + presidency_terms());
    let ids: Vec<&str> = memberships
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    for t in &terms {
        assert!(ids.contains(&format!("term/{}", t["seq"]).as_str()));
    }
    let orgs: BTreeMap<&str, &Value> = popolo["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["id"].as_str().unwrap(), o))
        .collect();
    let posts: Vec<&str> = popolo["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    for m in memberships {
        assert!(
            orgs.contains_key(m["organization_id"].as_str().unwrap()),
            "{m}"
        );
        assert!(
            orgs.contains_key(m["member"]["id"].as_str().unwrap()),
            "{m}"
        );
        assert_eq!(m["member"]["@type"], "Organization");
        assert!(posts.contains(&m["post_id"].as_str().unwrap()), "{m}");
        assert!(m.get("end_date").is_none_or(|e| e.is_string()), "{m}");
    }
    assert_eq!(
        orgs["state/LAO"]["name"],
        "Lao People's Democratic Republic"
    );
    assert_eq!(orgs["state/LAO"]["classification"], "State Party");
    assert_eq!(
        orgs["body/wg-clearance"]["other_names"][0]["name"],
        "Working Group on Clearance and Risk Reduction"
    );
    assert!(posts.contains(&"body/wg-universalization/seat-2"));
    let running = memberships.iter().find(|m| m["id"] == "term/180").unwrap();
    assert!(
        running.get("end_date").is_none(),
        "an open term has no end_date"
    );
}

/// Names that markup must escape: an apostrophe, and something that looks like a tag.
const HOSTILE: &str = r#"{"kind":"state_joined","state":"XSS","name":"<script>alert(\"x & y\")</script>","effective":"2010-08-01"}
{"kind":"body_established","body":"wg-odd","name":"Group <b>on</b> \"Quotes\" & Ampersands","type":"working_group","seats":1,"term_years":2,"renew_per_year":1,"mandate":[],"decision":{"meeting":"2MSP","date":"2011-09-16"}}
{"kind":"coordinator_elected","body":"wg-odd","state":"XSS","start":"2011-09-16","end":null,"decision":{"meeting":"2MSP","date":"2011-09-16"}}
{"kind":"state_joined","state":"LNG","name":"The Very Long & Official Name of a State <that goes on> and on, and on, far past any column","effective":"2010-08-01"}
{"kind":"president_designate_elected","state":"LNG","start":"2011-09-16","end":"2012-09-14","decision":{"meeting":"2MSP","date":"2011-09-16"}}
"#;

#[test]
fn names_with_apostrophes_and_markup_are_escaped_everywhere() {
    let env = TestEnv::new();
    env.import(&format!("{SMALL}{HOSTILE}"));
    let svg_path = env.dir.path().join("t.svg");
    let html_path = env.dir.path().join("r.html");
    env.run(&["timeline", "--svg", svg_path.to_str().unwrap()])
        .ok();
    env.run(&[
        "report",
        "--html",
        html_path.to_str().unwrap(),
        "--on",
        "2012-01-01",
    ])
    .ok();
    for path in [&svg_path, &html_path] {
        let text = read(path);
        assert!(!text.contains("<script"), "{}: {text}", path.display());
        assert!(!text.contains("<b>"), "{}", path.display());
        let doc = roxmltree::Document::parse_with_options(
            &text,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let texts: String = doc.descendants().filter_map(|n| n.text()).collect();
        assert!(
            texts.contains("Côte d'Ivoire"),
            "{}: the name reads back as typed",
            path.display()
        );
        assert!(texts.contains(r#"<script>alert("x & y")</script>"#));
        assert!(texts.contains(r#"Group <b>on</b> "Quotes" & Ampersands"#));
        // In the key, visible and escaped; a name longer than the widest column is cut
        // (issue 17.7).
        let key_name = |code: &str| -> String {
            let key = doc
                .descendants()
                .find(|n| has_class(n, "key-state") && n.attribute("data-state") == Some(code))
                .unwrap_or_else(|| panic!("{}: {code} is not in the key", path.display()));
            key.children()
                .filter_map(|n| n.text())
                .next_back()
                .unwrap()
                .to_owned()
        };
        assert_eq!(key_name("XSS"), r#"<script>alert("x & y")</script>"#);
        let long = key_name("LNG");
        assert!(
            long.starts_with("The Very Long & Official Name of a")
                && long.ends_with('…')
                && long.chars().count() <= 45,
            "{long}"
        );
    }
    let csv_text = env.run(&["export", "--format", "csv"]).ok().stdout;
    let names: Vec<String> = csv::Reader::from_reader(csv_text.as_bytes())
        .records()
        .map(|r| r.unwrap()[4].to_owned())
        .collect();
    assert!(names.contains(&"Côte d'Ivoire".to_owned()));
    assert!(names.contains(&r#"<script>alert("x & y")</script>"#.to_owned()));
    let popolo = env.run(&["export", "--format", "popolo"]).ok().json();
    assert!(popolo["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["name"] == "Côte d'Ivoire"));
    let text = env.run(&["timeline", "--on", "2012-01-01"]).ok().stdout;
    assert!(
        text.contains("Group <b>on</b>"),
        "the terminal shows names as they are"
    );
}

// Issue 17.7: pictures fit for print. What a reader of a printed page has is what is drawn:
// no tooltips, perhaps no colour.

/// The fixture's timeline as SVG, with `args` after `timeline --svg FILE`, parsed.
fn svg_of(env: &TestEnv, args: &[&str]) -> String {
    let out = env.dir.path().join("picture.svg");
    let mut all = vec!["timeline", "--svg", out.to_str().unwrap()];
    all.extend_from_slice(args);
    env.run(&all).ok();
    read(&out)
}

/// A bar as drawn: where, whose, in which colour, and whether an arrow says it runs on.
#[derive(Debug)]
struct Drawn {
    x: f64,
    width: f64,
    state: String,
    fill: String,
    running: bool,
}

/// The bars of each row, rows in the order they are drawn (top to bottom), bars by x.
fn drawn_rows(doc: &roxmltree::Document) -> Vec<(String, Vec<Drawn>)> {
    let mut rows: Vec<(String, Vec<Drawn>)> = Vec::new();
    for bar in doc.descendants().filter(|n| has_class(n, "bar")) {
        let row = bar.attribute("data-row").unwrap();
        let running = bar
            .parent()
            .unwrap()
            .children()
            .any(|n| has_class(&n, "running"));
        let drawn = Drawn {
            x: attr(bar, "x"),
            width: attr(bar, "width"),
            state: bar.attribute("data-state").unwrap().to_owned(),
            fill: bar.attribute("fill").unwrap().to_owned(),
            running,
        };
        match rows.last_mut() {
            Some((last, bars)) if last == row => bars.push(drawn),
            _ => rows.push((row.to_owned(), vec![drawn])),
        }
    }
    for (_, bars) in &mut rows {
        bars.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    rows
}

/// What is left of a colour in grey: its relative luminance (0 black, 1 white).
fn grey(fill: &str) -> f64 {
    let channel = |i: usize| {
        let c = u8::from_str_radix(&fill[1 + 2 * i..3 + 2 * i], 16).unwrap() as f64 / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
}

/// The text a reader sees: every `<text>` element's, none of the `<title>` tooltips.
fn visible(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.tag_name().name() == "text")
        .map(|n| {
            n.descendants()
                .filter(|t| t.is_text())
                .filter_map(|t| t.text())
                .collect()
        })
        .collect()
}

/// The fixture's States: code → name.
fn state_names() -> BTreeMap<String, String> {
    fixture_lines("state_joined")
        .iter()
        .map(|s| {
            (
                s["state"].as_str().unwrap().to_owned(),
                s["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn neighbouring_bars_of_different_states_never_share_a_colour_and_differ_in_grey_beside() {
    let env = fixture();
    let svg = svg_of(&env, &["--on", "2026-12-07"]);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let rows = drawn_rows(&doc);
    // A State has one colour wherever it sits, so its terms are easy to follow.
    let mut colour_of: BTreeMap<&str, &str> = BTreeMap::new();
    for bar in rows.iter().flat_map(|(_, bars)| bars) {
        let known = colour_of.entry(&bar.state).or_insert(&bar.fill);
        assert_eq!(*known, bar.fill, "{} has two colours", bar.state);
    }
    assert!(
        colour_of
            .values()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            >= 10,
        "{colour_of:?}"
    );
    for (row, bars) in &rows {
        for pair in bars.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if a.state == b.state {
                continue;
            }
            assert_ne!(a.fill, b.fill, "{row}: {} and {} beside", a.state, b.state);
            // Printed in grey, a handover is still seen: lightness differs, not only hue.
            assert!(
                (grey(&a.fill) - grey(&b.fill)).abs() >= 0.1,
                "{row}: {} {} and {} {} are the same grey",
                a.state,
                a.fill,
                b.state,
                b.fill
            );
        }
    }
    for pair in rows.windows(2) {
        let ((above, upper), (below, lower)) = (&pair[0], &pair[1]);
        for a in upper {
            for b in lower.iter().filter(|b| b.state != a.state) {
                if a.x < b.x + b.width && b.x < a.x + a.width {
                    assert_ne!(
                        a.fill, b.fill,
                        "{} in {above} over {} in {below}",
                        a.state, b.state
                    );
                }
            }
        }
    }
}

#[test]
fn the_svg_names_every_state_in_visible_text_not_only_in_tooltips() {
    let env = fixture();
    let svg = svg_of(&env, &["--on", "2026-12-07"]);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let names = state_names();
    let on_chart: std::collections::BTreeSet<&str> = doc
        .descendants()
        .filter(|n| has_class(n, "bar"))
        .map(|n| n.attribute("data-state").unwrap())
        .collect();
    for code in &on_chart {
        let entry = doc
            .descendants()
            .find(|n| has_class(n, "key-state") && n.attribute("data-state") == Some(code))
            .unwrap_or_else(|| panic!("{code} is not in the key"));
        let texts: Vec<String> = entry
            .children()
            .filter(|n| n.tag_name().name() == "text")
            .filter_map(|n| n.text().map(str::to_owned))
            .collect();
        // Whole: the columns are as wide as the fixture's longest name needs.
        assert_eq!(texts, [code.to_string(), names[*code].clone()]);
    }
    let visible = visible(&doc);
    // Names on the bars where they fit.
    assert!(
        visible.contains(&"New Zealand (NZL)".to_owned()),
        "{visible:?}"
    );
    // No command-line words, and nothing that needs a mouse.
    for text in &visible {
        assert!(!text.contains("--") && !text.contains("hover"), "{text:?}");
    }
    assert!(
        visible.contains(&"7 December 2026".to_owned()),
        "{visible:?}"
    );
    assert!(visible.contains(&"running on 7 December 2026".to_owned()));
}

#[test]
fn running_terms_and_vacancies_end_on_the_day_asked_about_with_an_arrow() {
    let env = fixture();
    let svg = svg_of(&env, &["--on", "2025-06-01"]);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let today = doc
        .descendants()
        .find(|n| has_class(n, "today"))
        .and_then(|g| g.children().find(|n| n.tag_name().name() == "line"))
        .expect("the day's line");
    let day_x = attr(today, "x1");
    let running: Vec<Drawn> = drawn_rows(&doc)
        .into_iter()
        .flat_map(|(_, bars)| bars)
        .filter(|b| b.running)
        .collect();
    // The fixture's terms still running: the open ones of the bodies in force.
    assert!(running.len() >= 10, "{running:?}");
    for bar in &running {
        // The bar stops at the day (less the hairline between bars), not at the chart's edge.
        let end = bar.x + bar.width;
        assert!(
            (day_x - 1.5..=day_x + 0.1).contains(&end),
            "{} ends at {end}, the day is at {day_x}",
            bar.state
        );
    }
    for v in doc.descendants().filter(|n| has_class(n, "vacancy")) {
        let end = attr(v, "x") + attr(v, "width");
        assert!(
            end <= day_x + 0.1,
            "a vacancy past the day: {end} > {day_x}"
        );
    }
    let width = attr(doc.root_element(), "width");
    assert!(day_x < width - 100.0, "the day is well inside the chart");
}

#[test]
fn to_is_the_last_day_shown() {
    let env = fixture();
    let svg = svg_of(&env, &["--from", "2020-01-01", "--to", "2027-12-31"]);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let visible = visible(&doc);
    assert_eq!(visible[0], "The CCM machinery, 2020-01-01 to 2027-12-31");
    assert!(visible.contains(&"2027".to_owned()), "{visible:?}");
    assert!(!visible.contains(&"2028".to_owned()), "{visible:?}");
}

/// `timeline --json`'s `from` and `to` are the first and last day shown, as the flags mean
/// them and as the SVG's title says (its `to` was the day after, the end of the window's
/// half-open spans).
#[test]
fn timeline_json_to_is_the_last_day_shown_as_the_flag_and_the_title_say() {
    let env = fixture();
    let json = env
        .run(&[
            "--json",
            "timeline",
            "--from",
            "2020-01-01",
            "--to",
            "2027-12-31",
        ])
        .ok()
        .json();
    assert_eq!(
        (&json["from"], &json["to"]),
        (&"2020-01-01".into(), &"2027-12-31".into())
    );
    // The same answer given back as flags asks for the same window.
    let again = env
        .run(&[
            "--json",
            "timeline",
            "--from",
            "2020-01-01",
            "--to",
            json["to"].as_str().unwrap(),
        ])
        .ok()
        .json();
    assert_eq!(again, json);
    // The default window: 31 December of the year of the day asked about.
    let default = env
        .run(&["--json", "timeline", "--on", "2026-01-01"])
        .ok()
        .json();
    assert_eq!(
        (&default["from"], &default["to"]),
        (&"2010-01-01".into(), &"2026-12-31".into())
    );
    let svg = svg_of(&env, &["--on", "2026-01-01"]);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(
        visible(&doc)[0],
        "The CCM machinery, 2010-01-01 to 2026-12-31"
    );
    // What still runs is drawn to the day asked about, and a span ends where the window does
    // (the day after its last day: spans are half-open).
    let running = default["groups"][0]["rows"][0]["bars"][0].clone();
    assert_eq!(running["span"]["end"], "2026-01-01", "{running}");
    let late = env
        .run(&[
            "--json",
            "timeline",
            "--on",
            "2030-01-01",
            "--to",
            "2027-12-31",
        ])
        .ok()
        .json();
    let running = late["groups"][0]["rows"][0]["bars"][0].clone();
    assert_eq!(
        (&late["to"], &running["span"]["end"]),
        (&"2027-12-31".into(), &"2028-01-01".into()),
        "{running}"
    );
}

/// The page at `on` (`None`: the default day), parsed as XML.
fn report_of(env: &TestEnv, on: Option<&str>) -> String {
    let out = env.dir.path().join("page.html");
    let mut args = vec!["report", "--html", out.to_str().unwrap()];
    if let Some(on) = on {
        args.extend(["--on", on]);
    }
    env.run(&args).ok();
    read(&out)
}

fn xhtml(text: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn the_report_says_where_the_sources_end_instead_of_showing_empty_offices() {
    let env = fixture();
    let page = report_of(&env, Some("2026-12-07"));
    let doc = xhtml(&page);
    let text: String = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(
        text.contains("The sources end with the Third Review Conference (3RC), 18 September 2026."),
        "{text}"
    );
    assert!(
        text.contains("No President, President-designate or outgoing President is recorded on 7 December 2026."),
        "{text}"
    );
    assert!(!text.contains("none recorded"), "{text}");
    // The inline timeline names its States too, and asks for no mouse.
    assert!(doc.descendants().any(|n| has_class(&n, "key-state")));
    assert!(!text.contains("hover"));

    // Within the record: no such note, the offices as they were.
    let page = report_of(&env, Some("2026-01-01"));
    assert!(!page.contains("The sources end"));
    assert!(page.contains("Lao People&#39;s Democratic Republic (LAO)"));

    // The default day is today, and the note is derived from what is recorded: a smaller
    // ledger ends with its own last meeting.
    let small = TestEnv::new();
    small.import(SMALL);
    let page = report_of(&small, None);
    let today = time::OffsetDateTime::now_utc().date();
    let today = format!(
        "{:04}-{:02}-{:02}",
        today.year(),
        u8::from(today.month()),
        today.day()
    );
    assert!(
        page.contains(&format!("on {today}</h1>")),
        "{}",
        &page[..600]
    );
    assert!(
        page.contains(
            "The sources end with the Third Meeting of States Parties (3MSP), 14 September 2012."
        ),
        "{page}"
    );
}
