//! A compact mirror of what placement filters and scores on first: each container instance's free
//! CPU and memory, its zone, and whether it accepts placements (ACTIVE and connected), twelve
//! bytes per instance in registration order. Placement scans this instead of the full
//! `ContainerInstance` records, which keeps a scan of 1,000 instances within a few cache lines
//! per strategy step. The `ContainerInstance` fields stay the source of truth; the cluster
//! re-syncs a slot after every change to them, and the invariant checker compares the two.

use crate::cluster::TaskRequirements;
use crate::cluster::container_instance::DYNAMIC_PORTS_SPAN;
use crate::cluster::{ContainerInstance, InstanceStatus};
use crate::ids::ZoneId;

/// One instance's placement summary: everything but static host ports and attributes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slot {
    pub cpu_free: u32,
    pub memory_mib_free: u32,
    pub zone: ZoneId,
    /// ACTIVE and agent connected: the instance can take new tasks.
    pub open: bool,
    /// Not INACTIVE: still part of the cluster.
    pub live: bool,
    pub eni_free: u16,
    pub gpus_free: u16,
    /// Host ports left in the agent's dynamic range.
    pub dynamic_ports_free: u16,
}

impl Slot {
    pub fn of(ci: &ContainerInstance) -> Slot {
        let clamp = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        Slot {
            cpu_free: ci.cpu_free,
            memory_mib_free: ci.memory_mib_free,
            zone: ci.zone,
            open: ci.status == InstanceStatus::Active && ci.agent_connected,
            live: ci.status != InstanceStatus::Inactive,
            eni_free: clamp(ci.eni_free as usize),
            gpus_free: clamp(ci.gpus_free as usize),
            dynamic_ports_free: clamp(DYNAMIC_PORTS_SPAN.saturating_sub(ci.dynamic_ports_used.len())),
        }
    }

    /// Open and with room for the task's CPU, memory, ENI, GPUs and dynamic ports: every check
    /// but static ports and constraints.
    #[inline]
    pub fn fits(&self, t: &TaskRequirements) -> bool {
        self.open
            && self.cpu_free >= t.cpu
            && self.memory_mib_free >= t.memory_mib
            && u32::from(self.eni_free) >= t.enis
            && u32::from(self.gpus_free) >= t.gpus
            && usize::from(self.dynamic_ports_free) >= t.dynamic_ports
    }
}
