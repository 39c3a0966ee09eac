use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const NOW: &str = "2026-01-01T00:00:00Z";

/// A fresh temporary ledger, and the binary run against it with the clock and the recorder
/// pinned.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
}

/// What one run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn fails_with(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ccm-ledger"))
}

impl TestEnv {
    pub fn new() -> TestEnv {
        TestEnv {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn ledger(&self) -> PathBuf {
        self.dir.path().join("ledger")
    }

    /// Writes `text` to a file in the test's directory and returns its path.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write a test file");
        path
    }

    pub fn command(&self, ledger: &Path) -> Command {
        let mut cmd = bin();
        cmd.env_clear()
            .env("CCM_LEDGER", ledger)
            .env("CCM_LEDGER_NOW", NOW)
            .env("CCM_LEDGER_RECORDER", "test")
            .env("HOME", self.dir.path())
            .current_dir(self.dir.path());
        cmd
    }

    /// Runs the binary with `args` against this test's ledger.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_on(&self.ledger(), args)
    }

    pub fn run_on(&self, ledger: &Path, args: &[&str]) -> Run {
        Run::from(
            self.command(ledger)
                .args(args)
                .output()
                .expect("run ccm-ledger"),
        )
    }

    /// Runs with `stdin` fed to the binary.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &[u8]) -> Run {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = self
            .command(&self.ledger())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run ccm-ledger");
        child.stdin.take().expect("stdin").write_all(stdin).ok();
        Run::from(child.wait_with_output().expect("wait for ccm-ledger"))
    }

    /// Imports `lines` (JSON Lines text) into this test's ledger, expecting success.
    pub fn import(&self, lines: &str) -> Run {
        let path = self.file("import.jsonl", lines);
        self.run(&["import", path.to_str().expect("utf-8 path")])
            .ok()
    }

    /// The bytes of the ledger's canonical files, to show that nothing changed.
    pub fn canonical_bytes(&self) -> (Vec<u8>, Vec<u8>) {
        let journal = std::fs::read(self.ledger().join("journal")).unwrap_or_default();
        let head = std::fs::read(self.ledger().join("HEAD")).unwrap_or_default();
        (journal, head)
    }
}

/// A small ledger: two States, two meetings, a working group, elections.
pub const SMALL: &str = r#"{"kind":"state_joined","state":"NOR","name":"Norway","effective":"2010-08-01"}
{"kind":"state_joined","state":"ECU","name":"Ecuador","effective":"2010-11-01"}
{"kind":"state_joined","state":"CIV","name":"Côte d'Ivoire","effective":"2012-09-01"}
{"kind":"institution_registered","institution":"ICRC","name":"International Committee of the Red Cross","by_right":true}
{"kind":"meeting_held","meeting":"2MSP","type":"msp","start":"2011-09-13","end":"2011-09-16","location":"Beirut, Lebanon"}
{"kind":"body_established","body":"wg-universalization","name":"Working Group on Universalization","type":"working_group","seats":2,"term_years":2,"renew_per_year":1,"mandate":["promote universal adherence to the Convention"],"decision":{"meeting":"2MSP","date":"2011-09-16","document":"CCM/MSP/2011/5"}}
{"kind":"coordinator_elected","body":"wg-universalization","state":"NOR","start":"2011-09-16","end":{"meeting":"3MSP"},"decision":{"meeting":"2MSP","date":"2011-09-16"}}
{"kind":"coordinator_elected","body":"wg-universalization","state":"ECU","start":"2011-09-16","end":{"meeting":"4MSP"},"decision":{"meeting":"2MSP","date":"2011-09-16"}}
{"kind":"meeting_held","meeting":"3MSP","type":"msp","start":"2012-09-11","end":"2012-09-14","location":"Oslo, Norway"}
{"kind":"coordinator_elected","body":"wg-universalization","state":"CIV","start":"2012-09-14","end":"2014-09-05","decision":{"meeting":"3MSP","date":"2012-09-14"}}
"#;

/// Imports SMALL, then a file holding one good line and `bad` as line 2, and checks the
/// refusal: exit 1, the message names `FILE:2:` and holds every one of `expected`, and the
/// ledger (journal, head, export) is byte-for-byte unchanged. Returns the message.
#[track_caller]
pub fn assert_line_refused(file: &str, bad: &[u8], expected: &[&str]) -> String {
    let env = TestEnv::new();
    env.import(SMALL);
    let before = env.canonical_bytes();
    let export_before = env.run(&["export"]).ok().stdout;

    let good = r#"{"kind":"state_joined","state":"FRA","name":"France","effective":"2010-08-01"}"#;
    let mut bytes = format!("{good}\n").into_bytes();
    bytes.extend_from_slice(bad);
    bytes.push(b'\n');
    let path = env.dir.path().join(file);
    std::fs::write(&path, bytes).expect("write the bad file");
    let run = env.run(&["import", path.to_str().unwrap()]).fails_with(1);
    assert!(
        run.stderr.contains(&format!("{file}:2:")),
        "no file:line in: {}",
        run.stderr
    );
    for needle in expected {
        assert!(
            run.stderr.contains(needle),
            "{needle:?} not in: {}",
            run.stderr
        );
    }
    assert_eq!(
        env.canonical_bytes(),
        before,
        "the journal or the head changed"
    );
    assert_eq!(env.run(&["export"]).ok().stdout, export_before);
    run.stderr
}

/// A tmpfs of `size` (`mount -o size=`, e.g. `2m`), mounted for a test and unmounted when
/// dropped: a disk that really fills. `None` where mounting is not allowed (not root, a
/// sandbox): the test is then skipped, and says so.
pub struct SmallDisk {
    pub dir: tempfile::TempDir,
}

impl SmallDisk {
    pub fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then_some(SmallDisk { dir })
    }

    /// Fills what is left of the disk.
    pub fn fill(&self) {
        self.fill_but(0);
    }

    /// Fills the disk but `free` bytes.
    pub fn fill_but(&self, free: u64) {
        use std::io::Write;
        let mut filler = std::fs::File::create(self.dir.path().join("filler")).unwrap();
        let block = vec![0u8; 4096];
        while filler.write_all(&block).is_ok() {}
        let len = filler.metadata().unwrap().len();
        filler.set_len(len.saturating_sub(free)).unwrap();
        let _ = filler.sync_all();
    }

    /// Frees what [`SmallDisk::fill`] took.
    pub fn empty(&self) {
        let _ = std::fs::remove_file(self.dir.path().join("filler"));
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}
