//! Simulated time: integer milliseconds, so that runs are exact and identical on every machine.
//! Floats appear only when reports format seconds.

use std::fmt;

/// An instant of simulated time, in milliseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub fn ms(self) -> u64 {
        self.0
    }

    /// Seconds as a float, for reports only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// Saturating: adding to the end of time stays at the end of time.
    pub fn after(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);

    pub const fn from_secs(s: u64) -> SimDuration {
        SimDuration(s * 1000)
    }

    pub const fn from_mins(m: u64) -> SimDuration {
        SimDuration(m * 60_000)
    }

    pub const fn from_days(d: u64) -> SimDuration {
        SimDuration(d * 86_400_000)
    }

    pub fn ms(self) -> u64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl fmt::Display for SimDuration {
    /// The shortest exact form in the scenario syntax: `90s`, `5m`, `1500ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] {
            if ms != 0 && ms.is_multiple_of(size) {
                return write!(f, "{}{unit}", ms / size);
            }
        }
        write!(f, "{ms}ms")
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", SimDuration(self.0))
    }
}

/// Why a duration string was rejected; the text completes "expected a duration like \"30s\", ...".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError(pub String);

/// Parses the scenario duration syntax: one or more `<integer><unit>` parts, units `ms`, `s`, `m`,
/// `h`, `d` (`1h30m`, `250ms`, `7d`). Months and years are rejected on purpose: their length is
/// ambiguous and no ECS behaviour needs them.
pub fn parse_duration(text: &str) -> Result<SimDuration, DurationError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(DurationError("an empty string".into()));
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(DurationError(format!("{text:?} (a number must come before each unit)")));
        }
        let (num, tail) = rest.split_at(digits);
        let tail = tail.trim_start();
        let unit_len = tail.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = tail.split_at(unit_len);
        let size: u64 = match unit {
            "ms" => 1,
            "s" | "sec" | "secs" | "second" | "seconds" => 1000,
            "m" | "min" | "mins" | "minute" | "minutes" => 60_000,
            "h" | "hr" | "hour" | "hours" => 3_600_000,
            "d" | "day" | "days" => 86_400_000,
            "" => return Err(DurationError(format!("{text:?} (a unit is missing: ms, s, m, h or d)"))),
            u if u.starts_with("mo") || u.starts_with('y') || u.starts_with('w') => {
                return Err(DurationError(format!(
                    "{text:?} (unit {u:?} is not accepted: months, weeks and years are ambiguous; use days)"
                )));
            }
            u => return Err(DurationError(format!("{text:?} (unknown unit {u:?}; use ms, s, m, h or d)"))),
        };
        let n: u64 = num.parse().map_err(|_| DurationError(format!("{text:?} (number too large)")))?;
        total = n
            .checked_mul(size)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| DurationError(format!("{text:?} (too long)")))?;
        rest = after.trim_start();
    }
    Ok(SimDuration(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_compounds() {
        assert_eq!(parse_duration("30s"), Ok(SimDuration(30_000)));
        assert_eq!(parse_duration("5m"), Ok(SimDuration(300_000)));
        assert_eq!(parse_duration("1h30m"), Ok(SimDuration(5_400_000)));
        assert_eq!(parse_duration("250ms"), Ok(SimDuration(250)));
        assert_eq!(parse_duration("7d"), Ok(SimDuration(604_800_000)));
        assert_eq!(parse_duration("0s"), Ok(SimDuration(0)));
    }

    #[test]
    fn rejects_months_years_and_garbage() {
        for bad in ["5 months", "1y", "2w", "", "5", "m5", "3 parsecs", "99999999999999999999s"] {
            assert!(parse_duration(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn displays_in_scenario_syntax() {
        assert_eq!(SimDuration(90_000).to_string(), "90s");
        assert_eq!(SimDuration(300_000).to_string(), "5m");
        assert_eq!(SimDuration(1500).to_string(), "1500ms");
        assert_eq!(SimDuration(0).to_string(), "0ms");
    }
}
