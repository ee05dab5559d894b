//! Usage per instance group, integrated over the run: instance-hours of the EC2 groups, and the
//! vCPU-hours and GB-hours of the tasks on Fargate (what Fargate bills: the task's size while it
//! holds its place). Fed by the groups' usage notices, which come only when something changed.

use crate::cluster::Usage;
use crate::engine::SimTime;

#[derive(Clone, Debug, Default)]
pub struct GroupObs {
    pub name: String,
    pub instance_type: String,
    pub fargate: bool,
    since: SimTime,
    instances: u32,
    usage: Usage,
    instance_ms: u128,
    cpu_unit_ms: u128,
    memory_mib_ms: u128,
}

/// One group's usage over the run.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupUsageResult {
    pub name: String,
    pub instance_type: String,
    /// Fargate's stand-in (FARGATE or FARGATE_SPOT): its instance-hours mean nothing.
    pub fargate: bool,
    pub instance_hours: f64,
    /// Reserved CPU (in vCPU) and memory (in GB, 1,024 MiB) integrated over time.
    pub vcpu_hours: f64,
    pub gb_hours: f64,
}

const HOUR_MS: f64 = 3_600_000.0;

impl GroupObs {
    pub fn new(name: &str, instance_type: &str, fargate: bool) -> GroupObs {
        GroupObs { name: name.into(), instance_type: instance_type.into(), fargate, ..GroupObs::default() }
    }

    fn advance(&mut self, now: SimTime) {
        let dt = u128::from(now.since(self.since).0);
        self.instance_ms += dt * u128::from(self.instances);
        self.cpu_unit_ms += dt * u128::from(self.usage.cpu_reserved);
        self.memory_mib_ms += dt * u128::from(self.usage.memory_mib_reserved);
        self.since = now;
    }

    /// Live instances as last heard.
    pub fn instances(&self) -> u32 {
        self.instances
    }

    pub fn changed(&mut self, now: SimTime, instances: u32, usage: Usage) {
        self.advance(now);
        self.instances = instances;
        self.usage = usage;
    }

    pub fn result(mut self, end: SimTime) -> GroupUsageResult {
        self.advance(end);
        GroupUsageResult {
            name: self.name,
            instance_type: self.instance_type,
            fargate: self.fargate,
            instance_hours: self.instance_ms as f64 / HOUR_MS,
            vcpu_hours: self.cpu_unit_ms as f64 / 1024.0 / HOUR_MS,
            gb_hours: self.memory_mib_ms as f64 / 1024.0 / HOUR_MS,
        }
    }
}

/// Instance-hours of the EC2 groups summed by instance type, in type order.
pub fn instance_hours_by_type(groups: &[GroupUsageResult]) -> Vec<(&str, f64)> {
    let mut by_type: Vec<(&str, f64)> = Vec::new();
    for g in groups.iter().filter(|g| !g.fargate) {
        match by_type.iter_mut().find(|(t, _)| *t == g.instance_type) {
            Some((_, h)) => *h += g.instance_hours,
            None => by_type.push((&g.instance_type, g.instance_hours)),
        }
    }
    by_type.sort_by(|a, b| a.0.cmp(b.0));
    by_type
}
