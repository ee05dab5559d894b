//! PutScheduledAction's Schedule: `at(yyyy-mm-ddThh:mm:ss)`, `rate(value unit)` and
//! `cron(minutes hours day-of-month month day-of-week year)`, in UTC, to the minute (§4.4). The
//! simulation's time zero is the scenario's `start_time`; times here are simulated ms.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike};

use crate::engine::{SimDuration, SimTime};

#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    At(SimTime),
    Rate(SimDuration),
    Cron(Box<Cron>),
}

/// A cron expression as sets of allowed values (index = value).
#[derive(Clone, Debug, PartialEq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days_of_month: Vec<bool>,
    months: Vec<bool>,
    /// 1 = Sunday ... 7 = Saturday.
    days_of_week: Vec<bool>,
    /// Offsets from 1970 (None: every year).
    years: Option<Vec<bool>>,
    /// `?` in day-of-month (day-of-week rules) or in day-of-week.
    dom_any: bool,
    dow_any: bool,
}

const MINUTE_MS: i64 = 60_000;
const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Schedule {
    /// Parses a schedule; `epoch_ms` is the epoch time of simulated time zero. The error says what
    /// was expected.
    pub fn parse(text: &str, epoch_ms: i64) -> Result<Schedule, String> {
        let t = text.trim();
        let inner = |prefix: &str| t.strip_prefix(prefix).and_then(|r| r.strip_suffix(')'));
        if let Some(s) = inner("at(") {
            let at =
                parse_timestamp(s).ok_or_else(|| format!("expected at(yyyy-mm-ddThh:mm:ss) in UTC, found {text:?}"))?;
            return Ok(Schedule::At(sim_time(at, epoch_ms)?));
        }
        if let Some(s) = inner("rate(") {
            let mut parts = s.split_whitespace();
            let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!("expected rate(value unit), e.g. rate(5 minutes), found {text:?}"));
            };
            let n: u64 = n
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("expected a positive whole number of units in {text:?}"))?;
            let unit_ms = match unit {
                "minute" | "minutes" => 60_000,
                "hour" | "hours" => 3_600_000,
                "day" | "days" => 86_400_000,
                _ => return Err(format!("expected the unit minute(s), hour(s) or day(s) in {text:?}, found {unit:?}")),
            };
            return Ok(Schedule::Rate(SimDuration(n.saturating_mul(unit_ms))));
        }
        if let Some(s) = inner("cron(") {
            return Ok(Schedule::Cron(Box::new(Cron::parse(s).map_err(|e| format!("{e} in {text:?}"))?)));
        }
        Err(format!("expected at(...), rate(...) or cron(...), found {text:?}"))
    }

    /// The first time the schedule fires after `after` (strictly), within [start, end]; `start`
    /// also anchors a rate.
    pub fn next_after(
        &self,
        after: Option<SimTime>,
        start: SimTime,
        end: Option<SimTime>,
        epoch_ms: i64,
    ) -> Option<SimTime> {
        let next = match self {
            Schedule::At(t) => Some(*t).filter(|t| after.is_none_or(|a| *t > a) && *t >= start),
            Schedule::Rate(d) => {
                let from = after.map_or(start, |a| a.max(start));
                let k = (from.0 - start.0) / d.0 + 1;
                Some(SimTime(start.0.saturating_add(k.saturating_mul(d.0))))
            }
            Schedule::Cron(c) => {
                let lower = after.map_or(start.0, |a| (a.0 + 1).max(start.0)) as i64 + epoch_ms;
                c.first_at_or_after(lower).and_then(|ms| sim_time(ms, epoch_ms).ok())
            }
        };
        next.filter(|t| end.is_none_or(|e| *t <= e))
    }
}

/// `yyyy-mm-ddThh:mm:ss` (UTC) as epoch ms.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok().map(|t| t.and_utc().timestamp_millis())
}

/// Epoch ms as simulated time; an error before time zero.
pub fn sim_time(epoch: i64, epoch_ms: i64) -> Result<SimTime, String> {
    u64::try_from(epoch - epoch_ms)
        .map(SimTime)
        .map_err(|_| "expected a time at or after the scenario's start_time".to_string())
}

impl Cron {
    pub fn parse(s: &str) -> Result<Cron, String> {
        let f: Vec<&str> = s.split_whitespace().collect();
        if f.len() != 6 {
            return Err(format!(
                "expected 6 fields (minutes hours day-of-month month day-of-week year), found {}",
                f.len()
            ));
        }
        let (dom_any, dow_any) = (f[2] == "?", f[4] == "?");
        if dom_any == dow_any {
            return Err("expected `?` in exactly one of day-of-month and day-of-week".into());
        }
        Ok(Cron {
            minutes: field(f[0], 0, 59, &[], 0, "minutes")?,
            hours: field(f[1], 0, 23, &[], 0, "hours")?,
            days_of_month: if dom_any { vec![true; 32] } else { field(f[2], 1, 31, &[], 0, "day-of-month")? },
            months: field(f[3], 1, 12, &MONTHS, 1, "month")?,
            days_of_week: if dow_any { vec![true; 8] } else { field(f[4], 1, 7, &DAYS, 1, "day-of-week")? },
            years: if f[5] == "*" { None } else { Some(field(f[5], 1970, 2199, &[], 0, "year")?.split_off(1970)) },
            dom_any,
            dow_any,
        })
    }

