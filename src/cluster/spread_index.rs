//! An index for ECS's default service placement, spread over zones then over instances: per
//! task group and zone, its live instances ordered by (tasks of the group on it, instance id).
//! The best instance for a task is then the first that fits in each zone's order, the zones
//! compared by the group's tasks in them: what a scan over every instance finds (ties to the
//! instance registered first), found by looking at the front of three lists instead of the
//! whole fleet. Kept by the cluster as counts change and instances come and go.

use std::collections::BTreeSet;

use crate::ids::{InstanceId, ZoneId};

/// One task group's index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpreadIndex {
    /// Per zone: (the group's tasks on the instance, instance id) of the live instances there.
    pub zones: Vec<BTreeSet<(u32, u32)>>,
}

impl SpreadIndex {
    pub fn new(zones: usize) -> SpreadIndex {
        SpreadIndex { zones: vec![BTreeSet::new(); zones] }
    }

    pub fn insert(&mut self, zone: ZoneId, count: u32, id: InstanceId) {
        self.zones[zone.index()].insert((count, id.0));
    }

    pub fn remove(&mut self, zone: ZoneId, count: u32, id: InstanceId) {
        self.zones[zone.index()].remove(&(count, id.0));
    }

    /// The instance with the smallest (zone's tasks, instance's tasks, id) among those `fits`
    /// accepts; `zone_counts` are the group's tasks per zone.
    pub fn best(&self, zone_counts: &[u32], fits: impl Fn(usize) -> bool) -> Option<InstanceId> {
        let mut best: Option<(u32, u32, u32)> = None;
        for (z, set) in self.zones.iter().enumerate() {
            let zc = zone_counts[z];
            // A zone whose count is above the best found cannot win.
            if best.is_some_and(|(b, ..)| zc > b) {
                continue;
            }
            if let Some(&(n, id)) = set.iter().find(|(_, id)| fits(*id as usize)) {
                let key = (zc, n, id);
                if best.is_none_or(|b| key < b) {
                    best = Some(key);
                }
            }
        }
        best.map(|(.., id)| InstanceId(id))
    }
}
