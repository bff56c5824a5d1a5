//! Dates and times a client sends, bounded to a range both databases store alike (PostgreSQL
//! refuses years before 4713 BC; SQLite would keep year −5000 as text).
use chrono::{DateTime, NaiveDate, Utc};

use super::Invalid;

/// The earliest date a client may send.
pub const MIN_DATE: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date");
/// The latest date a client may send.
pub const MAX_DATE: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid date");

/// Years 1900 to 9999, as the contract states the range.
const YEAR_PATTERN: &str = "^(19[0-9]{2}|[2-9][0-9]{3})-";
const DATE_TEXT: &str = "a date from 1900-01-01 to 9999-12-31";
const TIME_TEXT: &str = "an RFC 3339 time from 1900-01-01T00:00:00Z to 9999-12-31T23:59:59Z";

fn in_range(date: NaiveDate) -> Result<(), Invalid> {
    if (MIN_DATE..=MAX_DATE).contains(&date) {
        Ok(())
    } else {
        Err(Invalid::new(
            "range",
            "must be between 1900-01-01 and 9999-12-31",
        ))
    }
}

/// A calendar date (`YYYY-MM-DD`) between 1900-01-01 and 9999-12-31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct CalendarDate(NaiveDate);

impl CalendarDate {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| Invalid::new("format", "must be a date as YYYY-MM-DD"))?;
        in_range(date).map(|()| Self(date))
    }

    pub fn get(self) -> NaiveDate {
        self.0
    }

    pub fn from_db(stored: NaiveDate) -> Self {
        Self(stored)
    }
}

impl<'de> serde::Deserialize<'de> for CalendarDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// An instant (RFC 3339) between 1900-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let at = DateTime::parse_from_rfc3339(raw)
            .map_err(|_| Invalid::new("format", "must be an RFC 3339 time"))?
            .with_timezone(&Utc);
        Self::new(at)
    }

    /// Checks the range of a time from elsewhere (a decoded cursor, say).
    pub fn new(at: DateTime<Utc>) -> Result<Self, Invalid> {
        in_range(at.date_naive()).map(|()| Self(at))
    }

    pub fn get(self) -> DateTime<Utc> {
        self.0
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

macro_rules! time_schema {
    ($name:ident, $format:ident, $text:expr, $example:literal) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::$format)))
                    .description(Some($text))
                    // JSON Schema cannot bound a date's value; a year of 1900–9999 can be written.
                    .pattern(Some(YEAR_PATTERN))
                    .examples([serde_json::json!($example)])
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}

time_schema!(CalendarDate, Date, DATE_TEXT, "2045-12-31");
time_schema!(Timestamp, DateTime, TIME_TEXT, "2026-11-29T08:00:00Z");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_outside_the_range_are_refused() {
        assert!(CalendarDate::parse("2045-12-31").is_ok());
        assert_eq!(
            CalendarDate::parse("-5000-01-01").unwrap_err().rule,
            "range"
        );
        assert_eq!(
            CalendarDate::parse("2045-13-01").unwrap_err().rule,
            "format"
        );
        assert_eq!(CalendarDate::parse("1899-12-31").unwrap_err().rule, "range");
        assert!(CalendarDate::parse("9999-12-31").is_ok());
        assert!(Timestamp::parse("2026-11-29T08:00:00+08:00").is_ok());
        assert_eq!(
            Timestamp::parse("-5000-01-01T00:00:00Z").unwrap_err().rule,
            "format"
        );
        assert_eq!(
            Timestamp::parse("1000-01-01T00:00:00Z").unwrap_err().rule,
            "range"
        );
        let far = DateTime::parse_from_rfc3339("+10000-01-01T00:00:00Z");
        if let Ok(far) = far {
            assert!(Timestamp::new(far.with_timezone(&Utc)).is_err());
        }
    }
}
