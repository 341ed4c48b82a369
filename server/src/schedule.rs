//! When scan definitions run: a 5-field cron expression (minute hour day-of-month month
//! day-of-week) read in an IANA time zone, with Vixie cron's rules as croner implements them: a
//! day of month and a day of week both restricted match either; a local time skipped by a
//! daylight-saving change fires right after the change; a local time that occurs twice fires
//! once.

use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};

use crate::timestamp::EpochMillis;

/// A parsed schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    zone: Tz,
}

impl Schedule {
    /// `cron` in `timezone` (UTC when `None`); the error names the field and says why.
    pub fn parse(cron: &str, timezone: Option<&str>) -> Result<Self, String> {
        let fields = cron.split_whitespace().count();
        if fields != 5 && !cron.trim_start().starts_with('@') {
            return Err(format!(
                "schedule.cron: '{cron}' has {fields} fields; a schedule has 5 (minute hour \
                 day-of-month month day-of-week), e.g. '0 6 * * *' for 06:00 every day"
            ));
        }
        let parsed = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .build()
            .parse(cron)
            .map_err(|e| format!("schedule.cron: '{cron}' is not a cron expression: {e}"))?;
        let zone = match timezone.map(str::trim).filter(|z| !z.is_empty()) {
            None => Tz::UTC,
            Some(name) => Tz::from_str(name).map_err(|_| {
                format!(
                    "schedule.timezone: '{name}' is not an IANA time zone (such as \
                     'Europe/Amsterdam' or 'UTC')"
                )
            })?,
        };
        let schedule = Self { cron: parsed, zone };
        // A pattern that never matches (30 February) is refused too.
        if schedule.next_after(crate::timestamp::now()).is_none() {
            return Err(format!("schedule.cron: '{cron}' never fires"));
        }
        Ok(schedule)
    }

    /// The first fire time strictly after `after`.
    pub fn next_after(&self, after: EpochMillis) -> Option<EpochMillis> {
        let start = self.zone.from_utc_datetime(&to_utc(after)?.naive_utc());
        let next = self.cron.find_next_occurrence(&start, false).ok()?;
        Some(next.with_timezone(&Utc).timestamp_millis())
    }

    /// The next `n` fire times after `after`.
    pub fn next_n(&self, after: EpochMillis, n: usize) -> Vec<EpochMillis> {
        let mut times = Vec::with_capacity(n);
        let mut at = after;
        while times.len() < n {
            match self.next_after(at) {
                Some(next) => {
                    times.push(next);
                    at = next;
                }
                None => break,
            }
        }
        times
    }

    /// The latest fire time in `(after, now]`: after downtime, the one run to catch up with
    /// (one, however many fire times were missed).
    pub fn latest_due(&self, after: EpochMillis, now: EpochMillis) -> Option<EpochMillis> {
        let end = self.zone.from_utc_datetime(&to_utc(now)?.naive_utc());
        let latest = self.cron.find_previous_occurrence(&end, true).ok()?;
        let latest = latest.with_timezone(&Utc).timestamp_millis();
        (latest > after).then_some(latest)
    }
}

/// Whole seconds (down): fire times fall on whole minutes, and croner keeps a start's fraction.
fn to_utc(millis: EpochMillis) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(millis.div_euclid(1000) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::parse;

    fn at(text: &str) -> EpochMillis {
        parse(text).unwrap()
    }

    fn formatted(times: &[EpochMillis]) -> Vec<String> {
        times.iter().map(|t| crate::timestamp::format(*t)).collect()
    }

    #[test]
    fn fire_times_follow_the_zone_and_its_daylight_saving() {
        let daily = Schedule::parse("30 2 * * *", Some("Europe/Amsterdam")).unwrap();
        // 29 March 2026: 02:00 → 03:00 in Amsterdam; 02:30 does not exist that day and fires
        // right after the change. 25 October: 02:30 happens twice and fires once.
        assert_eq!(
            formatted(&daily.next_n(at("2026-03-27T12:00:00Z"), 3)),
            [
                "2026-03-28T01:30:00Z",
                "2026-03-29T01:00:00Z",
                "2026-03-30T00:30:00Z"
            ]
        );
        assert_eq!(
            formatted(&daily.next_n(at("2026-10-24T12:00:00Z"), 2)),
            ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]
        );
    }

    #[test]
    fn day_of_month_and_day_of_week_both_restricted_match_either() {
        // The 1st, and every Monday (Vixie cron): 1 June 2026 is a Monday, 8 June the next.
        let s = Schedule::parse("0 9 1 * 1", None).unwrap();
        assert_eq!(
            formatted(&s.next_n(at("2026-05-30T00:00:00Z"), 3)),
            [
                "2026-06-01T09:00:00Z",
                "2026-06-08T09:00:00Z",
                "2026-06-15T09:00:00Z"
            ]
        );
    }

    #[test]
    fn one_catch_up_run_after_downtime() {
        let hourly = Schedule::parse("0 * * * *", None).unwrap();
        // Down from 10:00 to 13:20: 11:00, 12:00 and 13:00 were missed; one run, for 13:00.
        assert_eq!(
            hourly.latest_due(at("2026-12-06T10:00:00Z"), at("2026-12-06T13:20:00Z")),
            Some(at("2026-12-06T13:00:00Z"))
        );
        assert_eq!(
            hourly.latest_due(at("2026-12-06T13:00:00Z"), at("2026-12-06T13:20:00Z")),
            None
        );
    }

    #[test]
    fn bad_schedules_are_named() {
        for (cron, zone, says) in [
            ("0 6 * *", None, "has 4 fields"),
            ("0 0 6 * * *", None, "has 6 fields"),
            ("61 6 * * *", None, "is not a cron expression"),
            ("0 6 * * *", Some("Mars/Olympus"), "schedule.timezone"),
            ("0 0 30 2 *", None, "never fires"),
        ] {
            let error = Schedule::parse(cron, zone).unwrap_err();
            assert!(error.contains(says), "{cron}: {error}");
        }
    }
}
