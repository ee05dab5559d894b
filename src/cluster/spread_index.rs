//! An index for ECS's default service placement, spread over zones then over instances: per task
//! group and zone, the live instances holding its tasks, ordered by (tasks of the group on it,
//! instance id), and a bit per instance saying which hold any. The best instance for a task is
//! the first that fits in each zone's (count, id) order, the zones compared by the group's tasks
//! in them: what a scan over every instance finds (ties to the instance registered first). The
//! instances holding none of the group's tasks come first in that order; they are found among
//! the instances with room for the task ([`super::room_index`]) a machine word at a time, so a
//! fleet whose first instances are full costs a few words, not a walk over each of them. Kept by
//! the cluster as counts change and instances come and go.

use std::collections::BTreeSet;

use super::room_index::Bits;
use crate::ids::{InstanceId, ZoneId};

/// One task group's index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpreadIndex {
    /// Per zone: (the group's tasks on the instance, instance id) of the live instances there
    /// holding at least one.
    pub zones: Vec<BTreeSet<(u32, u32)>>,
    /// Per zone: the same instances, as bits.
    pub holding: Vec<Bits>,
}

impl SpreadIndex {
    pub fn new(zones: usize) -> SpreadIndex {
        SpreadIndex { zones: vec![BTreeSet::new(); zones], holding: vec![Bits::default(); zones] }
    }

    /// The same instances and counts (bits compared ignoring trailing zero words).
    pub fn same(&self, other: &SpreadIndex) -> bool {
        self.zones == other.zones && self.holding.iter().zip(&other.holding).all(|(a, b)| a.same(b))
    }

    /// A live instance holds `count` of the group's tasks.
    pub fn insert(&mut self, zone: ZoneId, count: u32, id: InstanceId) {
        if count > 0 {
            self.zones[zone.index()].insert((count, id.0));
            self.holding[zone.index()].set(id.index(), true);
        }
    }

    pub fn remove(&mut self, zone: ZoneId, count: u32, id: InstanceId) {
        if count > 0 {
            self.zones[zone.index()].remove(&(count, id.0));
            self.holding[zone.index()].set(id.index(), false);
        }
    }

    /// The instance with the smallest (zone's tasks, instance's tasks, id) among those `fits`
    /// accepts, in zone `only` if given; `zone_counts` are the group's tasks per zone, `room` the
    /// instances with room for the task by zone (any instance that fits has room).
    pub fn best(
        &self,
        zone_counts: &[u32],
        room: &[Bits],
        only: Option<usize>,
        fits: impl Fn(usize) -> bool,
    ) -> Option<InstanceId> {
        let mut best: Option<(u32, u32, u32)> = None;
        for (z, set) in self.zones.iter().enumerate() {
            if only.is_some_and(|o| o != z) {
                continue;
            }
            let zc = zone_counts[z];
            // A zone whose count is above the best found cannot win.
            if best.is_some_and(|(b, ..)| zc > b) {
                continue;
            }
            let found = self
                .first_holding_none(z, &room[z], &fits)
                .map(|id| (0, id))
                .or_else(|| set.iter().find(|(_, id)| fits(*id as usize)).copied());
            if let Some((n, id)) = found {
                let key = (zc, n, id);
                if best.is_none_or(|b| key < b) {
                    best = Some(key);
                }
            }
        }
        best.map(|(.., id)| InstanceId(id))
    }

    /// The first instance of zone `z` by id with room, none of the group's tasks, and that fits.
    fn first_holding_none(&self, z: usize, room: &Bits, fits: &impl Fn(usize) -> bool) -> Option<u32> {
        for w in 0..room.0.len() {
            let mut candidates = room.word(w) & !self.holding[z].word(w);
            while candidates != 0 {
                let i = w * 64 + candidates.trailing_zeros() as usize;
                if fits(i) {
                    return Some(i as u32);
                }
                candidates &= candidates - 1;
            }
        }
        None
    }
}
