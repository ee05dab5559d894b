//! A container instance: an EC2 instance registered with the cluster, with what it registered,
//! what remains, the host ports in use, and its attributes.

use std::collections::BTreeSet;

use crate::engine::SimTime;
use crate::ids::{GroupId, InstanceId, TaskGroupId, TaskId, ZoneId};

/// How an instance was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceLoss {
    /// It failed or was terminated.
    Failure,
    /// EC2 reclaimed it after a Spot interruption notice.
    SpotReclaim,
    /// Its Auto Scaling group terminated it (scale-in, a managed draining timeout).
    Termination,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceStatus {
    Active,
    Draining,
    Inactive,
}

impl InstanceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceStatus::Active => "ACTIVE",
            InstanceStatus::Draining => "DRAINING",
            InstanceStatus::Inactive => "INACTIVE",
        }
    }
}

/// The agent's ephemeral range for dynamic host ports when `ip_local_port_range` is unknown
/// (SCHEDULING.md §2.4).
pub const DYNAMIC_PORTS_FIRST: u16 = 49153;
pub const DYNAMIC_PORTS_LAST: u16 = 65535;
/// How many ports the dynamic range holds.
pub const DYNAMIC_PORTS_SPAN: usize = (DYNAMIC_PORTS_LAST - DYNAMIC_PORTS_FIRST) as usize + 1;
/// Ports the agent reserves by default on Linux (`ECS_RESERVED_PORTS`).
pub const AGENT_RESERVED_PORTS: [u16; 5] = [22, 2375, 2376, 51678, 51679];
/// At most this many reserved (static) ports per instance, defaults included.
pub const MAX_RESERVED_PORTS: usize = 100;

#[derive(Clone, Debug)]
pub struct ContainerInstance {
    pub id: InstanceId,
    /// The EC2 instance id as it appears in reports and timeline events (`web-asg-3`).
    pub ec2_instance_id: crate::name::Name,
    pub group: GroupId,
    pub zone: ZoneId,
    pub instance_type: String,
    /// Which of its group's types it is (an index into `InstanceGroupSpec::types`).
    pub kind: u8,
    pub status: InstanceStatus,
    pub agent_connected: bool,
    pub registered_at: SimTime,
    pub cpu_registered: u32,
    pub memory_mib_registered: u32,
    pub cpu_free: u32,
    pub memory_mib_free: u32,
    /// awsvpc task slots left (one ENI per task).
    pub eni_free: u32,
    /// awsvpc task slots and GPUs it registered with (its type's).
    pub eni_task_slots: u32,
    pub gpus_registered: u32,
    /// GPUs not assigned to a task.
    pub gpus_free: u32,
    /// Reserved TCP host ports (agent defaults plus static ports of tasks), sorted.
    pub ports_tcp: Vec<u16>,
    pub ports_udp: Vec<u16>,
    pub dynamic_ports_used: BTreeSet<u16>,
    /// Where the agent's round-robin search for the next dynamic port starts.
    pub dynamic_port_cursor: u16,
    /// Built-in (`ecs.*`) and custom attributes, sorted by name.
    pub attributes: Vec<(String, String)>,
    /// Set when the instance is lost: how (which decides the stop code its tasks get).
    pub lost_to: Option<InstanceLoss>,
    /// Why its tasks stopped when it was lost (None: the host was stopped or terminated).
    pub lost_reason: Option<crate::name::Name>,
    /// When it was last set DRAINING.
    pub draining_since: Option<SimTime>,
    /// A Spot interruption notice arrived: the instance terminates two minutes after it.
    pub spot_notice: bool,
    /// Its EC2 status checks fail (impaired) since then.
    pub impaired_since: Option<SimTime>,
    /// Tasks holding resources here (placed and not yet STOPPED).
    pub tasks: Vec<TaskId>,
    /// Of those, the ones not of a DAEMON service: an instance with none is "empty" for managed
    /// scaling and managed termination protection.
    pub non_daemon_tasks: u32,
    /// Its Auto Scaling group terminates it once it runs no task (a scale-in with managed
    /// draining: DRAINING first, terminated when drained or at the lifecycle hook's timeout).
    pub terminate_when_drained: bool,
    /// Tasks whose desired status is RUNNING, per task group: what spread and distinctInstance
    /// count.
    pub group_task_counts: Vec<(TaskGroupId, u32)>,
}

