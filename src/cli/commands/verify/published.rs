//! `verify --published DIR|URL`: the publication fetched and verified whole (see
//! `publication::verify_published`), the witnesses counted, the entries kept with --out.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::cli::evidence::{read_checkpoint, read_verifier_key, signed_at_json, signed_at_line};
use crate::cli::witnesses::{Cosigners, WitnessArgs};
use crate::cli::{outfile, output, CliError, Context};
use crate::publication::{verify_published, PublishedError, Source};

#[derive(Serialize)]
struct Answer {
    published: String,
    origin: String,
    size: u64,
    head: String,
    root: String,
    tiles: usize,
    bundles: usize,
    /// When the checkpoint says it was signed (the signer's claim); `None` if not recorded.
    signed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    witnesses: Option<Cosigners>,
}

pub fn run(
    ctx: &Context,
    location: &str,
    key: &Path,
    witnesses: &WitnessArgs,
    since: Option<&Path>,
    out: Option<&Path>,
) -> Result<(), CliError> {
    let key = read_verifier_key(key)?;
    let since = since.map(|path| read_checkpoint(path, &key)).transpose()?;
    let source = Source::new(location);
    // The entries are written as they are verified, to a file that takes the name `--out`
    // only if the publication and its witnesses pass.
    let checked = |entries: Option<&mut dyn Write>| {
        let verified =
            verify_published(&source, &key, since.as_ref(), entries).map_err(|e| match &e {
                e if e.is_verification() => CliError::NotVerified(e.to_string()),
                PublishedError::Out(_) => CliError::input(e.to_string()),
                _ => CliError::unreadable_publication(&e),
            })?;
        let cosigners = witnesses.check(&verified.note, &source.name("checkpoint"))?;
        Ok((verified, cosigners))
    };
    let (verified, cosigners) = match out {
        Some(path) => outfile::write_atomically(path, |entries| checked(Some(entries)))?,
        None => checked(None)?,
    };
    let c = &verified.checkpoint;
    let answer = Answer {
        published: location.to_owned(),
        origin: c.origin.clone(),
        size: c.size,
        head: verified.head.to_hex(),
        root: c.root.to_hex(),
        tiles: verified.tiles,
        bundles: verified.bundles,
        signed_at: signed_at_json(c),
        since: since.as_ref().map(|s| s.size),
        witnesses: cosigners,
    };
    if ctx.json {
        return output::json(&answer);
    }
    let mut text = format!(
        "ok: the publication of {} at size {}: every entry rebuilt and chained, {} tiles and {} entry bundles checked\nhead {}\nroot {}",
        answer.origin, answer.size, answer.tiles, answer.bundles, answer.head, answer.root
    );
    text.push_str(&format!("\n{}", signed_at_line("the checkpoint", c)));
    if let Some(old) = answer.since {
        text.push_str(&format!(
            "\nextends the older checkpoint of size {old}: nothing before it was rewritten"
        ));
    }
    if let Some(c) = &answer.witnesses {
        text.push_str(&format!("\n{}", c.describe()));
    }
    if let Some(path) = out {
        text.push_str(&format!("\nthe verified entries are in {}", path.display()));
    }
    output::text(&text)
}
