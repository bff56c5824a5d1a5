//! Working time in Asia/Shanghai: which days are worked (weekdays, less the public holidays,
//! plus the weekend days worked in exchange, 调休), the service hours of a working day, and
//! deadlines counted in them. The days come from a calendar file per year; a day of a year the
//! file lacks falls back to Monday–Friday and the deadline says it is estimated.
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use serde::Deserialize;

use crate::clock::shanghai;

const FIXTURE: &str = include_str!("../../fixtures/holidays.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    #[allow(dead_code)]
    source: String,
    years: BTreeMap<i32, YearFixture>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFixture {
    holidays: Vec<Holiday>,
    workdays: Vec<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Holiday {
    #[allow(dead_code)]
    name: String,
    from: NaiveDate,
    to: NaiveDate,
}

/// A moment by which something is due, and whether a year missing from the calendar made it
/// an estimate (Monday–Friday counted as working days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub at: DateTime<Utc>,
    pub estimated: bool,
}

/// The working calendar and the service hours of a working day.
#[derive(Debug, Clone)]
pub struct Calendar {
    years: BTreeSet<i32>,
    off: BTreeSet<NaiveDate>,
    worked: BTreeSet<NaiveDate>,
    opens: NaiveTime,
    closes: NaiveTime,
}

impl Calendar {
    /// From the shipped file or `path`, with service hours `opens`–`closes`.
    pub fn load(
        path: Option<&std::path::Path>,
        opens: NaiveTime,
        closes: NaiveTime,
    ) -> Result<Self, String> {
        let text = match path {
            Some(p) => std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?,
            None => FIXTURE.to_owned(),
        };
        Self::build(&text, opens, closes)
    }

    pub fn build(text: &str, opens: NaiveTime, closes: NaiveTime) -> Result<Self, String> {
        if opens >= closes {
            return Err(format!(
                "calendar: service hours open at {opens} and close at {closes}"
            ));
        }
        let f: Fixture = serde_json::from_str(text).map_err(|e| format!("calendar: {e}"))?;
        let mut c = Calendar {
            years: BTreeSet::new(),
            off: BTreeSet::new(),
            worked: BTreeSet::new(),
            opens,
            closes,
        };
        for (year, y) in f.years {
            c.years.insert(year);
            for h in y.holidays {
                if h.from > h.to || h.from.year() != year || h.to.year() != year {
                    return Err(format!(
                        "calendar: {year}: {} to {} is not a span of {year}",
                        h.from, h.to
                    ));
                }
                c.off.extend(h.from.iter_days().take_while(|d| *d <= h.to));
            }
            for d in y.workdays {
                if d.year() != year || !is_weekend(d) || c.off.contains(&d) {
                    return Err(format!(
                        "calendar: {year}: {d} is not a weekend day of {year} outside the holidays"
                    ));
                }
                c.worked.insert(d);
            }
        }
        Ok(c)
    }

    /// The years of `now` and the next (deadlines late in a year run into it) the calendar
    /// lacks, each warned about: their deadlines count Monday–Friday and say they are estimates.
    pub fn warn_missing_years(&self, now: DateTime<Utc>) -> Vec<i32> {
        let year = now.with_timezone(&shanghai()).year();
        let missing: Vec<i32> = [year, year + 1]
            .into_iter()
            .filter(|y| !self.years.contains(y))
            .collect();
        for y in &missing {
            tracing::warn!(
                year = y,
                "the holiday calendar (complaints.calendar_file) lacks {y}: complaint deadlines \
                 in it count Monday to Friday and are marked as estimates until it is added"
            );
        }
        missing
    }

    /// Whether `day` is worked, and whether the calendar knew its year.
    pub fn is_working_day(&self, day: NaiveDate) -> (bool, bool) {
        let known = self.years.contains(&day.year());
        let worked = if self.worked.contains(&day) {
            true
        } else {
            !self.off.contains(&day) && !is_weekend(day)
        };
        (worked, known)
    }

    /// `minutes` of service time after `from`: counted only within the service hours of
    /// working days.
    pub fn add_service_minutes(&self, from: DateTime<Utc>, minutes: u32) -> Due {
        let tz = shanghai();
        let local = from.with_timezone(&tz).naive_local();
        let mut day = local.date();
        let mut time = local.time();
        let mut left = i64::from(minutes);
        let mut estimated = false;
        loop {
            let (worked, known) = self.is_working_day(day);
            estimated |= !known;
            if worked && time < self.closes {
                let start = time.max(self.opens);
                let room = (self.closes - start).num_minutes();
                if left <= room {
                    let at = day.and_time(start) + Duration::minutes(left);
                    return Due {
                        at: tz.from_local_datetime(&at).unwrap().with_timezone(&Utc),
                        estimated,
                    };
                }
                left -= room;
            }
            day = day.succ_opt().expect("a date before the end of time");
            time = NaiveTime::MIN;
        }
    }

    /// The close of service on the `days`-th working day after the day of `from` (that day
    /// itself does not count, however early).
    pub fn add_working_days(&self, from: DateTime<Utc>, days: u32) -> Due {
        let tz = shanghai();
        let mut day = from.with_timezone(&tz).date_naive();
        let mut left = days;
        let mut estimated = false;
        while left > 0 {
            day = day.succ_opt().expect("a date before the end of time");
            let (worked, known) = self.is_working_day(day);
            estimated |= !known;
            if worked {
                left -= 1;
            }
        }
        let at = tz.from_local_datetime(&day.and_time(self.closes)).unwrap();
        Due {
            at: at.with_timezone(&Utc),
            estimated,
        }
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Calendar {
        let t = |s| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        Calendar::load(None, t("09:00"), t("18:00")).unwrap()
    }

    /// A Shanghai local time as UTC.
    fn at(s: &str) -> DateTime<Utc> {
        let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        shanghai()
            .from_local_datetime(&naive)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn due(at: DateTime<Utc>) -> String {
        at.with_timezone(&shanghai())
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    #[test]
    fn weekends_holidays_and_worked_weekend_days() {
        let c = shipped();
        let day = |s: &str| c.is_working_day(s.parse().unwrap());
        assert_eq!(day("2026-12-04"), (true, true), "a Friday");
        assert_eq!(day("2026-12-05"), (false, true), "a Saturday");
        assert_eq!(day("2026-10-01"), (false, true), "National Day");
        assert_eq!(day("2026-10-07"), (false, true), "its last day");
        assert_eq!(day("2026-10-08"), (true, true), "the Thursday after");
        assert_eq!(
            day("2026-10-10"),
            (true, true),
            "a Saturday worked in exchange"
        );
        assert_eq!(
            day("2026-09-20"),
            (true, true),
            "a Sunday worked in exchange"
        );
        assert_eq!(
            day("2027-03-01"),
            (true, false),
            "a Monday of a year not in the file"
        );
        assert_eq!(day("2027-03-06"), (false, false));
    }

    #[test]
    fn service_hours_count_only_within_the_service_day_of_working_days() {
        let c = shipped();
        let two_hours = |s| {
            let d = c.add_service_minutes(at(s), 120);
            assert!(!d.estimated);
            due(d.at)
        };
        assert_eq!(two_hours("2026-12-02 10:00"), "2026-12-02 12:00");
        assert_eq!(
            two_hours("2026-12-02 16:00"),
            "2026-12-02 18:00",
            "to the minute"
        );
        assert_eq!(
            two_hours("2026-12-02 17:00"),
            "2026-12-03 10:00",
            "over the night"
        );
        assert_eq!(
            two_hours("2026-12-02 07:30"),
            "2026-12-02 11:00",
            "before opening"
        );
        assert_eq!(
            two_hours("2026-12-02 21:00"),
            "2026-12-03 11:00",
            "after closing"
        );
        assert_eq!(
            two_hours("2026-12-04 17:30"),
            "2026-12-07 10:30",
            "over the weekend"
        );
        assert_eq!(
            two_hours("2026-12-05 12:00"),
            "2026-12-07 11:00",
            "filed on a Saturday"
        );
        // Over National Day to the Thursday, and on a worked Saturday.
        assert_eq!(two_hours("2026-09-30 17:00"), "2026-10-08 10:00");
        assert_eq!(two_hours("2026-10-09 17:00"), "2026-10-10 10:00");
        // Into a year the file lacks: counted Monday–Friday, and marked as an estimate.
        let late = c.add_service_minutes(at("2026-12-31 17:30"), 120);
        assert_eq!(
            (due(late.at), late.estimated),
            ("2027-01-01 10:30".into(), true)
        );
    }

    #[test]
    fn working_days_end_at_the_close_of_service_and_skip_holidays() {
        let c = shipped();
        let three = |s| {
            let d = c.add_working_days(at(s), 3);
            (due(d.at), d.estimated)
        };
        assert_eq!(
            three("2026-12-01 10:00"),
            ("2026-12-04 18:00".into(), false)
        );
        assert_eq!(
            three("2026-12-03 23:00"),
            ("2026-12-08 18:00".into(), false),
            "a weekend"
        );
        assert_eq!(
            three("2026-12-05 10:00"),
            ("2026-12-09 18:00".into(), false),
            "filed on a Saturday"
        );
        // Before National Day: the 8th, the 9th, then Saturday the 10th (worked).
        assert_eq!(
            three("2026-09-30 09:00"),
            ("2026-10-10 18:00".into(), false)
        );
        // Spring Festival 2026 (15–23 February; 14 and 28 February worked).
        assert_eq!(
            three("2026-02-12 09:00"),
            ("2026-02-24 18:00".into(), false)
        );
        // Into a year the file lacks: Monday–Friday, marked as an estimate.
        assert_eq!(three("2026-12-30 10:00"), ("2027-01-04 18:00".into(), true));
    }

    #[test]
    fn the_years_missing_around_now_are_named() {
        let c = shipped();
        assert_eq!(
            c.warn_missing_years(at("2025-06-01 10:00")),
            Vec::<i32>::new()
        );
        assert_eq!(c.warn_missing_years(at("2026-12-06 10:00")), vec![2027]);
        assert_eq!(
            c.warn_missing_years(at("2028-01-01 10:00")),
            vec![2028, 2029]
        );
    }

    #[test]
    fn a_bad_calendar_is_refused() {
        let t = |s| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        let build = |text: &str| Calendar::build(text, t("09:00"), t("18:00"));
        assert!(
            build(r#"{"source":"","years":{"2026":{"holidays":[],"workdays":["2026-12-02"]}}}"#)
                .is_err(),
            "a Wednesday is no exchange day"
        );
        assert!(build(r#"{"source":"","years":{"2026":{"holidays":[{"name":"x","from":"2026-10-07","to":"2026-10-01"}],"workdays":[]}}}"#).is_err());
        assert!(build(r#"{"source":"","years":{"2026":{"holidays":[{"name":"x","from":"2027-01-01","to":"2027-01-01"}],"workdays":[]}}}"#).is_err());
        assert!(
            build(r#"{"source":"","years":{"2026":{"holidays":[{"name":"x","from":"2026-12-31","to":"2027-01-02"}],"workdays":[]}}}"#).is_err(),
            "a span that runs into the next year belongs to both: list it in each"
        );
        assert!(
            build(r#"{"source":"","years":{"2026":{"holidays":[{"name":"x","from":"2025-12-31","to":"2026-01-01"}],"workdays":[]}}}"#).is_err()
        );
        assert!(Calendar::build(r#"{"source":"","years":{}}"#, t("18:00"), t("09:00")).is_err());
        assert!(build(r#"{"source":"","years":{}}"#).is_ok());
    }
}
