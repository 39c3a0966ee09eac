//! `--witness W.pub` (repeatable) and `--quorum K`: a checkpoint counts only with valid
//! cosignatures from at least K of the named witnesses. Shared by `verify` and `verify-proof`.

use std::path::PathBuf;

use crate::merkle::WitnessKey;

use super::evidence::read_text;
use super::CliError;

#[derive(Debug, Clone, clap::Args)]
pub struct WitnessArgs {
    /// A witness's verifier key (from `keygen NAME --witness`) whose cosignature the
    /// checkpoint must carry (repeatable)
    #[arg(long = "witness", value_name = "PUBKEY")]
    pub witnesses: Vec<PathBuf>,

    /// How many of the named witnesses must have cosigned [default: all of them]
    #[arg(long, value_name = "K", requires = "witnesses")]
    pub quorum: Option<usize>,
}

/// Who cosigned, when a quorum held.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Cosigners {
    pub named: usize,
    pub quorum: usize,
    /// The names of the witnesses whose cosignature verified, in the order named.
    pub cosigned_by: Vec<String>,
}

impl Cosigners {
    /// `cosigned by 2 of 2 named witnesses (a, b)`.
    pub fn describe(&self) -> String {
        format!(
            "cosigned by {} of {} named witnesses ({}), {} needed",
            self.cosigned_by.len(),
            self.named,
            self.cosigned_by.join(", "),
            self.quorum
        )
    }
}

impl WitnessArgs {
    /// Nothing to check when no witness is named.
    pub fn is_empty(&self) -> bool {
        self.witnesses.is_empty()
    }

    /// Reads the keys and checks the quorum against `note` (a checkpoint whose log signature
    /// was verified already). Exit 3 when fewer than K named witnesses cosigned it.
    pub fn check(&self, note: &str, what: &str) -> Result<Option<Cosigners>, CliError> {
        if self.is_empty() {
            return Ok(None);
        }
        let keys = self
            .witnesses
            .iter()
            .map(|path| {
                WitnessKey::parse(&read_text(path, "--witness")?)
                    .map_err(|e| CliError::input(format!("--witness {}: {e}", path.display())))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let quorum = self.quorum.unwrap_or(keys.len());
        if quorum == 0 || quorum > keys.len() {
            return Err(CliError::Usage(format!(
                "--quorum {quorum}: give a number from 1 to the {} witnesses named",
                keys.len()
            )));
        }
        let mut cosigned_by = Vec::new();
        let mut missing = Vec::new();
        for key in &keys {
            match key.verify(note) {
                Ok(_) => cosigned_by.push(key.name().to_owned()),
                Err(e) => missing.push(e.to_string()),
            }
        }
        if cosigned_by.len() < quorum {
            return Err(CliError::NotVerified(format!(
                "{what}: {} of the {} named witnesses cosigned, {quorum} needed: {}",
                cosigned_by.len(),
                keys.len(),
                missing.join("; ")
            )));
        }
        Ok(Some(Cosigners {
            named: keys.len(),
            quorum,
            cosigned_by,
        }))
    }
}
