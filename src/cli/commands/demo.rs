use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::cli::{output, run, Cli, CliError, Context};
use crate::domain::jsonl;
use crate::domain::Timestamp;
use crate::ledger::{prepare, Access, Ledger, LedgerError, Recorder};

/// The real CCM machinery, 2010–2026, as events (see fixtures/README.md for provenance).
pub const FIXTURE: &str = include_str!("../../../fixtures/ccm-machinery.jsonl");

/// The seed's §22 options as proposed decisions, embedded so `demo` works from any directory.
pub const PROPOSALS: [(&str, &str); 5] = [
    (
        "discontinue-reporting.jsonl",
        include_str!("../../../fixtures/proposals/discontinue-reporting.jsonl"),
    ),
    (
        "gender-and-diversity.jsonl",
        include_str!("../../../fixtures/proposals/gender-and-diversity.jsonl"),
    ),
    (
        "lausanne-action-plan.jsonl",
        include_str!("../../../fixtures/proposals/lausanne-action-plan.jsonl"),
    ),
    (
        "enlarge-committee.jsonl",
        include_str!("../../../fixtures/proposals/enlarge-committee.jsonl"),
    ),
    (
        "break-stagger.jsonl",
        include_str!("../../../fixtures/proposals/break-stagger.jsonl"),
    ),
];

/// The fixture is recorded at a fixed time by a fixed recorder, so its head hash is the same
/// on every machine (and pinned by a test).
pub const FIXTURE_RECORDED_AT: &str = "2026-11-30T00:00:00Z";
pub const FIXTURE_RECORDER: &str = "ccm-ledger demo";

/// Build the CCM fixture ledger and tour it: the main job.
///
/// Imports the real CCM machinery (2010–2026, embedded in the binary) into the ledger, then
/// shows what the tool is for, each section headed with the command that produces it: the
/// machinery today, the Coordination Committee, a working group's history, the continuity
/// findings on the real history, a §22 proposal checked, and verification. Re-running is safe:
/// a ledger that already holds the fixture is reused; one that holds anything else is left
/// alone.
///
/// Examples:
///   ccm-ledger demo
///   ccm-ledger --ledger ./ccm-demo demo
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {}

pub fn run_demo(ctx: &Context, _args: Args) -> Result<(), CliError> {
    output::fit_tables_to(output::terminal_width().unwrap_or(80));
    let dir = ctx.ledger_dir.clone();
    let built = build_fixture_ledger(&dir)?;
    let proposals = write_proposals(&dir)?;

    let mut intro =
        String::from("ccm-ledger demo: the machinery of the Convention on Cluster Munitions\n\n");
    intro.push_str(&match built {
        Built::Created(n) => format!(
            "Built the fixture ledger in {}:\n{n} events of real CCM history (2010–2026), from public sources (the ISU's\npages, the meetings' reports, the UN Treaty Collection).\n",
            dir.display()
        ),
        Built::Reused(n) => format!(
            "The fixture ledger in {} is already built\n({n} entries); reusing it.\n",
            dir.display()
        ),
    });
    intro.push_str(
        "Where the sources name no holder, the seat is vacant in the ledger: nothing\nis invented, and `check` reports those gaps as findings. The sources end with\nthe Third Review Conference (September 2026): no President is recorded after it.\n",
    );
    output::text(&intro)?;

    let today = crate::domain::Date::today().to_string();
    let stagger = proposals.join("break-stagger.jsonl").display().to_string();
    let reporting = proposals
        .join("discontinue-reporting.jsonl")
        .display()
        .to_string();
    let sections: Vec<(&str, Vec<String>)> = vec![
        (
            "The machinery today",
            vec!["state".into(), "--on".into(), today.clone()],
        ),
        (
            "The Coordination Committee on 1 September 2023",
            vec!["committee".into(), "--on".into(), "2023-09-01".into()],
        ),
        (
            "Who coordinated Universalization on 15 January 2013",
            vec![
                "who".into(),
                "wg-universalization".into(),
                "--on".into(),
                "2013-01-15".into(),
            ],
        ),
        (
            "The history of one working group",
            vec![
                "history".into(),
                "--body".into(),
                "wg-victim-assistance".into(),
            ],
        ),
        (
            "The continuity rules on the real history",
            vec!["check".into(), "--brief".into()],
        ),
        (
            "CCM/CONF/2020/PM.2/WP.6 §22: discontinue the Coordinator on Reporting?",
            vec!["check".into(), "--proposed".into(), reporting],
        ),
        (
            "A proposal that breaks the stagger",
            vec!["check".into(), "--proposed".into(), stagger],
        ),
        (
            "Has anything in the ledger been altered?",
            vec!["verify".into()],
        ),
    ];
    // Shown commands name the ledger only when a user's own command would not find it.
    let implied_dir = std::env::var_os("CCM_LEDGER")
        .map(PathBuf::from)
        .unwrap_or_else(super::super::context::default_ledger_dir);
    for (title, args) in sections {
        section(&dir, &implied_dir, title, &args)?;
    }
    let next = format!(
        "\nGo on from here: `ccm-ledger --help`. The options of\nCCM/CONF/2020/PM.2/WP.6 §22, as proposed decisions to try with\n`ccm-ledger check --proposed FILE`, are in\n{}\n",
        proposals.display()
    );
    output::text(&next)
}

