//! A compact mirror of what placement filters and scores on first: each container instance's free
//! CPU and memory, its zone, and whether it accepts placements (ACTIVE and connected), twelve
//! bytes per instance in registration order. Placement scans this instead of the full
//! `ContainerInstance` records, which keeps a scan of 1,000 instances within a few cache lines
//! per strategy step. The `ContainerInstance` fields stay the source of truth; the cluster
//! re-syncs a slot after every change to them, and the invariant checker compares the two.

use crate::cluster::{ContainerInstance, InstanceStatus};
use crate::ids::ZoneId;

/// One instance's placement summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slot {
    pub cpu_free: u32,
    pub memory_mib_free: u32,
    pub zone: ZoneId,
    /// ACTIVE and agent connected: the instance can take new tasks.
    pub open: bool,
}

impl Slot {
    pub fn of(ci: &ContainerInstance) -> Slot {
        Slot {
            cpu_free: ci.cpu_free,
            memory_mib_free: ci.memory_mib_free,
            zone: ci.zone,
            open: ci.status == InstanceStatus::Active && ci.agent_connected,
        }
    }

    /// Open and with room for `cpu` units and `memory_mib`.
    #[inline]
    pub fn fits(&self, cpu: u32, memory_mib: u32) -> bool {
        self.open && self.cpu_free >= cpu && self.memory_mib_free >= memory_mib
    }
}
