//! The one reader of an entry's bytes short of decoding it: a walk over the structure bincode
//! reads (varints, lengths, UTF-8, option and enum tags, booleans), the checks the domain
//! types make as they are built (identifiers, dates, the record time) and bincode's size
//! limit, with no `String`, `Vec` or `Event` made. Two uses: the links of an entry (its seq
//! and the hash it links to: [`links`], all that the chain needs, `Links::read`), and whether
//! the whole entry decodes ([`links_if_readable`], `Entry::check`).
//!
//! Why: `verify` proves every entry readable, and building each entry only to drop it cost
//! about as much as the whole hash chain (allocation, mostly). This walk only ever says yes
//! when [`Entry::decode`](super::Entry::decode) would succeed, and says no for exactly the
//! rest; on a no, the caller decodes to report the decoder's own error, so a walk that says
//! no wrongly could only cost time, never a verdict (both directions are property-tested in
//! `readable/tests.rs`).
//!
//! It follows the field order of `StoredEntryV1`/`StoredEntryV2` and `domain::event`, which is
//! frozen (`every_kind.rs` pins it): a new variant or field there must be added here too, or
//! every entry that uses it takes the slow path (`every_kind.rs` fails on an example the walk
//! does not read). The two versions differ only in `coordinator_elected`, whose version-2
//! form ends with `person`, `replaces` and `stagger`.

use crate::domain::{
    BodyId, Date, EntryHash, Event, InstitutionCode, MeetingId, Seq, StateCode, Timestamp,
};

use super::entry::{
    DecodeError, Entry, Links, MAX_ENTRY_BYTES, OLDEST_SCHEMA_VERSION, SCHEMA_VERSION,
};

impl Links {
    /// Reads the seq and the predecessor's hash of an encoded entry of any known schema.
    ///
    /// Agrees with [`Entry::decode`]: when the entry decodes, these are its `seq` and
    /// `prev_hash`; when this fails, so does decoding (it is no stricter). The fields before
    /// `prev_hash` are walked by `readable` as bincode reads them; neither the event nor the
    /// fields after it are read, so an entry whose event is damaged can still have links: only
    /// decoding tells that (property-tested in `readable/tests.rs`). When the links do not
    /// read, the error is the decoder's own.
    pub fn read(bytes: &[u8]) -> Result<Links, DecodeError> {
        links(bytes).ok_or_else(|| undecodable(bytes))
    }
}

/// Why `bytes`, which the walk refused, do not decode: the decoder's own error.
fn undecodable(bytes: &[u8]) -> DecodeError {
    match Entry::decode(bytes) {
        Err(e) => e,
        // The walk and the decoder agree (property-tested); were they ever not to, the entry
        // is still refused rather than trusted on the decoder's word alone.
        Ok(_) => DecodeError::Malformed("the entry's links do not read".into()),
    }
}

impl Entry {
    /// Whether `bytes` decode, and their links: exactly when [`Entry::decode`] succeeds, with
    /// its error otherwise, but without building the entry (its strings, vectors and event:
    /// allocation was most of what decoding cost `verify`). The bytes are walked by
    /// `readable`; only an entry that does not decode is decoded, for the decoder's own
    /// error. What `verify` runs on every entry to prove the ledger readable
    /// (property-tested to agree).
    pub fn check(bytes: &[u8]) -> Result<Links, DecodeError> {
        if let Some(links) = links_if_readable(bytes) {
            return Ok(links);
        }
        Entry::decode(bytes).map(|entry| Links {
            seq: entry.seq,
            prev_hash: entry.prev_hash,
        })
    }
}

/// The links of `bytes` when they decode as an entry of a schema version this build reads,
/// `None` when they do not (or when this walk cannot tell: the caller then decodes).
pub(super) fn links_if_readable(bytes: &[u8]) -> Option<Links> {
    let (mut walk, links) = Walk::links(bytes)?;
    walk.event()?;
    // Every claim is counted; bincode fails as soon as the total passes its limit, and
    // the total only grows, so checking it once at the end gives the same answer.
    (walk.at == bytes.len() && walk.claimed <= MAX_ENTRY_BYTES as u64).then_some(links)
}

/// The links of `bytes`: the fields up to `prev_hash` walked as bincode reads them, the event
/// and anything after it not read. `None` only when those fields do not decode (so neither
/// does the entry); an entry whose event is damaged still has links.
pub(super) fn links(bytes: &[u8]) -> Option<Links> {
    Walk::links(bytes).map(|(_, links)| links)
}

