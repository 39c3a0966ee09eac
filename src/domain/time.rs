//! The two axes of time: [`Date`] (valid time, a calendar day) and [`Timestamp`] (record time,
//! an instant in UTC).
//!
//! Both serialize as ISO strings in JSON and as integers in the binary encoding of entries
//! (serde's `is_human_readable` tells the two apart), so the journal stays compact and the
//! interchange format stays readable.

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// The years a date may fall in. The CCM dates from 2008; anything outside this window is a
/// typo (a `0000-01-01` or `20199-09-04`) rather than history, so it is refused.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2999;

/// A calendar day, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(time::Date);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("{0:?} is not a date: {1}")]
    Malformed(String, String),
    #[error("{0} is outside the years {first}..={last}", first = YEARS.start(), last = YEARS.end())]
    OutOfRange(String),
    #[error("{0:?} is not a time: {1}; expected RFC 3339 in UTC, e.g. 2022-03-01T00:00:00Z")]
    MalformedTimestamp(String, String),
}

impl Date {
    pub fn parse(s: &str) -> Result<Date, DateError> {
        let format = format_description!("[year]-[month]-[day]");
        // `[year]` accepts a sign and more than four digits; the contract says exactly YYYY.
        if s.len() != 10 || !s.as_bytes()[0].is_ascii_digit() {
            return Err(DateError::Malformed(s.to_owned(), why_not_a_date(s)));
        }
        let date = time::Date::parse(s, &format)
            .map_err(|_| DateError::Malformed(s.to_owned(), why_not_a_date(s)))?;
        Date::from_time(date).ok_or_else(|| DateError::OutOfRange(s.to_owned()))
    }

    /// A date inside [`YEARS`], or `None`.
    pub fn from_time(date: time::Date) -> Option<Date> {
        YEARS.contains(&date.year()).then_some(Date(date))
    }

    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Date> {
        let month = time::Month::try_from(month).ok()?;
        Date::from_time(time::Date::from_calendar_date(year, month, day).ok()?)
    }

    pub fn year(self) -> i32 {
        self.0.year()
    }

    /// Days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        (later.0 - self.0).whole_days()
    }

    pub fn add_days(self, days: i64) -> Date {
        let shifted = self.0.saturating_add(time::Duration::days(days));
        Date::from_time(shifted).unwrap_or(self)
    }

    /// The same day `years` later (28 February for a 29 February that does not exist).
    pub fn add_years(self, years: i32) -> Date {
        let d = self.0;
        let year = d.year() + years;
        let day = d.day().min(time::util::days_in_month(d.month(), year));
        time::Date::from_calendar_date(year, d.month(), day)
            .ok()
            .and_then(Date::from_time)
            .unwrap_or(self)
    }

    /// Today in UTC.
    pub fn today() -> Date {
        Date::from_time(OffsetDateTime::now_utc().date())
            .expect("the system clock is between 1900 and 2999")
    }

    fn julian_day(self) -> i32 {
        self.0.to_julian_day()
    }

    /// Whether the journal's form of a date (its julian day) decodes: the check of the
    /// decoder, without the date.
    pub(crate) fn is_valid_julian_day(day: i32) -> bool {
        Date::from_julian_day(day).is_some()
    }

    fn from_julian_day(day: i32) -> Option<Date> {
        time::Date::from_julian_day(day)
            .ok()
            .and_then(Date::from_time)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        )
    }
}

impl std::str::FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Date, DateError> {
        Date::parse(s)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            serializer.serialize_i32(self.julian_day())
        }
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        if deserializer.is_human_readable() {
            // Read from the text in place where the reader lends it (a line without
            // escapes), not copied into a `String` first: three dates on most lines.
            deserializer.deserialize_str(DateText)
        } else {
            let day = i32::deserialize(deserializer)?;
            Date::from_julian_day(day)
                .ok_or_else(|| D::Error::custom(format!("julian day {day} is out of range")))
        }
    }
}

/// A date as JSON text: `"YYYY-MM-DD"`.
struct DateText;

impl serde::de::Visitor<'_> for DateText {
    type Value = Date;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Date, E> {
        Date::parse(s).map_err(E::custom)
    }
}

