//! What the observer keeps of each capacity provider: its managed-scaling datapoints as a series
//! (CapacityProviderReservation, instances, desired capacity, PROVISIONING tasks), scaling
//! activity, and how long tasks waited in PROVISIONING.

use super::ProviderReading;
use crate::engine::{SimDuration, SimTime};

#[derive(Clone, Debug, Default)]
pub struct ProviderObs {
    pub name: String,
    /// Datapoints that differed from the one before, in time order.
    pub rows: Vec<(SimTime, ProviderReading)>,
    pub scale_outs: u32,
    pub scale_ins: u32,
    pub instances_launched: u32,
    pub instances_terminated: u32,
    /// Waits of tasks placed out of PROVISIONING, ms.
    pub waits_ms: Vec<u64>,
    /// Tasks that left PROVISIONING without an instance (timeout, scale-in, new deployment).
    pub given_up: u32,
    pub max_provisioning: u32,
}

/// A capacity provider's figures for the summary.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderResult {
    pub name: String,
    pub instances_min: u32,
    pub instances_max: u32,
    /// Registered instances integrated over the run (its group's instance-hours).
    pub instance_hours: f64,
    pub scale_outs: u32,
    pub scale_ins: u32,
    pub instances_launched: u32,
    pub instances_terminated: u32,
    pub max_provisioning_tasks: u32,
    /// Tasks placed out of PROVISIONING, and their waits (nearest-rank percentiles), seconds.
    pub provisioned_tasks: u32,
    pub provisioning_wait_p50_s: f64,
    pub provisioning_wait_p95_s: f64,
    pub provisioning_wait_max_s: f64,
    pub provisioning_given_up: u32,
    pub rows: Vec<(SimTime, ProviderReading)>,
}

impl ProviderObs {
    pub fn new(name: &str) -> ProviderObs {
        ProviderObs { name: name.to_string(), ..ProviderObs::default() }
    }

    pub fn reading(&mut self, now: SimTime, r: ProviderReading) {
        self.max_provisioning = self.max_provisioning.max(r.provisioning);
        match self.rows.last_mut() {
            Some((t, last)) if *t == now => *last = r,
            _ => self.rows.push((now, r)),
        }
    }

    pub fn provisioned(&mut self, waited: SimDuration, placed: bool) {
        if placed {
            self.waits_ms.push(waited.0);
        } else {
            self.given_up += 1;
        }
    }

    pub fn scaled(&mut self, out: bool, instances: u32) {
        if out {
            self.scale_outs += 1;
            self.instances_launched += instances;
        } else {
            self.scale_ins += 1;
            self.instances_terminated += instances;
        }
    }

    /// The figures of the run; `instance_hours` is its group's, integrated exactly from the
    /// group's usage (the datapoints come only once a minute).
    pub fn result(mut self, initial_instances: u32, instance_hours: f64) -> ProviderResult {
        let min = self.rows.iter().map(|(_, r)| r.instances).fold(initial_instances, u32::min);
        let max = self.rows.iter().map(|(_, r)| r.instances).fold(initial_instances, u32::max);
        self.waits_ms.sort_unstable();
        let rank = |q: f64| -> f64 {
            if self.waits_ms.is_empty() {
                return 0.0;
            }
            let i = ((q * self.waits_ms.len() as f64).ceil() as usize).clamp(1, self.waits_ms.len()) - 1;
            self.waits_ms[i] as f64 / 1000.0
        };
        ProviderResult {
            instances_min: min,
            instances_max: max,
            instance_hours,
            scale_outs: self.scale_outs,
            scale_ins: self.scale_ins,
            instances_launched: self.instances_launched,
            instances_terminated: self.instances_terminated,
            max_provisioning_tasks: self.max_provisioning,
            provisioned_tasks: self.waits_ms.len() as u32,
            provisioning_wait_p50_s: rank(0.5),
            provisioning_wait_p95_s: rank(0.95),
            provisioning_wait_max_s: self.waits_ms.last().map_or(0.0, |&w| w as f64 / 1000.0),
            provisioning_given_up: self.given_up,
            name: self.name,
            rows: self.rows,
        }
    }
}
