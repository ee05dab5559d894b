//! Usage per instance group, integrated over the run: instance-hours of the EC2 groups, and the
//! vCPU-hours and GB-hours of the tasks on Fargate (what Fargate bills: the task's size while it
//! holds its place). Fed by the groups' usage notices, which come only when something changed.

use crate::cluster::Usage;
use crate::engine::SimTime;

#[derive(Clone, Debug, Default)]
pub struct GroupObs {
    pub name: String,
    pub fargate: bool,
    /// Per instance type of the group: its name, live instances as last heard, since when, and
    /// instance-milliseconds so far.
    types: Vec<(String, u32, SimTime, u128)>,
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
    /// Its types' instance-hours, in the group's launch priority.
    pub instance_hours_by_type: Vec<(String, f64)>,
    /// Fargate's stand-in (FARGATE or FARGATE_SPOT): its instance-hours mean nothing.
    pub fargate: bool,
    pub instance_hours: f64,
    /// Reserved CPU (in vCPU) and memory (in GB, 1,024 MiB) integrated over time.
    pub vcpu_hours: f64,
    pub gb_hours: f64,
}

const HOUR_MS: f64 = 3_600_000.0;

impl GroupObs {
    pub fn new<'a>(name: &str, types: impl Iterator<Item = &'a str>, fargate: bool) -> GroupObs {
        let types = types.map(|t| (t.to_string(), 0, SimTime::ZERO, 0)).collect();
        GroupObs { name: name.into(), fargate, types, ..GroupObs::default() }
    }

    /// Live instances of type `kind` changed to `instances`.
    pub fn type_changed(&mut self, now: SimTime, kind: u8, instances: u32) {
        if let Some((_, live, since, ms)) = self.types.get_mut(usize::from(kind)) {
            *ms += u128::from(now.since(*since).0) * u128::from(*live);
            (*live, *since) = (instances, now);
        }
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
        for k in 0..self.types.len() {
            let live = self.types[k].1;
            self.type_changed(end, k as u8, live);
        }
        GroupUsageResult {
            name: self.name,
            instance_hours_by_type: self.types.into_iter().map(|(t, _, _, ms)| (t, ms as f64 / HOUR_MS)).collect(),
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
    for (name, hours) in groups.iter().filter(|g| !g.fargate).flat_map(|g| &g.instance_hours_by_type) {
        match by_type.iter_mut().find(|(t, _)| *t == name) {
            Some((_, h)) => *h += hours,
            None => by_type.push((name, *hours)),
        }
    }
    by_type.sort_by(|a, b| a.0.cmp(b.0));
    by_type
}