/// `YYYY-MM-DD` in shape: four digits, a dash, two, a dash, two.
fn looks_like_a_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// Why `s` is not a day, in the calendar's words rather than the parser's: "there is no month
/// 13", "February 2023 has 28 days", or the form expected.
fn why_not_a_date(s: &str) -> String {
    if !looks_like_a_date(s) {
        return "expected YYYY-MM-DD, e.g. 2019-09-04".to_owned();
    }
    let number = |range: std::ops::Range<usize>| s[range].parse::<u8>().unwrap_or(0);
    let year: i32 = s[..4].parse().unwrap_or(0);
    let (month, day) = (number(5..7), number(8..10));
    match time::Month::try_from(month) {
        Err(_) => format!("there is no month {month} (months run from 01 to 12)"),
        Ok(m) => {
            let days = time::util::days_in_month(m, year);
            if day == 0 || day > days {
                format!("{m} {year} has {days} days")
            } else {
                "expected YYYY-MM-DD, e.g. 2019-09-04".to_owned()
            }
        }
    }
}

/// An instant in UTC, to the nanosecond: when the ledger learned something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    pub fn now() -> Timestamp {
        Timestamp(OffsetDateTime::now_utc())
    }

    /// RFC 3339 with any offset; kept in UTC.
    pub fn parse(s: &str) -> Result<Timestamp, DateError> {
        let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
            // The day is where a person most often slips (30 February); say which.
            let day = s.get(..10).filter(|day| Date::parse(day).is_err());
            let why = match day {
                Some(day) if looks_like_a_date(day) => why_not_a_date(day),
                _ => "not of the form YYYY-MM-DDTHH:MM:SSZ".to_owned(),
            };
            DateError::MalformedTimestamp(s.to_owned(), why)
        })?;
        let t = t.to_offset(UtcOffset::UTC);
        if !YEARS.contains(&t.year()) {
            return Err(DateError::OutOfRange(s.to_owned()));
        }
        Ok(Timestamp(t))
    }

    pub fn date(self) -> Date {
        Date::from_time(self.0.date()).expect("timestamps are validated to lie in YEARS")
    }

    /// Whole seconds since 1970-01-01T00:00:00Z (the fraction dropped): the POSIX time.
    pub fn unix_seconds(self) -> i64 {
        self.0.unix_timestamp()
    }

    /// The instant `secs` seconds after 1970-01-01T00:00:00Z, if it lies in [`YEARS`].
    pub fn from_unix_seconds(secs: i64) -> Option<Timestamp> {
        Timestamp::from_parts(secs, 0)
    }

    fn parts(self) -> (i64, u32) {
        (self.0.unix_timestamp(), self.0.nanosecond())
    }

    pub(crate) fn from_parts(secs: i64, nanos: u32) -> Option<Timestamp> {
        let nanos = i128::from(secs) * 1_000_000_000 + i128::from(nanos);
        let t = OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
        YEARS.contains(&t.year()).then_some(Timestamp(t))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.format(&Rfc3339).map_err(|_| fmt::Error)?;
        f.write_str(&s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            self.parts().serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        if deserializer.is_human_readable() {
            let s = String::deserialize(deserializer)?;
            Timestamp::parse(&s).map_err(D::Error::custom)
        } else {
            let (secs, nanos) = <(i64, u32)>::deserialize(deserializer)?;
            Timestamp::from_parts(secs, nanos)
                .ok_or_else(|| D::Error::custom("timestamp out of range"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_and_out_of_range_dates_are_refused() {
        for bad in [
            "2023-02-30",
            "0000-00-00",
            "2019-13-01",
            "2019-9-4",
            "+2019-09-04",
            "1899-12-31",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad} was accepted");
        }
        assert_eq!(Date::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
    }

    #[test]
    fn adding_years_keeps_the_day_or_falls_back_to_the_end_of_february() {
        let leap = Date::parse("2024-02-29").unwrap();
        assert_eq!(leap.add_years(1).to_string(), "2025-02-28");
        assert_eq!(
            Date::parse("2019-09-04").unwrap().add_years(2).to_string(),
            "2021-09-04"
        );
    }

    #[test]
    fn timestamps_are_kept_in_utc() {
        let t = Timestamp::parse("2022-03-01T01:00:00+01:00").unwrap();
        assert_eq!(t.to_string(), "2022-03-01T00:00:00Z");
    }
}
