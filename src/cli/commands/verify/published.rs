//! `verify --published DIR|URL`: the publication fetched and verified whole (see
//! `publication::verify_published`), the witnesses counted, the entries kept with --out.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use serde::Serialize;

use crate::cli::evidence::{read_checkpoint, read_verifier_key};
use crate::cli::witnesses::{Cosigners, WitnessArgs};
use crate::cli::{output, CliError, Context};
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
    let mut file = match out {
        Some(path) => {
            let tmp = path.with_extension("partial");
            let created = File::create(&tmp)
                .map_err(CliError::io(format!("cannot write {}", tmp.display())))?;
            Some((tmp, BufWriter::new(created)))
        }
        None => None,
    };
    let verified = verify_published(
        &source,
        &key,
        since.as_ref(),
        file.as_mut().map(|(_, w)| w as &mut dyn std::io::Write),
    );
    let verified = match verified {
        Ok(v) => v,
        Err(e) => {
            if let Some((tmp, _)) = &file {
                let _ = std::fs::remove_file(tmp);
            }
            return Err(match &e {
                e if e.is_verification() => CliError::NotVerified(e.to_string()),
                PublishedError::Out(_) => CliError::input(e.to_string()),
                _ => CliError::input(format!("cannot read the publication: {e}")),
            });
        }
    };
    let cosigners = witnesses.check(&verified.note, &source.name("checkpoint"));
    if let Err(e) = cosigners {
        if let Some((tmp, _)) = &file {
            let _ = std::fs::remove_file(tmp);
        }
        return Err(e);
    }
    let cosigners = cosigners?;
    if let (Some((tmp, writer)), Some(path)) = (file, out) {
        let context = format!("cannot write {}", path.display());
        writer
            .into_inner()
            .map_err(|e| CliError::io(&context)(e.into_error()))?
            .sync_all()
            .map_err(CliError::io(&context))?;
        std::fs::rename(&tmp, path).map_err(CliError::io(&context))?;
    }
    let c = &verified.checkpoint;
    let answer = Answer {
        published: location.to_owned(),
        origin: c.origin.clone(),
        size: c.size,
        head: verified.head.to_hex(),
        root: c.root.to_hex(),
        tiles: verified.tiles,
        bundles: verified.bundles,
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
