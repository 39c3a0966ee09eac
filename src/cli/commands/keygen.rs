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
/// Existing files are never overwritten. The formats are Go's signed-note keys
/// (docs/FORMAT.md).
///
/// With --witness, the key is a witness's (a C2SP tlog-cosignature key, type 0x04, for
/// `ccm-ledger witness`), named NAME exactly: by convention a URL without scheme naming
/// the witness, e.g. a State mission's `example.org/ccm-witness`.
///
/// Examples:
///   ccm-ledger keygen isu                      writes isu.key and isu.pub
///   ccm-ledger keygen isu --out-dir ~/.keys
///   ccm-ledger keygen example.org/ccm-witness --witness
///                                              writes example.org_ccm-witness.key and .pub
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The key's name (the ledger's origin name)
    #[arg(value_name = "NAME")]
    name: String,

    /// Where to write the two files [default: the working directory]
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
    let (signer, verifier) = if args.witness {
        let (signer, key) =
            generate_witness_key(&key_name).map_err(|e| CliError::input(e.to_string()))?;
        (signer.to_text(), key.to_text())
    } else {
        let (signer, key) = generate_key(&key_name).map_err(|e| CliError::input(e.to_string()))?;
        (signer.to_text(), key.to_text())
    };
    write_new(&private, &signer, 0o600)?;
    write_new(&public, &verifier, 0o644)?;
    if ctx.json {
        output::json(&serde_json::json!({
            "name": key_name,
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
