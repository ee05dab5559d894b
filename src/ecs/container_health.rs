//! Container health checks (SCHEDULING.md §1.7, Docker semantics) computed, not polled: given the
//! check parameters and the window during which the app answers, the times at which a container's
//! health changes are derived in closed form. A check that changes nothing costs no event.
//!
//! Checks run every `interval` from the container's start (the first one `interval` after it);
//! a failing check fails at once (the command exits non-zero); `retries` consecutive counted
//! failures make the container UNHEALTHY; failures strictly before `start + startPeriod` do not
//! count (\[INFER\] on the boundary); any pass makes it HEALTHY.

use crate::engine::checks::{PassWindow, first_check_at_or_after};
use crate::engine::{SimDuration, SimTime};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthCheck {
    pub interval: SimDuration,
    pub timeout: SimDuration,
    pub retries: u32,
    pub start_period: SimDuration,
}

impl Default for HealthCheck {
    /// ECS's defaults: interval 30 s, timeout 5 s, retries 3, no start period.
    fn default() -> Self {
        HealthCheck {
            interval: SimDuration::from_secs(30),
            timeout: SimDuration::from_secs(5),
            retries: 3,
            start_period: SimDuration::ZERO,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Health {
    Healthy,
    Unknown,
    Unhealthy,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "HEALTHY",
            Health::Unknown => "UNKNOWN",
            Health::Unhealthy => "UNHEALTHY",
        }
    }
}

/// The health changes of one container started at `start`, in time order (at most three).
pub fn transitions(hc: &HealthCheck, start: SimTime, window: PassWindow) -> Vec<(SimTime, Health)> {
    let i = hc.interval.max(SimDuration(1));
    let check = |k: u64| SimTime(start.0 + k * i.0);
    let grace_end = start.after(hc.start_period);
    let mut out = Vec::new();
    // Checks k >= 1. The app passes from check k_pass until check k_stop (exclusive).
    let k_pass = first_check_at_or_after(start, i, 1, window.from);
    let k_stop = window.until.map(|u| first_check_at_or_after(start, i, 1, u));
    let passes_ever = k_stop.is_none_or(|s| s > k_pass) && window.passes(check(k_pass));
    // Before the first pass: failures count from the first check at or after the grace end.
    let k_counted = first_check_at_or_after(start, i, 1, grace_end);
    let retries = u64::from(hc.retries.max(1));
    let k_unhealthy = k_counted + retries - 1;
    if !passes_ever || k_unhealthy < k_pass {
        out.push((check(k_unhealthy), Health::Unhealthy));
        if !passes_ever {
            return out;
        }
    }
    out.push((check(k_pass), Health::Healthy));
    if let Some(stop) = k_stop {
        // After a pass the grace is over: `retries` failures from the first failing check.
        out.push((check(stop + retries - 1), Health::Unhealthy));
    }
    out
}

/// A task's health from its essential containers' (SCHEDULING.md §1.8): any UNHEALTHY makes it
/// UNHEALTHY, else any UNKNOWN makes it UNKNOWN, else HEALTHY.
pub fn task_health(essential: impl IntoIterator<Item = Health>) -> Health {
    essential.into_iter().max().unwrap_or(Health::Unknown)
}

/// The task-level health changes given each essential container's transitions.
pub fn task_transitions(containers: &[Vec<(SimTime, Health)>]) -> Vec<(SimTime, Health)> {
    let mut times: Vec<SimTime> = containers.iter().flatten().map(|(t, _)| *t).collect();
    times.sort_unstable();
    times.dedup();
    let mut out: Vec<(SimTime, Health)> = Vec::new();
    let mut last = Health::Unknown;
    for t in times {
        let h = task_health(
            containers
                .iter()
                .map(|c| c.iter().take_while(|(ct, _)| *ct <= t).last().map_or(Health::Unknown, |(_, h)| *h)),
        );
        if h != last {
            out.push((t, h));
            last = h;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Health::*;

    fn s(x: u64) -> SimTime {
        SimTime(x * 1000)
    }

    fn hc(interval: u64, retries: u32, start_period: u64) -> HealthCheck {
        HealthCheck {
            interval: SimDuration::from_secs(interval),
            timeout: SimDuration::from_secs(5),
            retries,
            start_period: SimDuration::from_secs(start_period),
        }
    }

    /// E-L5: interval 30, retries 3, a check that fails at once: checks at +30, +60, +90 →
    /// UNHEALTHY at +90. With startPeriod 60 the +30 failure is ignored and +60 (the boundary)
    /// counts: UNHEALTHY at +120.
    #[test]
    fn e_l5_health_timing() {
        let never = PassWindow { from: s(0), until: Some(s(0)) };
        assert_eq!(transitions(&hc(30, 3, 0), s(0), never), [(s(90), Unhealthy)]);
        assert_eq!(transitions(&hc(30, 3, 60), s(0), never), [(s(120), Unhealthy)]);
    }

    /// E-R7 (with a health check): an app that passes at once is HEALTHY at the first check,
    /// RUNNING + 30 s.
    #[test]
    fn first_check_passes() {
        let always = PassWindow { from: s(10), until: None };
        assert_eq!(transitions(&hc(30, 3, 0), s(10), always), [(s(40), Healthy)]);
    }

    /// A slow app: checks fail until it is ready; enough failures before that make it UNHEALTHY
    /// first, and the first passing check brings it back.
    #[test]
    fn slow_start_with_and_without_a_start_period() {
        let ready_100 = PassWindow { from: s(100), until: None };
        assert_eq!(transitions(&hc(30, 3, 0), s(0), ready_100), [(s(90), Unhealthy), (s(120), Healthy)]);
        assert_eq!(transitions(&hc(30, 3, 60), s(0), ready_100), [(s(120), Healthy)]);
    }

    /// Healthy, then broken at 200 s: failures at 210, 240, 270 → UNHEALTHY at 270.
    #[test]
    fn breaks_after_running_a_while() {
        let w = PassWindow { from: s(0), until: Some(s(200)) };
        assert_eq!(transitions(&hc(30, 3, 0), s(0), w), [(s(30), Healthy), (s(270), Unhealthy)]);
    }

    /// E-L6: the documented aggregation cases.
    #[test]
    fn e_l6_task_health_aggregation() {
        let cases: &[(&[Health], Health)] = &[
            (&[Unhealthy, Unknown], Unhealthy),
            (&[Unhealthy, Healthy], Unhealthy),
            (&[Healthy, Unknown], Unknown),
            (&[Healthy, Healthy], Healthy),
            (&[Unhealthy, Unknown, Unknown], Unhealthy),
            (&[Unhealthy, Unknown, Healthy], Unhealthy),
            (&[Unhealthy, Healthy, Healthy], Unhealthy),
            (&[Healthy, Unknown, Healthy], Unknown),
            (&[Healthy, Unknown, Unknown], Unknown),
            (&[Healthy, Healthy, Healthy], Healthy),
        ];
        for (containers, want) in cases {
            assert_eq!(task_health(containers.iter().copied()), *want, "{containers:?}");
        }
    }

    #[test]
    fn task_transitions_follow_the_slowest_container() {
        let a = vec![(s(30), Healthy)];
        let b = vec![(s(60), Healthy)];
        assert_eq!(task_transitions(&[a.clone(), b]), [(s(60), Healthy)]);
        let c = vec![(s(30), Healthy), (s(300), Unhealthy)];
        assert_eq!(task_transitions(&[a, c]), [(s(30), Healthy), (s(300), Unhealthy)]);
    }
}
