//! Per-service metric bookkeeping: healthy counts per zone and per instance kept incrementally
//! (so the redundancy margins cost O(1) per change), and time integrals of the step function.

use super::RevisionCounts;
use crate::ecs::task::TaskCounts;
use crate::engine::SimTime;
use crate::ids::{InstanceId, TaskDefId, ZoneId};

/// A service's values at an instant: one timeseries row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Values {
    pub desired: u32,
    pub running: u32,
    pub healthy: u32,
    pub pending: u32,
    /// AZs holding at least one healthy task.
    pub az_coverage: u32,
    /// Healthy tasks left after losing the AZ with the most of them.
    pub az_loss_margin: u32,
    /// Healthy tasks left after losing the instance with the most of them.
    pub instance_loss_margin: u32,
}

/// Time integrals and minima over an interval of the run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Accum {
    pub time_ms: u64,
    /// With at least one healthy task.
    pub available_ms: u64,
    /// No healthy task while desired > 0.
    pub outage_ms: u64,
    /// healthy < desired.
    pub degraded_ms: u64,
    /// healthy < ceil(desired x minimumHealthyPercent / 100).
    pub below_min_healthy_ms: u64,
    /// Integral of min(healthy, desired) / desired (1 when desired is 0), in ms.
    pub capacity_ms: f64,
    pub min_healthy: Option<u32>,
    pub min_az_coverage: Option<u32>,
    pub min_az_loss_margin: Option<u32>,
    pub min_instance_loss_margin: Option<u32>,
}

fn min_into(slot: &mut Option<u32>, v: u32) {
    *slot = Some(slot.map_or(v, |m| m.min(v)));
}

impl Accum {
    fn add(&mut self, v: &Values, dt: u64, min_healthy_pct: u32) {
        if dt == 0 {
            return;
        }
        self.time_ms += dt;
        if v.healthy > 0 {
            self.available_ms += dt;
        }
        if v.desired > 0 && v.healthy == 0 {
            self.outage_ms += dt;
        }
        if v.healthy < v.desired {
            self.degraded_ms += dt;
        }
        let min_healthy = (u64::from(v.desired) * u64::from(min_healthy_pct)).div_ceil(100);
        if u64::from(v.healthy) < min_healthy {
            self.below_min_healthy_ms += dt;
        }
        let ratio = if v.desired == 0 { 1.0 } else { f64::from(v.healthy.min(v.desired)) / f64::from(v.desired) };
        self.capacity_ms += ratio * dt as f64;
        min_into(&mut self.min_healthy, v.healthy);
        min_into(&mut self.min_az_coverage, v.az_coverage);
        min_into(&mut self.min_az_loss_margin, v.az_loss_margin);
        min_into(&mut self.min_instance_loss_margin, v.instance_loss_margin);
    }

    pub fn availability(&self) -> f64 {
        if self.time_ms == 0 { 1.0 } else { self.available_ms as f64 / self.time_ms as f64 }
    }

    pub fn capacity_ratio(&self) -> f64 {
        if self.time_ms == 0 { 1.0 } else { self.capacity_ms / self.time_ms as f64 }
    }
}

pub(super) struct ServiceObs {
    pub name: String,
    min_healthy_pct: u32,
    desired: u32,
    running: u32,
    healthy: u32,
    pending: u32,
    healthy_per_zone: Vec<u32>,
    healthy_per_instance: Vec<u32>,
    /// instances_with[k] = instances holding k healthy tasks (k >= 1), for the running maximum.
    instances_with: Vec<u32>,
    max_per_instance: u32,
    /// Healthy tasks that are their own host (Fargate): losing one loses one.
    isolated_healthy: u32,
    /// Running and healthy tasks per revision, and what was last recorded of each.
    revisions: Vec<RevisionCounts>,
    last_revisions: Vec<RevisionCounts>,
    dirty: bool,
    pub steady_ever: bool,
    /// Service Auto Scaling's activities so far (scale-out, scale-in, scheduled), for a service
    /// with a scalable target.
    pub activities: Option<[u32; 3]>,
    /// The values recorded last, in force since `since`.
    pub last: Option<Values>,
    since: SimTime,
    pub all: Accum,
    pub measured: Accum,
}

impl ServiceObs {
    pub fn new(name: &str, min_healthy_pct: u32, zones: usize) -> ServiceObs {
        ServiceObs {
            name: name.to_string(),
            min_healthy_pct,
            desired: 0,
            running: 0,
            healthy: 0,
            pending: 0,
            healthy_per_zone: vec![0; zones],
            healthy_per_instance: Vec::new(),
            instances_with: vec![0],
            max_per_instance: 0,
            isolated_healthy: 0,
            revisions: Vec::new(),
            last_revisions: Vec::new(),
            dirty: true,
            steady_ever: false,
            activities: None,
            last: None,
            since: SimTime::ZERO,
            all: Accum::default(),
            measured: Accum::default(),
        }
    }

