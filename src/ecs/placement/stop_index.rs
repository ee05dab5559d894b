//! An index for the scale-in choice of a service placed by ECS's default chain (SCHEDULING.md
//! §5.8: pending tasks first, then unhealthy ones, then the zone with the most of the service's
//! tasks, then the instance with the most, ties to the newest task): the service's live tasks
//! grouped by what decides whether a step may stop them (their class), and within a class by
//! tier and zone, ordered by (the group's tasks on their instance, age). The task a scan over
//! every candidate chooses is then found at the back of a few of those lists. Kept by the
//! scheduler's state as tasks change and instances change status, so that a rolling step costs
//! what it stops, not the size of the service.

use std::collections::BTreeSet;

use crate::ids::{TaskId, ZoneId};

/// What decides whether a step of the service scheduler may stop a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct StopClass {
    pub deployment: usize,
    /// Its instance is DRAINING.
    pub draining: bool,
    /// Marked unhealthy, waiting for its replacement.
    pub doomed: bool,
    /// An old revision's replacement not yet RUNNING: the rolling step leaves it to start.
    pub starting_replacement: bool,
}

/// Where one live task stands in its service's stop order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopKey {
    pub class: StopClass,
    /// Stopped first: 3 pending and unhealthy, 2 pending, 1 unhealthy, 0 healthy and RUNNING.
    pub tier: u8,
    pub zone: ZoneId,
    /// The group's live tasks on the task's instance.
    pub instance_tasks: u32,
    /// The task's age (`seq`): ties go to the newest.
    pub seq: u64,
}

impl StopKey {
    pub fn tier(pending: bool, healthy: bool) -> u8 {
        u8::from(pending) * 2 + u8::from(!healthy)
    }
}

const TIERS: usize = 4;

/// (the group's tasks on the instance, age, task), the task to stop last.
type Ordered = BTreeSet<(u32, u64, TaskId)>;

/// One service's index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StopIndex {
    zones: usize,
    classes: Vec<ClassTasks>,
}

/// The tasks of one class: per tier and zone (`tier * zones + zone`), ordered for the stop.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ClassTasks {
    class: StopClass,
    len: usize,
    sets: Vec<Ordered>,
}

impl StopIndex {
    pub fn new(zones: usize) -> StopIndex {
        StopIndex { zones, classes: Vec::new() }
    }

    pub fn insert(&mut self, key: StopKey, task: TaskId) {
        let zones = self.zones;
        // An emptied class's slot is reused: a service goes through few classes at a time.
        let i = match self.classes.iter().position(|c| c.class == key.class) {
            Some(i) => i,
            None => match self.classes.iter().position(|c| c.len == 0) {
                Some(i) => {
                    self.classes[i].class = key.class;
                    i
                }
                None => {
                    self.classes.push(ClassTasks {
                        class: key.class,
                        len: 0,
                        sets: vec![BTreeSet::new(); TIERS * zones],
                    });
                    self.classes.len() - 1
                }
            },
        };
        let c = &mut self.classes[i];
        if c.sets[usize::from(key.tier) * zones + key.zone.index()].insert((key.instance_tasks, key.seq, task)) {
            c.len += 1;
        }
    }

    pub fn remove(&mut self, key: StopKey, task: TaskId) {
        let zones = self.zones;
        if let Some(c) = self.classes.iter_mut().find(|c| c.class == key.class && c.len > 0)
            && c.sets[usize::from(key.tier) * zones + key.zone.index()].remove(&(key.instance_tasks, key.seq, task))
        {
            c.len -= 1;
        }
    }

    /// Tasks indexed.
    pub fn len(&self) -> usize {
        self.classes.iter().map(|c| c.len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same tasks under the same keys (classes may sit in other slots).
    pub fn same_tasks(&self, other: &StopIndex) -> bool {
        self.len() == other.len() && self.live_classes() == other.live_classes()
    }

    fn live_classes(&self) -> Vec<(StopClass, &Vec<Ordered>)> {
        let mut v: Vec<_> = self.classes.iter().filter(|c| c.len > 0).map(|c| (c.class, &c.sets)).collect();
        v.sort_by_key(|(k, _)| *k);
        v
    }

    /// The task the default chain stops among those whose class `eligible` accepts: the highest
    /// tier with any; there, the greatest (group's tasks in its zone, group's tasks on its
    /// instance, age); `zone_counts` are the group's tasks per zone.
    pub fn next(&self, zone_counts: &[u32], eligible: impl Fn(&StopClass) -> bool) -> Option<TaskId> {
        let classes: Vec<&ClassTasks> = self.classes.iter().filter(|c| c.len > 0 && eligible(&c.class)).collect();
        for tier in (0..TIERS).rev() {
            let mut best: Option<(u32, u32, u64, TaskId)> = None;
            for (z, &zc) in zone_counts.iter().enumerate().take(self.zones) {
                for c in &classes {
                    if let Some(&(n, seq, task)) = c.sets[tier * self.zones + z].last() {
                        let key = (zc, n, seq, task);
                        if best.is_none_or(|b| key > b) {
                            best = Some(key);
                        }
                    }
                }
            }
            if let Some((.., task)) = best {
                return Some(task);
            }
        }
        None
    }
}