    /// The first matching minute at or after epoch ms `t`; None past a search of ten years.
    fn first_at_or_after(&self, t: i64) -> Option<i64> {
        let first = (t + MINUTE_MS - 1).div_euclid(MINUTE_MS) * MINUTE_MS;
        let t0 = DateTime::from_timestamp_millis(first)?.naive_utc();
        let mut day = t0.date();
        for i in 0..3660 {
            let year_ok = self
                .years
                .as_ref()
                .is_none_or(|y| y.get((day.year() - 1970).max(0) as usize).copied().unwrap_or(false));
            let dow = day.weekday().num_days_from_sunday() as usize + 1;
            let day_ok = year_ok
                && self.months[day.month() as usize]
                && (self.dom_any || self.days_of_month[day.day() as usize])
                && (self.dow_any || self.days_of_week[dow]);
            if day_ok {
                let from_minute = if i == 0 { t0.hour() * 60 + t0.minute() } else { 0 };
                for m in from_minute..24 * 60 {
                    if self.hours[(m / 60) as usize] && self.minutes[(m % 60) as usize] {
                        let t = day.and_hms_opt(m / 60, m % 60, 0)?;
                        return Some(t.and_utc().timestamp_millis());
                    }
                }
            }
            day = day.succ_opt()?;
        }
        None
    }
}

/// One cron field as the set of values it allows (`*`, lists, ranges, `/` increments, names).
fn field(s: &str, min: u32, max: u32, names: &[&str], name_base: u32, what: &str) -> Result<Vec<bool>, String> {
    let mut set = vec![false; max as usize + 1];
    let value = |v: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(v)) {
            return Ok(i as u32 + name_base);
        }
        v.parse::<u32>().ok().filter(|n| (min..=max).contains(n)).ok_or_else(|| {
            format!(
                "expected {what} values {min}-{max}{}, found {v:?}",
                if names.is_empty() { "" } else { " or names" }
            )
        })
    };
    for part in s.split(',') {
        if part.contains(['L', 'W', '#']) && names.iter().all(|n| !part.to_ascii_uppercase().contains(n)) {
            return Err(format!("the {what} field's L, W and # are not supported, found {part:?}"));
        }
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => (
                r,
                st.parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("expected a positive increment in {what}, found {part:?}"))?,
            ),
            None => (part, 1),
        };
        let (lo, hi) = match range {
            "*" => (min, max),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None => {
                    let v = value(r)?;
                    (v, if part.contains('/') { max } else { v })
                }
            },
        };
        if lo > hi {
            return Err(format!("expected a rising range in {what}, found {part:?}"));
        }
        for v in (lo..=hi).step_by(step as usize) {
            set[v as usize] = true;
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-01-01 is a Thursday.
    const EPOCH: i64 = 1_767_225_600_000;

    fn minutes(t: SimTime) -> u64 {
        t.0 / 60_000
    }

    #[test]
    fn at_rate_and_cron() {
        let at = Schedule::parse("at(2026-01-01T09:30:00)", EPOCH).unwrap();
        assert_eq!(at.next_after(None, SimTime::ZERO, None, EPOCH).map(minutes), Some(9 * 60 + 30));
        assert_eq!(at.next_after(Some(SimTime((9 * 3600 + 1800) * 1000)), SimTime::ZERO, None, EPOCH), None);
        let rate = Schedule::parse("rate(15 minutes)", EPOCH).unwrap();
        assert_eq!(rate.next_after(None, SimTime::ZERO, None, EPOCH).map(minutes), Some(15));
        assert_eq!(rate.next_after(Some(SimTime((15 * 60) * 1000)), SimTime::ZERO, None, EPOCH).map(minutes), Some(30));
        // Weekdays at 08:00: Thursday the 1st, Friday the 2nd, then Monday the 5th.
        let cron = Schedule::parse("cron(0 8 ? * MON-FRI *)", EPOCH).unwrap();
        let mut t = None;
        let mut got = Vec::new();
        for _ in 0..3 {
            t = cron.next_after(t, SimTime::ZERO, None, EPOCH);
            got.push(minutes(t.unwrap()) / 60);
        }
        assert_eq!(got, [8, 24 + 8, 4 * 24 + 8]);
        let every = Schedule::parse("cron(*/20 * * * ? *)", EPOCH).unwrap();
        assert_eq!(every.next_after(Some(SimTime((60) * 1000)), SimTime::ZERO, None, EPOCH).map(minutes), Some(20));
    }

    #[test]
    fn bad_schedules_say_what_was_expected() {
        for (text, want) in [
            ("cron(0 8 * * * *)", "exactly one"),
            ("cron(0 25 ? * * *)", "hours values 0-23"),
            ("cron(0 8 L * ? *)", "not supported"),
            ("rate(5 fortnights)", "unit"),
            ("at(yesterday)", "yyyy-mm-dd"),
            ("every day", "at(...), rate(...) or cron(...)"),
            ("at(2025-01-01T00:00:00)", "start_time"),
        ] {
            let e = Schedule::parse(text, EPOCH).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
