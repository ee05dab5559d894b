//! Target groups and target health (LOAD-BALANCING-AND-CAPACITY.md §1), computed in closed form
//! from the check parameters and the window during which the app answers: only state changes
//! become events.
//!
//! Checks run every `interval` from the first one; each result holds until the next. A passing
//! check is known at once; a failing one (no answer) when its `timeout` expires. A new target is
//! healthy after one pass (the threshold applies only to recovery); `unhealthy_threshold`
//! consecutive failures make it unhealthy, from `initial` too (\[INFER\], a setting);
//! `healthy_threshold` passes bring an unhealthy target back.

use crate::engine::checks::{PassWindow, first_check_at_or_after};
use crate::engine::{SimDuration, SimTime};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadBalancerType {
    Application,
    Network,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TargetGroupSpec {
    pub name: String,
    pub lb_type: LoadBalancerType,
    pub interval: SimDuration,
    pub timeout: SimDuration,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
    /// `deregistration_delay.timeout_seconds` (default 300 s).
    pub deregistration_delay: SimDuration,
    /// From RegisterTargets until health checking starts (\[INFER\] ALB 5 s, NLB 60 s).
    pub registration_delay: SimDuration,
    /// How its load balancer routes to it (cross-zone, failover thresholds).
    pub routing: crate::elb::routing::Routing,
    /// ALB slow start (`slow_start.duration_seconds`; zero: off).
    pub slow_start: SimDuration,
}

impl TargetGroupSpec {
    /// When a target whose checks began at `first_check` is found unhealthy if its app stops
    /// answering at `silent_from`: `unhealthy_threshold` failed checks, the first at or after
    /// that moment, the last known when its timeout expires (LOAD-BALANCING §7 example 3: 35-65 s
    /// with the defaults).
    pub fn unhealthy_once_silent(&self, first_check: SimTime, silent_from: SimTime) -> SimTime {
        let interval = self.interval.max(SimDuration(1));
        let k = first_check_at_or_after(first_check, interval, 0, silent_from);
        let threshold = u64::from(self.unhealthy_threshold.max(1));
        SimTime(first_check.0 + (k + threshold - 1) * interval.0).after(self.timeout)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetState {
    Initial,
    Healthy,
    Unhealthy,
    Draining,
    Unused,
}

impl TargetState {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetState::Initial => "initial",
            TargetState::Healthy => "healthy",
            TargetState::Unhealthy => "unhealthy",
            TargetState::Draining => "draining",
            TargetState::Unused => "unused",
        }
    }
}

/// The health changes of a target whose checks start at `first_check` (registration + delay +
/// phase), in time order (at most three).
pub fn transitions(
    tg: &TargetGroupSpec,
    first_check: SimTime,
    window: PassWindow,
    initial_failures_count: bool,
) -> Vec<(SimTime, TargetState)> {
    let i = tg.interval.max(SimDuration(1));
    let check = |k: u64| SimTime(first_check.0 + k * i.0);
    let failed_at = |k: u64| check(k).after(tg.timeout);
    let ut = u64::from(tg.unhealthy_threshold.max(1));
    let ht = u64::from(tg.healthy_threshold.max(1));
    let k_pass = first_check_at_or_after(first_check, i, 0, window.from);
    let k_stop = window.until.map(|u| first_check_at_or_after(first_check, i, 0, u));
    let passes = k_stop.map_or(u64::MAX, |s| s.saturating_sub(k_pass));
    let mut out = Vec::new();
    let failed_first = initial_failures_count && (passes == 0 || k_pass >= ut);
    if failed_first {
        out.push((failed_at(ut - 1), TargetState::Unhealthy));
        if passes < ht {
            return out;
        }
        out.push((check(k_pass + ht - 1), TargetState::Healthy));
    } else if passes == 0 {
        return out;
    } else {
        out.push((check(k_pass), TargetState::Healthy));
    }
    if let Some(stop) = k_stop {
        out.push((failed_at(stop + ut - 1), TargetState::Unhealthy));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use TargetState::*;

    fn s(x: u64) -> SimTime {
        SimTime(x * 1000)
    }

    fn alb(interval: u64, timeout: u64, ht: u32, ut: u32) -> TargetGroupSpec {
        TargetGroupSpec {
            name: "tg".into(),
            lb_type: LoadBalancerType::Application,
            interval: SimDuration::from_secs(interval),
            timeout: SimDuration::from_secs(timeout),
            healthy_threshold: ht,
            unhealthy_threshold: ut,
            deregistration_delay: SimDuration::from_secs(300),
            registration_delay: SimDuration::ZERO,
            routing: crate::elb::routing::Routing::of(LoadBalancerType::Application),
            slow_start: SimDuration::ZERO,
        }
    }

    /// LB §7 example 1: a new target with an app ready at registration is healthy after the
    /// first check, whatever the healthy threshold.
    #[test]
    fn lb_example_1_new_target_needs_one_pass() {
        let w = PassWindow { from: s(0), until: None };
        assert_eq!(transitions(&alb(30, 5, 5, 2), s(7), w, true), [(s(7), Healthy)]);
    }

    /// LB §7 example 2: app needs 50 s, interval 30: checks at 0 and 30 fail → unhealthy at 35;
    /// the pass at 60 starts recovery, healthy after 5 passes at 180. Without counting initial
    /// failures: healthy at 60.
    #[test]
    fn lb_example_2_slow_app() {
        let w = PassWindow { from: s(50), until: None };
        assert_eq!(transitions(&alb(30, 5, 5, 2), s(0), w, true), [(s(35), Unhealthy), (s(180), Healthy)]);
        assert_eq!(transitions(&alb(30, 5, 5, 2), s(0), w, false), [(s(60), Healthy)]);
    }

    /// LB §7 example 3: a healthy target breaks at t=100 (checks at 0, 30, ...): the failing
    /// checks at 120 and 150 are judged at +5 s → unhealthy at 155, i.e. 35..65 s after the break.
    #[test]
    fn lb_example_3_break() {
        let w = PassWindow { from: s(0), until: Some(s(100)) };
        assert_eq!(transitions(&alb(30, 5, 5, 2), s(0), w, true), [(s(0), Healthy), (s(155), Unhealthy)]);
        // A host lost at 100 s: the same moment, from the closed form a lost host's targets use.
        assert_eq!(alb(30, 5, 5, 2).unhealthy_once_silent(s(0), s(100)), s(155));
        // The bounds the example gives: 35 s after a break just before a check, 65 s just after.
        assert_eq!(alb(30, 5, 5, 2).unhealthy_once_silent(s(0), s(120)), s(155));
        assert_eq!(alb(30, 5, 5, 2).unhealthy_once_silent(s(0), SimTime(90_001)), s(155));
    }

    /// LB §7 example 5: fast settings I=5, HT=2, UT=2, T=4: healthy at the first check; broken
    /// within 9-14 s.
    #[test]
    fn lb_example_5_fast_settings() {
        let w = PassWindow { from: s(0), until: Some(s(20)) };
        assert_eq!(transitions(&alb(5, 4, 2, 2), s(0), w, true), [(s(0), Healthy), (s(29), Unhealthy)]);
    }

    /// LB §7 example 4: an unhealthy target fixed at t=100 (checks every 30 s from 0) passes from
    /// 120 and needs 5 passes: healthy at 240, 140 s after the fix (120-150 s documented).
    #[test]
    fn lb_example_4_recovery_needs_the_healthy_threshold() {
        let w = PassWindow { from: s(100), until: None };
        assert_eq!(transitions(&alb(30, 5, 5, 2), s(0), w, true), [(s(35), Unhealthy), (s(240), Healthy)]);
    }

    /// A target that never passes (a failing load-balancer health check) goes unhealthy after
    /// `unhealthy_threshold` checks.
    #[test]
    fn never_passing_target() {
        let w = PassWindow { from: s(0), until: Some(s(0)) };
        assert_eq!(transitions(&alb(30, 5, 5, 2), s(10), w, true), [(s(45), Unhealthy)]);
        assert_eq!(transitions(&alb(30, 5, 5, 2), s(10), w, false), []);
    }
}
