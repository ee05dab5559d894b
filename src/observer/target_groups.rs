//! Per-target-group bookkeeping: targets in each state, healthy targets over time, and
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

pub(super) struct TargetGroupObs {
    pub name: String,
    /// Services whose tasks register here.
    pub services: Vec<usize>,
    initial: u32,
    pub healthy: u32,
    unhealthy: u32,
    fail_open: bool,
    since: SimTime,
    all: TargetGroupResult,
    measured: TargetGroupResult,
}

fn slot(state: TargetState) -> Option<usize> {
    match state {
        TargetState::Initial => Some(0),
        TargetState::Healthy => Some(1),
        TargetState::Unhealthy => Some(2),
        TargetState::Draining | TargetState::Unused => None,
    }
}

impl TargetGroupObs {
    pub fn new(name: &str, services: Vec<usize>) -> TargetGroupObs {
        TargetGroupObs {
            name: name.to_string(),
            services,
            initial: 0,
            healthy: 0,
            unhealthy: 0,
            fail_open: false,
            since: SimTime::ZERO,
            all: TargetGroupResult { name: name.to_string(), ..Default::default() },
            measured: TargetGroupResult { name: name.to_string(), ..Default::default() },
        }
    }

    pub fn moved(&mut self, before: Option<TargetState>, after: TargetState) {
        let counts = [&mut self.initial, &mut self.healthy, &mut self.unhealthy];
        if let Some(i) = before.and_then(slot) {
            *counts[i] -= 1;
        }
        if let Some(i) = slot(after) {
            *counts[i] += 1;
        }
    }

    /// Closes the interval since the last flush and notes a fail-open change.
    pub fn flush(&mut self, now: SimTime, measure_start: Option<SimTime>, log: &mut Vec<(SimTime, LogEntry)>) {
        self.advance(now, measure_start);
        // Targets in `initial` receive no traffic and do not end fail-open (§1.6's
        // routable_targets leaves them out); only a healthy target, or no unhealthy one left, does.
        let fail_open = self.unhealthy > 0 && self.healthy == 0;
        if fail_open != self.fail_open {
            self.fail_open = fail_open;
            let message = if fail_open {
                format!(
                    "(target-group {}) has no healthy target: failing open, routing to all {} unhealthy targets.",
                    self.name, self.unhealthy
                )
            } else if self.healthy > 0 {
                format!("(target-group {}) has a healthy target again: fail-open ended.", self.name)
            } else {
                format!(
                    "(target-group {}) has no unhealthy target left: fail-open ended with no target to route to.",
                    self.name
                )
            };
            let kind = if fail_open { "TARGET_GROUP_FAIL_OPEN" } else { "TARGET_GROUP_FAIL_OPEN_ENDED" };
            log.push((now, LogEntry { kind, message, ..LogEntry::default() }));
        }
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
        add(&mut self.all, now.since(self.since).0, self.healthy, self.fail_open);
        if let Some(ms) = measure_start
            && now > ms
        {
            add(&mut self.measured, now.since(self.since.max(ms)).0, self.healthy, self.fail_open);
        }
        self.since = now;
    }

    pub fn result(&self, measured: bool) -> TargetGroupResult {
        if measured { self.measured.clone() } else { self.all.clone() }
    }
}
