//! Services (REPLICA): what the scenario asks for and the scheduler's running state.

use crate::ecs::placement::{Constraint, Strategy, default_service_strategies};
use crate::engine::SimTime;
use crate::ids::{ServiceId, TaskDefId, TaskGroupId, TaskId};

/// A service as the scenario defines it (AWS's CreateService fields).
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSpec {
    pub name: String,
    pub task_definition: TaskDefId,
    pub desired_count: u32,
    /// Empty: the service default (spread over AZs, then instances).
    pub strategies: Vec<Strategy>,
    pub constraints: Vec<Constraint>,
    pub minimum_healthy_percent: u32,
    pub maximum_percent: u32,
}

impl ServiceSpec {
    /// minimumHealthyPercent applied to a desired count: rounded up (§4.1).
    pub fn min_healthy_tasks(&self, desired: u32) -> u32 {
        (u64::from(desired) * u64::from(self.minimum_healthy_percent)).div_ceil(100) as u32
    }
}

/// Counters kept in step with every task state change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceCounts {
    pub live: u32,
    pub pending: u32,
    pub running: u32,
    pub healthy: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceStats {
    pub tasks_started: u32,
    pub tasks_failed_to_start: u32,
    pub placement_failures: u32,
}

#[derive(Clone, Debug)]
pub struct Service {
    pub id: ServiceId,
    pub spec: ServiceSpec,
    pub group: TaskGroupId,
    /// The strategies placement applies (the service default when the spec names none).
    pub strategies: Vec<Strategy>,
    /// The service's constraints followed by the task definition's.
    pub constraints: Vec<Constraint>,
    pub desired_count: u32,
    /// Tasks not yet STOPPED, in launch order.
    pub tasks: Vec<TaskId>,
    /// Tasks launched so far, for naming (`web-7`).
    pub launched: u32,
    pub counts: ServiceCounts,
    pub steady: bool,
    pub reconcile_scheduled: bool,
    /// The last placement attempt failed; retry when capacity appears, not before `retry_at`.
    pub waiting_for_capacity: bool,
    pub retry_at: SimTime,
    pub stats: ServiceStats,
}

impl Service {
    pub fn new(id: ServiceId, spec: ServiceSpec, group: TaskGroupId, constraints: Vec<Constraint>) -> Service {
        let strategies =
            if spec.strategies.is_empty() { default_service_strategies() } else { spec.strategies.clone() };
        Service {
            id,
            strategies,
            constraints,
            desired_count: spec.desired_count,
            spec,
            group,
            tasks: Vec::new(),
            launched: 0,
            counts: ServiceCounts::default(),
            steady: false,
            reconcile_scheduled: false,
            waiting_for_capacity: false,
            retry_at: SimTime::ZERO,
            stats: ServiceStats::default(),
        }
    }

    /// ECS's steady state: every desired task running and healthy, nothing pending or extra.
    pub fn is_steady(&self) -> bool {
        let c = self.counts;
        c.live == self.desired_count
            && c.running == self.desired_count
            && c.healthy == self.desired_count
            && c.pending == 0
    }
}