impl ContainerInstance {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.binary_search_by(|(k, _)| k.as_str().cmp(name)).ok().map(|i| self.attributes[i].1.as_str())
    }

    pub fn group_task_count(&self, group: TaskGroupId) -> u32 {
        self.group_task_counts.iter().find(|(g, _)| *g == group).map_or(0, |(_, c)| *c)
    }

    /// ECS's `runningTasksCount`: tasks whose desired status is RUNNING.
    pub fn running_tasks_count(&self) -> u32 {
        self.group_task_counts.iter().map(|(_, c)| c).sum()
    }

    pub fn accepts_placement(&self) -> bool {
        self.status == InstanceStatus::Active && self.agent_connected
    }

    /// Whether none of `ports` is reserved here and the 100-port cap holds.
    pub fn ports_free(&self, reserved: &[u16], ports: &[u16]) -> bool {
        ports.iter().all(|p| reserved.binary_search(p).is_err()) && reserved.len() + ports.len() <= MAX_RESERVED_PORTS
    }

    /// Takes `n` dynamic host ports the way the agent does: round-robin from just after the last
    /// one assigned, wrapping at the end of the range. `None` if the range is exhausted.
    pub fn take_dynamic_ports(&mut self, n: usize) -> Option<Vec<u16>> {
        if self.dynamic_ports_used.len() + n > DYNAMIC_PORTS_SPAN {
            return None;
        }
        let mut out = Vec::with_capacity(n);
        let mut p = self.dynamic_port_cursor;
        while out.len() < n {
            p = if (DYNAMIC_PORTS_FIRST..DYNAMIC_PORTS_LAST).contains(&p) { p + 1 } else { DYNAMIC_PORTS_FIRST };
            if self.ports_tcp.binary_search(&p).is_err() && self.dynamic_ports_used.insert(p) {
                out.push(p);
            }
        }
        self.dynamic_port_cursor = p;
        Some(out)
    }

    pub fn adjust_group_count(&mut self, group: TaskGroupId, delta: i32) {
        match self.group_task_counts.iter().position(|(g, _)| *g == group) {
            Some(i) => {
                let c = &mut self.group_task_counts[i].1;
                *c = c.saturating_add_signed(delta);
                if *c == 0 {
                    self.group_task_counts.remove(i);
                }
            }
            None if delta > 0 => self.group_task_counts.push((group, delta as u32)),
            None => {}
        }
    }
}

pub fn insert_sorted(v: &mut Vec<u16>, items: &[u16]) {
    for &p in items {
        if let Err(i) = v.binary_search(&p) {
            v.insert(i, p);
        }
    }
}

pub fn remove_sorted(v: &mut Vec<u16>, items: &[u16]) {
    v.retain(|p| !items.contains(p));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Cluster, InstanceGroupSpec};
    use crate::ids::{GroupId, ZoneId};

    fn instance() -> ContainerInstance {
        let group = InstanceGroupSpec::m5_large("g", 1, vec![ZoneId(0)]);
        let mut c = Cluster::new(vec!["a".into()], vec![group]);
        let id = c.register_instance(GroupId(0), ZoneId(0), 0, SimTime::ZERO);
        c.instances[id.index()].clone()
    }

    /// E-P3: round-robin from just after the last port assigned, skipping ports in use, wrapping
    /// to the start of the range at its end.
    #[test]
    fn e_p3_dynamic_ports_round_robin_and_wrap() {
        let mut ci = instance();
        assert_eq!(ci.take_dynamic_ports(2), Some(vec![49153, 49154]));
        ci.dynamic_ports_used.insert(49155);
        assert_eq!(ci.take_dynamic_ports(1), Some(vec![49156]), "the next free port after the last one");
        ci.dynamic_port_cursor = 65534;
        assert_eq!(ci.take_dynamic_ports(3), Some(vec![65535, 49157, 49158]), "wraps at the end of the range");
    }
}
