use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{output, CliError, Context};
use crate::ledger::config::origin_from_name;
use crate::merkle::generate_key;

/// Generate an Ed25519 key pair for signing checkpoints.
///
/// Writes NAME.key, the signer key (a secret: mode 0600), and NAME.pub, the verifier key to
/// hand to whoever checks the ledger's checkpoints. The key is named `ccm-ledger/NAME` (NAME
/// itself if it has a `/`), like the origin of a ledger initialised with `--origin NAME`.
/// Existing files are never overwritten. The formats are Go's signed-note keys
/// (docs/FORMAT.md).
///
/// Examples:
///   ccm-ledger keygen isu-2027                 writes isu-2027.key and isu-2027.pub
///   ccm-ledger keygen isu --out-dir ~/.keys    creates ~/.keys (mode 0700) if it is missing
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The key's name (the ledger's origin name)
    #[arg(value_name = "NAME")]
    name: String,

    /// Where to write the two files, created if missing [default: the working directory]
    #[arg(long, value_name = "DIR", default_value = ".")]
    out_dir: PathBuf,
}

pub fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let key_name = origin_from_name(&args.name).map_err(CliError::Usage)?;
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
    let (signer, verifier) = generate_key(&key_name).map_err(|e| CliError::input(e.to_string()))?;
    write_new(&private, &signer.to_text(), 0o600)?;
    write_new(&public, &verifier.to_text(), 0o644)?;
    if ctx.json {
        output::json(&serde_json::json!({
            "key_name": key_name,
            "key": private.display().to_string(),
            "pub": public.display().to_string(),
            "verifier_key": verifier.to_text(),
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
