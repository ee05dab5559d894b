//! What the service scheduler reads of a service's tasks (live, healthy, stopping; per deployment
//! live, doomed, leaving, sound), kept incrementally by its owner: every task state change goes
//! through [`crate::control_plane::State::update_task`], and every instance status change that
//! moves tasks in or out of "leaving" (DRAINING, back to ACTIVE, INACTIVE) retallies the tasks on that
//! instance. So a reconcile reads its counts in O(deployments), not O(tasks of the service).

use crate::ecs::task::{LastStatus, Task};

/// One service's counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Census {
    /// Desired RUNNING tasks, all deployments.
    pub live: u32,
    /// Stopping tasks (no longer desired RUNNING, not yet STOPPED): what maximumPercent counts
    /// when `max_percent_counts_stopping` is on.
    pub stopping: u32,
    /// Desired RUNNING tasks that are healthy.
    pub healthy: u32,
    /// Desired RUNNING tasks per deployment.
    pub live_per_deployment: Vec<u32>,
    /// Of those, healthy ones.
    pub healthy_per_deployment: Vec<u32>,
    /// Of those, unhealthy ones waiting to be replaced.
    pub doomed_per_deployment: Vec<u32>,
    /// Of those, ones that must go: unhealthy, or on a DRAINING instance.
    pub leaving_per_deployment: Vec<u32>,
    /// Of those, healthy ones not marked for replacement: a marked task that passes its checks
    /// again is no replacement for itself.
    pub sound_per_deployment: Vec<u32>,
    /// Tasks not yet STOPPED (the service's task list), all deployments and per deployment.
    pub present: u32,
    pub present_per_deployment: Vec<u32>,
}

/// Where one task counts (the default: nowhere).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CensusKey {
    pub deployment: usize,
    pub live: bool,
    pub healthy: bool,
    pub doomed: bool,
    pub leaving: bool,
    pub stopping: bool,
    /// Not yet STOPPED.
    pub present: bool,
}

impl CensusKey {
    /// A task's key, given whether its instance is DRAINING.
    pub fn of(task: &Task, on_draining_instance: bool) -> CensusKey {
        let c = task.counts();
        let live = c.live;
        CensusKey {
            deployment: task.deployment,
            live,
            healthy: live && c.healthy,
            doomed: c.doomed,
            leaving: live && (c.doomed || on_draining_instance),
            stopping: !live && matches!(task.last_status, LastStatus::Stopping | LastStatus::Deactivating),
            present: task.last_status != LastStatus::Stopped,
        }
    }
}

impl Census {
    /// Moves a task from `before` to `after`.
    pub fn retally(&mut self, before: CensusKey, after: CensusKey) {
        if before != after {
            self.apply(before, -1);
            self.apply(after, 1);
        }
    }

    fn apply(&mut self, k: CensusKey, delta: i32) {
        let add = |x: &mut u32, on: bool| {
            if on {
                *x = x.saturating_add_signed(delta);
            }
        };
        add(&mut self.stopping, k.stopping);
        let d = k.deployment;
        if k.present {
            self.cover(d + 1);
            add(&mut self.present, true);
            add(&mut self.present_per_deployment[d], true);
        }
        if !k.live {
            return;
        }
        add(&mut self.live, true);
        add(&mut self.healthy, k.healthy);
        self.cover(d + 1);
        add(&mut self.live_per_deployment[d], true);
        add(&mut self.healthy_per_deployment[d], k.healthy);
        add(&mut self.doomed_per_deployment[d], k.doomed);
        add(&mut self.leaving_per_deployment[d], k.leaving);
        add(&mut self.sound_per_deployment[d], k.healthy && !k.doomed);
    }

    pub fn live_of(&self, d: usize) -> u32 {
        of(&self.live_per_deployment, d)
    }
    pub fn healthy_of(&self, d: usize) -> u32 {
        of(&self.healthy_per_deployment, d)
    }
    pub fn doomed_of(&self, d: usize) -> u32 {
        of(&self.doomed_per_deployment, d)
    }
    pub fn leaving_of(&self, d: usize) -> u32 {
        of(&self.leaving_per_deployment, d)
    }
    pub fn sound_of(&self, d: usize) -> u32 {
        of(&self.sound_per_deployment, d)
    }
    pub fn present_of(&self, d: usize) -> u32 {
        of(&self.present_per_deployment, d)
    }

    /// The counts with every deployment of `deployments` present (zeros for those without a
    /// live task).
    pub fn sized(&self, deployments: usize) -> Census {
        let mut c = self.clone();
        c.cover(deployments);
        c
    }

    /// Every per-deployment count has at least `deployments` entries.
    fn cover(&mut self, deployments: usize) {
        for v in [
            &mut self.live_per_deployment,
            &mut self.healthy_per_deployment,
            &mut self.doomed_per_deployment,
            &mut self.leaving_per_deployment,
            &mut self.sound_per_deployment,
            &mut self.present_per_deployment,
        ] {
            if v.len() < deployments {
                v.resize(deployments, 0);
            }
        }
    }
}

/// Deployment `d`'s count (0 for a deployment no task has counted in yet).
fn of(per_deployment: &[u32], d: usize) -> u32 {
    per_deployment.get(d).copied().unwrap_or(0)
}

/// What the reconcile step sees of a service's tasks: its census as kept, with its tasks in
/// PROVISIONING (desired RUNNING, not yet placed: few, and usually none) counted live, and
/// stopping tasks counted only when maximumPercent counts them. Read in place: no copy.
#[derive(Clone, Copy, Debug)]
pub struct CensusView<'a> {
    pub census: &'a Census,
    pub provisioning: &'a [crate::ecs::service::Provisioning],
    pub counts_stopping: bool,
}

impl CensusView<'_> {
    pub fn live(&self) -> u32 {
        self.census.live + self.provisioning.len() as u32
    }
    pub fn healthy(&self) -> u32 {
        self.census.healthy
    }
    pub fn stopping(&self) -> u32 {
        if self.counts_stopping { self.census.stopping } else { 0 }
    }
    pub fn live_of(&self, d: usize) -> u32 {
        self.census.live_of(d) + self.provisioning.iter().filter(|e| e.deployment == d).count() as u32
    }
    pub fn leaving_of(&self, d: usize) -> u32 {
        self.census.leaving_of(d)
    }
    pub fn doomed_of(&self, d: usize) -> u32 {
        self.census.doomed_of(d)
    }
    pub fn sound_of(&self, d: usize) -> u32 {
        self.census.sound_of(d)
    }
}