/// The bytes, where the walk is, and what bincode would have claimed against its limit so far
/// (it claims a type's full width for an integer however short its varint, and a string's
/// length before reading it).
struct Walk<'a> {
    bytes: &'a [u8],
    at: usize,
    claimed: u64,
    /// The entry's schema version.
    version: u8,
}

impl<'a> Walk<'a> {
    /// The schema version, seq, record time, recorder, override and predecessor's hash: the
    /// walk left at the event.
    fn links(bytes: &'a [u8]) -> Option<(Walk<'a>, Links)> {
        let mut walk = Walk {
            bytes,
            at: 0,
            claimed: 0,
            version: 0,
        };
        walk.version = walk.u8()?;
        if !(OLDEST_SCHEMA_VERSION..=SCHEMA_VERSION).contains(&walk.version) {
            return None;
        }
        let seq = walk.u64()?;
        let secs = walk.i64()?;
        let nanos = walk.u32()?;
        Timestamp::from_parts(secs, nanos)?;
        walk.string()?;
        walk.option(|w| w.string())?;
        // `[u8; 32]` through serde: a tuple of 32 bytes, each claimed as bincode reads it.
        walk.claim(32)?;
        let prev_hash = EntryHash(walk.take(32)?.try_into().ok()?);
        let links = Links {
            seq: Seq(seq),
            prev_hash,
        };
        Some((walk, links))
    }

    fn claim(&mut self, n: u64) -> Option<()> {
        self.claimed = self.claimed.checked_add(n)?;
        Some(())
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Some(taken)
    }

    fn byte(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    fn u8(&mut self) -> Option<u8> {
        self.claim(1)?;
        self.byte()
    }

    /// bincode's varint: one byte below 251, else a marker and 2, 4 or 8 bytes little-endian;
    /// `widest` is the widest marker the type admits (251 for u16, 252 for u32, 253 for u64).
    /// Non-shortest forms are accepted, as bincode accepts them.
    fn varint(&mut self, widest: u8) -> Option<u64> {
        let word = |b: &[u8]| {
            let mut le = [0u8; 8];
            le[..b.len()].copy_from_slice(b);
            u64::from_le_bytes(le)
        };
        match self.byte()? {
            byte @ 0..=250 => Some(u64::from(byte)),
            marker if marker > widest => None,
            251 => Some(word(self.take(2)?)),
            252 => Some(word(self.take(4)?)),
            _ => Some(word(self.take(8)?)),
        }
    }

    fn u32(&mut self) -> Option<u32> {
        self.claim(4)?;
        self.varint(252).map(|n| n as u32)
    }

    fn u64(&mut self) -> Option<u64> {
        self.claim(8)?;
        self.varint(253)
    }

    /// Zigzag over the unsigned varint, as bincode writes signed integers.
    fn i32(&mut self) -> Option<i32> {
        let n = self.u32()?;
        Some(if n % 2 == 0 {
            (n / 2) as i32
        } else {
            !(n / 2) as i32
        })
    }

    fn i64(&mut self) -> Option<i64> {
        let n = self.u64()?;
        Some(if n % 2 == 0 {
            (n / 2) as i64
        } else {
            !(n / 2) as i64
        })
    }

    fn bool(&mut self) -> Option<()> {
        (self.u8()? <= 1).then_some(())
    }

    /// A string's bytes: its length (a u64), then that many bytes, not yet checked to be
    /// UTF-8.
    fn string_bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.u64()?;
        self.claim(len)?;
        self.take(usize::try_from(len).ok()?)
    }

    /// A string: its bytes, UTF-8. Most are ASCII, which a word-at-a-time test proves at once.
    fn string(&mut self) -> Option<()> {
        let bytes = self.string_bytes()?;
        (bytes.is_ascii() || std::str::from_utf8(bytes).is_ok()).then_some(())
    }

    /// A sequence of strings: its length as a usize (claimed as 8 bytes), then each.
    fn strings(&mut self) -> Option<()> {
        let len = self.u64()?;
        for _ in 0..len {
            self.string()?;
        }
        Some(())
    }

    fn option(&mut self, some: impl FnOnce(&mut Self) -> Option<()>) -> Option<()> {
        match self.u8()? {
            0 => Some(()),
            1 => some(self),
            _ => None,
        }
    }

    /// An enum's variant: a u32, below the number of variants.
    fn variant(&mut self, variants: u32) -> Option<u32> {
        self.u32().filter(|&v| v < variants)
    }

