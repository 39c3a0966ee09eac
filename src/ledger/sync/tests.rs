use std::io;
use std::path::Path;

use super::*;

/// The names in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn replace(path: &Path, durability: Durability, bytes: &[u8]) -> io::Result<()> {
    write_atomically(path, durability, |out| out.write_all(bytes))
}

#[test]
fn a_replaced_file_holds_the_new_bytes_and_nothing_is_left_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("HEAD");
    replace(&path, Durability::DirectorySynced, b"old").unwrap();
    replace(&path, Durability::FileSynced, b"new").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"new");
    assert_eq!(names_in(dir.path()), ["HEAD"]);
}

#[test]
fn a_write_that_fails_leaves_the_old_file_and_no_temporary_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    replace(&path, Durability::FileSynced, b"old").unwrap();
    let failed: io::Result<()> = write_atomically(&path, Durability::DirectorySynced, |out| {
        out.write_all(b"half")?;
        Err(io::Error::other("the disk is full"))
    });
    assert_eq!(failed.unwrap_err().to_string(), "the disk is full");
    assert_eq!(std::fs::read(&path).unwrap(), b"old");
    assert_eq!(names_in(dir.path()), ["config"]);
}

#[test]
fn each_durability_passes_its_barriers_named_without_the_unique_part() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    let traced = |durability| {
        trace_start();
        replace(&path, durability, b"x").unwrap();
        trace_take()
    };
    assert_eq!(traced(Durability::Unsynced), []);
    assert_eq!(
        traced(Durability::FileSynced),
        [Barrier::Data("config.tmp".into())]
    );
    assert_eq!(
        traced(Durability::DirectorySynced),
        [
            Barrier::Data("config.tmp".into()),
            Barrier::Directory(dir.path().display().to_string()),
        ]
    );
}

/// A ledger's files and a publication's tiles are read by other users (a web server): the
/// temporary file is created as `File::create` creates one (0666 less the umask), not 0600
/// as `tempfile` would by default.
#[test]
fn a_replaced_file_has_the_permissions_of_a_new_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    std::fs::File::create(&plain).unwrap();
    let replaced = dir.path().join("replaced");
    replace(&replaced, Durability::Unsynced, b"x").unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&replaced), mode(&plain));
}

#[test]
fn a_path_without_a_file_name_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let refused = replace(&dir.path().join(".."), Durability::Unsynced, b"x");
    assert_eq!(refused.unwrap_err().kind(), io::ErrorKind::InvalidInput);
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn the_temporary_files_a_killed_writer_left_are_removed_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        ".checkpoint.a1B2c3.tmp",
        ".HEAD.zzzzzz.tmp",
        ".index.offsets.000000.tmp",
        "HEAD",
        "journal.tmp",
        ".tmp",
        ".HEAD.short.tmp",
        "projection.snapshot.12.34.tmp",
    ] {
        std::fs::write(dir.path().join(name), b"x").unwrap();
    }
    assert_eq!(remove_abandoned_temporaries(dir.path()), 3);
    assert_eq!(
        names_in(dir.path()),
        [
            ".HEAD.short.tmp",
            ".tmp",
            "HEAD",
            "journal.tmp",
            "projection.snapshot.12.34.tmp"
        ]
    );
}
