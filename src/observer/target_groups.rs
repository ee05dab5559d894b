//! Per-target-group bookkeeping: targets in each state over time (target_groups.csv), and
//! fail-open (every registered target unhealthy, so the load balancer routes to all of them,
//! LOAD-BALANCING §1.6), recorded as events and as time.

use crate::elb::target_group::TargetState;
use crate::engine::SimTime;

use super::LogEntry;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TargetGroupResult {
    pub name: String,
    /// Over the measured time (or the whole run).
    pub min_healthy_targets: Option<u32>,
    pub fail_open_ms: u64,
}

/// A target group's targets by state from `time` until its next row (target_groups.csv).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TargetCounts {
    pub initial: u32,
    pub healthy: u32,
    pub unhealthy: u32,
    pub draining: u32,
    /// Every routable target unhealthy: the load balancer routes to all of them.
    pub fail_open: bool,
}

pub(super) struct TargetGroupObs {
    pub name: String,
    counts: TargetCounts,
    /// What was last recorded (a row is written when the counts change).
    pub last: Option<TargetCounts>,
    since: SimTime,
    all: TargetGroupResult,
    measured: TargetGroupResult,
}

fn slot(counts: &mut TargetCounts, state: TargetState) -> Option<&mut u32> {
    match state {
        TargetState::Initial => Some(&mut counts.initial),
        TargetState::Healthy => Some(&mut counts.healthy),
        TargetState::Unhealthy => Some(&mut counts.unhealthy),
        TargetState::Draining => Some(&mut counts.draining),
        TargetState::Unused => None,
    }
}

impl TargetGroupObs {
    pub fn new(name: &str) -> TargetGroupObs {
        TargetGroupObs {
            name: name.to_string(),
            counts: TargetCounts::default(),
            last: None,
            since: SimTime::ZERO,
            all: TargetGroupResult { name: name.to_string(), ..Default::default() },
            measured: TargetGroupResult { name: name.to_string(), ..Default::default() },
        }
    }

    pub fn moved(&mut self, before: Option<TargetState>, after: TargetState) {
        if let Some(c) = before.and_then(|b| slot(&mut self.counts, b)) {
            *c -= 1;
        }
        if let Some(c) = slot(&mut self.counts, after) {
            *c += 1;
        }
    }

    /// Closes the interval since the last flush; returns the counts if they changed since last
    /// recorded, and the log line of a fail-open change.
    pub fn flush(&mut self, now: SimTime, measure_start: Option<SimTime>) -> (Option<TargetCounts>, Option<LogEntry>) {
        self.advance(now, measure_start);
        // Targets in `initial` receive no traffic and do not end fail-open (§1.6's
        // routable_targets leaves them out); only a healthy target, or no unhealthy one left, does.
        let (healthy, unhealthy) = (self.counts.healthy, self.counts.unhealthy);
        let fail_open = unhealthy > 0 && healthy == 0;
        let mut line = None;
        if fail_open != self.counts.fail_open {
            self.counts.fail_open = fail_open;
            let message = if fail_open {
                format!(
                    "(target-group {}) has no healthy target: failing open, routing to all {unhealthy} unhealthy targets.",
                    self.name
                )
            } else if healthy > 0 {
                format!("(target-group {}) has a healthy target again: fail-open ended.", self.name)
            } else {
                format!(
                    "(target-group {}) has no unhealthy target left: fail-open ended with no target to route to.",
                    self.name
                )
            };
            let kind = if fail_open { "TARGET_GROUP_FAIL_OPEN" } else { "TARGET_GROUP_FAIL_OPEN_ENDED" };
            line = Some(LogEntry { kind, message, ..LogEntry::default() });
        }
        if self.last == Some(self.counts) {
            return (None, line);
        }
        self.last = Some(self.counts);
        (Some(self.counts), line)
    }

    pub fn advance(&mut self, now: SimTime, measure_start: Option<SimTime>) {
        let add = |r: &mut TargetGroupResult, dt: u64, healthy: u32, fail_open: bool| {
            if dt == 0 {
                return;
            }
            r.min_healthy_targets = Some(r.min_healthy_targets.map_or(healthy, |m| m.min(healthy)));
            if fail_open {
                r.fail_open_ms += dt;
            }
        };
        let healthy = self.counts.healthy;
        add(&mut self.all, now.since(self.since).0, healthy, self.counts.fail_open);
        if let Some(ms) = measure_start
            && now > ms
        {
            add(&mut self.measured, now.since(self.since.max(ms)).0, healthy, self.counts.fail_open);
        }
        self.since = now;
    }

    pub fn result(&self, measured: bool) -> TargetGroupResult {
        if measured { self.measured.clone() } else { self.all.clone() }
    }
}