    fn date(&mut self) -> Option<()> {
        Date::is_valid_julian_day(self.i32()?).then_some(())
    }

    fn id(&mut self, valid: fn(&str) -> bool) -> Option<()> {
        valid(std::str::from_utf8(self.string_bytes()?).ok()?).then_some(())
    }

    fn state(&mut self) -> Option<()> {
        self.id(StateCode::is_valid)
    }

    fn body(&mut self) -> Option<()> {
        self.id(BodyId::is_valid)
    }

    fn meeting(&mut self) -> Option<()> {
        self.id(MeetingId::is_valid)
    }

    fn institution(&mut self) -> Option<()> {
        self.id(InstitutionCode::is_valid)
    }

    /// `Decision`: meeting, date, document, paragraph.
    fn decision(&mut self) -> Option<()> {
        self.meeting()?;
        self.date()?;
        self.option(|w| w.string())?;
        self.option(|w| w.string())
    }

    /// `Option<TermEnd>`, kept as the enum `On(Date) | CloseOf(MeetingId)`.
    fn term_end(&mut self) -> Option<()> {
        self.option(|w| match w.variant(2)? {
            0 => w.date(),
            _ => w.meeting(),
        })
    }

    /// `Event`, variant by variant (their positions are pinned in `every_kind.rs`), fields in
    /// their frozen order. A correction's replacement is its last field, so a nested event is
    /// walked in a loop, not by recursion. A variant not walked here is `None`: the caller
    /// decodes (correct, slower), and `every_kind.rs`'s test of the walk fails.
    fn event(&mut self) -> Option<()> {
        loop {
            match self.variant(Event::KINDS.len() as u32)? {
                // StateJoined
                0 => {
                    self.state()?;
                    self.string()?;
                    return self.date();
                }
                // StateWithdrew
                1 => {
                    self.state()?;
                    self.option(|w| w.string())?;
                    return self.date();
                }
                // InstitutionRegistered
                2 => {
                    self.institution()?;
                    self.string()?;
                    return self.bool();
                }
                // MeetingHeld
                3 => {
                    self.meeting()?;
                    self.variant(3)?;
                    self.date()?;
                    self.date()?;
                    self.option(|w| w.string())?;
                    return self.option(|w| w.state());
                }
                // BodyEstablished
                4 => {
                    self.body()?;
                    self.string()?;
                    self.option(|w| w.variant(2).map(|_| ()))?;
                    self.u32()?;
                    self.u32()?;
                    self.u32()?;
                    self.strings()?;
                    self.option(|w| w.date())?;
                    return self.decision();
                }
                // CoordinatorElected
                5 => {
                    self.body()?;
                    self.state()?;
                    self.date()?;
                    self.term_end()?;
                    self.decision()?;
                    if self.version < 2 {
                        return Some(());
                    }
                    // person, replaces, stagger
                    self.option(|w| w.string())?;
                    self.option(|w| w.state())?;
                    return self.option(|w| w.variant(2).map(|_| ()));
                }
                // CoordinatorLeft
                6 => {
                    self.body()?;
                    self.state()?;
                    self.date()?;
                    return self.string();
                }
                // MandateAmended
                7 => {
                    self.body()?;
                    self.strings()?;
                    self.strings()?;
                    return self.decision();
                }
                // BodyAmended
                8 => {
                    self.body()?;
                    self.option(|w| w.string())?;
                    self.option(|w| w.u32().map(|_| ()))?;
                    self.option(|w| w.u32().map(|_| ()))?;
                    self.option(|w| w.u32().map(|_| ()))?;
                    self.option(|w| w.date())?;
                    return self.decision();
                }
                // BodyDiscontinued
                9 => {
                    self.body()?;
                    self.date()?;
                    self.option(|w| w.body())?;
                    return self.decision();
                }
                // PresidentElected, PresidentDesignateElected
                10 | 11 => {
                    self.state()?;
                    self.option(|w| w.string())?;
                    self.date()?;
                    self.term_end()?;
                    return self.decision();
                }
                // StandingInvitationExtended, StandingInvitationWithdrawn
                12 | 13 => {
                    self.institution()?;
                    self.date()?;
                    return self.decision();
                }
                // EntryCorrected: target, reason, then the replacement, if any.
                14 => {
                    self.u64()?;
                    self.string()?;
                    match self.u8()? {
                        0 => return Some(()),
                        1 => continue,
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests;