    pub fn scaling_activity(&mut self, activity: crate::autoscaling::Activity) {
        if let Some(a) = self.activities.as_mut() {
            a[activity as usize] += 1;
        }
    }

    pub fn set_desired(&mut self, desired: u32) {
        self.desired = desired;
        self.dirty = true;
    }

    pub fn task_counts(
        &mut self,
        instance: Option<InstanceId>,
        zone: ZoneId,
        task_definition: TaskDefId,
        before: TaskCounts,
        after: TaskCounts,
    ) {
        let i = match self.revisions.iter().position(|r| r.task_definition == task_definition) {
            Some(i) => i,
            None => {
                self.revisions.push(RevisionCounts { task_definition, ..RevisionCounts::default() });
                self.revisions.sort_by_key(|r| r.task_definition);
                self.revisions.iter().position(|r| r.task_definition == task_definition).unwrap_or(0)
            }
        };
        let r = &mut self.revisions[i];
        r.running = r.running + u32::from(after.running) - u32::from(before.running);
        r.healthy = r.healthy + u32::from(after.healthy) - u32::from(before.healthy);
        let step = |c: &mut u32, b: bool, a: bool| match (b, a) {
            (false, true) => *c += 1,
            (true, false) => *c -= 1,
            _ => {}
        };
        step(&mut self.running, before.running, after.running);
        step(&mut self.pending, before.pending, after.pending);
        if before.healthy != after.healthy {
            step(&mut self.healthy, before.healthy, after.healthy);
            step(&mut self.healthy_per_zone[zone.index()], before.healthy, after.healthy);
            match instance {
                Some(instance) => self.instance_healthy_delta(instance, after.healthy),
                None => step(&mut self.isolated_healthy, before.healthy, after.healthy),
            }
        }
        self.dirty = true;
    }

    fn instance_healthy_delta(&mut self, instance: InstanceId, up: bool) {
        let i = instance.index();
        if self.healthy_per_instance.len() <= i {
            self.healthy_per_instance.resize(i + 1, 0);
        }
        let old = self.healthy_per_instance[i] as usize;
        let new = if up { old + 1 } else { old - 1 };
        self.healthy_per_instance[i] = new as u32;
        if self.instances_with.len() <= new {
            self.instances_with.resize(new + 1, 0);
        }
        if old > 0 {
            self.instances_with[old] -= 1;
        }
        if new > 0 {
            self.instances_with[new] += 1;
        }
        if new as u32 > self.max_per_instance {
            self.max_per_instance = new as u32;
        }
        while self.max_per_instance > 0 && self.instances_with[self.max_per_instance as usize] == 0 {
            self.max_per_instance -= 1;
        }
    }

    fn values(&self) -> Values {
        let max_zone = self.healthy_per_zone.iter().copied().max().unwrap_or(0);
        Values {
            desired: self.desired,
            running: self.running,
            healthy: self.healthy,
            pending: self.pending,
            az_coverage: self.healthy_per_zone.iter().filter(|&&h| h > 0).count() as u32,
            az_loss_margin: self.healthy - max_zone,
            // A task that is its own host takes only itself down.
            instance_loss_margin: self.healthy - self.max_per_instance.max(u32::from(self.isolated_healthy > 0)),
        }
    }

    /// The new values if they differ from the last recorded ones, and the revisions whose
    /// counts changed since they were last recorded (a drop to zero included, so the long-format
    /// step function sees it).
    pub fn take_changed(&mut self) -> (Option<Values>, Vec<RevisionCounts>) {
        if !self.dirty {
            return (None, Vec::new());
        }
        self.dirty = false;
        let v = self.values();
        let mut changed = Vec::new();
        for r in &self.revisions {
            let last = self.last_revisions.iter_mut().find(|l| l.task_definition == r.task_definition);
            match last {
                Some(l) if l == r => {}
                Some(l) => {
                    *l = *r;
                    changed.push(*r);
                }
                None => {
                    self.last_revisions.push(*r);
                    changed.push(*r);
                }
            }
        }
        ((self.last != Some(v)).then_some(v), changed)
    }

    /// Revisions whose last recorded counts are not zero: they get a closing row.
    pub fn live_revisions(&self) -> impl Iterator<Item = &RevisionCounts> {
        self.last_revisions.iter().filter(|r| r.running > 0 || r.healthy > 0)
    }

    /// Integrates the last recorded values up to `now`; the measured part starts at
    /// `measure_start`.
    pub fn advance(&mut self, now: SimTime, measure_start: Option<SimTime>) {
        if let Some(v) = self.last {
            let from = self.since;
            self.all.add(&v, now.since(from).0, self.min_healthy_pct);
            if let Some(ms) = measure_start
                && now > ms
            {
                self.measured.add(&v, now.since(from.max(ms)).0, self.min_healthy_pct);
            }
        }
        self.since = now;
    }
}
