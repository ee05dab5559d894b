//! What the service scheduler reads of a service's tasks (live, healthy, stopping; per deployment
//! live, doomed, leaving, sound), kept incrementally by its owner: every task state change goes
//! through [`crate::sim::State::update_task`], and every instance status change that moves tasks
//! in or out of "leaving" (DRAINING, back to ACTIVE, INACTIVE) retallies the tasks on that
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
        if !k.live {
            return;
        }
        add(&mut self.live, true);
        add(&mut self.healthy, k.healthy);
        let d = k.deployment;
        self.cover(d + 1);
        add(&mut self.live_per_deployment[d], true);
        add(&mut self.healthy_per_deployment[d], k.healthy);
        add(&mut self.doomed_per_deployment[d], k.doomed);
        add(&mut self.leaving_per_deployment[d], k.leaving);
        add(&mut self.sound_per_deployment[d], k.healthy && !k.doomed);
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
        ] {
            if v.len() < deployments {
                v.resize(deployments, 0);
            }
        }
    }
}
