use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{output, CliError, Context};
use crate::ledger::config::origin_from_name;
use crate::merkle::{generate_key, generate_witness_key, is_valid_key_name};

/// Generate an Ed25519 key pair for signing checkpoints.
///
/// Writes NAME.key, the signer key (a secret: mode 0600), and NAME.pub, the verifier key to
/// hand to whoever checks the ledger's checkpoints. The key is named `ccm-ledger/NAME` (NAME
/// itself if it has a `/`), like the origin of a ledger initialised with `--origin NAME`.
/// Existing files are never overwritten, and the two appear together: a failed or killed
/// keygen never leaves a .key without its .pub. The formats are Go's signed-note keys
/// (docs/FORMAT.md).
///
/// With --witness, the key is a witness's (a C2SP tlog-cosignature key, type 0x04, for
/// `ccm-ledger witness`), named NAME exactly: by convention a URL without scheme naming
/// the witness, e.g. a State mission's `example.org/ccm-witness`.
///
/// Examples:
///   ccm-ledger keygen isu-2027                 writes isu-2027.key and isu-2027.pub
///   ccm-ledger keygen isu --out-dir ~/.keys    creates ~/.keys (mode 0700) if it is missing
///   ccm-ledger keygen example.org/ccm-witness --witness
///                                              writes example.org_ccm-witness.key and .pub
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The key's name (the ledger's origin name)
    #[arg(value_name = "NAME")]
    name: String,

    /// Where to write the two files, created if missing [default: the working directory]
    #[arg(long, value_name = "DIR", default_value = ".")]
    out_dir: PathBuf,

    /// Make a witness's cosigning key instead of a log's signing key
    #[arg(long)]
    witness: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let key_name = if args.witness {
        if !is_valid_key_name(&args.name) {
            return Err(CliError::Usage(format!(
                "{:?} cannot name a witness: it must be non-empty, without spaces, '+' or control characters",
                args.name
            )));
        }
        args.name.clone()
    } else {
        origin_from_name(&args.name).map_err(CliError::Usage)?
    };
    let stem = args.name.replace('/', "_");
    let private = args.out_dir.join(format!("{stem}.key"));
    let public = args.out_dir.join(format!("{stem}.pub"));
    for path in [&private, &public] {
        if path.exists() {
            return Err(CliError::Io {
                context: format!("cannot write {}", path.display()),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "the file exists, and a key is never overwritten (move it away first)",
                ),
            });
        }
    }
    create_key_dir(&args.out_dir)?;
    let (signer, verifier) = if args.witness {
        let (signer, key) =
            generate_witness_key(&key_name).map_err(|e| CliError::input(e.to_string()))?;
        (signer.to_text(), key.to_text())
    } else {
        let (signer, key) = generate_key(&key_name).map_err(|e| CliError::input(e.to_string()))?;
        (signer.to_text(), key.to_text())
    };
    write_pair((&private, &signer, 0o600), (&public, &verifier, 0o644))?;
    if ctx.json {
        output::json(&serde_json::json!({
            "key_name": key_name,
            "key": private.display().to_string(),
            "pub": public.display().to_string(),
            "verifier_key": verifier,
        }))
    } else {
        output::text(&format!(
            "wrote {} (secret, mode 0600) and {}\nverifier key: {}",
            private.display(),
            public.display(),
            verifier
        ))
    }
}

/// Creates the directory for the keys if it is missing: readable by its owner only, as it
/// holds a secret.
fn create_key_dir(dir: &Path) -> Result<(), CliError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(CliError::io(format!("cannot create {}", dir.display())))
}

/// Writes both files of a key pair, or neither: each is first written whole (and synced) to a
/// temporary file of its own in the same directory, then linked to its name — which, unlike a
/// rename, never replaces a file (nor follows a link) already there. The .pub is linked
/// first, so a kill between the two leaves a .pub alone (public, harmless), never a .key
/// alone; if the .key cannot be linked, the .pub just linked is removed.
fn write_pair(private: (&Path, &str, u32), public: (&Path, &str, u32)) -> Result<(), CliError> {
    let tmp = |path: &Path| {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        path.with_file_name(format!(
            ".{}.{}.tmp",
            name.unwrap_or_default(),
            std::process::id()
        ))
    };
    let (private_tmp, public_tmp) = (tmp(private.0), tmp(public.0));
    let linked = (|| {
        write_new(&private_tmp, private.1, private.2)?;
        write_new(&public_tmp, public.1, public.2)?;
        link_new(&public_tmp, public.0)?;
        if let Err(e) = link_new(&private_tmp, private.0) {
            let _ = std::fs::remove_file(public.0);
            return Err(e);
        }
        sync_dir(private.0);
        Ok(())
    })();
    let _ = std::fs::remove_file(&private_tmp);
    let _ = std::fs::remove_file(&public_tmp);
    linked
}

fn link_new(from: &Path, to: &Path) -> Result<(), CliError> {
    std::fs::hard_link(from, to).map_err(CliError::io(format!("cannot write {}", to.display())))
}

/// Makes the new names durable; a directory that cannot be synced only loses durability.
fn sync_dir(file: &Path) {
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
}

/// Creates `path` (never replacing a file) with `text` and a newline, durably.
fn write_new(path: &Path, text: &str, mode: u32) -> Result<(), CliError> {
    let context = format!("cannot write {}", path.display());
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(CliError::io(&context))?;
    file.write_all(format!("{text}\n").as_bytes())
        .map_err(CliError::io(&context))?;
    file.sync_all().map_err(CliError::io(&context))
}
