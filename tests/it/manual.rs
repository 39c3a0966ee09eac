//! `ccm-ledger man` (issue 17): the manual page, and a page per command, from the same clap
//! definitions as `--help`, so they cannot disagree.

use crate::support::TestEnv;

#[test]
fn man_prints_the_main_page_naming_every_command() {
    let env = TestEnv::new();
    let page = env.run(&["man"]).ok().stdout;
    assert!(page.contains(".TH ccm-ledger 1"), "{page}");
    assert!(page.contains("Exit codes:"), "{page}");
    for command in [
        "who",
        "history",
        "record",
        "verify-proof",
        "completions",
        "man",
    ] {
        let reference = format!("ccm\\-ledger\\-{}(1)", command.replace('-', "\\-"));
        assert!(page.contains(&reference), "{reference} is not in the page");
    }
}

#[test]
fn man_out_dir_writes_a_page_per_command_and_per_kind_of_record() {
    let env = TestEnv::new();
    let dir = env.dir.path().join("man/man1");
    env.run(&["man", "--out-dir", dir.to_str().unwrap()]).ok();
    for page in [
        "ccm-ledger.1",
        "ccm-ledger-who.1",
        "ccm-ledger-record.1",
        "ccm-ledger-record-coordinator-elected.1",
        "ccm-ledger-verify-proof.1",
    ] {
        let text =
            std::fs::read_to_string(dir.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.starts_with(".ie") || text.contains(".TH"), "{page}");
    }
    let who = std::fs::read_to_string(dir.join("ccm-ledger-who.1")).unwrap();
    assert!(who.contains("\\-\\-known\\-at"), "{who}");
}
