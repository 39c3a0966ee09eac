//! Output files (`export --out`, `report --html`, `timeline --svg`) appear whole or not at
//! all, never share a temporary file and never follow a planted symlink (issue 13, item 8).

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;

use crate::support::{TestEnv, SMALL};

/// SMALL and `count` more institutions: an export of a few hundred KB, long enough to write
/// that two exports started together overlap.
fn big_ledger(count: usize) -> TestEnv {
    let env = TestEnv::new();
    let mut lines = SMALL.to_owned();
    for i in 0..count {
        lines.push_str(&format!(
            "{{\"kind\":\"institution_registered\",\"institution\":\"INST{i}\",\"name\":\"Institution {i}\",\"by_right\":false}}\n"
        ));
    }
    env.import(&lines);
    env
}

/// The names in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn two_exports_with_the_same_stem_at_once_write_two_correct_files() {
    let env = big_ledger(3000);
    let jsonl = env.run(&["export"]).ok().stdout;
    let csv = env.run(&["export", "--format", "csv"]).ok().stdout;
    let out = env.dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // Before the fix both wrote `out/x.partial`, and the CSV could end with the JSON Lines.
    for _ in 0..4 {
        let start = |args: &[&str]| {
            env.command(&env.ledger())
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let a = start(&["export", "--out", "out/x.jsonl"]);
        let b = start(&["export", "--format", "csv", "--out", "out/x.csv"]);
        for child in [a, b] {
            let output = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "{stderr}");
        }
        assert_eq!(std::fs::read_to_string(out.join("x.jsonl")).unwrap(), jsonl);
        assert_eq!(std::fs::read_to_string(out.join("x.csv")).unwrap(), csv);
        assert_eq!(names_in(&out), ["x.csv", "x.jsonl"]);
    }
}

#[test]
fn a_planted_partial_symlink_is_not_followed() {
    let env = TestEnv::new();
    env.import(SMALL);
    let victim = env.file("victim.txt", "precious\n");
    std::os::unix::fs::symlink(&victim, env.dir.path().join("x.partial")).unwrap();
    env.run(&["export", "--out", "x.jsonl"]).ok();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(
        std::fs::read_to_string(env.dir.path().join("x.jsonl")).unwrap(),
        env.run(&["export"]).ok().stdout
    );
}

/// Runs `args` with every file the process writes limited to `limit` bytes (a write past it
/// fails with EFBIG instead of raising SIGXFSZ): a failure in the middle of writing an output.
fn run_with_file_size_limit(env: &TestEnv, limit: u64, args: &[&str]) -> i32 {
    let mut command = env.command(&env.ledger());
    command
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: only async-signal-safe calls (signal, setrlimit) between fork and exec.
    unsafe {
        command.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let rlimit = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &rlimit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command.status().unwrap().code().unwrap_or(-1)
}

#[test]
fn an_output_that_fails_half_way_leaves_the_previous_file_and_nothing_else() {
    let env = big_ledger(300);
    let out = env.dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let writes = [
        vec!["export", "--out", "out/x.jsonl"],
        vec!["report", "--html", "out/report.html"],
        vec!["timeline", "--svg", "out/timeline.svg"],
    ];
    for args in &writes {
        env.run(args).ok();
    }
    let before: Vec<(String, Vec<u8>)> = names_in(&out)
        .into_iter()
        .map(|n| (n.clone(), std::fs::read(out.join(&n)).unwrap()))
        .collect();
    assert_eq!(before.len(), writes.len());
    for args in &writes {
        // 2 KB is less than any of the three and more than nothing.
        let code = run_with_file_size_limit(&env, 2048, args);
        assert_eq!(code, 1, "{args:?} should fail to write");
        let after: Vec<(String, Vec<u8>)> = names_in(&out)
            .into_iter()
            .map(|n| (n.clone(), std::fs::read(out.join(&n)).unwrap()))
            .collect();
        assert!(
            after == before,
            "{args:?} changed or left files: {:?}",
            names_in(&out)
        );
    }
}