/// Prints a heading with the command, then runs it exactly as a user would.
fn section(dir: &Path, implied_dir: &Path, title: &str, args: &[String]) -> Result<(), CliError> {
    let ledger_flag = if dir == implied_dir {
        String::new()
    } else {
        format!("--ledger {} ", dir.display())
    };
    let shown: Vec<String> = args
        .iter()
        .map(|a| {
            if a.contains(' ') {
                format!("\"{a}\"")
            } else {
                a.clone()
            }
        })
        .collect();
    let mut command = format!("$ ccm-ledger {ledger_flag}{}", shown.join(" "));
    let width = output::fit_width().unwrap_or(80);
    if command.chars().count() > width {
        // Break before the last argument, as a shell continuation, so it can still be pasted.
        if let Some(at) = command.rfind(' ') {
            command.replace_range(at..at + 1, " \\\n    ");
        }
    }
    output::text(&format!(
        "\n── {title} {}\n{command}\n",
        "─".repeat(70usize.saturating_sub(title.chars().count())),
    ))?;
    let mut argv: Vec<OsString> = vec!["ccm-ledger".into(), "--ledger".into(), dir.into()];
    argv.extend(args.iter().map(OsString::from));
    let cli = <Cli as clap::Parser>::try_parse_from(argv)
        .map_err(|e| CliError::Usage(format!("demo: {e}")))?;
    match run(cli) {
        // A section whose command reports findings (exit 4) still belongs in the tour.
        Err(CliError::Findings(_)) | Ok(()) => Ok(()),
        Err(e) => Err(e),
    }
}

enum Built {
    Created(u64),
    Reused(u64),
}

/// The fixture's events, recorded at the fixed time by the fixed recorder.
fn fixture_lines() -> Vec<(usize, jsonl::Line)> {
    jsonl::read_lines(FIXTURE.as_bytes()).expect("the embedded fixture parses (tested)")
}

fn fixture_recorder() -> Recorder {
    Recorder {
        by: FIXTURE_RECORDER.into(),
        at: Some(Timestamp::parse(FIXTURE_RECORDED_AT).expect("a valid timestamp")),
    }
}

/// Imports the fixture into `dir` unless it already holds exactly the fixture.
fn build_fixture_ledger(dir: &Path) -> Result<Built, CliError> {
    let lines = fixture_lines();
    let drafts: Vec<_> = lines.iter().map(|(_, l)| l.draft.clone()).collect();
    let recorder = fixture_recorder();
    let expected = prepare(crate::ledger::Head::empty(), &drafts, &recorder).head();
    let mut ledger = match Ledger::open(dir, Access::Write) {
        Ok(ledger) => ledger,
        Err(LedgerError::NotALedger(_)) => Ledger::init(dir)?,
        Err(e) => return Err(e.into()),
    };
    let head = ledger.head();
    if head == expected {
        return Ok(Built::Reused(head.entries));
    }
    if head.entries > 0 {
        // A demo ledger built by an earlier release holds the fixture as it then stood (the
        // facts are corrected from time to time): say so, rather than "not the fixture".
        let by_the_demo = ledger
            .entries(0, 1)?
            .next()
            .and_then(Result::ok)
            .is_some_and(|e| e.entry.recorded_by == FIXTURE_RECORDER);
        let what = if by_the_demo {
            "built from an earlier version of the demo's fixture (its facts have since been corrected)"
        } else {
            "that are not the demo's fixture"
        };
        return Err(CliError::input(format!(
            "the ledger in {} holds {} {what}; it was left alone (run `ccm-ledger --ledger NEW_DIR demo`)",
            dir.display(),
            crate::cli::output::count(head.entries, "entry", "entries")
        )));
    }
    // The import's own path (validation, rules, one sync, the snapshot kept), under the lock
    // taken above, with the fixture's pinned recorder.
    let fixture = Context {
        ledger_dir: dir.to_owned(),
        json: false,
        recorder,
        pager: false,
    };
    let committed = crate::cli::drafted::append_lines(
        &fixture,
        Some(&mut ledger),
        "fixtures/ccm-machinery.jsonl",
        lines,
    )?;
    Ok(Built::Created(committed.head.entries))
}

/// Writes the §22 proposals beside the ledger, for the user to check after the tour.
fn write_proposals(dir: &Path) -> Result<PathBuf, CliError> {
    let folder = dir.join("demo-proposals");
    std::fs::create_dir_all(&folder)
        .map_err(CliError::io(format!("cannot create {}", folder.display())))?;
    for (name, text) in PROPOSALS {
        let path = folder.join(name);
        std::fs::write(&path, text)
            .map_err(CliError::io(format!("cannot write {}", path.display())))?;
    }
    Ok(folder)
}
